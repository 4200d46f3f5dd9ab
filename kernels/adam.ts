// Adam / AdamW update over float32 arrays in the shared memory (byte offsets), 4 lanes at a
// time. Same formula as the reference backend's adam(), in float32 instead of float64:
//   g' = g + l2 p;  m = b1 m + (1 - b1) g';  v = b2 v + (1 - b2) g'^2
//   p = p decay - stepSize m / (sqrt(v) invSqrtC2 + eps)
// The JS side copies chunks of p, g, m, v in and p, m, v back out.

// ob1 = 1 - b1 and ob2 = 1 - b2 come from JS in float64: 1 - f32(0.999) is off by 1e-5 relative.
export function adam(p: usize, g: usize, m: usize, v: usize, n: i32, b1: f32, b2: f32, ob1: f32, ob2: f32,
  stepSize: f32, invSqrtC2: f32, eps: f32, decay: f32, l2: f32): void {
  const B1 = f32x4.splat(b1), B2 = f32x4.splat(b2), OB1 = f32x4.splat(ob1), OB2 = f32x4.splat(ob2);
  const S = f32x4.splat(stepSize), C = f32x4.splat(invSqrtC2), E = f32x4.splat(eps), D = f32x4.splat(decay), L = f32x4.splat(l2);
  const n4 = n & ~3;
  let o: usize = 0;
  const end4 = <usize>n4 << 2;
  for (; o < end4; o += 16) {
    const pv = v128.load(p + o);
    const gv = f32x4.add(v128.load(g + o), f32x4.mul(L, pv));
    const mv = f32x4.add(f32x4.mul(B1, v128.load(m + o)), f32x4.mul(OB1, gv));
    const vv = f32x4.add(f32x4.mul(B2, v128.load(v + o)), f32x4.mul(f32x4.mul(OB2, gv), gv));
    v128.store(m + o, mv);
    v128.store(v + o, vv);
    const den = f32x4.add(f32x4.mul(f32x4.sqrt(vv), C), E);
    v128.store(p + o, f32x4.sub(f32x4.mul(pv, D), f32x4.div(f32x4.mul(S, mv), den)));
  }
  const end = <usize>n << 2;
  for (; o < end; o += 4) {
    const pv = load<f32>(p + o);
    const gv = load<f32>(g + o) + l2 * pv;
    const mv = b1 * load<f32>(m + o) + ob1 * gv;
    const vv = b2 * load<f32>(v + o) + ob2 * gv * gv;
    store<f32>(m + o, mv);
    store<f32>(v + o, vv);
    store<f32>(p + o, pv * decay - (stepSize * mv) / (sqrt<f32>(vv) * invSqrtC2 + eps));
  }
}
