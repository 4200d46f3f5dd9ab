// Register-tiled SIMD sgemm over packed panels (GotoBLAS-style blocking), compiled twice by
// scripts/build-kernels.mjs: plain SIMD (mul + add) and relaxed SIMD (fused multiply-add).
//
// All pointers are byte offsets into the imported shared memory; strides are in elements.
// The JS side owns the memory layout: it copies operands in, gives each thread its own
// packing buffers (PACK_A_BYTES / PACK_B_BYTES below) and copies C out.
// There is no static data on purpose: every worker instantiates this module over the same
// shared memory, and data segments would be re-written by each instantiation.

// Micro-tile: MR rows x NR columns of C held in v128 registers. Measured on this machine's
// EPYC (one core, GFLOP/s): with fused multiply-add 3x12 ~45, 2x16 ~43, 4x8 ~40; with mul + add
// 2x16 ~42, 4x8 ~40 but 3x12 only ~17; 6x8 and 4x12 (15-16 live registers of x64's 16 xmm)
// spill in V8 and drop to ~15-20 either way. So each build gets its own tile shape.
const MR: i32 = ASC_FEATURE_RELAXED_SIMD ? 3 : 2;
const NR: i32 = ASC_FEATURE_RELAXED_SIMD ? 12 : 16;
// Cache blocking: a KC x NR panel of packed B (12-16 KiB) stays in L1 while the MC x KC block of
// packed A (~240 KiB) streams from L2; a KC x NC block of packed B sits in L3.
const KC: i32 = 256;
const MC: i32 = 240;
const NC: i32 = 4096;

// Exported so the JS side splits work between threads on tile boundaries.
export const TILE_M: i32 = MR;
export const TILE_N: i32 = NR;
// Packed panels are padded to whole tiles: NC = 4096 is not a multiple of NR = 12, so the
// B buffer must hold ceil(NC / NR) * NR columns (sizing it NC wide overflowed into the next buffer).
export const PACK_A_BYTES: i32 = ((MC + MR - 1) / MR) * MR * KC * 4;
export const PACK_B_BYTES: i32 = KC * ((NC + NR - 1) / NR) * NR * 4;
// Scratch for one edge tile (MR x NR) placed at the end of each thread's packed-A buffer.
export const EDGE_BYTES: i32 = MR * NR * 4;

@inline function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

// C[0..MR, 0..NR] (=|+=) packedA (kc x MR) * packedB (kc x NR); ldc in bytes.
@inline function micro(kc: i32, pa: usize, pb: usize, c: usize, ldc: usize, acc: bool): void {
  if (ASC_FEATURE_RELAXED_SIMD) micro3x12(kc, pa, pb, c, ldc, acc);
  else micro2x16(kc, pa, pb, c, ldc, acc);
}

@inline function micro2x16(kc: i32, pa: usize, pb: usize, c: usize, ldc: usize, acc: bool): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c02 = f32x4.splat(0), c03 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0), c12 = f32x4.splat(0), c13 = f32x4.splat(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(pb), b1 = v128.load(pb, 16), b2 = v128.load(pb, 32), b3 = v128.load(pb, 48);
    let a = v128.load32_splat(pa);
    c00 = madd(a, b0, c00); c01 = madd(a, b1, c01); c02 = madd(a, b2, c02); c03 = madd(a, b3, c03);
    a = v128.load32_splat(pa, 4);
    c10 = madd(a, b0, c10); c11 = madd(a, b1, c11); c12 = madd(a, b2, c12); c13 = madd(a, b3, c13);
    pa += 2 * 4;
    pb += 16 * 4;
  }
  const c1 = c + ldc;
  if (acc) {
    c00 = f32x4.add(c00, v128.load(c)); c01 = f32x4.add(c01, v128.load(c, 16));
    c02 = f32x4.add(c02, v128.load(c, 32)); c03 = f32x4.add(c03, v128.load(c, 48));
    c10 = f32x4.add(c10, v128.load(c1)); c11 = f32x4.add(c11, v128.load(c1, 16));
    c12 = f32x4.add(c12, v128.load(c1, 32)); c13 = f32x4.add(c13, v128.load(c1, 48));
  }
  v128.store(c, c00); v128.store(c, c01, 16); v128.store(c, c02, 32); v128.store(c, c03, 48);
  v128.store(c1, c10); v128.store(c1, c11, 16); v128.store(c1, c12, 32); v128.store(c1, c13, 48);
}

