/* onednn_net.c - the oneDNN-primitive net (see onednn_net.h). */
#define _POSIX_C_SOURCE 200809L
#include "onednn_net.h"
#include "onednn.h"
#include "timing.h"

#include <oneapi/dnnl/dnnl.h>
#include <oneapi/dnnl/dnnl_debug.h>

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* the engine and stream of onednn.c (onednn_init) */
int onednn_engine_stream(dnnl_engine_t *e, dnnl_stream_t *s);

typedef struct {
    char name[48];
    char impl[160];
    dnnl_primitive_t prim, reorder;
    dnnl_memory_t in, src, wei, bias, dst;   /* in: the previous output */
    int nargs;
    dnnl_exec_arg_t args[4];
} step;

struct onednn_net {
    dnnl_engine_t eng;
    dnnl_stream_t st;
    dnnl_memory_t user_src, user_dst;
    int nsteps;
    step *steps;
};

#define CHK(call)                                                             \
    do {                                                                      \
        dnnl_status_t st_ = (call);                                           \
        if (st_ != dnnl_success) {                                            \
            onednn_fail(err, len, "oneDNN: %s: %s: %s", s->name, #call,              \
                 dnnl_status2str(st_));                                       \
            goto out;                                                         \
        }                                                                     \
    } while (0)

static dnnl_status_t reorder_once(onednn_net *n, dnnl_memory_t from,
                                  dnnl_memory_t to)
{
    const dnnl_memory_desc_t *a, *b;
    dnnl_memory_get_memory_desc(from, &a);
    dnnl_memory_get_memory_desc(to, &b);
    dnnl_primitive_desc_t pd;
    dnnl_status_t s =
        dnnl_reorder_primitive_desc_create(&pd, a, n->eng, b, n->eng, NULL);
    if (s != dnnl_success)
        return s;
    dnnl_primitive_t r;
    s = dnnl_primitive_create(&r, pd);
    dnnl_primitive_desc_destroy(pd);
    if (s != dnnl_success)
        return s;
    dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}};
    s = dnnl_primitive_execute(r, n->st, 2, args);
    if (s == dnnl_success)
        s = dnnl_stream_wait(n->st);
    dnnl_primitive_destroy(r);
    return s;
}

/* A reorder from memory `in` into a new memory of md (kept in s). */
static dnnl_status_t reorder_into(onednn_net *n, step *s,
                                  const dnnl_memory_desc_t *md)
{
    const dnnl_memory_desc_t *have;
    dnnl_memory_get_memory_desc(s->in, &have);
    if (dnnl_memory_desc_equal(have, md)) {
        s->src = s->in;
        return dnnl_success;
    }
    dnnl_status_t r = dnnl_memory_create(&s->src, md, n->eng,
                                         DNNL_MEMORY_ALLOCATE);
    if (r != dnnl_success)
        return r;
    dnnl_primitive_desc_t pd;
    r = dnnl_reorder_primitive_desc_create(&pd, have, n->eng, md, n->eng,
                                           NULL);
    if (r != dnnl_success)
        return r;
    r = dnnl_primitive_create(&s->reorder, pd);
    dnnl_primitive_desc_destroy(pd);
    return r;
}

/* The primitive of pd into s: dst allocated in its chosen layout. */
static dnnl_status_t finish(onednn_net *n, step *s, dnnl_primitive_desc_t pd,
                            bool reorder_flag)
{
    const char *impl = NULL;
    dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl);
    const dnnl_memory_desc_t *dmd =
        dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0);
    snprintf(s->impl, sizeof s->impl, "%s%s", impl ? impl : "?",
             reorder_flag ? " +reorder" : "");
    dnnl_status_t r = dnnl_memory_create(&s->dst, dmd, n->eng,
                                         DNNL_MEMORY_ALLOCATE);
    if (r == dnnl_success)
        r = dnnl_primitive_create(&s->prim, pd);
    s->args[0] = (dnnl_exec_arg_t){DNNL_ARG_SRC, s->src};
    s->args[1] = (dnnl_exec_arg_t){DNNL_ARG_DST, s->dst};
    s->nargs = 2;
    if (s->wei)
        s->args[s->nargs++] = (dnnl_exec_arg_t){DNNL_ARG_WEIGHTS, s->wei};
    if (s->bias)
        s->args[s->nargs++] = (dnnl_exec_arg_t){DNNL_ARG_BIAS, s->bias};
    return r;
}

