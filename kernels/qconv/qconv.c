/*
 * qconv.c - the low-precision direct convolution's driver (baseline code):
 * planning, weight packing, the padded input, threads. The arithmetic is in
 * qconv-avx512vnni.c (int8, vpdpbusd) and qconv-avx512bf16.c (bf16,
 * vdpbf16ps); qconv.h says the layouts.
 *
 * A run, per image and group: the input is copied into a padded buffer
 * of 4-byte channel groups (rows split by column phase, qconv.h) (int8: u8 values, s8 shifted by
 * +128 into u8, the padding the zero point: so padding is real 0; bf16: two
 * channels, padding 0), with the columns a pixel tile may overrun. Jobs are
 * (image, group, output row, output-channel tile), split statically over
 * the threads; each output is computed by one microkernel call, so the
 * result does not depend on the thread count.
 *
 * int8 arithmetic: vpdpbusd multiplies u8 activations by s8 weights. The
 * kernel sums x_u8 * w over every tap (padding included); the bias it
 * starts from is bias - zp_u8 * sum(w), so the result is
 * bias + sum (x - zp) * w exactly (int32 wraps in both terms, and the
 * contract's limits make the true value fit an int32, hence equal).
 */
#include "qconv.h"
#include "../../dispatch/machine.h"
#include "../../dispatch/cpu.h"
#include "../../dispatch/dispatch.h"

#include <stdio.h>
#include <stdlib.h>

/* The padded rows are put together as 32-bit words of 4 input bytes, the
   first byte the low one (pad_row, pad_row_fold): little endian, as every
   target of the library (x86-64, AArch64) is. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "qconv.c assumes a little-endian target"
#endif

#define ROW_FN(name)                                                           \
    VCONV_INTERNAL void name(const vconv_qplan *pl, const uint32_t *xg, int g, \
                             int y, int tile, int x0, int x1, void *dst,      \
                             size_t pix_stride, size_t ch_stride);
#define T(a, b) {a, b},
#define NT(t) (int)(sizeof t / sizeof t[0])
#if VCONV_ARCH_X86_64
ROW_FN(vconv_qconv_row_int8__avx512vnni)
ROW_FN(vconv_qconv_row_int8__avx512amx)
ROW_FN(vconv_qconv_row_bf16__avx512amx)
VCONV_INTERNAL void vconv_qconv_amx_begin(const vconv_qplan *pl);
VCONV_INTERNAL void vconv_qconv_amx_end(const vconv_qplan *pl);
ROW_FN(vconv_qconv_row_bf16__avx512)
ROW_FN(vconv_qconv_row_bf16__avx512bf16)
ROW_FN(vconv_qconv_row_int8__avxvnni)
ROW_FN(vconv_qconv_row_int8__avx2)
static const int tiles_zmm[][2] = {VCONV_QC_TILES_ZMM(T)};
static const int tiles_pair[][2] = {VCONV_QC_TILES_PAIR(T)};
static const vconv_qisa isa_vnni512 = {
    "direct_int8.avx512", vconv_qconv_row_int8__avx512vnni, tiles_zmm,
    NT(tiles_zmm), VCONV_QD_U8, VCONV_ISA_AVX512, 1.0, VCONV_QR_FIXED,
    false, NULL, NULL};
/* AMX: tiles of 16 pixels x 1 or 2 vectors of channels (plan_tile); its
   estimate counts tile multiplies (q_estimate), not the rate. */
static const int tiles_amx[][2] = {{2, VCONV_QC_AMX_PIX},
                                   {1, VCONV_QC_AMX_PIX}};
static const vconv_qisa isa_amx512 = {
    "direct_int8amx.avx512", vconv_qconv_row_int8__avx512amx, tiles_amx,
    NT(tiles_amx), VCONV_QD_U8, VCONV_ISA_AVX512, 0.0, VCONV_QR_FIXED,
    true, vconv_qconv_amx_begin, vconv_qconv_amx_end};
static const vconv_qisa isa_amxbf16 = {
    "direct_bf16amx.avx512", vconv_qconv_row_bf16__avx512amx, tiles_amx,
    NT(tiles_amx), VCONV_QD_I16, VCONV_ISA_AVX512, 0.0, VCONV_QR_FIXED,
    true, vconv_qconv_amx_begin, vconv_qconv_amx_end};
/* bf16: float32 FMAs on widened values, and vdpbf16ps, each at the rate
   of the machine model (dispatch/machine.h): its FMAs a cycle, its
   vdpbf16ps a cycle (2 products a lane). Measured: on an Emerald Rapids
   core with real data vdpbf16ps zmm ran at 0.9 G/s against vfmadd231ps'
   3.5 G/s, so the dot kernel's 2 products an instruction came at half
   the FMA kernel's rate there; on a Zen 4 vdpbf16ps issues as its FMAs
   do (1 zmm a cycle), and the dot kernel ran AlexNet conv2-5 at 217-226
   GFLOP/s against the widened kernel's 110-114. */
static const vconv_qisa isa_bf16_512 = {
    "direct_bf16.avx512", vconv_qconv_row_bf16__avx512, tiles_zmm,
    NT(tiles_zmm), VCONV_QD_F32, VCONV_ISA_AVX512, 1.0, VCONV_QR_FMA,
    false, NULL, NULL};
static const vconv_qisa isa_bf16dot_512 = {
    "direct_bf16dot.avx512", vconv_qconv_row_bf16__avx512bf16, tiles_zmm,
    NT(tiles_zmm), VCONV_QD_I16, VCONV_ISA_AVX512, 1.0, VCONV_QR_BF16DOT,
    false, NULL, NULL};
static const vconv_qisa isa_avxvnni = {
    "direct_int8vnni.avx2", vconv_qconv_row_int8__avxvnni, tiles_pair,
    NT(tiles_pair), VCONV_QD_U8, VCONV_ISA_AVX2, 1.0, VCONV_QR_FIXED,
    false, NULL, NULL};
static const vconv_qisa isa_avx2 = {
    "direct_int8.avx2", vconv_qconv_row_int8__avx2, tiles_pair,
    NT(tiles_pair), VCONV_QD_I16, VCONV_ISA_AVX2, 1.0, VCONV_QR_FIXED,
    false, NULL, NULL};
#endif
#if VCONV_ARCH_AARCH64
ROW_FN(vconv_qconv_row_int8__neondot)
static const int tiles_pair[][2] = {VCONV_QC_TILES_PAIR(T)};
static const vconv_qisa isa_neondot = {
    "direct_int8.neon", vconv_qconv_row_int8__neondot, tiles_pair,
    NT(tiles_pair), VCONV_QD_S8, VCONV_ISA_NEON, 1.0, VCONV_QR_FIXED,
    false, NULL, NULL};
