import { GradpathError } from '../../util/errors.js';

/**
 * Byte-level byte-pair encoding: text -> UTF-8 bytes -> token ids, by repeatedly merging the
 * adjacent pair of tokens that was merged earliest during training. Three ideas make it:
 *   1. a regex pre-split into pieces (words, numbers, punctuation, whitespace runs), so merges
 *      never cross a word boundary and the same word always gets the same tokens;
 *   2. merges ranked by order: a merged token's id is its rank, lower = learned earlier;
 *   3. special tokens (<|endoftext|>) matched before the pre-split, as single ids.
 * The same class encodes with a vocabulary we train (bpe_train.ts) and with GPT-2's.
 */

/** GPT-2's pre-split (as in tiktoken's r50k_base/gpt2 encodings). */
export const GPT2_SPLIT_PATTERN = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
/** GPT-4's (cl100k_base): case-insensitive contractions, numbers in groups of at most 3, newlines kept apart. */
export const GPT4_SPLIT_PATTERN =
  "('s|'S|'t|'T|'re|'rE|'Re|'RE|'ve|'vE|'Ve|'VE|'m|'M|'ll|'lL|'Ll|'LL|'d|'D)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

export type AllowedSpecial = 'all' | 'none';

/** Key of an adjacent pair (left, right) in one number: ids stay below 2^21, so the key is exact. */
const PAIR_SHIFT = 2 ** 21;
export const pairKey = (left: number, right: number): number => left * PAIR_SHIFT + right;

/**
 * (left, right) -> merged id, as an open-addressing hash table in typed arrays. A Map keyed by
 * pairKey works too but its keys are not small integers, which makes it several times slower.
 */
export class PairTable {
  private lefts: Int32Array;
  private rights: Int32Array;
  private values: Int32Array;
  private mask: number;
  size = 0;
  constructor(capacity = 1024) {
    let cap = 16;
    while (cap < capacity * 2) cap *= 2;
    this.lefts = new Int32Array(cap).fill(-1);
    this.rights = new Int32Array(cap);
    this.values = new Int32Array(cap);
    this.mask = cap - 1;
  }
  private slot(left: number, right: number): number {
    let h = (Math.imul(left, 0x9e3779b1) ^ Math.imul(right, 0x85ebca6b)) & this.mask;
    while (this.lefts[h] !== -1 && (this.lefts[h] !== left || this.rights[h] !== right)) h = (h + 1) & this.mask;
    return h;
  }
  /** The merged id, or -1 when the pair never merges. */
  get(left: number, right: number): number {
    const h = this.slot(left, right);
    return this.lefts[h] === -1 ? -1 : this.values[h];
  }
  set(left: number, right: number, value: number): void {
    if ((this.size + 1) * 2 > this.mask + 1) this.grow();
    const h = this.slot(left, right);
    if (this.lefts[h] === -1) this.size++;
    this.lefts[h] = left;
    this.rights[h] = right;
    this.values[h] = value;
  }
  private grow(): void {
    const { lefts, rights, values } = this;
    const cap = (this.mask + 1) * 2;
    this.lefts = new Int32Array(cap).fill(-1);
    this.rights = new Int32Array(cap);
    this.values = new Int32Array(cap);
    this.mask = cap - 1;
    this.size = 0;
    for (let i = 0; i < lefts.length; i++) if (lefts[i] !== -1) this.set(lefts[i], rights[i], values[i]);
  }
}

/** Latin-1 string of bytes: a cheap exact Map key for a byte sequence. */
export function bytesKey(bytes: Uint8Array | number[]): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
  return s;
}

const utf8 = new TextEncoder();

export class Tokenizer {
  /** id -> its bytes (special tokens included, as the UTF-8 of their text). */
  readonly vocab: Uint8Array[];
  readonly specialTokens: Map<string, number>;
  readonly pattern: string | null;
  /** (left, right) -> the id of the merged token, which is also its rank. */
  private readonly merges: PairTable;
  /** byte value -> id of its single-byte token (GPT-2 does not use id = byte). */
  private readonly byteIds = new Int32Array(256).fill(-1);
  private readonly splitRegex: RegExp | null;
  private readonly specialRegex: RegExp | null;
  /** piece text -> ids: real text repeats its words, so most pieces are encoded once. */
  private readonly cache = new Map<string, number[]>();
  /** The merges as trained, (left, right) for ids 256.. in order; null when built from ranks. */
  private readonly mergeList: [number, number][] | null;

