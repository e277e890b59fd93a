/*
 * cmd_gemm.c - `vconv-bench gemm`: vconv's packed SGEMM (kernels/gemm)
 * against the measured FMA peak and, where installed, OpenBLAS, in the
 * same process, interleaved (bench/timing.h).
 *
 * Shapes: square 256, 512, 1024, 2048 and the im2col GEMMs of AlexNet's
 * conv1-5 (M = oc/g, N = oh*ow, K = ic/g*kh*kw, from bench/nets.c). All
 * row-major, C = A B (beta 0), the same for both.
 *
 * OpenBLAS is loaded with dlopen("libopenblas.so.0") at run time, never
 * linked: the library does not depend on a BLAS, and the bench runs
 * without one ("not installed"). On a CPU with AVX-512,
 * OPENBLAS_CORETYPE=SkylakeX is set first (unless the environment already
 * sets it): OpenBLAS 0.3.21 does not know Zen 4 and would otherwise pick
 * its Haswell (AVX2) kernels there.
 */
#define _POSIX_C_SOURCE 200809L
#include "commands.h"
#include "nets.h"
#include "peak.h"
#include "timing.h"
#include "../dispatch/cpu.h"
#include "../dispatch/dispatch.h"
#include "../kernels/gemm/gemm.h"

#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ OpenBLAS */

typedef void (*cblas_sgemm_fn)(int order, int ta, int tb, int m, int n, int k,
                               float alpha, const float *a, int lda,
                               const float *b, int ldb, float beta, float *c,
                               int ldc);
static struct {
    void *lib;
    cblas_sgemm_fn sgemm;
    void (*set_threads)(int);
    char *(*config)(void);
    char *(*corename)(void);
} ob;

static bool openblas_load(void)
{
    if (vconv_cpu_mask_has_isa(vconv_cpu_features(), VCONV_ISA_AVX512))
        setenv("OPENBLAS_CORETYPE", "SkylakeX", 0);
    ob.lib = dlopen("libopenblas.so.0", RTLD_NOW | RTLD_LOCAL);
    if (!ob.lib)
        return false;
    /* POSIX: a function pointer travels through void * */
    *(void **)&ob.sgemm = dlsym(ob.lib, "cblas_sgemm");
    *(void **)&ob.set_threads = dlsym(ob.lib, "openblas_set_num_threads");
    *(void **)&ob.config = dlsym(ob.lib, "openblas_get_config");
    *(void **)&ob.corename = dlsym(ob.lib, "openblas_get_corename");
    if (!ob.sgemm || !ob.set_threads) {
        dlclose(ob.lib);
        ob.lib = NULL;
        return false;
    }
    return true;
}

/* ---------------------------------------------------------- competitors */

typedef struct {
    int m, n, k, threads;
    const float *a, *b;
    float *c;
    vconv_isa isa;
    int failed;
} gemm_ctx;

static void run_vconv(void *p)
{
    gemm_ctx *x = p;
    if (vconv_sgemm(x->isa, x->threads, x->m, x->n, x->k, x->a, (size_t)x->k,
                    x->b, (size_t)x->n, x->c, (size_t)x->n, 0, NULL,
                    NULL) != VCONV_OK)
        x->failed = 1;
}

static void run_openblas(void *p)
{
    gemm_ctx *x = p;
    /* 101 CblasRowMajor, 111 CblasNoTrans */
    ob.sgemm(101, 111, 111, x->m, x->n, x->k, 1.0f, x->a, x->k, x->b, x->n,
             0.0f, x->c, x->n);
}

typedef struct {
    char name[40];
    int m, n, k;
} shape;

static int alexnet_shapes(shape *out, int max)
{
    const net_def *net = net_find("alexnet");
    if (!net)
        return 0;
    bench_problem pr[64];
    int np = net_conv_problems(net, pr), n = 0;
    for (int i = 0; i < np && n < max; i++) {
        const vconv_conv_desc *d = &pr[i].d;
        int oh, ow, g = d->groups > 0 ? d->groups : 1;
        if (vconv_conv_output_size(d, &oh, &ow) != VCONV_OK)
            continue;
        snprintf(out[n].name, sizeof out[n].name, "%s", pr[i].name);
        out[n].m = d->out_channels / g;
        out[n].n = oh * ow;
        out[n].k = d->in_channels / g * d->kernel_h * d->kernel_w;
        n++;
    }
    return n;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: vconv-bench gemm [--threads N[,N...]] [--isa ISA] "
            "[--sizes S[,S...]]\n"
            "                        [--no-alexnet] [--samples N]\n"
            "SGEMM GFLOP/s of vconv's packed GEMM (C = A B, row-major) on "
            "square sizes\n(default 256,512,1024,2048) and the im2col GEMM "
            "shapes of AlexNet conv1-5\n(M = oc/g, N = oh*ow, K = "
            "ic/g*kh*kw), each beside the measured FMA peak of\nits ISA on "
            "the same threads and OpenBLAS (dlopen'ed; \"not installed\" "
            "without it;\nOPENBLAS_CORETYPE=SkylakeX on AVX-512 CPUs unless "
            "set). Interleaved medians.\n"
            "  --threads  thread counts, default 1 and the physical cores\n"
            "  --isa      avx512|avx2|scalar|neon|all, default the CPU's "
            "vector ISAs\n");
}

