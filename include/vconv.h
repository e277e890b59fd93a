/*
 * vconv.h - the one public header of vconv, a C11 library of vectorized CPU
 * kernels for convolutional layers.
 *
 * Use:
 *
 *     vconv_conv_desc d = { .batch = 1, .in_channels = 3, .in_h = 227,
 *                           .in_w = 227, .out_channels = 96, .kernel_h = 11,
 *                           .kernel_w = 11, .stride_h = 4, .stride_w = 4 };
 *     vconv_conv *c;
 *     if (vconv_conv_create(&d, weights, bias, NULL, &c) != VCONV_OK)
 *         fprintf(stderr, "%s\n", vconv_last_error());
 *     vconv_conv_run(c, src, dst);      // any number of times, any thread
 *     vconv_conv_destroy(c);
 *
 * Tensors are dense float32 arrays:
 *   src     [batch][in_channels][in_h][in_w]     (VCONV_NCHW)
 *           [batch][in_h][in_w][in_channels]     (VCONV_NHWC)
 *   dst     [batch][out_channels][out_h][out_w]  (VCONV_NCHW)
 *           [batch][out_h][out_w][out_channels]  (VCONV_NHWC)
 *   weights [out_channels][in_channels/groups][kernel_h][kernel_w] (always)
 *   bias    [out_channels], or NULL for none
 *
 * The operation is a cross-correlation (as in every framework): for output
 * channel o of group g = o / (out_channels/groups),
 *   dst[n][o][y][x] = act(bias[o] + sum_{c,i,j} src[n][g*icg + c]
 *                     [y*stride_h - pad_top + i*dilation_h]
 *                     [x*stride_w - pad_left + j*dilation_w] * w[o][c][i][j])
 * with zeros outside the input (padding).
 *
 * Output size floors, like every framework:
 *   out_h = (in_h + pad_top + pad_bottom - ((kernel_h - 1) * dilation_h + 1))
 *           / stride_h + 1            (integer division, rounding down)
 * and likewise for the width.
 *
 * Errors: every function that can fail returns a vconv_status; on failure
 * vconv_last_error() says what was wrong, with the values. Nothing is ever
 * written to dst by a call that fails.
 *
 * Threads: a plan may be run from several threads at once. Output is
 * bitwise identical for a given implementation whatever the thread count.
 */
#ifndef VCONV_H
#define VCONV_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32) && defined(VCONV_SHARED_BUILD)
#define VCONV_API __declspec(dllexport)
#elif defined(__GNUC__)
#define VCONV_API __attribute__((visibility("default")))
#else
#define VCONV_API
#endif

#define VCONV_VERSION_MAJOR 0
#define VCONV_VERSION_MINOR 1
#define VCONV_VERSION_PATCH 0

/* ---------------------------------------------------------------- enums */

typedef enum {
    VCONV_OK = 0,
    VCONV_ERR_INVALID_ARG,  /* NULL pointer, enum out of range, threads < 0,
                               src and dst the same or overlapping buffers */
    VCONV_ERR_BAD_SHAPE,    /* a size zero, negative or inconsistent */
    VCONV_ERR_UNSUPPORTED,  /* a forced algorithm / ISA / implementation
                               cannot run the problem on this CPU */
    VCONV_ERR_NO_MEMORY
} vconv_status;

typedef enum { VCONV_NCHW = 0, VCONV_NHWC } vconv_layout;   /* src and dst */

typedef enum { VCONV_ACT_NONE = 0, VCONV_ACT_RELU } vconv_act;

typedef enum {
    VCONV_ALGO_AUTO = 0,   /* the dispatcher chooses */
    VCONV_ALGO_REF,        /* plain loops, double accumulation: the oracle */
    VCONV_ALGO_DIRECT,     /* direct convolution, channel-blocked layouts */
    VCONV_ALGO_IM2COL,     /* im2col + packed SGEMM */
    VCONV_ALGO_WINOGRAD    /* Winograd F(m x m, 3 x 3), 3x3 stride 1 only */
} vconv_algo;

typedef enum {
    VCONV_ISA_AUTO = 0,    /* the best the CPU has */
    VCONV_ISA_SCALAR,      /* portable C, any CPU */
    VCONV_ISA_AVX2,        /* x86-64 AVX2 + FMA */
    VCONV_ISA_AVX512,      /* x86-64 AVX-512 F, BW, DQ, VL */
    VCONV_ISA_NEON         /* aarch64 Advanced SIMD */
} vconv_isa;

