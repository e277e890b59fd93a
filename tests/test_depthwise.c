#define _POSIX_C_SOURCE 200809L
/*
 * test_depthwise.c - the depthwise family (kernels/depthwise): every
 * direct_dw.* entry this CPU (or qemu) runs, forced, against kernels/ref
 * (check_impl: the direct family's tolerance, NaN-poisoned dst so an
 * unwritten output fails, src untouched, 1 / 2 / 3 threads bitwise
 * equal), over edge sweeps named by what they exercise:
 *   channels_1_40     the tails of the channel vector (16 / 8 lanes)
 *   widths_1_20       row tails of the 8-pixel tiles, with strides 1-3
 *   kernels_pads      1x1 .. 7x7, dilation 1-2, padding 0 .. k (full and
 *                     beyond: outputs that see only padding)
 *   multiplier        out / groups = 2, 3 (input channels replicated)
 *   batch_relu_bias   batch 1 and 3, ReLU on / off, bias or none
 *   mobilenet         MobileNet-v1's depthwise layers (layouts alternate)
 *   planar            the planar kernel (NCHW 3x3 stride 1 and 2, avx512)
 *                     and the blocked one forced by VCONV_DW_PLAN on the
 *                     same problems: widths 1-50 / 1-80 (masks, vector
 *                     pairs), heights to 17 / 25 (the 8 / 4-row bands and
 *                     their tails), paddings 0-3 and asymmetric, stride 2
 *                     rows of <= 7 outputs (two rows a vector) with every
 *                     height to 19, channels, batch, no ReLU / bias,
 *                     MobileNet layers;
 *                     the knob refusing what the kernel cannot run
 * both layouts everywhere else; and the dispatch: supports() only depthwise,
 * auto picks direct_dw.* on the MobileNet depthwise layers.
 */
#include "check.h"
#include "common.h"
#include "../dispatch/dispatch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

CHECK_DEFINE_GLOBALS

#define MAX_DW 8

static const char *dw_impls[MAX_DW];
static int n_dw;
static int n_ran;

/* Checks d on both layouts (layouts = -1), or on one; on every entry, or
   only on `only`. Names VCONV_DW_PLAN in a failure when it is set. */
static void check_dw_only(vconv_conv_desc d, bool bias, uint64_t seed,
                          int layouts, const char *only)
{
    const char *plan = getenv("VCONV_DW_PLAN");
    for (int l = 0; l < 2; l++) {
        if (layouts >= 0 && l != layouts)
            continue;
        d.layout = l ? VCONV_NHWC : VCONV_NCHW;
        ref_case c;
        char ds[256];
        desc_str(&d, bias, ds, sizeof ds);
        if (ref_case_init(&c, &d, seed, bias) != 0) {
            CHECK(0, "cannot build the reference case %s", ds);
            continue;
        }
        for (int i = 0; i < n_dw; i++) {
            if (only && strcmp(dw_impls[i], only))
                continue;
            impl_check r = check_impl(&c, dw_impls[i]);
            CHECK(r.ok, "%s%s%s%s", plan ? "VCONV_DW_PLAN=" : "",
                  plan ? plan : "", plan ? ": " : "", r.msg);
            CHECK(r.ran, "%s refused the depthwise problem %s", dw_impls[i],
                  ds);
            n_ran += r.ran;
        }
        ref_case_free(&c);
    }
}

static void check_dw_on(vconv_conv_desc d, bool bias, uint64_t seed,
                        int layouts)
{
    check_dw_only(d, bias, seed, layouts, NULL);
}

static void check_dw(vconv_conv_desc d, bool bias, uint64_t seed)
{
    check_dw_on(d, bias, seed, -1);
}

static vconv_conv_desc dw_desc(int c, int mult, int h, int w, int k, int s,
                               int dil, int pad)
{
    vconv_conv_desc d = {
        .batch = 1, .in_channels = c, .in_h = h, .in_w = w,
        .out_channels = c * mult, .kernel_h = k, .kernel_w = k,
        .stride_h = s, .stride_w = s, .pad_top = pad, .pad_bottom = pad,
        .pad_left = pad, .pad_right = pad, .dilation_h = dil,
        .dilation_w = dil, .groups = c, .activation = VCONV_ACT_RELU};
    return d;
}

