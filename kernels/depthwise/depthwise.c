/*
 * depthwise.c - depthwise convolution (in_channels / groups == 1, any
 * channel multiplier): the portable driver of direct_dw.scalar,
 * direct_dw.avx2, direct_dw.avx512 and direct_dw.neon (supports,
 * estimate, weight packing, the copy of the input into the slab,
 * threading). The arithmetic is in the row kernels (depthwise-<isa>.c,
 * loop nest in depthwise-tiles.h); this file holds no intrinsics and runs
 * on any CPU. The entries are direct variants (VCONV_ALGO_DIRECT): the
 * same sum as kernels/direct, with the lanes of a vector spent on 16 (or
 * 8) channels instead of the one channel a group that direct has here.
 *
 * What a run does (depthwise.h has the layouts): jobs are (image, group
 * of blocks of V output channels, band of output rows); a job copies the
 * input rows its band reads into a per-thread slab (channel-blocked, left
 * / right padding as zero columns: NHWC pixels are channel vectors
 * already, so a copy; NCHW rows are transposed by the direct family's SIMD
 * conversion), then runs the row kernel on every output row of the band:
 * bias as the initial value, the taps inside the image (kernel rows in
 * the top / bottom padding are skipped), ReLU, and the store: straight
 * into NHWC dst (masked on a channel tail), or into a per-thread row
 * buffer that the direct family's SIMD transposition turns into the NCHW
 * rows while it is in L1. Bands and groups are sized from the caches and
 * the shape, never from the thread count; each output is computed by one
 * row call in one fixed order of taps (from the bias), so the result is
 * bitwise the same for any thread count.
 *
 * NCHW, 3x3, stride 1 or 2, multiplier 1 (MobileNet's depthwise
 * layers), on AVX-512: the planar kernel (depthwise.h: dw_plane_args)
 * instead, where its model is cheaper (planar_cycles against dw_cycles):
 * lanes are 16 output pixels of one channel's row (two rows of at most 7
 * at stride 2), read straight from the user's planes with masked loads
 * (the padding is the masked-off lanes and the skipped rows; stride 2
 * deinterleaved by shuffles), stored straight into the NCHW dst: no slab,
 * no transposition. Jobs are (image, run of channels). Zen 4, 1 thread:
 * dw_32_112s1 210 -> 100 us, dw_64_112s2 185 -> 97, dw_256_28s1 132 ->
 * 62, dw_1024_7s1 37 -> 31. (An earlier planar variant that copied each plane padded and split
 * into stride phases was slower than the blocked kernel on every layer:
 * the copies, not the lanes, were its cost.)
 */
#include "depthwise.h"
#include "../direct/direct.h"
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

/* ------------------------------------------------------------ ISAs */

typedef struct {
    vconv_isa isa;
    int V;
    dw_row_fn row;
    /* the direct family's SIMD conversions (kernels/direct/direct.h
       contracts), for NCHW data: row buffer [ow][V] -> NCHW rows; one
       NCHW row of V channels -> pixel vectors (NULL: the portable loop of
       fill_blocked) */
    void (*row_to_nchw)(const float *rowbuf, int V, int ow, int nvalid,
                        float *dst, ptrdiff_t dst_c);
    void (*nchw_to_blocked)(const float *src, ptrdiff_t plane, int nc,
                            int iw, float *out, int pwc, int sw, int pl);
    /* the planar kernel on the user's NCHW planes (NULL: none) */
    dw_plane_fn planes;
} dw_isa;

static const dw_isa isa_scalar = {VCONV_ISA_SCALAR, 8, vconv_dw_row_scalar,
                                  vconv_direct_row_to_nchw, NULL, NULL};
#if VCONV_ARCH_X86_64
static const dw_isa isa_avx2 = {VCONV_ISA_AVX2, 8, vconv_dw_row_avx2,
                                vconv_direct_row_to_nchw_avx2,
                                vconv_direct_nchw_to_blocked_avx2, NULL};
static const dw_isa isa_avx512 = {VCONV_ISA_AVX512, 16, vconv_dw_row_avx512,
                                  vconv_direct_row_to_nchw_avx512,
                                  vconv_direct_nchw_to_blocked_avx512,
                                  vconv_dw_planes_avx512};
#endif
#if VCONV_ARCH_AARCH64
static const dw_isa isa_neon = {VCONV_ISA_NEON, 8, vconv_dw_row_neon,
                                vconv_direct_row_to_nchw_neon,
                                vconv_direct_nchw_to_blocked_neon, NULL};
#endif

/* ------------------------------------------------------------ geometry */

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

