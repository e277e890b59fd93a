/*
 * conv_ref_q.c - the low-precision references (int8: exact integers; bf16:
 * double sums of the bf16 values), the contract's parameter checks, and the
 * registry entries ref_int8.scalar and ref_bf16.scalar that run them.
 */
#include "ref.h"
#include "../qconv/qconv.h"

#include <float.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#define INV(...) vconv_error(VCONV_ERR_INVALID_ARG, __VA_ARGS__)

void vconv_qparams_free(vconv_qparams *q)
{
    free(q->scale);
    free(q->bias);
    q->scale = NULL;
    q->bias = NULL;
}

vconv_status vconv_qparams_init(const vconv_problem *p, const float *wsc,
                                const int32_t *bias, vconv_qparams *q)
{
    memset(q, 0, sizeof *q);
    const bool dst_i8 = p->dst_dt == VCONV_U8 || p->dst_dt == VCONV_S8;
    const int64_t k = (int64_t)p->icg * p->kh * p->kw;
    const int64_t bias_max = INT32_MAX - k * 255 * 128;
    for (int o = 0; o < p->oc; o++) {
        if (!(isfinite(wsc[o]) && wsc[o] > 0))
            return INV("wei_scales[%d] (%g) must be positive and finite", o,
                       (double)wsc[o]);
        double m = (double)p->src_scale * wsc[o];
        if (dst_i8)
            m /= p->dst_scale;
        if (!(m >= FLT_MIN && m <= FLT_MAX))
            return INV("the %s of output channel %d (%g = src_scale %g * "
                       "wei_scales[%d] %g%s%.3g) is not a normal float",
                       dst_i8 ? "requantization multiplier" : "output scale",
                       o, m, (double)p->src_scale, o, (double)wsc[o],
                       dst_i8 ? " / dst_scale " : "",
                       dst_i8 ? (double)p->dst_scale : 1.0);
        if (bias && llabs((long long)bias[o]) > bias_max)
            return INV("bias[%d] (%d) is beyond +-%lld: with K = %lld the "
                       "int32 accumulator could overflow",
                       o, (int)bias[o], (long long)bias_max, (long long)k);
    }
    const size_t noc = (size_t)(unsigned)p->oc;
    q->scale = malloc(noc * sizeof(float));
    q->bias = calloc(noc, sizeof(int32_t));
    if (!q->scale || !q->bias) {
        vconv_qparams_free(q);
        return VCONV_ERR_NO_MEMORY;
    }
    for (int o = 0; o < p->oc; o++) {
        double m = (double)p->src_scale * wsc[o];
        q->scale[o] = (float)(dst_i8 ? m / p->dst_scale : m);
        if (bias)
            q->bias[o] = bias[o];
    }
    if (dst_i8) {
        int lo = p->dst_dt == VCONV_U8 ? 0 : -128;
        int hi = p->dst_dt == VCONV_U8 ? 255 : 127;
        if (p->act == VCONV_ACT_RELU && p->dst_zp > lo)
            lo = p->dst_zp;
        q->zp = p->dst_zp;
        q->lo = (float)(lo - p->dst_zp);
        q->hi = (float)(hi - p->dst_zp);
    } else {
        q->lo = p->act == VCONV_ACT_RELU ? 0.0f : -INFINITY;
        q->hi = INFINITY;
    }
    return VCONV_OK;
}

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

void vconv_ref_conv_int8(const vconv_problem *p, const int8_t *w,
                         const vconv_qparams *q, const void *src, void *dst,
                         int32_t *acc32)
{
    const int ocg = p->ocg, icg = p->icg;
    const long jobs = (long)p->mb * p->oc;
    const bool nhwc = p->layout == VCONV_NHWC;
    const bool su8 = p->src_dt == VCONV_U8;
    const uint8_t *su = src;
    const int8_t *ss = src;
    const int zx = p->src_zp;

#pragma omp parallel for num_threads(p->threads) schedule(static)
    for (long job = 0; job < jobs; job++) {
        const int n = (int)(job / p->oc), oc = (int)(job % p->oc);
        const int grp = oc / ocg;
        const int8_t *wo = w + (size_t)oc * icg * p->kh * p->kw;
        for (int oy = 0; oy < p->oh; oy++) {
            const int iy0 = oy * p->sh - p->pt;
            int ky0, ky1;
            tap_range(iy0, p->dh, p->kh, p->ih, &ky0, &ky1);
            for (int ox = 0; ox < p->ow; ox++) {
                const int ix0 = ox * p->sw - p->pl;
                int kx0, kx1;
                tap_range(ix0, p->dw, p->kw, p->iw, &kx0, &kx1);
                int64_t acc = q->bias[oc];
                for (int c = 0; c < icg; c++) {
                    const int ch = grp * icg + c;
                    for (int ky = ky0; ky < ky1; ky++) {
                        const int iy = iy0 + ky * p->dh;
                        for (int kx = kx0; kx < kx1; kx++) {
                            const int ix = ix0 + kx * p->dw;
                            size_t at = nhwc
                                ? (((size_t)n * p->ih + iy) * p->iw + ix) *
                                          p->ic + ch
                                : (((size_t)n * p->ic + ch) * p->ih + iy) *
                                          p->iw + ix;
                            int x = su8 ? su[at] : ss[at];
                            acc += (int64_t)(x - zx) *
                                   wo[((size_t)c * p->kh + ky) * p->kw + kx];
                        }
                    }
                }
                /* the contract's limits make this fit; the oracle says so
                   loudly rather than wrap */
                if (acc > INT32_MAX || acc < INT32_MIN)
                    abort();
                const int32_t a = (int32_t)acc;
                size_t at = nhwc ? (((size_t)n * p->oh + oy) * p->ow + ox) *
                                           p->oc + oc
                                 : (((size_t)n * p->oc + oc) * p->oh + oy) *
                                           p->ow + ox;
                if (acc32)
                    acc32[at] = a;
                if (p->dst_dt == VCONV_F32) {
                    float y = (float)a * q->scale[oc];
                    ((float *)dst)[at] = y < q->lo ? q->lo : y;
                } else {
                    int32_t r = vconv_q_requant(a, q->scale[oc], q->lo,
                                                q->hi, q->zp);
                    if (p->dst_dt == VCONV_U8)
                        ((uint8_t *)dst)[at] = (uint8_t)r;
                    else
                        ((int8_t *)dst)[at] = (int8_t)r;
                }
            }
        }
    }
}

