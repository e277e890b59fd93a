/*
 * winograd-avx2.c - the Winograd transforms for AVX2 + FMA (contracts:
 * winograd.h; matrices and 1-D transforms: winograd-tables.h).
 *
 * Input transform, 8 tiles a vector (lane l = tile l of the group):
 *   per channel and patch row r: 8 loads of the tiles' row r and an
 *   in-register transpose into alpha vectors of one column each (alpha 4:
 *   4 inserts + 8 shuffles; alpha 6 and 8: the 8 x 8 transpose, 24
 *   shuffles); B^T along the row; the alpha x alpha intermediate on the
 *   stack; B^T down each column; one whole-vector store per point.
 *   AVX2 has no cheap masked store, so a store writes all 8 lanes at the
 *   step's row: with fewer lanes (the 6 rows of the 6x16 sgemm kernel's
 *   panels) the lanes past them land in the next step's row, which that
 *   step overwrites (steps go in increasing order), or for the last step
 *   in the point's padding (WINO_PANEL_PAD).
 * Output transform, 8 output channels a vector: alpha^2 loads of the
 *   GEMM's output row, A^T along the rows, A^T down the columns, bias,
 *   ReLU, one store per output pixel; a channel tail (noc % 8) uses
 *   vmaskmovps.
 * Transpose (strips of NHWC input, NCHW output band): 8 x 8 blocks, 24
 *   shuffles each, edges by vmaskmovps.
 */
#include "winograd.h"
#include "winograd-tables.h"

#include <immintrin.h>
#include <stdint.h>

#define WT_T __m256
#define WT_ADD(a, b) _mm256_add_ps(a, b)
#define WT_SUB(a, b) _mm256_sub_ps(a, b)
#define WT_MUL(a, c) _mm256_mul_ps(a, _mm256_set1_ps(c))
#define WT_FMA(a, c, b) _mm256_fmadd_ps(a, _mm256_set1_ps(c), b)
#define WT_ZERO _mm256_setzero_ps()
#define X(k) wx[k]
#define Y(k) wy[k]

#define VL 8

/* The mask of the first n lanes (0 <= n <= 8). */
static inline __m256i lanes_mask(int n)
{
    static const int32_t table[16] = {-1, -1, -1, -1, -1, -1, -1, -1,
                                      0,  0,  0,  0,  0,  0,  0,  0};
    return _mm256_loadu_si256((const __m256i *)(table + 8 - n));
}

/* The vector mask of the column bits of one lane (bit j: lane j). */
static inline __m256i bits_mask8(unsigned bits)
{
    const __m256i sel = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
    return _mm256_cmpeq_epi32(
        _mm256_and_si256(_mm256_set1_epi32((int)bits), sel), sel);
}
static inline __m128i bits_mask4(unsigned bits)
{
    const __m128i sel = _mm_setr_epi32(1, 2, 4, 8);
    return _mm_cmpeq_epi32(_mm_and_si128(_mm_set1_epi32((int)bits), sel),
                           sel);
}

/* out[j] lane l = p[l][off + j] where bit j of mk[l] is set, else 0;
   j < 4. MASKED is a constant: 0 takes plain loads (every mask full). */
static inline void gather4(const float *const *p, ptrdiff_t off,
                           const uint8_t *mk, __m256 *out, const int MASKED)
{
#define LD4(l)                                                                 \
    (MASKED ? _mm_maskload_ps(p[l] + off, bits_mask4(mk[l]))                   \
            : _mm_loadu_ps(p[l] + off))
    __m256 z[4];
    for (int q = 0; q < 4; q++)
        z[q] = _mm256_insertf128_ps(_mm256_castps128_ps256(LD4(q)), LD4(q + 4),
                                    1);
#undef LD4
    /* z[q], 128-bit half L = tile q + 4 L: a 4 x 4 transpose a half */
    const __m256 t0 = _mm256_unpacklo_ps(z[0], z[1]);
    const __m256 t1 = _mm256_unpackhi_ps(z[0], z[1]);
    const __m256 t2 = _mm256_unpacklo_ps(z[2], z[3]);
    const __m256 t3 = _mm256_unpackhi_ps(z[2], z[3]);
    out[0] = _mm256_shuffle_ps(t0, t2, 0x44);
    out[1] = _mm256_shuffle_ps(t0, t2, 0xEE);
    out[2] = _mm256_shuffle_ps(t1, t3, 0x44);
    out[3] = _mm256_shuffle_ps(t1, t3, 0xEE);
}

