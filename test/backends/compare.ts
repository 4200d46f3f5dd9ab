/** Helpers of the kernel tests that compare a backend with the reference: seeded data, and a tolerance check that names the worst element. */
import assert from 'node:assert/strict';

/** n values in [-scale, scale) from a small LCG: the same on every run and machine. */
export function rand(n: number, seed: number, scale = 1): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return scale * ((s / 2 ** 32) * 2 - 1);
  });
}

/** Every element within tol of the wanted one, relative to 1 + its size (absolute near 0); NaN fails. */
export function close(got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  let worst = 0, at = -1;
  for (let i = 0; i < want.length; i++) {
    const e = Math.abs(got[i] - want[i]) / (1 + Math.abs(want[i]));
    if (!(e <= worst)) [worst, at] = [e, i];
  }
  assert.ok(worst <= tol, `${what}: worst relative error ${worst} at ${at} (${got[at]} vs ${want[at]})`);
}
