/*
 * test_gemm.c - the SGEMM microkernels and driver (kernels/gemm) against a
 * naive double-precision product, for every ISA this CPU runs (the others
 * are skipped and said so; VCONV_MAX_ISA caps them like test_impls).
 *
 *  1. Microkernel edges: m in 1..2 MR, n in 1..2 NR, k in {1, 2, 3, 7, 16,
 *     17, 64, 257}, the m x n block covered by micro-tiles (full and
 *     partial), C strided (ldc > n) inside a NaN-poisoned frame that must
 *     stay bit-for-bit untouched; every combination of ACCUMULATE, RELU,
 *     row bias and column bias rotates over the cases (all of them at
 *     k = 7). In overwrite mode the tile starts as NaN: a kernel that read
 *     C would fail. The packed panels are malloc'ed to their exact size,
 *     so an over-read shows under AddressSanitizer.
 *  2. The driver (vconv_sgemm_run) on odd sizes with tiny blockings (so
 *     every loop of the nest runs several times), strided and prepacked
 *     operands, epilogues, 1/2/3 threads: against the naive product, and
 *     bitwise equal whenever kc is the same (threads, mc, nc and the
 *     operand sources must not change a bit).
 *  3. vconv_sgemm() on whole matrices with the machine's blocking and K
 *     beyond one kc block.
 * Failures print the ISA, kernel, shape, flags and the element.
 */
#include "check.h"
#include "common.h"
#include "../dispatch/cpu.h"
#include "../dispatch/dispatch.h"
#include "../kernels/gemm/gemm.h"
#include "../kernels/im2col/im2col.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

CHECK_DEFINE_GLOBALS

static const uint32_t POISON = 0x7fc0dead; /* a quiet NaN with a payload */

static float poison(void)
{
    float f;
    memcpy(&f, &POISON, sizeof f);
    return f;
}

static bool is_poison(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u == POISON;
}

static void flags_str(uint32_t f, bool rb, bool cb, char *buf, size_t len)
{
    snprintf(buf, len, "%s%s%s%s", f & VCONV_SGEMM_ACCUMULATE ? "acc " : "",
             f & VCONV_SGEMM_RELU ? "relu " : "", rb ? "row_bias " : "",
             cb ? "col_bias " : "");
}

/* The expected C(i,j) of the contract, in double, and the scale its float
   rounding acts on. */
static double expect(double ab, double absab, double c0, bool acc,
                     const float *rb, const float *cb, int i, int j,
                     bool relu, double *mag)
{
    double r = ab;
    *mag = absab;
    if (acc) {
        r += c0;
        *mag += fabs(c0);
    }
    if (rb) {
        r += rb[i];
        *mag += fabs(rb[i]);
    }
    if (cb) {
        r += cb[j];
        *mag += fabs(cb[j]);
    }
    if (relu && r < 0)
        r = 0;
    return r;
}

/* ------------------------------------------------------ 1. microkernels */

