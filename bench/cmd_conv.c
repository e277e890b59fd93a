/*
 * cmd_conv.c - `vconv-bench conv`: every vconv implementation beside oneDNN
 * (and XNNPACK, when built with it) on convolution problems, as a table, as
 * JSON and as CSV.
 *
 * How the competitors of one problem are measured, interleaved, under
 * Google Benchmark (which runs one benchmark to completion before the
 * next):
 *
 *   One Google Benchmark benchmark per problem ("conv/alexnet:conv1"),
 *   registered through the C shim (gbench_shim.h) with manual time. Its
 *   body, on its first call, sets the problem up: one set of input buffers
 *   (src, weights, bias; seeded random) shared by every competitor, the
 *   reference on the first and last image, every competitor's plan or
 *   primitive; then each competitor runs once (its output is checked
 *   against the reference: the error column), is warmed up (warmup_s) and
 *   given the number of calls that makes one sample last about sample_s.
 *   Then every iteration of the benchmark loop is one ROUND: each
 *   competitor in turn takes one sample (its calls, timed, divided by the
 *   count), the starting competitor rotating from one round to the next so
 *   that none always runs first; the round's total time is the iteration's
 *   manual time. Slow drifts of clock or load thus hit every competitor
 *   alike. Google Benchmark grows the number of rounds until
 *   --benchmark_min_time of measured time is reached (calling the body
 *   again with more iterations; the setup is kept); the figures reported
 *   are the median, min and max over the rounds of the last call, set as
 *   per-competitor counters of the benchmark ("auto:ms", "onednn:GFLOP/s",
 *   ...) and kept for this command's own table, JSON and CSV. The
 *   benchmark's own "time" is that of a whole round. A problem's buffers
 *   are freed when the next problem starts. --benchmark_filter selects
 *   problems, --benchmark_min_time sets the measured time per problem,
 *   --benchmark_repetitions repeats (the last repetition is kept here; all
 *   go to --benchmark_out), --benchmark_format=json|csv prints Google
 *   Benchmark's report on stdout (this command's table then goes to
 *   stderr), --benchmark_out=FILE writes it to a file.
 */
#define _POSIX_C_SOURCE 200809L
#include "commands.h"
#include "conv_bench.h"
#include "gbench_shim.h"
#include "nets.h"
#include "peak.h"
#include "../dispatch/cpu.h"
#include "../dispatch/topology.h"
#include "../kernels/ref/ref.h"
#ifdef VCONV_HAVE_ONEDNN
#include "onednn.h"
#endif
#ifdef VCONV_HAVE_XNNPACK
#include "xnnpack_peer.h"
#endif

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef VCONV_SHAPES_DIR
#define VCONV_SHAPES_DIR "bench/shapes"
#endif

/* ------------------------------------------------------- live competitors */

typedef struct {
    int idx;              /* into run->comp and case->res */
    comp_kind kind;
    vconv_conv *plan;
#ifdef VCONV_HAVE_ONEDNN
    onednn_conv *dn;
#endif
#ifdef VCONV_HAVE_XNNPACK
    xnnpack_conv *xn;
#endif
    const float *src;
    float *dst;
    long calls;           /* per sample */
    int failed;           /* a call returned an error */
} live_comp;

struct conv_live {
    float *src, *w, *b, *dst;
    float *src_nhwc, *dst_nhwc;   /* XNNPACK's */
    double *ref, *mag;            /* reference images img[0..nimg) */
    int nimg, img[2];
    live_comp lc[CONV_MAX_COMP];
    int n;
};

static void call_comp(void *ctx)
{
    live_comp *l = ctx;
    int bad = 0;
    switch (l->kind) {
    case COMP_VCONV:
        bad = vconv_conv_run(l->plan, l->src, l->dst) != VCONV_OK;
        break;
#ifdef VCONV_HAVE_ONEDNN
    case COMP_ONEDNN:
    case COMP_ONEDNN_NCHW:
        bad = onednn_conv_run(l->dn, l->src, l->dst) != 0;
        break;
#endif
#ifdef VCONV_HAVE_XNNPACK
    case COMP_XNNPACK:
        bad = xnnpack_conv_run(l->xn, l->src, l->dst) != 0;
        break;
#endif
    default:
        bad = 1;
    }
    if (bad)
        l->failed = 1;
}

/* ----------------------------------------------------------------- data */

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* uniform in [-1, 1) */
static void fill(float *x, size_t n, uint64_t seed)
{
    uint64_t s = seed;
    for (size_t i = 0; i < n; i++)
        x[i] = (float)((double)(splitmix(&s) >> 11) * (2.0 / 9007199254740992.0) -
                       1.0);
}

static void live_free(struct conv_live *L)
{
    if (!L)
        return;
    for (int i = 0; i < L->n; i++) {
        vconv_conv_destroy(L->lc[i].plan);
#ifdef VCONV_HAVE_ONEDNN
        onednn_conv_destroy(L->lc[i].dn);
#endif
#ifdef VCONV_HAVE_XNNPACK
        xnnpack_conv_destroy(L->lc[i].xn);
#endif
    }
    free(L->src);
    free(L->w);
    free(L->b);
    free(L->dst);
    free(L->src_nhwc);
    free(L->dst_nhwc);
    free(L->ref);
    free(L->mag);
    free(L);
}

/* The reference on images img[] (the first and the last of the batch):
   the double result and mag = sum |x w| + |b| per output, the scale float
   rounding acts on (tests/common.c's measure), in one pass of kernels/ref. */
