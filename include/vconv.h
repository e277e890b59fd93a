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
 *   floats (AVX512_BF16 and AMX-BF16 flush subnormal products and sums
 *   to zero).
 *
 * On a CPU with AMX (Sapphire Rapids and later, Linux 5.16+), the
 * library's CPU detection (once, at its first use) asks the kernel for
 * the process's permission to use the tile registers, and a
 * low-precision run on AMX configures and then releases the tiles of
 * each thread it uses: a caller's own tile configuration does not
 * survive such a call.
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


/* ====================================================================
 * Layers beside the convolution: pooling, fully connected, LRN, softmax,
 * ReLU; and a whole network of them (vconv_net).
 *
 * Each layer follows the conv's pattern: a descriptor (designated-
 * initializer friendly, 0 = the documented default), create (validates,
 * with an error naming the layer, the field and its value; picks the best
 * kernel of the CPU up to options.max_isa / VCONV_MAX_ISA; copies and
 * packs weights), run (any number of times, from several threads at once;
 * a failing run writes nothing to dst), destroy (NULL does nothing).
 * Options: max_isa and threads are used; algo, impl and tune are for
 * convolutions only and ignored here. Output is bitwise identical whatever
 * the thread count.
 * ==================================================================== */

typedef enum {
    VCONV_POOL_MAX = 0,          /* max over the input elements of the
                                    window (padding never wins) */
    VCONV_POOL_AVG_INCLUDE_PAD,  /* sum / elements of the window inside the
                                    padded input (Caffe, PyTorch
                                    count_include_pad) */
    VCONV_POOL_AVG_EXCLUDE_PAD   /* sum / input elements of the window
                                    (TensorFlow, Keras) */
} vconv_pool_alg;

/*
 * Pooling, src [batch][channels][in_h][in_w] (NCHW) or NHWC likewise, dst
 * the same with out_h x out_w. Output size: floor((in + pads - kernel) /
 * stride) + 1, or with ceil_mode = 1 the frameworks' ceil rule (ceil
 * instead of floor, then one less if the last window would start in the
 * bottom / right padding or past it). Padding: any value >= 0; a window
 * that holds no input element (padding that covers it whole) writes 0.
 * Window elements past the padded input (ceil mode) are not counted.
 */
typedef struct {
    int batch, channels, in_h, in_w;
    int kernel_h, kernel_w, stride_h, stride_w;  /* stride 0: 1 */
    int pad_top, pad_bottom, pad_left, pad_right;
    vconv_pool_alg alg;
    int ceil_mode;                               /* 0 floor, 1 ceil */
    vconv_layout layout;
} vconv_pool_desc;

typedef struct vconv_pool vconv_pool;

/* Validates d (VCONV_ERR_BAD_SHAPE: a size <= 0, a negative pad, a window
   larger than the padded input, counts that do not fit an int;
   VCONV_ERR_INVALID_ARG: alg, layout or ceil_mode out of range) and gives
   the output size (out_h / out_w may be NULL). */
VCONV_API vconv_status vconv_pool_output_size(const vconv_pool_desc *d,
                                              int *out_h, int *out_w);
/* Sets the pads for a framework mode (VALID, TensorFlow SAME; FULL:
   kernel - 1 on every side), as vconv_conv_set_padding does. */
VCONV_API vconv_status vconv_pool_set_padding(vconv_pool_desc *d,
                                              vconv_padding mode);
VCONV_API vconv_status vconv_pool_create(const vconv_pool_desc *d,
                                         const vconv_options *opt,
                                         vconv_pool **out);
VCONV_API vconv_status vconv_pool_run(const vconv_pool *p, const float *src,
                                      float *dst);
/* "pool.avx512" (NHWC, the channel-vector kernel of that ISA) or
   "pool_nchw.scalar"; NULL for a NULL plan. */
VCONV_API const char *vconv_pool_impl_name(const vconv_pool *p);
VCONV_API void vconv_pool_destroy(vconv_pool *p);

