// The window kernels of convolutional networks (src/backends/backend.ts, WindowKernels, has each
// one's contract): im2col and its adjoint col2im, max and average pooling with their backward
// passes, and batch norm over channels. Kept apart from kernels.h: they serve one chapter.
#pragma once
#include <cstddef>
#include <cstdint>

namespace gp {

// Where a 2-D window reads: input (N, C, H, W), a kh x kw window moved by (sh, sw), padding
// (ph, pw), dilation (dh, dw), output OH x OW. Same fields and order as Window2d in backend.ts.
struct Window2d {
  int64_t N, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, OH, OW;
};

void im2col(const float *x, const Window2d &w, float *out);
void col2im(const float *cols, const Window2d &w, float *out);
void maxPool2d(const float *x, const Window2d &w, float *out, int32_t *idx);
void maxPool2dBackward(const float *g, const int32_t *idx, const Window2d &w, float *out);
void avgPool2d(const float *x, const Window2d &w, float *out);
void avgPool2dBackward(const float *g, const Window2d &w, float *out);
// x viewed as (N, C, L); with batchStats the per-channel mean and rstd are computed (else read).
void batchNorm(const float *x, size_t N, size_t C, size_t L, const float *weight, const float *bias, float eps,
               bool batchStats, float *mean, float *rstd, float *out);
void batchNormBackward(const float *g, const float *x, size_t N, size_t C, size_t L, const float *weight,
                       bool batchStats, const float *mean, const float *rstd, float *dx, float *dweight, float *dbias);

}  // namespace gp
