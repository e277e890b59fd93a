/*
 * qconv.h - low-precision convolution (int8, bf16): the exact arithmetic of
 * the contract (include/vconv.h, "Low precision"), the reference, and the
 * plan the direct kernels share.
 *
 * Included by baseline files and by ISA files: only types and `static
 * inline` code here (an inline function compiled with AVX-512 flags and
 * merged by the linker into baseline code would crash older CPUs).
 *
 * The direct kernels (qconv.c drives, qconv-<isa>.c compute) see both kinds
 * the same way: an input pixel is `cg` 4-byte groups of channels (int8: 4
 * channels of u8; bf16: 2 channels of bf16), a weight vector is 16 output
 * channels x one 4-byte group (64 bytes), and one instruction (vpdpbusd /
 * vdpbf16ps) multiplies a broadcast input group into 16 accumulators.
 */
#ifndef VCONV_QCONV_H
#define VCONV_QCONV_H

#include "../../core/internal.h"

#include <math.h>
#include <string.h>

/* ------------------------------------------------- the exact arithmetic */

/* int8 requantization (vconv.h): f = (float)acc * m, clamped to [lo, hi]
   (the dst range minus the zero point; ReLU raised lo), rounded half to
   even (the default rounding mode), plus the zero point. */
static inline int32_t vconv_q_requant(int32_t acc, float m, float lo,
                                      float hi, int zp)
{
    float f = (float)acc * m;
    f = f < lo ? lo : f > hi ? hi : f;
    return (int32_t)nearbyintf(f) + zp;
}

