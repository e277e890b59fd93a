/*
 * layers.c - the public API of the layers beside the convolution:
 * validation (errors name the layer, the field and the value), the choice
 * of kernel (the best ISA of the CPU up to max_isa / VCONV_MAX_ISA), and
 * create / run / destroy of pool, fc, lrn and softmax; and ReLU.
 */
#include "layers.h"
#include "../dispatch/cpu.h"
#include "../dispatch/dispatch.h"
#include "../kernels/fc/fc.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

VCONV_INTERNAL void vconv_softmax_exec(int mb, int classes, int threads,
                                       const float *src, float *dst);

#define BAD(...) vconv_error(VCONV_ERR_BAD_SHAPE, __VA_ARGS__)
#define INVAL(...) vconv_error(VCONV_ERR_INVALID_ARG, __VA_ARGS__)
#define TRY(x)                                                                 \
    do {                                                                       \
        vconv_status s_ = (x);                                                 \
        if (s_ != VCONV_OK)                                                    \
            return s_;                                                         \
    } while (0)

static vconv_status positive(const char *who, const char *field, int v)
{
    return v > 0 ? VCONV_OK
                 : BAD("%s: %s (%d) must be positive", who, field, v);
}

static vconv_status stride(const char *who, const char *field, int v,
                           int *out)
{
    if (v < 0)
        return BAD("%s: %s (%d) must be positive (or 0 for the default 1)",
                   who, field, v);
    *out = v ? v : 1;
    return VCONV_OK;
}

static vconv_status non_negative(const char *who, const char *field, int v)
{
    return v >= 0 ? VCONV_OK
                  : BAD("%s: %s (%d) must not be negative", who, field, v);
}

/* a * b * c * d must fit an int (every index of a tensor then does) */
static vconv_status fits(const char *who, const char *what, int a, int b,
                         int c, int d)
{
    int64_t r = a;
    if (__builtin_mul_overflow(r, (int64_t)b, &r) ||
        __builtin_mul_overflow(r, (int64_t)c, &r) ||
        __builtin_mul_overflow(r, (int64_t)d, &r) || r > INT_MAX)
        return BAD("%s: %s has more elements (%d x %d x %d x %d) than an int "
                   "can index",
                   who, what, a, b, c, d);
    return VCONV_OK;
}

static vconv_status pool_dim(const char *who, const char *dim, int in, int k,
                             int s, int p0, int p1, int ceil_mode, int *out)
{
    const int64_t padded = (int64_t)in + p0 + p1;
    if (padded < k)
        return BAD("%s: kernel_%s (%d) is larger than the padded input "
                   "(%lld = in_%s %d + pads %d + %d)",
                   who, dim, k, (long long)padded, dim, in, p0, p1);
    int64_t o = ceil_mode ? (padded - k + s - 1) / s + 1 : (padded - k) / s + 1;
    /* the frameworks' ceil rule: the last window starts inside the input
       or the leading padding */
    if (ceil_mode && (o - 1) * s >= (int64_t)in + p0)
        o--;
    if (o > INT_MAX)
        return BAD("%s: out_%s (%lld) does not fit an int", who, dim,
                   (long long)o);
    *out = (int)o;
    return VCONV_OK;
}

