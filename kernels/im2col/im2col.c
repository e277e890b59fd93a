/*
 * im2col.c - convolution as im2col + vconv's packed SGEMM (kernels/gemm),
 * the entries im2col.scalar, im2col.avx2, im2col.avx512 and im2col.neon
 * (one code path; the ISA picks the GEMM kernel with its pack and gather
 * routines, and the stride-1 NCHW packer of im2col-nchw-<isa>.c where
 * there is one: not for NEON, which takes the portable packer). Baseline code: it reaches
 * the ISA's code through vconv_sgemm_kernel_get() and function pointers,
 * called only from create / run, after the dispatcher checked the CPU.
 *
 * The GEMMs, one per (image, group):
 *   NCHW: C[ocg x oh*ow] = W[ocg x K] * X[K x oh*ow],  K = (c, ky, kx)
 *         C = dst image at the group's first channel, ldc = oh*ow; the
 *         weights are the packed A (prepacked at create, exactly the
 *         user's [oc][icg][kh][kw] rows); bias per row (output channel).
 *   NHWC: C[oh*ow x ocg] = X[oh*ow x K] * W^T[K x ocg], K = (ky, kx, c)
 *         C = dst image at the group's first channel, ldc = oc; the
 *         reordered weights are the packed B (prepacked at create); bias
 *         per column.
 * X, the im2col matrix, is never built: the GEMM driver asks for one
 * block of its packed operand at a time (kc rows of K x a block of
 * pixels), and the sources below write it straight from the image into
 * micro-panels, zeros for the padding. So the scratch is the driver's
 * workspace, bounded by the cache blocking whatever the batch: per
 * thread at most one packed A block (mc x kc floats) and one packed B
 * block (kc x nc, nc capped to fill about an L2), at most ~1.5 MiB a
 * thread with a 1 MiB L2 (vconv_im2col_scratch_bytes() gives the exact
 * figure). AlexNet conv1 at mb = 32 on 2 threads takes 1.9 MiB (NCHW,
 * avx512), the same as at mb = 1 (test_gemm checks <= 8 MiB and no
 * growth), never the 32 x 363 x 3025 floats (140 MB) of its im2col.
 *
 * A 1x1 convolution with stride 1 and no padding skips im2col: the image
 * already is the operand (NCHW: B[c][pixel] with row stride ih*iw; NHWC:
 * A[pixel][c] with row stride ic), packed by the plain strided source.
 *
 * Threads: over (image, group) items when there are enough of them to
 * share evenly, each item's GEMM on one thread; otherwise item after item,
 * each GEMM on all threads (the driver splits M and N blocks). Either way
 * each output is one microkernel's fixed-order sum over K blocks of the
 * fixed kc: the bits do not depend on the thread count.
 */
#include "im2col.h"
#include "../../dispatch/machine.h"
#include "../../dispatch/dispatch.h"
#include "../../dispatch/topology.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------- geometry */

/* For every kernel tap kx: the outputs ox whose input column
   ox*sw - pl + kx*dw lies inside [0, iw), as [lo, hi) (lo >= hi: none).
   Likewise for ky and rows. Computed at create: the pack loops then need
   no division. */
static void tap_ranges(int k, int d, int s, int pad, int in, int out, int *lo,
                       int *hi)
{
    for (int t = 0; t < k; t++) {
        const long off = (long)t * d - pad; /* input = o*s + off */
        long a = off >= 0 ? 0 : (-off + s - 1) / s;
        long b = in - 1 - off < 0 ? 0 : (in - 1 - off) / s + 1;
        if (b > out)
            b = out;
        if (a > b)
            a = b;
        lo[t] = (int)a;
        hi[t] = (int)b;
    }
}

/* ------------------------------------------------- NCHW: the B operand */

/*
 * B(p, j) = x[c][oy*sh - pt + ky*dh][ox*sw - pl + kx*dw] (0 outside),
 * p = (c*kh + ky)*kw + kx, j = oy*ow + ox, of one image and group.
 * A micro-panel is NR consecutive pixels, cut into runs that share an
 * output row; each p row of the panel copies each run's valid stretch
 * (contiguous when sw = 1) and zero-fills the rest.
 */
