import '../shims/process.js';
import { h } from '../ui/dom.js';
import { layout } from '../ui/layout.js';
import { LineChart } from '../ui/chart.js';

const main = layout('runs', 'Runs viewer',
  'The run directories the command line writes (config.json, metrics.jsonl, samples, pictures), their curves side by side. `gradpath lab runs/` serves every run under runs/; or open a run folder from your disk (nothing is uploaded: it is read in this tab).');

/** One run: where it came from, its settings and its metric events (one JSON object per line of metrics.jsonl). */
interface Run {
  name: string;
  kind: string;
  config: Record<string, unknown>;
  events: ({ step: number; split?: string } & Record<string, unknown>)[];
  samples?: string;
  picture?: string;
}

const list = h('div', { id: 'run-list', class: 'panel' }, 'Looking for runs served by `gradpath lab`...');
const charts = h('div', { id: 'charts', class: 'grid' });
const extras = h('div', { id: 'extras' });
const picker = h('input', { type: 'file', 'aria-label': 'open a run folder', multiple: true });
picker.setAttribute('webkitdirectory', '');
const drop = h('label', { class: 'drop panel', id: 'drop' }, 'Open or drop a run folder (one with metrics.jsonl): ', picker);
main.append(drop, list, charts, extras);

const runs: Run[] = [];
const selected = new Set<number>();

/** metrics.jsonl to events; a broken line names its number (the CLI's reader says the same). */
function parseEvents(text: string, name: string): Run['events'] {
  const out: Run['events'] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let e: unknown;
    try {
      e = JSON.parse(line);
    } catch {
      throw new Error(`${name}/metrics.jsonl:${i + 1} is not a JSON line`);
    }
    if (typeof e === 'object' && e !== null && typeof (e as { step?: unknown }).step === 'number') out.push(e as Run['events'][number]);
  });
  return out;
}

function addRun(run: Run): void {
  runs.push(run);
  selected.add(runs.length - 1);
  renderList();
  renderCharts();
}

function renderList(): void {
  if (runs.length === 0) return;
  list.replaceChildren(h('strong', { text: `${runs.length} run${runs.length > 1 ? 's' : ''}` }), ...runs.map((r, i) => {
    const box = h('input', { type: 'checkbox', 'data-run': r.name });
    box.checked = selected.has(i);
    box.addEventListener('change', () => (box.checked ? selected.add(i) : selected.delete(i), renderCharts()));
    const steps = r.events.length ? Math.max(...r.events.map((e) => e.step)) : 0;
    return h('label', { class: 'run' }, h('br'), box, ` ${r.name} `, h('span', { class: 'note', text: `${r.kind || 'run'} · ${steps} steps · ${r.events.length} events` }));
  }));
}

/** One chart per metric (loss, acc, fitness, ...), one line per run and split. */
function renderCharts(): void {
  const shown = runs.filter((_, i) => selected.has(i));
  const metrics = new Set<string>();
  for (const r of shown) for (const e of r.events) for (const [k, v] of Object.entries(e)) if (typeof v === 'number' && !['step', 'elapsed', 'lr', 'time'].includes(k)) metrics.add(k);
  charts.replaceChildren();
  for (const metric of metrics) {
    const lines: { label: string; points: Map<number, number> }[] = [];
    for (const r of shown) {
      const bySplit = new Map<string, Map<number, number>>();
      for (const e of r.events) {
        const v = e[metric];
        if (typeof v !== 'number') continue;
        const split = e.split ?? '';
        if (!bySplit.has(split)) bySplit.set(split, new Map());
        bySplit.get(split)!.set(e.step, v);
      }
      for (const [split, points] of bySplit) lines.push({ label: `${r.name}${split ? ' ' + split : ''}`, points });
    }
    if (lines.length === 0) continue;
    const xs = [...new Set(lines.flatMap((l) => [...l.points.keys()]))].sort((a, b) => a - b);
    const chart = new LineChart({ title: metric, series: lines.map((l) => l.label) });
    charts.append(h('div', { class: 'panel', 'data-metric': metric }, chart.el));
    chart.set(xs, lines.map((l) => xs.map((x) => l.points.get(x) ?? null)));
  }
  charts.dataset.charts = String(charts.childElementCount);
  extras.replaceChildren(...shown.filter((r) => r.samples || r.picture).map((r) => h('div', { class: 'panel' }, h('h2', { text: r.name }),
    r.picture ? h('img', { src: r.picture, alt: `curves of ${r.name}`, style: 'max-width:100%' }) : null,
    r.samples ? h('pre', { class: 'samples', text: r.samples }) : null)));
}

