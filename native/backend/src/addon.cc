// Node-API bindings of the native kernels. Every kernel works in place on the memory of the
// typed arrays it is given (ordinary JavaScript ArrayBuffers: Node-API hands out their data
// pointers, so nothing is copied in or out). Arguments are checked only as far as memory
// safety needs (array kinds and lengths); their meaning is checked by the engine above.
#include <napi.h>
#include <string>
#include <vector>
#include "kernels.h"
#include "window.h"

namespace {

[[noreturn]] void fail(const Napi::Env &env, const std::string &what) {
  throw Napi::TypeError::New(env, "native backend: " + what);
}

template <class T>
T *data(const Napi::CallbackInfo &info, size_t i, napi_typedarray_type want, size_t minLength,
        bool nullable = false) {
  napi_value v = info[i];
  if (nullable && (info[i].IsNull() || info[i].IsUndefined())) return nullptr;
  napi_typedarray_type type;
  size_t length;
  void *ptr;
  if (!info[i].IsTypedArray() ||
      napi_get_typedarray_info(info.Env(), v, &type, &length, &ptr, nullptr, nullptr) != napi_ok || type != want)
    fail(info.Env(), "argument " + std::to_string(i) + " has the wrong array type");
  if (length < minLength)
    fail(info.Env(), "argument " + std::to_string(i) + " holds " + std::to_string(length) + " elements, needs " +
                         std::to_string(minLength));
  return static_cast<T *>(ptr);
}

float *f32(const Napi::CallbackInfo &info, size_t i, size_t minLength, bool nullable = false) {
  return data<float>(info, i, napi_float32_array, minLength, nullable);
}
int32_t *i32(const Napi::CallbackInfo &info, size_t i, size_t minLength) {
  return data<int32_t>(info, i, napi_int32_array, minLength);
}
double *f64(const Napi::CallbackInfo &info, size_t i, size_t minLength, bool nullable = false) {
  return data<double>(info, i, napi_float64_array, minLength, nullable);
}

size_t length(const Napi::CallbackInfo &info, size_t i) { return info[i].As<Napi::TypedArray>().ElementLength(); }
size_t sz(const Napi::CallbackInfo &info, size_t i) {
  const double v = info[i].As<Napi::Number>().DoubleValue();
  if (!(v >= 0)) fail(info.Env(), "argument " + std::to_string(i) + " must be a non-negative size");
  return static_cast<size_t>(v);
}
double num(const Napi::CallbackInfo &info, size_t i) { return info[i].As<Napi::Number>().DoubleValue(); }

std::vector<int64_t> ints(const Napi::CallbackInfo &info, size_t i) {
  Napi::Array a = info[i].As<Napi::Array>();
  std::vector<int64_t> out(a.Length());
  for (uint32_t j = 0; j < a.Length(); j++) out[j] = a.Get(j).As<Napi::Number>().Int64Value();
  return out;
}

size_t product(const std::vector<int64_t> &shape) {
  size_t n = 1;
  for (int64_t s : shape) n *= static_cast<size_t>(s);
  return n;
}

// The furthest element (plus one) a strided view reaches from its start, for the bounds check.
size_t extent(const std::vector<int64_t> &shape, const std::vector<int64_t> &strides, size_t offset) {
  int64_t hi = static_cast<int64_t>(offset);
  for (size_t d = 0; d < shape.size(); d++) {
    if (shape[d] == 0) return 0;
    if (strides[d] > 0) hi += (shape[d] - 1) * strides[d];
  }
  return static_cast<size_t>(hi + 1);
}

void Unary(const Napi::CallbackInfo &info) {
  const size_t n = length(info, 2);
  gp::unary(static_cast<gp::Unary>(info[0].As<Napi::Number>().Int32Value()), f32(info, 1, n), f32(info, 2, n), n);
}

void Binary(const Napi::CallbackInfo &info) {
  auto as = ints(info, 2), bs = ints(info, 4), shape = ints(info, 6);
  if (as.size() != shape.size() || bs.size() != shape.size()) fail(info.Env(), "binary: strides and shape differ in rank");
  const size_t n = product(shape);
  const float *a = f32(info, 1, extent(shape, as, 0)), *b = f32(info, 3, extent(shape, bs, 0));
  gp::binary(static_cast<gp::Binary>(info[0].As<Napi::Number>().Int32Value()), a, as.data(), b, bs.data(),
             f32(info, 5, n), shape.data(), static_cast<int>(shape.size()));
}

void Reduce(const Napi::CallbackInfo &info) {
  const size_t outer = sz(info, 2), dim = sz(info, 3), inner = sz(info, 4);
  gp::reduce(static_cast<gp::Reduce>(info[0].As<Napi::Number>().Int32Value()), f32(info, 1, outer * dim * inner),
             outer, dim, inner, f32(info, 5, outer * inner));
}

Napi::Value SumSquares(const Napi::CallbackInfo &info) {
  const size_t n = length(info, 0);
  return Napi::Number::New(info.Env(), gp::sumSquares(f32(info, 0, n), n));
}

void Argmax(const Napi::CallbackInfo &info) {
  const size_t outer = sz(info, 1), dim = sz(info, 2), inner = sz(info, 3);
  gp::argmax(f32(info, 0, outer * dim * inner), outer, dim, inner, i32(info, 4, outer * inner));
}

void Matmul(const Napi::CallbackInfo &info) {
  const size_t batch = sz(info, 3), m = sz(info, 4), k = sz(info, 5), n = sz(info, 6);
  const bool ta = info[7].As<Napi::Boolean>(), tb = info[8].As<Napi::Boolean>();
  const size_t sa = sz(info, 9), sb = sz(info, 10);
  if (batch * m * n == 0) return;
  const size_t needA = batch ? (batch - 1) * sa + m * k : 0, needB = batch ? (batch - 1) * sb + k * n : 0;
  gp::matmul(f32(info, 0, needA), f32(info, 1, needB), f32(info, 2, batch * m * n), batch, m, k, n, ta, tb, sa, sb);
}

// The indices of gather/scatterAdd, each checked to lie in [0, dim): a bad one would read or write out of bounds.
const int32_t *indices(const Napi::CallbackInfo &info, size_t m, size_t dim, const char *what) {
  const int32_t *idx = i32(info, 4, m);
  for (size_t j = 0; j < m; j++)
    if (idx[j] < 0 || static_cast<size_t>(idx[j]) >= dim) fail(info.Env(), what);
  return idx;
}

void Gather(const Napi::CallbackInfo &info) {
  const size_t outer = sz(info, 1), dim = sz(info, 2), inner = sz(info, 3), m = length(info, 4);
  const int32_t *idx = indices(info, m, dim, "gather: index out of range");
  gp::gather(f32(info, 0, outer * dim * inner), outer, dim, inner, idx, m, f32(info, 5, outer * m * inner));
}

void ScatterAdd(const Napi::CallbackInfo &info) {
  const size_t outer = sz(info, 1), dim = sz(info, 2), inner = sz(info, 3), m = length(info, 4);
  const int32_t *idx = indices(info, m, dim, "scatterAdd: index out of range");
  gp::scatterAdd(f32(info, 0, outer * m * inner), outer, dim, inner, idx, m, f32(info, 5, outer * dim * inner));
}

void CopyStrided(const Napi::CallbackInfo &info) {
  auto shape = ints(info, 1), strides = ints(info, 2);
  if (strides.size() != shape.size()) fail(info.Env(), "copyStrided: strides and shape differ in rank");
  const size_t offset = sz(info, 3), n = product(shape);
  for (int64_t s : strides)
    if (s < 0) fail(info.Env(), "copyStrided: negative strides are not supported");
  // float32 or int32: both are 4-byte elements copied bit for bit
  const bool isInt = info[0].IsTypedArray() && info[0].As<Napi::TypedArray>().TypedArrayType() == napi_int32_array;
  const napi_typedarray_type type = isInt ? napi_int32_array : napi_float32_array;
  const uint32_t *x = data<uint32_t>(info, 0, type, extent(shape, strides, offset));
  uint32_t *out = data<uint32_t>(info, 4, type, n);
  gp::copyStrided(x + offset, shape.data(), strides.data(), static_cast<int>(shape.size()), out);
}

void Softmax(const Napi::CallbackInfo &info) {
  const size_t rows = sz(info, 1), cols = sz(info, 2);
  gp::softmax(f32(info, 0, rows * cols), rows, cols, f32(info, 3, rows * cols), info[4].As<Napi::Boolean>());
}

void ScaledSoftmax(const Napi::CallbackInfo &info) {
  const size_t rows = sz(info, 1), cols = sz(info, 2), queries = sz(info, 4);
  if (queries > cols) fail(info.Env(), "scaledSoftmax: more queries than columns");
  gp::scaledSoftmax(f32(info, 0, rows * cols), rows, cols, static_cast<float>(num(info, 3)), queries,
                    f32(info, 5, rows * cols));
}

void LayerNorm(const Napi::CallbackInfo &info) {
  const size_t rows = sz(info, 3), cols = sz(info, 4);
  gp::layerNorm(f32(info, 0, rows * cols), f32(info, 1, cols, true), f32(info, 2, cols, true), rows, cols,
                static_cast<float>(num(info, 5)), f32(info, 6, rows * cols), f32(info, 7, rows), f32(info, 8, rows));
}

void LayerNormBackward(const Napi::CallbackInfo &info) {
  const size_t rows = sz(info, 5), cols = sz(info, 6);
  gp::layerNormBackward(f32(info, 0, rows * cols), f32(info, 1, rows * cols), f32(info, 2, cols, true),
                        f32(info, 3, rows), f32(info, 4, rows), rows, cols, f32(info, 7, rows * cols),
                        f32(info, 8, cols, true), f32(info, 9, cols, true));
}

void Adam(const Napi::CallbackInfo &info) {
  const size_t n = length(info, 0);
  gp::AdamStep s;
  float *fields[] = {&s.beta1, &s.beta2, &s.eps, &s.stepSize, &s.invSqrtC2, &s.decay, &s.l2};
  for (size_t i = 0; i < 7; i++) *fields[i] = static_cast<float>(num(info, 4 + i));
  gp::adam(f32(info, 0, n), f32(info, 1, n), f32(info, 2, n), f32(info, 3, n), n, s);
}

// adamMany(params, grads, exp_avgs, exp_avg_sqs, steps): four arrays of Float32Arrays (one entry per
// tensor) and steps, a Float32Array of 7 scalars per tensor in AdamStep's order.
void AdamMany(const Napi::CallbackInfo &info) {
  Napi::Array arrays[4];
  for (size_t a = 0; a < 4; a++) {
    if (!info[a].IsArray()) fail(info.Env(), "adamMany: argument " + std::to_string(a) + " must be an array of Float32Arrays");
    arrays[a] = info[a].As<Napi::Array>();
  }
  const size_t count = arrays[0].Length();
  for (size_t a = 1; a < 4; a++)
    if (arrays[a].Length() != count) fail(info.Env(), "adamMany: the four arrays of tensors differ in length");
  const float *steps = f32(info, 4, 7 * count);
  std::vector<gp::AdamTensor> ts(count);
  for (uint32_t i = 0; i < count; i++) {
    float *ptr[4];
    size_t n = 0;
    for (size_t a = 0; a < 4; a++) {
      Napi::Value v = arrays[a].Get(i);
      napi_typedarray_type type;
      size_t len;
      void *data;
      if (!v.IsTypedArray() || napi_get_typedarray_info(info.Env(), v, &type, &len, &data, nullptr, nullptr) != napi_ok ||
          type != napi_float32_array)
        fail(info.Env(), "adamMany: tensor " + std::to_string(i) + " is not a Float32Array");
      if (a == 0) n = len;
      else if (len < n) fail(info.Env(), "adamMany: tensor " + std::to_string(i) + "'s gradient or moments are shorter than it");
      ptr[a] = static_cast<float *>(data);
    }
    const float *s = steps + 7 * i;
    ts[i] = gp::AdamTensor{ptr[0], ptr[1], ptr[2], ptr[3], n, gp::AdamStep{s[0], s[1], s[2], s[3], s[4], s[5], s[6]}};
  }
  gp::adamMany(ts.data(), count);
}

void GeluForward(const Napi::CallbackInfo &info) {
  const size_t n = length(info, 0);
  gp::geluForward(f32(info, 0, n), f32(info, 1, n), f32(info, 2, n), n);
}

void GeluBackward(const Napi::CallbackInfo &info) {
  const size_t n = length(info, 1);
  gp::geluBackward(f32(info, 0, n), f32(info, 1, n), f32(info, 2, n), f32(info, 3, n), n);
}

void CrossEntropyRows(const Napi::CallbackInfo &info) {
  const size_t rows = sz(info, 1), cols = sz(info, 2);
  const int32_t *t = i32(info, 3, rows);
  const int32_t ignore = info[4].As<Napi::Number>().Int32Value();
  for (size_t i = 0; i < rows; i++)
    if (t[i] != ignore && (t[i] < 0 || static_cast<size_t>(t[i]) >= cols)) fail(info.Env(), "crossEntropyRows: target out of range");
  float *probs = f32(info, 6, rows * cols, true);
  double *pm1 = f64(info, 7, rows, true);
  if (probs && !pm1) fail(info.Env(), "crossEntropyRows: probs needs pm1");
  gp::crossEntropyRows(f32(info, 0, rows * cols), rows, cols, t, ignore, f64(info, 5, rows), probs, pm1);
}

// linear(x, w, bias, out, rows, k, n)
void Linear(const Napi::CallbackInfo &info) {
  const size_t rows = sz(info, 4), k = sz(info, 5), n = sz(info, 6);
  gp::linear(f32(info, 0, rows * k), f32(info, 1, n * k), f32(info, 2, n), f32(info, 3, rows * n), rows, k, n);
}

// linearGelu(x, w, bias | null, pre, out, th, rows, k, n)
void LinearGelu(const Napi::CallbackInfo &info) {
  const size_t rows = sz(info, 6), k = sz(info, 7), n = sz(info, 8);
  gp::linearGelu(f32(info, 0, rows * k), f32(info, 1, n * k), f32(info, 2, n, true), f32(info, 3, rows * n),
                 f32(info, 4, rows * n), f32(info, 5, rows * n), rows, k, n);
}

// biasGeluBackward(g, pre, th, rows, n, dpre, dbias | null)
void BiasGeluBackward(const Napi::CallbackInfo &info) {
  const size_t rows = sz(info, 3), n = sz(info, 4);
  gp::biasGeluBackward(f32(info, 0, rows * n), f32(info, 1, rows * n), f32(info, 2, rows * n), rows, n,
                       f32(info, 5, rows * n), f32(info, 6, n, true));
}

// addLayerNorm(x, y, w | null, b | null, rows, cols, eps, sum, out, mean, rstd)
void AddLayerNorm(const Napi::CallbackInfo &info) {
  const size_t rows = sz(info, 4), cols = sz(info, 5);
  gp::addLayerNorm(f32(info, 0, rows * cols), f32(info, 1, rows * cols), f32(info, 2, cols, true), f32(info, 3, cols, true),
                   rows, cols, static_cast<float>(num(info, 6)), f32(info, 7, rows * cols), f32(info, 8, rows * cols),
                   f32(info, 9, rows), f32(info, 10, rows));
}

// selfAttention(qkv, B, T, nh, hs, scale, causal, y, att)
void SelfAttention(const Napi::CallbackInfo &info) {
  const size_t B = sz(info, 1), T = sz(info, 2), nh = sz(info, 3), hs = sz(info, 4), C = nh * hs;
  gp::selfAttention(f32(info, 0, B * T * 3 * C), B, T, nh, hs, static_cast<float>(num(info, 5)), info[6].ToBoolean(),
                    f32(info, 7, B * T * C), f32(info, 8, B * nh * T * T));
}

// selfAttentionBackward(dy, qkv, att, B, T, nh, hs, scale, dqkv)
void SelfAttentionBackward(const Napi::CallbackInfo &info) {
  const size_t B = sz(info, 3), T = sz(info, 4), nh = sz(info, 5), hs = sz(info, 6), C = nh * hs;
  gp::selfAttentionBackward(f32(info, 0, B * T * C), f32(info, 1, B * T * 3 * C), f32(info, 2, B * nh * T * T), B, T,
                            nh, hs, static_cast<float>(num(info, 7)), f32(info, 8, B * T * 3 * C));
}

// The window kernels (window.h). The geometry comes as its 14 numbers (Window2d's order),
// checked as far as memory safety needs: positive strides and dilations, and OH/OW no larger
// than the input allows, so no window reads outside its plane.
gp::Window2d window(const Napi::CallbackInfo &info, size_t i) {
  auto v = ints(info, i);
  if (v.size() != 14) fail(info.Env(), "window: expects 14 numbers");
  gp::Window2d w{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12], v[13]};
  const bool ok = w.N >= 0 && w.C >= 0 && w.H >= 1 && w.W >= 1 && w.kh >= 1 && w.kw >= 1 && w.sh >= 1 && w.sw >= 1 &&
                  w.ph >= 0 && w.pw >= 0 && w.dh >= 1 && w.dw >= 1 && w.OH >= 1 && w.OW >= 1 &&
                  w.OH <= (w.H + 2 * w.ph - w.dh * (w.kh - 1) - 1) / w.sh + 1 &&
                  w.OW <= (w.W + 2 * w.pw - w.dw * (w.kw - 1) - 1) / w.sw + 1;
  if (!ok) fail(info.Env(), "window: inconsistent geometry");
  return w;
}
size_t inputSize(const gp::Window2d &w) { return static_cast<size_t>(w.N * w.C * w.H * w.W); }
size_t outputSize(const gp::Window2d &w) { return static_cast<size_t>(w.N * w.C * w.OH * w.OW); }
size_t colsSize(const gp::Window2d &w) { return outputSize(w) * static_cast<size_t>(w.kh * w.kw); }

