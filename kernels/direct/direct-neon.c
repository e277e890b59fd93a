/*
 * direct-neon.c - AArch64 NEON direct-convolution microkernels (V = 8,
 * nChw8c: the blocking of direct.scalar and direct.avx2, so the driver,
 * the packing and the conversions need nothing new). The loop nests are
 * direct-tiles.h's; this file gives them a vocabulary whose vector is a
 * pair of q registers (channels 0-3 and 4-7 of a block) and instantiates
 * every tile the planner may ask for. NEON is baseline on AArch64: no
 * flags needed.
 *
 * Why nChw8c and not nChw4c (one q a vector): 32 q registers hold what 16
 * ymm hold, so the AVX2 tile shapes and register plans carry over one for
 * one, and so do the tests' nChw8c cases and the layouts; a 4-channel
 * block would double the broadcasts and the loop trips per FMA.
 *
 * Register plans (32 q; a vector = 2 q, a broadcast 1 q: both halves of
 * dv_set1 are one value):
 *   channel-vector tile UR x NB (UR pixels x NB blocks of 8 output
 *   channels): 2 UR NB accumulators + 2 NB weights + 1 broadcast (NB <=
 *   UR), or + UR broadcasts + 2 for the streamed weight vector (UR < NB):
 *   14 x 1 (28 + 2 + 1 = 31), 6 x 2 (24 + 4 + 1), 4 x 3 (24 + 6 + 1 = 31),
 *   3 x 4 (24 + 3 + 2), 2 x 5 (20 + 2 + 2), 2 x 6 (24 + 2 + 2). Per input
 *   channel of a tap: NB weight loads (2 q each), UR broadcast loads
 *   (ld1r), 2 UR NB FMAs.
 *   width-vector tile NO x NV (NO output channels x NV vectors of 8
 *   pixels): 2 NO NV accumulators + 2 NV inputs + 1 broadcast: 14 x 1,
 *   6 x 2, 4 x 3, 2 x 4.
 * Masked loads and stores (channel tails of NHWC dst, rows narrower than
 * 8 in the width-vector kernel) go lane by lane: NEON has no masked
 * moves, and lanes past the count are neither read nor written.
 * The planner (direct.c) keeps within direct_limits_neon.
 */
#include "direct.h"

#include <arm_neon.h>
#include "../neon-helpers.h"

/* gcc's scheduling before register allocation hoists the broadcast loads
   of a step and pushes the tiles above (31 of 32 q live) into spills
   (checked in the assembly: 23 of the 90 kernels spilled accumulators
   inside the reduction loop); without it none does. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-schedule-insns")
#endif

#define DV 8
typedef struct {
    float32x4_t lo, hi; /* lanes 0-3, 4-7 */
} dvec;
typedef int dmask;       /* lanes 0 .. n-1 */

static inline dvec dv_load(const float *p)
{
    return (dvec){vld1q_f32(p), vld1q_f32(p + 4)};
}
static inline void dv_store(float *p, dvec v)
{
    vst1q_f32(p, v.lo);
    vst1q_f32(p + 4, v.hi);
}
static inline dvec dv_load_m(const float *p, dmask n)
{
    if (n >= 4)
        return (dvec){vld1q_f32(p), vconv_neon_load_part(p + 4, n - 4)};
    return (dvec){vconv_neon_load_part(p, n), vdupq_n_f32(0.0f)};
}
static inline void dv_store_m(float *p, dmask n, dvec v)
{
    if (n >= 4) {
        vst1q_f32(p, v.lo);
        vconv_neon_store_part(p + 4, v.hi, n - 4);
    } else {
        vconv_neon_store_part(p, v.lo, n);
    }
}
static inline dvec dv_set1(float x)
{
    const float32x4_t v = vdupq_n_f32(x);
    return (dvec){v, v};
}
static inline dvec dv_zero(void) { return dv_set1(0.0f); }
/* a * b + c, fused */
static inline dvec dv_fma(dvec a, dvec b, dvec c)
{
    return (dvec){vfmaq_f32(c.lo, a.lo, b.lo), vfmaq_f32(c.hi, a.hi, b.hi)};
}
/* fmax: a NaN in either operand gives NaN (the tiles call dv_max(acc,
   0): a NaN sum stays NaN, as with the other ISAs) */
static inline dvec dv_max(dvec a, dvec b)
{
    return (dvec){vmaxq_f32(a.lo, b.lo), vmaxq_f32(a.hi, b.hi)};
}
#define dmask_first(n) ((dmask)(n))
/* prfm never faults: the tiles prefetch weights past their end */
#define dv_prefetch(p) __builtin_prefetch((const void *)(p))

#include "direct-tiles.h"