/* Padded columns the outputs read: (ow - 1) sw + (kw - 1) dw + 1. */
static long long padded_cols(const vconv_problem *p)
{
    return (long long)(p->ow - 1) * p->sw + (long long)(p->kw - 1) * p->dw +
           1;
}

/* Channel blocks a job. NHWC: a quarter of them (at least 1), so that a
   pixel's channels are copied into the slab as one contiguous run (a
   block a job read 64 bytes every ic floats: the copy then cost more than
   the convolution on MobileNet's small layers) and a batch-1 layer still
   has several jobs for the threads. NCHW: one (its rows are transposed
   block by block anyway, and the slab stays small). From the shape, never
   the thread count. */
static int blocks_per_job(const vconv_problem *p, int V)
{
    const int ncb = vconv_div_up(p->oc, V);
    return p->layout == VCONV_NHWC ? vconv_div_up(ncb, 4) : 1;
}

/* Output rows whose slab (the input rows a band reads, pw * V floats
   each, for each block of the job) fits `budget` bytes. */
static int rows_fitting(const vconv_problem *p, int V, double budget)
{
    const double row =
        4.0 * (double)padded_cols(p) * V * blocks_per_job(p, V);
    const double in_rows = budget / row - (double)(p->kh - 1) * p->dh;
    const double r = in_rows < 1 ? 1 : (in_rows - 1) / p->sh + 1;
    return r >= p->oh ? p->oh : r < 1 ? 1 : (int)r;
}

/* Output rows a band; the halo rows two bands share are copied twice.
   NCHW: the slab within half the L1, so the rows transposed into it are
   still in L1 when the kernel reads them (measured: 1.5x faster on the 14
   x 14 and 7 x 7 MobileNet layers than L2-sized bands), unless that
   leaves fewer than 4 rows a band (wide images: the halo would double the
   transposition); then, and for NHWC, a quarter of the L2. */
static int band_rows(const vconv_problem *p, int V)
{
    const vconv_topology *t = vconv_topology_get();
    if (p->layout == VCONV_NCHW) {
        const int r = rows_fitting(p, V, (double)t->l1d / 2);
        if (r >= 4 || r >= p->oh)
            return r;
    }
    return rows_fitting(p, V, (double)t->l2 / 4);
}

/* ------------------------------------------------- supports, estimate */

static bool dw_supports(const dw_isa *isa, const vconv_problem *p, char *why,
                        size_t len)
{
    if (p->icg != 1) {
        snprintf(why, len, "not depthwise: %d input channels a group (want 1)",
                 p->icg);
        return false;
    }
    /* the slab rows a band of one output row reads stay int-indexable
       (only absurd paddings, widths or dilations get near) */
    const long long rows = (long long)(p->kh - 1) * p->dh + 1;
    const long long slab = (rows < p->ih ? rows : p->ih) * padded_cols(p) *
                           isa->V;
    if (slab > INT32_MAX / 4) {
        snprintf(why, len,
                 "a slab of %lld floats (ow %d, kernel %dx%d, dilation %d) "
                 "exceeds the kernel's int offsets",
                 slab, p->ow, p->kh, p->kw, p->dw);
        return false;
    }
    return true;
}

/*
 * The cost model, in cycles of one core (the machine model's rates,
 * dispatch/machine.h, converted to V-float vectors):
 *   arithmetic: every output vector (V channels of a pixel) is one FMA
 *   and one input load a tap inside the image, plus a weight load every
 *   DW_UR (8) FMAs: max(FMAs / fma_rate, loads / load_rate), the loads
 *   binding on two-load cores (depthwise is load-bound, not FMA-bound);
 *   + DW_CALL a row call;
 *   the slab: DW_COPY cycles a vector copied (NHWC, multiplier 1),
 *   DW_TRANSPOSE a vector transposed (NCHW: in, and out through the row
 *   buffer), DW_COPY_GATHER a vector built lane by lane (a multiplier > 1,
 *   or no SIMD conversion);
 *   memory: src and dst stream from / to beyond the L2 once,
 *   DW_STREAM_BYTES a cycle; the run takes the larger of the two.
 * Seconds on the common scale: cycles at the clock the nominal peak
 * assumes (vconv_isa_nominal_gflops = 2 pipes x lanes x 2 FLOP x clock).
 */
#define DW_CALL 20.0
#define DW_COPY 1.0
#define DW_COPY_GATHER 6.0
#define DW_TRANSPOSE 3.0
/* AVX-512's 16-lane transposition, measured (perf, Zen 4, MobileNet's
   dw_32_112s1 NCHW): the two took 43% of the run, ~6.5 cycles a vector
   each way (AVX2's 8-lane ones stay at DW_TRANSPOSE: with 6 the model
   sent dw_64_112s2 to direct.avx2, 1.5x slower) */
