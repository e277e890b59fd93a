/*
 * test_winograd.c - the Winograd convolution (kernels/winograd), for every
 * ISA this CPU runs (the others are skipped and said so; VCONV_MAX_ISA
 * caps them like test_impls):
 *
 *  1. The matrices: y = A^T [(G g) . (B^T d)] is the correlation of d and
 *     g, in double, on random data (catches a wrong table entry).
 *  2. Each transform alone against its explicit matrix form, in double:
 *       the weight transform against G g G^T;
 *       the input transform against B^T d B, with padding masks (rows and
 *       columns read as 0), every lane placement in the GEMM panels (mr
 *       14, 6 and 8, groups cut short), NaN-poisoned panels (a value written
 *       where it must not be, or not written, shows);
 *       the output transform against A^T M A + bias (ReLU or not), tiles
 *       cut by the border (mi, mj < m), channel tails;
 *       the transposes (NHWC strips, NCHW writer) exactly;
 *       the ISA's Winograd GEMM kernels (ops->gemm) against a double
 *       product on every m <= MR, n up to NR, k from 1 to 257, inside a
 *       NaN-poisoned frame.
 *  3. Whole convolutions against the reference (tests/common.c: accuracy
 *     at the Winograd tolerance, dst fully written, src untouched, 1/2/3
 *     threads bitwise equal): inputs 1x1, 2x2, 3x3, 5x7, sizes that are
 *     not a multiple of any tile, groups, 'full' padding and more (outputs
 *     that see only padding), NCHW and NHWC, ReLU, bias or none, batch 1
 *     and 3, every variant and ISA.
 *
 *   test_winograd                  the tests above
 *   test_winograd --accuracy DIR [--mb N]
 *       the accuracy contract's table: every 3x3 and 5x5 stride-1 layer of
 *       the shapes files in DIR (bench/shapes), N(0,1) data, every variant
 *       of its kernel size and ISA: e_mag = max |y - ref| / max(mag, mean mag) (the tests'
 *       measure) and e_out = max |y - ref| / rms(ref) (relative to the
 *       output's scale, the bound the dispatcher enforces); not a ctest.
 */
#include "check.h"
#include "common.h"
#include "../dispatch/cpu.h"
#include "../dispatch/dispatch.h"
#include "../kernels/winograd/winograd.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

CHECK_DEFINE_GLOBALS

static const char *var_name[WINO_NVARIANTS] = {"f2x3", "f4x3", "f6x3",
                                               "f2x5", "f4x5"};

typedef struct {
    vconv_isa isa;
    const wino_isa_ops *ops;
} isa_case;

/* The ISAs this CPU runs, under the VCONV_MAX_ISA cap. */
static int isas(isa_case *out)
{
    vconv_isa cap = VCONV_ISA_AUTO;
    const char *e = getenv("VCONV_MAX_ISA");
    if (e && *e && !vconv_parse_isa(e, &cap)) {
        fprintf(stderr, "bad VCONV_MAX_ISA '%s'\n", e);
        exit(2);
    }
    int n = 0;
    out[n++] = (isa_case){VCONV_ISA_SCALAR, &vconv_wino_ops_scalar};
#if VCONV_ARCH_X86_64
    const uint32_t mask = vconv_cpu_features();
    const isa_case x86[] = {{VCONV_ISA_AVX2, &vconv_wino_ops_avx2},
                            {VCONV_ISA_AVX512, &vconv_wino_ops_avx512}};
    for (int i = 0; i < 2; i++) {
        const char *nm = vconv_isa_name(x86[i].isa);
        if (!vconv_cpu_mask_has_isa(mask, x86[i].isa))
            printf("%s: this CPU lacks it, skipped\n", nm);
        else if (cap != VCONV_ISA_AUTO && cap != VCONV_ISA_NEON &&
                 x86[i].isa > cap)
            printf("%s: above VCONV_MAX_ISA, skipped\n", nm);
        else
            out[n++] = x86[i];
    }
#endif
#if VCONV_ARCH_AARCH64
    if (!vconv_cpu_mask_has_isa(vconv_cpu_features(), VCONV_ISA_NEON))
        printf("neon: this CPU lacks it, skipped\n");
    else if (cap != VCONV_ISA_AUTO && cap != VCONV_ISA_NEON)
        printf("neon: above VCONV_MAX_ISA, skipped\n");
    else
        out[n++] = (isa_case){VCONV_ISA_NEON, &vconv_wino_ops_neon};
#endif
    return n;
}