@inline function micro3x12(kc: i32, pa: usize, pb: usize, c: usize, ldc: usize, acc: bool): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c02 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0), c12 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c22 = f32x4.splat(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(pb), b1 = v128.load(pb, 16), b2 = v128.load(pb, 32);
    let a = v128.load32_splat(pa);
    c00 = madd(a, b0, c00); c01 = madd(a, b1, c01); c02 = madd(a, b2, c02);
    a = v128.load32_splat(pa, 4);
    c10 = madd(a, b0, c10); c11 = madd(a, b1, c11); c12 = madd(a, b2, c12);
    a = v128.load32_splat(pa, 8);
    c20 = madd(a, b0, c20); c21 = madd(a, b1, c21); c22 = madd(a, b2, c22);
    pa += 3 * 4;
    pb += 12 * 4;
  }
  const c1 = c + ldc, c2 = c + 2 * ldc;
  if (acc) {
    c00 = f32x4.add(c00, v128.load(c)); c01 = f32x4.add(c01, v128.load(c, 16)); c02 = f32x4.add(c02, v128.load(c, 32));
    c10 = f32x4.add(c10, v128.load(c1)); c11 = f32x4.add(c11, v128.load(c1, 16)); c12 = f32x4.add(c12, v128.load(c1, 32));
    c20 = f32x4.add(c20, v128.load(c2)); c21 = f32x4.add(c21, v128.load(c2, 16)); c22 = f32x4.add(c22, v128.load(c2, 32));
  }
  v128.store(c, c00); v128.store(c, c01, 16); v128.store(c, c02, 32);
  v128.store(c1, c10); v128.store(c1, c11, 16); v128.store(c1, c12, 32);
  v128.store(c2, c20); v128.store(c2, c21, 16); v128.store(c2, c22, 32);
}

// Packs the mc x kc block of A at `a` into MR-row panels: panel i holds, for each p, the MR
// values A[i*MR + r][p] contiguously. Rows past mc are zero so edge tiles compute exactly.
// Full panels of a row-major A interleave 4 columns of the MR rows with shuffles; of a
// transposed A (ars = 1) each column's MR values are already contiguous. A 3-row panel copies
// 4 floats per column, one too many: the extra lands in the next column's slot (rewritten
// next), the next panel (written after), or, past the last panel, the edge-tile scratch.
function packA(a: usize, ars: i32, acs: i32, mc: i32, kc: i32, dst: usize): void {
  for (let i0 = 0; i0 < mc; i0 += MR) {
    const rows = min(MR, mc - i0);
    if (rows == MR && acs == 1) {
      packRows(a + (<usize>i0 * ars << 2), <usize>ars << 2, kc, dst);
      dst += <usize>kc * MR * 4;
      continue;
    }
    if (rows == MR && ars == 1) {
      let src = a + (<usize>i0 << 2), d = dst;
      const step = <usize>acs << 2;
      for (let p = 0; p < kc; p++) {
        if (MR == 3) v128.store(d, v128.load(src));
        else store<u64>(d, load<u64>(src));
        src += step; d += MR * 4;
      }
      dst += <usize>kc * MR * 4;
      continue;
    }
    for (let r = 0; r < rows; r++) {
      let src = a + (<usize>(i0 + r) * ars << 2);
      let d = dst + (r << 2);
      if (acs == 1) {
        for (let p = 0; p < kc; p++) { store<f32>(d, load<f32>(src)); src += 4; d += MR * 4; }
      } else {
        const step = <usize>acs << 2;
        for (let p = 0; p < kc; p++) { store<f32>(d, load<f32>(src)); src += step; d += MR * 4; }
      }
    }
    for (let r = rows; r < MR; r++) {
      let d = dst + (r << 2);
      for (let p = 0; p < kc; p++) { store<f32>(d, 0); d += MR * 4; }
    }
    dst += <usize>kc * MR * 4;
  }
}

