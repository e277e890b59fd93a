#define _POSIX_C_SOURCE 200809L
/*
 * test_direct.c - the direct family's parts that test_impls cannot see
 * alone (test_impls checks the whole convolutions of direct.scalar /
 * avx2 / avx512 on every shapes file and 500 random problems):
 *
 *   convert    the user's NCHW / NHWC src -> the converted layouts
 *              (nChw16c / nChw8c blocked, planar; strides 1-4 split into
 *              phases; zero padding columns; channel tails), against a
 *              naive version, for every ISA's conversion code;
 *   rows       a row buffer [ow][V] -> NCHW rows, every ISA, every width
 *              1..70 (several narrow rows go at once) and channel count
 *              1..V, nothing written outside;
 *   ukr        every instantiated microkernel (channel-vector: blocked and
 *              planar, every nb x ur, from the bias and from partial sums;
 *              width-vector: every no x nv, whole and masked last
 *              vectors), one call against a naive sum, with the
 *              output-channel tail mask and ReLU;
 *   first      the first-layer kernels forced (width-vector and planar
 *              channel-vector) on ic = 1 and 3, strides 1-4, padding and
 *              border rows, both layouts, against kernels/ref;
 *   tails      output-channel counts around the block (1, V-1, V+1, ...),
 *              groups, forced tile shapes, the reduction split into
 *              chunks, both layouts;
 *   in place   the channel-vector tiles on the user's NCHW src read in
 *              place, blocked (strides 1, 2) and planar (strides 2, 4),
 *              every tile forced, chunks, groups, tails, 1x1 and dilated
 *              kernels;
 *   knob       VCONV_DIRECT_PLAN values an ISA cannot run are refused.
 *
 * ISAs the CPU lacks, or above VCONV_MAX_ISA, are skipped (and say so).
 */
#include "check.h"
#include "common.h"
#include "../dispatch/cpu.h"
#include "../dispatch/dispatch.h"
#include "../kernels/direct/direct.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

CHECK_DEFINE_GLOBALS

typedef struct {
    const char *impl;
    vconv_isa isa;
    const direct_ukr_table *ukr;
    const direct_wv_table *wv;
} isa_entry;

static const isa_entry isas[] = {
    {"direct.scalar", VCONV_ISA_SCALAR, &vconv_direct_ukr_scalar,
     &vconv_direct_wv_scalar},
#if VCONV_ARCH_X86_64
    {"direct.avx2", VCONV_ISA_AVX2, &vconv_direct_ukr_avx2,
     &vconv_direct_wv_avx2},
    {"direct.avx512", VCONV_ISA_AVX512, &vconv_direct_ukr_avx512,
     &vconv_direct_wv_avx512},
#endif
#if VCONV_ARCH_AARCH64
    {"direct.neon", VCONV_ISA_NEON, &vconv_direct_ukr_neon,
     &vconv_direct_wv_neon},
#endif
};
#define N_ISAS ((int)(sizeof isas / sizeof isas[0]))

/* Whether this CPU runs the ISA and VCONV_MAX_ISA allows it. */
static bool isa_runs(vconv_isa isa)
{
    if (!vconv_cpu_mask_has_isa(vconv_cpu_features(), isa))
        return false;
    const char *e = getenv("VCONV_MAX_ISA");
    vconv_isa cap;
    if (e && *e && vconv_parse_isa(e, &cap) && cap != VCONV_ISA_AUTO &&
        isa != VCONV_ISA_SCALAR &&
        (cap == VCONV_ISA_NEON ? isa != VCONV_ISA_NEON : isa > cap))
        return false;
    return true;
}

static void fill(test_rng *r, float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(rng_int(r, -1000, 1000)) / 256.0f;
}

/* Creates entry e's plan for d with VCONV_DIRECT_PLAN = plan (NULL: the
   planner's choice). */
static direct_plan *make_plan(const isa_entry *e, const vconv_conv_desc *d,
                              const char *plan, vconv_problem *p)
{
    if (vconv_problem_init(d, p) != VCONV_OK)
        return NULL;
    p->threads = 1;
    const vconv_impl *im = vconv_registry_find(e->impl);
    if (!im)
        return NULL;
    size_t nw = vconv_wei_elems(p);
    float *w = calloc(nw, sizeof(float));
    void *st = NULL;
    if (plan)
        setenv("VCONV_DIRECT_PLAN", plan, 1);
    vconv_status s = w ? im->create(p, w, NULL, &st) : VCONV_ERR_NO_MEMORY;
    unsetenv("VCONV_DIRECT_PLAN");
    free(w);
    return s == VCONV_OK ? st : NULL;
}

