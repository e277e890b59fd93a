/* peak.c - FMA peak and bandwidth (see peak.h). */
#define _POSIX_C_SOURCE 200809L
#include "peak.h"
#include "timing.h"

#include <omp.h>
#include <stdlib.h>
#include <string.h>

static double loop(vconv_isa isa, long iters)
{
    switch (isa) {
#if defined(__x86_64__)
    case VCONV_ISA_AVX2: return bench_fma_loop_avx2(iters);
    case VCONV_ISA_AVX512: return bench_fma_loop_avx512(iters);
#endif
#if defined(__aarch64__)
    case VCONV_ISA_NEON: return bench_fma_loop_neon(iters);
#endif
    case VCONV_ISA_SCALAR: return bench_fma_loop_scalar(iters);
    default: return 0;
    }
}

static int isa_ok(vconv_isa isa)
{
    vconv_isa best = vconv_cpu_best_isa();
    if (isa == VCONV_ISA_SCALAR)
        return 1;
    if (isa == VCONV_ISA_NEON)
        return best == VCONV_ISA_NEON;
    if (best == VCONV_ISA_NEON || best == VCONV_ISA_SCALAR)
        return 0;
    return isa <= best;
}

double bench_peak_gflops(vconv_isa isa, int threads, double seconds)
{
    if (!isa_ok(isa) || threads < 1)
        return 0;
    /* calibrate: iterations for ~seconds/5 on one thread */
    long iters = 1000;
    for (;;) {
        double t0 = bench_now();
        loop(isa, iters);
        double t = bench_now() - t0;
        if (t > 0.01 || iters > (1L << 40)) {
            iters = (long)(iters * (seconds / 5) / (t > 0 ? t : 1e-3)) + 1;
            break;
        }
        iters *= 4;
    }
    double best = 0;
    for (int rep = 0; rep < 5; rep++) {
        double flops = 0;
        double t0 = bench_now();
#pragma omp parallel num_threads(threads) reduction(+ : flops)
        flops += loop(isa, iters);
        double g = flops / (bench_now() - t0) * 1e-9;
        if (g > best)
            best = g;
    }
    return best;
}

double bench_read_bandwidth(size_t bytes, int threads)
{
    size_t n = bytes / sizeof(double);
    double *buf = malloc(n * sizeof(double));
    if (!buf)
        return 0;
#pragma omp parallel for num_threads(threads) schedule(static)
    for (size_t i = 0; i < n; i++)
        buf[i] = (double)(i & 7);
    double best = 0;
    volatile double sink = 0;
    for (int rep = 0; rep < 5; rep++) {
        double sum = 0;
        double t0 = bench_now();
#pragma omp parallel for num_threads(threads) schedule(static) reduction(+ : sum)
        for (size_t i = 0; i < n; i++)
            sum += buf[i];
        double t = bench_now() - t0;
        sink += sum;
        double gbs = (double)(n * sizeof(double)) / t * 1e-9;
        if (gbs > best)
            best = gbs;
    }
    (void)sink;
    free(buf);
    return best;
}
