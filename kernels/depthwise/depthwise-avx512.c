/*
 * depthwise-avx512.c - the AVX-512 depthwise row kernel (V = 16 channels
 * a zmm). The loop nest is depthwise-tiles.h's (register plan there);
 * this file gives it the zmm vocabulary. Channel tails: masked stores.
 */
#include "depthwise.h"

#include <immintrin.h>

#define DV 16
typedef __m512 dvec;
typedef __mmask16 dmask;
#define dmask_first(n) ((__mmask16)((1u << (n)) - 1u))
#define dv_load(p) _mm512_loadu_ps(p)
#define dv_store(p, v) _mm512_storeu_ps((p), (v))
#define dv_store_m(p, m, v) _mm512_mask_storeu_ps((p), (m), (v))
#define dv_zero() _mm512_setzero_ps()
#define dv_fma(a, b, c) _mm512_fmadd_ps((a), (b), (c))
#define dv_max(a, b) _mm512_max_ps((a), (b))

#include "depthwise-tiles.h"

DW_DEF_ROW(vconv_dw_row_avx512)

/* ---------------------------------------------------- planar kernel */

/*
 * vconv_dw_planes_avx512 (dw_plane_args, depthwise.h): 3x3, stride 1 or
 * 2, the user's NCHW planes read in place. Register plan: 9 weight zmm
 * (broadcast once a channel), the bias, R x U accumulators (4 rows x 2
 * vectors, or 8 x 1 when a row is one vector: 8 independent chains, what
 * two FMA pipes of latency 4 need), one loaded vector: 19 of 32 zmm. A
 * tile loads each of its R + 2 input rows at the 3 column offsets of the
 * taps once (masked: lanes left of the row, right of it or past ow read
 * as zeros, and never fault) and feeds it to the output rows it is a
 * kernel row of: 3 (R + 2) U loads for 9 R U FMAs.
 */
#define DWP_INLINE static inline __attribute__((always_inline))

/* ReLU, then the R x U vectors into the NCHW rows (masked past ow). */
#define DWP_STORE(R, U)                                                       \
        if (a->relu) {                                                        \
            const __m512 z = _mm512_setzero_ps();                             \
            DW_UNROLL for (int r = 0; r < R; r++)                             \
                DW_UNROLL for (int u = 0; u < U; u++) acc[r][u] =             \
                    _mm512_max_ps(acc[r][u], z);                              \
        }                                                                     \
        DW_UNROLL for (int u = 0; u < U; u++)                                 \
        {                                                                     \
            const __mmask16 ms = (__mmask16)a->masks[(size_t)(xv + u) * 4 + 3]; \
            float *ou = o + (ptrdiff_t)oy0 * a->ow + (ptrdiff_t)(xv + u) * 16; \
            if (ms == 0xFFFF) {                                               \
                DW_UNROLL for (int r = 0; r < R; r++)                         \
                    _mm512_storeu_ps(ou + (ptrdiff_t)r * a->ow, acc[r][u]);   \
            } else {                                                          \
                DW_UNROLL for (int r = 0; r < R; r++)                         \
                    _mm512_mask_storeu_ps(ou + (ptrdiff_t)r * a->ow, ms,      \
                                          acc[r][u]);                         \
            }                                                                 \
        }

#define DWP_DEF_TILE(R, U)                                                    \
    DWP_INLINE void dwp_tile_##R##_##U(const dw_plane_args *a,                \
                                       const float *s, float *o, int oy0,     \
                                       int xv, const __m512 *w, __m512 b)     \
    {                                                                         \
        __m512 acc[R][U];                                                     \
        __mmask16 m[U][3];                                                    \
        DW_UNROLL for (int r = 0; r < R; r++)                                 \
            DW_UNROLL for (int u = 0; u < U; u++) acc[r][u] = b;              \
        DW_UNROLL for (int u = 0; u < U; u++)                                 \
            DW_UNROLL for (int kx = 0; kx < 3; kx++) m[u][kx] =               \
                (__mmask16)a->masks[(size_t)(xv + u) * 4 + kx];               \
        const ptrdiff_t x0 = (ptrdiff_t)xv * 16 - a->pl;                      \
        DW_UNROLL for (int t = 0; t < R + 2; t++)                             \
        {                                                                     \
            const int iy = oy0 - a->pt + t;                                   \
            if (iy < 0 || iy >= a->ih)                                        \
                continue;                                                     \
            const float *row = s + (ptrdiff_t)iy * a->iw + x0;                \
            DW_UNROLL for (int kx = 0; kx < 3; kx++)                          \
                DW_UNROLL for (int u = 0; u < U; u++)                         \
            {                                                                 \
                const __m512 v =                                              \
                    _mm512_maskz_loadu_ps(m[u][kx], row + u * 16 + kx);       \
                DW_UNROLL for (int r = 0; r < R; r++)                         \
                {                                                             \
                    const int ky = t - r;                                     \
                    if (ky >= 0 && ky < 3)                                    \
                        acc[r][u] =                                           \
                            _mm512_fmadd_ps(v, w[ky * 3 + kx], acc[r][u]);    \
                }                                                             \
            }                                                                 \
        }                                                                     \
        DWP_STORE(R, U)                                                       \
    }

