/* onednn.c - the oneDNN peer (see onednn.h). oneDNN 2.6's C API: the v2
   names (dnnl_memory_desc_init_by_tag, dnnl_convolution_forward_desc_init,
   dnnl_primitive_desc_create on an op descriptor). */
#define _POSIX_C_SOURCE 200809L
#include "onednn.h"

#include <oneapi/dnnl/dnnl.h>
#include <oneapi/dnnl/dnnl_debug.h>
#include <omp.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct onednn_conv {
    onednn_mode mode;
    dnnl_primitive_t conv;
    dnnl_primitive_t src_reorder;    /* NCHW mode: user src -> conv src */
    dnnl_primitive_t dst_reorder;    /* conv dst -> user dst */
    dnnl_memory_t user_src, user_dst; /* NCHW, handles set per run */
    dnnl_memory_t src, wei, bias, dst; /* the primitive's own */
    int nargs;
    dnnl_exec_arg_t args[4];
    char impl[128];
    char detail[192];
};

static dnnl_engine_t engine;
static dnnl_stream_t stream;

int onednn_fail(char *err, size_t len, const char *fmt, ...)
{
    if (err && len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, len, fmt, ap);
        va_end(ap);
    }
    return -1;
}

#define CHK(call)                                                             \
    do {                                                                      \
        dnnl_status_t st_ = (call);                                           \
        if (st_ != dnnl_success) {                                            \
            onednn_fail(err, len, "oneDNN: %s: %s", #call, dnnl_status2str(st_));    \
            goto out;                                                         \
        }                                                                     \
    } while (0)

int onednn_init(int threads, char *err, size_t len)
{
    if (engine)
        return 0;
    /* oneDNN's OpenMP runtime takes its team size from the calling
       thread's nthreads-var (omp_get_max_threads()). */
    omp_set_num_threads(threads);
    dnnl_status_t s = dnnl_engine_create(&engine, dnnl_cpu, 0);
    if (s != dnnl_success)
        return onednn_fail(err, len, "oneDNN: no CPU engine: %s",
                    dnnl_status2str(s));
    s = dnnl_stream_create(&stream, engine, dnnl_stream_default_flags);
    if (s != dnnl_success) {
        dnnl_engine_destroy(engine);
        engine = NULL;
        return onednn_fail(err, len, "oneDNN: no stream: %s", dnnl_status2str(s));
    }
    return 0;
}

void onednn_finish(void)
{
    if (stream)
        dnnl_stream_destroy(stream);
    if (engine)
        dnnl_engine_destroy(engine);
    stream = NULL;
    engine = NULL;
}

const char *onednn_version_str(void)
{
    static char buf[64];
    const dnnl_version_t *v = dnnl_version();
    snprintf(buf, sizeof buf, "%d.%d.%d (%s)", v->major, v->minor, v->patch,
             dnnl_runtime2str(v->cpu_runtime));
    return buf;
}

const char *onednn_isa_str(void)
{
    return dnnl_cpu_isa2str(dnnl_get_effective_cpu_isa());
}

vconv_isa onednn_isa(void)
{
    const char *s = onednn_isa_str();
    if (strstr(s, "avx512"))
        return VCONV_ISA_AVX512;
    if (strstr(s, "avx2"))
        return VCONV_ISA_AVX2;
    return VCONV_ISA_SCALAR;
}

/* A memory descriptor's layout in oneDNN's tag spelling: outer dimensions
   by decreasing stride (upper case where blocked), then the inner blocks:
   "nchw", "nChw16c", "OIhw16i16o". letters: one per dimension. */
static void fmt_str(const dnnl_memory_desc_t *md, const char *letters,
                    char *buf, size_t len)
{
    if (md->format_kind != dnnl_blocked) {
        snprintf(buf, len, "%s", dnnl_fmt_kind2str(md->format_kind));
        return;
    }
    const dnnl_blocking_desc_t *b = &md->format_desc.blocking;
    int n = md->ndims, order[DNNL_MAX_NDIMS];
    for (int i = 0; i < n; i++)
        order[i] = i;
    for (int i = 1; i < n; i++) /* stable insertion sort, stride desc */
        for (int j = i; j > 0 && b->strides[order[j]] > b->strides[order[j - 1]];
             j--) {
            int t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    size_t k = 0;
    for (int i = 0; i < n && k + 1 < len; i++) {
        int d = order[i], blocked = 0;
        for (int j = 0; j < b->inner_nblks; j++)
            blocked |= b->inner_idxs[j] == d;
        char c = letters[d];
        buf[k++] = blocked ? (char)(c - 'a' + 'A') : c;
    }
    buf[k] = 0;
    for (int j = 0; j < b->inner_nblks && k + 1 < len; j++) {
        int w = snprintf(buf + k, len - k, "%lld%c",
                         (long long)b->inner_blks[j],
                         letters[b->inner_idxs[j]]);
        if (w < 0 || (size_t)w >= len - k)
            break;
        k += (size_t)w;
    }
}

/* Runs a reorder primitive from src to dst once, waited for. */
static dnnl_status_t reorder_once(dnnl_memory_t from, dnnl_memory_t to)
{
    const dnnl_memory_desc_t *a, *b;
    dnnl_memory_get_memory_desc(from, &a);
    dnnl_memory_get_memory_desc(to, &b);
    dnnl_primitive_desc_t pd;
    dnnl_status_t s =
        dnnl_reorder_primitive_desc_create(&pd, a, engine, b, engine, NULL);
    if (s != dnnl_success)
        return s;
    dnnl_primitive_t r;
    s = dnnl_primitive_create(&r, pd);
    dnnl_primitive_desc_destroy(pd);
    if (s != dnnl_success)
        return s;
    dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}};
    s = dnnl_primitive_execute(r, stream, 2, args);
    if (s == dnnl_success)
        s = dnnl_stream_wait(stream);
    dnnl_primitive_destroy(r);
    return s;
}

