/*
 * winograd.c - the Winograd convolution's baseline driver: the nine
 * registry entries (winograd_f{2,4,6}x3.{scalar,avx2,avx512,neon}), the
 * heuristic, the weight transform at create, and the blocked, threaded
 * run (structure and layouts: winograd.h). The arithmetic that depends on
 * the ISA is reached only through the wino_isa_ops of the entry's ISA and
 * the sgemm kernel table, after the dispatcher checked the CPU has it.
 */
#include "winograd.h"
#include "../../dispatch/machine.h"
#include "../../dispatch/dispatch.h"
#include "../../dispatch/topology.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ accuracy */

/*
 * The accuracy contract (README, "Winograd"). The error of a layer is
 * measured against the double-precision reference with N(0,1) inputs,
 * weights and bias, two ways:
 *   e_mag = max |y - ref| / max(mag, mean mag), mag = sum |x w| + |b|
 *           (the tests' measure, tests/common.c)
 *   e_out = max |y - ref| / rms(ref)   (relative to the output's scale)
 * WINO_BOUND_OUT is the bound the dispatcher enforces on e_out: a variant
 * whose documented e_out for a problem's class exceeds it is never chosen
 * by default (estimate() returns INFINITY and says why; forcing it by
 * algorithm or name still works).
 *
 * The class is the reduction size K = r^2 icg. The documented e_out is the
 * largest measured over the 3x3 (5x5) stride-1 layers of bench/shapes
 * with K in the class, every ISA, batch 1 and 8 (the maximum grows a
 * little with the number of outputs), with
 *     build/tests/test_winograd --accuracy bench/shapes [--mb 8]
 * (per-layer table in the README). e_out grows with K (about K^0.3 here);
 * beyond the largest K measured it is extrapolated as growing like
 * sqrt(K), the growth of a K-term float sum's error. Measured:
 *                 K <= 576   <= 1152   <= 2304   <= 3456
 *     F(2x2)      1.9e-6     2.1e-6    3.6e-6    4.5e-6
 *     F(4x4)      7.7e-6     1.1e-5    1.6e-5    1.9e-5
 *     F(6x6)      5.2e-5     6.7e-5    1.1e-4    1.3e-4
 * so with the bound 1e-4, F(6x6) is left out by default above K = 1152
 * (icg > 128: alexnet's conv3..conv5), F(2x2) and F(4x4) never (below
 * K ~ 1.8e6 and ~ 9.6e4). The 5x5 layers measured are AlexNet's conv2
 * (K = 1200 with groups, 2400 without):
 *                       K = 1200   K = 2400
 *     F(2x2, 5x5)       6.1e-6     8.4e-6
 *     F(4x4, 5x5)       4.0e-5     5.1e-5
 * the first taken for the classes up to 1152 (smaller K, smaller error),
 * the second for up to 2304, the class up to 3456 grown like sqrt(K)
 * from it; with the bound, F(4x4, 5x5) is left out by default above K ~
 * 9300 (icg > 371).
 */
#define WINO_BOUND_OUT 1e-4

static const struct {
    int k_max;
    double e_out[WINO_NVARIANTS];
} wino_err_table[] = {
    {576, {1.9e-6, 7.7e-6, 5.2e-5, 6.1e-6, 4.0e-5}},
    {1152, {2.1e-6, 1.1e-5, 6.7e-5, 6.1e-6, 4.0e-5}},
    {2304, {3.6e-6, 1.6e-5, 1.1e-4, 8.4e-6, 5.1e-5}},
    {3456, {4.5e-6, 1.9e-5, 1.3e-4, 1.0e-5, 6.1e-5}},
};

/* The documented e_out of variant v for reduction size k. */
static double documented_error(int v, int k)
{
    const int n = (int)(sizeof wino_err_table / sizeof wino_err_table[0]);
    for (int i = 0; i < n; i++)
        if (k <= wino_err_table[i].k_max)
            return wino_err_table[i].e_out[v];
    return wino_err_table[n - 1].e_out[v] *
           sqrt((double)k / wino_err_table[n - 1].k_max);
}

/* ------------------------------------------------------------- geometry */

typedef struct {
    int var, m, alpha, a2;
    int tiles_y, tiles_x, ntiles;  /* tiles per image: tiles_y x tiles_x */
    const vconv_sgemm_kernel *kern;
    int mr, nr;                    /* the GEMM kernel's tile */
    int cl, lanes;                 /* input transform: lanes = cl x mr (cl
                                      input channels of mr tiles) */
    int kpad;                      /* the GEMM's K: icg rounded up to cl */
    int T, nblk;                   /* tiles per block (multiple of mr) */
    int ocb, nch;                  /* oc per chunk (multiple of nr) */
    int wmax, nstrips, wb;         /* strip width, strips per block, band
                                      width */
    size_t strip_stride, strips_floats;
    size_t vs_point, vs_panel, v_floats;
    size_t m_floats, band_floats, per_thread;
} wino_geom;

static const int wino_m[WINO_NVARIANTS] = {2, 4, 6, 2, 4};
static const int wino_r[WINO_NVARIANTS] = {3, 3, 3, 5, 5}; /* kernel size */

/* Blocks (geometry()): tiles a block at least, output channels a chunk
   at most, and at least when chunks are cut for threads. */
#define WINO_MIN_BLOCK 16
#define WINO_MAX_OCB 256
#define WINO_MIN_OCB 64

/* Floats of a scratch part, rounded to whole cache lines. */
static size_t part(size_t floats) { return (floats + 15) / 16 * 16; }

/*
 * Blocks from the L2 size (never from the thread count; only the chunks
 * of a plan of several threads are cut further, below; and the output's
 * bits do not depend on them either: each output is the same sequence of
 * operations whatever the block and whatever the kernel's tile, see
 * winograd-gemm-avx512.c): a block's V (alpha^2 x T x kpad floats), a
 * chunk's M (alpha^2 x T x ocb) and band (NCHW: m^2 T ocb) take half of
 * L2, with ocb as large as that allows (all of ocg, up to
 * WINO_MAX_OCB) and T the tiles that then fit (at least WINO_MIN_BLOCK:
 * with icg ~256 V alone outgrows that; each point's V_xi, T x kpad,
 * still stays in L2 for the GEMM), a multiple of mr; ocb is cut further
 * so that a problem has about 2 work items per core when its blocks are
 * few (batch 1).
 * The input transform's lanes: a kernel whose MR divides the ISA's vector
 * of lanes (vl) takes cl = vl / MR input channels of MR tiles a vector
 * (so 4 tiles still fill 16 lanes), K padded to a multiple of cl with
 * zero channels; another (the sgemm kernels of scalar and AVX2, MR = 6)
 * takes one channel of MR tiles.
 */