#endif
#undef T

/* Channels a 4-byte group for a kind and domain. */
static int per_of(uint32_t kind, int dom)
{
    if (dom == VCONV_QD_F32)
        return 1;
    return kind == VCONV_DT_INT8 && dom != VCONV_QD_I16 ? 4 : 2;
}

/* Per reduction step a tile issues nb*ur dot instructions (2 a cycle),
   nb + ur loads (2 a cycle), and needs >= 10 accumulators in flight to hide
   the latency of 5, plus about 2 cycles of loop and pointer work (in half
   cycles: 4); the last tiles of a row and of the channels are paid in full
   (overrun pixels, zero channels). */
static void plan_tile(const vconv_problem *p, const vconv_qisa *isa, int nbl,
                      int *nb, int *ur)
{
    if (isa->pix) { /* AMX: 2 channel vectors where there are 2 */
        *nb = nbl >= 2 ? 2 : 1;
        *ur = VCONV_QC_AMX_PIX;
        return;
    }
    const int (*t)[2] = isa->tiles;
    const size_t nt = (size_t)isa->ntiles;
    double best = INFINITY;
    for (size_t i = 0; i < nt; i++) {
        int b = t[i][0], u = t[i][1];
        if (b > nbl && b > 1)
            continue;
        double step = b * u;
        if (step < b + u)
            step = b + u;
        if (step < 10)
            step = 10;
        step += 4;
        double c = (double)vconv_div_up(nbl, b) * vconv_div_up(p->ow, u) *
                   step;
        /* a tie goes to more channel vectors (fewer broadcasts a dot
           product: 4 x 4 ran 2-3% faster than 2 x 8 on 16-pixel rows) */
        if (c < best || (c == best && b > *nb)) {
            best = c;
            *nb = b;
            *ur = u;
        }
    }
}

/* AMX: the K steps of a tap, ks of kt <= 16 channel groups, the fewest
   steps and then the fewest padded groups (qconv.h, VCONV_QC_AMX_PIX). */
static void amx_k(int cg, int *kt, int *ks)
{
    *ks = vconv_div_up(cg, 16);
    *kt = vconv_div_up(cg, *ks);
}

/* AMX: the 16-pixel blocks of an image and group (the tile multiplies
   per channel vector and K step), and whether the flat walk takes fewer
   (vconv_qplan.flat). */
static double amx_blocks(const vconv_problem *v, bool *flat)
{
    const double rows = v->ow <= VCONV_QC_AMX_PIX && v->oh > 1
                            ? 2.0 * vconv_div_up(v->oh, 2)
                            : (double)v->oh * vconv_div_up(v->ow,
                                                           VCONV_QC_AMX_PIX);
    *flat = false;
    if (v->sh == 1 && v->sw == 1) {
        const double run = (double)v->oh * (v->ow + (v->kw - 1) * v->dw);
        const double f = ceil(run / VCONV_QC_AMX_PIX);
        if (f < rows && run < INT32_MAX / 2) {
            *flat = true;
            return f;
        }
    }
    return rows;
}

static bool q_supports(uint32_t kind, const vconv_qisa *isa,
                       const vconv_problem *p, char *why, size_t len)
{
    if (vconv_problem_kind(p) != kind) {
        snprintf(why, len, "not %s", kind == VCONV_DT_INT8 ? "int8" : "bf16");
        return false;
    }
    /* the padded input (qconv.h) of every image and group, at the widest
       tile's overrun, in 64 bits: huge paddings are the reference's */
    const int per = per_of(kind, isa->dom);
    int64_t ihp = (int64_t)(p->oh - 1) * p->sh + (int64_t)(p->kh - 1) * p->dh +
                  1;
    int64_t iwp = (int64_t)(p->ow + 27) * p->sw + (int64_t)(p->kw - 1) * p->dw +
                  1 + p->sw;
    double bytes = (double)ihp * iwp * vconv_div_up(p->icg, per) * 4.0 *
                   p->mb * p->g;
    if (ihp > INT32_MAX || iwp > INT32_MAX || bytes > 4294967296.0) {
        snprintf(why, len, "padded input too large (%.3g bytes)", bytes);
        return false;
    }
    return true;
}

static void q_destroy(void *state)
{
    vconv_qplan *pl = state;
    vconv_free(pl->w);
    vconv_free(pl->bias_i);
    vconv_free(pl->bias_f);
    vconv_free(pl->scale);
    vconv_free(pl->tapoff);
    free(pl);
}

/* Fold the kernel width into the channels when that pads fewer of them
   and the window is small (qconv.h, vconv_qplan.fold): int8 on the vector
   kernels; int8 and bf16 first layers on AMX. */
static bool want_fold(const vconv_problem *p, int per, bool pix)
{
    const int k = p->kw * p->icg;
    const bool i8 = vconv_problem_kind(p) == VCONV_DT_INT8;
    if (per == 1 || p->kw == 1)
        return false;
    /* AMX: a tile multiply costs the same for 1 to 16 groups of K, so on
       a first layer (<= 4 groups) a window of <= 2 K steps (128 bytes)
       costs about kw / 2 times fewer (AlexNet conv1 bf16: 33 values in 2
       steps a tap row, not 11 taps of 2 groups); on wider layers the
       padded input kw times the size cost more than the multiplies saved
       (CIFAR-VGG conv1_2 int8, 32 channels: 1.6x oneDNN unfolded, 0.9x
       folded) */
    if (pix)
        return vconv_div_up(p->icg, per) <= 4 && k * (i8 ? 1 : 2) <= 128;
    if (!i8 || k > 64)
        return false;
    return (double)vconv_round_up(k, per) / k <
           (double)vconv_round_up(p->icg, per) / p->icg - 1e-9;
}

/* The problem the kernel sees under fold. */
static vconv_problem folded(const vconv_problem *p)
{
    vconv_problem v = *p;
    v.icg = p->kw * p->icg;
    v.ic = v.icg * p->g;
    v.kw = v.dw = v.sw = 1;
    v.pl = v.pr = 0;
    v.iw = p->ow;
    return v;
}

/* The estimate, in seconds: the products at the ISA's nominal scale times
   the dot product's width (4 int8 or 2 16-bit products a lane) at the
   efficiency of the tile and the channel padding, plus the epilogue of
   every 16-channel output vector (Q_VEC_CYCLES: it and the padded rows
   were most of the first layers' time, 25088 outputs of MNIST's conv1 in
   11.8 us on a Sapphire Rapids core, against ~1 us of products). AMX
   counts its tile multiplies instead, each the same whatever its K
   (measured: tdpbusd issues once every ~18 cycles with 1 to 16 rows of K,
   Q_TDP_L1; AlexNet conv4 ran at one every ~32, Q_TDP_L2, a row call's
   weights, 110 KB, from L2), so a layer of few channel groups (a first
   layer) goes to the vector kernel. */
