import '../shims/process.js';
import ranksUrl from '../../../dist/src/chapters/gpt2/gpt2_ranks.json?url';
import { parseTiktokenRanks, EOT, EOT_TEXT, GPT2_VOCAB_SIZE } from '../../../src/chapters/gpt2/gpt2_tokenizer.js';
import { GPT2_SPLIT_PATTERN, tokenizerFromRanks, type Tokenizer } from '../../../src/chapters/gpt2/bpe.js';
import { h } from '../ui/dom.js';
import { layout } from '../ui/layout.js';

const main = layout('gpt2', 'GPT-2: the tokenizer',
  `GPT-2 reads bytes merged into ${GPT2_VOCAB_SIZE.toLocaleString('en')} tokens by byte-pair encoding: the text is first split into words, numbers and punctuation by a regular expression, then each piece's bytes are merged pair by pair in the order the merges were learned. Type below: each coloured block is one token, with its id. These are the ids \`gradpath bpe encode\` prints, from the same code.`);

const params = new URLSearchParams(location.search);
const input = h('textarea', { rows: 5, id: 'tok-input', 'aria-label': 'text to tokenize' });
input.value = params.get('text') ?? 'Hello world! Tokenizers split "unbelievably" into pieces: 12345 + 678 = 13023.\n<|endoftext|>';
const tokensBox = h('div', { class: 'tokens panel', id: 'tokens', 'aria-live': 'polite' });
const idsBox = h('code', { id: 'ids', class: 'mono' });
const summary = h('p', { class: 'status', id: 'tok-summary' }, 'Loading the 50,000 merges...');
main.append(input, summary, tokensBox, h('h2', { text: 'Ids' }), h('pre', { class: 'samples' }, idsBox),
  h('p', { class: 'note', text: `<|endoftext|> is the special token ${EOT}, which separates documents in training. Sampling from a GPT-2 trained with the CLI stays in the CLI for now (gradpath gpt2 sample).` }));

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