static dnnl_status_t make_reorder(const dnnl_memory_desc_t *a,
                                  const dnnl_memory_desc_t *b,
                                  dnnl_primitive_t *r)
{
    dnnl_primitive_desc_t pd;
    dnnl_status_t s =
        dnnl_reorder_primitive_desc_create(&pd, a, engine, b, engine, NULL);
    if (s != dnnl_success)
        return s;
    s = dnnl_primitive_create(r, pd);
    dnnl_primitive_desc_destroy(pd);
    return s;
}

int onednn_conv_create(const vconv_problem *p, const float *w,
                       const float *b, const float *src, onednn_mode mode,
                       onednn_alg alg, onednn_fmt fmt, onednn_conv **out,
                       char *err, size_t len)
{
    int ret = -1;
    *out = NULL;
    if (!engine)
        return onednn_fail(err, len, "oneDNN: onednn_init() was not called");
    if (p->layout != VCONV_NCHW)
        return onednn_fail(err, len, "oneDNN peer: NCHW problems only");
    if (mode == ONEDNN_BLOCKED)
        fmt = ONEDNN_FMT_ANY;

    onednn_conv *c = calloc(1, sizeof *c);
    dnnl_post_ops_t po = NULL;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_primitive_desc_t pd = NULL;
    dnnl_memory_t user_w = NULL, tmp_src = NULL;
    if (!c)
        return onednn_fail(err, len, "out of memory");
    c->mode = mode;

    dnnl_memory_desc_t src_user, dst_user, w_user, bias_md, src_md, w_md,
        dst_md;
    dnnl_dims_t sd = {p->mb, p->ic, p->ih, p->iw};
    dnnl_dims_t dd = {p->mb, p->oc, p->oh, p->ow};
    dnnl_dims_t bd = {p->oc};
    dnnl_dims_t wd = {p->oc, p->icg, p->kh, p->kw};
    dnnl_dims_t gwd = {p->g, p->ocg, p->icg, p->kh, p->kw};
    int wnd = p->g > 1 ? 5 : 4;
    dnnl_format_tag_t wtag = p->g > 1 ? dnnl_goihw : dnnl_oihw;
    dnnl_format_tag_t io = fmt == ONEDNN_FMT_PLAIN ? dnnl_nchw
                                                   : dnnl_format_tag_any;
    CHK(dnnl_memory_desc_init_by_tag(&src_user, 4, sd, dnnl_f32, dnnl_nchw));
    CHK(dnnl_memory_desc_init_by_tag(&dst_user, 4, dd, dnnl_f32, dnnl_nchw));
    CHK(dnnl_memory_desc_init_by_tag(&w_user, wnd, p->g > 1 ? gwd : wd,
                                     dnnl_f32, wtag));
    CHK(dnnl_memory_desc_init_by_tag(&bias_md, 1, bd, dnnl_f32, dnnl_x));
    CHK(dnnl_memory_desc_init_by_tag(&src_md, 4, sd, dnnl_f32, io));
    CHK(dnnl_memory_desc_init_by_tag(&dst_md, 4, dd, dnnl_f32, io));
    CHK(dnnl_memory_desc_init_by_tag(&w_md, wnd, p->g > 1 ? gwd : wd,
                                     dnnl_f32, dnnl_format_tag_any));

    dnnl_convolution_desc_t cd;
    dnnl_dims_t strides = {p->sh, p->sw};
    dnnl_dims_t dil = {p->dh - 1, p->dw - 1};
    dnnl_dims_t pl = {p->pt, p->pl}, pr = {p->pb, p->pr};
    dnnl_alg_kind_t ak = alg == ONEDNN_ALG_WINOGRAD ? dnnl_convolution_winograd
                                                    : dnnl_convolution_auto;
    dnnl_status_t s = dnnl_dilated_convolution_forward_desc_init(
        &cd, dnnl_forward_inference, ak, &src_md, &w_md, b ? &bias_md : NULL,
        &dst_md, strides, dil, pl, pr);
    if (s != dnnl_success) {
        onednn_fail(err, len, "oneDNN refuses the descriptor: %s",
             dnnl_status2str(s));
        ret = s == dnnl_unimplemented ? 1 : -1;
        goto out;
    }
    CHK(dnnl_primitive_attr_create(&attr));
    if (p->act == VCONV_ACT_RELU) {
        CHK(dnnl_post_ops_create(&po));
        CHK(dnnl_post_ops_append_eltwise(po, 1.0f, dnnl_eltwise_relu, 0.0f,
                                         0.0f));
        CHK(dnnl_primitive_attr_set_post_ops(attr, po));
    }
    s = dnnl_primitive_desc_create(&pd, &cd, attr, engine, NULL);
    if (s != dnnl_success) {
        onednn_fail(err, len, "oneDNN has no %s implementation for it: %s",
             alg == ONEDNN_ALG_WINOGRAD ? "winograd" : "auto",
             dnnl_status2str(s));
        pd = NULL;
        ret = s == dnnl_unimplemented ? 1 : -1;
        goto out;
    }
    const char *impl = NULL;
    CHK(dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl));
    snprintf(c->impl, sizeof c->impl, "%s", impl ? impl : "?");
    const dnnl_memory_desc_t *csrc =
        dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0);
    const dnnl_memory_desc_t *cw =
        dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    const dnnl_memory_desc_t *cb =
        dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 1);
    const dnnl_memory_desc_t *cdst =
        dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0);
    CHK(dnnl_primitive_create(&c->conv, pd));

    /* weights: reorder the user's once; bias: a copy */
    CHK(dnnl_memory_create(&user_w, &w_user, engine, (void *)w));
    CHK(dnnl_memory_create(&c->wei, cw, engine, DNNL_MEMORY_ALLOCATE));
    CHK(reorder_once(user_w, c->wei));
    if (b) {
        CHK(dnnl_memory_create(&c->bias, cb, engine, DNNL_MEMORY_ALLOCATE));
        void *h;
        CHK(dnnl_memory_get_data_handle(c->bias, &h));
        memcpy(h, b, (size_t)p->oc * sizeof(float));
    }

    /* src and dst */
    int src_same = dnnl_memory_desc_equal(csrc, &src_user);
    int dst_same = dnnl_memory_desc_equal(cdst, &dst_user);
    CHK(dnnl_memory_create(&c->user_src, &src_user, engine, DNNL_MEMORY_NONE));
    CHK(dnnl_memory_create(&c->user_dst, &dst_user, engine, DNNL_MEMORY_NONE));
    if (mode == ONEDNN_BLOCKED) {
        CHK(dnnl_memory_create(&c->src, csrc, engine, DNNL_MEMORY_ALLOCATE));
        CHK(dnnl_memory_create(&tmp_src, &src_user, engine, (void *)src));
        CHK(reorder_once(tmp_src, c->src));
        CHK(dnnl_memory_create(&c->dst, cdst, engine, DNNL_MEMORY_ALLOCATE));
    } else {
        if (src_same) {
            c->src = c->user_src;
        } else {
            CHK(dnnl_memory_create(&c->src, csrc, engine,
                                   DNNL_MEMORY_ALLOCATE));
            CHK(make_reorder(&src_user, csrc, &c->src_reorder));
        }
        if (dst_same) {
            c->dst = c->user_dst;
        } else {
            CHK(dnnl_memory_create(&c->dst, cdst, engine,
                                   DNNL_MEMORY_ALLOCATE));
            CHK(make_reorder(cdst, &dst_user, &c->dst_reorder));
        }
    }
    c->args[0] = (dnnl_exec_arg_t){DNNL_ARG_SRC, c->src};
    c->args[1] = (dnnl_exec_arg_t){DNNL_ARG_WEIGHTS, c->wei};
    c->args[2] = (dnnl_exec_arg_t){DNNL_ARG_DST, c->dst};
    c->nargs = 3;
    if (c->bias)
        c->args[c->nargs++] = (dnnl_exec_arg_t){DNNL_ARG_BIAS, c->bias};

    char fs[32], fd[32], fw[32];
    fmt_str(csrc, "nchw", fs, sizeof fs);
    fmt_str(cdst, "nchw", fd, sizeof fd);
    fmt_str(cw, p->g > 1 ? "goihw" : "oihw", fw, sizeof fw);
    snprintf(c->detail, sizeof c->detail,
             "alg=%s src=%s wei=%s dst=%s reorders=%s%s%s",
             alg == ONEDNN_ALG_WINOGRAD ? "winograd" : "auto", fs, fw, fd,
             c->src_reorder ? "src" : "",
             c->src_reorder && c->dst_reorder ? "," : "",
             c->dst_reorder ? "dst" : (c->src_reorder ? "" : "none"));
    ret = 0;