/* Padding modes of the frameworks, for vconv_conv_set_padding(). */
typedef enum {
    VCONV_PAD_VALID = 0,   /* no padding */
    VCONV_PAD_SAME,        /* TensorFlow's 'SAME': out = ceil(in / stride);
                              an odd extra pad goes to the bottom / right */
    VCONV_PAD_FULL         /* Keras' old border_mode='full': (dilated) kernel
                              extent - 1 on every side */
} vconv_padding;

/* Element types of the low-precision path (vconv_conv_create_q). */
typedef enum {
    VCONV_F32 = 0,         /* float32: the default, vconv_conv_create */
    VCONV_BF16,            /* bfloat16 (uint16_t bit patterns: the high half
                              of a float32) */
    VCONV_U8,              /* uint8_t, quantized (scale, zero point) */
    VCONV_S8,              /* int8_t, quantized (scale, zero point) */
    VCONV_S32              /* int32_t: only the bias of an int8 problem */
} vconv_dtype;

/* ----------------------------------------------------------- descriptors */

/*
 * A convolution problem. Sizes are int. A field left 0 where 0 is
 * meaningless takes its default: stride 1, dilation 1, groups 1. Every
 * other size must be positive (padding: >= 0, any value; outputs that see
 * only padding hold bias and activation).
 */
typedef struct {
    int batch, in_channels, in_h, in_w, out_channels;
    int kernel_h, kernel_w, stride_h, stride_w;
    int pad_top, pad_bottom, pad_left, pad_right;
    int dilation_h, dilation_w, groups;
    vconv_layout layout;
    vconv_act activation;           /* applied after bias */
    /* ---- low precision (appended: a descriptor that leaves these 0 is
       float32 and unchanged). See "Low precision" below. */
    vconv_dtype src_type;           /* F32 (0), BF16, U8 or S8 */
    vconv_dtype dst_type;           /* F32 (0) or, for int8 src, U8 / S8;
                                       for BF16 src, F32 or BF16 */
    float src_scale;                /* int8: real = src_scale * (q - zp) */
    int src_zero_point;             /* int8: in the range of src_type */
    float dst_scale;                /* int8 dst only (U8 / S8) */
    int dst_zero_point;             /* int8 dst only, in dst_type's range */
} vconv_conv_desc;

/*
 * How to build a plan. All-zero (or NULL) means: the dispatcher chooses,
 * the best ISA of the CPU, one thread per physical core, no tuning. Options
 * set here win over the environment; the environment (VCONV_ALGO,
 * VCONV_MAX_ISA, VCONV_IMPL, VCONV_TUNE, VCONV_THREADS) fills only what is
 * left at AUTO / 0 / NULL.
 */
typedef struct {
    vconv_algo algo;                /* AUTO: the dispatcher chooses */
    vconv_isa max_isa;              /* AUTO: the best the CPU has */
    int threads;                    /* 0: one per physical core; < 0 invalid */
    int tune;                       /* 1: time the candidates once, keep the
                                       fastest (remembered in a cache file);
                                       0: the environment decides (VCONV_TUNE);
                                       -1: never tune */
    const char *impl;               /* NULL: any; else force the
                                       implementation of this name
                                       ("direct.avx512"); added to the
                                       contract, see vconv_impl_get() */
} vconv_options;

typedef struct vconv_conv vconv_conv;  /* opaque plan: packed weights + kernel */

/* ------------------------------------------------------------ functions */

/*
 * Validates the whole descriptor (every check of vconv_conv_create but the
 * pointers) and gives the output size. out_h / out_w may be NULL.
 * Returns VCONV_ERR_INVALID_ARG (d NULL, layout or activation out of
 * range) or VCONV_ERR_BAD_SHAPE (a size zero or negative, groups not
 * dividing both channel counts, a dilated kernel larger than the padded
 * input, element counts that do not fit an int).
 */
VCONV_API vconv_status vconv_conv_output_size(const vconv_conv_desc *d,
                                              int *out_h, int *out_w);

