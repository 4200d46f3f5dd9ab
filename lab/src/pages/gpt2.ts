import '../shims/process.js';
import ranksUrl from '../../../dist/src/chapters/gpt2/gpt2_ranks.json?url';
import { parseTiktokenRanks, EOT, EOT_TEXT, GPT2_VOCAB_SIZE } from '../../../src/chapters/gpt2/gpt2_tokenizer.js';
import { GPT2_SPLIT_PATTERN, tokenizerFromRanks, type Tokenizer } from '../../../src/chapters/gpt2/bpe.js';
import SampleWorker from '../worker/sample-worker.ts?worker';
import type { SampleReply, SampleRequest } from '../worker/sample-worker.js';
import { h } from '../ui/dom.js';
import { layout } from '../ui/layout.js';

const main = layout('gpt2', 'GPT-2: the tokenizer, and sampling from your runs',
  `GPT-2 reads bytes merged into ${GPT2_VOCAB_SIZE.toLocaleString('en')} tokens by byte-pair encoding: the text is first split into words, numbers and punctuation by a regular expression, then each piece's bytes are merged pair by pair in the order the merges were learned. Type below: each coloured block is one token, with its id. These are the ids \`gradpath bpe encode\` prints, from the same code.`);

const params = new URLSearchParams(location.search);
const input = h('textarea', { rows: 5, id: 'tok-input', 'aria-label': 'text to tokenize' });
input.value = params.get('text') ?? 'Hello world! Tokenizers split "unbelievably" into pieces: 12345 + 678 = 13023.\n<|endoftext|>';
const tokensBox = h('div', { class: 'tokens panel', id: 'tokens', 'aria-live': 'polite' });
const idsBox = h('code', { id: 'ids', class: 'mono' });
const summary = h('p', { class: 'status', id: 'tok-summary' }, 'Loading the 50,000 merges...');
main.append(input, summary, tokensBox, h('h2', { text: 'Ids' }), h('pre', { class: 'samples' }, idsBox),
  h('p', { class: 'note', text: `<|endoftext|> is the special token ${EOT}, which separates documents in training.` }));

const COLORS = ['#fde68a', '#bbf7d0', '#bfdbfe', '#fbcfe8', '#ddd6fe', '#fed7aa'];

/** The text a token stands for; a token holding part of a multi-byte character shows its bytes. */
function shown(tok: Tokenizer, id: number): string {
  const text = tok.decode([id]);
  if (!text.includes('\ufffd')) return text;
  return Array.from(tok.decodeBytes([id]), (b) => `\\x${b.toString(16).padStart(2, '0')}`).join('');
}

async function load(): Promise<Tokenizer> {
  const res = await fetch(ranksUrl);
  if (!res.ok) throw new Error(`cannot fetch the GPT-2 merges (${ranksUrl}): HTTP ${res.status}`);
  const ranks = parseTiktokenRanks(((await res.json()) as { bpe_ranks: string }).bpe_ranks);
  return tokenizerFromRanks(ranks, GPT2_SPLIT_PATTERN, { [EOT_TEXT]: EOT });
}

load().then((tok) => {
  const update = () => {
    const ids = tok.encode(input.value, 'all');
    tokensBox.replaceChildren(...ids.map((id, i) => h('span', { style: `background:${COLORS[i % COLORS.length]}`, title: `id ${id}`, 'data-id': id }, shown(tok, id))));
    idsBox.textContent = JSON.stringify(ids);
    summary.textContent = `${ids.length} tokens, ${new TextEncoder().encode(input.value).length} bytes, ${Array.from(input.value).length} characters`;
    summary.dataset.ready = 'true';
    history.replaceState(null, '', `?${new URLSearchParams({ text: input.value })}`);
  };
  input.addEventListener('input', update);
  update();
}).catch((err: Error) => {
  summary.textContent = err.message;
  summary.classList.add('warn');
});

// ---------------------------------------------------------------- sampling from a run

interface ListedRun { root: number; index: number; name: string; kind: string; files: string[] }