out:
    if (user_w)
        dnnl_memory_destroy(user_w);
    if (tmp_src)
        dnnl_memory_destroy(tmp_src);
    if (pd)
        dnnl_primitive_desc_destroy(pd);
    if (attr)
        dnnl_primitive_attr_destroy(attr);
    if (po)
        dnnl_post_ops_destroy(po);
    if (ret == 0)
        *out = c;
    else
        onednn_conv_destroy(c);
    return ret;
}

int onednn_conv_run(onednn_conv *c, const float *src, float *dst)
{
    dnnl_status_t s = dnnl_success;
    if (c->mode == ONEDNN_NCHW) {
        dnnl_memory_set_data_handle(c->user_src, (void *)src);
        dnnl_memory_set_data_handle(c->user_dst, dst);
        if (c->src_reorder) {
            dnnl_exec_arg_t a[2] = {{DNNL_ARG_FROM, c->user_src},
                                    {DNNL_ARG_TO, c->src}};
            s = dnnl_primitive_execute(c->src_reorder, stream, 2, a);
        }
    }
    if (s == dnnl_success)
        s = dnnl_primitive_execute(c->conv, stream, c->nargs, c->args);
    if (s == dnnl_success && c->mode == ONEDNN_NCHW && c->dst_reorder) {
        dnnl_exec_arg_t a[2] = {{DNNL_ARG_FROM, c->dst},
                                {DNNL_ARG_TO, c->user_dst}};
        s = dnnl_primitive_execute(c->dst_reorder, stream, 2, a);
    }
    if (s == dnnl_success)
        s = dnnl_stream_wait(stream);
    return s == dnnl_success ? 0 : -1;
}

