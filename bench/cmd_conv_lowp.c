/*
 * cmd_conv_lowp.c - `vconv-bench conv --dtype int8|bf16`: vconv's
 * low-precision convolution beside oneDNN's on the same quantization
 * parameters (bench/onednn_q.h), and beside vconv's own float32 on the
 * same layer, in one process: every competitor warmed up, then samples
 * interleaved (bench_measure), medians, ratios.
 *
 * Per layer: random data from a fixed seed. int8: u8 src (zero point 128,
 * scale 0.05), s8 weights over their whole range with per-output-channel
 * scales, s32 bias, u8 dst (zero point 5, the scale set so that the
 * outputs spread over about +-64 levels), ReLU unless --no-relu. bf16:
 * N(0,1) values rounded to bf16, f32 bias, bf16 dst. The outputs of vconv
 * and oneDNN are compared (int8: how many differ and by how much: the two
 * round the same products the same way but may differ by one on ties;
 * bf16: the largest relative difference). GOP/s counts
 * 2 * mb * oc * oh * ow * icg * kh * kw, as the float32 bench does.
 */
#define _POSIX_C_SOURCE 200809L
#include "commands.h"
#include "nets.h"
#include "timing.h"
#include "../core/internal.h"
#include "../dispatch/cpu.h"
#include "../kernels/qconv/qconv.h"
#ifdef VCONV_HAVE_ONEDNN
#include "onednn_q.h"
#endif

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const vconv_conv *plan;
    const void *src;
    void *dst;
    int f32;
} vc_ctx;

static void vc_call(void *p)
{
    vc_ctx *c = p;
    if (c->f32)
        vconv_conv_run(c->plan, c->src, c->dst);
    else
        vconv_conv_run_q(c->plan, c->src, c->dst);
}

#ifdef VCONV_HAVE_ONEDNN
typedef struct {
    onednn_qconv *c;
    const void *src;
    void *dst;
} dn_ctx;

static void dn_call(void *p)
{
    dn_ctx *c = p;
    onednn_qconv_run(c->c, c->src, c->dst);
}
#endif

static uint64_t mix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static double unit(uint64_t *s) { return (double)(mix(s) >> 11) * 0x1p-53; }

static double normal(uint64_t *s)
{
    double u = unit(s) + 1e-300, v = unit(s);
    return sqrt(-2 * log(u)) * cos(6.283185307179586 * v);
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: vconv-bench conv --dtype int8|bf16 (--net NAME[,NAME..]|all"
            " | --desc DESC)...\n"
            "                         [--mb N] [--threads N] [--layout "
            "nhwc|nchw] [--impl NAME]\n"
            "                         [--no-relu] [--no-f32] [--quick]\n"
            "  vconv's int8 / bf16 convolution beside oneDNN's on the same "
            "quantization\n"
            "  parameters and beside vconv's float32 (auto) on the same "
            "layer; NHWC by\n"
            "  default (the int8 layout of both libraries).\n");
}

typedef struct {
    bench_problem bp;
    char net[32];
} lp_case;

static int add_net(lp_case **cs, int *n, const net_def *nd)
{
    bench_problem ps[64];
    if (nd->nlayers > 64)
        return -1;
    int k = net_conv_problems(nd, ps);
    lp_case *c = realloc(*cs, (size_t)(*n + k) * sizeof *c);
    if (!c)
        return -1;
    *cs = c;
    for (int i = 0; i < k; i++) {
        c[*n].bp = ps[i];
        snprintf(c[*n].net, sizeof c[*n].net, "%s", nd->name);
        (*n)++;
    }
    return 0;
}

