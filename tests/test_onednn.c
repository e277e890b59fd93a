/*
 * test_onednn.c - oneDNN and vconv compute the same thing: on every problem
 * of the shapes files given (at mb = 2, with bias and ReLU, as the bench
 * runs them), vconv's dispatched choice and every way the bench builds
 * oneDNN (its own layouts; NCHW with reorders; NCHW plain; algorithm auto
 * and, where oneDNN accepts it, winograd) must agree within a tolerance
 * relative to the output's scale (max |y| of the problem):
 *   max |y_onednn - y_vconv| / max |y_vconv| <= 1e-4 (5e-4 for Winograd).
 * Random data in N(0, 1) make a wrong index, a missing bias or ReLU, a
 * wrong padding or group an error of order 1, far above these bounds.
 * When the bench is built with XNNPACK, its NHWC peer is checked the same
 * way (input converted to NHWC, output back to NCHW).
 *   test_onednn [--mb N] SHAPES_FILE...
 */
#include "common.h"
#include "onednn.h"
#ifdef VCONV_HAVE_XNNPACK
#include "xnnpack_peer.h"
#endif

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_problem(const bench_problem *bp, int mb, uint64_t seed,
                         int *built, int *refused)
{
    vconv_conv_desc d = bp->d;
    d.batch = mb;
    d.activation = VCONV_ACT_RELU;
    d.layout = VCONV_NCHW;
    vconv_problem p;
    if (vconv_problem_init(&d, &p) != VCONV_OK) {
        printf("FAIL %s: %s\n", bp->name, vconv_last_error());
        return 1;
    }
    p.threads = 2;
    size_t ns = vconv_src_elems(&p), nw = vconv_wei_elems(&p);
    size_t nd = vconv_dst_elems(&p);
    float *src = malloc(ns * sizeof(float)), *w = malloc(nw * sizeof(float));
    float *b = malloc((size_t)p.oc * sizeof(float));
    float *yv = malloc(nd * sizeof(float)), *yd = malloc(nd * sizeof(float));
    int fails = 0;
    if (!src || !w || !b || !yv || !yd) {
        printf("FAIL %s: out of memory\n", bp->name);
        fails = 1;
        goto out;
    }
    test_rng r = {seed};
    fill_normal(&r, src, ns);
    fill_normal(&r, w, nw);
    fill_normal(&r, b, (size_t)p.oc);

    vconv_options o = {.threads = 2, .tune = -1};
    vconv_conv *plan;
    if (vconv_conv_create(&d, w, b, &o, &plan) != VCONV_OK) {
        printf("FAIL %s: vconv create: %s\n", bp->name, vconv_last_error());
        fails = 1;
        goto out;
    }
    vconv_status s = vconv_conv_run(plan, src, yv);
    const char *vimpl = vconv_conv_impl_name(plan);
    char vname[64];
    snprintf(vname, sizeof vname, "%s", vimpl);
    vconv_conv_destroy(plan);
    if (s != VCONV_OK) {
        printf("FAIL %s: vconv run: %s\n", bp->name, vconv_last_error());
        fails = 1;
        goto out;
    }
    double scale = 0;
    size_t pos = 0, zero = 0;
    for (size_t i = 0; i < nd; i++) {
        scale = fmax(scale, fabs(yv[i]));
        pos += yv[i] > 0;
        zero += yv[i] == 0;
    }
    /* the data must exercise ReLU both ways, or the check proves less */
    if (scale <= 0 || pos == 0 || zero == 0) {
        printf("FAIL %s: degenerate output (max %g, %zu positive, %zu zero "
               "of %zu)\n",
               bp->name, scale, pos, zero, nd);
        fails = 1;
        goto out;
    }
    static const struct {
        onednn_mode mode;
        onednn_fmt fmt;
        const char *name;
    } modes[] = {{ONEDNN_BLOCKED, ONEDNN_FMT_ANY, "onednn"},
                 {ONEDNN_NCHW, ONEDNN_FMT_ANY, "onednn_nchw(any)"},
                 {ONEDNN_NCHW, ONEDNN_FMT_PLAIN, "onednn_nchw(plain)"}};
    for (int m = 0; m < 3; m++)
        for (int alg = 0; alg < 2; alg++) {
            char err[256];
            onednn_conv *c;
            int st = onednn_conv_create(&p, w, b, src, modes[m].mode,
                                        (onednn_alg)alg, modes[m].fmt, &c,
                                        err, sizeof err);
            if (st == 1 && alg == 1) {
                (*refused)++;
                continue;
            }
            if (st != 0) {
                printf("FAIL %s: %s alg %d: %s\n", bp->name, modes[m].name,
                       alg, err);
                fails++;
                continue;
            }
            (*built)++;
            for (size_t i = 0; i < nd; i++)
                yd[i] = NAN;
            if (onednn_conv_run(c, src, yd) != 0 ||
                onednn_conv_output(c, yd) != 0) {
                printf("FAIL %s: %s: run failed\n", bp->name, modes[m].name);
                fails++;
                onednn_conv_destroy(c);
                continue;
            }
            double worst = 0;
            size_t at = 0;
            for (size_t i = 0; i < nd; i++) {
                double e = fabs((double)yd[i] - yv[i]);
                if (!(e <= worst)) { /* NaN lands here too */
                    worst = isnan(e) ? INFINITY : e;
                    at = i;
                }
            }
            double rel = worst / scale;
            double tol = alg == 1 ? 5e-4 : 1e-4;
            if (!(rel <= tol)) {
                printf("FAIL %s: %s %s [%s] vs vconv %s: dst[%zu] %.7g vs "
                       "%.7g: %.3g of the output scale %.3g > %.1g\n",
                       bp->name, modes[m].name, onednn_conv_impl(c),
                       onednn_conv_detail(c), vname, at, yd[at], yv[at], rel,
                       scale, tol);
                fails++;
            } else if (getenv("TEST_VERBOSE")) {
                printf("ok   %s: %s %s vs %s: %.2g\n", bp->name,
                       modes[m].name, onednn_conv_impl(c), vname, rel);
            }
            onednn_conv_destroy(c);
        }
#ifdef VCONV_HAVE_XNNPACK
    {
        char err[256];
        xnnpack_conv *x;
        float *sn = malloc(ns * sizeof(float)), *dn = malloc(nd * sizeof(float));
        int st = sn && dn ? xnnpack_conv_create(&p, w, b, 2, &x, err, sizeof err)
                          : -1;
        if (st != 0) {
            printf("FAIL %s: xnnpack: %s\n", bp->name,
                   sn && dn ? err : "out of memory");
            fails++;
        } else {
            int hw = p.ih * p.iw, ohw = p.oh * p.ow;
            for (int n = 0; n < p.mb; n++)
                for (int ch = 0; ch < p.ic; ch++)
                    for (int j = 0; j < hw; j++)
                        sn[((size_t)n * hw + j) * p.ic + ch] =
                            src[((size_t)n * p.ic + ch) * hw + j];
            for (size_t i = 0; i < nd; i++)
                dn[i] = NAN;
            (*built)++;
            if (xnnpack_conv_run(x, sn, dn) != 0) {
                printf("FAIL %s: xnnpack run failed\n", bp->name);
                fails++;
            } else {
                double worst = 0;
                for (int n = 0; n < p.mb; n++)
                    for (int o = 0; o < p.oc; o++)
                        for (int j = 0; j < ohw; j++) {
                            size_t a = ((size_t)n * p.oc + o) * ohw + j;
                            double e = fabs((double)dn[((size_t)n * ohw + j) *
                                                           p.oc + o] - yv[a]);
                            if (!(e <= worst))
                                worst = isnan(e) ? INFINITY : e;
                        }
                if (!(worst / scale <= 1e-4)) {
                    printf("FAIL %s: xnnpack vs vconv %s: %.3g of the output "
                           "scale %.3g\n",
                           bp->name, vname, worst / scale, scale);
                    fails++;
                }
            }
            xnnpack_conv_destroy(x);
        }
        free(sn);
        free(dn);
    }
#endif
out:
    free(src);
    free(w);
    free(b);
    free(yv);
    free(yd);
    return fails;
}