/* ------------------------------------------------------------ convert */

static void test_convert(const isa_entry *e, test_rng *r)
{
    const direct_isa_limits *lim = vconv_direct_limits(e->isa);
    int cases = 0;
    for (int k = 0; k < 60; k++) {
        vconv_conv_desc d = {0};
        d.batch = 1;
        d.groups = rng_int(r, 1, 2);
        const int icg = rng_int(r, 0, 2) ? rng_int(r, 1, 2 * lim->V + 3)
                                         : lim->V * rng_int(r, 1, 2);
        d.in_channels = icg * d.groups;
        d.out_channels = d.groups * rng_int(r, 1, 5);
        d.in_h = rng_int(r, 1, 9);
        d.in_w = rng_int(r, 1, 37);
        d.kernel_h = rng_int(r, 1, 3);
        d.kernel_w = rng_int(r, 1, 4);
        d.stride_w = rng_int(r, 1, 4);
        d.stride_h = rng_int(r, 1, 2);
        d.dilation_w = rng_int(r, 1, 2);
        d.pad_left = rng_int(r, 0, 3);
        d.pad_right = rng_int(r, 0, 3);
        d.pad_top = rng_int(r, 0, 1);
        d.layout = k % 2 ? VCONV_NHWC : VCONV_NCHW;
        if (vconv_conv_output_size(&d, NULL, NULL) != VCONV_OK)
            continue;
        /* blocked and planar src */
        for (int blocked = 0; blocked <= 1; blocked++) {
            char plan[64];
            snprintf(plan, sizeof plan, "cv,%d,1,1", blocked ? lim->V : 1);
            vconv_problem p;
            direct_plan *dp = make_plan(e, &d, plan, &p);
            char ds[256];
            desc_str(&d, false, ds, sizeof ds);
            CHECK(dp != NULL, "%s: no plan %s for %s", e->impl, plan, ds);
            if (!dp)
                continue;
            const int vin = dp->vin, sw = p.sw, pwc = dp->pwc;
            CHECK_EQ_INT(vin, blocked ? lim->V : 1);
            size_t ns = vconv_src_elems(&p);
            float *src = malloc(ns * sizeof(float));
            float *buf = malloc((dp->img + 1) * sizeof(float));
            fill(r, src, ns);
            for (size_t i = 0; i <= dp->img; i++)
                buf[i] = NAN;
            const int units = p.g * dp->n_icb * p.ih;
            /* in two pieces, as a team converts it */
            int mid = rng_int(r, 0, units);
            vconv_direct_convert_src(dp, src, buf, 0, mid);
            vconv_direct_convert_src(dp, src, buf, mid, units);
            long bad = 0;
            size_t first = 0;
            for (int g = 0; g < p.g; g++)
                for (int icb = 0; icb < dp->n_icb; icb++)
                    for (int y = 0; y < p.ih; y++)
                        for (int ph = 0; ph < sw; ph++)
                            for (int col = 0; col < pwc; col++)
                                for (int i = 0; i < vin; i++) {
                                    const int c = icb * vin + i;
                                    const int ix = col * sw + ph - p.pl;
                                    float want = 0.0f;
                                    if (c < p.icg && ix >= 0 && ix < p.iw) {
                                        const size_t ch =
                                            (size_t)g * p.icg + c;
                                        want = p.layout == VCONV_NCHW
                                                   ? src[(ch * p.ih + y) *
                                                             p.iw +
                                                         ix]
                                                   : src[((size_t)y * p.iw +
                                                          ix) * p.ic +
                                                         ch];
                                    }
                                    const size_t at =
                                        (((((size_t)g * dp->n_icb + icb) *
                                               p.ih +
                                           y) * sw +
                                          ph) * pwc +
                                         col) * vin +
                                        i;
                                    /* rows no tap reads stay as
                                       they were (NaN) */
                                    const bool ok =
                                        dp->row_used[y]
                                            ? memcmp(&buf[at], &want,
                                                     sizeof want) == 0
                                            : isnan(buf[at]);
                                    if (!ok && bad++ == 0)
                                        first = at;
                                }
            CHECK(bad == 0,
                  "%s convert (%s src) %s: %ld of %zu elements wrong, first "
                  "at %zu = %g",
                  e->impl, blocked ? "blocked" : "planar", ds, bad, dp->img,
                  first, bad ? buf[first] : 0.0);
            CHECK(isnan(buf[dp->img]), "%s convert %s: wrote past the end",
                  e->impl, ds);
            cases++;
            free(src);
            free(buf);
            vconv_direct_destroy(dp);
        }
    }
    CHECK(cases > 60, "%s: only %d conversion cases ran", e->impl, cases);
}

