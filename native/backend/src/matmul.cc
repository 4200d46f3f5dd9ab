// Batched matmul through OpenBLAS (cblas_sgemm, row-major), and the thread count for everything.
// The build links the OpenMP build of OpenBLAS, so its threads are the same OpenMP pool our own
// loops use: one GRADPATH_THREADS setting governs both and they never run at the same time.
#include <cblas.h>
#include <cstdlib>
#include <cstring>
#include "common.h"
#include "kernels.h"
#ifdef GP_DNNL
#include <oneapi/dnnl/dnnl.h>
#include <pthread.h>
#include <initializer_list>
#include <signal.h>
#endif

extern "C" {
// OpenBLAS extensions (not in every cblas.h)
void openblas_set_num_threads(int);
char *openblas_get_corename(void);
}

namespace gp {

namespace {
int nThreads = 1;

// One GEMM, row-major: C = alpha op(A) op(B) + beta C. oneDNN's sgemm in a build that found it,
// unless GRADPATH_GEMM=openblas: its JIT kernels use the CPU's widest vectors whatever OpenBLAS
// was told to use (docs/engine.md, "Choosing the BLAS"); else OpenBLAS. Both are row-major, on
// the same OpenMP pool.
#ifdef GP_DNNL
const bool useDnnl = [] {
  const char *g = std::getenv("GRADPATH_GEMM");
  return !(g && std::strcmp(g, "openblas") == 0);
}();

// oneDNN up to 3.11 (Debian has 2.6.3) points its JIT GEMM kernels' stack pointer into a heap
// workspace while they run (oneDNN issue 4845, fixed by its PR 4855): a signal delivered to a
// thread inside such a kernel has its frame written over the heap, which glibc later reports as
// corruption (`node --cpu-prof`, whose SIGPROF samples hit the main thread, aborted every time).
// So no asynchronous signal may reach a thread while it runs oneDNN: the OpenMP workers block
// them for good (process-directed signals, Ctrl-C included, then go to the main thread) and the
// calling thread for the length of each call; they are delivered as soon as it returns.
sigset_t asyncSignals() {
  sigset_t s;
  sigfillset(&s);
  for (int sync : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGABRT}) sigdelset(&s, sync);
  return s;
}
const sigset_t kAsync = asyncSignals();

struct SignalsHeld {
  sigset_t old;
  SignalsHeld() { pthread_sigmask(SIG_BLOCK, &kAsync, &old); }
  ~SignalsHeld() { pthread_sigmask(SIG_SETMASK, &old, nullptr); }
};

void blockSignalsInWorkers(int n) {
#pragma omp parallel num_threads(n)
  if (omp_get_thread_num() != 0) pthread_sigmask(SIG_BLOCK, &kAsync, nullptr);
}
#endif

void gemm(bool transA, bool transB, size_t m, size_t n, size_t k, float alpha, const float *a, size_t lda,
          const float *b, size_t ldb, float beta, float *c, size_t ldc) {
#ifdef GP_DNNL
  if (useDnnl) {
    const SignalsHeld held;
    dnnl_sgemm(transA ? 'T' : 'N', transB ? 'T' : 'N', static_cast<dnnl_dim_t>(m), static_cast<dnnl_dim_t>(n),
               static_cast<dnnl_dim_t>(k), alpha, a, static_cast<dnnl_dim_t>(lda), b, static_cast<dnnl_dim_t>(ldb), beta, c,
               static_cast<dnnl_dim_t>(ldc));
    return;
  }
#endif
  cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans, static_cast<int>(m),
              static_cast<int>(n), static_cast<int>(k), alpha, a, static_cast<int>(lda), b, static_cast<int>(ldb), beta, c,
              static_cast<int>(ldc));
}
}  // namespace

const char *gemmName() {
#ifdef GP_DNNL
  if (useDnnl) return "oneDNN";
#endif
  return "OpenBLAS";
}

void setThreads(int n) {
  nThreads = n < 1 ? 1 : n;
  omp_set_num_threads(nThreads);
  openblas_set_num_threads(nThreads);
#ifdef GP_DNNL
  if (useDnnl) blockSignalsInWorkers(nThreads);
#endif
}

int threads() { return nThreads; }

const char *blasName() { return openblas_get_corename(); }

void matmul(const float *a, const float *b, float *out, size_t batch, size_t m, size_t k, size_t n, bool transA,
            bool transB, size_t aBatchStride, size_t bBatchStride) {
  if (batch == 0 || m == 0 || n == 0) return;
  if (k == 0) {
    std::memset(out, 0, batch * m * n * sizeof(float));
    return;
  }
  const size_t lda = transA ? m : k, ldb = transB ? k : n;
  auto one = [&](size_t i) { gemm(transA, transB, m, n, k, 1.0f, a + i * aBatchStride, lda, b + i * bBatchStride, ldb, 0.0f, out + i * m * n, n); };
  // Many small products (attention's per-head ones): one whole product per thread. OpenBLAS runs
  // single-threaded inside a parallel region, so nothing is oversubscribed.
  const size_t flops = m * n * k;
  if (batch > 1 && flops <= 256 * 256 * 256 && nThreads > 1) {
#pragma omp parallel for schedule(static) num_threads(nThreads)
    for (size_t i = 0; i < batch; i++) one(i);
    return;
  }
  for (size_t i = 0; i < batch; i++) one(i);
}

// out (rows, n) = x (rows, k) @ w^T + bias, w (n, k): the bias is written first and the product
// added onto it by the GEMM (beta = 1), so the bias costs no pass of its own (PyTorch's addmm).
// A null bias is none (beta = 0).
void linear(const float *x, const float *w, const float *bias, float *out, size_t rows, size_t k, size_t n) {
  if (rows == 0 || n == 0) return;
  if (!bias || k == 0) {
    if (k == 0) std::memset(out, 0, rows * n * sizeof(float));
    if (bias) {
#pragma omp parallel for schedule(static) num_threads(threadsFor(rows * n))
      for (size_t r = 0; r < rows; r++) std::memcpy(out + r * n, bias, n * sizeof(float));
    }
    if (k > 0) gemm(false, true, rows, n, k, 1.0f, x, k, w, k, 0.0f, out, n);
    return;
  }
#pragma omp parallel for schedule(static) num_threads(threadsFor(rows * n))
  for (size_t r = 0; r < rows; r++) std::memcpy(out + r * n, bias, n * sizeof(float));
  gemm(false, true, rows, n, k, 1.0f, x, k, w, k, 1.0f, out, n);
}

}  // namespace gp
