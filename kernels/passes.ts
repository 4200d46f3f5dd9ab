// Memory-bound passes of a training step, four float32 lanes at a time: broadcast arithmetic
// (bias adds, residual adds, scaling), sums over a middle axis (bias gradients), sums of squares
// (gradient norms), strided copies (splitting and merging attention heads) and layer norm with
// its backward. In JS each element costs a float64 round trip; here a pass is mostly memory traffic.
// Pointers are byte offsets into the shared memory; counts are elements.

// ---- broadcast arithmetic ----------------------------------------------------------------

const ADD = 0, SUB = 1, MUL = 2, DIV = 3;

// `op` is a constant wherever these are inlined, so each loop below is specialised per op.
@inline function opv(op: i32, x: v128, y: v128): v128 {
  if (op == ADD) return f32x4.add(x, y);
  if (op == SUB) return f32x4.sub(x, y);
  if (op == MUL) return f32x4.mul(x, y);
  return f32x4.div(x, y); // DIV
}

@inline function op1(op: i32, x: f32, y: f32): f32 {
  if (op == ADD) return x + y;
  if (op == SUB) return x - y;
  if (op == MUL) return x * y;
  return x / y; // DIV
}

// rows x p elements: out row r = a row r op b row r, where a (b) moves on by aStep (bStep)
// bytes per row: p * 4 for a dense operand, 0 for one that repeats every row (a bias).
@inline function rowsOf(op: i32, a: usize, aStep: usize, b: usize, bStep: usize, out: usize, rows: i32, p: i32): void {
  const end = <usize>p << 2, end4 = <usize>(p & ~3) << 2;
  for (let r = 0; r < rows; r++) {
    let o: usize = 0;
    for (; o < end4; o += 16) v128.store(out + o, opv(op, v128.load(a + o), v128.load(b + o)));
    for (; o < end; o += 4) store<f32>(out + o, op1(op, load<f32>(a + o), load<f32>(b + o)));
    a += aStep;
    b += bStep;
    out += end;
  }
}

// n elements: out = a op s, or s op a when `scalarFirst`, for one scalar s.
@inline function withScalar(op: i32, a: usize, s: f32, scalarFirst: bool, out: usize, n: i32): void {
  const sv = f32x4.splat(s);
  const end = <usize>n << 2, end4 = <usize>(n & ~3) << 2;
  let o: usize = 0;
  if (scalarFirst) {
    for (; o < end4; o += 16) v128.store(out + o, opv(op, sv, v128.load(a + o)));
    for (; o < end; o += 4) store<f32>(out + o, op1(op, s, load<f32>(a + o)));
  } else {
    for (; o < end4; o += 16) v128.store(out + o, opv(op, v128.load(a + o), sv));
    for (; o < end; o += 4) store<f32>(out + o, op1(op, load<f32>(a + o), s));
  }
}

// op: 0 add, 1 sub, 2 mul, 3 div. The results are exactly JS's (float64 op, rounded to float32),
// since float64 is wide enough that rounding twice gives the correctly rounded float32.
export function binaryRows(op: i32, a: usize, aStep: usize, b: usize, bStep: usize, out: usize, rows: i32, p: i32): void {
  if (op == ADD) rowsOf(ADD, a, aStep, b, bStep, out, rows, p);
  else if (op == SUB) rowsOf(SUB, a, aStep, b, bStep, out, rows, p);
  else if (op == MUL) rowsOf(MUL, a, aStep, b, bStep, out, rows, p);
  else rowsOf(DIV, a, aStep, b, bStep, out, rows, p);
}

export function binaryScalar(op: i32, a: usize, s: f32, scalarFirst: bool, out: usize, n: i32): void {
  if (op == ADD) withScalar(ADD, a, s, scalarFirst, out, n);
  else if (op == SUB) withScalar(SUB, a, s, scalarFirst, out, n);
  else if (op == MUL) withScalar(MUL, a, s, scalarFirst, out, n);
  else withScalar(DIV, a, s, scalarFirst, out, n);
}

// ---- sums over a middle axis ---------------------------------------------------------------