/*
 * Fully connected (inner product): dst[n][o] = act(bias[o] + sum_i
 * src[n][i] * weights[o][i]); src [batch][in_features], weights
 * [out_features][in_features], bias [out_features] or NULL. On vconv's
 * packed SGEMM, the weights prepacked at create; batches of at most 4 on a
 * GEMV kernel of the ISA instead (the weights streamed once).
 */
typedef struct {
    int batch, in_features, out_features;
    vconv_act activation;
} vconv_fc_desc;

typedef struct vconv_fc vconv_fc;

VCONV_API vconv_status vconv_fc_create(const vconv_fc_desc *d,
                                       const float *weights,
                                       const float *bias,
                                       const vconv_options *opt,
                                       vconv_fc **out);
VCONV_API vconv_status vconv_fc_run(const vconv_fc *f, const float *src,
                                    float *dst);
/* "fc_gemv.avx512" (batch <= 4: W streamed once for all images) or
   "fc_sgemm.avx512" (the packed SGEMM); NULL for a NULL plan. */
VCONV_API const char *vconv_fc_impl_name(const vconv_fc *f);
VCONV_API void vconv_fc_destroy(vconv_fc *f);

/*
 * Local response normalisation across channels (AlexNet, Caffe, oneDNN):
 *   dst = src / (k + alpha / size * sum_{c' in window(c)} src[c']^2)^beta,
 * window(c) = c - (size-1)/2 .. c + size/2, clipped to the channels.
 * 0 takes the default: size 5, alpha 1e-4, beta 0.75, k 2 (AlexNet's).
 * size must be positive, alpha, beta, k finite, k > 0.
 */
typedef struct {
    int batch, channels, height, width;
    int size;
    float alpha, beta, k;
    vconv_layout layout;
} vconv_lrn_desc;

typedef struct vconv_lrn vconv_lrn;

VCONV_API vconv_status vconv_lrn_create(const vconv_lrn_desc *d,
                                        const vconv_options *opt,
                                        vconv_lrn **out);
VCONV_API vconv_status vconv_lrn_run(const vconv_lrn *l, const float *src,
                                     float *dst);
/* "lrn.avx512" (NHWC, beta 0.75) or "lrn_any.scalar" (powf); NULL for a
   NULL plan. */
VCONV_API const char *vconv_lrn_impl_name(const vconv_lrn *l);
VCONV_API void vconv_lrn_destroy(vconv_lrn *l);

/*
 * Softmax over the classes of each image, numerically stable (the row's
 * maximum subtracted before exp): src and dst [batch][classes]; src == dst
 * (in place) is allowed.
 */
typedef struct {
    int batch, classes;
} vconv_softmax_desc;

typedef struct vconv_softmax vconv_softmax;

VCONV_API vconv_status vconv_softmax_create(const vconv_softmax_desc *d,
                                            const vconv_options *opt,
                                            vconv_softmax **out);
VCONV_API vconv_status vconv_softmax_run(const vconv_softmax *s,
                                         const float *src, float *dst);
VCONV_API void vconv_softmax_destroy(vconv_softmax *s);

/* ReLU on n floats: dst[i] = src[i] < 0 ? 0 : src[i] (NaN stays NaN);
   src == dst allowed. VCONV_ERR_INVALID_ARG for NULL pointers with n > 0. */
VCONV_API vconv_status vconv_relu(const float *src, float *dst, size_t n);

/* ---------------------------------------------------------- networks */

typedef enum {
    VCONV_LAYER_CONV = 0,   /* conv (its activation field fuses a ReLU) */
    VCONV_LAYER_POOL,
    VCONV_LAYER_FC,         /* flattens its input first (C, H, W order) */
    VCONV_LAYER_LRN,
    VCONV_LAYER_RELU,
    VCONV_LAYER_SOFTMAX,    /* over the flattened C x H x W of an image */
    VCONV_LAYER_FLATTEN     /* a view: C x H x W -> (C*H*W) x 1 x 1; only
                               an fc or a softmax may follow it (else
                               VCONV_ERR_UNSUPPORTED) */
} vconv_layer_kind;