/* -------------------------------------------------------- 1. matrices */

static void test_matrices(void)
{
    test_rng r = {11};
    for (int v = 0; v < WINO_NVARIANTS; v++) {
        const wino_matrices *mx = vconv_wino_matrices(v);
        const int m = mx->m, a = mx->alpha, rr = mx->r;
        CHECK(a == m + rr - 1, "%s alpha %d", var_name[v], a);
        double worst = 0;
        for (int trial = 0; trial < 20; trial++) {
            double d[8], g[5], u[8], w[8];
            for (int i = 0; i < a; i++)
                d[i] = rng_normal(&r);
            for (int k = 0; k < rr; k++)
                g[k] = rng_normal(&r);
            for (int j = 0; j < a; j++) {
                u[j] = w[j] = 0;
                for (int k = 0; k < rr; k++)
                    u[j] += mx->g[j * rr + k] * g[k];
                for (int i = 0; i < a; i++)
                    w[j] += mx->bt[j * a + i] * d[i];
            }
            for (int i = 0; i < m; i++) {
                double y = 0, want = 0, mag = 0;
                for (int j = 0; j < a; j++)
                    y += mx->at[i * a + j] * u[j] * w[j];
                for (int k = 0; k < rr; k++) {
                    want += g[k] * d[i + k];
                    mag += fabs(g[k] * d[i + k]);
                }
                double e = fabs(y - want) / mag;
                if (e > worst)
                    worst = e;
            }
        }
        /* exact in rationals; double rounding of the larger entries of
           F(6x6) (up to 1e2) leaves ~1e-13 */
        CHECK(worst < 1e-11, "%s (points %s): A^T[(Gg).(B^T d)] differs from "
                             "the correlation by %.3g",
              var_name[v], mx->points, worst);
    }
}

/* ---------------------------------------------- 2. transforms alone */

static void test_weight_transform(void)
{
    test_rng r = {12};
    for (int v = 0; v < WINO_NVARIANTS; v++) {
        const wino_matrices *mx = vconv_wino_matrices(v);
        const int a = mx->alpha, rr = mx->r;
        for (int trial = 0; trial < 10; trial++) {
            float g[25], u[64];
            fill_normal(&r, g, (size_t)(rr * rr));
            vconv_wino_weight_transform(v, g, u);
            for (int i = 0; i < a; i++)
                for (int j = 0; j < a; j++) {
                    double want = 0;
                    for (int p = 0; p < rr; p++)
                        for (int q = 0; q < rr; q++)
                            want += mx->g[i * rr + p] * g[p * rr + q] *
                                    mx->g[j * rr + q];
                    double e = fabs(u[i * a + j] - want);
                    CHECK(e <= 1e-7 * (fabs(want) + 1e-30) + 1e-30,
                          "%s weight transform U[%d][%d] = %.9g, G g G^T = "
                          "%.9g",
                          var_name[v], i, j, u[i * a + j], want);
                }
        }
    }
}

static bool is_nan(float x) { return x != x; }

/*
 * The input transform of `lanes` lanes, each with a random patch and
 * random masks (rows / columns off: zeros), nch steps. Checks every
 * (point, step, lane) value against B^T d B in double, and that nothing
 * else was written, except what the `aligned` ISAs are allowed to write
 * (the vl - lanes floats past a step's row: the next step's row, or the
 * point's padding).
 */