void Im2col(const Napi::CallbackInfo &info) {
  const gp::Window2d w = window(info, 1);
  gp::im2col(f32(info, 0, inputSize(w)), w, f32(info, 2, colsSize(w)));
}
void Col2im(const Napi::CallbackInfo &info) {
  const gp::Window2d w = window(info, 1);
  gp::col2im(f32(info, 0, colsSize(w)), w, f32(info, 2, inputSize(w)));
}
void MaxPool2d(const Napi::CallbackInfo &info) {
  const gp::Window2d w = window(info, 1);
  gp::maxPool2d(f32(info, 0, inputSize(w)), w, f32(info, 2, outputSize(w)), i32(info, 3, outputSize(w)));
}
// maxPool2dBackward(g, idx, window, out): each index is checked to lie in its plane (or be -1)
void MaxPool2dBackward(const Napi::CallbackInfo &info) {
  const gp::Window2d w = window(info, 2);
  const int32_t *idx = i32(info, 1, outputSize(w));
  for (size_t k = 0, n = outputSize(w); k < n; k++)
    if (idx[k] < -1 || idx[k] >= w.H * w.W) fail(info.Env(), "maxPool2dBackward: index out of range");
  gp::maxPool2dBackward(f32(info, 0, outputSize(w)), idx, w, f32(info, 3, inputSize(w)));
}
void AvgPool2d(const Napi::CallbackInfo &info) {
  const gp::Window2d w = window(info, 1);
  gp::avgPool2d(f32(info, 0, inputSize(w)), w, f32(info, 2, outputSize(w)));
}
void AvgPool2dBackward(const Napi::CallbackInfo &info) {
  const gp::Window2d w = window(info, 1);
  gp::avgPool2dBackward(f32(info, 0, outputSize(w)), w, f32(info, 2, inputSize(w)));
}
// batchNorm(x, N, C, L, weight, bias, eps, batchStats, mean, rstd, out)
void BatchNorm(const Napi::CallbackInfo &info) {
  const size_t N = sz(info, 1), C = sz(info, 2), L = sz(info, 3), n = N * C * L;
  gp::batchNorm(f32(info, 0, n), N, C, L, f32(info, 4, C, true), f32(info, 5, C, true), static_cast<float>(num(info, 6)),
                info[7].ToBoolean(), f32(info, 8, C), f32(info, 9, C), f32(info, 10, n));
}
// batchNormBackward(g, x, N, C, L, weight, batchStats, mean, rstd, dx, dweight, dbias)
void BatchNormBackward(const Napi::CallbackInfo &info) {
  const size_t N = sz(info, 2), C = sz(info, 3), L = sz(info, 4), n = N * C * L;
  gp::batchNormBackward(f32(info, 0, n), f32(info, 1, n), N, C, L, f32(info, 5, C, true), info[6].ToBoolean(),
                        f32(info, 7, C), f32(info, 8, C), f32(info, 9, n), f32(info, 10, C, true), f32(info, 11, C, true));
}

