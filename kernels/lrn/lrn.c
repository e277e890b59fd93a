/*
 * lrn.c - local response normalisation across channels: the portable
 * driver and the scalar kernel. The vector kernels (lrn-avx512.c,
 * lrn-avx2.c, lrn-neon.c) handle one NHWC pixel with beta = 0.75 (AlexNet's
 * and every seed net's), where d^-0.75 = 1 / (sqrt(d) * sqrt(sqrt(d))) is
 * two correctly rounded square roots and a division instead of a pow().
 * Any other beta, and NCHW, run the portable loops here (powf).
 */
#include "../../core/layers.h"

#include <math.h>
#include <omp.h>
#include <string.h>

/* sq: C + size - 1 floats, the first (size-1)/2 and last size/2 zero */
static void pixel075_scalar(const float *src, float *dst, int C, int size,
                            float alpha_n, float k, float *sq)
{
    const int half = (size - 1) / 2;
    for (int c = 0; c < C; c++)
        sq[half + c] = src[c] * src[c];
    for (int c = 0; c < C; c++) {
        float s = 0.0f;
        for (int j = 0; j < size; j++)
            s += sq[c + j];
        const float d = k + alpha_n * s;
        const float r = sqrtf(d);
        dst[c] = src[c] / (r * sqrtf(r));
    }
}

const vconv_lrn_kernel vconv_lrn_kernel_scalar = {"lrn.scalar",
                                                  VCONV_ISA_SCALAR,
                                                  pixel075_scalar};

const vconv_lrn_kernel *vconv_lrn_kernel_get(vconv_isa isa)
{
    switch (isa) {
#if VCONV_ARCH_X86_64
    case VCONV_ISA_AVX512: return &vconv_lrn_kernel_avx512;
    case VCONV_ISA_AVX2: return &vconv_lrn_kernel_avx2;
#endif
#if VCONV_ARCH_AARCH64
    case VCONV_ISA_NEON: return &vconv_lrn_kernel_neon;
#endif
    default: return &vconv_lrn_kernel_scalar;
    }
}

/* Any beta, any layout: element (n, c, pixel) at base + c * cs. */
static void pixel_general(const vconv_lrn_problem *p, const float *src,
                          float *dst, ptrdiff_t cs)
{
    const int half = (p->size - 1) / 2;
    const float an = p->alpha / (float)p->size;
    for (int c = 0; c < p->c; c++) {
        const int lo = c - half < 0 ? 0 : c - half;
        const int hi = c - half + p->size > p->c ? p->c : c - half + p->size;
        float s = 0.0f;
        for (int j = lo; j < hi; j++)
            s += src[j * cs] * src[j * cs];
        dst[c * cs] = src[c * cs] * powf(p->k + an * s, -p->beta);
    }
}

/* Pixels a thread's chunk holds at most for the on-stack sq buffer. */
#define SQ_MAX 4096

void vconv_lrn_exec(const vconv_lrn_kernel *k, const vconv_lrn_problem *p,
                    const float *src, float *dst)
{
    const int T = p->threads, C = p->c;
    const long pixels = (long)p->mb * p->h * p->w;
    const bool fast = p->layout == VCONV_NHWC && p->beta == 0.75f &&
                      C + p->size - 1 <= SQ_MAX;
    const float an = p->alpha / (float)p->size;
    if (fast) {
#pragma omp parallel num_threads(T) if (T > 1)
        {
            float sq[SQ_MAX];
            memset(sq, 0, sizeof(float) * (size_t)(C + p->size - 1));
#pragma omp for schedule(static)
            for (long i = 0; i < pixels; i++)
                k->pixel075(src + i * C, dst + i * C, C, p->size, an, p->k,
                            sq);
        }
        return;
    }
    const long hw = (long)p->h * p->w;
#pragma omp parallel for num_threads(T) schedule(static) if (T > 1)
    for (long i = 0; i < pixels; i++) {
        if (p->layout == VCONV_NHWC) {
            pixel_general(p, src + i * C, dst + i * C, 1);
        } else {
            const long n = i / hw, q = i % hw;
            const size_t off = (size_t)n * C * hw + (size_t)q;
            pixel_general(p, src + off, dst + off, hw);
        }
    }
}