#define DW_TRANSPOSE_16 6.0
#define DW_STREAM_BYTES 12.0
#define DW_TILE_UR 8.0

static double dw_cycles(const dw_isa *isa, const vconv_problem *p)
{
    const int V = isa->V;
    double fma_rate = 0.5, load_rate = 1.0; /* scalar: 8 floats on SSE2 */
    if (isa->isa != VCONV_ISA_SCALAR) {
        const vconv_isa_model *m = vconv_machine_isa(isa->isa);
        const double per = (double)vconv_isa_hw_lanes(isa->isa) / V;
        fma_rate = m->fma_rate * per;
        load_rate = m->load_rate * per;
    }
    double kyrows = 0;
    for (int oy = 0; oy < p->oh; oy++) {
        int lo, hi;
        tap_range(oy * p->sh - p->pt, p->dh, p->kh, p->ih, &lo, &hi);
        kyrows += hi - lo;
    }
    const bool nhwc = p->layout == VCONV_NHWC;
    const double transpose = V == 16 ? DW_TRANSPOSE_16 : DW_TRANSPOSE;
    const double ncb = vconv_div_up(p->oc, V);
    const double vecs = ncb * p->ow * p->oh;
    const double fmas = ncb * p->ow * kyrows * p->kw;
    const double loads = fmas * (1.0 + 1.0 / DW_TILE_UR);
    const int br = band_rows(p, V);
    const double bands = vconv_div_up(p->oh, br);
    const double in_rows = fmin(
        p->ih, (double)(br - 1) * p->sh + (double)(p->kh - 1) * p->dh + 1);
    const double slab_vecs = ncb * bands * in_rows * (double)padded_cols(p);
    const double copy = p->ocg > 1                      ? DW_COPY_GATHER
                        : nhwc                          ? DW_COPY
                        : isa->nchw_to_blocked != NULL  ? transpose
                                                        : DW_COPY_GATHER;
    double c = fmax(fmas / fma_rate, loads / load_rate) +
               DW_CALL * ncb * p->oh + copy * slab_vecs;
    if (!nhwc)
        c += transpose * vecs;
    const double bytes = 4.0 * ((double)p->ic * p->ih * p->iw +
                                (double)p->oc * p->oh * p->ow);
    return fmax(c, bytes / DW_STREAM_BYTES) * p->mb;
}

/* ------------------------------------------------- the planar kernel */

/* Whether the planar kernel (depthwise.h: dw_plane_args) runs p: NCHW,
   multiplier 1, 3x3, stride 1 or 2 (both ways), dilation 1, on an ISA
   that has it. */
static bool planar_ok(const dw_isa *isa, const vconv_problem *p)
{
    return isa->planes && p->layout == VCONV_NCHW && p->ocg == 1 &&
           p->kh == 3 && p->kw == 3 && p->sh == p->sw &&
           (p->sw == 1 || p->sw == 2) && p->dh == 1 && p->dw == 1;
}

/* Channels a job of the planar kernel: about 16 KiB of src planes (one
   channel for planes that big), at most 64. From the shape only. */
static int planar_chans(const vconv_problem *p)
{
    const long long plane = (long long)p->ih * p->iw;
    const long long c = 4096 / (plane > 0 ? plane : 1);
    return c < 1 ? 1 : c > 64 ? 64 : (int)c;
}

/*
 * The planar kernel's cycles, in the terms of dw_cycles: a tile of R
 * rows x U vectors of 16 pixels (4 x 2, or 8 x 1 for one vector a row)
 * does 9 R U FMAs (fewer on the border rows: only the taps inside) and
 * loads 3 vectors an input row and vector, nearly all unaligned across
 * two lines (2 load slots each): R + 2 input rows at stride 1; 2 R + 1 at
 * stride 2, each with 3 shuffles (DWP_SHUFFLE_RATE a cycle); + DWP_TILE
 * cycles a tile (masks, stores, the call); src and dst stream once, as
 * for the blocked kernel; no slab, no transposition.
 */
#define DWP_TILE 12.0
#define DWP_SHUFFLE_RATE 1.0