void SetThreads(const Napi::CallbackInfo &info) { gp::setThreads(info[0].As<Napi::Number>().Int32Value()); }
Napi::Value Threads(const Napi::CallbackInfo &info) { return Napi::Number::New(info.Env(), gp::threads()); }
Napi::Value Blas(const Napi::CallbackInfo &info) { return Napi::String::New(info.Env(), gp::blasName()); }
Napi::Value Gemm(const Napi::CallbackInfo &info) { return Napi::String::New(info.Env(), gp::gemmName()); }

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("unary", Napi::Function::New(env, Unary));
  exports.Set("binary", Napi::Function::New(env, Binary));
  exports.Set("reduce", Napi::Function::New(env, Reduce));
  exports.Set("sumSquares", Napi::Function::New(env, SumSquares));
  exports.Set("argmax", Napi::Function::New(env, Argmax));
  exports.Set("matmul", Napi::Function::New(env, Matmul));
  exports.Set("gather", Napi::Function::New(env, Gather));
  exports.Set("scatterAdd", Napi::Function::New(env, ScatterAdd));
  exports.Set("copyStrided", Napi::Function::New(env, CopyStrided));
  exports.Set("softmax", Napi::Function::New(env, Softmax));
  exports.Set("scaledSoftmax", Napi::Function::New(env, ScaledSoftmax));
  exports.Set("layerNorm", Napi::Function::New(env, LayerNorm));
  exports.Set("layerNormBackward", Napi::Function::New(env, LayerNormBackward));
  exports.Set("adam", Napi::Function::New(env, Adam));
  exports.Set("geluForward", Napi::Function::New(env, GeluForward));
  exports.Set("geluBackward", Napi::Function::New(env, GeluBackward));
  exports.Set("crossEntropyRows", Napi::Function::New(env, CrossEntropyRows));
  exports.Set("linear", Napi::Function::New(env, Linear));
  exports.Set("selfAttention", Napi::Function::New(env, SelfAttention));
  exports.Set("adamMany", Napi::Function::New(env, AdamMany));
  exports.Set("linearGelu", Napi::Function::New(env, LinearGelu));
  exports.Set("biasGeluBackward", Napi::Function::New(env, BiasGeluBackward));
  exports.Set("addLayerNorm", Napi::Function::New(env, AddLayerNorm));
  exports.Set("selfAttentionBackward", Napi::Function::New(env, SelfAttentionBackward));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads));
  exports.Set("threads", Napi::Function::New(env, Threads));
  exports.Set("blas", Napi::Function::New(env, Blas));
  exports.Set("gemm", Napi::Function::New(env, Gemm));
  exports.Set("im2col", Napi::Function::New(env, Im2col));
  exports.Set("col2im", Napi::Function::New(env, Col2im));
  exports.Set("maxPool2d", Napi::Function::New(env, MaxPool2d));
  exports.Set("maxPool2dBackward", Napi::Function::New(env, MaxPool2dBackward));
  exports.Set("avgPool2d", Napi::Function::New(env, AvgPool2d));
  exports.Set("avgPool2dBackward", Napi::Function::New(env, AvgPool2dBackward));
  exports.Set("batchNorm", Napi::Function::New(env, BatchNorm));
  exports.Set("batchNormBackward", Napi::Function::New(env, BatchNormBackward));
  return exports;
}

}  // namespace

NODE_API_MODULE(gradpath_native, Init)
