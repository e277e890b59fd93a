/* conv_report.c - the reports of `vconv-bench conv`: the header (machine
   and settings), the table, the per-net summary, JSON and CSV. The JSON
   schema is documented in the README ("The bench: JSON"). */
#include "conv_bench.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *kind_name(comp_kind k)
{
    switch (k) {
    case COMP_VCONV: return "vconv";
    case COMP_ONEDNN: return "onednn";
    case COMP_ONEDNN_NCHW: return "onednn_nchw";
    case COMP_XNNPACK: return "xnnpack";
    }
    return "?";
}

static const char *state_name(res_state s)
{
    switch (s) {
    case RES_OK: return "ok";
    case RES_SKIPPED: return "skipped";
    case RES_FAILED: return "failed";
    default: return "not run";
    }
}

double conv_peak(const conv_run *r, vconv_isa isa, int threads)
{
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < r->npeaks; i++)
            if (r->peaks[i].isa == (pass ? r->best_isa : isa) &&
                r->peaks[i].threads == threads)
                return r->peaks[i].gflops;
    return 0;
}

double conv_ratio(const conv_case *c, int row, int peer)
{
    if (row < 0 || peer < 0)
        return 0;
    const conv_result *a = &c->res[row], *b = &c->res[peer];
    if (a->state != RES_OK || b->state != RES_OK || a->t.median <= 0)
        return 0;
    return b->t.median / a->t.median;
}

static int ran(const conv_case *c, int ncomp)
{
    for (int i = 0; i < ncomp; i++)
        if (c->res[i].state != RES_NONE)
            return 1;
    return 0;
}

/* the competitor whose losses are listed: "auto", else the first vconv */
static int main_comp(const conv_run *r)
{
    for (int i = 0; i < r->ncomp; i++)
        if (r->comp[i].kind == COMP_VCONV && !strcmp(r->comp[i].label, "auto"))
            return i;
    for (int i = 0; i < r->ncomp; i++)
        if (r->comp[i].kind == COMP_VCONV)
            return i;
    return -1;
}

/* ------------------------------------------------------------- the table */

void conv_print_header(const conv_run *r, FILE *f)
{
    fprintf(f, "vconv-bench conv   vconv %d.%d.%d   %s   host %s\n",
            VCONV_VERSION_MAJOR, VCONV_VERSION_MINOR, VCONV_VERSION_PATCH,
            r->date, r->host);
    fprintf(f, "cpu:       %s, %d cores, best isa %s\n", r->cpu, r->cores,
            vconv_isa_name(r->best_isa));
    fprintf(f, "isa mask:  0x%08x %s\n", (unsigned)r->mask, r->flags);
    fprintf(f, "fma peak: ");
    for (int i = 0; i < r->npeaks; i++) {
        int same = i && r->peaks[i].isa == r->peaks[i - 1].isa;
        fprintf(f, "%s %s%s%.1f (%d thr)", i && !same ? ";" : "",
                same ? "" : vconv_isa_name(r->peaks[i].isa),
                same ? "" : " ", r->peaks[i].gflops, r->peaks[i].threads);
    }
    fprintf(f, " GFLOP/s");
    fprintf(f, "\nbandwidth:");
    for (int i = 0; i < r->nbw; i++)
        fprintf(f, " %.1f (%d thr)", r->bw[i].gbs, r->bw[i].threads);
    fprintf(f, " GB/s (read, from memory)\n");
    fprintf(f, "run:       %d thread%s; batch %s%.0d; conv + bias%s; "
               "impl %s; peers %s\n",
            r->threads, r->threads > 1 ? "s" : "", r->mb ? "" : "as given",
            r->mb, r->relu ? " + ReLU" : "", r->impl_arg, r->peers_arg);
    if (r->onednn_version[0])
        fprintf(f, "oneDNN:    %s, isa %s%s%s\n", r->onednn_version,
                r->onednn_isa,
                r->onednn_max_isa ? ", ONEDNN_MAX_CPU_ISA=" : "",
                r->onednn_max_isa ? r->onednn_max_isa : "");
    if (r->xnnpack_info[0])
        fprintf(f, "XNNPACK:   %s\n", r->xnnpack_info);
    fprintf(f, "timing:    %s; %.3g s measured per problem; samples of "
               "%.3g ms, interleaved, after %.3g s warm-up; median\n",
            r->gbench, r->min_time, r->sample_s * 1e3, r->warmup_s);
    fprintf(f, "columns:   median of n samples, +-%% = (max - min) / 2 / "
               "median; GFLOP/s = direct-conv\n"
               "           FLOPs / median time; %%peak of the row's ISA at %d "
               "thread%s;\n"
               "           x onednn = oneDNN's time / the row's (> 1: "
               "faster); error = max|y - ref| / mag\n"
               "           (mag: the conv of |src|, |w|, |b|; first and last "
               "image)\n\n",
            r->threads, r->threads > 1 ? "s" : "");
}

