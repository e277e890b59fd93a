/*
 * winograd-neon.c - the Winograd transforms for AArch64 NEON (contracts:
 * winograd.h; matrices and 1-D transforms: winograd-tables.h, expanded
 * here on q registers). NEON is baseline on AArch64: no flags needed.
 *
 * Input transform, 8 tiles a group (lane l = tile l), each vector of the
 * 1-D transforms a pair of q registers (tiles 0-3 and 4-7), the
 * generated straight-line code run once a half:
 *   per channel and patch row r: the tiles' row r loaded (alpha 4: one q
 *   a tile; 6: a q and a d; 8: two q) and transposed in registers into
 *   alpha column vectors (4 x 4 transposes, trn1/trn2; alpha 6's last two
 *   columns by uzp1/uzp2 of the d pairs); B^T along the row; the alpha x
 *   alpha intermediate on the stack; B^T down each column; per point one
 *   store of the 8 lanes as 2 q (the 8 x 12 kernel's MR = 8 = VL: a step
 *   is one channel of 8 tiles, every full group the driver makes), else
 *   lane by lane (lanes < 8). NEON has
 *   no masked loads: a tile row with padding columns is copied element by
 *   element (masked-off elements are never read: the patch may point
 *   outside the image) into a zeroed buffer and loaded from there. Reads
 *   exactly alpha floats of a patch row (no slack needed), writes only
 *   its tiles' rows.
 * Output transform, 4 output channels a q: alpha^2 loads of the GEMM's
 *   output row, A^T along the rows, A^T down the columns, bias, ReLU, one
 *   store per output pixel; a channel tail (noc % 4) is loaded and stored
 *   lane by lane.
 * Transpose (strips of NHWC input) and the NCHW writer (one transpose per
 *   band row): 4 x 4 blocks in registers, the edges element by element.
 * Register plan: the 1-D transforms hold alpha inputs + alpha outputs +
 *   their temporaries (at most ~24 q for alpha 8) of the 32; the alpha x
 *   alpha intermediate of a channel (input) or the alpha x m one (output)
 *   lives on the stack.
 */
#include "winograd.h"
#include "winograd-tables.h"

#include <arm_neon.h>
#include "../neon-helpers.h"
#include <stdint.h>

#define WT_T float32x4_t
#define WT_ADD(a, b) vaddq_f32(a, b)
#define WT_SUB(a, b) vsubq_f32(a, b)
#define WT_MUL(a, c) vmulq_n_f32(a, c)
#define WT_FMA(a, c, b) vfmaq_n_f32(b, a, c)
#define WT_ZERO vdupq_n_f32(0.0f)

#define VL 8

/*
 * out[k][h] lane i = column k of tile 4h + i's row at p[4h + i] + off,
 * k < A; where bit k of the lane's mask is clear, 0 (and not read).
 * MASKED is a constant: 0 reads the rows with plain loads (every mask
 * full).
 */
static inline __attribute__((always_inline)) void
gather(const int A, const float *const *p, ptrdiff_t off, const uint8_t *mk,
       float32x4_t out[8][2], const int MASKED)
{
    for (int h = 0; h < 2; h++) {
        const float *row[4];
        float buf[4][8];
        for (int i = 0; i < 4; i++) {
            const int l = 4 * h + i;
            if (MASKED) {
                for (int k = 0; k < A; k++)
                    buf[i][k] = mk[l] >> k & 1 ? p[l][off + k] : 0.0f;
                row[i] = buf[i];
            } else {
                row[i] = p[l] + off;
            }
        }
        float32x4_t r[4];
        for (int i = 0; i < 4; i++)
            r[i] = vld1q_f32(row[i]);
        vconv_neon_transpose4(r);
        for (int k = 0; k < 4; k++)
            out[k][h] = r[k];
        if (A == 6) {
            /* columns 4 and 5: (t0c4 t0c5 t1c4 t1c5), (t2c4 ... t3c5) */
            const float32x4_t u01 =
                vcombine_f32(vld1_f32(row[0] + 4), vld1_f32(row[1] + 4));
            const float32x4_t u23 =
                vcombine_f32(vld1_f32(row[2] + 4), vld1_f32(row[3] + 4));
            out[4][h] = vuzp1q_f32(u01, u23);
            out[5][h] = vuzp2q_f32(u01, u23);
        } else if (A == 8) {
            for (int i = 0; i < 4; i++)
                r[i] = vld1q_f32(row[i] + 4);
            vconv_neon_transpose4(r);
            for (int k = 0; k < 4; k++)
                out[4 + k][h] = r[k];
        }
    }
}

