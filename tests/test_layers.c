/*
 * test_layers.c - pooling, fully connected, LRN, softmax and ReLU against
 * the double-accumulating references (kernels/ref/layers_ref.c), on every
 * ISA this CPU runs (max_isa = each; the plan's implementation name says
 * which kernel ran), with edge sweeps: channel tails around every vector
 * width, odd sizes, strides, padding up to and past whole windows, ceil
 * mode, both layouts; threads 1 and 2 bitwise equal; dst fully written
 * (NaN poison) and src untouched. Then bad input: the error names the
 * layer, the field and the value, and dst stays untouched.
 */
#include "check.h"
#include "common.h"
#include "../core/layers.h"
#include "../dispatch/cpu.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

CHECK_DEFINE_GLOBALS

static vconv_isa isas[4];
static int nisas;

static void find_isas(void)
{
    const vconv_isa all[] = {VCONV_ISA_SCALAR, VCONV_ISA_AVX2,
                             VCONV_ISA_AVX512, VCONV_ISA_NEON};
    for (int i = 0; i < 4; i++)
        if (vconv_cpu_mask_has_isa(vconv_cpu_features(), all[i]) &&
            (all[i] == VCONV_ISA_SCALAR ||
             vconv_cpu_mask_is_arm(vconv_cpu_features()) ==
                 (all[i] == VCONV_ISA_NEON)))
            isas[nisas++] = all[i];
}

static float *poisoned(size_t n)
{
    float *x = malloc((n ? n : 1) * sizeof *x);
    for (size_t i = 0; i < n; i++)
        x[i] = NAN;
    return x;
}

/* ------------------------------------------------------------- pooling */

static int pool_cases;

static void pool_case(const vconv_pool_desc *d, test_rng *r)
{
    vconv_pool_problem p;
    if (vconv_pool_problem_init(d, "pool", &p) != VCONV_OK)
        return;   /* the sweep makes some windows too large: skipped */
    const size_t sn = (size_t)p.mb * p.c * p.ih * p.iw;
    const size_t dn = (size_t)p.mb * p.c * p.oh * p.ow;
    float *src = malloc(sn * sizeof *src), *keep = malloc(sn * sizeof *keep);
    fill_normal(r, src, sn);
    memcpy(keep, src, sn * sizeof *src);
    double *ref = malloc(dn * sizeof *ref);
    vconv_ref_pool(&p, src, ref);
    pool_cases++;
    float *first = NULL;
    for (int ii = 0; ii < nisas; ii++)
        for (int t = 1; t <= 2; t++) {
            vconv_options o = {.max_isa = isas[ii], .threads = t};
            vconv_pool *pl;
            CHECK_STATUS(vconv_pool_create(d, &o, &pl), VCONV_OK);
            if (!pl)
                continue;
            float *dst = poisoned(dn);
            CHECK_STATUS(vconv_pool_run(pl, src, dst), VCONV_OK);
            int bad = 0;
            for (size_t i = 0; i < dn && !bad; i++) {
                const double tol =
                    d->alg == VCONV_POOL_MAX ? 0 : 1e-6 * (1 + fabs(ref[i]));
                if (!(fabs(dst[i] - ref[i]) <= tol)) {
                    bad = 1;
                    CHECK(0,
                          "%s threads %d: mb%d c%d %dx%d k%dx%d s%dx%d "
                          "p%d,%d,%d,%d alg %d ceil %d %s: dst[%zu] = %.9g, "
                          "ref %.9g",
                          vconv_pool_impl_name(pl), t, p.mb, p.c, p.ih, p.iw,
                          p.kh, p.kw, p.sh, p.sw, p.pt, p.pb, p.pl, p.pr,
                          (int)p.alg, d->ceil_mode,
                          p.layout == VCONV_NHWC ? "nhwc" : "nchw", i,
                          (double)dst[i], ref[i]);
                }
            }
            /* the plan ran the ISA it was asked for (NHWC) */
            if (p.layout == VCONV_NHWC)
                CHECK_CONTAINS(vconv_pool_impl_name(pl),
                               vconv_isa_name(isas[ii]));
            if (ii == 0 && t == 1)
                first = dst;
            else {
                /* same bits for 2 threads as for 1, same ISA */
                if (t == 2 && first && ii == 0)
                    CHECK(!memcmp(first, dst, dn * sizeof *dst),
                          "pool: threads 1 and 2 differ");
                free(dst);
            }
            vconv_pool_destroy(pl);
        }
    CHECK(!memcmp(src, keep, sn * sizeof *src), "pool wrote its src");
    free(first);
    free(src);
    free(keep);
    free(ref);
}