static void test_ukernel(const vconv_sgemm_kernel *kern)
{
    static const int ks[] = {1, 2, 3, 7, 16, 17, 64, 257};
    const int MR = kern->mr, NR = kern->nr;
    const int M = 2 * MR, N = 2 * NR;
    test_rng rng = {42 + (uint64_t)kern->isa};
    float *rb = malloc(M * sizeof(float)), *cb = malloc(N * sizeof(float));
    float *c0 = malloc((size_t)M * N * sizeof(float));
    fill_normal(&rng, rb, M);
    fill_normal(&rng, cb, N);
    fill_normal(&rng, c0, (size_t)M * N);
    /* C frame: 1 poisoned row above and below, 2 columns left, ldc - n - 2
       right */
    const size_t ldc = N + 5;
    float *cbuf = malloc((size_t)(M + 2) * ldc * sizeof(float));
    int cases = 0, failed = 0;
    for (size_t ki = 0; ki < sizeof ks / sizeof ks[0]; ki++) {
        const int k = ks[ki];
        float *a = malloc((size_t)M * k * sizeof(float));
        float *b = malloc((size_t)k * N * sizeof(float));
        double *ab = malloc((size_t)M * N * sizeof(double));
        double *absab = malloc((size_t)M * N * sizeof(double));
        fill_normal(&rng, a, (size_t)M * k);
        fill_normal(&rng, b, (size_t)k * N);
        /* the sub-products of every (m, n) are corners of the full one */
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++) {
                double s = 0, t = 0;
                for (int p = 0; p < k; p++) {
                    double x = (double)a[i * k + p] * b[p * N + j];
                    s += x;
                    t += fabs(x);
                }
                ab[i * N + j] = s;
                absab[i * N + j] = t;
            }
        for (int m = 1; m <= M; m++)
            for (int n = 1; n <= N; n++) {
                /* exact-size panels: an over-read is out of bounds */
                float *ap = malloc(vconv_sgemm_packed_size(m, k, MR) *
                                   sizeof(float));
                float *bp = malloc(vconv_sgemm_packed_size(n, k, NR) *
                                   sizeof(float));
                vconv_sgemm_pack(m, k, a, k, 1, MR, ap);
                vconv_sgemm_pack(n, k, b, 1, N, NR, bp);
                {
                    /* the kernel's own pack routine moves the same floats */
                    const size_t sa = vconv_sgemm_packed_size(m, k, MR);
                    const size_t sb = vconv_sgemm_packed_size(n, k, NR);
                    float *ap2 = malloc(sa * sizeof(float));
                    float *bp2 = malloc(sb * sizeof(float));
                    kern->pack(m, k, a, k, 1, MR, ap2);
                    kern->pack(n, k, b, 1, N, NR, bp2);
                    CHECK(!memcmp(ap, ap2, sa * sizeof(float)) &&
                              !memcmp(bp, bp2, sb * sizeof(float)),
                          "%s: its pack routine differs from "
                          "vconv_sgemm_pack (m=%d n=%d k=%d)",
                          kern->name, m, n, k);
                    free(ap2);
                    free(bp2);
                }
                const int combos = k == 7 ? 16 : 1;
                for (int cmb = 0; cmb < combos; cmb++) {
                    const int sel = k == 7 ? cmb : cases % 16;
                    const uint32_t flags =
                        (sel & 1 ? VCONV_SGEMM_ACCUMULATE : 0) |
                        (sel & 2 ? VCONV_SGEMM_RELU : 0);
                    const float *r = sel & 4 ? rb : NULL;
                    const float *q = sel & 8 ? cb : NULL;
                    const bool acc = flags & VCONV_SGEMM_ACCUMULATE;
                    for (size_t x = 0; x < (size_t)(M + 2) * ldc; x++)
                        cbuf[x] = poison();
                    float *c = cbuf + ldc + 2;
                    if (acc)
                        for (int i = 0; i < m; i++)
                            for (int j = 0; j < n; j++)
                                c[i * ldc + j] = c0[i * N + j];
                    for (int i0 = 0; i0 < m; i0 += MR)
                        for (int j0 = 0; j0 < n; j0 += NR)
                            kern->ukernel(
                                (size_t)vconv_min_i(MR, m - i0),
                                (size_t)vconv_min_i(NR, n - j0), (size_t)k,
                                ap + (size_t)i0 * k, bp + (size_t)j0 * k,
                                c + i0 * ldc + j0, ldc, flags,
                                r ? r + i0 : NULL, q ? q + j0 : NULL);
                    cases++;
                    char fs[64];
                    flags_str(flags, r, q, fs, sizeof fs);
                    bool bad = false;
                    for (int i = -1; i <= M && !bad; i++)
                        for (int j = -2; j < (int)ldc - 2 && !bad; j++) {
                            float got = c[i * (ptrdiff_t)ldc + j];
                            if (i < 0 || i >= m || j < 0 || j >= n) {
                                if (!is_poison(got)) {
                                    CHECK(0,
                                          "%s: m=%d n=%d k=%d %s: wrote "
                                          "C(%d,%d) outside the tile",
                                          kern->name, m, n, k, fs, i, j);
                                    bad = true;
                                }
                                continue;
                            }
                            double mag;
                            double want = expect(
                                ab[i * N + j], absab[i * N + j],
                                c0[i * N + j], acc, r, q, i, j,
                                flags & VCONV_SGEMM_RELU, &mag);
                            double tol = (k + 4) * (double)FLT_EPSILON * mag;
                            if (!(fabs(got - want) <= tol)) {
                                CHECK(0,
                                      "%s: m=%d n=%d k=%d %s: C(%d,%d) = "
                                      "%.9g, want %.9g (tol %.3g; tile "
                                      "%dx%d)",
                                      kern->name, m, n, k, fs, i, j, got,
                                      want, tol, MR, NR);
                                bad = true;
                            }
                        }
                    failed += bad;
                    check_count++;
                }
                free(ap);
                free(bp);
            }
        free(a);
        free(b);
        free(ab);
        free(absab);
    }
    printf("  ukernel %-14s %d cases, %d failed\n", kern->name, cases,
           failed);

    /* the kernel's gather moves the same floats as the portable one, with
       NULL rows (zeros) and every length around its vector width */
    {
        const int maxlen = 40;
        float *src = malloc((size_t)MR * maxlen * sizeof(float));
        float *d1 = malloc((size_t)maxlen * MR * sizeof(float));
        float *d2 = malloc((size_t)maxlen * MR * sizeof(float));
        const float *rows[64];
        fill_normal(&rng, src, (size_t)MR * maxlen);
        for (int len = 1; len <= maxlen; len++) {
            for (int i = 0; i < MR; i++)
                rows[i] = (i + len) % 5 == 0 ? NULL
                                             : src + (size_t)i * maxlen;
            vconv_sgemm_gather(len, rows, MR, d1);
            kern->gather(len, rows, MR, d2);
            CHECK(!memcmp(d1, d2, (size_t)len * MR * sizeof(float)),
                  "%s: its gather differs from vconv_sgemm_gather (len %d)",
                  kern->name, len);
        }
        free(src);
        free(d1);
        free(d2);
    }

    /* RELU keeps a NaN (as the reference's `if (r < 0) r = 0` does): a NaN
       in row 0 of A must reach every C(0, j), and only row 0 */
    {
        const int k = 3;
        float *a = calloc((size_t)MR * k, sizeof(float));
        float *b = malloc((size_t)NR * k * sizeof(float));
        float *c = malloc((size_t)MR * NR * sizeof(float));
        fill_normal(&rng, b, (size_t)NR * k);
        a[0] = NAN;
        kern->ukernel(MR, NR, k, a, b, c, NR, VCONV_SGEMM_RELU, NULL, NULL);
        bool ok = true;
        for (int i = 0; i < MR; i++)
            for (int j = 0; j < NR; j++)
                ok &= i == 0 ? isnan(c[i * NR + j]) : c[i * NR + j] == 0.0f;
        CHECK(ok, "%s: RELU must pass a NaN through (row 0 NaN, rows "
                  "1.. zero)", kern->name);
        free(a);
        free(b);
        free(c);
    }
    free(rb);
    free(cb);
    free(c0);
    free(cbuf);
}

