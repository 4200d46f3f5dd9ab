// Elementwise unary and broadcasting binary ops, GELU forward/backward.
#include <vector>
#include "common.h"
#include "kernels.h"

namespace gp {

namespace {

template <class F>
void map1(const float *x, float *out, size_t n, F f) {
#pragma omp parallel for simd schedule(static) num_threads(threadsFor(n))
  for (size_t i = 0; i < n; i++) out[i] = f(x[i]);
}

// Scalar semantics follow src/backends/reference/elementwise.ts exactly (max keeps a when
// a >= b, so a NaN in b is dropped and one in a is kept, as there).
struct Add { float operator()(float a, float b) const { return a + b; } };
struct Sub { float operator()(float a, float b) const { return a - b; } };
struct Mul { float operator()(float a, float b) const { return a * b; } };
struct Div { float operator()(float a, float b) const { return a / b; } };
struct Pow { float operator()(float a, float b) const { return static_cast<float>(std::pow(double(a), double(b))); } };
struct Max { float operator()(float a, float b) const { return a >= b ? a : b; } };
struct Min { float operator()(float a, float b) const { return a <= b ? a : b; } };
struct Eq { float operator()(float a, float b) const { return a == b ? 1.0f : 0.0f; } };
struct Gt { float operator()(float a, float b) const { return a > b ? 1.0f : 0.0f; } };
struct Lt { float operator()(float a, float b) const { return a < b ? 1.0f : 0.0f; } };
struct Ge { float operator()(float a, float b) const { return a >= b ? 1.0f : 0.0f; } };

// One row of the output: n elements, inputs stepping by sa and sb (0 = broadcast).
template <class F>
inline void row(F f, const float *a, int64_t sa, const float *b, int64_t sb, float *out, size_t n) {
  if (sa == 1 && sb == 1) {
#pragma omp simd
    for (size_t j = 0; j < n; j++) out[j] = f(a[j], b[j]);
  } else if (sa == 1 && sb == 0) {
    const float bv = b[0];
#pragma omp simd
    for (size_t j = 0; j < n; j++) out[j] = f(a[j], bv);
  } else if (sa == 0 && sb == 1) {
    const float av = a[0];
#pragma omp simd
    for (size_t j = 0; j < n; j++) out[j] = f(av, b[j]);
  } else {
    for (size_t j = 0; j < n; j++) out[j] = f(a[j * sa], b[j * sb]);
  }
}

// The output is contiguous; dims are first merged where both inputs allow it (a bias under
// (B, T, C) becomes (B*T, C) with strides (0, 1)), then rows of the last dim are spread over threads.
template <class F>
void broadcast(F f, const float *a, const int64_t *aStr, const float *b, const int64_t *bStr, float *out,
               const int64_t *shape, int nd) {
  std::vector<int64_t> sh, as, bs;
  for (int d = 0; d < nd; d++) {
    if (shape[d] == 1) continue;
    if (!sh.empty() && as.back() == aStr[d] * shape[d] && bs.back() == bStr[d] * shape[d]) {
      sh.back() *= shape[d];
      as.back() = aStr[d];
      bs.back() = bStr[d];
    } else {
      sh.push_back(shape[d]);
      as.push_back(aStr[d]);
      bs.push_back(bStr[d]);
    }
  }
  if (sh.empty()) {
    out[0] = f(a[0], b[0]);
    return;
  }
  const int m = static_cast<int>(sh.size());
  const size_t last = sh[m - 1];
  size_t rows = 1;
  for (int d = 0; d < m - 1; d++) rows *= sh[d];
#pragma omp parallel for schedule(static) num_threads(threadsFor(rows * last))
  for (size_t r = 0; r < rows; r++) {
    // offsets of row r from its multi-index (dims other than the last, innermost fastest)
    int64_t ia = 0, ib = 0;
    size_t rem = r;
    for (int d = m - 2; d >= 0; d--) {
      const size_t i = rem % sh[d];
      rem /= sh[d];
      ia += i * as[d];
      ib += i * bs[d];
    }
    row(f, a + ia, as[m - 1], b + ib, bs[m - 1], out + r * last, last);
  }
}

}  // namespace

void unary(Unary op, const float *x, float *out, size_t n) {
  switch (op) {
    case Unary::neg: return map1(x, out, n, [](float v) { return -v; });
    case Unary::exp: return map1(x, out, n, [](float v) { return fexp(v); });
    case Unary::log: return map1(x, out, n, [](float v) { return std::log(v); });
    case Unary::sqrt: return map1(x, out, n, [](float v) { return std::sqrt(v); });
    case Unary::tanh: return map1(x, out, n, [](float v) { return ftanh(v); });
    case Unary::sigmoid: return map1(x, out, n, [](float v) { return 1.0f / (1.0f + fexp(-v)); });
    case Unary::relu: return map1(x, out, n, [](float v) { return v > 0 ? v : 0.0f; });
    case Unary::abs: return map1(x, out, n, [](float v) { return std::fabs(v); });
  }
}

void binary(Binary op, const float *a, const int64_t *aStr, const float *b, const int64_t *bStr, float *out,
            const int64_t *shape, int nd) {
  for (int d = 0; d < nd; d++)
    if (shape[d] == 0) return;
  switch (op) {
    case Binary::add: return broadcast(Add{}, a, aStr, b, bStr, out, shape, nd);
    case Binary::sub: return broadcast(Sub{}, a, aStr, b, bStr, out, shape, nd);
    case Binary::mul: return broadcast(Mul{}, a, aStr, b, bStr, out, shape, nd);
    case Binary::div: return broadcast(Div{}, a, aStr, b, bStr, out, shape, nd);
    case Binary::pow: return broadcast(Pow{}, a, aStr, b, bStr, out, shape, nd);
    case Binary::max: return broadcast(Max{}, a, aStr, b, bStr, out, shape, nd);
    case Binary::min: return broadcast(Min{}, a, aStr, b, bStr, out, shape, nd);
    case Binary::eq: return broadcast(Eq{}, a, aStr, b, bStr, out, shape, nd);
    case Binary::gt: return broadcast(Gt{}, a, aStr, b, bStr, out, shape, nd);
    case Binary::lt: return broadcast(Lt{}, a, aStr, b, bStr, out, shape, nd);
    case Binary::ge: return broadcast(Ge{}, a, aStr, b, bStr, out, shape, nd);
  }
}

void geluForward(const float *x, float *out, float *th, size_t n) {
#pragma omp parallel for simd schedule(static) num_threads(threadsFor(n))
  for (size_t i = 0; i < n; i++) {
    float t;
    out[i] = gelu(x[i], &t);
    th[i] = t;
  }
}

void geluBackward(const float *g, const float *x, const float *th, float *dx, size_t n) {
#pragma omp parallel for simd schedule(static) num_threads(threadsFor(n))
  for (size_t i = 0; i < n; i++) {
    dx[i] = g[i] * geluGrad(x[i], th[i]);
  }
}

}  // namespace gp
