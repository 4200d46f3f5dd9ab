/**
 * The reference matmul: plain loops, in the order that walks memory contiguously, so it is
 * obviously right and not needlessly slow. It is the oracle for fast kernels.
 *   B not transposed: C[i,:] += A[i,p] * B[p,:]   (row of B, row of C: contiguous)
 *   B transposed:     C[i,j]  = A[i,:] . Bt[j,:]   (two contiguous rows)
 * A transposed is first copied into row-major order.
 */
export function matmul(
  a: Float32Array, b: Float32Array, out: Float32Array,
  batch: number, m: number, k: number, n: number,
  transA: boolean, transB: boolean, aBatchStride: number, bBatchStride: number,
): void {
  const rowA = transA ? new Float32Array(m * k) : null;
  for (let bi = 0; bi < batch; bi++) {
    let A = a, aOff = bi * aBatchStride;
    if (rowA) {
      for (let p = 0; p < k; p++) for (let i = 0; i < m; i++) rowA[i * k + p] = a[aOff + p * m + i];
      A = rowA;
      aOff = 0;
    }
    const bOff = bi * bBatchStride, cOff = bi * m * n;
    for (let i = 0; i < m; i++) {
      const a0 = aOff + i * k, c0 = cOff + i * n;
      if (transB) {
        for (let j = 0; j < n; j++) {
          const b0 = bOff + j * k;
          let s = 0;
          for (let p = 0; p < k; p++) s += A[a0 + p] * b[b0 + p];
          out[c0 + j] = s;
        }
      } else {
        for (let j = 0; j < n; j++) out[c0 + j] = 0;
        for (let p = 0; p < k; p++) {
          const av = A[a0 + p];
          const b0 = bOff + p * n;
          for (let j = 0; j < n; j++) out[c0 + j] += av * b[b0 + j];
        }
      }
    }
  }
}
