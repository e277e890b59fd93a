/*
 * gemm.h - vconv's packed SGEMM: the microkernel contract, the packed
 * layouts, the pack routines and the blocked, threaded driver.
 *
 * Written the way BLIS does it: the portable loops (blocking, packing,
 * threads) live in baseline files (sgemm.c, pack.c); each ISA contributes
 * one register-blocked microkernel file, sgemm-<MR>x<NR>-<isa>.c, defining
 * vconv_sgemm_ukernel_<MR>x<NR>__<isa>. Users (the im2col convolution, the
 * Winograd batched GEMM, vconv-bench gemm) reach a kernel through
 * vconv_sgemm_kernel_get(isa) and never name the function directly, so a
 * new tile is one file and one line in sgemm.c.
 *
 * ======================================================================
 * THE MICROKERNEL CONTRACT
 * ======================================================================
 *
 *   void ukernel(size_t m, size_t n, size_t k,
 *                const float *a, const float *b,
 *                float *c, size_t ldc, uint32_t flags,
 *                const float *row_bias, const float *col_bias);
 *
 * computes, for 0 <= i < m and 0 <= j < n,
 *
 *   r = sum_{p=0}^{k-1} A(i,p) * B(p,j)     (from 0, p ascending: one
 *                                            FMA a term, or a mul and an
 *                                            add where the ISA has no FMA)
 *   if (flags & VCONV_SGEMM_ACCUMULATE) r = C(i,j) + r    (else C is not read)
 *   if (row_bias)                       r = r + row_bias[i]
 *   if (col_bias)                       r = r + col_bias[j]
 *   if (flags & VCONV_SGEMM_RELU)       r = r < 0 ? 0 : r  (NaN stays NaN)
 *   C(i,j) = r,   C(i,j) at c[i * ldc + j]
 *
 * in exactly that order (so a result depends only on the operands and the
 * flags, never on where the element sits in the tile or which thread ran
 * it: the drivers rely on this for thread-count-independent output).
 *
 *  - Tile: 1 <= m <= MR and 1 <= n <= NR. Partial tiles are the kernel's
 *    job (AVX-512 masks, AVX2 maskload/maskstore, scalar: bounded loops);
 *    it reads and writes C only inside the m x n tile: not a byte beside,
 *    not a row below. k >= 0 (k = 0 gives r = 0 before the epilogue).
 *  - Packed A: one micro-panel of MR rows, k-major:
 *        A(i,p) = a[p * MR + i],  0 <= i < MR, 0 <= p < k
 *    always MR floats per p, whatever m: rows m..MR-1 must be readable
 *    and finite (the pack routines write zeros there). The kernel reads
 *    nothing outside a[0 .. k*MR) (no over-read; it may skip rows >= m).
 *  - Packed B: one micro-panel of NR columns, k-major:
 *        B(p,j) = b[p * NR + j],  0 <= j < NR, 0 <= p < k
 *    columns n..NR-1 must be readable and finite (zeros from the packers).
 *    The kernel reads nothing outside b[0 .. k*NR).
 *  - Alignment: none needed for correctness. For speed b should be
 *    64-byte aligned (a panel is k*NR*4 bytes, a multiple of 64 for
 *    NR = 16 or 32, so panels packed back to back into a vconv_alloc()
 *    buffer all are). a is only broadcast from, any float alignment.
 *  - C: row stride ldc >= n (in floats), unit column stride, any
 *    alignment. C must not alias a, b or the biases.
 *  - row_bias: NULL, or m floats for this tile's rows (the caller offsets
 *    it to the tile's first row); col_bias likewise, n floats.
 *  - The kernel has no state, allocates nothing and may run in any number
 *    of threads at once on disjoint tiles of C.
 *
 * A K-blocked product (the drivers below split k into KC blocks) calls the
 * kernel once per block on the same tile: the first block without
 * ACCUMULATE (or with it when the caller's C holds a sum to add to), the
 * later blocks with it, and only the last with the biases and RELU.
 *
 * ======================================================================
 * PACKED MATRICES (what the pack routines write; prepacked operands)
 * ======================================================================
 *
 * A whole rows x k operand packed for tile R (MR for A, NR for B) with K
 * blocks of KC is, for each K block k0 = 0, KC, 2 KC, ... (width
 * kc = min(KC, k - k0)), ceil(rows / R) micro-panels of kc * R floats
 * back to back, rows beyond `rows` zero. Micro-panel t of the block at k0
 * starts at float offset
 *
 *     k0 * rows_pad + t * R * kc,      rows_pad = ceil(rows / R) * R,
 *
 * and the whole thing holds rows_pad * k floats (vconv_sgemm_packed_size).
 * With KC >= k this is simply ceil(rows/R) full-K micro-panels. The same
 * layout serves A (rows = M, R = MR, element (i,p)) and B (rows = N,
 * R = NR, element (p,j) as "row" j): a B micro-panel is B(p, j0..j0+NR)
 * for each p, i.e. the transpose view is never materialised.
 *
 * For the Winograd helper: write the transformed weights as a packed A
 * (rows = oc, R = MR) and the transformed input as a packed B (rows =
 * tiles, R = NR), with KC = the kernel's blocking.kc or KC >= ic, and call
 * the kernel per (MR, NR) tile, or hand both to vconv_sgemm_run() as
 * prepacked sources.
 */