#define Q_NOMINAL_HZ 3.5e9 /* the nominal scale's clock (select.c) */
#define Q_VEC_CYCLES 9.5
#define Q_TDP_L1 18.0
#define Q_TDP_L2 32.0
#define Q_TDP_L1_BYTES 32768.0 /* a row call's weights that stay in L1 */
static double q_estimate(uint32_t kind, const vconv_qisa *isa,
                         const vconv_problem *p)
{
    const int per = per_of(kind, isa->dom);
    const double vecs = (double)p->mb * p->g * p->oh * p->ow *
                        vconv_div_up(p->ocg, VCONV_QC_V);
    const double epi = vecs * Q_VEC_CYCLES / Q_NOMINAL_HZ;
    if (isa->pix) {
        const vconv_problem v = want_fold(p, per, true) ? folded(p) : *p;
        int kt, ks, nb, ur;
        amx_k(vconv_div_up(v.icg, per), &kt, &ks);
        const int nbl = vconv_div_up(v.ocg, VCONV_QC_V);
        plan_tile(&v, isa, nbl, &nb, &ur);
        /* tile multiplies: pixel blocks x channel vectors x K steps */
        bool flat;
        const double blocks = amx_blocks(&v, &flat);
        const double tdp = (double)v.mb * v.g * blocks *
                           vconv_round_up(nbl, nb) * v.kh * v.kw * ks;
        const double wbytes =
            (double)v.kh * v.kw * kt * ks * nb * VCONV_QC_V * 4;
        const double c = wbytes <= Q_TDP_L1_BYTES ? Q_TDP_L1 : Q_TDP_L2;
        return (tdp * c / Q_NOMINAL_HZ + epi) / p->threads;
    }
    int nbl = vconv_div_up(p->ocg, VCONV_QC_V), nb = 1, ur = 1;
    plan_tile(p, isa, nbl, &nb, &ur);
    double eff = (double)p->icg / vconv_round_up(p->icg, per) *
                 ((double)p->ocg / (vconv_round_up(nbl, nb) * VCONV_QC_V)) *
                 ((double)p->ow / vconv_round_up(p->ow, ur)) * 0.8;
    /* the nominal scale assumes two full-width FMAs a cycle */
    const double rate = isa->model == VCONV_QR_FMA
                            ? vconv_machine_peak_frac(isa->isa)
                        : isa->model == VCONV_QR_BF16DOT
                            ? vconv_machine_bf16dot() / 2.0
                            : isa->rate;
    if (rate <= 0)
        return INFINITY;
    return vconv_problem_flops(p) /
               (vconv_isa_nominal_gflops(isa->isa) * 1e9 * per * rate *
                eff * p->threads) +
           epi / p->threads;
}

