import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { GradpathError } from '../util/errors.js';

/**
 * The one way text commands read a text file (chargpt, encoder, makemore, bpe, gpt2 prepare,
 * hellaswag): a missing, empty, binary or non-UTF-8 file is refused with one line naming it,
 * instead of being trained on as garbage or failing deep inside a tokenizer.
 */

const SNIFF_BYTES = 1 << 16;

function problem(path: string, what: string): GradpathError {
  return new GradpathError(`${path}: ${what}`);
}

/** Why `bytes` (the whole file, or its start when `partial`) is not UTF-8 text; null when it is. */
function notText(bytes: Uint8Array, partial: boolean): string | null {
  const nul = bytes.indexOf(0);
  if (nul !== -1) return `not a text file (a zero byte at offset ${nul}: binary data?); give a plain-text UTF-8 file`;
  try {
    // stream: true lets a character cut at the end of a partial read pass
    new TextDecoder('utf-8', { fatal: true }).decode(bytes, { stream: partial });
  } catch {
    return 'not UTF-8 text (binary data, or another encoding: convert it, e.g. `iconv -f latin1 -t utf-8`)';
  }
  return null;
}

function statFile(path: string): number {
  let st;
  try {
    st = statSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw problem(path, code === 'ENOENT' ? 'does not exist' : `cannot read it (${code})`);
  }
  if (st.isDirectory()) throw problem(path, 'is a directory; give a text file');
  if (st.size === 0) throw problem(path, 'is empty; give a text file with some text in it');
  return st.size;
}

/** Checks a text file without reading all of it (for streaming readers): exists, not empty, starts as UTF-8 text. */
export function checkTextFile(path: string): void {
  const size = statFile(path);
  const head = Buffer.alloc(Math.min(size, SNIFF_BYTES));
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw problem(path, `cannot read it (${(err as NodeJS.ErrnoException).code})`);
  }
  try {
    readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  const why = notText(head, head.length < size);
  if (why) throw problem(path, why);
  if (head.length === size && head.toString('utf8').trim() === '') throw problem(path, 'has only whitespace; give a text file with some text in it');
}

/** Reads a whole UTF-8 text file; refuses a missing, empty, whitespace-only, binary or non-UTF-8 one. */
export function readTextFile(path: string): string {
  statFile(path);
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw problem(path, `cannot read it (${(err as NodeJS.ErrnoException).code})`);
  }
  const why = notText(bytes, false);
  if (why) throw problem(path, why);
  const text = bytes.toString('utf8');
  if (text.trim() === '') throw problem(path, 'has only whitespace; give a text file with some text in it');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text; // a byte-order mark is not content
}
