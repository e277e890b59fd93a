/*
 * test_lowp.c - low precision (int8, bf16): every implementation this CPU
 * runs, on random problems, against the references of kernels/ref:
 *  - int8: bit for bit (u8 / s8 src, u8 / s8 / f32 dst, zero points,
 *    ReLU, bias or none, both layouts, groups, strides, dilation, padding);
 *  - bf16: within the bound stated in vconv.h;
 *  - saturation, zero-point extremes, the largest reduction the int32
 *    accumulator allows (worst-case products), and one beyond it;
 *  - bad quantization parameters refused with the field named, dst
 *    untouched by failing runs;
 *  - 1, 2, 3 threads bitwise identical;
 *  - selection refuses an entry whose CPU feature (avx512vnni, ...) is
 *    absent and calls none of its functions.
 * Usage: test_lowp [--random N]
 */
#include "check.h"
#include "common.h"
#include "../dispatch/cpu.h"
#include "../dispatch/dispatch.h"
#include "../kernels/qconv/qconv.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

CHECK_DEFINE_GLOBALS

/* The low-precision entries of kind this CPU runs (under VCONV_MAX_ISA). */
static int lowp_impls(uint32_t kind, const char **names, int max)
{
    int n, m = 0;
    const vconv_impl *const *t = vconv_registry(&n);
    const uint32_t mask = vconv_cpu_features();
    for (int i = 0; i < n && m < max; i++)
        if ((t[i]->dtypes & kind) && vconv_cpu_mask_has_isa(mask, t[i]->isa) &&
            vconv_cpu_mask_has_features(mask, t[i]->cpu_needs) &&
            isa_under_cap(t[i]->isa))
            names[m++] = t[i]->name;
    return m;
}

typedef struct {
    vconv_conv_desc d;
    vconv_problem p;
    void *src;
    int8_t *w;
    float *wsc;
    int32_t *bias;
} i8_case;

static void i8_free(i8_case *c)
{
    free(c->src);
    free(c->w);
    free(c->wsc);
    free(c->bias);
}

/* Random data over the whole ranges; the bias within the contract. */
static int i8_init(i8_case *c, const vconv_conv_desc *d, test_rng *r,
                   bool has_bias)
{
    memset(c, 0, sizeof *c);
    c->d = *d;
    if (vconv_problem_init(d, &c->p) != VCONV_OK)
        return -1;
    size_t ns = vconv_src_elems(&c->p), nw = vconv_wei_elems(&c->p);
    c->src = malloc(ns);
    c->w = malloc(nw);
    c->wsc = malloc((size_t)c->p.oc * sizeof(float));
    c->bias = has_bias ? malloc((size_t)c->p.oc * sizeof(int32_t)) : NULL;
    if (!c->src || !c->w || !c->wsc || (has_bias && !c->bias))
        return -1;
    uint8_t *s = c->src;
    for (size_t i = 0; i < ns; i++)
        s[i] = (uint8_t)rng_int(r, 0, 255);
    for (size_t i = 0; i < nw; i++)
        c->w[i] = (int8_t)rng_int(r, -128, 127);
    for (int o = 0; o < c->p.oc; o++) {
        c->wsc[o] = (float)(0.002 + 0.02 * rng_unit(r));
        if (c->bias)
            c->bias[o] = rng_int(r, -200000, 200000);
    }
    return 0;
}

/* Runs impl (forced) with `threads` threads into dst; "" or the error. */
static vconv_status run_q(const i8_case *c, const void *w, const float *wsc,
                          const void *bias, const char *impl, int threads,
                          void *dst, char *err, size_t len)
{
    vconv_options o = {.impl = impl, .threads = threads};
    vconv_conv *pl;
    vconv_status s = vconv_conv_create_q(&c->d, w, wsc, bias, &o, &pl);
    if (s != VCONV_OK) {
        snprintf(err, len, "create: %s: %s", vconv_status_str(s),
                 vconv_last_error());
        return s;
    }
    s = vconv_conv_run_q(pl, c->src, dst);
    if (s != VCONV_OK)
        snprintf(err, len, "run: %s: %s", vconv_status_str(s),
                 vconv_last_error());
    else if (strcmp(vconv_conv_impl_name(pl), impl))
        snprintf(err, len, "forced %s, ran %s", impl,
                 vconv_conv_impl_name(pl)),
            s = VCONV_ERR_INVALID_ARG;
    vconv_conv_destroy(pl);
    return s;
}

