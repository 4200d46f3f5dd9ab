// The planted-signal control of docs/physics.md: can the linear probe (probe.ts) read a signal of known
// strength from as few people as a knowledge run gives it? Features: 64 dimensions of unit noise plus the
// class's mean (norm s); labels uniform. "oracle" is the nearest true class mean (what the signal allows),
// "probe" what linearProbe learns from n training samples, both on n test samples.
//   node experiments/physics-probes/planted.mjs            PROBE_OPTS='{"steps":2000}' to change the probe
const dist = new URL('../../dist/src/', import.meta.url);
const { linearProbe } = await import(new URL('chapters/physics/probe.js', dist));
const { Generator } = await import(new URL('util/random.js', dist));
const d = 64, opts = JSON.parse(process.env.PROBE_OPTS ?? '{}');
for (const [n, K] of [[100, 30], [200, 10]]) for (const s of [1, 2, 4]) {
  const gen = new Generator(5);
  const means = Array.from({ length: K }, () => Array.from({ length: d }, () => (s * gen.normal()) / Math.sqrt(d)));
  const labels = Int32Array.from({ length: 2 * n }, () => gen.randint(0, K));
  const x = Float32Array.from({ length: 2 * n * d }, (_, k) => means[labels[Math.floor(k / d)]][k % d] + gen.normal());
  const train = Array.from({ length: n }, (_, i) => i), test = Array.from({ length: n }, (_, i) => n + i);
  const probe = linearProbe(x, d, { fields: [{ name: 'f', classes: K, labels }] }, train, test, opts).f;
  let oracle = 0;
  for (const i of test) {
    let best = 0, bestDist = Infinity;
    means.forEach((m, k) => {
      let q = 0;
      for (let j = 0; j < d; j++) q += (x[i * d + j] - m[j]) ** 2;
      if (q < bestDist) [best, bestDist] = [k, q];
    });
    if (best === labels[i]) oracle++;
  }
  console.log(`${n} training people, ${K} classes (about ${Math.round(n / K)} per class), class means of norm ${s}: oracle ${((100 * oracle) / n).toFixed(0)}%, probe ${(100 * probe).toFixed(0)}%, chance ${(100 / K).toFixed(0)}%`);
}