DWP_DEF_TILE(1, 1) DWP_DEF_TILE(2, 1) DWP_DEF_TILE(3, 1) DWP_DEF_TILE(4, 1)
DWP_DEF_TILE(5, 1) DWP_DEF_TILE(6, 1) DWP_DEF_TILE(7, 1) DWP_DEF_TILE(8, 1)
DWP_DEF_TILE(1, 2) DWP_DEF_TILE(2, 2) DWP_DEF_TILE(3, 2) DWP_DEF_TILE(4, 2)

/* Stride 2: output pixel 16 v + l of tap kx reads input column
   32 v + 2 l + kx - pl. Per input row of a vector: A, B, C = the 16-float
   runs from 32 v - pl (masked to the row), the even lanes of A:B are tap
   0, the odd ones tap 1, and tap 2 is tap 0 moved down a lane with C's
   lane 0 last: 3 loads and 3 shuffles for 3 taps. Masks [v][0..2]: A, B,
   C's lanes inside the row; [3]: the lanes < ow. A tile's R output rows
   read 2 R + 1 input rows. */
#define DWP2_DEF_TILE(R, U)                                                   \
    DWP_INLINE void dwp2_tile_##R##_##U(const dw_plane_args *a,               \
                                        const float *s, float *o, int oy0,    \
                                        int xv, const __m512 *w, __m512 b)    \
    {                                                                         \
        const __m512i ie = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16,   \
                                            14, 12, 10, 8, 6, 4, 2, 0);       \
        const __m512i io = _mm512_set_epi32(31, 29, 27, 25, 23, 21, 19, 17,   \
                                            15, 13, 11, 9, 7, 5, 3, 1);       \
        __m512 acc[R][U];                                                     \
        __mmask16 m[U][3];                                                    \
        DW_UNROLL for (int r = 0; r < R; r++)                                 \
            DW_UNROLL for (int u = 0; u < U; u++) acc[r][u] = b;              \
        DW_UNROLL for (int u = 0; u < U; u++)                                 \
            DW_UNROLL for (int j = 0; j < 3; j++) m[u][j] =                   \
                (__mmask16)a->masks[(size_t)(xv + u) * 4 + j];                \
        const ptrdiff_t x0 = (ptrdiff_t)xv * 32 - a->pl;                      \
        DW_UNROLL for (int t = 0; t < 2 * R + 1; t++)                         \
        {                                                                     \
            const int iy = 2 * oy0 - a->pt + t;                               \
            if (iy < 0 || iy >= a->ih)                                        \
                continue;                                                     \
            const float *row = s + (ptrdiff_t)iy * a->iw + x0;                \
            DW_UNROLL for (int u = 0; u < U; u++)                             \
            {                                                                 \
                const float *ru = row + u * 32;                               \
                const __m512 va = _mm512_maskz_loadu_ps(m[u][0], ru);         \
                const __m512 vb = _mm512_maskz_loadu_ps(m[u][1], ru + 16);    \
                const __m512 vc = _mm512_maskz_loadu_ps(m[u][2], ru + 32);    \
                __m512 v[3];                                                  \
                v[0] = _mm512_permutex2var_ps(va, ie, vb);                    \
                v[1] = _mm512_permutex2var_ps(va, io, vb);                    \
                v[2] = _mm512_castsi512_ps(_mm512_alignr_epi32(               \
                    _mm512_castps_si512(vc), _mm512_castps_si512(v[0]), 1));  \
                DW_UNROLL for (int kx = 0; kx < 3; kx++)                      \
                    DW_UNROLL for (int r = 0; r < R; r++)                     \
                {                                                             \
                    const int ky = t - 2 * r;                                 \
                    if (ky >= 0 && ky < 3)                                    \
                        acc[r][u] = _mm512_fmadd_ps(v[kx], w[ky * 3 + kx],    \
                                                    acc[r][u]);               \
                }                                                             \
            }                                                                 \
        }                                                                     \
        DWP_STORE(R, U)                                                       \
    }

