/*
 * direct.h - direct convolution on channel-blocked layouts: what the
 * baseline driver (direct.c) and the ISA microkernel files share.
 *
 * Baseline code only: types, prototypes of the ISA files' tables and
 * functions, and static inline helpers without intrinsics.
 *
 * Layouts (V = the ISA's vector width in floats: 16 AVX-512, 8 AVX2, 8
 * NEON (a pair of q registers), 8 for the portable scalar kernels; VIN = V
 * "blocked" or 1 "planar"):
 *
 *   converted src, one image, per group g:
 *     [g][icb][ih][sw][pwc][VIN]     (icb = ceil(icg / VIN) blocks)
 *   i.e. nChw16c / nChw8c (VIN = V) or nchw (VIN = 1), each row split by
 *   column phase (x mod sw) so that consecutive output pixels read
 *   consecutive columns whatever the stride ("width space-to-depth"), and
 *   zero-padded on the left / right (pl columns before the image, zeros up
 *   to pwc * sw columns). Rows are not padded: the top / bottom border is
 *   handled by the range of kernel rows a microkernel call is given.
 *   Padded column x (x = ix + pl) of phase x % sw sits at column x / sw;
 *   output pixel ox, tap kx reads phase (kx*dw) % sw, column
 *   ox + (kx*dw) / sw, so a tile of pixels is VIN floats apart.
 *   Channels beyond icg in the last block are zero.
 *
 *   packed weights, per group g and output-channel tile t (nb blocks of V
 *   output channels, nb = plan nb except the group's last tile):
 *     [g][t][icb][kh][kw][VIN][nb][V]      (OIhw16i16o-like)
 *   zero for output channels beyond ocg and input channels beyond icg.
 *
 *   dst: the microkernel stores V output channels of one pixel as one
 *   vector, at dst + p * dst_pix + b * dst_blk: either straight into the
 *   user's NHWC dst (dst_pix = oc, dst_blk = V, masked last block), or
 *   into a per-thread row buffer [nb][rows * ow][V] (nChw16c for a few
 *   consecutive rows) that the driver transposes into the user's NCHW
 *   rows.
 *
 *   in-place NCHW src (channel-vector, no left / right padding): the
 *   kernel broadcasts channel i of pixel p straight from the user's
 *   tensor, src + i * plane + p * sw, nothing converted: with the blocked
 *   weights (icg a multiple of V, stride 1 or 2) or the planar ones (one
 *   channel a block, stride 2 or 4).
 *
 *   width-vector kernel (NCHW dst, small reduction: the first layers):
 *   reads the planar converted src (or the user's NCHW src directly) as
 *   vectors of V output pixels along a row and broadcasts one weight per
 *   output channel; weights packed [g][t][icg][kh][kw][no] (scalars), and
 *   stores V consecutive pixels of one NCHW output row.
 */
#ifndef VCONV_DIRECT_H
#define VCONV_DIRECT_H

#include "../../core/internal.h"

#include <stddef.h>

/* Largest instantiated tiles (the ISA files define every tile up to these;
   the per-ISA limits below are what fits the register file). */
#define DIRECT_MAX_NB 6
#define DIRECT_MAX_UR 28
#define DIRECT_MAX_NO 24   /* width-vector kernel: output channels */
#define DIRECT_MAX_NV 4    /* width-vector kernel: pixel vectors */

/* One call of the channel-vector microkernel: a tile of ur pixels of one
   output row x nb blocks of V output channels, the whole reduction (every
   input block, the kernel rows [ky0, ky1) the caller chose, every kernel
   column) in registers, then bias (already in the initial value), ReLU and
   one store per vector. */
