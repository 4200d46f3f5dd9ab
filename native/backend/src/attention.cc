// Multi-head self-attention fused per head, on c_attn's output as it is: qkv (B, T, 3C) holds,
// for each token, q, k and v one after another, each nh heads of hs. For each (batch, head) the
// scores Q K^T go into that head's (T, T) block of `att`, the scaled (causal) softmax runs on
// it in place, and P V is written straight into y (B, T, C) at the head's columns. BLAS reads
// Q, K and V where they lie (leading dimension 3C), so the head-major copies of q, k and v, the
// copy that re-assembles the heads, and the separate softmax passes are gone. The backward
// likewise writes dQ, dK and dV into dqkv (B, T, 3C). Heads run in parallel, one per thread,
// each with single-threaded BLAS (OpenBLAS does so inside a parallel region).
#include <cblas.h>
#include <vector>
#include "common.h"
#include "kernels.h"

namespace gp {

namespace {

constexpr CBLAS_ORDER kRow = CblasRowMajor;

// P = softmax(scale * S) row by row in place, row t seeing keys 0..t when causal (the rest 0).
void scaledSoftmaxRows(float *s, size_t T, float scale, bool causal) {
  for (size_t t = 0; t < T; t++) {
    float *r = s + t * T;
    const size_t limit = causal ? t + 1 : T;
    float max = -INFINITY;
#pragma omp simd reduction(max : max)
    for (size_t j = 0; j < limit; j++) max = r[j] > max ? r[j] : max;
    float sum = 0;
#pragma omp simd reduction(+ : sum)
    for (size_t j = 0; j < limit; j++) {
      const float e = fexp((r[j] - max) * scale);
      r[j] = e;
      sum += e;
    }
    const float inv = 1.0f / sum;
#pragma omp simd
    for (size_t j = 0; j < limit; j++) r[j] *= inv;
    for (size_t j = limit; j < T; j++) r[j] = 0.0f;
  }
}

int threadsForHeads(size_t heads, size_t T, size_t hs) {
  return heads > 1 && heads * T * T * hs >= (1u << 16) ? omp_get_max_threads() : 1;
}

}  // namespace

void selfAttention(const float *qkv, size_t B, size_t T, size_t nh, size_t hs, float scale, bool causal, float *y,
                   float *att) {
  const size_t C = nh * hs, heads = B * nh;
  const int ld3 = static_cast<int>(3 * C), ldc = static_cast<int>(C), t = static_cast<int>(T), h = static_cast<int>(hs);
#pragma omp parallel for schedule(static) num_threads(threadsForHeads(heads, T, hs))
  for (size_t bh = 0; bh < heads; bh++) {
    const size_t b = bh / nh, head = bh % nh;
    const float *q = qkv + b * T * 3 * C + head * hs, *k = q + C, *v = q + 2 * C;
    float *p = att + bh * T * T;
    cblas_sgemm(kRow, CblasNoTrans, CblasTrans, t, t, h, 1.0f, q, ld3, k, ld3, 0.0f, p, t);  // S = Q K^T (T, T)
    scaledSoftmaxRows(p, T, scale, causal);
    cblas_sgemm(kRow, CblasNoTrans, CblasNoTrans, t, h, t, 1.0f, p, t, v, ld3, 0.0f, y + b * T * C + head * hs, ldc);
  }
}

void selfAttentionBackward(const float *dy, const float *qkv, const float *att, size_t B, size_t T, size_t nh,
                           size_t hs, float scale, float *dqkv) {
  const size_t C = nh * hs, heads = B * nh;
  const int ld3 = static_cast<int>(3 * C), ldc = static_cast<int>(C), t = static_cast<int>(T), h = static_cast<int>(hs);
#pragma omp parallel num_threads(threadsForHeads(heads, T, hs))
  {
    std::vector<float> ds(T * T);  // this thread's dP, then dS
#pragma omp for schedule(static)
    for (size_t bh = 0; bh < heads; bh++) {
      const size_t b = bh / nh, head = bh % nh;
      const size_t at = b * T * 3 * C + head * hs;
      const float *q = qkv + at, *k = q + C, *v = q + 2 * C;
      float *dq = dqkv + at, *dk = dq + C, *dv = dq + 2 * C;
      const float *p = att + bh * T * T, *g = dy + b * T * C + head * hs;
      float *d = ds.data();
      cblas_sgemm(kRow, CblasNoTrans, CblasTrans, t, t, h, 1.0f, g, ldc, v, ld3, 0.0f, d, t);       // dP = dY V^T
      cblas_sgemm(kRow, CblasTrans, CblasNoTrans, t, h, t, 1.0f, p, t, g, ldc, 0.0f, dv, ld3);      // dV = P^T dY
      // softmax backward with the scale: dS = scale * P * (dP - rowsum(dP * P)); masked P = 0
      for (size_t r = 0; r < T; r++) {
        const float *pr = p + r * T;
        float *dr = d + r * T;
        float dot = 0;
#pragma omp simd reduction(+ : dot)
        for (size_t j = 0; j < T; j++) dot += dr[j] * pr[j];
#pragma omp simd
        for (size_t j = 0; j < T; j++) dr[j] = scale * pr[j] * (dr[j] - dot);
      }
      cblas_sgemm(kRow, CblasNoTrans, CblasNoTrans, t, h, t, 1.0f, d, t, k, ld3, 0.0f, dq, ld3);    // dQ = dS K
      cblas_sgemm(kRow, CblasTrans, CblasNoTrans, t, h, t, 1.0f, d, t, q, ld3, 0.0f, dk, ld3);      // dK = dS^T Q
    }
  }
}

}  // namespace gp
