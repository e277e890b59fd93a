/* probe-avx512bf16.c - the machine model's bf16 dot-product probe
   (dispatch/machine.c): 16 independent chains of vdpbf16ps zmm (each 32
   bf16 products summed in pairs into 16 floats), the accumulator the
   addend, the operands constant normal values (the products neither
   overflow nor turn subnormal over the loop). Its time gives the
   instructions a cycle the bf16 dot kernels can issue, which on some cores
   is the FMA rate (Zen 4) and on others a quarter of it (measured on an
   Emerald Rapids core with real data). */
#include "../../dispatch/machine.h"

#include <immintrin.h>

float vconv_probe_bf16dot_avx512(long iters, int *ops)
{
    const __m512bh a = _mm512_cvtne2ps_pbh(_mm512_set1_ps(0.999f),
                                           _mm512_set1_ps(0.998f));
    const __m512bh b = _mm512_cvtne2ps_pbh(_mm512_set1_ps(1e-4f),
                                           _mm512_set1_ps(2e-4f));
    __m512 acc[16];
    for (int i = 0; i < 16; i++)
        acc[i] = _mm512_set1_ps(1e-3f * (float)i);
    *ops = 16;
    for (long it = 0; it < iters; it++) {
#pragma GCC unroll 16
        for (int i = 0; i < 16; i++)
            acc[i] = _mm512_dpbf16_ps(acc[i], a, b);
    }
    __m512 s = acc[0];
    for (int i = 1; i < 16; i++)
        s = _mm512_add_ps(s, acc[i]);
    return _mm512_cvtss_f32(s);
}