/* The 8 x 8 transpose: r[j] <- column j of rows r[0..7]. */
static inline void transpose8(__m256 *r, int ncols)
{
    __m256 t[8], s[8];
    for (int i = 0; i < 4; i++) {
        t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    for (int h = 0; h < 2; h++) {
        s[4 * h + 0] = _mm256_shuffle_ps(t[4 * h], t[4 * h + 2], 0x44);
        s[4 * h + 1] = _mm256_shuffle_ps(t[4 * h], t[4 * h + 2], 0xEE);
        s[4 * h + 2] = _mm256_shuffle_ps(t[4 * h + 1], t[4 * h + 3], 0x44);
        s[4 * h + 3] = _mm256_shuffle_ps(t[4 * h + 1], t[4 * h + 3], 0xEE);
    }
    /* s[j] (j < 4): half 0 = column j of rows 0-3, half 1 = column j + 4;
       s[j + 4] the same of rows 4-7 */
    for (int j = 0; j < 4; j++) {
        r[j] = _mm256_permute2f128_ps(s[j], s[j + 4], 0x20);
        if (j + 4 < ncols)
            r[j + 4] = _mm256_permute2f128_ps(s[j], s[j + 4], 0x31);
    }
}

/* out[j] lane l = p[l][off + j] where bit j of mk[l] is set, else 0;
   j < ncols (6 or 8); unmasked, reads 8 floats a lane. */
static inline void gather8(const float *const *p, ptrdiff_t off,
                           const uint8_t *mk, __m256 *out, int ncols,
                           const int MASKED)
{
    for (int q = 0; q < 8; q++)
        out[q] = MASKED ? _mm256_maskload_ps(p[q] + off, bits_mask8(mk[q]))
                        : _mm256_loadu_ps(p[q] + off);
    transpose8(out, ncols);
}

#define GATHER_4(p, off, mk, out, M) gather4(p, off, mk, out, M)
#define GATHER_6(p, off, mk, out, M) gather8(p, off, mk, out, 6, M)
#define GATHER_8(p, off, mk, out, M) gather8(p, off, mk, out, 8, M)

#define DEFINE_INPUT(NAME, A_, GATHER, BT_1D)                                  \
    static inline void NAME##_body(                                            \
        const float *const *patch, ptrdiff_t cs, ptrdiff_t rs,                 \
        const uint8_t *mask, int nch, int lanes, float *v,                     \
        ptrdiff_t vs_point, const int MASKED)                                  \
    {                                                                          \
        for (int c = 0; c < nch; c++) {                                        \
            __m256 t[A_][A_];                                                  \
            for (int r = 0; r < A_; r++) {                                     \
                __m256 wx[8], wy[A_];                                          \
                GATHER(patch, c * cs + r * rs, mask + r * VL, wx, MASKED);     \
                BT_1D();                                                       \
                for (int k = 0; k < A_; k++)                                   \
                    t[r][k] = wy[k];                                           \
            }                                                                  \
            for (int k = 0; k < A_; k++) {                                     \
                __m256 wx[A_], wy[A_];                                         \
                for (int j = 0; j < A_; j++)                                   \
                    wx[j] = t[j][k];                                           \
                BT_1D();                                                       \
                for (int j = 0; j < A_; j++)                                   \
                    _mm256_storeu_ps(v + (j * A_ + k) * vs_point + c * lanes,  \
                                     wy[j]);                                   \
            }                                                                  \
        }                                                                      \
    }                                                                          \
    static void NAME(const float *const *patch, ptrdiff_t cs, ptrdiff_t rs,    \
                     const uint8_t *mask, int lanes, int nch, float *v,        \
                     ptrdiff_t vs_point)                                       \
    {                                                                          \
        /* plain loads read 4 (alpha 4) or 8 floats a row: all must be in */ \
        const uint8_t full = A_ == 4 ? 0x0f : 0xff;                            \
        bool all = true;                                                       \
        for (int i = 0; i < A_ * VL; i++)                                      \
            all = all && (mask[i] & full) == full;                             \
        if (all)                                                               \
            NAME##_body(patch, cs, rs, mask, nch, lanes, v, vs_point, 0);      \
        else                                                                   \
            NAME##_body(patch, cs, rs, mask, nch, lanes, v, vs_point, 1);      \
    }

#define DEFINE_OUTPUT(NAME, M_, A_, AT_1D)                                     \
    static void NAME(const float *mt, ptrdiff_t ms_point, int noc,             \
                     const float *bias, int relu, float *y, ptrdiff_t ys_row,  \
                     ptrdiff_t ys_col, int mi, int mj)                         \
    {                                                                          \
        const __m256 zero = _mm256_setzero_ps();                               \
        for (int o = 0; o < noc; o += VL) {                                    \
            const bool full = noc - o >= VL;                                   \
            const __m256i k = lanes_mask(full ? VL : noc - o);                 \
            __m256 z[A_][M_];                                                  \
            for (int j = 0; j < A_; j++) {                                     \
                __m256 wx[A_], wy[M_];                                         \
                for (int q = 0; q < A_; q++) {                                 \
                    const float *s = mt + (j * A_ + q) * ms_point + o;         \
                    wx[q] = full ? _mm256_loadu_ps(s)                          \
                                 : _mm256_maskload_ps(s, k);                   \
                }                                                              \
                AT_1D();                                                       \
                for (int q = 0; q < M_; q++)                                   \
                    z[j][q] = wy[q];                                           \
            }                                                                  \
            const __m256 b = full ? _mm256_loadu_ps(bias + o)                  \
                                  : _mm256_maskload_ps(bias + o, k);           \
            for (int q = 0; q < mj; q++) {                                     \
                __m256 wx[A_], wy[M_];                                         \
                for (int j = 0; j < A_; j++)                                   \
                    wx[j] = z[j][q];                                           \
                AT_1D();                                                       \
                for (int i = 0; i < mi; i++) {                                 \
                    __m256 r = _mm256_add_ps(wy[i], b);                        \
                    if (relu) /* max(0, r): a NaN r is returned as is */       \
                        r = _mm256_max_ps(zero, r);                            \
                    float *d = y + i * ys_row + q * ys_col + o;                \
                    if (full)                                                  \
                        _mm256_storeu_ps(d, r);                                \
                    else                                                       \
                        _mm256_maskstore_ps(d, k, r);                          \
                }                                                              \
            }                                                                  \
        }                                                                      \
    }

