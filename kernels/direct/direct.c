/*
 * direct.c - direct convolution on channel-blocked layouts: the portable
 * driver of direct.scalar, direct.avx2, direct.avx512 and direct.neon
 * (supports, estimate, planning, weight packing, layout conversion,
 * threading). The arithmetic is in the microkernel files (direct-<isa>.c,
 * loop nests in direct-tiles.h); this file holds no intrinsics and runs
 * on any CPU.
 *
 * What a run does, per image (direct.h has the layouts):
 *   1. the user's src (NCHW or NHWC) is converted into the padded,
 *      phase-split, channel-blocked layout (VIN = V) or the planar one
 *      (VIN = 1, for few input channels), one image at a time into
 *      per-thread (or, for a team sharing one image, shared) scratch; the
 *      width-vector kernel reads an NCHW src directly when it needs no
 *      padding and no stride (then nothing is converted);
 *   2. jobs = (group, output-channel tile, output row), ordered by bands
 *      of rows sized from the L2 (do_jobs); each job runs the microkernel
 *      on every pixel tile of the row: the whole reduction in registers,
 *      bias as the initial value, ReLU and the store fused;
 *   3. NHWC dst is stored by the microkernel itself (masked last block);
 *      NCHW dst from the channel-vector kernel goes through a per-thread
 *      row buffer [nb][ow][V] that is transposed into the NCHW rows right
 *      after (per row, while it is in L1); the width-vector kernel stores
 *      NCHW rows directly.
 * Every output is computed by one microkernel call in a fixed order (or
 * by two, identically, where a width-vector row's last vector overlaps
 * the one before), so the result does not depend on the thread count or
 * the partition.
 *
 * Kernel choice (plan_tiles): the planner costs every tile shape the ISA
 * allows with a machine model of the microkernels (the cost model below)
 * and keeps the cheapest. VIN = 1 (planar src, the "first layer" kernels)
 * wins when few input channels would leave most of a V-wide block empty;
 * the width-vector kernel wins for NCHW dst when the reduction is short
 * (mnist / cifar conv1), where the transposition of the channel-vector
 * kernel's output would cost as much as the arithmetic.
 */
#include "direct.h"
#include "../../dispatch/dispatch.h"
#include "../../dispatch/machine.h"
#include "../../dispatch/topology.h"

#include <math.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --------------------------------------------------------- ISA limits */

/* What each ISA file instantiates and what fits its register file
   (the register plans are at the top of each file). */
static const direct_isa_limits limits_scalar = {
    .isa = VCONV_ISA_SCALAR,
    .V = 8,
    .max_nb = 2,
    .ur_max = {0, 6, 2},
    .no_max = {0, 6, 2},
    .fma_rate = 1.0, /* an 8-float multiply-add is 2 + 2 SSE ops */
    .load_rate = 1.0,
    .fma_lat = 8.0, /* multiply 3 + add 3, and 2 x 2 measured slower than
                       6 x 1 (24 vs 34 GFLOP/s on mnist conv2) */
    .load_fma = 0.5, /* a broadcast is a load and a shuffle */
    .peak_frac = 4.0, /* 1 x 8-float FMA a cycle, ~56 GF/s, of nominal 14 */
    .plan_note = "scalar: 8-float blocks, tiles up to 6x1 / 2x2",
    .row_to_nchw = vconv_direct_row_to_nchw,
};
#if VCONV_ARCH_X86_64
static const direct_isa_limits limits_avx2 = {
    .isa = VCONV_ISA_AVX2,
    .V = 8,
    .max_nb = 6,
    .ur_max = {0, 14, 6, 4, 3, 2, 2},
    .no_max = {0, 13, 6, 3, 2},
    /* fma_rate, load_rate, fma_lat, peak_frac: the machine model's
       (machine_limits) */
    .load_fma = 0.5, /* Zen 4, ymm: each load of a step (weight vector or
                        broadcast) costs about half an FMA slot (fitted to
                        the AVX2 tiles on AlexNet conv2-5: 3 x 4 and 4 x 3
                        best, 13 x 1 and 2 x 6 about 10% slower) */
    .plan_note = "avx2: nChw8c, tiles up to 6x2 / 4x3 / 3x4 / 14x1",
    .row_to_nchw = vconv_direct_row_to_nchw_avx2,
    .nchw_to_blocked = vconv_direct_nchw_to_blocked_avx2,
};
static const direct_isa_limits limits_avx512 = {
    .isa = VCONV_ISA_AVX512,
    .V = 16,
    .max_nb = 4,
    .ur_max = {0, 28, 14, 9, 6},
    .no_max = {0, 24, 14, 9, 6},
    /* fma_rate, load_rate, fma_lat, peak_frac: the machine model's
       (machine_limits) */
    .load_fma = 0.0, /* zmm: loads do not slow the FMAs (measured: 13 x 1
                        as fast as 13 x 2) */
    .plan_note = "avx512: nChw16c, tiles up to 14x2 / 9x3 / 6x4 / 28x1",
    .row_to_nchw = vconv_direct_row_to_nchw_avx512,
    .nchw_to_blocked = vconv_direct_nchw_to_blocked_avx512,
};
#endif
#if VCONV_ARCH_AARCH64
/* The core is the machine model's (machine_limits: measured, or e.g.
   VCONV_MACHINE=neoverse-n1: two 128-bit FMA pipes and two loads a
   cycle, i.e. one 8-float vector (2 q) FMA and one vector load a cycle,
   FMA latency 4, which on the shared nominal scale
   (vconv_isa_nominal_gflops(NEON) = 56: 2 pipes x 4 lanes x 2 x 3.5 GHz)
   is the nominal peak). No Arm hardware was available to calibrate the
   rest of the cost model on. */
static const direct_isa_limits limits_neon = {
    .isa = VCONV_ISA_NEON,
    .V = 8,
    .max_nb = 6,
    .ur_max = {0, 14, 6, 4, 3, 2, 2},
    .no_max = {0, 14, 6, 4, 2},
    .load_fma = 0.0,
    .plan_note = "neon: nChw8c (2 q), tiles up to 6x2 / 4x3 / 3x4 / 14x1",
    .row_to_nchw = vconv_direct_row_to_nchw_neon,
    .nchw_to_blocked = vconv_direct_nchw_to_blocked_neon,
};
#endif

const direct_isa_limits *vconv_direct_limits(vconv_isa isa)
{
    switch (isa) {
    case VCONV_ISA_SCALAR: return &limits_scalar;
#if VCONV_ARCH_X86_64
    case VCONV_ISA_AVX2: return &limits_avx2;
    case VCONV_ISA_AVX512: return &limits_avx512;
#endif
#if VCONV_ARCH_AARCH64
    case VCONV_ISA_NEON: return &limits_neon;
#endif
    default: return NULL;
    }
}

/* ------------------------------------------------------- cost model */

/*
 * The model the planner and estimate() share, in cycles of one core, from
 * the machine model (dispatch/machine.h, through machine_limits: vector
 * FMAs and loads a cycle and FMA latency, measured at first use; the
 * scalar kernels keep their table's):
 *   a reduction step (one input channel of one tap) of a tile with A = ur
 *   x nb accumulators and L = nb + ur loads costs max((A + L x load_fma)
 *   / fma_rate, L / load_rate, fma_lat) cycles (FMA-, load- or
 *   latency-bound), at least the L2 stream of its weights (unless the
 *   reduction is split into L1-sized chunks), + a loop overhead
 *   (small for blocked steps, whose V channels share a tap's loop; larger
 *   for planar and width-vector steps, one tap each);
 *   a microkernel call costs DIRECT_CALL + 2 A cycles (bias, ReLU, stores);
 *   NCHW dst through the row buffer costs DIRECT_TRANSPOSE cycles an
 *   output element; converting src DIRECT_CONVERT an input element.
 * Constants fitted to interleaved measurements of the tile shapes on the
 * AlexNet and small-net layers (README, direct section).
 */
