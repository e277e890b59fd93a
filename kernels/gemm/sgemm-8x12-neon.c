/*
 * sgemm-8x12-neon.c - the AArch64 NEON SGEMM microkernel (contract:
 * gemm.h). NEON (Advanced SIMD) is baseline on AArch64: the file needs no
 * flags; the dispatcher still calls it only when HWCAP says ASIMD.
 *
 * Register plan (32 q registers of 4 floats): an 8 x 12 tile of C = 8
 * rows x 3 q = 24 accumulators; per k: 3 q loads of B (the 12 columns),
 * 2 q loads of A (the 8 rows: rows 0-3 and 4-7), 24 FMAs by element
 * (fmla v.4s, b.4s, a.s[i]: the row's A value comes straight from its
 * lane, no broadcast register): 29 of 32 registers live. BLIS's armv8a
 * sgemm tile (8 x 12, C column-major there; here C is row-major, so the
 * 12 columns are the vector side and the 8 rows the broadcast side).
 * 5 loads per 24 FMAs; 12 x 8 (3 A loads, 2 B loads) would have the same
 * ratio, but its 8-column panels pad more on the conv layers whose N is a
 * pixel count. No Arm hardware was available to measure either: the
 * choice follows BLIS and the register budget.
 *
 * Edges: the body is generated for every row count R (1 .. 8) and 1, 2 or
 * 3 column vectors, and the kernel runs the one that covers m x n (a
 * partial tile costs about its size; R <= 4 loads one A vector). The last
 * column vector of a partial n is loaded and stored lane by lane (NEON
 * has no masked moves): C, the column bias and the accumulate source are
 * touched only inside the m x n tile. The packed panels are read at their
 * full MR and NR strides: exactly k*8 floats of a (rows >= m are read when
 * R is not a multiple of 4, but never written anywhere) and k*12 of b.
 */
#include "gemm.h"

#include <arm_neon.h>
#include "../neon-helpers.h"

#define MR 8
#define NR 12

/*
 * The body for R rows and V column vectors (constants: fully unrolled, the
 * accumulators stay in registers).
 */
static inline __attribute__((always_inline)) void
tile(const int R, const int V, size_t m, size_t n, size_t k,
     const float *restrict a, const float *restrict b, float *restrict c,
     size_t ldc, uint32_t flags, const float *row_bias,
     const float *col_bias)
{
    float32x4_t acc[MR][3];
#pragma GCC unroll 8
    for (int i = 0; i < R; i++)
#pragma GCC unroll 3
        for (int v = 0; v < V; v++)
            acc[i][v] = vdupq_n_f32(0.0f);

    /* C is read (or its lines fetched for the store) only after the k
       loop: prefetching the tile's rows now hides that latency (a row is
       48 bytes: its first and last float) */
    for (size_t i = 0; i < m; i++) {
        __builtin_prefetch(c + i * ldc, 1);
        __builtin_prefetch(c + i * ldc + n - 1, 1);
    }

#pragma GCC unroll 2
    for (size_t p = 0; p < k; p++) {
        float32x4_t bv[3];
#pragma GCC unroll 3
        for (int v = 0; v < V; v++)
            bv[v] = vld1q_f32(b + 4 * v);
        const float32x4_t a0 = vld1q_f32(a);
        const float32x4_t a1 = R > 4 ? vld1q_f32(a + 4) : a0;
#pragma GCC unroll 8
        for (int i = 0; i < R; i++)
#pragma GCC unroll 3
            for (int v = 0; v < V; v++) {
                /* lane index must be a constant: one case per lane */
                switch (i & 3) {
                case 0:
                    acc[i][v] = vfmaq_laneq_f32(acc[i][v], bv[v],
                                                i < 4 ? a0 : a1, 0);
                    break;
                case 1:
                    acc[i][v] = vfmaq_laneq_f32(acc[i][v], bv[v],
                                                i < 4 ? a0 : a1, 1);
                    break;
                case 2:
                    acc[i][v] = vfmaq_laneq_f32(acc[i][v], bv[v],
                                                i < 4 ? a0 : a1, 2);
                    break;
                default:
                    acc[i][v] = vfmaq_laneq_f32(acc[i][v], bv[v],
                                                i < 4 ? a0 : a1, 3);
                    break;
                }
            }
        a += MR;
        b += NR;
    }

    const bool accumulate = flags & VCONV_SGEMM_ACCUMULATE;
    const bool relu = flags & VCONV_SGEMM_RELU;
    /* column vector v holds columns 4v .. 4v+3; the last one, V - 1,
       holds nl = n - 4 (V - 1) of them (1..4) */
    const size_t nl = n - 4 * (size_t)(V - 1);
    const float32x4_t zero = vdupq_n_f32(0.0f);
    float32x4_t cb[3] = {zero, zero, zero};
    if (col_bias)
#pragma GCC unroll 3
        for (int v = 0; v < V; v++)
            cb[v] = v < V - 1 || nl == 4 ? vld1q_f32(col_bias + 4 * v)
                                         : vconv_neon_load_part(col_bias + 4 * v, nl);
#pragma GCC unroll 8
    for (int i = 0; i < R; i++) {
        if ((size_t)i >= m)
            break;
        float *ci = c + (size_t)i * ldc;
        const float32x4_t rb = row_bias ? vdupq_n_f32(row_bias[i]) : zero;
#pragma GCC unroll 3
        for (int v = 0; v < V; v++) {
            const bool whole = v < V - 1 || nl == 4;
            float32x4_t r = acc[i][v];
            if (accumulate)
                r = vaddq_f32(whole ? vld1q_f32(ci + 4 * v)
                                    : vconv_neon_load_part(ci + 4 * v, nl),
                              r);
            if (row_bias)
                r = vaddq_f32(r, rb);
            if (col_bias)
                r = vaddq_f32(r, cb[v]);
            if (relu) /* fmax(0, r): a NaN r is returned as NaN */
                r = vmaxq_f32(zero, r);
            if (whole)
                vst1q_f32(ci + 4 * v, r);
            else
                vconv_neon_store_part(ci + 4 * v, r, nl);
        }
    }
}

#define CASE(R)                                                                \
    case R:                                                                    \
        if (n > 8)                                                             \
            tile(R, 3, m, n, k, a, b, c, ldc, flags, row_bias, col_bias);      \
        else if (n > 4)                                                        \
            tile(R, 2, m, n, k, a, b, c, ldc, flags, row_bias, col_bias);      \
        else                                                                   \
            tile(R, 1, m, n, k, a, b, c, ldc, flags, row_bias, col_bias);      \
        return;

void vconv_sgemm_ukernel_8x12__neon(size_t m, size_t n, size_t k,
                                    const float *restrict a,
                                    const float *restrict b,
                                    float *restrict c, size_t ldc,
                                    uint32_t flags, const float *row_bias,
                                    const float *col_bias)
{
    switch (m) {
        CASE(1)
        CASE(2)
        CASE(3)
        CASE(4)
        CASE(5)
        CASE(6)
        CASE(7)
    default:
        CASE(8)
    }
}