/* --------------------------------------------------------------- rows */

static void test_rows(const isa_entry *e, test_rng *r)
{
    const direct_isa_limits *lim = vconv_direct_limits(e->isa);
    const int V = lim->V;
    for (int ow = 1; ow <= 70; ow++)
        for (int nvalid = 1; nvalid <= V; nvalid += (ow % 3) + 1) {
            const ptrdiff_t dst_c = ow + 5;
            float *rb = malloc(sizeof(float) * (size_t)ow * V);
            float *dst = malloc(sizeof(float) * (size_t)dst_c * (V + 1));
            fill(r, rb, (size_t)ow * V);
            for (ptrdiff_t i = 0; i < dst_c * (V + 1); i++)
                dst[i] = NAN;
            lim->row_to_nchw(rb, V, ow, nvalid, dst, dst_c);
            long bad = 0;
            for (int c = 0; c <= V; c++)
                for (ptrdiff_t x = 0; x < dst_c; x++) {
                    const float got = dst[c * dst_c + x];
                    const bool in = c < nvalid && x < ow;
                    if (in ? got != rb[x * V + c] : !isnan(got))
                        bad++;
                }
            CHECK(bad == 0,
                  "%s row_to_nchw ow %d nvalid %d: %ld elements wrong or "
                  "written outside",
                  e->impl, ow, nvalid, bad);
            free(rb);
            free(dst);
        }
}

/* ---------------------------------------------------------------- ukr */

/* One call of the channel-vector kernel (vin, nb, ur) against a naive
   sum: 2 input blocks, 2 kernel rows, 3 taps at irregular offsets. */
