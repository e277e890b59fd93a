/*
 * qconv-avxvnni.c - int8 direct convolution on AVX-VNNI (VEX vpdpbusd on
 * ymm: u8 activations x s8 weights, 4 products a lane into int32), for CPUs
 * with AVX-VNNI and no AVX-512 (Alder Lake and later clients) or with
 * AVX-512 capped away. Built with -mavxvnni (CMake: the file name); the
 * dispatcher calls it only on a CPU with avx-vnni.
 */
#include "qconv-avx2.h"

static inline __attribute__((always_inline)) qk_y2 qk_dot(qk_y2 a, __m256i x,
                                                          qk_y2 w)
{
    a.a = _mm256_dpbusd_avx_epi32(a.a, x, w.a);
    a.b = _mm256_dpbusd_avx_epi32(a.b, x, w.b);
    return a;
}

#define QK_DOT(a, x, w) qk_dot(a, x, w)
#define QK_NAME vconv_qconv_row_int8__avxvnni

#include "qconv-kernel.h"