/* ----------------------------------------------------------- 2. driver */

typedef struct {
    int m, n, k;
    float *a, *b, *c0, *rb, *cb;
} gemm_case;

static void case_init(gemm_case *g, int m, int n, int k, test_rng *r)
{
    g->m = m;
    g->n = n;
    g->k = k;
    g->a = malloc((size_t)m * (k ? k : 1) * sizeof(float));
    g->b = malloc((size_t)(k ? k : 1) * n * sizeof(float));
    g->c0 = malloc((size_t)m * n * sizeof(float));
    g->rb = malloc((size_t)m * sizeof(float));
    g->cb = malloc((size_t)n * sizeof(float));
    fill_normal(r, g->a, (size_t)m * k);
    fill_normal(r, g->b, (size_t)k * n);
    fill_normal(r, g->c0, (size_t)m * n);
    fill_normal(r, g->rb, (size_t)m);
    fill_normal(r, g->cb, (size_t)n);
}

static void case_free(gemm_case *g)
{
    free(g->a);
    free(g->b);
    free(g->c0);
    free(g->rb);
    free(g->cb);
}

/* Checks c (m x n, ldc n) against the contract; returns false on failure
   (and says where). */
static bool check_c(const gemm_case *g, const float *c, uint32_t flags,
                    const float *rb, const float *cb, const char *what)
{
    for (int i = 0; i < g->m; i++)
        for (int j = 0; j < g->n; j++) {
            double s = 0, t = 0;
            for (int p = 0; p < g->k; p++) {
                double x = (double)g->a[(size_t)i * g->k + p] *
                           g->b[(size_t)p * g->n + j];
                s += x;
                t += fabs(x);
            }
            double mag;
            double want =
                expect(s, t, g->c0[(size_t)i * g->n + j],
                       flags & VCONV_SGEMM_ACCUMULATE, rb, cb, i, j,
                       flags & VCONV_SGEMM_RELU, &mag);
            double tol = (g->k + 4) * (double)FLT_EPSILON * mag;
            float got = c[(size_t)i * g->n + j];
            if (!(fabs(got - want) <= tol)) {
                CHECK(0, "%s: m=%d n=%d k=%d: C(%d,%d) = %.9g, want %.9g",
                      what, g->m, g->n, g->k, i, j, got, want);
                return false;
            }
        }
    check_count++;
    return true;
}

