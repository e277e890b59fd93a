/*
 * qconv-avx512amx.c - int8 and bf16 direct convolution on AMX (Sapphire
 * Rapids and later): tdpbusd multiplies a tile of 16 pixels x 4 * kt u8
 * activations by a tile of 4 * kt x 16 s8 weights into 16 x 16 int32,
 * tdpbf16ps 16 pixels x 2 * kt bf16 by 2 * kt x 16 bf16 into 16 x 16
 * float32 (qconv.h, VCONV_QC_AMX_PIX), then the AVX-512 epilogues of the
 * vector kernels (qconv-epi-avx512.h).
 *
 * Tile registers: tmm0-3 the accumulators of 2 pixel blocks x 2 output
 * channel blocks (16 x 16 int32 each), tmm4-5 the pixel blocks' input
 * (A), tmm6-7 the channel blocks' weights (B). A K step loads 2 + 2
 * tiles for 4 multiplies. The A tile's rows are the padded input's pixels
 * (stride_w * cg words apart, vconv_qplan.pix), the B tile's rows the
 * packed weights' channel groups (nb * 16 words apart), so neither is
 * copied again. Accumulators go through memory (tilestored) to the
 * epilogue, one 16-channel vector a pixel. The tile configuration is
 * loaded once a thread and run (vconv_qconv_amx_begin: ldtilecfg took a
 * fifth of a row call's time on MNIST's first layer).
 *
 * Built with -mamx-tile -mamx-int8 -mamx-bf16 -mavx512bf16 (CMake: the
 * file name); the dispatcher calls the int8 entry only where the CPU has
 * AMX-INT8, the bf16 one where it has AMX-BF16 and AVX512_BF16, each
 * with the OS's tile state and the process's permission (dispatch/cpu.c).
 */
#include <immintrin.h>

#include "qconv.h"
#include "qconv-epi-avx512.h"

/* The tile configuration (palette 1), as ldtilecfg reads it. */
typedef struct {
    uint8_t palette;
    uint8_t start_row;
    uint8_t reserved[14];
    uint16_t colsb[16];
    uint8_t rows[16];
} __attribute__((aligned(64))) amx_cfg;

/* The tile configuration of a plan (its kt), loaded by each thread of a
   run before its first row call (q_run); released after its last. */
VCONV_INTERNAL void vconv_qconv_amx_begin(const vconv_qplan *pl)
{
    const int kt = pl->kt;
    amx_cfg c;
    memset(&c, 0, sizeof c);
    c.palette = 1;
    for (int i = 0; i < 4; i++) { /* C: 16 pixels x 16 int32 */
        c.rows[i] = 16;
        c.colsb[i] = 64;
    }
    for (int i = 4; i < 6; i++) { /* A: 16 pixels x kt groups */
        c.rows[i] = 16;
        c.colsb[i] = (uint16_t)(4 * kt);
    }
    for (int i = 6; i < 8; i++) { /* B: kt groups x 16 channels */
        c.rows[i] = (uint8_t)kt;
        c.colsb[i] = 64;
    }
    /* ldtilecfg by hand: GCC 12 drops the stores to c before
       _tile_loadconfig(&c) as dead (the builtin's operand is not seen to
       read the struct), and the first tile instruction faults */
    __asm__ volatile("ldtilecfg %0" : : "m"(c));
}

VCONV_INTERNAL void vconv_qconv_amx_end(const vconv_qplan *pl)
{
    (void)pl;
    _tile_release();
}

/* One tile multiply: tdpbf16ps (bf16 pairs into float32) or tdpbusd. */
#define AMX_DOT(BF, c, a, b)                                                   \
    do {                                                                       \
        if (BF)                                                                \
            _tile_dpbf16ps(c, a, b);                                           \
        else                                                                   \
            _tile_dpbusd(c, a, b);                                             \
    } while (0)

/* np pixel blocks (at xa, xa + a1 bytes) x nb channel blocks over every
   tap and K step into acc[pixel block * 2 + channel block][16][16]
   (int32, or float32 for bf16). */