/*
 * One layer of a net. Only the fields of its kind are read, and of those
 * only the ones the layer chooses: every input size (batch, channels,
 * height, width, in_features) comes from the previous layer and is
 * ignored here. conv: out_channels, kernel, stride, pads, dilation,
 * groups, activation (layout ignored); pool: kernel, stride, pads, alg,
 * ceil_mode; fc: out_features, activation; lrn: size, alpha, beta, k.
 * An input size set anyway (conv.in_channels, pool.channels,
 * fc.in_features) must match the previous layer's output, or create fails
 * naming the layer, the field, its value and the output. A RELU right
 * after a conv or fc is fused into it.
 * Weights: conv [oc][ic/g][kh][kw]; fc [out][C*H*W of its input, in C, H,
 * W order, the frameworks' flatten]; bias or NULL. Copied at create.
 */
typedef struct {
    vconv_layer_kind kind;
    const char *name;       /* for errors and profiles; NULL: "layer<i>" */
    vconv_conv_desc conv;
    vconv_pool_desc pool;
    vconv_fc_desc fc;
    vconv_lrn_desc lrn;
    const float *weights, *bias;
} vconv_net_layer;

typedef struct {
    int batch, channels, height, width;   /* the input */
    vconv_layout layout;                  /* of src (NCHW or NHWC) */
    const vconv_net_layer *layers;
    int nlayers;
} vconv_net_desc;

typedef struct vconv_net vconv_net;

/*
 * Builds the net: infers every layer's shape from the input, validates
 * each (errors name the layer, the field and its value: "layer 'fc6'
 * (fc): ..."), creates every layer's plan with opt (convolution
 * implementations chosen as for threads = 1, tuning included, then forced
 * at the net's thread count, so that any thread count gives the same
 * bits) and plans the buffers between layers once (two ping-pong buffers;
 * nothing is allocated per run). Between layers activations are NHWC (a
 * net of convs and ReLUs only: the desc's layout); an NCHW src is
 * converted once at the start of a run, and dst is written in the desc's
 * layout. On failure *out is NULL.
 */
VCONV_API vconv_status vconv_net_create(const vconv_net_desc *d,
                                        const vconv_options *opt,
                                        vconv_net **out);
/* Floats of dst per image (the last layer's C x H x W). */
VCONV_API int vconv_net_output_size(const vconv_net *n);
/* The whole forward pass: src in the desc's layout, dst [batch][output
   size] (must not overlap src). One run at a time per net: the buffers
   between layers belong to the net (callers running one net from several
   threads serialise; or build one net per thread). */
VCONV_API vconv_status vconv_net_run(vconv_net *n, const float *src,
                                     float *dst);
/* The same, with seconds[i] = the wall time of step i (steps: see
   vconv_net_step_count; step 0 may be the input conversion). */
VCONV_API vconv_status vconv_net_run_profiled(vconv_net *n, const float *src,
                                              float *dst, double *seconds);

typedef struct {
    const char *name;        /* the layer's name, or "input" / "output" for
                                the layout conversions (and the copy) */
    vconv_layer_kind kind;   /* FLATTEN for those */
    const char *impl;        /* "direct.avx512", "pool.avx512", ... */
    int out_c, out_h, out_w; /* per image */
    long long macs;          /* per image: conv and fc multiply-adds */
} vconv_net_step;

/* The steps a run takes, in order: the layers (a fused ReLU is its conv's
   or fc's step), plus "input" / "output" where a conversion is needed.
   step_info: VCONV_ERR_INVALID_ARG for NULL or i out of range. */
VCONV_API int vconv_net_step_count(const vconv_net *n);
VCONV_API vconv_status vconv_net_step_info(const vconv_net *n, int i,
                                           vconv_net_step *info);
VCONV_API void vconv_net_destroy(vconv_net *n);

#ifdef __cplusplus
}
#endif

#endif /* VCONV_H */
