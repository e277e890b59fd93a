/*
 * winograd-avx512.c - the Winograd transforms for AVX-512 (contracts:
 * winograd.h; matrices and 1-D transforms: winograd-tables.h).
 *
 * Input transform, 16 tiles a vector (lane l = tile l of the group):
 *   per channel and patch row r: 16 loads of the tiles' row r (xmm for
 *   alpha = 4, ymm for alpha = 6 and 8: alpha = 6 reads 8 floats, the
 *   strips have slack) and an in-register transpose into alpha vectors
 *   of one column each (alpha 4: 12 inserts + 8 shuffles; alpha 8: 8
 *   inserts + 24 shuffles; alpha 6 skips 2 of the last 8); B^T along the
 *   row; the alpha x alpha intermediate (36 / 64 zmm at alpha 6 / 8)
 *   lives on the stack; then B^T down each column and one masked store
 *   per point and panel (a group of 16 lanes holds one 14-tile panel or
 *   two 6-tile panels: 14x32 or 6x16 GEMM kernel).
 * Output transform, 16 output channels a vector: alpha^2 masked loads of
 *   the GEMM's output row, A^T along the rows (alpha x m vectors: 8 x 6
 *   = 48 at F(6x6), on the stack), A^T down the columns, bias, ReLU, one
 *   masked store per output pixel (channel tails masked).
 * Transpose (strips of NHWC input, NCHW output band): 16 x 16 blocks,
 *   64 shuffles each, edges by masks.
 */
#include "winograd.h"
#include "winograd-tables.h"

#include <immintrin.h>

#define WT_T __m512
#define WT_ADD(a, b) _mm512_add_ps(a, b)
#define WT_SUB(a, b) _mm512_sub_ps(a, b)
#define WT_MUL(a, c) _mm512_mul_ps(a, _mm512_set1_ps(c))
#define WT_FMA(a, c, b) _mm512_fmadd_ps(a, _mm512_set1_ps(c), b)
#define WT_ZERO _mm512_setzero_ps()
#define X(k) wx[k]
#define Y(k) wy[k]

#define VL 16

static inline __mmask16 lanes_mask(int n)
{
    return n >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << n) - 1);
}

/* out[j] lane l = p[l][off + j] where bit j of mk[l] is set, else 0;
   j < 4. MASKED is a constant: 0 takes plain loads (every mask full). */
static inline void gather4(const float *const *p, ptrdiff_t off,
                           const uint8_t *mk, __m512 *out, const int MASKED)
{
#define LD4(l)                                                                 \
    (MASKED ? _mm_maskz_loadu_ps((__mmask8)mk[l], p[l] + off)                  \
            : _mm_loadu_ps(p[l] + off))
    __m512 z[4];
    for (int q = 0; q < 4; q++) {
        __m512 a = _mm512_castps128_ps512(LD4(q));
        a = _mm512_insertf32x4(a, LD4(q + 4), 1);
        a = _mm512_insertf32x4(a, LD4(q + 8), 2);
        z[q] = _mm512_insertf32x4(a, LD4(q + 12), 3);
    }
#undef LD4
    /* z[q], 128-bit chunk L = tile q + 4 L: a 4 x 4 transpose a chunk */
    const __m512 t0 = _mm512_unpacklo_ps(z[0], z[1]);
    const __m512 t1 = _mm512_unpackhi_ps(z[0], z[1]);
    const __m512 t2 = _mm512_unpacklo_ps(z[2], z[3]);
    const __m512 t3 = _mm512_unpackhi_ps(z[2], z[3]);
    out[0] = _mm512_shuffle_ps(t0, t2, 0x44);
    out[1] = _mm512_shuffle_ps(t0, t2, 0xEE);
    out[2] = _mm512_shuffle_ps(t1, t3, 0x44);
    out[3] = _mm512_shuffle_ps(t1, t3, 0xEE);
}

/* out[j] lane l = p[l][off + j] where bit j of mk[l] is set, else 0;
   j < ncols (6 or 8); unmasked, reads 8 floats a lane. */
