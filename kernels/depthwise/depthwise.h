/*
 * depthwise.h - depthwise convolution (one input channel a group): what
 * the baseline driver (depthwise.c) and the ISA files share. Baseline
 * code only: types and prototypes, no intrinsics.
 *
 * Vector lanes are output channels: V of them a block (16 AVX-512, 8
 * AVX2, 8 NEON as two q, 8 scalar). Output channel o reads input channel
 * o / m (m = out_channels / groups, the channel multiplier; groups =
 * in_channels), so with m = 1 a block is V consecutive input channels and
 * with m > 1 each input channel is replicated into the m lanes of its
 * outputs when the input is copied; the arithmetic is then the same for
 * every multiplier.
 *
 * NHWC pixels are channel vectors already (the slab is a copy); NCHW
 * rows are transposed into the slab with the direct family's SIMD
 * conversion, and the output rows back through a row buffer [ow][V].
 *
 *   slab (per thread, one band of input rows of a job's channel blocks):
 *     [block][row][pw][V]: input rows iy0 .. iy0 + rows - 1 (all inside the
 *     image), each padded to pw columns: column x holds image column
 *     x - pl, zeros where that is outside the image (the left / right
 *     padding is materialised; the top / bottom padding is handled by the
 *     range of kernel rows a row call is given). Lanes past the channel
 *     count are zero.
 *   packed weights: [cb][kh][kw][V], zeros past the channel count.
 *   bias: [cb][V], zeros past the channel count (and without bias).
 */
#ifndef VCONV_DEPTHWISE_H
#define VCONV_DEPTHWISE_H

#include "../../core/internal.h"

#include <stddef.h>
#include <stdint.h>

/* One call: one output row of one channel block, every pixel of it.
   Output pixel ox, kernel tap (ky, kx) reads the vector at
   src + ky * src_ky + kx * src_kx + ox * src_px; the taps of each output
   are summed from the bias in the order ky, kx (whatever the pixel tile
   the kernel puts it in, so the result does not depend on the tiling). */
typedef struct {
    const float *src;     /* slab: input row of the first kernel row
                             visited (ky_lo), padded column 0 */
    const float *wei;     /* packed weights of the block, kernel row ky_lo */
    const float *bias;    /* V floats */
    float *dst;           /* pixel 0 of the row, lane 0 */
    ptrdiff_t src_ky;     /* floats between kernel rows: dh * pw * V */
    ptrdiff_t src_kx;     /* floats between kernel columns: dw * V */
    ptrdiff_t src_px;     /* floats between output pixels: sw * V */
    ptrdiff_t dst_px;     /* floats between output pixels in dst */
    int n_ky;             /* kernel rows inside the image (0: bias only) */
    int kw, ow;
    int nvalid;           /* lanes stored (1..V); V: whole vectors */
    int relu;
} dw_row_args;

typedef void (*dw_row_fn)(const dw_row_args *a);

/* The planar kernel (NCHW, one channel a plane, 3x3, stride 1 or 2 (both
   ways), dilation 1, multiplier 1; AVX-512): output rows as vectors of 16
   pixels read straight from the user's NCHW src with masked loads, no
   slab, no transposition. A tile is R output rows x U vectors of a row;
   each input row vector it loads feeds the (up to 3) output rows it is a
   kernel row of. Per output the taps are summed from the bias in the
   order ky, kx, as the row kernel does (only the taps inside the image:
   those outside are zeros, masked to zero or skipped). */
typedef struct {
    const float *src;      /* plane of channel 0 of the image */
    float *dst;            /* output plane of channel 0 */
    const float *wei;      /* [nch][3][3] */
    const float *bias;     /* [nch] */
    const uint16_t *masks; /* [ceil(ow / 16)][4]: for the vector of output
                              pixels 16 v .. 16 v + 15, [0..2]: stride 1:
                              the lanes whose input column for kx = 0, 1,
                              2 lies inside the row (and < ow); stride 2:
                              the lanes of the 16-float runs from input
                              column 32 v - pl + 0, 16, 32 inside the row;
                              [3]: the lanes < ow */
    ptrdiff_t src_c, dst_c; /* floats between channel planes */
    int nch;               /* channels of the call */
    int ih, iw, oh, ow, pt, pl;
    int stride;            /* 1 or 2, both ways */
    int relu;
} dw_plane_args;

typedef void (*dw_plane_fn)(const dw_plane_args *a);

VCONV_INTERNAL void vconv_dw_row_scalar(const dw_row_args *a);
#if VCONV_ARCH_X86_64
VCONV_INTERNAL void vconv_dw_row_avx2(const dw_row_args *a);
VCONV_INTERNAL void vconv_dw_row_avx512(const dw_row_args *a);
VCONV_INTERNAL void vconv_dw_planes_avx512(const dw_plane_args *a);
#endif
#if VCONV_ARCH_AARCH64
VCONV_INTERNAL void vconv_dw_row_neon(const dw_row_args *a);
#endif

#endif /* VCONV_DEPTHWISE_H */