static vconv_status q_create(const vconv_problem *p, const void *weights,
                             const float *wsc, const void *bias,
                             const vconv_qisa *isa, void **state)
{
    const uint32_t kind = vconv_problem_kind(p);
    const bool i8 = kind == VCONV_DT_INT8;
    const int per = per_of(kind, isa->dom);
    vconv_qparams q = {0};
    vconv_status st;
    if (i8 && (st = vconv_qparams_init(p, wsc, bias, &q)) != VCONV_OK)
        return st;
    vconv_qplan *pl = calloc(1, sizeof *pl);
    if (!pl) {
        vconv_qparams_free(&q);
        return VCONV_ERR_NO_MEMORY;
    }
    pl->real = *p;
    pl->fold = want_fold(p, per, isa->pix);
    pl->p = pl->fold ? folded(p) : *p;
    const vconv_problem *const real = p;
    p = &pl->p; /* from here: the kernel's view */
    pl->kind = kind;
    pl->row = isa->row;
    pl->begin = isa->begin;
    pl->end = isa->end;
    pl->per = per;
    pl->dom = isa->dom;
    pl->cg = vconv_div_up(p->icg, per);
    if (isa->pix) { /* cg padded to ks steps of kt (qconv.h) */
        pl->pix = true;
        amx_k(pl->cg, &pl->kt, &pl->ks);
        pl->cg = pl->kt * pl->ks;
    }
    pl->nbl = vconv_div_up(p->ocg, VCONV_QC_V);
    plan_tile(p, isa, pl->nbl, &pl->nb, &pl->ur);
    pl->ntile = vconv_div_up(pl->nbl, pl->nb);
    pl->rows = pl->pix && p->ow <= VCONV_QC_AMX_PIX && p->oh > 1 ? 2 : 1;
    pl->ihp = (p->oh - 1) * p->sh + (p->kh - 1) * p->dh + 1;
    pl->iwp = (vconv_round_up(p->ow, pl->ur) - 1) * p->sw +
              (p->kw - 1) * p->dw + 1;
    pl->calls = vconv_div_up(p->oh, pl->rows);
    if (pl->pix)
        amx_blocks(p, &pl->flat);
    if (pl->flat) {
        /* one run of oh * iwp pixels; rows of fill past the padded input
           for the last call's 32 pixels and its taps */
        pl->rows = 1;
        pl->iwp = p->ow + (p->kw - 1) * p->dw;
        pl->calls = vconv_div_up(p->oh * pl->iwp, 2 * VCONV_QC_AMX_PIX);
        const long last = (long)pl->calls * 2 * VCONV_QC_AMX_PIX +
                          (long)(p->kh - 1) * p->dh * pl->iwp +
                          (long)(p->kw - 1) * p->dw;
        pl->ihp = vconv_max_i(pl->ihp, (int)((last + pl->iwp - 1) /
                                             pl->iwp));
    }
    pl->wph = pl->pix ? pl->iwp : vconv_div_up(pl->iwp, p->sw);
    pl->rowsz = pl->pix ? (size_t)pl->iwp * pl->cg
                        : (size_t)p->sw * pl->cg * pl->wph;
    /* the zero point in the kernel's domain (see VCONV_QD_*) */
    const int zx_u8 = p->src_dt == VCONV_S8 ? p->src_zp + 128 : p->src_zp;
    const int zx = pl->dom == VCONV_QD_S8 ? zx_u8 - 128 : zx_u8;
    pl->fill = !i8 ? 0
               : per == 4 ? (uint32_t)(uint8_t)zx * 0x01010101u
                          : (uint32_t)(uint16_t)zx * 0x00010001u;
    const int nbv = pl->nb * VCONV_QC_V;       /* channels a tile */
    const size_t och = (size_t)p->g * pl->ntile * nbv;
    const size_t taps = (size_t)p->kh * p->kw;
    const size_t nw = och * taps * pl->cg;
    pl->w = vconv_alloc(nw * 4);
    pl->tapoff = vconv_alloc(taps * sizeof(uint32_t));
    pl->scale = i8 ? vconv_alloc(och * sizeof(float)) : NULL;
    pl->bias_i = i8 ? vconv_alloc(och * sizeof(int32_t)) : NULL;
    pl->bias_f = i8 ? NULL : vconv_alloc(och * sizeof(float));
    if (!pl->w || !pl->tapoff || (i8 && (!pl->scale || !pl->bias_i)) ||
        (!i8 && !pl->bias_f)) {
        vconv_qparams_free(&q);
        q_destroy(pl);
        return VCONV_ERR_NO_MEMORY;
    }
    for (int i = 0; i < p->kh; i++)
        for (int j = 0; j < p->kw; j++) {
            const int col = j * p->dw;
            pl->tapoff[i * p->kw + j] =
                pl->pix ? (uint32_t)((size_t)i * p->dh * pl->rowsz +
                                     (size_t)col * pl->cg)
                        : (uint32_t)((size_t)i * p->dh * pl->rowsz +
                                     (size_t)(col % p->sw) * pl->cg *
                                         pl->wph +
                                     (size_t)(col / p->sw));
        }
    if (vconv_verbose_level() >= 2)
        vconv_log("%s plan: tile %d x %d pixels (%d tiles of %d channels), "
                  "%d channel groups of %d%s%s, padded input %d x %d",
                  isa->name, pl->nb * VCONV_QC_V, pl->ur, pl->ntile,
                  pl->nb * VCONV_QC_V, pl->cg, per,
                  pl->fold ? " (kernel width folded in)" : "",
                  pl->flat        ? " (flat walk)"
                  : pl->rows == 2 ? " (2 rows a call)"
                                  : "",
                  pl->ihp, pl->iwp);
    pl->lo = q.lo;
    pl->hi = q.hi;
    pl->zp = q.zp;
    if (!i8 && p->act == VCONV_ACT_RELU)
        pl->lo = 0;
    const int8_t *w8 = weights;
    const uint16_t *w16 = weights;
    const float *bf = bias;
    for (int g = 0; g < p->g; g++)
        for (int t = 0; t < pl->ntile; t++)
            for (int v = 0; v < nbv; v++) {
                const int oi = t * nbv + v;          /* in the group */
                const size_t slot = ((size_t)g * pl->ntile + t) * nbv + v;
                const bool live = oi < p->ocg;
                const int o = g * p->ocg + oi;
                int64_t sumw = 0;
                const int b = v / VCONV_QC_V, l = v % VCONV_QC_V;
                for (size_t tap = 0; tap < taps; tap++)
                    for (int c = 0; c < pl->cg; c++) {
                        uint32_t u = 0;
                        for (int e = 0; e < per && live; e++) {
                            int ch = c * per + e;
                            if (ch >= p->icg)
                                break;
                            /* the user's weight: under fold, the kernel's
                               channel ch is (j, channel) of tap row `tap` */
                            const int rc = pl->fold ? ch % real->icg : ch;
                            const size_t rt =
                                pl->fold ? tap * real->kw + ch / real->icg
                                         : tap;
                            size_t at = ((size_t)o * real->icg + rc) *
                                            ((size_t)real->kh * real->kw) +
                                        rt;
                            if (i8 && per == 4) {
                                sumw += w8[at];
                                u |= (uint32_t)(uint8_t)w8[at] << (8 * e);
                            } else if (i8) {
                                sumw += w8[at];
                                u |= (uint32_t)(uint16_t)(int16_t)w8[at]
                                     << (16 * e);
                            } else if (per == 1) {
                                u = (uint32_t)w16[at] << 16; /* to float */
                            } else {
                                u |= (uint32_t)w16[at] << (16 * e);
                            }
                        }
                        size_t at = ((((size_t)g * pl->ntile + t) * taps +
                                      tap) * pl->cg + c) * nbv +
                                    (size_t)b * VCONV_QC_V + l;
                        pl->w[at] = u;
                    }
                if (i8) {
                    /* bias - zp * sum(w) modulo 2^32 (see the top) */
                    uint32_t bi = live ? (uint32_t)q.bias[o] : 0;
                    bi -= (uint32_t)zx * (uint32_t)(int32_t)sumw;
                    int32_t bs;
                    memcpy(&bs, &bi, 4);
                    pl->bias_i[slot] = bs;
                    pl->scale[slot] = live ? q.scale[o] : 1.0f;
                } else {
                    pl->bias_f[slot] = live && bf ? bf[o] : 0.0f;
                }
            }
    vconv_qparams_free(&q);
    *state = pl;
    return VCONV_OK;
}

#define ENTRY_FNS(tag, kind_, isa_)                                            \
    static bool tag##_supports(const vconv_problem *p, char *why, size_t len) \
    {                                                                          \
        return q_supports(kind_, &isa_, p, why, len);                          \
    }                                                                          \
    static double tag##_estimate(const vconv_problem *p, char *why,           \
                                 size_t len)                                  \
    {                                                                          \
        (void)why;                                                             \
        (void)len;                                                             \
        return q_estimate(kind_, &isa_, p);                                    \
    }                                                                          \
    static vconv_status tag##_create(const vconv_problem *p, const void *w,   \
                                     const float *wsc, const void *b,         \
                                     void **state)                            \
    {                                                                          \
        return q_create(p, w, wsc, b, &isa_, state);                           \
    }
#if VCONV_ARCH_X86_64
ENTRY_FNS(vnni512, VCONV_DT_INT8, isa_vnni512)
ENTRY_FNS(amx512, VCONV_DT_INT8, isa_amx512)
ENTRY_FNS(amxbf16, VCONV_DT_BF16, isa_amxbf16)
ENTRY_FNS(bf16_512, VCONV_DT_BF16, isa_bf16_512)
ENTRY_FNS(bf16dot_512, VCONV_DT_BF16, isa_bf16dot_512)
ENTRY_FNS(avxvnni, VCONV_DT_INT8, isa_avxvnni)
ENTRY_FNS(avx2, VCONV_DT_INT8, isa_avx2)
#endif
#if VCONV_ARCH_AARCH64
ENTRY_FNS(neondot, VCONV_DT_INT8, isa_neondot)
#endif