static inline __attribute__((always_inline)) void
amx_block(const vconv_qplan *pl, const uint8_t *xa, size_t a1,
          const uint8_t *wt, const int NP, const int NB, const int BF,
          int32_t (*acc)[16][16])
{
    const vconv_problem *p = &pl->p;
    const size_t taps = (size_t)p->kh * p->kw;
    const int kt = pl->kt, ks = pl->ks, cg = pl->cg;
    const size_t as = (size_t)p->sw * cg * 4;          /* A: bytes a row */
    const size_t bs = (size_t)pl->nb * VCONV_QC_V * 4; /* B: bytes a row */
    _tile_zero(0);
    if (NB > 1)
        _tile_zero(1);
    if (NP > 1) {
        _tile_zero(2);
        if (NB > 1)
            _tile_zero(3);
    }
    for (size_t t = 0; t < taps; t++) {
        const uint8_t *at = xa + (size_t)pl->tapoff[t] * 4;
        const uint8_t *bt = wt + t * cg * bs;
        for (int s = 0; s < ks; s++) {
            const uint8_t *a = at + (size_t)s * kt * 4;
            const uint8_t *b = bt + (size_t)s * kt * bs;
            _tile_loadd(6, b, bs);
            if (NB > 1)
                _tile_loadd(7, b + 64, bs);
            _tile_loadd(4, a, as);
            AMX_DOT(BF, 0, 4, 6);
            if (NB > 1)
                AMX_DOT(BF, 1, 4, 7);
            if (NP > 1) {
                _tile_loadd(5, a + a1, as);
                AMX_DOT(BF, 2, 5, 6);
                if (NB > 1)
                    AMX_DOT(BF, 3, 5, 7);
            }
        }
    }
    _tile_stored(0, acc[0], 64);
    if (NB > 1)
        _tile_stored(1, acc[1], 64);
    if (NP > 1) {
        _tile_stored(2, acc[2], 64);
        if (NB > 1)
            _tile_stored(3, acc[3], 64);
    }
}

/* amx_block for np pixel blocks and nb channel vectors (1 or 2 each). */
static inline __attribute__((always_inline)) void
amx_blocks(const vconv_qplan *pl, const uint8_t *xa, size_t a1,
           const uint8_t *wt, int np, int nb, const int BF,
           int32_t (*acc)[16][16])
{
    if (np == 2 && nb == 2)
        amx_block(pl, xa, a1, wt, 2, 2, BF, acc);
    else if (np == 2)
        amx_block(pl, xa, a1, wt, 2, 1, BF, acc);
    else if (nb == 2)
        amx_block(pl, xa, a1, wt, 1, 2, BF, acc);
    else
        amx_block(pl, xa, a1, wt, 1, 1, BF, acc);
}

/* qk_epi_i8 for nv pixels of one 16-channel vector, int8 dst, channels
   consecutive (NHWC): the plan's vectors loaded once (qk_epi_i8 reloads
   them after every store: a char store may alias the plan). */
static void amx_finish_i8(const vconv_qplan *pl, int32_t (*acc)[16], int nv,
                          size_t slot, char *d, size_t ps, int nch)
{
    const __mmask16 m = (__mmask16)((1u << nch) - 1);
    const __m512i bias = _mm512_loadu_si512(pl->bias_i + slot);
    const __m512 scale = _mm512_loadu_ps(pl->scale + slot);
    const __m512 lo = _mm512_set1_ps(pl->lo), hi = _mm512_set1_ps(pl->hi);
    const __m512i zp = _mm512_set1_epi32(pl->zp);
    for (int u = 0; u < nv; u++) {
        __m512i a = _mm512_add_epi32(_mm512_load_si512(acc[u]), bias);
        __m512 f = _mm512_mul_ps(_mm512_cvtepi32_ps(a), scale);
        f = _mm512_min_ps(_mm512_max_ps(f, lo), hi);
        __m512i r = _mm512_add_epi32(_mm512_cvtps_epi32(f), zp);
        _mm_mask_storeu_epi8(d + (size_t)u * ps, m, _mm512_cvtepi32_epi8(r));
    }
}