const float *vconv_im2col_nchw_b(const vconv_sgemm_src *src, int r0,
                                 int rows, int k0, int kc, int R, float *dst)
{
    const im2col_b_src *s = (const im2col_b_src *)src;
    const vconv_problem *p = s->p;
    const im2col_geom *gm = s->geom;
    const int khw = p->kh * p->kw;
    const size_t ihw = (size_t)p->ih * p->iw;
    for (int t0 = 0; t0 < rows; t0 += R) {
        float *panel = dst + (size_t)t0 * kc;
        const int nvalid = vconv_min_i(R, rows - t0);
        /* the runs of this panel: pixels on one output row each */
        int run_j[VCONV_IM2COL_MAX_R], run_len[VCONV_IM2COL_MAX_R];
        int run_oy[VCONV_IM2COL_MAX_R], run_ox[VCONV_IM2COL_MAX_R];
        const int nruns = vconv_im2col_runs(p->ow, r0 + t0, nvalid, run_j,
                                            run_len, run_oy, run_ox);
        int c = k0 / khw, ky = k0 % khw / p->kw, kx = k0 % p->kw;
        for (int q = 0; q < kc; q++) {
            float *d = panel + (size_t)q * R;
            const float *x = s->x + (size_t)c * ihw;
            const int xlo = gm->ox_lo[kx], xhi = gm->ox_hi[kx];
            const int ylo = gm->oy_lo[ky], yhi = gm->oy_hi[ky];
            const int ixoff = kx * p->dw - p->pl, iyoff = ky * p->dh - p->pt;
            for (int r = 0; r < nruns; r++) {
                float *dr = d + run_j[r];
                const int len = run_len[r], oyr = run_oy[r], ox0 = run_ox[r];
                if (oyr < ylo || oyr >= yhi) {
                    for (int i = 0; i < len; i++)
                        dr[i] = 0.0f;
                    continue;
                }
                const int a = vconv_max_i(xlo, ox0) - ox0;
                const int b = vconv_max_i(a, vconv_min_i(xhi, ox0 + len) - ox0);
                const float *row = x + (size_t)(oyr * p->sh + iyoff) * p->iw;
                for (int i = 0; i < a; i++)
                    dr[i] = 0.0f;
                if (p->sw == 1) {
                    const float *sp = row + (ox0 + ixoff);
                    for (int i = a; i < b; i++)
                        dr[i] = sp[i];
                } else {
                    const int sw = p->sw;
                    const float *sp = row + ((ptrdiff_t)ox0 * sw + ixoff);
                    for (int i = a; i < b; i++)
                        dr[i] = sp[(ptrdiff_t)i * sw];
                }
                for (int i = b; i < len; i++)
                    dr[i] = 0.0f;
            }
            for (int i = nvalid; i < R; i++)
                d[i] = 0.0f;
            if (++kx == p->kw) {
                kx = 0;
                if (++ky == p->kh) {
                    ky = 0;
                    c++;
                }
            }
        }
    }
    return dst;
}

/* ------------------------------------------------- NHWC: the A operand */

/*
 * A(i, p) = x[oy*sh - pt + ky*dh][ox*sw - pl + kx*dw][c] (0 outside),
 * i = oy*ow + ox, p = (ky*kw + kx)*icg + c, of one image and group.
 * A micro-panel is MR pixels; its K stretch is runs of one tap (ky, kx)
 * and consecutive channels, which every pixel of the panel holds
 * contiguously: one gather (the kernel's transpose) a run, from MR row
 * pointers (NULL for a pixel in the padding or past the last pixel).
 */
