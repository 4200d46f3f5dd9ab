import { Value } from '../../../src/chapters/micrograd/engine.js';

/**
 * Parses an expression such as `tanh(x1*w1 + x2*w2 + b)` into micrograd Values, given the
 * variables' values. Grammar: + - * / (left to right), unary minus, `**` with a constant
 * exponent, parentheses, and the functions tanh, relu and exp, as micrograd's Value has them.
 * Errors are one sentence naming the problem and where.
 */
export function parseExpression(source: string, variables: Record<string, number>): Value {
  const tokens = source.match(/\d+\.?\d*(?:e[+-]?\d+)?|\.\d+|[A-Za-z_]\w*|\*\*|[-+*/()]|\S/g) ?? [];
  let i = 0;
  const peek = () => tokens[i];
  const next = () => tokens[i++];
  const expect = (t: string) => {
    if (next() !== t) throw new Error(`expected '${t}' at token ${i} of the expression`);
  };
  const leaves = new Map<string, Value>();
  function expr(): Value {
    let v = term();
    while (peek() === '+' || peek() === '-') v = next() === '+' ? v.add(term()) : v.sub(term());
    return v;
  }
  function term(): Value {
    let v = unary();
    while (peek() === '*' || peek() === '/') v = next() === '*' ? v.mul(unary()) : v.div(unary());
    return v;
  }
  function unary(): Value {
    if (peek() === '-') {
      next();
      return unary().neg();
    }
    const base = atom();
    if (peek() !== '**') return base;
    next();
    const sign = peek() === '-' ? (next(), -1) : 1;
    const k = Number(next());
    if (!Number.isFinite(k)) throw new Error('the exponent after ** must be a number (micrograd differentiates x**k for a constant k)');
    return base.pow(sign * k);
  }
  function atom(): Value {
    const t = next();
    if (t === undefined) throw new Error('the expression ends too early');
    if (t === '(') {
      const v = expr();
      expect(')');
      return v;
    }
    if (/^[\d.]/.test(t)) return new Value(Number(t), [], '', t);
    if (/^[A-Za-z_]/.test(t)) {
      if (peek() === '(') {
        next();
        const arg = expr();
        expect(')');
        if (t === 'tanh') return arg.tanh();
        if (t === 'relu') return arg.relu();
        if (t === 'exp') return arg.exp();
        throw new Error(`unknown function '${t}': use tanh, relu or exp`);
      }
      if (!(t in variables)) throw new Error(`'${t}' has no value: give it one in the variables, e.g. ${t} = 1`);
      if (!leaves.has(t)) leaves.set(t, new Value(variables[t], [], '', t));
      return leaves.get(t)!;
    }
    throw new Error(`unexpected '${t}' in the expression`);
  }
  const out = expr();
  if (i < tokens.length) throw new Error(`unexpected '${tokens[i]}' after a complete expression`);
  out.label = 'out';
  return out;
}

/** "a = 2, b = -3" (commas, semicolons or new lines between) to { a: 2, b: -3 }. */
export function parseVariables(source: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of source.split(/[,;\n]/)) {
    if (part.trim() === '') continue;
    const m = /^\s*([A-Za-z_]\w*)\s*=\s*(\S+)\s*$/.exec(part);
    if (!m || !Number.isFinite(Number(m[2]))) throw new Error(`'${part.trim()}' is not a variable: write name = number`);
    out[m[1]] = Number(m[2]);
  }
  return out;
}