typedef struct {
    const float *src;     /* converted src: block 0, input row of the first
                             kernel row, column of pixel 0, phase 0 */
    const float *wei;     /* packed weights: block 0, kernel row ky0 */
    const float *bias;    /* nb * V floats (zeros without bias) */
    float *dst;           /* pixel 0, block 0 */
    const int *kx_off;    /* kw offsets (floats) of tap kx in a row */
    ptrdiff_t src_icb;    /* floats between input blocks */
    ptrdiff_t src_c;      /* the user's NCHW src read in place: floats
                             between the channels of a block (a plane);
                             unused by the converted layouts */
    ptrdiff_t src_ky;     /* floats between kernel rows (dh input rows) */
    ptrdiff_t wei_icb;    /* floats between input blocks of the tile */
    ptrdiff_t dst_pix;    /* floats between pixels */
    ptrdiff_t dst_blk;    /* floats between output-channel blocks */
    int n_icb, n_ky, kw;
    int last_valid;       /* output channels stored of the last block
                             (1..V; V: all) */
    int relu;
    int accum;            /* 0: start from the bias; 1: from the partial
                             sums at dst (a later chunk of the input
                             blocks; relu only on the last chunk) */
} direct_ukr_args;

typedef void (*direct_ukr_fn)(const direct_ukr_args *a);

/* One call of the width-vector microkernel: no output channels x nv
   vectors of V pixels of one output row, the whole reduction in
   registers. Vectors 0 .. nv-2 at v * V; the last at last_off, holding
   last_px pixels (V: a whole vector, placed by the caller to end at the
   row's last pixel; fewer: masked loads and stores, the row narrower than
   V). */
typedef struct {
    const float *src;     /* planar src: channel 0, input row of the first
                             kernel row, column of pixel 0, phase 0 */
    const float *wei;     /* packed scalars: channel 0, kernel row ky0 */
    const float *bias;    /* no floats */
    float *dst;           /* user NCHW dst: channel 0, this row, pixel 0 */
    const int *kx_off;
    ptrdiff_t src_c;      /* floats between input channels */
    ptrdiff_t src_ky;     /* floats between kernel rows */
    ptrdiff_t wei_c;      /* floats between input channels (kh*kw*no) */
    ptrdiff_t dst_c;      /* floats between output channels (oh*ow) */
    ptrdiff_t last_off;   /* floats from src / dst to the last vector */
    int n_c, n_ky, kw;
    int last_px;          /* 1..V */
    int relu;
} direct_wv_args;

typedef void (*direct_wv_fn)(const direct_wv_args *a);

/*
 * An ISA's kernels and its register budget. ukr[mode][nb][ur] (mode 0:
 * planar converted src, 1: blocked converted src, 2 / 3: the user's NCHW
 * src read in place at pixel stride 1 / 2, blocked weights; 4 / 5: the
 * same, planar, at stride 2 / 4) and
 * wv[no][nv] are NULL where not instantiated (the planner asks only for
 * tiles within the limits). transpose_rows may be NULL (portable loop).
 */
typedef struct {
    vconv_isa isa;
    int V;
    int max_nb;
    int ur_max[DIRECT_MAX_NB + 1];   /* by nb: what fits the registers */
    int no_max[DIRECT_MAX_NV + 1];   /* width-vector: by nv */
    /* the core: vector (V floats) FMAs a cycle, loads a cycle, FMA
       latency, and fma_rate's share of vconv_isa_nominal_gflops(isa).
       Written here for the scalar kernels only; the vector ISAs' come
       from the machine model (dispatch/machine.h) when direct.c plans */
    double fma_rate;
    double load_rate;
    double fma_lat;
    double load_fma;   /* FMA-pipe slots a load of a step costs */
    double peak_frac;
    const char *plan_note;           /* the register plan, for the log */
    /* row buffer -> NCHW (vconv_direct_row_to_nchw's contract) */
    void (*row_to_nchw)(const float *rowbuf, int V, int ow, int nvalid,
                        float *dst, ptrdiff_t dst_c);
    /* one NCHW row of a block -> pixel vectors (see
       vconv_direct_nchw_to_blocked_avx512); NULL: the portable loop */
    void (*nchw_to_blocked)(const float *src, ptrdiff_t plane, int nc,
                            int iw, float *out, int pwc, int sw, int pl);
} direct_isa_limits;

/* Tables defined in the ISA files (data only: reading them runs no ISA
   code). Indexed [DIRECT_UKR_MODE(blocked, ps)][nb][ur] and [no][nv]. */
