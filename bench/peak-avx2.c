/* peak-avx2.c - AVX2 FMA peak: 12 independent ymm FMA chains (2 pipes x
   latency 4 needs >= 8), 8 lanes x 2 FLOPs each. */
#include "peak.h"

#include <immintrin.h>

double bench_fma_loop_avx2(long iters)
{
    __m256 acc[12];
    const __m256 a = _mm256_set1_ps(1.0000001f), b = _mm256_set1_ps(-1e-7f);
    for (int i = 0; i < 12; i++)
        acc[i] = _mm256_set1_ps((float)i);
    for (long it = 0; it < iters; it++) {
#pragma GCC unroll 12
        for (int i = 0; i < 12; i++)
            acc[i] = _mm256_fmadd_ps(acc[i], a, b);
    }
    __m256 s = acc[0];
    for (int i = 1; i < 12; i++)
        s = _mm256_add_ps(s, acc[i]);
    volatile float sink = _mm256_cvtss_f32(s);
    (void)sink;
    return 2.0 * 8 * 12 * (double)iters;
}
