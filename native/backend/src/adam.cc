// The Adam(W) step: over one tensor, and over every parameter of a model in one call.
#include "common.h"
#include "kernels.h"

namespace gp {

namespace {

// Elements [lo, hi) of one tensor.
inline void adamSpan(const AdamTensor &t, size_t lo, size_t hi) {
  const AdamStep &s = t.step;
  const float b1 = s.beta1, b2 = s.beta2, ob1 = 1 - s.beta1, ob2 = 1 - s.beta2;
  float *p = t.p, *m = t.m, *v = t.v;
  const float *g = t.g;
#pragma omp simd
  for (size_t i = lo; i < hi; i++) {
    const float gi = g[i] + s.l2 * p[i];
    const float mi = b1 * m[i] + ob1 * gi;
    const float vi = b2 * v[i] + ob2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    p[i] = p[i] * s.decay - (s.stepSize * mi) / (std::sqrt(vi) * s.invSqrtC2 + s.eps);
  }
}

}  // namespace

void adam(float *p, const float *g, float *m, float *v, size_t n, const AdamStep &s) {
  const AdamTensor t{p, g, m, v, n, s};
  const int nt = threadsFor(n);
#pragma omp parallel num_threads(nt)
  {
    const size_t parts = omp_get_num_threads(), i = omp_get_thread_num();
    adamSpan(t, n * i / parts, n * (i + 1) / parts);
  }
}

// All tensors as one concatenated range split evenly over the threads: a model's many small
// tensors (biases, norms: each below the size worth a parallel region) are spread too, and the
// whole update is one parallel region instead of one per tensor.
void adamMany(const AdamTensor *ts, size_t count) {
  size_t total = 0;
  for (size_t i = 0; i < count; i++) total += ts[i].n;
  const int nt = threadsFor(total);
#pragma omp parallel num_threads(nt)
  {
    const size_t parts = omp_get_num_threads(), me = omp_get_thread_num();
    const size_t lo = total * me / parts, hi = total * (me + 1) / parts;
    size_t start = 0;  // where tensor i begins in the concatenation
    for (size_t i = 0; i < count && start < hi; start += ts[i].n, i++) {
      const size_t end = start + ts[i].n;
      if (end <= lo) continue;
      adamSpan(ts[i], (lo > start ? lo : start) - start, (hi < end ? hi : end) - start);
    }
  }
}

}  // namespace gp