/* One int8 case on every implementation: bit for bit, threads 1 and 3. */
static void check_i8_case(const i8_case *c, const char *const *impls, int ni,
                          const char *what)
{
    const size_t nd = vconv_dst_elems(&c->p);
    const size_t bytes = nd * vconv_dtype_size(c->p.dst_dt);
    vconv_qparams q;
    vconv_problem rp = c->p;
    rp.threads = 2;
    if (vconv_qparams_init(&rp, c->wsc, c->bias, &q) != VCONV_OK) {
        CHECK(0, "%s: qparams: %s", what, vconv_last_error());
        return;
    }
    char *want = malloc(bytes), *got = malloc(bytes), *got3 = malloc(bytes);
    vconv_ref_conv_int8(&rp, c->w, &q, c->src, want, NULL);
    char ps[256];
    vconv_problem_str(&c->p, ps, sizeof ps);
    for (int i = 0; i < ni; i++) {
        char err[1024] = "";
        memset(got, 0xa5, bytes);
        memset(got3, 0x5a, bytes);
        vconv_status s = run_q(c, c->w, c->wsc, c->bias, impls[i], 1, got,
                               err, sizeof err);
        CHECK(s == VCONV_OK, "%s %s %s: %s", what, impls[i], ps, err);
        if (s != VCONV_OK)
            continue;
        size_t bad = bytes;
        for (size_t k = 0; k < bytes && bad == bytes; k++)
            if (got[k] != want[k])
                bad = k;
        CHECK(bad == bytes, "%s %s %s%s: byte %zu of %zu differs (%d, want "
                            "%d)",
              what, impls[i], ps, c->bias ? " bias" : "", bad, bytes,
              bad < bytes ? got[bad] : 0, bad < bytes ? want[bad] : 0);
        s = run_q(c, c->w, c->wsc, c->bias, impls[i], 3, got3, err,
                  sizeof err);
        CHECK(s == VCONV_OK && !memcmp(got, got3, bytes),
              "%s %s %s: 1 and 3 threads differ (%s)", what, impls[i], ps,
              err);
    }
    vconv_qparams_free(&q);
    free(want);
    free(got);
    free(got3);
}

static void set_q(vconv_conv_desc *d, test_rng *r)
{
    d->src_type = rng_int(r, 0, 1) ? VCONV_U8 : VCONV_S8;
    int k = rng_int(r, 0, 2);
    d->dst_type = k == 0 ? VCONV_U8 : k == 1 ? VCONV_S8 : VCONV_F32;
    d->src_scale = (float)(0.01 + 0.1 * rng_unit(r));
    d->src_zero_point = d->src_type == VCONV_U8 ? rng_int(r, 0, 255)
                                                : rng_int(r, -128, 127);
    if (d->dst_type != VCONV_F32) {
        /* a dst scale near the outputs' spread, so that some saturate and
           most do not */
        d->dst_scale = (float)(0.02 + 0.5 * rng_unit(r));
        d->dst_zero_point = d->dst_type == VCONV_U8 ? rng_int(r, 0, 255)
                                                    : rng_int(r, -128, 127);
    }
}