static inline void gather8(const float *const *p, ptrdiff_t off,
                           const uint8_t *mk, __m512 *out, int ncols,
                           const int MASKED)
{
#define LD8(l)                                                                 \
    (MASKED ? _mm256_maskz_loadu_ps((__mmask8)mk[l], p[l] + off)               \
            : _mm256_loadu_ps(p[l] + off))
    __m512 z[8];
    for (int q = 0; q < 8; q++)
        z[q] = _mm512_insertf32x8(_mm512_castps256_ps512(LD8(q)), LD8(q + 8),
                                  1);
#undef LD8
    /* z[q]: chunk 0 = columns 0-3 of tile q, chunk 1 = columns 4-7,
       chunks 2, 3 the same of tile q + 8 */
    __m512 t[8], s[8];
    for (int i = 0; i < 4; i++) {
        t[2 * i] = _mm512_unpacklo_ps(z[2 * i], z[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_ps(z[2 * i], z[2 * i + 1]);
    }
    for (int h = 0; h < 2; h++) { /* tiles 0-3 (+8), tiles 4-7 (+8) */
        s[4 * h + 0] = _mm512_shuffle_ps(t[4 * h], t[4 * h + 2], 0x44);
        s[4 * h + 1] = _mm512_shuffle_ps(t[4 * h], t[4 * h + 2], 0xEE);
        s[4 * h + 2] = _mm512_shuffle_ps(t[4 * h + 1], t[4 * h + 3], 0x44);
        s[4 * h + 3] = _mm512_shuffle_ps(t[4 * h + 1], t[4 * h + 3], 0xEE);
    }
    /* s[j] (j < 4): chunk 0 = column j of tiles 0-3, chunk 1 = column
       j + 4 of tiles 0-3, chunks 2, 3 the same of tiles 8-11; s[j + 4]
       the same of tiles 4-7 and 12-15 */
    const __m512i lo = _mm512_setr_epi32(0, 1, 2, 3, 16, 17, 18, 19, 8, 9,
                                         10, 11, 24, 25, 26, 27);
    const __m512i hi = _mm512_setr_epi32(4, 5, 6, 7, 20, 21, 22, 23, 12, 13,
                                         14, 15, 28, 29, 30, 31);
    for (int j = 0; j < 4; j++) {
        out[j] = _mm512_permutex2var_ps(s[j], lo, s[j + 4]);
        if (j + 4 < ncols)
            out[j + 4] = _mm512_permutex2var_ps(s[j], hi, s[j + 4]);
    }
}

#define GATHER_4(p, off, mk, out, M) gather4(p, off, mk, out, M)
#define GATHER_6(p, off, mk, out, M) gather8(p, off, mk, out, 6, M)
#define GATHER_8(p, off, mk, out, M) gather8(p, off, mk, out, 8, M)

/* V = B^T d B for 16 lanes a vector, every step; one store a point (a
   whole aligned vector when lanes = 16, masked otherwise). A group whose
   masks are all full (inside the image) takes plain loads. */
#define DEFINE_INPUT(NAME, A_, GATHER, BT_1D)                                  \
    static inline void NAME##_body(                                            \
        const float *const *patch, ptrdiff_t cs, ptrdiff_t rs,                 \
        const uint8_t *mask, int nch, float *v, ptrdiff_t vs_point,            \
        int lanes, const int MASKED, const int FULL)                           \
    {                                                                          \
        const __mmask16 mk = lanes_mask(lanes);                                \
        for (int c = 0; c < nch; c++) {                                        \
            __m512 t[A_][A_];                                                  \
            for (int r = 0; r < A_; r++) {                                     \
                __m512 wx[8], wy[A_];                                          \
                GATHER(patch, c * cs + r * rs, mask + r * VL, wx, MASKED);     \
                BT_1D();                                                       \
                for (int k = 0; k < A_; k++)                                   \
                    t[r][k] = wy[k];                                           \
            }                                                                  \
            float *vc = v + (ptrdiff_t)c * (FULL ? VL : lanes);                \
            for (int k = 0; k < A_; k++) {                                     \
                __m512 wx[A_], wy[A_];                                         \
                for (int j = 0; j < A_; j++)                                   \
                    wx[j] = t[j][k];                                           \
                BT_1D();                                                       \
                for (int j = 0; j < A_; j++) {                                 \
                    float *d = vc + (j * A_ + k) * vs_point;                   \
                    if (FULL)                                                  \
                        _mm512_storeu_ps(d, wy[j]);                            \
                    else                                                       \
                        _mm512_mask_storeu_ps(d, mk, wy[j]);                   \
                }                                                              \
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
        if (lanes == VL && all)                                                \
            NAME##_body(patch, cs, rs, mask, nch, v, vs_point, lanes, 0, 1);   \
        else if (lanes == VL)                                                  \
            NAME##_body(patch, cs, rs, mask, nch, v, vs_point, lanes, 1, 1);   \
        else                                                                   \
            NAME##_body(patch, cs, rs, mask, nch, v, vs_point, lanes, 1, 0);   \
    }

/* Y = A^T M A + bias, ReLU, 16 output channels a vector. A whole tile
   (mi = mj = m) of whole vectors takes a fully unrolled body with plain
   loads and stores (the points a pointer increment apart): measured 50
   -> 39 (F(2x2)) and 189 -> 160 (F(4x4)) cycles a tile and vector; a
   tile cut by the border, a channel tail, and F(6x6) (whose 48
   intermediate vectors spill either way, and ran slower unrolled: 370
   -> 450) the masked loop. */
#define DEFINE_OUTPUT(NAME, M_, A_, AT_1D)                                     \
    static inline __attribute__((always_inline)) void NAME##_full(             \
        const float *mt, ptrdiff_t ms_point, __m512 b, float *y,               \
        ptrdiff_t ys_row, ptrdiff_t ys_col, const int RELU)                    \
    {                                                                          \
        const __m512 zero = _mm512_setzero_ps();                               \
        __m512 z[A_][M_];                                                      \
        _Pragma("GCC unroll 8") for (int j = 0; j < A_; j++)                   \
        {                                                                      \
            __m512 wx[A_], wy[M_];                                             \
            _Pragma("GCC unroll 8") for (int q = 0; q < A_; q++)               \
            {                                                                  \
                wx[q] = _mm512_loadu_ps(mt);                                   \
                mt += ms_point;                                                \
            }                                                                  \
            AT_1D();                                                           \
            _Pragma("GCC unroll 8") for (int q = 0; q < M_; q++)               \
                z[j][q] = wy[q];                                               \
        }                                                                      \
        _Pragma("GCC unroll 8") for (int q = 0; q < M_; q++)                   \
        {                                                                      \
            __m512 wx[A_], wy[M_];                                             \
            _Pragma("GCC unroll 8") for (int j = 0; j < A_; j++)               \
                wx[j] = z[j][q];                                               \
            AT_1D();                                                           \
            float *yq = y + q * ys_col;                                        \
            _Pragma("GCC unroll 8") for (int i = 0; i < M_; i++)               \
            {                                                                  \
                __m512 r = _mm512_add_ps(wy[i], b);                            \
                if (RELU) /* max(0, r): a NaN r is returned as is */           \
                    r = _mm512_max_ps(zero, r);                                \
                _mm512_storeu_ps(yq, r);                                       \
                yq += ys_row;                                                  \
            }                                                                  \
        }                                                                      \
    }                                                                          \
    static void NAME(const float *mt, ptrdiff_t ms_point, int noc,             \
                     const float *bias, int relu, float *y, ptrdiff_t ys_row,  \
                     ptrdiff_t ys_col, int mi, int mj)                         \
    {                                                                          \
        const __m512 zero = _mm512_setzero_ps();                               \
        int o = 0;                                                             \
        if (M_ <= 4 && mi == M_ && mj == M_) {                                 \
            if (relu)                                                          \
                for (; o + VL <= noc; o += VL)                                 \
                    NAME##_full(mt + o, ms_point, _mm512_loadu_ps(bias + o),   \
                                y + o, ys_row, ys_col, 1);                     \
            else                                                               \
                for (; o + VL <= noc; o += VL)                                 \
                    NAME##_full(mt + o, ms_point, _mm512_loadu_ps(bias + o),   \
                                y + o, ys_row, ys_col, 0);                     \
        }                                                                      \
        for (; o < noc; o += VL) {                                             \
            const __mmask16 k = lanes_mask(noc - o);                           \
            __m512 z[A_][M_];                                                  \
            for (int j = 0; j < A_; j++) {                                     \
                __m512 wx[A_], wy[M_];                                         \
                for (int q = 0; q < A_; q++)                                   \
                    wx[q] = _mm512_maskz_loadu_ps(                             \
                        k, mt + (j * A_ + q) * ms_point + o);                  \
                AT_1D();                                                       \
                for (int q = 0; q < M_; q++)                                   \
                    z[j][q] = wy[q];                                           \
            }                                                                  \
            const __m512 b = _mm512_maskz_loadu_ps(k, bias + o);               \
            for (int q = 0; q < mj; q++) {                                     \
                __m512 wx[A_], wy[M_];                                         \
                for (int j = 0; j < A_; j++)                                   \
                    wx[j] = z[j][q];                                           \
                AT_1D();                                                       \
                for (int i = 0; i < mi; i++) {                                 \
                    __m512 r = _mm512_add_ps(wy[i], b);                        \
                    if (relu) /* max(0, r): a NaN r is returned as is */       \
                        r = _mm512_max_ps(zero, r);                            \
                    _mm512_mask_storeu_ps(y + i * ys_row + q * ys_col + o, k,  \
                                          r);                                  \
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

/* r[j] <- column j of the 16 x 16 matrix of rows r[0..15]. */
static inline void transpose16(__m512 *r)
{
    __m512 t[16], u[16];
    for (int i = 0; i < 8; i++) {
        t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    for (int i = 0; i < 4; i++) {
        u[4 * i + 0] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], 0x44);
        u[4 * i + 1] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], 0xEE);
        u[4 * i + 2] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0x44);
        u[4 * i + 3] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0xEE);
    }
    /* u[4 i + j], chunk L = column 4 L + j of rows 4 i .. 4 i + 3 */
    for (int j = 0; j < 4; j++) {
        const __m512 w0 = _mm512_shuffle_f32x4(u[j], u[4 + j], 0x44);
        const __m512 w1 = _mm512_shuffle_f32x4(u[j], u[4 + j], 0xEE);
        const __m512 w2 = _mm512_shuffle_f32x4(u[8 + j], u[12 + j], 0x44);
        const __m512 w3 = _mm512_shuffle_f32x4(u[8 + j], u[12 + j], 0xEE);
        r[j] = _mm512_shuffle_f32x4(w0, w2, 0x88);
        r[4 + j] = _mm512_shuffle_f32x4(w0, w2, 0xDD);
        r[8 + j] = _mm512_shuffle_f32x4(w1, w3, 0x88);
        r[12 + j] = _mm512_shuffle_f32x4(w1, w3, 0xDD);
    }
}

