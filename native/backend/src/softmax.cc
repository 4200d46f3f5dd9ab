// Row softmax and log-softmax, attention's scaled causal softmax, cross-entropy rows.
#include "common.h"
#include "kernels.h"

namespace gp {

namespace {

inline float rowMax(const float *x, size_t n) {
  float m = -INFINITY;
#pragma omp simd reduction(max : m)
  for (size_t j = 0; j < n; j++) m = x[j] > m ? x[j] : m;
  return m;
}

}  // namespace

void softmax(const float *x, size_t rows, size_t cols, float *out, bool log) {
#pragma omp parallel for schedule(static) num_threads(threadsFor(rows * cols))
  for (size_t r = 0; r < rows; r++) {
    const float *xr = x + r * cols;
    float *o = out + r * cols;
    float max = rowMax(xr, cols);
    if (max == -INFINITY) max = 0;  // a fully masked row: no NaN from (-inf) - (-inf)
    double sum = 0;
    if (log) {
#pragma omp simd reduction(+ : sum)
      for (size_t j = 0; j < cols; j++) sum += fexp(xr[j] - max);
      const float lse = static_cast<float>(max + std::log(sum));
#pragma omp simd
      for (size_t j = 0; j < cols; j++) o[j] = xr[j] - lse;
    } else {
#pragma omp simd reduction(+ : sum)
      for (size_t j = 0; j < cols; j++) {
        const float e = fexp(xr[j] - max);
        o[j] = e;
        sum += e;
      }
      const float inv = static_cast<float>(1.0 / sum);
#pragma omp simd
      for (size_t j = 0; j < cols; j++) o[j] *= inv;
    }
  }
}

void scaledSoftmax(const float *x, size_t rows, size_t cols, float scale, size_t queries, float *out) {
#pragma omp parallel for schedule(static) num_threads(threadsFor(rows * cols))
  for (size_t r = 0; r < rows; r++) {
    const float *xr = x + r * cols;
    float *o = out + r * cols;
    const size_t limit = queries > 0 ? cols - queries + (r % queries) + 1 : cols;
    const float max = rowMax(xr, limit);
    double sum = 0;
#pragma omp simd reduction(+ : sum)
    for (size_t j = 0; j < limit; j++) {
      const float e = fexp((xr[j] - max) * scale);
      o[j] = e;
      sum += e;
    }
    const float inv = static_cast<float>(1.0 / sum);
#pragma omp simd
    for (size_t j = 0; j < limit; j++) o[j] *= inv;
    for (size_t j = limit; j < cols; j++) o[j] = 0;
  }
}

void crossEntropyRows(const float *x, size_t rows, size_t cols, const int32_t *t, int32_t ignore, double *lse,
                      float *probs, double *pm1) {
#pragma omp parallel for schedule(static) num_threads(threadsFor(rows * cols))
  for (size_t i = 0; i < rows; i++) {
    const int32_t y = t[i];
    if (y == ignore) continue;
    const float *xr = x + i * cols;
    float max = rowMax(xr, cols);
    if (max == -INFINITY) max = 0;
    // the target's exp stays out of the running sum, so the others' sum is exact (pm1 = -others / sum)
    double others = 0;
    if (probs) {
      float *p = probs + i * cols;
#pragma omp simd reduction(+ : others)
      for (size_t j = 0; j < cols; j++) {
        const float e = fexp(xr[j] - max);
        p[j] = e;
        others += static_cast<size_t>(y) == j ? 0.0f : e;
      }
    } else {
#pragma omp simd reduction(+ : others)
      for (size_t j = 0; j < cols; j++) others += static_cast<size_t>(y) == j ? 0.0f : fexp(xr[j] - max);
    }
    const double et = std::exp(double(xr[y]) - max);
    const double sum = others + et;
    lse[i] = max + std::log(sum);
    if (probs) {
      pm1[i] = -others / sum;
      const float inv = static_cast<float>(1.0 / sum);
      float *p = probs + i * cols;
#pragma omp simd
      for (size_t j = 0; j < cols; j++) p[j] *= inv;
    }
  }
}

}  // namespace gp