/* Parses "a,b,c" into v (at most max); count, or -1 on a bad list. */
static int parse_list(const char *s, int *v, int max, int lo, int hi)
{
    int n = 0;
    while (*s) {
        char *end;
        long x = strtol(s, &end, 10);
        if (end == s || x < lo || x > hi || n == max)
            return -1;
        v[n++] = (int)x;
        s = end;
        if (*s == ',')
            s++;
        else if (*s)
            return -1;
    }
    return n;
}

int cmd_gemm(int argc, char **argv)
{
    int threads[8] = {1, vconv_default_threads()}, nthreads = 2;
    int sizes[16] = {256, 512, 1024, 2048}, nsizes = 4;
    int samples = 7;
    bool alexnet = true;
    const char *isa_arg = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(argv[i], "--threads") && i + 1 < argc) {
            nthreads = parse_list(argv[++i], threads, 8, 1, 4096);
            if (nthreads < 1) {
                fprintf(stderr, "vconv-bench gemm: bad --threads '%s'\n",
                        argv[i]);
                return 2;
            }
        } else if (!strcmp(argv[i], "--sizes") && i + 1 < argc) {
            nsizes = parse_list(argv[++i], sizes, 16, 1, 16384);
            if (nsizes < 0) {
                fprintf(stderr, "vconv-bench gemm: bad --sizes '%s'\n",
                        argv[i]);
                return 2;
            }
        } else if (!strcmp(argv[i], "--samples") && i + 1 < argc) {
            samples = atoi(argv[++i]);
            if (samples < 1 || samples > 1000) {
                fprintf(stderr, "vconv-bench gemm: bad --samples\n");
                return 2;
            }
        } else if (!strcmp(argv[i], "--isa") && i + 1 < argc) {
            isa_arg = argv[++i];
        } else if (!strcmp(argv[i], "--no-alexnet")) {
            alexnet = false;
        } else {
            fprintf(stderr, "vconv-bench gemm: unknown argument '%s'\n",
                    argv[i]);
            usage(stderr);
            return 2;
        }
    }
    if (nthreads == 2 && threads[0] == threads[1])
        nthreads = 1;

    /* the ISAs to run */
    const uint32_t mask = vconv_cpu_features();
    vconv_isa isas[4];
    int nisa = 0;
    static const vconv_isa order[] = {VCONV_ISA_AVX512, VCONV_ISA_AVX2,
                                      VCONV_ISA_NEON, VCONV_ISA_SCALAR};
    vconv_isa want = VCONV_ISA_AUTO;
    bool all = isa_arg && !strcmp(isa_arg, "all");
    if (isa_arg && !all && !vconv_parse_isa(isa_arg, &want)) {
        fprintf(stderr, "vconv-bench gemm: unknown --isa '%s'\n", isa_arg);
        return 2;
    }
    for (int i = 0; i < 4; i++) {
        vconv_isa x = order[i];
        bool chosen = all || want == x ||
                      (want == VCONV_ISA_AUTO && x != VCONV_ISA_SCALAR);
        if (chosen && vconv_cpu_mask_has_isa(mask, x) &&
            vconv_sgemm_kernel_get(x))
            isas[nisa++] = x;
    }
    if (want == VCONV_ISA_AUTO && !all && nisa == 0)
        isas[nisa++] = VCONV_ISA_SCALAR; /* a CPU without vector kernels */
    if (nisa == 0) {
        fprintf(stderr, "vconv-bench gemm: this CPU (or build) cannot run "
                        "%s\n", isa_arg);
        return 1;
    }

    shape shapes[32];
    int ns = 0;
    for (int i = 0; i < nsizes; i++) {
        snprintf(shapes[ns].name, sizeof shapes[ns].name, "square %d",
                 sizes[i]);
        shapes[ns].m = shapes[ns].n = shapes[ns].k = sizes[i];
        ns++;
    }
    if (alexnet)
        ns += alexnet_shapes(shapes + ns, 32 - ns);

    const bool have_ob = openblas_load();
    if (have_ob)
        printf("OpenBLAS: %s (core %s, OPENBLAS_CORETYPE=%s)\n",
               ob.config ? ob.config() : "?",
               ob.corename ? ob.corename() : "?",
               getenv("OPENBLAS_CORETYPE") ? getenv("OPENBLAS_CORETYPE")
                                           : "unset");
    else
        printf("OpenBLAS: not installed (libopenblas.so.0 not found)\n");
    for (int i = 0; i < nisa; i++) {
        const vconv_sgemm_kernel *k = vconv_sgemm_kernel_get(isas[i]);
        const vconv_sgemm_blocking b = vconv_sgemm_blocking_get(k);
        printf("vconv %-7s microkernel %s, blocking kc %d mc %d nc %d\n",
               vconv_isa_name(isas[i]), k->name, b.kc, b.mc, b.nc);
    }

    int status = 0;
    for (int ti = 0; ti < nthreads; ti++) {
        const int nt = threads[ti];
        double peak[4];
        printf("\n%d thread%s; measured FMA peak:", nt, nt > 1 ? "s" : "");
        for (int i = 0; i < nisa; i++) {
            peak[i] = bench_peak_gflops(isas[i], nt, 0.3);
            printf(" %s %.1f GF/s%s", vconv_isa_name(isas[i]), peak[i],
                   i + 1 < nisa ? "," : "\n");
        }
        if (have_ob)
            ob.set_threads(nt);
        printf("%-16s %5s %5s %5s  %-7s %9s %6s  %9s %8s  %s\n", "shape", "m",
               "n", "k", "isa", "vconv", "%peak", "OpenBLAS", "ratio",
               "max |diff|/scale");
        for (int s = 0; s < ns; s++) {
            const shape *sh = &shapes[s];
            const size_t na = (size_t)sh->m * sh->k, nb = (size_t)sh->k * sh->n,
                         nc = (size_t)sh->m * sh->n;
            float *a = vconv_alloc(na * sizeof(float));
            float *b = vconv_alloc(nb * sizeof(float));
            float *c[5];
            for (int i = 0; i <= nisa; i++)
                c[i] = vconv_alloc(nc * sizeof(float));
            unsigned r = 12345;
            for (size_t i = 0; i < na; i++)
                a[i] = (float)((r = r * 1103515245u + 12345u) >> 9) * 0x1p-23f -
                       0.5f;
            for (size_t i = 0; i < nb; i++)
                b[i] = (float)((r = r * 1103515245u + 12345u) >> 9) * 0x1p-23f -
                       0.5f;
            gemm_ctx ctx[5];
            bench_competitor comp[5];
            int n = 0;
            for (int i = 0; i < nisa; i++, n++) {
                ctx[n] = (gemm_ctx){sh->m, sh->n, sh->k, nt, a, b, c[n],
                                    isas[i], 0};
                comp[n] = (bench_competitor){run_vconv, &ctx[n]};
            }
            if (have_ob) {
                ctx[n] = (gemm_ctx){sh->m, sh->n, sh->k, nt, a, b, c[n],
                                    VCONV_ISA_AUTO, 0};
                comp[n] = (bench_competitor){run_openblas, &ctx[n]};
                n++;
            }
            bench_timing tm[5];
            bench_measure(comp, n, samples, 0.2, 0.1, tm);
            const double flops = 2.0 * sh->m * sh->n * sh->k;
            const double obg = have_ob ? flops / tm[nisa].median * 1e-9 : 0;
            for (int i = 0; i < nisa; i++) {
                double g = flops / tm[i].median * 1e-9;
                /* agreement with OpenBLAS (or the first ISA): the largest
                   difference over the scale of the inputs (|a|,|b| <= 0.5) */
                const float *other = have_ob ? c[nisa] : c[0];
                double worst = 0;
                for (size_t x = 0; x < nc; x++) {
                    double d = fabs((double)c[i][x] - other[x]);
                    if (!(d <= worst))
                        worst = isnan(d) ? INFINITY : d;
                }
                worst /= 0.25 * sh->k;
                if (ctx[i].failed || !(worst < 1e-5)) {
                    status = 1;
                    fprintf(stderr, "vconv-bench gemm: %s %s: %s\n", sh->name,
                            vconv_isa_name(isas[i]),
                            ctx[i].failed ? "vconv_sgemm failed"
                                          : "results disagree");
                }
                char obs[16] = "-", ratio[16] = "-";
                if (have_ob && i == 0)
                    snprintf(obs, sizeof obs, "%.1f", obg);
                if (have_ob)
                    snprintf(ratio, sizeof ratio, "%.2fx", g / obg);
                printf("%-16s %5d %5d %5d  %-7s %9.1f %5.0f%%  %9s %8s  "
                       "%.1e\n",
                       i == 0 ? sh->name : "", sh->m, sh->n, sh->k,
                       vconv_isa_name(isas[i]), g, 100 * g / peak[i], obs,
                       ratio, worst);
            }
            fflush(stdout);
            vconv_free(a);
            vconv_free(b);
            for (int i = 0; i <= nisa; i++)
                vconv_free(c[i]);
        }
    }
    printf("\nGF/s = 2 m n k / median seconds of %d interleaved samples; "
           "%%peak against the\nISA's measured FMA peak on the same "
           "threads; ratio = vconv / OpenBLAS.\n",
           samples);
    return status;
}