/* The ukr table's mode of a source addressing: blocked (vin = V) or
   planar, converted (ps 0) or the user's NCHW src in place at pixel
   stride ps (blocked 1, 2; planar 2, 4). A constant expression: the ISA
   files' table initializers use it too. */
#define DIRECT_UKR_MODE(BLOCKED, PS)                                          \
    (!(PS) ? ((BLOCKED) ? 1 : 0) : (BLOCKED) ? 1 + (PS) : 3 + (PS) / 2)

typedef direct_ukr_fn direct_ukr_table[6][DIRECT_MAX_NB + 1]
                                      [DIRECT_MAX_UR + 1];
typedef direct_wv_fn direct_wv_table[DIRECT_MAX_NO + 1][DIRECT_MAX_NV + 1];

VCONV_INTERNAL extern const direct_ukr_table vconv_direct_ukr_scalar;
VCONV_INTERNAL extern const direct_wv_table vconv_direct_wv_scalar;
#if VCONV_ARCH_X86_64
VCONV_INTERNAL extern const direct_ukr_table vconv_direct_ukr_avx2;
VCONV_INTERNAL extern const direct_wv_table vconv_direct_wv_avx2;
VCONV_INTERNAL extern const direct_ukr_table vconv_direct_ukr_avx512;
VCONV_INTERNAL extern const direct_wv_table vconv_direct_wv_avx512;
VCONV_INTERNAL void vconv_direct_row_to_nchw_avx2(const float *rowbuf, int V,
                                                  int ow, int nvalid,
                                                  float *dst,
                                                  ptrdiff_t dst_c);
VCONV_INTERNAL void vconv_direct_row_to_nchw_avx512(const float *rowbuf,
                                                    int V, int ow, int nvalid,
                                                    float *dst,
                                                    ptrdiff_t dst_c);
VCONV_INTERNAL void vconv_direct_nchw_to_blocked_avx2(const float *src,
                                                      ptrdiff_t plane, int nc,
                                                      int iw, float *out,
                                                      int pwc, int sw,
                                                      int pl);
VCONV_INTERNAL void vconv_direct_nchw_to_blocked_avx512(const float *src,
                                                        ptrdiff_t plane,
                                                        int nc, int iw,
                                                        float *out, int pwc,
                                                        int sw, int pl);
#endif
#if VCONV_ARCH_AARCH64
VCONV_INTERNAL extern const direct_ukr_table vconv_direct_ukr_neon;
VCONV_INTERNAL extern const direct_wv_table vconv_direct_wv_neon;
VCONV_INTERNAL void vconv_direct_row_to_nchw_neon(const float *rowbuf, int V,
                                                  int ow, int nvalid,
                                                  float *dst,
                                                  ptrdiff_t dst_c);
VCONV_INTERNAL void vconv_direct_nchw_to_blocked_neon(const float *src,
                                                      ptrdiff_t plane, int nc,
                                                      int iw, float *out,
                                                      int pwc, int sw,
                                                      int pl);
#endif

/* ------------------------------------------------------------ the plan */

typedef enum {
    DIRECT_KERNEL_CV = 0,   /* channel-vector tiles (any layout) */
    DIRECT_KERNEL_WV        /* width-vector tiles (NCHW dst) */
} direct_kernel_kind;

