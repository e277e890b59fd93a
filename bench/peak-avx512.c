/* peak-avx512.c - AVX-512 FMA peak: 12 independent zmm FMA chains, 16
   lanes x 2 FLOPs each. */
#include "peak.h"

#include <immintrin.h>

double bench_fma_loop_avx512(long iters)
{
    __m512 acc[12];
    const __m512 a = _mm512_set1_ps(1.0000001f), b = _mm512_set1_ps(-1e-7f);
    for (int i = 0; i < 12; i++)
        acc[i] = _mm512_set1_ps((float)i);
    for (long it = 0; it < iters; it++) {
#pragma GCC unroll 12
        for (int i = 0; i < 12; i++)
            acc[i] = _mm512_fmadd_ps(acc[i], a, b);
    }
    __m512 s = acc[0];
    for (int i = 1; i < 12; i++)
        s = _mm512_add_ps(s, acc[i]);
    volatile float sink = _mm512_reduce_add_ps(s);
    (void)sink;
    return 2.0 * 16 * 12 * (double)iters;
}