// One full panel of a row-major A (rows `rs` bytes apart): MR rows x kc columns, interleaved.
@inline function packRows(src: usize, rs: usize, kc: i32, d: usize): void {
  const s1 = src + rs, s2 = src + 2 * rs;
  let p = 0;
  for (; p + 4 <= kc; p += 4) {
    const o = <usize>p << 2;
    const a = v128.load(src + o), b = v128.load(s1 + o);
    if (MR == 3) {
      const c = v128.load(s2 + o);
      v128.store(d, i32x4.shuffle(i32x4.shuffle(a, b, 0, 4, 1, 5), c, 0, 1, 4, 2)); // a0 b0 c0 a1
      v128.store(d, i32x4.shuffle(i32x4.shuffle(b, c, 1, 5, 2, 6), a, 0, 1, 6, 2), 16); // b1 c1 a2 b2
      v128.store(d, i32x4.shuffle(c, i32x4.shuffle(a, b, 3, 7, 3, 7), 2, 4, 5, 3), 32); // c2 a3 b3 c3
    } else {
      v128.store(d, i32x4.shuffle(a, b, 0, 4, 1, 5));
      v128.store(d, i32x4.shuffle(a, b, 2, 6, 3, 7), 16);
    }
    d += MR * 16;
  }
  for (; p < kc; p++) {
    const o = <usize>p << 2;
    store<f32>(d, load<f32>(src + o));
    store<f32>(d, load<f32>(s1 + o), 4);
    if (MR == 3) store<f32>(d, load<f32>(s2 + o), 8);
    d += MR * 4;
  }
}

// Packs the kc x nc block of B at `b` into NR-column panels (kc rows of NR values each),
// zero-padding columns past nc.
function packB(b: usize, brs: i32, bcs: i32, kc: i32, nc: i32, dst: usize): void {
  const rowStep = <usize>brs << 2;
  for (let j0 = 0; j0 < nc; j0 += NR) {
    const cols = min(NR, nc - j0);
    let src = b + (<usize>j0 * bcs << 2);
    if (bcs == 1 && cols == NR) {
      for (let p = 0; p < kc; p++) {
        v128.store(dst, v128.load(src)); v128.store(dst, v128.load(src, 16), 16); v128.store(dst, v128.load(src, 32), 32);
        if (NR == 16) v128.store(dst, v128.load(src, 48), 48);
        src += rowStep; dst += NR * 4;
      }
    } else if (brs == 1 && cols == NR) {
      // B stored transposed (every Linear forward: x @ W^T): 4 rows of each column are
      // contiguous, so 4x4 blocks go through a shuffle transpose
      const colStep = <usize>bcs << 2;
      let p = 0;
      for (; p + 4 <= kc; p += 4) {
        for (let g = 0; g < NR / 4; g++) {
          const s0 = src + <usize>(g * 4) * colStep + (<usize>p << 2);
          const r0 = v128.load(s0), r1 = v128.load(s0 + colStep), r2 = v128.load(s0 + 2 * colStep), r3 = v128.load(s0 + 3 * colStep);
          const t0 = i32x4.shuffle(r0, r1, 0, 4, 1, 5), t1 = i32x4.shuffle(r2, r3, 0, 4, 1, 5);
          const t2 = i32x4.shuffle(r0, r1, 2, 6, 3, 7), t3 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
          const d = dst + (<usize>p * NR << 2) + (<usize>g << 4);
          v128.store(d, i32x4.shuffle(t0, t1, 0, 1, 4, 5));
          v128.store(d + NR * 4, i32x4.shuffle(t0, t1, 2, 3, 6, 7));
          v128.store(d + NR * 8, i32x4.shuffle(t2, t3, 0, 1, 4, 5));
          v128.store(d + NR * 12, i32x4.shuffle(t2, t3, 2, 3, 6, 7));
        }
      }
      for (; p < kc; p++) {
        let s = src + (<usize>p << 2);
        const d = dst + (<usize>p * NR << 2);
        for (let j = 0; j < NR; j++) { store<f32>(d + (j << 2), load<f32>(s)); s += colStep; }
      }
      dst += <usize>kc * NR * 4;
    } else {
      const colStep = <usize>bcs << 2;
      for (let p = 0; p < kc; p++) {
        let s = src;
        for (let j = 0; j < cols; j++) { store<f32>(dst + (j << 2), load<f32>(s)); s += colStep; }
        for (let j = cols; j < NR; j++) store<f32>(dst + (j << 2), 0);
        src += rowStep; dst += NR * 4;
      }
    }
  }
}

