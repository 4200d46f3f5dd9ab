/*
 * Times single-precision GEMM of one BLAS candidate on the shapes a gradpath training step uses.
 * Built once per library by native/backend/tools/blas-bench.sh (which links it against each
 * candidate in turn); prints one line per shape: GFLOP/s as the median of REPS timed runs.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef USE_DNNL
#include <dnnl.h>
static void gemm(int tA, int tB, int m, int n, int k, const float *a, const float *b, float *c) {
  dnnl_sgemm(tA ? 'T' : 'N', tB ? 'T' : 'N', m, n, k, 1.0f, a, tA ? m : k, b, tB ? k : n, 0.0f, c, n);
}
static const char *corename(void) { return "oneDNN"; }
#else
#include <cblas.h>
static void gemm(int tA, int tB, int m, int n, int k, const float *a, const float *b, float *c) {
  cblas_sgemm(CblasRowMajor, tA ? CblasTrans : CblasNoTrans, tB ? CblasTrans : CblasNoTrans, m, n, k, 1.0f,
              a, tA ? m : k, b, tB ? k : n, 0.0f, c, n);
}
#ifdef USE_OPENBLAS
char *openblas_get_corename(void);
static const char *corename(void) { return openblas_get_corename(); }
#else
static const char *corename(void) { return "-"; }
#endif
#endif

static double clock_s(clockid_t id) {
  struct timespec t;
  clock_gettime(id, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static int cmp(const void *x, const void *y) {
  double a = *(const double *)x, b = *(const double *)y;
  return a < b ? -1 : a > b;
}

/* batch products of (m,k)@(k,n); returns the median GFLOP/s per second of wall time, and in
 * *cpu the median per second of this process's CPU time summed over threads: on a machine shared
 * with other work, the second is what the kernel achieves on the cycles it actually got. */
static double run(int batch, int m, int k, int n, int tA, int tB, int reps, double *cpu) {
  size_t sa = (size_t)m * k, sb = (size_t)k * n, sc = (size_t)m * n;
  float *a = malloc(sa * batch * 4), *b = malloc(sb * batch * 4), *c = malloc(sc * batch * 4);
  for (size_t i = 0; i < sa * batch; i++) a[i] = (float)rand() / RAND_MAX - 0.5f;
  for (size_t i = 0; i < sb * batch; i++) b[i] = (float)rand() / RAND_MAX - 0.5f;
  double rates[64], cpuRates[64];
  for (int r = -1; r < reps; r++) {
    double t0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
    for (int i = 0; i < batch; i++) gemm(tA, tB, m, n, k, a + sa * i, b + sb * i, c + sc * i);
    double dt = clock_s(CLOCK_MONOTONIC) - t0, dc = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
    if (r >= 0) {
      rates[r] = 2.0 * batch * m * k * n / dt / 1e9;
      cpuRates[r] = 2.0 * batch * m * k * n / dc / 1e9;
    }
  }
  qsort(rates, reps, sizeof(double), cmp);
  qsort(cpuRates, reps, sizeof(double), cmp);
  *cpu = cpuRates[reps / 2];
  free(a); free(b); free(c);
  return rates[reps / 2];
}

int main(int argc, char **argv) {
  int reps = argc > 1 ? atoi(argv[1]) : 5;
  const char *lib = argc > 2 ? argv[2] : "?";
  static const int shapes[][6] = {
    /* batch, m, k, n, transA, transB */
    {1, 1024, 1024, 1024, 0, 0},
    {1, 4096, 768, 3072, 0, 0},   /* GPT-2 MLP up, batch 16 x 256 tokens */
    {1, 256, 768, 3072, 0, 1},    /* GPT-2 MLP up, B=4 T=64, x @ W^T */
    {1, 768, 256, 3072, 1, 0},    /* its weight gradient, g^T x */
    {1, 256, 768, 50257, 0, 1},   /* GPT-2 logits */
    {48, 64, 64, 64, 0, 1},       /* attention q k^T, 4 x 12 heads */
    {48, 64, 64, 64, 0, 0},       /* attention att v */
    {1, 768, 128, 512, 0, 1},     /* small GPT MLP up (B=12, T=64, C=128) */
    {1, 128, 768, 512, 1, 0},     /* its weight gradient */
    {48, 64, 32, 64, 0, 1},       /* small GPT attention, 12 x 4 heads of 32 */
  };
  for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
    const int *p = shapes[s];
    double cpu, g = run(p[0], p[1], p[2], p[3], p[4], p[5], reps, &cpu);
    printf("%s\t%s\t%dx %dx%dx%d%s%s\t%.1f\t%.1f\n", lib, corename(), p[0], p[1], p[2], p[3], p[4] ? " tA" : "",
           p[5] ? " tB" : "", g, cpu);
    fflush(stdout);
  }
  return 0;
}
