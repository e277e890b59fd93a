/*
 * qconv-kernel.h - the low-precision direct microkernel, once, for the ISA
 * files that include it (static inline code only). The including file
 * defines, before including it:
 *   QK_ACC            the accumulator type (__m512i, __m512)
 *   QK_ZERO()         a zero accumulator
 *   QK_WT, QK_XT      the types of a weight vector, a broadcast input
 *   QK_LOADW(p)       the aligned 64-byte weight vector at p
 *   QK_BCAST(p)       the 32-bit word at p in every lane
 *   QK_TILES          the tile list (VCONV_QC_TILES_ZMM / _PAIR)
 *   QK_DOT(a, x, w)   a += the 4-byte-group dot product of broadcast x and
 *                     weights w (vpdpbusd / vdpbf16ps)
 *   qk_epilogue()     static void qk_epilogue(const vconv_qplan *pl,
 *                     QK_ACC a, size_t slot, char *d, size_t cs, int nch):
 *                     finishes one vector of 16 output channels (bias,
 *                     scale, ReLU, saturation) and stores its first nch
 *                     channels at d, d + cs, ... (elements)
 *   QK_NAME           the row function's name
 *
 * Register plan (AVX-512, 32 zmm): ur pixels x nb vectors of 16 output
 * channels = ur * nb accumulators + nb weight vectors + one broadcast
 * (<= 31: 4 x 6, 3 x 9, 2 x 14, 1 x 28; 4 x 7 would spill one). Per 4-byte channel group of a tap: nb aligned 64-byte weight
 * loads, ur broadcasts of a 32-bit input word (embedded {1to16}), ur * nb
 * dot instructions. The input words of the ur pixels are consecutive (the
 * padded rows are split by column phase), so every address is a constant
 * offset from one pointer.
 */
#ifndef VCONV_QCONV_KERNEL_H
#define VCONV_QCONV_KERNEL_H

#include "qconv.h"

/* Finishes a tile: nvalid pixels x nb vectors of 16 channels (nch left
   in the group) from out[u * nb + b]. Static, not inline: one private copy
   a file, never merged across files by the linker. */
static __attribute__((noinline)) void
qk_finish(const vconv_qplan *pl, const QK_ACC *out, int nb, int nvalid,
          size_t slot0, char *dst, size_t ps, size_t cs, int nch, size_t es)
{
    for (int u = 0; u < nvalid; u++)
        for (int b = 0; b < nb; b++) {
            const int left = nch - b * VCONV_QC_V;
            if (left <= 0)
                break;
            qk_epilogue(pl, out[u * nb + b], slot0 + (size_t)b * VCONV_QC_V,
                        dst + ((size_t)u * ps +
                               (size_t)b * VCONV_QC_V * cs) * es,
                        cs, left < VCONV_QC_V ? left : VCONV_QC_V);
        }
}

static inline __attribute__((always_inline)) void
qk_tile(const vconv_qplan *pl, const uint32_t *xg, int y, int x,
        const uint32_t *wt, const int NB, const int UR, int nvalid,
        size_t slot0, char *dst, size_t ps, size_t cs, int nch, size_t es)
{
    const vconv_problem *p = &pl->p;
    const int cg = pl->cg, wph = pl->wph;
    QK_ACC acc[28];
#pragma GCC unroll 28
    for (int i = 0; i < UR * NB; i++)
        acc[i] = QK_ZERO();
    const size_t nbv = (size_t)NB * VCONV_QC_V;
    const int taps = p->kh * p->kw;
    /* one loop over the taps: their offsets are the plan's (no division
       by the stride in the loop) */
    const uint32_t *xb = xg + (size_t)y * p->sh * pl->rowsz + x;
    for (int t = 0; t < taps; t++) {
        const uint32_t *xc = xb + pl->tapoff[t];
        const uint32_t *wc = wt + (size_t)t * cg * nbv;
        for (int c = 0; c < cg; c++) {
            const uint32_t *xp = xc + (size_t)c * wph;
            const uint32_t *wp = wc + (size_t)c * nbv;
            QK_WT w[4];
#pragma GCC unroll 4
            for (int b = 0; b < NB; b++)
                w[b] = QK_LOADW(wp + b * VCONV_QC_V);
#pragma GCC unroll 28
            for (int u = 0; u < UR; u++) {
                const QK_XT xv = QK_BCAST(xp + u);
#pragma GCC unroll 4
                for (int b = 0; b < NB; b++)
                    acc[u * NB + b] = QK_DOT(acc[u * NB + b], xv, w[b]);
            }
        }
    }
    /* the epilogue once a tile, out of line (one copy of it a file rather
       than one a pixel and vector of every tile: 186 KB of code against
       28 KB, and the sanitizer build's compile time) */
    QK_ACC out[28];
#pragma GCC unroll 28
    for (int i = 0; i < UR * NB; i++)
        out[i] = acc[i];
    qk_finish(pl, out, NB, nvalid, slot0, dst + (size_t)x * ps * es, ps, cs,
              nch, es);
}

#define QK_INST(NB, UR)                                                        \
    static void qk_row_##NB##_##UR(const vconv_qplan *pl, const uint32_t *xg, \
                                   int y, const uint32_t *wt, int x0, int x1, \
                                   size_t slot0, char *dst, size_t ps,        \
                                   size_t cs, int nch, size_t es)             \
    {                                                                          \
        for (int x = x0; x < x1; x += UR)                                      \
            qk_tile(pl, xg, y, x, wt, NB, UR,                                  \
                    x1 - x < UR ? x1 - x : UR, slot0, dst, ps, cs, nch, es);  \
    }
QK_TILES(QK_INST)
#undef QK_INST

void QK_NAME(const vconv_qplan *pl, const uint32_t *xg, int g, int y,
             int tile, int x0, int x1, void *dst, size_t pix_stride,
             size_t ch_stride)
{
    const vconv_problem *p = &pl->p;
    const size_t nbv = (size_t)pl->nb * VCONV_QC_V;
    const size_t taps = (size_t)p->kh * p->kw;
    const size_t gt = (size_t)g * pl->ntile + tile;
    const uint32_t *wt = pl->w + gt * taps * pl->cg * nbv;
    const size_t slot0 = gt * nbv;
    const int nch = p->ocg - tile * (int)nbv;
    const size_t es = vconv_dtype_size(p->dst_dt);
    char *d = (char *)dst + (size_t)tile * nbv * ch_stride * es;
    switch (pl->nb * 100 + pl->ur) {
#define QK_CASE(NB, UR)                                                        \
    case NB * 100 + UR:                                                        \
        qk_row_##NB##_##UR(pl, xg, y, wt, x0, x1, slot0, d, pix_stride,        \
                           ch_stride, nch, es);                                \
        break;
        QK_TILES(QK_CASE)
#undef QK_CASE
    default:
        break; /* plan_tile only picks tiles of the list */
    }
}

#endif
