/*
 * net.c - vconv_net: a whole network from a list of layers.
 *
 * Create infers every layer's shape from the input (every input size of a
 * layer is the previous layer's output), validates and builds each
 * layer's plan through the public API (so each layer gets the same checks
 * and kernel choice as when built alone), and plans the memory once:
 *
 *  - Activations between layers are NHWC (per image [h][w][c]): the
 *    direct convolution stores NHWC from its microkernel and reads it with
 *    a copy per pixel, pooling and LRN vectorise over NHWC's contiguous
 *    channels, and the flatten before a fully connected layer is free
 *    (its weights' columns are permuted once at create from the
 *    frameworks' C, H, W order to H, W, C). An NCHW src is converted once
 *    at the start of a run (step "input"); dst is written in the desc's
 *    layout (step "output", only where a conversion or copy is needed).
 *    The convolutions' own blocked layouts (nChw16c) stay inside each conv
 *    run: chaining them from conv to conv is not done (yet). A net of
 *    convolutions and ReLUs only runs in the user's layout throughout.
 *  - Two ping-pong buffers, each as large as the largest activation of
 *    the batch, allocated at create: a run allocates nothing of its own
 *    (the layers' per-thread scratch is reused from run to run). A step
 *    reads where the previous one wrote and writes to the other buffer;
 *    the last producing step writes straight to dst when no conversion
 *    follows; ReLU and flatten work in place.
 *  - A ReLU right after a conv or fc is fused into it (its activation).
 *  - Thread-count independence: each layer's kernel is; the convolution's
 *    implementation is chosen as for threads = 1 and then forced at the
 *    net's thread count, so 1 and N threads run the same implementations
 *    and give the same bits.
 */
#include "layers.h"
#include "../dispatch/dispatch.h"

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { LOC_SRC, LOC_B0, LOC_B1, LOC_DST };

typedef struct {
    vconv_layer_kind kind;
    char name[64];
    char impl[64];
    int oc, oh, ow;            /* per image, output */
    long long macs;
    int in, out;               /* LOC_* */
    int relu_in_place;
    vconv_conv *conv;
    vconv_pool *pool;
    vconv_fc *fc;
    vconv_lrn *lrn;
    vconv_softmax *sm;
    int io;                    /* input / output step: 0 copy, 1 NCHW->NHWC,
                                  2 NHWC->NCHW */
} net_step;

struct vconv_net {
    int mb, c, h, w;           /* input */
    vconv_layout layout;
    int threads;
    int out_c, out_h, out_w;
    int nsteps;
    net_step *steps;
    float *buf[2];
};

static const char *kind_name(vconv_layer_kind k)
{
    static const char *n[] = {"conv", "pool", "fc", "lrn", "relu", "softmax",
                              "flatten"};
    return (unsigned)k <= VCONV_LAYER_FLATTEN ? n[k] : "?";
}

/* Prefixes the last error with the layer: "layer 'conv2' (conv): ...". */
static vconv_status layer_error(vconv_status s, const char *name,
                                vconv_layer_kind k)
{
    char msg[768];
    snprintf(msg, sizeof msg, "%s", vconv_last_error());
    return vconv_error(s, "layer '%s' (%s): %s", name, kind_name(k), msg);
}

static vconv_status mismatch(const char *name, vconv_layer_kind k,
                             const char *field, int v, int want,
                             const char *what)
{
    return vconv_error(VCONV_ERR_BAD_SHAPE,
                       "layer '%s' (%s): %s (%d) does not match the previous "
                       "layer's output (%d%s)",
                       name, kind_name(k), field, v, want, what);
}

void vconv_net_destroy(vconv_net *n)
{
    if (!n)
        return;
    for (int i = 0; i < n->nsteps; i++) {
        net_step *s = &n->steps[i];
        vconv_conv_destroy(s->conv);
        vconv_pool_destroy(s->pool);
        vconv_fc_destroy(s->fc);
        vconv_lrn_destroy(s->lrn);
        vconv_softmax_destroy(s->sm);
    }
    free(n->steps);
    vconv_free(n->buf[0]);
    vconv_free(n->buf[1]);
    free(n);
}