static void geometry(const vconv_problem *p, int var,
                     const vconv_sgemm_kernel *k, int vl, wino_geom *g)
{
    const vconv_topology *topo = vconv_topology_get();
    const size_t l2 = topo->l2;
    memset(g, 0, sizeof *g);
    g->var = var;
    g->m = wino_m[var];
    g->alpha = g->m + wino_r[var] - 1;
    g->a2 = g->alpha * g->alpha;
    g->tiles_y = vconv_div_up(p->oh, g->m);
    g->tiles_x = vconv_div_up(p->ow, g->m);
    g->ntiles = p->mb * g->tiles_y * g->tiles_x;
    g->kern = k;
    g->mr = k->mr;
    g->nr = k->nr;
    g->cl = k->mr <= vl && vl % k->mr == 0 ? vl / k->mr : 1;
    g->lanes = g->cl * g->mr;
    g->kpad = vconv_round_up(p->icg, g->cl);

    const size_t a2 = (size_t)g->a2;
    const size_t m2 = p->layout == VCONV_NCHW ? (size_t)g->m * g->m : 0;
    const int ocg_pad = vconv_round_up(p->ocg, g->nr);
    /* ocb: all the output channels of a group (up to WINO_MAX_OCB), so
       that the output transform and the NCHW writer work on long runs of
       channels a tile; fewer when even WINO_MIN_BLOCK tiles of V, M and
       the band would not fit in half of L2 */
    size_t ocb = (size_t)vconv_max_i(
        g->nr, vconv_min_i(ocg_pad, WINO_MAX_OCB) / g->nr * g->nr);
    const size_t budget = l2 / 2 / sizeof(float);
    const size_t tmin = (size_t)vconv_round_up(WINO_MIN_BLOCK, g->mr);
    while (ocb > (size_t)g->nr &&
           tmin * (a2 * ((size_t)g->kpad + ocb) + m2 * ocb) > budget)
        ocb -= (size_t)g->nr;
    /* T: as many tiles as fit that budget (at least WINO_MIN_BLOCK: a
       block streams all of U, from L3 when it outgrows L2, for 2 T FLOPs
       a float; the kernels prefetch it), a multiple of mr */
    size_t t = budget / (a2 * ((size_t)g->kpad + ocb) + m2 * ocb);
    t = t / (size_t)g->mr * (size_t)g->mr;
    if (t < tmin)
        t = tmin;
    if (t > (size_t)vconv_round_up(g->ntiles, g->mr))
        t = (size_t)vconv_round_up(g->ntiles, g->mr);
    /* U past L2 streams from the L3 once a block: when the blocks are
       many, larger ones (their V and M spilling to the L3, up to half of
       U's bytes or a quarter of a core's L3 share) cost less than that
       traffic — 2 (V + M) bytes of all tiles against U's bytes once a
       block saved (measured: F(2x2) on AlexNet conv4 without groups,
       batch 1, 9.4 MB of U, 4.3 ms in blocks of 16 tiles, 3.1 ms in one
       block of 52, on an Intel Xeon model 106) */
    const size_t per_tile = a2 * ((size_t)g->kpad + ocb) + m2 * ocb;
    const double ubytes = 4.0 * (double)a2 * g->kpad * ocg_pad;
    const size_t tall = (size_t)vconv_round_up(g->ntiles, g->mr);
    if (ubytes > (double)l2 && t < tall) {
        double cap = ubytes / 2.0;
        const double share = (double)topo->l3 / vconv_max_i(1, topo->cores) / 4.0;
        cap = cap < share ? cap : share;
        size_t tb = (size_t)(cap / 4.0 / (double)per_tile);
        tb = tb / (size_t)g->mr * (size_t)g->mr;
        if (tb > tall)
            tb = tall;
        if (tb > t) {
            const double saved =
                (double)(vconv_div_up(g->ntiles, (int)t) -
                         vconv_div_up(g->ntiles, (int)tb));
            const double spill = 2.0 * 4.0 * (double)per_tile * g->ntiles;
            if (spill < ubytes * saved)
                t = tb;
        }
    }
    g->T = (int)t;
    g->nblk = vconv_div_up(g->ntiles, g->T);

    /* about 2 work items per core in all, but chunks of at least
       WINO_MIN_OCB channels: the output transform and the NCHW writer
       have a fixed cost a tile and a chunk */
    const long want = 2L * topo->cores;
    const long have = (long)p->g * g->nblk;
    if (have < want) {
        int chunks = (int)((want + have - 1) / have);
        int cap = vconv_round_up(vconv_div_up(p->ocg, chunks), g->nr);
        cap = vconv_max_i(cap, vconv_round_up(WINO_MIN_OCB, g->nr));
        if ((size_t)cap < ocb)
            ocb = (size_t)cap;
    }
    /* a plan of several threads with fewer items than threads (small
       layers at batch 1) cuts its chunks further, down to one kernel
       panel, so every thread gets work; each then transforms the block's
       input itself (the estimate counts it so). One thread keeps whole
       chunks: cutting them cost 15-30% there (measured, small 3x3 layers
       of the seed nets). The bits do not change with the chunks: an
       output's operations are the same whatever its chunk. */
    if (p->threads > 1) {
        const long blocks = (long)p->g * g->nblk;
        const int nch = vconv_div_up(p->ocg, (int)ocb);
        if (blocks * nch < p->threads) {
            const int per = (int)((p->threads + blocks - 1) / blocks);
            int cap = vconv_round_up(vconv_div_up(p->ocg, per), g->nr);
            if ((size_t)cap < ocb)
                ocb = (size_t)vconv_max_i(cap, g->nr);
        }
    }
    g->ocb = (int)ocb;
    g->nch = vconv_div_up(p->ocg, g->ocb);

    /* strips: the tile rows a block touches, each as wide as its tiles */
    const int tx_in_blk = vconv_min_i(g->tiles_x, g->T);
    g->wmax = (tx_in_blk - 1) * g->m + g->alpha;
    g->nstrips = (g->T - 1) / g->tiles_x + 2;
    if (g->nstrips > g->T)
        g->nstrips = g->T;
    g->strip_stride = (size_t)p->icg * g->alpha * g->wmax;
    g->strips_floats = p->layout == VCONV_NHWC
                           ? part((size_t)g->nstrips * g->strip_stride +
                                  WINO_STRIP_SLACK)
                           : 0;
    g->vs_point = (size_t)g->kpad * g->mr + WINO_PANEL_PAD;
    g->vs_panel = a2 * g->vs_point;
    g->v_floats = part((size_t)(g->T / g->mr) * g->vs_panel);
    g->m_floats = part((size_t)g->T * a2 * g->ocb);
    g->wb = tx_in_blk * g->m;
    g->band_floats = p->layout == VCONV_NCHW
                         ? part((size_t)g->nstrips * g->m * g->wb * g->ocb)
                         : 0;
    g->per_thread =
        g->strips_floats + g->v_floats + g->m_floats + g->band_floats;
}