static void check_input(const isa_case *ic, int v, int lanes, int nch,
                        bool masked, test_rng *r)
{
    const wino_matrices *mx = vconv_wino_matrices(v);
    const int a = mx->alpha, vl = ic->ops->vl;
    const int a2 = a * a;
    /* patches: lane l's alpha x (alpha + 2) window per step, apart */
    const int pw = a + 8, ph = a;
    const ptrdiff_t rs = pw, cs = (ptrdiff_t)ph * pw;
    float *src = malloc(sizeof(float) * (size_t)vl * nch * cs + 64);
    fill_normal(r, src, (size_t)vl * nch * cs + 16);
    const float *patch[16];
    uint8_t mask[8 * 16];
    for (int l = 0; l < vl; l++) {
        const int ll = l < lanes ? l : 0;
        patch[l] = src + (size_t)ll * nch * cs;
        for (int i = 0; i < a; i++) {
            unsigned full = a == 4 ? 0x0f : 0xff;
            unsigned mk = full;
            if (masked) { /* a band of rows or columns off, like padding */
                int kind = rng_int(r, 0, 3);
                if (kind == 1 && i < rng_int(r, 0, 2))
                    mk = 0;
                if (kind == 2)
                    mk = full & ~((1u << rng_int(r, 0, 2)) - 1);
                if (kind == 3)
                    mk = (1u << rng_int(r, 1, a)) - 1;
            }
            mask[i * vl + ll] = (uint8_t)mk;
            if (l != ll)
                mask[i * vl + l] = mask[i * vl + ll];
        }
    }
    const ptrdiff_t vs_point = (ptrdiff_t)nch * lanes + WINO_PANEL_PAD;
    const size_t nv = (size_t)a2 * vs_point;
    float *vbuf = malloc(nv * sizeof(float));
    for (size_t i = 0; i < nv; i++)
        vbuf[i] = NAN;
    ic->ops->input[v](patch, cs, rs, mask, lanes, nch, vbuf, vs_point);
    int bad = 0;
    for (int l = 0; l < lanes && bad < 3; l++) {
        for (int c = 0; c < nch; c++) {
            double d[8][8];
            for (int i = 0; i < a; i++)
                for (int j = 0; j < a; j++)
                    d[i][j] = mask[i * vl + l] >> j & 1
                                  ? patch[l][c * cs + i * rs + j]
                                  : 0.0;
            for (int i = 0; i < a; i++)
                for (int j = 0; j < a; j++) {
                    double want = 0, mag = 0;
                    for (int p = 0; p < a; p++)
                        for (int q = 0; q < a; q++) {
                            double x = mx->bt[i * a + p] * d[p][q] *
                                       mx->bt[j * a + q];
                            want += x;
                            mag += fabs(x);
                        }
                    float got = vbuf[(size_t)(i * a + j) * vs_point +
                                     (size_t)c * lanes + l];
                    if (!(fabs(got - want) <= 1e-6 * mag + 1e-30)) {
                        CHECK(0,
                              "%s %s input transform, lanes %d%s: lane %d "
                              "step %d point (%d,%d) = %.9g, B^T d B = %.9g",
                              vconv_isa_name(ic->isa), var_name[v], lanes,
                              masked ? " masked" : "", l, c, i, j, got, want);
                        bad++;
                    }
                }
        }
    }
    /* nothing written past the steps' rows but what is allowed: AVX2
       stores whole vectors (winograd-avx2.c), the others write their
       lanes only */
    const ptrdiff_t used = (ptrdiff_t)nch * lanes;
    const ptrdiff_t spill = ic->ops->aligned ? vl - lanes : 0;
    for (int xi = 0; xi < a2 && !bad; xi++)
        for (ptrdiff_t i = used; i < vs_point; i++) {
            const float x = vbuf[(size_t)xi * vs_point + (size_t)i];
            if (!is_nan(x) && i >= used + spill) {
                CHECK(0,
                      "%s %s input transform, lanes %d: wrote float %td of "
                      "point %d's padding",
                      vconv_isa_name(ic->isa), var_name[v], lanes,
                      i - used, xi);
                bad++;
            }
        }
    free(vbuf);
    free(src);
}

static void test_input_transforms(const isa_case *ic, int n)
{
    test_rng r = {13};
    for (int k = 0; k < n; k++) {
        const int vl = ic[k].ops->vl;
        for (int v = 0; v < WINO_NVARIANTS; v++) {
            /* vl (the Winograd kernels' panels), 6 (the 6xN sgemm
               kernels' rows), and odd counts */
            const int lanes_set[4] = {vl, 6, 1, vl - 3};
            for (int li = 0; li < 4; li++) {
                const int lanes = vconv_min_i(lanes_set[li], vl);
                check_input(&ic[k], v, lanes, 3, false, &r);
                check_input(&ic[k], v, lanes, 2, true, &r);
            }
        }
    }
}