static int make_reference(const conv_run *r, conv_case *c,
                          struct conv_live *L)
{
    const vconv_problem *p = &c->p;
    L->nimg = p->mb > 1 ? 2 : 1;
    L->img[0] = 0;
    L->img[1] = p->mb - 1;
    size_t img_src = (size_t)p->ic * p->ih * p->iw;
    size_t img_dst = (size_t)p->oc * p->oh * p->ow;
    float *s = malloc((size_t)L->nimg * img_src * sizeof(float));
    L->ref = malloc((size_t)L->nimg * img_dst * sizeof(double));
    L->mag = malloc((size_t)L->nimg * img_dst * sizeof(double));
    int ok = s && L->ref && L->mag;
    if (ok) {
        for (int k = 0; k < L->nimg; k++)
            memcpy(s + (size_t)k * img_src, L->src + (size_t)L->img[k] * img_src,
                   img_src * sizeof(float));
        vconv_problem q = *p;
        q.mb = L->nimg;
        q.threads = r->cores > r->threads ? r->cores : r->threads;
        vconv_ref_conv(&q, L->w, L->b, s, NULL, L->ref, L->mag);
    }
    free(s);
    return ok ? 0 : -1;
}

/* max |y - ref| / mag over the reference images of dst (NCHW). */
static double error_of(const conv_case *c, const struct conv_live *L,
                       const float *dst)
{
    const vconv_problem *p = &c->p;
    size_t img_dst = (size_t)p->oc * p->oh * p->ow;
    double worst = 0;
    for (int k = 0; k < L->nimg; k++) {
        const float *y = dst + (size_t)L->img[k] * img_dst;
        const double *ref = L->ref + (size_t)k * img_dst;
        const double *mag = L->mag + (size_t)k * img_dst;
        for (size_t i = 0; i < img_dst; i++) {
            double e = fabs((double)y[i] - ref[i]);
            if (isnan(y[i]) || isinf(y[i]))
                return INFINITY;
            double rel = mag[i] > 0 ? e / mag[i] : (e > 0 ? INFINITY : 0);
            if (rel > worst)
                worst = rel;
        }
    }
    return worst;
}

#ifdef VCONV_HAVE_XNNPACK
/* NCHW <-> NHWC for the NHWC peer (outside the timed region). */
static void nchw_to_nhwc(const float *a, float *b, int n, int c, int hw)
{
    for (int i = 0; i < n; i++)
        for (int k = 0; k < c; k++)
            for (int j = 0; j < hw; j++)
                b[((size_t)i * hw + j) * c + k] = a[((size_t)i * c + k) * hw + j];
}

static void nhwc_to_nchw(const float *a, float *b, int n, int c, int hw)
{
    for (int i = 0; i < n; i++)
        for (int k = 0; k < c; k++)
            for (int j = 0; j < hw; j++)
                b[((size_t)i * c + k) * hw + j] = a[((size_t)i * hw + j) * c + k];
}
#endif

/* ---------------------------------------------------- building competitors */

static void set_why(conv_result *res, res_state st, const char *fmt,
                    const char *a, const char *b)
{
    res->state = st;
    snprintf(res->why, sizeof res->why, fmt, a, b);
}

static vconv_isa isa_of_impl(const char *name)
{
    for (int i = 0; i < vconv_impl_count(); i++) {
        vconv_impl_info info;
        if (vconv_impl_get(i, &info) == VCONV_OK && !strcmp(info.name, name))
            return info.isa;
    }
    return VCONV_ISA_SCALAR;
}

static int setup_vconv(const conv_run *r, conv_case *c, struct conv_live *L,
                       live_comp *l)
{
    conv_result *res = &c->res[l->idx];
    const char *label = r->comp[l->idx].label;
    vconv_conv_desc d = c->bp.d;
    vconv_options o = {.threads = r->threads, .tune = -1};
    if (strcmp(label, "auto") != 0)
        o.impl = label;
    vconv_status s = vconv_conv_create(&d, L->w, L->b, &o, &l->plan);
    if (s == VCONV_ERR_UNSUPPORTED) {
        set_why(res, RES_SKIPPED, "%s%s", vconv_last_error(), "");
        return -1;
    }
    if (s != VCONV_OK) {
        set_why(res, RES_FAILED, "create: %s: %s", vconv_status_str(s),
                vconv_last_error());
        return -1;
    }
    snprintf(res->impl, sizeof res->impl, "%s", vconv_conv_impl_name(l->plan));
    res->isa = isa_of_impl(res->impl);
    l->src = L->src;
    l->dst = L->dst;
    return 0;
}

#ifdef VCONV_HAVE_ONEDNN
/* Builds the oneDNN candidates of the mode (algorithm auto and winograd;
   in NCHW mode also on plain NCHW src / dst), times them briefly,
   interleaved, and keeps the fastest: oneDNN's figure. */
static int setup_onednn(const conv_run *r, conv_case *c, struct conv_live *L,
                        live_comp *l)
{
    conv_result *res = &c->res[l->idx];
    onednn_mode mode = r->comp[l->idx].kind == COMP_ONEDNN ? ONEDNN_BLOCKED
                                                           : ONEDNN_NCHW;
    onednn_conv *cand[4];
    int n = 0;
    char notes[384] = "", err[256];
    size_t nl = 0;
    for (int alg = 0; alg < 2; alg++)
        for (int fmt = 0; fmt < (mode == ONEDNN_NCHW ? 2 : 1); fmt++) {
            onednn_conv *dc;
            int s = onednn_conv_create(&c->p, L->w, L->b, L->src, mode,
                                       (onednn_alg)alg, (onednn_fmt)fmt, &dc,
                                       err, sizeof err);
            if (s == 0) {
                cand[n++] = dc;
            } else if (s < 0 || alg == 0) {
                /* the auto algorithm should always build */
                for (int i = 0; i < n; i++)
                    onednn_conv_destroy(cand[i]);
                set_why(res, RES_FAILED, "%s%s", err, "");
                return -1;
            } else if (fmt == 0 && nl < sizeof notes) {
                int w = snprintf(notes + nl, sizeof notes - nl,
                                 "%swinograd: not supported", nl ? "; " : "");
                nl += w > 0 ? (size_t)w : 0;
            }
        }
    int best = 0;
    if (n > 1) {
        live_comp tmp[4];
        bench_competitor bc[4];
        bench_timing t[4];
        for (int i = 0; i < n; i++) {
            tmp[i] = (live_comp){.kind = r->comp[l->idx].kind, .dn = cand[i],
                                 .src = L->src, .dst = L->dst};
            bc[i] = (bench_competitor){call_comp, &tmp[i]};
        }
        bench_measure(bc, n, r->quick ? 3 : 5, r->warmup_s / 2,
                      r->sample_s, t);
        for (int i = 1; i < n; i++)
            if (t[i].median < t[best].median)
                best = i;
        for (int i = 0; i < n && nl < sizeof notes; i++) {
            int w = snprintf(notes + nl, sizeof notes - nl,
                             "%s%s [%s] %.4g ms",
                             i ? ", " : (nl ? "; tried: " : "tried: "),
                             onednn_conv_impl(cand[i]),
                             onednn_conv_detail(cand[i]), t[i].median * 1e3);
            nl += w > 0 ? (size_t)w : 0;
        }
    }
    for (int i = 0; i < n; i++)
        if (i != best)
            onednn_conv_destroy(cand[i]);
    l->dn = cand[best];
    snprintf(res->impl, sizeof res->impl, "%s", onednn_conv_impl(l->dn));
    snprintf(res->detail, sizeof res->detail, "%s%s%s",
             onednn_conv_detail(l->dn), notes[0] ? "; " : "", notes);
    res->isa = onednn_isa();
    l->src = L->src;
    l->dst = L->dst;
    return 0;
}
#endif