/* The conv of layer l on input (c, h, w), NHWC, its implementation chosen
   as for one thread and forced at the net's thread count. */
static vconv_status make_conv(const vconv_net_layer *l, const char *name,
                              int mb, int c, int h, int w,
                              const vconv_options *opt, vconv_act act,
                              vconv_layout layout, net_step *s)
{
    vconv_conv_desc d = l->conv;
    if (d.in_channels && d.in_channels != c)
        return mismatch(name, l->kind, "conv.in_channels", d.in_channels, c,
                        " channels");
    d.batch = mb;
    d.in_channels = c;
    d.in_h = h;
    d.in_w = w;
    d.layout = layout;
    d.activation = act;
    vconv_status st;
    if (!l->weights)
        return vconv_error(VCONV_ERR_INVALID_ARG,
                           "layer '%s' (conv): weights is NULL", name);
    if ((st = vconv_conv_output_size(&d, &s->oh, &s->ow)) != VCONV_OK)
        return layer_error(st, name, l->kind);
    vconv_options o = opt ? *opt : (vconv_options){0};
    vconv_resolved r;
    if ((st = vconv_resolve_options(opt, &r)) != VCONV_OK)
        return layer_error(st, name, l->kind);
    /* one thread: the choice is the one-thread choice already */
    if (!o.impl && r.threads > 1) {
        vconv_options one = o;
        one.threads = 1;
        vconv_conv *probe;
        if ((st = vconv_conv_create(&d, l->weights, l->bias, &one, &probe)) !=
            VCONV_OK)
            return layer_error(st, name, l->kind);
        snprintf(s->impl, sizeof s->impl, "%s", vconv_conv_impl_name(probe));
        vconv_conv_destroy(probe);
        o.impl = s->impl;
    }
    if ((st = vconv_conv_create(&d, l->weights, l->bias, &o, &s->conv)) !=
        VCONV_OK)
        return layer_error(st, name, l->kind);
    snprintf(s->impl, sizeof s->impl, "%s", vconv_conv_impl_name(s->conv));
    s->oc = d.out_channels;
    const int g = d.groups ? d.groups : 1;
    s->macs = (long long)d.out_channels * s->oh * s->ow * (c / g) *
              d.kernel_h * d.kernel_w;
    return VCONV_OK;
}

/* The fc of layer l on an NHWC input (c, h, w): weights' columns permuted
   from C, H, W order to H, W, C. */
static vconv_status make_fc(const vconv_net_layer *l, const char *name,
                            int mb, int c, int h, int w,
                            const vconv_options *opt, vconv_act act,
                            net_step *s)
{
    const long long in = (long long)c * h * w;
    vconv_fc_desc d = l->fc;
    if (d.in_features && d.in_features != in) {
        char what[64];
        snprintf(what, sizeof what, " = %d x %d x %d", c, h, w);
        return mismatch(name, l->kind, "fc.in_features", d.in_features,
                        (int)in, what);
    }
    if (in > 0x7fffffff)
        return vconv_error(VCONV_ERR_BAD_SHAPE,
                           "layer '%s' (fc): input of %lld features does not "
                           "fit an int",
                           name, in);
    d.batch = mb;
    d.in_features = (int)in;
    d.activation = act;
    vconv_status st = vconv_fc_check(&d, "fc");
    if (st != VCONV_OK)
        return layer_error(st, name, l->kind);
    if (!l->weights)
        return vconv_error(VCONV_ERR_INVALID_ARG,
                           "layer '%s' (fc): weights is NULL", name);
    const float *wt = l->weights;
    float *perm = NULL;
    if (c > 1 && h * w > 1) {
        perm = malloc((size_t)d.out_features * (size_t)in * sizeof(float));
        if (!perm)
            return vconv_error(VCONV_ERR_NO_MEMORY,
                               "layer '%s' (fc): no memory to reorder the "
                               "weights",
                               name);
        const size_t hw = (size_t)h * w;
        for (size_t o = 0; o < (size_t)d.out_features; o++) {
            const float *src = l->weights + o * (size_t)in;
            float *dst = perm + o * (size_t)in;
            for (size_t ch = 0; ch < (size_t)c; ch++)
                for (size_t q = 0; q < hw; q++)
                    dst[q * c + ch] = src[ch * hw + q];
        }
        wt = perm;
    }
    st = vconv_fc_create(&d, wt, l->bias, opt, &s->fc);
    free(perm);
    if (st != VCONV_OK)
        return layer_error(st, name, l->kind);
    snprintf(s->impl, sizeof s->impl, "%s", vconv_fc_impl_name(s->fc));
    s->oc = d.out_features;
    s->oh = s->ow = 1;
    s->macs = in * d.out_features;
    return VCONV_OK;
}