static double planar_cycles(const dw_isa *isa, const vconv_problem *p)
{
    const vconv_isa_model *m = vconv_machine_isa(isa->isa);
    const double per = (double)vconv_isa_hw_lanes(isa->isa) / 16;
    const double fma_rate = m->fma_rate * per, load_rate = m->load_rate * per;
    const int nvec = vconv_div_up(p->ow, 16), s = p->sw;
    const int R = nvec >= 2 ? 4 : 8, U = nvec >= 2 ? 2 : 1;
    double kyrows = 0;
    for (int oy = 0; oy < p->oh; oy++) {
        int lo, hi;
        tap_range(oy * s - p->pt, 1, 3, p->ih, &lo, &hi);
        kyrows += hi - lo;
    }
    const double bands = vconv_div_up(p->oh, R);
    const double fmas = (double)nvec * kyrows * 3;
    const double in_rows = s == 1 ? p->oh + 2 * bands : 2.0 * p->oh + bands;
    const double loads = 2.0 * nvec * 3 * in_rows;
    const double shuffles = s == 1 ? 0.0 : 3.0 * nvec * in_rows;
    const double tiles = bands * vconv_div_up(nvec, U);
    const double c =
        (fmax(fmax(fmas / fma_rate, loads / load_rate),
              shuffles / DWP_SHUFFLE_RATE) +
         DWP_TILE * tiles) *
        p->oc;
    const double bytes = 4.0 * ((double)p->ic * p->ih * p->iw +
                                (double)p->oc * p->oh * p->ow);
    return fmax(c, bytes / DW_STREAM_BYTES) * p->mb;
}

/* Where the planar kernel runs p and its model is the cheaper. */
static bool planar_wins(const dw_isa *isa, const vconv_problem *p)
{
    return planar_ok(isa, p) && planar_cycles(isa, p) < dw_cycles(isa, p);
}

/* Whether a plan for p takes the planar kernel: where it runs and its
   model is cheaper (planar_wins), or as VCONV_DW_PLAN (a debugging and
   benchmarking knob, README) forces: "planar" or "blocked"; a value this
   entry cannot run is an error, never ignored. */
static vconv_status choose_planar(const dw_isa *isa, const vconv_problem *p,
                                  bool *planar)
{
    const bool ok = planar_ok(isa, p);
    *planar = planar_wins(isa, p);
    if (ok && vconv_verbose_level() > 1)
        vconv_log("direct_dw.%s model: planar %.0f, blocked %.0f cycles",
                  vconv_isa_name(isa->isa), planar_cycles(isa, p),
                  dw_cycles(isa, p));
    const char *e = getenv("VCONV_DW_PLAN");
    if (!e || !*e)
        return VCONV_OK;
    if (!strcmp(e, "blocked") || (!strcmp(e, "planar") && ok)) {
        *planar = e[0] == 'p';
        return VCONV_OK;
    }
    return vconv_error(VCONV_ERR_INVALID_ARG,
                       "VCONV_DW_PLAN='%s' is not a kernel direct_dw.%s can "
                       "run here (blocked; or planar: NCHW, 3x3, stride 1 or "
                       "2, dilation 1, multiplier 1, on avx512)",
                       e, vconv_isa_name(isa->isa));
}

/* Jobs of a run: (image, group of blocks_per_job channel blocks, band). */
static long dw_jobs(const vconv_problem *p, int V, int br)
{
    const int ncb = vconv_div_up(p->oc, V);
    return (long)p->mb * vconv_div_up(ncb, blocks_per_job(p, V)) *
           vconv_div_up(p->oh, br);
}

static double dw_estimate(const dw_isa *isa, const vconv_problem *p,
                          char *why, size_t len)
{
    (void)why;
    (void)len;
    const int hw = vconv_isa_hw_lanes(isa->isa);
    const double clock =
        vconv_isa_nominal_gflops(isa->isa) * 1e9 / (2.0 * 2.0 * hw);
    const bool planar = planar_wins(isa, p);
    const double jobs =
        planar ? (double)p->mb * vconv_div_up(p->oc, planar_chans(p))
               : (double)dw_jobs(p, isa->V, band_rows(p, isa->V));
    const double par = p->threads < jobs ? p->threads : jobs;
    return (planar ? planar_cycles(isa, p) : dw_cycles(isa, p)) / clock /
           (par > 1 ? par : 1);
}

/* ---------------------------------------------------------------- plan */

