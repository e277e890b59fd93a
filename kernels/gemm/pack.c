/*
 * pack.c - packing strided operands into micro-panels (layout: gemm.h).
 * Baseline code, shared by every ISA's kernel: packing is O(rows * k)
 * against the O(m * n * k) product, and the hot case (B rows contiguous,
 * the 1x1 convolution and whole-matrix sgemm) is a straight copy of R
 * floats per p that the compiler vectorises with the baseline vectors.
 */
#include "gemm.h"

#include <string.h>

/* One p-row of a micro-panel from a contiguous source: rr <= R floats,
   then zeros. R is a compile-time constant in the callers' switch. */
static inline void copy_row(float *restrict d, const float *restrict s,
                            int rr, int R)
{
    if (rr == R) {
        for (int j = 0; j < R; j++)
            d[j] = s[j];
    } else {
        for (int j = 0; j < rr; j++)
            d[j] = s[j];
        for (int j = rr; j < R; j++)
            d[j] = 0.0f;
    }
}

/* Micro-panel rows r0.. (rr valid of R) when rows are contiguous (rs == 1):
   each p copies rr consecutive floats. */
static inline void panel_rows_contig(int rr, int kc, const float *src,
                                     ptrdiff_t ps, int R, float *dst)
{
    for (int p = 0; p < kc; p++)
        copy_row(dst + (size_t)p * R, src + p * ps, rr, R);
}

static void panel_contig(int rr, int kc, const float *src, ptrdiff_t ps,
                         int R, float *dst)
{
    switch (R) { /* constant R: the full-row copy becomes vector moves */
    case 8: panel_rows_contig(rr, kc, src, ps, 8, dst); break;
    case 16: panel_rows_contig(rr, kc, src, ps, 16, dst); break;
    case 32: panel_rows_contig(rr, kc, src, ps, 32, dst); break;
    default: panel_rows_contig(rr, kc, src, ps, R, dst); break;
    }
}

/* Micro-panel when p is contiguous (ps == 1, A row-major): a transpose of
   rr rows; the p-outer order writes the panel sequentially and reads rr
   streams. */
static void panel_transpose(int rr, int kc, const float *src, ptrdiff_t rs,
                            int R, float *dst)
{
    for (int p = 0; p < kc; p++) {
        float *d = dst + (size_t)p * R;
        for (int i = 0; i < rr; i++)
            d[i] = src[i * rs + p];
        for (int i = rr; i < R; i++)
            d[i] = 0.0f;
    }
}

void vconv_sgemm_pack(int rows, int kc, const float *src, ptrdiff_t rs,
                      ptrdiff_t ps, int r, float *dst)
{
    for (int r0 = 0; r0 < rows; r0 += r) {
        const int rr = vconv_min_i(r, rows - r0);
        const float *s = src + r0 * rs;
        float *d = dst + (size_t)r0 * kc;
        if (rs == 1)
            panel_contig(rr, kc, s, ps, r, d);
        else if (ps == 1)
            panel_transpose(rr, kc, s, rs, r, d);
        else
            for (int p = 0; p < kc; p++) {
                for (int i = 0; i < rr; i++)
                    d[(size_t)p * r + i] = s[i * rs + p * ps];
                for (int i = rr; i < r; i++)
                    d[(size_t)p * r + i] = 0.0f;
            }
    }
}

void vconv_sgemm_pack_blocked(int rows, int k, const float *src, ptrdiff_t rs,
                              ptrdiff_t ps, int r, int kc, float *dst)
{
    const size_t rows_pad = (size_t)vconv_round_up(rows, r);
    for (int k0 = 0; k0 < k; k0 += kc)
        vconv_sgemm_pack(rows, vconv_min_i(kc, k - k0), src + k0 * ps, rs, ps,
                         r, dst + (size_t)k0 * rows_pad);
}

void vconv_sgemm_gather(int len, const float *const *rows, int r, float *dst)
{
    for (int i = 0; i < r; i++) {
        const float *s = rows[i];
        if (s)
            for (int q = 0; q < len; q++)
                dst[(size_t)q * r + i] = s[q];
        else
            for (int q = 0; q < len; q++)
                dst[(size_t)q * r + i] = 0.0f;
    }
}
