import { rmSync } from 'node:fs';
import { defineCommand } from '../args.js';
import { commonFlags } from '../flags.js';
import { GradpathError } from '../../util/errors.js';
import { Progress } from '../../io/progress.js';
import { RunDir } from '../../io/rundir.js';
import { writeRunCurves } from '../../io/curves.js';
import { createNetwork, type Network } from '../../chapters/neat/network.js';
import { genomeToJson, loadGenome } from '../../chapters/neat/serialize.js';
import { genomeToSvg } from '../../chapters/neat/svg.js';
import { decide, FLAPPY_INPUTS, playEpisode, type FlappyContext } from '../../chapters/neat/flappy/agent.js';
import { FlappyGame } from '../../chapters/neat/flappy/game.js';
import { watchInTerminal } from '../../chapters/neat/flappy/render.js';
import { evolveFlappy } from '../../chapters/neat/flappy/run.js';
import { generationEvent } from '../../chapters/neat/metrics.js';

/** Replays a network: drawn live on a terminal, otherwise a short text summary. */
async function replay(network: Network, context: FlappyContext, watch: boolean): Promise<void> {
  if (watch && process.stdout.isTTY) {
    const game = new FlappyGame(context.seed);
    network.reset();
    await watchInTerminal(game, () => game.step(decide(network, game)) && game.pipesPassed < context.maxPipes, 4000);
    console.log(`(shown ${game.frame} frames; the full episode is scored without drawing)`);
  }
  const game = playEpisode(network, context);
  const end = game.alive ? `reached the cap of ${context.maxPipes} pipes` : `crashed at frame ${game.frame}`;
  console.log(`replay on pipe seed ${context.seed}: ${game.pipesPassed} pipes passed, ${end}`);
}

export const flappyCommand = defineCommand({
  name: 'flappy',
  summary: 'Evolve birds that play a flappy-bird game, until one passes 1,000 pipes',
  description: `Each bird sees its height, vertical speed, distance to the next pipe and the gap's height,
and flaps when its one output exceeds 0.5. Fitness: frames survived + 100 per pipe passed.
Writes config.json, metrics.jsonl, curves.svg (best and mean fitness per generation), champion.json and champion.svg to --out.

Examples:
  gradpath neat flappy --seed 3
  gradpath neat flappy --replay runs/neat-flappy/champion.json --seed 7`,
  options: {
    generations: { type: 'int', default: 50, min: 1, help: 'Stop after this many generations' },
    population: { type: 'int', default: 150, min: 2, help: 'Birds per generation' },
    seed: { type: 'int', default: 1, help: 'Seed of evolution and of the pipe sequence' },
    'max-pipes': { type: 'int', default: 1000, min: 1, help: 'Episode cap: a bird that passes this many pipes has solved the game' },
    workers: { type: 'int', default: 0, min: 0, help: 'Worker threads for evaluation (same results as 0)' },
    out: { ...commonFlags.out, default: 'runs/neat-flappy' },
    force: commonFlags.force,
    watch: { type: 'boolean', help: 'Replay the champion in the terminal (text summary when not a TTY)' },
    replay: { type: 'string', placeholder: 'GENOME', path: 'file', help: 'Replay a saved genome (JSON) instead of evolving' },
    json: commonFlags.json,
  },
  async run(opts) {
    const context: FlappyContext = { seed: opts.seed, maxPipes: opts.maxPipes };
    if (opts.replay !== undefined) {
      const saved = loadGenome(opts.replay);
      await replay(createNetwork(saved.genome, saved.recurrent), context, true);
      return;
    }
    const dir = new RunDir(opts.out);
    // metrics.jsonl is appended to: a second run into the same folder would mix two runs' generations
    if (dir.exists('metrics.jsonl') && !opts.force) {
      throw new GradpathError(`gradpath neat flappy: ${dir.dir} already holds a run; give another --out, or --force to replace it`);
    }
    if (opts.force) for (const f of ['metrics.jsonl', 'curves.svg', 'champion.json', 'champion.svg']) rmSync(dir.path(f), { force: true });
    dir.writeConfig({ command: 'neat flappy', ...opts });
    const progress = new Progress({ total: opts.generations, label: 'flappy' });
    const run = await evolveFlappy({
      generations: opts.generations,
      population: opts.population,
      seed: opts.seed,
      maxPipes: opts.maxPipes,
      workers: opts.workers,
      onGeneration: (s) => {
        const pipes = Number(s.bestInfo.pipes ?? 0);
        dir.log(generationEvent(s, { best_pipes: pipes }));
        progress.log(`gen ${String(s.generation + 1).padStart(3)}  best ${s.bestFitness.toFixed(0).padStart(7)}  mean ${s.meanFitness.toFixed(1).padStart(8)}  species ${String(s.species).padStart(3)}  pipes ${pipes}`);
        progress.update(s.generation + 1, { pipes });
      },
    });
    progress.done();
    const { result } = run;
    const info = { ...result.championInfo, seed: opts.seed };
    dir.writeText('champion.json', genomeToJson(result.champion, { recurrent: result.config.recurrent, fitness: result.championFitness, info }));
    writeRunCurves(dir, `NEAT flappy, seed ${opts.seed}`);
    dir.writeText('champion.svg', genomeToSvg(result.champion, { inputNames: FLAPPY_INPUTS, outputNames: ['flap'], title: `flappy champion: ${run.best_pipes} pipes` }));
    console.log(`${run.solved ? 'solved' : 'not solved'}: best bird passed ${run.best_pipes} pipes by generation ${run.generation} (${run.seconds}s)`);
    console.log(`champion: ${dir.path('champion.json')} and champion.svg`);
    if (opts.watch) await replay(result.network(), context, true);
    if (opts.json) console.log(JSON.stringify({ solved: run.solved, generation: run.generation, best_pipes: run.best_pipes, seconds: run.seconds }));
  },
});