/* qk_epi_bf16 for nv pixels of one 16-channel vector, channels
   consecutive (NHWC), the bias and the ReLU decided once. */
static void amx_finish_bf16(const vconv_qplan *pl, int32_t (*acc)[16],
                            int nv, size_t slot, char *d, size_t ps,
                            int nch)
{
    const __mmask16 m = (__mmask16)((1u << nch) - 1);
    const __m512 bias = _mm512_loadu_ps(pl->bias_f + slot);
    /* ReLU as qk_epi_bf16's: max(a, 0), which is 0 for a NaN a */
    const __m512 lo = _mm512_setzero_ps();
    if (pl->p.dst_dt == VCONV_F32) {
        for (int u = 0; u < nv; u++) {
            __m512 a = _mm512_add_ps(_mm512_load_ps(acc[u]), bias);
            if (pl->p.act == VCONV_ACT_RELU)
                a = _mm512_max_ps(a, lo);
            _mm512_mask_storeu_ps(d + (size_t)u * ps * 4, m, a);
        }
        return;
    }
    for (int u = 0; u < nv; u++) {
        __m512 a = _mm512_add_ps(_mm512_load_ps(acc[u]), bias);
        if (pl->p.act == VCONV_ACT_RELU)
            a = _mm512_max_ps(a, lo);
        _mm256_mask_storeu_epi16(d + (size_t)u * ps * 2, m,
                                 (__m256i)_mm512_cvtneps_pbh(a));
    }
}

/* The epilogue of accumulator rows u0 .. u0 + nv - 1 of one block and
   channel vector into nv pixels at d, d + ps, ... (elements). */
static inline __attribute__((always_inline)) void
amx_epi(const vconv_qplan *pl, int32_t (*acc)[16], int u0, int nv,
        size_t slot, char *d, size_t ps, size_t cs, size_t es, int nc,
        const int BF, bool i8fast)
{
    if (!BF && i8fast) {
        amx_finish_i8(pl, acc + u0, nv, slot, d, ps, nc);
        return;
    }
    if (BF && cs == 1) {
        amx_finish_bf16(pl, acc + u0, nv, slot, d, ps, nc);
        return;
    }
    for (int u = 0; u < nv; u++) {
        char *du = d + (size_t)u * ps * es;
        if (BF)
            qk_epi_bf16(pl, _mm512_load_ps(acc[u0 + u]), slot, du, cs, nc);
        else
            qk_epi_i8(pl, _mm512_load_si512(acc[u0 + u]), slot, du, cs, nc);
    }
}