static void pool_sweep(void)
{
    test_rng r = {1};
    const int chans[] = {1, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65,
                         96};
    /* named edges: channel tails at every vector width, whole-window
       padding, ceil mode, 1x1 windows, windows as large as the input */
    for (size_t ci = 0; ci < sizeof chans / sizeof *chans; ci++)
        for (int alg = 0; alg < 3; alg++)
            for (int lay = 0; lay < 2; lay++) {
                vconv_pool_desc d = {.batch = 2, .channels = chans[ci],
                                     .in_h = 7, .in_w = 6, .kernel_h = 3,
                                     .kernel_w = 2, .stride_h = 2,
                                     .stride_w = 2, .pad_top = 1,
                                     .pad_bottom = 2, .pad_left = 0,
                                     .pad_right = 1, .alg = alg,
                                     .layout = lay, .ceil_mode = ci & 1};
                pool_case(&d, &r);
                /* padding wider than the window: whole windows of pad */
                d.pad_top = 3;
                d.pad_left = 2;
                d.pad_right = 3;
                d.stride_h = d.stride_w = 1;
                pool_case(&d, &r);
                /* the window is the input */
                d = (vconv_pool_desc){.batch = 1, .channels = chans[ci],
                                      .in_h = 5, .in_w = 3, .kernel_h = 5,
                                      .kernel_w = 3, .alg = alg,
                                      .layout = lay};
                pool_case(&d, &r);
            }
    /* the nets' pools: AlexNet 3/2 on 55 and 13, 2/2 SAME on 7 */
    vconv_pool_desc a = {.batch = 1, .channels = 96, .in_h = 55, .in_w = 55,
                         .kernel_h = 3, .kernel_w = 3, .stride_h = 2,
                         .stride_w = 2, .layout = VCONV_NHWC};
    pool_case(&a, &r);
    vconv_pool_desc s = {.batch = 3, .channels = 64, .in_h = 7, .in_w = 7,
                         .kernel_h = 2, .kernel_w = 2, .stride_h = 2,
                         .stride_w = 2, .layout = VCONV_NHWC};
    CHECK_STATUS(vconv_pool_set_padding(&s, VCONV_PAD_SAME), VCONV_OK);
    CHECK(s.pad_top == 0 && s.pad_bottom == 1 && s.pad_right == 1,
          "SAME 2/2 on 7: pads %d %d %d %d", s.pad_top, s.pad_bottom,
          s.pad_left, s.pad_right);
    int oh, ow;
    CHECK_STATUS(vconv_pool_output_size(&s, &oh, &ow), VCONV_OK);
    CHECK(oh == 4 && ow == 4, "SAME 2/2 on 7: %dx%d, want 4x4", oh, ow);
    for (int alg = 0; alg < 3; alg++) {
        s.alg = alg;
        pool_case(&s, &r);
    }
    /* random */
    for (int i = 0; i < 150; i++) {
        vconv_pool_desc d = {.batch = rng_int(&r, 1, 3),
                             .channels = rng_int(&r, 1, 70),
                             .in_h = rng_int(&r, 1, 12),
                             .in_w = rng_int(&r, 1, 12),
                             .kernel_h = rng_int(&r, 1, 4),
                             .kernel_w = rng_int(&r, 1, 4),
                             .stride_h = rng_int(&r, 0, 3),
                             .stride_w = rng_int(&r, 0, 3),
                             .pad_top = rng_int(&r, 0, 4),
                             .pad_bottom = rng_int(&r, 0, 4),
                             .pad_left = rng_int(&r, 0, 4),
                             .pad_right = rng_int(&r, 0, 4),
                             .alg = rng_int(&r, 0, 2),
                             .ceil_mode = rng_int(&r, 0, 1),
                             .layout = rng_int(&r, 0, 1)};
        pool_case(&d, &r);
    }
    /* ceil mode: 3/2 on 6 floors to 2, ceils to 3 (PyTorch); the last
       window may not start in the bottom padding: 2/2 on 4 with pad 1 */
    vconv_pool_desc c = {.batch = 1, .channels = 1, .in_h = 6, .in_w = 6,
                         .kernel_h = 3, .kernel_w = 3, .stride_h = 2,
                         .stride_w = 2};
    CHECK_STATUS(vconv_pool_output_size(&c, &oh, &ow), VCONV_OK);
    CHECK_EQ_INT(oh, 2);
    c.ceil_mode = 1;
    CHECK_STATUS(vconv_pool_output_size(&c, &oh, &ow), VCONV_OK);
    CHECK_EQ_INT(oh, 3);
    c = (vconv_pool_desc){.batch = 1, .channels = 1, .in_h = 4, .in_w = 4,
                          .kernel_h = 2, .kernel_w = 2, .stride_h = 2,
                          .stride_w = 2, .pad_top = 1, .pad_bottom = 1,
                          .ceil_mode = 1};
    CHECK_STATUS(vconv_pool_output_size(&c, &oh, &ow), VCONV_OK);
    CHECK_EQ_INT(oh, 3);
    printf("pool: %d problems x %d ISAs x 2 thread counts\n", pool_cases,
           nisas);
}