typedef struct {
    vconv_problem p;
    const dw_isa *isa;
    int V, ncb;         /* channel blocks: ceil(oc / V) */
    int G, ngrp;        /* blocks a job, groups of them */
    int pw;             /* slab columns */
    int br, nbands;     /* output rows a band, bands an image */
    int slab_rows;      /* the largest band's input rows */
    int *ky_lo, *ky_n;  /* [oh]: first kernel row inside, how many */
    int *row_iy;        /* [oh]: input row of ky_lo */
    int *band_iy0, *band_iy1; /* [nbands]: the input rows a band reads */
    float *w;           /* [ncb][kh][kw][V]; planar: [oc][3][3] */
    float *bias;        /* [ncb][V]; planar: [oc] */
    bool planar;        /* the planar kernel on the NCHW planes */
    int pch;            /* planar: channels a job */
    uint16_t *masks;    /* planar: dw_plane_args.masks */
    long jobs;
} dw_plan;

static void plan_free(dw_plan *d)
{
    if (!d)
        return;
    free(d->ky_lo);
    free(d->ky_n);
    free(d->row_iy);
    free(d->band_iy0);
    free(d->band_iy1);
    free(d->masks);
    vconv_free(d->w);
    vconv_free(d->bias);
    free(d);
}

/* The planar plan: weights [oc][3][3] as given, the bias, the masks. */
static vconv_status planar_create(dw_plan *d, const float *w,
                                  const float *bias, void **state)
{
    const vconv_problem *p = &d->p;
    const int nvec = vconv_div_up(p->ow, 16);
    d->V = 16;
    d->pch = planar_chans(p);
    d->jobs = (long)p->mb * vconv_div_up(p->oc, d->pch);
    d->w = vconv_alloc(sizeof(float) * (size_t)p->oc * 9);
    d->bias = vconv_alloc(sizeof(float) * (size_t)p->oc);
    d->masks = malloc(sizeof(uint16_t) * 4 * (size_t)nvec);
    if (!d->w || !d->bias || !d->masks) {
        plan_free(d);
        return VCONV_ERR_NO_MEMORY;
    }
    memcpy(d->w, w, sizeof(float) * (size_t)p->oc * 9);
    for (int o = 0; o < p->oc; o++)
        d->bias[o] = bias ? bias[o] : 0.0f;
    for (int v = 0; v < nvec; v++)
        for (int k = 0; k < 4; k++) {
            unsigned m = 0;
            for (int l = 0; l < 16; l++) {
                const long long x = (long long)v * 16 + l;
                /* stride 1: tap k's column; stride 2: lane l of the run
                   from 32 v - pl + 16 k */
                const long long ix = p->sw == 1 ? x + k - p->pl
                                                : 32LL * v - p->pl + 16 * k + l;
                if (k == 3 ? x < p->ow
                           : ix >= 0 && ix < p->iw && (p->sw == 2 || x < p->ow))
                    m |= 1u << l;
            }
            d->masks[(size_t)v * 4 + k] = (uint16_t)m;
        }
    if (vconv_verbose_level() > 1)
        vconv_log("direct_dw.%s plan: planar (the NCHW planes in place), "
                  "%d channels a job, %d vectors a row",
                  vconv_isa_name(d->isa->isa), d->pch, nvec);
    *state = d;
    return VCONV_OK;
}