/* ------------------------------------------------------------ entries */

typedef struct {
    wino_geom geo;
    const wino_isa_ops *ops;
    float *u;          /* [g][xi] packed B (roundup(ocg, nr) x kpad) */
    size_t u_point;    /* floats of one (g, xi) */
    float *bias;       /* [oc], zeros when the user gave none */
} wino_state;

static const wino_isa_ops *ops_of(vconv_isa isa)
{
    switch (isa) {
#if VCONV_ARCH_X86_64
    case VCONV_ISA_AVX512: return &vconv_wino_ops_avx512;
    case VCONV_ISA_AVX2: return &vconv_wino_ops_avx2;
#endif
#if VCONV_ARCH_AARCH64
    case VCONV_ISA_NEON: return &vconv_wino_ops_neon;
#endif
    case VCONV_ISA_SCALAR: return &vconv_wino_ops_scalar;
    default: return NULL;
    }
}

static bool supports_r(const vconv_problem *p, int r, char *why, size_t len)
{
    if (p->kh != r || p->kw != r) {
        snprintf(why, len, "kernel %dx%d is not %dx%d", p->kh, p->kw, r, r);
        return false;
    }
    if (p->sh != 1 || p->sw != 1) {
        snprintf(why, len, "stride %dx%d is not 1", p->sh, p->sw);
        return false;
    }
    if (p->dh != 1 || p->dw != 1) {
        snprintf(why, len, "dilation %dx%d is not 1", p->dh, p->dw);
        return false;
    }
    return true;
}

static bool wino_supports3(const vconv_problem *p, char *why, size_t len)
{
    return supports_r(p, 3, why, len);
}

static bool wino_supports5(const vconv_problem *p, char *why, size_t len)
{
    return supports_r(p, 5, why, len);
}

/*
 * The heuristic: a model of the run's cycles on one core of the
 * development machine (AMD EPYC Zen 4: one zmm or two ymm FMAs a cycle),
 * fitted to the parts of the run timed apart (input transform, GEMM,
 * output transform, NCHW writer; min of interleaved runs, AVX-512, batch
 * 1 and 32, the 3x3 layers of bench/shapes), and turned into seconds at
 * its clock (WINO_HZ: real time, the scale direct's and im2col's
 * estimates use too):
 *   GEMM:   the kernel's vector FMAs (tile rows padded to the kernel's
 *           MR, columns to the vector, K = kpad) at one a cycle, plus a
 *           kernel call's fixed cost and its C stores (what dominates
 *           when icg is 1..3: the first layers), plus U's bytes when it
 *           streams from L3 (the machine model's rate) or, past the L3,
 *           from memory (once a block);
 *   input:  a cost a step of vl lanes (16 tiles-channels) and a cost a
 *           panel (its tiles' patch pointers and masks);
 *   output: a cost a tile and 16 output channels;
 *   writer: NCHW dst through the band (transposes), and dst / src from
 *           memory when they outgrow L2;
 *   threads: the work items (group, block, chunk) are split among them.
 * So it picks by tiles (panel padding, partial tiles at the borders),
 * channels (the GEMM's share against the transforms': small K is all
 * transforms and call overhead, and loses to direct) and batch. AVX2 runs
 * the same vector FMA cycles (two ymm a cycle) with 8-lane transforms;
 * the scalar code is taken as 8x dearer throughout. NEON (the 8x12 sgemm
 * kernel, transforms on q registers) takes the same cycle model: no Arm
 * hardware was available to calibrate it on. The GEMM's FMA rate is the
 * machine model's (dispatch/machine.h): other CPUs than the Zen 4 run the
 * GEMM faster or slower, the transforms at the fitted costs.
 */
typedef struct {
    double in_step;  /* a step of the input transform, vl lanes */
    double out_unit; /* the output transform of a tile, 16 channels */
} wino_cost;

static const wino_cost wino_costs[WINO_NVARIANTS] = {
    {200.0, 65.0},  /* F(2x2) */
    {480.0, 200.0}, /* F(4x4) */
    {820.0, 280.0}, /* F(6x6) */
    {480.0, 110.0}, /* F(2x2, 5x5): F(4x4)'s input transform */
    {820.0, 220.0}, /* F(4x4, 5x5): F(6x6)'s input transform */
};
#define WINO_HZ 3.3e9         /* the development machine's clock */
#define WINO_IN_PANEL 1000.0  /* input: a panel's pointers and masks */
#define WINO_CALL 20.0        /* a GEMM kernel call */
#define WINO_CSTORE 2.2       /* a vector of C stored (the kernel's tile) */
#define WINO_BAND 0.5         /* NCHW writer: an output element */
#define WINO_MEM 1.0          /* an element of dst (or 0.25 of src) past L2 */
/* U from the L3 (outgrowing L2): at the machine model's L3 read rate
   (vconv_machine_l3_bytes; 36 bytes a cycle fitted on the Zen 4 beside the
   FMAs, its preset; 8 measured on an Intel Xeon model 106 VM, where F(4x4)
   on cifar_vgg conv3_2, 2.4 MB of U for 4 tiles at batch 1, ran at 0.8x
   oneDNN and F(2x2), whose 1 MB of U stays in L2, at 0.94x).
   Bytes of U from memory a cycle, when U outgrows the L3
   (vconv_topology_mem_threshold; measured: the
   36.9 MB U of F(4x4) on ResNet-18's 512-channel 7x7 layer, 2.3 ms a run
   on the Intel Xeon of this VM, ~16 GB/s: the same rate a direct
   convolution's weights stream at, see direct.c) */