/* ----------------------------------------------------------------- LRN */

static void lrn_case(const vconv_lrn_desc *d, test_rng *r, double scale)
{
    vconv_lrn_problem p;
    CHECK_STATUS(vconv_lrn_problem_init(d, "lrn", &p), VCONV_OK);
    const size_t n = (size_t)p.mb * p.c * p.h * p.w;
    float *src = malloc(n * sizeof *src);
    fill_normal(r, src, n);
    for (size_t i = 0; i < n; i++)
        src[i] *= (float)scale;
    double *ref = malloc(n * sizeof *ref);
    vconv_ref_lrn(&p, src, ref);
    float *one = NULL;
    for (int ii = 0; ii < nisas; ii++)
        for (int t = 1; t <= 2; t++) {
            vconv_options o = {.max_isa = isas[ii], .threads = t};
            vconv_lrn *l;
            CHECK_STATUS(vconv_lrn_create(d, &o, &l), VCONV_OK);
            if (!l)
                continue;
            float *dst = poisoned(n);
            CHECK_STATUS(vconv_lrn_run(l, src, dst), VCONV_OK);
            double worst = 0;
            size_t at = 0;
            for (size_t i = 0; i < n; i++) {
                double e = fabs(dst[i] - ref[i]) / (fabs(ref[i]) + 1e-30);
                if (!(e <= worst)) {
                    worst = isnan(e) ? INFINITY : e;
                    at = i;
                }
            }
            CHECK(worst <= 4e-6,
                  "%s threads %d: mb%d c%d %dx%d size %d alpha %g beta %g k "
                  "%g %s: relative error %.3g at %zu (%.9g vs %.9g)",
                  vconv_lrn_impl_name(l), t, p.mb, p.c, p.h, p.w, p.size,
                  (double)p.alpha, (double)p.beta, (double)p.k,
                  p.layout ? "nhwc" : "nchw", worst, at, (double)dst[at],
                  ref[at]);
            if (p.layout == VCONV_NHWC && p.beta == 0.75f)
                CHECK_CONTAINS(vconv_lrn_impl_name(l),
                               vconv_isa_name(isas[ii]));
            if (ii == 0 && t == 1) {
                one = dst;
            } else {
                if (ii == 0)
                    CHECK(!memcmp(one, dst, n * sizeof *dst),
                          "lrn: threads 1 and 2 differ");
                free(dst);
            }
            vconv_lrn_destroy(l);
        }
    free(one);
    free(src);
    free(ref);
}

static void lrn_sweep(void)
{
    test_rng r = {2};
    const int chans[] = {1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 31, 33, 96, 256};
    const int sizes[] = {1, 2, 3, 5, 7};
    for (size_t ci = 0; ci < sizeof chans / sizeof *chans; ci++)
        for (size_t si = 0; si < sizeof sizes / sizeof *sizes; si++)
            for (int lay = 0; lay < 2; lay++) {
                vconv_lrn_desc d = {.batch = 2, .channels = chans[ci],
                                    .height = 3, .width = 5,
                                    .size = sizes[si], .layout = lay};
                /* AlexNet's constants (0 = defaults) on activations of
                   tens, where the normalisation matters */
                lrn_case(&d, &r, 30.0);
                /* strong normalisation, and a beta of the portable path */
                d.alpha = 2.0f;
                d.k = 1.0f;
                lrn_case(&d, &r, 1.0);
                d.beta = 0.5f;
                lrn_case(&d, &r, 1.0);
            }
    vconv_lrn_desc a = {.batch = 1, .channels = 96, .height = 55,
                        .width = 55, .layout = VCONV_NHWC};
    lrn_case(&a, &r, 30.0);
}