void conv_print_table(const conv_run *r, FILE *f)
{
    int wp = 7, wi = 14, wc = 10;
    for (int i = 0; i < r->ncases; i++) {
        const conv_case *c = &r->cases[i];
        if (!ran(c, r->ncomp))
            continue;
        int n = (int)strlen(c->label);
        wp = n > wp ? n : wp;
        for (int k = 0; k < r->ncomp; k++) {
            n = (int)strlen(c->res[k].impl);
            wi = n > wi ? n : wi;
        }
    }
    for (int k = 0; k < r->ncomp; k++) {
        int n = (int)strlen(r->comp[k].label);
        wc = n > wc ? n : wc;
    }
    if (wp > 40)
        wp = 40;
    if (wi > 32)
        wi = 32;
    fprintf(f, "%-*s  %-*s  %-*s %10s %6s %3s %8s %6s %8s %8s %8s\n", wp,
            "problem", wc, "competitor", wi, "implementation", "median ms",
            "+-%", "n", "GFLOP/s", "%peak", "x onednn", "x nchw", "error");
    for (int i = 0; i < r->ncases; i++) {
        const conv_case *c = &r->cases[i];
        if (!ran(c, r->ncomp))
            continue;
        int first = 1;
        for (int k = 0; k < r->ncomp; k++) {
            const conv_result *res = &c->res[k];
            if (res->state == RES_SKIPPED || res->state == RES_NONE)
                continue;
            fprintf(f, "%-*.*s  %-*s  ", wp, wp, first ? c->label : "", wc,
                    r->comp[k].label);
            first = 0;
            if (res->state == RES_FAILED) {
                fprintf(f, "FAILED: %s\n", res->why);
                continue;
            }
            double spread = res->t.median > 0
                                ? 50 * (res->t.max - res->t.min) / res->t.median
                                : 0;
            fprintf(f, "%-*.*s %10.4g %6.1f %3d %8.2f %5.1f%%", wi, wi,
                    res->impl, res->t.median * 1e3, spread, res->t.samples,
                    res->gflops, res->pct_peak);
            double ro = conv_ratio(c, k, r->i_onednn);
            double rn = conv_ratio(c, k, r->i_nchw);
            if (ro > 0)
                fprintf(f, " %8.2f", ro);
            else
                fprintf(f, " %8s", "-");
            if (rn > 0)
                fprintf(f, " %8.2f", rn);
            else
                fprintf(f, " %8s", "-");
            if (res->err >= 0)
                fprintf(f, " %8.1e\n", res->err);
            else
                fprintf(f, " %8s\n", "-");
        }
        if (first)
            fprintf(f, "%-*.*s  (no competitor runs it)\n", wp, wp, c->label);
    }
}

/* geomean of the ratio of competitor k to peer over the problems of net
   where both ran; *n gets the count. */
