/*
 * sgemm-pack-avx2.c - the packing of the AVX2 kernel (layout: gemm.h):
 * vconv_sgemm_pack's and vconv_sgemm_gather's contracts, the same floats
 * moved (bit for bit), vector code for the kernel's tile.
 *
 * The transposes into 6-row micro-panels (A row-major; the NHWC im2col's
 * pixels): 8 floats of each of the 6 rows loaded, an 8 x 8 register
 * transpose with 2 zero rows (unpack, shuffle, permute2f128: 24
 * shuffles), 8 panel rows of 6 floats stored as 4 + 2 (AMD's vmaskmovps
 * store is slow); tails shorter than 8 take the portable loop. B
 * row-major into 16-column panels: two ymm copies a p.
 */
#include "gemm.h"

#include <immintrin.h>

/* dst[q*6 + i] = rows[i][q] (0 for a NULL row), q < len. */
static void gather6(int len, const float *const *rows, float *dst)
{
    const __m256 z = _mm256_setzero_ps();
    int q = 0;
    for (; q + 8 <= len; q += 8) {
        __m256 r[6];
        for (int i = 0; i < 6; i++)
            r[i] = rows[i] ? _mm256_loadu_ps(rows[i] + q) : z;
        /* per 128-bit lane: pairs of rows interleaved */
        const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]);
        const __m256 t1 = _mm256_unpackhi_ps(r[0], r[1]);
        const __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]);
        const __m256 t3 = _mm256_unpackhi_ps(r[2], r[3]);
        const __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]);
        const __m256 t5 = _mm256_unpackhi_ps(r[4], r[5]);
        /* u_j, lane L: column 4L + j of rows 0-3 (u), 4-5 and zeros (v) */
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
        for (int k = 0; k < 8; k++) {
            float *d = dst + (size_t)(q + k) * 6;
            _mm_storeu_ps(d, _mm256_castps256_ps128(c[k]));
            _mm_storel_pi((__m64 *)(d + 4), _mm256_extractf128_ps(c[k], 1));
        }
    }
    if (q < len) {
        const float *rest[6];
        for (int i = 0; i < 6; i++)
            rest[i] = rows[i] ? rows[i] + q : NULL;
        vconv_sgemm_gather(len - q, rest, 6, dst + (size_t)q * 6);
    }
}

void vconv_sgemm_gather__avx2(int len, const float *const *rows, int r,
                              float *dst)
{
    if (r == 6)
        gather6(len, rows, dst);
    else
        vconv_sgemm_gather(len, rows, r, dst);
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
    if (ps == 1 && r == 6) {
        for (int r0 = 0; r0 < rows; r0 += 6) {
            const float *rp[6];
            for (int i = 0; i < 6; i++)
                rp[i] = r0 + i < rows ? src + (r0 + i) * rs : NULL;
            gather6(kc, rp, dst + (size_t)r0 * kc);
        }
        return;
    }
    int r0 = 0;
    if (rs == 1 && r == 16)
        for (; r0 + 16 <= rows; r0 += 16)
            panel16(kc, src + r0, ps, dst + (size_t)r0 * kc);
    if (r0 < rows)
        vconv_sgemm_pack(rows - r0, kc, src + r0 * rs, rs, ps, r,
                         dst + (size_t)r0 * kc);
}