// One packed mc x kc block of A times one packed kc x nc block of B into C (ldc in elements).
function macro(mc: i32, nc: i32, kc: i32, pa: usize, pb: usize, c: usize, ldc: i32, acc: bool, edge: usize): void {
  const ldcb = <usize>ldc << 2;
  for (let j0 = 0; j0 < nc; j0 += NR) {
    const cols = min(NR, nc - j0);
    const bp = pb + (<usize>j0 * kc << 2);
    for (let i0 = 0; i0 < mc; i0 += MR) {
      const rows = min(MR, mc - i0);
      const ap = pa + (<usize>i0 * kc << 2);
      const cp = c + <usize>i0 * ldcb + (<usize>j0 << 2);
      if (rows == MR && cols == NR) {
        micro(kc, ap, bp, cp, ldcb, acc);
      } else {
        // Partial tile: compute the full tile into scratch, then write only the valid part.
        micro(kc, ap, bp, edge, NR * 4, false);
        for (let r = 0; r < rows; r++) {
          const cr = cp + <usize>r * ldcb, er = edge + <usize>(r * NR * 4);
          for (let j = 0; j < cols; j++) {
            const o = <usize>(j << 2);
            const v = load<f32>(er + o);
            store<f32>(cr + o, acc ? load<f32>(cr + o) + v : v);
          }
        }
      }
    }
  }
}

// C (m x n, row stride ldc) = A (m x k, strides ars/acs) @ B (k x n, strides brs/bcs).
// pa: PACK_A_BYTES + EDGE_BYTES of scratch; pb: PACK_B_BYTES of scratch (per thread).
export function sgemm(m: i32, n: i32, k: i32, a: usize, ars: i32, acs: i32, b: usize, brs: i32, bcs: i32,
  c: usize, ldc: i32, pa: usize, pb: usize): void {
  if (k <= 0) {
    for (let i = 0; i < m; i++) memory.fill(c + (<usize>i * ldc << 2), 0, <usize>n << 2);
    return;
  }
  const edge = pa + <usize>PACK_A_BYTES;
  for (let jc = 0; jc < n; jc += NC) {
    const nc = min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = min(KC, k - pc);
      packB(b + ((<usize>pc * brs + <usize>jc * bcs) << 2), brs, bcs, kc, nc, pb);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = min(MC, m - ic);
        packA(a + ((<usize>ic * ars + <usize>pc * acs) << 2), ars, acs, mc, kc, pa);
        macro(mc, nc, kc, pa, pb, c + ((<usize>ic * ldc + jc) << 2), ldc, pc > 0, edge);
      }
    }
  }
}
