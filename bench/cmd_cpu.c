/* cmd_cpu.c - `vconv-bench cpu`: what the dispatcher sees on this machine;
   `vconv-bench select`: what it chooses for a network's layers, and why.
   Uses the library's internal headers (vconv-bench links the static
   library). */
#include "commands.h"
#include "../dispatch/cpu.h"
#include "../dispatch/dispatch.h"
#include "../dispatch/machine.h"
#include "../dispatch/topology.h"
#include "../dispatch/tune_cache.h"
#include "nets.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void kib(char *buf, size_t len, size_t bytes)
{
    if (bytes == 0)
        snprintf(buf, len, "unknown");
    else if (bytes % (1024 * 1024) == 0)
        snprintf(buf, len, "%zu MiB", bytes / (1024 * 1024));
    else
        snprintf(buf, len, "%zu KiB", bytes / 1024);
}

int cmd_cpu(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: vconv-bench cpu\n"
                   "Prints the CPU, its feature mask, the best ISA, cores and "
                   "caches (as\nreported and as used after the clamps), the "
                   "thread count a plan gets with\nthreads = 0, the "
                   "environment in effect, the tuning cache file, and every\n"
                   "registered implementation in priority order with whether "
                   "this machine\n(and the VCONV_MAX_ISA / VCONV_ALGO caps) "
                   "lets it run.\n"
                   "Environment: VCONV_MAX_ISA, VCONV_ALGO, VCONV_IMPL, "
                   "VCONV_THREADS,\nVCONV_CACHE, VCONV_MACHINE, VCONV_TUNE, VCONV_TUNE_CACHE, "
                   "VCONV_VERBOSE.\n");
            return 0;
        }
        fprintf(stderr, "vconv-bench cpu: unknown argument '%s'\n", argv[i]);
        return 2;
    }
    uint32_t mask = vconv_cpu_features();
    char flags[512];
    vconv_cpu_mask_str(mask, flags, sizeof flags);
    const vconv_topology *t = vconv_topology_get();
    printf("cpu:        %s\n", vconv_cpu_model()[0] ? vconv_cpu_model()
                                                      : "(no model string)");
    printf("vendor:     %s\n", vconv_cpu_vendor()[0] ? vconv_cpu_vendor()
                                                       : "(unknown)");
    printf("arch:       %s\n", VCONV_ARCH_X86_64    ? "x86-64"
                               : VCONV_ARCH_AARCH64 ? "aarch64"
                                                    : "other");
    printf("features:   0x%08x  %s\n", (unsigned)mask, flags);
    printf("best isa:   %s\n", vconv_isa_name(vconv_cpu_best_isa()));
    printf("cores:      %d physical, %d hardware threads (source: %s)\n",
           t->cores, t->pus, t->cores_source);
    char a[32], b[32], c[32];
    kib(a, sizeof a, t->l1d);
    kib(b, sizeof b, t->l2);
    kib(c, sizeof c, t->l3);
    printf("caches:     L1d %s, L2 %s per core, L3 %s shared (used; source: "
           "%s)\n",
           a, b, c, t->cache_source);
    kib(a, sizeof a, t->l1d_raw);
    kib(b, sizeof b, t->l2_raw);
    kib(c, sizeof c, t->l3_raw);
    printf("reported:   L1d %s, L2 %s, L3 %s\n", a, b, c);
    printf("clamps:     L1d 16 KiB..2 MiB, L2 64 KiB..16 MiB, L3 256 KiB.."
           "256 MiB and <= 32 MiB per core\n");
    printf("clamped:    %s\n", t->clamp_note[0] ? t->clamp_note : "nothing");

    /* the machine model the planners read (dispatch/machine.h) */
    const vconv_machine *m = vconv_machine_get();
    printf("machine:    %s%s%s; %s\n", m->name,
           m->matches[0] ? ", as preset " : "", m->matches, m->source);
    for (int i = VCONV_ISA_AVX2; i <= VCONV_ISA_NEON; i++) {
        const vconv_isa isa = (vconv_isa)i;
        if (!vconv_cpu_mask_has_isa(vconv_cpu_features(), isa))
            continue;
        const vconv_isa_model *mi = &m->isa[i];
        printf("  %-8s  %.1f FMAs a cycle (%d lanes), latency %.0f, %.1f "
               "loads a cycle",
               vconv_isa_name(isa), mi->fma_rate, vconv_isa_hw_lanes(isa),
               mi->fma_lat, mi->load_rate);
        if (m->raw[i][0] > 0)
            printf("   [measured %.2f, %.2f, >= %.2f]", m->raw[i][0],
                   m->raw[i][1], m->raw[i][2]);
        printf("\n");
    }

    printf("  L3        %.0f bytes a cycle a core", vconv_machine_l3_bytes());
    if (m->raw_l3 > 0)
        printf("   [measured %.1f in %.1f ms]", m->raw_l3, m->l3_ms);
    printf("\n");
    const double dot = vconv_machine_bf16dot();
    if (dot > 0) {
        printf("  bf16 dot  %.2g vdpbf16ps (zmm) a cycle", dot);
        if (m->raw_bf16dot > 0)
            printf("   [measured %.2f]", m->raw_bf16dot);
        printf("\n");
    }

    /* what a plan with default options gets here, environment included */
    vconv_resolved r;
    int rc = 0;
    if (vconv_resolve_options(NULL, &r) != VCONV_OK) {
        printf("threads:    %d (a plan with threads = 0, ignoring the "
               "environment)\n",
               t->cores);
        printf("environment: ERROR: %s\n", vconv_last_error());
        rc = 1;
        memset(&r, 0, sizeof r);
    } else {
        printf("threads:    %d (a plan with threads = 0%s)\n", r.threads,
               getenv("VCONV_THREADS") ? ", from VCONV_THREADS"
                                       : ": one per physical core");
        printf("environment: algo %s, max_isa %s, impl %s, tune %s, verbose "
               "%d\n",
               vconv_algo_name(r.algo), vconv_isa_name(r.max_isa),
               r.impl ? r.impl : "any", r.tune ? "on" : "off", r.verbose);
    }
    char path[4096];
    if (vconv_tune_cache_path(path, sizeof path)) {
        vconv_tune_cache tc;
        char why[512] = "";
        vconv_tune_cache_init(&tc);
        bool ok = vconv_tune_cache_load(path, &tc, why, sizeof why);
        printf("tune cache: %s (", path);
        if (!ok)
            printf("%s", why);
        else if (!tc.ours)
            printf("%s", tc.why);
        else
            printf("%d entr%s%s%s", tc.n, tc.n == 1 ? "y" : "ies",
                   tc.bad ? ", bad lines: " : "", tc.bad ? tc.why : "");
        printf(")\n");
        vconv_tune_cache_free(&tc);
    } else {
        printf("tune cache: none (set VCONV_TUNE_CACHE, XDG_CACHE_HOME or "
               "HOME)\n");
    }

    printf("registry:   %d implementations, priority order\n",
           vconv_impl_count());
    for (int i = 0; i < vconv_impl_count(); i++) {
        vconv_impl_info info;
        vconv_impl_get(i, &info);
        const char *note = "runs here";
        char buf[192];
        /* low precision: the kinds and the CPU features beyond the ISA */
        const vconv_impl *im = vconv_registry_find(info.name);
        char lp[128] = "", need[96] = "";
        if (im && im->cpu_needs)
            vconv_cpu_mask_str(im->cpu_needs, need, sizeof need);
        if (im && im->dtypes)
            snprintf(lp, sizeof lp, "  [%s%s%s%s]",
                     im->dtypes & VCONV_DT_INT8 ? "int8" : "",
                     im->dtypes == (VCONV_DT_INT8 | VCONV_DT_BF16) ? "," : "",
                     im->dtypes & VCONV_DT_BF16 ? "bf16" : "",
                     need[0] ? ", needs " : "");
        if (need[0] && lp[0])
            snprintf(lp + strlen(lp) - 1, sizeof lp - strlen(lp) + 1, "%s]",
                     need);
        if (!info.available &&
            vconv_cpu_mask_has_isa(vconv_cpu_features(), info.isa)) {
            char miss[96];
            vconv_cpu_mask_str(im ? im->cpu_needs & ~vconv_cpu_features() : 0,
                               miss, sizeof miss);
            snprintf(buf, sizeof buf, "not on this cpu (lacks %s)", miss);
            note = buf;
        } else if (!info.available) {
            snprintf(buf, sizeof buf, "not on this cpu (lacks %s)",
                     vconv_isa_name(info.isa));
            note = buf;
        } else if (r.max_isa != VCONV_ISA_AUTO &&
                   info.isa != VCONV_ISA_SCALAR &&
                   (r.max_isa == VCONV_ISA_NEON || info.isa == VCONV_ISA_NEON
                        ? r.max_isa != info.isa
                        : info.isa > r.max_isa)) {
            snprintf(buf, sizeof buf, "runs here, above VCONV_MAX_ISA=%s",
                     vconv_isa_name(r.max_isa));
            note = buf;
        } else if (r.algo != VCONV_ALGO_AUTO && info.algo != r.algo) {
            snprintf(buf, sizeof buf, "runs here, not VCONV_ALGO=%s",
                     vconv_algo_name(r.algo));
            note = buf;
        }
        printf("  %-24s %-9s %-7s %s%s\n", info.name,
               vconv_algo_name(info.algo), vconv_isa_name(info.isa), note, lp);
    }
    return rc;
}