#ifndef VCONV_GEMM_H
#define VCONV_GEMM_H

#include "../../core/internal.h"

#include <stddef.h>
#include <stdint.h>

/* ----------------------------------------------------------- microkernel */

enum {
    VCONV_SGEMM_ACCUMULATE = 1u << 0, /* C += A*B, else C = A*B */
    VCONV_SGEMM_RELU = 1u << 1,       /* max(., 0) after the biases */
};

typedef void (*vconv_sgemm_ukernel_fn)(size_t m, size_t n, size_t k,
                                       const float *a, const float *b,
                                       float *c, size_t ldc, uint32_t flags,
                                       const float *row_bias,
                                       const float *col_bias);

/* The microkernels (one file each; an ISA's may be called only when the
   CPU has it). */
VCONV_INTERNAL void vconv_sgemm_ukernel_6x8__scalar(
    size_t m, size_t n, size_t k, const float *a, const float *b, float *c,
    size_t ldc, uint32_t flags, const float *row_bias, const float *col_bias);
#if VCONV_ARCH_X86_64
VCONV_INTERNAL void vconv_sgemm_ukernel_6x16__avx2(
    size_t m, size_t n, size_t k, const float *a, const float *b, float *c,
    size_t ldc, uint32_t flags, const float *row_bias, const float *col_bias);
VCONV_INTERNAL void vconv_sgemm_ukernel_14x32__avx512(
    size_t m, size_t n, size_t k, const float *a, const float *b, float *c,
    size_t ldc, uint32_t flags, const float *row_bias, const float *col_bias);
/* vector pack routines of those kernels (sgemm-pack-<isa>.c) */
VCONV_INTERNAL void vconv_sgemm_pack__avx2(int rows, int kc, const float *src,
                                           ptrdiff_t rs, ptrdiff_t ps, int r,
                                           float *dst);
VCONV_INTERNAL void vconv_sgemm_pack__avx512(int rows, int kc,
                                             const float *src, ptrdiff_t rs,
                                             ptrdiff_t ps, int r, float *dst);
VCONV_INTERNAL void vconv_sgemm_gather__avx2(int len, const float *const *rows,
                                             int r, float *dst);
VCONV_INTERNAL void vconv_sgemm_gather__avx512(int len,
                                               const float *const *rows, int r,
                                               float *dst);
#endif
#if VCONV_ARCH_AARCH64
VCONV_INTERNAL void vconv_sgemm_ukernel_8x12__neon(
    size_t m, size_t n, size_t k, const float *a, const float *b, float *c,
    size_t ldc, uint32_t flags, const float *row_bias, const float *col_bias);
VCONV_INTERNAL void vconv_sgemm_pack__neon(int rows, int kc, const float *src,
                                           ptrdiff_t rs, ptrdiff_t ps, int r,
                                           float *dst);
VCONV_INTERNAL void vconv_sgemm_gather__neon(int len, const float *const *rows,
                                             int r, float *dst);
#endif