static vconv_status dw_create(const dw_isa *isa, const vconv_problem *p,
                              const float *w, const float *bias,
                              void **state)
{
    dw_plan *d = calloc(1, sizeof *d);
    if (!d)
        return VCONV_ERR_NO_MEMORY;
    d->p = *p;
    d->isa = isa;
    vconv_status st = choose_planar(isa, p, &d->planar);
    if (st != VCONV_OK) {
        free(d);
        return st;
    }
    if (d->planar)
        return planar_create(d, w, bias, state);
    const int V = d->V = isa->V;
    d->ncb = vconv_div_up(p->oc, V);
    d->pw = (int)padded_cols(p);
    d->G = blocks_per_job(p, V);
    d->ngrp = vconv_div_up(d->ncb, d->G);
    d->br = band_rows(p, V);
    d->nbands = vconv_div_up(p->oh, d->br);
    d->jobs = dw_jobs(p, V, d->br);
    const int kk = p->kh * p->kw;
    const size_t oh = (size_t)p->oh, nb = (size_t)d->nbands;
    d->ky_lo = malloc(sizeof(int) * oh);
    d->ky_n = malloc(sizeof(int) * oh);
    d->row_iy = malloc(sizeof(int) * oh);
    d->band_iy0 = malloc(sizeof(int) * nb);
    d->band_iy1 = malloc(sizeof(int) * nb);
    d->w = vconv_alloc(sizeof(float) * (size_t)d->ncb * kk * V);
    d->bias = vconv_alloc(sizeof(float) * (size_t)d->ncb * V);
    if (!d->ky_lo || !d->ky_n || !d->row_iy || !d->band_iy0 ||
        !d->band_iy1 || !d->w || !d->bias) {
        plan_free(d);
        return VCONV_ERR_NO_MEMORY;
    }
    for (int oy = 0; oy < p->oh; oy++) {
        const int iy0 = oy * p->sh - p->pt;
        int lo, hi;
        tap_range(iy0, p->dh, p->kh, p->ih, &lo, &hi);
        d->ky_lo[oy] = lo;
        d->ky_n[oy] = hi - lo;
        d->row_iy[oy] = hi > lo ? iy0 + lo * p->dh : 0;
    }
    d->slab_rows = 1;
    for (int b = 0; b < d->nbands; b++) {
        int a = INT32_MAX, z = 0;
        const int y1 = vconv_min_i(p->oh, (b + 1) * d->br);
        for (int oy = b * d->br; oy < y1; oy++)
            if (d->ky_n[oy] > 0) {
                a = vconv_min_i(a, d->row_iy[oy]);
                z = vconv_max_i(z, d->row_iy[oy] +
                                       (d->ky_n[oy] - 1) * p->dh + 1);
            }
        if (a > z)
            a = z = 0; /* every row of the band sees only padding */
        d->band_iy0[b] = a;
        d->band_iy1[b] = z;
        d->slab_rows = vconv_max_i(d->slab_rows, z - a);
    }
    /* weights [oc][1][kh][kw] -> [cb][ky][kx][lane] */
    for (int cb = 0; cb < d->ncb; cb++)
        for (int k = 0; k < kk; k++)
            for (int l = 0; l < V; l++) {
                const int o = cb * V + l;
                d->w[((size_t)cb * kk + k) * V + l] =
                    o < p->oc ? w[(size_t)o * kk + k] : 0.0f;
            }
    for (int o = 0; o < d->ncb * V; o++)
        d->bias[o] = bias && o < p->oc ? bias[o] : 0.0f;
    if (vconv_verbose_level() > 1)
        vconv_log("direct_dw.%s plan: %d blocks of %d channels, multiplier "
                  "%d, slab %d columns, bands of %d rows (%d input rows)",
                  vconv_isa_name(isa->isa), d->ncb, V, p->ocg, d->pw, d->br,
                  d->slab_rows);
    *state = d;
    return VCONV_OK;
}

static void dw_destroy(void *state) { plan_free(state); }

/* ----------------------------------------------------------------- run */

/* Input rows [iy0, iy1) of channel blocks cb0 .. cb0 + nb - 1 of one
   image into the slab [block][row][pw][V]: NHWC pixels copied, all the
   blocks of a pixel at once (a multiplier > 1: lane by lane), NCHW rows
   transposed (the direct family's SIMD conversion, or lane by lane). */
static void fill_blocked(const dw_plan *d, const float *img, int cb0, int nb,
                         int iy0, int iy1, float *slab)
{
    const vconv_problem *p = &d->p;
    const int V = d->V, pw = d->pw, iw = p->iw, m = p->ocg;
    const size_t plane = (size_t)p->ih * iw;
    const size_t blk = (size_t)d->slab_rows * pw * V; /* a block's slab */
    const bool nhwc = p->layout == VCONV_NHWC;
    /* padded columns [lo, hi) hold image columns ix0 .. */
    const int lo = vconv_min_i(p->pl, pw);
    const int hi = vconv_max_i(lo, vconv_min_i(p->pl + iw, pw));
    const int n = hi - lo, ix0 = lo - p->pl;
    /* NHWC, multiplier 1: blocks [0, full) whole vectors, then a tail */
    const int c0 = cb0 * V, nc_all = vconv_min_i(nb * V, p->oc - c0);
    const int full = nc_all / V, tail = nc_all - full * V;
    for (int iy = iy0; iy < iy1; iy++) {
        const size_t r = (size_t)(iy - iy0) * pw * V;
        for (int b = 0; b < nb; b++) {
            float *out = slab + b * blk + r;
            memset(out, 0, sizeof(float) * (size_t)lo * V);
            memset(out + (size_t)hi * V, 0,
                   sizeof(float) * (size_t)(pw - hi) * V);
        }
        if (nhwc && m == 1) {
            /* fixed-size copies the compiler inlines (a memcpy call a
               vector cost as much as its FMAs) */
            const float *s = img + ((size_t)iy * iw + ix0) * p->ic + c0;
            float *o = slab + r + (size_t)lo * V;
            for (int k = 0; k < n; k++, s += p->ic, o += V) {
                int b = 0;
                if (V == 16)
                    for (; b < full; b++)
                        memcpy(o + b * blk, s + b * 16, 16 * sizeof(float));
                else
                    for (; b < full; b++)
                        memcpy(o + b * blk, s + b * 8, 8 * sizeof(float));
                if (tail) {
                    float *ot = o + b * blk;
                    memcpy(ot, s + b * V, sizeof(float) * (size_t)tail);
                    for (int i = tail; i < V; i++)
                        ot[i] = 0.0f;
                }
            }
            continue;
        }
        for (int b = 0; b < nb; b++) {
            float *out = slab + b * blk + r;
            float *om = out + (size_t)lo * V;
            const int cb = cb0 + b, cs = cb * V;
            const int nc = vconv_min_i(V, p->oc - cs);
            if (nhwc) {
                /* lane i is output channel cs + i: input (cs + i) / m */
                const float *s = img + ((size_t)iy * iw + ix0) * p->ic;
                for (int k = 0; k < n; k++, s += p->ic) {
                    float *o = om + (size_t)k * V;
                    for (int i = 0; i < nc; i++)
                        o[i] = s[(cs + i) / m];
                    for (int i = nc; i < V; i++)
                        o[i] = 0.0f;
                }
            } else if (m == 1 && d->isa->nchw_to_blocked) {
                /* image column ix to padded column ix + pl (those past pw
                   are dropped), lanes nc .. V-1 zeros */
                d->isa->nchw_to_blocked(img + (size_t)cs * plane +
                                            (size_t)iy * iw,
                                        (ptrdiff_t)plane, nc, iw, out, pw, 1,
                                        p->pl);
            } else {
                for (int i = 0; i < V; i++) {
                    if (i >= nc) {
                        for (int k = 0; k < n; k++)
                            om[(size_t)k * V + i] = 0.0f;
                        continue;
                    }
                    const float *s = img + (size_t)(cs + i) / m * plane +
                                     (size_t)iy * iw + ix0;
                    for (int k = 0; k < n; k++)
                        om[(size_t)k * V + i] = s[k];
                }
            }
        }
    }
}

