/*
 * qconv-avx512vnni.c - int8 direct convolution on AVX-512 VNNI: vpdpbusd
 * (u8 activations x s8 weights, 4 products a lane into int32), the
 * microkernel of qconv-kernel.h, and the contract's requantization
 * (vconv.h): float products, round to nearest even (cvtps2dq under the
 * default MXCSR), saturation by clamping in float before the conversion.
 * Built with -mavx512vnni (CMake: the file name); the dispatcher calls it
 * only on a CPU with avx512vnni and the OS's ZMM state.
 */
#include <immintrin.h>

#include "qconv.h"

#define QK_ACC __m512i
#define QK_WT __m512i
#define QK_XT __m512i
#define QK_TILES VCONV_QC_TILES_ZMM
#define QK_ZERO() _mm512_setzero_si512()
#define QK_LOADW(p) _mm512_load_si512((const void *)(p))
#define QK_BCAST(p) _mm512_set1_epi32((int)*(p))
#define QK_DOT(a, x, w) _mm512_dpbusd_epi32(a, x, w)
#define QK_NAME vconv_qconv_row_int8__avx512vnni

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

#include "qconv-kernel.h"