vconv_status vconv_pool_problem_init(const vconv_pool_desc *d, const char *who,
                                     vconv_pool_problem *p)
{
    if (!d)
        return INVAL("%s: descriptor is NULL", who);
    if ((unsigned)d->alg > VCONV_POOL_AVG_EXCLUDE_PAD)
        return INVAL("%s: alg (%d) is not a vconv_pool_alg (0..2)", who,
                     (int)d->alg);
    if ((unsigned)d->layout > VCONV_NHWC)
        return INVAL("%s: layout (%d) is not VCONV_NCHW (0) or VCONV_NHWC (1)",
                     who, (int)d->layout);
    if ((unsigned)d->ceil_mode > 1)
        return INVAL("%s: ceil_mode (%d) is not 0 or 1", who, d->ceil_mode);
    TRY(positive(who, "batch", d->batch));
    TRY(positive(who, "channels", d->channels));
    TRY(positive(who, "in_h", d->in_h));
    TRY(positive(who, "in_w", d->in_w));
    TRY(positive(who, "kernel_h", d->kernel_h));
    TRY(positive(who, "kernel_w", d->kernel_w));
    vconv_pool_problem q = {0};
    TRY(stride(who, "stride_h", d->stride_h, &q.sh));
    TRY(stride(who, "stride_w", d->stride_w, &q.sw));
    TRY(non_negative(who, "pad_top", d->pad_top));
    TRY(non_negative(who, "pad_bottom", d->pad_bottom));
    TRY(non_negative(who, "pad_left", d->pad_left));
    TRY(non_negative(who, "pad_right", d->pad_right));
    TRY(pool_dim(who, "h", d->in_h, d->kernel_h, q.sh, d->pad_top,
                 d->pad_bottom, d->ceil_mode, &q.oh));
    TRY(pool_dim(who, "w", d->in_w, d->kernel_w, q.sw, d->pad_left,
                 d->pad_right, d->ceil_mode, &q.ow));
    TRY(fits(who, "src", d->batch, d->channels, d->in_h, d->in_w));
    TRY(fits(who, "dst", d->batch, d->channels, q.oh, q.ow));
    q.mb = d->batch;
    q.c = d->channels;
    q.ih = d->in_h;
    q.iw = d->in_w;
    q.kh = d->kernel_h;
    q.kw = d->kernel_w;
    q.pt = d->pad_top;
    q.pb = d->pad_bottom;
    q.pl = d->pad_left;
    q.pr = d->pad_right;
    q.alg = d->alg;
    q.layout = d->layout;
    q.threads = 1;
    *p = q;
    return VCONV_OK;
}

vconv_status vconv_lrn_problem_init(const vconv_lrn_desc *d, const char *who,
                                    vconv_lrn_problem *p)
{
    if (!d)
        return INVAL("%s: descriptor is NULL", who);
    if ((unsigned)d->layout > VCONV_NHWC)
        return INVAL("%s: layout (%d) is not VCONV_NCHW (0) or VCONV_NHWC (1)",
                     who, (int)d->layout);
    TRY(positive(who, "batch", d->batch));
    TRY(positive(who, "channels", d->channels));
    TRY(positive(who, "height", d->height));
    TRY(positive(who, "width", d->width));
    if (d->size < 0)
        return BAD("%s: size (%d) must be positive (or 0 for the default 5)",
                   who, d->size);
    vconv_lrn_problem q = {.mb = d->batch, .c = d->channels, .h = d->height,
                           .w = d->width, .size = d->size ? d->size : 5,
                           .alpha = d->alpha != 0 ? d->alpha : 1e-4f,
                           .beta = d->beta != 0 ? d->beta : 0.75f,
                           .k = d->k != 0 ? d->k : 2.0f, .layout = d->layout,
                           .threads = 1};
    if (!isfinite(q.alpha))
        return BAD("%s: alpha (%g) must be finite", who, (double)q.alpha);
    if (!isfinite(q.beta))
        return BAD("%s: beta (%g) must be finite", who, (double)q.beta);
    if (!isfinite(q.k) || q.k <= 0)
        return BAD("%s: k (%g) must be finite and positive", who,
                   (double)q.k);
    if (q.alpha < 0)
        return BAD("%s: alpha (%g) must not be negative", who,
                   (double)q.alpha);
    TRY(fits(who, "src", q.mb, q.c, q.h, q.w));
    *p = q;
    return VCONV_OK;
}

vconv_status vconv_fc_check(const vconv_fc_desc *d, const char *who)
{
    if (!d)
        return INVAL("%s: descriptor is NULL", who);
    if ((unsigned)d->activation > VCONV_ACT_RELU)
        return INVAL("%s: activation (%d) is not VCONV_ACT_NONE (0) or "
                     "VCONV_ACT_RELU (1)",
                     who, (int)d->activation);
    TRY(positive(who, "batch", d->batch));
    TRY(positive(who, "in_features", d->in_features));
    TRY(positive(who, "out_features", d->out_features));
    TRY(fits(who, "weights", d->out_features, d->in_features, 1, 1));
    TRY(fits(who, "src", d->batch, d->in_features, 1, 1));
    TRY(fits(who, "dst", d->batch, d->out_features, 1, 1));
    return VCONV_OK;
}