static void test_int8_random(int count)
{
    const char *impls[16];
    int ni = lowp_impls(VCONV_DT_INT8, impls, 16);
    CHECK(ni >= 1, "no int8 implementation (the reference at least)");
    printf("int8 implementations:");
    for (int i = 0; i < ni; i++)
        printf(" %s", impls[i]);
    printf("\n");
    test_rng r = {1234};
    for (int t = 0; t < count; t++) {
        vconv_conv_desc d = random_desc(&r);
        set_q(&d, &r);
        i8_case c;
        if (i8_init(&c, &d, &r, rng_int(&r, 0, 3) != 0) == 0)
            check_i8_case(&c, impls, ni, "random");
        i8_free(&c);
    }
    /* wider shapes: every tile of the kernels, channel tails, 1x1 */
    static const int shapes[][8] = {
        /* ic oc h w k s p g */
        {3, 96, 31, 31, 11, 4, 0, 1}, {48, 128, 15, 15, 5, 1, 2, 2},
        {64, 64, 9, 9, 3, 1, 1, 1},   {256, 64, 6, 6, 1, 1, 0, 1},
        {17, 33, 7, 40, 3, 2, 1, 1},  {8, 200, 4, 29, 3, 1, 1, 1},
        {5, 7, 3, 3, 3, 1, 3, 1},     {96, 48, 5, 5, 1, 1, 0, 3},
        {32, 32, 13, 13, 3, 1, 1, 1}, /* 2 x 13 (AlexNet conv3-5's rows) */
        {8, 32, 16, 16, 3, 1, 1, 1},  /* 2 x 8 */
        {16, 32, 32, 32, 3, 1, 1, 1}, /* 2 x 11 */
        {16, 32, 24, 24, 3, 1, 1, 1}, /* 2 x 12 */
        {8, 32, 28, 28, 3, 1, 1, 1},  /* 2 x 14 */
        {8, 64, 2, 2, 1, 1, 0, 1},    /* 4 x 2 */
        /* AMX: 17 channel groups in 2 K steps of 9 (one group padded), 19
           pixels a row (a full and a 3-pixel block) */
        {68, 40, 6, 19, 3, 1, 1, 1},
        /* AMX: 25 groups in 2 steps of 13, 1x1 stride 2, 18 pixels */
        {100, 20, 5, 36, 1, 2, 0, 1},
        /* AMX: 2 blocks of 16 pixels and a 5-pixel one, 4 groups */
        {12, 16, 4, 37, 3, 1, 1, 1},
        /* AMX: a folded window of 120 bytes in 2 K steps of 15 groups */
        {40, 24, 5, 21, 3, 1, 1, 1},
    };
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (int v = 0; v < 2; v++) {
            const int *z = shapes[s];
            vconv_conv_desc d = {
                .batch = 1 + v, .in_channels = z[0], .out_channels = z[1],
                .in_h = z[2], .in_w = z[3], .kernel_h = z[4],
                .kernel_w = z[4], .stride_h = z[5], .stride_w = z[5],
                .pad_top = z[6], .pad_bottom = z[6], .pad_left = z[6],
                .pad_right = z[6], .groups = z[7],
                .layout = v ? VCONV_NCHW : VCONV_NHWC,
                .activation = v ? VCONV_ACT_NONE : VCONV_ACT_RELU};
            set_q(&d, &r);
            i8_case c;
            if (i8_init(&c, &d, &r, true) == 0)
                check_i8_case(&c, impls, ni, "shape");
            i8_free(&c);
        }
}

/* Saturation and zero points at their ends; the worst-case products over
   the largest reduction the contract allows. */