static void check_cv_kernel(const isa_entry *e, direct_ukr_fn fn, int vin,
                            int nb, int ur, int last_valid, int relu,
                            int accum, test_rng *r)
{
    const int V = vconv_direct_limits(e->isa)->V;
    const int n_icb = 2, n_ky = 2, kw = 3;
    const int kx_off[3] = {0, 2 * vin, 5 * vin};
    const ptrdiff_t src_ky = (ptrdiff_t)(ur + 8) * vin;
    const ptrdiff_t src_icb = 3 * src_ky;
    const ptrdiff_t wei_icb = (ptrdiff_t)n_ky * kw * vin * nb * V + 7 * V;
    const ptrdiff_t dst_pix = V + 3, dst_blk = (ptrdiff_t)(ur + 1) * dst_pix;
    float *src = malloc(sizeof(float) * (size_t)(n_icb * src_icb));
    float *wei = malloc(sizeof(float) * (size_t)(n_icb * wei_icb));
    float *bias = malloc(sizeof(float) * (size_t)nb * V);
    const size_t nd = (size_t)nb * dst_blk;
    float *dst = malloc(sizeof(float) * nd);
    fill(r, src, (size_t)(n_icb * src_icb));
    fill(r, wei, (size_t)(n_icb * wei_icb));
    fill(r, bias, (size_t)nb * V);
    /* accum: dst holds partial sums where the kernel stores (NaN
       elsewhere, which it must neither read into a result nor write) */
    float *part = malloc(sizeof(float) * nd);
    for (size_t i = 0; i < nd; i++)
        dst[i] = NAN;
    for (int b = 0; b < nb && accum; b++)
        for (int p = 0; p < ur; p++)
            for (int o = 0; o < V && (b < nb - 1 || o < last_valid); o++)
                dst[b * dst_blk + p * dst_pix + o] =
                    (float)rng_int(r, -500, 500) / 64.0f;
    memcpy(part, dst, sizeof(float) * nd);
    direct_ukr_args a = {
        .src = src, .wei = wei, .bias = bias, .dst = dst, .kx_off = kx_off,
        .src_icb = src_icb, .src_ky = src_ky, .wei_icb = wei_icb,
        .dst_pix = dst_pix, .dst_blk = dst_blk, .n_icb = n_icb,
        .n_ky = n_ky, .kw = kw, .last_valid = last_valid, .relu = relu,
        .accum = accum};
    fn(&a);
    long bad = 0;
    double worst = 0;
    for (int b = 0; b < nb; b++)
        for (int p = 0; p < ur; p++)
            for (int o = 0; o < V + 3; o++) {
                const float got = dst[b * dst_blk + p * dst_pix + o];
                const bool stored = o < V && (b < nb - 1 || o < last_valid);
                if (!stored) {
                    bad += !isnan(got);
                    continue;
                }
                double sum = accum ? part[b * dst_blk + p * dst_pix + o]
                                   : bias[b * V + o],
                       mag = fabs(sum);
                for (int icb = 0; icb < n_icb; icb++)
                    for (int ky = 0; ky < n_ky; ky++)
                        for (int kx = 0; kx < kw; kx++)
                            for (int i = 0; i < vin; i++) {
                                const double x =
                                    src[icb * src_icb + ky * src_ky +
                                        kx_off[kx] + p * vin + i];
                                const double w =
                                    wei[icb * wei_icb +
                                        (((ky * kw + kx) * vin + i) * nb +
                                         b) * V +
                                        o];
                                sum += x * w;
                                mag += fabs(x * w);
                            }
                if (relu && sum < 0)
                    sum = 0;
                const double err = fabs(got - sum) / (mag + 1e-30);
                if (!(err <= 1e-6))
                    bad++;
                if (err > worst)
                    worst = err;
            }
    CHECK(bad == 0,
          "%s channel-vector kernel vin %d nb %d ur %d last_valid %d relu "
          "%d accum %d: %ld outputs wrong (worst relative error %.3g) or "
          "written outside",
          e->impl, vin, nb, ur, last_valid, relu, accum, bad, worst);
    free(part);
    free(src);
    free(wei);
    free(bias);
    free(dst);
}

/* One call of the width-vector kernel (no, nv): whole vectors with the
   last one overlapping (last_off), or a masked last vector. */
static void check_wv_kernel(const isa_entry *e, direct_wv_fn fn, int no,
                            int nv, int last_px, ptrdiff_t last_off,
                            int relu, test_rng *r)
{
    const int V = vconv_direct_limits(e->isa)->V;
    const int n_c = 2, n_ky = 2, kw = 3;
    const int kx_off[3] = {0, 1, 4};
    const int width = (nv - 1) * V + V + 8; /* pixels a row holds */
    const ptrdiff_t src_ky = width, src_c = 3 * src_ky;
    const ptrdiff_t wei_c = (ptrdiff_t)n_ky * kw * no + 5;
    const ptrdiff_t dst_c = width + 2;
    /* the pixels the call computes: vectors 0..nv-2, then the last one */
    const int last_n = last_px;
    float *src = malloc(sizeof(float) * (size_t)(n_c * src_c));
    float *wei = malloc(sizeof(float) * (size_t)(n_c * wei_c));
    float *bias = malloc(sizeof(float) * (size_t)no);
    const size_t nd = (size_t)no * dst_c;
    float *dst = malloc(sizeof(float) * nd);
    fill(r, src, (size_t)(n_c * src_c));
    fill(r, wei, (size_t)(n_c * wei_c));
    fill(r, bias, (size_t)no);
    for (size_t i = 0; i < nd; i++)
        dst[i] = NAN;
    direct_wv_args a = {
        .src = src, .wei = wei, .bias = bias, .dst = dst, .kx_off = kx_off,
        .src_c = src_c, .src_ky = src_ky, .wei_c = wei_c, .dst_c = dst_c,
        .last_off = last_off, .n_c = n_c, .n_ky = n_ky, .kw = kw,
        .last_px = last_px, .relu = relu};
    fn(&a);
    long bad = 0;
    for (int o = 0; o < no; o++)
        for (int x = 0; x < dst_c; x++) {
            const float got = dst[o * dst_c + x];
            const bool stored = x < (nv - 1) * V ||
                                (x >= last_off && x < last_off + last_n);
            if (!stored) {
                bad += !isnan(got);
                continue;
            }
            double sum = bias[o], mag = fabs(sum);
            for (int c = 0; c < n_c; c++)
                for (int ky = 0; ky < n_ky; ky++)
                    for (int kx = 0; kx < kw; kx++) {
                        const double xv =
                            src[c * src_c + ky * src_ky + kx_off[kx] + x];
                        const double w =
                            wei[c * wei_c + (ky * kw + kx) * no + o];
                        sum += xv * w;
                        mag += fabs(xv * w);
                    }
            if (relu && sum < 0)
                sum = 0;
            if (!(fabs(got - sum) <= 1e-6 * (mag + 1e-30)))
                bad++;
        }
    CHECK(bad == 0,
          "%s width-vector kernel no %d nv %d last_px %d last_off %td relu "
          "%d: %ld outputs wrong or written outside",
          e->impl, no, nv, last_px, last_off, relu, bad);
    free(src);
    free(wei);
    free(bias);
    free(dst);
}