static const float *nhwc_a_get(const vconv_sgemm_src *src, int r0, int rows,
                               int k0, int kc, int R, float *dst)
{
    const im2col_a_src *s = (const im2col_a_src *)src;
    const vconv_problem *p = s->p;
    const im2col_geom *gm = s->geom;
    const int icg = p->icg;
    const float *rp[VCONV_IM2COL_MAX_R];
    int oy[VCONV_IM2COL_MAX_R], ox[VCONV_IM2COL_MAX_R];
    for (int t0 = 0; t0 < rows; t0 += R) {
        float *panel = dst + (size_t)t0 * kc;
        const int nvalid = vconv_min_i(R, rows - t0);
        for (int i = 0; i < nvalid; i++) {
            const int pix = r0 + t0 + i;
            oy[i] = pix / p->ow;
            ox[i] = pix % p->ow;
        }
        int tap = k0 / icg, c = k0 % icg;
        for (int q = 0; q < kc;) {
            const int ky = tap / p->kw, kx = tap % p->kw;
            const int len = vconv_min_i(icg - c, kc - q);
            const int iyoff = ky * p->dh - p->pt, ixoff = kx * p->dw - p->pl;
            for (int i = 0; i < R; i++) {
                rp[i] = NULL;
                if (i < nvalid && oy[i] >= gm->oy_lo[ky] &&
                    oy[i] < gm->oy_hi[ky] && ox[i] >= gm->ox_lo[kx] &&
                    ox[i] < gm->ox_hi[kx])
                    rp[i] = s->x +
                            ((size_t)(oy[i] * p->sh + iyoff) * p->iw +
                             (size_t)(ox[i] * p->sw + ixoff)) * p->ic + c;
            }
            s->gather(len, rp, R, panel + (size_t)q * R);
            q += len;
            c = 0;
            tap++;
        }
    }
    return dst;
}

/* ------------------------------------------------------------ the entry */

typedef struct {
    const vconv_sgemm_kernel *kern;
    vconv_sgemm_blocking bl;
    bool plain;            /* 1x1, stride 1, no padding: no im2col */
    float *w;              /* packed weights, one block of w_group a group */
    size_t w_group;
    float *bias;           /* [oc], NULL: none */
    im2col_geom geom;      /* tap ranges (own arrays) */
    /* NCHW's im2col B source: the ISA's (stride 1) or the portable one */
    const float *(*b_get)(const vconv_sgemm_src *, int, int, int, int, int,
                          float *);
} im2col_state;

/* The GEMM blocking, but nc capped: NCHW's B block is the im2col block
   the pack just wrote, read back at once, so it should stay in L2 (the
   weights are prepacked: a smaller nc costs no repacking); this also keeps
   the scratch at about an L2 a thread. */
static vconv_sgemm_blocking blocking_of(const vconv_sgemm_kernel *kern)
{
    vconv_sgemm_blocking bl = vconv_sgemm_blocking_get(kern);
    const size_t l2 = vconv_topology_get()->l2;
    const int nc = (int)(l2 / (sizeof(float) * (size_t)bl.kc));
    bl.nc = vconv_max_i(kern->nr, vconv_min_i(bl.nc, nc / kern->nr * kern->nr));
    return bl;
}

static bool is_plain(const vconv_problem *p)
{
    return p->kh == 1 && p->kw == 1 && p->sh == 1 && p->sw == 1 &&
           p->pt == 0 && p->pb == 0 && p->pl == 0 && p->pr == 0;
}