DWP2_DEF_TILE(1, 1) DWP2_DEF_TILE(2, 1) DWP2_DEF_TILE(3, 1) DWP2_DEF_TILE(4, 1)
DWP2_DEF_TILE(5, 1) DWP2_DEF_TILE(6, 1) DWP2_DEF_TILE(7, 1) DWP2_DEF_TILE(8, 1)
DWP2_DEF_TILE(1, 2) DWP2_DEF_TILE(2, 2) DWP2_DEF_TILE(3, 2) DWP2_DEF_TILE(4, 2)

/* R output rows from oy0, every vector of them: pairs, then the odd one
   (R > 4: one vector a row, single vectors). P: dwp (stride 1) or dwp2. */
#define DWP_DEF_BAND2(P, R)                                                   \
    static void P##_band_##R(const dw_plane_args *a, const float *s,          \
                             float *o, int oy0, const __m512 *w, __m512 b,    \
                             int nvec)                                        \
    {                                                                         \
        __m512 wl[9]; /* in registers across the tiles */                    \
        DW_UNROLL for (int k = 0; k < 9; k++)                                 \
            wl[k] = w[k];                                                     \
        int xv = 0;                                                           \
        for (; xv + 2 <= nvec; xv += 2)                                       \
            P##_tile_##R##_2(a, s, o, oy0, xv, wl, b);                        \
        if (xv < nvec)                                                        \
            P##_tile_##R##_1(a, s, o, oy0, xv, wl, b);                        \
    }
#define DWP_DEF_BAND1(P, R)                                                   \
    static void P##_band_##R(const dw_plane_args *a, const float *s,          \
                             float *o, int oy0, const __m512 *w, __m512 b,    \
                             int nvec)                                        \
    {                                                                         \
        __m512 wl[9];                                                         \
        DW_UNROLL for (int k = 0; k < 9; k++)                                 \
            wl[k] = w[k];                                                     \
        for (int xv = 0; xv < nvec; xv++)                                     \
            P##_tile_##R##_1(a, s, o, oy0, xv, wl, b);                        \
    }
#define DWP_DEF_BANDS(P)                                                      \
    DWP_DEF_BAND2(P, 1) DWP_DEF_BAND2(P, 2) DWP_DEF_BAND2(P, 3)               \
    DWP_DEF_BAND2(P, 4) DWP_DEF_BAND1(P, 5) DWP_DEF_BAND1(P, 6)               \
    DWP_DEF_BAND1(P, 7) DWP_DEF_BAND1(P, 8)
DWP_DEF_BANDS(dwp)
DWP_DEF_BANDS(dwp2)


/* Narrow planes at stride 2 (ow <= 7): a vector holds two output rows,
   lanes 0-7 row y, 8-15 row y + 1 (a row a vector would leave more than
   half the lanes empty). Zen 4, MobileNet dw_512_14s2: 25 -> 19 us; at
   stride 1 the same (run columns l + kx) was no faster than the row tiles
   on dw_1024_7s1 (35 against 33 us: a shuffle a tap), so stride 1 keeps
   them. Per kernel row ky: the 16-float
   runs of the two input rows from column -pl (masked to the row; zeros
   for a row outside the image), and the 3 taps' vectors as one shuffle of
   the pair each (lane l of a half: run column l + kx, or 2 l + kx). Up to
   4 pairs at a time: 4 independent chains. */
#define DWPP_MAX 4