#define DEFINE_INPUT(NAME, A_, BT_1D)                                          \
    static inline __attribute__((always_inline)) void NAME##_body(             \
        const float *const *patch, ptrdiff_t cs, ptrdiff_t rs,                 \
        const uint8_t *mask, int lanes, int nch, float *v,                     \
        ptrdiff_t vs_point, const int MASKED)                                  \
    {                                                                          \
        /* all 8 lanes stored: 2 q stores a point and channel */              \
        const bool whole = lanes == VL;                                        \
        for (int c = 0; c < nch; c++) {                                        \
            float32x4_t t[A_][A_][2];                                          \
            for (int r = 0; r < A_; r++) {                                     \
                float32x4_t wx[8][2], wy[A_][2];                               \
                gather(A_, patch, c * cs + r * rs, mask + r * VL, wx,          \
                       MASKED);                                                \
                for (int h = 0; h < 2; h++) {                                  \
                    BT_1D();                                                   \
                }                                                              \
                for (int k = 0; k < A_; k++)                                   \
                    for (int h = 0; h < 2; h++)                                \
                        t[r][k][h] = wy[k][h];                                 \
            }                                                                  \
            for (int k = 0; k < A_; k++) {                                     \
                float32x4_t wx[A_][2], wy[A_][2];                              \
                for (int j = 0; j < A_; j++)                                   \
                    for (int h = 0; h < 2; h++)                                \
                        wx[j][h] = t[j][k][h];                                 \
                for (int h = 0; h < 2; h++) {                                  \
                    BT_1D();                                                   \
                }                                                              \
                for (int j = 0; j < A_; j++) {                                 \
                    float *d = v + (j * A_ + k) * vs_point + c * lanes;        \
                    if (whole) {                                               \
                        vst1q_f32(d, wy[j][0]);                                \
                        vst1q_f32(d + 4, wy[j][1]);                            \
                        continue;                                              \
                    }                                                          \
                    float lane[VL];                                            \
                    vst1q_f32(lane, wy[j][0]);                                 \
                    vst1q_f32(lane + 4, wy[j][1]);                             \
                    for (int l = 0; l < lanes; l++)                            \
                        d[l] = lane[l];                                        \
                }                                                              \
            }                                                                  \
        }                                                                      \
    }                                                                          \
    static void NAME(const float *const *patch, ptrdiff_t cs, ptrdiff_t rs,    \
                     const uint8_t *mask, int lanes, int nch, float *v,        \
                     ptrdiff_t vs_point)                                       \
    {                                                                          \
        /* plain loads read exactly alpha floats a row: all must be in */     \
        const uint8_t full = (uint8_t)((1u << A_) - 1);                        \
        bool all = true;                                                       \
        for (int i = 0; i < A_ * VL; i++)                                      \
            all = all && (mask[i] & full) == full;                             \
        if (all)                                                               \
            NAME##_body(patch, cs, rs, mask, lanes, nch, v, vs_point, 0);      \
        else                                                                   \
            NAME##_body(patch, cs, rs, mask, lanes, nch, v, vs_point, 1);      \
    }