// x is (outer, dim, inner); out (outer, inner) gets the sum over dim. Each output accumulates in
// float64 in order of d, as the reference does, so the sums are identical to it. Columns go
// 16 at a time (one cache line per row of the block, 8 float64x2 accumulators).
export function sumMiddle(x: usize, outer: i32, dim: i32, inner: i32, out: usize): void {
  const rowBytes = <usize>inner << 2;
  const inner16 = inner & ~15, inner4 = inner & ~3;
  for (let o = 0; o < outer; o++) {
    const base = x + <usize>o * <usize>dim * rowBytes, ob = out + <usize>o * rowBytes;
    let i = 0;
    for (; i < inner16; i += 16) {
      let s0 = f64x2.splat(0), s1 = f64x2.splat(0), s2 = f64x2.splat(0), s3 = f64x2.splat(0);
      let s4 = f64x2.splat(0), s5 = f64x2.splat(0), s6 = f64x2.splat(0), s7 = f64x2.splat(0);
      let p = base + (<usize>i << 2);
      for (let d = 0; d < dim; d++) {
        const v0 = v128.load(p), v1 = v128.load(p, 16), v2 = v128.load(p, 32), v3 = v128.load(p, 48);
        s0 = f64x2.add(s0, f64x2.promote_low_f32x4(v0)); s1 = f64x2.add(s1, f64x2.promote_low_f32x4(i32x4.shuffle(v0, v0, 2, 3, 0, 1)));
        s2 = f64x2.add(s2, f64x2.promote_low_f32x4(v1)); s3 = f64x2.add(s3, f64x2.promote_low_f32x4(i32x4.shuffle(v1, v1, 2, 3, 0, 1)));
        s4 = f64x2.add(s4, f64x2.promote_low_f32x4(v2)); s5 = f64x2.add(s5, f64x2.promote_low_f32x4(i32x4.shuffle(v2, v2, 2, 3, 0, 1)));
        s6 = f64x2.add(s6, f64x2.promote_low_f32x4(v3)); s7 = f64x2.add(s7, f64x2.promote_low_f32x4(i32x4.shuffle(v3, v3, 2, 3, 0, 1)));
        p += rowBytes;
      }
      // each float64 pair becomes two floats: 8 bytes per store
      const q = ob + (<usize>i << 2);
      v128.store64_lane(q, f32x4.demote_f64x2_zero(s0), 0); v128.store64_lane(q + 8, f32x4.demote_f64x2_zero(s1), 0);
      v128.store64_lane(q + 16, f32x4.demote_f64x2_zero(s2), 0); v128.store64_lane(q + 24, f32x4.demote_f64x2_zero(s3), 0);
      v128.store64_lane(q + 32, f32x4.demote_f64x2_zero(s4), 0); v128.store64_lane(q + 40, f32x4.demote_f64x2_zero(s5), 0);
      v128.store64_lane(q + 48, f32x4.demote_f64x2_zero(s6), 0); v128.store64_lane(q + 56, f32x4.demote_f64x2_zero(s7), 0);
    }
    for (; i < inner4; i += 4) {
      let s0 = f64x2.splat(0), s1 = f64x2.splat(0);
      let p = base + (<usize>i << 2);
      for (let d = 0; d < dim; d++) {
        const v = v128.load(p);
        s0 = f64x2.add(s0, f64x2.promote_low_f32x4(v));
        s1 = f64x2.add(s1, f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1)));
        p += rowBytes;
      }
      const q = ob + (<usize>i << 2);
      v128.store64_lane(q, f32x4.demote_f64x2_zero(s0), 0);
      v128.store64_lane(q + 8, f32x4.demote_f64x2_zero(s1), 0);
    }
    for (; i < inner; i++) {
      let s: f64 = 0;
      let p = base + (<usize>i << 2);
      for (let d = 0; d < dim; d++) {
        s += <f64>load<f32>(p);
        p += rowBytes;
      }
      store<f32>(ob + (<usize>i << 2), <f32>s);
    }
  }
}

