/* conv_ref.c - the reference convolution (see ref.h) and ref.scalar. */
#include "ref.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* First and one-past-last kernel tap k with 0 <= base + k*dil < in. */
static void tap_range(int base, int dil, int k, int in, int *lo, int *hi)
{
    int a = 0, b = k;
    if (base < 0)
        a = (-base + dil - 1) / dil;
    if (base + (long)(k - 1) * dil >= in)
        b = base >= in ? 0 : (in - 1 - base) / dil + 1;
    if (b < a)
        b = a;
    *lo = a;
    *hi = b;
}

/* One loop nest for every output kind: the scale (mag) costs a fabs and an
   add a term, which only the tests and the bench ask for, and the oracle is
   not timed against anything. */
void vconv_ref_conv(const vconv_problem *p, const float *w, const float *bias,
                    const float *src, float *dst, double *dst64,
                    double *mag64)
{
    const int ocg = p->ocg, icg = p->icg;
    const size_t ohw = (size_t)p->oh * p->ow, ihw = (size_t)p->ih * p->iw;
    const long jobs = (long)p->mb * p->oc;
    const bool nhwc = p->layout == VCONV_NHWC;

#pragma omp parallel for num_threads(p->threads) schedule(static)
    for (long job = 0; job < jobs; job++) {
        const int n = (int)(job / p->oc), oc = (int)(job % p->oc);
        const int grp = oc / ocg;
        const float *wo = w + (size_t)oc * icg * p->kh * p->kw;
        for (int oy = 0; oy < p->oh; oy++) {
            const int iy0 = oy * p->sh - p->pt;
            int ky0, ky1;
            tap_range(iy0, p->dh, p->kh, p->ih, &ky0, &ky1);
            for (int ox = 0; ox < p->ow; ox++) {
                const int ix0 = ox * p->sw - p->pl;
                int kx0, kx1;
                tap_range(ix0, p->dw, p->kw, p->iw, &kx0, &kx1);
                double acc = bias ? (double)bias[oc] : 0.0;
                double mag = fabs(acc);
                if (!nhwc) {
                    for (int c = 0; c < icg; c++) {
                        const float *s = src + ((size_t)n * p->ic +
                                                (size_t)grp * icg + c) * ihw;
                        const float *wc = wo + (size_t)c * p->kh * p->kw;
                        for (int ky = ky0; ky < ky1; ky++) {
                            const float *row =
                                s + (size_t)(iy0 + ky * p->dh) * p->iw + ix0;
                            const float *wr = wc + (size_t)ky * p->kw;
                            for (int kx = kx0; kx < kx1; kx++) {
                                double t = (double)row[kx * p->dw] * wr[kx];
                                acc += t;
                                mag += fabs(t);
                            }
                        }
                    }
                } else {
                    for (int ky = ky0; ky < ky1; ky++) {
                        const int iy = iy0 + ky * p->dh;
                        for (int kx = kx0; kx < kx1; kx++) {
                            const int ix = ix0 + kx * p->dw;
                            const float *s =
                                src + (((size_t)n * p->ih + iy) * p->iw + ix) *
                                          p->ic +
                                (size_t)grp * icg;
                            const float *wk = wo + (size_t)ky * p->kw + kx;
                            const size_t wstride = (size_t)p->kh * p->kw;
                            for (int c = 0; c < icg; c++) {
                                double t = (double)s[c] * wk[c * wstride];
                                acc += t;
                                mag += fabs(t);
                            }
                        }
                    }
                }
                if (p->act == VCONV_ACT_RELU && acc < 0)
                    acc = 0;
                size_t o = nhwc ? (((size_t)n * p->oh + oy) * p->ow + ox) *
                                          p->oc + oc
                                : ((size_t)n * p->oc + oc) * ohw +
                                      (size_t)oy * p->ow + ox;
                if (dst)
                    dst[o] = (float)acc;
                if (dst64)
                    dst64[o] = acc;
                if (mag64)
                    mag64[o] = mag;
            }
        }
    }
}

/* ---------------------------------------------------- ref.scalar entry */

typedef struct {
    float *w;
    float *b; /* NULL: no bias */
} ref_state;

static bool ref_supports(const vconv_problem *p, char *why, size_t len)
{
    (void)p;
    (void)why;
    (void)len;
    return true;
}

/* About 1 GFLOP/s a thread: it is the oracle, chosen only when nothing
   else can run the problem. */
static double ref_estimate(const vconv_problem *p, char *why, size_t len)
{
    (void)why;
    (void)len;
    return vconv_problem_flops(p) / (1e9 * p->threads);
}

static vconv_status ref_create(const vconv_problem *p, const float *w,
                               const float *b, void **state)
{
    ref_state *s = calloc(1, sizeof *s);
    if (!s)
        return VCONV_ERR_NO_MEMORY;
    size_t nw = vconv_wei_elems(p);
    s->w = malloc(nw * sizeof(float));
    if (b)
        s->b = malloc((size_t)p->oc * sizeof(float));
    if (!s->w || (b && !s->b)) {
        free(s->w);
        free(s->b);
        free(s);
        return VCONV_ERR_NO_MEMORY;
    }
    memcpy(s->w, w, nw * sizeof(float));
    if (b)
        memcpy(s->b, b, (size_t)p->oc * sizeof(float));
    *state = s;
    return VCONV_OK;
}

static vconv_status ref_run(const void *state, const vconv_problem *p,
                            const float *src, float *dst)
{
    const ref_state *s = state;
    vconv_ref_conv(p, s->w, s->b, src, dst, NULL, NULL);
    return VCONV_OK;
}

static void ref_destroy(void *state)
{
    ref_state *s = state;
    free(s->w);
    free(s->b);
    free(s);
}

const vconv_impl vconv_impl_ref_scalar = {
    .name = "ref.scalar",
    .algo = VCONV_ALGO_REF,
    .isa = VCONV_ISA_SCALAR,
    .supports = ref_supports,
    .estimate = ref_estimate,
    .create = ref_create,
    .run = ref_run,
    .destroy = ref_destroy,
};
