/* onednn_q.c - oneDNN's int8 and bf16 convolutions (see onednn_q.h), with
   oneDNN 2.6's C API. */
#define _POSIX_C_SOURCE 200809L
#include "onednn_q.h"
#include "onednn.h"

#include <oneapi/dnnl/dnnl.h>
#include <oneapi/dnnl/dnnl_debug.h>
#include <omp.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct onednn_qconv {
    dnnl_primitive_t conv;
    dnnl_memory_t src, wei, bias, dst, zp_src, zp_dst;
    int32_t zp_src_v, zp_dst_v;
    int nargs;
    dnnl_exec_arg_t args[6];
    char impl[128];
};

static dnnl_engine_t engine;
static dnnl_stream_t stream;

#define QCHK(call)                                                            \
    do {                                                                      \
        dnnl_status_t st_ = (call);                                           \
        if (st_ != dnnl_success) {                                            \
            onednn_fail(err, len, "oneDNN: %s: %s", #call, dnnl_status2str(st_));   \
            goto out;                                                         \
        }                                                                     \
    } while (0)

static dnnl_data_type_t dt_of(vconv_dtype t)
{
    switch (t) {
    case VCONV_BF16: return dnnl_bf16;
    case VCONV_U8: return dnnl_u8;
    case VCONV_S8: return dnnl_s8;
    case VCONV_S32: return dnnl_s32;
    default: return dnnl_f32;
    }
}

int onednn_qconv_create(const vconv_problem *p, const void *w,
                        const float *wsc, const void *bias, int threads,
                        onednn_qconv **out, char *err, size_t len)
{
    int ret = -1;
    *out = NULL;
    omp_set_num_threads(threads);
    if (!engine) {
        if (dnnl_engine_create(&engine, dnnl_cpu, 0) != dnnl_success ||
            dnnl_stream_create(&stream, engine, dnnl_stream_default_flags) !=
                dnnl_success)
            return onednn_fail(err, len, "oneDNN: no CPU engine");
    }
    const bool i8 = vconv_problem_kind(p) == VCONV_DT_INT8;
    onednn_qconv *c = calloc(1, sizeof *c);
    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t po = NULL;
    dnnl_primitive_desc_t pd = NULL;
    dnnl_memory_t user_w = NULL;
    float *scales = NULL;
    if (!c)
        return onednn_fail(err, len, "out of memory");
    dnnl_memory_desc_t src_md, dst_md, w_user, w_md, b_md, zp_md;
    dnnl_dims_t sd = {p->mb, p->ic, p->ih, p->iw};
    dnnl_dims_t dd = {p->mb, p->oc, p->oh, p->ow};
    dnnl_dims_t bd = {p->oc}, one = {1};
    dnnl_dims_t wd = {p->oc, p->icg, p->kh, p->kw};
    dnnl_dims_t gwd = {p->g, p->ocg, p->icg, p->kh, p->kw};
    const int wnd = p->g > 1 ? 5 : 4;
    const dnnl_format_tag_t io =
        p->layout == VCONV_NHWC ? dnnl_nhwc : dnnl_nchw;
    const dnnl_data_type_t wdt = i8 ? dnnl_s8 : dnnl_bf16;
    QCHK(dnnl_memory_desc_init_by_tag(&src_md, 4, sd, dt_of(p->src_dt), io));
    QCHK(dnnl_memory_desc_init_by_tag(&dst_md, 4, dd, dt_of(p->dst_dt), io));
    QCHK(dnnl_memory_desc_init_by_tag(&w_user, wnd, p->g > 1 ? gwd : wd, wdt,
                                      p->g > 1 ? dnnl_goihw : dnnl_oihw));
    QCHK(dnnl_memory_desc_init_by_tag(&w_md, wnd, p->g > 1 ? gwd : wd, wdt,
                                      dnnl_format_tag_any));
    QCHK(dnnl_memory_desc_init_by_tag(&b_md, 1, bd,
                                      i8 ? dnnl_s32 : dnnl_f32, dnnl_x));
    QCHK(dnnl_memory_desc_init_by_tag(&zp_md, 1, one, dnnl_s32, dnnl_x));
    dnnl_convolution_desc_t cd;
    dnnl_dims_t strides = {p->sh, p->sw};
    dnnl_dims_t dil = {p->dh - 1, p->dw - 1};
    dnnl_dims_t pl = {p->pt, p->pl}, pr = {p->pb, p->pr};
    QCHK(dnnl_dilated_convolution_forward_desc_init(
        &cd, dnnl_forward_inference, dnnl_convolution_direct, &src_md, &w_md,
        bias ? &b_md : NULL, &dst_md, strides, dil, pl, pr));
    QCHK(dnnl_primitive_attr_create(&attr));
    if (i8) {
        const bool dst_i8 = p->dst_dt != VCONV_F32;
        scales = malloc((size_t)(unsigned)p->oc * sizeof(float));
        if (!scales) {
            onednn_fail(err, len, "out of memory");
            goto out;
        }
        /* the float multipliers vconv uses (vconv_qparams_init) */
        for (int o = 0; o < p->oc; o++) {
            double m = (double)p->src_scale * wsc[o];
            scales[o] = (float)(dst_i8 ? m / p->dst_scale : m);
        }
        QCHK(dnnl_primitive_attr_set_output_scales(attr, p->oc, 1 << 1,
                                                   scales));
        const int32_t rt = DNNL_RUNTIME_S32_VAL;
        if (p->src_zp)
            QCHK(dnnl_primitive_attr_set_zero_points(attr, DNNL_ARG_SRC, 1, 0,
                                                     &rt));
        if (p->dst_zp)
            QCHK(dnnl_primitive_attr_set_zero_points(attr, DNNL_ARG_DST, 1, 0,
                                                     &rt));
    }
    if (p->act == VCONV_ACT_RELU) {
        QCHK(dnnl_post_ops_create(&po));
        QCHK(dnnl_post_ops_append_eltwise(po, 1.0f, dnnl_eltwise_relu, 0.0f,
                                          0.0f));
        QCHK(dnnl_primitive_attr_set_post_ops(attr, po));
    }
    dnnl_status_t s = dnnl_primitive_desc_create(&pd, &cd, attr, engine, NULL);
    if (s != dnnl_success) {
        onednn_fail(err, len, "oneDNN has no implementation: %s",
              dnnl_status2str(s));
        pd = NULL;
        ret = s == dnnl_unimplemented ? 1 : -1;
        goto out;
    }
    const char *impl = NULL;
    QCHK(dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl));
    snprintf(c->impl, sizeof c->impl, "%s", impl ? impl : "?");
    const dnnl_memory_desc_t *cw =
        dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    const dnnl_memory_desc_t *cb =
        dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 1);
    QCHK(dnnl_primitive_create(&c->conv, pd));
    QCHK(dnnl_memory_create(&user_w, &w_user, engine, (void *)w));
    QCHK(dnnl_memory_create(&c->wei, cw, engine, DNNL_MEMORY_ALLOCATE));
    {
        dnnl_primitive_desc_t rpd;
        dnnl_primitive_t r;
        QCHK(dnnl_reorder_primitive_desc_create(&rpd, &w_user, engine, cw,
                                                engine, NULL));
        dnnl_status_t rs = dnnl_primitive_create(&r, rpd);
        dnnl_primitive_desc_destroy(rpd);
        QCHK(rs);
        dnnl_exec_arg_t a[2] = {{DNNL_ARG_FROM, user_w},
                                {DNNL_ARG_TO, c->wei}};
        rs = dnnl_primitive_execute(r, stream, 2, a);
        if (rs == dnnl_success)
            rs = dnnl_stream_wait(stream);
        dnnl_primitive_destroy(r);
        QCHK(rs);
    }
    if (bias) {
        QCHK(dnnl_memory_create(&c->bias, cb, engine, DNNL_MEMORY_ALLOCATE));
        void *h;
        QCHK(dnnl_memory_get_data_handle(c->bias, &h));
        memcpy(h, bias, (size_t)(unsigned)p->oc * 4);
    }
    QCHK(dnnl_memory_create(&c->src, &src_md, engine, DNNL_MEMORY_NONE));
    QCHK(dnnl_memory_create(&c->dst, &dst_md, engine, DNNL_MEMORY_NONE));
    c->args[0] = (dnnl_exec_arg_t){DNNL_ARG_SRC, c->src};
    c->args[1] = (dnnl_exec_arg_t){DNNL_ARG_WEIGHTS, c->wei};
    c->args[2] = (dnnl_exec_arg_t){DNNL_ARG_DST, c->dst};
    c->nargs = 3;
    if (c->bias)
        c->args[c->nargs++] = (dnnl_exec_arg_t){DNNL_ARG_BIAS, c->bias};
    if (i8 && p->src_zp) {
        c->zp_src_v = p->src_zp;
        QCHK(dnnl_memory_create(&c->zp_src, &zp_md, engine, &c->zp_src_v));
        c->args[c->nargs++] = (dnnl_exec_arg_t){
            DNNL_ARG_ATTR_ZERO_POINTS | DNNL_ARG_SRC, c->zp_src};
    }
    if (i8 && p->dst_zp) {
        c->zp_dst_v = p->dst_zp;
        QCHK(dnnl_memory_create(&c->zp_dst, &zp_md, engine, &c->zp_dst_v));
        c->args[c->nargs++] = (dnnl_exec_arg_t){
            DNNL_ARG_ATTR_ZERO_POINTS | DNNL_ARG_DST, c->zp_dst};
    }
    ret = 0;