// The sum of x[i]^2 over n floats, in float64 (four pairs of partial sums, then the tail).
export function sumSquares(x: usize, n: i32): f64 {
  const end = <usize>n << 2, end8 = <usize>(n & ~7) << 2;
  let s0 = f64x2.splat(0), s1 = f64x2.splat(0), s2 = f64x2.splat(0), s3 = f64x2.splat(0);
  let o: usize = 0;
  for (; o < end8; o += 32) {
    const v = v128.load(x + o), w = v128.load(x + o, 16);
    const a = f64x2.promote_low_f32x4(v), b = f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1));
    const c = f64x2.promote_low_f32x4(w), d = f64x2.promote_low_f32x4(i32x4.shuffle(w, w, 2, 3, 0, 1));
    s0 = f64x2.add(s0, f64x2.mul(a, a)); s1 = f64x2.add(s1, f64x2.mul(b, b));
    s2 = f64x2.add(s2, f64x2.mul(c, c)); s3 = f64x2.add(s3, f64x2.mul(d, d));
  }
  const t = f64x2.add(f64x2.add(s0, s1), f64x2.add(s2, s3));
  let s = f64x2.extract_lane(t, 0) + f64x2.extract_lane(t, 1);
  for (; o < end; o += 4) {
    const v = <f64>load<f32>(x + o);
    s += v * v;
  }
  return s;
}

// ---- strided copies ------------------------------------------------------------------------

// Copies the view of x with nd dims (shape at `dims`, strides at `dims + 4 nd`, both i32
// element counts; an i32 odometer of nd - 1 words at `dims + 8 nd` is scratch) starting at
// element `offset`, into contiguous out. Rows of the last dim with stride 1 go 4 lanes at a time.
export function copyStrided(x: usize, out: usize, nd: i32, dims: usize, offset: i32, total: i32): void {
  const shape = dims, strides = dims + (<usize>nd << 2), idx = dims + (<usize>nd << 3);
  const last = load<i32>(shape + (<usize>(nd - 1) << 2)), sl = load<i32>(strides + (<usize>(nd - 1) << 2));
  if (last == 0 || total == 0) return;
  for (let d = 0; d < nd - 1; d++) store<i32>(idx + (<usize>d << 2), 0);
  const rowBytes = <usize>last << 2, row4 = <usize>(last & ~3) << 2;
  let ix = offset;
  let o = out;
  const end = out + (<usize>total << 2);
  while (o < end) {
    const src = x + (<usize>ix << 2);
    if (sl == 1) {
      let j: usize = 0;
      for (; j < row4; j += 16) v128.store(o + j, v128.load(src + j));
      for (; j < rowBytes; j += 4) store<f32>(o + j, load<f32>(src + j));
    } else {
      const step = <isize>sl << 2;
      let s = <isize>src;
      for (let j: usize = 0; j < rowBytes; j += 4) {
        store<f32>(o + j, load<f32>(<usize>s));
        s += step;
      }
    }
    o += rowBytes;
    for (let d = nd - 2; d >= 0; d--) {
      const at = idx + (<usize>d << 2);
      const v = load<i32>(at) + 1;
      const st = load<i32>(strides + (<usize>d << 2)), n = load<i32>(shape + (<usize>d << 2));
      ix += st;
      if (v < n) {
        store<i32>(at, v);
        break;
      }
      ix -= st * n;
      store<i32>(at, 0);
    }
  }
}

// ---- layer norm ----------------------------------------------------------------------------

// Two floats of a row as a float64 pair, and back: layer norm computes in float64 like the
// reference, so only the order of its two row sums differs from it.
@inline function ld2(p: usize): v128 {
  return f64x2.promote_low_f32x4(v128.load64_zero(p));
}
@inline function st2(p: usize, v: v128): void {
  v128.store64_lane(p, f32x4.demote_f64x2_zero(v), 0);
}
@inline function hsum(v: v128): f64 {
  return f64x2.extract_lane(v, 0) + f64x2.extract_lane(v, 1);
}

