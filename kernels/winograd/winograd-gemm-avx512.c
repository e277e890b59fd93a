/*
 * winograd-gemm-avx512.c - the AVX-512 GEMM microkernels of the Winograd
 * batched GEMM: tiles are the rows (broadcast from the packed V panel),
 * output channels the columns (vectors of the packed U panel).
 *
 * Three tiles, one for each row count MR in {16, 8, 4}, each with 16
 * accumulators (zmm): 16 x 16, 8 x 32, 4 x 64. Why these (measured on
 * the Zen 4 this was written on): it issues one 512-bit FMA a cycle with
 * a 4-cycle latency, so any tile with 8 or more accumulators reaches
 * ~97% of the FMA peak at K = 32 and ~100% at K = 256, and loads are not
 * the limit (17 a k-step for 16 FMAs at 16 x 16 still run at peak). The
 * tile can therefore be chosen for the transforms rather than for the
 * GEMM: MR divides the 16 lanes of the input transform, whose lanes then
 * fill one aligned 64-byte row of the V panel per (point, channel step)
 * (16 tiles, or 8 tiles x 2 channels, or 4 tiles x 4 channels), and a
 * layer with few tiles (4 or 9 at batch 1) wastes no lanes and few rows.
 *
 * Register plan (MR x NR = 16 x 16, 8 x 32, 4 x 64): R x V accumulators
 * (R <= MR rows, V <= NR / 16 column vectors, R V <= 16), V zmm of B a
 * k-step, one broadcast of A reused: at most 18 of the 32 zmm live.
 *
 * Contract (gemm.h's microkernel contract with no epilogue): flags must
 * be 0 and the biases NULL (the Winograd output transform adds the bias
 * and applies the ReLU); C(i, j) = sum_{p < k} A(i, p) B(p, j) from 0, p
 * ascending, one FMA a term, so a result depends only on its operands
 * (not on which of the three tiles computed it). Packed A: a[p * MR + i],
 * MR floats a k-step whatever m (rows m..MR-1 readable, finite); packed
 * B: b[p * NR + j], NR floats a k-step whatever n (columns n..NR-1
 * readable, finite). Writes C only inside the m x n tile (masked column
 * tails). Reads at most k MR floats of a and k NR of b.
 */
#include "winograd.h"

#include <immintrin.h>

/* floats ahead of B's k-step that a k-step prefetches (8 KiB) */
#define U_PREFETCH 2048

static inline __mmask16 col_mask(size_t n, int v)
{
    const size_t lo = (size_t)v * 16;
    if (n >= lo + 16)
        return (__mmask16)0xffff;
    return (__mmask16)((1u << (n - lo)) - 1);
}

/* R rows (R <= MR) and V column vectors of an MR x NR kernel: constant
   bounds, fully unrolled, accumulators in registers. */
static inline __attribute__((always_inline)) void
tile(const int MR, const int NR, const int R, const int V, size_t m,
     size_t n, size_t k, const float *restrict a, const float *restrict b,
     float *restrict c, size_t ldc)
{
    __m512 acc[16][4];
#pragma GCC unroll 16
    for (int i = 0; i < R; i++)
#pragma GCC unroll 4
        for (int v = 0; v < V; v++)
            acc[i][v] = _mm512_setzero_ps();

    /* C's lines are written after the k loop: fetch them now (a row of
       the tile is at most 256 bytes: its first and last float) */
    for (size_t i = 0; i < m; i++) {
        _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);
        _mm_prefetch((const char *)(c + i * ldc + n - 1), _MM_HINT_T0);
    }