/* One padded row of image n, group g into xr[sw][cg][wph] (qconv.h). */
static void pad_row(const vconv_qplan *pl, const void *src, int n, int g,
                    int yp, uint32_t *xr)
{
    const vconv_problem *p = &pl->p;
    const int iy = yp - p->pt, cg = pl->cg, sw = p->sw, wph = pl->wph;
    if (iy < 0 || iy >= p->ih) {
        for (size_t i = 0; i < pl->rowsz; i++)
            xr[i] = pl->fill;
        return;
    }
    const bool nhwc = p->layout == VCONV_NHWC;
    const bool i8 = pl->kind == VCONV_DT_INT8;
    const int per = pl->per;
    const int x0 = vconv_min_i(p->pl, pl->iwp);
    const int x1 = vconv_min_i(pl->iwp, p->pl + p->iw);
    /* the padding columns (and those past the input), every group; the
       input's columns are written whole below */
    for (int part = 0; part < 2; part++) {
        /* [0, x0), then [x1, end): the phase and column counted, no
           division a column */
        const int a = part ? vconv_max_i(x1, x0) : 0;
        const int b = part ? pl->wph * sw : x0;
        int ph = a % sw, q = a / sw;
        for (int xp = a; xp < b; xp++) {
            uint32_t *d = xr + (size_t)ph * cg * wph + q;
            for (int c = 0; c < cg; c++)
                d[(size_t)c * wph] = pl->fill;
            if (++ph == sw) {
                ph = 0;
                q++;
            }
        }
    }
    const size_t c0 = (size_t)g * p->icg;
    const uint8_t *s8 = src;
    const uint16_t *s16 = src;
    /* into the kernel's domain: u8 (and I16) flip an s8 src's sign bit
       (+128), S8 flips a u8 src's (-128) */
    const bool to_s8 = pl->dom == VCONV_QD_S8;
    const uint8_t flip = (p->src_dt == VCONV_S8) != to_s8 ? 0x80 : 0;
    /* NHWC: a pixel's channels are consecutive; NCHW: a channel's row is */
    const size_t cstep = nhwc ? 1 : (size_t)p->ih * p->iw;
    const size_t xstep = nhwc ? (size_t)p->ic : 1;
    const size_t base = nhwc ? ((size_t)n * p->ih + iy) * p->iw * p->ic + c0
                             : ((size_t)n * p->ic + c0) * p->ih * p->iw +
                                   (size_t)iy * p->iw;
    /* NHWC, 4 values a word: a pixel's groups are consecutive words; with
       a channel count that is not a multiple of 4 (3-channel first
       layers) the last word's bytes past the group are the next pixel's,
       replaced by the zero point (little endian: the low bytes are the
       group's), except where that 4-byte load would leave the tensor (the
       byte loop below then). The byte loop cost more than the kernel on
       cifar_torch conv1. Same words, bit for bit. */
    const size_t tensor = (size_t)p->mb * p->ih * p->iw * p->ic;
    int xe = x1;
    if (nhwc && per == 4 && p->icg % 4 != 0)
        while (xe > x0 && base + (size_t)(xe - 1 - p->pl) * xstep +
                                  4 * (size_t)cg > tensor)
            xe--;
    if (nhwc && (per == 4 || per == 1)) {
        const uint32_t f4 = flip * 0x01010101u;
        const int tail = per == 4 ? p->icg - 4 * (cg - 1) : 4; /* 1..4 */
        const uint32_t keep =
            tail >= 4 ? 0xffffffffu : (1u << (8 * tail)) - 1u;
        /* 4 values a word: phase by phase and group by group, so each
           inner loop stores one run of consecutive words (loads a pixel
           apart); pixel by pixel it cost ~5 cycles a word, the stores
           going to cg different lines (a third of cifar_torch conv2's
           int8 run) */
        for (int ph = 0; per == 4 && ph < sw; ph++) {
            const int xa = x0 + ((ph - x0 % sw) % sw + sw) % sw;
            if (xa >= xe)
                continue;
            const int n = (xe - 1 - xa) / sw + 1;
            const uint8_t *s0 = s8 + base + (size_t)(xa - p->pl) * xstep;
            const size_t step = (size_t)sw * xstep;
            uint32_t *d0 = xr + (size_t)ph * cg * wph + xa / sw;
            for (int c = 0; c < cg; c++) {
                const uint8_t *sc = s0 + 4 * (size_t)c;
                uint32_t *dc = d0 + (size_t)c * wph;
                if (c < cg - 1 || tail == 4) {
                    for (int k = 0; k < n; k++) {
                        uint32_t u;
                        memcpy(&u, sc + (size_t)k * step, 4);
                        dc[k] = u ^ f4;
                    }
                } else {
                    for (int k = 0; k < n; k++) {
                        uint32_t u;
                        memcpy(&u, sc + (size_t)k * step, 4);
                        dc[k] = ((u ^ f4) & keep) | (pl->fill & ~keep);
                    }
                }
            }
        }
        /* one value a word (bf16 widened): pixel by pixel */
        int ph = x0 % sw, q = x0 / sw;
        for (int xp = x0; per == 1 && xp < xe; xp++) {
            const size_t at = base + (size_t)(xp - p->pl) * xstep;
            uint32_t *d = xr + (size_t)ph * cg * wph + q;
            const uint16_t *sp = s16 + at;
            for (int c = 0; c < cg; c++)
                d[(size_t)c * wph] = (uint32_t)sp[c] << 16;
            if (++ph == sw) {
                ph = 0;
                q++;
            }
        }
        if (xe == x1)
            return;
    }
    for (int xp = nhwc && (per == 4 || per == 1) ? xe : x0; xp < x1; xp++) {
        const size_t at = base + (size_t)(xp - p->pl) * xstep;
        uint32_t *d = xr + (size_t)(xp % sw) * cg * wph + xp / sw;
        if (per == 4) {
            for (int c = 0; c < cg; c++) {
                uint32_t u = pl->fill;
                for (int e = 0; e < 4; e++) {
                    const int ch = c * 4 + e;
                    if (ch >= p->icg)
                        break;
                    u &= ~(0xffu << (8 * e));
                    u |= (uint32_t)(s8[at + ch * cstep] ^ flip) << (8 * e);
                }
                d[(size_t)c * wph] = u;
            }
            continue;
        }
        if (per == 1) { /* bf16 widened to float32 */
            for (int c = 0; c < cg; c++)
                d[(size_t)c * wph] = (uint32_t)s16[at + c * cstep] << 16;
            continue;
        }
        for (int c = 0; c < cg; c++) {
            uint32_t u = pl->fill;
            for (int e = 0; e < 2; e++) {
                const int ch = c * 2 + e;
                if (ch >= p->icg)
                    break;
                u &= ~(0xffffu << (16 * e));
                u |= (uint32_t)(i8 ? (uint16_t)(s8[at + ch * cstep] ^ flip)
                                   : s16[at + ch * cstep])
                     << (16 * e);
            }
            d[(size_t)c * wph] = u;
        }
    }
}