  constructor(opts: { vocab: Uint8Array[]; merges: PairTable; pattern: string | null; specialTokens?: Record<string, number>; mergeList?: [number, number][] }) {
    this.vocab = opts.vocab.slice();
    this.merges = opts.merges;
    this.mergeList = opts.mergeList ?? null;
    this.pattern = opts.pattern;
    this.splitRegex = opts.pattern === null ? null : new RegExp(opts.pattern, 'gu');
    for (let id = 0; id < this.vocab.length; id++) {
      const b = this.vocab[id];
      if (b && b.length === 1 && this.byteIds[b[0]] < 0) this.byteIds[b[0]] = id;
    }
    for (let v = 0; v < 256; v++) if (this.byteIds[v] < 0) throw new GradpathError(`tokenizer: no token for byte ${v}`);
    this.specialTokens = new Map(Object.entries(opts.specialTokens ?? {}));
    for (const [text, id] of this.specialTokens) this.vocab[id] = utf8.encode(text);
    const names = [...this.specialTokens.keys()].sort((a, b) => b.length - a.length); // longest first
    this.specialRegex = names.length ? new RegExp(names.map(escapeRegex).join('|'), 'g') : null;
  }

  /**
   * Every merged token as the pair (left, right) it was made from, in rank order: the trained
   * list when there is one; for a tokenizer from ranks (tiktoken's files keep no pairs), the two
   * parts that BPE with only the lower-ranked merges leaves of the token's bytes.
   */
  mergePairs(): { id: number; pair: [number, number] }[] {
    if (this.mergeList) return this.mergeList.map((pair, i) => ({ id: 256 + i, pair }));
    const specials = new Set(this.specialTokens.values());
    const out: { id: number; pair: [number, number] }[] = [];
    for (let id = 0; id < this.vocab.length; id++) {
      const b = this.vocab[id];
      if (!b || b.length < 2 || specials.has(id)) continue;
      const parts = this.encodeBytes(b, id);
      if (parts.length !== 2) throw new GradpathError(`tokenizer: token ${id} is not one merge of two lower-ranked tokens (BPE leaves ${parts.length} parts)`);
      out.push({ id, pair: [parts[0], parts[1]] });
    }
    return out;
  }

  /** Forgets encoded pieces (benchmarks time a cold encoder with this). */
  clearCache(): void {
    this.cache.clear();
  }

  get vocabSize(): number {
    return this.vocab.length;
  }

  /**
   * The merge loop on one piece: start from single bytes, and while some adjacent pair has a
   * merge, apply the earliest-learned one (lowest rank; the leftmost if it occurs twice).
   * maxRank: only merges ranked below it (what the vocabulary looked like before token maxRank).
   */
  encodeBytes(bytes: Uint8Array | number[], maxRank = Infinity): number[] {
    const ids: number[] = new Array(bytes.length);
    for (let i = 0; i < bytes.length; i++) ids[i] = this.byteIds[bytes[i]];
    while (ids.length >= 2) {
      let best = Infinity, at = -1;
      for (let i = 0; i + 1 < ids.length; i++) {
        const merged = this.merges.get(ids[i], ids[i + 1]);
        if (merged >= 0 && merged < best && merged < maxRank) {
          best = merged;
          at = i;
        }
      }
      if (at < 0) break; // nothing left to merge
      ids.splice(at, 2, best); // (..., a, b, ...) -> (..., ab, ...)
    }
    return ids;
  }

  /** One pre-split piece, through the cache. */
  private encodePiece(piece: string, out: number[]): void {
    let ids = this.cache.get(piece);
    if (ids === undefined) {
      ids = this.encodeBytes(isAscii(piece) ? asciiBytes(piece) : utf8.encode(piece));
      if (this.cache.size >= 200_000) this.cache.clear(); // bound memory on huge vocabularies of pieces
      this.cache.set(piece, ids);
    }
    for (let i = 0; i < ids.length; i++) out.push(ids[i]);
  }

  /** Text without special tokens (any `<|endoftext|>` in it is encoded as plain text). */
  encodeOrdinary(text: string, out: number[] = []): number[] {
    const re = this.splitRegex;
    if (re === null) {
      if (text.length) this.encodePiece(text, out);
      return out;
    }
    re.lastIndex = 0;
    for (let m; (m = re.exec(text)) !== null; ) this.encodePiece(m[0], out);
    return out;
  }

