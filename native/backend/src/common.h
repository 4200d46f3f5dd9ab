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
  const float shifter = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer
  float n = (xc * 1.44269504088896341f + shifter) - shifter;
  float r = xc - n * 0.693359375f + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  int32_t bits = (static_cast<int32_t>(n) + 126) << 23;
  const float scale = __builtin_bit_cast(float, bits);
  float y = p * scale * 2.0f;
  y = x < lo ? 0.0f : y;
  return x > hi ? INFINITY : y;
}

// tanh near 0 by its Taylor series (to x^7: within float precision for |x| < 0.125), where
// the forms through exp below cancel.
inline float tanhSmall(float x) {
  const float x2 = x * x;
  return x * (1.0f + x2 * (-1.0f / 3 + x2 * (2.0f / 15 + x2 * (-17.0f / 315))));
}

// tanh(x) through one exp, with the series near 0.
inline float ftanh(float x) {
  const float big = 1.0f - 2.0f / (fexp(2.0f * x) + 1.0f);
  return std::fabs(x) < 0.125f ? tanhSmall(x) : big;
}

constexpr float kSqrt2OverPi = 0.7978845608028654f;

// GELU, tanh approximation (as in GPT-2): returns it and writes tanh(u) into *th. 1 + tanh(u) is
// computed as 2 / (1 + e^-2u), which keeps its relative accuracy where tanh is near -1 (1 + tanh
// would cancel to 0 in float for u < -9), and tanh by the series near 0.
inline float gelu(float v, float *th) {
  const float u = kSqrt2OverPi * (v + 0.044715f * v * v * v);
  const float small = tanhSmall(u);
  const float g = 2.0f / (1.0f + fexp(-2.0f * u));
  const bool near0 = std::fabs(u) < 0.125f;
  *th = near0 ? small : g - 1.0f;
  return 0.5f * v * (near0 ? 1.0f + small : g);
}

// d gelu(v) / dv, from v and the tanh value gelu() wrote.
inline float geluGrad(float v, float t) {
  return 0.5f * (1.0f + t) + 0.5f * v * (1.0f - t * t) * kSqrt2OverPi * (1.0f + 3.0f * 0.044715f * v * v);
}

}  // namespace gp