DEFINE_INPUT(input_f2, 4, GATHER_4, WINO_F2_BT_1D)
DEFINE_INPUT(input_f4, 6, GATHER_6, WINO_F4_BT_1D)
DEFINE_INPUT(input_f6, 8, GATHER_8, WINO_F6_BT_1D)
DEFINE_OUTPUT(output_f2, 2, 4, WINO_F2_AT_1D)
DEFINE_OUTPUT(output_f4, 4, 6, WINO_F4_AT_1D)
DEFINE_OUTPUT(output_f6, 6, 8, WINO_F6_AT_1D)
/* F(m x m, 5 x 5): the input transforms of the same alpha (F(4x4) and
   F(6x6)'s: the same points, the same B^T), their own A^T */
DEFINE_OUTPUT(output_f2r5, 2, 6, WINO_F2R5_AT_1D)
DEFINE_OUTPUT(output_f4r5, 4, 8, WINO_F4R5_AT_1D)

static void transpose_avx2(int rows, int cols, const float *src,
                           ptrdiff_t lds, float *dst, ptrdiff_t ldd)
{
    for (int r0 = 0; r0 < rows; r0 += VL) {
        const int nr = vconv_min_i(VL, rows - r0);
        const __m256i rm = lanes_mask(nr);
        for (int c0 = 0; c0 < cols; c0 += VL) {
            const int nc = vconv_min_i(VL, cols - c0);
            const __m256i cm = lanes_mask(nc);
            __m256 x[VL];
            for (int i = 0; i < VL; i++) {
                const float *s = src + (r0 + i) * lds + c0;
                x[i] = i >= nr    ? _mm256_setzero_ps()
                       : nc == VL ? _mm256_loadu_ps(s)
                                  : _mm256_maskload_ps(s, cm);
            }
            transpose8(x, 8);
            for (int j = 0; j < nc; j++) {
                float *d = dst + (c0 + j) * ldd + r0;
                if (nr == VL)
                    _mm256_storeu_ps(d, x[j]);
                else
                    _mm256_maskstore_ps(d, rm, x[j]);
            }
        }
    }
}

/* The NCHW writer: 8 pixels x 8 channels a transpose, channel-major. */
static void band_avx2(const float *band, ptrdiff_t band_row,
                      ptrdiff_t band_px, int rows, int px, int noc,
                      float *dst, ptrdiff_t dst_row, ptrdiff_t dst_oc)
{
    for (int o0 = 0; o0 < noc; o0 += VL) {
        const int nc = vconv_min_i(VL, noc - o0);
        const __m256i cm = lanes_mask(nc);
        for (int i = 0; i < rows; i++) {
            const float *b = band + i * band_row + o0;
            float *d = dst + o0 * dst_oc + i * dst_row;
            for (int x0 = 0; x0 < px; x0 += VL) {
                const int nr = vconv_min_i(VL, px - x0);
                const __m256i rm = lanes_mask(nr);
                __m256 x[VL];
                for (int k = 0; k < VL; k++) {
                    const float *s = b + (x0 + k) * band_px;
                    x[k] = k >= nr    ? _mm256_setzero_ps()
                           : nc == VL ? _mm256_loadu_ps(s)
                                      : _mm256_maskload_ps(s, cm);
                }
                transpose8(x, 8);
                for (int j = 0; j < nc; j++) {
                    if (nr == VL)
                        _mm256_storeu_ps(d + j * dst_oc + x0, x[j]);
                    else
                        _mm256_maskstore_ps(d + j * dst_oc + x0, rm, x[j]);
                }
            }
        }
    }
}

/* The Winograd GEMM kernel (winograd-gemm-avx2.c): the 8 lanes of the
   input transform are 4 tiles x 2 channels. */
static const vconv_sgemm_kernel gemm_4x24 = {
    "wino-4x24-avx2", VCONV_ISA_AVX2, 4, 24, vconv_wino_gemm_4x24__avx2,
    NULL, NULL};

const wino_isa_ops vconv_wino_ops_avx2 = {
    VCONV_ISA_AVX2,
    VL,
    1,
    {&gemm_4x24, NULL},
    {input_f2, input_f4, input_f6, input_f4, input_f6},
    {output_f2, output_f4, output_f6, output_f2r5, output_f4r5},
    transpose_avx2,
    band_avx2,
};