vconv_status vconv_softmax_check(const vconv_softmax_desc *d, const char *who)
{
    if (!d)
        return INVAL("%s: descriptor is NULL", who);
    TRY(positive(who, "batch", d->batch));
    TRY(positive(who, "classes", d->classes));
    TRY(fits(who, "src", d->batch, d->classes, 1, 1));
    return VCONV_OK;
}

/* ------------------------------------------------------------ dispatch */

vconv_isa vconv_layer_pick_isa(vconv_isa max_isa, const vconv_isa *have,
                               int n)
{
    const uint32_t mask = vconv_cpu_features();
    for (int i = 0; i < n; i++) {
        const vconv_isa isa = have[i];
        bool capped = max_isa != VCONV_ISA_AUTO && isa != VCONV_ISA_SCALAR &&
                      (max_isa == VCONV_ISA_NEON ? isa != VCONV_ISA_NEON
                                                 : (isa == VCONV_ISA_NEON ||
                                                    isa > max_isa));
        if (!capped && vconv_cpu_mask_has_isa(mask, isa))
            return isa;
    }
    return VCONV_ISA_SCALAR;
}

static const vconv_isa layer_isas[] = {
#if VCONV_ARCH_X86_64
    VCONV_ISA_AVX512, VCONV_ISA_AVX2,
#endif
#if VCONV_ARCH_AARCH64
    VCONV_ISA_NEON,
#endif
    VCONV_ISA_SCALAR};

/* Options -> ISA and threads; the conv's errors for a cap of the other
   architecture family. */
static vconv_status layer_options(const char *who, const vconv_options *opt,
                                  vconv_isa *isa, int *threads)
{
    vconv_resolved r;
    TRY(vconv_resolve_options(opt, &r));
    const bool arm = vconv_cpu_mask_is_arm(vconv_cpu_features());
    if ((r.max_isa == VCONV_ISA_NEON && !arm) ||
        ((r.max_isa == VCONV_ISA_AVX2 || r.max_isa == VCONV_ISA_AVX512) &&
         arm))
        return vconv_error(VCONV_ERR_UNSUPPORTED,
                           "%s: max_isa %s cannot run on this CPU", who,
                           vconv_isa_name(r.max_isa));
    *isa = vconv_layer_pick_isa(r.max_isa, layer_isas,
                                (int)(sizeof layer_isas / sizeof *layer_isas));
    *threads = r.threads;
    return VCONV_OK;
}

static vconv_status no_overlap(const char *who, const void *a, size_t an,
                               const void *b, size_t bn)
{
    uintptr_t a0 = (uintptr_t)a, a1 = a0 + an * 4;
    uintptr_t b0 = (uintptr_t)b, b1 = b0 + bn * 4;
    if (a0 < b1 && b0 < a1)
        return INVAL("%s: src [%p, +%zu floats) and dst [%p, +%zu floats) "
                     "overlap",
                     who, a, an, b, bn);
    return VCONV_OK;
}

static vconv_status run_args(const char *who, const void *plan,
                             const float *src, const float *dst)
{
    if (!plan)
        return INVAL("%s: plan is NULL", who);
    if (!src)
        return INVAL("%s: src is NULL", who);
    if (!dst)
        return INVAL("%s: dst is NULL", who);
    return VCONV_OK;
}

/* ---------------------------------------------------------------- pool */

struct vconv_pool {
    vconv_pool_problem p;
    const vconv_pool_kernel *k;
};

vconv_status vconv_pool_output_size(const vconv_pool_desc *d, int *out_h,
                                    int *out_w)
{
    vconv_pool_problem p;
    TRY(vconv_pool_problem_init(d, "pool", &p));
    if (out_h)
        *out_h = p.oh;
    if (out_w)
        *out_w = p.ow;
    return VCONV_OK;
}