/* The row call of either kind (BF: bf16, else int8), see qconv.h. */
static inline __attribute__((always_inline)) void
amx_row(const vconv_qplan *pl, const uint32_t *xg, int g, int y, int tile,
        int x0, int x1, void *dst, size_t pix_stride, size_t ch_stride,
        const int BF)
{
    const vconv_problem *p = &pl->p;
    const int nb = pl->nb;
    const size_t nbv = (size_t)nb * VCONV_QC_V;
    const size_t taps = (size_t)p->kh * p->kw;
    const size_t gt = (size_t)g * pl->ntile + tile;
    const uint8_t *wt =
        (const uint8_t *)(pl->w + gt * taps * pl->cg * nbv);
    const size_t slot0 = gt * nbv;
    const int nch = p->ocg - tile * (int)nbv;
    const size_t es = vconv_dtype_size(p->dst_dt);
    char *d = (char *)dst + (size_t)tile * nbv * ch_stride * es;
    const size_t px = (size_t)p->sw * pl->cg * 4; /* bytes a pixel */
    int32_t acc[4][16][16] __attribute__((aligned(64)));
    const bool i8fast = !BF && p->dst_dt != VCONV_F32 && ch_stride == 1;
    if (pl->flat) {
        /* pixels [32 y, 32 y + 32) of the run of oh rows of iwp */
        const int iwp = pl->iwp, run = p->oh * iwp;
        const int f0 = y * 2 * VCONV_QC_AMX_PIX;
        const uint8_t *xa = (const uint8_t *)xg + (size_t)f0 * px;
        const size_t a1 = (size_t)VCONV_QC_AMX_PIX * px;
        const int np = run - f0 > VCONV_QC_AMX_PIX ? 2 : 1;
        amx_blocks(pl, xa, a1, wt, np, nb, BF, acc);
        for (int k = 0; k < np; k++)
            for (int b = 0; b < nb; b++) {
                const int left = nch - b * VCONV_QC_V;
                if (left <= 0)
                    break;
                const int nc = left < VCONV_QC_V ? left : VCONV_QC_V;
                const size_t slot = slot0 + (size_t)b * VCONV_QC_V;
                char *db = d + (size_t)b * VCONV_QC_V * ch_stride * es;
                const int fb = f0 + k * VCONV_QC_AMX_PIX;
                /* the block's pixels, a run of them a row */
                for (int u = 0; u < VCONV_QC_AMX_PIX && fb + u < run;) {
                    const int yy = (fb + u) / iwp, xx = (fb + u) % iwp;
                    if (xx >= p->ow) {
                        u += iwp - xx;
                        continue;
                    }
                    const int n = vconv_min_i(p->ow - xx,
                                              VCONV_QC_AMX_PIX - u);
                    amx_epi(pl, acc[k * 2 + b], u, n, slot,
                            db + ((size_t)yy * p->ow + xx) * pix_stride *
                                     es,
                            pix_stride, ch_stride, es, nc, BF, i8fast);
                    u += n;
                }
            }
        (void)x0;
        (void)x1;
        return;
    }
    const uint8_t *xr =
        (const uint8_t *)(xg + (size_t)y * p->sh * pl->rowsz);
    /* two rows a call (vconv_qplan.rows): block 1 is row y + 1's pixels */
    const bool two = pl->rows == 2 && y + 1 < p->oh;
    const size_t a1 = two ? (size_t)p->sh * pl->rowsz * 4
                          : (size_t)VCONV_QC_AMX_PIX * px;
    for (int x = x0; x < x1; x += 2 * VCONV_QC_AMX_PIX) {
        const uint8_t *xa = xr + (size_t)x * px;
        const int np = two || x1 - x > VCONV_QC_AMX_PIX ? 2 : 1;
        amx_blocks(pl, xa, a1, wt, np, nb, BF, acc);
        for (int k = 0; k < np; k++) {
            /* block k's first pixel and its dst (row y + 1: ow pixels on) */
            const int xk = two ? x : x + k * VCONV_QC_AMX_PIX;
            const int nv = vconv_min_i(VCONV_QC_AMX_PIX, x1 - xk);
            char *dk = d + (two && k ? (size_t)p->ow * pix_stride * es : 0);
            for (int b = 0; b < nb; b++) {
                const int left = nch - b * VCONV_QC_V;
                if (left <= 0)
                    break;
                const int nc = left < VCONV_QC_V ? left : VCONV_QC_V;
                const size_t slot = slot0 + (size_t)b * VCONV_QC_V;
                char *db = dk + (size_t)b * VCONV_QC_V * ch_stride * es;
                amx_epi(pl, acc[k * 2 + b], 0, nv, slot,
                        db + (size_t)xk * pix_stride * es, pix_stride,
                        ch_stride, es, nc, BF, i8fast);
            }
        }
    }
}

VCONV_INTERNAL void vconv_qconv_row_int8__avx512amx(
    const vconv_qplan *pl, const uint32_t *xg, int g, int y, int tile,
    int x0, int x1, void *dst, size_t pix_stride, size_t ch_stride)
{
    amx_row(pl, xg, g, y, tile, x0, x1, dst, pix_stride, ch_stride, 0);
}

VCONV_INTERNAL void vconv_qconv_row_bf16__avx512amx(
    const vconv_qplan *pl, const uint32_t *xg, int g, int y, int tile,
    int x0, int x1, void *dst, size_t pix_stride, size_t ch_stride)
{
    amx_row(pl, xg, g, y, tile, x0, x1, dst, pix_stride, ch_stride, 1);
}
