// gather / scatterAdd along the middle axis, and strided copies of 4-byte elements.
#include <vector>
#include "common.h"
#include "kernels.h"

namespace gp {

void gather(const float *x, size_t outer, size_t dim, size_t inner, const int32_t *idx, size_t m, float *out) {
#pragma omp parallel for collapse(2) schedule(static) num_threads(threadsFor(outer * m * inner))
  for (size_t o = 0; o < outer; o++)
    for (size_t j = 0; j < m; j++)
      std::memcpy(out + (o * m + j) * inner, x + (o * dim + idx[j]) * inner, inner * sizeof(float));
}

void scatterAdd(const float *src, size_t outer, size_t dim, size_t inner, const int32_t *idx, size_t m, float *out) {
  // Repeated indices add into the same row, so threads split the columns, never the rows.
  const int nt = inner >= 64 ? threadsFor(outer * m * inner) : 1;
#pragma omp parallel num_threads(nt)
  {
    const size_t t = omp_get_thread_num(), T = omp_get_num_threads();
    const size_t c0 = inner * t / T, c1 = inner * (t + 1) / T;
    for (size_t o = 0; o < outer; o++)
      for (size_t j = 0; j < m; j++) {
        const float *s = src + (o * m + j) * inner;
        float *d = out + (o * dim + idx[j]) * inner;
#pragma omp simd
        for (size_t i = c0; i < c1; i++) d[i] += s[i];
      }
  }
}

void copyStrided(const uint32_t *x, const int64_t *shape, const int64_t *strides, int nd, uint32_t *out) {
  // merge dims that are contiguous with each other, then copy row by row of the last dim
  std::vector<int64_t> sh, st;
  for (int d = 0; d < nd; d++) {
    if (shape[d] == 0) return;
    if (shape[d] == 1) continue;
    if (!sh.empty() && st.back() == strides[d] * shape[d]) {
      sh.back() *= shape[d];
      st.back() = strides[d];
    } else {
      sh.push_back(shape[d]);
      st.push_back(strides[d]);
    }
  }
  if (sh.empty()) {
    out[0] = x[0];
    return;
  }
  const int m = static_cast<int>(sh.size());
  const size_t last = sh[m - 1];
  const int64_t sl = st[m - 1];
  size_t rows = 1;
  for (int d = 0; d < m - 1; d++) rows *= sh[d];
#pragma omp parallel for schedule(static) num_threads(threadsFor(rows * last))
  for (size_t r = 0; r < rows; r++) {
    int64_t ix = 0;
    size_t rem = r;
    for (int d = m - 2; d >= 0; d--) {
      ix += static_cast<int64_t>(rem % sh[d]) * st[d];
      rem /= sh[d];
    }
    uint32_t *o = out + r * last;
    const uint32_t *s = x + ix;
    if (sl == 1) std::memcpy(o, s, last * sizeof(uint32_t));
    else
      for (size_t j = 0; j < last; j++) o[j] = s[j * sl];
  }
}

}  // namespace gp