static void test_driver(const vconv_sgemm_kernel *kern)
{
    const int MR = kern->mr, NR = kern->nr;
    const int shapes[][3] = {
        {1, 1, 1},         {1, 1, 0},          {37, 45, 29},
        {MR, NR, 16},      {MR + 1, NR + 1, 17}, {2 * MR + 3, 3 * NR + 5, 51},
        {5, 4 * NR + 1, 40}, {4 * MR + 1, 7, 33}, {100, 77, 100}};
    /* blockings: all share kc = 16 (the bits must agree across them) */
    const vconv_sgemm_blocking bls[] = {{.kc = 16, .mc = MR, .nc = NR},
                                         {.kc = 16, .mc = 3 * MR, .nc = 2 * NR},
                                         {.kc = 16, .mc = 64 * MR,
                                          .nc = 64 * NR}};
    test_rng rng = {7 + (uint64_t)kern->isa};
    int runs = 0;
    for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
        gemm_case g;
        case_init(&g, shapes[si][0], shapes[si][1], shapes[si][2], &rng);
        const size_t mn = (size_t)g.m * g.n;
        float *c = malloc(mn * sizeof(float)), *first = malloc(mn * sizeof(float));
        /* prepacked copies of A and B with kc = 16 */
        float *apk = vconv_alloc(
            (vconv_sgemm_packed_size(g.m, g.k, MR) + 1) * sizeof(float));
        float *bpk = vconv_alloc(
            (vconv_sgemm_packed_size(g.n, g.k, NR) + 1) * sizeof(float));
        vconv_sgemm_pack_blocked(g.m, g.k, g.a, g.k, 1, MR, 16, apk);
        vconv_sgemm_pack_blocked(g.n, g.k, g.b, 1, g.n, NR, 16, bpk);
        for (int variant = 0; variant < 4; variant++) {
            const uint32_t flags = (variant & 1 ? VCONV_SGEMM_ACCUMULATE : 0) |
                                   (variant & 2 ? VCONV_SGEMM_RELU : 0);
            const float *rb = variant & 1 ? g.rb : NULL;
            const float *cb = variant & 2 ? g.cb : NULL;
            bool have_first = false;
            for (size_t bi = 0; bi < sizeof bls / sizeof bls[0]; bi++)
                for (int threads = 1; threads <= 3; threads++)
                    for (int src = 0; src < 4; src++) {
                        /* 0: both strided (the kernel's pack), 1: A
                           prepacked, 2: both, 3: strided, portable pack */
                        const vconv_sgemm_kernel *pk = src == 3 ? NULL : kern;
                        vconv_sgemm_strided as =
                            vconv_sgemm_src_strided(pk, g.a, g.k, 1);
                        vconv_sgemm_strided bs =
                            vconv_sgemm_src_strided(pk, g.b, 1, g.n);
                        vconv_sgemm_prepacked ap =
                            vconv_sgemm_src_prepacked(apk, g.m);
                        vconv_sgemm_prepacked bp =
                            vconv_sgemm_src_prepacked(bpk, g.n);
                        vconv_sgemm_problem pr = {
                            .m = g.m, .n = g.n, .k = g.k,
                            .a = src >= 1 ? &ap.base : &as.base,
                            .b = src >= 2 ? &bp.base : &bs.base, .c = c,
                            .ldc = (size_t)g.n, .flags = flags,
                            .row_bias = rb, .col_bias = cb};
                        size_t wf = vconv_sgemm_workspace(kern, &bls[bi],
                                                          threads, &pr);
                        float *work = vconv_alloc((wf + 1) * sizeof(float));
                        for (size_t x = 0; x < mn; x++)
                            c[x] = flags & VCONV_SGEMM_ACCUMULATE ? g.c0[x]
                                                                  : poison();
                        vconv_sgemm_run(kern, &bls[bi], threads, &pr, work);
                        vconv_free(work);
                        runs++;
                        char what[160];
                        char fs[64];
                        flags_str(flags, rb, cb, fs, sizeof fs);
                        snprintf(what, sizeof what,
                                 "%s driver, kc %d mc %d nc %d, %d threads, "
                                 "source %d, %s",
                                 kern->name, bls[bi].kc, bls[bi].mc,
                                 bls[bi].nc, threads, src, fs);
                        if (!check_c(&g, c, flags, rb, cb, what))
                            continue;
                        if (!have_first) {
                            memcpy(first, c, mn * sizeof(float));
                            have_first = true;
                        } else {
                            CHECK(!memcmp(first, c, mn * sizeof(float)),
                                  "%s: not bitwise equal to kc 16 mc %d nc "
                                  "%d 1 thread source 0",
                                  what, bls[0].mc, bls[0].nc);
                        }
                    }
        }
        vconv_free(apk);
        vconv_free(bpk);
        free(c);
        free(first);
        case_free(&g);
    }
    printf("  driver  %-14s %d runs\n", kern->name, runs);
}