static void test_int8_edges(void)
{
    const char *impls[16];
    int ni = lowp_impls(VCONV_DT_INT8, impls, 16);
    test_rng r = {99};
    static const struct { vconv_dtype st; int zx; vconv_dtype dt; int zy; }
        ends[] = {{VCONV_U8, 0, VCONV_U8, 0},     {VCONV_U8, 255, VCONV_U8, 255},
                  {VCONV_S8, -128, VCONV_S8, 127}, {VCONV_S8, 127, VCONV_S8, -128},
                  {VCONV_U8, 255, VCONV_S8, -128}, {VCONV_S8, -128, VCONV_U8, 0},
                  {VCONV_U8, 128, VCONV_F32, 0}};
    for (size_t e = 0; e < sizeof ends / sizeof ends[0]; e++)
        for (int relu = 0; relu < 2; relu++) {
            vconv_conv_desc d = {
                .batch = 1, .in_channels = 19, .out_channels = 21, .in_h = 6,
                .in_w = 9, .kernel_h = 3, .kernel_w = 3, .pad_top = 2,
                .pad_bottom = 1, .pad_left = 1, .pad_right = 2,
                .layout = VCONV_NHWC,
                .activation = relu ? VCONV_ACT_RELU : VCONV_ACT_NONE,
                .src_type = ends[e].st, .dst_type = ends[e].dt,
                .src_scale = 0.05f, .src_zero_point = ends[e].zx,
                .dst_scale = ends[e].dt == VCONV_F32 ? 0 : 0.37f,
                .dst_zero_point = ends[e].zy};
            i8_case c;
            if (i8_init(&c, &d, &r, true) == 0) {
                /* extremes only: x at the ends of its range, w at -128 /
                   127: most outputs saturate one way or the other */
                uint8_t *s = c.src;
                for (size_t i = 0; i < vconv_src_elems(&c.p); i++)
                    s[i] = rng_int(&r, 0, 1) ? 0x00 : 0xff;
                for (size_t i = 0; i < vconv_wei_elems(&c.p); i++)
                    c.w[i] = rng_int(&r, 0, 1) ? -128 : 127;
                check_i8_case(&c, impls, ni, "extremes");
                /* and the saturation really happened, both ways */
                if (ends[e].dt == VCONV_U8 && !relu) {
                    vconv_qparams q;
                    vconv_qparams_init(&c.p, c.wsc, c.bias, &q);
                    size_t nd = vconv_dst_elems(&c.p);
                    uint8_t *y = malloc(nd);
                    vconv_ref_conv_int8(&c.p, c.w, &q, c.src, y, NULL);
                    int lo = 0, hi = 0;
                    for (size_t i = 0; i < nd; i++)
                        lo += y[i] == 0, hi += y[i] == 255;
                    CHECK(lo > 0 && hi > 0, "zx %d: %d at 0, %d at 255",
                          ends[e].zx, lo, hi);
                    free(y);
                    vconv_qparams_free(&q);
                }
            }
            i8_free(&c);
        }
    /* K = 65793 (1x1, one pixel): every product (0 - 255) * -128 = +32640
       or (255 - 0) * -128 with the bias at the limit: the accumulator ends
       at +-(2^31 - 1) */
    for (int sign = 0; sign < 2; sign++) {
        vconv_conv_desc d = {
            .batch = 1, .in_channels = VCONV_INT8_MAX_K, .out_channels = 17,
            .in_h = 1, .in_w = 1, .kernel_h = 1, .kernel_w = 1,
            .layout = VCONV_NHWC, .src_type = VCONV_U8, .dst_type = VCONV_F32,
            .src_scale = 1, .src_zero_point = sign ? 255 : 0};
        i8_case c;
        if (i8_init(&c, &d, &r, true) == 0) {
            memset(c.src, 0, vconv_src_elems(&c.p));
            if (!sign)
                memset(c.src, 0xff, vconv_src_elems(&c.p));
            const int64_t lim = INT32_MAX - (int64_t)VCONV_INT8_MAX_K * 32640;
            for (size_t i = 0; i < vconv_wei_elems(&c.p); i++)
                c.w[i] = -128;
            for (int o = 0; o < 17; o++) {
                c.wsc[o] = 1;
                c.bias[o] = (int32_t)(sign ? lim : -lim);
            }
            check_i8_case(&c, impls, ni, "max-K");
            /* the exact value, through the API */
            float y[17];
            char err[512];
            if (run_q(&c, c.w, c.wsc, c.bias, impls[0], 1, y, err,
                      sizeof err) == VCONV_OK)
                CHECK(y[3] == (float)(sign ? INT32_MAX : -INT32_MAX),
                      "max-K: %.9g", (double)y[3]);
            /* one more channel is refused */
            d.in_channels++;
            CHECK_STATUS(vconv_conv_output_size(&d, NULL, NULL),
                         VCONV_ERR_BAD_SHAPE);
            CHECK_CONTAINS(vconv_last_error(), "65794");
            /* and a bias one beyond the limit */
            d.in_channels--;
            c.bias[5] = (int32_t)(sign ? lim + 1 : -lim - 1);
            vconv_conv *pl = (vconv_conv *)&d;
            CHECK_STATUS(vconv_conv_create_q(&d, c.w, c.wsc, c.bias, NULL,
                                             &pl),
                         VCONV_ERR_INVALID_ARG);
            CHECK_CONTAINS(vconv_last_error(), "bias[5]");
            CHECK(pl == NULL, "a failed create leaves *out NULL");
        }
        i8_free(&c);
    }
}