#define DIRECT_OVH_BLOCKED 0.25
#define DIRECT_OVH_PLANAR 1.5
#define DIRECT_CALL 20.0
#define DIRECT_TRANSPOSE 0.3
#define DIRECT_TRANSPOSE_PORTABLE 1.5
#define DIRECT_CONVERT 0.5
/* width-vector tiles: accumulators at most this many times the FMA
   latency bound (fma_rate x fma_lat) */
#define DIRECT_WV_ACC_BOUND 3.0
/* L2 -> L1 bytes a cycle a weight stream sustains (with the software
   prefetch): a tile whose steps need more waits for its weights, unless
   its reduction is split into L1-sized chunks (fitted: AVX2 3 x 4 tiles
   on AlexNet conv3, 128 bytes a 6-cycle step, ran ~25% under the FMA
   bound without the split) */
#define DIRECT_L2_BYTES 16.0
/* Bytes a second weights stream at from memory when they outgrow the L3
   (~16 GB/s: measured on this VM's Intel Xeon, F(4x4) Winograd's 37 MB
   of transformed weights on ResNet-18's 512-channel 7x7 layer; the
   Winograd model uses the same rate) */
#define DIRECT_DRAM 16e9
/* Fraction of the model's speed reached on the layers above (1 thread,
   direct.avx512 and direct.avx2): scales estimate() only. */
#define DIRECT_CALIBRATION 0.9

/* The ISA's limits with the machine model's core (dispatch/machine.h) in
   place of the one written in the table: FMAs and loads a cycle converted
   from hardware vectors to the kernel's V-float vectors (a NEON V = 8
   vector is two q registers), the FMA latency, and the share of the
   nominal peak. Scalar code keeps the table's fixed model (its 8-float
   "vectors" are whatever the compiler makes of them). */
static direct_isa_limits machine_limits(const direct_isa_limits *lim)
{
    direct_isa_limits l = *lim;
    if (lim->isa == VCONV_ISA_SCALAR)
        return l;
    const vconv_isa_model *m = vconv_machine_isa(lim->isa);
    const double per = (double)vconv_isa_hw_lanes(lim->isa) / lim->V;
    l.fma_rate = m->fma_rate * per;
    l.load_rate = m->load_rate * per;
    l.fma_lat = m->fma_lat;
    l.peak_frac = vconv_machine_peak_frac(lim->isa);
    return l;
}

static double step_cycles(const direct_isa_limits *lim, double acc,
                          double loads, double ovh)
{
    double c = (acc + loads * lim->load_fma) / lim->fma_rate,
           l = loads / lim->load_rate;
    if (l > c)
        c = l;
    if (lim->fma_lat > c)
        c = lim->fma_lat;
    return c + ovh;
}

/* First and one-past-last kernel tap k with 0 <= base + k*dil < in. */
static void tap_range(int base, int dil, int k, int in, int *lo, int *hi)
{
    int a = 0, b = k;
    if (base < 0)
        a = (-base + dil - 1) / dil;
    if (base + (long)(k - 1) * dil >= in)
        b = base >= in ? 0 : (in - 1 - base) / dil + 1;
    if (b < a)
        b = a;
    *lo = a;
    *hi = b;
}

/* Kernel rows an output image visits in all (the top / bottom border
   rows skip the taps that fall into the padding). */
static double rows_visited(const vconv_problem *p)
{
    double s = 0;
    for (int oy = 0; oy < p->oh; oy++) {
        int lo, hi;
        tap_range(oy * p->sh - p->pt, p->dh, p->kh, p->ih, &lo, &hi);
        s += hi - lo;
    }
    return s;
}

/* The planner's choice for one problem. */
typedef struct {
    direct_kernel_kind kind;
    int vin, nb, ur, no, nv;
    int chunk;       /* input blocks a call (channel-vector) */
    int ps;          /* channel-vector on the user's NCHW src in place:
                        its pixel stride; 0: converted */
    double cycles;   /* the whole batch, one thread */
} tile_choice;

/* Input blocks whose weights (for a tile of nbt blocks) fit half the L1:
   the chunk a call reduces when the reduction is split. */
static int l1_chunk(const vconv_problem *p, int V, int vin, int nbt)
{
    const size_t per_icb = sizeof(float) * (size_t)p->kh * p->kw * vin *
                           nbt * V;
    const size_t half = vconv_topology_get()->l1d / 2;
    const size_t c = half / per_icb;
    return c < 1 ? 1 : c > (size_t)INT32_MAX ? INT32_MAX : (int)c;
}

/* Whether an NCHW src can be read in place at its stride: no left
   padding and no tap past the right edge (no zero columns to read). */
static bool nchw_edges_in_place(const vconv_problem *p)
{
    return p->layout == VCONV_NCHW && p->pl == 0 &&
           (long long)(p->ow - 1) * p->sw + (long long)(p->kw - 1) * p->dw <
               p->iw;
}

/*
 * The pixel stride (1 or 2) at which the channel-vector tiles can read the
 * user's NCHW src in place, or 0. Needs: no left padding and no tap past
 * the right edge (no zero columns to read), icg a multiple of V (no
 * channel tails: the planes past the last do not exist), an image that
 * fits half the L2 (V planes read as V streams), and planes that do not
 * pile into a few L1 sets: at most 4 of the V runs a step reads (the
 * tile's pixels, span bytes each) on one 64-byte line slot modulo 4 KiB,
 * the set period of the x86 L1s (8 ways and more).
 */
static int in_place_stride(const direct_isa_limits *lim,
                           const vconv_problem *p)
{
    const int V = lim->V;
    if (!nchw_edges_in_place(p) || (p->sw != 1 && p->sw != 2) ||
        p->icg % V != 0)
        return 0;
    const long long plane = 4LL * p->ih * p->iw;
    if (plane * p->ic > (long long)(vconv_topology_get()->l2 / 2))
        return 0;
    const long long span = 4LL * (vconv_min_i(p->ow, DIRECT_MAX_UR) * p->sw +
                                  (long long)(p->kw - 1) * p->dw);
    int cnt[64] = {0};
    for (int i = 0; i < V; i++) {
        const long long o = (long long)i * plane % 4096;
        const long long last = span < 4096 ? o + span : o + 4095;
        for (long long l = o / 64; l <= last / 64; l++)
            if (++cnt[l % 64] > 4)
                return 0;
    }
    return p->sw;
}

/* The pixel stride (2 or 4) at which the planar channel-vector tiles can
   read the user's NCHW src in place (no left padding, no tap past the
   right edge: no zero columns to read), or 0. Stride 1 keeps the planar
   copy (a memcpy a row). */
static int planar_in_place_stride(const vconv_problem *p)
{
    return nchw_edges_in_place(p) && (p->sw == 2 || p->sw == 4) ? p->sw : 0;
}

/* The size of the tiles when n is split into tiles of at most tmax,
   balanced: ceil(n / ceil(n / tmax)) (the last one smaller). */
static int balanced_tile(int n, int tmax)
{
    int tiles = (n + tmax - 1) / tmax;
    return (n + tiles - 1) / tiles;
}

