import { Value } from './engine.js';

/**
 * The neuron from Karpathy's lecture, o = tanh(x1*w1 + x2*w2 + b), after backward(): small
 * enough to read every node of its picture (b is chosen so that n = 0.8814 and o = 0.7071).
 */
export function lectureNeuron(): Value {
  const x1 = new Value(2, [], '', 'x1'), x2 = new Value(0, [], '', 'x2');
  const w1 = new Value(-3, [], '', 'w1'), w2 = new Value(1, [], '', 'w2');
  const b = new Value(6.881373587019543, [], '', 'b');
  const x1w1 = named(x1.mul(w1), 'x1*w1');
  const x2w2 = named(x2.mul(w2), 'x2*w2');
  const n = named(named(x1w1.add(x2w2), 'x1w1+x2w2').add(b), 'n');
  const o = named(n.tanh(), 'o');
  o.backward();
  return o;
}

function named(v: Value, label: string): Value {
  v.label = label;
  return v;
}
