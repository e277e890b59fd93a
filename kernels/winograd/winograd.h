/*
 * winograd.h - what the Winograd convolution's baseline driver
 * (winograd.c) and its ISA files (winograd-scalar.c, winograd-avx2.c,
 * winograd-avx512.c, winograd-neon.c) share. Declarations and plain data only: no
 * intrinsics, nothing inline that an ISA file could compile with its
 * flags for baseline callers.
 *
 * The algorithm (F(m x m, r x r), r = 3 or 5, alpha = m + r - 1; matrices
 * and points in winograd-tables.h, derived by gen_winograd.py; the
 * accuracy contract in winograd.c and the README):
 *
 *   for each group g, block of T tiles (tiles of m x m outputs, all
 *   images of the batch in one sequence), chunk of OCB output channels:
 *     1. input: NCHW is read in place (a tile's patch rows are rows of
 *        the image; rows and columns in the padding are masked to zero);
 *        NHWC is first transposed into strips (the input rows the block's
 *        tiles read, zero-padded, channel-major);
 *     2. input transform: V = B^T d B of every tile and input channel,
 *        written straight into packed GEMM A panels (rows = tiles): no
 *        separate pack pass;
 *     3. batched GEMM: for each of the alpha^2 points xi,
 *        M_xi[tiles x oc] = V_xi[tiles x ic] U_xi[ic x oc], U_xi the
 *        weights transformed (in double) and packed as B panels once, at
 *        create; one call of the kernels/gemm microkernel per (point, oc
 *        panel, tile panel), the whole K = icg in one call;
 *     4. output transform: Y = A^T M A + bias, ReLU, stored to NHWC dst
 *        directly, or to an NHWC band that a transpose writes to NCHW dst.
 *   Steps 1-2 run once per (group, block) and are reused by the block's
 *   oc chunks. Work items (group, block, chunk) are split among the
 *   threads in contiguous ranges; every output is the same sequence of
 *   operations whatever the blocks and threads (bitwise identical).
 *
 * Orientation: tiles are the GEMM's M (the broadcast side, MR rows),
 * output channels its N (the vector side, NR columns): the layers that
 * matter have 32..384 output channels (full NR panels) but at batch 1 as
 * few as 4..64 tiles, which MR = 14 pads less than NR = 32 would. The
 * output transform then works on vectors of output channels (loads
 * contiguous, NHWC stores contiguous, bias a vector); the input transform
 * on vectors of tiles (a transpose of each tile's patch rows).
 *
 * ISA code lives in the transform files only (NEON: winograd-neon.c and
 * its wino_isa_ops); this header and winograd.c are generic.
 */
#ifndef VCONV_WINOGRAD_H
#define VCONV_WINOGRAD_H

#include "../../core/internal.h"
#include "../gemm/gemm.h"

#include <stddef.h>
#include <stdint.h>

/* Variants: index 0, 1, 2 = F(2x2, 3x3), F(4x4, 3x3), F(6x6, 3x3); 3, 4 =
   F(2x2, 5x5), F(4x4, 5x5) (alpha 6 and 8: they take the input transforms
   of F(4x4, 3x3) and F(6x6, 3x3), whose points and B^T they share). */
enum {
    WINO_F2 = 0,
    WINO_F4,
    WINO_F6,
    WINO_F2R5,
    WINO_F4R5,
    WINO_NVARIANTS
};

/* Floats of padding after every (panel, point) A panel of V: an
   `aligned` ISA's input transform stores whole vectors (vl lanes) in
   increasing step order, the lanes past `lanes` landing in the next
   step's row (overwritten by it) or, for the last step, here. */
#define WINO_PANEL_PAD 16

/* Floats of slack after a strip buffer: the input transforms load 8
   floats for a patch row of alpha = 6 (and 4 for alpha = 4). */
#define WINO_STRIP_SLACK 16

/*
 * Input transform of `lanes` independent patches (the vector lanes),
 * nch steps:
 *   patch[l], l < vl:  lane l's patch at step 0, row 0, column 0. Patch
 *                      element (r, j) of step c is at
 *                      patch[l] + c * cs + r * rs + j and is read only
 *                      where bit j of mask[r * vl + l] is set (else it is
 *                      0: padding); so patch[l] may point outside the
 *                      source (the NCHW image itself, at its borders).
 *                      Lanes >= `lanes` repeat a valid pointer and mask
 *                      and are computed but never stored;
 *   cs, rs:            step and row strides of the patches (floats);
 *   mask:              [alpha][vl] column masks, bit j for column j;
 *   lanes (<= vl), nch;
 *   v:                 point xi of step c, lane l at
 *                      v[xi * vs_point + c * lanes + l].
 * The driver's lanes are cl channels of mr tiles (lane q mr + t: tile t,
 * channel c cl + q at step c), so that a step fills cl rows of a packed
 * A panel of mr rows; with mr = lanes = vl (AVX-512: 16) a step is one
 * aligned vector a point.
 * Writes every (point, step, lane < lanes) value. `aligned` ISAs store
 * whole vectors in increasing step order: for lanes < vl they also write
 * vl - lanes floats past a (point, step) row, into the next step's row
 * (which that step then writes) or, after the last step, into the
 * point's padding (WINO_PANEL_PAD).
 */
