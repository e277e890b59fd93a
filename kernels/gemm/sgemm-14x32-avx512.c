/*
 * sgemm-14x32-avx512.c - the AVX-512 SGEMM microkernel (contract: gemm.h).
 *
 * Register plan: a 14 x 32 tile of C = 14 rows x 2 zmm = 28 accumulators
 * (zmm0-27); per k: 2 zmm loads of B (b0, b1), 14 broadcasts of A (one
 * register reused), 28 FMAs: 31 of the 32 zmm registers live.
 *
 * Why this tile (measured with vconv-bench gemm on the Zen 4 EPYC this was
 * written on): its AVX-512 FMA throughput equals AVX2's (512-bit FMAs
 * issue as two 256-bit halves, ~110 GFLOP/s a core either way), so having
 * AVX-512 is not the same as it being faster. What it does buy is 32
 * registers: 28 accumulators against AVX2's 12 halve the loads per FMA
 * (16 load ops per 28 FMAs here, 8 per 12 for 6x16 AVX2, which then needs
 * twice the FMA instructions as well), and masks make the edge tiles
 * free. 28x16 (one B load, 28 broadcasts) loads more per FMA; 14x32 is
 * the best ratio that fits. See the README for the figures.
 *
 * Edges: m < 14 stops storing after row m (the padded rows of the packed
 * A are zeros and cost nothing extra to compute); n < 32 masks the two
 * column vectors of every load and store of C. Reads exactly k*14 floats
 * of a and k*32 of b.
 */
#include "gemm.h"

#include <immintrin.h>

#define MR 14
#define NR 32

/* One k step: two loads of B, 14 broadcasts of A, 28 FMAs. */
#define ROW(i)                                                                 \
    do {                                                                       \
        const __m512 ai = _mm512_set1_ps(a[i]);                                \
        c##i##_0 = _mm512_fmadd_ps(ai, b0, c##i##_0);                          \
        c##i##_1 = _mm512_fmadd_ps(ai, b1, c##i##_1);                          \
    } while (0)

#define STEP()                                                                 \
    do {                                                                       \
        const __m512 b0 = _mm512_loadu_ps(b);                                  \
        const __m512 b1 = _mm512_loadu_ps(b + 16);                             \
        ROW(0); ROW(1); ROW(2); ROW(3); ROW(4); ROW(5); ROW(6);                \
        ROW(7); ROW(8); ROW(9); ROW(10); ROW(11); ROW(12); ROW(13);            \
        a += MR;                                                               \
        b += NR;                                                               \
    } while (0)

/* The epilogue of row i (flags, biases, masks: see the contract). */
#define STORE(i)                                                               \
    do {                                                                       \
        float *ci = c + (size_t)(i) * ldc;                                     \
        __m512 r0 = c##i##_0, r1 = c##i##_1;                                   \
        if (acc) {                                                             \
            r0 = _mm512_add_ps(_mm512_maskz_loadu_ps(m0, ci), r0);            \
            if (two)                                                           \
                r1 = _mm512_add_ps(_mm512_maskz_loadu_ps(m1, ci + 16), r1);   \
        }                                                                      \
        if (row_bias) {                                                        \
            const __m512 rb = _mm512_set1_ps(row_bias[i]);                     \
            r0 = _mm512_add_ps(r0, rb);                                        \
            r1 = _mm512_add_ps(r1, rb);                                        \
        }                                                                      \
        if (col_bias) {                                                        \
            r0 = _mm512_add_ps(r0, cb0);                                       \
            r1 = _mm512_add_ps(r1, cb1);                                       \
        }                                                                      \
        if (relu) { /* max(0, r): a NaN r is returned as is */                 \
            r0 = _mm512_max_ps(zero, r0);                                      \
            r1 = _mm512_max_ps(zero, r1);                                      \
        }                                                                      \
        _mm512_mask_storeu_ps(ci, m0, r0);                                     \
        if (two)                                                               \
            _mm512_mask_storeu_ps(ci + 16, m1, r1);                            \
        if (m == (i) + 1)                                                      \
            return;                                                            \
    } while (0)

void vconv_sgemm_ukernel_14x32__avx512(size_t m, size_t n, size_t k,
                                       const float *restrict a,
                                       const float *restrict b,
                                       float *restrict c, size_t ldc,
                                       uint32_t flags, const float *row_bias,
                                       const float *col_bias)
{
    __m512 c0_0 = _mm512_setzero_ps(), c0_1 = _mm512_setzero_ps();
    __m512 c1_0 = _mm512_setzero_ps(), c1_1 = _mm512_setzero_ps();
    __m512 c2_0 = _mm512_setzero_ps(), c2_1 = _mm512_setzero_ps();
    __m512 c3_0 = _mm512_setzero_ps(), c3_1 = _mm512_setzero_ps();
    __m512 c4_0 = _mm512_setzero_ps(), c4_1 = _mm512_setzero_ps();
    __m512 c5_0 = _mm512_setzero_ps(), c5_1 = _mm512_setzero_ps();
    __m512 c6_0 = _mm512_setzero_ps(), c6_1 = _mm512_setzero_ps();
    __m512 c7_0 = _mm512_setzero_ps(), c7_1 = _mm512_setzero_ps();
    __m512 c8_0 = _mm512_setzero_ps(), c8_1 = _mm512_setzero_ps();
    __m512 c9_0 = _mm512_setzero_ps(), c9_1 = _mm512_setzero_ps();
    __m512 c10_0 = _mm512_setzero_ps(), c10_1 = _mm512_setzero_ps();
    __m512 c11_0 = _mm512_setzero_ps(), c11_1 = _mm512_setzero_ps();
    __m512 c12_0 = _mm512_setzero_ps(), c12_1 = _mm512_setzero_ps();
    __m512 c13_0 = _mm512_setzero_ps(), c13_1 = _mm512_setzero_ps();

    /* C is read (or its lines fetched for the store) only after the k
       loop: prefetching the tile's rows now hides that latency (a tile
       row is 128 bytes, two or three lines: its first and last float) */
    for (size_t i = 0; i < m; i++) {
        _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);
        _mm_prefetch((const char *)(c + i * ldc + n - 1), _MM_HINT_T0);
    }

    size_t p = k;
    for (; p >= 4; p -= 4) {
        STEP();
        STEP();
        STEP();
        STEP();
    }
    for (; p > 0; p--)
        STEP();

    const bool acc = flags & VCONV_SGEMM_ACCUMULATE;
    const bool relu = flags & VCONV_SGEMM_RELU;
    const bool two = n > 16; /* the second column vector has lanes */
    const __mmask16 m0 = n >= 16 ? 0xffff : (__mmask16)((1u << n) - 1);
    const __mmask16 m1 = n >= 32   ? 0xffff
                         : n > 16 ? (__mmask16)((1u << (n - 16)) - 1)
                                  : 0;
    const __m512 zero = _mm512_setzero_ps();
    __m512 cb0 = zero, cb1 = zero;
    if (col_bias) {
        cb0 = _mm512_maskz_loadu_ps(m0, col_bias);
        if (two)
            cb1 = _mm512_maskz_loadu_ps(m1, col_bias + 16);
    }
    STORE(0);
    STORE(1);
    STORE(2);
    STORE(3);
    STORE(4);
    STORE(5);
    STORE(6);
    STORE(7);
    STORE(8);
    STORE(9);
    STORE(10);
    STORE(11);
    STORE(12);
    STORE(13);
}
