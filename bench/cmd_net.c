/*
 * cmd_net.c - `vconv-bench net`: whole networks end to end, vconv_net
 * beside the same net built from oneDNN primitives (onednn_net.c), in one
 * process, interleaved (bench_measure: warm-up, rounds in which each
 * competitor takes one sample in turn, medians), and a per-layer
 * breakdown for both from profiled runs (each step waited for and timed;
 * medians over the same number of runs, interleaved too). Both nets get
 * the same weights and input, and their outputs are compared before
 * anything is timed: a net that disagrees is reported and fails the run.
 */
#define _POSIX_C_SOURCE 200809L
#include "commands.h"
#include "nets.h"
#include "timing.h"
#include "../dispatch/cpu.h"
#ifdef VCONV_HAVE_ONEDNN
#include "onednn.h"
#include "onednn_net.h"
#endif

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f,
            "usage: vconv-bench net --net NAME|all [--mb N] [--threads N]\n"
            "                       [--samples N] [--quick] [--json FILE] "
            "[--csv FILE]\n"
            "Times whole networks end to end (NCHW input -> class scores): "
            "vconv_net beside\nthe same net built from oneDNN primitives "
            "(conv, LRN, pooling, inner product,\nsoftmax in oneDNN's own "
            "layouts, reorders only where oneDNN needs them), same\nweights, "
            "same input, interleaved, medians; then the time of every "
            "layer of both.\n"
            "  --net NAME|all   a network of bench/nets.c (a comma list), or all\n"
            "  --mb N           batch (default 1)\n"
            "  --threads N      threads for both (default: one per physical "
            "core)\n"
            "  --samples N      end-to-end samples (default 15; --quick 3)\n"
            "  --quick          short warm-up and samples (a smoke test, not "
            "a measurement)\n"
            "  --json FILE      the results as JSON\n"
            "  --csv FILE       one row per net and layer\n"
            "speedup = oneDNN time / vconv time (> 1: vconv is faster).\n");
    fprintf(f, "networks:");
    for (int i = 0; i < net_count(); i++)
        fprintf(f, " %s", net_at(i)->name);
    fprintf(f, "\n");
}

typedef struct {
    char name[48];
    char kind[12];
    char vimpl[64], dimpl[160];
    double vms, dms;   /* medians, ms; < 0: the net has no such step */
} layer_row;

typedef struct {
    const net_def *def;
    double vms, dms, vmin, dmin;   /* end to end, ms */
    double diff;                   /* max |vconv - oneDNN| / max |oneDNN| */
    int nrows;
    layer_row rows[48];
} net_result;

typedef struct {
    vconv_net *net;
    const float *src;
    float *dst;
} vconv_ctx;

static void run_vconv(void *p)
{
    vconv_ctx *c = p;
    vconv_net_run(c->net, c->src, c->dst);
}

#ifdef VCONV_HAVE_ONEDNN
typedef struct {
    onednn_net *net;
    const float *src;
    float *dst;
} onednn_ctx;

static void run_onednn(void *p)
{
    onednn_ctx *c = p;
    onednn_net_run(c->net, c->src, c->dst, NULL);
}
#endif

static const char *kind_str(vconv_layer_kind k)
{
    static const char *n[] = {"conv", "pool", "fc", "lrn", "relu", "softmax",
                              "reorder"};
    return (unsigned)k <= VCONV_LAYER_FLATTEN ? n[k] : "?";
}

static int find_row(net_result *r, const char *name)
{
    for (int i = 0; i < r->nrows; i++)
        if (!strcmp(r->rows[i].name, name))
            return i;
    if (r->nrows == 48)
        return -1;
    layer_row *w = &r->rows[r->nrows];
    memset(w, 0, sizeof *w);
    snprintf(w->name, sizeof w->name, "%s", name);
    w->vms = w->dms = -1;
    return r->nrows++;
}