#define WINO_U_DRAM 5.0

/*
 * The GEMM's cycles a k-step of one row of tiles (MR rows, so: per row
 * of the padded panel), over all of the oc panels: each kernel tile of R
 * = MR rows and V vectors a k-step issues R V FMAs and R + V loads (R
 * broadcasts of V, V vectors of U: the x86 kernels; NEON's sgemm kernel
 * loads A as vectors, (MR + NR) / 4), and runs at the slower of the
 * machine model's FMA and load rates. Where loads are as fast as FMAs
 * (two a cycle: Zen 4 and 5, Intel parts with two 512-bit pipes) the
 * FMAs bound every tile; a core that feeds one load a cycle (measured on
 * an Intel Xeon model 106 VM: 16 x 16 at 92 GFLOP/s, 8 x 32 at 150, 4 x
 * 64 at 180 of a 176 peak, min of 15 interleaved runs, K = 32..256 in
 * L1) is load-bound on 16 x 16 (17 loads for 16 FMAs). Scalar: 16 FMAs
 * a cycle-unit, as fitted.
 */
static double gemm_step(const vconv_problem *p, const wino_geom *g,
                        vconv_isa isa)
{
    if (isa == VCONV_ISA_SCALAR)
        return vconv_div_up(p->ocg, 16);
    const vconv_isa_model *mm = vconv_machine_isa(isa);
    const int lanes = vconv_isa_hw_lanes(isa);
    const int vpan = vconv_div_up(g->nr, lanes); /* vectors a full panel */
    const int vtot = vconv_div_up(p->ocg, lanes);
    double cycles = 0;
    for (int v0 = 0; v0 < vtot; v0 += vpan) {
        const int v = vconv_min_i(vpan, vtot - v0);
        const double loads = isa == VCONV_ISA_NEON
                                 ? (g->mr + v * lanes) / 4.0
                                 : (double)(g->mr + v);
        const double fma = (double)g->mr * v / mm->fma_rate,
                     ld = loads / mm->load_rate;
        cycles += fma > ld ? fma : ld;
    }
    return cycles / g->mr;
}

/* *input (may be NULL) gets the input transform's share of the total */
static double model_cycles(const vconv_problem *p, const wino_geom *g,
                           vconv_isa isa, int vl, double *input)
{
    const double l2 = (double)vconv_topology_get()->l2,
                 mem = vconv_topology_mem_threshold(vconv_topology_get());
    const double last = g->ntiles - (double)(g->nblk - 1) * g->T;
    const double panels = (double)(g->nblk - 1) * (g->T / g->mr) +
                          vconv_div_up((int)last, g->mr);
    const double rows = panels * g->mr;
    const double cvec = vconv_div_up(p->ocg, 16);
    const double opan = vconv_div_up(p->ocg, g->nr);
    double gemm = g->a2 * rows * g->kpad * gemm_step(p, g, isa);
    const double calls = g->a2 * panels * opan;
    gemm += calls * (WINO_CALL + WINO_CSTORE * g->mr * (double)g->nr / 16.0);
    const double ubytes = 4.0 * g->a2 * g->kpad * opan * g->nr;
    if (ubytes > l2)
        gemm += ubytes * g->nblk /
                (ubytes > mem ? WINO_U_DRAM : vconv_machine_l3_bytes());
    /* a block's V and M past half of L2 (geometry's larger blocks) are
       written to the L3 and read back */
    const double m2 = p->layout == VCONV_NCHW ? (double)g->m * g->m : 0.0;
    const double vm = 4.0 * (g->a2 * ((double)g->kpad + g->ocb) + m2 * g->ocb);
    if (vm * g->T > l2 / 2)
        gemm += 2.0 * vm * g->ntiles / vconv_machine_l3_bytes();
    /* transforms */
    const wino_cost *c = &wino_costs[g->var];
    const double steps = (double)g->kpad / g->cl;
    const double in = panels * (WINO_IN_PANEL + steps * c->in_step * vl / 16.0);
    double tr = in + (double)g->ntiles * cvec * c->out_unit;
    if (input)
        *input = in * p->g * (isa == VCONV_ISA_SCALAR ? 8.0 : 1.0);
    double total = (gemm + tr) * p->g;
    /* NCHW writer and memory */
    const double dst = (double)vconv_dst_elems(p), src = vconv_src_elems(p);
    if (p->layout == VCONV_NCHW)
        total += WINO_BAND * dst;
    if (4.0 * dst > l2)
        total += WINO_MEM * dst;
    if (4.0 * src > l2)
        total += 0.25 * WINO_MEM * src;
    if (isa == VCONV_ISA_SCALAR)
        total *= 8.0;
    return total;
}

/* The Winograd kernel with the least modelled time (an ISA without them:
   its sgemm kernel). */
static const vconv_sgemm_kernel *pick_kernel(const vconv_problem *p, int var,
                                             const wino_isa_ops *ops)
{
    if (!ops->gemm[0])
        return vconv_sgemm_kernel_get(ops->isa);
    const vconv_sgemm_kernel *best = NULL;
    double best_c = INFINITY;
    for (int i = 0; i < WINO_NGEMM && ops->gemm[i]; i++) {
        wino_geom g;
        geometry(p, var, ops->gemm[i], ops->vl, &g);
        const double c = model_cycles(p, &g, ops->isa, ops->vl, NULL);
        if (c < best_c) {
            best_c = c;
            best = ops->gemm[i];
        }
    }
    return best;
}