static void test_ukr(const isa_entry *e, test_rng *r)
{
    const direct_isa_limits *lim = vconv_direct_limits(e->isa);
    const int V = lim->V;
    int n = 0;
    for (int blocked = 0; blocked <= 1; blocked++)
        for (int nb = 1; nb <= lim->max_nb; nb++)
            for (int ur = 1; ur <= lim->ur_max[nb]; ur++) {
                direct_ukr_fn fn = (*e->ukr)[blocked][nb][ur];
                CHECK(fn != NULL, "%s: no kernel vin %d nb %d ur %d", e->impl,
                      blocked ? V : 1, nb, ur);
                if (!fn)
                    continue;
                const int lv = (nb + ur) % 3 == 0 ? V : rng_int(r, 1, V - 1);
                check_cv_kernel(e, fn, blocked ? V : 1, nb, ur, lv,
                                (nb + ur) % 2, 0, r);
                check_cv_kernel(e, fn, blocked ? V : 1, nb, ur, lv,
                                (nb + ur + 1) % 2, 1, r);
                n++;
            }
    for (int nv = 1; nv <= DIRECT_MAX_NV; nv++)
        for (int no = 1; no <= lim->no_max[nv]; no++) {
            direct_wv_fn fn = (*e->wv)[no][nv];
            CHECK(fn != NULL, "%s: no kernel no %d nv %d", e->impl, no, nv);
            if (!fn)
                continue;
            /* whole vectors, the last one overlapping the one before (or
               shifted right when nv = 1), and a masked last vector */
            const ptrdiff_t off = nv > 1 ? (nv - 1) * V - rng_int(r, 1, V - 1)
                                         : rng_int(r, 0, 5);
            check_wv_kernel(e, fn, no, nv, V, off, no % 2, r);
            check_wv_kernel(e, fn, no, nv, rng_int(r, 1, V - 1),
                            (ptrdiff_t)(nv - 1) * V, (no + 1) % 2, r);
            n++;
        }
    printf("  %s: %d microkernels checked\n", e->impl, n);
}

/* ---------------------------------------------- whole convolutions */

/* check_impl with VCONV_DIRECT_PLAN = plan (NULL: the planner's). */
static void check_plan(const isa_entry *e, const vconv_conv_desc *d,
                       const char *plan, uint64_t seed, int *ran)
{
    ref_case c;
    char ds[256];
    desc_str(d, true, ds, sizeof ds);
    if (ref_case_init(&c, d, seed, true) != 0) {
        CHECK(0, "cannot build the reference case %s", ds);
        return;
    }
    if (plan)
        setenv("VCONV_DIRECT_PLAN", plan, 1);
    impl_check r = check_impl(&c, e->impl);
    unsetenv("VCONV_DIRECT_PLAN");
    CHECK(r.ok, "plan %s: %s", plan ? plan : "auto", r.msg);
    CHECK(r.ran, "%s refused %s (plan %s)", e->impl, ds, plan ? plan : "auto");
    *ran += r.ran;
    ref_case_free(&c);
}