#define DEF_WV(NV, unused, NO)                                                \
    static void wv_##NO##_##NV(const direct_wv_args *a) DIRECT_WV_BODY(NO, NV)
#define ENT_WV(NV, unused, NO) [NO][NV] = wv_##NO##_##NV,

/* The channel-vector tile shapes: M(X, nb, ur) for every ur up to
   the register file's limit of each nb (direct-tiles.h instantiates
   them for every source addressing) */
#define DIRECT_TILES(M, X) \
    DIRECT_REP_14(M, X, 1) DIRECT_REP_6(M, X, 2) DIRECT_REP_4(M, X, 3) \
    DIRECT_REP_3(M, X, 4) DIRECT_REP_2(M, X, 5) DIRECT_REP_2(M, X, 6)
#define WV_LIST(M)                                                            \
    DIRECT_REP_14(M, 1, 0) DIRECT_REP_6(M, 2, 0) DIRECT_REP_4(M, 3, 0)       \
    DIRECT_REP_2(M, 4, 0)

DIRECT_DEFINE_UKRS
WV_LIST(DEF_WV)

const direct_ukr_table vconv_direct_ukr_neon = {DIRECT_UKR_ENTRIES};
const direct_wv_table vconv_direct_wv_neon = {WV_LIST(ENT_WV)};

/* Row buffer [ow][8] (one block of one output row, nChw8c) -> NCHW rows
   dst[c][x] = dst + c * dst_c + x for c < nvalid: 4 pixels at a time, two
   4 x 4 transposes (channels 0-3, 4-7). A last partial group of pixels
   is redone as the row's last 4 (overlapping stores of identical
   values); a row narrower than 4 is stored lane by lane. Reads only the
   ow pixels of the buffer. */
void vconv_direct_row_to_nchw_neon(const float *rowbuf, int V, int ow,
                                   int nvalid, float *dst, ptrdiff_t dst_c)
{
    (void)V;
    for (int x0 = 0; x0 < ow; x0 += 4) {
        int n = ow - x0 < 4 ? ow - x0 : 4;
        if (n < 4 && ow >= 4) {
            x0 = ow - 4;
            n = 4;
        }
        float32x4_t lo[4], hi[4];
        for (int p = 0; p < 4; p++) {
            const float *s = rowbuf + (size_t)(x0 + p) * 8;
            lo[p] = p < n ? vld1q_f32(s) : vdupq_n_f32(0.0f);
            hi[p] = p < n ? vld1q_f32(s + 4) : vdupq_n_f32(0.0f);
        }
        vconv_neon_transpose4(lo);
        vconv_neon_transpose4(hi);
        for (int c = 0; c < nvalid; c++) {
            const float32x4_t v = c < 4 ? lo[c] : hi[c - 4];
            if (n == 4)
                vst1q_f32(dst + c * dst_c + x0, v);
            else
                vconv_neon_store_part(dst + c * dst_c + x0, v, n);
        }
    }
}

/* One row of one block of an NCHW image -> nChw8c pixel vectors (the
   contract of vconv_direct_nchw_to_blocked_avx512, 8 channels): 4
   columns at a time, 8 channel loads, two 4 x 4 transposes, 4 pixel
   stores. The last partial group is redone as the row's last 4 columns
   when iw >= 4; narrower rows are read element by element. Channels
   nc .. 7 are zeros. */
void vconv_direct_nchw_to_blocked_neon(const float *src, ptrdiff_t plane,
                                       int nc, int iw, float *out, int pwc,
                                       int sw, int pl)
{
    for (int x0 = 0; x0 < iw; x0 += 4) {
        int n = iw - x0 < 4 ? iw - x0 : 4;
        if (n < 4 && iw >= 4) {
            x0 = iw - 4;
            n = 4;
        }
        float32x4_t r[8];
#pragma GCC unroll 8
        for (int i = 0; i < 8; i++)
            r[i] = i >= nc  ? vdupq_n_f32(0.0f)
                   : n == 4 ? vld1q_f32(src + i * plane + x0)
                            : vconv_neon_load_part(src + i * plane + x0, n);
        vconv_neon_transpose4(r);
        vconv_neon_transpose4(r + 4);
        int x = x0 + pl, ph = x % sw, col = x / sw;
        /* constant q after unrolling: r[] stays in registers */
#pragma GCC unroll 4
        for (int q = 0; q < 4; q++) {
            if (q >= n || col >= pwc)
                break;
            float *o = out + ((size_t)ph * pwc + col) * 8;
            vst1q_f32(o, r[q]);
            vst1q_f32(o + 4, r[4 + q]);
            if (++ph == sw) {
                ph = 0;
                col++;
            }
        }
    }
}