/* Cache blocks of a kernel. kc depends only on the kernel's tile and the
   cache sizes (never on threads): it fixes the K-sum order. mc and nc only
   partition work (any value gives the same bits). */
typedef struct {
    int kc;  /* K block: A and B micro-panels of kc stay in L1 */
    int mc;  /* M block (multiple of MR): the packed A block stays in L2 */
    int nc;  /* N block (multiple of NR): the packed B block stays in L3 */
} vconv_sgemm_blocking;

/* A pack routine: vconv_sgemm_pack's contract (below). */
typedef void (*vconv_sgemm_pack_fn)(int rows, int kc, const float *src,
                                    ptrdiff_t rs, ptrdiff_t ps, int r,
                                    float *dst);

/* A gather routine: vconv_sgemm_gather's contract (below). */
typedef void (*vconv_sgemm_gather_fn)(int len, const float *const *rows,
                                      int r, float *dst);

/* One GEMM kernel: its ISA, tile, microkernel and pack routines (the
   portable ones, or ones of its ISA with vector code for the kernel's own
   tile: the same floats moved, bit for bit). */
typedef struct {
    const char *name;            /* "14x32-avx512" */
    vconv_isa isa;
    int mr, nr;
    vconv_sgemm_ukernel_fn ukernel;
    vconv_sgemm_pack_fn pack;
    vconv_sgemm_gather_fn gather;
} vconv_sgemm_kernel;

/* The kernel vconv uses for an ISA; NULL when this build has none (NEON
   on an x86 build, AVX on an AArch64 one). Not a CPU check: the caller makes
   sure the CPU has the ISA before calling its ukernel. */
VCONV_INTERNAL const vconv_sgemm_kernel *vconv_sgemm_kernel_get(vconv_isa isa);

/* The blocking of a kernel on this machine (from dispatch/topology.h). */
VCONV_INTERNAL vconv_sgemm_blocking
vconv_sgemm_blocking_get(const vconv_sgemm_kernel *k);

/* ------------------------------------------------------------- packing */

/* Floats of a packed rows x k operand for tile R: ceil(rows/R)*R*k. */
static inline size_t vconv_sgemm_packed_size(int rows, int k, int r)
{
    return (size_t)vconv_round_up(rows, r) * (size_t)k;
}

/*
 * Packs the block rows [0, rows) x p [0, kc) of a strided operand into
 * ceil(rows/R) micro-panels of kc x R back to back (R = mr for A, nr for
 * B), zero-padding the last. Element (row r, p) is src[r * rs + p * ps]:
 *   A (m x k, row-major, lda):      rs = lda, ps = 1
 *   B (k x n, row-major, ldb):      rs = 1,   ps = ldb
 * (any strides, so transposed operands pack as well). dst holds
 * vconv_sgemm_packed_size(rows, kc, R) floats.
 */
VCONV_INTERNAL void vconv_sgemm_pack(int rows, int kc, const float *src,
                                     ptrdiff_t rs, ptrdiff_t ps, int r,
                                     float *dst);

/*
 * One K stretch of one micro-panel from R row pointers: dst[q * R + i] =
 * rows[i][q] for q < len, zeros where rows[i] is NULL (padding rows,
 * pixels in the padding). dst is the panel at the stretch's first p. For
 * operands whose rows are contiguous runs at scattered places (the NHWC
 * im2col: a pixel's channels), where a strided pack cannot describe them.
 */
VCONV_INTERNAL void vconv_sgemm_gather(int len, const float *const *rows,
                                       int r, float *dst);

/* Packs a whole rows x k operand (strides as above) into the K-blocked
   layout described at the top, blocks of kc. dst holds
   vconv_sgemm_packed_size(rows, k, R) floats. */
VCONV_INTERNAL void vconv_sgemm_pack_blocked(int rows, int k, const float *src,
                                             ptrdiff_t rs, ptrdiff_t ps, int r,
                                             int kc, float *dst);

/* --------------------------------------------------------------- driver */