int main(int argc, char **argv)
{
    int mb = 2, fails = 0, problems = 0, built = 0, refused = 0;
    char err[512];
    if (onednn_init(2, err, sizeof err) != 0) {
        printf("FAIL %s\n", err);
        return 1;
    }
#ifdef VCONV_HAVE_XNNPACK
    if (xnnpack_init(err, sizeof err) != 0) {
        printf("FAIL %s\n", err);
        return 1;
    }
#endif
    int files = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--mb") && i + 1 < argc) {
            mb = atoi(argv[++i]);
            continue;
        }
        bench_problem *ps;
        int n;
        if (bench_shapes_read(argv[i], &ps, &n, err, sizeof err) != 0) {
            printf("FAIL %s\n", err);
            fails++;
            continue;
        }
        files++;
        for (int k = 0; k < n; k++) {
            fails += check_problem(&ps[k], mb, 1000u + (uint64_t)problems,
                                   &built, &refused);
            problems++;
        }
        free(ps);
    }
    onednn_finish();
#ifdef VCONV_HAVE_XNNPACK
    xnnpack_finish();
#endif
    if (files == 0 || problems == 0) {
        printf("FAIL no problems (give shapes files)\n");
        return 1;
    }
    printf("%d problems at mb=%d from %d files: %d oneDNN primitives "
           "(and XNNPACK when built) checked against vconv (%d winograd refusals), %d failures\n",
           problems, mb, files, built, refused, fails);
    return fails ? 1 : 0;
}