/*
 * Sets d's four pad_* fields for a framework padding mode from its input
 * size, kernel, stride and dilation (0 taken as 1). VALID: 0. SAME
 * (TensorFlow): out = ceil(in / stride), total = max((out - 1) * stride +
 * extent - in, 0), top = total / 2, bottom = total - top (the odd one goes
 * to the bottom / right); likewise for the width. FULL: extent - 1 on every
 * side, where extent = (kernel - 1) * dilation + 1.
 * Returns VCONV_ERR_INVALID_ARG for d NULL or a mode out of range,
 * VCONV_ERR_BAD_SHAPE for non-positive sizes or a negative stride or
 * dilation.
 */
VCONV_API vconv_status vconv_conv_set_padding(vconv_conv_desc *d,
                                              vconv_padding mode);

/*
 * Builds a plan: validates d, selects an implementation (see the README:
 * options, environment, heuristic or tuning), copies and packs the weights
 * and bias (the caller may free them afterwards). weights must not be NULL;
 * bias may be. opt may be NULL. On success *out holds the plan; on failure
 * *out is set to NULL.
 * VCONV_ERR_UNSUPPORTED: a forced algorithm, ISA (max_isa = NEON on x86
 * included) or implementation cannot run the problem on this CPU; never a
 * silent substitute.
 */
VCONV_API vconv_status vconv_conv_create(const vconv_conv_desc *d,
                                         const float *weights,
                                         const float *bias,
                                         const vconv_options *opt,
                                         vconv_conv **out);

/*
 * Runs the plan: reads src, writes dst (layouts above; no alignment
 * required). src and dst must not overlap. May be called from several
 * threads at once on one plan. A failing call (VCONV_ERR_INVALID_ARG for
 * NULL or overlapping buffers, VCONV_ERR_NO_MEMORY for scratch) writes
 * nothing to dst and leaves the plan usable.
 */
VCONV_API vconv_status vconv_conv_run(const vconv_conv *c, const float *src,
                                      float *dst);

/* The name of the implementation the plan runs: "<algo>[_<variant>].<isa>",
   e.g. "winograd_f4x3.avx512". NULL for a NULL plan. */
VCONV_API const char *vconv_conv_impl_name(const vconv_conv *c);

/* The number of threads the plan runs with (>= 1); 0 for a NULL plan. */
VCONV_API int vconv_conv_threads(const vconv_conv *c);

/* Frees a plan. vconv_conv_destroy(NULL) does nothing. */
VCONV_API void vconv_conv_destroy(vconv_conv *c);

/* A constant string for a status ("VCONV_ERR_BAD_SHAPE"); "unknown status"
   for a value out of range. */
VCONV_API const char *vconv_status_str(vconv_status s);

/* The message of the last failed call in the calling thread ("" if none);
   calls that succeed leave it as it was, like errno. Valid until the next
   failing call in this thread. */
VCONV_API const char *vconv_last_error(void);

/* The best ISA this CPU and OS support (AVX-512 needs the OS to save the
   opmask and ZMM state, AVX2 the YMM state). Never VCONV_ISA_AUTO. */
VCONV_API vconv_isa vconv_cpu_best_isa(void);

/* "auto", "scalar", "avx2", "avx512", "neon"; "unknown" out of range. */
VCONV_API const char *vconv_isa_name(vconv_isa isa);

/* "auto", "ref", "direct", "im2col", "winograd"; "unknown" out of range. */
VCONV_API const char *vconv_algo_name(vconv_algo algo);

/* The thread count a plan gets with threads = 0 (physical cores, or the
   VCONV_THREADS environment variable). */
VCONV_API int vconv_default_threads(void);

/* ------------------------------------------------------ low precision */

