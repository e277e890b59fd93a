/*
 * pool.c - max and average pooling: the portable driver and the scalar
 * kernel. The vector kernels (pool-avx512.c, pool-avx2.c, pool-neon.c)
 * vectorise one NHWC output pixel over its channels (the window's pixels
 * are C contiguous floats each, so a vector of channels is one load per
 * window element); the driver here walks the output pixels, clips the
 * window to the input and splits rows of the output over the threads.
 * NCHW runs the portable loops (vconv_net keeps NHWC between layers; NCHW
 * pooling is for callers that have it, not the fast path).
 */
#include "../../core/layers.h"

#include <float.h>
#include <omp.h>

static void max_scalar(const float *src, ptrdiff_t row, int ny, int nx, int C,
                       float div, float *dst)
{
    (void)div;
    for (int c = 0; c < C; c++) {
        float m = src[c];
        for (int y = 0; y < ny; y++)
            for (int x = 0; x < nx; x++) {
                float v = src[y * row + (ptrdiff_t)x * C + c];
                m = v > m ? v : m;
            }
        dst[c] = m;
    }
}

static void avg_scalar(const float *src, ptrdiff_t row, int ny, int nx, int C,
                       float div, float *dst)
{
    for (int c = 0; c < C; c++) {
        float s = 0.0f;
        for (int y = 0; y < ny; y++)
            for (int x = 0; x < nx; x++)
                s += src[y * row + (ptrdiff_t)x * C + c];
        dst[c] = s / div;
    }
}

const vconv_pool_kernel vconv_pool_kernel_scalar = {"pool.scalar",
                                                    VCONV_ISA_SCALAR,
                                                    max_scalar, avg_scalar};

const vconv_pool_kernel *vconv_pool_kernel_get(vconv_isa isa)
{
    switch (isa) {
#if VCONV_ARCH_X86_64
    case VCONV_ISA_AVX512: return &vconv_pool_kernel_avx512;
    case VCONV_ISA_AVX2: return &vconv_pool_kernel_avx2;
#endif
#if VCONV_ARCH_AARCH64
    case VCONV_ISA_NEON: return &vconv_pool_kernel_neon;
#endif
    default: return &vconv_pool_kernel_scalar;
    }
}

/* The divisor of an average window: padded or input-only element count. */
static float divisor(const vconv_pool_problem *p, int ny, int nx, int pny,
                     int pnx)
{
    return p->alg == VCONV_POOL_AVG_INCLUDE_PAD ? (float)pny * (float)pnx
                                                : (float)ny * (float)nx;
}

static void row_nhwc(const vconv_pool_kernel *k, const vconv_pool_problem *p,
                     const float *src, float *dst, int n, int oy)
{
    const int C = p->c;
    int y0, y1, pny;
    vconv_pool_window(oy, p->sh, p->kh, p->pt, p->pb, p->ih, &y0, &y1, &pny);
    const float *img = src + (size_t)n * p->ih * p->iw * C;
    float *out = dst + ((size_t)n * p->oh + oy) * p->ow * C;
    const vconv_pool_pixel_fn fn =
        p->alg == VCONV_POOL_MAX ? k->max : k->avg;
    for (int ox = 0; ox < p->ow; ox++) {
        int x0, x1, pnx;
        vconv_pool_window(ox, p->sw, p->kw, p->pl, p->pr, p->iw, &x0, &x1,
                          &pnx);
        float *o = out + (size_t)ox * C;
        if (y1 <= y0 || x1 <= x0) {   /* the window sees only padding */
            for (int c = 0; c < C; c++)
                o[c] = 0.0f;
            continue;
        }
        fn(img + ((size_t)y0 * p->iw + x0) * C, (ptrdiff_t)p->iw * C,
           y1 - y0, x1 - x0, C, divisor(p, y1 - y0, x1 - x0, pny, pnx), o);
    }
}

static void row_nchw(const vconv_pool_problem *p, const float *src,
                     float *dst, int nc, int oy)
{
    int y0, y1, pny;
    vconv_pool_window(oy, p->sh, p->kh, p->pt, p->pb, p->ih, &y0, &y1, &pny);
    const float *plane = src + (size_t)nc * p->ih * p->iw;
    float *out = dst + ((size_t)nc * p->oh + oy) * p->ow;
    for (int ox = 0; ox < p->ow; ox++) {
        int x0, x1, pnx;
        vconv_pool_window(ox, p->sw, p->kw, p->pl, p->pr, p->iw, &x0, &x1,
                          &pnx);
        if (y1 <= y0 || x1 <= x0) {
            out[ox] = 0.0f;
            continue;
        }
        const float *w = plane + (size_t)y0 * p->iw + x0;
        if (p->alg == VCONV_POOL_MAX)
            max_scalar(w, p->iw, y1 - y0, x1 - x0, 1, 1.0f, out + ox);
        else
            avg_scalar(w, p->iw, y1 - y0, x1 - x0, 1,
                       divisor(p, y1 - y0, x1 - x0, pny, pnx), out + ox);
    }
}

void vconv_pool_exec(const vconv_pool_kernel *k, const vconv_pool_problem *p,
                     const float *src, float *dst)
{
    const int T = p->threads;
    if (p->layout == VCONV_NHWC) {
        const int rows = p->mb * p->oh;
#pragma omp parallel for num_threads(T) schedule(static) if (T > 1)
        for (int r = 0; r < rows; r++)
            row_nhwc(k, p, src, dst, r / p->oh, r % p->oh);
    } else {
        const int rows = p->mb * p->c * p->oh;
#pragma omp parallel for num_threads(T) schedule(static) if (T > 1)
        for (int r = 0; r < rows; r++)
            row_nchw(p, src, dst, r / p->oh, r % p->oh);
    }
}