static vconv_status create_isa(vconv_isa isa, const vconv_problem *p,
                               const float *w, const float *bias,
                               void **state)
{
    const vconv_sgemm_kernel *kern = vconv_sgemm_kernel_get(isa);
    if (!kern)
        return vconv_error(VCONV_ERR_UNSUPPORTED,
                           "im2col: no %s sgemm kernel in this build",
                           vconv_isa_name(isa));
    if (kern->mr > VCONV_IM2COL_MAX_R || kern->nr > VCONV_IM2COL_MAX_R)
        return vconv_error(VCONV_ERR_UNSUPPORTED,
                           "im2col: tile %dx%d beyond %d", kern->mr, kern->nr,
                           VCONV_IM2COL_MAX_R);
    im2col_state *s = calloc(1, sizeof *s);
    if (!s)
        return VCONV_ERR_NO_MEMORY;
    s->kern = kern;
    s->bl = blocking_of(kern);
    s->b_get = vconv_im2col_nchw_b;
#if VCONV_ARCH_X86_64
    if (isa == VCONV_ISA_AVX512)
        s->b_get = vconv_im2col_nchw_b__avx512;
    else if (isa == VCONV_ISA_AVX2)
        s->b_get = vconv_im2col_nchw_b__avx2;
#endif
    s->plain = is_plain(p);
    const int K = p->icg * p->kh * p->kw;
    const bool nhwc = p->layout == VCONV_NHWC;
    s->w_group = vconv_sgemm_packed_size(p->ocg, K, nhwc ? kern->nr
                                                         : kern->mr);
    s->w = vconv_alloc(s->w_group * p->g * sizeof(float));
    int *ranges = malloc(sizeof(int) * 2 * (size_t)(p->kh + p->kw));
    float *tmp = nhwc ? malloc((size_t)p->ocg * K * sizeof(float)) : NULL;
    if (bias)
        s->bias = malloc((size_t)p->oc * sizeof(float));
    if (!s->w || !ranges || (nhwc && !tmp) || (bias && !s->bias)) {
        vconv_free(s->w);
        free(ranges);
        free(tmp);
        free(s->bias);
        free(s);
        return VCONV_ERR_NO_MEMORY;
    }
    s->geom.oy_lo = ranges;
    s->geom.oy_hi = ranges + p->kh;
    s->geom.ox_lo = ranges + 2 * p->kh;
    s->geom.ox_hi = ranges + 2 * p->kh + p->kw;
    tap_ranges(p->kh, p->dh, p->sh, p->pt, p->ih, p->oh, s->geom.oy_lo,
               s->geom.oy_hi);
    tap_ranges(p->kw, p->dw, p->sw, p->pl, p->iw, p->ow, s->geom.ox_lo,
               s->geom.ox_hi);
    if (bias)
        memcpy(s->bias, bias, (size_t)p->oc * sizeof(float));
    for (int g = 0; g < p->g; g++) {
        const float *wg = w + (size_t)g * p->ocg * K;
        float *dst = s->w + (size_t)g * s->w_group;
        if (!nhwc) {
            /* A = the group's rows of [oc][icg*kh*kw] as they are */
            vconv_sgemm_pack_blocked(p->ocg, K, wg, K, 1, kern->mr, s->bl.kc,
                                     dst);
        } else {
            /* B(p, j) with p = (ky*kw + kx)*icg + c: reorder each output
               channel's taps to (ky, kx, c), then pack rows j = oc */
            for (int o = 0; o < p->ocg; o++)
                for (int c = 0; c < p->icg; c++)
                    for (int t = 0; t < p->kh * p->kw; t++)
                        tmp[(size_t)o * K + (size_t)t * p->icg + c] =
                            wg[(size_t)o * K + (size_t)c * p->kh * p->kw + t];
            vconv_sgemm_pack_blocked(p->ocg, K, tmp, K, 1, kern->nr,
                                     s->bl.kc, dst);
        }
    }
    free(tmp);
    *state = s;
    return VCONV_OK;
}

static void destroy(void *state)
{
    im2col_state *s = state;
    vconv_free(s->w);
    free(s->bias);
    free(s->geom.oy_lo);
    free(s);
}

/* The GEMM of image n, group g, with its sources (filled in *a_src etc.:
   the problem points at them). */
typedef struct {
    vconv_sgemm_problem g;
    vconv_sgemm_strided strided;
    vconv_sgemm_prepacked packed;
    im2col_a_src a;
    im2col_b_src b;
} item;

