/* peak-scalar.c - the baseline ISA's peak: GCC vector extensions, 16-byte
   vectors (SSE2 on x86-64, NEON on aarch64), multiply + add (the baseline
   x86-64 has no FMA). 12 independent accumulators cover latency x pipes. */
#include "peak.h"

typedef float v4 __attribute__((vector_size(16)));

double bench_fma_loop_scalar(long iters)
{
    v4 acc[12];
    const v4 a = {1.0000001f, 1.0000001f, 1.0000001f, 1.0000001f};
    const v4 b = {-1e-7f, -1e-7f, -1e-7f, -1e-7f};
    for (int i = 0; i < 12; i++)
        acc[i] = (v4){(float)i, 1, 2, 3};
    for (long it = 0; it < iters; it++) {
#pragma GCC unroll 12
        for (int i = 0; i < 12; i++)
            acc[i] = acc[i] * a + b;
    }
    v4 s = acc[0];
    for (int i = 1; i < 12; i++)
        s += acc[i];
    volatile float sink = s[0] + s[1] + s[2] + s[3];
    (void)sink;
    return 2.0 * 4 * 12 * (double)iters;
}