/* weights w (user layout tag) reordered into pd's weights md; bias copied */
static dnnl_status_t load_weights(onednn_net *n, step *s,
                                  dnnl_primitive_desc_t pd,
                                  const dnnl_memory_desc_t *user,
                                  const float *w, const float *b, int nb)
{
    const dnnl_memory_desc_t *wmd =
        dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    const dnnl_memory_desc_t *bmd =
        dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 1);
    dnnl_memory_t um;
    dnnl_status_t r = dnnl_memory_create(&um, user, n->eng, (void *)w);
    if (r != dnnl_success)
        return r;
    r = dnnl_memory_create(&s->wei, wmd, n->eng, DNNL_MEMORY_ALLOCATE);
    if (r == dnnl_success)
        r = reorder_once(n, um, s->wei);
    dnnl_memory_destroy(um);
    if (r == dnnl_success && b) {
        r = dnnl_memory_create(&s->bias, bmd, n->eng, DNNL_MEMORY_ALLOCATE);
        void *h;
        if (r == dnnl_success &&
            (r = dnnl_memory_get_data_handle(s->bias, &h)) == dnnl_success)
            memcpy(h, b, (size_t)nb * sizeof(float));
    }
    return r;
}

static dnnl_status_t relu_attr(bool relu, dnnl_primitive_attr_t *attr)
{
    dnnl_status_t r = dnnl_primitive_attr_create(attr);
    if (r != dnnl_success || !relu)
        return r;
    dnnl_post_ops_t po;
    if ((r = dnnl_post_ops_create(&po)) != dnnl_success)
        return r;
    r = dnnl_post_ops_append_eltwise(po, 1.0f, dnnl_eltwise_relu, 0.0f, 0.0f);
    if (r == dnnl_success)
        r = dnnl_primitive_attr_set_post_ops(*attr, po);
    dnnl_post_ops_destroy(po);
    return r;
}