#ifdef VCONV_HAVE_XNNPACK
static int setup_xnnpack(const conv_run *r, conv_case *c, struct conv_live *L,
                         live_comp *l)
{
    conv_result *res = &c->res[l->idx];
    char err[256];
    const vconv_problem *p = &c->p;
    if (!L->src_nhwc) {
        L->src_nhwc = malloc(vconv_src_elems(p) * sizeof(float));
        L->dst_nhwc = malloc(vconv_dst_elems(p) * sizeof(float));
        if (!L->src_nhwc || !L->dst_nhwc) {
            set_why(res, RES_FAILED, "%s%s", "out of memory", "");
            return -1;
        }
        nchw_to_nhwc(L->src, L->src_nhwc, p->mb, p->ic, p->ih * p->iw);
    }
    int s = xnnpack_conv_create(p, L->w, L->b, r->threads, &l->xn, err,
                                sizeof err);
    if (s != 0) {
        set_why(res, s > 0 ? RES_SKIPPED : RES_FAILED, "%s%s", err, "");
        return -1;
    }
    snprintf(res->impl, sizeof res->impl, "%s", xnnpack_conv_impl(l->xn));
    snprintf(res->detail, sizeof res->detail, "NHWC src and dst");
    res->isa = r->best_isa;
    l->src = L->src_nhwc;
    l->dst = L->dst_nhwc;
    return 0;
}
#endif

/* The output of competitor l's last run, in NCHW, in L->dst. */
static int output_nchw(const conv_case *c, struct conv_live *L, live_comp *l)
{
    (void)c; /* used only by some peers */
    (void)L;
    switch (l->kind) {
#ifdef VCONV_HAVE_ONEDNN
    case COMP_ONEDNN:
        return onednn_conv_output(l->dn, L->dst);
#endif
#ifdef VCONV_HAVE_XNNPACK
    case COMP_XNNPACK:
        nhwc_to_nchw(L->dst_nhwc, L->dst, c->p.mb, c->p.oc, c->p.oh * c->p.ow);
        return 0;
#endif
    default:
        return 0;
    }
}

static conv_case *active;   /* the problem whose buffers are held */

static int setup_case(const conv_run *r, conv_case *c, int index)
{
    const vconv_problem *p = &c->p;
    fprintf(stderr, "[%d/%d] %s: %s\n", index + 1, r->ncases, c->label,
            c->desc);
    struct conv_live *L = calloc(1, sizeof *L);
    if (!L)
        return -1;
    size_t ns = vconv_src_elems(p), nw = vconv_wei_elems(p);
    size_t nd = vconv_dst_elems(p);
    L->src = malloc(ns * sizeof(float));
    L->w = malloc(nw * sizeof(float));
    L->b = malloc((size_t)p->oc * sizeof(float));
    L->dst = malloc(nd * sizeof(float));
    if (!L->src || !L->w || !L->b || !L->dst) {
        live_free(L);
        return -1;
    }
    uint64_t seed = 0x5eed0000ull + (uint64_t)index;
    fill(L->src, ns, seed * 3 + 1);
    fill(L->w, nw, seed * 3 + 2);
    fill(L->b, (size_t)p->oc, seed * 3 + 3);
    if (make_reference(r, c, L) != 0) {
        live_free(L);
        return -1;
    }
    for (int i = 0; i < r->ncomp; i++) {
        live_comp *l = &L->lc[L->n];
        memset(l, 0, sizeof *l);
        l->idx = i;
        l->kind = r->comp[i].kind;
        conv_result *res = &c->res[i];
        memset(res, 0, sizeof *res);
        res->err = -1;
        int s = -1;
        switch (l->kind) {
        case COMP_VCONV: s = setup_vconv(r, c, L, l); break;
#ifdef VCONV_HAVE_ONEDNN
        case COMP_ONEDNN:
        case COMP_ONEDNN_NCHW: s = setup_onednn(r, c, L, l); break;
#endif
#ifdef VCONV_HAVE_XNNPACK
        case COMP_XNNPACK: s = setup_xnnpack(r, c, L, l); break;
#endif
        default: set_why(res, RES_FAILED, "%s%s", "not built in", "");
        }
        if (s != 0)
            continue;
        /* one run: the output against the reference */
        for (size_t k = 0; k < nd; k++)
            L->dst[k] = NAN;
        call_comp(l);
        if (l->failed || output_nchw(c, L, l) != 0) {
            set_why(res, RES_FAILED, "%s%s", "the first run failed", "");
            L->n++; /* freed with the others */
            l->calls = 0;
            continue;
        }
        res->err = error_of(c, L, L->dst);
        bench_competitor bc = {call_comp, l};
        l->calls = bench_calibrate(&bc, r->warmup_s, r->sample_s);
        res->state = l->failed ? RES_FAILED : RES_OK;
        if (l->failed)
            snprintf(res->why, sizeof res->why, "a run failed");
        L->n++;
    }
    c->live = L;
    return 0;
}