/* pad_row_fold for bf16 (AMX only, pixel-major): column x holds output
   column x's window (taps j, then channels) as 16-bit values, 0 outside
   the input and past the window. NHWC, groups 1, dilation 1: the row
   padded once into raw and the windows read from it as words (as the
   int8 path below); else value by value. */
static void pad_row_fold16(const vconv_qplan *pl, const void *src, int n,
                           int g, int yp, uint32_t *xr)
{
    const vconv_problem *p = &pl->real;
    const int iy = yp - p->pt, cg = pl->cg, wph = pl->wph;
    const int icg = p->icg, kw = p->kw, kwin = kw * icg;
    const bool row_in = iy >= 0 && iy < p->ih;
    const uint16_t *s16 = src;
    enum { RAW = 2048 }; /* 16-bit values */
    const size_t rawn = ((size_t)(wph - 1) * p->sw + kw) * p->ic;
    if (p->layout == VCONV_NHWC && p->dw == 1 && p->g == 1 &&
        rawn + 2 <= RAW) {
        uint16_t raw[RAW];
        memset(raw, 0, (rawn + 2) * 2);
        const size_t at = (size_t)p->pl * p->ic;
        if (row_in && at < rawn) {
            size_t nv = (size_t)p->iw * p->ic;
            if (nv > rawn - at)
                nv = rawn - at;
            memcpy(raw + at, s16 + ((size_t)n * p->ih + iy) * p->iw * p->ic,
                   nv * 2);
        }
        const int full = kwin / 2;          /* whole pairs of the window */
        const size_t step = (size_t)p->sw * p->ic;
        for (int x = 0; x < wph; x++) {
            const uint16_t *w = raw + (size_t)x * step;
            uint32_t *d = xr + (size_t)x * cg;
            uint32_t u;
            for (int c = 0; c < full; c++) {
                memcpy(&u, w + 2 * c, 4);
                d[c] = u;
            }
            int c = full;
            if (kwin & 1)
                d[c++] = w[kwin - 1]; /* the low half: the last value */
            for (; c < cg; c++)
                d[c] = 0;
        }
        return;
    }
    memset(xr, 0, (size_t)wph * cg * 4);
    if (!row_in)
        return;
    for (int x = 0; x < vconv_min_i(wph, p->ow); x++) {
        uint16_t *d = (uint16_t *)(void *)(xr + (size_t)x * cg);
        for (int j = 0; j < kw; j++) {
            const int ix = x * p->sw - p->pl + j * p->dw;
            if (ix < 0 || ix >= p->iw)
                continue;
            for (int c = 0; c < icg; c++) {
                const size_t ch = (size_t)g * icg + c;
                d[j * icg + c] =
                    p->layout == VCONV_NHWC
                        ? s16[(((size_t)n * p->ih + iy) * p->iw + ix) *
                                  p->ic + ch]
                        : s16[(((size_t)n * p->ic + ch) * p->ih + iy) *
                                  p->iw + ix];
            }
        }
    }
}

/* One padded row under fold: column x holds output column x's window
   (kernel taps j, then channels), the zero point outside the input; the
   window is put together in t[] and stored as groups. */
