/*
 * winograd-scalar.c - the portable Winograd transforms (contracts:
 * winograd.h): plain C, one tile (input) or one output channel (output)
 * at a time, the 1-D transforms of winograd-tables.h on floats. Baseline
 * file: no intrinsics; what a CPU without AVX runs, and the model the
 * vector files follow.
 *
 * Plan: input, per tile and channel: the alpha x alpha patch row by row
 * through B^T (T = d B, alpha rows of alpha floats), then T's columns
 * through B^T, alpha^2 stores into the A panels. Output, per tile and
 * channel: the alpha x alpha points row by row through A^T (alpha x m),
 * then the columns (m x m), bias, ReLU, stores. Every tile and channel
 * takes the same operations in the same order, so a result never depends
 * on its position. The build compiles ISO C (-std=c11): no contraction of
 * a * c + b into an FMA, on x86-64 or AArch64.
 */
#include "winograd.h"
#include "winograd-tables.h"

#define WT_T float
#define WT_ADD(a, b) ((a) + (b))
#define WT_SUB(a, b) ((a) - (b))
#define WT_MUL(a, c) ((a) * (c))
#define WT_FMA(a, c, b) ((a) * (c) + (b))
#define WT_ZERO 0.0f
/* the generated 1-D transforms read X(k) and write Y(k) */
#define VL 16 /* tiles in a group of the input transform */
#define X(k) wx[k]
#define Y(k) wy[k]

#define DEFINE_INPUT(NAME, A_, BT_1D)                                          \
    static void NAME(const float *const *patch, ptrdiff_t cs, ptrdiff_t rs,    \
                     const uint8_t *mask, int lanes, int nch, float *v,        \
                     ptrdiff_t vs_point)                                       \
    {                                                                          \
        for (int l = 0; l < lanes; l++) {                                      \
            float *vo = v + l;                                                 \
            for (int c = 0; c < nch; c++) {                                    \
                float t[A_][A_], wx[A_], wy[A_];                               \
                for (int r = 0; r < A_; r++) {                                 \
                    const unsigned mk = mask[r * VL + l];                      \
                    for (int k = 0; k < A_; k++)                               \
                        wx[k] = mk >> k & 1                                    \
                                    ? patch[l][c * cs + r * rs + k]            \
                                    : 0.0f;                                    \
                    BT_1D();                                                   \
                    for (int k = 0; k < A_; k++)                               \
                        t[r][k] = wy[k];                                       \
                }                                                              \
                for (int k = 0; k < A_; k++) {                                 \
                    for (int j = 0; j < A_; j++)                               \
                        wx[j] = t[j][k];                                       \
                    BT_1D();                                                   \
                    for (int j = 0; j < A_; j++)                               \
                        vo[(j * A_ + k) * vs_point + c * lanes] = wy[j];       \
                }                                                              \
            }                                                                  \
        }                                                                      \
    }

#define DEFINE_OUTPUT(NAME, M_, A_, AT_1D)                                     \
    static void NAME(const float *mt, ptrdiff_t ms_point, int noc,             \
                     const float *bias, int relu, float *y, ptrdiff_t ys_row,  \
                     ptrdiff_t ys_col, int mi, int mj)                         \
    {                                                                          \
        for (int o = 0; o < noc; o++) {                                        \
            float z[A_][M_], wx[A_], wy[M_];                                   \
            for (int j = 0; j < A_; j++) {                                     \
                for (int k = 0; k < A_; k++)                                   \
                    wx[k] = mt[(j * A_ + k) * ms_point + o];                   \
                AT_1D();                                                       \
                for (int q = 0; q < M_; q++)                                   \
                    z[j][q] = wy[q];                                           \
            }                                                                  \
            const float b = bias[o];                                           \
            for (int q = 0; q < mj; q++) {                                     \
                for (int j = 0; j < A_; j++)                                   \
                    wx[j] = z[j][q];                                           \
                AT_1D();                                                       \
                for (int i = 0; i < mi; i++) {                                 \
                    float r = wy[i] + b;                                       \
                    if (relu)                                                  \
                        r = r < 0 ? 0 : r; /* NaN stays NaN */                 \
                    y[i * ys_row + q * ys_col + o] = r;                        \
                }                                                              \
            }                                                                  \
        }                                                                      \
    }

DEFINE_INPUT(input_f2, 4, WINO_F2_BT_1D)
DEFINE_INPUT(input_f4, 6, WINO_F4_BT_1D)
DEFINE_INPUT(input_f6, 8, WINO_F6_BT_1D)
DEFINE_OUTPUT(output_f2, 2, 4, WINO_F2_AT_1D)
DEFINE_OUTPUT(output_f4, 4, 6, WINO_F4_AT_1D)
DEFINE_OUTPUT(output_f6, 6, 8, WINO_F6_AT_1D)
/* F(m x m, 5 x 5): the input transforms of the same alpha (F(4x4) and
   F(6x6)'s: the same points, the same B^T), their own A^T */
DEFINE_OUTPUT(output_f2r5, 2, 6, WINO_F2R5_AT_1D)
DEFINE_OUTPUT(output_f4r5, 4, 8, WINO_F4R5_AT_1D)

static void transpose_scalar(int rows, int cols, const float *src,
                             ptrdiff_t lds, float *dst, ptrdiff_t ldd)
{
    for (int c = 0; c < cols; c++)
        for (int r = 0; r < rows; r++)
            dst[c * ldd + r] = src[r * lds + c];
}

static void band_scalar(const float *band, ptrdiff_t band_row,
                        ptrdiff_t band_px, int rows, int px, int noc,
                        float *dst, ptrdiff_t dst_row, ptrdiff_t dst_oc)
{
    for (int o = 0; o < noc; o++)
        for (int i = 0; i < rows; i++)
            for (int x = 0; x < px; x++)
                dst[o * dst_oc + i * dst_row + x] =
                    band[i * band_row + x * band_px + o];
}

const wino_isa_ops vconv_wino_ops_scalar = {
    VCONV_ISA_SCALAR,
    VL,
    0,
    {NULL},
    {input_f2, input_f4, input_f6, input_f4, input_f6},
    {output_f2, output_f4, output_f6, output_f2r5, output_f4r5},
    transpose_scalar,
    band_scalar,
};

/* The tables, for the baseline driver and the tests. */
static const wino_matrices matrices[WINO_NVARIANTS] = {
    {2, 3, 4, &wino_f2_at[0][0], &wino_f2_g[0][0], &wino_f2_bt[0][0],
     WINO_F2_POINTS},
    {4, 3, 6, &wino_f4_at[0][0], &wino_f4_g[0][0], &wino_f4_bt[0][0],
     WINO_F4_POINTS},
    {6, 3, 8, &wino_f6_at[0][0], &wino_f6_g[0][0], &wino_f6_bt[0][0],
     WINO_F6_POINTS},
    {2, 5, 6, &wino_f2r5_at[0][0], &wino_f2r5_g[0][0], &wino_f2r5_bt[0][0],
     WINO_F2R5_POINTS},
    {4, 5, 8, &wino_f4r5_at[0][0], &wino_f4r5_g[0][0], &wino_f4r5_bt[0][0],
     WINO_F4R5_POINTS},
};

const wino_matrices *vconv_wino_matrices(int variant)
{
    return variant >= 0 && variant < WINO_NVARIANTS ? &matrices[variant]
                                                     : (const wino_matrices *)0;
}
