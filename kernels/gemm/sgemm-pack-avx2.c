/*
 * sgemm-pack-avx2.c - the packing of the AVX2 kernel (layout: gemm.h),
 * same contract as vconv_sgemm_pack.
 *
 * Vector code for the two hot cases of 6x16: A row-major (ps == 1) into
 * 6-row micro-panels, a transpose (6 rows of 8 p loaded, an 8 x 8 register
 * transpose with 2 zero rows, 8 panel rows of 6 floats stored as 4 + 2);
 * and B row-major (rs == 1) into 16-column micro-panels, two ymm copies a
 * p. Partial panels and k tails go to the portable routine.
 */
#include "gemm.h"

#include <immintrin.h>

/* One full 6-row panel of a row-major A: rows src + i*rs, p in [0, kc). */
static void panel6(int kc, const float *src, ptrdiff_t rs, float *dst)
{
    int p = 0;
    const __m256 z = _mm256_setzero_ps();
    for (; p + 8 <= kc; p += 8) {
        const __m256 r0 = _mm256_loadu_ps(src + p);
        const __m256 r1 = _mm256_loadu_ps(src + rs + p);
        const __m256 r2 = _mm256_loadu_ps(src + 2 * rs + p);
        const __m256 r3 = _mm256_loadu_ps(src + 3 * rs + p);
        const __m256 r4 = _mm256_loadu_ps(src + 4 * rs + p);
        const __m256 r5 = _mm256_loadu_ps(src + 5 * rs + p);
        /* per 128-bit lane: pairs of rows interleaved */
        const __m256 t0 = _mm256_unpacklo_ps(r0, r1);
        const __m256 t1 = _mm256_unpackhi_ps(r0, r1);
        const __m256 t2 = _mm256_unpacklo_ps(r2, r3);
        const __m256 t3 = _mm256_unpackhi_ps(r2, r3);
        const __m256 t4 = _mm256_unpacklo_ps(r4, r5);
        const __m256 t5 = _mm256_unpackhi_ps(r4, r5);
        /* u_j, lane L: column 4L + j of rows 0-3 (u) and 4-5 + zeros (v) */
        const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44);
        const __m256 u1 = _mm256_shuffle_ps(t0, t2, 0xee);
        const __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44);
        const __m256 u3 = _mm256_shuffle_ps(t1, t3, 0xee);
        const __m256 v0 = _mm256_shuffle_ps(t4, z, 0x44);
        const __m256 v1 = _mm256_shuffle_ps(t4, z, 0xee);
        const __m256 v2 = _mm256_shuffle_ps(t5, z, 0x44);
        const __m256 v3 = _mm256_shuffle_ps(t5, z, 0xee);
        const __m256 c[8] = {
            _mm256_permute2f128_ps(u0, v0, 0x20),
            _mm256_permute2f128_ps(u1, v1, 0x20),
            _mm256_permute2f128_ps(u2, v2, 0x20),
            _mm256_permute2f128_ps(u3, v3, 0x20),
            _mm256_permute2f128_ps(u0, v0, 0x31),
            _mm256_permute2f128_ps(u1, v1, 0x31),
            _mm256_permute2f128_ps(u2, v2, 0x31),
            _mm256_permute2f128_ps(u3, v3, 0x31)};
        for (int q = 0; q < 8; q++) {
            float *d = dst + (size_t)(p + q) * 6;
            _mm_storeu_ps(d, _mm256_castps256_ps128(c[q]));
            _mm_storel_pi((__m64 *)(d + 4), _mm256_extractf128_ps(c[q], 1));
        }
    }
    if (p < kc)
        vconv_sgemm_pack(6, kc - p, src + p, rs, 1, 6, dst + (size_t)p * 6);
}

/* One full 16-column panel of a row-major B: p-row p at src + p*ps. */
static void panel16(int kc, const float *src, ptrdiff_t ps, float *dst)
{
    for (int p = 0; p < kc; p++) {
        const float *s = src + p * ps;
        _mm256_storeu_ps(dst + 16 * p, _mm256_loadu_ps(s));
        _mm256_storeu_ps(dst + 16 * p + 8, _mm256_loadu_ps(s + 8));
    }
}

void vconv_sgemm_pack__avx2(int rows, int kc, const float *src, ptrdiff_t rs,
                            ptrdiff_t ps, int r, float *dst)
{
    int r0 = 0;
    if (ps == 1 && r == 6)
        for (; r0 + 6 <= rows; r0 += 6)
            panel6(kc, src + r0 * rs, rs, dst + (size_t)r0 * kc);
    else if (rs == 1 && r == 16)
        for (; r0 + 16 <= rows; r0 += 16)
            panel16(kc, src + r0, ps, dst + (size_t)r0 * kc);
    if (r0 < rows)
        vconv_sgemm_pack(rows - r0, kc, src + r0 * rs, rs, ps, r,
                         dst + (size_t)r0 * kc);
}