static double wino_estimate(const vconv_problem *p, int var, vconv_isa isa,
                            char *why, size_t len)
{
    const int k = wino_r[var] * wino_r[var] * p->icg;
    const double e = documented_error(var, k);
    if (e > WINO_BOUND_OUT) {
        snprintf(why, len,
                 "documented error %.2g of the output's scale at K=%d "
                 "exceeds the bound %.2g",
                 e, k, WINO_BOUND_OUT);
        return INFINITY;
    }
    const wino_isa_ops *ops = ops_of(isa);
    const vconv_sgemm_kernel *kern = ops ? pick_kernel(p, var, ops) : NULL;
    if (!kern) {
        snprintf(why, len, "no %s winograd kernels in this build",
                 vconv_isa_name(isa));
        return INFINITY;
    }
    wino_geom g;
    geometry(p, var, kern, ops->vl, &g);
    /* the work items (group, block, chunk) split among the threads, but
       a block's input transform is done once by every thread that meets
       the block: with fewer blocks than threads it is repeated, not
       split (measured at 2 threads, batch 1: F(2x2) with its channels
       cut in two chunks ran slower than F(4x4) on one thread) */
    const double items = (double)p->g * g.nblk * g.nch,
                 blocks = (double)p->g * g.nblk;
    const double par = items < p->threads ? items : p->threads,
                 par_in = blocks < p->threads ? blocks : p->threads;
    double in = 0;
    const double total = model_cycles(p, &g, isa, ops->vl, &in);
    return ((total - in) / par + in / par_in) / WINO_HZ;
}

void vconv_wino_weight_transform(int var, const float *w, float *u)
{
    const wino_matrices *mx = vconv_wino_matrices(var);
    const double *G = mx->g;
    const int alpha = mx->alpha, r = mx->r;
    double tmp[8][5];
    for (int i = 0; i < alpha; i++)
        for (int b = 0; b < r; b++) {
            double t = 0;
            for (int k = 0; k < r; k++)
                t += G[i * r + k] * w[k * r + b];
            tmp[i][b] = t;
        }
    for (int i = 0; i < alpha; i++)
        for (int j = 0; j < alpha; j++) {
            double t = 0;
            for (int k = 0; k < r; k++)
                t += tmp[i][k] * G[j * r + k];
            u[i * alpha + j] = (float)t;
        }
}

static vconv_status wino_create(const vconv_problem *p, int var,
                                vconv_isa isa, const float *w,
                                const float *bias, void **state)
{
    const wino_isa_ops *ops = ops_of(isa);
    const wino_matrices *mx = vconv_wino_matrices(var);
    if (!ops || !mx)
        return vconv_error(VCONV_ERR_UNSUPPORTED,
                           "winograd: no %s transforms in this build",
                           vconv_isa_name(isa));
    const vconv_sgemm_kernel *kern = pick_kernel(p, var, ops);
    if (!kern)
        return vconv_error(VCONV_ERR_UNSUPPORTED,
                           "winograd: no %s gemm kernel in this build",
                           vconv_isa_name(isa));
    wino_state *s = calloc(1, sizeof *s);
    if (!s)
        return vconv_error(VCONV_ERR_NO_MEMORY, "winograd: plan state");
    geometry(p, var, kern, ops->vl, &s->geo);
    s->ops = ops;
    const wino_geom *g = &s->geo;
    const int a2 = g->a2, nr = g->nr, kpad = g->kpad;
    const int icg = p->icg, ocg = p->ocg;
    const size_t taps = (size_t)p->kh * p->kw;

    size_t up, total, bytes;
    if (!vconv_mul_size((size_t)vconv_round_up(ocg, nr), (size_t)kpad, &up) ||
        !vconv_mul_size(up, (size_t)a2 * (size_t)p->g, &total) ||
        !vconv_mul_size(total, sizeof(float), &bytes)) {
        free(s);
        return vconv_error(VCONV_ERR_NO_MEMORY,
                           "winograd: transformed weights overflow size_t");
    }
    s->u_point = up;
    s->u = vconv_alloc(bytes);
    s->bias = vconv_alloc((size_t)p->oc * sizeof(float));
    if (!s->u || !s->bias) {
        vconv_free(s->u);
        vconv_free(s->bias);
        free(s);
        return vconv_error(VCONV_ERR_NO_MEMORY,
                           "winograd: %zu bytes of transformed weights",
                           bytes);
    }
    /* zeros: the padding columns of the last oc panel, the padding rows
       (channels icg..kpad-1) */
    memset(s->u, 0, bytes);
    for (int o = 0; o < p->oc; o++)
        s->bias[o] = bias ? bias[o] : 0.0f;

    /* U = G w G^T; point xi of (group gr, output channel o, input
       channel c) goes to the packed B of (gr, xi): panel o / nr, row c,
       column o % nr (panels of kpad rows). */
    const long jobs = (long)p->g * ocg;
#pragma omp parallel for num_threads(p->threads) schedule(static)
    for (long job = 0; job < jobs; job++) {
        const int gr = (int)(job / ocg), o = (int)(job % ocg);
        float u[64];
        for (int c = 0; c < icg; c++) {
            vconv_wino_weight_transform(
                var, w + (((size_t)gr * ocg + o) * icg + c) * taps, u);
            for (int xi = 0; xi < a2; xi++)
                s->u[((size_t)gr * a2 + xi) * s->u_point +
                     (size_t)(o / nr) * nr * kpad + (size_t)c * nr + o % nr] =
                    u[xi];
        }
    }
    if (vconv_verbose_level() > 1)
        vconv_log("winograd F(%dx%d, %dx%d).%s plan: %d tiles in blocks of "
                  "%d (%d blocks), chunks of %d output channels (%d), "
                  "kernel %s",
                  g->m, g->m, p->kh, p->kw, vconv_isa_name(isa), g->ntiles,
                  g->T, g->nblk, g->ocb, g->nch, kern->name);
    *state = s;
    return VCONV_OK;
}

static void wino_destroy(void *state)
{
    wino_state *s = state;
    vconv_free(s->u);
    vconv_free(s->bias);
    free(s);
}

/* ----------------------------------------------------------------- run */

/* The tile rows (strips) of block [t0, t1): strip s is global tile row
   r0 + s, tiles txa..txb of it. */