static tile_choice plan_tiles(const direct_isa_limits *table,
                              const vconv_problem *p)
{
    const direct_isa_limits model = machine_limits(table),
                            *const lim = &model;
    const int V = lim->V;
    const double kyrows = rows_visited(p); /* over an image's rows */
    const double imgs = (double)p->g * p->mb; /* group-images */
    /* rows no tap reads are not converted (a stride beyond the kernel's
       reach: 1x1 stride 2 reads every other row) */
    const int reach = (p->kh - 1) * p->dh + 1;
    const double rows_conv =
        p->sh > reach ? vconv_min_i(p->ih, p->oh * p->kh) : p->ih;
    const double convert = DIRECT_CONVERT * (double)p->icg * rows_conv * p->iw;
    tile_choice best = {.cycles = INFINITY};

    /* channel-vector tiles: planar or blocked converted src, or the
       user's NCHW src in place (blocked weights, nothing converted) */
    const int ps = in_place_stride(table, p),
              pps = planar_in_place_stride(p);
    for (int mode = 0; mode <= 3; mode++) {
        /* 0 planar, 1 blocked (converted); 2 blocked, 3 planar (in
           place) */
        if ((mode == 2 && !ps) || (mode == 3 && !pps))
            continue;
        const int blocked = mode == 1 || mode == 2;
        const int vin = blocked ? V : 1;
        const double chans = blocked ? (double)vconv_round_up(p->icg, V)
                                     : (double)p->icg;
        const double steps = chans * p->kw * kyrows; /* per tile column */
        const double ovh = blocked ? DIRECT_OVH_BLOCKED : DIRECT_OVH_PLANAR;
        const int nbk = vconv_div_up(p->ocg, V);
        const int n_icb = vconv_div_up(p->icg, vin);
        for (int nb = 1; nb <= lim->max_nb; nb++)
        for (int split = 0; split <= (n_icb > 1); split++) {
            const int ur = balanced_tile(p->ow, lim->ur_max[nb]);
            const int chunk =
                split ? vconv_min_i(l1_chunk(p, V, vin, nb), n_icb) : n_icb;
            if (split && chunk >= n_icb)
                continue;
            const double calls = (double)vconv_div_up(n_icb, chunk);
            double c = 0;
            for (int b0 = 0; b0 < nbk; b0 += nb) {
                const int nbt = vconv_min_i(nb, nbk - b0);
                const int nt = vconv_div_up(p->ow, ur);
                const int big = p->ow - nt * (ur - 1);
                /* weights of a step: from L2 once a call unless the
                   reduction is split into L1-sized chunks reused by the
                   row's pixel tiles */
                const double wbytes = split ? 0.0 : 4.0 * nbt * V;
                for (int j = 0; j < nt; j++) {
                    const int u = j < big ? ur : ur - 1;
                    const double a = (double)u * nbt;
                    double sc = step_cycles(lim, a, nbt + u, ovh);
                    if (wbytes / DIRECT_L2_BYTES > sc)
                        sc = wbytes / DIRECT_L2_BYTES;
                    c += steps * sc +
                         (DIRECT_CALL + (split ? 4 : 2) * a) * p->oh * calls;
                }
            }
            if (p->layout == VCONV_NCHW)
                c += (lim->row_to_nchw == vconv_direct_row_to_nchw
                          ? DIRECT_TRANSPOSE_PORTABLE
                          : DIRECT_TRANSPOSE) *
                     (double)p->ocg * p->oh * p->ow;
            c = (c + (mode >= 2 ? 0.0 : convert)) * imgs;
            if (c < best.cycles)
                best = (tile_choice){.kind = DIRECT_KERNEL_CV, .vin = vin,
                                     .nb = nb, .ur = ur, .chunk = chunk,
                                     .ps = mode == 2   ? ps
                                           : mode == 3 ? pps
                                                       : 0,
                                     .cycles = c};
        }
    }
    /* width-vector tiles: NCHW dst only */
    if (p->layout == VCONV_NCHW) {
        const double steps = (double)p->icg * p->kw * kyrows;
        for (int nv = 1; nv <= DIRECT_MAX_NV && lim->no_max[nv] > 0; nv++) {
            if (nv > 1 && (nv - 1) * V >= p->ow)
                break; /* more vectors than the row has pixels */
            /* at most DIRECT_WV_ACC_BOUND x the accumulators the FMA
               latency needs: bigger width-vector tiles ran their steps
               ~10% under the FMA bound (Zen 4, 1 zmm FMA a cycle: 6 x 2 /
               12 x 1 beat 13 x 2 / 16 x 1 by 8-12% on mnist_64 conv1,
               cifar_vgg conv1_1, cifar_torch conv1; cause not isolated:
               prefetching the dst lines made it worse). With two pipes
               the bound is the register file's, as before */
            const int acc_cap = (int)(DIRECT_WV_ACC_BOUND * lim->fma_rate *
                                      lim->fma_lat) / nv;
            const int no = balanced_tile(
                p->ocg, vconv_max_i(1, vconv_min_i(lim->no_max[nv], acc_cap)));
            const int nt = vconv_div_up(p->ocg, no);
            const int big = p->ocg - nt * (no - 1);
            double c = 0;
            for (int t = 0; t < nt; t++) {
                const int not_ = t < big ? no : no - 1;
                for (int x0 = 0; x0 < p->ow; x0 += nv * V) {
                    const int px = vconv_min_i(nv * V, p->ow - x0);
                    const int nvj = vconv_div_up(px, V);
                    const double a = (double)not_ * nvj;
                    c += steps * step_cycles(lim, a, nvj + not_,
                                             DIRECT_OVH_PLANAR) +
                         (DIRECT_CALL + 2 * a) * p->oh;
                }
            }
            c = (c + convert) * imgs;
            /* a tie goes to the later tile (more vectors, fewer
               broadcasts an FMA) and to width-vector over channel-vector:
               cifar_vgg conv1_1's 6 x 2 and 11 x 1 model the same, 6 x 2
               ran ~10% faster on a Zen 4 */
            if (c <= best.cycles)
                best = (tile_choice){.kind = DIRECT_KERNEL_WV, .vin = 1,
                                     .no = no, .nv = nv, .cycles = c};
        }
    }
    return best;
}

/* -------------------------------------------------- supports, estimate */

bool vconv_direct_supports(const direct_isa_limits *lim,
                           const vconv_problem *p, char *why, size_t len)
{
    /* Every descriptor vconv accepts (strides, dilations, any padding,
       groups, channel tails) but those whose converted rows would not be
       indexable with int offsets: a row of the converted src holds sw *
       pwc * V floats, pwc = ow + (kw - 1) * dw / sw columns a phase (only
       absurd paddings or widths get there). */
    const long long pwc = (long long)p->ow + (long long)(p->kw - 1) * p->dw /
                                                 p->sw;
    const long long row = (long long)p->sw * pwc * lim->V;
    if (row > INT32_MAX / 2) {
        snprintf(why, len,
                 "a converted row of %lld floats (ow %d, kernel %d, "
                 "dilation %d) exceeds the int offsets of the kernels",
                 row, p->ow, p->kw, p->dw);
        return false;
    }
    return true;
}