/* Job j of the planar kernel: channels [c0, c0 + pch) of one image. */
static void planar_job(const dw_plan *d, const float *src, float *dst, long j)
{
    const vconv_problem *p = &d->p;
    const long per = vconv_div_up(p->oc, d->pch);
    const int n = (int)(j / per), c0 = (int)(j % per) * d->pch;
    const size_t in_plane = (size_t)p->ih * p->iw,
                 out_plane = (size_t)p->oh * p->ow;
    dw_plane_args a;
    a.src = src + ((size_t)n * p->ic + c0) * in_plane;
    a.dst = dst + ((size_t)n * p->oc + c0) * out_plane;
    a.wei = d->w + (size_t)c0 * 9;
    a.bias = d->bias + c0;
    a.masks = d->masks;
    a.src_c = (ptrdiff_t)in_plane;
    a.dst_c = (ptrdiff_t)out_plane;
    a.nch = vconv_min_i(d->pch, p->oc - c0);
    a.ih = p->ih;
    a.iw = p->iw;
    a.oh = p->oh;
    a.ow = p->ow;
    a.pt = p->pt;
    a.pl = p->pl;
    a.stride = p->sw;
    a.relu = p->act == VCONV_ACT_RELU;
    d->isa->planes(&a);
}

static void do_job(const dw_plan *d, const float *src, float *dst,
                   long j, float *slab, float *rowbuf)
{
    const vconv_problem *p = &d->p;
    const int V = d->V;
    const int band = (int)(j % d->nbands);
    const int grp = (int)(j / d->nbands % d->ngrp);
    const int n = (int)(j / d->nbands / d->ngrp);
    const int cb0 = grp * d->G, nb = vconv_min_i(d->G, d->ncb - cb0);
    const bool nhwc = p->layout == VCONV_NHWC;
    const size_t ohw = (size_t)p->oh * p->ow;
    const size_t blk = (size_t)d->slab_rows * d->pw * V;
    const float *img = src + (size_t)n * p->ic * p->ih * p->iw;
    float *out = dst + (size_t)n * p->oc * ohw;
    const int iy0 = d->band_iy0[band];
    fill_blocked(d, img, cb0, nb, iy0, d->band_iy1[band], slab);
    dw_row_args a;
    a.src_ky = (ptrdiff_t)p->dh * d->pw * V;
    a.src_kx = (ptrdiff_t)p->dw * V;
    a.src_px = (ptrdiff_t)p->sw * V;
    a.dst_px = nhwc ? p->oc : V;
    a.kw = p->kw;
    a.ow = p->ow;
    a.relu = p->act == VCONV_ACT_RELU;
    const int y0 = band * d->br, y1 = vconv_min_i(p->oh, y0 + d->br);
    for (int b = 0; b < nb; b++) {
        const int cb = cb0 + b, c0 = cb * V;
        const int nc = vconv_min_i(V, p->oc - c0);
        const float *sb = slab + b * blk;
        const float *wcb = d->w + (size_t)cb * p->kh * p->kw * V;
        a.bias = d->bias + (size_t)cb * V;
        a.nvalid = nhwc ? nc : V;
        for (int oy = y0; oy < y1; oy++) {
            a.n_ky = d->ky_n[oy];
            a.src = sb + (a.n_ky > 0
                              ? (size_t)(d->row_iy[oy] - iy0) * d->pw * V
                              : 0);
            a.wei = wcb + (size_t)d->ky_lo[oy] * p->kw * V;
            a.dst = nhwc ? out + (size_t)oy * p->ow * p->oc + c0 : rowbuf;
            d->isa->row(&a);
            if (!nhwc)
                d->isa->row_to_nchw(rowbuf, V, p->ow, nc,
                                    out + (size_t)c0 * ohw +
                                        (size_t)oy * p->ow,
                                    (ptrdiff_t)ohw);
        }
    }
}