#pragma GCC unroll 4
    for (size_t p = 0; p < k; p++) {
        __m512 bv[4];
        /* U streams from L3 when it outgrows L2 (AlexNet: 6 to 25 MB at
           batch 1, each float used for one k-step of 16 tiles): fetch
           it 8 KiB ahead, into the panels of the next calls (measured:
           57 -> 105 GFLOP/s on AlexNet conv3's GEMM, F(4x4), batch 1;
           4 KiB as good, 16 KiB worse). A prefetch never faults past
           the end of U. */
#pragma GCC unroll 4
        for (int v = 0; v < V; v++)
            _mm_prefetch((const char *)(b + U_PREFETCH + 16 * v),
                         _MM_HINT_T0);
#pragma GCC unroll 4
        for (int v = 0; v < V; v++)
            bv[v] = _mm512_loadu_ps(b + 16 * v);
#pragma GCC unroll 16
        for (int i = 0; i < R; i++) {
            const __m512 ai = _mm512_set1_ps(a[i]);
#pragma GCC unroll 4
            for (int v = 0; v < V; v++)
                acc[i][v] = _mm512_fmadd_ps(ai, bv[v], acc[i][v]);
        }
        a += MR;
        b += NR;
    }

#pragma GCC unroll 16
    for (int i = 0; i < R; i++) {
        if ((size_t)i == m)
            return;
        float *ci = c + (size_t)i * ldc;
#pragma GCC unroll 4
        for (int v = 0; v < V; v++) {
            if (v == V - 1)
                _mm512_mask_storeu_ps(ci + 16 * v, col_mask(n, v),
                                      acc[i][v]);
            else
                _mm512_storeu_ps(ci + 16 * v, acc[i][v]);
        }
    }
}

#define ARGS m, n, k, a, b, c, ldc

/* 16 x 16: rows in pairs (an odd m computes one row more, unstored). */
#define CASE16(R)                                                              \
    case R / 2:                                                                \
        tile(16, 16, R, 1, ARGS);                                              \
        return;

void vconv_wino_gemm_16x16__avx512(size_t m, size_t n, size_t k,
                                   const float *restrict a,
                                   const float *restrict b, float *restrict c,
                                   size_t ldc, uint32_t flags,
                                   const float *row_bias,
                                   const float *col_bias)
{
    (void)flags, (void)row_bias, (void)col_bias;
    switch ((m + 1) / 2) {
        CASE16(2)
        CASE16(4)
        CASE16(6)
        CASE16(8)
        CASE16(10)
        CASE16(12)
        CASE16(14)
    default:
        CASE16(16)
    }
}

/* 8 x 32: rows in pairs, 1 or 2 column vectors. */
#define CASE8(R)                                                               \
    case R / 2:                                                                \
        if (n > 16)                                                            \
            tile(8, 32, R, 2, ARGS);                                           \
        else                                                                   \
            tile(8, 32, R, 1, ARGS);                                           \
        return;

void vconv_wino_gemm_8x32__avx512(size_t m, size_t n, size_t k,
                                  const float *restrict a,
                                  const float *restrict b, float *restrict c,
                                  size_t ldc, uint32_t flags,
                                  const float *row_bias,
                                  const float *col_bias)
{
    (void)flags, (void)row_bias, (void)col_bias;
    switch ((m + 1) / 2) {
        CASE8(2)
        CASE8(4)
        CASE8(6)
    default:
        CASE8(8)
    }
}

/* 4 x 64: 1 to 4 rows, 1 to 4 column vectors. */
#define CASE4V(R)                                                              \
    switch ((n + 15) / 16) {                                                   \
    case 1: tile(4, 64, R, 1, ARGS); return;                                   \
    case 2: tile(4, 64, R, 2, ARGS); return;                                   \
    case 3: tile(4, 64, R, 3, ARGS); return;                                   \
    default: tile(4, 64, R, 4, ARGS); return;                                  \
    }

void vconv_wino_gemm_4x64__avx512(size_t m, size_t n, size_t k,
                                  const float *restrict a,
                                  const float *restrict b, float *restrict c,
                                  size_t ldc, uint32_t flags,
                                  const float *row_bias,
                                  const float *col_bias)
{
    (void)flags, (void)row_bias, (void)col_bias;
    switch (m) {
    case 1: CASE4V(1)
    case 2: CASE4V(2)
    case 3: CASE4V(3)
    default: CASE4V(4)
    }
}
