/*
 * sgemm-6x16-avx2.c - the AVX2 + FMA SGEMM microkernel (contract: gemm.h).
 *
 * Register plan: a 6 x 16 tile of C = 6 rows x 2 ymm = 12 accumulators
 * (ymm0-11); per k: 2 ymm loads of B, 6 broadcasts of A (one register
 * reused), 12 FMAs: 15 of the 16 ymm registers live. 12 independent
 * accumulators cover the FMA latency (4 cycles) x 2 pipes with room to
 * spare; 8 x 16 would need 16 accumulators and spill. BLIS's Haswell tile.
 *
 * Edges: m < 6 stops storing after row m (padded A rows are zeros);
 * n < 16 uses vmaskmovps with masks from a sliding window of a table
 * (AVX2 has no mask registers); a full tile takes the plain loads and
 * stores. Reads exactly k*6 floats of a and k*16 of b.
 */
#include "gemm.h"

#include <immintrin.h>

#define MR 6
#define NR 16

#define ROW(i)                                                                 \
    do {                                                                       \
        const __m256 ai = _mm256_broadcast_ss(a + (i));                        \
        c##i##_0 = _mm256_fmadd_ps(ai, b0, c##i##_0);                          \
        c##i##_1 = _mm256_fmadd_ps(ai, b1, c##i##_1);                          \
    } while (0)

#define STEP()                                                                 \
    do {                                                                       \
        const __m256 b0 = _mm256_loadu_ps(b);                                  \
        const __m256 b1 = _mm256_loadu_ps(b + 8);                              \
        ROW(0); ROW(1); ROW(2); ROW(3); ROW(4); ROW(5);                        \
        a += MR;                                                               \
        b += NR;                                                               \
    } while (0)

#define STORE_FULL(i)                                                          \
    do {                                                                       \
        float *ci = c + (size_t)(i) * ldc;                                     \
        __m256 r0 = c##i##_0, r1 = c##i##_1;                                   \
        if (acc) {                                                             \
            r0 = _mm256_add_ps(_mm256_loadu_ps(ci), r0);                       \
            r1 = _mm256_add_ps(_mm256_loadu_ps(ci + 8), r1);                   \
        }                                                                      \
        EPILOGUE(i);                                                           \
        _mm256_storeu_ps(ci, r0);                                              \
        _mm256_storeu_ps(ci + 8, r1);                                          \
        if (m == (i) + 1)                                                      \
            return;                                                            \
    } while (0)

#define STORE_MASKED(i)                                                        \
    do {                                                                       \
        float *ci = c + (size_t)(i) * ldc;                                     \
        __m256 r0 = c##i##_0, r1 = c##i##_1;                                   \
        if (acc) {                                                             \
            r0 = _mm256_add_ps(_mm256_maskload_ps(ci, k0), r0);                \
            if (two)                                                           \
                r1 = _mm256_add_ps(_mm256_maskload_ps(ci + 8, k1), r1);        \
        }                                                                      \
        EPILOGUE(i);                                                           \
        _mm256_maskstore_ps(ci, k0, r0);                                       \
        if (two)                                                               \
            _mm256_maskstore_ps(ci + 8, k1, r1);                               \
        if (m == (i) + 1)                                                      \
            return;                                                            \
    } while (0)

#define EPILOGUE(i)                                                            \
    do {                                                                       \
        if (row_bias) {                                                        \
            const __m256 rb = _mm256_broadcast_ss(row_bias + (i));             \
            r0 = _mm256_add_ps(r0, rb);                                        \
            r1 = _mm256_add_ps(r1, rb);                                        \
        }                                                                      \
        if (col_bias) {                                                        \
            r0 = _mm256_add_ps(r0, cb0);                                       \
            r1 = _mm256_add_ps(r1, cb1);                                       \
        }                                                                      \
        if (relu) { /* max(0, r): a NaN r is returned as is */                 \
            r0 = _mm256_max_ps(zero, r0);                                      \
            r1 = _mm256_max_ps(zero, r1);                                      \
        }                                                                      \
    } while (0)

/* masks[8 - j .. 16 - j) has j lanes set (vmaskmovps uses the sign bit) */
static const int32_t mask_table[16] = {-1, -1, -1, -1, -1, -1, -1, -1,
                                       0,  0,  0,  0,  0,  0,  0,  0};

void vconv_sgemm_ukernel_6x16__avx2(size_t m, size_t n, size_t k,
                                    const float *restrict a,
                                    const float *restrict b,
                                    float *restrict c, size_t ldc,
                                    uint32_t flags, const float *row_bias,
                                    const float *col_bias)
{
    __m256 c0_0 = _mm256_setzero_ps(), c0_1 = _mm256_setzero_ps();
    __m256 c1_0 = _mm256_setzero_ps(), c1_1 = _mm256_setzero_ps();
    __m256 c2_0 = _mm256_setzero_ps(), c2_1 = _mm256_setzero_ps();
    __m256 c3_0 = _mm256_setzero_ps(), c3_1 = _mm256_setzero_ps();
    __m256 c4_0 = _mm256_setzero_ps(), c4_1 = _mm256_setzero_ps();
    __m256 c5_0 = _mm256_setzero_ps(), c5_1 = _mm256_setzero_ps();

    /* C is read (or its lines fetched for the store) only after the k
       loop: prefetching the tile's rows now hides that latency (a tile
       row is 64 bytes, one or two lines: its first and last float) */
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
    const __m256 zero = _mm256_setzero_ps();
    if (n == NR) {
        __m256 cb0 = zero, cb1 = zero;
        if (col_bias) {
            cb0 = _mm256_loadu_ps(col_bias);
            cb1 = _mm256_loadu_ps(col_bias + 8);
        }
        STORE_FULL(0);
        STORE_FULL(1);
        STORE_FULL(2);
        STORE_FULL(3);
        STORE_FULL(4);
        STORE_FULL(5);
    } else {
        const size_t n0 = n < 8 ? n : 8, n1 = n - n0;
        const bool two = n1 > 0;
        const __m256i k0 =
            _mm256_loadu_si256((const __m256i *)(mask_table + 8 - n0));
        const __m256i k1 =
            _mm256_loadu_si256((const __m256i *)(mask_table + 8 - n1));
        __m256 cb0 = zero, cb1 = zero;
        if (col_bias) {
            cb0 = _mm256_maskload_ps(col_bias, k0);
            if (two)
                cb1 = _mm256_maskload_ps(col_bias + 8, k1);
        }
        STORE_MASKED(0);
        STORE_MASKED(1);
        STORE_MASKED(2);
        STORE_MASKED(3);
        STORE_MASKED(4);
        STORE_MASKED(5);
    }
}