typedef struct {
    const dw_plan *d;
    const float *src;
    float *dst;
    size_t slab_floats, work_floats;
    int fail;
} run_ctx;

static void run_team(run_ctx *c, int tid, int nthr)
{
    const dw_plan *d = c->d;
    float *work = d->planar ? NULL
                            : vconv_scratch(VCONV_SCRATCH_WORK,
                                            sizeof(float) * c->work_floats);
    if (!work && !d->planar) {
#pragma omp atomic write
        c->fail = 1;
    }
    if (nthr > 1) {
#pragma omp barrier
    }
    int fail;
#pragma omp atomic read
    fail = c->fail;
    if (fail)
        return; /* nothing written to dst yet, by any thread */
    const long j0 = d->jobs * tid / nthr, j1 = d->jobs * (tid + 1) / nthr;
    for (long j = j0; j < j1; j++) {
        if (d->planar)
            planar_job(d, c->src, c->dst, j);
        else
            do_job(d, c->src, c->dst, j, work, work + c->slab_floats);
    }
}

static vconv_status dw_run(const void *state, const vconv_problem *p,
                           const float *src, float *dst)
{
    const dw_plan *d = state;
    run_ctx c = {.d = d, .src = src, .dst = dst};
    c.slab_floats = ((size_t)d->G * d->slab_rows * d->pw * d->V + 15) &
                    ~(size_t)15;
    c.work_floats = c.slab_floats + (size_t)p->ow * d->V;
    const long jobs = d->jobs;
    const int nthr = (int)(p->threads < jobs ? p->threads : jobs);
    if (nthr <= 1) {
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

#define DW_ENTRY(ISA)                                                         \
    static bool supports_##ISA(const vconv_problem *p, char *why,             \
                               size_t len)                                    \
    {                                                                         \
        return dw_supports(&isa_##ISA, p, why, len);                          \
    }                                                                         \
    static double estimate_##ISA(const vconv_problem *p, char *why,           \
                                 size_t len)                                  \
    {                                                                         \
        return dw_estimate(&isa_##ISA, p, why, len);                          \
    }                                                                         \
    static vconv_status create_##ISA(const vconv_problem *p, const float *w,  \
                                     const float *b, void **state)            \
    {                                                                         \
        return dw_create(&isa_##ISA, p, w, b, state);                         \
    }                                                                         \
    const vconv_impl vconv_impl_direct_dw_##ISA = {                           \
        .name = "direct_dw." #ISA,                                            \
        .algo = VCONV_ALGO_DIRECT,                                            \
        .isa = VCONV_ISA_##ISA##_ENUM,                                        \
        .supports = supports_##ISA,                                           \
        .estimate = estimate_##ISA,                                           \
        .create = create_##ISA,                                               \
        .run = dw_run,                                                        \
        .destroy = dw_destroy,                                                \
    };

#define VCONV_ISA_scalar_ENUM VCONV_ISA_SCALAR
#define VCONV_ISA_avx2_ENUM VCONV_ISA_AVX2
#define VCONV_ISA_avx512_ENUM VCONV_ISA_AVX512
#define VCONV_ISA_neon_ENUM VCONV_ISA_NEON

DW_ENTRY(scalar)
#if VCONV_ARCH_X86_64
DW_ENTRY(avx2)
DW_ENTRY(avx512)
#endif
#if VCONV_ARCH_AARCH64
DW_ENTRY(neon)
#endif
