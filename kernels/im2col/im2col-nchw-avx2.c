/*
 * im2col-nchw-avx2.c - NCHW's im2col B operand packed straight into the
 * 16-column micro-panels of sgemm-6x16-avx2 (layout: kernels/gemm/
 * gemm.h), for stride-1 convolutions; other strides and tiles go to the
 * portable vconv_im2col_nchw_b (same floats, bit for bit).
 *
 * Register plan: one panel row (16 pixels of one K index p) in two ymm;
 * each run (pixels sharing an output row) is one vmaskmovps load a ymm
 * (masked-off lanes read as 0: the padding), or'ed in; lane masks come
 * from comparing a lane-index vector with the run's [lo, hi). Then two
 * full stores (AMD's masked store is slow; the full row is ours).
 *
 * A masked load's address is that of lane 0, which may lie before the
 * row (lanes outside the image are masked off and never touched): it is
 * formed in uintptr_t arithmetic, never as an out-of-bounds pointer.
 */
#include "im2col.h"

#include <immintrin.h>

const float *vconv_im2col_nchw_b__avx2(const vconv_sgemm_src *src, int r0,
                                       int rows, int k0, int kc, int R,
                                       float *dst)
{
    const im2col_b_src *s = (const im2col_b_src *)src;
    const vconv_problem *p = s->p;
    if (R != 16 || p->sw != 1)
        return vconv_im2col_nchw_b(src, r0, rows, k0, kc, R, dst);
    const im2col_geom *gm = s->geom;
    const int khw = p->kh * p->kw;
    const size_t ihw = (size_t)p->ih * p->iw;
    const __m256i idx0 = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i idx1 = _mm256_setr_epi32(8, 9, 10, 11, 12, 13, 14, 15);
    for (int t0 = 0; t0 < rows; t0 += 16) {
        float *panel = dst + (size_t)t0 * kc;
        int at[16], len[16], oy[16], ox[16];
        const int nruns = vconv_im2col_runs(p->ow, r0 + t0,
                                            vconv_min_i(16, rows - t0), at,
                                            len, oy, ox);
        int c = k0 / khw, ky = k0 % khw / p->kw, kx = k0 % p->kw;
        for (int q = 0; q < kc; q++) {
            const float *x = s->x + (size_t)c * ihw;
            const int xlo = gm->ox_lo[kx], xhi = gm->ox_hi[kx];
            const int ylo = gm->oy_lo[ky], yhi = gm->oy_hi[ky];
            const int ixoff = kx * p->dw - p->pl, iyoff = ky * p->dh - p->pt;
            __m256 v0 = _mm256_setzero_ps(), v1 = _mm256_setzero_ps();
            for (int r = 0; r < nruns; r++) {
                if (oy[r] < ylo || oy[r] >= yhi)
                    continue;
                const int lo = vconv_max_i(xlo, ox[r]) - ox[r];
                const int hi = vconv_min_i(xhi, ox[r] + len[r]) - ox[r];
                if (hi <= lo)
                    continue;
                const float *first =
                    x + (size_t)(oy[r] * p->sh + iyoff) * p->iw +
                    (ox[r] + lo + ixoff);
                const uintptr_t lane0 =
                    (uintptr_t)first - (uintptr_t)(at[r] + lo) * sizeof(float);
                /* lanes [at + lo, at + hi): idx > at+lo-1 and idx < at+hi */
                const __m256i a = _mm256_set1_epi32(at[r] + lo - 1);
                const __m256i b = _mm256_set1_epi32(at[r] + hi);
                if (at[r] + lo < 8) {
                    const __m256i m0 = _mm256_and_si256(
                        _mm256_cmpgt_epi32(idx0, a), _mm256_cmpgt_epi32(b, idx0));
                    v0 = _mm256_or_ps(
                        v0, _mm256_maskload_ps((const float *)lane0, m0));
                }
                if (at[r] + hi > 8) {
                    const __m256i m1 = _mm256_and_si256(
                        _mm256_cmpgt_epi32(idx1, a), _mm256_cmpgt_epi32(b, idx1));
                    v1 = _mm256_or_ps(
                        v1, _mm256_maskload_ps((const float *)(lane0 + 32), m1));
                }
            }
            _mm256_storeu_ps(panel + (size_t)q * 16, v0);
            _mm256_storeu_ps(panel + (size_t)q * 16 + 8, v1);
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