int onednn_conv_output(onednn_conv *c, float *dst)
{
    if (c->mode == ONEDNN_NCHW)
        return 0;
    dnnl_memory_set_data_handle(c->user_dst, dst);
    return reorder_once(c->dst, c->user_dst) == dnnl_success ? 0 : -1;
}

const char *onednn_conv_impl(const onednn_conv *c) { return c->impl; }
const char *onednn_conv_detail(const onednn_conv *c) { return c->detail; }

void onednn_conv_destroy(onednn_conv *c)
{
    if (!c)
        return;
    if (c->conv)
        dnnl_primitive_destroy(c->conv);
    if (c->src_reorder)
        dnnl_primitive_destroy(c->src_reorder);
    if (c->dst_reorder)
        dnnl_primitive_destroy(c->dst_reorder);
    if (c->src && c->src != c->user_src)
        dnnl_memory_destroy(c->src);
    if (c->dst && c->dst != c->user_dst)
        dnnl_memory_destroy(c->dst);
    if (c->user_src)
        dnnl_memory_destroy(c->user_src);
    if (c->user_dst)
        dnnl_memory_destroy(c->user_dst);
    if (c->wei)
        dnnl_memory_destroy(c->wei);
    if (c->bias)
        dnnl_memory_destroy(c->bias);
    free(c);
}

/* For the oneDNN-primitive net (onednn_net.c): the engine and stream
   onednn_init() made. Returns 0, or -1 before onednn_init(). */
int onednn_engine_stream(dnnl_engine_t *e, dnnl_stream_t *s);
int onednn_engine_stream(dnnl_engine_t *e, dnnl_stream_t *s)
{
    *e = engine;
    *s = stream;
    return engine && stream ? 0 : -1;
}