/* ------------------------------------------------- 3. whole matrices */

static void test_sgemm(const vconv_sgemm_kernel *kern)
{
    const vconv_sgemm_blocking bl = vconv_sgemm_blocking_get(kern);
    test_rng rng = {99 + (uint64_t)kern->isa};
    gemm_case g;
    case_init(&g, 2 * kern->mr + 5, 3 * kern->nr + 3, 2 * bl.kc + 7, &rng);
    const size_t mn = (size_t)g.m * g.n;
    float *c1 = malloc(mn * sizeof(float)), *c2 = malloc(mn * sizeof(float));
    memcpy(c1, g.c0, mn * sizeof(float));
    memcpy(c2, g.c0, mn * sizeof(float));
    const uint32_t f = VCONV_SGEMM_ACCUMULATE | VCONV_SGEMM_RELU;
    CHECK_STATUS(vconv_sgemm(kern->isa, 1, g.m, g.n, g.k, g.a, g.k, g.b, g.n,
                             c1, g.n, f, g.rb, g.cb),
                 VCONV_OK);
    CHECK_STATUS(vconv_sgemm(kern->isa, 2, g.m, g.n, g.k, g.a, g.k, g.b, g.n,
                             c2, g.n, f, g.rb, g.cb),
                 VCONV_OK);
    char what[96];
    snprintf(what, sizeof what, "vconv_sgemm %s (kc %d)", kern->name, bl.kc);
    check_c(&g, c1, f, g.rb, g.cb, what);
    CHECK(!memcmp(c1, c2, mn * sizeof(float)),
          "%s: 2 threads differ from 1", what);
    CHECK_STATUS(vconv_sgemm(kern->isa, 1, 0, 3, 3, g.a, 3, g.b, 3, c1, 3, 0,
                             NULL, NULL),
                 VCONV_ERR_BAD_SHAPE);
    free(c1);
    free(c2);
    case_free(&g);
}