vconv_status vconv_net_create(const vconv_net_desc *d,
                              const vconv_options *opt, vconv_net **out)
{
    if (!out)
        return vconv_error(VCONV_ERR_INVALID_ARG,
                           "net: out (the net pointer) is NULL");
    *out = NULL;
    if (!d)
        return vconv_error(VCONV_ERR_INVALID_ARG, "net: descriptor is NULL");
    if ((unsigned)d->layout > VCONV_NHWC)
        return vconv_error(VCONV_ERR_INVALID_ARG,
                           "net: layout (%d) is not VCONV_NCHW (0) or "
                           "VCONV_NHWC (1)",
                           (int)d->layout);
    if (d->batch <= 0 || d->channels <= 0 || d->height <= 0 || d->width <= 0)
        return vconv_error(VCONV_ERR_BAD_SHAPE,
                           "net: input batch %d, channels %d, height %d, "
                           "width %d: every one must be positive",
                           d->batch, d->channels, d->height, d->width);
    if (d->nlayers < 1 || !d->layers)
        return vconv_error(d->layers ? VCONV_ERR_BAD_SHAPE
                                     : VCONV_ERR_INVALID_ARG,
                           "net: nlayers (%d) must be positive and layers "
                           "not NULL",
                           d->nlayers);
    vconv_net *n = calloc(1, sizeof *n);
    if (n)
        n->steps = calloc((size_t)d->nlayers + 2, sizeof *n->steps);
    if (!n || !n->steps) {
        free(n);
        return vconv_error(VCONV_ERR_NO_MEMORY, "net: no memory for the plan");
    }
    n->mb = d->batch;
    n->c = d->channels;
    n->h = d->height;
    n->w = d->width;
    n->layout = d->layout;
    vconv_status st;
    vconv_resolved r;
    if ((st = vconv_resolve_options(opt, &r)) != VCONV_OK) {
        vconv_net_destroy(n);
        return st;
    }
    n->threads = r.threads;
    const int mb = d->batch;
    int c = d->channels, h = d->height, w = d->width;
    size_t biggest = (size_t)c * h * w;
    /* A net of convolutions (and ReLUs) only runs in the user's layout:
       NHWC pays for pooling, LRN and the flatten, and a conv-only net
       would pay the two conversions for nothing */
    bool conv_only = true;
    for (int i = 0; i < d->nlayers; i++)
        if (d->layers[i].kind != VCONV_LAYER_CONV &&
            d->layers[i].kind != VCONV_LAYER_RELU)
            conv_only = false;
    const vconv_layout inner = conv_only ? d->layout : VCONV_NHWC;
    int cur = LOC_SRC;
    if (inner == VCONV_NHWC && d->layout == VCONV_NCHW && c > 1 &&
        h * w > 1) {
        net_step *s = &n->steps[n->nsteps++];
        s->kind = VCONV_LAYER_FLATTEN;
        snprintf(s->name, sizeof s->name, "input");
        snprintf(s->impl, sizeof s->impl, "nchw_to_nhwc");
        s->io = 1;
        s->oc = c;
        s->oh = h;
        s->ow = w;
        s->in = LOC_SRC;
        s->out = cur = LOC_B0;
    }
    for (int i = 0; i < d->nlayers; i++) {
        const vconv_net_layer *l = &d->layers[i];
        char name[64];
        snprintf(name, sizeof name, "%s", l->name ? l->name : "");
        if (!l->name)
            snprintf(name, sizeof name, "layer%d", i);
        if ((unsigned)l->kind > VCONV_LAYER_FLATTEN) {
            st = vconv_error(VCONV_ERR_INVALID_ARG,
                             "layer '%s': kind (%d) is not a "
                             "vconv_layer_kind (0..%d)",
                             name, (int)l->kind, (int)VCONV_LAYER_FLATTEN);
            goto fail;
        }
        /* a ReLU right after a conv or fc: fused into it */
        const bool fuse = i + 1 < d->nlayers &&
                          d->layers[i + 1].kind == VCONV_LAYER_RELU &&
                          (l->kind == VCONV_LAYER_CONV ||
                           l->kind == VCONV_LAYER_FC);
        net_step *s = &n->steps[n->nsteps];
        memset(s, 0, sizeof *s);
        s->kind = l->kind;
        snprintf(s->name, sizeof s->name, "%s", name);
        s->oc = c;
        s->oh = h;
        s->ow = w;
        switch (l->kind) {
        case VCONV_LAYER_CONV: {
            vconv_act act = fuse ? VCONV_ACT_RELU : l->conv.activation;
            st = make_conv(l, name, mb, c, h, w, opt, act, inner, s);
            break;
        }
        case VCONV_LAYER_FC: {
            vconv_act act = fuse ? VCONV_ACT_RELU : l->fc.activation;
            st = make_fc(l, name, mb, c, h, w, opt, act, s);
            break;
        }
        case VCONV_LAYER_POOL: {
            vconv_pool_desc pd = l->pool;
            if (pd.channels && pd.channels != c) {
                st = mismatch(name, l->kind, "pool.channels", pd.channels, c,
                              " channels");
                break;
            }
            pd.batch = mb;
            pd.channels = c;
            pd.in_h = h;
            pd.in_w = w;
            pd.layout = VCONV_NHWC;
            if ((st = vconv_pool_output_size(&pd, &s->oh, &s->ow)) ==
                    VCONV_OK &&
                (st = vconv_pool_create(&pd, opt, &s->pool)) == VCONV_OK)
                snprintf(s->impl, sizeof s->impl, "%s",
                         vconv_pool_impl_name(s->pool));
            else
                st = layer_error(st, name, l->kind);
            break;
        }
        case VCONV_LAYER_LRN: {
            vconv_lrn_desc ld = l->lrn;
            ld.batch = mb;
            ld.channels = c;
            ld.height = h;
            ld.width = w;
            ld.layout = VCONV_NHWC;
            if ((st = vconv_lrn_create(&ld, opt, &s->lrn)) == VCONV_OK)
                snprintf(s->impl, sizeof s->impl, "%s",
                         vconv_lrn_impl_name(s->lrn));
            else
                st = layer_error(st, name, l->kind);
            break;
        }
        case VCONV_LAYER_SOFTMAX: {
            vconv_softmax_desc sd = {.batch = mb, .classes = c * h * w};
            if ((st = vconv_softmax_create(&sd, opt, &s->sm)) == VCONV_OK)
                snprintf(s->impl, sizeof s->impl, "softmax.scalar");
            else
                st = layer_error(st, name, l->kind);
            break;
        }
        case VCONV_LAYER_RELU:
            snprintf(s->impl, sizeof s->impl, "relu.scalar");
            break;
        case VCONV_LAYER_FLATTEN:
            /* NHWC between layers: flattening in C, H, W order is a view
               only because the next fc's weights were permuted; a flatten
               followed by anything else would change the meaning of the
               NHWC buffer, so it is refused there */
            if (i + 1 < d->nlayers &&
                d->layers[i + 1].kind != VCONV_LAYER_FC &&
                d->layers[i + 1].kind != VCONV_LAYER_SOFTMAX && c > 1 &&
                h * w > 1) {
                st = vconv_error(VCONV_ERR_UNSUPPORTED,
                                 "layer '%s' (flatten): only an fc or a "
                                 "softmax may follow a flatten of a %dx%dx%d "
                                 "tensor",
                                 name, c, h, w);
                break;
            }
            snprintf(s->impl, sizeof s->impl, "view");
            break;
        }
        if (st != VCONV_OK)
            goto fail;
        if (l->kind == VCONV_LAYER_FLATTEN) {
            /* the view: C, H, W order kept for the fc's weights */
            n->nsteps++;
            s->in = s->out = cur;
            continue;
        }
        s->in = cur;
        if (l->kind == VCONV_LAYER_RELU && cur != LOC_SRC) {
            s->out = cur;
            s->relu_in_place = 1;
        } else {
            s->out = cur = cur == LOC_B0 ? LOC_B1 : LOC_B0;
        }
        if (l->kind != VCONV_LAYER_RELU || cur != s->in)
            c = s->oc, h = s->oh, w = s->ow;
        if ((size_t)c * h * w > biggest)
            biggest = (size_t)c * h * w;
        n->nsteps++;
        if (fuse)
            i++;   /* the ReLU is done */
    }
    n->out_c = c;
    n->out_h = h;
    n->out_w = w;
    /* the last producing step writes dst straight, unless dst needs a
       layout conversion (NCHW, C > 1, H x W > 1) */
    const bool to_nchw = inner == VCONV_NHWC && d->layout == VCONV_NCHW &&
                         c > 1 && h * w > 1;
    int last = -1;
    for (int i = 0; i < n->nsteps; i++)
        if (n->steps[i].kind != VCONV_LAYER_FLATTEN &&
            !n->steps[i].relu_in_place)
            last = i;
    if (!to_nchw && last >= 0 && n->steps[last].io == 0) {
        for (int i = last; i < n->nsteps; i++)
            if (n->steps[i].out == cur) {
                if (n->steps[i].in == cur)
                    n->steps[i].in = LOC_DST;
                n->steps[i].out = LOC_DST;
            }
    } else {
        net_step *s = &n->steps[n->nsteps++];
        memset(s, 0, sizeof *s);
        s->kind = VCONV_LAYER_FLATTEN;
        snprintf(s->name, sizeof s->name, "output");
        snprintf(s->impl, sizeof s->impl, to_nchw ? "nhwc_to_nchw" : "copy");
        s->io = to_nchw ? 2 : 0;
        s->oc = c;
        s->oh = h;
        s->ow = w;
        s->in = cur;
        s->out = LOC_DST;
    }
    size_t floats;
    if (!vconv_mul_size(biggest, (size_t)mb, &floats)) {
        st = vconv_error(VCONV_ERR_BAD_SHAPE,
                         "net: activations of %zu floats an image times "
                         "batch %d overflow",
                         biggest, mb);
        goto fail;
    }
    n->buf[0] = vconv_alloc(floats * sizeof(float));
    n->buf[1] = vconv_alloc(floats * sizeof(float));
    if (!n->buf[0] || !n->buf[1]) {
        st = vconv_error(VCONV_ERR_NO_MEMORY,
                         "net: no memory for two activation buffers of %zu "
                         "floats",
                         floats);
        goto fail;
    }
    *out = n;
    return VCONV_OK;
fail:
    vconv_net_destroy(n);
    return st;
}