static void item_init(item *it, const im2col_state *s, const vconv_problem *p,
                      const float *src, float *dst, int n, int g)
{
    const int K = p->icg * p->kh * p->kw, ohw = p->oh * p->ow;
    const size_t ihw = (size_t)p->ih * p->iw;
    const float *w = s->w + (size_t)g * s->w_group;
    vconv_sgemm_problem *pr = &it->g;
    memset(pr, 0, sizeof *pr);
    pr->k = K;
    pr->flags = p->act == VCONV_ACT_RELU ? VCONV_SGEMM_RELU : 0;
    it->packed = vconv_sgemm_src_prepacked(w, p->ocg);
    if (p->layout == VCONV_NCHW) {
        const float *x = src + ((size_t)n * p->ic + (size_t)g * p->icg) * ihw;
        pr->m = p->ocg;
        pr->n = ohw;
        pr->a = &it->packed.base;
        if (s->plain) {
            it->strided = vconv_sgemm_src_strided(s->kern, x, 1,
                                                  (ptrdiff_t)ihw);
            pr->b = &it->strided.base;
        } else {
            it->b = (im2col_b_src){{s->b_get, false}, p, &s->geom, x};
            pr->b = &it->b.base;
        }
        pr->c = dst + ((size_t)n * p->oc + (size_t)g * p->ocg) * ohw;
        pr->ldc = (size_t)ohw;
        pr->row_bias = s->bias ? s->bias + (size_t)g * p->ocg : NULL;
    } else {
        const float *x = src + (size_t)n * ihw * p->ic + (size_t)g * p->icg;
        pr->m = ohw;
        pr->n = p->ocg;
        pr->b = &it->packed.base;
        if (s->plain) {
            it->strided = vconv_sgemm_src_strided(s->kern, x, p->ic, 1);
            pr->a = &it->strided.base;
        } else {
            it->a = (im2col_a_src){{nhwc_a_get, false}, p, &s->geom, x,
                                   s->kern->gather};
            pr->a = &it->a.base;
        }
        pr->c = dst + (size_t)n * ohw * p->oc + (size_t)g * p->ocg;
        pr->ldc = (size_t)p->oc;
        pr->col_bias = s->bias ? s->bias + (size_t)g * p->ocg : NULL;
    }
}

/* Items (image, group) in parallel when they share out evenly (or nearly:
   many of them); else each GEMM on the whole team. */
static bool per_item_parallel(const vconv_problem *p)
{
    const int items = p->mb * p->g, T = p->threads;
    return T == 1 || items % T == 0 || items >= 4 * T;
}

/* Floats of scratch a run takes: the GEMM driver's workspace, for one
   thread per item (*ws1, times the threads) or for the team. The same for
   every (image, group) and independent of the batch. */
static size_t scratch_floats(const vconv_sgemm_kernel *kern,
                             const vconv_sgemm_blocking *bl,
                             const vconv_problem *p, size_t *ws1)
{
    const bool nchw = p->layout == VCONV_NCHW;
    const int ohw = p->oh * p->ow;
    /* only the sizes and which operand is prepacked matter here */
    const vconv_sgemm_src packed = {NULL, true}, packing = {NULL, false};
    const vconv_sgemm_problem g = {
        .m = nchw ? p->ocg : ohw, .n = nchw ? ohw : p->ocg,
        .k = p->icg * p->kh * p->kw, .a = nchw ? &packed : &packing,
        .b = nchw ? &packing : &packed};
    *ws1 = vconv_sgemm_workspace(kern, bl, 1, &g);
    return per_item_parallel(p)
               ? *ws1 * (size_t)p->threads
               : vconv_sgemm_workspace(kern, bl, p->threads, &g);
}

size_t vconv_im2col_scratch_bytes(vconv_isa isa, const vconv_problem *p)
{
    const vconv_sgemm_kernel *kern = vconv_sgemm_kernel_get(isa);
    if (!kern)
        return 0;
    const vconv_sgemm_blocking bl = blocking_of(kern);
    size_t ws1;
    return scratch_floats(kern, &bl, p, &ws1) * sizeof(float);
}