vconv_status vconv_pool_set_padding(vconv_pool_desc *d, vconv_padding mode)
{
    if (!d)
        return INVAL("pool: descriptor is NULL");
    vconv_conv_desc c = {.batch = 1, .in_channels = 1, .out_channels = 1,
                         .in_h = d->in_h, .in_w = d->in_w,
                         .kernel_h = d->kernel_h, .kernel_w = d->kernel_w,
                         .stride_h = d->stride_h, .stride_w = d->stride_w};
    TRY(vconv_conv_set_padding(&c, mode));
    d->pad_top = c.pad_top;
    d->pad_bottom = c.pad_bottom;
    d->pad_left = c.pad_left;
    d->pad_right = c.pad_right;
    return VCONV_OK;
}

vconv_status vconv_pool_create(const vconv_pool_desc *d,
                               const vconv_options *opt, vconv_pool **out)
{
    if (!out)
        return INVAL("pool: out (the plan pointer) is NULL");
    *out = NULL;
    vconv_pool_problem p;
    TRY(vconv_pool_problem_init(d, "pool", &p));
    vconv_isa isa;
    TRY(layer_options("pool", opt, &isa, &p.threads));
    vconv_pool *pl = calloc(1, sizeof *pl);
    if (!pl)
        return vconv_error(VCONV_ERR_NO_MEMORY, "pool: no memory for the plan");
    pl->p = p;
    pl->k = vconv_pool_kernel_get(isa);
    *out = pl;
    return VCONV_OK;
}

vconv_status vconv_pool_run(const vconv_pool *pl, const float *src,
                            float *dst)
{
    TRY(run_args("pool", pl, src, dst));
    const vconv_pool_problem *p = &pl->p;
    TRY(no_overlap("pool", src, (size_t)p->mb * p->c * p->ih * p->iw, dst,
                   (size_t)p->mb * p->c * p->oh * p->ow));
    vconv_pool_exec(pl->k, p, src, dst);
    return VCONV_OK;
}

const char *vconv_pool_impl_name(const vconv_pool *pl)
{
    if (!pl)
        return NULL;
    return pl->p.layout == VCONV_NHWC ? pl->k->name : "pool_nchw.scalar";
}

void vconv_pool_destroy(vconv_pool *pl) { free(pl); }

/* ------------------------------------------------------------------ fc */

struct vconv_fc {
    vconv_fc_plan plan;
};

vconv_status vconv_fc_create(const vconv_fc_desc *d, const float *weights,
                             const float *bias, const vconv_options *opt,
                             vconv_fc **out)
{
    if (!out)
        return INVAL("fc: out (the plan pointer) is NULL");
    *out = NULL;
    TRY(vconv_fc_check(d, "fc"));
    if (!weights)
        return INVAL("fc: weights is NULL");
    vconv_isa isa;
    int threads;
    TRY(layer_options("fc", opt, &isa, &threads));
    vconv_fc *f = calloc(1, sizeof *f);
    if (!f)
        return vconv_error(VCONV_ERR_NO_MEMORY, "fc: no memory for the plan");
    if (vconv_fc_plan_init(&f->plan, isa, d->batch, d->in_features,
                           d->out_features, d->activation, threads, weights,
                           bias) != VCONV_OK) {
        free(f);
        return vconv_error(VCONV_ERR_NO_MEMORY,
                           "fc: no memory for the packed weights (%d x %d)",
                           d->out_features, d->in_features);
    }
    *out = f;
    return VCONV_OK;
}

vconv_status vconv_fc_run(const vconv_fc *f, const float *src, float *dst)
{
    TRY(run_args("fc", f, src, dst));
    const vconv_fc_plan *p = &f->plan;
    TRY(no_overlap("fc", src, (size_t)p->mb * p->in, dst,
                   (size_t)p->mb * p->out));
    if (vconv_fc_plan_run(p, src, dst) != VCONV_OK)
        return vconv_error(VCONV_ERR_NO_MEMORY,
                           "fc: no memory for the run's scratch");
    return VCONV_OK;
}