/* ------------------------------------------------------------------ FC */

static void fc_case(int mb, int in, int out, bool bias, vconv_act act,
                    test_rng *r)
{
    const size_t sn = (size_t)mb * in, wn = (size_t)in * out,
                 dn = (size_t)mb * out;
    float *src = malloc(sn * 4), *w = malloc(wn * 4), *b = malloc(out * 4);
    fill_normal(r, src, sn);
    fill_normal(r, w, wn);
    fill_normal(r, b, (size_t)out);
    double *ref = malloc(dn * 8), *mag = malloc(dn * 8);
    vconv_ref_fc(mb, in, out, w, bias ? b : NULL, act, src, ref);
    for (int n = 0; n < mb; n++)
        for (int o = 0; o < out; o++) {
            double m = bias ? fabs(b[o]) : 0;
            for (int i = 0; i < in; i++)
                m += fabs((double)src[(size_t)n * in + i] *
                          w[(size_t)o * in + i]);
            mag[(size_t)n * out + o] = m;
        }
    vconv_fc_desc d = {.batch = mb, .in_features = in, .out_features = out,
                       .activation = act};
    float *one = NULL;
    for (int ii = 0; ii < nisas; ii++)
        for (int t = 1; t <= 2; t++) {
            vconv_options o = {.max_isa = isas[ii], .threads = t};
            vconv_fc *f;
            CHECK_STATUS(vconv_fc_create(&d, w, bias ? b : NULL, &o, &f),
                         VCONV_OK);
            if (!f)
                continue;
            CHECK_CONTAINS(vconv_fc_impl_name(f), vconv_isa_name(isas[ii]));
            float *dst = poisoned(dn);
            CHECK_STATUS(vconv_fc_run(f, src, dst), VCONV_OK);
            double worst = 0;
            for (size_t i = 0; i < dn; i++) {
                double e = fabs(dst[i] - ref[i]) / (mag[i] + 1e-30);
                worst = e > worst || isnan(e) ? (isnan(e) ? INFINITY : e)
                                              : worst;
            }
            CHECK(worst <= 2e-6 * (1 + in / 256.0),
                  "%s threads %d: mb%d in%d out%d bias %d relu %d: error "
                  "%.3g of the magnitude",
                  vconv_fc_impl_name(f), t, mb, in, out, bias, (int)act,
                  worst);
            if (ii == 0 && t == 1) {
                one = dst;
            } else {
                if (ii == 0)
                    CHECK(!memcmp(one, dst, dn * 4),
                          "fc: threads 1 and 2 differ");
                free(dst);
            }
            vconv_fc_destroy(f);
        }
    free(one);
    free(src);
    free(w);
    free(b);
    free(ref);
    free(mag);
}

static void fc_sweep(void)
{
    test_rng r = {3};
    const int mbs[] = {1, 2, 3, 15, 32};
    const int ins[] = {1, 7, 16, 33, 100, 300};
    const int outs[] = {1, 10, 31, 32, 33, 100};
    for (size_t a = 0; a < sizeof mbs / sizeof *mbs; a++)
        for (size_t b = 0; b < sizeof ins / sizeof *ins; b++)
            for (size_t c = 0; c < sizeof outs / sizeof *outs; c++)
                fc_case(mbs[a], ins[b], outs[c], (a + b + c) % 2 == 0,
                        (a + c) % 2 ? VCONV_ACT_RELU : VCONV_ACT_NONE, &r);
    /* an fc of the nets with K blocks (mnist_64's 12544 -> 10) */
    fc_case(1, 12544, 10, true, VCONV_ACT_NONE, &r);
    fc_case(3, 2048, 625, true, VCONV_ACT_RELU, &r);
}

/* ------------------------------------------------------- softmax, relu */