static int bench_one(const net_def *def, int mb, int threads, int samples,
                     bool quick, bool have_onednn, net_result *res)
{
    memset(res, 0, sizeof *res);
    res->def = def;
    net_model m;
    char err[512];
    if (net_model_build(def, mb, 1234, &m, err, sizeof err) != 0) {
        fprintf(stderr, "vconv-bench net: %s: %s\n", def->name, err);
        return 1;
    }
    float *x = net_model_input(&m, 99);
    vconv_net_desc nd = {.batch = mb, .channels = def->c, .height = def->h,
                         .width = def->w, .layout = VCONV_NCHW,
                         .layers = m.layers, .nlayers = m.nlayers};
    vconv_options o = {.threads = threads};
    vconv_net *vn = NULL;
    int rc = 1;
    float *vy = NULL, *dy = NULL;
    double *vsec = NULL, *dsec = NULL, *vall = NULL, *dall = NULL;
#ifdef VCONV_HAVE_ONEDNN
    onednn_net *dn = NULL;
#endif
    if (vconv_net_create(&nd, &o, &vn) != VCONV_OK) {
        fprintf(stderr, "vconv-bench net: %s: %s\n", def->name,
                vconv_last_error());
        goto out;
    }
    const size_t on = (size_t)mb * vconv_net_output_size(vn);
    vy = malloc(on * sizeof *vy);
    dy = malloc(on * sizeof *dy);
    if (!x || !vy || !dy)
        goto out;
    if (vconv_net_run(vn, x, vy) != VCONV_OK) {
        fprintf(stderr, "vconv-bench net: %s: %s\n", def->name,
                vconv_last_error());
        goto out;
    }
    int dsteps = 0;
#ifdef VCONV_HAVE_ONEDNN
    if (have_onednn) {
        if (onednn_net_create(&m, &dn, err, sizeof err) != 0 ||
            onednn_net_run(dn, x, dy, NULL) != 0) {
            fprintf(stderr, "vconv-bench net: %s: oneDNN: %s\n", def->name,
                    err);
            goto out;
        }
        double big = 0, d = 0;
        for (size_t i = 0; i < on; i++) {
            big = fmax(big, fabs(dy[i]));
            d = fmax(d, fabs(vy[i] - dy[i]));
        }
        res->diff = big > 0 ? d / big : d;
        if (!(res->diff < 1e-3)) {
            fprintf(stderr,
                    "vconv-bench net: %s: vconv and oneDNN disagree: max "
                    "difference %.3g of the largest output\n",
                    def->name, res->diff);
            goto out;
        }
        dsteps = onednn_net_step_count(dn);
    }
#else
    (void)have_onednn;
#endif
    fprintf(stderr, "net %s mb%d threads %d: timing end to end...\n",
            def->name, mb, threads);
    /* end to end, interleaved */
    vconv_ctx vc = {vn, x, vy};
    bench_competitor comp[2] = {{run_vconv, &vc}};
    int ncomp = 1;
#ifdef VCONV_HAVE_ONEDNN
    onednn_ctx dc = {dn, x, dy};
    if (dn)
        comp[ncomp++] = (bench_competitor){run_onednn, &dc};
#endif
    bench_timing t[2];
    bench_measure(comp, ncomp, samples, quick ? 0.02 : 0.3,
                  quick ? 0.01 : 0.15, t);
    res->vms = t[0].median * 1e3;
    res->vmin = t[0].min * 1e3;
    res->dms = ncomp > 1 ? t[1].median * 1e3 : -1;
    res->dmin = ncomp > 1 ? t[1].min * 1e3 : -1;

    /* per layer: profiled runs, interleaved, medians per step */
    fprintf(stderr, "net %s: per-layer breakdown...\n", def->name);
    const int vsteps = vconv_net_step_count(vn);
    const int runs = quick ? 3 : (samples > 5 ? samples : 5);
    vsec = calloc((size_t)vsteps, sizeof *vsec);
    vall = calloc((size_t)vsteps * runs, sizeof *vall);
    dsec = calloc((size_t)(dsteps ? dsteps : 1), sizeof *dsec);
    dall = calloc((size_t)(dsteps ? dsteps : 1) * runs, sizeof *dall);
    if (!vsec || !vall || !dsec || !dall)
        goto out;
    for (int r = 0; r < runs; r++) {
        vconv_net_run_profiled(vn, x, vy, vsec);
        for (int i = 0; i < vsteps; i++)
            vall[(size_t)i * runs + r] = vsec[i];
#ifdef VCONV_HAVE_ONEDNN
        if (dn) {
            onednn_net_run(dn, x, dy, dsec);
            for (int i = 0; i < dsteps; i++)
                dall[(size_t)i * runs + r] = dsec[i];
        }
#endif
    }
    for (int i = 0; i < vsteps; i++) {
        vconv_net_step st;
        vconv_net_step_info(vn, i, &st);
        int k = find_row(res, st.name);
        if (k < 0)
            continue;
        snprintf(res->rows[k].kind, sizeof res->rows[k].kind, "%s",
                 kind_str(st.kind));
        snprintf(res->rows[k].vimpl, sizeof res->rows[k].vimpl, "%s",
                 st.impl);
        res->rows[k].vms = bench_median(vall + (size_t)i * runs, runs) * 1e3;
    }
#ifdef VCONV_HAVE_ONEDNN
    for (int i = 0; i < dsteps; i++) {
        int k = find_row(res, onednn_net_step_name(dn, i));
        if (k < 0)
            continue;
        if (!res->rows[k].kind[0])
            snprintf(res->rows[k].kind, sizeof res->rows[k].kind, "reorder");
        snprintf(res->rows[k].dimpl, sizeof res->rows[k].dimpl, "%s",
                 onednn_net_step_impl(dn, i));
        res->rows[k].dms = bench_median(dall + (size_t)i * runs, runs) * 1e3;
    }
#endif
    rc = 0;
out:
#ifdef VCONV_HAVE_ONEDNN
    onednn_net_destroy(dn);
#endif
    vconv_net_destroy(vn);
    net_model_free(&m);
    free(x);
    free(vy);
    free(dy);
    free(vsec);
    free(dsec);
    free(vall);
    free(dall);
    return rc;
}