// out = (x - mean) * rstd * w + b over each row of (rows, cols); writes mean and rstd per row.
export function layerNorm(x: usize, w: usize, b: usize, rows: i32, cols: i32, eps: f64, out: usize, mean: usize, rstd: usize): void {
  const end = <usize>cols << 2, end2 = <usize>(cols & ~1) << 2;
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>r * end, or = out + <usize>r * end;
    let s2 = f64x2.splat(0);
    let j: usize = 0;
    for (; j < end2; j += 8) s2 = f64x2.add(s2, ld2(xr + j));
    let s = hsum(s2);
    for (; j < end; j += 4) s += <f64>load<f32>(xr + j);
    const mu = s / <f64>cols, mu2 = f64x2.splat(mu);
    let v2 = f64x2.splat(0);
    for (j = 0; j < end2; j += 8) {
      const d = f64x2.sub(ld2(xr + j), mu2);
      v2 = f64x2.add(v2, f64x2.mul(d, d));
    }
    let v = hsum(v2);
    for (; j < end; j += 4) {
      const d = <f64>load<f32>(xr + j) - mu;
      v += d * d;
    }
    const rs = 1 / Math.sqrt(v / <f64>cols + eps), rs2 = f64x2.splat(rs);
    store<f32>(mean + (<usize>r << 2), <f32>mu);
    store<f32>(rstd + (<usize>r << 2), <f32>rs);
    for (j = 0; j < end2; j += 8) {
      const xhat = f64x2.mul(f64x2.sub(ld2(xr + j), mu2), rs2);
      st2(or + j, f64x2.add(f64x2.mul(xhat, ld2(w + j)), ld2(b + j)));
    }
    for (; j < end; j += 4) {
      const xhat = (<f64>load<f32>(xr + j) - mu) * rs;
      store<f32>(or + j, <f32>(xhat * <f64>load<f32>(w + j) + <f64>load<f32>(b + j)));
    }
  }
}

// dx = rstd (dxhat - mean(dxhat) - xhat mean(dxhat xhat)) with dxhat = g w; adds g xhat into dw
// and g into db (each rounded to float32 per row, as the reference's Float32Array does).
export function layerNormBackward(g: usize, x: usize, w: usize, mean: usize, rstd: usize, rows: i32, cols: i32, dx: usize, dw: usize, db: usize): void {
  const end = <usize>cols << 2, end2 = <usize>(cols & ~1) << 2;
  for (let r = 0; r < rows; r++) {
    const gr = g + <usize>r * end, xr = x + <usize>r * end, dr = dx + <usize>r * end;
    const mu = <f64>load<f32>(mean + (<usize>r << 2)), rs = <f64>load<f32>(rstd + (<usize>r << 2));
    const mu2 = f64x2.splat(mu), rs2 = f64x2.splat(rs);
    let sd2 = f64x2.splat(0), sdx2 = f64x2.splat(0);
    let j: usize = 0;
    for (; j < end2; j += 8) {
      const xhat = f64x2.mul(f64x2.sub(ld2(xr + j), mu2), rs2);
      const gv = ld2(gr + j);
      const dxhat = f64x2.mul(gv, ld2(w + j));
      sd2 = f64x2.add(sd2, dxhat);
      sdx2 = f64x2.add(sdx2, f64x2.mul(dxhat, xhat));
      st2(dw + j, f64x2.add(ld2(dw + j), f64x2.mul(gv, xhat)));
      st2(db + j, f64x2.add(ld2(db + j), gv));
    }
    let sd = hsum(sd2), sdx = hsum(sdx2);
    for (; j < end; j += 4) {
      const xhat = (<f64>load<f32>(xr + j) - mu) * rs;
      const gv = <f64>load<f32>(gr + j);
      const dxhat = gv * <f64>load<f32>(w + j);
      sd += dxhat;
      sdx += dxhat * xhat;
      store<f32>(dw + j, <f32>(<f64>load<f32>(dw + j) + gv * xhat));
      store<f32>(db + j, <f32>(<f64>load<f32>(db + j) + gv));
    }
    const md = sd / <f64>cols, mdx = sdx / <f64>cols, md2 = f64x2.splat(md), mdx2 = f64x2.splat(mdx);
    for (j = 0; j < end2; j += 8) {
      const xhat = f64x2.mul(f64x2.sub(ld2(xr + j), mu2), rs2);
      const dxhat = f64x2.mul(ld2(gr + j), ld2(w + j));
      st2(dr + j, f64x2.mul(rs2, f64x2.sub(f64x2.sub(dxhat, md2), f64x2.mul(xhat, mdx2))));
    }
    for (; j < end; j += 4) {
      const xhat = (<f64>load<f32>(xr + j) - mu) * rs;
      const dxhat = <f64>load<f32>(gr + j) * <f64>load<f32>(w + j);
      store<f32>(dr + j, <f32>(rs * (dxhat - md - xhat * mdx)));
    }
  }
}