static vconv_status run(const void *state, const vconv_problem *p,
                        const float *src, float *dst)
{
    const im2col_state *s = state;
    const int items = p->mb * p->g, T = p->threads;
    const bool per_item = per_item_parallel(p);
    size_t ws1, bytes;
    const size_t floats = scratch_floats(s->kern, &s->bl, p, &ws1);
    if (!vconv_mul_size(floats, sizeof(float), &bytes))
        return VCONV_ERR_NO_MEMORY;
    float *work = vconv_scratch(VCONV_SCRATCH_SHARED, bytes);
    if (!work)
        return VCONV_ERR_NO_MEMORY;
    if (per_item) {
#pragma omp parallel for num_threads(T) schedule(static) if (T > 1)
        for (int i = 0; i < items; i++) {
            item x;
            item_init(&x, s, p, src, dst, i / p->g, i % p->g);
            vconv_sgemm_run(s->kern, &s->bl, 1, &x.g,
                            work + ws1 * (size_t)omp_get_thread_num());
        }
    } else {
        for (int i = 0; i < items; i++) {
            item x;
            item_init(&x, s, p, src, dst, i / p->g, i % p->g);
            vconv_sgemm_run(s->kern, &s->bl, T, &x.g, work);
        }
    }
    return VCONV_OK;
}

/* ------------------------------------------------------------ estimate */

/*
 * Seconds = GEMM FLOPs / (threads x nominal GF/s of the ISA x efficiency)
 * + the im2col packing + a fixed cost a GEMM. The efficiencies are the
 * kernels' measured fraction of vconv_isa_nominal_gflops() (vconv-bench
 * gemm, 1 thread, 1024^3, on the Zen 4 EPYC this was written on): avx512
 * ~100 GF/s of a nominal 224 (its 512-bit FMAs run at the 256-bit rate
 * there: 0.9 of the machine model's peak, vconv_machine_peak_frac), avx2
 * ~90 of 112, scalar ~22 of 14 (the 6x8 kernel is
 * auto-vectorised with SSE2). Shape losses: the scalar kernel computes
 * whole 6 x 8 tiles; the vector ones run row-exact tile bodies, and their
 * padded lanes are modelled at AVX2's 8-column step for both: a partial
 * tile that small is bound by its loads and broadcasts, not by its FMA
 * count, so a half-empty zmm costs about what a full ymm does (measured:
 * on an 11x11 stride-4 6x6-output layer im2col.avx512 was ~10% faster
 * than im2col.avx2, as on the big ones). Each tile pays a fixed cost (C
 * update, call, and the im2col packing's per-panel overhead) worth ~24 k
 * steps; ~4 on the plain 1x1 problems (no im2col: the image is the B
 * operand) with the x86 vector kernels, fitted to MobileNet-v1's 1x1
 * NCHW layers, K = 32..256 (Zen 4: at K = 32 the 14x32 kernel ran at
 * 0.89 of its 1024^3 rate, faster than direct on all of them, while 3x3
 * first layers at K = 27 keep losing to direct by 1.2-1.4x). Packing the
 * im2col operand (timed with perf on the AlexNet and cifar_vgg layers)
 * costs ~0.15 ns an element with the vector stride-1 NCHW packer and the
 * NHWC gather, ~0.6 ns with the portable one (stride > 1, scalar); a GEMM
 * call ~2 us. Two threads: ~0.95 of 2x on big GEMMs, less on small ones.
 * The estimates matched the measured times of AlexNet and cifar_vgg to
 * 10-20% on the big layers; small layers (< 0.1 ms) are over-estimated.
 */