#define DEFINE_OUTPUT(NAME, M_, A_, AT_1D)                                     \
    static void NAME(const float *mt, ptrdiff_t ms_point, int noc,             \
                     const float *bias, int relu, float *y, ptrdiff_t ys_row,  \
                     ptrdiff_t ys_col, int mi, int mj)                         \
    {                                                                          \
        const float32x4_t zero = vdupq_n_f32(0.0f);                            \
        for (int o = 0; o < noc; o += 4) {                                     \
            const int cnt = noc - o >= 4 ? 4 : noc - o;                        \
            float32x4_t z[A_][M_];                                             \
            for (int j = 0; j < A_; j++) {                                     \
                float32x4_t wx[A_], wy[M_];                                    \
                for (int q = 0; q < A_; q++) {                                 \
                    const float *s = mt + (j * A_ + q) * ms_point + o;         \
                    wx[q] = cnt == 4 ? vld1q_f32(s) : vconv_neon_load_part(s, cnt);       \
                }                                                              \
                AT_1D();                                                       \
                for (int q = 0; q < M_; q++)                                   \
                    z[j][q] = wy[q];                                           \
            }                                                                  \
            const float32x4_t b =                                              \
                cnt == 4 ? vld1q_f32(bias + o) : vconv_neon_load_part(bias + o, cnt);     \
            for (int q = 0; q < mj; q++) {                                     \
                float32x4_t wx[A_], wy[M_];                                    \
                for (int j = 0; j < A_; j++)                                   \
                    wx[j] = z[j][q];                                           \
                AT_1D();                                                       \
                for (int i = 0; i < mi; i++) {                                 \
                    float32x4_t r = vaddq_f32(wy[i], b);                       \
                    if (relu) /* fmax(0, r): a NaN r is returned as NaN */     \
                        r = vmaxq_f32(zero, r);                                \
                    float *d = y + i * ys_row + q * ys_col + o;                \
                    if (cnt == 4)                                              \
                        vst1q_f32(d, r);                                       \
                    else                                                       \
                        vconv_neon_store_part(d, r, cnt);                                 \
                }                                                              \
            }                                                                  \
        }                                                                      \
    }

/* the input transforms' 1-D code runs on half h of each pair */
#define X(k) wx[k][h]
#define Y(k) wy[k][h]
DEFINE_INPUT(input_f2, 4, WINO_F2_BT_1D)
DEFINE_INPUT(input_f4, 6, WINO_F4_BT_1D)
DEFINE_INPUT(input_f6, 8, WINO_F6_BT_1D)
#undef X
#undef Y
/* the output transforms' on single q registers */
#define X(k) wx[k]
#define Y(k) wy[k]
DEFINE_OUTPUT(output_f2, 2, 4, WINO_F2_AT_1D)
DEFINE_OUTPUT(output_f4, 4, 6, WINO_F4_AT_1D)
DEFINE_OUTPUT(output_f6, 6, 8, WINO_F6_AT_1D)
/* F(m x m, 5 x 5): the input transforms of the same alpha (F(4x4) and
   F(6x6)'s: the same points, the same B^T), their own A^T */
DEFINE_OUTPUT(output_f2r5, 2, 6, WINO_F2R5_AT_1D)
DEFINE_OUTPUT(output_f4r5, 4, 8, WINO_F4R5_AT_1D)
#undef X
#undef Y

static void transpose_neon(int rows, int cols, const float *src,
                           ptrdiff_t lds, float *dst, ptrdiff_t ldd)
{
    const int rows4 = rows / 4 * 4, cols4 = cols / 4 * 4;
    for (int r0 = 0; r0 < rows4; r0 += 4) {
        for (int c0 = 0; c0 < cols4; c0 += 4) {
            float32x4_t x[4];
            for (int i = 0; i < 4; i++)
                x[i] = vld1q_f32(src + (r0 + i) * lds + c0);
            vconv_neon_transpose4(x);
            for (int j = 0; j < 4; j++)
                vst1q_f32(dst + (c0 + j) * ldd + r0, x[j]);
        }
        for (int c = cols4; c < cols; c++)
            for (int i = 0; i < 4; i++)
                dst[c * ldd + r0 + i] = src[(r0 + i) * lds + c];
    }
    for (int r = rows4; r < rows; r++)
        for (int c = 0; c < cols; c++)
            dst[c * ldd + r] = src[r * lds + c];
}

/* The NCHW writer: each band row is a px x noc -> noc x px transpose. */
static void band_neon(const float *band, ptrdiff_t band_row,
                      ptrdiff_t band_px, int rows, int px, int noc,
                      float *dst, ptrdiff_t dst_row, ptrdiff_t dst_oc)
{
    for (int i = 0; i < rows; i++)
        transpose_neon(px, noc, band + i * band_row, band_px,
                       dst + i * dst_row, dst_oc);
}

const wino_isa_ops vconv_wino_ops_neon = {
    VCONV_ISA_NEON,
    VL,
    0,
    {NULL}, /* the 8x12 sgemm kernel (MR = VL: a step is one channel) */
    {input_f2, input_f4, input_f6, input_f4, input_f6},
    {output_f2, output_f4, output_f6, output_f2r5, output_f4r5},
    transpose_neon,
    band_neon,
};