static double geomean(const conv_run *r, const char *net, int k, int peer,
                      int *n)
{
    double s = 0;
    *n = 0;
    for (int i = 0; i < r->ncases; i++) {
        const conv_case *c = &r->cases[i];
        if (strcmp(c->net, net) != 0)
            continue;
        double x = conv_ratio(c, k, peer);
        if (x > 0) {
            s += log(x);
            (*n)++;
        }
    }
    return *n ? exp(s / *n) : 0;
}

/* The nets in order of first appearance: indices of their first case. */
static int nets(const conv_run *r, int *first)
{
    int n = 0;
    for (int i = 0; i < r->ncases; i++) {
        if (!ran(&r->cases[i], r->ncomp))
            continue;
        int seen = 0;
        for (int j = 0; j < n; j++)
            seen |= !strcmp(r->cases[first[j]].net, r->cases[i].net);
        if (!seen && n < 4096)
            first[n++] = i;
    }
    return n;
}

void conv_print_summary(const conv_run *r, FILE *f)
{
    if (r->i_onednn < 0 && r->i_nchw < 0)
        return;
    int first[4096];
    int nn = nets(r, first);
    fprintf(f, "\nsummary: geometric mean over each net's layers of oneDNN's "
               "time / the competitor's (> 1: faster than oneDNN)\n");
    fprintf(f, "%-16s %-24s %10s %14s %7s\n", "net", "competitor",
            "vs onednn", "vs onednn_nchw", "layers");
    for (int j = 0; j < nn; j++) {
        const char *net = r->cases[first[j]].net;
        for (int k = 0; k < r->ncomp; k++) {
            if (r->comp[k].kind != COMP_VCONV && r->comp[k].kind != COMP_XNNPACK)
                continue;
            int n1, n2;
            double g1 = geomean(r, net, k, r->i_onednn, &n1);
            double g2 = geomean(r, net, k, r->i_nchw, &n2);
            if (!n1 && !n2)
                continue;
            fprintf(f, "%-16s %-24s", net, r->comp[k].label);
            if (n1)
                fprintf(f, " %10.2f", g1);
            else
                fprintf(f, " %10s", "-");
            if (n2)
                fprintf(f, " %14.2f", g2);
            else
                fprintf(f, " %14s", "-");
            fprintf(f, " %7d\n", n1 > n2 ? n1 : n2);
        }
    }
    int m = main_comp(r);
    if (m < 0)
        return;
    int losses = 0;
    for (int i = 0; i < r->ncases; i++) {
        const conv_case *c = &r->cases[i];
        double ro = conv_ratio(c, m, r->i_onednn);
        double rn = conv_ratio(c, m, r->i_nchw);
        if (!((ro > 0 && ro < 1) || (rn > 0 && rn < 1)))
            continue;
        if (!losses++)
            fprintf(f, "\nlayers where vconv %s is slower than oneDNN:\n",
                    r->comp[m].label);
        fprintf(f, "  %-30s %-24s", c->label, c->res[m].impl);
        if (ro > 0)
            fprintf(f, " %6.2fx onednn", ro);
        if (rn > 0)
            fprintf(f, " %6.2fx onednn_nchw", rn);
        fprintf(f, "\n");
    }
    if (!losses)
        fprintf(f, "\nvconv %s is not slower than oneDNN on any layer "
                   "measured.\n",
                r->comp[m].label);
}

/* ----------------------------------------------------------------- JSON */

static void jstr(FILE *f, const char *s)
{
    fputc('"', f);
    for (; s && *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            fprintf(f, "\\%c", ch);
        else if (ch == '\n')
            fputs("\\n", f);
        else if (ch < 0x20)
            fprintf(f, "\\u%04x", ch);
        else
            fputc(ch, f);
    }
    fputc('"', f);
}

static void jnum(FILE *f, double x)
{
    if (isfinite(x))
        fprintf(f, "%.9g", x);
    else
        fputs("null", f);
}

static void jratios(FILE *f, const conv_run *r, const conv_case *c, int k)
{
    int any = 0;
    fputs("{", f);
    int peers[2] = {r->i_onednn, r->i_nchw};
    for (int j = 0; j < 2; j++) {
        double x = conv_ratio(c, k, peers[j]);
        if (x > 0) {
            fprintf(f, "%s", any++ ? ", " : "");
            jstr(f, r->comp[peers[j]].label);
            fputs(": ", f);
            jnum(f, x);
        }
    }
    fputs("}", f);
}