double vconv_direct_estimate(const direct_isa_limits *table,
                             const vconv_problem *p, char *why, size_t len)
{
    (void)why;
    (void)len;
    tile_choice t = plan_tiles(table, p);
    const direct_isa_limits model = machine_limits(table),
                            *const lim = &model;
    /* The model's efficiency (useful FMA cycles over modelled cycles) x
       what the model's FMA rate is of the ISA's nominal peak (the scale
       every family's estimate shares: seconds on the development
       machine), then the threads, as far as the jobs go round. */
    const double useful = vconv_problem_flops(p) / (2.0 * lim->V) /
                          lim->fma_rate;
    const double eff =
        useful / t.cycles * lim->peak_frac * DIRECT_CALIBRATION;
    const double jobs = (double)p->mb * p->g * p->oh;
    const double par = p->threads < jobs ? p->threads : jobs;
    /* weights past the L3 (vconv_topology_mem_threshold) stream from
       memory once an image (the job order finishes an image's bands over
       every tile): DIRECT_DRAM bytes a second */
    const double wbytes = 4.0 * (double)vconv_wei_elems(p);
    const double mem = wbytes > vconv_topology_mem_threshold(
                                    vconv_topology_get())
                           ? wbytes * p->mb / DIRECT_DRAM
                           : 0.0;
    return vconv_problem_flops(p) /
               (vconv_isa_nominal_gflops(lim->isa) * 1e9 * eff) /
               (par > 1 ? par : 1) +
           mem;
}

/* ------------------------------------------------------------ packing */

void vconv_direct_pack(const direct_plan *d, const float *w, float *packed)
{
    const vconv_problem *p = &d->p;
    const int V = d->V, vin = d->vin, kk = p->kh * p->kw;
    for (int g = 0; g < p->g; g++) {
        float *pg = packed + (size_t)g * d->w_group;
        const float *wg = w + (size_t)g * p->ocg * p->icg * kk;
        if (d->kind == DIRECT_KERNEL_WV) {
            /* [t][c][ky][kx][o < no_t] */
            const size_t K = (size_t)p->icg * kk;
            for (int t = 0, o0 = 0; t < d->n_ot; t++) {
                const int not_ = t < d->no_big ? d->no : d->no - 1;
                float *pt = pg + (size_t)o0 * K;
                for (size_t k = 0; k < K; k++)
                    for (int o = 0; o < not_; o++)
                        pt[k * not_ + o] = wg[(size_t)(o0 + o) * K + k];
                o0 += not_;
            }
            continue;
        }
        /* [t][icb][ky][kx][i < vin][b < nb_t][o < V] */
        const size_t ktile = (size_t)d->n_icb * kk * vin;
        for (int t = 0; t < d->n_oct; t++) {
            int nbt = vconv_min_i(d->nb, d->nbk - t * d->nb);
            float *pt = pg + (size_t)t * d->nb * V * ktile;
            for (int icb = 0; icb < d->n_icb; icb++)
                for (int k = 0; k < kk; k++)
                    for (int i = 0; i < vin; i++) {
                        int ic = icb * vin + i;
                        float *q = pt + (((size_t)icb * kk + k) * vin + i) *
                                            nbt * V;
                        for (int b = 0; b < nbt; b++)
                            for (int o = 0; o < V; o++) {
                                int oc = (t * d->nb + b) * V + o;
                                q[b * V + o] =
                                    oc < p->ocg && ic < p->icg
                                        ? wg[((size_t)oc * p->icg + ic) * kk +
                                             k]
                                        : 0.0f;
                            }
                    }
        }
    }
}

/* ------------------------------------------------ layout conversions */

/* The columns [*lo, *hi) of phase ph (of pwc) that hold image columns:
   0 <= col * sw + ph - pl < iw. */
static void phase_cols(int ph, int sw, int pl, int iw, int pwc, int *lo,
                       int *hi)
{
    int a = pl > ph ? (pl - ph + sw - 1) / sw : 0;
    int b = iw + pl - ph > 0 ? (iw + pl - ph + sw - 1) / sw : 0;
    *lo = vconv_min_i(a, pwc);
    *hi = vconv_max_i(vconv_min_i(b, pwc), *lo);
}

static void zero_floats(float *o, size_t n)
{
    for (size_t k = 0; k < n; k++)
        o[k] = 0.0f;
}

/* o[k * ost] = s[k * st] */
static void scatter_strided(float *restrict o, const float *restrict s,
                            size_t st, size_t ost, int n)
{
    if (st == 1) {
        for (int k = 0; k < n; k++)
            o[k * ost] = s[k];
        return;
    }
    for (int k = 0; k < n; k++)
        o[k * ost] = s[k * st];
}

/* The unit after (g, icb, y): the next row, block, group. */
static inline void next_unit(int *y, int *icb, int *g, int ih, int n_icb)
{
    if (++*y == ih) {
        *y = 0;
        if (++*icb == n_icb) {
            *icb = 0;
            ++*g;
        }
    }
}

void vconv_direct_convert_src(const direct_plan *d, const float *src_img,
                              float *buf, int u0, int u1)
{
    /* unit u = (channel block cb over all groups) * ih + input row; each
       unit is one converted row: sw phases of pwc columns of vin floats,
       zeros where a column falls into the padding or a channel beyond
       icg. The phases' column spans (d->ph_*) are the same for every
       row. */
    const vconv_problem *p = &d->p;
    const int vin = d->vin, sw = p->sw, pwc = d->pwc, ih = p->ih, iw = p->iw;
    const bool nhwc = p->layout == VCONV_NHWC;
    const size_t plane = (size_t)ih * iw;
    if (u0 >= u1)
        return;
    int cb = u0 / ih, y = u0 % ih;
    int g = cb / d->n_icb, icb = cb % d->n_icb; /* counters from here on */
    for (int u = u0; u < u1; u++) {
        if (!d->row_used[y]) {
            /* no tap reads it (stride above the kernel's reach): left
               unconverted, never read */
            next_unit(&y, &icb, &g, ih, d->n_icb);
            continue;
        }
        const int c0 = icb * vin; /* first channel of the block in g */
        const int nc = vconv_min_i(vin, p->icg - c0);
        const size_t ch0 = (size_t)g * p->icg + c0; /* in the image */
        float *out = buf + (size_t)u * d->row;
        if (vin == 1) {
            /* planar: per phase, its padding columns zeroed and its
               image columns [lo, hi) copied (column col reads image column
               col sw + ph - pl): a memcpy at stride 1, strides 2 and 4 as
               constants that the compiler vectorizes (NCHW); a table of
               source columns gathered a float at a time ran at 2-4 cycles
               a float, 11% of cifar_vgg conv1_1's run and 40% of
               cifar_torch conv1's on a Zen 4 */
            const float *s = nhwc ? src_img + (size_t)y * iw * p->ic + ch0
                                  : src_img + ch0 * plane + (size_t)y * iw;
            const ptrdiff_t xs = nhwc ? p->ic : 1;
            for (int ph = 0; ph < sw; ph++) {
                float *restrict o = out + (size_t)ph * pwc;
                const int lo = d->ph_lo[ph], hi = d->ph_hi[ph];
                const ptrdiff_t off = ph - p->pl;
                for (int k = 0; k < lo; k++)
                    o[k] = 0.0f;
                if (xs == 1 && sw == 1 && hi > lo)
                    memcpy(o + lo, s + lo + off,
                           sizeof(float) * (size_t)(hi - lo));
                else if (xs == 1 && sw == 2)
                    for (int col = lo; col < hi; col++)
                        o[col] = s[2 * (ptrdiff_t)col + off];
                else if (xs == 1 && sw == 4)
                    for (int col = lo; col < hi; col++)
                        o[col] = s[4 * (ptrdiff_t)col + off];
                else if (sw > 1 || xs > 1)
                    for (int col = lo; col < hi; col++)
                        o[col] = s[((ptrdiff_t)col * sw + off) * xs];
                for (int k = hi; k < pwc; k++)
                    o[k] = 0.0f;
            }
            next_unit(&y, &icb, &g, ih, d->n_icb);
            continue;
        }
        if (!nhwc && d->lim->nchw_to_blocked) {
            /* zero the padding columns, transpose the image columns */
            for (int ph = 0; ph < sw; ph++) {
                float *o = out + (size_t)ph * pwc * vin;
                zero_floats(o, (size_t)d->ph_lo[ph] * vin);
                zero_floats(o + (size_t)d->ph_hi[ph] * vin,
                            (size_t)(pwc - d->ph_hi[ph]) * vin);
            }
            d->lim->nchw_to_blocked(src_img + ch0 * plane + (size_t)y * iw,
                                    (ptrdiff_t)plane, nc, iw, out, pwc, sw,
                                    p->pl);
            next_unit(&y, &icb, &g, ih, d->n_icb);
            continue;
        }
        for (int ph = 0; ph < sw; ph++) {
            float *o = out + (size_t)ph * pwc * vin;
            const int lo = d->ph_lo[ph], hi = d->ph_hi[ph];
            zero_floats(o, (size_t)lo * vin);
            zero_floats(o + (size_t)hi * vin, (size_t)(pwc - hi) * vin);
            const int ix0 = lo * sw + ph - p->pl; /* first image column */
            const int n = hi - lo;
            float *om = o + (size_t)lo * vin;
            if (nhwc) {
                const float *s = src_img + ((size_t)y * iw + ix0) * p->ic +
                                 ch0;
                const size_t st = (size_t)sw * p->ic;
                /* whole blocks as fixed-size copies (inlined moves; the
                   loop of nc floats cost ~4 cycles a 16 bytes on a Zen
                   4, 10% of cifar_torch conv2's NHWC run) */
                if (nc == 16 && vin == 16)
                    for (int k = 0; k < n; k++)
                        memcpy(om + (size_t)k * 16, s + k * st,
                               16 * sizeof(float));
                else if (nc == 8 && vin == 8)
                    for (int k = 0; k < n; k++)
                        memcpy(om + (size_t)k * 8, s + k * st,
                               8 * sizeof(float));
                else
                    for (int k = 0; k < n; k++) {
                        float *ok = om + (size_t)k * vin;
                        for (int i = 0; i < nc; i++)
                            ok[i] = s[k * st + i];
                        for (int i = nc; i < vin; i++)
                            ok[i] = 0.0f;
                    }
            } else {
                for (int i = 0; i < nc; i++)
                    scatter_strided(om + i,
                                    src_img + (ch0 + i) * plane +
                                        (size_t)y * iw + ix0,
                                    (size_t)sw, (size_t)vin, n);
                for (int i = nc; i < vin; i++)
                    for (int k = 0; k < n; k++)
                        om[(size_t)k * vin + i] = 0.0f;
            }
        }
        next_unit(&y, &icb, &g, ih, d->n_icb);
    }
}

