// Helpers shared by the kernel files: when to split work across threads, and a float exp that
// the compiler vectorizes (std::exp is a scalar libm call in every loop it appears in).
#pragma once
#include <omp.h>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace gp {

// Below this many floats touched, a parallel region's start-up (a few microseconds) costs more
// than it saves.
constexpr size_t kParallelMin = 1 << 15;

inline int threadsFor(size_t work) {
  return work < kParallelMin ? 1 : omp_get_max_threads();
}

// exp(x) in float, within 2 ulp: Cody-Waite range reduction to r in [-ln2/2, ln2/2], a degree-7
// polynomial (Cephes's coefficients), and 2^(n-1) * 2 built in the exponent bits (so n = 128
// still fits). Branch-free selects keep it vectorizable; -inf gives 0, +inf gives inf, NaN stays
// NaN; results below about 2.7e-38 (x < -87) flush to 0.
inline float fexp(float x) {
  const float hi = 88.72283905206835f, lo = -87.0f;
  float xc = x > hi ? hi : (x < lo ? lo : x);
  float n = std::floor(xc * 1.44269504088896341f + 0.5f);
  float r = xc - n * 0.693359375f + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  int32_t bits = (static_cast<int32_t>(n) + 126) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  float y = p * scale * 2.0f;
  y = x < lo ? 0.0f : y;
  return x > hi ? INFINITY : y;
}

// tanh through one exp, as the reference backend computes it.
inline float ftanh(float x) { return 1.0f - 2.0f / (fexp(2.0f * x) + 1.0f); }

constexpr float kSqrt2OverPi = 0.7978845608028654f;

}  // namespace gp
