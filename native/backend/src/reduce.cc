// Reductions over the middle axis of (outer, dim, inner), sums of squares, argmax.
#include <vector>
#include "common.h"
#include "kernels.h"

namespace gp {

namespace {

// Sums accumulate in double, as the reference's JavaScript numbers do.
void sumRows(const float *x, size_t outer, size_t dim, size_t inner, float *out) {
  if (inner == 1) {
#pragma omp parallel for schedule(static) num_threads(threadsFor(outer * dim))
    for (size_t o = 0; o < outer; o++) {
      const float *r = x + o * dim;
      double s = 0;
#pragma omp simd reduction(+ : s)
      for (size_t d = 0; d < dim; d++) s += r[d];
      out[o] = static_cast<float>(s);
    }
    return;
  }
  // (outer, dim, inner) with inner > 1: each thread takes whole outer slices when there are
  // enough of them, else a range of columns (a bias gradient is outer = 1, dim = B*T, inner = C).
  const int nt = threadsFor(outer * dim * inner);
  const bool byColumns = outer < static_cast<size_t>(nt);
  const size_t parts = byColumns ? static_cast<size_t>(nt) : outer;
#pragma omp parallel for schedule(static) num_threads(nt)
  for (size_t p = 0; p < parts; p++) {
    const size_t o0 = byColumns ? 0 : p, o1 = byColumns ? outer : p + 1;
    const size_t c0 = byColumns ? inner * p / parts : 0, c1 = byColumns ? inner * (p + 1) / parts : inner;
    std::vector<double> acc(c1 - c0);
    for (size_t o = o0; o < o1; o++) {
      std::fill(acc.begin(), acc.end(), 0.0);
      for (size_t d = 0; d < dim; d++) {
        const float *r = x + (o * dim + d) * inner;
#pragma omp simd
        for (size_t i = c0; i < c1; i++) acc[i - c0] += r[i];
      }
      for (size_t i = c0; i < c1; i++) out[o * inner + i] = static_cast<float>(acc[i - c0]);
    }
  }
}

template <bool IsMax>
void extremum(const float *x, size_t outer, size_t dim, size_t inner, float *out) {
#pragma omp parallel for schedule(static) num_threads(threadsFor(outer * dim * inner))
  for (size_t o = 0; o < outer; o++) {
    const float *base = x + o * dim * inner;
    float *ob = out + o * inner;
    for (size_t i = 0; i < inner; i++) ob[i] = base[i];
    for (size_t d = 1; d < dim; d++) {
      const float *r = base + d * inner;
      for (size_t i = 0; i < inner; i++) {
        const float v = r[i], best = ob[i];
        // as the reference: a NaN wins and stays
        const bool better = (IsMax ? v > best : v < best) || v != v;
        ob[i] = better ? v : best;
      }
    }
  }
}

}  // namespace

void reduce(Reduce op, const float *x, size_t outer, size_t dim, size_t inner, float *out) {
  if (outer == 0 || inner == 0) return;
  switch (op) {
    case Reduce::sum: return sumRows(x, outer, dim, inner, out);
    case Reduce::max: return extremum<true>(x, outer, dim, inner, out);
    case Reduce::min: return extremum<false>(x, outer, dim, inner, out);
  }
}

double sumSquares(const float *x, size_t n) {
  double s = 0;
#pragma omp parallel for simd reduction(+ : s) schedule(static) num_threads(threadsFor(n))
  for (size_t i = 0; i < n; i++) s += double(x[i]) * double(x[i]);
  return s;
}

void argmax(const float *x, size_t outer, size_t dim, size_t inner, int32_t *out) {
#pragma omp parallel for schedule(static) num_threads(threadsFor(outer * dim * inner))
  for (size_t o = 0; o < outer; o++) {
    for (size_t i = 0; i < inner; i++) {
      const float *base = x + o * dim * inner + i;
      float best = base[0];
      int32_t arg = 0;
      for (size_t d = 1; d < dim; d++) {
        const float v = base[d * inner];
        if (v > best) {
          best = v;
          arg = static_cast<int32_t>(d);
        }
      }
      out[o * inner + i] = arg;
    }
  }
}

}  // namespace gp
