/*
 * sgemm-6x16-avx2.c - the AVX2 + FMA SGEMM microkernel (contract: gemm.h).
 *
 * Register plan: a 6 x 16 tile of C = 6 rows x 2 ymm = 12 accumulators;
 * per k: 2 ymm loads of B, 6 broadcasts of A (one register reused), 12
 * FMAs: 15 of the 16 ymm registers live. 12 independent accumulators
 * cover the FMA latency (4 cycles) x 2 pipes with room to spare; 8 x 16
 * would need 16 accumulators and spill. BLIS's Haswell tile.
 *
 * Edges: the body is generated for every row count (1 .. 6) and 1 or 2
 * column vectors, and the kernel runs the one that fits m x n exactly
 * (a partial tile costs its size). n < 16 uses vmaskmovps with masks from
 * a sliding window of a table (AVX2 has no mask registers); a full-width
 * tile takes the plain loads and stores. The packed panels are read at
 * their full MR and NR strides; at most k*6 floats of a and k*16 of b.
 */
#include "gemm.h"

#include <immintrin.h>

#define MR 6
#define NR 16

/* masks[8 - j .. 16 - j) has j lanes set (vmaskmovps uses the sign bit) */
static const int32_t mask_table[16] = {-1, -1, -1, -1, -1, -1, -1, -1,
                                       0,  0,  0,  0,  0,  0,  0,  0};

/* The body for R rows and V column vectors (constant, fully unrolled: the
   accumulators stay in registers). */
static inline __attribute__((always_inline)) void
tile(const int R, const int V, size_t m, size_t n, size_t k,
     const float *restrict a, const float *restrict b, float *restrict c,
     size_t ldc, uint32_t flags, const float *row_bias,
     const float *col_bias)
{
    __m256 acc[MR][2];
#pragma GCC unroll 6
    for (int i = 0; i < R; i++)
#pragma GCC unroll 2
        for (int v = 0; v < V; v++)
            acc[i][v] = _mm256_setzero_ps();

    /* C is read (or its lines fetched for the store) only after the k
       loop: prefetching the tile's rows now hides that latency (a tile
       row is 64 bytes, one or two lines: its first and last float) */
    for (size_t i = 0; i < m; i++) {
        _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);
        _mm_prefetch((const char *)(c + i * ldc + n - 1), _MM_HINT_T0);
    }

#pragma GCC unroll 4
    for (size_t p = 0; p < k; p++) {
        __m256 bv[2];
#pragma GCC unroll 2
        for (int v = 0; v < V; v++)
            bv[v] = _mm256_loadu_ps(b + 8 * v);
#pragma GCC unroll 6
        for (int i = 0; i < R; i++) {
            const __m256 ai = _mm256_broadcast_ss(a + i);
#pragma GCC unroll 2
            for (int v = 0; v < V; v++)
                acc[i][v] = _mm256_fmadd_ps(ai, bv[v], acc[i][v]);
        }
        a += MR;
        b += NR;
    }

    const bool accumulate = flags & VCONV_SGEMM_ACCUMULATE;
    const bool relu = flags & VCONV_SGEMM_RELU;
    const bool full = n == (size_t)(8 * V);
    const size_t n0 = n < 8 ? n : 8, n1 = n - n0;
    const __m256i mk[2] = {
        _mm256_loadu_si256((const __m256i *)(mask_table + 8 - n0)),
        _mm256_loadu_si256((const __m256i *)(mask_table + 8 - n1))};
    const __m256 zero = _mm256_setzero_ps();
    __m256 cb[2] = {zero, zero};
    if (col_bias)
#pragma GCC unroll 2
        for (int v = 0; v < V; v++)
            cb[v] = full ? _mm256_loadu_ps(col_bias + 8 * v)
                         : _mm256_maskload_ps(col_bias + 8 * v, mk[v]);
#pragma GCC unroll 6
    for (int i = 0; i < R; i++) {
        float *ci = c + (size_t)i * ldc;
        const __m256 rb =
            row_bias ? _mm256_broadcast_ss(row_bias + i) : zero;
#pragma GCC unroll 2
        for (int v = 0; v < V; v++) {
            __m256 r = acc[i][v];
            if (accumulate)
                r = _mm256_add_ps(full ? _mm256_loadu_ps(ci + 8 * v)
                                       : _mm256_maskload_ps(ci + 8 * v,
                                                            mk[v]),
                                  r);
            if (row_bias)
                r = _mm256_add_ps(r, rb);
            if (col_bias)
                r = _mm256_add_ps(r, cb[v]);
            if (relu) /* max(0, r): a NaN r is returned as is */
                r = _mm256_max_ps(zero, r);
            if (full)
                _mm256_storeu_ps(ci + 8 * v, r);
            else
                _mm256_maskstore_ps(ci + 8 * v, mk[v], r);
        }
    }
}

#define CASE(R)                                                                \
    case R:                                                                    \
        if (n > 8)                                                             \
            tile(R, 2, m, n, k, a, b, c, ldc, flags, row_bias, col_bias);      \
        else                                                                   \
            tile(R, 1, m, n, k, a, b, c, ldc, flags, row_bias, col_bias);      \
        return;

void vconv_sgemm_ukernel_6x16__avx2(size_t m, size_t n, size_t k,
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
    default:
        CASE(6)
    }
}
