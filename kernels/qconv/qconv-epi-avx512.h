/*
 * qconv-epi-avx512.h - the int8 epilogue of the AVX-512 kernels (VNNI and
 * AMX), static inline code for files built with AVX-512 flags only: the
 * contract's requantization (vconv.h): float products, round to nearest
 * even (cvtps2dq under the default MXCSR), saturation by clamping in float
 * before the conversion.
 */
#ifndef VCONV_QCONV_EPI_AVX512_H
#define VCONV_QCONV_EPI_AVX512_H

#include <immintrin.h>

#include "qconv.h"

/* Finishes one vector of 16 output channels' accumulators a (bias - the
   zero point's sum, scale, clamp, zero point) and stores its first nch
   channels at d, d + cs, ... (elements of the dst type). */
static inline __attribute__((always_inline)) void
qk_epilogue(const vconv_qplan *pl, __m512i a, size_t slot, char *d, size_t cs,
            int nch)
{
    const __mmask16 m = (__mmask16)((1u << nch) - 1);
    a = _mm512_add_epi32(a, _mm512_loadu_si512(pl->bias_i + slot));
    __m512 f = _mm512_mul_ps(_mm512_cvtepi32_ps(a),
                             _mm512_loadu_ps(pl->scale + slot));
    const vconv_dtype dt = pl->p.dst_dt;
    if (dt == VCONV_F32) {
        f = _mm512_max_ps(f, _mm512_set1_ps(pl->lo));
        if (cs == 1) {
            _mm512_mask_storeu_ps(d, m, f);
        } else {
            float t[16];
            _mm512_storeu_ps(t, f);
            for (int i = 0; i < nch; i++)
                ((float *)d)[(size_t)i * cs] = t[i];
        }
        return;
    }
    f = _mm512_min_ps(_mm512_max_ps(f, _mm512_set1_ps(pl->lo)),
                      _mm512_set1_ps(pl->hi));
    __m512i r = _mm512_add_epi32(_mm512_cvtps_epi32(f),
                                 _mm512_set1_epi32(pl->zp));
    __m128i b = _mm512_cvtepi32_epi8(r); /* in range: truncation exact */
    if (cs == 1) {
        _mm_mask_storeu_epi8(d, m, b);
    } else {
        uint8_t t[16];
        _mm_storeu_si128((__m128i *)t, b);
        for (int i = 0; i < nch; i++)
            ((uint8_t *)d)[(size_t)i * cs] = t[i];
    }
}

#endif