vconv_status vconv_ref_conv_bf16(const vconv_problem *p, const uint16_t *w,
                                 const float *bias, const uint16_t *src,
                                 void *dst, double *dst64, double *mag64)
{
    const size_t ns = vconv_src_elems(p), nw = vconv_wei_elems(p);
    const size_t nd = vconv_dst_elems(p);
    float *sf = malloc(ns * sizeof(float)), *wf = malloc(nw * sizeof(float));
    float *df = dst && p->dst_dt == VCONV_BF16 ? malloc(nd * sizeof(float))
                                               : NULL;
    if (!sf || !wf || (dst && p->dst_dt == VCONV_BF16 && !df)) {
        free(sf);
        free(wf);
        free(df);
        return VCONV_ERR_NO_MEMORY;
    }
    for (size_t i = 0; i < ns; i++)
        sf[i] = vconv_bf16_to_f32(src[i]);
    for (size_t i = 0; i < nw; i++)
        wf[i] = vconv_bf16_to_f32(w[i]);
    vconv_ref_conv(p, wf, bias, sf, df ? df : dst, dst64, mag64);
    if (df) {
        uint16_t *d = dst;
        for (size_t i = 0; i < nd; i++)
            d[i] = vconv_f32_to_bf16(df[i]);
    }
    free(sf);
    free(wf);
    free(df);
    return VCONV_OK;
}

/* --------------------------------------------------- the registry entries */

typedef struct {
    void *w;            /* int8_t or uint16_t, the user's layout */
    vconv_qparams q;    /* int8 */
    float *bias;        /* bf16 */
} refq_state;

static bool refq_supports(const vconv_problem *p, char *why, size_t len)
{
    (void)p;
    (void)why;
    (void)len;
    return true;
}

static double refq_estimate(const vconv_problem *p, char *why, size_t len)
{
    (void)why;
    (void)len;
    return vconv_problem_flops(p) / (1e9 * p->threads);
}

static void refq_destroy(void *state)
{
    refq_state *s = state;
    free(s->w);
    free(s->bias);
    vconv_qparams_free(&s->q);
    free(s);
}

static vconv_status refq_create(const vconv_problem *p, const void *w,
                                const float *wsc, const void *bias,
                                void **state)
{
    const bool i8 = vconv_problem_kind(p) == VCONV_DT_INT8;
    refq_state *s = calloc(1, sizeof *s);
    if (!s)
        return VCONV_ERR_NO_MEMORY;
    vconv_status st = VCONV_OK;
    size_t wb = vconv_wei_elems(p) * (i8 ? 1 : 2);
    if (i8)
        st = vconv_qparams_init(p, wsc, bias, &s->q);
    else if (bias && !(s->bias = malloc((size_t)p->oc * sizeof(float))))
        st = VCONV_ERR_NO_MEMORY;
    if (st == VCONV_OK && !(s->w = malloc(wb)))
        st = VCONV_ERR_NO_MEMORY;
    if (st != VCONV_OK) {
        refq_destroy(s);
        return st;
    }
    memcpy(s->w, w, wb);
    if (!i8 && bias)
        memcpy(s->bias, bias, (size_t)p->oc * sizeof(float));
    *state = s;
    return VCONV_OK;
}

static vconv_status refq_run(const void *state, const vconv_problem *p,
                             const void *src, void *dst)
{
    const refq_state *s = state;
    if (vconv_problem_kind(p) == VCONV_DT_INT8) {
        vconv_ref_conv_int8(p, s->w, &s->q, src, dst, NULL);
        return VCONV_OK;
    }
    return vconv_ref_conv_bf16(p, s->w, s->bias, src, dst, NULL, NULL);
}

const vconv_impl vconv_impl_ref_int8_scalar = {
    .name = "ref_int8.scalar",
    .algo = VCONV_ALGO_REF,
    .isa = VCONV_ISA_SCALAR,
    .supports = refq_supports,
    .estimate = refq_estimate,
    .destroy = refq_destroy,
    .dtypes = VCONV_DT_INT8,
    .create_q = refq_create,
    .run_q = refq_run,
};

const vconv_impl vconv_impl_ref_bf16_scalar = {
    .name = "ref_bf16.scalar",
    .algo = VCONV_ALGO_REF,
    .isa = VCONV_ISA_SCALAR,
    .supports = refq_supports,
    .estimate = refq_estimate,
    .destroy = refq_destroy,
    .dtypes = VCONV_DT_BF16,
    .create_q = refq_create,
    .run_q = refq_run,
};