static void softmax_case(int mb, int classes, double spread, test_rng *r,
                         bool in_place)
{
    const size_t n = (size_t)mb * classes;
    float *src = malloc(n * 4);
    fill_normal(r, src, n);
    for (size_t i = 0; i < n; i++)
        src[i] *= (float)spread;
    double *ref = malloc(n * 8);
    vconv_ref_softmax(mb, classes, src, ref);
    vconv_softmax_desc d = {.batch = mb, .classes = classes};
    for (int t = 1; t <= 2; t++) {
        vconv_options o = {.threads = t};
        vconv_softmax *s;
        CHECK_STATUS(vconv_softmax_create(&d, &o, &s), VCONV_OK);
        float *dst = poisoned(n), *in = src;
        if (in_place) {
            memcpy(dst, src, n * 4);
            in = dst;
        }
        CHECK_STATUS(vconv_softmax_run(s, in, dst), VCONV_OK);
        double worst = 0;
        for (size_t i = 0; i < n; i++) {
            double e = fabs(dst[i] - ref[i]);
            worst = !(e <= worst) ? (isnan(e) ? INFINITY : e) : worst;
        }
        CHECK(worst <= 1e-6, "softmax mb%d classes %d spread %g%s: error %.3g",
              mb, classes, spread, in_place ? " in place" : "", worst);
        for (int b = 0; b < mb; b++) {
            double sum = 0;
            for (int j = 0; j < classes; j++)
                sum += dst[(size_t)b * classes + j];
            CHECK(fabs(sum - 1) < 1e-5, "softmax row %d sums to %.9g", b, sum);
        }
        free(dst);
        vconv_softmax_destroy(s);
    }
    free(src);
    free(ref);
}

static void softmax_relu(void)
{
    test_rng r = {4};
    const int cls[] = {1, 2, 10, 17, 1000};
    for (size_t i = 0; i < sizeof cls / sizeof *cls; i++) {
        softmax_case(1, cls[i], 1.0, &r, false);
        softmax_case(3, cls[i], 1.0, &r, i & 1);
        /* exp(1000) overflows a float: only the shifted form is finite */
        softmax_case(2, cls[i], 1000.0, &r, false);
    }
    float x[7] = {-1, 0, 2, -0.0f, -3e38f, 5, NAN}, y[7];
    CHECK_STATUS(vconv_relu(x, y, 7), VCONV_OK);
    CHECK(y[0] == 0 && y[1] == 0 && y[2] == 2 && y[4] == 0 && y[5] == 5 &&
              isnan(y[6]),
          "relu: %g %g %g %g %g %g", y[0], y[1], y[2], y[4], y[5], y[6]);
    CHECK_STATUS(vconv_relu(x, x, 7), VCONV_OK);
    CHECK(x[0] == 0 && x[2] == 2, "relu in place");
}

/* ----------------------------------------------------------- bad input */

#define CHECK_ERR(call, want, ...)                                             \
    do {                                                                       \
        CHECK_STATUS(call, want);                                              \
        const char *needles_[] = {__VA_ARGS__};                                \
        for (size_t k_ = 0; k_ < sizeof needles_ / sizeof *needles_; k_++)     \
            CHECK_CONTAINS(vconv_last_error(), needles_[k_]);                  \
    } while (0)

