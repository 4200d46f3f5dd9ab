// Elementwise kernels whose cost in JS is Math.exp: GELU (tanh approximation) forward and
// backward, the cross-entropy rows (max, exp, sum, softmax) and attention's scaled, masked
// softmax. Pointers are byte offsets into the shared memory.

// exp in float32 lanes (Cephes expf: round to n * ln2 + r, |r| <= ln2 / 2, degree-6
// polynomial, times 2^n built in the exponent bits); ~1 ulp. Inputs clamp to 88 above; below
// -87.33 the result is 0 (2^-126 is the smallest normal float), so exp(-inf) is exactly 0.
const LO: f32 = -87.3365478515625;
@inline function exp4(x: v128): v128 {
  const xc = f32x4.max(f32x4.min(x, f32x4.splat(88.0)), f32x4.splat(LO));
  const fx = f32x4.nearest(f32x4.mul(xc, f32x4.splat(1.44269504088896341)));
  let r = f32x4.sub(xc, f32x4.mul(fx, f32x4.splat(0.693359375)));
  r = f32x4.add(r, f32x4.mul(fx, f32x4.splat(2.12194440e-4)));
  let p = f32x4.splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(5.0000001201e-1));
  const y = f32x4.add(f32x4.add(f32x4.mul(f32x4.mul(p, r), r), r), f32x4.splat(1));
  const pow2 = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(fx), i32x4.splat(127)), 23);
  return v128.and(f32x4.mul(y, pow2), f32x4.ge(x, f32x4.splat(LO)));
}

@inline function exp1(x: f32): f32 {
  return f32x4.extract_lane(exp4(f32x4.splat(x)), 0);
}

const S2PI: f32 = 0.7978845608028654; // sqrt(2 / pi)
const K: f32 = 0.044715;

// tanh(sqrt(2/pi) (x + 0.044715 x^3)) as 1 - 2 / (exp(2u) + 1); 2u clamps to +-80 (tanh = +-1).
@inline function geluTanh4(v: v128): v128 {
  const u = f32x4.mul(f32x4.splat(2 * S2PI), f32x4.add(v, f32x4.mul(f32x4.splat(K), f32x4.mul(v, f32x4.mul(v, v)))));
  const e = exp4(f32x4.max(f32x4.min(u, f32x4.splat(80)), f32x4.splat(-80)));
  return f32x4.sub(f32x4.splat(1), f32x4.div(f32x4.splat(2), f32x4.add(e, f32x4.splat(1))));
}

// out = 0.5 x (1 + t), th = t.
export function geluForward(x: usize, out: usize, th: usize, n: i32): void {
  const half = f32x4.splat(0.5), one = f32x4.splat(1);
  const end = <usize>n << 2, end4 = <usize>(n & ~3) << 2;
  let o: usize = 0;
  for (; o < end4; o += 16) {
    const v = v128.load(x + o);
    const t = geluTanh4(v);
    v128.store(th + o, t);
    v128.store(out + o, f32x4.mul(f32x4.mul(half, v), f32x4.add(one, t)));
  }
  for (; o < end; o += 4) {
    const v = load<f32>(x + o);
    const t = f32x4.extract_lane(geluTanh4(f32x4.splat(v)), 0);
    store<f32>(th + o, t);
    store<f32>(out + o, <f32>0.5 * v * (<f32>1 + t));
  }
}

// dx = g (0.5 (1 + t) + 0.5 x (1 - t^2) sqrt(2/pi) (1 + 3 * 0.044715 x^2)), t from the forward.
export function geluBackward(g: usize, x: usize, th: usize, dx: usize, n: i32): void {
  const half = f32x4.splat(0.5), one = f32x4.splat(1), s = f32x4.splat(S2PI), k3 = f32x4.splat(3 * K);
  const end = <usize>n << 2, end4 = <usize>(n & ~3) << 2;
  let o: usize = 0;
  for (; o < end4; o += 16) {
    const v = v128.load(x + o), t = v128.load(th + o);
    const a = f32x4.mul(half, f32x4.add(one, t));
    const b = f32x4.mul(f32x4.mul(f32x4.mul(half, v), f32x4.sub(one, f32x4.mul(t, t))), f32x4.mul(s, f32x4.add(one, f32x4.mul(k3, f32x4.mul(v, v)))));
    v128.store(dx + o, f32x4.mul(v128.load(g + o), f32x4.add(a, b)));
  }
  for (; o < end; o += 4) {
    const v = load<f32>(x + o), t = load<f32>(th + o);
    const d = <f32>0.5 * (<f32>1 + t) + <f32>0.5 * v * (<f32>1 - t * t) * S2PI * (<f32>1 + <f32>3 * K * v * v);
    store<f32>(dx + o, load<f32>(g + o) * d);
  }
}