static void test_output_transforms(const isa_case *ic, int n)
{
    test_rng r = {14};
    for (int k = 0; k < n; k++)
        for (int v = 0; v < WINO_NVARIANTS; v++) {
            const wino_matrices *mx = vconv_wino_matrices(v);
            const int m = mx->m, a = mx->alpha, a2 = a * a;
            const int nocs[4] = {1, 7, 16, 37};
            for (int ni = 0; ni < 4; ni++)
                for (int relu = 0; relu < 2; relu++) {
                    const int noc = nocs[ni];
                    const int mi = relu ? m : rng_int(&r, 1, m);
                    const int mj = relu ? rng_int(&r, 1, m) : m;
                    const ptrdiff_t msp = noc + 3;
                    float *mt = malloc(sizeof(float) * (size_t)a2 * msp);
                    float bias[64];
                    fill_normal(&r, mt, (size_t)a2 * msp);
                    fill_normal(&r, bias, (size_t)noc);
                    /* y: m x m pixels of noc channels, strided, in a
                       NaN frame that must stay NaN outside mi x mj */
                    const ptrdiff_t ysc = noc + 2, ysr = (m + 1) * ysc;
                    const size_t ny = (size_t)(m + 1) * ysr;
                    float *y = malloc(ny * sizeof(float));
                    for (size_t i = 0; i < ny; i++)
                        y[i] = NAN;
                    ic[k].ops->output[v](mt, msp, noc, bias, relu, y, ysr,
                                         ysc, mi, mj);
                    int bad = 0;
                    for (int i = 0; i < m + 1 && bad < 3; i++)
                        for (int j = 0; j < m + 1 && bad < 3; j++)
                            for (int o = 0; o < noc + 2 && bad < 3; o++) {
                                const float got = y[i * ysr + j * ysc + o];
                                if (i >= mi || j >= mj || o >= noc) {
                                    if (!is_nan(got)) {
                                        CHECK(0,
                                              "%s %s output transform wrote "
                                              "(%d,%d) channel %d outside "
                                              "%dx%d x %d",
                                              vconv_isa_name(ic[k].isa),
                                              var_name[v], i, j, o, mi, mj,
                                              noc);
                                        bad++;
                                    }
                                    continue;
                                }
                                double want = 0, mag = fabs(bias[o]);
                                for (int p = 0; p < a; p++)
                                    for (int q = 0; q < a; q++) {
                                        double x = mx->at[i * a + p] *
                                                   mt[(p * a + q) * msp + o] *
                                                   mx->at[j * a + q];
                                        want += x;
                                        mag += fabs(x);
                                    }
                                want += bias[o];
                                if (relu && want < 0)
                                    want = 0;
                                if (!(fabs(got - want) <= 1e-6 * mag)) {
                                    CHECK(0,
                                          "%s %s output transform (%d,%d) "
                                          "channel %d of %d%s = %.9g, A^T M "
                                          "A + b = %.9g",
                                          vconv_isa_name(ic[k].isa),
                                          var_name[v], i, j, o, noc,
                                          relu ? " relu" : "", got, want);
                                    bad++;
                                }
                            }
                    free(mt);
                    free(y);
                }
        }
}

static void test_transposes(const isa_case *ic, int n)
{
    test_rng r = {15};
    const int sizes[][2] = {{1, 1}, {3, 5}, {16, 16}, {17, 33}, {40, 9}};
    for (int k = 0; k < n; k++)
        for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
            const int rows = sizes[si][0], cols = sizes[si][1];
            const ptrdiff_t lds = cols + 3, ldd = rows + 5;
            float *src = malloc(sizeof(float) * (size_t)rows * lds);
            float *dst = malloc(sizeof(float) * (size_t)(cols + 1) * ldd);
            fill_normal(&r, src, (size_t)rows * lds);
            for (ptrdiff_t i = 0; i < (cols + 1) * ldd; i++)
                dst[i] = NAN;
            ic[k].ops->transpose(rows, cols, src, lds, dst, ldd);
            bool ok = true;
            for (int c = 0; c < cols + 1; c++)
                for (int rr = 0; rr < ldd; rr++) {
                    const float got = dst[c * ldd + rr];
                    if (c < cols && rr < rows)
                        ok = ok && got == src[rr * lds + c];
                    else
                        ok = ok && is_nan(got);
                }
            CHECK(ok, "%s transpose %dx%d", vconv_isa_name(ic[k].isa), rows,
                  cols);
            /* the NCHW writer: rows x px pixels of noc channels */
            const int nrow = 1 + (int)si % 3, px = rows, noc = cols;
            const ptrdiff_t bpx = noc + 1, brow = (px + 2) * bpx;
            const ptrdiff_t drow = px + 3, doc = (nrow + 1) * drow;
            float *band = malloc(sizeof(float) * (size_t)nrow * brow);
            float *out = malloc(sizeof(float) * (size_t)(noc + 1) * doc);
            fill_normal(&r, band, (size_t)nrow * brow);
            for (ptrdiff_t i = 0; i < (noc + 1) * doc; i++)
                out[i] = NAN;
            ic[k].ops->band(band, brow, bpx, nrow, px, noc, out, drow, doc);
            ok = true;
            for (int o = 0; o < noc + 1; o++)
                for (int i = 0; i < nrow + 1; i++)
                    for (int x = 0; x < drow; x++) {
                        const float got = out[o * doc + i * drow + x];
                        if (o < noc && i < nrow && x < px)
                            ok = ok && got == band[i * brow + x * bpx + o];
                        else
                            ok = ok && is_nan(got);
                    }
            CHECK(ok, "%s NCHW writer %d rows x %d px x %d channels",
                  vconv_isa_name(ic[k].isa), nrow, px, noc);
            free(band);
            free(out);
            free(src);
            free(dst);
        }
}

