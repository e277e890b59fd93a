/*
 * sgemm-pack-neon.c - the packing of the NEON kernel (layout: gemm.h):
 * vconv_sgemm_pack's and vconv_sgemm_gather's contracts, the same floats
 * moved (bit for bit), vector code for the 8 x 12 kernel's tile.
 *
 * The transposes into 8-row micro-panels (A row-major; the NHWC im2col's
 * pixels): 4 floats of each of the 8 rows loaded (q registers), two 4 x 4
 * register transposes (trn1/trn2 on 32- then 64-bit lanes: 8 shuffles
 * each), 4 panel rows of 8 floats stored as 2 q; missing rows of a
 * partial panel are zeros, tails shorter than 4 take the portable loop.
 * B row-major into 12-column panels: three q copies a p. Other strides
 * and tiles: the portable pack.
 */
#include "gemm.h"

#include <arm_neon.h>
#include "../neon-helpers.h"

/* dst[q*8 + i] = rows[i][q] (0 for a NULL row), q < len. */
static void gather8(int len, const float *const *rows, float *dst)
{
    const float32x4_t z = vdupq_n_f32(0.0f);
    int q = 0;
    for (; q + 4 <= len; q += 4) {
        float32x4_t lo[4], hi[4];
        for (int i = 0; i < 4; i++) {
            lo[i] = rows[i] ? vld1q_f32(rows[i] + q) : z;
            hi[i] = rows[i + 4] ? vld1q_f32(rows[i + 4] + q) : z;
        }
        vconv_neon_transpose4(lo);
        vconv_neon_transpose4(hi);
        for (int j = 0; j < 4; j++) {
            vst1q_f32(dst + (size_t)(q + j) * 8, lo[j]);
            vst1q_f32(dst + (size_t)(q + j) * 8 + 4, hi[j]);
        }
    }
    if (q < len) {
        const float *rest[8];
        for (int i = 0; i < 8; i++)
            rest[i] = rows[i] ? rows[i] + q : NULL;
        vconv_sgemm_gather(len - q, rest, 8, dst + (size_t)q * 8);
    }
}

void vconv_sgemm_gather__neon(int len, const float *const *rows, int r,
                              float *dst)
{
    if (r == 8)
        gather8(len, rows, dst);
    else
        vconv_sgemm_gather(len, rows, r, dst);
}

/* One full 12-column panel of a row-major B: p-row p at src + p*ps. */
static void panel12(int kc, const float *src, ptrdiff_t ps, float *dst)
{
    for (int p = 0; p < kc; p++) {
        const float *s = src + p * ps;
        vst1q_f32(dst + 12 * p, vld1q_f32(s));
        vst1q_f32(dst + 12 * p + 4, vld1q_f32(s + 4));
        vst1q_f32(dst + 12 * p + 8, vld1q_f32(s + 8));
    }
}

void vconv_sgemm_pack__neon(int rows, int kc, const float *src, ptrdiff_t rs,
                            ptrdiff_t ps, int r, float *dst)
{
    int r0 = 0;
    if (ps == 1 && r == 8) {
        /* 8-row panels by transposes (rows past `rows`: zeros) */
        for (; r0 < rows; r0 += 8) {
            const float *rp[8];
            for (int i = 0; i < 8; i++)
                rp[i] = r0 + i < rows ? src + (r0 + i) * rs : NULL;
            gather8(kc, rp, dst + (size_t)r0 * kc);
        }
    } else if (rs == 1 && r == 12) {
        for (; r0 + 12 <= rows; r0 += 12)
            panel12(kc, src + r0, ps, dst + (size_t)r0 * kc);
    }
    if (r0 < rows)
        vconv_sgemm_pack(rows - r0, kc, src + r0 * rs, rs, ps, r,
                         dst + (size_t)r0 * kc);
}