typedef struct {
    vconv_problem p;
    const direct_isa_limits *lim;
    direct_ukr_fn ukr[DIRECT_MAX_NB + 1][DIRECT_MAX_UR + 1]; /* this plan's vin */
    direct_wv_fn wv[DIRECT_MAX_NO + 1][DIRECT_MAX_NV + 1];
    direct_kernel_kind kind;
    int V;
    int vin;          /* V (blocked src) or 1 (planar src) */
    int n_icb;        /* input blocks per group: ceil(icg / vin) */
    /* channel-vector tiles */
    int nbk;          /* output blocks per group: ceil(ocg / V) */
    int nb;           /* blocks per tile (the group's last tile: fewer) */
    int n_oct;        /* tiles per group: ceil(nbk / nb) */
    /* width-vector tiles */
    int no;           /* output channels per tile: no_big tiles of no, */
    int no_big, n_ot; /* the rest of no - 1; n_ot tiles in all */
    int nv;           /* pixel vectors per tile (ow tile = nv * V) */
    /* both: pixels per ow tile (the last: fewer), tiles per row */
    int ur, n_owt;
    int ur_big;       /* channel-vector: tiles of ur pixels (the others
                         ur - 1) */
    /* converted src */
    int pwc;          /* columns per phase */
    ptrdiff_t row;    /* floats per converted row: sw * pwc * vin */
    size_t img;       /* floats per converted image (all groups) */
    bool direct_src;  /* the kernel reads the user's src unconverted */
    int ps;           /* channel-vector on the user's NCHW src in place:
                         its pixel stride (vin = V, blocks of V planes:
                         1 or 2; vin = 1, planar: 2 or 4); 0: a converted
                         src */
    int band_rows;    /* output rows a band (the job order; L2-sized) */
    int flush_rows;   /* NCHW dst, channel-vector: output rows the row
                         buffer holds before they are transposed out */
    int icb_chunk;    /* input blocks a microkernel call reduces: all, or
                         an L1-sized chunk (the pixel tiles of a row then
                         reuse the chunk's weights from L1) */
    int *kx_off;      /* [kw] */
    int *ph_lo, *ph_hi; /* [sw]: the columns of a phase that hold image
                           columns (the others are padding: zeros) */
    unsigned char *row_used; /* [ih]: 1 if a kernel tap of some output
                                row reads the input row (stride > kernel
                                skips rows: they are not converted) */
    int *ky_lo;       /* [oh]: first kernel row inside the image */
    int *ky_n;        /* [oh]: kernel rows inside the image (0: all pad) */
    ptrdiff_t *src_row_off; /* [oh]: floats to the input row of ky_lo */
    /* packed weights and bias */
    float *w;
    size_t w_group;   /* floats per group */
    float *bias;      /* [g][nbk * V] (channel-vector) or [oc] padded */
} direct_plan;

/* The three entries' shared functions (direct.c). */
VCONV_INTERNAL bool vconv_direct_supports(const direct_isa_limits *lim,
                                          const vconv_problem *p, char *why,
                                          size_t len);
VCONV_INTERNAL double vconv_direct_estimate(const direct_isa_limits *lim,
                                            const vconv_problem *p,
                                            char *why, size_t len);
VCONV_INTERNAL vconv_status vconv_direct_create(const direct_isa_limits *lim,
                                                const direct_ukr_table *ukr,
                                                const direct_wv_table *wv,
                                                const vconv_problem *p,
                                                const float *w,
                                                const float *bias,
                                                void **state);
VCONV_INTERNAL vconv_status vconv_direct_run(const void *state,
                                             const vconv_problem *p,
                                             const float *src, float *dst);
VCONV_INTERNAL void vconv_direct_destroy(void *state);

/* The limits of an ISA's direct kernels (NULL: none on this build). */
VCONV_INTERNAL const direct_isa_limits *vconv_direct_limits(vconv_isa isa);

/* Layout conversions (direct.c), exposed for tests/test_direct.c. */

/* Converts channels [cb0, cb1) (blocks of vin over all groups, g * n_icb
   in all) of one image of the user's src (NCHW or NHWC, p->layout) into
   the converted layout of plan d at buf. */
VCONV_INTERNAL void vconv_direct_convert_src(const direct_plan *d,
                                             const float *src_img, float *buf,
                                             int cb0, int cb1);

/* Transposes a row buffer [ow][V] (channels c0 .. c0 + nvalid of ow
   output pixels: one row, or consecutive narrow rows) into NCHW:
   dst[c][x] at dst + c * dst_c + x. */
VCONV_INTERNAL void vconv_direct_row_to_nchw(const float *rowbuf, int V,
                                             int ow, int nvalid, float *dst,
                                             ptrdiff_t dst_c);

/* Packs the weights of plan d (channel-vector or width-vector form). */
VCONV_INTERNAL void vconv_direct_pack(const direct_plan *d, const float *w,
                                      float *packed);

#endif /* VCONV_DIRECT_H */