void vconv_direct_row_to_nchw(const float *rowbuf, int V, int ow, int nvalid,
                              float *dst, ptrdiff_t dst_c)
{
    for (int c = 0; c < nvalid; c++) {
        float *o = dst + c * dst_c;
        const float *s = rowbuf + c;
        for (int x = 0; x < ow; x++)
            o[x] = s[(size_t)x * V];
    }
}

/* --------------------------------------------------------------- plan */

/*
 * VCONV_DIRECT_PLAN (a debugging and benchmarking knob, documented in the
 * README): "cv,VIN,NB,UR[,CHUNK]" or "wv,NO,NV" forces the kernel and tile
 * the planner would otherwise choose, e.g. "cv,16,2,14" or "wv,14,2"
 * (CHUNK: input blocks a call reduces; default all). A value this ISA
 * cannot run is an error, never ignored.
 */
static vconv_status forced_tiles(const direct_isa_limits *lim,
                                 const vconv_problem *p, tile_choice *tc)
{
    const char *e = getenv("VCONV_DIRECT_PLAN");
    if (!e || !*e)
        return VCONV_OK;
    int a = 0, b = 0, c = 0, d = 0;
    char k[3] = "";
    int n = sscanf(e, "%2[a-z],%d,%d,%d,%d", k, &a, &b, &c, &d);
    if ((n == 4 || (n == 5 && d >= 1)) && !strcmp(k, "cv") && (a == lim->V || a == 1) && b >= 1 &&
        b <= lim->max_nb && c >= 1 && c <= lim->ur_max[b]) {
        *tc = (tile_choice){.kind = DIRECT_KERNEL_CV, .vin = a, .nb = b,
                            .ur = c, .chunk = d > 0 ? d : INT32_MAX};
        return VCONV_OK;
    }
    const int ps = in_place_stride(lim, p), pps = planar_in_place_stride(p);
    if ((n == 3 || (n == 4 && c >= 1)) &&
        ((!strcmp(k, "cn") && ps) || (!strcmp(k, "cp") && pps)) && a >= 1 &&
        a <= lim->max_nb && b >= 1 && b <= lim->ur_max[a]) {
        const bool planar = k[1] == 'p';
        *tc = (tile_choice){.kind = DIRECT_KERNEL_CV,
                            .vin = planar ? 1 : lim->V, .nb = a, .ur = b,
                            .ps = planar ? pps : ps,
                            .chunk = c > 0 ? c : INT32_MAX};
        return VCONV_OK;
    }
    if (n == 3 && !strcmp(k, "wv") && p->layout == VCONV_NCHW && b >= 1 &&
        b <= DIRECT_MAX_NV && a >= 1 && a <= lim->no_max[b]) {
        *tc = (tile_choice){.kind = DIRECT_KERNEL_WV, .vin = 1, .no = a,
                            .nv = b};
        return VCONV_OK;
    }
    return vconv_error(VCONV_ERR_INVALID_ARG,
                       "VCONV_DIRECT_PLAN='%s' is not a tile direct.%s can "
                       "run here (cv,VIN,NB,UR[,CHUNK] with VIN %d or 1, NB "
                       "<= %d, UR within the ISA's limit; cn,NB,UR[,CHUNK] "
                       "(blocked) or cp,NB,UR[,CHUNK] (planar) where the "
                       "NCHW src can be read in place; or wv,NO,NV for "
                       "NCHW)",
                       e, vconv_isa_name(lim->isa), lim->V, lim->max_nb);
}

static void plan_free(direct_plan *d)
{
    if (!d)
        return;
    free(d->kx_off);
    free(d->ph_lo);
    free(d->ph_hi);
    free(d->row_used);
    free(d->ky_lo);
    free(d->ky_n);
    free(d->src_row_off);
    vconv_free(d->w);
    vconv_free(d->bias);
    free(d);
}