DWP_INLINE void dwpp_pairs(const dw_plane_args *a, const float *s,
                           float *o, int p0, int np, const __m512 *w,
                           __m512 b, const __m512i *idx, __mmask16 mrun)
{
    __m512 acc[DWPP_MAX];
    DW_UNROLL for (int q = 0; q < DWPP_MAX; q++) acc[q] = b;
    const int st = a->stride;
    DW_UNROLL for (int ky = 0; ky < 3; ky++)
        DW_UNROLL for (int q = 0; q < DWPP_MAX; q++)
    {
        const int y = 2 * (p0 + q); /* the pair's first output row */
        const int iy0 = y * st - a->pt + ky, iy1 = iy0 + st;
        const bool in0 = q < np && iy0 >= 0 && iy0 < a->ih,
                   in1 = q < np && iy1 >= 0 && iy1 < a->ih && y + 1 < a->oh;
        if (!in0 && !in1)
            continue;
        const __m512 r0 = _mm512_maskz_loadu_ps(
            in0 ? mrun : 0, s + (in0 ? (ptrdiff_t)iy0 * a->iw - a->pl : 0));
        const __m512 r1 = _mm512_maskz_loadu_ps(
            in1 ? mrun : 0, s + (in1 ? (ptrdiff_t)iy1 * a->iw - a->pl : 0));
        DW_UNROLL for (int kx = 0; kx < 3; kx++) acc[q] = _mm512_fmadd_ps(
            _mm512_permutex2var_ps(r0, idx[kx], r1), w[ky * 3 + kx], acc[q]);
    }
    const __mmask16 lo = (__mmask16)((1u << a->ow) - 1u);
    const __mmask16 hi = (__mmask16)(lo << 8);
    DW_UNROLL for (int q = 0; q < DWPP_MAX; q++)
    {
        if (q >= np)
            break;
        __m512 v = acc[q];
        if (a->relu)
            v = _mm512_max_ps(v, _mm512_setzero_ps());
        const int y = 2 * (p0 + q);
        _mm512_mask_storeu_ps(o + (ptrdiff_t)y * a->ow, lo, v);
        if (y + 1 < a->oh)
            _mm512_mask_storeu_ps(o + (ptrdiff_t)(y + 1) * a->ow - 8, hi, v);
    }
}

static void dwpp_planes(const dw_plane_args *a)
{
    const int st = a->stride;
    __m512i idx[3];
    for (int kx = 0; kx < 3; kx++) {
        int t[16];
        for (int l = 0; l < 16; l++) {
            const int c = (l & 7) * st + kx; /* run column; <= 15 for the
                                                lanes < ow */
            t[l] = (c & 15) | (l & 8 ? 16 : 0);
        }
        idx[kx] = _mm512_loadu_si512(t);
    }
    unsigned m = 0;
    for (int l = 0; l < 16; l++)
        if (l - a->pl >= 0 && l - a->pl < a->iw)
            m |= 1u << l;
    const __mmask16 mrun = (__mmask16)m;
    const int npairs = (a->oh + 1) / 2;
    for (int c = 0; c < a->nch; c++) {
        const float *s = a->src + (ptrdiff_t)c * a->src_c;
        float *o = a->dst + (ptrdiff_t)c * a->dst_c;
        __m512 w[9];
        DW_UNROLL for (int k = 0; k < 9; k++)
            w[k] = _mm512_set1_ps(a->wei[(size_t)c * 9 + k]);
        const __m512 b = _mm512_set1_ps(a->bias[c]);
        for (int p0 = 0; p0 < npairs; p0 += DWPP_MAX)
            dwpp_pairs(a, s, o, p0, npairs - p0 < DWPP_MAX ? npairs - p0
                                                           : DWPP_MAX,
                       w, b, idx, mrun);
    }
}

void vconv_dw_planes_avx512(const dw_plane_args *a)
{
    if (a->stride == 2 && a->ow <= 7) {
        dwpp_planes(a);
        return;
    }
    typedef void (*band_fn)(const dw_plane_args *, const float *, float *,
                            int, const __m512 *, __m512, int);
    static const band_fn bands1[9] = {NULL,       dwp_band_1, dwp_band_2,
                                      dwp_band_3, dwp_band_4, dwp_band_5,
                                      dwp_band_6, dwp_band_7, dwp_band_8};
    static const band_fn bands2[9] = {NULL,        dwp2_band_1, dwp2_band_2,
                                      dwp2_band_3, dwp2_band_4, dwp2_band_5,
                                      dwp2_band_6, dwp2_band_7, dwp2_band_8};
    const band_fn *bands = a->stride == 2 ? bands2 : bands1;
    const int nvec = (a->ow + 15) / 16;
    const int rb = nvec >= 2 ? 4 : 8;
    for (int c = 0; c < a->nch; c++) {
        const float *s = a->src + (ptrdiff_t)c * a->src_c;
        float *o = a->dst + (ptrdiff_t)c * a->dst_c;
        __m512 w[9];
        for (int k = 0; k < 9; k++)
            w[k] = _mm512_set1_ps(a->wei[(size_t)c * 9 + k]);
        const __m512 b = _mm512_set1_ps(a->bias[c]);
        int oy = 0;
        for (; oy + rb <= a->oh; oy += rb)
            bands[rb](a, s, o, oy, w, b, nvec);
        if (oy < a->oh)
            bands[a->oh - oy](a, s, o, oy, w, b, nvec);
    }
}
