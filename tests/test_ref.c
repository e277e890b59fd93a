/*
 * test_ref.c - the reference convolution against a second, independent
 * naive convolution written here another way: the input is first copied
 * into an explicitly zero-padded NCHW tensor, and the sum runs kernel taps
 * outermost into an output accumulator (the reference runs per output with
 * bounds arithmetic). Seeded random descriptors cover every feature; the
 * test asserts that each feature was met.
 */
#include "check.h"
#include "common.h"
#include "../kernels/ref/ref.h"

#include <math.h>
#include <stdlib.h>

CHECK_DEFINE_GLOBALS

/* The independent convolution, double output in the problem's layout. */
static void naive(const vconv_problem *p, const float *w, const float *b,
                  const float *src, double *out)
{
    const int PH = p->ih + p->pt + p->pb, PW = p->iw + p->pl + p->pr;
    double *pad = calloc((size_t)p->mb * p->ic * PH * PW, sizeof(double));
    double *acc = calloc((size_t)p->mb * p->oc * p->oh * p->ow,
                         sizeof(double));
    for (int n = 0; n < p->mb; n++)
        for (int c = 0; c < p->ic; c++)
            for (int y = 0; y < p->ih; y++)
                for (int x = 0; x < p->iw; x++) {
                    size_t s = p->layout == VCONV_NHWC
                                   ? (((size_t)n * p->ih + y) * p->iw + x) *
                                             p->ic + c
                                   : (((size_t)n * p->ic + c) * p->ih + y) *
                                             p->iw + x;
                    pad[(((size_t)n * p->ic + c) * PH + y + p->pt) * PW + x +
                        p->pl] = src[s];
                }
    for (int ky = 0; ky < p->kh; ky++)
        for (int kx = 0; kx < p->kw; kx++)
            for (int n = 0; n < p->mb; n++)
                for (int o = 0; o < p->oc; o++) {
                    int grp = o / p->ocg;
                    for (int c = 0; c < p->icg; c++) {
                        double wv = w[(((size_t)o * p->icg + c) * p->kh + ky) *
                                          p->kw + kx];
                        const double *plane =
                            pad + ((size_t)n * p->ic + grp * p->icg + c) *
                                      PH * PW;
                        for (int y = 0; y < p->oh; y++)
                            for (int x = 0; x < p->ow; x++)
                                acc[(((size_t)n * p->oc + o) * p->oh + y) *
                                        p->ow + x] +=
                                    wv * plane[(size_t)(y * p->sh +
                                                        ky * p->dh) * PW +
                                               x * p->sw + kx * p->dw];
                    }
                }
    for (int n = 0; n < p->mb; n++)
        for (int o = 0; o < p->oc; o++)
            for (int y = 0; y < p->oh; y++)
                for (int x = 0; x < p->ow; x++) {
                    double v = acc[(((size_t)n * p->oc + o) * p->oh + y) *
                                       p->ow + x] + (b ? b[o] : 0.0);
                    if (p->act == VCONV_ACT_RELU)
                        v = v > 0 ? v : 0;
                    size_t d = p->layout == VCONV_NHWC
                                   ? (((size_t)n * p->oh + y) * p->ow + x) *
                                             p->oc + o
                                   : (((size_t)n * p->oc + o) * p->oh + y) *
                                             p->ow + x;
                    out[d] = v;
                }
    free(pad);
    free(acc);
}

enum { F_STRIDE, F_ASYM_PAD, F_DILATION, F_GROUPS, F_NHWC, F_NCHW, F_BIAS,
       F_NOBIAS, F_RELU, F_RECT_KERNEL, F_PAD_ONLY, F_COUNT };
static const char *feature_names[F_COUNT] = {
    "stride", "asymmetric padding", "dilation", "groups", "nhwc", "nchw",
    "bias", "no bias", "relu", "non-square kernel", "padding beyond kernel"};

int main(void)
{
    test_rng r = {777};
    int seen[F_COUNT] = {0};
    const int N = 400;
    for (int k = 0; k < N; k++) {
        vconv_conv_desc d = random_desc(&r);
        bool bias = rng_int(&r, 0, 2) != 0;
        ref_case c;
        if (ref_case_init(&c, &d, 1000 + (uint64_t)k, bias) != 0) {
            CHECK(0, "case %d: cannot build", k);
            continue;
        }
        const vconv_problem *p = &c.p;
        seen[F_STRIDE] += p->sh > 1 || p->sw > 1;
        seen[F_ASYM_PAD] += p->pt != p->pb || p->pl != p->pr;
        seen[F_DILATION] += p->dh > 1 || p->dw > 1;
        seen[F_GROUPS] += p->g > 1;
        seen[F_NHWC] += p->layout == VCONV_NHWC;
        seen[F_NCHW] += p->layout == VCONV_NCHW;
        seen[F_BIAS] += bias;
        seen[F_NOBIAS] += !bias;
        seen[F_RELU] += p->act == VCONV_ACT_RELU;
        seen[F_RECT_KERNEL] += p->kh != p->kw;
        seen[F_PAD_ONLY] += p->pt >= p->kh || p->pl >= p->kw;

        size_t nd = vconv_dst_elems(p);
        double *want = malloc(nd * sizeof(double));
        float *got = malloc(nd * sizeof(float));
        naive(p, c.w, c.b, c.src, want);
        vconv_ref_conv(p, c.w, c.b, c.src, got, NULL, NULL);
        char ds[256];
        desc_str(&d, bias, ds, sizeof ds);
        for (size_t i = 0; i < nd; i++) {
            /* the double sums differ only in order: 1e-12 of the scale;
               the float output is their rounding */
            double e64 = fabs(c.ref[i] - want[i]);
            double e32 = fabs((double)got[i] - want[i]);
            if (e64 > 1e-12 * c.mag[i] + 1e-300 ||
                e32 > 1e-7 * c.mag[i] + 1e-300) {
                CHECK(0, "%s: out[%zu]: ref %.17g (float %.9g), naive %.17g",
                      ds, i, c.ref[i], got[i], want[i]);
                break;
            }
        }
        free(want);
        free(got);
        ref_case_free(&c);
    }
    for (int f = 0; f < F_COUNT; f++)
        CHECK(seen[f] >= 5, "feature '%s' met only %d times in %d cases",
              feature_names[f], seen[f], N);
    return check_exit("test_ref");
}
