/*
 * qconv-epi-avx512.h - the epilogues of the AVX-512 low-precision kernels
 * (VNNI, AVX512_BF16, AMX), static inline code for files built with
 * AVX-512 flags only. int8: the contract's requantization (vconv.h):
 * float products, round to nearest even (cvtps2dq under the default
 * MXCSR), saturation by clamping in float before the conversion. bf16
 * (files built with -mavx512bf16): bias, ReLU, a float32 or bf16 store
 * (vcvtneps2bf16: round to nearest even).
 */
#ifndef VCONV_QCONV_EPI_AVX512_H
#define VCONV_QCONV_EPI_AVX512_H

#include <immintrin.h>

#include "qconv.h"

/* int8: finishes one vector of 16 output channels' accumulators a (bias - the
   zero point's sum, scale, clamp, zero point) and stores its first nch
   channels at d, d + cs, ... (elements of the dst type). */
static inline __attribute__((always_inline)) void
qk_epi_i8(const vconv_qplan *pl, __m512i a, size_t slot, char *d, size_t cs,
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

/* bf16 kernels: the bias and ReLU of one vector of 16 float32
   accumulators. */
static inline __attribute__((always_inline)) __m512
qk_bias_relu(const vconv_qplan *pl, __m512 a, size_t slot)
{
    a = _mm512_add_ps(a, _mm512_loadu_ps(pl->bias_f + slot));
    if (pl->p.act == VCONV_ACT_RELU)
        a = _mm512_max_ps(a, _mm512_setzero_ps());
    return a;
}

/* Stores the first nch float32 of a at d, d + cs, ... (elements). */
static inline __attribute__((always_inline)) void
qk_store_f32(char *d, size_t cs, int nch, __m512 a)
{
    if (cs == 1) {
        _mm512_mask_storeu_ps(d, (__mmask16)((1u << nch) - 1), a);
        return;
    }
    float t[16];
    _mm512_storeu_ps(t, a);
    for (int i = 0; i < nch; i++)
        ((float *)d)[(size_t)i * cs] = t[i];
}

/* Stores the first nch 16-bit values of h at d, d + cs, ... (elements). */
static inline __attribute__((always_inline)) void
qk_store_16(char *d, size_t cs, int nch, __m256i h)
{
    if (cs == 1) {
        _mm256_mask_storeu_epi16(d, (__mmask16)((1u << nch) - 1), h);
        return;
    }
    uint16_t t[16];
    _mm256_storeu_si256((__m256i *)t, h);
    for (int i = 0; i < nch; i++)
        ((uint16_t *)d)[(size_t)i * cs] = t[i];
}

#if defined(__AVX512BF16__)
/* bf16: finishes one vector of 16 float32 accumulators a (bias, ReLU) and
   stores its first nch channels at d, d + cs, ... as f32 or bf16
   (vcvtneps2bf16). */
static inline __attribute__((always_inline)) void
qk_epi_bf16(const vconv_qplan *pl, __m512 a, size_t slot, char *d, size_t cs,
            int nch)
{
    a = qk_bias_relu(pl, a, slot);
    if (pl->p.dst_dt == VCONV_F32)
        qk_store_f32(d, cs, nch, a);
    else
        qk_store_16(d, cs, nch, (__m256i)_mm512_cvtneps_pbh(a));
}
#endif

#endif