  /** Encodes text; with allowedSpecial 'all' (the default) special-token text becomes its single id. */
  encode(text: string, allowedSpecial: AllowedSpecial = 'all'): number[] {
    const out: number[] = [];
    const sre = this.specialRegex;
    if (allowedSpecial === 'none' || sre === null) return this.encodeOrdinary(text, out);
    let start = 0;
    sre.lastIndex = 0;
    for (let m; (m = sre.exec(text)) !== null; ) {
      this.encodeOrdinary(text.slice(start, m.index), out);
      out.push(this.specialTokens.get(m[0])!);
      start = m.index + m[0].length;
    }
    this.encodeOrdinary(text.slice(start), out);
    return out;
  }

  /** The bytes of a token sequence; ids outside the vocabulary are refused. */
  decodeBytes(ids: ArrayLike<number>): Uint8Array {
    let n = 0;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      const b = Number.isInteger(id) && id >= 0 ? this.vocab[id] : undefined;
      if (!b) throw new GradpathError(`tokenizer: token id ${id} (at position ${i}) is outside the vocabulary of ${this.vocab.length}`);
      n += b.length;
    }
    const out = new Uint8Array(n);
    for (let i = 0, o = 0; i < ids.length; i++) {
      out.set(this.vocab[ids[i]], o);
      o += this.vocab[ids[i]].length;
    }
    return out;
  }

  /** Decodes to text; byte sequences that are not valid UTF-8 become U+FFFD, as tiktoken does. */
  decode(ids: ArrayLike<number>): string {
    return new TextDecoder('utf-8').decode(this.decodeBytes(ids));
  }

  /** Text of one token, for display (may be a fragment of a character). */
  tokenText(id: number): string {
    return new TextDecoder('utf-8').decode(this.decodeBytes([id]));
  }
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 127) return false;
  return true;
}

function asciiBytes(s: string): number[] {
  const out = new Array<number>(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

function escapeRegex(s: string): string {
  return s.replace(/[\\^$*+?.()|[\]{}]/g, '\\$&');
}

/**
 * A tokenizer from explicit merges, as our trainer produces: ids 0..255 are the bytes, and
 * merge i makes id 256 + i from the pair (left, right).
 */
export function tokenizerFromMerges(merges: [number, number][], pattern: string | null, specialTokens: Record<string, number> = {}): Tokenizer {
  const vocab: Uint8Array[] = Array.from({ length: 256 }, (_, b) => Uint8Array.of(b));
  const map = new PairTable(merges.length);
  merges.forEach(([a, b], i) => {
    const id = 256 + i;
    if (!vocab[a] || !vocab[b]) throw new GradpathError(`tokenizer: merge ${i} uses unknown token ${vocab[a] ? b : a}`);
    const bytes = new Uint8Array(vocab[a].length + vocab[b].length);
    bytes.set(vocab[a]);
    bytes.set(vocab[b], vocab[a].length);
    vocab[id] = bytes;
    map.set(a, b, id);
  });
  return new Tokenizer({ vocab, merges: map, pattern, specialTokens, mergeList: merges.map(([a, b]) => [a, b]) });
}

/**
 * A tokenizer from tiktoken-style ranks (bytes -> rank, rank = id). tiktoken merges two adjacent
 * parts whenever their concatenation is a token, so every split of every token into two tokens
 * is a merge, ranked by the whole token.
 */
export function tokenizerFromRanks(ranks: Map<string, number>, pattern: string, specialTokens: Record<string, number> = {}): Tokenizer {
  const vocab: Uint8Array[] = [];
  const merges = new PairTable(4 * ranks.size);
  for (const [key, rank] of ranks) {
    const bytes = new Uint8Array(key.length);
    for (let i = 0; i < key.length; i++) bytes[i] = key.charCodeAt(i);
    vocab[rank] = bytes;
    for (let k = 1; k < key.length; k++) {
      const left = ranks.get(key.slice(0, k)), right = ranks.get(key.slice(k));
      if (left !== undefined && right !== undefined) merges.set(left, right, rank);
    }
  }
  return new Tokenizer({ vocab, merges, pattern, specialTokens });
}