static void pad_row_fold(const vconv_qplan *pl, const void *src, int n,
                         int g, int yp, uint32_t *xr)
{
    const vconv_problem *p = &pl->real;
    const int iy = yp - p->pt, cg = pl->cg, wph = pl->wph, per = pl->per;
    const int icg = p->icg, kw = p->kw;
    /* a column's first word and a group's stride: pixel-major (AMX) or
       group-major */
    const size_t xs = pl->pix ? (size_t)cg : 1, gs = pl->pix ? 1 : (size_t)wph;
    const bool nhwc = p->layout == VCONV_NHWC, row_in = iy >= 0 && iy < p->ih;
    const uint8_t *s8 = src;
    const bool to_s8 = pl->dom == VCONV_QD_S8;
    const uint8_t flip = (p->src_dt == VCONV_S8) != to_s8 ? 0x80 : 0;
    const uint8_t zb = (uint8_t)pl->fill; /* the zero point (low byte) */
    const size_t c0 = (size_t)g * icg;
    uint8_t t[128 + 4];
    const int kwin = kw * icg; /* the window's values; cg * per >= kwin */
    if (pl->kind == VCONV_DT_BF16) {
        pad_row_fold16(pl, src, n, g, yp, xr);
        return;
    }
    /* NHWC, groups 1, dilation 1, 4 values a word, a row that fits raw:
       the row padded once (the zero point around the input's bytes, which
       are flipped into the kernel's domain), then every column's window
       is kw * ic consecutive bytes of it, read as words. Per column that
       is cg loads and stores; the paths below tested every column's
       window against the row's ends and built the edge columns byte by
       byte, 40% of MNIST conv1's time under AMX. Same words, bit for bit,
       for the output columns (x < ow; the columns past them are never
       stored). */
    enum { RAW = 4096 };
    const size_t rawb = ((size_t)(wph - 1) * p->sw + kw) * p->ic;
    if (nhwc && per == 4 && p->dw == 1 && p->g == 1 && rawb + 4 <= RAW) {
        uint8_t raw[RAW];
        memset(raw, zb, rawb + 4);
        const size_t at = (size_t)p->pl * p->ic;
        if (row_in && at < rawb) {
            const uint8_t *sp = s8 + ((size_t)n * p->ih + iy) * p->iw * p->ic;
            size_t nbytes = (size_t)p->iw * p->ic;
            if (nbytes > rawb - at)
                nbytes = rawb - at;
            for (size_t k = 0; k < nbytes; k++)
                raw[at + k] = sp[k] ^ flip;
        }
        const int last = kwin - 4 * ((kwin - 1) / 4); /* 1..4 bytes */
        const uint32_t keep =
            last >= 4 ? 0xffffffffu : (1u << (8 * last)) - 1u;
        const int full = (kwin - 1) / 4; /* whole words of the window */
        const size_t step = (size_t)p->sw * p->ic;
        for (int x = 0; x < wph; x++) {
            const uint8_t *w = raw + (size_t)x * step;
            uint32_t *d = xr + x * xs;
            uint32_t u;
            for (int c = 0; c < full; c++) {
                memcpy(&u, w + 4 * c, 4);
                d[(size_t)c * gs] = u;
            }
            memcpy(&u, w + 4 * full, 4);
            d[(size_t)full * gs] = (u & keep) | (pl->fill & ~keep);
            for (int c = full + 1; c < cg; c++)
                d[(size_t)c * gs] = pl->fill;
        }
        return;
    }
    /* NHWC, groups 1, dilation 1, 4 values a word: a window inside the
       row is kw * ic consecutive bytes, its words read straight from the
       src (a 4-byte load each; the bytes past the window replaced by the
       zero point) where the last word's load stays inside the tensor. The
       byte buffer below cost ~10x the kernel on the first layers (memcpy
       and memset calls of a few bytes a column). Same words, bit for bit. */
    const bool words = nhwc && per == 4 && p->dw == 1 && p->g == 1 && row_in;
    const size_t tensor = (size_t)p->mb * p->ih * p->iw * p->ic;
    const uint32_t flip4 = (uint32_t)flip * 0x01010101u;
    for (int x = 0; x < wph; x++) {
        const int ix0 = x * p->sw - p->pl;
        if (words && x < p->ow && ix0 >= 0 && ix0 + kw <= p->iw) {
            const size_t at =
                (((size_t)n * p->ih + iy) * p->iw + ix0) * p->ic;
            if (at + 4 * (size_t)cg <= tensor) {
                uint32_t *d = xr + x * xs;
                for (int c = 0; c < cg; c++) {
                    uint32_t u;
                    memcpy(&u, s8 + at + 4 * (size_t)c, 4);
                    const int nb = kwin - 4 * c; /* window bytes here */
                    if (nb <= 0) { /* a padded group (AMX) */
                        u = pl->fill;
                    } else if (nb >= 4) {
                        u ^= flip4;
                    } else { /* little endian: bytes 0..nb-1 are ours */
                        const uint32_t keep = (1u << (8 * nb)) - 1u;
                        u = ((u ^ flip4) & keep) | (pl->fill & ~keep);
                    }
                    d[(size_t)c * gs] = u;
                }
                continue;
            }
        }
        if (nhwc && row_in && x < p->ow && p->dw == 1 && p->g == 1 &&
            ix0 >= 0 && ix0 + kw <= p->iw) {
            /* the whole window inside: kw * icg consecutive bytes */
            memcpy(t, s8 + (((size_t)n * p->ih + iy) * p->iw + ix0) * p->ic,
                   (size_t)kwin);
            if (flip)
                for (int k = 0; k < kwin; k++)
                    t[k] ^= flip;
            memset(t + kwin, zb, (size_t)(cg * per - kwin));
        } else {
            memset(t, zb, sizeof t);
        }
        for (int j = 0; j < kw && row_in && x < p->ow &&
                        !(nhwc && p->dw == 1 && p->g == 1 && ix0 >= 0 &&
                          ix0 + kw <= p->iw);
             j++) {
            const int ix = x * p->sw - p->pl + j * p->dw;
            if (ix < 0 || ix >= p->iw)
                continue;
            uint8_t *tj = t + j * icg;
            if (nhwc) {
                const uint8_t *sp =
                    s8 + (((size_t)n * p->ih + iy) * p->iw + ix) * p->ic + c0;
                for (int c = 0; c < icg; c++)
                    tj[c] = sp[c] ^ flip;
            } else {
                const uint8_t *sp = s8 + (((size_t)n * p->ic + c0) * p->ih +
                                          iy) * p->iw + ix;
                for (int c = 0; c < icg; c++)
                    tj[c] = sp[(size_t)c * p->ih * p->iw] ^ flip;
            }
        }
        uint32_t *d = xr + x * xs;
        if (per == 4) {
            for (int c = 0; c < cg; c++) {
                uint32_t u;
                memcpy(&u, t + 4 * c, 4);
                d[(size_t)c * gs] = u;
            }
        } else { /* 16-bit words of the u8 values */
            for (int c = 0; c < cg; c++)
                d[(size_t)c * gs] =
                    (uint32_t)t[2 * c] | (uint32_t)t[2 * c + 1] << 16;
        }
    }
}

/* One padded row, pixel-major (AMX, vconv_qplan.pix): xr[iwp][cg] words,
   a pixel's channels as consecutive values (int8: bytes, an s8 src
   flipped by +128 into u8; bf16: 16-bit words), the zero point (bf16: 0)
   in the padding and past the group's channels (their weights are 0). */
static void pad_row_pix(const vconv_qplan *pl, const void *src, int n, int g,
                        int yp, uint32_t *xr)
{
    const vconv_problem *p = &pl->p;
    const int iy = yp - p->pt, iwp = pl->iwp, icg = p->icg;
    const size_t pixb = 4 * (size_t)pl->cg; /* bytes a padded pixel */
    const bool i8 = pl->kind == VCONV_DT_INT8;
    const size_t es = i8 ? 1 : 2, cb = (size_t)icg * es; /* channel bytes */
    const uint8_t zb = (uint8_t)pl->fill;                /* bf16: 0 */
    uint8_t *d8 = (uint8_t *)xr;
    if (iy < 0 || iy >= p->ih) {
        memset(d8, zb, (size_t)iwp * pixb);
        return;
    }
    const int x0 = vconv_min_i(p->pl, iwp);
    const int x1 = vconv_max_i(x0, vconv_min_i(iwp, p->pl + p->iw));
    memset(d8, zb, (size_t)x0 * pixb);
    memset(d8 + (size_t)x1 * pixb, zb, (size_t)(iwp - x1) * pixb);
    const uint8_t flip = i8 && p->src_dt == VCONV_S8 ? 0x80 : 0;
    const size_t c0 = (size_t)g * icg;
    if (p->layout == VCONV_NHWC) {
        const uint8_t *s = (const uint8_t *)src +
                           (((size_t)n * p->ih + iy) * p->iw * p->ic + c0) *
                               es;
        if (p->g == 1 && cb == pixb) {
            /* the padded pixel is the src pixel: one run a row (a copy a
               pixel was a fifth of CIFAR-VGG conv1_2's bf16 time) */
            const uint8_t *sp = s + (size_t)(x0 - p->pl) * cb;
            uint8_t *dp = d8 + (size_t)x0 * pixb;
            const size_t nb = (size_t)(x1 - x0) * pixb;
            if (flip)
                for (size_t k = 0; k < nb; k++)
                    dp[k] = sp[k] ^ flip;
            else
                memcpy(dp, sp, nb);
            return;
        }
        for (int x = x0; x < x1; x++) {
            const uint8_t *sp = s + (size_t)(x - p->pl) * p->ic * es;
            uint8_t *dp = d8 + (size_t)x * pixb;
            if (flip)
                for (size_t c = 0; c < cb; c++)
                    dp[c] = sp[c] ^ flip;
            else
                memcpy(dp, sp, cb);
            memset(dp + cb, zb, pixb - cb);
        }
        return;
    }
    for (int x = x0; x < x1; x++)
        memset(d8 + (size_t)x * pixb + cb, zb, pixb - cb);
    const size_t hw = (size_t)p->ih * p->iw;
    for (int c = 0; c < icg; c++) {
        const size_t at = ((size_t)n * p->ic + c0 + c) * hw +
                          (size_t)iy * p->iw;
        if (i8) {
            const uint8_t *sp = (const uint8_t *)src + at;
            for (int x = x0; x < x1; x++)
                d8[(size_t)x * pixb + c] = sp[x - p->pl] ^ flip;
        } else {
            const uint16_t *sp = (const uint16_t *)src + at;
            for (int x = x0; x < x1; x++)
                memcpy(d8 + (size_t)x * pixb + 2 * c, sp + (x - p->pl), 2);
        }
    }
}