/* ------------------------------------------------ 4. im2col scratch */

/* The im2col scratch is per-thread cache blocks, not the im2col matrix:
   AlexNet conv1 (363 x 3025 floats of im2col an image, 140 MB at mb 32)
   takes the same few MiB at mb = 32 as at mb = 1, in both layouts. */
static void test_im2col_scratch(vconv_isa isa)
{
    vconv_conv_desc d = {.batch = 1, .in_channels = 3, .in_h = 227,
                         .in_w = 227, .out_channels = 96, .kernel_h = 11,
                         .kernel_w = 11, .stride_h = 4, .stride_w = 4};
    for (int layout = 0; layout < 2; layout++) {
        d.layout = layout ? VCONV_NHWC : VCONV_NCHW;
        vconv_problem p1, p32;
        d.batch = 1;
        CHECK_STATUS(vconv_problem_init(&d, &p1), VCONV_OK);
        d.batch = 32;
        CHECK_STATUS(vconv_problem_init(&d, &p32), VCONV_OK);
        p1.threads = p32.threads = 2;
        const size_t b1 = vconv_im2col_scratch_bytes(isa, &p1);
        const size_t b32 = vconv_im2col_scratch_bytes(isa, &p32);
        printf("  im2col.%s AlexNet conv1 %s scratch, 2 threads: mb 1 "
               "%.2f MiB, mb 32 %.2f MiB\n",
               vconv_isa_name(isa), layout ? "nhwc" : "nchw",
               b1 / 1048576.0, b32 / 1048576.0);
        CHECK(b1 > 0 && b32 <= b1 && b32 <= ((size_t)8 << 20),
              "im2col.%s conv1 scratch mb 1: %zu bytes, mb 32: %zu bytes "
              "(want <= 8 MiB, not growing with the batch)",
              vconv_isa_name(isa), b1, b32);
    }
}

int main(void)
{
    static const vconv_isa isas[] = {VCONV_ISA_SCALAR, VCONV_ISA_AVX2,
                                     VCONV_ISA_AVX512, VCONV_ISA_NEON};
    vconv_isa cap = VCONV_ISA_AUTO;
    const char *e = getenv("VCONV_MAX_ISA");
    if (e && *e && !vconv_parse_isa(e, &cap)) {
        fprintf(stderr, "bad VCONV_MAX_ISA '%s'\n", e);
        return 2;
    }
    const uint32_t mask = vconv_cpu_features();
    int tested = 0;
    for (size_t i = 0; i < sizeof isas / sizeof isas[0]; i++) {
        const vconv_sgemm_kernel *kern = vconv_sgemm_kernel_get(isas[i]);
        const char *isa = vconv_isa_name(isas[i]);
        if (!kern) {
            printf("%s: no sgemm kernel in this build, skipped\n", isa);
            continue;
        }
        if (!vconv_cpu_mask_has_isa(mask, isas[i])) {
            printf("%s: this CPU lacks it, skipped\n", isa);
            continue;
        }
        if (cap != VCONV_ISA_AUTO && isas[i] != VCONV_ISA_SCALAR &&
            (cap == VCONV_ISA_NEON ? isas[i] != VCONV_ISA_NEON
                                   : isas[i] > cap)) {
            printf("%s: above VCONV_MAX_ISA, skipped\n", isa);
            continue;
        }
        printf("%s: kernel %s (%dx%d)\n", isa, kern->name, kern->mr,
               kern->nr);
        fflush(stdout);
        test_ukernel(kern);
        test_driver(kern);
        test_sgemm(kern);
        test_im2col_scratch(isas[i]);
        tested++;
    }
    CHECK(tested > 0, "no sgemm kernel tested (the scalar one always runs)");
    return check_exit("gemm");
}