const runSelect = h('select', { id: 'gen-run', 'aria-label': 'checkpoint to sample from' });
const num = (id: string, label: string, value: number, attrs: Record<string, number | string> = {}) => {
  const input = h('input', { type: 'number', id, value: params.get(id) ?? value, ...attrs });
  return { input, label: h('label', {}, `${label} `, input) };
};
const promptInput = h('input', { type: 'text', size: 40, id: 'gen-prompt', 'aria-label': 'prompt' });
promptInput.value = params.get('prompt') ?? '';
const maxTokens = num('gen-tokens', 'tokens', 64, { min: 1, max: 1024 });
const topK = num('gen-topk', 'top-k', 50, { min: 1 });
const temperature = num('gen-temperature', 'temperature', 1, { min: 0, step: 0.1 });
const seed = num('gen-seed', 'seed', 42, { min: 0 });
const count = num('gen-count', 'samples', 1, { min: 1, max: 10 });
const fileInput = h('input', { type: 'file', id: 'gen-file', accept: '.safetensors', 'aria-label': 'open a checkpoint from the disk' });
const sampleButton = h('button', { type: 'button', id: 'gen-sample', disabled: true }, 'Sample');
const genStatus = h('p', { class: 'status', id: 'gen-status' }, 'Looking for runs...');
const genOut = h('pre', { class: 'samples', id: 'gen-samples' });
main.append(
  h('h2', { text: 'Sampling from a model trained with the CLI' }),
  h('p', { text: 'Train a GPT-2 with `gradpath gpt2 prepare` and `gradpath gpt2 train --out runs/NAME`, then serve the lab with `gradpath lab runs/`: each run\'s best.safetensors and latest.safetensors appear below. The model is built in this tab with the chapter\'s code and samples as `gradpath gpt2 sample --init-from runs/NAME/latest.safetensors` does (same tokenizer, same top-k sampler; the same seed gives the same text on the same backend).' }),
  h('div', { class: 'controls' }, h('label', {}, 'checkpoint ', runSelect), h('label', {}, 'or open one (read in this tab, never uploaded) ', fileInput), h('label', {}, 'prompt ', promptInput),
    maxTokens.label, topK.label, temperature.label, seed.label, count.label, sampleButton),
  genStatus, genOut);

let sampler: Worker | null = null;

async function listCheckpoints(): Promise<void> {
  const res = await fetch('./api/runs');
  const runs = res.ok ? ((await res.json()) as ListedRun[]) : [];
  const options = runs.filter((r) => r.kind === 'gpt2').flatMap((r) => r.files.filter((f) => f.endsWith('.safetensors'))
    .map((f) => h('option', { value: `./api/runs/${r.root}/${r.index}/${f}` }, `${r.name}/${f}`)));
  runSelect.replaceChildren(...options);
  const wanted = params.get('checkpoint');
  if (wanted && options.some((o) => o.value === wanted)) runSelect.value = wanted;
  sampleButton.disabled = options.length === 0 && !fileInput.files?.length;
  genStatus.textContent = options.length
    ? `${options.length} checkpoint${options.length > 1 ? 's' : ''} found.`
    : 'No GPT-2 run is served: start the lab with `gradpath lab runs/` (the folder holding your `gradpath gpt2 train --out` runs), or open a best.safetensors or latest.safetensors.';
}

async function startSampling(): Promise<void> {
  // the status says "working" at once, before the file is read (a reader of the status, the
  // tests included, must never see the last sample's "ready" after a new click)
  delete genStatus.dataset.ready;
  genStatus.classList.remove('warn');
  genStatus.textContent = 'Loading the checkpoint and sampling...';
  const file = fileInput.files?.[0];
  const request: SampleRequest = { // an absolute URL: a worker resolves relative ones against its own script
    url: new URL(runSelect.value, location.href).href, prompt: promptInput.value, maxNewTokens: Number(maxTokens.input.value), topK: Number(topK.input.value),
    temperature: Number(temperature.input.value), seed: Number(seed.input.value), numSamples: Number(count.input.value),
  };
  if (file) Object.assign(request, { url: file.name, bytes: new Uint8Array(await file.arrayBuffer()) });
  const q = new URLSearchParams(location.search);
  if (!file) q.set('checkpoint', runSelect.value); q.set('prompt', request.prompt);
  for (const f of [maxTokens, topK, temperature, seed, count]) q.set(f.input.id, f.input.value);
  history.replaceState(null, '', `?${q}`);
  sampler ??= new SampleWorker();
  sampleButton.disabled = true;
  genOut.textContent = '';
  const texts: string[] = [];
  sampler.onmessage = (e: MessageEvent<SampleReply>) => {
    const m = e.data;
    if (m.type === 'loaded') genStatus.dataset.model = `${m.params.toLocaleString('en')} parameters, step ${m.step}, ${m.backend}`;
    else if (m.type === 'sample') {
      texts.push(m.text);
      genOut.textContent = request.numSamples > 1 ? texts.map((t, i) => `--- sample ${i + 1} ---\n${t}`).join('\n') : texts[0];
    } else if (m.type === 'done') {
      genStatus.textContent = `${texts.length} sample${texts.length > 1 ? 's' : ''} from a model of ${genStatus.dataset.model ?? 'the same checkpoint'}.`;
      genStatus.dataset.ready = 'true';
      sampleButton.disabled = false;
    } else {
      genStatus.textContent = m.message;
      genStatus.classList.add('warn');
      sampleButton.disabled = false;
    }
  };
  sampler.postMessage(request, request.bytes ? [request.bytes.buffer] : []);
}

sampleButton.addEventListener('click', () => void startSampling());
fileInput.addEventListener('change', () => {
  sampleButton.disabled = !fileInput.files?.length && runSelect.options.length === 0;
  if (fileInput.files?.length) genStatus.textContent = `${fileInput.files[0].name}: a checkpoint of \`gradpath gpt2 train\`, read in this tab.`;
});
listCheckpoints().catch((err: Error) => {
  genStatus.textContent = `cannot list the runs: ${err.message}`;
  genStatus.classList.add('warn');
});