static void transpose_avx512(int rows, int cols, const float *src,
                             ptrdiff_t lds, float *dst, ptrdiff_t ldd)
{
    for (int r0 = 0; r0 < rows; r0 += VL) {
        const int nr = vconv_min_i(VL, rows - r0);
        const __mmask16 rm = lanes_mask(nr);
        for (int c0 = 0; c0 < cols; c0 += VL) {
            const int nc = vconv_min_i(VL, cols - c0);
            const __mmask16 cm = lanes_mask(nc);
            __m512 x[VL];
            for (int i = 0; i < VL; i++)
                x[i] = i < nr ? _mm512_maskz_loadu_ps(
                                    cm, src + (r0 + i) * lds + c0)
                              : _mm512_setzero_ps();
            transpose16(x);
            for (int j = 0; j < nc; j++)
                _mm512_mask_storeu_ps(dst + (c0 + j) * ldd + r0, rm, x[j]);
        }
    }
}

/* The NCHW writer: 16 pixels x 16 channels a transpose, channel-major. */
static void band_avx512(const float *band, ptrdiff_t band_row,
                        ptrdiff_t band_px, int rows, int px, int noc,
                        float *dst, ptrdiff_t dst_row, ptrdiff_t dst_oc)
{
    for (int o0 = 0; o0 < noc; o0 += VL) {
        const int nc = vconv_min_i(VL, noc - o0);
        const __mmask16 cm = lanes_mask(nc);
        for (int i = 0; i < rows; i++) {
            const float *b = band + i * band_row + o0;
            float *d = dst + o0 * dst_oc + i * dst_row;
            for (int x0 = 0; x0 < px; x0 += VL) {
                const int nr = vconv_min_i(VL, px - x0);
                const __mmask16 rm = lanes_mask(nr);
                __m512 x[VL];
                for (int k = 0; k < VL; k++)
                    x[k] = k < nr ? _mm512_maskz_loadu_ps(
                                        cm, b + (x0 + k) * band_px)
                                  : _mm512_setzero_ps();
                transpose16(x);
                for (int j = 0; j < nc; j++)
                    _mm512_mask_storeu_ps(d + j * dst_oc + x0, rm, x[j]);
            }
        }
    }
}