/* ------------------------------------------ 3. whole convolutions */

static void conv_case(const vconv_conv_desc *d, bool bias, uint64_t seed,
                      const isa_case *ic, int n)
{
    ref_case c;
    char ds[256];
    desc_str(d, bias, ds, sizeof ds);
    if (ref_case_init(&c, d, seed, bias) != 0) {
        CHECK(0, "cannot build the reference case %s", ds);
        return;
    }
    for (int k = 0; k < n; k++)
        for (int v = 0; v < WINO_NVARIANTS; v++) {
            if (vconv_wino_matrices(v)->r != d->kernel_h)
                continue;
            char name[64];
            snprintf(name, sizeof name, "winograd_%s.%s", var_name[v],
                     vconv_isa_name(ic[k].isa));
            impl_check r = check_impl(&c, name);
            CHECK(r.ran, "%s did not run %s", name, ds);
            CHECK(r.ok, "%s", r.msg);
        }
    ref_case_free(&c);
}

static void test_convolutions(const isa_case *ic, int n)
{
    /* in_h, in_w, ic, oc, groups, pad (all sides; -1: asymmetric 0/1/2/3),
       batch */
    static const int cases[][7] = {
        {1, 1, 3, 5, 1, 1, 1},   {1, 1, 2, 3, 1, 2, 2},
        {2, 2, 4, 4, 1, 1, 1},   {2, 2, 3, 17, 1, 2, 1},
        {3, 3, 5, 6, 1, 0, 1},   {3, 3, 6, 6, 2, 1, 3},
        {5, 7, 3, 9, 1, 0, 1},   {5, 7, 4, 33, 1, 1, 2},
        {5, 7, 6, 6, 3, 2, 1},   {7, 5, 2, 5, 1, 3, 1},
        {9, 11, 7, 15, 1, -1, 1}, {13, 13, 8, 12, 2, 1, 1},
        {14, 14, 16, 32, 1, 1, 2}, {10, 17, 1, 7, 1, 2, 1},
        {19, 6, 5, 40, 1, 4, 1},  {23, 23, 3, 30, 1, 1, 1},
    };
    /* 3x3 (the F(m, 3) variants) and 5x5 (the F(m, 5) ones, paddings
       one larger: the same inputs stay valid, 'full' padding is 4) */
    uint64_t seed = 100;
    for (int ks = 3; ks <= 5; ks += 2) {
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
            for (int layout = 0; layout < 2; layout++) {
                const int *cs = cases[i];
                const int pad = cs[5] >= 0 ? cs[5] + (ks - 3) / 2 : -1;
                vconv_conv_desc d = {
                    .batch = cs[6], .in_channels = cs[2], .in_h = cs[0],
                    .in_w = cs[1], .out_channels = cs[3], .kernel_h = ks,
                    .kernel_w = ks, .groups = cs[4],
                    .layout = layout ? VCONV_NHWC : VCONV_NCHW,
                    .activation = (i + layout) % 2 ? VCONV_ACT_RELU
                                                   : VCONV_ACT_NONE};
                if (pad >= 0) {
                    d.pad_top = d.pad_bottom = pad;
                    d.pad_left = d.pad_right = pad;
                } else {
                    d.pad_top = 0;
                    d.pad_bottom = 1;
                    d.pad_left = 2;
                    d.pad_right = 3;
                }
                if (vconv_conv_output_size(&d, NULL, NULL) != VCONV_OK) {
                    CHECK(0, "test case %zu is not a valid problem", i);
                    continue;
                }
                conv_case(&d, (i + layout) % 3 != 0, seed++, ic, n);
            }
    }
}

