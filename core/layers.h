/*
 * layers.h - what the non-conv layers (pool, fc, lrn, softmax) share
 * between core/layers.c (validation, dispatch), the kernel families
 * (kernels/pool, kernels/lrn, kernels/fc, kernels/softmax), the reference
 * (kernels/ref/layers_ref.c) and core/net.c. Not installed; baseline code
 * only (the same rule as internal.h).
 */
#ifndef VCONV_LAYERS_H
#define VCONV_LAYERS_H

#include "internal.h"

/* A validated pooling descriptor with defaults filled and the output size. */
typedef struct {
    int mb, c, ih, iw, oh, ow;
    int kh, kw, sh, sw, pt, pb, pl, pr;
    vconv_pool_alg alg;
    vconv_layout layout;
    int threads;
} vconv_pool_problem;

/* A validated LRN descriptor, defaults filled (alpha_n = alpha / size). */
typedef struct {
    int mb, c, h, w, size;
    float alpha, beta, k;
    vconv_layout layout;
    int threads;
} vconv_lrn_problem;

/* Validation: the message starts with `who` ("pool", "layer 'pool1'"). */
VCONV_INTERNAL vconv_status vconv_pool_problem_init(const vconv_pool_desc *d,
                                                    const char *who,
                                                    vconv_pool_problem *p);
VCONV_INTERNAL vconv_status vconv_lrn_problem_init(const vconv_lrn_desc *d,
                                                   const char *who,
                                                   vconv_lrn_problem *p);
VCONV_INTERNAL vconv_status vconv_fc_check(const vconv_fc_desc *d,
                                           const char *who);
VCONV_INTERNAL vconv_status vconv_softmax_check(const vconv_softmax_desc *d,
                                                const char *who);

/* The window of output index o along one axis: input [*lo, *hi) clipped
   to the input, and *padded = the count inside the padded input
   [-p0, in + p1). */
static inline void vconv_pool_window(int o, int s, int k, int p0, int p1,
                                     int in, int *lo, int *hi, int *padded)
{
    int a = o * s - p0, b = a + k;
    int pa = a < -p0 ? -p0 : a, pbnd = b > in + p1 ? in + p1 : b;
    *padded = pbnd > pa ? pbnd - pa : 0;
    *lo = a < 0 ? 0 : a;
    *hi = b > in ? in : b;
    if (*hi < *lo)
        *hi = *lo;
}

/* ---------------------------------------------------------- pool family */

/*
 * One NHWC output pixel: for every channel c < C, over the window's
 * ny x nx input pixels (ny, nx >= 1) starting at src (pixel (y, x) of the
 * window at src + y * row + x * C):
 *   max: dst[c] = max of the window;  avg: dst[c] = sum / div.
 * The sum runs y ascending, then x ascending, from 0.0f.
 */
typedef void (*vconv_pool_pixel_fn)(const float *src, ptrdiff_t row, int ny,
                                    int nx, int C, float div, float *dst);
typedef struct {
    const char *name;   /* "pool.avx512" */
    vconv_isa isa;
    vconv_pool_pixel_fn max, avg;
} vconv_pool_kernel;

VCONV_INTERNAL const vconv_pool_kernel *vconv_pool_kernel_get(vconv_isa isa);
/* Runs p with kernel k (NHWC through k; NCHW through the portable loops). */
VCONV_INTERNAL void vconv_pool_exec(const vconv_pool_kernel *k,
                                    const vconv_pool_problem *p,
                                    const float *src, float *dst);

/* ----------------------------------------------------------- LRN family */

/*
 * One NHWC pixel of C channels, beta = 0.75 only (the vector kernels; any
 * other beta goes to the portable code): sq is scratch of C + size - 1
 * floats whose first (size-1)/2 and last size/2 the caller zeroed; the
 * kernel writes sq[(size-1)/2 + c] = x[c]^2, then
 *   d = k + alpha_n * (sq[c] + sq[c+1] + ... + sq[c+size-1])  (that order)
 *   dst[c] = x[c] / (sqrt(d) * sqrt(sqrt(d)))
 */
typedef void (*vconv_lrn_pixel_fn)(const float *src, float *dst, int C,
                                   int size, float alpha_n, float k,
                                   float *sq);
typedef struct {
    const char *name;   /* "lrn.avx512" */
    vconv_isa isa;
    vconv_lrn_pixel_fn pixel075;
} vconv_lrn_kernel;

VCONV_INTERNAL const vconv_lrn_kernel *vconv_lrn_kernel_get(vconv_isa isa);
VCONV_INTERNAL void vconv_lrn_exec(const vconv_lrn_kernel *k,
                                   const vconv_lrn_problem *p,
                                   const float *src, float *dst);

/* ----------------------------------------------------- the ISA-specific */

VCONV_INTERNAL extern const vconv_pool_kernel vconv_pool_kernel_scalar;
VCONV_INTERNAL extern const vconv_lrn_kernel vconv_lrn_kernel_scalar;
#if VCONV_ARCH_X86_64
VCONV_INTERNAL extern const vconv_pool_kernel vconv_pool_kernel_avx2;
VCONV_INTERNAL extern const vconv_pool_kernel vconv_pool_kernel_avx512;
VCONV_INTERNAL extern const vconv_lrn_kernel vconv_lrn_kernel_avx2;
VCONV_INTERNAL extern const vconv_lrn_kernel vconv_lrn_kernel_avx512;
#endif
#if VCONV_ARCH_AARCH64
VCONV_INTERNAL extern const vconv_pool_kernel vconv_pool_kernel_neon;
VCONV_INTERNAL extern const vconv_lrn_kernel vconv_lrn_kernel_neon;
#endif

/* The best ISA of `have` (n entries, best first) that the CPU runs and
   that is at most max_isa (AUTO: any). SCALAR when none. */
VCONV_INTERNAL vconv_isa vconv_layer_pick_isa(vconv_isa max_isa,
                                              const vconv_isa *have, int n);

/* --------------------------------------------------------------- refs */

/* References: plain loops, double accumulation, double results. */
VCONV_INTERNAL void vconv_ref_pool(const vconv_pool_problem *p,
                                   const float *src, double *dst);
VCONV_INTERNAL void vconv_ref_fc(int mb, int in, int out, const float *w,
                                 const float *b, vconv_act act,
                                 const float *src, double *dst);
VCONV_INTERNAL void vconv_ref_lrn(const vconv_lrn_problem *p,
                                  const float *src, double *dst);
VCONV_INTERNAL void vconv_ref_softmax(int mb, int classes, const float *src,
                                      double *dst);

#endif