out:
    if (user_w)
        dnnl_memory_destroy(user_w);
    if (pd)
        dnnl_primitive_desc_destroy(pd);
    if (attr)
        dnnl_primitive_attr_destroy(attr);
    if (po)
        dnnl_post_ops_destroy(po);
    free(scales);
    if (ret == 0)
        *out = c;
    else
        onednn_qconv_destroy(c);
    return ret;
}

int onednn_qconv_run(onednn_qconv *c, const void *src, void *dst)
{
    dnnl_memory_set_data_handle(c->src, (void *)src);
    dnnl_memory_set_data_handle(c->dst, dst);
    dnnl_status_t s = dnnl_primitive_execute(c->conv, stream, c->nargs,
                                             c->args);
    if (s == dnnl_success)
        s = dnnl_stream_wait(stream);
    return s == dnnl_success ? 0 : -1;
}

const char *onednn_qconv_impl(const onednn_qconv *c) { return c->impl; }

void onednn_qconv_destroy(onednn_qconv *c)
{
    if (!c)
        return;
    if (c->conv)
        dnnl_primitive_destroy(c->conv);
    dnnl_memory_t m[] = {c->src, c->wei, c->bias, c->dst, c->zp_src,
                         c->zp_dst};
    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++)
        if (m[i])
            dnnl_memory_destroy(m[i]);
    free(c);
}

void onednn_qconv_finish(void)
{
    if (stream)
        dnnl_stream_destroy(stream);
    if (engine)
        dnnl_engine_destroy(engine);
    stream = NULL;
    engine = NULL;
}