typedef struct {
    int r0, count;
    int t0, t1;
} blk_rows;

static void strip_tiles(const wino_geom *g, const blk_rows *br, int s,
                        int *txa, int *txb)
{
    *txa = s == 0 ? br->t0 % g->tiles_x : 0;
    *txb = s == br->count - 1 ? (br->t1 - 1) % g->tiles_x : g->tiles_x - 1;
}

/* Step 1 (NHWC only): the strips of block br, group gr: zero-padded,
   channel-major. Strip s, channel c, row r, column xs holds input (y, x) =
   (ty m - pt + r, txa m - pl + xs), zero outside the input. (NCHW input
   is read in place: see transform_input.) */
static void fill_strips(const wino_state *st, const vconv_problem *p,
                        const blk_rows *br, int gr, const float *src,
                        float *strips)
{
    const wino_geom *g = &st->geo;
    const int m = g->m, alpha = g->alpha, icg = p->icg;
    const size_t cs = (size_t)alpha * g->wmax;
    for (int s = 0; s < br->count; s++) {
        const int tr = br->r0 + s, n = tr / g->tiles_y, ty = tr % g->tiles_y;
        int txa, txb;
        strip_tiles(g, br, s, &txa, &txb);
        const int w = (txb - txa) * m + alpha;
        const int xbase = txa * m - p->pl;
        const int xa = vconv_max_i(0, vconv_min_i(w, -xbase));
        const int xb = vconv_max_i(xa, vconv_min_i(w, p->iw - xbase));
        float *S = strips + (size_t)s * g->strip_stride;
        for (int r = 0; r < alpha; r++) {
            const int y = ty * m - p->pt + r;
            const bool inside = y >= 0 && y < p->ih && xb > xa;
            if (inside)
                st->ops->transpose(
                    xb - xa, icg,
                    src + (((size_t)n * p->ih + y) * p->iw + xbase + xa) *
                              p->ic +
                        (size_t)gr * icg,
                    p->ic, S + (size_t)r * g->wmax + xa, (ptrdiff_t)cs);
            for (int c = 0; c < icg; c++) {
                float *row = S + c * cs + (size_t)r * g->wmax;
                const int z0 = inside ? xa : w;
                for (int x = 0; x < z0; x++)
                    row[x] = 0;
                for (int x = inside ? xb : w; x < w; x++)
                    row[x] = 0;
            }
        }
    }
}

/* The patch of tile t (block-global index) in the strips. */
static const float *patch_of(const wino_geom *g, const blk_rows *br,
                             const float *strips, int t)
{
    const int s = t / g->tiles_x - br->r0;
    int txa, txb;
    strip_tiles(g, br, s, &txa, &txb);
    return strips + (size_t)s * g->strip_stride +
           (size_t)(t % g->tiles_x - txa) * g->m;
}

/* Step 2: the input transform of the block into V (A panels of mr tile
   rows, K = kpad). One call of the ISA's input transform a panel: lane
   q mr + t is channel c cl + q of the panel's tile t at step c, so the
   lanes of a step fill the panel's rows of cl consecutive channels
   (lanes = cl mr floats, contiguous); channels past icg (the last step
   when cl does not divide icg) are masked off (zeros). The panel's rows
   past the block's last tile repeat it (finite, read by the GEMM
   kernel, never stored). NCHW input is read in place: a tile's patch rows
   are rows of the image, and the columns and rows in the padding are
   masked off (read as zeros); NHWC input from the strips. */
static void transform_input(const wino_state *st, const vconv_problem *p,
                            const blk_rows *br, int gr, const float *src,
                            const float *strips, float *v)
{
    const wino_geom *g = &st->geo;
    const int mr = g->mr, vl = st->ops->vl, m = g->m, alpha = g->alpha;
    const int cl = g->cl, lanes = g->lanes;
    const int nt = br->t1 - br->t0;
    const wino_input_fn in = st->ops->input[g->var];
    const bool direct = p->layout == VCONV_NCHW;
    const size_t plane = (size_t)p->ih * p->iw;
    const ptrdiff_t cs = direct ? (ptrdiff_t)plane : g->alpha * g->wmax;
    const ptrdiff_t rs = direct ? p->iw : g->wmax;
    const int lw = alpha == 4 ? 4 : 8; /* columns a vector load reads */
    const int nfull = p->icg / cl, rem = p->icg % cl;
    const float *tp[16], *patch[16];
    uint8_t tm[16][8], mask[8 * 16];
    for (int t0 = 0; t0 < nt; t0 += mr) {
        for (int i = 0; i < mr; i++) {
            const int t = br->t0 + vconv_min_i(t0 + i, nt - 1);
            if (!direct) {
                tp[i] = patch_of(g, br, strips, t);
                for (int r = 0; r < alpha; r++)
                    tm[i][r] = 0xff;
                continue;
            }
            const int tr = t / g->tiles_x, tx = t % g->tiles_x;
            const int n = tr / g->tiles_y, ty = tr % g->tiles_y;
            const int y0 = ty * m - p->pt, x0 = tx * m - p->pl;
            /* the patch origin may lie outside the image (in the padding):
               only its masked-in elements are ever read. The address is
               formed in integers: no out-of-bounds pointer arithmetic. */
            const ptrdiff_t off =
                (ptrdiff_t)(((size_t)n * p->ic + (size_t)gr * p->icg) * plane) +
                (ptrdiff_t)y0 * p->iw + x0;
            tp[i] = (const float *)((uintptr_t)src +
                                    (uintptr_t)off * sizeof(float));
            unsigned cols = 0;
            for (int j = 0; j < lw; j++)
                if (x0 + j >= 0 && x0 + j < p->iw)
                    cols |= 1u << j;
            for (int r = 0; r < alpha; r++)
                tm[i][r] =
                    (uint8_t)(y0 + r >= 0 && y0 + r < p->ih ? cols : 0);
        }
        /* lane q mr + i: tile i, channel offset q; lanes past `lanes`
           repeat lane 0 (computed, never stored) */
        for (int l = 0; l < vl; l++) {
            const int ll = l < lanes ? l : 0, q = ll / mr, i = ll % mr;
            patch[l] = (const float *)((uintptr_t)tp[i] +
                                       (uintptr_t)(q * cs) * sizeof(float));
            for (int r = 0; r < alpha; r++)
                mask[r * vl + l] = tm[i][r];
        }
        float *vp = v + (size_t)(t0 / mr) * g->vs_panel;
        if (nfull > 0)
            in(patch, cs * cl, rs, mask, lanes, nfull, vp,
               (ptrdiff_t)g->vs_point);
        if (rem > 0) {
            /* the last step: channels nfull cl .. icg - 1, the lanes of
               the missing ones read nothing (their channel-0 pointer,
               masked off) */
            for (int l = 0; l < vl; l++) {
                const int ll = l < lanes ? l : 0, q = ll / mr, i = ll % mr;
                const ptrdiff_t c0 = (ptrdiff_t)nfull * cl + (q < rem ? q : 0);
                patch[l] = (const float *)((uintptr_t)tp[i] +
                                           (uintptr_t)(c0 * cs) *
                                               sizeof(float));
                for (int r = 0; r < alpha; r++)
                    mask[r * vl + l] = q < rem ? tm[i][r] : 0;
            }
            in(patch, cs * cl, rs, mask, lanes, 1,
               vp + (size_t)nfull * lanes, (ptrdiff_t)g->vs_point);
        }
    }
}