typedef void (*wino_input_fn)(const float *const *patch, ptrdiff_t cs,
                              ptrdiff_t rs, const uint8_t *mask, int lanes,
                              int nch, float *v, ptrdiff_t vs_point);

/*
 * Output transform of one tile, noc output channels:
 *   mt:      point xi, channel o at mt[xi * ms_point + o] (the GEMM's
 *            output row of the tile);
 *   bias:    noc floats; relu: clamp at 0 after the bias;
 *   y:       output pixel (i, j) of the tile, channel o at
 *            y[i * ys_row + j * ys_col + o], for i < mi, j < mj (mi, mj
 *            <= m: a tile cut by the bottom / right border).
 */
typedef void (*wino_output_fn)(const float *mt, ptrdiff_t ms_point, int noc,
                               const float *bias, int relu, float *y,
                               ptrdiff_t ys_row, ptrdiff_t ys_col, int mi,
                               int mj);

/* dst[c * ldd + r] = src[r * lds + c] for r < rows, c < cols. */
typedef void (*wino_transpose_fn)(int rows, int cols, const float *src,
                                  ptrdiff_t lds, float *dst, ptrdiff_t ldd);

/*
 * The NCHW writer: rows x px pixels of noc channels from an NHWC band,
 *   dst[o * dst_oc + i * dst_row + x] = band[i * band_row + x * band_px + o]
 * for i < rows, x < px, o < noc; channel-major, so that each channel's
 * rows go out one after the other.
 */
typedef void (*wino_band_fn)(const float *band, ptrdiff_t band_row,
                             ptrdiff_t band_px, int rows, int px, int noc,
                             float *dst, ptrdiff_t dst_row, ptrdiff_t dst_oc);

/* Winograd GEMM kernels an ISA may list (winograd-gemm-<isa>.c). */
#define WINO_NGEMM 3

/* The ISA-specific parts. */
typedef struct {
    vconv_isa isa;
    int vl;                       /* lanes of the input transform */
    int aligned;                  /* input stores whole vectors */
    /* GEMM kernels with the sgemm microkernel contract (gemm.h) minus
       its epilogue (flags 0, no biases), MR dividing vl, largest MR
       first; NULL-terminated; none: the ISA's sgemm kernel */
    const vconv_sgemm_kernel *gemm[WINO_NGEMM + 1];
    wino_input_fn input[WINO_NVARIANTS];
    wino_output_fn output[WINO_NVARIANTS];
    wino_transpose_fn transpose;
    wino_band_fn band;
} wino_isa_ops;

VCONV_INTERNAL extern const wino_isa_ops vconv_wino_ops_scalar;
#if VCONV_ARCH_AARCH64
VCONV_INTERNAL extern const wino_isa_ops vconv_wino_ops_neon;
#endif
#if VCONV_ARCH_X86_64
VCONV_INTERNAL extern const wino_isa_ops vconv_wino_ops_avx2;
/* winograd-gemm-avx2.c */
VCONV_INTERNAL void vconv_wino_gemm_4x24__avx2(
    size_t m, size_t n, size_t k, const float *a, const float *b, float *c,
    size_t ldc, uint32_t flags, const float *row_bias, const float *col_bias);
VCONV_INTERNAL extern const wino_isa_ops vconv_wino_ops_avx512;
/* winograd-gemm-avx512.c */
VCONV_INTERNAL void vconv_wino_gemm_16x16__avx512(
    size_t m, size_t n, size_t k, const float *a, const float *b, float *c,
    size_t ldc, uint32_t flags, const float *row_bias, const float *col_bias);
VCONV_INTERNAL void vconv_wino_gemm_8x32__avx512(
    size_t m, size_t n, size_t k, const float *a, const float *b, float *c,
    size_t ldc, uint32_t flags, const float *row_bias, const float *col_bias);
VCONV_INTERNAL void vconv_wino_gemm_4x64__avx512(
    size_t m, size_t n, size_t k, const float *a, const float *b, float *c,
    size_t ldc, uint32_t flags, const float *row_bias, const float *col_bias);
#endif

/* The matrices (winograd-tables.h) of variant v, for the tests and the
   weight transform: A^T [m][alpha], G [alpha][r], B^T [alpha][alpha],
   row-major doubles; r the kernel size, alpha = m + r - 1. */
typedef struct {
    int m, r, alpha;
    const double *at, *g, *bt;
    const char *points;
} wino_matrices;
VCONV_INTERNAL const wino_matrices *vconv_wino_matrices(int variant);

/* The weight transform of one r x r kernel w (row-major): u = G w G^T,
   alpha x alpha row-major (point xi = i * alpha + j), in double precision
   and rounded once. What create packs, per (output, input) channel. */
VCONV_INTERNAL void vconv_wino_weight_transform(int variant, const float *w,
                                                float *u);

#endif
