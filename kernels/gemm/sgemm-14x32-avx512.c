/*
 * sgemm-14x32-avx512.c - the AVX-512 SGEMM microkernel (contract: gemm.h).
 *
 * Register plan: a 14 x 32 tile of C = 14 rows x 2 zmm = 28 accumulators;
 * per k: 2 zmm loads of B, 14 broadcasts of A (one register reused), 28
 * FMAs: 31 of the 32 zmm registers live.
 *
 * Why this tile (measured on the Zen 4 EPYC this was written on): its
 * AVX-512 FMA throughput equals AVX2's (512-bit FMAs issue as two 256-bit
 * halves, ~110 GFLOP/s a core either way), so having AVX-512 is not the
 * same as it being faster. What it does buy is 32 registers: 28
 * accumulators against AVX2's 12 halve the loads per FMA (16 load ops per
 * 28 FMAs here, 8 per 12 for AVX2's 6x16, which also needs twice the FMA
 * instructions), and masks make the edge tiles cheap. 28x16 (one B load,
 * 28 broadcasts) loads more per FMA; 14x32 is the best ratio that fits.
 *
 * Edges: the tile body is generated for an even number of rows (2 .. 14)
 * and 1 or 2 column vectors, and the kernel runs the smallest that covers
 * m x n, so a partial tile costs about its size (a 2-row tile does not
 * pay for 14; M = 128 = 9 x 14 + 2 is common in CNNs). The packed panels
 * are still read at their full MR and NR strides (a row of A is skipped,
 * not read). n < 32 masks the column vectors of every load and store of
 * C. Reads at most k*14 floats of a and k*32 of b.
 */
#include "gemm.h"

#include <immintrin.h>

#define MR 14
#define NR 32

/*
 * The body for R rows (R even, <= 14) and V column vectors (1 or 2):
 * constant bounds, fully unrolled, so the compiler keeps acc[][] in
 * registers (2 R V accumulators + V for B + 1 broadcast).
 */
static inline __attribute__((always_inline)) void
tile(const int R, const int V, size_t m, size_t n, size_t k,
     const float *restrict a, const float *restrict b, float *restrict c,
     size_t ldc, uint32_t flags, const float *row_bias,
     const float *col_bias)
{
    __m512 acc[MR][2];
#pragma GCC unroll 14
    for (int i = 0; i < R; i++)
#pragma GCC unroll 2
        for (int v = 0; v < V; v++)
            acc[i][v] = _mm512_setzero_ps();

    /* C is read (or its lines fetched for the store) only after the k
       loop: prefetching the tile's rows now hides that latency (a tile
       row is 128 bytes, two or three lines: its first and last float) */
    for (size_t i = 0; i < m; i++) {
        _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);
        _mm_prefetch((const char *)(c + i * ldc + n - 1), _MM_HINT_T0);
    }

#pragma GCC unroll 4
    for (size_t p = 0; p < k; p++) {
        __m512 bv[2];
#pragma GCC unroll 2
        for (int v = 0; v < V; v++)
            bv[v] = _mm512_loadu_ps(b + 16 * v);
#pragma GCC unroll 14
        for (int i = 0; i < R; i++) {
            const __m512 ai = _mm512_set1_ps(a[i]);
#pragma GCC unroll 2
            for (int v = 0; v < V; v++)
                acc[i][v] = _mm512_fmadd_ps(ai, bv[v], acc[i][v]);
        }
        a += MR;
        b += NR;
    }

    const bool accumulate = flags & VCONV_SGEMM_ACCUMULATE;
    const bool relu = flags & VCONV_SGEMM_RELU;
    const __mmask16 mk[2] = {
        n >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << n) - 1),
        n >= 32 ? (__mmask16)0xffff
                : n > 16 ? (__mmask16)((1u << (n - 16)) - 1) : 0};
    const __m512 zero = _mm512_setzero_ps();
    __m512 cb[2] = {zero, zero};
    if (col_bias)
#pragma GCC unroll 2
        for (int v = 0; v < V; v++)
            cb[v] = _mm512_maskz_loadu_ps(mk[v], col_bias + 16 * v);
#pragma GCC unroll 14
    for (int i = 0; i < R; i++) {
        if ((size_t)i == m)
            return;
        float *ci = c + (size_t)i * ldc;
        const __m512 rb = row_bias ? _mm512_set1_ps(row_bias[i]) : zero;
#pragma GCC unroll 2
        for (int v = 0; v < V; v++) {
            __m512 r = acc[i][v];
            if (accumulate)
                r = _mm512_add_ps(_mm512_maskz_loadu_ps(mk[v], ci + 16 * v),
                                  r);
            if (row_bias)
                r = _mm512_add_ps(r, rb);
            if (col_bias)
                r = _mm512_add_ps(r, cb[v]);
            if (relu) /* max(0, r): a NaN r is returned as is */
                r = _mm512_max_ps(zero, r);
            _mm512_mask_storeu_ps(ci + 16 * v, mk[v], r);
        }
    }
}

#define CASE(R)                                                                \
    case R / 2:                                                                \
        if (n > 16)                                                            \
            tile(R, 2, m, n, k, a, b, c, ldc, flags, row_bias, col_bias);      \
        else                                                                   \
            tile(R, 1, m, n, k, a, b, c, ldc, flags, row_bias, col_bias);      \
        return;

void vconv_sgemm_ukernel_14x32__avx512(size_t m, size_t n, size_t k,
                                       const float *restrict a,
                                       const float *restrict b,
                                       float *restrict c, size_t ldc,
                                       uint32_t flags, const float *row_bias,
                                       const float *col_bias)
{
    switch ((m + 1) / 2) {
        CASE(2)
        CASE(4)
        CASE(6)
        CASE(8)
        CASE(10)
        CASE(12)
    default:
        CASE(14)
    }
}