/* Outputs that see only padding: rows y with y + kh - 1 < pt or y - pt >=
   ih (their kh input rows all outside), likewise columns. They exist only
   when a padding reaches the kernel size. The contract wants exactly
   act(bias) there; the transforms give bias plus rounding noise of the
   tile's other inputs, so they are overwritten. */
static bool pad_only_row(const vconv_problem *p, int y)
{
    return y + p->kh - 1 < p->pt || y - p->pt >= p->ih;
}
static bool pad_only_col(const vconv_problem *p, int x)
{
    return x + p->kw - 1 < p->pl || x - p->pl >= p->iw;
}

/* Writes act(bias) to the padding-only outputs of block br, channels
   [oc0, oc0 + noc) of group gr: in dst (NHWC) or in the band (NCHW, before
   its transpose). */
static void fix_padding_only(const wino_state *st, const vconv_problem *p,
                             const blk_rows *br, int gr, int oc0, int noc,
                             float *dst, float *band)
{
    const wino_geom *g = &st->geo;
    const int m = g->m;
    const float *bias = st->bias + (size_t)gr * p->ocg + oc0;
    for (int t = br->t0; t < br->t1; t++) {
        const int tr = t / g->tiles_x, tx = t % g->tiles_x;
        const int n = tr / g->tiles_y, ty = tr % g->tiles_y;
        int txa, txb;
        strip_tiles(g, br, tr - br->r0, &txa, &txb);
        for (int i = 0; i < m && ty * m + i < p->oh; i++)
            for (int j = 0; j < m && tx * m + j < p->ow; j++) {
                const int y = ty * m + i, x = tx * m + j;
                if (!pad_only_row(p, y) && !pad_only_col(p, x))
                    continue;
                float *o =
                    p->layout == VCONV_NHWC
                        ? dst + (((size_t)n * p->oh + y) * p->ow + x) * p->oc +
                              (size_t)gr * p->ocg + oc0
                        : band + (((size_t)(tr - br->r0) * m + i) * g->wb +
                                  (size_t)(tx - txa) * m + j) *
                                     g->ocb;
                for (int c = 0; c < noc; c++) {
                    float b = bias[c];
                    if (p->act == VCONV_ACT_RELU && b < 0)
                        b = 0;
                    o[c] = b;
                }
            }
    }
}

/* Steps 3 and 4 for chunk [oc0, oc0 + noc) of group gr. */
static void gemm_output(const wino_state *st, const vconv_problem *p,
                        const blk_rows *br, int gr, int oc0, const float *v,
                        float *mbuf, float *band, float *dst)
{
    const wino_geom *g = &st->geo;
    const int a2 = g->a2, mr = g->mr, nr = g->nr, m = g->m;
    const int nt = br->t1 - br->t0, noc = vconv_min_i(g->ocb, p->ocg - oc0);
    const int kpad = g->kpad;
    const size_t ldc = (size_t)a2 * g->ocb;
    const vconv_sgemm_ukernel_fn uk = g->kern->ukernel;

    /* M[tile][xi][oc] = V_xi U_xi: one call per (point, oc panel, tile
       panel); the B panel (kpad x nr of U) stays in L1 across the
       block's tile panels */
    for (int xi = 0; xi < a2; xi++) {
        const float *u = st->u + ((size_t)gr * a2 + xi) * st->u_point +
                         (size_t)oc0 * kpad;
        const float *a0 = v + (size_t)xi * g->vs_point;
        float *c0 = mbuf + (size_t)xi * g->ocb;
        for (int q = 0; q < noc; q += nr) {
            const int nn = vconv_min_i(nr, noc - q);
            for (int t = 0; t < nt; t += mr)
                uk((size_t)vconv_min_i(mr, nt - t), (size_t)nn, (size_t)kpad,
                   a0 + (size_t)(t / mr) * g->vs_panel, u + (size_t)q * kpad,
                   c0 + (size_t)t * ldc + q, ldc, 0, NULL, NULL);
        }
    }

    /* Y = A^T M A + bias, ReLU: to dst (NHWC) or to the band (NCHW) */
    const wino_output_fn out = st->ops->output[g->var];
    const float *bias = st->bias + (size_t)gr * p->ocg + oc0;
    const int relu = p->act == VCONV_ACT_RELU;
    for (int t = 0; t < nt; t++) {
        const int tg = br->t0 + t;
        const int tr = tg / g->tiles_x, tx = tg % g->tiles_x;
        const int n = tr / g->tiles_y, ty = tr % g->tiles_y;
        const int mi = vconv_min_i(m, p->oh - ty * m);
        const int mj = vconv_min_i(m, p->ow - tx * m);
        const float *mt = mbuf + (size_t)t * ldc;
        if (p->layout == VCONV_NHWC) {
            float *y = dst +
                       (((size_t)n * p->oh + (size_t)ty * m) * p->ow +
                        (size_t)tx * m) * p->oc +
                       (size_t)gr * p->ocg + oc0;
            out(mt, g->ocb, noc, bias, relu, y, (ptrdiff_t)p->ow * p->oc,
                p->oc, mi, mj);
        } else {
            const int s = tr - br->r0;
            int txa, txb;
            strip_tiles(g, br, s, &txa, &txb);
            float *y = band + ((size_t)s * m * g->wb + (size_t)(tx - txa) * m) *
                                  g->ocb;
            out(mt, g->ocb, noc, bias, relu, y, (ptrdiff_t)g->wb * g->ocb,
                g->ocb, mi, mj);
        }
    }
    if (p->pt >= p->kh || p->pb >= p->kh || p->pl >= p->kw || p->pr >= p->kw)
        fix_padding_only(st, p, br, gr, oc0, noc, dst, band);
    if (p->layout == VCONV_NHWC)
        return;
    /* the band's rows, transposed into NCHW dst: a strip at a time */
    const size_t ohw = (size_t)p->oh * p->ow;
    for (int s = 0; s < br->count; s++) {
        const int tr = br->r0 + s, n = tr / g->tiles_y, ty = tr % g->tiles_y;
        int txa, txb;
        strip_tiles(g, br, s, &txa, &txb);
        const int x0 = txa * m, x1 = vconv_min_i((txb + 1) * m, p->ow);
        const int rows = vconv_min_i(m, p->oh - ty * m);
        st->ops->band(band + (size_t)s * m * g->wb * g->ocb,
                      (ptrdiff_t)g->wb * g->ocb, g->ocb, rows, x1 - x0, noc,
                      dst + ((size_t)n * p->oc + (size_t)gr * p->ocg + oc0) *
                                ohw +
                          (size_t)ty * m * p->ow + x0,
                      p->ow, (ptrdiff_t)ohw);
    }
}