/* ------------------------------------------------------- accuracy */

static int accuracy(const char *dir, int mb)
{
    static const char *nets[] = {"alexnet",     "alexnet_g1", "mnist_tf",
                                 "cifar_keras", "cifar_vgg",  "fashion_keras",
                                 "mnist_64"};
    isa_case ic[4];
    const int n = isas(ic);
    printf("| layer | K |");
    for (int k = 0; k < n; k++)
        for (int v = 0; v < WINO_NVARIANTS; v++)
            printf(" %s.%s e_mag / e_out |", var_name[v],
                   vconv_isa_name(ic[k].isa));
    printf("\n|---|---|");
    for (int k = 0; k < n * WINO_NVARIANTS; k++)
        printf("---|");
    printf("\n");
    double worst[4][WINO_NVARIANTS][2] = {{{0}}};
    for (size_t f = 0; f < sizeof nets / sizeof nets[0]; f++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s.txt", dir, nets[f]);
        bench_problem *pr;
        int np;
        char err[512];
        if (bench_shapes_read(path, &pr, &np, err, sizeof err) != 0) {
            fprintf(stderr, "%s\n", err);
            return 1;
        }
        for (int k = 0; k < np; k++) {
            vconv_conv_desc d = pr[k].d;
            if ((d.kernel_h != 3 && d.kernel_h != 5) ||
                d.kernel_w != d.kernel_h || d.stride_h > 1 ||
                d.stride_w > 1 || d.dilation_h > 1 || d.dilation_w > 1)
                continue;
            d.batch = mb;
            ref_case c;
            if (ref_case_init(&c, &d, 1000 + (uint64_t)k, true) != 0)
                return 1;
            const size_t nd = vconv_dst_elems(&c.p);
            double rms = 0, mean = 0;
            for (size_t i = 0; i < nd; i++) {
                rms += c.ref[i] * c.ref[i];
                mean += c.mag[i];
            }
            rms = sqrt(rms / (double)nd);
            mean /= (double)nd;
            float *y = malloc(nd * sizeof(float));
            printf("| %s | %d |", pr[k].name,
                   d.kernel_h * d.kernel_w * c.p.icg);
            for (int q = 0; q < n; q++)
                for (int v = 0; v < WINO_NVARIANTS; v++) {
                    if (vconv_wino_matrices(v)->r != d.kernel_h) {
                        printf(" |");
                        continue;
                    }
                    char name[64];
                    snprintf(name, sizeof name, "winograd_%s.%s",
                             var_name[v], vconv_isa_name(ic[q].isa));
                    vconv_options o = {.impl = name, .threads = 0,
                                       .tune = -1};
                    vconv_conv *plan;
                    if (vconv_conv_create(&d, c.w, c.b, &o, &plan) !=
                            VCONV_OK ||
                        vconv_conv_run(plan, c.src, y) != VCONV_OK) {
                        printf(" failed |");
                        continue;
                    }
                    vconv_conv_destroy(plan);
                    double em = 0, eo = 0;
                    for (size_t i = 0; i < nd; i++) {
                        const double e = fabs(y[i] - c.ref[i]);
                        const double s = c.mag[i] > mean ? c.mag[i] : mean;
                        if (e / s > em)
                            em = e / s;
                        if (e / rms > eo)
                            eo = e / rms;
                    }
                    printf(" %.2g / %.2g |", em, eo);
                    if (em > worst[q][v][0])
                        worst[q][v][0] = em;
                    if (eo > worst[q][v][1])
                        worst[q][v][1] = eo;
                }
            printf("\n");
            fflush(stdout);
            free(y);
            ref_case_free(&c);
        }
        free(pr);
    }
    printf("| worst | |");
    for (int q = 0; q < n; q++)
        for (int v = 0; v < WINO_NVARIANTS; v++)
            printf(" %.2g / %.2g |", worst[q][v][0], worst[q][v][1]);
    printf("\n");
    return 0;
}

