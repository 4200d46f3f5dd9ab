/**
 * The one seeded random generator of gradpath (xoshiro128**): the same numbers on every backend
 * and platform. The tensor engine, micrograd and NEAT all draw from it. Its whole state is six
 * numbers, so checkpoints can save and restore it exactly.
 */
export class Generator {
  private s = new Uint32Array(4);
  /** Box-Muller makes normals in pairs; the spare one is part of the state. */
  private spare = NaN;

  constructor(seed = 1337) {
    this.manualSeed(seed);
  }

  manualSeed(seed: number): this {
    // splitmix32 spreads the seed over the four state words
    let x = seed >>> 0;
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
    if (this.s.every((v) => v === 0)) this.s[0] = 1;
    this.spare = NaN;
    return this;
  }

  /** A uniformly random 32-bit unsigned integer. */
  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform in [0, 1) with 32 bits of randomness. */
  random(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform integer in [low, high). */
  randint(low: number, high: number): number {
    return low + Math.floor(this.random() * (high - low));
  }

  /** Uniform in [low, high). */
  uniform(low: number, high: number): number {
    return low + (high - low) * this.random();
  }

  /** True with probability p. */
  bernoulli(p: number): boolean {
    return this.random() < p;
  }

  /** One of items, uniformly. */
  choice<T>(items: readonly T[]): T {
    return items[this.randint(0, items.length)];
  }

  /** A random permutation of 0..n-1 (Fisher-Yates), as torch.randperm. */
  randperm(n: number): number[] {
    const p = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = this.randint(0, i + 1);
      [p[i], p[j]] = [p[j], p[i]];
    }
    return p;
  }

  /** A new generator seeded from this stream: an independent sub-stream (one per run or worker). */
  fork(): Generator {
    return new Generator(this.nextUint32());
  }

  /** Standard normal (Box-Muller). */
  normal(): number {
    if (!Number.isNaN(this.spare)) {
      const v = this.spare;
      this.spare = NaN;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.random();
    const v = this.random();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Six plain numbers (JSON-safe): four state words, whether a spare normal is held, and it. */
  getState(): number[] {
    const has = !Number.isNaN(this.spare);
    return [...this.s, has ? 1 : 0, has ? this.spare : 0];
  }

  setState(state: readonly number[]): void {
    for (let i = 0; i < 4; i++) this.s[i] = state[i] >>> 0;
    this.spare = state[4] === 1 ? state[5] : NaN;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** The default generator used when an op is not given one (like torch.manual_seed). */
export const defaultGenerator = new Generator(1337);

export function manualSeed(seed: number): void {
  defaultGenerator.manualSeed(seed);
}