/*
 * Low-precision convolution: int8 (quantized, as TFLite's int8 Conv2D and
 * ONNX QLinearConv define it) and bfloat16. Same shapes, layouts, groups,
 * strides, padding, dilation and ReLU as float32; the descriptor's
 * appended fields say the types:
 *
 * int8 (src_type U8 or S8):
 *   src      uint8_t / int8_t in the layout, real = src_scale * (q - src_zero_point)
 *   weights  int8_t [oc][ic/groups][kh][kw], symmetric (zero point 0),
 *            real = wei_scales[o] * q   (one scale per output channel;
 *            per-tensor quantization repeats one scale oc times)
 *   bias     int32_t [oc] or NULL, in units of src_scale * wei_scales[o]
 *            (TFLite and ONNX: bias scale = input scale * weight scale)
 *   dst      U8 / S8 (real = dst_scale * (q - dst_zero_point)) or F32.
 *   Padding is real 0 (the value src_zero_point). Exactly, with the
 *   accumulator in int32 (never overflowing: see the limits below):
 *     acc = bias[o] + sum_{c,i,j} (src - src_zero_point) * w
 *   F32 dst:  y = (float)acc * S[o],  S[o] = (float)((double)src_scale *
 *             wei_scales[o]); ReLU: y = max(y, 0).
 *   U8 / S8 dst: f = (float)acc * M[o], M[o] = (float)((double)src_scale *
 *             wei_scales[o] / dst_scale) (float products, round to nearest
 *             even; no fused multiply-add), then
 *             q = dst_zero_point + rint(clamp(f, lo - dst_zero_point,
 *                                              hi - dst_zero_point))
 *             with rint rounding half to even and [lo, hi] the range of
 *             dst_type (0..255 / -128..127) — saturation, never wrap-around.
 *             ReLU raises lo to max(lo, dst_zero_point) (real 0), as
 *             TFLite's fused activation does.
 *   Every implementation gives these values bit for bit (the tests hold
 *   them to an integer reference). ONNX QLinearConv rounds the same way
 *   (half to even) in float; TFLite's fixed-point multiplier can differ
 *   from the float M by one unit in the last place on ties.
 *   Limits: src_scale, wei_scales[o], dst_scale positive and finite; M[o]
 *   and S[o] normal floats; zero points in their type's range;
 *   K = (ic/groups)*kh*kw <= 65793 and |bias[o]| <= 2^31 - 1 - K*255*128,
 *   so that the int32 accumulator cannot overflow. Anything else fails
 *   with VCONV_ERR_INVALID_ARG (the message names the field and value).
 *
 * bfloat16 (src_type BF16):
 *   src, weights uint16_t bf16; bias float [oc] or NULL; dst F32 or BF16.
 *   Products of bf16 values are exact in float32; they are summed in
 *   float32 (in an order that depends on the implementation), then the
 *   bias is added and ReLU applied; a BF16 dst rounds to nearest even.
 *   Stated bound, against the exact sum of the same bf16 inputs
 *   (mag = |bias| + sum |x * w|, n = K + 1): |err| <= n * 2^-24 * mag
 *   (+ 2^-8 |y| for a BF16 dst), for inputs whose products are normal
 *   floats (AVX512_BF16 flushes subnormal products and sums to zero).
 *
 * Scales, zero points of float32 / bf16 problems must be left 0; wei_scales
 * must be NULL for them.
 */

/*
 * Builds a plan for a descriptor of any src_type (F32 goes to
 * vconv_conv_create: weights and bias are then float, wei_scales must be
 * NULL). weights are int8_t (int8), uint16_t (bf16); wei_scales float[oc]
 * (int8 only); bias int32_t[oc] (int8), float[oc] (bf16), or NULL. The
 * arrays are copied. Tuning (options.tune / VCONV_TUNE) does not apply to
 * low precision: the heuristic chooses.
 */
VCONV_API vconv_status vconv_conv_create_q(const vconv_conv_desc *d,
                                           const void *weights,
                                           const float *wei_scales,
                                           const void *bias,
                                           const vconv_options *opt,
                                           vconv_conv **out);

/*
 * Runs a plan of any type: src and dst of the descriptor's src_type and
 * dst_type (element sizes 1, 2 or 4 bytes). Same rules as vconv_conv_run.
 * vconv_conv_run refuses a low-precision plan, and this one is the same as
 * vconv_conv_run on a float32 plan.
 */
VCONV_API vconv_status vconv_conv_run_q(const vconv_conv *c, const void *src,
                                        void *dst);

/* "f32", "bf16", "u8", "s8", "s32"; "unknown" out of range. */
VCONV_API const char *vconv_dtype_name(vconv_dtype t);

/* ---------------------------------------------- the implementation table */

typedef struct {
    const char *name;       /* "direct.avx512" */
    vconv_algo algo;
    vconv_isa isa;
    int available;          /* 1 when this CPU can run its ISA */
} vconv_impl_info;

/* The number of registered implementations, in priority order. */
VCONV_API int vconv_impl_count(void);

/* Fills *info for implementation index (0 <= index < vconv_impl_count()).
   VCONV_ERR_INVALID_ARG for info NULL or index out of range. */
VCONV_API vconv_status vconv_impl_get(int index, vconv_impl_info *info);

#ifdef __cplusplus
}
#endif

#endif /* VCONV_H */