static void teardown_case(conv_case *c)
{
    if (c && c->live) {
        live_free(c->live);
        c->live = NULL;
    }
}

/* ----------------------------------------------------- the benchmark body */

typedef struct {
    conv_run *run;
    int index;
} case_ref;

static void set_counters(gbs_state *st, const conv_run *r, const conv_case *c)
{
    char name[96];
    for (int i = 0; i < r->ncomp; i++) {
        const conv_result *res = &c->res[i];
        if (res->state != RES_OK)
            continue;
        const char *lb = r->comp[i].label;
        snprintf(name, sizeof name, "%s:ms", lb);
        gbs_counter(st, name, res->t.median * 1e3, GBS_PLAIN);
        snprintf(name, sizeof name, "%s:GFLOP/s", lb);
        gbs_counter(st, name, res->gflops, GBS_PLAIN);
        snprintf(name, sizeof name, "%s:%%peak", lb);
        gbs_counter(st, name, res->pct_peak, GBS_PLAIN);
        if (r->i_onednn >= 0 && conv_ratio(c, i, r->i_onednn) > 0) {
            snprintf(name, sizeof name, "%s:x_onednn", lb);
            gbs_counter(st, name, conv_ratio(c, i, r->i_onednn), GBS_PLAIN);
        }
        if (r->i_nchw >= 0 && conv_ratio(c, i, r->i_nchw) > 0) {
            snprintf(name, sizeof name, "%s:x_onednn_nchw", lb);
            gbs_counter(st, name, conv_ratio(c, i, r->i_nchw), GBS_PLAIN);
        }
        if (res->err >= 0) {
            snprintf(name, sizeof name, "%s:err", lb);
            gbs_counter(st, name, res->err, GBS_PLAIN);
        }
    }
}

static void body(gbs_state *st, void *arg)
{
    case_ref *cr = arg;
    conv_run *r = cr->run;
    conv_case *c = &r->cases[cr->index];
    if (!c->live) {
        teardown_case(active);
        active = NULL;
        if (setup_case(r, c, cr->index) != 0) {
            gbs_skip_with_error(st, "out of memory setting the problem up");
            while (gbs_keep_running(st)) {
            }
            return;
        }
        active = c;
    }
    struct conv_live *L = c->live;
    live_comp *run[CONV_MAX_COMP];
    int n = 0;
    for (int i = 0; i < L->n; i++)
        if (c->res[L->lc[i].idx].state == RES_OK)
            run[n++] = &L->lc[i];
    if (n == 0) {
        gbs_skip_with_error(st, "no competitor runs this problem");
        while (gbs_keep_running(st)) {
        }
        return;
    }
    int64_t maxit = gbs_max_iterations(st);
    double *t = malloc((size_t)maxit * (size_t)n * sizeof(double));
    if (!t) {
        gbs_skip_with_error(st, "out of memory for the samples");
        while (gbs_keep_running(st)) {
        }
        return;
    }
    int64_t rounds = 0;
    while (gbs_keep_running(st)) {
        double total = 0;
        for (int k = 0; k < n; k++) {
            int i = (int)((k + rounds) % n);
            bench_competitor bc = {call_comp, run[i]};
            double per = bench_sample(&bc, run[i]->calls);
            gbs_clobber();
            t[(size_t)i * (size_t)maxit + (size_t)rounds] = per;
            total += per * (double)run[i]->calls;
        }
        gbs_set_iteration_time(st, total);
        rounds++;
    }
    for (int i = 0; i < n; i++) {
        conv_result *res = &c->res[run[i]->idx];
        bench_summarize(t + (size_t)i * (size_t)maxit, (int)rounds,
                        run[i]->calls, &res->t);
        if (run[i]->failed) {
            res->state = RES_FAILED;
            snprintf(res->why, sizeof res->why, "a timed run failed");
            continue;
        }
        res->gflops = res->t.median > 0 ? c->flops / res->t.median * 1e-9 : 0;
        double pk = conv_peak(r, res->isa, r->threads);
        res->pct_peak = pk > 0 ? 100 * res->gflops / pk : 0;
    }
    c->rounds = (int)rounds;
    free(t);
    set_counters(st, r, c);
    for (int i = 0; i < r->ncomp; i++)
        if (r->comp[i].kind == COMP_VCONV && !strcmp(r->comp[i].label, "auto") &&
            c->res[i].state == RES_OK) {
            char label[160];
            snprintf(label, sizeof label, "auto=%s", c->res[i].impl);
            gbs_set_label(st, label);
        }
}

/* ------------------------------------------------------- the command line */

static const char *default_peers(void)
{
#if defined(VCONV_HAVE_ONEDNN) && defined(VCONV_HAVE_XNNPACK)
    return "onednn,onednn_nchw,xnnpack";
#elif defined(VCONV_HAVE_ONEDNN)
    return "onednn,onednn_nchw";
#elif defined(VCONV_HAVE_XNNPACK)
    return "xnnpack";
#else
    return "none";
#endif
}