const char *vconv_fc_impl_name(const vconv_fc *f)
{
    if (!f)
        return NULL;
    static const char *names[2][4] = {
        {"fc_sgemm.scalar", "fc_sgemm.avx2", "fc_sgemm.avx512",
         "fc_sgemm.neon"},
        {"fc_gemv.scalar", "fc_gemv.avx2", "fc_gemv.avx512", "fc_gemv.neon"}};
    const vconv_isa isa = f->plan.kern->isa;
    const int i = isa == VCONV_ISA_AVX2     ? 1
                  : isa == VCONV_ISA_AVX512 ? 2
                  : isa == VCONV_ISA_NEON   ? 3
                                            : 0;
    return names[f->plan.gemv != NULL][i];
}

void vconv_fc_destroy(vconv_fc *f)
{
    if (!f)
        return;
    vconv_fc_plan_free(&f->plan);
    free(f);
}

/* ----------------------------------------------------------------- lrn */

struct vconv_lrn {
    vconv_lrn_problem p;
    const vconv_lrn_kernel *k;
};

vconv_status vconv_lrn_create(const vconv_lrn_desc *d, const vconv_options *opt,
                              vconv_lrn **out)
{
    if (!out)
        return INVAL("lrn: out (the plan pointer) is NULL");
    *out = NULL;
    vconv_lrn_problem p;
    TRY(vconv_lrn_problem_init(d, "lrn", &p));
    vconv_isa isa;
    TRY(layer_options("lrn", opt, &isa, &p.threads));
    vconv_lrn *l = calloc(1, sizeof *l);
    if (!l)
        return vconv_error(VCONV_ERR_NO_MEMORY, "lrn: no memory for the plan");
    l->p = p;
    l->k = vconv_lrn_kernel_get(isa);
    *out = l;
    return VCONV_OK;
}

vconv_status vconv_lrn_run(const vconv_lrn *l, const float *src, float *dst)
{
    TRY(run_args("lrn", l, src, dst));
    const size_t n = (size_t)l->p.mb * l->p.c * l->p.h * l->p.w;
    TRY(no_overlap("lrn", src, n, dst, n));
    vconv_lrn_exec(l->k, &l->p, src, dst);
    return VCONV_OK;
}

const char *vconv_lrn_impl_name(const vconv_lrn *l)
{
    if (!l)
        return NULL;
    return l->p.layout == VCONV_NHWC && l->p.beta == 0.75f ? l->k->name
                                                           : "lrn_any.scalar";
}

void vconv_lrn_destroy(vconv_lrn *l) { free(l); }

/* ------------------------------------------------------------- softmax */

struct vconv_softmax {
    int mb, classes, threads;
};

vconv_status vconv_softmax_create(const vconv_softmax_desc *d,
                                  const vconv_options *opt,
                                  vconv_softmax **out)
{
    if (!out)
        return INVAL("softmax: out (the plan pointer) is NULL");
    *out = NULL;
    TRY(vconv_softmax_check(d, "softmax"));
    vconv_isa isa;
    int threads;
    TRY(layer_options("softmax", opt, &isa, &threads));
    vconv_softmax *s = calloc(1, sizeof *s);
    if (!s)
        return vconv_error(VCONV_ERR_NO_MEMORY,
                           "softmax: no memory for the plan");
    s->mb = d->batch;
    s->classes = d->classes;
    s->threads = threads;
    *out = s;
    return VCONV_OK;
}

vconv_status vconv_softmax_run(const vconv_softmax *s, const float *src,
                               float *dst)
{
    TRY(run_args("softmax", s, src, dst));
    const size_t n = (size_t)s->mb * s->classes;
    if (src != dst)
        TRY(no_overlap("softmax", src, n, dst, n));
    vconv_softmax_exec(s->mb, s->classes, s->threads, src, dst);
    return VCONV_OK;
}

void vconv_softmax_destroy(vconv_softmax *s) { free(s); }

/* ---------------------------------------------------------------- relu */

vconv_status vconv_relu(const float *src, float *dst, size_t n)
{
    if (n && !src)
        return INVAL("relu: src is NULL");
    if (n && !dst)
        return INVAL("relu: dst is NULL");
    if (src != dst && n)
        TRY(no_overlap("relu", src, n, dst, n));
    for (size_t i = 0; i < n; i++)
        dst[i] = src[i] < 0.0f ? 0.0f : src[i];
    return VCONV_OK;
}