/*
 * An operand source for the driver: where the micro-panels of a block come
 * from. get() returns the block rows [r0, r0+rows) x p [k0, k0+kc) as
 * ceil(rows/R) micro-panels of kc x R back to back: either packed into dst
 * (which holds vconv_sgemm_packed_size(rows, kc, R) floats) or a pointer
 * into a prepacked copy. r0 is a multiple of R; k0 a multiple of the
 * driver's kc. Called from several threads at once on disjoint blocks.
 * `prepacked` sources never write dst (the driver then skips the buffer
 * and the barrier of a shared pack).
 */
typedef struct vconv_sgemm_src vconv_sgemm_src;
struct vconv_sgemm_src {
    const float *(*get)(const vconv_sgemm_src *s, int r0, int rows, int k0,
                        int kc, int r, float *dst);
    bool prepacked;
};

/* A strided matrix (element (row, p) at ptr[row * rs + p * ps]), packed
   with kern's pack routine (kern NULL: the portable one). */
typedef struct {
    vconv_sgemm_src base;
    const float *ptr;
    ptrdiff_t rs, ps;
    vconv_sgemm_pack_fn pack;
} vconv_sgemm_strided;
VCONV_INTERNAL vconv_sgemm_strided
vconv_sgemm_src_strided(const vconv_sgemm_kernel *kern, const float *ptr,
                        ptrdiff_t rs, ptrdiff_t ps);

/* A prepacked operand (vconv_sgemm_pack_blocked with the driver's kc and
   the source's R) of `rows` rows. */
typedef struct {
    vconv_sgemm_src base;
    const float *ptr;
    int rows;
} vconv_sgemm_prepacked;
VCONV_INTERNAL vconv_sgemm_prepacked vconv_sgemm_src_prepacked(const float *p,
                                                               int rows);

/* The product C[m x n] (+)= A[m x k] B[k x n] with the epilogue. */
typedef struct {
    int m, n, k;
    const vconv_sgemm_src *a;   /* rows = M, R = MR */
    const vconv_sgemm_src *b;   /* rows = N, R = NR */
    float *c;
    size_t ldc;
    uint32_t flags;             /* ACCUMULATE (onto C), RELU */
    const float *row_bias;      /* [m] or NULL */
    const float *col_bias;      /* [n] or NULL */
} vconv_sgemm_problem;

/* Floats of workspace vconv_sgemm_run needs for a problem on `threads`
   threads: a packed-B block and a packed-A block per thread (bounded by
   the blocking, not by m, n or k; nothing for a prepacked operand). */
VCONV_INTERNAL size_t vconv_sgemm_workspace(const vconv_sgemm_kernel *kern,
                                            const vconv_sgemm_blocking *bl,
                                            int threads,
                                            const vconv_sgemm_problem *g);

/*
 * Runs the blocked product (BLIS's loop nest, with its two innermost
 * loops swapped so the A micro-panel stays in L1: NC -> KC -> pack B block
 * -> MC -> pack A block -> MR -> NR -> microkernel) on `threads` threads
 * (1: no parallel region, callable from inside one). work:
 * vconv_sgemm_workspace() floats, 64-byte aligned. The threads split C
 * into rectangles on micro-tile boundaries, each packing its own blocks
 * (no barrier); the K order of each element is fixed by bl->kc alone, so
 * any thread count gives the same bits. Allocates nothing.
 */
VCONV_INTERNAL void vconv_sgemm_run(const vconv_sgemm_kernel *kern,
                                    const vconv_sgemm_blocking *bl,
                                    int threads, const vconv_sgemm_problem *g,
                                    float *work);

/*
 * Whole row-major matrices: C[m x n] = A[m x k] B[k x n] (+ C with
 * VCONV_SGEMM_ACCUMULATE), then the biases and ReLU. The kernel of `isa`
 * (the caller checked the CPU has it), the machine's blocking, `threads`
 * threads, per-thread scratch. VCONV_ERR_NO_MEMORY (C untouched) or OK.
 */
VCONV_INTERNAL vconv_status vconv_sgemm(vconv_isa isa, int threads, int m,
                                        int n, int k, const float *a,
                                        size_t lda, const float *b, size_t ldb,
                                        float *c, size_t ldc, uint32_t flags,
                                        const float *row_bias,
                                        const float *col_bias);

#endif /* VCONV_GEMM_H */