static void print_result(const net_result *r, int mb, int threads)
{
    printf("\n%s  mb %d  threads %d\n", r->def->name, mb, threads);
    if (r->dms > 0)
        printf("  end to end: vconv %.3f ms, oneDNN %.3f ms, speedup %.2fx "
               "(min %.3f / %.3f ms; outputs agree to %.1e)\n",
               r->vms, r->dms, r->dms / r->vms, r->vmin, r->dmin, r->diff);
    else
        printf("  end to end: vconv %.3f ms (min %.3f ms); oneDNN not "
               "built\n",
               r->vms, r->vmin);
    printf("  %-8s %-7s %-22s %10s %10s %8s  %s\n", "layer", "kind",
           "vconv impl", "vconv ms", "oneDNN ms", "speedup", "oneDNN impl");
    double vs = 0, ds = 0;
    for (int i = 0; i < r->nrows; i++) {
        const layer_row *w = &r->rows[i];
        char v[16] = "-", d[16] = "-", s[16] = "-";
        if (w->vms >= 0)
            snprintf(v, sizeof v, "%.3f", w->vms), vs += w->vms;
        if (w->dms >= 0)
            snprintf(d, sizeof d, "%.3f", w->dms), ds += w->dms;
        if (w->vms > 0 && w->dms > 0)
            snprintf(s, sizeof s, "%.2fx", w->dms / w->vms);
        printf("  %-8s %-7s %-22s %10s %10s %8s  %s\n", w->name, w->kind,
               w->vimpl[0] ? w->vimpl : "-", v, d, s,
               w->dimpl[0] ? w->dimpl : "-");
    }
    printf("  %-8s %-7s %-22s %10.3f %10.3f %8s  (sum of the per-layer "
           "medians)\n",
           "sum", "", "", vs, r->dms > 0 ? ds : 0.0,
           r->dms > 0 && vs > 0 ? "" : "-");
}

