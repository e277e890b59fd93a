/*
 * direct-avx2.c - AVX2 + FMA direct-convolution microkernels (V = 8,
 * nChw8c). The loop nests are direct-tiles.h's; this file gives them the
 * ymm vocabulary and instantiates every tile the planner may ask for.
 *
 * Register plans (16 ymm):
 *   channel-vector tile UR x NB (UR pixels x NB blocks of 8 output
 *   channels): UR * NB accumulators + NB weight vectors + 1 broadcast.
 *   Largest: 6 x 2 = 12 accumulators (+ 2 + 1 = 15), 4 x 3 = 12 (+ 3 + 1
 *   = 16), 2 x 4 = 8 (+ 5), 14 x 1 = 14 (+ 2). Per input channel of a
 *   tap: NB loads, UR broadcasts, UR * NB FMAs.
 *   width-vector tile NO x NV (NO output channels x NV vectors of 8
 *   pixels): NO * NV accumulators + NV input vectors + 1 broadcast + 1
 *   lane mask (AVX2 masks live in a ymm). Largest: 13 x 1, 6 x 2, 3 x 3,
 *   2 x 4.
 * The planner (direct.c) keeps within direct_limits_avx2.
 */
#include "direct.h"

#include <immintrin.h>

#define DV 8
typedef __m256 dvec;
typedef __m256i dmask;
#define dmask_first(n)                                                        \
    _mm256_cmpgt_epi32(_mm256_set1_epi32(n),                                  \
                       _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7))
#define dv_load(p) _mm256_loadu_ps(p)
#define dv_store(p, v) _mm256_storeu_ps((p), (v))
#define dv_load_m(p, m) _mm256_maskload_ps((p), (m))
#define dv_store_m(p, m, v) _mm256_maskstore_ps((p), (m), (v))
#define dv_set1(x) _mm256_set1_ps(x)
#define dv_zero() _mm256_setzero_ps()
#define dv_fma(a, b, c) _mm256_fmadd_ps((a), (b), (c))
#define dv_prefetch(p) _mm_prefetch((const char *)(p), _MM_HINT_T0)
#define dv_max(a, b) _mm256_max_ps((a), (b))

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
    DIRECT_REP_13(M, 1, 0) DIRECT_REP_6(M, 2, 0) DIRECT_REP_3(M, 3, 0)       \
    DIRECT_REP_2(M, 4, 0)

DIRECT_DEFINE_UKRS
WV_LIST(DEF_WV)

const direct_ukr_table vconv_direct_ukr_avx2 = {DIRECT_UKR_ENTRIES};
const direct_wv_table vconv_direct_wv_avx2 = {WV_LIST(ENT_WV)};

/* r[0..7] (rows) -> their transpose, in place (unpack, unpack_pd,
   permute2f128: 24 shuffles). */
static inline void transpose8(__m256 r[8])
{
    __m256 t[8], u[8];
    for (int i = 0; i < 4; i++) {
        t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    for (int i = 0; i < 2; i++) {
        __m256d a = _mm256_castps_pd(t[4 * i]);
        __m256d b = _mm256_castps_pd(t[4 * i + 1]);
        __m256d c = _mm256_castps_pd(t[4 * i + 2]);
        __m256d e = _mm256_castps_pd(t[4 * i + 3]);
        u[4 * i] = _mm256_castpd_ps(_mm256_unpacklo_pd(a, c));
        u[4 * i + 1] = _mm256_castpd_ps(_mm256_unpackhi_pd(a, c));
        u[4 * i + 2] = _mm256_castpd_ps(_mm256_unpacklo_pd(b, e));
        u[4 * i + 3] = _mm256_castpd_ps(_mm256_unpackhi_pd(b, e));
    }
    for (int k = 0; k < 4; k++) {
        r[k] = _mm256_permute2f128_ps(u[k], u[4 + k], 0x20);
        r[4 + k] = _mm256_permute2f128_ps(u[k], u[4 + k], 0x31);
    }
}

/* Row buffer [ow][8] (one block of one output row, nChw8c) -> NCHW rows
   dst[c][x] = dst + c * dst_c + x for c < nvalid: 8 pixels at a time,
   transposed in registers. A last partial group of pixels is redone as
   the row's last 8 pixels (overlapping stores of identical values: AVX2
   masked stores are slow on AMD); a row narrower than 8 is stored masked.
   Reads only the ow pixels of the buffer. */
void vconv_direct_row_to_nchw_avx2(const float *rowbuf, int V, int ow,
                                   int nvalid, float *dst, ptrdiff_t dst_c)
{
    (void)V;
    for (int x0 = 0; x0 < ow; x0 += 8) {
        int n = ow - x0 < 8 ? ow - x0 : 8;
        if (n < 8 && ow >= 8) {
            x0 = ow - 8;
            n = 8;
        }
        __m256 r[8];
        for (int p = 0; p < 8; p++)
            r[p] = p < n ? _mm256_loadu_ps(rowbuf + (size_t)(x0 + p) * 8)
                         : _mm256_setzero_ps();
        transpose8(r);
        if (n == 8) {
            for (int c = 0; c < nvalid; c++)
                _mm256_storeu_ps(dst + c * dst_c + x0, r[c]);
        } else {
            const __m256i m = _mm256_cmpgt_epi32(
                _mm256_set1_epi32(n),
                _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
            for (int c = 0; c < nvalid; c++)
                _mm256_maskstore_ps(dst + c * dst_c + x0, m, r[c]);
        }
    }
}

/* One row of one block of an NCHW image -> nChw8c pixel vectors (the
   contract of vconv_direct_nchw_to_blocked_avx512, 8 channels): 8 columns
   at a time, 8 channel loads, a transpose, 8 pixel stores. The last
   partial group is redone as the row's last 8 columns when iw >= 8 (no
   masked loads); narrower rows are read element by element. */
void vconv_direct_nchw_to_blocked_avx2(const float *src, ptrdiff_t plane,
                                       int nc, int iw, float *out, int pwc,
                                       int sw, int pl)
{
    for (int x0 = 0; x0 < iw; x0 += 8) {
        int n = iw - x0 < 8 ? iw - x0 : 8;
        if (n < 8 && iw >= 8) {
            x0 = iw - 8;
            n = 8;
        }
        __m256 r[8];
        for (int i = 0; i < 8; i++) {
            if (i >= nc) {
                r[i] = _mm256_setzero_ps();
            } else if (n == 8) {
                r[i] = _mm256_loadu_ps(src + i * plane + x0);
            } else {
                float tmp[8] = {0};
                for (int q = 0; q < n; q++)
                    tmp[q] = src[i * plane + x0 + q];
                r[i] = _mm256_loadu_ps(tmp);
            }
        }
        transpose8(r);
        int x = x0 + pl, ph = x % sw, col = x / sw;
        for (int q = 0; q < n && col < pwc; q++) {
            _mm256_storeu_ps(out + ((size_t)ph * pwc + col) * 8, r[q]);
            if (++ph == sw) {
                ph = 0;
                col++;
            }
        }
    }
}