static void test_first_layers(const isa_entry *e, test_rng *r)
{
    const direct_isa_limits *lim = vconv_direct_limits(e->isa);
    int ran = 0;
    for (int ic = 1; ic <= 3; ic += 2)
        for (int s = 1; s <= 4; s++) {
            vconv_conv_desc d = {0};
            d.batch = rng_int(r, 1, 2);
            d.in_channels = ic;
            d.out_channels = rng_int(r, 1, 3 * lim->V);
            d.kernel_h = d.kernel_w = s == 4 ? 5 : rng_int(r, 2, 4);
            d.stride_h = d.stride_w = s;
            d.in_h = rng_int(r, d.kernel_h, 14);
            d.in_w = rng_int(r, d.kernel_w + 2 * lim->V, 3 * lim->V + 7);
            d.pad_top = rng_int(r, 0, 2);
            d.pad_bottom = rng_int(r, 0, 2);
            d.pad_left = rng_int(r, 0, 2);
            d.pad_right = rng_int(r, 0, 3);
            d.activation = s % 2 ? VCONV_ACT_RELU : VCONV_ACT_NONE;
            for (int lay = 0; lay < 2; lay++) {
                d.layout = lay ? VCONV_NHWC : VCONV_NCHW;
                check_plan(e, &d, NULL, 100 + s, &ran);
                check_plan(e, &d, "cv,1,1,3", 200 + s, &ran);
                char plan[64];
                snprintf(plan, sizeof plan, "cv,1,%d,%d", lim->max_nb,
                         lim->ur_max[lim->max_nb]);
                check_plan(e, &d, plan, 300 + s, &ran);
                if (d.layout == VCONV_NCHW) {
                    /* the width-vector kernel: several vectors a tile, one
                       vector a tile, rows narrower than a vector, and the
                       user's src read directly (stride 1, no left pad) */
                    for (int nv = 1; nv <= 2; nv++) {
                        snprintf(plan, sizeof plan, "wv,%d,%d",
                                 lim->no_max[nv], nv);
                        check_plan(e, &d, plan, 400 + s + nv, &ran);
                    }
                    vconv_conv_desc n = d;
                    n.in_w = rng_int(r, n.kernel_w, n.kernel_w + lim->V - 2);
                    n.pad_left = n.pad_right = 0;
                    check_plan(e, &n, "wv,2,1", 500 + s, &ran);
                    n = d;
                    n.stride_w = 1;
                    n.pad_left = 0;
                    n.pad_right = 0;
                    snprintf(plan, sizeof plan, "wv,%d,2",
                             vconv_min_i(3, lim->no_max[2]));
                    check_plan(e, &n, plan, 600 + s, &ran);
                }
            }
        }
    /* outputs that see only padding (rows with no kernel row inside) */
    vconv_conv_desc d = {.batch = 1, .in_channels = 3, .in_h = 4,
                         .in_w = 5, .out_channels = 5, .kernel_h = 3,
                         .kernel_w = 3, .pad_top = 4, .pad_bottom = 5,
                         .pad_left = 4, .pad_right = 4,
                         .activation = VCONV_ACT_RELU};
    check_plan(e, &d, NULL, 7, &ran);
    check_plan(e, &d, "wv,3,1", 8, &ran);
    d.layout = VCONV_NHWC;
    check_plan(e, &d, "cv,1,1,2", 9, &ran);
    printf("  %s: %d first-layer convolutions checked\n", e->impl, ran);
}

