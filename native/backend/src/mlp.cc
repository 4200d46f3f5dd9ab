// The MLP's first layer fused with its GELU: forward (bias, GEMM, GELU in one call) and the
// backward of the GELU and the bias in one pass (PyTorch's eager mode runs the GELU backward and
// the bias gradient's row sum as two kernels, each reading the whole (rows, 4C) gradient).
#include <vector>
#include "common.h"
#include "kernels.h"

namespace gp {

void linearGelu(const float *x, const float *w, const float *bias, float *pre, float *out, float *th, size_t rows,
                size_t k, size_t n) {
  linear(x, w, bias, pre, rows, k, n);
  geluForward(pre, out, th, rows * n);
}

void biasGeluBackward(const float *g, const float *pre, const float *th, size_t rows, size_t n, float *dpre,
                      float *dbias) {
  // each thread sums its rows into its own partial (double, as the reference's row sum), added up at the end
  const int nt = threadsFor(rows * n);
  std::vector<double> part(dbias ? nt * n : 0, 0.0);
#pragma omp parallel num_threads(nt)
  {
    double *acc = dbias ? part.data() + omp_get_thread_num() * n : nullptr;
#pragma omp for schedule(static)
    for (size_t r = 0; r < rows; r++) {
      const float *gr = g + r * n, *xr = pre + r * n, *tr = th + r * n;
      float *d = dpre + r * n;
      if (acc) {
#pragma omp simd
        for (size_t j = 0; j < n; j++) {
          const float v = gr[j] * geluGrad(xr[j], tr[j]);
          d[j] = v;
          acc[j] += v;
        }
      } else {
#pragma omp simd
        for (size_t j = 0; j < n; j++) d[j] = gr[j] * geluGrad(xr[j], tr[j]);
      }
    }
  }
  if (!dbias) return;
  for (size_t j = 0; j < n; j++) {
    double s = 0;
    for (int t = 0; t < nt; t++) s += part[t * n + j];
    dbias[j] = static_cast<float>(s);
  }
}

}  // namespace gp
