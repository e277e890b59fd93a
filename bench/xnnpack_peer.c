/* xnnpack_peer.c - the XNNPACK peer (see xnnpack_peer.h). */
#include "xnnpack_peer.h"

#include <pthreadpool.h>
#include <xnnpack.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct xnnpack_conv {
    xnn_operator_t op;
    pthreadpool_t pool;
    vconv_problem p;
    const float *last_src;   /* the buffers the operator is set up for */
    float *last_dst;
};

static int initialized;

int xnnpack_init(char *err, size_t len)
{
    if (initialized)
        return 0;
    enum xnn_status s = xnn_initialize(NULL);
    if (s != xnn_status_success) {
        snprintf(err, len, "XNNPACK: xnn_initialize failed (status %d%s)",
                 (int)s,
                 s == xnn_status_unsupported_hardware
                     ? ": unsupported hardware"
                     : "");
        return -1;
    }
    initialized = 1;
    return 0;
}

void xnnpack_finish(void)
{
    if (initialized)
        xnn_deinitialize();
    initialized = 0;
}

const char *xnnpack_version_str(void)
{
    return "XNNPACK (system libXNNPACK), NHWC f32";
}

int xnnpack_conv_create(const vconv_problem *p, const float *w,
                        const float *b, int threads, xnnpack_conv **out,
                        char *err, size_t len)
{
    *out = NULL;
    if (!initialized) {
        snprintf(err, len, "XNNPACK: xnnpack_init() was not called");
        return -1;
    }
    xnnpack_conv *c = calloc(1, sizeof *c);
    /* XNNPACK's kernel layout: [g][ocg][kh][kw][icg] (OHWI per group) */
    size_t kk = (size_t)p->kh * p->kw;
    float *k = malloc(vconv_wei_elems(p) * sizeof(float));
    if (!c || !k) {
        free(c);
        free(k);
        snprintf(err, len, "out of memory");
        return -1;
    }
    for (int o = 0; o < p->oc; o++)
        for (int ci = 0; ci < p->icg; ci++)
            for (size_t s = 0; s < kk; s++)
                k[((size_t)o * kk + s) * p->icg + ci] =
                    w[((size_t)o * p->icg + ci) * kk + s];
    float lo = p->act == VCONV_ACT_RELU ? 0.0f : -INFINITY;
    enum xnn_status s = xnn_create_convolution2d_nhwc_f32(
        (uint32_t)p->pt, (uint32_t)p->pr, (uint32_t)p->pb, (uint32_t)p->pl,
        (uint32_t)p->kh, (uint32_t)p->kw, (uint32_t)p->sh, (uint32_t)p->sw,
        (uint32_t)p->dh, (uint32_t)p->dw, (uint32_t)p->g, (size_t)p->icg,
        (size_t)p->ocg, (size_t)p->ic, (size_t)p->oc, k, b, lo, INFINITY, 0,
        &c->op);
    free(k);
    if (s != xnn_status_success) {
        snprintf(err, len, "XNNPACK refuses the convolution (status %d)",
                 (int)s);
        free(c);
        return s == xnn_status_unsupported_parameter ? 1 : -1;
    }
    if (threads > 1) {
        c->pool = pthreadpool_create((size_t)threads);
        if (!c->pool) {
            xnn_delete_operator(c->op);
            free(c);
            snprintf(err, len, "XNNPACK: no thread pool");
            return -1;
        }
    }
    c->p = *p;
    *out = c;
    return 0;
}

int xnnpack_conv_run(xnnpack_conv *c, const float *src, float *dst)
{
    if (src != c->last_src || dst != c->last_dst) {
        if (xnn_setup_convolution2d_nhwc_f32(c->op, (size_t)c->p.mb,
                                             (size_t)c->p.ih, (size_t)c->p.iw,
                                             src, dst, c->pool) !=
            xnn_status_success)
            return -1;
        c->last_src = src;
        c->last_dst = dst;
    }
    return xnn_run_operator(c->op, c->pool) == xnn_status_success ? 0 : -1;
}

const char *xnnpack_conv_impl(const xnnpack_conv *c)
{
    (void)c;
    return "xnn_convolution2d_nhwc_f32";
}

void xnnpack_conv_destroy(xnnpack_conv *c)
{
    if (!c)
        return;
    if (c->op)
        xnn_delete_operator(c->op);
    if (c->pool)
        pthreadpool_destroy(c->pool);
    free(c);
}