static void usage(FILE *f)
{
    fprintf(f,
        "usage: vconv-bench conv (--net NAME[,NAME..]|all | --shapes FILE |\n"
        "                         --desc DESC)... [options] [--benchmark_*]\n"
        "\n"
        "Times, interleaved in one process, vconv's dispatched choice "
        "('auto'), any\nforced vconv implementations, and oneDNN on its own "
        "layouts ('onednn') and on\nNCHW data ('onednn_nchw'), on every "
        "problem; prints a table (time, GFLOP/s,\n%% of the measured peak, "
        "speed-up over each oneDNN mode, error against the\nreference) and "
        "a summary per network.\n"
        "\n"
        "problems:\n"
        "  --net NAME      the conv layers of a network (vconv-bench summary "
        "all), or\n"
        "                  bench/shapes/NAME.txt; a comma list; 'all' (the seed\n"
        "                  nets); 'extra' (bench/shapes/extra: resnet18, vgg16,\n"
        "                  mobilenet_v1)\n"
        "  --shapes FILE   a benchdnn shapes file (one descriptor a line)\n"
        "  --desc DESC     one descriptor: 'mb1ic3ih227oc96oh55kh11sh4n\"x\"'\n"
        "options:\n"
        "  --mb N          batch size (default: the problems')\n"
        "  --threads N     threads of every competitor (default: %d, the "
        "cores)\n"
        "  --impl LIST     vconv competitors: auto (default), all (every "
        "implementation\n"
        "                  this CPU runs but ref), names "
        "(im2col.avx512) or families\n"
        "                  (im2col), comma separated; ref.* only when named\n"
        "  --peers LIST    onednn, onednn_nchw, xnnpack (default: those "
        "built in: %s),\n"
        "                  or none\n"
        "  --no-relu       convolution + bias only (default: + ReLU, as in "
        "the nets)\n"
        "  --quick         short timings (0.2 s measured a problem, not 0.5)\n"
        "  --json FILE     write every figure and the machine as JSON\n"
        "  --csv FILE      one row per problem and competitor\n"
        "  --benchmark_*   Google Benchmark's flags: _filter=REGEX, "
        "_min_time=S,\n"
        "                  _repetitions=N, _format=console|json|csv, "
        "_out=FILE\n"
        "environment: ONEDNN_MAX_CPU_ISA=AVX2 caps oneDNN to AVX2; "
        "VCONV_MAX_ISA caps vconv.\n",
        vconv_default_threads(), default_peers());
}

static int add_case(conv_run *r, const bench_problem *bp, const char *net,
                    int mb, int relu, char *err, size_t len)
{
    conv_case *cs = realloc(r->cases, (size_t)(r->ncases + 1) * sizeof *cs);
    if (!cs) {
        snprintf(err, len, "out of memory");
        return -1;
    }
    r->cases = cs;
    conv_case *c = &cs[r->ncases];
    memset(c, 0, sizeof *c);
    c->bp = *bp;
    if (mb > 0)
        c->bp.d.batch = mb;
    c->bp.d.layout = VCONV_NCHW;
    c->bp.d.activation = relu ? VCONV_ACT_RELU : VCONV_ACT_NONE;
    if (vconv_problem_init(&c->bp.d, &c->p) != VCONV_OK) {
        snprintf(err, len, "%s: %s", bp->name[0] ? bp->name : "problem",
                 vconv_last_error());
        return -1;
    }
    bench_desc_print(&c->bp, c->desc, sizeof c->desc);
    const char *colon = strchr(bp->name, ':');
    if (net)
        snprintf(c->net, sizeof c->net, "%s", net);
    else if (colon)
        snprintf(c->net, sizeof c->net, "%.*s", (int)(colon - bp->name),
                 bp->name);
    else
        snprintf(c->net, sizeof c->net, "custom");
    if (bp->name[0]) {
        snprintf(c->label, sizeof c->label, "%s", bp->name);
    } else {
        /* the descriptor without its name */
        bench_problem q = c->bp;
        q.name[0] = 0;
        bench_desc_print(&q, c->label, sizeof c->label);
    }
    c->flops = vconv_problem_flops(&c->p);
    c->bytes = 4.0 * ((double)vconv_src_elems(&c->p) +
                      (double)vconv_wei_elems(&c->p) + c->p.oc +
                      (double)vconv_dst_elems(&c->p));
    r->ncases++;
    return 0;
}

static int add_shapes_file(conv_run *r, const char *path, const char *net,
                           int mb, int relu, char *err, size_t len)
{
    bench_problem *ps;
    int n;
    if (bench_shapes_read(path, &ps, &n, err, len) != 0)
        return -1;
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++)
        rc = add_case(r, &ps[i], net, mb, relu, err, len);
    free(ps);
    return rc;
}

static int add_net(conv_run *r, const char *name, int mb, int relu, char *err,
                   size_t len)
{
    const net_def *nd = net_find(name);
    if (nd) {
        bench_problem *ps = calloc((size_t)nd->nlayers, sizeof *ps);
        if (!ps) {
            snprintf(err, len, "out of memory");
            return -1;
        }
        int n = net_conv_problems(nd, ps), rc = 0;
        for (int i = 0; i < n && rc == 0; i++)
            rc = add_case(r, &ps[i], nd->name, mb, relu, err, len);
        free(ps);
        return rc;
    }
    if (!strcmp(name, "extra")) {
        /* the set beyond the seed nets (bench/shapes/extra) */
        static const char *const extra[] = {"resnet18", "vgg16",
                                            "mobilenet_v1"};
        int rc = 0;
        for (size_t i = 0; i < sizeof extra / sizeof extra[0] && !rc; i++)
            rc = add_net(r, extra[i], mb, relu, err, len);
        return rc;
    }
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.txt", VCONV_SHAPES_DIR, name);
    if (access(path, R_OK) == 0)
        return add_shapes_file(r, path, name, mb, relu, err, len);
    snprintf(path, sizeof path, "%s/extra/%s.txt", VCONV_SHAPES_DIR, name);
    if (access(path, R_OK) == 0)
        return add_shapes_file(r, path, name, mb, relu, err, len);
    size_t k = (size_t)snprintf(err, len, "unknown network '%s' (networks:",
                                name);
    for (int i = 0; i < net_count() && k < len; i++)
        k += (size_t)snprintf(err + k, len - k, " %s", net_at(i)->name);
    if (k < len)
        snprintf(err + k, len - k, "; extra: resnet18 vgg16 mobilenet_v1; "
                 "or a file %s/NAME.txt or %s/extra/NAME.txt)",
                 VCONV_SHAPES_DIR, VCONV_SHAPES_DIR);
    return -1;
}

static int add_comp(conv_run *r, const char *label, comp_kind kind)
{
    for (int i = 0; i < r->ncomp; i++)
        if (!strcmp(r->comp[i].label, label))
            return 0;
    if (r->ncomp == CONV_MAX_COMP)
        return -1;
    snprintf(r->comp[r->ncomp].label, sizeof r->comp[0].label, "%s", label);
    r->comp[r->ncomp].kind = kind;
    r->ncomp++;
    return 0;
}

