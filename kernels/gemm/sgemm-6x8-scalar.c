/*
 * sgemm-6x8-scalar.c - the portable SGEMM microkernel (contract: gemm.h):
 * what a CPU without AVX (or a build for another architecture without a
 * kernel of its own) runs. Baseline file: no -m flags, no intrinsics.
 *
 * Register plan: a 6 x 8 tile, written as plain loops over constant
 * bounds so the compiler keeps it in registers and vectorises the j loop
 * with the baseline vectors: on x86-64 12 xmm accumulators (6 rows x 2
 * SSE2 vectors of 4) + 2 for B + 1 broadcast of A = 15 of 16 xmm, a mul
 * and an add per vector (SSE2 has no FMA); on AArch64 the same in NEON
 * registers. 8 x 8 would need 16 accumulators and spill on x86-64.
 *
 * Edges: the full tile is always computed (padded rows and columns of the
 * packed panels are zeros); only the m x n corner is read and written.
 * Reads exactly k*6 floats of a and k*8 of b.
 */
#include "gemm.h"

#define MR 6
#define NR 8

void vconv_sgemm_ukernel_6x8__scalar(size_t m, size_t n, size_t k,
                                     const float *restrict a,
                                     const float *restrict b,
                                     float *restrict c, size_t ldc,
                                     uint32_t flags, const float *row_bias,
                                     const float *col_bias)
{
    float acc[MR][NR] = {{0}};
    for (size_t p = 0; p < k; p++) {
        for (int i = 0; i < MR; i++) {
            const float ai = a[i];
            for (int j = 0; j < NR; j++)
                acc[i][j] += ai * b[j];
        }
        a += MR;
        b += NR;
    }
    const bool accumulate = flags & VCONV_SGEMM_ACCUMULATE;
    const bool relu = flags & VCONV_SGEMM_RELU;
    for (size_t i = 0; i < m; i++) {
        float *ci = c + i * ldc;
        for (size_t j = 0; j < n; j++) {
            float r = acc[i][j];
            if (accumulate)
                r = ci[j] + r;
            if (row_bias)
                r = r + row_bias[i];
            if (col_bias)
                r = r + col_bias[j];
            if (relu && r < 0)
                r = 0;
            ci[j] = r;
        }
    }
}