int onednn_net_create(const net_model *m, onednn_net **out, char *err,
                      size_t len)
{
    *out = NULL;
    onednn_net *n = calloc(1, sizeof *n);
    if (!n)
        return onednn_fail(err, len, "out of memory");
    if (onednn_engine_stream(&n->eng, &n->st) != 0) {
        free(n);
        return onednn_fail(err, len, "oneDNN: onednn_init() was not called");
    }
    n->steps = calloc((size_t)m->nlayers + 1, sizeof *n->steps);
    if (!n->steps) {
        free(n);
        return onednn_fail(err, len, "out of memory");
    }
    const net_def *d = m->def;
    const int mb = m->mb;
    int c = d->c, h = d->h, w = d->w;
    int ret = -1;
    step *s = &n->steps[0];
    dnnl_memory_desc_t umd;
    dnnl_dims_t ud = {mb, c, h, w};
    CHK(dnnl_memory_desc_init_by_tag(&umd, 4, ud, dnnl_f32, dnnl_nchw));
    CHK(dnnl_memory_create(&n->user_src, &umd, n->eng, DNNL_MEMORY_NONE));
    dnnl_memory_t prev = n->user_src;
    bool flat = false;   /* the activations are 2D [mb][features] */
    for (int i = 0; i < m->nlayers; i++) {
        const vconv_net_layer *l = &m->layers[i];
        if (l->kind == VCONV_LAYER_RELU)
            continue;   /* a post-op of the conv / fc before it */
        const bool relu = i + 1 < m->nlayers &&
                          m->layers[i + 1].kind == VCONV_LAYER_RELU;
        s = &n->steps[n->nsteps++];
        snprintf(s->name, sizeof s->name, "%s", l->name);
        s->in = prev;
        const dnnl_memory_desc_t *pmd;
        dnnl_memory_get_memory_desc(prev, &pmd);
        dnnl_primitive_desc_t pd = NULL;
        dnnl_primitive_attr_t attr = NULL;
        bool reo = false;
        dnnl_status_t r;
        switch (l->kind) {
        case VCONV_LAYER_CONV: {
            const vconv_conv_desc *cd = &l->conv;
            const int g = cd->groups > 1 ? cd->groups : 1;
            const int oh = (h + cd->pad_top + cd->pad_bottom - cd->kernel_h) /
                               cd->stride_h + 1;
            const int ow = (w + cd->pad_left + cd->pad_right - cd->kernel_w) /
                               cd->stride_w + 1;
            dnnl_memory_desc_t smd, wmd, bmd, dmd, uw;
            dnnl_dims_t sd = {mb, c, h, w}, dd = {mb, cd->out_channels, oh, ow};
            dnnl_dims_t wd = {cd->out_channels, c, cd->kernel_h, cd->kernel_w};
            dnnl_dims_t gwd = {g, cd->out_channels / g, c / g, cd->kernel_h,
                               cd->kernel_w};
            dnnl_dims_t bd = {cd->out_channels};
            CHK(dnnl_memory_desc_init_by_tag(&smd, 4, sd, dnnl_f32,
                                             dnnl_format_tag_any));
            CHK(dnnl_memory_desc_init_by_tag(&dmd, 4, dd, dnnl_f32,
                                             dnnl_format_tag_any));
            CHK(dnnl_memory_desc_init_by_tag(&wmd, g > 1 ? 5 : 4,
                                             g > 1 ? gwd : wd, dnnl_f32,
                                             dnnl_format_tag_any));
            CHK(dnnl_memory_desc_init_by_tag(&uw, g > 1 ? 5 : 4,
                                             g > 1 ? gwd : wd, dnnl_f32,
                                             g > 1 ? dnnl_goihw : dnnl_oihw));
            CHK(dnnl_memory_desc_init_by_tag(&bmd, 1, bd, dnnl_f32, dnnl_x));
            dnnl_convolution_desc_t desc;
            dnnl_dims_t strides = {cd->stride_h, cd->stride_w};
            dnnl_dims_t pl = {cd->pad_top, cd->pad_left};
            dnnl_dims_t pr = {cd->pad_bottom, cd->pad_right};
            CHK(dnnl_convolution_forward_desc_init(
                &desc, dnnl_forward_inference, dnnl_convolution_auto, &smd,
                &wmd, &bmd, &dmd, strides, pl, pr));
            CHK(relu_attr(relu, &attr));
            CHK(dnnl_primitive_desc_create(&pd, &desc, attr, n->eng, NULL));
            const dnnl_memory_desc_t *want =
                dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0);
            reo = !dnnl_memory_desc_equal(want, pmd);
            CHK(reorder_into(n, s, want));
            CHK(load_weights(n, s, pd, &uw, l->weights, l->bias,
                             cd->out_channels));
            c = cd->out_channels, h = oh, w = ow;
            break;
        }
        case VCONV_LAYER_POOL: {
            const vconv_pool_desc *p = &l->pool;
            const int oh = (h + p->pad_top + p->pad_bottom - p->kernel_h) /
                               p->stride_h + 1;
            const int ow = (w + p->pad_left + p->pad_right - p->kernel_w) /
                               p->stride_w + 1;
            dnnl_memory_desc_t dmd;
            dnnl_dims_t dd = {mb, c, oh, ow};
            CHK(dnnl_memory_desc_init_by_tag(&dmd, 4, dd, dnnl_f32,
                                             dnnl_format_tag_any));
            dnnl_pooling_desc_t desc;
            dnnl_dims_t strides = {p->stride_h, p->stride_w};
            dnnl_dims_t kernel = {p->kernel_h, p->kernel_w};
            dnnl_dims_t pl = {p->pad_top, p->pad_left};
            dnnl_dims_t pr = {p->pad_bottom, p->pad_right};
            CHK(dnnl_pooling_forward_desc_init(
                &desc, dnnl_forward_inference, dnnl_pooling_max, pmd, &dmd,
                strides, kernel, pl, pr));
            CHK(dnnl_primitive_desc_create(&pd, &desc, NULL, n->eng, NULL));
            s->src = prev;
            h = oh, w = ow;
            break;
        }
        case VCONV_LAYER_LRN: {
            dnnl_lrn_desc_t desc;
            CHK(dnnl_lrn_forward_desc_init(
                &desc, dnnl_forward_inference, dnnl_lrn_across_channels, pmd,
                l->lrn.size ? l->lrn.size : 5, l->lrn.alpha, l->lrn.beta,
                l->lrn.k));
            CHK(dnnl_primitive_desc_create(&pd, &desc, NULL, n->eng, NULL));
            s->src = prev;
            break;
        }
        case VCONV_LAYER_FC: {
            const int o = l->fc.out_features;
            dnnl_memory_desc_t smd, wmd, bmd, dmd, uw;
            dnnl_dims_t sd4 = {mb, c, h, w}, wd4 = {o, c, h, w};
            dnnl_dims_t sd2 = {mb, c * h * w}, wd2 = {o, c * h * w};
            dnnl_dims_t dd = {mb, o}, bd = {o};
            const int nd = flat ? 2 : 4;
            CHK(dnnl_memory_desc_init_by_tag(&smd, nd, flat ? sd2 : sd4,
                                             dnnl_f32, dnnl_format_tag_any));
            CHK(dnnl_memory_desc_init_by_tag(&wmd, nd, flat ? wd2 : wd4,
                                             dnnl_f32, dnnl_format_tag_any));
            CHK(dnnl_memory_desc_init_by_tag(&uw, nd, flat ? wd2 : wd4,
                                             dnnl_f32,
                                             flat ? dnnl_oi : dnnl_oihw));
            CHK(dnnl_memory_desc_init_by_tag(&bmd, 1, bd, dnnl_f32, dnnl_x));
            CHK(dnnl_memory_desc_init_by_tag(&dmd, 2, dd, dnnl_f32,
                                             dnnl_format_tag_any));
            dnnl_inner_product_desc_t desc;
            CHK(dnnl_inner_product_forward_desc_init(
                &desc, dnnl_forward_inference, &smd, &wmd, &bmd, &dmd));
            CHK(relu_attr(relu, &attr));
            CHK(dnnl_primitive_desc_create(&pd, &desc, attr, n->eng, NULL));
            const dnnl_memory_desc_t *want =
                dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0);
            reo = !dnnl_memory_desc_equal(want, pmd);
            CHK(reorder_into(n, s, want));
            CHK(load_weights(n, s, pd, &uw, l->weights, l->bias, o));
            c = o, h = w = 1;
            flat = true;
            break;
        }
        case VCONV_LAYER_SOFTMAX: {
            dnnl_softmax_desc_t desc;
            CHK(dnnl_softmax_forward_desc_init(&desc, dnnl_forward_inference,
                                               pmd, 1));
            CHK(dnnl_primitive_desc_create(&pd, &desc, NULL, n->eng, NULL));
            s->src = prev;
            break;
        }
        default:
            onednn_fail(err, len, "oneDNN net: layer %s: kind %d not built", s->name,
                 (int)l->kind);
            goto out;
        }
        r = finish(n, s, pd, reo);
        dnnl_primitive_desc_destroy(pd);
        pd = NULL;
        if (attr)
            dnnl_primitive_attr_destroy(attr);
        if (r != dnnl_success) {
            onednn_fail(err, len, "oneDNN: %s: %s", s->name, dnnl_status2str(r));
            goto out;
        }
        prev = s->dst;
    }
    /* the user's plain dst */
    s = &n->steps[n->nsteps++];
    snprintf(s->name, sizeof s->name, "output");
    s->in = prev;
    {
        dnnl_memory_desc_t omd;
        dnnl_dims_t od4 = {mb, c, h, w}, od2 = {mb, c};
        CHK(dnnl_memory_desc_init_by_tag(&omd, flat ? 2 : 4, flat ? od2 : od4,
                                         dnnl_f32,
                                         flat ? dnnl_nc : dnnl_nchw));
        CHK(dnnl_memory_create(&n->user_dst, &omd, n->eng, DNNL_MEMORY_NONE));
        const dnnl_memory_desc_t *pmd;
        dnnl_memory_get_memory_desc(prev, &pmd);
        dnnl_primitive_desc_t pd;
        CHK(dnnl_reorder_primitive_desc_create(&pd, pmd, n->eng, &omd, n->eng,
                                               NULL));
        dnnl_status_t r = dnnl_primitive_create(&s->reorder, pd);
        dnnl_primitive_desc_destroy(pd);
        CHK(r);
        s->src = n->user_dst;
        snprintf(s->impl, sizeof s->impl, "reorder");
    }
    ret = 0;