static void channels_1_40(void)
{
    for (int c = 1; c <= 40; c++)
        check_dw(dw_desc(c, 1, 5, 9, 3, 1, 1, 1), true, 100 + (uint64_t)c);
}

static void widths_1_20(void)
{
    for (int w = 1; w <= 20; w++)
        for (int s = 1; s <= 3; s++) {
            vconv_conv_desc d = dw_desc(19, 1, 4, w, 3, s, 1, 1);
            if (vconv_conv_output_size(&d, NULL, NULL) == VCONV_OK)
                check_dw(d, true, 200 + (uint64_t)(w * 4 + s));
        }
}

static void kernels_pads(void)
{
    static const int ks[] = {1, 3, 5, 7};
    for (int i = 0; i < 4; i++)
        for (int dil = 1; dil <= 2; dil++)
            for (int pad = 0; pad <= ks[i]; pad++)
                for (int s = 1; s <= 3; s += 2) {
                    /* 17 channels: a 16-lane block and a tail */
                    vconv_conv_desc d =
                        dw_desc(17, 1, 9, 11, ks[i], s, dil, pad);
                    if (vconv_conv_output_size(&d, NULL, NULL) != VCONV_OK)
                        continue; /* kernel wider than the padded image */
                    check_dw(d, true, 300 + (uint64_t)(ks[i] * 100 +
                                                       dil * 20 + pad * 2 +
                                                       s));
                }
    /* asymmetric and rectangular, padding far beyond the kernel: the
       corners see only padding (bias + ReLU) */
    vconv_conv_desc d = dw_desc(9, 1, 3, 4, 3, 2, 1, 0);
    d.kernel_w = 5;
    d.pad_top = 6;
    d.pad_bottom = 1;
    d.pad_left = 0;
    d.pad_right = 9;
    check_dw(d, true, 401);
    d.activation = VCONV_ACT_NONE;
    check_dw(d, true, 402);
}

static void multiplier(void)
{
    for (int m = 2; m <= 3; m++)
        for (int c = 1; c <= 19; c += 6) {
            check_dw(dw_desc(c, m, 6, 7, 3, 1, 1, 1), true,
                     500 + (uint64_t)(m * 40 + c));
            check_dw(dw_desc(c, m, 7, 6, 5, 2, 1, 2), false,
                     600 + (uint64_t)(m * 40 + c));
        }
}

static void batch_relu_bias(void)
{
    for (int mb = 1; mb <= 3; mb += 2)
        for (int relu = 0; relu <= 1; relu++)
            for (int bias = 0; bias <= 1; bias++) {
                vconv_conv_desc d = dw_desc(21, 1, 8, 10, 3, 1, 1, 1);
                d.batch = mb;
                d.activation = relu ? VCONV_ACT_RELU : VCONV_ACT_NONE;
                check_dw(d, bias, 700 + (uint64_t)(mb * 4 + relu * 2 + bias));
            }
}

/* MobileNet-v1's depthwise layers: channels, input size, stride (3x3,
   padding 1 as benchdnn writes it: the bottom / right padding only where
   the last window needs it). */
static const struct {
    int c, h, s;
} mobilenet[] = {{32, 112, 1},  {64, 112, 2}, {128, 56, 1},
                 {128, 56, 2},  {256, 28, 1}, {256, 28, 2},
                 {512, 14, 1},  {512, 14, 2}, {1024, 7, 1}};

static vconv_conv_desc mobilenet_desc(int i)
{
    vconv_conv_desc d = dw_desc(mobilenet[i].c, 1, mobilenet[i].h,
                                mobilenet[i].h, 3, mobilenet[i].s, 1, 1);
    if (mobilenet[i].s == 2)
        d.pad_bottom = d.pad_right = 0;
    return d;
}

/* the layouts alternate from layer to layer (as test_impls does on the
   networks), which halves the time under qemu; both meet a stride 1 and
   a stride 2 layer and every size from 112 to 7 or its neighbour */
static void mobilenet_layers(void)
{
    for (int i = 0; i < (int)(sizeof mobilenet / sizeof mobilenet[0]); i++)
        check_dw_on(mobilenet_desc(i), true, 800 + (uint64_t)i, i % 2);
}

/* NCHW problems of the planar kernel (3x3, stride and dilation 1, one
   output channel a group), each run with VCONV_DW_PLAN=planar on the
   entries that have it (avx512) and =blocked on every entry. */