/* --impl: auto, all, exact names, or families (the part of a name before
   '.', or an algorithm name: "winograd" matches winograd_f4x3.avx512). */
static int parse_impls(conv_run *r, const char *list, char *err, size_t len)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", list);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        if (!strcmp(tok, "auto")) {
            add_comp(r, "auto", COMP_VCONV);
            continue;
        }
        int all = !strcmp(tok, "all"), matched = 0, exists = 0;
        if (all)
            add_comp(r, "auto", COMP_VCONV);
        for (int i = 0; i < vconv_impl_count(); i++) {
            vconv_impl_info info;
            if (vconv_impl_get(i, &info) != VCONV_OK)
                continue;
            size_t tl = strlen(tok);
            int exact = !strcmp(info.name, tok);
            int family = !strncmp(info.name, tok, tl) &&
                         (info.name[tl] == '.' || info.name[tl] == '_');
            int hit = exact || family ||
                      (all && info.algo != VCONV_ALGO_REF);
            if (!hit)
                continue;
            exists = 1;
            if (!info.available) {
                if (exact)
                    fprintf(stderr,
                            "vconv-bench conv: %s does not run on this CPU "
                            "(or under VCONV_MAX_ISA); left out\n",
                            info.name);
                continue;
            }
            if (add_comp(r, info.name, COMP_VCONV) != 0) {
                snprintf(err, len, "more than %d competitors", CONV_MAX_COMP);
                return -1;
            }
            matched = 1;
        }
        if (!all && !exists) {
            size_t k = (size_t)snprintf(
                err, len, "--impl: no implementation '%s' (registry:", tok);
            for (int i = 0; i < vconv_impl_count() && k < len; i++) {
                vconv_impl_info info;
                vconv_impl_get(i, &info);
                k += (size_t)snprintf(err + k, len - k, " %s", info.name);
            }
            if (k < len)
                snprintf(err + k, len - k, ")");
            return -1;
        }
        (void)matched;
    }
    return 0;
}

static int parse_peers(conv_run *r, const char *list, char *err, size_t len)
{
    (void)r; /* unused when no peer is built in */
    char buf[128];
    snprintf(buf, sizeof buf, "%s", list);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        if (!strcmp(tok, "none"))
            continue;
        if (!strcmp(tok, "onednn") || !strcmp(tok, "onednn_nchw")) {
#ifdef VCONV_HAVE_ONEDNN
            add_comp(r, tok, !strcmp(tok, "onednn") ? COMP_ONEDNN
                                                    : COMP_ONEDNN_NCHW);
            continue;
#else
            snprintf(err, len,
                     "--peers %s: this vconv-bench was built without oneDNN "
                     "(install libdnnl-dev and rebuild)",
                     tok);
            return -1;
#endif
        }
        if (!strcmp(tok, "xnnpack")) {
#ifdef VCONV_HAVE_XNNPACK
            add_comp(r, tok, COMP_XNNPACK);
            continue;
#else
            snprintf(err, len,
                     "--peers xnnpack: this vconv-bench was built without "
                     "XNNPACK (install libxnnpack-dev and rebuild)");
            return -1;
#endif
        }
        snprintf(err, len,
                 "--peers: unknown peer '%s' (onednn, onednn_nchw, xnnpack, "
                 "none)",
                 tok);
        return -1;
    }
    return 0;
}

static int parse_int(const char *s, int lo, int *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (end == s || *end || v < lo || v > 1 << 20)
        return -1;
    *out = (int)v;
    return 0;
}

/* "--opt value" or "--opt=value": the value, or NULL if opt is not argv[*i]. */
static const char *opt_value(int argc, char **argv, int *i, const char *opt,
                             int *missing)
{
    size_t n = strlen(opt);
    if (strncmp(argv[*i], opt, n) != 0)
        return NULL;
    if (argv[*i][n] == '=')
        return argv[*i] + n + 1;
    if (argv[*i][n] != 0)
        return NULL;
    if (*i + 1 >= argc) {
        *missing = 1;
        return NULL;
    }
    return argv[++*i];
}

static void measure_machine(conv_run *r)
{
    snprintf(r->cpu, sizeof r->cpu, "%s", vconv_cpu_model());
    r->mask = vconv_cpu_features();
    vconv_cpu_mask_str(r->mask, r->flags, sizeof r->flags);
    r->best_isa = vconv_cpu_best_isa();
    r->cores = vconv_topology_get()->cores;
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(r->date, sizeof r->date, "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (gethostname(r->host, sizeof r->host) != 0)
        snprintf(r->host, sizeof r->host, "unknown");
    r->host[sizeof r->host - 1] = 0;

    int tc[3] = {1, r->threads, vconv_default_threads()}, nt = 0, ts[3];
    for (int i = 0; i < 3; i++) {
        int dup = 0;
        for (int j = 0; j < nt; j++)
            dup |= ts[j] == tc[i];
        if (!dup && tc[i] >= 1)
            ts[nt++] = tc[i];
    }
    static const vconv_isa isas[] = {VCONV_ISA_SCALAR, VCONV_ISA_AVX2,
                                     VCONV_ISA_AVX512, VCONV_ISA_NEON};
    double secs = r->quick ? 0.15 : 0.4;
    fprintf(stderr, "measuring the FMA peak and the bandwidth...\n");
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < nt; j++) {
            double g = bench_peak_gflops(isas[i], ts[j], secs);
            if (g <= 0)
                break;
            r->peaks[r->npeaks++] = (conv_peak_entry){isas[i], ts[j], g};
        }
    size_t bytes = (size_t)(r->quick ? 256 : 512) << 20;
    for (int j = 0; j < nt && r->nbw < 4; j++) {
        r->bw[r->nbw].threads = ts[j];
        r->bw[r->nbw].gbs = bench_read_bandwidth(bytes, ts[j]);
        r->nbw++;
    }
}