/* ------------------------------------------------------------------ select */

static void select_usage(FILE *f)
{
    fprintf(f,
            "usage: vconv-bench select NET|all|DESC [--mb N] [--threads N] "
            "[--algo A]\n"
            "                          [--max-isa I] [--impl NAME] [--tune] "
            "[--nhwc] [--relu]\n"
            "                          [--no-run]\n"
            "Creates a plan for each conv layer of NET (or for the benchdnn "
            "descriptor\nDESC), prints the implementation the dispatcher "
            "chose, the create time and\nthe time of one run (not a "
            "benchmark: one cold run). With VCONV_VERBOSE=1 the\nlibrary "
            "prints, for each create, every candidate with its refusal "
            "reason or\nits estimate and the choice with why, and a line per "
            "run.\n");
}

int cmd_select(int argc, char **argv)
{
    const char *what = NULL;
    vconv_options o = {0};
    int mb = 0, run = 1;
    vconv_layout layout = VCONV_NCHW;
    vconv_act act = VCONV_ACT_NONE;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            select_usage(stdout);
            return 0;
        } else if (!strcmp(a, "--mb") && v) {
            mb = atoi(v), i++;
        } else if (!strcmp(a, "--threads") && v) {
            o.threads = atoi(v), i++;
        } else if (!strcmp(a, "--algo") && v) {
            if (!vconv_parse_algo(v, &o.algo)) {
                fprintf(stderr, "vconv-bench select: unknown algo '%s'\n", v);
                return 2;
            }
            i++;
        } else if (!strcmp(a, "--max-isa") && v) {
            if (!vconv_parse_isa(v, &o.max_isa)) {
                fprintf(stderr, "vconv-bench select: unknown isa '%s'\n", v);
                return 2;
            }
            i++;
        } else if (!strcmp(a, "--impl") && v) {
            o.impl = v, i++;
        } else if (!strcmp(a, "--tune")) {
            o.tune = 1;
        } else if (!strcmp(a, "--nhwc")) {
            layout = VCONV_NHWC;
        } else if (!strcmp(a, "--relu")) {
            act = VCONV_ACT_RELU;
        } else if (!strcmp(a, "--no-run")) {
            run = 0;
        } else if (a[0] != '-' && !what) {
            what = a;
        } else {
            fprintf(stderr, "vconv-bench select: bad argument '%s'\n", a);
            select_usage(stderr);
            return 2;
        }
    }
    if (!what) {
        select_usage(stderr);
        return 2;
    }
    /* the problems: every conv of a net, of all nets, or one descriptor */
    int cap = 0, n = 0;
    for (int i = 0; i < net_count(); i++)
        cap += net_at(i)->nlayers;
    bench_problem *probs = calloc((size_t)(cap > 1 ? cap : 1), sizeof *probs);
    if (!probs)
        return 1;
    const net_def *net = net_find(what);
    if (!strcmp(what, "all")) {
        for (int i = 0; i < net_count(); i++)
            n += net_conv_problems(net_at(i), probs + n);
    } else if (net) {
        n = net_conv_problems(net, probs);
    } else {
        char err[512];
        if (bench_desc_parse(what, &probs[0], err, sizeof err) != 0) {
            fprintf(stderr, "vconv-bench select: '%s' is neither a network "
                            "nor a descriptor: %s\n",
                    what, err);
            free(probs);
            return 2;
        }
        n = 1;
    }
    int failed = 0;
    printf("%-24s %-20s %-22s %7s %11s %11s\n", "layer", "shape", "impl",
           "threads", "create ms", "run ms");
    for (int i = 0; i < n; i++) {
        vconv_conv_desc d = probs[i].d;
        if (mb > 0)
            d.batch = mb;
        d.layout = layout;
        d.activation = act;
        int oh = 0, ow = 0;
        vconv_conv_output_size(&d, &oh, &ow);
        char shape[64];
        snprintf(shape, sizeof shape, "%dx%dx%d>%dx%dx%d", d.in_h, d.in_w,
                 d.in_channels, oh, ow, d.out_channels);
        size_t nw = (size_t)d.out_channels * (size_t)d.in_channels /
                    (size_t)(d.groups > 0 ? d.groups : 1) * (size_t)d.kernel_h *
                    (size_t)d.kernel_w;
        size_t ns = (size_t)d.batch * d.in_channels * d.in_h * d.in_w;
        size_t nd = (size_t)d.batch * d.out_channels * (size_t)oh * (size_t)ow;
        float *w = malloc(nw * sizeof(float));
        float *src = malloc(ns * sizeof(float));
        float *dst = malloc((nd ? nd : 1) * sizeof(float));
        if (!w || !src || !dst) {
            free(w);
            free(src);
            free(dst);
            free(probs);
            return 1;
        }
        for (size_t k = 0; k < nw; k++)
            w[k] = (float)((int)(k % 7) - 3) * 0.01f;
        for (size_t k = 0; k < ns; k++)
            src[k] = (float)((int)(k % 5) - 2) * 0.1f;
        const char *name = probs[i].name[0] ? probs[i].name : "-";
        vconv_conv *c = NULL;
        double t0 = vconv_now();
        vconv_status s = vconv_conv_create(&d, w, NULL, &o, &c);
        double t1 = vconv_now();
        if (s != VCONV_OK) {
            printf("%-24s %-20s %s: %s\n", name, shape, vconv_status_str(s),
                   vconv_last_error());
            failed = 1;
        } else {
            double tr = NAN;
            if (run) {
                double r0 = vconv_now();
                s = vconv_conv_run(c, src, dst);
                tr = s == VCONV_OK ? (vconv_now() - r0) * 1e3 : NAN;
                failed |= s != VCONV_OK;
            }
            printf("%-24s %-20s %-22s %7d %11.3f %11.3f\n", name, shape,
                   vconv_conv_impl_name(c), vconv_conv_threads(c),
                   (t1 - t0) * 1e3, tr);
        }
        vconv_conv_destroy(c);
        free(w);
        free(src);
        free(dst);
    }
    free(probs);
    return failed;
}