int conv_write_json(const conv_run *r, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "{\n  \"schema\": \"vconv-bench-conv/1\",\n");
    fprintf(f, "  \"vconv_version\": \"%d.%d.%d\",\n", VCONV_VERSION_MAJOR,
            VCONV_VERSION_MINOR, VCONV_VERSION_PATCH);
    fputs("  \"command\": ", f);
    jstr(f, r->command);
    fputs(",\n  \"date\": ", f);
    jstr(f, r->date);
    fputs(",\n  \"host\": ", f);
    jstr(f, r->host);
    fputs(",\n  \"machine\": {\n    \"cpu\": ", f);
    jstr(f, r->cpu);
    fprintf(f, ",\n    \"isa_mask\": \"0x%08x\",\n    \"isa_flags\": ",
            (unsigned)r->mask);
    jstr(f, r->flags);
    fprintf(f, ",\n    \"best_isa\": \"%s\",\n    \"cores\": %d,\n",
            vconv_isa_name(r->best_isa), r->cores);
    fputs("    \"peaks\": [", f);
    for (int i = 0; i < r->npeaks; i++) {
        fprintf(f, "%s\n      {\"isa\": \"%s\", \"threads\": %d, \"gflops\": ",
                i ? "," : "", vconv_isa_name(r->peaks[i].isa),
                r->peaks[i].threads);
        jnum(f, r->peaks[i].gflops);
        fputs("}", f);
    }
    fputs("\n    ],\n    \"bandwidth\": [", f);
    for (int i = 0; i < r->nbw; i++) {
        fprintf(f, "%s\n      {\"threads\": %d, \"gbs\": ", i ? "," : "",
                r->bw[i].threads);
        jnum(f, r->bw[i].gbs);
        fputs("}", f);
    }
    fputs("\n    ]\n  },\n", f);
    fprintf(f, "  \"settings\": {\n    \"threads\": %d,\n    \"mb\": ",
            r->threads);
    if (r->mb)
        fprintf(f, "%d", r->mb);
    else
        fputs("null", f);
    fprintf(f, ",\n    \"relu\": %s,\n    \"impl\": ", r->relu ? "true" : "false");
    jstr(f, r->impl_arg);
    fputs(",\n    \"peers\": ", f);
    jstr(f, r->peers_arg);
    fputs(",\n    \"source\": ", f);
    jstr(f, r->source);
    fprintf(f, ",\n    \"quick\": %s,\n    \"timer\": ",
            r->quick ? "true" : "false");
    jstr(f, r->gbench);
    fputs(",\n    \"min_time_s\": ", f);
    jnum(f, r->min_time);
    fputs(",\n    \"sample_s\": ", f);
    jnum(f, r->sample_s);
    fputs(",\n    \"warmup_s\": ", f);
    jnum(f, r->warmup_s);
    fputs(",\n    \"error_measure\": \"max |y - ref| / mag over the first "
          "and last image; mag = the convolution of |src|, |w|, |b|\",\n",
          f);
    fputs("    \"onednn\": ", f);
    if (r->onednn_version[0]) {
        fputs("{\"version\": ", f);
        jstr(f, r->onednn_version);
        fputs(", \"isa\": ", f);
        jstr(f, r->onednn_isa);
        fputs(", \"max_cpu_isa\": ", f);
        if (r->onednn_max_isa)
            jstr(f, r->onednn_max_isa);
        else
            fputs("null", f);
        fputs("}", f);
    } else {
        fputs("null", f);
    }
    fputs(",\n    \"xnnpack\": ", f);
    if (r->xnnpack_info[0])
        jstr(f, r->xnnpack_info);
    else
        fputs("null", f);
    fputs("\n  },\n  \"competitors\": [", f);
    for (int k = 0; k < r->ncomp; k++) {
        fprintf(f, "%s\n    {\"label\": ", k ? "," : "");
        jstr(f, r->comp[k].label);
        fprintf(f, ", \"kind\": \"%s\"}", kind_name(r->comp[k].kind));
    }
    fputs("\n  ],\n  \"problems\": [", f);
    int np = 0;
    for (int i = 0; i < r->ncases; i++) {
        const conv_case *c = &r->cases[i];
        if (!ran(c, r->ncomp))
            continue;
        const vconv_problem *p = &c->p;
        fprintf(f, "%s\n    {\n      \"name\": ", np++ ? "," : "");
        jstr(f, c->label);
        fputs(", \"net\": ", f);
        jstr(f, c->net);
        fputs(", \"desc\": ", f);
        jstr(f, c->desc);
        fprintf(f,
                ",\n      \"mb\": %d, \"g\": %d, \"ic\": %d, \"ih\": %d, "
                "\"iw\": %d, \"oc\": %d, \"oh\": %d, \"ow\": %d,\n"
                "      \"kh\": %d, \"kw\": %d, \"sh\": %d, \"sw\": %d, "
                "\"dh\": %d, \"dw\": %d, \"pad\": [%d, %d, %d, %d], "
                "\"relu\": %s,\n",
                p->mb, p->g, p->ic, p->ih, p->iw, p->oc, p->oh, p->ow, p->kh,
                p->kw, p->sh, p->sw, p->dh, p->dw, p->pt, p->pb, p->pl, p->pr,
                p->act == VCONV_ACT_RELU ? "true" : "false");
        fputs("      \"flops\": ", f);
        jnum(f, c->flops);
        fputs(", \"bytes\": ", f);
        jnum(f, c->bytes);
        fputs(", \"intensity\": ", f);
        jnum(f, c->flops / c->bytes);
        fprintf(f, ", \"rounds\": %d,\n      \"results\": [", c->rounds);
        int nr = 0;
        for (int k = 0; k < r->ncomp; k++) {
            const conv_result *res = &c->res[k];
            if (res->state == RES_NONE)
                continue;
            fprintf(f, "%s\n        {\"competitor\": ", nr++ ? "," : "");
            jstr(f, r->comp[k].label);
            fprintf(f, ", \"kind\": \"%s\", \"status\": \"%s\"",
                    kind_name(r->comp[k].kind), state_name(res->state));
            if (res->state != RES_OK) {
                fputs(", \"reason\": ", f);
                jstr(f, res->why);
                fputs("}", f);
                continue;
            }
            fputs(", \"impl\": ", f);
            jstr(f, res->impl);
            fprintf(f, ", \"isa\": \"%s\",\n         \"detail\": ",
                    vconv_isa_name(res->isa));
            jstr(f, res->detail);
            fputs(",\n         \"time_s\": {\"median\": ", f);
            jnum(f, res->t.median);
            fputs(", \"min\": ", f);
            jnum(f, res->t.min);
            fputs(", \"max\": ", f);
            jnum(f, res->t.max);
            fprintf(f, "}, \"samples\": %d, \"calls_per_sample\": %ld,\n",
                    res->t.samples, res->t.calls);
            fputs("         \"gflops\": ", f);
            jnum(f, res->gflops);
            fputs(", \"pct_peak\": ", f);
            jnum(f, res->pct_peak);
            fputs(", \"ratio\": ", f);
            jratios(f, r, c, k);
            fputs(", \"error\": ", f);
            if (res->err >= 0)
                jnum(f, res->err);
            else
                fputs("null", f);
            fputs("}", f);
        }
        fputs("\n      ]\n    }", f);
    }
    fputs("\n  ],\n  \"summary\": [", f);
    int first[4096], ns = 0;
    int nn = nets(r, first);
    for (int j = 0; j < nn; j++) {
        const char *net = r->cases[first[j]].net;
        for (int k = 0; k < r->ncomp; k++) {
            if (r->comp[k].kind != COMP_VCONV && r->comp[k].kind != COMP_XNNPACK)
                continue;
            int n1, n2;
            double g1 = geomean(r, net, k, r->i_onednn, &n1);
            double g2 = geomean(r, net, k, r->i_nchw, &n2);
            if (!n1 && !n2)
                continue;
            fprintf(f, "%s\n    {\"net\": ", ns++ ? "," : "");
            jstr(f, net);
            fputs(", \"competitor\": ", f);
            jstr(f, r->comp[k].label);
            fprintf(f, ", \"layers\": %d, \"geomean_ratio\": {",
                    n1 > n2 ? n1 : n2);
            if (n1) {
                fputs("\"onednn\": ", f);
                jnum(f, g1);
            }
            if (n2) {
                fputs(n1 ? ", \"onednn_nchw\": " : "\"onednn_nchw\": ", f);
                jnum(f, g2);
            }
            fputs("}}", f);
        }
    }
    fputs("\n  ],\n  \"losses\": [", f);
    int m = main_comp(r), nl = 0;
    for (int i = 0; m >= 0 && i < r->ncases; i++) {
        const conv_case *c = &r->cases[i];
        double ro = conv_ratio(c, m, r->i_onednn);
        double rn = conv_ratio(c, m, r->i_nchw);
        if (!((ro > 0 && ro < 1) || (rn > 0 && rn < 1)))
            continue;
        fprintf(f, "%s\n    {\"problem\": ", nl++ ? "," : "");
        jstr(f, c->label);
        fputs(", \"competitor\": ", f);
        jstr(f, r->comp[m].label);
        fputs(", \"impl\": ", f);
        jstr(f, c->res[m].impl);
        fputs(", \"ratio\": ", f);
        jratios(f, r, c, m);
        fputs("}", f);
    }
    fputs("\n  ]\n}\n", f);
    return fclose(f) == 0 ? 0 : -1;
}