int cmd_conv(int argc, char **argv)
{
    /* --dtype int8|bf16: the low-precision table (cmd_conv_lowp.c);
       --dtype f32 is this command's default and is dropped here */
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--dtype=f32") ||
            (!strcmp(argv[i], "--dtype") && i + 1 < argc &&
             !strcmp(argv[i + 1], "f32"))) {
            int k = argv[i][7] ? 1 : 2;
            memmove(argv + i, argv + i + k,
                    (size_t)(argc - i - k + 1) * sizeof *argv);
            argc -= k;
            break;
        }
        if (!strncmp(argv[i], "--dtype", 7) &&
            (!argv[i][7] || argv[i][7] == '='))
            return cmd_conv_lowp(argc, argv);
    }
    static conv_run run;      /* static: large, and the body's context */
    conv_run *r = &run;
    memset(r, 0, sizeof *r);
    r->threads = vconv_default_threads();
    r->relu = 1;
    r->i_onednn = r->i_nchw = -1;
    const char *json = NULL, *csv = NULL, *impls = "auto";
    const char *peers = default_peers();
    char **gb = calloc((size_t)argc + 3, sizeof *gb);
    int ngb = 0, user_min_time = 0, user_format = 0, list_only = 0;
    char err[1024];
    if (!gb)
        return 1;
    gb[ngb++] = argv[0];

    /* first pass: options; problems are added in a second pass, once --mb
       and --no-relu are known */
    const char *src_kind[256], *src_val[256];
    int nsrc = 0, rc = 2;
    for (int i = 1; i < argc; i++) {
        int missing = 0;
        const char *v;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            free(gb);
            return 0;
        } else if (!strncmp(argv[i], "--benchmark_", 12)) {
            gb[ngb++] = argv[i];
            user_min_time |= !strncmp(argv[i], "--benchmark_min_time=", 21);
            user_format |= !strncmp(argv[i], "--benchmark_format=", 19);
            list_only |= !strncmp(argv[i], "--benchmark_list_tests", 22) &&
                         strcmp(argv[i], "--benchmark_list_tests=false") &&
                         strcmp(argv[i], "--benchmark_list_tests=0");
            if (!strncmp(argv[i], "--benchmark_min_time=", 21))
                r->min_time = atof(argv[i] + 21);
        } else if ((v = opt_value(argc, argv, &i, "--net", &missing)) ||
                   (v = opt_value(argc, argv, &i, "--shapes", &missing)) ||
                   (v = opt_value(argc, argv, &i, "--desc", &missing))) {
            if (nsrc == 256) {
                fprintf(stderr, "vconv-bench conv: too many problem sources\n");
                goto done;
            }
            src_kind[nsrc] = argv[i - (argv[i] == v ? 1 : 0)];
            src_val[nsrc++] = v;
        } else if ((v = opt_value(argc, argv, &i, "--mb", &missing))) {
            if (parse_int(v, 1, &r->mb)) {
                fprintf(stderr, "vconv-bench conv: --mb must be >= 1, not "
                                "'%s'\n", v);
                goto done;
            }
        } else if ((v = opt_value(argc, argv, &i, "--threads", &missing))) {
            if (parse_int(v, 1, &r->threads)) {
                fprintf(stderr, "vconv-bench conv: --threads must be >= 1, "
                                "not '%s'\n", v);
                goto done;
            }
        } else if ((v = opt_value(argc, argv, &i, "--impl", &missing))) {
            impls = v;
        } else if ((v = opt_value(argc, argv, &i, "--peers", &missing))) {
            peers = v;
        } else if ((v = opt_value(argc, argv, &i, "--json", &missing))) {
            json = v;
        } else if ((v = opt_value(argc, argv, &i, "--csv", &missing))) {
            csv = v;
        } else if (!strcmp(argv[i], "--quick")) {
            r->quick = 1;
        } else if (!strcmp(argv[i], "--no-relu")) {
            r->relu = 0;
        } else {
            if (missing)
                fprintf(stderr, "vconv-bench conv: %s needs a value\n",
                        argv[i]);
            else
                fprintf(stderr, "vconv-bench conv: unknown argument '%s' "
                                "(--help)\n", argv[i]);
            goto done;
        }
        if (missing) {
            fprintf(stderr, "vconv-bench conv: %s needs a value\n", argv[i]);
            goto done;
        }
    }
    if (nsrc == 0) {
        fprintf(stderr, "vconv-bench conv: no problems: give --net, --shapes "
                        "or --desc (--help)\n");
        goto done;
    }
    for (int s = 0; s < nsrc; s++) {
        const char *k = src_kind[s], *v = src_val[s];
        int bad = 0;
        if (!strncmp(k, "--desc", 6)) {
            bench_problem bp;
            char e[512];
            if (bench_desc_parse(v, &bp, e, sizeof e) != 0) {
                fprintf(stderr, "vconv-bench conv: bad --desc '%s': %s\n", v,
                        e);
                goto done;
            }
            bad = add_case(r, &bp, NULL, r->mb, r->relu, err, sizeof err);
        } else if (!strncmp(k, "--shapes", 8)) {
            bad = add_shapes_file(r, v, NULL, r->mb, r->relu, err, sizeof err);
        } else {
            char buf[512];
            snprintf(buf, sizeof buf, "%s", v);
            if (!strcmp(buf, "all")) {
                for (int n = 0; n < net_count() && !bad; n++)
                    bad = add_net(r, net_at(n)->name, r->mb, r->relu, err,
                                  sizeof err);
            } else {
                for (char *save = NULL, *tok = strtok_r(buf, ",", &save);
                     tok && !bad; tok = strtok_r(NULL, ",", &save))
                    bad = add_net(r, tok, r->mb, r->relu, err, sizeof err);
            }
        }
        if (bad) {
            fprintf(stderr, "vconv-bench conv: %s\n", err);
            goto done;
        }
    }
    if (parse_impls(r, impls, err, sizeof err) != 0 ||
        parse_peers(r, peers, err, sizeof err) != 0) {
        fprintf(stderr, "vconv-bench conv: %s\n", err);
        goto done;
    }
    if (r->ncomp == 0) {
        fprintf(stderr, "vconv-bench conv: nothing to measure (--impl and "
                        "--peers select no competitor)\n");
        goto done;
    }
    for (int i = 0; i < r->ncomp; i++) {
        if (r->comp[i].kind == COMP_ONEDNN)
            r->i_onednn = i;
        if (r->comp[i].kind == COMP_ONEDNN_NCHW)
            r->i_nchw = i;
    }
    snprintf(r->impl_arg, sizeof r->impl_arg, "%s", impls);
    snprintf(r->peers_arg, sizeof r->peers_arg, "%s", peers);
    {
        size_t k = 0;
        for (int i = -1; i < argc && k < sizeof r->command; i++)
            k += (size_t)snprintf(r->command + k, sizeof r->command - k,
                                  "%s%s", i < 0 ? "vconv-bench" : " ",
                                  i < 0 ? "" : argv[i]);
        k = 0;
        for (int s = 0; s < nsrc && k < sizeof r->source; s++)
            k += (size_t)snprintf(r->source + k, sizeof r->source - k,
                                  "%s%s %s", s ? " " : "", src_kind[s],
                                  src_val[s]);
    }

    /* Google Benchmark's flags; our default min time unless given */
    char min_flag[64];
    if (!user_min_time) {
        r->min_time = r->quick ? 0.2 : 0.5;
        snprintf(min_flag, sizeof min_flag, "--benchmark_min_time=%g",
                 r->min_time);
        gb[ngb++] = min_flag;
    }
    if (r->min_time <= 0)
        r->min_time = 0.5;
    gb[ngb] = NULL;
    gbs_initialize(&ngb, gb);
    if (ngb > 1) {
        fprintf(stderr, "vconv-bench conv: unknown or malformed flag '%s'%s\n",
                gb[1],
                gbs_is_google_benchmark()
                    ? ""
                    : " (built without Google Benchmark: only "
                      "--benchmark_filter and --benchmark_min_time)");
        goto done;
    }
    r->gbench = gbs_is_google_benchmark() ? "google-benchmark"
                                          : "built-in fallback";
    /* a sample: about 1/8 of the measured time shared by the competitors,
       so the median has >= ~8 rounds; within [0.5 ms, 25 ms] */
    r->sample_s = r->min_time / (8.0 * r->ncomp);
    if (r->sample_s < 5e-4)
        r->sample_s = 5e-4;
    if (r->sample_s > 0.025)
        r->sample_s = 0.025;
    r->warmup_s = r->quick ? 0.02 : 0.1;