/* Bad parameters: the status, the field named in the message. */
static void test_bad_params(void)
{
    const vconv_conv_desc ok = {
        .batch = 1, .in_channels = 4, .out_channels = 3, .in_h = 5,
        .in_w = 5, .kernel_h = 3, .kernel_w = 3, .src_type = VCONV_U8,
        .dst_type = VCONV_U8, .src_scale = 0.1f, .src_zero_point = 3,
        .dst_scale = 0.2f, .dst_zero_point = 7};
    CHECK_STATUS(vconv_conv_output_size(&ok, NULL, NULL), VCONV_OK);
    struct { const char *field; vconv_conv_desc d; } bad[32];
    int nb = 0;
#define BAD(f, stmt)                                                           \
    do {                                                                       \
        bad[nb].field = f;                                                     \
        bad[nb].d = ok;                                                        \
        vconv_conv_desc *d = &bad[nb++].d;                                     \
        stmt;                                                                  \
    } while (0)
    BAD("src_scale", d->src_scale = 0);
    BAD("src_scale", d->src_scale = -0.5f);
    BAD("src_scale", d->src_scale = NAN);
    BAD("src_scale", d->src_scale = INFINITY);
    BAD("dst_scale", d->dst_scale = 0);
    BAD("dst_scale", d->dst_scale = -1);
    BAD("src_zero_point", d->src_zero_point = -1);
    BAD("src_zero_point", d->src_zero_point = 256);
    BAD("src_zero_point", (d->src_type = VCONV_S8, d->src_zero_point = 128));
    BAD("src_zero_point", (d->src_type = VCONV_S8, d->src_zero_point = -129));
    BAD("dst_zero_point", d->dst_zero_point = 256);
    BAD("dst_zero_point", (d->dst_type = VCONV_S8, d->dst_zero_point = 200));
    BAD("dst_scale", (d->dst_type = VCONV_F32, d->dst_zero_point = 0));
    BAD("dst_type", d->dst_type = VCONV_BF16);
    BAD("dst_type", d->dst_type = (vconv_dtype)9);
    BAD("src_type", d->src_type = (vconv_dtype)-1);
    BAD("src_type", d->src_type = VCONV_S32);
    BAD("must be 0", (d->src_type = VCONV_BF16, d->dst_type = VCONV_F32));
    BAD("must be 0", (d->src_type = VCONV_F32, d->dst_type = VCONV_F32));
    BAD("dst_type", (d->src_type = VCONV_F32));
    for (int i = 0; i < nb; i++) {
        vconv_status s = vconv_conv_output_size(&bad[i].d, NULL, NULL);
        CHECK(s == VCONV_ERR_INVALID_ARG, "case %d (%s): %s", i,
              bad[i].field, vconv_status_str(s));
        CHECK(strstr(vconv_last_error(), bad[i].field), "case %d: '%s' does "
              "not name %s", i, vconv_last_error(), bad[i].field);
    }
    int8_t w[3 * 4 * 9] = {0};
    float wsc[3] = {0.5f, 0.5f, 0.5f};
    vconv_conv *pl;
    /* per-channel scales */
    wsc[1] = 0;
    CHECK_STATUS(vconv_conv_create_q(&ok, w, wsc, NULL, NULL, &pl),
                 VCONV_ERR_INVALID_ARG);
    CHECK_CONTAINS(vconv_last_error(), "wei_scales[1] (0)");
    wsc[1] = -2;
    CHECK_STATUS(vconv_conv_create_q(&ok, w, wsc, NULL, NULL, &pl),
                 VCONV_ERR_INVALID_ARG);
    CHECK_CONTAINS(vconv_last_error(), "wei_scales[1] (-2)");
    wsc[1] = 1e-38f; /* 0.1 * 1e-38 / 0.2: below FLT_MIN */
    CHECK_STATUS(vconv_conv_create_q(&ok, w, wsc, NULL, NULL, &pl),
                 VCONV_ERR_INVALID_ARG);
    CHECK_CONTAINS(vconv_last_error(), "not a normal float");
    wsc[1] = 0.5f;
    CHECK_STATUS(vconv_conv_create_q(&ok, w, NULL, NULL, NULL, &pl),
                 VCONV_ERR_INVALID_ARG);
    CHECK_CONTAINS(vconv_last_error(), "wei_scales is NULL");
    CHECK_STATUS(vconv_conv_create_q(&ok, NULL, wsc, NULL, NULL, &pl),
                 VCONV_ERR_INVALID_ARG);
    /* the float32 entry points refuse low precision and back */
    float wf[3 * 4 * 9] = {0};
    CHECK_STATUS(vconv_conv_create(&ok, wf, NULL, NULL, &pl),
                 VCONV_ERR_INVALID_ARG);
    CHECK_CONTAINS(vconv_last_error(), "vconv_conv_create_q");
    CHECK_STATUS(vconv_conv_create_q(&ok, w, wsc, NULL, NULL, &pl), VCONV_OK);
    uint8_t src[4 * 25], dst[3 * 9];
    memset(src, 1, sizeof src);
    memset(dst, 0xee, sizeof dst);
    CHECK_STATUS(vconv_conv_run(pl, (const float *)(void *)src,
                                (float *)(void *)dst),
                 VCONV_ERR_INVALID_ARG);
    CHECK_CONTAINS(vconv_last_error(), "vconv_conv_run_q");
    CHECK_STATUS(vconv_conv_run_q(pl, src, src + 10), VCONV_ERR_INVALID_ARG);
    CHECK_CONTAINS(vconv_last_error(), "overlap");
    CHECK_STATUS(vconv_conv_run_q(pl, NULL, dst), VCONV_ERR_INVALID_ARG);
    bool untouched = true;
    for (size_t i = 0; i < sizeof dst; i++)
        untouched &= dst[i] == 0xee;
    CHECK(untouched, "a failing run wrote dst");
    CHECK_STATUS(vconv_conv_run_q(pl, src, dst), VCONV_OK);
    /* all inputs at the zero point: real 0, so dst = its zero point */
    memset(src, 3, sizeof src);
    CHECK_STATUS(vconv_conv_run_q(pl, src, dst), VCONV_OK);
    for (size_t i = 0; i < sizeof dst; i++)
        CHECK(dst[i] == 7, "dst[%zu] = %d, want the zero point 7", i, dst[i]);
    vconv_conv_destroy(pl);
    /* f32 through create_q: the float path; wei_scales must be NULL */
    vconv_conv_desc f = ok;
    f.src_type = f.dst_type = VCONV_F32;
    f.src_scale = f.dst_scale = 0;
    f.src_zero_point = f.dst_zero_point = 0;
    CHECK_STATUS(vconv_conv_create_q(&f, wf, wsc, NULL, NULL, &pl),
                 VCONV_ERR_INVALID_ARG);
    CHECK_STATUS(vconv_conv_create_q(&f, wf, NULL, NULL, NULL, &pl), VCONV_OK);
    vconv_conv_destroy(pl);
    CHECK(!strcmp(vconv_dtype_name(VCONV_S8), "s8") &&
              !strcmp(vconv_dtype_name((vconv_dtype)77), "unknown"),
          "dtype names");
}