int cmd_net(int argc, char **argv)
{
    const char *net = NULL, *json = NULL, *csv = NULL;
    int mb = 1, threads = 0, samples = 0;
    bool quick = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const bool more = i + 1 < argc;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--quick")) {
            quick = true;
        } else if (!strcmp(a, "--net") || !strcmp(a, "--mb") ||
                   !strcmp(a, "--threads") || !strcmp(a, "--samples") ||
                   !strcmp(a, "--json") || !strcmp(a, "--csv")) {
            if (!more) {
                fprintf(stderr, "vconv-bench net: %s needs a value\n", a);
                return 2;
            }
            const char *v = argv[++i];
            char *end;
            long n = strtol(v, &end, 10);
            const bool num = *v && !*end;
            if (!strcmp(a, "--net"))
                net = v;
            else if (!strcmp(a, "--json"))
                json = v;
            else if (!strcmp(a, "--csv"))
                csv = v;
            else if (!num || n < 1 || n > 4096) {
                fprintf(stderr, "vconv-bench net: %s must be >= 1 (got '%s')\n",
                        a, v);
                return 2;
            } else if (!strcmp(a, "--mb"))
                mb = (int)n;
            else if (!strcmp(a, "--threads"))
                threads = (int)n;
            else
                samples = (int)n;
        } else {
            fprintf(stderr, "vconv-bench net: unknown option '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (!net) {
        fprintf(stderr, "vconv-bench net: give --net NAME|all\n");
        usage(stderr);
        return 2;
    }
    const net_def *defs[32];
    int nn = 0;
    if (!strcmp(net, "all")) {
        for (int i = 0; i < net_count() && nn < 32; i++)
            defs[nn++] = net_at(i);
    } else {
        /* a comma list */
        char buf[512];
        snprintf(buf, sizeof buf, "%s", net);
        for (char *save = NULL, *t = strtok_r(buf, ",", &save); t;
             t = strtok_r(NULL, ",", &save)) {
            const net_def *d = net_find(t);
            if (!d) {
                fprintf(stderr, "vconv-bench net: unknown network '%s'\n", t);
                usage(stderr);
                return 2;
            }
            if (nn < 32)
                defs[nn++] = d;
        }
        if (!nn) {
            fprintf(stderr, "vconv-bench net: --net names no network\n");
            return 2;
        }
    }
    if (!threads)
        threads = vconv_default_threads();
    if (!samples)
        samples = quick ? 3 : 15;
    bool have_onednn = false;
#ifdef VCONV_HAVE_ONEDNN
    char err[256];
    if (onednn_init(threads, err, sizeof err) == 0)
        have_onednn = true;
    else
        fprintf(stderr, "vconv-bench net: %s: timing vconv alone\n", err);
#endif
    printf("vconv-bench net: mb %d, threads %d, %d samples%s; cpu %s; "
           "vconv best isa %s",
           mb, threads, samples, quick ? " (quick: not a measurement)" : "",
           vconv_cpu_model()[0] ? vconv_cpu_model() : "?",
           vconv_isa_name(vconv_cpu_best_isa()));
#ifdef VCONV_HAVE_ONEDNN
    if (have_onednn)
        printf("; oneDNN %s, isa %s", onednn_version_str(), onednn_isa_str());
#endif
    printf("\n");
    net_result *res = calloc((size_t)nn, sizeof *res);
    if (!res)
        return 1;
    int rc = 0, done = 0;
    double lg = 0;
    int nratio = 0;
    for (int i = 0; i < nn; i++) {
        if (bench_one(defs[i], mb, threads, samples, quick, have_onednn,
                      &res[done]) != 0) {
            rc = 1;
            continue;
        }
        print_result(&res[done], mb, threads);
        if (res[done].dms > 0) {
            lg += log(res[done].dms / res[done].vms);
            nratio++;
        }
        done++;
    }
    double geo = nratio ? exp(lg / nratio) : 0;
    if (nratio) {
        double worst = INFINITY;
        const char *wn = "";
        for (int i = 0; i < done; i++)
            if (res[i].dms > 0 && res[i].dms / res[i].vms < worst) {
                worst = res[i].dms / res[i].vms;
                wn = res[i].def->name;
            }
        printf("\nsummary: %d nets, speedup over the oneDNN-primitive net: "
               "geomean %.2fx, lowest %.2fx (%s)\n",
               nratio, geo, worst, wn);
    }
    if (json) {
        FILE *f = fopen(json, "w");
        if (!f) {
            fprintf(stderr, "vconv-bench net: cannot write %s\n", json);
            rc = 1;
        } else {
            fprintf(f, "{\n  \"schema\": \"vconv-bench-net/1\",\n  "
                       "\"settings\": {\"mb\": "
                       "%d, \"threads\": %d, \"samples\": %d, \"quick\": %s, "
                       "\"cpu\": \"%s\", \"isa\": \"%s\"",
                    mb, threads, samples, quick ? "true" : "false",
                    vconv_cpu_model(), vconv_isa_name(vconv_cpu_best_isa()));
#ifdef VCONV_HAVE_ONEDNN
            if (have_onednn)
                fprintf(f, ", \"onednn\": \"%s\", \"onednn_isa\": \"%s\"",
                        onednn_version_str(), onednn_isa_str());
#endif
            fprintf(f, "},\n  \"nets\": [");
            for (int i = 0; i < done; i++) {
                const net_result *r = &res[i];
                fprintf(f,
                        "%s\n    {\"net\": \"%s\", \"vconv_ms\": %.6f, "
                        "\"onednn_ms\": %s%.6f%s, \"speedup\": %.6f, "
                        "\"max_rel_diff\": %.3g,\n     \"layers\": [",
                        i ? "," : "", r->def->name, r->vms, "",
                        r->dms > 0 ? r->dms : 0.0, "",
                        r->dms > 0 ? r->dms / r->vms : 0.0, r->diff);
                for (int k = 0; k < r->nrows; k++) {
                    const layer_row *w = &r->rows[k];
                    fprintf(f,
                            "%s\n      {\"name\": \"%s\", \"kind\": \"%s\", "
                            "\"vconv_impl\": \"%s\", \"vconv_ms\": %.6f, "
                            "\"onednn_impl\": \"%s\", \"onednn_ms\": %.6f}",
                            k ? "," : "", w->name, w->kind, w->vimpl,
                            w->vms > 0 ? w->vms : 0.0, w->dimpl,
                            w->dms > 0 ? w->dms : 0.0);
                }
                fprintf(f, "]}");
            }
            fprintf(f, "\n  ],\n  \"geomean_speedup\": %.6f\n}\n", geo);
            fclose(f);
        }
    }
    if (csv) {
        FILE *f = fopen(csv, "w");
        if (!f) {
            fprintf(stderr, "vconv-bench net: cannot write %s\n", csv);
            rc = 1;
        } else {
            fprintf(f, "net,mb,threads,layer,kind,vconv_impl,vconv_ms,"
                       "onednn_impl,onednn_ms\n");
            for (int i = 0; i < done; i++) {
                const net_result *r = &res[i];
                fprintf(f, "%s,%d,%d,total,net,vconv_net,%.6f,oneDNN,%.6f\n",
                        r->def->name, mb, threads, r->vms,
                        r->dms > 0 ? r->dms : 0.0);
                for (int k = 0; k < r->nrows; k++) {
                    const layer_row *w = &r->rows[k];
                    fprintf(f, "%s,%d,%d,%s,%s,%s,%.6f,\"%s\",%.6f\n",
                            r->def->name, mb, threads, w->name, w->kind,
                            w->vimpl, w->vms > 0 ? w->vms : 0.0, w->dimpl,
                            w->dms > 0 ? w->dms : 0.0);
                }
            }
            fclose(f);
        }
    }
#ifdef VCONV_HAVE_ONEDNN
    if (have_onednn)
        onednn_finish();
#endif
    free(res);
    return rc;
}
