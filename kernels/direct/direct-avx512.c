/*
 * direct-avx512.c - AVX-512 direct-convolution microkernels (V = 16,
 * nChw16c). The loop nests are direct-tiles.h's; this file gives them the
 * zmm vocabulary and instantiates every tile the planner may ask for.
 *
 * Register plans (32 zmm):
 *   channel-vector tile UR x NB (UR pixels x NB blocks of 16 output
 *   channels): UR * NB accumulators + NB weight vectors + 1 broadcast.
 *   Largest: 14 x 2 = 28 accumulators (+ 2 + 1 = 31), 9 x 3 = 27 (+ 4),
 *   6 x 4 = 24 (+ 5), 28 x 1 = 28 (+ 2). Per input channel of a tap:
 *   NB loads, UR broadcasts, UR * NB FMAs.
 *   width-vector tile NO x NV (NO output channels x NV vectors of 16
 *   pixels): NO * NV accumulators + NV input vectors + 1 broadcast.
 *   Largest: 24 x 1, 14 x 2, 9 x 3, 6 x 4. Per tap: NV loads (the last
 *   masked), NO broadcasts, NO * NV FMAs.
 * The planner (direct.c) keeps within direct_limits_avx512.
 */
#include "direct.h"

#include <immintrin.h>

#define DV 16
typedef __m512 dvec;
typedef __mmask16 dmask;
#define dmask_first(n) ((__mmask16)((1u << (n)) - 1u))
#define dv_load(p) _mm512_loadu_ps(p)
#define dv_store(p, v) _mm512_storeu_ps((p), (v))
#define dv_load_m(p, m) _mm512_maskz_loadu_ps((m), (p))
#define dv_store_m(p, m, v) _mm512_mask_storeu_ps((p), (m), (v))
#define dv_set1(x) _mm512_set1_ps(x)
#define dv_zero() _mm512_setzero_ps()
#define dv_fma(a, b, c) _mm512_fmadd_ps((a), (b), (c))
#define dv_prefetch(p) _mm_prefetch((const char *)(p), _MM_HINT_T0)
#define dv_max(a, b) _mm512_max_ps((a), (b))

#include "direct-tiles.h"

#define DEF_WV(NV, unused, NO)                                                \
    static void wv_##NO##_##NV(const direct_wv_args *a) DIRECT_WV_BODY(NO, NV)
#define ENT_WV(NV, unused, NO) [NO][NV] = wv_##NO##_##NV,

/* The channel-vector tile shapes: M(X, nb, ur) for every ur up to
   the register file's limit of each nb (direct-tiles.h instantiates
   them for every source addressing) */
#define DIRECT_TILES(M, X) \
    DIRECT_REP_28(M, X, 1) DIRECT_REP_14(M, X, 2) DIRECT_REP_9(M, X, 3) \
    DIRECT_REP_6(M, X, 4)
#define WV_LIST(M)                                                            \
    DIRECT_REP_24(M, 1, 0) DIRECT_REP_14(M, 2, 0) DIRECT_REP_9(M, 3, 0)      \
    DIRECT_REP_6(M, 4, 0)

DIRECT_DEFINE_UKRS
WV_LIST(DEF_WV)

const direct_ukr_table vconv_direct_ukr_avx512 = {DIRECT_UKR_ENTRIES};
const direct_wv_table vconv_direct_wv_avx512 = {WV_LIST(ENT_WV)};

/* r[0..15] (rows) -> their transpose, in place: 4 stages of 16
   shuffles. */
static inline void transpose16(__m512 r[16])
{
    __m512 t[16], u[16];
    for (int i = 0; i < 8; i++) {
        t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    /* u[4i + k]: rows 4i..4i+3 of column 4L + k in 128-bit lane L */
    for (int i = 0; i < 4; i++) {
        __m512d a = _mm512_castps_pd(t[4 * i]);
        __m512d b = _mm512_castps_pd(t[4 * i + 1]);
        __m512d c = _mm512_castps_pd(t[4 * i + 2]);
        __m512d e = _mm512_castps_pd(t[4 * i + 3]);
        u[4 * i] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, c));
        u[4 * i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, c));
        u[4 * i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(b, e));
        u[4 * i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(b, e));
    }
    for (int k = 0; k < 4; k++) {
        __m512 a = _mm512_shuffle_f32x4(u[k], u[4 + k], 0x88);
        __m512 b = _mm512_shuffle_f32x4(u[k], u[4 + k], 0xdd);
        __m512 c = _mm512_shuffle_f32x4(u[8 + k], u[12 + k], 0x88);
        __m512 e = _mm512_shuffle_f32x4(u[8 + k], u[12 + k], 0xdd);
        r[k] = _mm512_shuffle_f32x4(a, c, 0x88);
        r[8 + k] = _mm512_shuffle_f32x4(a, c, 0xdd);
        r[4 + k] = _mm512_shuffle_f32x4(b, e, 0x88);
        r[12 + k] = _mm512_shuffle_f32x4(b, e, 0xdd);
    }
}

/* Row buffer [ow][16] (one block of one output row, nChw16c) -> NCHW rows
   dst[c][x] = dst + c * dst_c + x for c < nvalid: 16 pixels at a time,
   loaded as 16 vectors of 16 channels, transposed in registers, stored as
   16 rows of 16 pixels (masked on the row's last pixels). Reads only the
   ow pixels of the buffer. */
void vconv_direct_row_to_nchw_avx512(const float *rowbuf, int V, int ow,
                                     int nvalid, float *dst, ptrdiff_t dst_c)
{
    (void)V;
    for (int x0 = 0; x0 < ow; x0 += 16) {
        const int n = ow - x0 < 16 ? ow - x0 : 16;
        __m512 r[16];
        for (int p = 0; p < 16; p++)
            r[p] = p < n ? _mm512_loadu_ps(rowbuf + (size_t)(x0 + p) * 16)
                         : _mm512_setzero_ps();
        transpose16(r);
        const __mmask16 m = (__mmask16)((1u << n) - 1u);
        for (int c = 0; c < nvalid; c++)
            _mm512_mask_storeu_ps(dst + c * dst_c + x0, m, r[c]);
    }
}

/* One row of one block of an NCHW image -> nChw16c pixel vectors: channel
   i of the block at src + i * plane (i < nc; the others are zeros), image
   columns 0 .. iw-1; column ix goes to padded column x = ix + pl, stored
   at out + ((x % sw) * pwc + x / sw) * 16 when x / sw < pwc. 16 columns
   at a time: 16 masked channel loads, a transpose, 16 pixel stores. */
void vconv_direct_nchw_to_blocked_avx512(const float *src, ptrdiff_t plane,
                                         int nc, int iw, float *out, int pwc,
                                         int sw, int pl)
{
    for (int x0 = 0; x0 < iw; x0 += 16) {
        const int n = iw - x0 < 16 ? iw - x0 : 16;
        const __mmask16 m = (__mmask16)((1u << n) - 1u);
        __m512 r[16];
        for (int i = 0; i < 16; i++)
            r[i] = i < nc ? _mm512_maskz_loadu_ps(m, src + i * plane + x0)
                          : _mm512_setzero_ps();
        transpose16(r);
        int x = x0 + pl, ph = x % sw, col = x / sw;
        for (int q = 0; q < n && col < pwc; q++) {
            _mm512_storeu_ps(out + ((size_t)ph * pwc + col) * 16, r[q]);
            if (++ph == sw) {
                ph = 0;
                col++;
            }
        }
    }
}