vconv_status vconv_direct_create(const direct_isa_limits *lim,
                                 const direct_ukr_table *ukr,
                                 const direct_wv_table *wv,
                                 const vconv_problem *p, const float *w,
                                 const float *bias, void **state)
{
    direct_plan *d = calloc(1, sizeof *d);
    if (!d)
        return VCONV_ERR_NO_MEMORY;
    d->p = *p;
    d->lim = lim;
    const int V = d->V = lim->V;
    tile_choice tc = plan_tiles(lim, p);
    vconv_status st = forced_tiles(lim, p, &tc);
    if (st != VCONV_OK) {
        free(d);
        return st;
    }
    d->kind = tc.kind;
    d->vin = tc.vin;
    d->ps = tc.kind == DIRECT_KERNEL_CV ? tc.ps : 0;
    d->n_icb = vconv_div_up(p->icg, d->vin);
    d->nbk = vconv_div_up(p->ocg, V);
    if (d->kind == DIRECT_KERNEL_CV) {
        d->nb = tc.nb;
        d->ur = tc.ur;
        d->icb_chunk = vconv_max_i(1, vconv_min_i(tc.chunk, d->n_icb));
        d->n_oct = vconv_div_up(d->nbk, d->nb);
        for (int nb = 1; nb <= lim->max_nb; nb++)
            for (int u = 1; u <= lim->ur_max[nb]; u++)
                d->ukr[nb][u] =
                    (*ukr)[DIRECT_UKR_MODE(d->vin == V, d->ps)][nb][u];
    } else {
        /* balanced channel tiles: no_big of no, the rest of no - 1 */
        d->n_ot = vconv_div_up(p->ocg, tc.no);
        d->no = vconv_div_up(p->ocg, d->n_ot);
        d->no_big = p->ocg - d->n_ot * (d->no - 1);
        d->nv = tc.nv;
        d->ur = tc.nv * V;
        for (int nv = 1; nv <= DIRECT_MAX_NV; nv++)
            for (int o = 1; o <= lim->no_max[nv]; o++)
                d->wv[o][nv] = (*wv)[o][nv];
    }
    /* NCHW dst through the row buffer: rows narrower than 16 pixels go
       to it several at a time (up to 64 pixels), transposed together */
    d->flush_rows = p->ow < 16 ? vconv_max_i(1, 64 / p->ow) : 1;
    d->n_owt = vconv_div_up(p->ow, d->ur);
    if (d->kind == DIRECT_KERNEL_CV)
        d->ur = vconv_div_up(p->ow, d->n_owt); /* balanced (<= the ur asked) */
    /* channel-vector tiles are balanced: ow = ur_big * ur + (n_owt -
       ur_big) * (ur - 1) (ur = ceil(ow / n_owt)); width-vector tiles are
       full vectors but the last */
    d->ur_big = d->kind == DIRECT_KERNEL_CV ? p->ow - d->n_owt * (d->ur - 1)
                                            : d->n_owt;

    /* converted src geometry: enough columns per phase for the last
       pixel's last tap */
    d->pwc = p->ow + ((p->kw - 1) * p->dw) / p->sw;
    d->direct_src = d->ps > 0 || (d->kind == DIRECT_KERNEL_WV &&
                                  p->sw == 1 && nchw_edges_in_place(p));
    if (d->direct_src) {
        d->row = p->iw;
        d->img = 0;
    } else {
        d->row = (ptrdiff_t)p->sw * d->pwc * d->vin;
        d->img = (size_t)p->g * d->n_icb * p->ih * (size_t)d->row;
    }
    /* Row bands: the converted input rows a band of output rows reads
       (every input block of a group) should take at most half the L2, so
       they stay there while every output-channel tile passes over them;
       a whole image when it fits (the layers of the bench do). */
    {
        const size_t l2 = vconv_topology_get()->l2;
        const size_t row_bytes = sizeof(float) * (size_t)d->row *
                                 (d->direct_src ? 1 : (size_t)d->n_icb) *
                                 (d->direct_src ? (size_t)p->icg : 1);
        const size_t per_out_row = row_bytes * (size_t)p->sh;
        const size_t halo = row_bytes * (size_t)((p->kh - 1) * p->dh + 1);
        size_t rows = l2 / 2 > halo ? (l2 / 2 - halo) / per_out_row : 1;
        d->band_rows = rows < 1 ? 1 : rows > (size_t)p->oh ? p->oh : (int)rows;
    }
    d->kx_off = malloc(sizeof(int) * (size_t)p->kw);
    d->ph_lo = malloc(sizeof(int) * (size_t)p->sw);
    d->ph_hi = malloc(sizeof(int) * (size_t)p->sw);
    d->row_used = calloc((size_t)p->ih, 1);
    d->ky_lo = malloc(sizeof(int) * (size_t)p->oh);
    d->ky_n = malloc(sizeof(int) * (size_t)p->oh);
    d->src_row_off = malloc(sizeof(ptrdiff_t) * (size_t)p->oh);

    /* packed weights and bias */
    const int kk = p->kh * p->kw;
    size_t nbias;
    if (d->kind == DIRECT_KERNEL_WV) {
        d->w_group = (size_t)p->ocg * p->icg * kk;
        nbias = (size_t)p->oc;
    } else {
        d->w_group = (size_t)d->nbk * V * d->n_icb * kk * d->vin;
        nbias = (size_t)p->g * d->nbk * V;
    }
    d->w = vconv_alloc(sizeof(float) * d->w_group * p->g);
    d->bias = vconv_alloc(sizeof(float) * nbias);
    if (!d->kx_off || !d->ph_lo || !d->ph_hi || !d->row_used ||
        !d->ky_lo || !d->ky_n || !d->src_row_off || !d->w || !d->bias) {
        plan_free(d);
        return VCONV_ERR_NO_MEMORY;
    }
    for (int kx = 0; kx < p->kw; kx++) {
        const int x = kx * p->dw;
        d->kx_off[kx] = d->direct_src
                            ? x
                            : ((x % p->sw) * d->pwc + x / p->sw) * d->vin;
    }
    for (int ph = 0; ph < p->sw; ph++)
        phase_cols(ph, p->sw, p->pl, p->iw, d->pwc, &d->ph_lo[ph],
                   &d->ph_hi[ph]);
    for (int oy = 0; oy < p->oh; oy++) {
        const int iy0 = oy * p->sh - p->pt;
        int lo, hi;
        tap_range(iy0, p->dh, p->kh, p->ih, &lo, &hi);
        d->ky_lo[oy] = lo;
        d->ky_n[oy] = hi - lo;
        d->src_row_off[oy] =
            hi > lo ? (ptrdiff_t)(iy0 + lo * p->dh) * d->row : 0;
        for (int ky = lo; ky < hi; ky++)
            d->row_used[iy0 + ky * p->dh] = 1;
    }
    vconv_direct_pack(d, w, d->w);
    memset(d->bias, 0, sizeof(float) * nbias);
    if (bias) {
        if (d->kind == DIRECT_KERNEL_WV)
            memcpy(d->bias, bias, sizeof(float) * (size_t)p->oc);
        else
            for (int g = 0; g < p->g; g++)
                memcpy(d->bias + (size_t)g * d->nbk * V,
                       bias + (size_t)g * p->ocg,
                       sizeof(float) * (size_t)p->ocg);
    }
    if (vconv_verbose_level() > 1)
        vconv_log("direct.%s plan: %s, %s src, %s; tile %dx%d, %d tiles a "
                  "row, %d of %d input blocks a call, bands of %d rows",
                  vconv_isa_name(lim->isa),
                  d->kind == DIRECT_KERNEL_WV ? "width-vector"
                                              : "channel-vector",
                  d->ps           ? "user NCHW in place"
                  : d->direct_src ? "user"
                  : d->vin == 1   ? "planar"
                                : "blocked",
                  lim->plan_note, d->kind == DIRECT_KERNEL_WV ? d->no : d->ur,
                  d->kind == DIRECT_KERNEL_WV ? d->nv : d->nb, d->n_owt,
                  d->kind == DIRECT_KERNEL_WV ? d->n_icb : d->icb_chunk,
                  d->n_icb, d->band_rows);
    *state = d;
    return VCONV_OK;
}

void vconv_direct_destroy(void *state) { plan_free(state); }

/* ---------------------------------------------------------------- run */

