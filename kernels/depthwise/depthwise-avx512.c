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
 * vconv_dw_planes_avx512 (dw_plane_args, depthwise.h): 3x3, stride 1, the
 * user's NCHW planes read in place. Register plan: 9 weight zmm
 * (broadcast once a channel), the bias, R x U accumulators (4 rows x 2
 * vectors, or 8 x 1 when a row is one vector: 8 independent chains, what
 * two FMA pipes of latency 4 need), one loaded vector: 19 of 32 zmm. A
 * tile loads each of its R + 2 input rows at the 3 column offsets of the
 * taps once (masked: lanes left of the row, right of it or past ow read
 * as zeros, and never fault) and feeds it to the output rows it is a
 * kernel row of: 3 (R + 2) U loads for 9 R U FMAs.
 */
#define DWP_INLINE static inline __attribute__((always_inline))

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
        }                                                                     \
    }

DWP_DEF_TILE(1, 1) DWP_DEF_TILE(2, 1) DWP_DEF_TILE(3, 1) DWP_DEF_TILE(4, 1)
DWP_DEF_TILE(5, 1) DWP_DEF_TILE(6, 1) DWP_DEF_TILE(7, 1) DWP_DEF_TILE(8, 1)
DWP_DEF_TILE(1, 2) DWP_DEF_TILE(2, 2) DWP_DEF_TILE(3, 2) DWP_DEF_TILE(4, 2)

/* R output rows from oy0, every vector of them: pairs, then the odd one
   (R > 4: one vector a row, single vectors) */
#define DWP_DEF_BAND2(R)                                                      \
    static void dwp_band_##R(const dw_plane_args *a, const float *s,          \
                             float *o, int oy0, const __m512 *w, __m512 b,    \
                             int nvec)                                        \
    {                                                                         \
        __m512 wl[9]; /* in registers across the tiles */                    \
        DW_UNROLL for (int k = 0; k < 9; k++)                                 \
            wl[k] = w[k];                                                     \
        int xv = 0;                                                           \
        for (; xv + 2 <= nvec; xv += 2)                                       \
            dwp_tile_##R##_2(a, s, o, oy0, xv, wl, b);                        \
        if (xv < nvec)                                                        \
            dwp_tile_##R##_1(a, s, o, oy0, xv, wl, b);                        \
    }
#define DWP_DEF_BAND1(R)                                                      \
    static void dwp_band_##R(const dw_plane_args *a, const float *s,          \
                             float *o, int oy0, const __m512 *w, __m512 b,    \
                             int nvec)                                        \
    {                                                                         \
        __m512 wl[9];                                                         \
        DW_UNROLL for (int k = 0; k < 9; k++)                                 \
            wl[k] = w[k];                                                     \
        for (int xv = 0; xv < nvec; xv++)                                     \
            dwp_tile_##R##_1(a, s, o, oy0, xv, wl, b);                        \
    }
DWP_DEF_BAND2(1) DWP_DEF_BAND2(2) DWP_DEF_BAND2(3) DWP_DEF_BAND2(4)
DWP_DEF_BAND1(5) DWP_DEF_BAND1(6) DWP_DEF_BAND1(7) DWP_DEF_BAND1(8)

void vconv_dw_planes_avx512(const dw_plane_args *a)
{
    typedef void (*band_fn)(const dw_plane_args *, const float *, float *,
                            int, const __m512 *, __m512, int);
    static const band_fn bands[9] = {NULL,      dwp_band_1, dwp_band_2,
                                     dwp_band_3, dwp_band_4, dwp_band_5,
                                     dwp_band_6, dwp_band_7, dwp_band_8};
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