static void check_forced(vconv_conv_desc d, bool bias, uint64_t seed)
{
    setenv("VCONV_DW_PLAN", "planar", 1);
    check_dw_only(d, bias, seed, 0, "direct_dw.avx512");
    setenv("VCONV_DW_PLAN", "blocked", 1);
    check_dw_only(d, bias, seed, 0, NULL);
    unsetenv("VCONV_DW_PLAN");
}

static void planar(void)
{
    for (int s = 1; s <= 2; s++) {
        const uint64_t sd = (uint64_t)s * 10000;
        for (int w = 1; w <= 20 + 30 * s; w++)
            check_forced(dw_desc(3, 1, 5, w, 3, s, 1, 1), true,
                         sd + 900 + (uint64_t)w);
        for (int h = 1; h <= 9 + 8 * s; h++)
            check_forced(dw_desc(2, 1, h, 33 * s, 3, s, 1, 1), true,
                         sd + 980 + (uint64_t)h);
        for (int pad = 0; pad <= 3; pad++)
            for (int w = 15 * s; w <= 18 * s; w++)
                check_forced(dw_desc(5, 1, 9, w, 3, s, 1, pad), pad != 2,
                             sd + 1000 + (uint64_t)(pad * 40 + w));
    }
    /* stride 2, rows of at most 7 outputs: two rows a vector */
    for (int h = 1; h <= 19; h++)
        for (int pad = 0; pad <= 3; pad++) {
            vconv_conv_desc e = dw_desc(3, 1, h, 10 + pad, 3, 2, 1, pad);
            if (vconv_conv_output_size(&e, NULL, NULL) == VCONV_OK)
                check_forced(e, h % 3 != 0, 1150 + (uint64_t)(h * 4 + pad));
        }
    for (int i = 0; i < (int)(sizeof mobilenet / sizeof mobilenet[0]); i += 3)
        check_forced(mobilenet_desc(i), true, 1200 + (uint64_t)i);
    vconv_conv_desc d = dw_desc(19, 1, 10, 21, 3, 1, 1, 1);
    d.pad_top = 0;
    d.pad_bottom = 3;
    d.pad_left = 2;
    d.pad_right = 0;
    check_forced(d, true, 1101);
    d = dw_desc(33, 1, 7, 7, 3, 1, 1, 1);
    d.batch = 3;
    d.activation = VCONV_ACT_NONE;
    check_forced(d, false, 1102);
    check_forced(dw_desc(64, 1, 14, 14, 3, 1, 1, 1), true, 1103);
    /* the knob: planar where it cannot run is an error naming it; an
       unknown value too; nothing is created */
    static const struct {
        const char *plan;
        int k, s, dil, mult;
    } bad[] = {{"planar", 3, 3, 1, 1}, {"planar", 5, 1, 1, 1},
               {"planar", 3, 1, 2, 1}, {"planar", 3, 1, 1, 2},
               {"tiled", 3, 1, 1, 1}};
    float w[8 * 25] = {0};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        for (int j = 0; j < n_dw; j++) {
            if (strcmp(bad[i].plan, "tiled") &&
                strcmp(dw_impls[j], "direct_dw.avx512"))
                continue;
            vconv_conv_desc e = dw_desc(4, bad[i].mult, 9, 9, bad[i].k,
                                        bad[i].s, bad[i].dil, 1);
            setenv("VCONV_DW_PLAN", bad[i].plan, 1);
            vconv_options o = {.impl = dw_impls[j], .threads = 1};
            vconv_conv *c = NULL;
            CHECK_STATUS(vconv_conv_create(&e, w, NULL, &o, &c),
                         VCONV_ERR_INVALID_ARG);
            CHECK(c == NULL, "a plan was created");
            CHECK(strstr(vconv_last_error(), "VCONV_DW_PLAN"),
                  "%s: '%s' does not name the knob", dw_impls[j],
                  vconv_last_error());
            vconv_conv_destroy(c);
            unsetenv("VCONV_DW_PLAN");
        }
    /* planar is refused on NHWC */
    if (n_dw >= 2 && !strcmp(dw_impls[0], "direct_dw.avx512")) {
        vconv_conv_desc e = dw_desc(4, 1, 9, 9, 3, 1, 1, 1);
        e.layout = VCONV_NHWC;
        setenv("VCONV_DW_PLAN", "planar", 1);
        vconv_options o = {.impl = dw_impls[0], .threads = 1};
        vconv_conv *c = NULL;
        CHECK_STATUS(vconv_conv_create(&e, w, NULL, &o, &c),
                     VCONV_ERR_INVALID_ARG);
        vconv_conv_destroy(c);
        unsetenv("VCONV_DW_PLAN");
    }
}