static inline float vconv_bf16_to_f32(uint16_t h)
{
    uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/* Round to nearest even; NaN stays a (quiet) NaN. */
static inline uint16_t vconv_f32_to_bf16(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    if ((u & 0x7fffffffu) > 0x7f800000u)
        return (uint16_t)((u >> 16) | 0x40);
    u += 0x7fffu + ((u >> 16) & 1);
    return (uint16_t)(u >> 16);
}

/* Per-output-channel requantization of an int8 problem, validated. */
typedef struct {
    float *scale;      /* [oc]: M[o] (int8 dst) or S[o] (f32 dst) */
    int32_t *bias;     /* [oc]: the bias (0 when none) */
    float lo, hi;      /* int8 dst: the clamp of f (range - zp, ReLU) */
    int zp;            /* dst zero point */
} vconv_qparams;

/* Checks wei_scales and bias against the contract and fills q (arrays
   allocated with malloc, freed by vconv_qparams_free). Returns
   VCONV_ERR_INVALID_ARG with a message naming the field, or NO_MEMORY. */
VCONV_INTERNAL vconv_status vconv_qparams_init(const vconv_problem *p,
                                               const float *wei_scales,
                                               const int32_t *bias,
                                               vconv_qparams *q);
VCONV_INTERNAL void vconv_qparams_free(vconv_qparams *q);

/* The int8 reference: int64 sums, then the contract's requantization;
   writes dst of p->dst_dt (u8, s8 or f32). When acc32 is not NULL it also
   gets every accumulator (dst's order and layout). */
VCONV_INTERNAL void vconv_ref_conv_int8(const vconv_problem *p,
                                        const int8_t *w,
                                        const vconv_qparams *q,
                                        const void *src, void *dst,
                                        int32_t *acc32);

/* The bf16 reference: the bf16 values widened to float, double sums
   (vconv_ref_conv); dst of p->dst_dt (f32 or bf16, rounded to nearest
   even) and/or dst64 / mag64 as vconv_ref_conv gives them. */
VCONV_INTERNAL vconv_status vconv_ref_conv_bf16(const vconv_problem *p,
                                                const uint16_t *w,
                                                const float *bias,
                                                const uint16_t *src,
                                                void *dst, double *dst64,
                                                double *mag64);

/* ------------------------------------------------- the direct kernels */

#define VCONV_QC_V 16        /* output channels a vector */

/* The tiles the ISA files instantiate (nb vectors of 16 channels x ur
   pixels). ZMM: a vector is one zmm; ur * nb accumulators + nb weight
   vectors + a broadcast fit 31 of the 32 zmm. PAIR: a vector is 2 ymm
   (AVX2: 16 registers) or 4 q (NEON: 32): 2 (4) * (ur * nb + nb) + a
   broadcast (and AVX2's product temporary) fit. */
#define VCONV_QC_TILES_ZMM(X)                                                  \
    X(1, 4) X(1, 8) X(1, 14) X(1, 28) X(2, 3) X(2, 7) X(2, 8) X(2, 11)         \
    X(2, 12) X(2, 13) X(2, 14) X(3, 4) X(3, 9) X(4, 2) X(4, 4) X(4, 6)
#define VCONV_QC_TILES_PAIR(X) X(1, 2) X(1, 4) X(1, 6) X(2, 2)

/* How an ISA's kernel wants its data (vconv_qisa.dom): the int8 values it
   multiplies. U8: u8 bytes (vpdpbusd: s8 src shifted by +128); S8: s8
   bytes (sdot: u8 src shifted by -128); I16: the u8 values as 16-bit
   words, weights as 16-bit words (vpmaddwd, exact where vpmaddubsw would
   saturate). bf16 is always 16-bit words. */
enum { VCONV_QD_U8 = 0, VCONV_QD_S8, VCONV_QD_I16, VCONV_QD_F32 };
enum { VCONV_QR_FIXED = 0, VCONV_QR_FMA, VCONV_QR_BF16DOT };

struct vconv_qplan;

/*
 * One microkernel call: output row y of group g of an image (xg is that
 * group's padded input, see vconv_qplan), output channel tile `tile` of the
 * group (nb vectors),
 * pixels [x0, x1) in tiles of ur (the last tile may overrun to x1 rounded
 * up: the padded input has the columns for it, the extra pixels are not
 * stored). Writes the finished values (bias, scale, ReLU, saturation) to
 * dst at dst + x * pix_stride + c * ch_stride (elements of the dst type)
 * for the tile's channels c < the group's.
 */
typedef void (*vconv_qrow_fn)(const struct vconv_qplan *pl,
                              const uint32_t *xg, int g, int y, int tile,
                              int x0, int x1, void *dst, size_t pix_stride,
                              size_t ch_stride);

/* One ISA's kernel as the driver sees it. */
typedef struct {
    const char *name;        /* "direct_int8.avx512" (logs) */
    vconv_qrow_fn row;
    const int (*tiles)[2];   /* its (nb, ur) tiles */
    int ntiles;
    int dom;                 /* VCONV_QD_* */
    vconv_isa isa;           /* the estimate's scale */
    double rate;             /* the estimate: products a second relative
                                to the nominal FMA rate x products a lane
                                (measured, see qconv.c) */
    int model;               /* 0: rate as given; VCONV_QR_FMA: the machine
                                model's FMA rate (float32 FMAs); VCONV_QR_
                                BF16DOT: its vdpbf16ps rate (machine.h) */
    bool pix;                /* AMX: the padded input pixel-major (see
                                vconv_qplan.pix), tiles of 16 pixels */
    /* called by each thread before its first row call of a run and after
       its last (AMX: the tile configuration, then its release), or NULL */
    void (*begin)(const struct vconv_qplan *pl);
    void (*end)(const struct vconv_qplan *pl);
} vconv_qisa;

/* AMX (qconv-avx512amx.c): a tile multiply takes 16 pixels x kt channel
   groups of the padded input (an A tile: 16 rows of 4 * kt bytes, a pixel
   a row) and kt groups x 16 output channels of the weights (a B tile: kt
   rows of 64 bytes, the packed weights' layout as it is) into 16 x 16
   int32. The channel groups of a tap are ks steps of kt <= 16 groups
   (cg = ks * kt, padded with zero weights where ceil(icg / 4) is not a
   multiple of ks). */
#define VCONV_QC_AMX_PIX 16

typedef struct vconv_qplan {
    vconv_problem p;         /* the problem as the kernel sees it: the
                                user's, or (fold) kernel_w folded into the
                                channels */
    vconv_problem real;      /* the user's */
    bool fold;               /* kernel width folded into the channels: a
                                padded column holds one output column's
                                kw * icg window (ordered j, then channel),
                                the kernel runs kw = stride_w = 1; taken
                                when it pads fewer channels (first layers:
                                3 channels x 11 = 33 in 36, not 3 in 4),
                                and on AMX for first layers whose window
                                fits 2 K steps (qconv.c, want_fold) */
    uint32_t kind;           /* VCONV_DT_INT8 or VCONV_DT_BF16 */
    int per;                 /* channels a 4-byte group: 4 (bytes), 2
                                (16-bit words), 1 (float32) */
    int dom;                 /* VCONV_QD_* */
    int cg;                  /* 4-byte channel groups a pixel (a group g) */
    int nbl;                 /* vectors of 16 output channels a group */
    int nb, ur;              /* the tile: nb vectors x ur pixels */
    int ntile;               /* ceil(nbl / nb) */
    int ihp, iwp;            /* the padded input of a group: ihp rows of
                                iwp columns, each row split by column phase
                                (X mod stride_w) into [sw][cg][wph] with
                                wph = ceil(iwp / sw), so that the ur pixels
                                of a tile read consecutive words for every
                                tap (X = (x + u) * sw + j * dw) */
    int wph;                 /* columns a phase */
    size_t rowsz;            /* uint32 a padded row: sw * cg * wph */
    uint32_t *tapoff;        /* [kh * kw]: tap (i, j)'s word offset from
                                its output pixel's first input row, column
                                0: i*dh*rowsz + ((j*dw) % sw)*cg*wph +
                                (j*dw) / sw */
    bool pix;                /* AMX: the padded input pixel-major: row y is
                                [iwp][cg] words (a pixel's groups
                                consecutive, wph = iwp, rowsz = iwp * cg),
                                tapoff[i*kw+j] = i*dh*rowsz + j*dw*cg */
    int kt, ks;              /* AMX: the K steps of a tap, ks of kt groups */
    bool flat;               /* AMX, stride 1: the flat walk: the padded
                                rows are one run of pixels (iwp = ow +
                                (kw - 1) * dw), a row call computes 32 of
                                them from pixel 32 * y (its y is the call's
                                index, its dst the image's), the kw - 1
                                columns past each row computed and
                                dropped; taken where it needs fewer
                                16-pixel blocks (8x8 planes: 5, not 8) */
    int calls;               /* row calls an image and group */
    int rows;                /* output rows a row call computes: 1, or 2
                                (AMX, rows of <= 16 pixels: the 2nd pixel
                                block is the next row's; its dst is
                                ow * pix_stride further) */
    uint32_t fill;           /* what padding holds: the zero point in the
                                kernel's domain (int8), 0 (bf16) */
    uint32_t *w;             /* [g][ntile][kh][kw][cg][nb][16] groups */
    int32_t *bias_i;         /* int8 [g][ntile*nb*16]: bias - zp * sum(w),
                                zp in the kernel's domain, mod 2^32 */
    float *bias_f;           /* bf16 [g][ntile*nb*16] (0 when none) */
    float *scale;            /* int8 [g][ntile*nb*16]: M or S */
    float lo, hi;            /* int8 dst: clamp of f; f32 dst with ReLU:
                                lo = 0 */
    int zp;                  /* int8 dst zero point */
    vconv_qrow_fn row;
    void (*begin)(const struct vconv_qplan *pl); /* vconv_qisa's */
    void (*end)(const struct vconv_qplan *pl);
} vconv_qplan;

#endif
