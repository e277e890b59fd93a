/*
 * im2col-nchw-avx512.c - NCHW's im2col B operand packed straight into the
 * 32-column micro-panels of sgemm-14x32-avx512 (layout: kernels/gemm/
 * gemm.h): stride 1 by masked loads, strides 2..16 by masked gathers
 * (a 1x1 stride-2 shortcut reads its pixels straight into the panel);
 * other tiles go to the portable vconv_im2col_nchw_b (same floats, bit
 * for bit).
 *
 * Register plan: one panel row (32 pixels of one K index p) lives in two
 * zmm; each run of the panel (pixels sharing an output row: one or two
 * runs for rows wider than 32) is one merge-masked load a zmm, its lanes
 * [lo, hi) the run's pixels whose input column is inside the image;
 * every other lane stays 0 (the padding). Then two full stores. The
 * portable loop spends ~3 cycles a float on its bookkeeping and zero
 * fills (perf on cifar_vgg conv1_2: half the run); this is a few
 * instructions a run.
 *
 * A masked load's address is that of lane 0, which may lie before the
 * row (lanes outside the image are masked off and never touched): it is
 * formed in uintptr_t arithmetic, never as an out-of-bounds pointer.
 */
#include "im2col.h"

#include <immintrin.h>

const float *vconv_im2col_nchw_b__avx512(const vconv_sgemm_src *src, int r0,
                                         int rows, int k0, int kc, int R,
                                         float *dst)
{
    const im2col_b_src *s = (const im2col_b_src *)src;
    const vconv_problem *p = s->p;
    if (R != 32 || p->sw > 16)
        return vconv_im2col_nchw_b(src, r0, rows, k0, kc, R, dst);
    /* stride > 1: a run's pixels are sw floats apart in the row, read by
       a masked gather (lane l at lane 0's address + l * sw floats) */
    const __m512i step = _mm512_mullo_epi32(
        _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
                          15),
        _mm512_set1_epi32(p->sw));
    const bool strided = p->sw != 1;
    const im2col_geom *gm = s->geom;
    const int khw = p->kh * p->kw;
    const size_t ihw = (size_t)p->ih * p->iw;
    for (int t0 = 0; t0 < rows; t0 += 32) {
        float *panel = dst + (size_t)t0 * kc;
        int at[32], len[32], oy[32], ox[32];
        const int nruns = vconv_im2col_runs(p->ow, r0 + t0,
                                            vconv_min_i(32, rows - t0), at,
                                            len, oy, ox);
        int c = k0 / khw, ky = k0 % khw / p->kw, kx = k0 % p->kw;
        for (int q = 0; q < kc; q++) {
            const float *x = s->x + (size_t)c * ihw;
            const int xlo = gm->ox_lo[kx], xhi = gm->ox_hi[kx];
            const int ylo = gm->oy_lo[ky], yhi = gm->oy_hi[ky];
            const int ixoff = kx * p->dw - p->pl, iyoff = ky * p->dh - p->pt;
            __m512 v0 = _mm512_setzero_ps(), v1 = _mm512_setzero_ps();
            for (int r = 0; r < nruns; r++) {
                if (oy[r] < ylo || oy[r] >= yhi)
                    continue;
                const int lo = vconv_max_i(xlo, ox[r]) - ox[r];
                const int hi = vconv_min_i(xhi, ox[r] + len[r]) - ox[r];
                if (hi <= lo)
                    continue;
                /* first valid element, and the address lane 0 maps to */
                const float *first =
                    x + (size_t)(oy[r] * p->sh + iyoff) * p->iw +
                    ((ptrdiff_t)(ox[r] + lo) * p->sw + ixoff);
                const uint64_t m = (((uint64_t)1 << (at[r] + hi)) - 1) &
                                   ~(((uint64_t)1 << (at[r] + lo)) - 1);
                if (strided) {
                    const uintptr_t g0 =
                        (uintptr_t)first - (uintptr_t)(at[r] + lo) * p->sw *
                                               sizeof(float);
                    if ((__mmask16)m)
                        v0 = _mm512_mask_i32gather_ps(
                            v0, (__mmask16)m, step, (const void *)g0, 4);
                    if ((__mmask16)(m >> 16))
                        v1 = _mm512_mask_i32gather_ps(
                            v1, (__mmask16)(m >> 16), step,
                            (const void *)(g0 + (uintptr_t)16 * p->sw *
                                                    sizeof(float)),
                            4);
                    continue;
                }
                const uintptr_t lane0 =
                    (uintptr_t)first - (uintptr_t)(at[r] + lo) * sizeof(float);
                if ((__mmask16)m)
                    v0 = _mm512_mask_loadu_ps(v0, (__mmask16)m,
                                              (const float *)lane0);
                if ((__mmask16)(m >> 16))
                    v1 = _mm512_mask_loadu_ps(v1, (__mmask16)(m >> 16),
                                              (const float *)(lane0 + 64));
            }
            _mm512_storeu_ps(panel + (size_t)q * 32, v0);
            _mm512_storeu_ps(panel + (size_t)q * 32 + 16, v1);
            if (++kx == p->kw) {
                kx = 0;
                if (++ky == p->kh) {
                    ky = 0;
                    c++;
                }
            }
        }
    }
    return dst;
}
