// The native backend's kernels: plain C++ over raw float pointers, one declaration per primitive
// of src/backends/backend.ts (see there for each one's contract). addon.cc binds them to Node-API.
#pragma once
#include <cstddef>
#include <cstdint>

namespace gp {

enum class Unary { neg, exp, log, sqrt, tanh, sigmoid, relu, abs };
enum class Binary { add, sub, mul, div, pow, max, min, eq, gt, lt, ge };
enum class Reduce { sum, max, min };

struct AdamStep {
  float beta1, beta2, eps, stepSize, invSqrtC2, decay, l2;
};

// One parameter's share of a multi-tensor Adam step: its arrays (n floats each) and scalars.
struct AdamTensor {
  float *p;
  const float *g;
  float *m, *v;
  size_t n;
  AdamStep step;
};

// Threads for our loops and BLAS together (both on one OpenMP pool, so they never compete).
void setThreads(int n);
int threads();
const char *blasName();
// The library the matmuls run on: oneDNN where the build found it (GRADPATH_GEMM=openblas: OpenBLAS), else OpenBLAS.
const char *gemmName();

void unary(Unary op, const float *x, float *out, size_t n);
void binary(Binary op, const float *a, const int64_t *aStrides, const float *b, const int64_t *bStrides, float *out,
            const int64_t *shape, int nd);
void reduce(Reduce op, const float *x, size_t outer, size_t dim, size_t inner, float *out);
double sumSquares(const float *x, size_t n);
void argmax(const float *x, size_t outer, size_t dim, size_t inner, int32_t *out);
void matmul(const float *a, const float *b, float *out, size_t batch, size_t m, size_t k, size_t n, bool transA,
            bool transB, size_t aBatchStride, size_t bBatchStride);
void gather(const float *x, size_t outer, size_t dim, size_t inner, const int32_t *idx, size_t m, float *out);
void scatterAdd(const float *src, size_t outer, size_t dim, size_t inner, const int32_t *idx, size_t m, float *out);
// Works on 4-byte elements of any type (float or int32): bits are copied, never converted.
void copyStrided(const uint32_t *x, const int64_t *shape, const int64_t *strides, int nd, uint32_t *out);
void softmax(const float *x, size_t rows, size_t cols, float *out, bool log);
void scaledSoftmax(const float *x, size_t rows, size_t cols, float scale, size_t queries, float *out);
void layerNorm(const float *x, const float *w, const float *b, size_t rows, size_t cols, float eps, float *out,
               float *mean, float *rstd);
void layerNormBackward(const float *g, const float *x, const float *w, const float *mean, const float *rstd,
                       size_t rows, size_t cols, float *dx, float *dw, float *db);
void adam(float *p, const float *g, float *m, float *v, size_t n, const AdamStep &s);
// One Adam(W) step over every tensor, the elements of all of them split evenly over the threads.
void adamMany(const AdamTensor *ts, size_t count);
void geluForward(const float *x, float *out, float *th, size_t n);
void geluBackward(const float *g, const float *x, const float *th, float *dx, size_t n);
void crossEntropyRows(const float *x, size_t rows, size_t cols, const int32_t *t, int32_t ignore, double *lse,
                      float *probs, double *pm1);
// out (rows, n) = x (rows, k) @ w^T + bias for w (n, k): a linear layer's forward in one GEMM (bias may be null).
void linear(const float *x, const float *w, const float *bias, float *out, size_t rows, size_t k, size_t n);
// The MLP's first layer and its GELU: pre (rows, n) = x (rows, k) @ w^T + bias (may be null), out = gelu(pre),
// th its tanh values (for the backward).
void linearGelu(const float *x, const float *w, const float *bias, float *pre, float *out, float *th, size_t rows,
                size_t k, size_t n);
// Backward of the GELU and the bias in one pass: dpre = g * gelu'(pre); dbias (when not null) = the sum of dpre's rows.
void biasGeluBackward(const float *g, const float *pre, const float *th, size_t rows, size_t n, float *dpre, float *dbias);
// sum = x + y and out = layerNorm(sum) (rows, cols), writing mean and rstd as layerNorm does.
void addLayerNorm(const float *x, const float *y, const float *w, const float *b, size_t rows, size_t cols, float eps,
                  float *sum, float *out, float *mean, float *rstd);
// Multi-head self-attention on qkv (B, T, 3C) = [q | k | v] per token, C = nh * hs: y (B, T, C)
// gets the heads side by side, att (B, nh, T, T) the softmax weights (kept for the backward).
void selfAttention(const float *qkv, size_t B, size_t T, size_t nh, size_t hs, float scale, bool causal, float *y,
                   float *att);
// dqkv (B, T, 3C), every element written, from dy (B, T, C) and the forward's qkv and att.
void selfAttentionBackward(const float *dy, const float *qkv, const float *att, size_t B, size_t T, size_t nh,
                           size_t hs, float scale, float *dqkv);

}  // namespace gp