// Runs the server was started with (`gradpath lab runs/`).
interface Listed { root: number; index: number; name: string; kind: string; files: string[] }
async function loadServed(): Promise<void> {
  await listServed();
  list.dataset.loaded = String(runs.length);
}

async function listServed(): Promise<void> {
  let listed: Listed[];
  try {
    const res = await fetch('./api/runs');
    if (!res.ok) throw new Error(String(res.status));
    listed = (await res.json()) as Listed[];
  } catch {
    list.textContent = 'No runs served here: open a run folder above.';
    return;
  }
  if (listed.length === 0) {
    list.textContent = 'No runs served here: `gradpath lab runs/` shows every run under runs/. Or open a run folder above.';
    return;
  }
  for (const l of listed) {
    const url = (f: string) => `./api/runs/${l.root}/${l.index}/${f}`;
    const text = async (f: string) => (l.files.includes(f) ? (await fetch(url(f))).text() : undefined);
    const config = JSON.parse((await text('config.json')) ?? '{}') as Record<string, unknown>;
    addRun({ name: l.name, kind: l.kind, config, events: parseEvents((await text('metrics.jsonl'))!, l.name), samples: await text('samples.txt'), picture: l.files.includes('curves.svg') ? url('curves.svg') : undefined });
  }
}

/** Files of a picked or dropped folder, grouped by the folder that holds each metrics.jsonl. */
async function addFiles(files: { path: string; file: File }[]): Promise<void> {
  const dirs = files.filter((f) => f.path.endsWith('metrics.jsonl')).map((f) => f.path.slice(0, -'metrics.jsonl'.length));
  if (dirs.length === 0) return void (list.textContent = 'That folder has no metrics.jsonl: open a run directory made by the CLI (e.g. runs/micrograd).');
  for (const dir of dirs) {
    const get = (name: string) => files.find((f) => f.path === dir + name)?.file;
    const name = dir.replace(/\/$/, '') || 'run';
    try {
      const config = get('config.json') ? (JSON.parse(await get('config.json')!.text()) as Record<string, unknown>) : {};
      const curves = get('curves.svg');
      addRun({ name, kind: String(config.kind ?? ''), config, events: parseEvents(await get('metrics.jsonl')!.text(), name), samples: await get('samples.txt')?.text(), picture: curves && URL.createObjectURL(curves) });
    } catch (err) {
      list.append(h('p', { class: 'warn', text: (err as Error).message }));
    }
  }
}

picker.addEventListener('change', () => void addFiles([...(picker.files ?? [])].map((file) => ({ path: file.webkitRelativePath || file.name, file }))));

/** Walks a dropped folder (the File and Directory Entries API, in every current browser). */
async function walk(entry: FileSystemEntry, out: { path: string; file: File }[]): Promise<void> {
  if (entry.isFile) {
    const file = await new Promise<File>((ok, fail) => (entry as FileSystemFileEntry).file(ok, fail));
    out.push({ path: entry.fullPath.replace(/^\//, ''), file });
  } else if (entry.isDirectory) {
    const reader = (entry as FileSystemDirectoryEntry).createReader();
    for (;;) {
      const batch = await new Promise<FileSystemEntry[]>((ok, fail) => reader.readEntries(ok, fail));
      if (batch.length === 0) break;
      for (const e of batch) await walk(e, out);
    }
  }
}
drop.addEventListener('dragover', (e) => e.preventDefault());
drop.addEventListener('drop', (e) => {
  e.preventDefault();
  const entries = [...(e.dataTransfer?.items ?? [])].map((i) => i.webkitGetAsEntry()).filter((x): x is FileSystemEntry => x !== null);
  void (async () => {
    const files: { path: string; file: File }[] = [];
    for (const entry of entries) await walk(entry, files);
    await addFiles(files);
  })();
});

void loadServed();