static void bad_input(void)
{
    vconv_pool *pl = (vconv_pool *)&pl;
    vconv_pool_desc pd = {.batch = 1, .channels = 4, .in_h = 3, .in_w = 8,
                          .kernel_h = 6, .kernel_w = 2, .pad_top = 1,
                          .pad_bottom = 1};
    CHECK_ERR(vconv_pool_create(&pd, NULL, &pl), VCONV_ERR_BAD_SHAPE,
              "pool: kernel_h (6) is larger than the padded input (5 = "
              "in_h 3 + pads 1 + 1)");
    CHECK(pl == NULL, "a failed create leaves *out NULL");
    pd.kernel_h = 2;
    pd.alg = (vconv_pool_alg)7;
    CHECK_ERR(vconv_pool_create(&pd, NULL, &pl), VCONV_ERR_INVALID_ARG,
              "alg (7)");
    pd.alg = VCONV_POOL_MAX;
    pd.pad_left = -1;
    CHECK_ERR(vconv_pool_create(&pd, NULL, &pl), VCONV_ERR_BAD_SHAPE,
              "pad_left (-1)");
    pd.pad_left = 0;
    pd.channels = 0;
    CHECK_ERR(vconv_pool_output_size(&pd, NULL, NULL), VCONV_ERR_BAD_SHAPE,
              "channels (0)");
    pd.channels = 4;
    pd.ceil_mode = 2;
    CHECK_ERR(vconv_pool_create(&pd, NULL, &pl), VCONV_ERR_INVALID_ARG,
              "ceil_mode (2)");
    pd.ceil_mode = 0;
    pd.stride_w = -2;
    CHECK_ERR(vconv_pool_create(&pd, NULL, &pl), VCONV_ERR_BAD_SHAPE,
              "stride_w (-2)");
    pd.stride_w = 0;
    CHECK_STATUS(vconv_pool_create(&pd, NULL, &pl), VCONV_OK);
    float src[96], dst[96];
    for (int i = 0; i < 96; i++)
        src[i] = (float)i, dst[i] = -7;
    CHECK_ERR(vconv_pool_run(pl, NULL, dst), VCONV_ERR_INVALID_ARG,
              "src is NULL");
    CHECK_ERR(vconv_pool_run(pl, src, src + 4), VCONV_ERR_INVALID_ARG,
              "overlap");
    CHECK(dst[0] == -7 && dst[95] == -7, "a failed run wrote dst");
    vconv_pool_destroy(pl);
    vconv_pool_destroy(NULL);
    if (!vconv_cpu_mask_is_arm(vconv_cpu_features())) {
        vconv_options o = {.max_isa = VCONV_ISA_NEON};
        CHECK_ERR(vconv_pool_create(&pd, &o, &pl), VCONV_ERR_UNSUPPORTED,
                  "max_isa neon");
    }

    vconv_fc *f;
    vconv_fc_desc fd = {.batch = 1, .in_features = 0, .out_features = 3};
    float w[12] = {0};
    CHECK_ERR(vconv_fc_create(&fd, w, NULL, NULL, &f), VCONV_ERR_BAD_SHAPE,
              "fc: in_features (0) must be positive");
    fd.in_features = 4;
    CHECK_ERR(vconv_fc_create(&fd, NULL, NULL, NULL, &f),
              VCONV_ERR_INVALID_ARG, "fc: weights is NULL");
    fd.activation = (vconv_act)5;
    CHECK_ERR(vconv_fc_create(&fd, w, NULL, NULL, &f), VCONV_ERR_INVALID_ARG,
              "activation (5)");
    fd.activation = VCONV_ACT_NONE;
    fd.in_features = 1 << 20;
    fd.out_features = 1 << 12;
    CHECK_ERR(vconv_fc_create(&fd, w, NULL, NULL, &f), VCONV_ERR_BAD_SHAPE,
              "weights has more elements");
    fd.in_features = 4;
    fd.out_features = 3;
    CHECK_STATUS(vconv_fc_create(&fd, w, NULL, NULL, &f), VCONV_OK);
    CHECK_ERR(vconv_fc_run(f, src, NULL), VCONV_ERR_INVALID_ARG,
              "dst is NULL");
    CHECK_ERR(vconv_fc_run(f, src, src + 2), VCONV_ERR_INVALID_ARG,
              "overlap");
    vconv_fc_destroy(f);

    vconv_softmax *s;
    vconv_softmax_desc sd = {.batch = 2, .classes = 0};
    CHECK_ERR(vconv_softmax_create(&sd, NULL, &s), VCONV_ERR_BAD_SHAPE,
              "softmax: classes (0) must be positive");
    sd.classes = 5;
    CHECK_STATUS(vconv_softmax_create(&sd, NULL, &s), VCONV_OK);
    CHECK_ERR(vconv_softmax_run(s, src, src + 3), VCONV_ERR_INVALID_ARG,
              "overlap");
    vconv_softmax_destroy(s);

    vconv_lrn *l;
    vconv_lrn_desc ld = {.batch = 1, .channels = 4, .height = 2, .width = 2,
                         .size = -3};
    CHECK_ERR(vconv_lrn_create(&ld, NULL, &l), VCONV_ERR_BAD_SHAPE,
              "lrn: size (-3)");
    ld.size = 0;
    ld.k = -1;
    CHECK_ERR(vconv_lrn_create(&ld, NULL, &l), VCONV_ERR_BAD_SHAPE,
              "lrn: k (-1)");
    ld.k = 0;
    ld.beta = INFINITY;
    CHECK_ERR(vconv_lrn_create(&ld, NULL, &l), VCONV_ERR_BAD_SHAPE,
              "lrn: beta (inf)");
    ld.beta = 0;
    ld.height = -2;
    CHECK_ERR(vconv_lrn_create(&ld, NULL, &l), VCONV_ERR_BAD_SHAPE,
              "lrn: height (-2)");
    CHECK_ERR(vconv_relu(NULL, dst, 3), VCONV_ERR_INVALID_ARG, "relu: src");
}

int main(void)
{
    find_isas();
    printf("ISAs:");
    for (int i = 0; i < nisas; i++)
        printf(" %s", vconv_isa_name(isas[i]));
    printf("\n");
    pool_sweep();
    lrn_sweep();
    fc_sweep();
    softmax_relu();
    bad_input();
    return check_exit("test_layers");
}
