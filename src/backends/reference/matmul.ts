/**
 * The reference matmul: the textbook triple loop, in i-p-j order so the inner loop walks
 * rows of B and C contiguously. Slow but obviously right; it is the oracle for fast kernels.
 */
export function matmul(
  a: Float32Array, b: Float32Array, out: Float32Array,
  batch: number, m: number, k: number, n: number,
  transA: boolean, transB: boolean, aBatchStride: number, bBatchStride: number,
): void {
  // element strides of A (m x k) and B (k x n) as logical matrices
  const aRow = transA ? 1 : k, aCol = transA ? m : 1;
  const bRow = transB ? 1 : n, bCol = transB ? k : 1;
  for (let bi = 0; bi < batch; bi++) {
    const aOff = bi * aBatchStride, bOff = bi * bBatchStride, cOff = bi * m * n;
    for (let i = 0; i < m; i++) {
      const c0 = cOff + i * n;
      for (let j = 0; j < n; j++) out[c0 + j] = 0;
      for (let p = 0; p < k; p++) {
        const av = a[aOff + i * aRow + p * aCol];
        if (av === 0) continue;
        const b0 = bOff + p * bRow;
        for (let j = 0; j < n; j++) out[c0 + j] += av * b[b0 + j * bCol];
      }
    }
  }
}