int vconv_net_output_size(const vconv_net *n)
{
    return n ? n->out_c * n->out_h * n->out_w : 0;
}

int vconv_net_step_count(const vconv_net *n) { return n ? n->nsteps : 0; }

vconv_status vconv_net_step_info(const vconv_net *n, int i,
                                 vconv_net_step *info)
{
    if (!n || !info)
        return vconv_error(VCONV_ERR_INVALID_ARG, "net: %s is NULL",
                           n ? "info" : "net");
    if (i < 0 || i >= n->nsteps)
        return vconv_error(VCONV_ERR_INVALID_ARG,
                           "net: step index (%d) is not in 0..%d", i,
                           n->nsteps - 1);
    const net_step *s = &n->steps[i];
    info->name = s->name;
    info->kind = s->kind;
    info->impl = s->impl;
    info->out_c = s->oc;
    info->out_h = s->oh;
    info->out_w = s->ow;
    info->macs = s->macs;
    return VCONV_OK;
}

/* [mb][a][b] -> [mb][b][a] (a = c, b = h*w for NCHW -> NHWC), split
   over the threads in chunks of 512 columns (a pure copy: any split gives
   the same result). Few rows (an RGB input): all rows read side by side
   and each column written in one go; else 8 x 8 tiles. */
static void transpose(int mb, int a, int b, const float *src, float *dst,
                      int threads)
{
    const int chunk = 512, nch = vconv_div_up(b, chunk);
    const long jobs = (long)mb * nch;
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1)
    for (long job = 0; job < jobs; job++) {
        const int n = (int)(job / nch), j0 = (int)(job % nch) * chunk;
        const int j1 = vconv_min_i(b, j0 + chunk);
        const float *s = src + (size_t)n * a * b;
        float *d = dst + (size_t)n * a * b;
        if (a <= 8) {
            for (int j = j0; j < j1; j++)
                for (int i = 0; i < a; i++)
                    d[(size_t)j * a + i] = s[(size_t)i * b + j];
            continue;
        }
        for (int i0 = 0; i0 < a; i0 += 8)
            for (int jj = j0; jj < j1; jj += 8)
                for (int i = i0; i < i0 + 8 && i < a; i++)
                    for (int j = jj; j < jj + 8 && j < j1; j++)
                        d[(size_t)j * a + i] = s[(size_t)i * b + j];
    }
}

