/*
 * sgemm-pack-avx512.c - the packing of the AVX-512 kernel (layout:
 * gemm.h): vconv_sgemm_pack's and vconv_sgemm_gather's contracts, the
 * same floats moved (bit for bit), vector code for the kernel's tile.
 *
 * The hot case is a transpose: A row-major (p contiguous) into 14-row
 * micro-panels, and the NHWC im2col, whose 14 pixels each give a run of
 * contiguous channels. The portable loop moves one float per load and
 * store (~4 cycles a float here: 6% of a 1024^3 product); this one loads
 * 16 floats of each of the 14 rows (14 zmm, 2 zero), transposes the
 * 16 x 16 block in registers (64 shuffles: unpack ps, unpack pd, two rounds
 * of shuffle_f32x4) and writes 16 panel rows of 14 floats with one masked
 * store each; a tail shorter than 16 uses masked loads. B row-major into
 * 32-column panels is two zmm copies a p. Other tiles and strides go to
 * the portable routines.
 */
#include "gemm.h"

#include <immintrin.h>

/* r[0..15] rows -> r[c] = column c (lane i = row i). */
static inline void transpose16(__m512 r[16])
{
    __m512 t[16];
    for (int i = 0; i < 8; i++) {
        /* per 128-bit lane L: (a[4L], b[4L], a[4L+1], b[4L+1]) and the
           same for 4L+2, 4L+3 */
        t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    __m512 q[16];
    for (int i = 0; i < 4; i++) {
        /* q[4i + j], lane L: column 4L + j of rows 4i .. 4i+3 */
        const __m512d a = _mm512_castps_pd(t[4 * i]);
        const __m512d b = _mm512_castps_pd(t[4 * i + 1]);
        const __m512d c = _mm512_castps_pd(t[4 * i + 2]);
        const __m512d d = _mm512_castps_pd(t[4 * i + 3]);
        q[4 * i + 0] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, c));
        q[4 * i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, c));
        q[4 * i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(b, d));
        q[4 * i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(b, d));
    }
    for (int j = 0; j < 4; j++) {
        /* lanes (q[j].L0, q[j].L1, q[4+j].L0, q[4+j].L1) etc. */
        const __m512 ulo = _mm512_shuffle_f32x4(q[j], q[4 + j], 0x44);
        const __m512 uhi = _mm512_shuffle_f32x4(q[j], q[4 + j], 0xee);
        const __m512 vlo = _mm512_shuffle_f32x4(q[8 + j], q[12 + j], 0x44);
        const __m512 vhi = _mm512_shuffle_f32x4(q[8 + j], q[12 + j], 0xee);
        /* column 4L + j = lane L of q[j], q[4+j], q[8+j], q[12+j] */
        r[0 + j] = _mm512_shuffle_f32x4(ulo, vlo, 0x88);
        r[4 + j] = _mm512_shuffle_f32x4(ulo, vlo, 0xdd);
        r[8 + j] = _mm512_shuffle_f32x4(uhi, vhi, 0x88);
        r[12 + j] = _mm512_shuffle_f32x4(uhi, vhi, 0xdd);
    }
}

/* dst[q*14 + i] = rows[i][q] (0 for a NULL row), q < len. */
static void gather14(int len, const float *const *rows, float *dst)
{
    int q = 0;
    for (; q + 16 <= len; q += 16) {
        __m512 r[16];
        for (int i = 0; i < 14; i++)
            r[i] = rows[i] ? _mm512_loadu_ps(rows[i] + q)
                           : _mm512_setzero_ps();
        r[14] = r[15] = _mm512_setzero_ps();
        transpose16(r);
        for (int c = 0; c < 16; c++)
            _mm512_mask_storeu_ps(dst + (size_t)(q + c) * 14, 0x3fff, r[c]);
    }
    if (q < len) {
        const int n = len - q;
        const __mmask16 m = (__mmask16)((1u << n) - 1);
        __m512 r[16];
        for (int i = 0; i < 14; i++)
            r[i] = rows[i] ? _mm512_maskz_loadu_ps(m, rows[i] + q)
                           : _mm512_setzero_ps();
        r[14] = r[15] = _mm512_setzero_ps();
        transpose16(r);
        for (int c = 0; c < n; c++)
            _mm512_mask_storeu_ps(dst + (size_t)(q + c) * 14, 0x3fff, r[c]);
    }
}

void vconv_sgemm_gather__avx512(int len, const float *const *rows, int r,
                                float *dst)
{
    if (r == 14)
        gather14(len, rows, dst);
    else
        vconv_sgemm_gather(len, rows, r, dst);
}

/* One full 32-column panel of a row-major B: p-row p at src + p*ps. */
static void panel32(int kc, const float *src, ptrdiff_t ps, float *dst)
{
    for (int p = 0; p < kc; p++) {
        const float *s = src + p * ps;
        _mm512_storeu_ps(dst + 32 * p, _mm512_loadu_ps(s));
        _mm512_storeu_ps(dst + 32 * p + 16, _mm512_loadu_ps(s + 16));
    }
}

void vconv_sgemm_pack__avx512(int rows, int kc, const float *src,
                              ptrdiff_t rs, ptrdiff_t ps, int r, float *dst)
{
    if (ps == 1 && r == 14) {
        for (int r0 = 0; r0 < rows; r0 += 14) {
            const float *rp[14];
            for (int i = 0; i < 14; i++)
                rp[i] = r0 + i < rows ? src + (r0 + i) * rs : NULL;
            gather14(kc, rp, dst + (size_t)r0 * kc);
        }
        return;
    }
    int r0 = 0;
    if (rs == 1 && r == 32)
        for (; r0 + 32 <= rows; r0 += 32)
            panel32(kc, src + r0, ps, dst + (size_t)r0 * kc);
    if (r0 < rows)
        vconv_sgemm_pack(rows - r0, kc, src + r0 * rs, rs, ps, r,
                         dst + (size_t)r0 * kc);
}