// Cross-entropy rows of x (rows x cols) with targets t (i32): for each row whose target is not
// `ignore`, writes lse (f64: log-sum-exp) and pm1 (f64: p_target - 1, from the other exps'
// sum so it stays exact where p rounds to 1); with probs != 0 the row becomes its softmax.
export function crossEntropyRows(x: usize, rows: i32, cols: i32, t: usize, ignore: i32, probs: i32, lse: usize, pm1: usize): void {
  const end = <usize>cols << 2, end4 = <usize>(cols & ~3) << 2;
  for (let i = 0; i < rows; i++) {
    const y = load<i32>(t + (<usize>i << 2));
    if (y == ignore) continue;
    const row = x + <usize>i * end;
    let m4 = f32x4.splat(-Infinity);
    let o: usize = 0;
    for (; o < end4; o += 16) m4 = f32x4.max(m4, v128.load(row + o));
    let mx = max(max(f32x4.extract_lane(m4, 0), f32x4.extract_lane(m4, 1)), max(f32x4.extract_lane(m4, 2), f32x4.extract_lane(m4, 3)));
    for (; o < end; o += 4) mx = max(mx, load<f32>(row + o));
    if (mx == -Infinity) mx = 0; // all -inf: keep NaN out of (-inf) - (-inf)
    // the target sits out of the sum (its logit set to -inf meanwhile), so the others' sum is exact
    const ty = row + (<usize>y << 2);
    const xt = load<f32>(ty);
    store<f32>(ty, -Infinity);
    const mv = f32x4.splat(mx);
    let lo = f64x2.splat(0), hi = f64x2.splat(0);
    o = 0;
    for (; o < end4; o += 16) {
      const e = exp4(f32x4.sub(v128.load(row + o), mv));
      if (probs) v128.store(row + o, e);
      lo = f64x2.add(lo, f64x2.promote_low_f32x4(e));
      hi = f64x2.add(hi, f64x2.promote_low_f32x4(i32x4.shuffle(e, e, 2, 3, 0, 1)));
    }
    let others = f64x2.extract_lane(lo, 0) + f64x2.extract_lane(lo, 1) + f64x2.extract_lane(hi, 0) + f64x2.extract_lane(hi, 1);
    for (; o < end; o += 4) {
      const e = exp1(load<f32>(row + o) - mx);
      if (probs) store<f32>(row + o, e);
      others += <f64>e;
    }
    const et = exp1(xt - mx);
    const sum = others + <f64>et;
    const inv = 1 / sum;
    store<f64>(lse + (<usize>i << 3), <f64>mx + Math.log(sum));
    store<f64>(pm1 + (<usize>i << 3), -others * inv);
    if (probs) {
      const iv = f32x4.splat(<f32>inv);
      o = 0;
      for (; o < end4; o += 16) v128.store(row + o, f32x4.mul(v128.load(row + o), iv));
      for (; o < end; o += 4) store<f32>(row + o, load<f32>(row + o) * <f32>inv);
      store<f32>(ty, <f32>(<f64>et * inv));
    } else {
      store<f32>(ty, xt);
    }
  }
}

// Attention's softmax(scale * x) over rows of (rows, cols); with queries > 0, the causal mask:
// row r sees entries 0 .. cols - queries + (r % queries), and the rest of its output is 0.
export function scaledSoftmax(x: usize, rows: i32, cols: i32, scale: f32, queries: i32, out: usize): void {
  const sv = f32x4.splat(scale);
  for (let r = 0; r < rows; r++) {
    const limit = queries > 0 ? cols - queries + (r % queries) + 1 : cols;
    const xr = x + (<usize>r * <usize>cols << 2), or = out + (<usize>r * <usize>cols << 2);
    const end = <usize>limit << 2, end4 = <usize>(limit & ~3) << 2;
    let m4 = f32x4.splat(-Infinity);
    let o: usize = 0;
    for (; o < end4; o += 16) m4 = f32x4.max(m4, v128.load(xr + o));
    let mx = max(max(f32x4.extract_lane(m4, 0), f32x4.extract_lane(m4, 1)), max(f32x4.extract_lane(m4, 2), f32x4.extract_lane(m4, 3)));
    for (; o < end; o += 4) mx = max(mx, load<f32>(xr + o));
    const mv = f32x4.splat(mx);
    let lo = f64x2.splat(0), hi = f64x2.splat(0);
    for (o = 0; o < end4; o += 16) {
      const e = exp4(f32x4.mul(f32x4.sub(v128.load(xr + o), mv), sv));
      v128.store(or + o, e);
      lo = f64x2.add(lo, f64x2.promote_low_f32x4(e));
      hi = f64x2.add(hi, f64x2.promote_low_f32x4(i32x4.shuffle(e, e, 2, 3, 0, 1)));
    }
    let sum = f64x2.extract_lane(lo, 0) + f64x2.extract_lane(lo, 1) + f64x2.extract_lane(hi, 0) + f64x2.extract_lane(hi, 1);
    for (; o < end; o += 4) {
      const e = exp1((load<f32>(xr + o) - mx) * scale);
      store<f32>(or + o, e);
      sum += <f64>e;
    }
    const inv = <f32>(1 / sum), iv = f32x4.splat(inv);
    for (o = 0; o < end4; o += 16) v128.store(or + o, f32x4.mul(v128.load(or + o), iv));
    for (; o < end; o += 4) store<f32>(or + o, load<f32>(or + o) * inv);
    const rowEnd = <usize>cols << 2;
    for (; o < rowEnd; o += 4) store<f32>(or + o, 0);
  }
}