/* supports(): depthwise only (one input channel a group); auto chooses a
   direct_dw entry on MobileNet's depthwise layers, 1 and 2 threads, both
   layouts. */
static void dispatch(void)
{
    float w[4 * 3 * 9] = {0};
    vconv_conv_desc g2 = dw_desc(4, 1, 6, 6, 3, 1, 1, 1);
    g2.groups = 2; /* two input channels a group */
    for (int i = 0; i < n_dw; i++) {
        vconv_options o = {.impl = dw_impls[i], .threads = 1};
        vconv_conv *c = NULL;
        CHECK_STATUS(vconv_conv_create(&g2, w, NULL, &o, &c),
                     VCONV_ERR_UNSUPPORTED);
        CHECK(strstr(vconv_last_error(), "not depthwise"),
              "%s: '%s' does not say why", dw_impls[i], vconv_last_error());
        vconv_conv_destroy(c);
    }
    for (int i = 0; i < (int)(sizeof mobilenet / sizeof mobilenet[0]); i++)
        for (int l = 0; l < 2; l++)
            for (int t = 1; t <= 2; t++) {
                vconv_conv_desc d = mobilenet_desc(i);
                d.layout = l ? VCONV_NHWC : VCONV_NCHW;
                const size_t nw = (size_t)d.out_channels * 9;
                float *wt = calloc(nw, sizeof(float));
                vconv_options o = {.threads = t, .tune = -1};
                vconv_conv *c = NULL;
                char ds[256];
                desc_str(&d, false, ds, sizeof ds);
                CHECK(wt, "out of memory");
                if (!wt)
                    continue;
                CHECK_STATUS(vconv_conv_create(&d, wt, NULL, &o, &c),
                             VCONV_OK);
                if (c)
                    CHECK(!strncmp(vconv_conv_impl_name(c), "direct_dw.", 10),
                          "auto chose %s for %s, %d threads",
                          vconv_conv_impl_name(c), ds, t);
                vconv_conv_destroy(c);
                free(wt);
            }
}

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    const char *all[64];
    int n = available_impls(all, 64);
    for (int i = 0; i < n && n_dw < MAX_DW; i++)
        if (!strncmp(all[i], "direct_dw.", 10))
            dw_impls[n_dw++] = all[i];
    printf("depthwise entries here:");
    for (int i = 0; i < n_dw; i++)
        printf(" %s", dw_impls[i]);
    printf("\n");
    /* the portable entry always runs; a vector ISA's wherever the CPU has
       one (and VCONV_MAX_ISA leaves it in) */
    CHECK(n_dw >= 1 && !strcmp(dw_impls[n_dw - 1], "direct_dw.scalar"),
          "direct_dw.scalar missing (%d entries)", n_dw);
    CHECK(vconv_cpu_best_isa() == VCONV_ISA_SCALAR ||
              !isa_under_cap(vconv_cpu_best_isa()) || n_dw >= 2,
          "best isa %s but no vector depthwise entry",
          vconv_isa_name(vconv_cpu_best_isa()));
    static const struct {
        const char *name;
        void (*fn)(void);
    } sweeps[] = {{"channels_1_40", channels_1_40},
                  {"widths_1_20", widths_1_20},
                  {"kernels_pads", kernels_pads},
                  {"multiplier", multiplier},
                  {"batch_relu_bias", batch_relu_bias},
                  {"mobilenet", mobilenet_layers},
                  {"planar", planar},
                  {"dispatch", dispatch}};
    for (size_t i = 0; i < sizeof sweeps / sizeof sweeps[0]; i++) {
        const int f0 = check_failures;
        const double t0 = vconv_now();
        sweeps[i].fn();
        printf("  %-16s %s  %.2f s\n", sweeps[i].name,
               check_failures == f0 ? "ok" : "FAILED", vconv_now() - t0);
        fflush(stdout);
    }
    printf("%d checked runs\n", n_ran);
    return check_exit("depthwise");
}