/* Jobs of the channel-vector kernel: output rows [oy0, oy1) of tile t of
   group g, every pixel tile of each row. conv: the converted image; dst:
   the user's dst image; rowbuf: [nb][flush_rows * ow][V] scratch (NCHW
   dst: flush_rows consecutive rows, transposed together, so that narrow
   rows fill the transposes' 16 / 8 pixels). */
static void cv_rows(const direct_plan *d, const float *conv, float *dst,
                    float *rowbuf, int g, int t, int oy0, int oy1)
{
    const vconv_problem *p = &d->p;
    const int V = d->V, vin = d->vin;
    const int nbt = vconv_min_i(d->nb, d->nbk - t * d->nb);
    const ptrdiff_t plane = (ptrdiff_t)p->ih * d->row;
    /* floats between input blocks, and from one tile pixel to the next:
       converted, a block is one plane of vin-float pixels; in place, vin
       (V or 1) of the user's planes, pixels sw columns apart */
    const ptrdiff_t blk = d->ps ? plane * vin : plane;
    const int pix = d->ps ? d->ps : vin;
    const ptrdiff_t wky = (ptrdiff_t)p->kw * vin * nbt * V;
    const size_t ohw = (size_t)p->oh * p->ow;
    const bool nhwc = p->layout == VCONV_NHWC;
    direct_ukr_args a;
    a.kx_off = d->kx_off;
    a.src_icb = blk;
    a.src_c = plane;
    a.src_ky = (ptrdiff_t)p->dh * d->row;
    a.wei_icb = wky * p->kh;
    a.kw = p->kw;
    const int relu = p->act == VCONV_ACT_RELU;
    a.bias = d->bias + ((size_t)g * d->nbk + (size_t)t * d->nb) * V;
    const float *wt = d->w + (size_t)g * d->w_group +
                      (size_t)t * d->nb * V * d->n_icb * p->kh * p->kw * vin;
    const float *src = conv + (size_t)g * d->n_icb * blk;
    float *out = rowbuf;
    if (nhwc) {
        const int c_last = (t * d->nb + nbt - 1) * V;
        a.dst_pix = p->oc;
        a.dst_blk = V;
        a.last_valid = vconv_min_i(V, p->ocg - c_last);
    } else {
        a.dst_pix = V;
        a.dst_blk = (ptrdiff_t)d->flush_rows * p->ow * V;
        a.last_valid = V;
    }
    int yf = oy0; /* NCHW: the first row in the row buffer */
    for (int oy = oy0; oy < oy1; oy++) {
        a.n_ky = d->ky_n[oy];
        const float *srow = src + d->src_row_off[oy];
        if (nhwc)
            out = dst + (size_t)oy * p->ow * p->oc + (size_t)g * p->ocg +
                  (size_t)t * d->nb * V;
        else
            out = rowbuf + (size_t)(oy - yf) * p->ow * V;
        /* the reduction in chunks of input blocks (one chunk: all), each
           over the row's n_owt tiles: the first ur_big of ur pixels, the
           rest ur - 1 */
        for (int c0 = 0; c0 < d->n_icb; c0 += d->icb_chunk) {
            a.n_icb = vconv_min_i(d->icb_chunk, d->n_icb - c0);
            a.accum = c0 > 0;
            a.relu = relu && c0 + a.n_icb == d->n_icb;
            const float *sc = srow + (size_t)c0 * blk;
            const float *wc = wt + (size_t)c0 * a.wei_icb +
                              (size_t)d->ky_lo[oy] * wky;
            a.wei = wc;
            for (int j = 0, x0 = 0; j < d->n_owt; j++) {
                const int u = j < d->ur_big ? d->ur : d->ur - 1;
                a.src = sc + (size_t)x0 * pix;
                a.dst = out + (size_t)x0 * a.dst_pix;
                d->ukr[nbt][u](&a);
                x0 += u;
            }
        }
        if (!nhwc && (oy + 1 - yf == d->flush_rows || oy + 1 == oy1)) {
            const int px = (oy + 1 - yf) * p->ow;
            for (int b = 0; b < nbt; b++) {
                const int c0 = (t * d->nb + b) * V;
                d->lim->row_to_nchw(rowbuf + (size_t)b * a.dst_blk, V, px,
                                    vconv_min_i(V, p->ocg - c0),
                                    dst + ((size_t)g * p->ocg + c0) * ohw +
                                        (size_t)yf * p->ow,
                                    (ptrdiff_t)ohw);
            }
            yf = oy + 1;
        }
    }
}

/* Jobs of the width-vector kernel: output rows [oy0, oy1) of channel tile
   t of group g (tiles of no channels, then no - 1). src: the planar
   converted image, or the user's NCHW image (direct_src). */
static void wv_rows(const direct_plan *d, const float *src, float *dst,
                    int g, int t, int oy0, int oy1)
{
    const vconv_problem *p = &d->p;
    const int V = d->V;
    const int not_ = t < d->no_big ? d->no : d->no - 1;
    const int o0 = t * d->no - vconv_max_i(t - d->no_big, 0);
    const ptrdiff_t plane = (ptrdiff_t)p->ih * d->row;
    const size_t ohw = (size_t)p->oh * p->ow;
    const ptrdiff_t wky = (ptrdiff_t)p->kw * not_;
    direct_wv_args a;
    a.kx_off = d->kx_off;
    a.src_c = plane;
    a.src_ky = (ptrdiff_t)p->dh * d->row;
    a.wei_c = wky * p->kh;
    a.dst_c = (ptrdiff_t)ohw;
    a.n_c = p->icg;
    a.kw = p->kw;
    a.relu = p->act == VCONV_ACT_RELU;
    a.bias = d->bias + (size_t)g * p->ocg + o0;
    const float *wt = d->w + (size_t)g * d->w_group +
                      (size_t)o0 * p->icg * p->kh * p->kw;
    const float *sg = src + (size_t)g * p->icg * plane;
    const direct_wv_fn *fn = d->wv[not_];
    const int nvf = d->nv;
    /* the last tile: fewer vectors; its last one ends at the row's last
       pixel, overlapping the one before (no masks), unless the row is
       narrower than a vector */
    const int xl = (d->n_owt - 1) * d->ur, px = p->ow - xl;
    const int nvl = (px + V - 1) / V;
    const ptrdiff_t off_l = p->ow >= V ? p->ow - V - xl : 0;
    const int px_l = p->ow >= V ? V : px;
    for (int oy = oy0; oy < oy1; oy++) {
        a.n_ky = d->ky_n[oy];
        a.wei = wt + d->ky_lo[oy] * wky;
        const float *s = sg + d->src_row_off[oy];
        float *out = dst + ((size_t)g * p->ocg + o0) * ohw + (size_t)oy * p->ow;
        a.last_px = V;
        a.last_off = (ptrdiff_t)(nvf - 1) * V;
        int x0 = 0;
        for (int j = 0; j < d->n_owt - 1; j++, x0 += d->ur) {
            a.src = s + x0;
            a.dst = out + x0;
            fn[nvf](&a);
        }
        a.last_px = px_l;
        a.last_off = off_l;
        a.src = s + x0;
        a.dst = out + x0;
        fn[nvl](&a);
    }
}

typedef struct {
    const direct_plan *d;
    const float *src;
    float *dst;
    float *shared;      /* converted image shared by the team, or NULL */
    bool per_image;     /* each thread takes whole images */
    size_t work_floats; /* per-thread scratch: converted image + rows */
    int fail;
} run_ctx;

