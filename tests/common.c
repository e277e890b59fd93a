/* common.c - see common.h. */
#include "common.h"
#include "../dispatch/dispatch.h"
#include "../kernels/ref/ref.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

double rng_normal(test_rng *r)
{
    double u = rng_unit(r), v = rng_unit(r);
    if (u < 1e-300)
        u = 1e-300;
    return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

void fill_normal(test_rng *r, float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        x[i] = (float)rng_normal(r);
}

vconv_conv_desc random_desc(test_rng *r)
{
    for (;;) {
        vconv_conv_desc d = {0};
        int kind = rng_int(r, 0, 99);
        d.batch = rng_int(r, 1, 3);
        d.groups = rng_int(r, 0, 3) == 0 ? rng_int(r, 2, 4) : 1;
        int icg = rng_int(r, 1, 24), ocg = rng_int(r, 1, 40);
        if (rng_int(r, 0, 4) == 0) /* a block and a bit: tails */
            ocg = 16 * rng_int(r, 1, 2) + rng_int(r, 0, 1);
        d.in_h = rng_int(r, 1, 20);
        d.in_w = rng_int(r, 1, 20);
        d.kernel_h = rng_int(r, 1, 5);
        d.kernel_w = rng_int(r, 0, 3) ? d.kernel_h : rng_int(r, 1, 5);
        d.stride_h = rng_int(r, 1, 4);
        d.stride_w = rng_int(r, 0, 3) ? d.stride_h : rng_int(r, 1, 4);
        d.dilation_h = rng_int(r, 0, 4) ? 1 : rng_int(r, 1, 3);
        d.dilation_w = rng_int(r, 0, 3) ? d.dilation_h : rng_int(r, 1, 3);
        if (kind < 35) { /* Winograd's: 3x3, stride 1, dense */
            d.kernel_h = d.kernel_w = 3;
            d.stride_h = d.stride_w = d.dilation_h = d.dilation_w = 1;
            d.in_h = rng_int(r, 1, 24);
            d.in_w = rng_int(r, 1, 24);
        } else if (kind < 48) { /* 1x1 */
            d.kernel_h = d.kernel_w = 1;
            d.stride_h = d.stride_w = rng_int(r, 0, 2) ? 1 : 2;
        } else if (kind < 63) { /* first layers */
            d.groups = 1;
            icg = rng_int(r, 0, 1) ? 1 : 3;
            ocg = rng_int(r, 1, 48);
        }
        int maxp = 2;
        if (rng_int(r, 0, 5) == 0) /* 'full' and beyond */
            maxp = (d.kernel_h - 1) * d.dilation_h + 2;
        d.pad_top = rng_int(r, 0, maxp);
        d.pad_bottom = rng_int(r, 0, 2) ? d.pad_top : rng_int(r, 0, maxp);
        d.pad_left = rng_int(r, 0, 2) ? d.pad_top : rng_int(r, 0, maxp);
        d.pad_right = rng_int(r, 0, 2) ? d.pad_left : rng_int(r, 0, maxp);
        d.in_channels = icg * d.groups;
        d.out_channels = ocg * d.groups;
        d.layout = rng_int(r, 0, 1) ? VCONV_NHWC : VCONV_NCHW;
        d.activation = rng_int(r, 0, 1) ? VCONV_ACT_RELU : VCONV_ACT_NONE;
        if (vconv_conv_output_size(&d, NULL, NULL) == VCONV_OK)
            return d;
    }
}

double impl_tolerance(const char *impl, const vconv_problem *p)
{
    const vconv_impl *im = vconv_registry_find(impl);
    double k = (double)p->icg * p->kh * p->kw;
    double rk = sqrt(k < 1 ? 1 : k);
    if (!im)
        return 0;
    switch (im->algo) {
    case VCONV_ALGO_REF:
        return 1e-7; /* one rounding of the double sum */
    case VCONV_ALGO_WINOGRAD:
        /* Judged at max(mag, mean mag) (impl_scale_floor). Measured
           maxima of err * sqrt(K) (kernels/winograd: 3000 random 3x3
           problems and every 3x3 stride-1 layer of bench/shapes, every
           ISA): F(2x2) 5.1e-6, F(4x4) 2.4e-5, F(6x6) 1.4e-4; 5x5
           (AlexNet's conv2, batch 1 and 8): F(2x2, 5x5) 1.3e-5, F(4x4,
           5x5) 5.9e-5; the
           tolerance is 3 to 4 times that, over sqrt(K): an error of one
           wrong tap (about 1/K of the scale) still fails it for any K
           below 10^6. */
        if (strstr(impl, "f6x3"))
            return 5e-4 / rk;
        if (strstr(impl, "f4x5"))
            return 2.5e-4 / rk;
        if (strstr(impl, "f4x3"))
            return 8e-5 / rk;
        if (strstr(impl, "f2x5"))
            return 5e-5 / rk;
        return 2e-5 / rk;
    default:
        /* float accumulation in some order: the error of a sum of K terms
           grows like sqrt(K) eps on random data */
        return 2e-6 * rk;
    }
}

double impl_scale_floor(const char *impl, const ref_case *c)
{
    const vconv_impl *im = vconv_registry_find(impl);
    if (!im || im->algo != VCONV_ALGO_WINOGRAD)
        return 0;
    /* Winograd: an output's rounding error comes from its whole tile (the
       transforms mix the tile's inputs), not from its own taps; an output
       whose taps are mostly padding (a corner under 'full' padding) is
       judged at the scale of the whole output: the mean mag */
    size_t n = vconv_dst_elems(&c->p);
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += c->mag[i];
    return n ? s / (double)n : 0;
}

int ref_case_init(ref_case *c, const vconv_conv_desc *d, uint64_t seed,
                  bool has_bias)
{
    memset(c, 0, sizeof *c);
    c->d = *d;
    if (vconv_problem_init(d, &c->p) != VCONV_OK)
        return -1;
    c->p.threads = 2;
    test_rng r = {seed};
    size_t ns = vconv_src_elems(&c->p), nw = vconv_wei_elems(&c->p);
    size_t nd = vconv_dst_elems(&c->p);
    c->src = malloc(ns * sizeof(float));
    c->w = malloc(nw * sizeof(float));
    c->b = has_bias ? malloc((size_t)c->p.oc * sizeof(float)) : NULL;
    c->ref = malloc(nd * sizeof(double));
    c->mag = malloc(nd * sizeof(double));
    if (!c->src || !c->w || (has_bias && !c->b) || !c->ref || !c->mag) {
        ref_case_free(c);
        return -1;
    }
    fill_normal(&r, c->src, ns);
    fill_normal(&r, c->w, nw);
    if (has_bias)
        fill_normal(&r, c->b, (size_t)c->p.oc);
    vconv_ref_conv(&c->p, c->w, c->b, c->src, NULL, c->ref, c->mag);
    return 0;
}

void ref_case_free(ref_case *c)
{
    free(c->src);
    free(c->w);
    free(c->b);
    free(c->ref);
    free(c->mag);
    memset(c, 0, sizeof *c);
}

void desc_str(const vconv_conv_desc *d, bool bias, char *buf, size_t len)
{
    vconv_problem p;
    if (vconv_problem_init(d, &p) != VCONV_OK) {
        snprintf(buf, len, "(invalid descriptor)");
        return;
    }
    int n = vconv_problem_str(&p, buf, len);
    if (n > 0 && (size_t)n < len)
        snprintf(buf + n, len - (size_t)n, "%s", bias ? " bias" : "");
}

/* Runs impl with `threads` threads into dst (NaN-poisoned first). */
static vconv_status run_with(const ref_case *c, const char *impl, int threads,
                             float *dst, char *err, size_t len)
{
    vconv_options o = {.impl = impl, .threads = threads, .tune = -1};
    vconv_conv *plan;
    vconv_status s = vconv_conv_create(&c->d, c->w, c->b, &o, &plan);
    if (s != VCONV_OK) {
        snprintf(err, len, "create: %s: %s", vconv_status_str(s),
                 vconv_last_error());
        return s;
    }
    size_t nd = vconv_dst_elems(&c->p);
    for (size_t i = 0; i < nd; i++)
        dst[i] = NAN;
    s = vconv_conv_run(plan, c->src, dst);
    if (s != VCONV_OK)
        snprintf(err, len, "run: %s: %s", vconv_status_str(s),
                 vconv_last_error());
    else if (strcmp(vconv_conv_impl_name(plan), impl) != 0) {
        snprintf(err, len, "forced %s but the plan runs %s", impl,
                 vconv_conv_impl_name(plan));
        s = VCONV_ERR_INVALID_ARG;
    }
    vconv_conv_destroy(plan);
    return s;
}

impl_check check_impl(const ref_case *c, const char *impl)
{
    impl_check r = {.ran = false, .ok = false, .err = 0};
    size_t nd = vconv_dst_elems(&c->p), ns = vconv_src_elems(&c->p);
    float *dst = malloc(nd * sizeof(float));
    float *dst2 = malloc(nd * sizeof(float));
    float *src_copy = malloc(ns * sizeof(float));
    char ps[256];
    desc_str(&c->d, c->b != NULL, ps, sizeof ps);
    if (!dst || !dst2 || !src_copy) {
        snprintf(r.msg, sizeof r.msg, "%s: test out of memory", impl);
        goto out;
    }
    memcpy(src_copy, c->src, ns * sizeof(float));
    char err[200]; /* fits r.msg with impl and shape (gcc -Wformat-truncation) */
    vconv_status s = run_with(c, impl, 1, dst, err, sizeof err);
    if (s == VCONV_ERR_UNSUPPORTED) {
        r.ok = true; /* not run: the caller counts it */
        goto out;
    }
    r.ran = true;
    if (s != VCONV_OK) {
        snprintf(r.msg, sizeof r.msg, "%s on %s: %s", impl, ps, err);
        goto out;
    }
    if (memcmp(src_copy, c->src, ns * sizeof(float)) != 0) {
        snprintf(r.msg, sizeof r.msg, "%s on %s: src was modified", impl, ps);
        goto out;
    }
    double tol = impl_tolerance(impl, &c->p), worst = 0;
    double floor = impl_scale_floor(impl, c);
    size_t at = 0;
    for (size_t i = 0; i < nd; i++) {
        double e = fabs((double)dst[i] - c->ref[i]);
        if (isnan(dst[i]) || isinf(dst[i])) {
            snprintf(r.msg, sizeof r.msg,
                     "%s on %s: dst[%zu] = %g (not written, or overflow), "
                     "ref %g",
                     impl, ps, i, dst[i], c->ref[i]);
            goto out;
        }
        double scale = c->mag[i] > floor ? c->mag[i] : floor;
        double rel = scale > 0 ? e / scale : (e > 0 ? INFINITY : 0);
        if (rel > worst) {
            worst = rel;
            at = i;
        }
    }
    r.err = worst;
    if (worst > tol) {
        snprintf(r.msg, sizeof r.msg,
                 "%s on %s: dst[%zu] = %.9g, ref %.9g: error %.3g of the "
                 "output's scale %.3g > tolerance %.3g",
                 impl, ps, at, dst[at], c->ref[at], worst,
                 c->mag[at] > floor ? c->mag[at] : floor, tol);
        goto out;
    }
    for (int t = 2; t <= 3; t++) {
        s = run_with(c, impl, t, dst2, err, sizeof err);
        if (s != VCONV_OK) {
            snprintf(r.msg, sizeof r.msg, "%s on %s, %d threads: %s", impl,
                     ps, t, err);
            goto out;
        }
        if (memcmp(dst, dst2, nd * sizeof(float)) != 0) {
            size_t i = 0;
            while (i < nd && !memcmp(&dst[i], &dst2[i], sizeof(float)))
                i++;
            snprintf(r.msg, sizeof r.msg,
                     "%s on %s: %d threads differ from 1 at dst[%zu]: %.9g "
                     "vs %.9g",
                     impl, ps, t, i, dst2[i], dst[i]);
            goto out;
        }
    }
    r.ok = true;
out:
    free(dst);
    free(dst2);
    free(src_copy);
    return r;
}

bool isa_under_cap(vconv_isa isa)
{
    const char *e = getenv("VCONV_MAX_ISA");
    vconv_isa cap;
    if (!e || !*e || !vconv_parse_isa(e, &cap) || cap == VCONV_ISA_AUTO ||
        isa == VCONV_ISA_SCALAR)
        return true;
    return cap == VCONV_ISA_NEON ? isa == VCONV_ISA_NEON : isa <= cap;
}

int available_impls(const char **names, int max)
{
    int n = 0;
    for (int i = 0; i < vconv_impl_count() && n < max; i++) {
        vconv_impl_info info;
        /* float32 implementations only: the low-precision ones (int8,
           bf16) have their own tests (test_lowp.c) */
        if (vconv_impl_get(i, &info) == VCONV_OK && info.available &&
            isa_under_cap(info.isa) &&
            vconv_registry_find(info.name)->dtypes == 0)
            names[n++] = info.name;
    }
    return n;
}
