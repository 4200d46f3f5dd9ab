// Summarises a results file of run.sh: per measurement, the median over rounds for PyTorch and
// gradpath's backends (wall time, and CPU time of all threads, which a loaded machine distorts
// less), and gradpath's ratio to PyTorch (time ratios: below 1 is faster than PyTorch;
// GFLOP/s ratios: above 1 is faster).  node summarize.mjs results-....jsonl
import { readFileSync } from 'node:fs';

const lines = readFileSync(process.argv[2], 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const range = (xs) => `${Math.min(...xs).toFixed(1)}-${Math.max(...xs).toFixed(1)}`;
const rows = new Map(); // key -> { torch: [], native: [], wasm: [], unit }
const add = (key, who, v, unit) => {
  const r = rows.get(key) ?? { torch: [], native: [], wasm: [], unit };
  r[who].push(v);
  rows.set(key, r);
};
for (const l of lines) {
  if (l.what === 'matmul') {
    for (const s of l.results) {
      const key = `matmul ${s.m}x${s.k}x${s.n}`;
      if (l.backend === 'pytorch') add(key, 'torch', s.gflops, 'GFLOP/s');
      else {
        if (s.native_gflops !== undefined) add(key, 'native', s.native_gflops, 'GFLOP/s');
        add(key, 'wasm', s.gflops, 'GFLOP/s');
      }
    }
  } else if (l.what === 'train') {
    const key = `${l.model} step, batch ${l.batch_size} x ${l.seq_len}`;
    if (l.backend === 'pytorch') {
      add(key, 'torch', l.ms_per_step, 'ms');
      add(`${key}, CPU time (all threads)`, 'torch', l.cpu_ms_per_step, 'ms');
      add(`${l.model} peak RSS`, 'torch', l.peak_rss_mb, 'MB');
    } else {
      for (const s of l.results) {
        add(key, s.backend, s.ms_per_step, 'ms');
        add(`${key}, CPU time (all threads)`, s.backend, s.cpu_ms_per_step, 'ms');
      }
      if (l.results.length === 1) add(`${l.model} peak RSS`, l.results[0].backend, l.peak_rss_mb, 'MB');
    }
  }
}
const notes = lines.filter((l) => l.note);
console.log(notes.map((n) => `${n.time} load ${n.load}: ${n.note}`).join('\n'));
console.log('\n| work | PyTorch | gradpath native | gradpath wasm | native / PyTorch |');
console.log('| --- | --- | --- | --- | --- |');
for (const [key, r] of rows) {
  const cell = (xs) => (xs.length ? `${median(xs).toFixed(1)} ${r.unit} (${range(xs)}, n=${xs.length})` : '');
  const ratio = r.torch.length && r.native.length ? (median(r.native) / median(r.torch)).toFixed(2) : '';
  const how = r.unit === 'GFLOP/s' ? 'rate ratio' : r.unit === 'MB' ? 'memory ratio' : 'time ratio';
  console.log(`| ${key} | ${cell(r.torch)} | ${cell(r.native)} | ${cell(r.wasm)} | ${ratio ? `${ratio} (${how})` : ''} |`);
}

// The small step with each fusion left out (fusions.mjs's lines), against all fusions in, from the same process.
const fusion = lines.filter((l) => l.what === 'fusion');
if (fusion.length) {
  console.log(`\n| small step, native (${fusion[0].gemm}, ${fusion[0].rounds} rounds x ${fusion[0].steps} steps in turns; load ${fusion[0].load}) | ms/step | time / all fusions in | CPU ms/step | CPU time / all fusions in |`);
  console.log('| --- | --- | --- | --- | --- |');
  for (const f of fusion) console.log(`| ${f.variant} | ${f.ms_per_step.toFixed(1)} | ${f.wall_ratio.toFixed(3)} | ${f.cpu_ms_per_step.toFixed(1)} | ${f.cpu_ratio.toFixed(3)} |`);
}