/* ------------------------------------------------------------------ bf16 */

static uint16_t rnd_bf16(test_rng *r)
{
    /* N(0,1) rounded to bf16, away from the subnormals */
    float f = (float)rng_normal(r);
    if (fabsf(f) < 1e-3f)
        f = f < 0 ? -1e-3f : 1e-3f;
    return vconv_f32_to_bf16(f);
}

static void check_bf16_case(const vconv_conv_desc *d, test_rng *r,
                            const char *const *impls, int ni, bool has_bias)
{
    vconv_problem p;
    if (vconv_problem_init(d, &p) != VCONV_OK)
        return;
    p.threads = 2;
    size_t ns = vconv_src_elems(&p), nw = vconv_wei_elems(&p);
    size_t nd = vconv_dst_elems(&p);
    uint16_t *src = malloc(ns * 2), *w = malloc(nw * 2);
    float *b = malloc((size_t)p.oc * 4);
    double *ref = malloc(nd * 8), *mag = malloc(nd * 8);
    const size_t es = vconv_dtype_size(p.dst_dt);
    char *got = malloc(nd * es), *got3 = malloc(nd * es);
    for (size_t i = 0; i < ns; i++)
        src[i] = rnd_bf16(r);
    for (size_t i = 0; i < nw; i++)
        w[i] = rnd_bf16(r);
    for (int o = 0; o < p.oc; o++)
        b[o] = (float)rng_normal(r);
    const float *bias = has_bias ? b : NULL;
    vconv_ref_conv_bf16(&p, w, bias, src, NULL, ref, mag);
    const double n = (double)p.icg * p.kh * p.kw + 1, u = ldexp(1, -24);
    char ps[256];
    vconv_problem_str(&p, ps, sizeof ps);
    for (int i = 0; i < ni; i++) {
        vconv_options o = {.impl = impls[i], .threads = 1};
        vconv_options o3 = {.impl = impls[i], .threads = 3};
        vconv_conv *pl = NULL, *pl3 = NULL;
        vconv_status s = vconv_conv_create_q(d, w, NULL, bias, &o, &pl);
        CHECK(s == VCONV_OK, "%s %s: %s", impls[i], ps, vconv_last_error());
        if (s != VCONV_OK)
            continue;
        memset(got, 0xff, nd * es); /* NaN in both types */
        CHECK_STATUS(vconv_conv_run_q(pl, src, got), VCONV_OK);
        double worst = 0;
        size_t at = 0;
        bool ok = true;
        for (size_t k = 0; k < nd; k++) {
            double y = p.dst_dt == VCONV_F32
                           ? ((float *)got)[k]
                           : vconv_bf16_to_f32(((uint16_t *)got)[k]);
            double bound = n * u * mag[k];
            if (p.dst_dt == VCONV_BF16)
                bound += ldexp(1, -8) * (fabs(ref[k]) + bound);
            double e = fabs(y - ref[k]);
            if (!(e <= bound)) {
                ok = false;
                at = k;
            }
            if (mag[k] > 0 && e / mag[k] > worst)
                worst = e / mag[k];
        }
        CHECK(ok, "%s %s: output %zu = %.9g, want %.9g (mag %.3g, n %g)",
              impls[i], ps, at,
              p.dst_dt == VCONV_F32 ? ((float *)got)[at]
                                    : vconv_bf16_to_f32(((uint16_t *)got)[at]),
              ref[at], mag[at], n);
        CHECK_STATUS(vconv_conv_create_q(d, w, NULL, bias, &o3, &pl3),
                     VCONV_OK);
        if (pl3) {
            memset(got3, 0, nd * es);
            CHECK_STATUS(vconv_conv_run_q(pl3, src, got3), VCONV_OK);
            CHECK(!memcmp(got, got3, nd * es), "%s %s: 1 and 3 threads "
                                               "differ",
                  impls[i], ps);
        }
        vconv_conv_destroy(pl);
        vconv_conv_destroy(pl3);
    }
    free(src);
    free(w);
    free(b);
    free(ref);
    free(mag);
    free(got);
    free(got3);
}