#ifdef VCONV_HAVE_ONEDNN
    if (r->i_onednn >= 0 || r->i_nchw >= 0) {
        if (onednn_init(r->threads, err, sizeof err) != 0) {
            fprintf(stderr, "vconv-bench conv: %s\n", err);
            rc = 1;
            goto done;
        }
        snprintf(r->onednn_version, sizeof r->onednn_version, "%s",
                 onednn_version_str());
        snprintf(r->onednn_isa, sizeof r->onednn_isa, "%s", onednn_isa_str());
        r->onednn_max_isa = getenv("ONEDNN_MAX_CPU_ISA");
    }
#endif
#ifdef VCONV_HAVE_XNNPACK
    for (int i = 0; i < r->ncomp; i++)
        if (r->comp[i].kind == COMP_XNNPACK) {
            if (xnnpack_init(err, sizeof err) != 0) {
                fprintf(stderr, "vconv-bench conv: %s\n", err);
                rc = 1;
                goto done;
            }
            snprintf(r->xnnpack_info, sizeof r->xnnpack_info, "%s",
                     xnnpack_version_str());
        }
#endif

    FILE *out = user_format ? stderr : stdout;
    if (!list_only) {
        measure_machine(r);
        conv_print_header(r, out);
        fflush(out);
    }

    case_ref *refs = calloc((size_t)r->ncases, sizeof *refs);
    if (!refs) {
        rc = 1;
        goto done;
    }
    int uniq_fail = 0;
    for (int i = 0; i < r->ncases && !uniq_fail; i++) {
        refs[i] = (case_ref){r, i};
        char name[256];
        int dup = 0;
        for (int j = 0; j < i; j++)
            dup += !strcmp(r->cases[j].label, r->cases[i].label);
        if (dup)
            snprintf(name, sizeof name, "conv/%s#%d", r->cases[i].label,
                     dup + 1);
        else
            snprintf(name, sizeof name, "conv/%s", r->cases[i].label);
        uniq_fail = gbs_register(name, body, &refs[i],
                                 &(gbs_options){.manual_time = 1,
                                                .unit = GBS_MS}) != 0;
    }
    size_t ran = uniq_fail ? 0 : gbs_run(!user_format && !list_only);
    teardown_case(active);
    active = NULL;
    gbs_shutdown();
    if (list_only && !uniq_fail) { /* Google Benchmark printed the names */
        free(refs);
        rc = 0;
        goto done;
    }
    if (ran == 0) {
        fprintf(stderr, "vconv-bench conv: no problem was run (does "
                        "--benchmark_filter match 'conv/NAME'?)\n");
        free(refs);
        rc = 1;
        goto done;
    }
    conv_print_table(r, out);
    conv_print_summary(r, out);
    rc = 0;
    if (json) {
        if (conv_write_json(r, json) != 0) {
            fprintf(stderr, "vconv-bench conv: cannot write %s\n", json);
            rc = 1;
        } else {
            fprintf(stderr, "wrote %s\n", json);
        }
    }
    if (csv) {
        if (conv_write_csv(r, csv) != 0) {
            fprintf(stderr, "vconv-bench conv: cannot write %s\n", csv);
            rc = 1;
        } else {
            fprintf(stderr, "wrote %s\n", csv);
        }
    }
    for (int i = 0; i < r->ncases; i++)
        for (int k = 0; k < r->ncomp; k++)
            if (r->cases[i].res[k].state == RES_FAILED)
                rc = 1;
    free(refs);
done:
#ifdef VCONV_HAVE_ONEDNN
    onednn_finish();
#endif
#ifdef VCONV_HAVE_XNNPACK
    xnnpack_finish();
#endif
    free(r->cases);
    r->cases = NULL;
    free(gb);
    return rc;
}