/* Output-channel tiles of a group. */
static int n_tiles(const direct_plan *d)
{
    return d->kind == DIRECT_KERNEL_WV ? d->n_ot : d->n_oct;
}

/*
 * Jobs, in the order j = ((g * bands + band) * tiles + t) * rows + oy:
 * a band of output rows (d->band_rows, from the L2 size) is finished for
 * every output-channel tile before the next band, so the band's input
 * rows stay in L2 while the tiles' weights stream past; within a band,
 * consecutive jobs are rows of one tile (its weights stay hot). The last
 * band of a group may be shorter. Runs of rows of one tile go to one
 * call.
 */
static void do_jobs(const direct_plan *d, const float *img, float *dst_img,
                    float *rowbuf, long j0, long j1)
{
    const vconv_problem *p = &d->p;
    const long tiles = n_tiles(d), per_g = tiles * p->oh;
    const long full = tiles * d->band_rows; /* jobs of a whole band */
    for (long j = j0; j < j1;) {
        const int g = (int)(j / per_g);
        const long r = j % per_g;
        const int band = (int)(r / full);
        const int y0 = band * d->band_rows;
        const int rows = vconv_min_i(d->band_rows, p->oh - y0);
        const long rb = r - (long)band * full;
        const int t = (int)(rb / rows);
        const int oy = y0 + (int)(rb % rows);
        const long end = oy + (j1 - j);
        const int oy1 = end < y0 + rows ? (int)end : y0 + rows;
        if (d->kind == DIRECT_KERNEL_WV)
            wv_rows(d, img, dst_img, g, t, oy, oy1);
        else
            cv_rows(d, img, dst_img, rowbuf, g, t, oy, oy1);
        j += oy1 - oy;
    }
}

static void run_team(run_ctx *c, int tid, int nthr)
{
    const direct_plan *d = c->d;
    const vconv_problem *p = &d->p;
    const size_t in_img = (size_t)p->ic * p->ih * p->iw;
    const size_t out_img = (size_t)p->oc * p->oh * p->ow;
    const bool conv = !d->direct_src;
    float *work = NULL;
    if (c->work_floats) {
        work = vconv_scratch(VCONV_SCRATCH_WORK, sizeof(float) *
                                                     c->work_floats);
        if (!work) {
#pragma omp atomic write
            c->fail = 1;
        }
    }
    if (nthr > 1) {
#pragma omp barrier
    }
    int fail;
#pragma omp atomic read
    fail = c->fail;
    if (fail)
        return; /* nothing written to dst yet, by any thread */
    const size_t img_round = (d->img + 15) & ~(size_t)15;
    float *rowbuf = work ? work + (c->per_image && conv ? img_round : 0)
                         : NULL;
    const long tiles = n_tiles(d);
    const long jobs = (long)p->g * tiles * p->oh;
    const int units = p->g * d->n_icb * p->ih;
    if (c->per_image) {
        const int n0 = (int)((long)p->mb * tid / nthr);
        const int n1 = (int)((long)p->mb * (tid + 1) / nthr);
        for (int n = n0; n < n1; n++) {
            const float *s = c->src + (size_t)n * in_img;
            const float *img = s;
            if (conv) {
                vconv_direct_convert_src(d, s, work, 0, units);
                img = work;
            }
            do_jobs(d, img, c->dst + (size_t)n * out_img, rowbuf, 0, jobs);
        }
        return;
    }
    for (int n = 0; n < p->mb; n++) {
        const float *s = c->src + (size_t)n * in_img;
        const float *img = s;
        if (conv) {
            vconv_direct_convert_src(d, s, c->shared,
                                     (int)((long)units * tid / nthr),
                                     (int)((long)units * (tid + 1) / nthr));
            img = c->shared;
#pragma omp barrier
        }
        do_jobs(d, img, c->dst + (size_t)n * out_img, rowbuf,
                jobs * tid / nthr, jobs * (tid + 1) / nthr);
        if (conv) {
            /* the next image's conversion overwrites the shared buffer */
#pragma omp barrier
        }
    }
}

vconv_status vconv_direct_run(const void *state, const vconv_problem *p,
                              const float *src, float *dst)
{
    const direct_plan *d = state;
    const int nthr = p->threads;
    const bool conv = !d->direct_src;
    run_ctx c = {.d = d, .src = src, .dst = dst};
    /* whole images per thread when that balances; else the team shares
       each image (converts it together, then splits its rows) */
    c.per_image = nthr == 1 ||
                  (p->mb >= nthr && (p->mb % nthr == 0 || p->mb >= 4 * nthr));
    const size_t img_round = (d->img + 15) & ~(size_t)15;
    const bool rows = d->kind == DIRECT_KERNEL_CV && p->layout == VCONV_NCHW;
    c.work_floats = (c.per_image && conv ? img_round : 0) +
                    (rows ? (size_t)d->nb * d->flush_rows * p->ow * d->V
                          : 0);
    if (!c.per_image && conv) {
        c.shared = vconv_scratch(VCONV_SCRATCH_SHARED, sizeof(float) * d->img);
        if (!c.shared)
            return VCONV_ERR_NO_MEMORY;
    }
    if (nthr == 1) {
        run_team(&c, 0, 1);
    } else {
#pragma omp parallel num_threads(nthr)
        {
            int tid = 0, n = 1;
#ifdef _OPENMP
            tid = omp_get_thread_num();
            n = omp_get_num_threads();
#endif
            run_team(&c, tid, n);
        }
    }
    return c.fail ? VCONV_ERR_NO_MEMORY : VCONV_OK;
}

/* ------------------------------------------------------------ entries */

#define DIRECT_ENTRY(ISA, LIM)                                                \
    static bool supports_##ISA(const vconv_problem *p, char *why,             \
                               size_t len)                                    \
    {                                                                         \
        return vconv_direct_supports(&LIM, p, why, len);                      \
    }                                                                         \
    static double estimate_##ISA(const vconv_problem *p, char *why,           \
                                 size_t len)                                  \
    {                                                                         \
        return vconv_direct_estimate(&LIM, p, why, len);                      \
    }                                                                         \
    static vconv_status create_##ISA(const vconv_problem *p, const float *w,  \
                                     const float *b, void **state)            \
    {                                                                         \
        return vconv_direct_create(&LIM, &vconv_direct_ukr_##ISA,             \
                                   &vconv_direct_wv_##ISA, p, w, b, state);   \
    }                                                                         \
    const vconv_impl vconv_impl_direct_##ISA = {                              \
        .name = "direct." #ISA,                                               \
        .algo = VCONV_ALGO_DIRECT,                                            \
        .isa = VCONV_ISA_##ISA##_ENUM,                                        \
        .supports = supports_##ISA,                                           \
        .estimate = estimate_##ISA,                                           \
        .create = create_##ISA,                                               \
        .run = vconv_direct_run,                                              \
        .destroy = vconv_direct_destroy,                                      \
    };

#define VCONV_ISA_scalar_ENUM VCONV_ISA_SCALAR
#define VCONV_ISA_avx2_ENUM VCONV_ISA_AVX2
#define VCONV_ISA_avx512_ENUM VCONV_ISA_AVX512
#define VCONV_ISA_neon_ENUM VCONV_ISA_NEON

DIRECT_ENTRY(scalar, limits_scalar)
#if VCONV_ARCH_X86_64
DIRECT_ENTRY(avx2, limits_avx2)
DIRECT_ENTRY(avx512, limits_avx512)
#endif
#if VCONV_ARCH_AARCH64
DIRECT_ENTRY(neon, limits_neon)
#endif