static void test_bf16_random(int count)
{
    const char *impls[16];
    int ni = lowp_impls(VCONV_DT_BF16, impls, 16);
    CHECK(ni >= 1, "no bf16 implementation");
    printf("bf16 implementations:");
    for (int i = 0; i < ni; i++)
        printf(" %s", impls[i]);
    printf("\n");
    test_rng r = {4321};
    for (int t = 0; t < count; t++) {
        vconv_conv_desc d = random_desc(&r);
        d.src_type = VCONV_BF16;
        d.dst_type = rng_int(&r, 0, 1) ? VCONV_BF16 : VCONV_F32;
        check_bf16_case(&d, &r, impls, ni, rng_int(&r, 0, 3) != 0);
    }
    vconv_conv_desc big = {
        .batch = 1, .in_channels = 96, .out_channels = 80, .in_h = 9,
        .in_w = 19, .kernel_h = 5, .kernel_w = 5, .pad_top = 2,
        .pad_bottom = 2, .pad_left = 2, .pad_right = 2, .groups = 2,
        .layout = VCONV_NHWC, .activation = VCONV_ACT_RELU,
        .src_type = VCONV_BF16, .dst_type = VCONV_F32};
    check_bf16_case(&big, &r, impls, ni, true);
    big.layout = VCONV_NCHW;
    big.dst_type = VCONV_BF16;
    check_bf16_case(&big, &r, impls, ni, false);
    /* AMX: 34 pairs of channels in 3 K steps of 12 (2 pairs padded), rows
       of 37 pixels (2 full blocks and 5), stride 2 with 9-pixel rows (2
       rows a call, the last alone), 3-channel first layer */
    static const int shapes[][6] = {
        /* ic oc h w k s */
        {68, 40, 5, 37, 3, 1}, {32, 20, 9, 18, 3, 2}, {3, 32, 12, 33, 3, 1}};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        for (int v = 0; v < 2; v++) {
            const int *z = shapes[i];
            vconv_conv_desc d = {
                .batch = 1 + v, .in_channels = z[0], .out_channels = z[1],
                .in_h = z[2], .in_w = z[3], .kernel_h = z[4],
                .kernel_w = z[4], .stride_h = z[5], .stride_w = z[5],
                .pad_top = 1, .pad_bottom = 1, .pad_left = 1,
                .pad_right = 1, .layout = v ? VCONV_NCHW : VCONV_NHWC,
                .activation = v ? VCONV_ACT_NONE : VCONV_ACT_RELU,
                .src_type = VCONV_BF16,
                .dst_type = v ? VCONV_BF16 : VCONV_F32};
            check_bf16_case(&d, &r, impls, ni, v == 0);
        }
}

/* --------------------------------------------- selection and CPU features */

static int fake_calls;

static bool fk_supports(const vconv_problem *p, char *why, size_t len)
{
    (void)p, (void)why, (void)len;
    fake_calls++;
    return true;
}
static double fk_estimate(const vconv_problem *p, char *why, size_t len)
{
    (void)p, (void)why, (void)len;
    fake_calls++;
    return 1e-9; /* beats the reference */
}
static vconv_status fk_create(const vconv_problem *p, const void *w,
                              const float *s, const void *b, void **state)
{
    (void)p, (void)w, (void)s, (void)b;
    fake_calls++;
    *state = malloc(1);
    return *state ? VCONV_OK : VCONV_ERR_NO_MEMORY;
}
static vconv_status fk_run(const void *st, const vconv_problem *p,
                           const void *src, void *dst)
{
    (void)st, (void)src;
    memset(dst, 0, vconv_dst_elems(p) * vconv_dtype_size(p->dst_dt));
    return VCONV_OK;
}
static void fk_destroy(void *st) { free(st); }

extern const vconv_impl vconv_impl_ref_int8_scalar;

