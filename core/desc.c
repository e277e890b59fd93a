/* desc.c - descriptor validation, output size, padding modes. */
#include "internal.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>

#define BAD(...) vconv_error(VCONV_ERR_BAD_SHAPE, __VA_ARGS__)

static vconv_status positive(const char *field, int v)
{
    if (v <= 0)
        return BAD("%s (%d) must be positive", field, v);
    return VCONV_OK;
}

/* 0 means the default 1; negative is an error. */
static vconv_status defaulted(const char *field, int v, int *out)
{
    if (v < 0)
        return BAD("%s (%d) must be positive (or 0 for the default 1)", field,
                   v);
    *out = v == 0 ? 1 : v;
    return VCONV_OK;
}

static vconv_status non_negative(const char *field, int v)
{
    if (v < 0)
        return BAD("%s (%d) must not be negative", field, v);
    return VCONV_OK;
}

/* One spatial dimension: out = (in + p0 + p1 - extent) / stride + 1,
   computed in 64 bits so that huge paddings cannot overflow. */
static vconv_status out_dim(const char *dim, int in, int k, int s, int dil,
                            int p0, int p1, int *out)
{
    int64_t extent = (int64_t)(k - 1) * dil + 1;
    int64_t padded = (int64_t)in + p0 + p1;
    if (padded < extent)
        return BAD("dilated kernel_%s extent (%lld = (%d - 1) * %d + 1) is "
                   "larger than the padded input (%lld = %d + %d + %d): the "
                   "output would be smaller than 1x1",
                   dim, (long long)extent, k, dil, (long long)padded, in, p0,
                   p1);
    int64_t o = (padded - extent) / s + 1;
    if (o > INT_MAX)
        return BAD("out_%s (%lld) does not fit an int", dim, (long long)o);
    *out = (int)o;
    return VCONV_OK;
}

/* Product of four ints as an element count that must fit an int. */
static vconv_status count(const char *what, int a, int b, int c, int d)
{
    int64_t r = a;
    if (__builtin_mul_overflow(r, (int64_t)b, &r) ||
        __builtin_mul_overflow(r, (int64_t)c, &r) ||
        __builtin_mul_overflow(r, (int64_t)d, &r) || r > INT_MAX)
        return BAD("%s has more elements (%d x %d x %d x %d) than an int can "
                   "index (%d)",
                   what, a, b, c, d, INT_MAX);
    return VCONV_OK;
}

#define INV(...) vconv_error(VCONV_ERR_INVALID_ARG, __VA_ARGS__)

static bool scale_ok(float s) { return isfinite(s) && s > 0; }

/* The low-precision fields (vconv.h, "Low precision"): types, scales, zero
   points, the int32 accumulator's reduction limit. */
static vconv_status lowp_init(const vconv_conv_desc *d, vconv_problem *q)
{
    const vconv_dtype st = d->src_type, dt = d->dst_type;
    if ((unsigned)st > VCONV_S8)
        return INV("src_type (%d) is not VCONV_F32, _BF16, _U8 or _S8",
                   (int)st);
    if ((unsigned)dt > VCONV_S8)
        return INV("dst_type (%d) is not VCONV_F32, _BF16, _U8 or _S8",
                   (int)dt);
    const bool i8 = st == VCONV_U8 || st == VCONV_S8;
    const bool dst_i8 = dt == VCONV_U8 || dt == VCONV_S8;
    if (st == VCONV_F32 && dt != VCONV_F32)
        return INV("dst_type %s needs a low-precision src_type (src_type is "
                   "f32)",
                   vconv_dtype_name(dt));
    if (st == VCONV_BF16 && dst_i8)
        return INV("dst_type %s does not go with src_type bf16 (f32 or bf16)",
                   vconv_dtype_name(dt));
    if (i8 && dt == VCONV_BF16)
        return INV("dst_type bf16 does not go with src_type %s (u8, s8 or "
                   "f32)",
                   vconv_dtype_name(st));
    if (!i8) {
        if (d->src_scale != 0 || d->src_zero_point != 0 ||
            d->dst_scale != 0 || d->dst_zero_point != 0)
            return INV("src_scale / src_zero_point / dst_scale / "
                       "dst_zero_point (%g, %d, %g, %d) must be 0 for "
                       "src_type %s (they quantize int8 only)",
                       (double)d->src_scale, d->src_zero_point,
                       (double)d->dst_scale, d->dst_zero_point,
                       vconv_dtype_name(st));
    } else {
        if (!scale_ok(d->src_scale))
            return INV("src_scale (%g) must be positive and finite",
                       (double)d->src_scale);
        int lo = st == VCONV_U8 ? 0 : -128, hi = st == VCONV_U8 ? 255 : 127;
        if (d->src_zero_point < lo || d->src_zero_point > hi)
            return INV("src_zero_point (%d) is outside %s's range %d..%d",
                       d->src_zero_point, vconv_dtype_name(st), lo, hi);
        if (dst_i8) {
            if (!scale_ok(d->dst_scale))
                return INV("dst_scale (%g) must be positive and finite",
                           (double)d->dst_scale);
            lo = dt == VCONV_U8 ? 0 : -128, hi = dt == VCONV_U8 ? 255 : 127;
            if (d->dst_zero_point < lo || d->dst_zero_point > hi)
                return INV("dst_zero_point (%d) is outside %s's range %d..%d",
                           d->dst_zero_point, vconv_dtype_name(dt), lo, hi);
        } else if (d->dst_scale != 0 || d->dst_zero_point != 0) {
            return INV("dst_scale / dst_zero_point (%g, %d) must be 0 for an "
                       "f32 dst",
                       (double)d->dst_scale, d->dst_zero_point);
        }
        int64_t k = (int64_t)q->icg * q->kh * q->kw;
        if (k > VCONV_INT8_MAX_K)
            return BAD("int8: the reduction (in_channels/groups * kernel_h * "
                       "kernel_w = %lld) exceeds %d, beyond which the int32 "
                       "accumulator could overflow",
                       (long long)k, VCONV_INT8_MAX_K);
    }
    q->src_dt = st;
    q->dst_dt = dt;
    q->src_scale = i8 ? d->src_scale : 0;
    q->src_zp = i8 ? d->src_zero_point : 0;
    q->dst_scale = dst_i8 ? d->dst_scale : 0;
    q->dst_zp = dst_i8 ? d->dst_zero_point : 0;
    return VCONV_OK;
}