static void test_tails(const isa_entry *e, test_rng *r)
{
    const direct_isa_limits *lim = vconv_direct_limits(e->isa);
    const int V = lim->V;
    const int ocgs[] = {1, V - 1, V, V + 1, 2 * V + 3, 3 * V - 1};
    int ran = 0;
    for (int k = 0; k < (int)(sizeof ocgs / sizeof ocgs[0]); k++) {
        vconv_conv_desc d = {0};
        d.batch = 2;
        d.groups = k % 3 + 1;
        d.in_channels = d.groups * (k % 2 ? V + 3 : V);
        d.out_channels = d.groups * ocgs[k];
        d.in_h = rng_int(r, 3, 8);
        d.in_w = rng_int(r, 3, 20);
        d.kernel_h = d.kernel_w = 3;
        d.pad_top = d.pad_bottom = d.pad_left = d.pad_right = 1;
        d.stride_h = d.stride_w = k % 2 + 1;
        d.activation = VCONV_ACT_RELU;
        for (int lay = 0; lay < 2; lay++) {
            d.layout = lay ? VCONV_NHWC : VCONV_NCHW;
            check_plan(e, &d, NULL, 1000 + k, &ran);
            for (int nb = 1; nb <= lim->max_nb; nb++) {
                char plan[64];
                snprintf(plan, sizeof plan, "cv,%d,%d,%d", V, nb,
                         rng_int(r, 1, lim->ur_max[nb]));
                check_plan(e, &d, plan, 1100 + k * 10 + nb, &ran);
            }
            /* the reduction split into chunks of input blocks (partial
               sums through dst / the row buffer, ReLU on the last) */
            char plan[64];
            snprintf(plan, sizeof plan, "cv,%d,%d,%d,1", V,
                     lim->max_nb, lim->ur_max[lim->max_nb]);
            check_plan(e, &d, plan, 1200 + k, &ran);
            snprintf(plan, sizeof plan, "cv,1,1,%d,2", lim->ur_max[1]);
            check_plan(e, &d, plan, 1300 + k, &ran);
        }
    }
    printf("  %s: %d tail convolutions checked\n", e->impl, ran);
}

/* The channel-vector tiles on the user's NCHW src read in place (no left
   / right padding, icg a multiple of V, stride 1 or 2): every tile
   forced (every nb, every ur: the row's tiles are ur and ur - 1 wide),
   the reduction split into chunks, top / bottom padding, groups, output
   channel tails, a 1x1 and a dilated kernel, against kernels/ref; and the
   planner's own choice. Fixed sizes whose planes do not pile into a few
   L1 sets (the planner refuses those), random data. */
static void test_in_place(const isa_entry *e, test_rng *r)
{
    const direct_isa_limits *lim = vconv_direct_limits(e->isa);
    const int V = lim->V;
    int ran = 0;
    for (int sw = 1; sw <= 2; sw++) {
        const int kw = 3, ow = lim->ur_max[1] + 3;
        vconv_conv_desc d = {0};
        d.batch = 2;
        d.groups = sw;
        d.in_channels = d.groups * V * (3 - sw);
        d.out_channels = d.groups * (sw == 1 ? V + 3 : 2 * V - 1);
        d.kernel_h = d.kernel_w = kw;
        d.stride_h = d.stride_w = sw;
        d.in_h = 5;
        d.in_w = (ow - 1) * sw + kw;
        d.pad_top = 1;
        d.pad_bottom = sw - 1;
        d.activation = VCONV_ACT_RELU;
        check_plan(e, &d, NULL, 2000 + sw, &ran);
        for (int nb = 1; nb <= lim->max_nb; nb++)
            for (int ur = 1; ur <= lim->ur_max[nb]; ur++) {
                char plan[64];
                snprintf(plan, sizeof plan, "cn,%d,%d", nb, ur);
                check_plan(e, &d, plan, 2100 + sw * 100 + nb * 30 + ur,
                           &ran);
            }
        char plan[64];
        snprintf(plan, sizeof plan, "cn,%d,%d,1", lim->max_nb,
                 lim->ur_max[lim->max_nb]);
        check_plan(e, &d, plan, 2400 + sw, &ran);
        /* 1x1, and a dilated 3x3 with bottom padding */
        vconv_conv_desc o = d;
        o.kernel_h = o.kernel_w = 1;
        o.pad_top = o.pad_bottom = 0;
        o.in_w = (ow - 1) * sw + 1;
        o.out_channels = o.groups * rng_int(r, 1, 2 * V);
        check_plan(e, &o, "cn,1,5", 2500 + sw, &ran);
        check_plan(e, &o, NULL, 2600 + sw, &ran);
        o = d;
        o.dilation_h = o.dilation_w = 2;
        o.in_w = (ow - 1) * sw + 5;
        o.pad_bottom = 2;
        check_plan(e, &o, "cn,1,3", 2700 + sw, &ran);
    }
    /* the planar tiles in place at stride 2 and 4 (the first layers):
       every tile, 1 and 3 input channels, a chunked reduction, top /
       bottom padding, a row narrower than the tile */
    for (int sw = 2; sw <= 4; sw += 2)
        for (int ic = 1; ic <= 3; ic += 2) {
            const int kw = sw + 1, ow = lim->ur_max[1] + 2;
            vconv_conv_desc d = {0};
            d.batch = 2;
            d.in_channels = ic;
            d.out_channels = V * lim->max_nb + 1;
            d.kernel_h = d.kernel_w = kw;
            d.stride_h = d.stride_w = sw;
            d.in_h = 2 * kw + 1;
            d.in_w = (ow - 1) * sw + kw + ic % 3;
            d.pad_top = 1;
            d.pad_bottom = ic - 1;
            d.activation = ic == 1 ? VCONV_ACT_RELU : VCONV_ACT_NONE;
            check_plan(e, &d, NULL, 3000 + sw + ic, &ran);
            for (int nb = 1; nb <= lim->max_nb; nb++)
                for (int ur = 1; ur <= lim->ur_max[nb]; ur++) {
                    char plan[64];
                    snprintf(plan, sizeof plan, "cp,%d,%d", nb, ur);
                    check_plan(e, &d, plan, 3100 + sw * 100 + ic * 40 +
                                                nb * 30 + ur,
                               &ran);
                }
            char plan[64];
            snprintf(plan, sizeof plan, "cp,%d,%d,1", lim->max_nb,
                     lim->ur_max[lim->max_nb]);
            check_plan(e, &d, plan, 3600 + sw + ic, &ran);
            vconv_conv_desc n = d;
            n.in_w = kw + 2 * sw; /* 3 pixels a row */
            check_plan(e, &n, "cp,1,5", 3700 + sw + ic, &ran);
        }
    printf("  %s: %d in-place NCHW convolutions checked\n", e->impl, ran);
}