out:
    if (ret == 0)
        *out = n;
    else
        onednn_net_destroy(n);
    return ret;
}

int onednn_net_run(onednn_net *n, const float *src, float *dst, double *sec)
{
    dnnl_memory_set_data_handle(n->user_src, (void *)src);
    dnnl_memory_set_data_handle(n->user_dst, dst);
    dnnl_status_t r = dnnl_success;
    for (int i = 0; i < n->nsteps && r == dnnl_success; i++) {
        step *s = &n->steps[i];
        const double t0 = sec ? bench_now() : 0;
        if (s->reorder) {
            dnnl_exec_arg_t a[2] = {{DNNL_ARG_FROM, s->in},
                                    {DNNL_ARG_TO, s->src}};
            r = dnnl_primitive_execute(s->reorder, n->st, 2, a);
        }
        if (r == dnnl_success && s->prim)
            r = dnnl_primitive_execute(s->prim, n->st, s->nargs, s->args);
        if (sec) {
            if (r == dnnl_success)
                r = dnnl_stream_wait(n->st);
            sec[i] = bench_now() - t0;
        }
    }
    if (r == dnnl_success && !sec)
        r = dnnl_stream_wait(n->st);
    return r == dnnl_success ? 0 : -1;
}

int onednn_net_step_count(const onednn_net *n) { return n->nsteps; }
const char *onednn_net_step_name(const onednn_net *n, int i)
{
    return n->steps[i].name;
}
const char *onednn_net_step_impl(const onednn_net *n, int i)
{
    return n->steps[i].impl;
}

void onednn_net_destroy(onednn_net *n)
{
    if (!n)
        return;
    for (int i = 0; i < n->nsteps && n->steps; i++) {
        step *s = &n->steps[i];
        if (s->prim)
            dnnl_primitive_destroy(s->prim);
        if (s->reorder)
            dnnl_primitive_destroy(s->reorder);
        if (s->src && s->src != s->in && s->src != n->user_dst)
            dnnl_memory_destroy(s->src);
        if (s->wei)
            dnnl_memory_destroy(s->wei);
        if (s->bias)
            dnnl_memory_destroy(s->bias);
        if (s->dst)
            dnnl_memory_destroy(s->dst);
    }
    if (n->user_src)
        dnnl_memory_destroy(n->user_src);
    if (n->user_dst)
        dnnl_memory_destroy(n->user_dst);
    free(n->steps);
    free(n);
}
