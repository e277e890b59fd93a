/* peak.h - this machine's measured FMA peak and memory bandwidth: the
   yardsticks every bench figure is printed against. */
#ifndef VCONV_BENCH_PEAK_H
#define VCONV_BENCH_PEAK_H

#include "vconv.h"

#ifdef __cplusplus
extern "C" {
#endif

/* GFLOP/s of an FMA loop with enough independent accumulators to fill
   every pipe, in `isa` (SCALAR: the baseline ISA's vectors, SSE2 on x86-64,
   without FMA), on `threads` threads (each its own loop; total FLOPs over
   wall time). About `seconds` of work. 0 if the CPU lacks the ISA. */
double bench_peak_gflops(vconv_isa isa, int threads, double seconds);

/* Read bandwidth in GB/s (10^9 bytes) streaming a buffer of `bytes` (much
   larger than the caches) on `threads` threads. 0 on allocation failure. */
double bench_read_bandwidth(size_t bytes, int threads);

/* per-ISA loops (bench/peak-<isa>.c): FLOPs done in `iters` iterations */
double bench_fma_loop_scalar(long iters);
double bench_fma_loop_avx2(long iters);
double bench_fma_loop_avx512(long iters);
double bench_fma_loop_neon(long iters);

#ifdef __cplusplus
}
#endif

#endif