int cmd_conv_lowp(int argc, char **argv)
{
    int threads = 1, mb = 0, relu = 1, quick = 0, with_f32 = 1, int8 = -1;
    vconv_layout layout = VCONV_NHWC;
    const char *impl = NULL;
    lp_case *cs = NULL;
    int ncs = 0;
    char err[1024];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            free(cs);
            return 0;
        } else if ((!strcmp(a, "--dtype") && v) ||
                   !strncmp(a, "--dtype=", 8)) {
            const char *t = a[7] == '=' ? a + 8 : v;
            int8 = !strcmp(t, "int8") ? 1 : !strcmp(t, "bf16") ? 0 : -1;
            if (int8 < 0) {
                fprintf(stderr, "vconv-bench conv: --dtype %s is not int8, "
                                "bf16 or f32\n", t);
                free(cs);
                return 2;
            }
            i += a[7] != '=';
        } else if (!strcmp(a, "--net") && v) {
            char list[512];
            snprintf(list, sizeof list, "%s", v);
            for (char *t = strtok(list, ","); t; t = strtok(NULL, ",")) {
                if (!strcmp(t, "all")) {
                    for (int k = 0; k < net_count(); k++)
                        add_net(&cs, &ncs, net_at(k));
                } else if (net_find(t)) {
                    add_net(&cs, &ncs, net_find(t));
                } else {
                    fprintf(stderr, "vconv-bench conv: unknown network "
                                    "'%s'\n", t);
                    free(cs);
                    return 2;
                }
            }
            i++;
        } else if (!strcmp(a, "--desc") && v) {
            lp_case *c = realloc(cs, (size_t)(ncs + 1) * sizeof *c);
            if (!c || bench_desc_parse(v, &c[ncs].bp, err, sizeof err)) {
                fprintf(stderr, "vconv-bench conv: --desc: %s\n",
                        c ? err : "out of memory");
                free(c ? c : cs);
                return 2;
            }
            cs = c;
            snprintf(cs[ncs].net, sizeof cs[ncs].net, "custom");
            ncs++;
            i++;
        } else if (!strcmp(a, "--mb") && v) {
            mb = atoi(v);
            i++;
        } else if (!strcmp(a, "--threads") && v) {
            threads = atoi(v);
            i++;
        } else if (!strcmp(a, "--layout") && v) {
            layout = !strcmp(v, "nchw") ? VCONV_NCHW : VCONV_NHWC;
            i++;
        } else if (!strcmp(a, "--impl") && v) {
            impl = v;
            i++;
        } else if (!strcmp(a, "--no-relu")) {
            relu = 0;
        } else if (!strcmp(a, "--no-f32")) {
            with_f32 = 0;
        } else if (!strcmp(a, "--quick")) {
            quick = 1;
        } else {
            fprintf(stderr, "vconv-bench conv --dtype: unknown or incomplete "
                            "option '%s'\n", a);
            usage(stderr);
            free(cs);
            return 2;
        }
    }
    if (int8 < 0 || ncs == 0 || threads < 1) {
        usage(stderr);
        free(cs);
        return 2;
    }
    const double warm = quick ? 0.05 : 0.2, sample = quick ? 0.02 : 0.05;
    const int samples = quick ? 5 : 15;
    printf("vconv-bench conv --dtype %s: cpu %s, threads %d, %s, %s, %s "
           "timings (%d interleaved samples, medians)\n",
           int8 ? "int8" : "bf16", vconv_cpu_model(), threads,
           layout == VCONV_NHWC ? "nhwc" : "nchw",
           relu ? "relu" : "no relu", quick ? "quick" : "full", samples);
    printf("f32: vconv's float32 (auto) on the same layer, the faster of "
           "its NCHW and NHWC plans\n");
    printf("%-22s %9s %-22s %9s %-26s %7s %14s %7s  %s\n", "layer",
           int8 ? "GOP/s" : "GFLOP/s", "vconv impl", "oneDNN", "oneDNN impl",
           "vc/dnn", "f32", "vs f32", "agreement (vconv vs oneDNN)");
    double lg_dnn = 0, lg_f32 = 0;
    int n_dnn = 0, n_f32 = 0, n_ge1 = 0, rc = 0;
    for (int li = 0; li < ncs; li++) {
        vconv_conv_desc d = cs[li].bp.d;
        if (mb > 0)
            d.batch = mb;
        d.layout = layout;
        d.activation = relu ? VCONV_ACT_RELU : VCONV_ACT_NONE;
        vconv_problem p;
        if (vconv_problem_init(&d, &p) != VCONV_OK) {
            fprintf(stderr, "%s: %s\n", cs[li].bp.name, vconv_last_error());
            rc = 1;
            continue;
        }
        const size_t ns = vconv_src_elems(&p), nw = vconv_wei_elems(&p);
        const size_t nd = vconv_dst_elems(&p);
        const double k = (double)p.icg * p.kh * p.kw;
        uint64_t seed = 42 + (uint64_t)li;
        vconv_conv_desc q = d;
        float *wsc = malloc((size_t)p.oc * 4);
        void *w, *src, *bias, *dst = NULL, *dst2 = NULL;
        if (int8) {
            q.src_type = VCONV_U8;
            q.dst_type = VCONV_U8;
            q.src_scale = 0.05f;
            q.src_zero_point = 128;
            q.dst_zero_point = 5;
            /* |x - zp| ~ 74 and |w| ~ 74 on average: the accumulator's
               spread is about sqrt(K) * 74 * 74 * 0.6 */
            q.dst_scale = (float)(0.05 * 0.01 * sqrt(k) * 74 * 74 * 0.6 / 64);
            w = malloc(nw);
            src = malloc(ns);
            bias = malloc((size_t)p.oc * 4);
            dst = malloc(nd);
            dst2 = malloc(nd);
            for (size_t i = 0; i < nw; i++)
                ((int8_t *)w)[i] = (int8_t)(mix(&seed) & 0xff);
            for (size_t i = 0; i < ns; i++)
                ((uint8_t *)src)[i] = (uint8_t)(mix(&seed) & 0xff);
            for (int o = 0; o < p.oc; o++) {
                wsc[o] = (float)(0.008 + 0.004 * unit(&seed));
                ((int32_t *)bias)[o] =
                    (int32_t)((unit(&seed) - 0.4) * sqrt(k) * 74 * 74);
            }
        } else {
            q.src_type = VCONV_BF16;
            q.dst_type = VCONV_BF16;
            w = malloc(nw * 2);
            src = malloc(ns * 2);
            bias = malloc((size_t)p.oc * 4);
            dst = malloc(nd * 2);
            dst2 = malloc(nd * 2);
            for (size_t i = 0; i < nw; i++)
                ((uint16_t *)w)[i] = vconv_f32_to_bf16((float)normal(&seed));
            for (size_t i = 0; i < ns; i++)
                ((uint16_t *)src)[i] = vconv_f32_to_bf16((float)normal(&seed));
            for (int o = 0; o < p.oc; o++)
                ((float *)bias)[o] = (float)normal(&seed);
        }
        /* float32 data for vconv's own float32 on the layer */
        float *wf = with_f32 ? malloc(nw * 4) : NULL;
        float *sf = with_f32 ? malloc(ns * 4) : NULL;
        float *bf = with_f32 ? malloc((size_t)p.oc * 4) : NULL;
        float *df = with_f32 ? malloc(nd * 4) : NULL;
        if (with_f32 && wf && sf && bf) {
            for (size_t i = 0; i < nw; i++)
                wf[i] = (float)normal(&seed);
            for (size_t i = 0; i < ns; i++)
                sf[i] = (float)normal(&seed);
            for (int o = 0; o < p.oc; o++)
                bf[o] = (float)normal(&seed);
        }
        vconv_options o = {.threads = threads, .impl = impl};
        vconv_conv *vq = NULL, *vf = NULL;
        if (vconv_conv_create_q(&q, w, int8 ? wsc : NULL, bias, &o, &vq) !=
            VCONV_OK) {
            fprintf(stderr, "%s: vconv: %s\n", cs[li].bp.name,
                    vconv_last_error());
            rc = 1;
        }
        /* vconv's float32 at its best: auto, in either layout */
        vconv_options of = {.threads = threads};
        vconv_conv *vf2 = NULL;
        vconv_conv_desc d2 = d;
        d2.layout = d.layout == VCONV_NHWC ? VCONV_NCHW : VCONV_NHWC;
        if (vq && with_f32 &&
            (vconv_conv_create(&d, wf, bf, &of, &vf) != VCONV_OK ||
             vconv_conv_create(&d2, wf, bf, &of, &vf2) != VCONV_OK)) {
            fprintf(stderr, "%s: vconv f32: %s\n", cs[li].bp.name,
                    vconv_last_error());
            vconv_conv_destroy(vf);
            vf = NULL;
        }
        bench_competitor comp[4];
        bench_timing t[4];
        int nc = 0, i_dnn = -1, i_f32 = -1;
        vc_ctx cq = {vq, src, dst, 0}, cf = {vf, sf, df, 1};
        vc_ctx cf2 = {vf2, sf, df, 1};
        if (vq)
            comp[nc++] = (bench_competitor){vc_call, &cq};
        char dn_impl[128] = "-", agree[96] = "-";
#ifdef VCONV_HAVE_ONEDNN
        onednn_qconv *dq = NULL;
        dn_ctx cd = {NULL, src, dst2};
        p.threads = threads;
        vconv_problem pq;
        vconv_problem_init(&q, &pq);
        int dr = vq ? onednn_qconv_create(&pq, w, wsc, bias, threads, &dq, err,
                                          sizeof err)
                    : -1;
        if (dr == 0) {
            cd.c = dq;
            snprintf(dn_impl, sizeof dn_impl, "%s", onednn_qconv_impl(dq));
            i_dnn = nc;
            comp[nc++] = (bench_competitor){dn_call, &cd};
        } else if (vq) {
            snprintf(dn_impl, sizeof dn_impl, "none: %.100s", err);
        }
#endif
        if (vf && vf2) {
            i_f32 = nc;
            comp[nc++] = (bench_competitor){vc_call, &cf};
            comp[nc++] = (bench_competitor){vc_call, &cf2};
        }
        if (nc > 0)
            bench_measure(comp, nc, samples, warm, sample, t);
        char f32l[8] = "";
        if (i_f32 >= 0) {
            bool other = t[i_f32 + 1].median < t[i_f32].median;
            snprintf(f32l, sizeof f32l, "%s",
                     (other ? d2.layout : d.layout) == VCONV_NHWC ? "nhwc"
                                                                  : "nchw");
            if (other)
                t[i_f32] = t[i_f32 + 1];
        }
#ifdef VCONV_HAVE_ONEDNN
        if (dq) {
            /* the last calls' outputs, compared */
            vconv_conv_run_q(vq, src, dst);
            onednn_qconv_run(dq, src, dst2);
            size_t diff = 0;
            double worst = 0;
            for (size_t i = 0; i < nd; i++) {
                double a, b;
                if (int8) {
                    a = ((uint8_t *)dst)[i];
                    b = ((uint8_t *)dst2)[i];
                } else {
                    a = vconv_bf16_to_f32(((uint16_t *)dst)[i]);
                    b = vconv_bf16_to_f32(((uint16_t *)dst2)[i]);
                }
                double e = fabs(a - b);
                if (!int8)
                    e /= fmax(fabs(b), 1.0);
                diff += e > 0;
                worst = fmax(worst, e);
            }
            /* the two round the same float products: only a tie may
               differ, by one */
            if (int8 && worst > 1) {
                fprintf(stderr, "%s: vconv and oneDNN differ by %g\n",
                        cs[li].bp.name, worst);
                rc = 1;
            }
            if (int8)
                snprintf(agree, sizeof agree, "%zu of %zu differ, max %g",
                         diff, nd, worst);
            else
                snprintf(agree, sizeof agree, "max rel diff %.2g", worst);
            onednn_qconv_destroy(dq);
        }
#endif
        const double ops = vconv_problem_flops(&p);
        if (vq) {
            double g = ops / t[0].median * 1e-9;
            char rdnn[16] = "-", rf32[16] = "-", sdnn[16] = "-", sf32[24] = "-";
            if (i_dnn >= 0) {
                double r = t[i_dnn].median / t[0].median;
                snprintf(sdnn, sizeof sdnn, "%.1f",
                         ops / t[i_dnn].median * 1e-9);
                snprintf(rdnn, sizeof rdnn, "%.2f", r);
                lg_dnn += log(r);
                n_dnn++;
                n_ge1 += r >= 1.0;
            }
            if (i_f32 >= 0) {
                double r = t[i_f32].median / t[0].median;
                snprintf(sf32, sizeof sf32, "%.1f %s",
                         ops / t[i_f32].median * 1e-9, f32l);
                snprintf(rf32, sizeof rf32, "%.2f", r);
                lg_f32 += log(r);
                n_f32++;
            }
            printf("%-22s %9.1f %-22s %9s %-26.26s %7s %14s %7s  %s\n",
                   cs[li].bp.name, g, vconv_conv_impl_name(vq), sdnn, dn_impl,
                   rdnn, sf32, rf32, agree);
            fflush(stdout);
        }
        vconv_conv_destroy(vq);
        vconv_conv_destroy(vf);
        vconv_conv_destroy(vf2);
        free(wsc);
        free(w);
        free(src);
        free(bias);
        free(dst);
        free(dst2);
        free(wf);
        free(sf);
        free(bf);
        free(df);
    }
    if (n_dnn)
        printf("geomean vconv / oneDNN: %.2fx over %d layers (%d at >= "
               "1.0x)\n",
               exp(lg_dnn / n_dnn), n_dnn, n_ge1);
    if (n_f32)
        printf("geomean vconv %s / vconv f32: %.2fx over %d layers\n",
               int8 ? "int8" : "bf16", exp(lg_f32 / n_f32), n_f32);
#ifdef VCONV_HAVE_ONEDNN
    onednn_qconv_finish();
#endif
    free(cs);
    return rc;
}
