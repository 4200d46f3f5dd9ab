/** Shared by the native fused-kernel tests: seeded data and a relative-error comparison. */
import assert from 'node:assert/strict';

/** n values uniform in [-scale, scale) from a small LCG seeded with `seed`. */
export function rand(n: number, seed: number, scale = 1): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return scale * ((s / 2 ** 32) * 2 - 1);
  });
}

/** Fails unless every |got - want| / (1 + |want|) is within tol (NaN fails), naming the worst element. */
export function close(got: Float32Array, want: Float32Array, tol: number, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  let worst = 0, at = -1;
  for (let i = 0; i < want.length; i++) {
    const e = Math.abs(got[i] - want[i]) / (1 + Math.abs(want[i]));
    if (!(e <= worst)) [worst, at] = [e, i];
  }
  assert.ok(worst <= tol, `${what}: worst relative error ${worst} at ${at} (${got[at]} vs ${want[at]})`);
}