static void test_knob(const isa_entry *e)
{
    const direct_isa_limits *lim = vconv_direct_limits(e->isa);
    vconv_conv_desc d = {.batch = 1, .in_channels = 3, .in_h = 8,
                         .in_w = 8, .out_channels = 4, .kernel_h = 3,
                         .kernel_w = 3, .layout = VCONV_NHWC};
    float w[4 * 3 * 9] = {0};
    vconv_options o = {.impl = e->impl, .threads = 1, .tune = -1};
    char bad_ur[64], bad_vin[64];
    snprintf(bad_ur, sizeof bad_ur, "cv,%d,1,%d", lim->V,
             lim->ur_max[1] + 1);
    snprintf(bad_vin, sizeof bad_vin, "cv,%d,1,1", lim->V + 1);
    const char *bad[] = {bad_ur, bad_vin, "wv,1,1" /* NHWC */,
                         "cn,1,1" /* NHWC, 3 channels */,
                         "cp,1,1" /* NHWC, stride 1 */, "xx,1,1",
                         "cv,1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        vconv_conv *c = (vconv_conv *)1;
        setenv("VCONV_DIRECT_PLAN", bad[i], 1);
        vconv_status s = vconv_conv_create(&d, w, NULL, &o, &c);
        unsetenv("VCONV_DIRECT_PLAN");
        CHECK(s == VCONV_ERR_INVALID_ARG && c == NULL,
              "%s: VCONV_DIRECT_PLAN=%s gave %s", e->impl, bad[i],
              vconv_status_str(s));
        if (s == VCONV_OK)
            vconv_conv_destroy(c);
        else
            CHECK_CONTAINS(vconv_last_error(), "VCONV_DIRECT_PLAN");
    }
}

int main(void)
{
    test_rng r = {20261122};
    int tested = 0;
    for (int i = 0; i < N_ISAS; i++) {
        const isa_entry *e = &isas[i];
        if (!isa_runs(e->isa)) {
            printf("%s: skipped (the CPU lacks %s, or VCONV_MAX_ISA)\n",
                   e->impl, vconv_isa_name(e->isa));
            continue;
        }
        CHECK(vconv_direct_limits(e->isa) != NULL, "%s: no limits", e->impl);
        printf("%s\n", e->impl);
        fflush(stdout);
        test_convert(e, &r);
        test_rows(e, &r);
        test_ukr(e, &r);
        test_first_layers(e, &r);
        test_tails(e, &r);
        test_in_place(e, &r);
        test_knob(e);
        tested++;
    }
    CHECK(tested > 0, "no direct implementation ran");
    return check_exit("direct");
}