/* The Winograd GEMM kernels (winograd-gemm-avx512.c): 16 lanes of the
   input transform are 16 tiles, 8 tiles x 2 channels or 4 tiles x 4
   channels. */
static const vconv_sgemm_kernel gemm_16x16 = {
    "wino-16x16-avx512", VCONV_ISA_AVX512, 16, 16,
    vconv_wino_gemm_16x16__avx512, NULL, NULL};
static const vconv_sgemm_kernel gemm_8x32 = {
    "wino-8x32-avx512", VCONV_ISA_AVX512, 8, 32,
    vconv_wino_gemm_8x32__avx512, NULL, NULL};
static const vconv_sgemm_kernel gemm_4x64 = {
    "wino-4x64-avx512", VCONV_ISA_AVX512, 4, 64,
    vconv_wino_gemm_4x64__avx512, NULL, NULL};

/* Masked stores: nothing written past `lanes`. */
const wino_isa_ops vconv_wino_ops_avx512 = {
    VCONV_ISA_AVX512,
    VL,
    0,
    {&gemm_16x16, &gemm_8x32, &gemm_4x64, NULL},
    {input_f2, input_f4, input_f6, input_f4, input_f6},
    {output_f2, output_f4, output_f6, output_f2r5, output_f4r5},
    transpose_avx512,
    band_avx512,
};