/* The Winograd GEMM kernels an ISA lists (ops->gemm), alone, against a
   double product: m in 1..MR, n in 1..2 NR (n > NR: columns past the
   tile must stay untouched), k in {1, 2, 3, 7, 16, 17, 64, 257}; C
   strided inside a NaN-poisoned frame that must stay bit-for-bit as it
   was, the tile itself NaN before the call (a kernel that read C would
   fail). The packed panels are malloc'ed to their exact k MR and k NR
   floats, so an over-read shows under AddressSanitizer. */
static void test_gemm_kernels(const isa_case *ic, int n)
{
    static const int ks[] = {1, 2, 3, 7, 16, 17, 64, 257};
    test_rng r = {29};
    const float nan = NAN;
    for (int q = 0; q < n; q++) {
        for (int gi = 0; gi < WINO_NGEMM && ic[q].ops->gemm[gi]; gi++) {
            const vconv_sgemm_kernel *kern = ic[q].ops->gemm[gi];
            const int MR = kern->mr, NR = kern->nr;
            int cases = 0, bad = 0;
            for (size_t ki = 0; ki < sizeof ks / sizeof ks[0]; ki++) {
                const int k = ks[ki];
                float *a = malloc((size_t)k * MR * sizeof(float));
                float *b = malloc((size_t)k * NR * sizeof(float));
                fill_normal(&r, a, (size_t)k * MR);
                fill_normal(&r, b, (size_t)k * NR);
                const int ldc = 2 * NR + 3, rows = MR + 2;
                float *c = malloc((size_t)rows * ldc * sizeof(float));
                for (int m = 1; m <= MR; m++)
                    for (int nn = 1; nn <= NR; nn += (nn < 4 || nn > NR - 4)
                                                          ? 1 : 5) {
                        for (int i = 0; i < rows * ldc; i++)
                            c[i] = nan;
                        /* the frame: row 0 and column 0 around the tile */
                        float *ct = c + ldc + 1;
                        kern->ukernel((size_t)m, (size_t)nn, (size_t)k, a, b,
                                      ct, (size_t)ldc, 0, NULL, NULL);
                        cases++;
                        for (int i = 0; i < rows; i++)
                            for (int j = 0; j < ldc; j++) {
                                const int ti = i - 1, tj = j - 1;
                                const float got = c[(size_t)i * ldc + j];
                                if (ti < 0 || ti >= m || tj < 0 || tj >= nn) {
                                    if (!isnan(got)) {
                                        CHECK(0, "%s: m=%d n=%d k=%d: wrote "
                                              "(%d,%d) outside the tile",
                                              kern->name, m, nn, k, ti, tj);
                                        bad++;
                                    }
                                    continue;
                                }
                                double s = 0, t = 0;
                                for (int p = 0; p < k; p++) {
                                    const double x = (double)a[p * MR + ti] *
                                                     b[p * NR + tj];
                                    s += x;
                                    t += fabs(x);
                                }
                                const double tol = (k + 4) * 1.2e-7 * t;
                                if (!(fabs(got - s) <= tol)) {
                                    CHECK(0, "%s: m=%d n=%d k=%d: C(%d,%d) = "
                                          "%.9g, want %.9g", kern->name, m,
                                          nn, k, ti, tj, got, s);
                                    bad++;
                                }
                            }
                        check_count++;
                    }
                free(a);
                free(b);
                free(c);
            }
            printf("  gemm %-14s %d cases, %d failed\n", kern->name, cases,
                   bad);
        }
    }
}

int main(int argc, char **argv)
{
    if (argc >= 3 && !strcmp(argv[1], "--accuracy")) {
        int mb = 1;
        if (argc >= 5 && !strcmp(argv[3], "--mb"))
            mb = atoi(argv[4]);
        return accuracy(argv[2], mb < 1 ? 1 : mb);
    }
    isa_case ic[4];
    const int n = isas(ic);
    printf("transforms and convolutions on:");
    for (int k = 0; k < n; k++)
        printf(" %s", vconv_isa_name(ic[k].isa));
    printf("\n");
    test_matrices();
    test_weight_transform();
    test_input_transforms(ic, n);
    test_output_transforms(ic, n);
    test_transposes(ic, n);
    test_gemm_kernels(ic, n);
    test_convolutions(ic, n);
    return check_exit("winograd");
}
