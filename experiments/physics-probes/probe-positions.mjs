// The probe diagnosis of docs/physics.md ("Why the probes read nothing at 200 people"): on a finished
// knowledge run, a linear probe per attribute at the question's last token (where the model reads its
// answer out) and at the name's last token inside the question, per layer; then the Q-probe (the name
// alone) as probing.ts measures it. PROBE_OPTS='{"steps":1000,"lr":0.03,"weightDecay":0}' changes the probe.
//   node experiments/physics-probes/probe-positions.mjs RUNDIR mixed|pretrain
const dist = new URL('../../dist/src/', import.meta.url);
const { buildWorld, buildModel, featuresAt, linearProbe, probeTask, majorityBaseline, answerField, ATTRIBUTES, fullName, makeQA } = await import(new URL('chapters/physics/index.js', dist));
const { loadTrainingState } = await import(new URL('train/state.js', dist));
const { readFileSync } = await import('node:fs');

const [dir, stage] = process.argv.slice(2);
if (!dir || !['mixed', 'pretrain'].includes(stage)) {
  console.error('usage: node experiments/physics-probes/probe-positions.mjs RUNDIR mixed|pretrain');
  process.exit(2);
}
const c = JSON.parse(readFileSync(`${dir}/summary.json`, 'utf8')).config;
const values = c.values ?? 30; // runs made before --values drew from the full lists
const w = buildWorld({ ...c, values });
const blockSize = Math.max(...w.bios.map((b) => b.words.length + 1), ...w.qaTrain.map((q) => q.prompt.length + q.answer.length + 1));
const model = buildModel(c.model, w.vocab.size, blockSize, c.seed + 3);
loadTrainingState(`${dir}/${stage}/latest.safetensors`, { model, kind: `physics-knowledge-${stage}` });
const C = model.config.nEmbd, bos = w.vocab.id('<bos>');
const opts = JSON.parse(process.env.PROBE_OPTS ?? '{}');

const features = (rows, pos) => featuresAt(model, rows, pos); // (n, C) per layer, at position pos[i] of row i
const pct = (x) => `${(100 * x).toFixed(0)}%`;
const task = probeTask(w.people, values);
console.log('chance (commonest class):', Object.entries(majorityBaseline(task, w.split.train, w.split.test)).map(([f, v]) => `${f} ${pct(v)}`).join(', '));
const everyone = w.people.map((_, i) => i);
for (const a of ATTRIBUTES) {
  const f = answerField(a), sub = probeTask(w.people, values, [f]);
  const rows = makeQA(w.people, everyone).filter((q) => q.attribute === a).map((q) => [bos, ...w.vocab.encode(q.prompt)]);
  const nameEnd = rows.map((r, i) => r.lastIndexOf(w.vocab.id(fullName(w.people[i])[2])));
  const read = (pos) => features(rows, pos).map((x) => pct(linearProbe(x, C, sub, w.split.train, w.split.test, opts)[f])).join(' ');
  console.log(`${a} (${f}), layers 0..${model.config.nLayer}: question's last token ${read(rows.map((r) => r.length - 1))} | name's last token in the question ${read(nameEnd)}`);
}
const qRows = w.people.map((p) => [bos, ...w.vocab.encode(fullName(p))]);
features(qRows, qRows.map((r) => r.length - 1)).forEach((x, l) => {
  console.log(`Q-probe L${l}:`, Object.entries(linearProbe(x, C, task, w.split.train, w.split.test, opts)).map(([f, v]) => `${f} ${pct(v)}`).join(', '));
});
