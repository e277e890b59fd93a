/*
 * qconv-avx512bf16.c - bf16 direct convolution on AVX512_BF16: vdpbf16ps
 * (pairs of bf16 products summed into float32 lanes; denormals flushed),
 * the microkernel of qconv-kernel.h, then bias, ReLU and a float32 or bf16
 * store (vcvtneps2bf16: round to nearest even). Built with -mavx512bf16
 * (CMake: the file name); the dispatcher calls it only on a CPU with
 * avx512bf16 and the OS's ZMM state.
 */
#include <immintrin.h>

#include "qconv.h"

#define QK_ACC __m512
#define QK_WT __m512i
#define QK_XT __m512i
#define QK_TILES VCONV_QC_TILES_ZMM
#define QK_ZERO() _mm512_setzero_ps()
#define QK_LOADW(p) _mm512_load_si512((const void *)(p))
#define QK_BCAST(p) _mm512_set1_epi32((int)*(p))
#define QK_DOT(a, x, w) _mm512_dpbf16_ps(a, (__m512bh)(x), (__m512bh)(w))
#define QK_NAME vconv_qconv_row_bf16__avx512bf16

static inline __attribute__((always_inline)) void
qk_epilogue(const vconv_qplan *pl, __m512 a, size_t slot, char *d, size_t cs,
            int nch)
{
    const __mmask16 m = (__mmask16)((1u << nch) - 1);
    a = _mm512_add_ps(a, _mm512_loadu_ps(pl->bias_f + slot));
    if (pl->p.act == VCONV_ACT_RELU)
        a = _mm512_max_ps(a, _mm512_setzero_ps());
    if (pl->p.dst_dt == VCONV_F32) {
        if (cs == 1) {
            _mm512_mask_storeu_ps(d, m, a);
        } else {
            float t[16];
            _mm512_storeu_ps(t, a);
            for (int i = 0; i < nch; i++)
                ((float *)d)[(size_t)i * cs] = t[i];
        }
        return;
    }
    __m256i h = (__m256i)_mm512_cvtneps_pbh(a);
    if (cs == 1) {
        _mm256_mask_storeu_epi16(d, m, h);
    } else {
        uint16_t t[16];
        _mm256_storeu_si256((__m256i *)t, h);
        for (int i = 0; i < nch; i++)
            ((uint16_t *)d)[(size_t)i * cs] = t[i];
    }
}

#include "qconv-kernel.h"