static vconv_status run(vconv_net *n, const float *src, float *dst,
                        double *sec)
{
    if (!n)
        return vconv_error(VCONV_ERR_INVALID_ARG, "net: net is NULL");
    if (!src || !dst)
        return vconv_error(VCONV_ERR_INVALID_ARG, "net: %s is NULL",
                           src ? "dst" : "src");
    const size_t in_n = (size_t)n->mb * n->c * n->h * n->w;
    const size_t out_n = (size_t)n->mb * vconv_net_output_size(n);
    if ((uintptr_t)src < (uintptr_t)(dst + out_n) &&
        (uintptr_t)dst < (uintptr_t)(src + in_n))
        return vconv_error(VCONV_ERR_INVALID_ARG,
                           "net: src and dst overlap");
    float *loc[4] = {(float *)src, n->buf[0], n->buf[1], dst};
    for (int i = 0; i < n->nsteps; i++) {
        const net_step *s = &n->steps[i];
        const double t0 = sec ? vconv_now() : 0;
        const float *in = loc[s->in];
        float *out = loc[s->out];
        const size_t outn = (size_t)n->mb * s->oc * s->oh * s->ow;
        vconv_status st = VCONV_OK;
        switch (s->kind) {
        case VCONV_LAYER_CONV: st = vconv_conv_run(s->conv, in, out); break;
        case VCONV_LAYER_POOL: st = vconv_pool_run(s->pool, in, out); break;
        case VCONV_LAYER_FC: st = vconv_fc_run(s->fc, in, out); break;
        case VCONV_LAYER_LRN: st = vconv_lrn_run(s->lrn, in, out); break;
        case VCONV_LAYER_SOFTMAX: st = vconv_softmax_run(s->sm, in, out); break;
        case VCONV_LAYER_RELU: st = vconv_relu(in, out, outn); break;
        case VCONV_LAYER_FLATTEN:
            if (s->in == s->out)
                break;
            if (s->io == 1)
                transpose(n->mb, s->oc, s->oh * s->ow, in, out, n->threads);
            else if (s->io == 2)
                transpose(n->mb, s->oh * s->ow, s->oc, in, out, n->threads);
            else
                memcpy(out, in, outn * sizeof(float));
            break;
        }
        if (st != VCONV_OK)
            return layer_error(st, s->name, s->kind);
        if (sec)
            sec[i] = vconv_now() - t0;
    }
    return VCONV_OK;
}

vconv_status vconv_net_run(vconv_net *n, const float *src, float *dst)
{
    return run(n, src, dst, NULL);
}

vconv_status vconv_net_run_profiled(vconv_net *n, const float *src,
                                    float *dst, double *seconds)
{
    if (!seconds)
        return vconv_error(VCONV_ERR_INVALID_ARG, "net: seconds is NULL");
    return run(n, src, dst, seconds);
}
