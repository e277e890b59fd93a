/*
 * winograd-gemm-avx2.c - the AVX2 + FMA GEMM microkernel of the Winograd
 * batched GEMM: tiles are the rows (broadcast from the packed V panel),
 * output channels the columns (vectors of the packed U panel).
 *
 * One tile, 4 x 24: MR = 4 divides the 8 lanes of the AVX2 input
 * transform (a step is 4 tiles x 2 channels: one aligned 32-byte row of
 * the V panel). Register plan: 4 x 3 = 12 ymm accumulators, 3 ymm of B a
 * k-step, one broadcast of A: 16 of the 16 ymm. Why this tile (measured
 * on the Zen 4 this was written on, 2 ymm FMAs a cycle, 4-cycle latency,
 * so at least 8 independent accumulators): 4 x 24 ran at 98 (K = 32) to
 * 103 (K = 256) GFLOP/s, above 6 x 16 (95 / 102), 4 x 16 (88 / 96), 2 x 32
 * (92 / 86) and 8 x 8 (75 / 81).
 *
 * Contract: winograd-gemm-avx512.c's (gemm.h's microkernel contract with
 * no epilogue: flags 0, no biases; C(i, j) = sum_{p < k} A(i, p) B(p, j)
 * from 0, p ascending, one FMA a term). Packed A: a[p * 4 + i]; packed
 * B: b[p * 24 + j], whatever m and n. Writes C only inside the m x n tile
 * (vmaskmovps for a partial last vector).
 */
#include "winograd.h"

#include <immintrin.h>

#define MR 4
#define NR 24

/* floats ahead of B's k-step that a k-step prefetches (8 KiB): U streams
   from L3 for AlexNet's layers (winograd-gemm-avx512.c) */
#define U_PREFETCH 2048

static inline __m256i col_mask(size_t n, int v)
{
    static const int32_t table[16] = {-1, -1, -1, -1, -1, -1, -1, -1,
                                      0,  0,  0,  0,  0,  0,  0,  0};
    const size_t lo = (size_t)v * 8;
    const size_t r = n - lo >= 8 ? 8 : n - lo;
    return _mm256_loadu_si256((const __m256i *)(table + 8 - r));
}

static inline __attribute__((always_inline)) void
tile(const int R, const int V, size_t m, size_t n, size_t k,
     const float *restrict a, const float *restrict b, float *restrict c,
     size_t ldc)
{
    __m256 acc[MR][3];
#pragma GCC unroll 4
    for (int i = 0; i < R; i++)
#pragma GCC unroll 3
        for (int v = 0; v < V; v++)
            acc[i][v] = _mm256_setzero_ps();

    for (size_t i = 0; i < m; i++) {
        _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);
        _mm_prefetch((const char *)(c + i * ldc + n - 1), _MM_HINT_T0);
    }

#pragma GCC unroll 4
    for (size_t p = 0; p < k; p++) {
        __m256 bv[3];
        /* one line of U a k-step (96 bytes: a line and a half) */
        _mm_prefetch((const char *)(b + U_PREFETCH), _MM_HINT_T0);
        if (V > 2)
            _mm_prefetch((const char *)(b + U_PREFETCH + 16), _MM_HINT_T0);
#pragma GCC unroll 3
        for (int v = 0; v < V; v++)
            bv[v] = _mm256_loadu_ps(b + 8 * v);
#pragma GCC unroll 4
        for (int i = 0; i < R; i++) {
            const __m256 ai = _mm256_broadcast_ss(a + i);
#pragma GCC unroll 3
            for (int v = 0; v < V; v++)
                acc[i][v] = _mm256_fmadd_ps(ai, bv[v], acc[i][v]);
        }
        a += MR;
        b += NR;
    }

    const bool full = n == (size_t)V * 8;
    const __m256i last = col_mask(n, V - 1);
#pragma GCC unroll 4
    for (int i = 0; i < R; i++) {
        if ((size_t)i == m)
            return;
        float *ci = c + (size_t)i * ldc;
#pragma GCC unroll 3
        for (int v = 0; v < V; v++) {
            if (v == V - 1 && !full)
                _mm256_maskstore_ps(ci + 8 * v, last, acc[i][v]);
            else
                _mm256_storeu_ps(ci + 8 * v, acc[i][v]);
        }
    }
}

#define ARGS m, n, k, a, b, c, ldc
#define CASEV(R)                                                               \
    switch ((n + 7) / 8) {                                                     \
    case 1: tile(R, 1, ARGS); return;                                          \
    case 2: tile(R, 2, ARGS); return;                                          \
    default: tile(R, 3, ARGS); return;                                         \
    }

void vconv_wino_gemm_4x24__avx2(size_t m, size_t n, size_t k,
                                const float *restrict a,
                                const float *restrict b, float *restrict c,
                                size_t ldc, uint32_t flags,
                                const float *row_bias, const float *col_bias)
{
    (void)flags, (void)row_bias, (void)col_bias;
    switch (m) {
    case 1: CASEV(1)
    case 2: CASEV(2)
    case 3: CASEV(3)
    default: CASEV(4)
    }
}