/* ------------------------------------------------------------------ CSV */

static void cstr(FILE *f, const char *s)
{
    fputc('"', f);
    for (; s && *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

int conv_write_csv(const conv_run *r, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fputs("net,problem,desc,mb,threads,flops,bytes,competitor,kind,status,"
          "impl,isa,time_median_s,time_min_s,time_max_s,samples,gflops,"
          "pct_peak,ratio_onednn,ratio_onednn_nchw,error,reason\n",
          f);
    for (int i = 0; i < r->ncases; i++) {
        const conv_case *c = &r->cases[i];
        for (int k = 0; k < r->ncomp; k++) {
            const conv_result *res = &c->res[k];
            if (res->state == RES_NONE)
                continue;
            cstr(f, c->net);
            fputc(',', f);
            cstr(f, c->label);
            fputc(',', f);
            cstr(f, c->desc);
            fprintf(f, ",%d,%d,%.0f,%.0f,", c->p.mb, r->threads, c->flops,
                    c->bytes);
            cstr(f, r->comp[k].label);
            fprintf(f, ",%s,%s,", kind_name(r->comp[k].kind),
                    state_name(res->state));
            cstr(f, res->impl);
            if (res->state == RES_OK) {
                double ro = conv_ratio(c, k, r->i_onednn);
                double rn = conv_ratio(c, k, r->i_nchw);
                fprintf(f, ",%s,%.6g,%.6g,%.6g,%d,%.6g,%.4g,", 
                        vconv_isa_name(res->isa), res->t.median, res->t.min,
                        res->t.max, res->t.samples, res->gflops,
                        res->pct_peak);
                if (ro > 0)
                    fprintf(f, "%.4g", ro);
                fputc(',', f);
                if (rn > 0)
                    fprintf(f, "%.4g", rn);
                fputc(',', f);
                if (res->err >= 0)
                    fprintf(f, "%.3g", res->err);
                fputs(",\n", f);
            } else {
                fputs(",,,,,,,,,,,", f);
                cstr(f, res->why);
                fputc('\n', f);
            }
        }
    }
    return fclose(f) == 0 ? 0 : -1;
}