static vconv_status q_run(const void *state, const vconv_problem *p,
                          const void *src, void *dst)
{
    const vconv_qplan *pl = state;
    const size_t plane = (size_t)pl->ihp * pl->rowsz;   /* uint32 */
    size_t bytes;
    if (!vconv_mul_size(plane * 4, (size_t)p->mb * p->g, &bytes))
        return VCONV_ERR_NO_MEMORY;
    uint32_t *xb = vconv_scratch(VCONV_SCRATCH_SHARED, bytes);
    if (!xb)
        return VCONV_ERR_NO_MEMORY;
    const long rows = (long)p->mb * p->g * pl->ihp;
    const int ohr = pl->calls; /* row calls an image */
    const long jobs = (long)p->mb * p->g * ohr * pl->ntile;
    const size_t es = vconv_dtype_size(p->dst_dt);
    const bool nhwc = p->layout == VCONV_NHWC;
    const size_t ohw = (size_t)p->oh * p->ow;
#pragma omp parallel num_threads(p->threads)
    {
#pragma omp for schedule(static)
        for (long r = 0; r < rows; r++) {
            const int yp = (int)(r % pl->ihp);
            const long ng = r / pl->ihp;
            (pl->fold ? pad_row_fold : pl->pix ? pad_row_pix : pad_row)(
                pl, src, (int)(ng / p->g), (int)(ng % p->g), yp,
                xb + (size_t)ng * plane + (size_t)yp * pl->rowsz);
        }
        if (pl->begin)
            pl->begin(pl);
#pragma omp for schedule(static)
        for (long j = 0; j < jobs; j++) {
            /* (image, group, tile, row call); AMX: row calls fastest, so
               that a thread's consecutive calls share their weights (a
               tile's, in L2: AlexNet conv4 bf16 has 2.6 MB of them) */
            long k = j;
            int t, yc;
            if (pl->pix) {
                yc = (int)(k % ohr);
                k /= ohr;
                t = (int)(k % pl->ntile);
                k /= pl->ntile;
            } else {
                t = (int)(k % pl->ntile);
                k /= pl->ntile;
                yc = (int)(k % ohr);
                k /= ohr;
            }
            const int y = yc * pl->rows;
            const int yd = pl->flat ? 0 : y; /* the dst row: the image's */
            const int g = (int)(k % p->g), n = (int)(k / p->g);
            const size_t c0 = (size_t)g * p->ocg;
            char *d = dst;
            size_t ps, cs, base;
            if (nhwc) {
                ps = (size_t)p->oc;
                cs = 1;
                base = ((size_t)n * p->oh + yd) * p->ow * p->oc + c0;
            } else {
                ps = 1;
                cs = ohw;
                base = ((size_t)n * p->oc + c0) * ohw + (size_t)yd * p->ow;
            }
            pl->row(pl, xb + (size_t)k * plane, g, y, t, 0, p->ow,
                    d + base * es, ps, cs);
        }
        if (pl->end)
            pl->end(pl);
    }
    return VCONV_OK;
}

#define ENTRY(sym, name_, tag, isa_, kind_, needs)                              \
    const vconv_impl sym = {.name = name_,                                     \
                            .algo = VCONV_ALGO_DIRECT,                         \
                            .isa = isa_,                                       \
                            .supports = tag##_supports,                        \
                            .estimate = tag##_estimate,                        \
                            .destroy = q_destroy,                              \
                            .dtypes = kind_,                                   \
                            .cpu_needs = needs,                                \
                            .create_q = tag##_create,                          \
                            .run_q = q_run};
#if VCONV_ARCH_X86_64
ENTRY(vconv_impl_direct_int8_avx512, "direct_int8.avx512", vnni512,
      VCONV_ISA_AVX512, VCONV_DT_INT8, VCONV_CPU_X86_AVX512VNNI)
ENTRY(vconv_impl_direct_int8amx_avx512, "direct_int8amx.avx512", amx512,
      VCONV_ISA_AVX512, VCONV_DT_INT8, VCONV_CPU_X86_AMX)
ENTRY(vconv_impl_direct_bf16amx_avx512, "direct_bf16amx.avx512", amxbf16,
      VCONV_ISA_AVX512, VCONV_DT_BF16,
      VCONV_CPU_X86_AMXBF16 | VCONV_CPU_X86_AVX512BF16)
ENTRY(vconv_impl_direct_bf16_avx512, "direct_bf16.avx512", bf16_512,
      VCONV_ISA_AVX512, VCONV_DT_BF16, 0)
ENTRY(vconv_impl_direct_bf16dot_avx512, "direct_bf16dot.avx512", bf16dot_512,
      VCONV_ISA_AVX512, VCONV_DT_BF16, VCONV_CPU_X86_AVX512BF16)
ENTRY(vconv_impl_direct_int8vnni_avx2, "direct_int8vnni.avx2", avxvnni,
      VCONV_ISA_AVX2, VCONV_DT_INT8, VCONV_CPU_X86_AVXVNNI)
ENTRY(vconv_impl_direct_int8_avx2, "direct_int8.avx2", avx2, VCONV_ISA_AVX2,
      VCONV_DT_INT8, 0)
#endif
#if VCONV_ARCH_AARCH64
ENTRY(vconv_impl_direct_int8_neon, "direct_int8.neon", neondot,
      VCONV_ISA_NEON, VCONV_DT_INT8, VCONV_CPU_ARM_DOTPROD)
#endif
