/*
 * qconv-avx512.c - bf16 direct convolution on plain AVX-512 F: the bf16
 * activations and weights are widened to float32 (exact: a bf16 is the
 * high half of a float) when the driver pads and packs them (domain
 * VCONV_QD_F32, one channel a 32-bit word), and the microkernel of
 * qconv-kernel.h runs float32 FMAs on them: exact products, float32 sums.
 * Measured on an Emerald Rapids core: vdpbf16ps issues about once every
 * 3.5-4 cycles with real data, vfmadd231ps twice a cycle, so this kernel
 * does about twice the bf16 products a second of the vdpbf16ps one
 * (qconv-avx512bf16.c), at twice its input bytes (still half of float32's
 * in the user's arrays).
 */
#include <immintrin.h>

#include "qconv.h"

#define QK_ACC __m512
#define QK_WT __m512
#define QK_XT __m512
#define QK_TILES VCONV_QC_TILES_ZMM
#define QK_ZERO() _mm512_setzero_ps()
#define QK_LOADW(p) _mm512_load_ps((const void *)(p))
#define QK_BCAST(p) _mm512_set1_ps(*(const float *)(const void *)(p))
#define QK_DOT(a, x, w) _mm512_fmadd_ps(x, w, a)
#define QK_NAME vconv_qconv_row_bf16__avx512

#include "qconv-epi-avx512.h"

/* The bf16 epilogue (qconv-epi-avx512.h) with the rounding to bf16 done
   by hand: this file runs without AVX512_BF16. */
static inline __attribute__((always_inline)) void
qk_epilogue(const vconv_qplan *pl, __m512 a, size_t slot, char *d, size_t cs,
            int nch)
{
    a = qk_bias_relu(pl, a, slot);
    if (pl->p.dst_dt == VCONV_F32) {
        qk_store_f32(d, cs, nch, a);
        return;
    }
    /* to bf16, round to nearest even (vconv_f32_to_bf16); NaN stays NaN */
    __m512i u = _mm512_castps_si512(a);
    __m512i r = _mm512_add_epi32(
        u, _mm512_add_epi32(_mm512_set1_epi32(0x7fff),
                            _mm512_and_si512(_mm512_srli_epi32(u, 16),
                                             _mm512_set1_epi32(1))));
    __mmask16 nan = _mm512_cmp_ps_mask(a, a, _CMP_UNORD_Q);
    r = _mm512_mask_mov_epi32(r, nan,
                              _mm512_or_si512(u, _mm512_set1_epi32(0x400000)));
    qk_store_16(d, cs, nch,
                _mm512_cvtepi32_epi16(_mm512_srli_epi32(r, 16)));
}

#include "qconv-kernel.h"
