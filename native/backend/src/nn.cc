// Layer norm forward/backward, and the residual add fused with the layer norm after it.
#include <vector>
#include "common.h"
#include "kernels.h"

namespace gp {

namespace {

// One row of layer norm: two passes in double, as the reference (the mean, then the variance
// about it); writes the row's mean and rstd.
inline void normalizeRow(const float *xr, const float *w, const float *b, size_t cols, float eps, float *o, float *mean,
                         float *rstd) {
  double s = 0;
#pragma omp simd reduction(+ : s)
  for (size_t j = 0; j < cols; j++) s += xr[j];
  const double mu = s / cols;
  double v = 0;
#pragma omp simd reduction(+ : v)
  for (size_t j = 0; j < cols; j++) {
    const double d = xr[j] - mu;
    v += d * d;
  }
  const float rs = static_cast<float>(1.0 / std::sqrt(v / cols + eps));
  const float muf = static_cast<float>(mu);
  *mean = muf;
  *rstd = rs;
  if (w && b) {
#pragma omp simd
    for (size_t j = 0; j < cols; j++) o[j] = (xr[j] - muf) * rs * w[j] + b[j];
  } else {
#pragma omp simd
    for (size_t j = 0; j < cols; j++) o[j] = (xr[j] - muf) * rs * (w ? w[j] : 1.0f) + (b ? b[j] : 0.0f);
  }
}

}  // namespace

void layerNorm(const float *x, const float *w, const float *b, size_t rows, size_t cols, float eps, float *out,
               float *mean, float *rstd) {
#pragma omp parallel for schedule(static) num_threads(threadsFor(rows * cols))
  for (size_t r = 0; r < rows; r++) normalizeRow(x + r * cols, w, b, cols, eps, out + r * cols, mean + r, rstd + r);
}

// The residual stream's add and the next layer norm in one pass over each row: the sum is
// written and normalized while it is still in L1 (PyTorch's eager mode runs two kernels).
void addLayerNorm(const float *x, const float *y, const float *w, const float *b, size_t rows, size_t cols, float eps,
                  float *sum, float *out, float *mean, float *rstd) {
#pragma omp parallel for schedule(static) num_threads(threadsFor(rows * cols))
  for (size_t r = 0; r < rows; r++) {
    const float *xr = x + r * cols, *yr = y + r * cols;
    float *sr = sum + r * cols;
#pragma omp simd
    for (size_t j = 0; j < cols; j++) sr[j] = xr[j] + yr[j];
    normalizeRow(sr, w, b, cols, eps, out + r * cols, mean + r, rstd + r);
  }
}

void layerNormBackward(const float *g, const float *x, const float *w, const float *mean, const float *rstd,
                       size_t rows, size_t cols, float *dx, float *dw, float *db) {
  // dxhat = g * w;  dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)).
  // dw and db sum over rows: each thread keeps its own partial sums, added up at the end.
  const int nt = threadsFor(rows * cols);
  std::vector<float> partW(dw ? nt * cols : 0, 0.0f), partB(db ? nt * cols : 0, 0.0f);
#pragma omp parallel num_threads(nt)
  {
    const int t = omp_get_thread_num();
    float *pw = dw ? partW.data() + t * cols : nullptr;
    float *pb = db ? partB.data() + t * cols : nullptr;
#pragma omp for schedule(static)
    for (size_t r = 0; r < rows; r++) {
      const float *gr = g + r * cols, *xr = x + r * cols;
      float *d = dx + r * cols;
      const float mu = mean[r], rs = rstd[r];
      double sumD = 0, sumDX = 0;
#pragma omp simd reduction(+ : sumD, sumDX)
      for (size_t j = 0; j < cols; j++) {
        const float xhat = (xr[j] - mu) * rs;
        const float dxhat = gr[j] * (w ? w[j] : 1.0f);
        sumD += dxhat;
        sumDX += dxhat * xhat;
      }
      if (pw) {
#pragma omp simd
        for (size_t j = 0; j < cols; j++) pw[j] += gr[j] * ((xr[j] - mu) * rs);
      }
      if (pb) {
#pragma omp simd
        for (size_t j = 0; j < cols; j++) pb[j] += gr[j];
      }
      const float mD = static_cast<float>(sumD / cols), mDX = static_cast<float>(sumDX / cols);
#pragma omp simd
      for (size_t j = 0; j < cols; j++) {
        const float xhat = (xr[j] - mu) * rs;
        d[j] = rs * (gr[j] * (w ? w[j] : 1.0f) - mD - xhat * mDX);
      }
    }
  }
  for (int t = 0; t < nt; t++) {
    if (dw)
      for (size_t j = 0; j < cols; j++) dw[j] += partW[t * cols + j];
    if (db)
      for (size_t j = 0; j < cols; j++) db[j] += partB[t * cols + j];
  }
}

}  // namespace gp
