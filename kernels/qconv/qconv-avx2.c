/*
 * qconv-avx2.c - int8 direct convolution on plain AVX2 (no VNNI): the
 * activations (u8 values) and the s8 weights are widened to 16 bits when
 * packed, two channels a 32-bit group, and vpmaddwd sums the two exact
 * products into int32 lanes. vpmaddubsw would do twice the products but
 * saturates its int16 pair sums (255 * 127 * 2 > 32767), which would break
 * the contract's exact results for some weights; vpmaddwd cannot saturate
 * here (|x| <= 255, |w| <= 128). The microkernel is qconv-kernel.h's.
 */
#include "qconv-avx2.h"

static inline __attribute__((always_inline)) qk_y2 qk_dot(qk_y2 a, __m256i x,
                                                          qk_y2 w)
{
    a.a = _mm256_add_epi32(a.a, _mm256_madd_epi16(x, w.a));
    a.b = _mm256_add_epi32(a.b, _mm256_madd_epi16(x, w.b));
    return a;
}

#define QK_DOT(a, x, w) qk_dot(a, x, w)
#define QK_NAME vconv_qconv_row_int8__avx2

#include "qconv-kernel.h"
