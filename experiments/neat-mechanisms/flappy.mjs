// The flappy table of docs/neat.md: for each seed, the generation in which a bird first passes
// 1,000 pipes (as `gradpath neat flappy --seed S`), and whether that champion also passes 1,000
// pipes on the unseen pipe sequence of seed S+100 (as `--replay champion.json --seed S+100`).
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

const { values: o } = parseArgs({ options: {
  build: { type: 'string', default: new URL('../../dist', import.meta.url).pathname },
  seed: { type: 'string', default: '1' },
  runs: { type: 'string', default: '10' },
  config: { type: 'string', default: '{}' }, // JSON: NeatConfig settings over FLAPPY_CONFIG
} });
const at = (file) => import(pathToFileURL(resolve(o.build, 'src/chapters/neat', file)).href);
const { evolveFlappy } = await at('flappy/run.js');
const { playEpisode } = await at('flappy/agent.js');
const { hiddenCount } = await at('genome.js');
const rows = [];
for (let i = 0; i < Number(o.runs); i++) {
  const seed = Number(o.seed) + i;
  const run = await evolveFlappy({ generations: 50, population: 150, seed, maxPipes: 1000, config: JSON.parse(o.config) });
  const unseen = playEpisode(run.result.network(), { seed: seed + 100, maxPipes: 1000 }).pipesPassed;
  rows.push({ seed, solved: run.solved, generation: run.generation, unseen_pipes: unseen, hidden_nodes: hiddenCount(run.result.champion), seconds: run.seconds });
  console.log(JSON.stringify(rows.at(-1)));
}
const solved = rows.filter((r) => r.solved);
console.log(JSON.stringify({
  seeds: `${o.seed}-${Number(o.seed) + rows.length - 1}`, solved: `${solved.length}/${rows.length}`,
  mean_generation: solved.reduce((s, r) => s + r.generation, 0) / Math.max(1, solved.length),
  worst_generation: Math.max(...solved.map((r) => r.generation)),
  unseen_1000: `${rows.filter((r) => r.unseen_pipes >= 1000).length}/${rows.length}`,
}));
