/* im2col.h - convolution as im2col + the packed SGEMM (see im2col.c): the
   operand sources that write the im2col matrix straight into the GEMM's
   micro-panels. */
#ifndef VCONV_IM2COL_H
#define VCONV_IM2COL_H

#include "../../core/internal.h"
#include "../gemm/gemm.h"

/* For each kernel tap: the output rows [oy_lo, oy_hi) (columns [ox_lo,
   ox_hi)) whose input row (column) lies inside the image. */
typedef struct {
    int *oy_lo, *oy_hi;   /* [kh] */
    int *ox_lo, *ox_hi;   /* [kw] */
} im2col_geom;

/* NCHW: the B operand X[K x oh*ow] of one image and group; x points at the
   group's first input channel of the image. */
typedef struct {
    vconv_sgemm_src base;
    const vconv_problem *p;
    const im2col_geom *geom;
    const float *x;
} im2col_b_src;

/* NHWC: the A operand X[oh*ow x K] of one image and group; x points at the
   image's first pixel, at the group's first channel. */
typedef struct {
    vconv_sgemm_src base;
    const vconv_problem *p;
    const im2col_geom *geom;
    const float *x;
    vconv_sgemm_gather_fn gather;   /* the kernel's */
} im2col_a_src;

/* Bytes of scratch a run of im2col.<isa> on p takes (the GEMM driver's
   per-thread blocks: bounded by the cache blocking, not by the batch);
   0 when this build has no kernel for the ISA. */
VCONV_INTERNAL size_t vconv_im2col_scratch_bytes(vconv_isa isa,
                                                 const vconv_problem *p);

/* The largest micro-tile side the sources handle (the kernels' MR, NR). */
#define VCONV_IM2COL_MAX_R 32

/* The pixels [j, j + n) (n <= VCONV_IM2COL_MAX_R) cut into runs on one
   output row: run i holds pixels [j + at[i], j + at[i] + len[i]), output
   row oy[i], first column ox[i]. Returns the count (<= n). */
static inline int vconv_im2col_runs(int ow, int j, int n, int *at, int *len,
                                    int *oy, int *ox)
{
    int count = 0, y = j / ow, x = j % ow, done = 0;
    while (done < n) {
        const int l = vconv_min_i(n - done, ow - x);
        at[count] = done;
        len[count] = l;
        oy[count] = y;
        ox[count] = x;
        count++;
        done += l;
        x = 0;
        y++;
    }
    return count;
}

/* NCHW's B get() (vconv_sgemm_src), portable, any stride and tile. */
VCONV_INTERNAL const float *vconv_im2col_nchw_b(const vconv_sgemm_src *src,
                                                int r0, int rows, int k0,
                                                int kc, int r, float *dst);
#if VCONV_ARCH_X86_64
/* The same for stride-1 convolutions and the kernels' NR (32 for avx512,
   16 for avx2; other cases go to the portable one): a panel row is built
   in registers from masked loads, one per run, and stored whole. */
VCONV_INTERNAL const float *
vconv_im2col_nchw_b__avx512(const vconv_sgemm_src *src, int r0, int rows,
                            int k0, int kc, int r, float *dst);
VCONV_INTERNAL const float *
vconv_im2col_nchw_b__avx2(const vconv_sgemm_src *src, int r0, int rows,
                          int k0, int kc, int r, float *dst);
#endif

#endif