const char *vconv_dtype_name(vconv_dtype t)
{
    switch (t) {
    case VCONV_F32: return "f32";
    case VCONV_BF16: return "bf16";
    case VCONV_U8: return "u8";
    case VCONV_S8: return "s8";
    case VCONV_S32: return "s32";
    default: return "unknown";
    }
}

vconv_status vconv_problem_init(const vconv_conv_desc *d, vconv_problem *p)
{
    vconv_status s;
    if (!d)
        return vconv_error(VCONV_ERR_INVALID_ARG, "descriptor is NULL");
    if ((unsigned)d->layout > VCONV_NHWC)
        return vconv_error(VCONV_ERR_INVALID_ARG,
                           "layout (%d) is not VCONV_NCHW (0) or VCONV_NHWC "
                           "(1)",
                           (int)d->layout);
    if ((unsigned)d->activation > VCONV_ACT_RELU)
        return vconv_error(VCONV_ERR_INVALID_ARG,
                           "activation (%d) is not VCONV_ACT_NONE (0) or "
                           "VCONV_ACT_RELU (1)",
                           (int)d->activation);
#define TRY(x)                                                                 \
    do {                                                                       \
        if ((s = (x)) != VCONV_OK)                                             \
            return s;                                                          \
    } while (0)
    TRY(positive("batch", d->batch));
    TRY(positive("in_channels", d->in_channels));
    TRY(positive("in_h", d->in_h));
    TRY(positive("in_w", d->in_w));
    TRY(positive("out_channels", d->out_channels));
    TRY(positive("kernel_h", d->kernel_h));
    TRY(positive("kernel_w", d->kernel_w));
    vconv_problem q = {0};
    TRY(defaulted("stride_h", d->stride_h, &q.sh));
    TRY(defaulted("stride_w", d->stride_w, &q.sw));
    TRY(defaulted("dilation_h", d->dilation_h, &q.dh));
    TRY(defaulted("dilation_w", d->dilation_w, &q.dw));
    TRY(defaulted("groups", d->groups, &q.g));
    TRY(non_negative("pad_top", d->pad_top));
    TRY(non_negative("pad_bottom", d->pad_bottom));
    TRY(non_negative("pad_left", d->pad_left));
    TRY(non_negative("pad_right", d->pad_right));
    if (d->in_channels % q.g)
        return BAD("groups (%d) does not divide in_channels (%d)", q.g,
                   d->in_channels);
    if (d->out_channels % q.g)
        return BAD("groups (%d) does not divide out_channels (%d)", q.g,
                   d->out_channels);
    q.mb = d->batch;
    q.ic = d->in_channels;
    q.ih = d->in_h;
    q.iw = d->in_w;
    q.oc = d->out_channels;
    q.kh = d->kernel_h;
    q.kw = d->kernel_w;
    q.pt = d->pad_top;
    q.pb = d->pad_bottom;
    q.pl = d->pad_left;
    q.pr = d->pad_right;
    q.icg = q.ic / q.g;
    q.ocg = q.oc / q.g;
    q.layout = d->layout;
    q.act = d->activation;
    q.threads = 1;
    TRY(out_dim("h", q.ih, q.kh, q.sh, q.dh, q.pt, q.pb, &q.oh));
    TRY(out_dim("w", q.iw, q.kw, q.sw, q.dw, q.pl, q.pr, &q.ow));
    TRY(count("src", q.mb, q.ic, q.ih, q.iw));
    TRY(count("dst", q.mb, q.oc, q.oh, q.ow));
    TRY(count("weights", q.oc, q.icg, q.kh, q.kw));
    TRY(lowp_init(d, &q));
#undef TRY
    if (p)
        *p = q;
    return VCONV_OK;
}