static vconv_status wino_run(const void *state, const vconv_problem *p,
                             const float *src, float *dst)
{
    const wino_state *st = state;
    const wino_geom *g = &st->geo;
    const long items = (long)p->g * g->nblk * g->nch;
    const int threads = (int)(items < p->threads ? items : p->threads);
    size_t floats;
    if (!vconv_mul_size(g->per_thread, (size_t)threads, &floats) ||
        floats > SIZE_MAX / sizeof(float))
        return vconv_error(VCONV_ERR_NO_MEMORY,
                           "winograd: scratch size overflows size_t");
    float *work = vconv_scratch(VCONV_SCRATCH_SHARED, floats * sizeof(float));
    if (!work)
        return vconv_error(VCONV_ERR_NO_MEMORY,
                           "winograd: %zu bytes of scratch",
                           floats * sizeof(float));

#pragma omp parallel num_threads(threads) if (threads > 1)
    {
        const int tid = omp_get_thread_num(), team = omp_get_num_threads();
        float *strips = work + (size_t)tid * g->per_thread;
        float *v = strips + g->strips_floats;
        float *mbuf = v + g->v_floats;
        float *band = mbuf + g->m_floats;
        /* a contiguous range of items (group-major, then block, then
           chunk) a thread: the input of a (group, block) is transformed
           once per thread that meets it */
        const long i0 = items * tid / team, i1 = items * (tid + 1) / team;
        long cur = -1;
        blk_rows br = {0, 0, 0, 0};
        for (long it = i0; it < i1; it++) {
            const long gb = it / g->nch;
            const int gr = (int)(gb / g->nblk), b = (int)(gb % g->nblk);
            const int ch = (int)(it % g->nch);
            if (gb != cur) {
                br.t0 = b * g->T;
                br.t1 = vconv_min_i(br.t0 + g->T, g->ntiles);
                br.r0 = br.t0 / g->tiles_x;
                br.count = (br.t1 - 1) / g->tiles_x - br.r0 + 1;
                if (p->layout == VCONV_NHWC)
                    fill_strips(st, p, &br, gr, src, strips);
                transform_input(st, p, &br, gr, src, strips, v);
                cur = gb;
            }
            gemm_output(st, p, &br, gr, ch * g->ocb, v, mbuf, band, dst);
        }
    }
    return VCONV_OK;
}

/* ---------------------------------------------------- the fifteen entries */

#define WINO_ENTRY(VAR, M, R, ISA, ISANAME)                                    \
    static double est_f##M##x##R##_##ISANAME(const vconv_problem *p,           \
                                             char *why, size_t len)            \
    {                                                                          \
        return wino_estimate(p, VAR, ISA, why, len);                           \
    }                                                                          \
    static vconv_status create_f##M##x##R##_##ISANAME(                         \
        const vconv_problem *p, const float *w, const float *b, void **st)     \
    {                                                                          \
        return wino_create(p, VAR, ISA, w, b, st);                             \
    }                                                                          \
    const vconv_impl vconv_impl_winograd_f##M##x##R##_##ISANAME = {            \
        .name = "winograd_f" #M "x" #R "." #ISANAME,                           \
        .algo = VCONV_ALGO_WINOGRAD,                                           \
        .isa = ISA,                                                            \
        .supports = wino_supports##R,                                          \
        .estimate = est_f##M##x##R##_##ISANAME,                                \
        .create = create_f##M##x##R##_##ISANAME,                               \
        .run = wino_run,                                                       \
        .destroy = wino_destroy,                                               \
    };

#define WINO_ENTRIES(ISA, ISANAME)                                             \
    WINO_ENTRY(WINO_F2, 2, 3, ISA, ISANAME)                                    \
    WINO_ENTRY(WINO_F4, 4, 3, ISA, ISANAME)                                    \
    WINO_ENTRY(WINO_F6, 6, 3, ISA, ISANAME)                                    \
    WINO_ENTRY(WINO_F2R5, 2, 5, ISA, ISANAME)                                  \
    WINO_ENTRY(WINO_F4R5, 4, 5, ISA, ISANAME)

WINO_ENTRIES(VCONV_ISA_SCALAR, scalar)
#if VCONV_ARCH_X86_64
WINO_ENTRIES(VCONV_ISA_AVX2, avx2)
WINO_ENTRIES(VCONV_ISA_AVX512, avx512)
#endif
#if VCONV_ARCH_AARCH64
WINO_ENTRIES(VCONV_ISA_NEON, neon)
#endif