static void test_features(void)
{
    const uint32_t real = vconv_cpu_features();
    /* a fake int8 entry that needs avx512vnni (scalar ISA, so only the
       feature can refuse it) beside the real reference */
    const vconv_impl fake = {
        .name = "direct_int8fake.scalar", .algo = VCONV_ALGO_DIRECT,
        .isa = VCONV_ISA_SCALAR, .supports = fk_supports,
        .estimate = fk_estimate, .destroy = fk_destroy,
        .dtypes = VCONV_DT_INT8, .cpu_needs = VCONV_CPU_X86_AVX512VNNI,
        .create_q = fk_create, .run_q = fk_run};
    const vconv_impl *tab[] = {&fake, &vconv_impl_ref_int8_scalar};
    vconv_registry_inject_for_testing(tab, 2);
    const vconv_conv_desc d = {
        .batch = 1, .in_channels = 4, .out_channels = 3, .in_h = 5,
        .in_w = 5, .kernel_h = 3, .kernel_w = 3, .src_type = VCONV_U8,
        .dst_type = VCONV_U8, .src_scale = 0.1f, .src_zero_point = 3,
        .dst_scale = 0.2f, .dst_zero_point = 7};
    int8_t w[3 * 4 * 9] = {0};
    float wsc[3] = {1, 1, 1};
    vconv_options o = {.threads = 1};
    vconv_conv *pl = NULL;
    /* without the feature (a subset of this CPU's mask: nothing real runs
       that the CPU lacks): the reference, and no call into the fake */
    vconv_cpu_inject_features(true, real & ~(uint32_t)VCONV_CPU_X86_AVX512VNNI);
    fake_calls = 0;
    CHECK_STATUS(vconv_conv_create_q(&d, w, wsc, NULL, &o, &pl), VCONV_OK);
    CHECK(pl && !strcmp(vconv_conv_impl_name(pl), "ref_int8.scalar"),
          "chose %s", pl ? vconv_conv_impl_name(pl) : "nothing");
    CHECK_EQ_INT(fake_calls, 0);
    vconv_conv_destroy(pl);
    o.impl = "direct_int8fake.scalar";
    CHECK_STATUS(vconv_conv_create_q(&d, w, wsc, NULL, &o, &pl),
                 VCONV_ERR_UNSUPPORTED);
    CHECK_CONTAINS(vconv_last_error(), "cpu lacks avx512vnni");
    CHECK_EQ_INT(fake_calls, 0);
    /* with it: the fake wins on its estimate; forced, it runs */
    vconv_cpu_inject_features(true, VCONV_CPU_X86_AVX512VNNI);
    o.impl = NULL;
    CHECK_STATUS(vconv_conv_create_q(&d, w, wsc, NULL, &o, &pl), VCONV_OK);
    CHECK(pl && !strcmp(vconv_conv_impl_name(pl), "direct_int8fake.scalar"),
          "chose %s", pl ? vconv_conv_impl_name(pl) : "nothing");
    CHECK(fake_calls >= 3, "fake calls %d", fake_calls);
    vconv_conv_destroy(pl);
    /* a float32 problem never goes to an int8 entry (nor an int8 one to a
       float32 entry: the registry here has none, so f32 finds nothing) */
    vconv_conv_desc f = {.batch = 1, .in_channels = 4, .out_channels = 3,
                         .in_h = 5, .in_w = 5, .kernel_h = 3, .kernel_w = 3};
    float wf[3 * 4 * 9] = {0};
    CHECK_STATUS(vconv_conv_create(&f, wf, NULL, &o, &pl),
                 VCONV_ERR_UNSUPPORTED);
    CHECK_CONTAINS(vconv_last_error(), "int8 only");
    vconv_cpu_inject_features(false, 0);
    vconv_registry_inject_for_testing(NULL, 0);
    /* the real registry: the public table says an entry whose feature the
       CPU lacks is not available */
    vconv_impl_info info;
    for (int i = 0; i < vconv_impl_count(); i++)
        if (vconv_impl_get(i, &info) == VCONV_OK &&
            !strcmp(info.name, "direct_int8.avx512"))
            CHECK(info.available ==
                      ((real & VCONV_CPU_X86_AVX512VNNI) &&
                       (real & VCONV_CPU_USE_AVX512)),
                  "direct_int8.avx512 available %d", info.available);
}

int main(int argc, char **argv)
{
    int count = 120;
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--random") && i + 1 < argc)
            count = atoi(argv[++i]);
    test_bad_params();
    test_features();
    test_int8_edges();
    test_int8_random(count);
    test_bf16_random(count / 2);
    return check_exit("lowp");
}