static double estimate_isa(vconv_isa isa, const vconv_problem *p)
{
    const vconv_sgemm_kernel *kern = vconv_sgemm_kernel_get(isa);
    if (!kern)
        return INFINITY;
    const bool x512 = isa == VCONV_ISA_AVX512, x2 = isa == VCONV_ISA_AVX2;
    /* NEON (8x12, row-exact bodies, 4-column vector steps): no Arm
       hardware was available to calibrate on, so it takes AVX2's
       efficiency (a register-blocked FMA kernel with the same load / FMA
       ratio) on NEON's nominal scale (vconv_isa_nominal_gflops) */
    const bool neon = isa == VCONV_ISA_NEON;
    /* the kernels' share of their FMA peak, times the machine model's
       peak over the nominal one (0.5 for AVX-512 on the Zen 4 above) */
    double eff = x512 ? 0.90 * vconv_machine_peak_frac(isa)
                 : x2 || neon ? 0.80 * vconv_machine_peak_frac(isa)
                              : 1.5;
    const int gm = x512 || x2 || neon ? 1 : kern->mr;
    const int gn = x512 || x2 ? 8 : neon ? 4 : kern->nr;
    const int K = p->icg * p->kh * p->kw, ohw = p->oh * p->ow;
    const bool nchw = p->layout == VCONV_NCHW;
    const int M = nchw ? p->ocg : ohw, N = nchw ? ohw : p->ocg;
    eff *= (double)M / vconv_round_up(M, gm);
    eff *= (double)N / vconv_round_up(N, gn);
    eff *= (double)K / (K + (is_plain(p) && (x512 || x2) ? 4.0 : 24.0));
    const double items = (double)p->mb * p->g;
    const double flops = 2.0 * items * M * N * K;
    /* parallel efficiency: near 1 with plenty of work a thread */
    const double par = p->threads == 1                ? 1.0
                       : flops / p->threads > 2e7 ? 0.95
                                                  : 0.7;
    const double gflops =
        vconv_isa_nominal_gflops(isa) * eff * p->threads * par;
    /* NEON: the vector NHWC gather; NCHW takes the portable packer */
    const bool fast_pack =
        ((x512 || x2) && (!nchw || p->sw == 1)) || (neon && !nchw);
    /* AVX-512 NCHW strides 2..16: masked gathers, ~0.3 ns an element */
    const bool gather_pack = x512 && nchw && p->sw > 1 && p->sw <= 16;
    const double pack = is_plain(p)  ? 0.1e-9
                        : fast_pack  ? 0.15e-9
                        : gather_pack ? 0.3e-9
                                      : 0.6e-9;
    /* weights past the L3 stream from memory once a GEMM (as in
       direct.c's estimate: DIRECT_DRAM, 16 GB/s) */
    const double wbytes = 4.0 * (double)vconv_wei_elems(p);
    const double mem =
        wbytes > vconv_topology_mem_threshold(vconv_topology_get())
            ? wbytes * p->mb / 16e9
            : 0.0;
    return mem + flops / (gflops * 1e9) +
           items * (double)K * (nchw ? N : M) * pack / p->threads +
           items * 2e-6 / (per_item_parallel(p) ? p->threads : 1);
}

/* ------------------------------------------------------------- entries */

/* im2col takes every shape the descriptor allows. */
static bool supports(const vconv_problem *p, char *why, size_t len)
{
    (void)p;
    (void)why;
    (void)len;
    return true;
}

#define ENTRY(isa_, ISA)                                                       \
    static double estimate_##isa_(const vconv_problem *p, char *why,           \
                                  size_t len)                                  \
    {                                                                          \
        (void)why;                                                             \
        (void)len;                                                             \
        return estimate_isa(ISA, p);                                           \
    }                                                                          \
    static vconv_status create_##isa_(const vconv_problem *p, const float *w,  \
                                      const float *b, void **state)            \
    {                                                                          \
        return create_isa(ISA, p, w, b, state);                                \
    }                                                                          \
    const vconv_impl vconv_impl_im2col_##isa_ = {                              \
        .name = "im2col." #isa_,                                               \
        .algo = VCONV_ALGO_IM2COL,                                             \
        .isa = ISA,                                                            \
        .supports = supports,                                                  \
        .estimate = estimate_##isa_,                                           \
        .create = create_##isa_,                                               \
        .run = run,                                                            \
        .destroy = destroy,                                                    \
    };

ENTRY(scalar, VCONV_ISA_SCALAR)
#if VCONV_ARCH_X86_64
ENTRY(avx2, VCONV_ISA_AVX2)
ENTRY(avx512, VCONV_ISA_AVX512)
#endif
#if VCONV_ARCH_AARCH64
ENTRY(neon, VCONV_ISA_NEON)
#endif
