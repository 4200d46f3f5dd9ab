/**
 * The lab in a real browser (Debian's Chromium, driven by playwright-core): every page loads
 * without a console error, fits a phone-sized screen and is screenshotted; a short training on each training page lowers
 * the loss; the birds move; the tokenizer shows the CLI's ids; the runs viewer opens run
 * directories the CLI made. Skips, saying why, where Chromium is missing.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { browserSkip, data, fitsPhone, openPage, ROOT, SHOTS, startLab, trainToEnd, waitFor, type Lab } from './browser.js';
import { Generator } from '../../src/util/random.js';

const skip = await browserSkip();
if (skip) console.log(`# skipping the lab's browser tests: ${skip}`);
const CLI = join(ROOT, 'bin', 'gradpath.js');
let lab: Lab;
let runs: string;

function cli(args: string[], input?: string): string {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', input, env: { ...process.env, CI: '1' } });
  assert.equal(r.status, 0, `gradpath ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

before(async () => {
  if (skip) return;
  runs = mkdtempSync(join(tmpdir(), 'gradpath-lab-runs-'));
  cli(['micrograd', '--engine', 'fast', '--steps', '15', '-o', join(runs, 'moons-a')]);
  cli(['micrograd', '--engine', 'fast', '--steps', '15', '--seed', '3', '-o', join(runs, 'moons-b')]);
  // a tiny GPT-2 (the full vocabulary, so any prompt encodes; 16 channels), trained for a few steps
  writeFileSync(join(runs, 'text.txt'), 'First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n'.repeat(40));
  cli(['gpt2', 'prepare', '-i', join(runs, 'text.txt'), '-o', join(runs, 'shards'), '--val-tokens', '200']);
  rmSync(join(runs, 'text.txt'));
  cli(['gpt2', 'train', '--data', join(runs, 'shards'), '--n-layer', '1', '--n-head', '2', '--n-embd', '16', '--block-size', '16',
    '--batch-size', '4', '--seq-len', '16', '--max-steps', '6', '--eval-every', '3', '--eval-steps', '1', '--max-new-tokens', '2', '-o', join(runs, 'tiny-gpt2')]);
  lab = await startLab([runs]);
});

after(async () => {
  if (skip) return;
  await lab.close();
  rmSync(runs, { recursive: true, force: true });
});

const opts = { skip: skip ?? false, timeout: 90_000 };

test('home: the path in order, every page linked, no console error', opts, async () => {
  const { page, errors } = await openPage(lab, '');
  const chapters = await page.$$eval('tr[data-chapter]', (rows) => rows.map((r) => r.getAttribute('data-chapter')));
  assert.deepEqual(chapters.slice(0, 7), ['grokking', 'micrograd', 'makemore', 'transformers', 'GPT-2', 'physics', 'distributed']);
  // every chapter has its page now; those that run only in the CLI say so
  const rows = await page.$$eval('tr[data-chapter]', (trs) => trs.map((r) => [r.getAttribute('data-chapter'), r.querySelector('a')?.getAttribute('href') ?? null, r.querySelector('.badge')!.textContent]));
  for (const [chapter, href] of rows) assert.ok(href, `${chapter} has a page`);
  for (const chapter of ['physics', 'distributed', 'vision']) assert.equal(rows.find((r) => r[0] === chapter)?.[2], 'not here yet', chapter);
  assert.equal((await data(page, '#isolation')).isolated, 'true', 'gradpath lab sends COOP/COEP');
  await page.screenshot({ path: join(SHOTS, 'home.png'), fullPage: true });
  assert.ok(await fitsPhone(page) <= 1, 'fits a phone-sized screen');
  assert.deepEqual(errors, []);
  await page.close();
});

for (const [page, command, picture] of [['vision', 'gradpath vision train', 'vision-cnn-filters'], ['physics', 'gradpath physics knowledge', 'physics-compare'], ['distributed', 'gradpath launch', 'distributed-timeline']]) {
  test(`${page}: the chapter's results from its doc (tables, pictures that load), its command, and that it runs in the CLI`, opts, async () => {
    const { page: tab, errors } = await openPage(lab, `${page}.html`);
    assert.match(await tab.$eval('#not-here', (e) => e.textContent!), /not in the browser yet/);
    assert.match(await tab.$eval('#command', (e) => e.textContent!), new RegExp(command));
    assert.ok(await tab.$$eval('#doc table tbody tr', (rows) => rows.length) >= 3, 'a results table');
    const pictures = await tab.$$eval('#doc img', (imgs) => imgs.map((i) => i.getAttribute('src')!));
    assert.ok(pictures.some((src) => src.includes(picture)), pictures.join(', '));
    await waitFor(tab, `[...document.querySelectorAll('#doc img')].every((i) => i.complete && i.naturalWidth > 0)`); // every picture loads
    await tab.screenshot({ path: join(SHOTS, `${page}.png`) });
    assert.ok(await fitsPhone(tab) <= 1, 'fits a phone-sized screen');
    assert.deepEqual(errors, []);
    await tab.close();
  });
}

test('micrograd: the expression graph steps backward; a short moons training lowers the loss', opts, async () => {
  const { page, errors } = await openPage(lab, 'micrograd.html?steps=25');
  await page.waitForSelector('#graph svg');
  const before = Number((await data(page, '#graph')).pending);
  await page.getByRole('button', { name: /Backward one node/ }).click();
  await waitFor(page, `Number(document.querySelector('#graph').dataset.pending) === ${before - 1}`);
  const r = await trainToEnd(page);
  assert.equal(r.state.split(':')[0], 'done', r.state);
  assert.ok(r.last < r.first, `loss ${r.first} -> ${r.last}`);
  assert.match(await page.$eval('#backend', (e) => e.textContent!), /wasm SIMD/);
  await page.screenshot({ path: join(SHOTS, 'micrograd.png'), fullPage: true });
  assert.ok(await fitsPhone(page) <= 1, 'fits a phone-sized screen');
  await page.screenshot({ path: join(SHOTS, 'micrograd-phone.png') });
  assert.ok(await fitsPhone(page) <= 1, 'fits a phone-sized screen');
  assert.deepEqual(errors, []);
  await page.close();
});

test('makemore: a short MLP training lowers the loss and samples; pause and resume', opts, async () => {
  const { page, errors } = await openPage(lab, 'makemore.html?type=mlp&steps=150&evalEvery=75&batch=32&lr=0.01');
  await page.waitForSelector('#heatmap svg');
  await page.getByRole('button', { name: 'Train' }).click();
  await waitFor(page, `Number(document.querySelector('#status').dataset.step) > 0`);
  await page.keyboard.press('k'); // pause
  await waitFor(page, `document.querySelector('#status').dataset.state === 'paused'`);
  const pausedAt = (await data(page, '#status')).step;
  await page.waitForTimeout(300);
  assert.equal((await data(page, '#status')).step, pausedAt, 'no steps while paused');
  await page.keyboard.press('k'); // resume
  await waitFor(page, `document.querySelector('#status').dataset.state === 'done'`, 60_000);
  const d = await data(page, '#status');
  assert.ok(Number(d.lastLoss) < Number(d.firstLoss), `loss ${d.firstLoss} -> ${d.lastLoss}`);
  assert.match(await page.$eval('#samples', (e) => e.textContent!), /after step \d+/);
  assert.match(page.url(), /type=mlp&steps=150/, 'settings in the URL');
  await page.screenshot({ path: join(SHOTS, 'makemore.png'), fullPage: true });
  assert.ok(await fitsPhone(page) <= 1, 'fits a phone-sized screen');
  assert.deepEqual(errors, []);
  await page.close();
});

test('grokking: a short quick-preset run lowers the loss and draws the spectrum', opts, async () => {
  const { page, errors } = await openPage(lab, 'grokking.html?epochs=60&evalEvery=10');
  const r = await trainToEnd(page);
  assert.ok(r.last < r.first, `loss ${r.first} -> ${r.last}`);
  await page.waitForSelector('#spectrum svg');
  await page.screenshot({ path: join(SHOTS, 'grokking.png'), fullPage: true });
  assert.ok(await fitsPhone(page) <= 1, 'fits a phone-sized screen');
  assert.deepEqual(errors, []);
  await page.close();
});

test('transformers: the tiny char GPT lowers its loss on pasted text; attention maps for a prompt', opts, async () => {
  const { page, errors } = await openPage(lab, 'transformers.html?steps=60&evalEvery=30&nLayer=1&nEmbd=32&blockSize=16&batch=8');
  const g = new Generator(5);
  const words = ['the', 'cat', 'sat', 'on', 'a', 'mat', 'and', 'dog', 'ran', 'far'];
  const text = Array.from({ length: 1500 }, () => words[g.randint(0, words.length)]).join(' ');
  await page.fill('#text', text);
  await page.fill('#prompt', 'the cat sat');
  const r = await trainToEnd(page);
  assert.ok(r.last < r.first, `loss ${r.first} -> ${r.last}`);
  // cross-origin isolated: the wasm backend's helper threads (kernel-worker.ts) took part
  const cores = await page.evaluate('navigator.hardwareConcurrency') as number;
  if (cores > 1) assert.ok(Number((await data(page, '#backend')).threads) > 1, `threads ${(await data(page, '#backend')).threads} on ${cores} cores`);
  await page.waitForSelector('#attention svg');
  // a new prompt typed after training: its maps come from the trained model in the worker
  await page.fill('#prompt', 'a dog ran');
  await page.press('#prompt', 'Enter');
  await waitFor(page, `document.querySelector('#attention').dataset.prompt === 'a dog ran'`);
  assert.equal(await page.$$eval('#attention svg', (els) => els.length), 1);
  // the four designs side by side for the page's sizes (4 heads of 8 channels): MHA 2*4*8, GQA 2*2*8, MQA 2*8
  const kv = () => page.$$eval('#kv tr[data-design]', (rows) => rows.map((r) => [r.getAttribute('data-design'), Number(r.getAttribute('data-elements')), r.getAttribute('data-current') !== null]));
  const rows = await kv();
  assert.deepEqual(rows.map((r) => r[0]), ['MHA', 'GQA', 'MQA', 'MLA']);
  assert.deepEqual(rows.slice(0, 3).map((r) => r[1]), [64, 32, 16]);
  assert.deepEqual(rows.map((r) => r[2]), [true, false, false, false]);
  await page.selectOption('select[name=attention]', 'mla');
  await waitFor(page, `document.querySelector('#kv tr[data-design=MLA]').hasAttribute('data-current')`);
  await page.screenshot({ path: join(SHOTS, 'transformers.png'), fullPage: true });
  assert.ok(await fitsPhone(page) <= 1, 'fits a phone-sized screen');
  assert.deepEqual(errors, []);
  await page.close();
});

test('GPT-2 tokenizer: the same ids as `gradpath bpe encode`', opts, async () => {
  const text = 'Hello world! Ünïcödé, emoji 🙂 and numbers 1234567 -- "quotes"\n  indented <|endoftext|> end';
  const { page, errors } = await openPage(lab, `gpt2.html?${new URLSearchParams({ text })}`);
  await waitFor(page, `document.querySelector('#tok-summary').dataset.ready === 'true'`);
  const ids = JSON.parse(await page.$eval('#ids', (e) => e.textContent!));
  assert.deepEqual(ids, JSON.parse(cli(['bpe', 'encode'], text)));
  await page.screenshot({ path: join(SHOTS, 'gpt2.png'), fullPage: true });
  assert.ok(await fitsPhone(page) <= 1, 'fits a phone-sized screen');
  assert.deepEqual(errors, []);
  await page.close();
});

test('GPT-2 sampling: a model trained with the CLI, loaded from its run directory, samples what `gradpath gpt2 sample` does', opts, async () => {
  const prompt = 'Before we', q = { 'gen-tokens': '12', 'gen-topk': '20', 'gen-seed': '7' };
  const { page, errors } = await openPage(lab, `gpt2.html?${new URLSearchParams({ prompt, ...q })}`);
  await waitFor(page, `!document.querySelector('#gen-sample').disabled`);
  const checkpoints = await page.$$eval('#gen-run option', (els) => els.map((e) => e.textContent!));
  assert.deepEqual(checkpoints.map((c) => c.replace(/^.*tiny-gpt2\//, '')), ['best.safetensors', 'latest.safetensors'], checkpoints.join(', '));
  await page.selectOption('#gen-run', { label: checkpoints[1] });
  await page.click('#gen-sample');
  await waitFor(page, `document.querySelector('#gen-status').dataset.ready === 'true' || document.querySelector('#gen-status').classList.contains('warn')`, 60_000);
  assert.equal((await data(page, '#gen-status')).ready, 'true', await page.$eval('#gen-status', (e) => e.textContent!));
  const text = await page.$eval('#gen-samples', (e) => e.textContent!);
  assert.ok(text.startsWith(prompt), text);
  // the CLI's tokenizer reads the sample back as the prompt's ids and 12 more
  const ids = JSON.parse(cli(['bpe', 'encode'], text)) as number[];
  assert.deepEqual(ids.slice(0, 2), JSON.parse(cli(['bpe', 'encode'], prompt)));
  assert.ok(ids.length >= 2 + 12 - 2 && ids.length <= 2 + 12 + 2, `${ids.length} ids for 12 new tokens`); // a re-encoding may merge or split at the seams
  const byCli = cli(['gpt2', 'sample', '--init-from', join(runs, 'tiny-gpt2', 'latest.safetensors'), '--prompt', prompt, '--max-new-tokens', '12', '--top-k', '20', '--seed', '7']);
  assert.equal(text, byCli.replace(/\n$/, ''), 'the same seed samples the same text as the CLI');
  // the same checkpoint opened from the disk (as on a static host), two samples
  await page.setInputFiles('#gen-file', join(runs, 'tiny-gpt2', 'best.safetensors'));
  await page.fill('#gen-count', '2');
  await page.click('#gen-sample');
  await waitFor(page, `document.querySelector('#gen-status').dataset.ready === 'true' || document.querySelector('#gen-status').classList.contains('warn')`, 60_000);
  assert.equal((await data(page, '#gen-status')).ready, 'true', await page.$eval('#gen-status', (e) => e.textContent!));
  const two = await page.$eval('#gen-samples', (e) => e.textContent!);
  assert.equal(two, cli(['gpt2', 'sample', '--init-from', join(runs, 'tiny-gpt2', 'best.safetensors'), '--prompt', prompt, '--max-new-tokens', '12', '--top-k', '20', '--seed', '7', '--num-samples', '2']).replace(/\n$/, ''));
  await page.screenshot({ path: join(SHOTS, 'gpt2-sample.png'), fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});

test('NEAT: a generation flies (the canvas changes between frames), the champion is drawn; XOR is solved', opts, async () => {
  const { page, errors } = await openPage(lab, 'neat.html?population=40&speed=5&maxPipes=3');
  await page.click('#evolve');
  const shot = () => page.$eval('#flappy', (c) => (c as unknown as { toDataURL(): string }).toDataURL());
  const a = await shot();
  await page.waitForTimeout(250);
  const b = await shot();
  assert.notEqual(a, b, 'the birds move');
  await page.waitForSelector('#champion svg', { timeout: 30_000 });
  await page.click('#evolve'); // pause the birds: XOR's evolution below gets the CPU
  await page.selectOption('select[name=task]', 'xor');
  const r = await trainToEnd(page, 60_000, '#task-status');
  assert.equal((await data(page, '#task-result')).solved, 'true', `XOR not solved: ${r.state}`);
  assert.ok(r.last > r.first, `best fitness ${r.first} -> ${r.last}`);
  await page.screenshot({ path: join(SHOTS, 'neat.png'), fullPage: true });
  assert.ok(await fitsPhone(page) <= 1, 'fits a phone-sized screen');
  assert.deepEqual(errors, []);
  await page.close();
});

test('runs viewer: opens the run directories the CLI made, curves side by side', opts, async () => {
  const { page, errors } = await openPage(lab, 'runs.html');
  await waitFor(page, `document.querySelector('#run-list').dataset.loaded !== undefined`);
  const names = await page.$$eval('#run-list input[data-run]', (els) => els.map((e) => e.getAttribute('data-run')));
  assert.equal(names.length, 3);
  assert.deepEqual(names.map((n) => n!.replace(/^.*[/\\]/, '')).sort(), ['moons-a', 'moons-b', 'tiny-gpt2'], names.join(', '));
  const metrics = await page.$$eval('#charts [data-metric]', (els) => els.map((e) => e.getAttribute('data-metric')));
  assert.ok(metrics.includes('loss'), metrics.join(', '));
  await page.screenshot({ path: join(SHOTS, 'runs.png'), fullPage: true });
  assert.ok(await fitsPhone(page) <= 1, 'fits a phone-sized screen');
  assert.deepEqual(errors, []);
  await page.close();
});


test('without COOP/COEP (a plain static host) a page says so and trains on one thread', opts, async () => {
  const plain = await startLab([], false);
  try {
    const { page, errors } = await openPage(plain, 'micrograd.html?steps=10');
    assert.equal((await data(page, '#isolation')).isolated, 'false');
    const r = await trainToEnd(page);
    assert.ok(r.last < r.first, `loss ${r.first} -> ${r.last}`);
    const engine = await data(page, '#backend');
    assert.equal(engine.threads, '1');
    assert.equal(engine.backend, 'wasm', await page.textContent('#backend') ?? '');
    assert.deepEqual(errors, []);
  } finally {
    await plain.close();
  }
});
