/*
 * qconv-avx2.h - what the two ymm int8 kernels share (static inline only):
 * a 16-channel vector is two ymm of 8 int32 accumulators; the epilogue
 * (bias, the float scale, saturation, round to nearest even by cvtps2dq
 * under the default MXCSR, the zero point) as vconv.h states it.
 * Register plan (16 ymm): ur * nb * 2 accumulators + nb * 2 weights + one
 * broadcast (+ AVX2's product temporary): 1 x 6 = 12 + 2 + 1 + 1.
 */
#ifndef VCONV_QCONV_AVX2_H
#define VCONV_QCONV_AVX2_H

#include <immintrin.h>

#include "qconv-pair.h"

typedef struct {
    __m256i a, b;
} qk_y2;

static inline __attribute__((always_inline)) qk_y2 qk_y2_zero(void)
{
    qk_y2 r = {_mm256_setzero_si256(), _mm256_setzero_si256()};
    return r;
}

static inline __attribute__((always_inline)) qk_y2 qk_y2_load(const void *p)
{
    qk_y2 r = {_mm256_load_si256((const __m256i *)p),
               _mm256_load_si256((const __m256i *)p + 1)};
    return r;
}

static inline __attribute__((always_inline)) void
qk_epilogue(const vconv_qplan *pl, qk_y2 acc, size_t slot, char *d,
            size_t cs, int nch)
{
    float f[16];
    int32_t q[16];
    const __m256 lo = _mm256_set1_ps(pl->lo), hi = _mm256_set1_ps(pl->hi);
    const bool f32 = pl->p.dst_dt == VCONV_F32;
    for (int h = 0; h < 2; h++) {
        __m256i a = h ? acc.b : acc.a;
        a = _mm256_add_epi32(a, _mm256_loadu_si256(
                                    (const __m256i *)(pl->bias_i + slot) + h));
        __m256 v = _mm256_mul_ps(_mm256_cvtepi32_ps(a),
                                 _mm256_loadu_ps(pl->scale + slot + 8 * h));
        v = _mm256_max_ps(v, lo);
        if (f32) {
            _mm256_storeu_ps(f + 8 * h, v);
            continue;
        }
        v = _mm256_min_ps(v, hi);
        _mm256_storeu_si256((__m256i *)(q + 8 * h),
                            _mm256_add_epi32(_mm256_cvtps_epi32(v),
                                             _mm256_set1_epi32(pl->zp)));
    }
    if (f32 && cs == 1 && nch == 16) {
        memcpy(d, f, sizeof f);
        return;
    }
    qk_pair_store(pl, f, q, d, cs, nch);
}

#define QK_ACC qk_y2
#define QK_WT qk_y2
#define QK_XT __m256i
#define QK_TILES VCONV_QC_TILES_PAIR
#define QK_ZERO() qk_y2_zero()
#define QK_LOADW(p) qk_y2_load(p)
#define QK_BCAST(p) _mm256_set1_epi32((int)*(p))

#endif
