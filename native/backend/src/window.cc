// Window kernels of convolutional networks: im2col/col2im, pooling, batch norm (window.h).
// Every loop runs over (image, channel) planes, or channels for batch norm, split across threads:
// each plane's output is written by one thread only, so col2im and the pooling backwards
// accumulate without atomics. The same arithmetic as src/backends/reference/window.ts and
// batchnorm.ts (the oracle the tests compare with).
#include <algorithm>
#include <cmath>
#include "common.h"
#include "window.h"

namespace gp {

namespace {

// The output positions o in [lo, hi) whose input o*stride - pad + offset lies in [0, inSize).
struct Range {
  int64_t lo, hi;
};

Range validRange(int64_t outSize, int64_t inSize, int64_t stride, int64_t pad, int64_t offset) {
  // o*stride - pad + offset >= 0  <=>  o >= ceil((pad - offset) / stride)
  const int64_t num = pad - offset;
  const int64_t lo = std::min(outSize, std::max<int64_t>(0, num > 0 ? (num + stride - 1) / stride : -((-num) / stride)));
  // o*stride - pad + offset <= inSize - 1  <=>  o <= floor((inSize - 1 + pad - offset) / stride)
  const int64_t top = inSize - 1 + pad - offset;
  const int64_t hi = std::min<int64_t>(outSize, top >= 0 ? top / stride + 1 : 0);
  return {lo, std::max(lo, hi)};
}

inline int planeThreads(const Window2d &w) {
  return threadsFor(static_cast<size_t>(w.N * w.C * std::max(w.H * w.W, w.kh * w.kw * w.OH * w.OW)));
}

}  // namespace

void im2col(const float *x, const Window2d &w, float *out) {
  const int64_t L = w.OH * w.OW, plane = w.H * w.W, planes = w.N * w.C, K = w.kh * w.kw;
#pragma omp parallel for schedule(static) num_threads(planeThreads(w))
  for (int64_t p = 0; p < planes; p++) {
    const float *xp = x + p * plane;
    for (int64_t i = 0; i < w.kh; i++) {
      const Range rh = validRange(w.OH, w.H, w.sh, w.ph, i * w.dh);
      for (int64_t j = 0; j < w.kw; j++) {
        const Range rw = validRange(w.OW, w.W, w.sw, w.pw, j * w.dw);
        float *o = out + (p * K + i * w.kw + j) * L;
        std::fill(o, o + rh.lo * w.OW, 0.0f);
        for (int64_t oh = rh.lo; oh < rh.hi; oh++) {
          float *r = o + oh * w.OW;
          const float *src = xp + (oh * w.sh - w.ph + i * w.dh) * w.W - w.pw + j * w.dw;
          std::fill(r, r + rw.lo, 0.0f);
          if (w.sw == 1) {
            std::copy(src + rw.lo, src + rw.hi, r + rw.lo);
          } else {
            for (int64_t ow = rw.lo; ow < rw.hi; ow++) r[ow] = src[ow * w.sw];
          }
          std::fill(r + rw.hi, r + w.OW, 0.0f);
        }
        std::fill(o + rh.hi * w.OW, o + L, 0.0f);
      }
    }
  }
}

void col2im(const float *cols, const Window2d &w, float *out) {
  const int64_t L = w.OH * w.OW, plane = w.H * w.W, planes = w.N * w.C, K = w.kh * w.kw;
#pragma omp parallel for schedule(static) num_threads(planeThreads(w))
  for (int64_t p = 0; p < planes; p++) {
    float *op = out + p * plane;
    std::fill(op, op + plane, 0.0f);
    for (int64_t i = 0; i < w.kh; i++) {
      const Range rh = validRange(w.OH, w.H, w.sh, w.ph, i * w.dh);
      for (int64_t j = 0; j < w.kw; j++) {
        const Range rw = validRange(w.OW, w.W, w.sw, w.pw, j * w.dw);
        const float *c = cols + (p * K + i * w.kw + j) * L;
        for (int64_t oh = rh.lo; oh < rh.hi; oh++) {
          const float *r = c + oh * w.OW;
          float *dst = op + (oh * w.sh - w.ph + i * w.dh) * w.W - w.pw + j * w.dw;
          if (w.sw == 1) {
#pragma omp simd
            for (int64_t ow = rw.lo; ow < rw.hi; ow++) dst[ow] += r[ow];
          } else {
            for (int64_t ow = rw.lo; ow < rw.hi; ow++) dst[ow * w.sw] += r[ow];
          }
        }
      }
    }
  }
}

void maxPool2d(const float *x, const Window2d &w, float *out, int32_t *idx) {
  const int64_t plane = w.H * w.W, L = w.OH * w.OW, planes = w.N * w.C;
#pragma omp parallel for schedule(static) num_threads(planeThreads(w))
  for (int64_t p = 0; p < planes; p++) {
    const float *xp = x + p * plane;
    float *op = out + p * L;
    int32_t *ip = idx + p * L;
    for (int64_t oh = 0; oh < w.OH; oh++) {
      for (int64_t ow = 0; ow < w.OW; ow++) {
        float best = -INFINITY;
        int64_t at = -1;
        for (int64_t i = 0; i < w.kh; i++) {
          const int64_t h = oh * w.sh - w.ph + i * w.dh;
          if (h < 0 || h >= w.H) continue;
          for (int64_t j = 0; j < w.kw; j++) {
            const int64_t ww = ow * w.sw - w.pw + j * w.dw;
            if (ww < 0 || ww >= w.W) continue;
            const float v = xp[h * w.W + ww];
            // the first NaN wins, as in PyTorch, so it propagates
            if (at < 0 || v > best || (std::isnan(v) && !std::isnan(best))) {
              best = v;
              at = h * w.W + ww;
            }
          }
        }
        op[oh * w.OW + ow] = best;
        ip[oh * w.OW + ow] = static_cast<int32_t>(at);
      }
    }
  }
}

void maxPool2dBackward(const float *g, const int32_t *idx, const Window2d &w, float *out) {
  const int64_t plane = w.H * w.W, L = w.OH * w.OW, planes = w.N * w.C;
#pragma omp parallel for schedule(static) num_threads(planeThreads(w))
  for (int64_t p = 0; p < planes; p++) {
    float *op = out + p * plane;
    const float *gp = g + p * L;
    const int32_t *ip = idx + p * L;
    std::fill(op, op + plane, 0.0f);
    for (int64_t k = 0; k < L; k++)
      if (ip[k] >= 0) op[ip[k]] += gp[k];
  }
}

void avgPool2d(const float *x, const Window2d &w, float *out) {
  const int64_t plane = w.H * w.W, L = w.OH * w.OW, planes = w.N * w.C;
  const float inv = 1.0f / static_cast<float>(w.kh * w.kw);
#pragma omp parallel for schedule(static) num_threads(planeThreads(w))
  for (int64_t p = 0; p < planes; p++) {
    const float *xp = x + p * plane;
    float *op = out + p * L;
    for (int64_t oh = 0; oh < w.OH; oh++) {
      for (int64_t ow = 0; ow < w.OW; ow++) {
        float s = 0;
        for (int64_t i = 0; i < w.kh; i++) {
          const int64_t h = oh * w.sh - w.ph + i * w.dh;
          if (h < 0 || h >= w.H) continue;
          for (int64_t j = 0; j < w.kw; j++) {
            const int64_t ww = ow * w.sw - w.pw + j * w.dw;
            if (ww >= 0 && ww < w.W) s += xp[h * w.W + ww];
          }
        }
        op[oh * w.OW + ow] = s * inv;
      }
    }
  }
}

void avgPool2dBackward(const float *g, const Window2d &w, float *out) {
  const int64_t plane = w.H * w.W, L = w.OH * w.OW, planes = w.N * w.C;
  const float inv = 1.0f / static_cast<float>(w.kh * w.kw);
#pragma omp parallel for schedule(static) num_threads(planeThreads(w))
  for (int64_t p = 0; p < planes; p++) {
    float *op = out + p * plane;
    const float *gp = g + p * L;
    std::fill(op, op + plane, 0.0f);
    for (int64_t oh = 0; oh < w.OH; oh++) {
      for (int64_t ow = 0; ow < w.OW; ow++) {
        const float v = gp[oh * w.OW + ow] * inv;
        for (int64_t i = 0; i < w.kh; i++) {
          const int64_t h = oh * w.sh - w.ph + i * w.dh;
          if (h < 0 || h >= w.H) continue;
          for (int64_t j = 0; j < w.kw; j++) {
            const int64_t ww = ow * w.sw - w.pw + j * w.dw;
            if (ww >= 0 && ww < w.W) op[h * w.W + ww] += v;
          }
        }
      }
    }
  }
}

void batchNorm(const float *x, size_t N, size_t C, size_t L, const float *weight, const float *bias, float eps,
               bool batchStats, float *mean, float *rstd, float *out) {
  const double count = static_cast<double>(N * L);
#pragma omp parallel for schedule(static) num_threads(threadsFor(N * C * L))
  for (size_t c = 0; c < C; c++) {
    if (batchStats) {
      // two passes in double, as the reference: a channel of a batch of images has 10^5 values
      double s = 0;
      for (size_t n = 0; n < N; n++) {
        const float *xr = x + (n * C + c) * L;
#pragma omp simd reduction(+ : s)
        for (size_t l = 0; l < L; l++) s += xr[l];
      }
      const double mu = s / count;
      double v = 0;
      for (size_t n = 0; n < N; n++) {
        const float *xr = x + (n * C + c) * L;
#pragma omp simd reduction(+ : v)
        for (size_t l = 0; l < L; l++) {
          const double d = xr[l] - mu;
          v += d * d;
        }
      }
      mean[c] = static_cast<float>(mu);
      rstd[c] = static_cast<float>(1.0 / std::sqrt(v / count + eps));
    }
    // out = (x - mean) * scale + bias: the reference folds the mean into the shift in double; in
    // float that fold would cancel (x * scale and the shift can be 10^3 times the result)
    const float mu = mean[c], sc = rstd[c] * (weight ? weight[c] : 1.0f), b = bias ? bias[c] : 0.0f;
    for (size_t n = 0; n < N; n++) {
      const float *xr = x + (n * C + c) * L;
      float *o = out + (n * C + c) * L;
#pragma omp simd
      for (size_t l = 0; l < L; l++) o[l] = (xr[l] - mu) * sc + b;
    }
  }
}

void batchNormBackward(const float *g, const float *x, size_t N, size_t C, size_t L, const float *weight,
                       bool batchStats, const float *mean, const float *rstd, float *dx, float *dweight, float *dbias) {
  const double count = static_cast<double>(N * L);
#pragma omp parallel for schedule(static) num_threads(threadsFor(N * C * L))
  for (size_t c = 0; c < C; c++) {
    const float mu = mean[c], rs = rstd[c], wc = weight ? weight[c] : 1.0f;
    // sum(g) and sum(g * xhat) over the channel: dbias, dweight, and the statistics' share of dx
    double sumG = 0, sumGX = 0;
    for (size_t n = 0; n < N; n++) {
      const float *gr = g + (n * C + c) * L, *xr = x + (n * C + c) * L;
#pragma omp simd reduction(+ : sumG, sumGX)
      for (size_t l = 0; l < L; l++) {
        sumG += gr[l];
        sumGX += static_cast<double>(gr[l]) * (xr[l] - mu);
      }
    }
    sumGX *= rs;
    if (dweight) dweight[c] = static_cast<float>(sumGX);
    if (dbias) dbias[c] = static_cast<float>(sumG);
    const float k = rs * wc;
    // dx = rstd * w * (g - mean(g) - xhat * mean(g * xhat)); without batch statistics only the first term
    const float mG = batchStats ? static_cast<float>(sumG / count) : 0.0f;
    const float kx = batchStats ? static_cast<float>(rs * (sumGX / count)) : 0.0f;
    for (size_t n = 0; n < N; n++) {
      const float *gr = g + (n * C + c) * L, *xr = x + (n * C + c) * L;
      float *d = dx + (n * C + c) * L;
#pragma omp simd
      for (size_t l = 0; l < L; l++) d[l] = k * (gr[l] - mG - (xr[l] - mu) * kx);
    }
  }
}

}  // namespace gp
