import { defineCommand } from './args.js';
import { commonFlags } from './flags.js';
import { RunDir } from '../io/rundir.js';
import { Progress } from '../io/progress.js';
import { formatNumber } from '../util/format.js';
import { writeRunCurves } from '../io/curves.js';
import { lectureNeuron, toDot, renderSvg, trainMoons, decisionBoundarySvg, MOONS_RECIPE, type EngineName } from '../chapters/micrograd/index.js';

/** Default seed: micrograd's notebook seed. */
export const DEFAULT_SEED = 1337;

export const command = defineCommand({
  name: 'micrograd',
  summary: 'Backpropagation on scalars: train a tiny MLP on two moons with a Value autograd engine',
  description: `
Builds MLP(2, [16, 16, 1]) from scalar Values, trains it on 100 two-moons points (noise 0.1)
with the max-margin loss mean(relu(1 - y*score)) + 1e-4 * sum(p^2), full-batch SGD, learning
rate 1.0 -> 0.1, as in micrograd's demo. Writes into the run directory:
  config.json, metrics.jsonl      the run and its loss/accuracy per step
  curves.svg                      loss and accuracy per step
  boundary.svg                    the learned decision boundary with the data on top
  graph.dot, graph.svg            the computation graph of one neuron, data and grad on each node

Examples:
  gradpath micrograd
  gradpath micrograd --steps 50 --seed 3 --out runs/moons3 --json
  gradpath micrograd --engine fast       # the same numbers from fast_engine.ts, about 13x sooner`,
  options: {
    steps: { type: 'int', default: 100, min: 1, aliases: ['max-steps', 'max-iters'], help: 'Training steps (full batch)' },
    seed: { type: 'int', default: DEFAULT_SEED, help: 'Seed for the dataset and the initial weights' },
    engine: { type: 'choice', choices: ['plain', 'fast'], default: 'plain', help: "Value engine: 'plain' is engine.ts, the one-screen engine the chapter reads (about 11 s for 100 steps); 'fast' is fast_engine.ts (under 1 s). Same numbers" },
    out: { ...commonFlags.out, default: 'runs/micrograd' },
    json: { type: 'boolean', help: 'Print a JSON summary as the last line of stdout' },
  },
  async run(opts) {
    const run = new RunDir(opts.out);
    // A fresh metrics.jsonl per run: this command does not resume.
    run.writeText('metrics.jsonl', '');
    run.writeConfig({ command: 'micrograd', engine: opts.engine, steps: opts.steps, seed: opts.seed, model: 'MLP(2, [16, 16, 1])', ...MOONS_RECIPE, loss: 'mean(relu(1 - y*score)) + l2 * sum(p*p)', lr: 'lrStart - (lrStart - lrEnd) * step / steps' });
    const progress = new Progress({ total: opts.steps, label: 'micrograd' });
    const result = trainMoons({
      steps: opts.steps,
      seed: opts.seed,
      engine: opts.engine as EngineName,
      onStep: ({ step, loss, accuracy, lr }) => {
        run.log({ step, split: 'batch', loss, acc: accuracy, lr });
        progress.update(step + 1, { loss, acc: accuracy });
        if (step % 10 === 0 || step === opts.steps - 1) {
          progress.log(`step ${String(step).padStart(3)}  loss ${formatNumber(loss)}  accuracy ${(accuracy * 100).toFixed(0)}%`);
        }
      },
    });
    progress.done();
    // The trained model evaluated on the (whole) training set, after the last update.
    run.log({ step: opts.steps, split: 'train', loss: result.finalLoss, acc: result.accuracy });

    const title = `micrograd: MLP(2, [16, 16, 1]) on two moons, seed ${opts.seed}`;
    writeRunCurves(run, title);
    run.writeText('boundary.svg', decisionBoundarySvg(result.model, result.data, { title: `decision boundary after ${opts.steps} steps (seed ${opts.seed})` }));
    const dot = toDot(lectureNeuron());
    run.writeText('graph.dot', dot);
    run.writeText('graph.svg', await renderSvg(dot));

    const perfect = result.firstPerfectStep === null ? 'never reached 100%' : `100% first at step ${result.firstPerfectStep}`;
    console.log(`trained ${opts.steps} steps in ${result.seconds.toFixed(2)} s (${result.nodesPerStep} nodes per step): final loss ${formatNumber(result.finalLoss)}, accuracy ${(result.accuracy * 100).toFixed(0)}% (${perfect})`);
    console.log(`wrote ${run.dir}/{config.json, metrics.jsonl, curves.svg, boundary.svg, graph.dot, graph.svg}`);
    if (opts.json) {
      console.log(JSON.stringify({ steps: opts.steps, final_loss: result.finalLoss, accuracy: result.accuracy, seconds: Number(result.seconds.toFixed(3)) }));
    }
    return 0;
  },
});