vconv_status vconv_conv_output_size(const vconv_conv_desc *d, int *out_h,
                                    int *out_w)
{
    vconv_problem p;
    vconv_status s = vconv_problem_init(d, &p);
    if (s != VCONV_OK)
        return s;
    if (out_h)
        *out_h = p.oh;
    if (out_w)
        *out_w = p.ow;
    return VCONV_OK;
}

/* SAME (TensorFlow): out = ceil(in / s); the total pad is what that output
   needs; the odd one goes after. FULL: extent - 1 on both sides. */
static void pad_dim(vconv_padding mode, int in, int k, int s, int dil,
                    int *p0, int *p1)
{
    int64_t extent = (int64_t)(k - 1) * dil + 1;
    int64_t a = 0, b = 0;
    if (mode == VCONV_PAD_SAME) {
        int64_t out = ((int64_t)in + s - 1) / s;
        int64_t total = (out - 1) * s + extent - in;
        if (total < 0)
            total = 0;
        a = total / 2;
        b = total - a;
    } else if (mode == VCONV_PAD_FULL) {
        a = b = extent - 1;
    }
    *p0 = a > INT_MAX ? INT_MAX : (int)a;
    *p1 = b > INT_MAX ? INT_MAX : (int)b;
}

vconv_status vconv_conv_set_padding(vconv_conv_desc *d, vconv_padding mode)
{
    if (!d)
        return vconv_error(VCONV_ERR_INVALID_ARG, "descriptor is NULL");
    if ((unsigned)mode > VCONV_PAD_FULL)
        return vconv_error(VCONV_ERR_INVALID_ARG,
                           "padding mode (%d) is not VCONV_PAD_VALID, _SAME "
                           "or _FULL",
                           (int)mode);
    vconv_status s;
    int sh = 1, sw = 1, dh = 1, dw = 1;
    if ((s = positive("in_h", d->in_h)) || (s = positive("in_w", d->in_w)) ||
        (s = positive("kernel_h", d->kernel_h)) ||
        (s = positive("kernel_w", d->kernel_w)) ||
        (s = defaulted("stride_h", d->stride_h, &sh)) ||
        (s = defaulted("stride_w", d->stride_w, &sw)) ||
        (s = defaulted("dilation_h", d->dilation_h, &dh)) ||
        (s = defaulted("dilation_w", d->dilation_w, &dw)))
        return s;
    pad_dim(mode, d->in_h, d->kernel_h, sh, dh, &d->pad_top, &d->pad_bottom);
    pad_dim(mode, d->in_w, d->kernel_w, sw, dw, &d->pad_left, &d->pad_right);
    return VCONV_OK;
}

double vconv_problem_flops(const vconv_problem *p)
{
    return 2.0 * p->mb * p->oc * p->oh * p->ow * (double)p->icg * p->kh *
           p->kw;
}

/* snprintf that appends at *used and never runs past len. */
static void appendf(char *buf, size_t len, size_t *used, const char *fmt, ...)
    VCONV_PRINTF(4, 5);
static void appendf(char *buf, size_t len, size_t *used, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *used, len - *used, fmt, ap);
    va_end(ap);
    if (n > 0)
        *used = *used + (size_t)n < len ? *used + (size_t)n : len - 1;
}

int vconv_problem_str(const vconv_problem *p, char *buf, size_t len)
{
    size_t used = 0;
    if (len == 0)
        return 0;
    buf[0] = 0;
    appendf(buf, len, &used,
            "mb%d_g%dic%doc%d_ih%doh%dkh%dsh%dph%d_iw%dow%dkw%dsw%dpw%d", p->mb,
            p->g, p->ic, p->oc, p->ih, p->oh, p->kh, p->sh, p->pt, p->iw,
            p->ow, p->kw, p->sw, p->pl);
    if (p->dh > 1 || p->dw > 1)
        appendf(buf, len, &used, "_dh%ddw%d", p->dh - 1, p->dw - 1);
    if (p->pb != p->pt || p->pr != p->pl)
        appendf(buf, len, &used, " pad_bottom%d_right%d", p->pb, p->pr);
    appendf(buf, len, &used, " %s%s", p->layout == VCONV_NHWC ? "nhwc" : "nchw",
            p->act == VCONV_ACT_RELU ? " relu" : "");
    if (p->src_dt != VCONV_F32)
        appendf(buf, len, &used, " %s->%s", vconv_dtype_name(p->src_dt),
                vconv_dtype_name(p->dst_dt));
    return (int)used;
}
