/* api.c - the public entry points: create, run, destroy, introspection. */
#include "internal.h"
#include "../dispatch/cpu.h"
#include "../dispatch/dispatch.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

struct vconv_conv {
    vconv_problem p;
    const vconv_impl *impl;
    void *state;
    int verbose;   /* VCONV_VERBOSE at create: runs log when set */
};

/* create and create_q: the float32 arrays (weights_f, bias_f) or the
   low-precision ones (weights_q, wei_scales, bias_q), by p's kind. */
static vconv_status create_any(const vconv_conv_desc *d, const float *weights,
                               const float *bias, const void *weights_q,
                               const float *wei_scales, const void *bias_q,
                               bool lowp_entry, const vconv_options *opt,
                               vconv_conv **out)
{
    if (!out)
        return vconv_error(VCONV_ERR_INVALID_ARG, "out (the plan pointer) is "
                                                  "NULL");
    *out = NULL;
    vconv_problem p;
    vconv_status s = vconv_problem_init(d, &p);
    if (s != VCONV_OK)
        return s;
    const bool q = vconv_problem_kind(&p) != 0;
    if (q && !lowp_entry)
        return vconv_error(VCONV_ERR_INVALID_ARG,
                           "src_type is %s: a low-precision descriptor is "
                           "built with vconv_conv_create_q",
                           vconv_dtype_name(p.src_dt));
    if (q ? !weights_q : !weights)
        return vconv_error(VCONV_ERR_INVALID_ARG, "weights is NULL");
    if (q && vconv_problem_kind(&p) == VCONV_DT_INT8 && !wei_scales)
        return vconv_error(VCONV_ERR_INVALID_ARG,
                           "wei_scales is NULL (int8 needs one scale per "
                           "output channel)");
    if (wei_scales && vconv_problem_kind(&p) != VCONV_DT_INT8)
        return vconv_error(VCONV_ERR_INVALID_ARG,
                           "wei_scales must be NULL for src_type %s",
                           vconv_dtype_name(p.src_dt));
    vconv_resolved r;
    if ((s = vconv_resolve_options(opt, &r)) != VCONV_OK)
        return s;
    if (q)
        r.tune = false; /* documented: the heuristic chooses */
    p.threads = r.threads;
    double t0 = vconv_now();
    const vconv_impl *impl;
    /* VCONV_VERBOSE: one line per create, printed once the plan exists (or
       the create failed): the selection's line plus the create time */
    char log[4096];
    char *lg = r.verbose ? log : NULL;
    if ((s = vconv_select(&p, &r, weights, bias, &impl, lg, sizeof log)) !=
        VCONV_OK) {
        if (lg)
            vconv_log("%s", log);
        return s;
    }
    vconv_conv *c = calloc(1, sizeof *c);
    if (!c)
        return vconv_error(VCONV_ERR_NO_MEMORY, "no memory for the plan");
    c->p = p;
    c->impl = impl;
    c->verbose = r.verbose;
    s = q ? impl->create_q(&c->p, weights_q, wei_scales, bias_q, &c->state)
          : impl->create(&c->p, weights, bias, &c->state);
    if (s != VCONV_OK) {
        free(c);
        if (s == VCONV_ERR_NO_MEMORY)
            s = vconv_error(s, "%s: no memory for the packed weights",
                            impl->name);
        if (lg)
            vconv_log("%s,create:failed(%s)", log, vconv_status_str(s));
        return s;
    }
    if (lg)
        vconv_log("%s,create:%.3fms", log, (vconv_now() - t0) * 1e3);
    *out = c;
    return VCONV_OK;
}

vconv_status vconv_conv_create(const vconv_conv_desc *d, const float *weights,
                               const float *bias, const vconv_options *opt,
                               vconv_conv **out)
{
    return create_any(d, weights, bias, NULL, NULL, NULL, false, opt, out);
}

vconv_status vconv_conv_create_q(const vconv_conv_desc *d, const void *weights,
                                 const float *wei_scales, const void *bias,
                                 const vconv_options *opt, vconv_conv **out)
{
    if (d && d->src_type == VCONV_F32) {
        if (wei_scales) {
            if (out)
                *out = NULL;
            return vconv_error(VCONV_ERR_INVALID_ARG,
                               "wei_scales must be NULL for src_type f32");
        }
        return create_any(d, weights, bias, NULL, NULL, NULL, true, opt, out);
    }
    return create_any(d, NULL, NULL, weights, wei_scales, bias, true, opt,
                      out);
}

static vconv_status run_any(const vconv_conv *c, const void *src, void *dst,
                            bool lowp_entry)
{
    if (!c)
        return vconv_error(VCONV_ERR_INVALID_ARG, "plan is NULL");
    if (!src)
        return vconv_error(VCONV_ERR_INVALID_ARG, "src is NULL");
    if (!dst)
        return vconv_error(VCONV_ERR_INVALID_ARG, "dst is NULL");
    const bool q = vconv_problem_kind(&c->p) != 0;
    if (q && !lowp_entry)
        return vconv_error(VCONV_ERR_INVALID_ARG,
                           "the plan is %s: run it with vconv_conv_run_q",
                           vconv_dtype_name(c->p.src_dt));
    const size_t ses = vconv_dtype_size(c->p.src_dt);
    const size_t des = vconv_dtype_size(c->p.dst_dt);
    uintptr_t s0 = (uintptr_t)src, s1 = s0 + vconv_src_elems(&c->p) * ses;
    uintptr_t d0 = (uintptr_t)dst, d1 = d0 + vconv_dst_elems(&c->p) * des;
    if (s0 < d1 && d0 < s1)
        return vconv_error(VCONV_ERR_INVALID_ARG,
                           "src [%p, +%zu %s) and dst [%p, +%zu %s) "
                           "overlap",
                           src, vconv_src_elems(&c->p),
                           q ? vconv_dtype_name(c->p.src_dt) : "floats", dst,
                           vconv_dst_elems(&c->p),
                           q ? vconv_dtype_name(c->p.dst_dt) : "floats");
    double t0 = c->verbose ? vconv_now() : 0;
    vconv_status s = q ? c->impl->run_q(c->state, &c->p, src, dst)
                       : c->impl->run(c->state, &c->p, src, dst);
    if (s == VCONV_ERR_NO_MEMORY)
        s = vconv_error(s, "%s: no memory for the run's scratch",
                        c->impl->name);
    if (c->verbose) {
        char ps[256];
        vconv_problem_str(&c->p, ps, sizeof ps);
        vconv_log("run,%s,%s,threads:%d,%s,%.4f ms", c->impl->name, ps,
                  c->p.threads, s == VCONV_OK ? "ok" : vconv_status_str(s),
                  (vconv_now() - t0) * 1e3);
    }
    return s;
}

vconv_status vconv_conv_run(const vconv_conv *c, const float *src, float *dst)
{
    return run_any(c, src, dst, false);
}

vconv_status vconv_conv_run_q(const vconv_conv *c, const void *src, void *dst)
{
    return run_any(c, src, dst, true);
}

const char *vconv_conv_impl_name(const vconv_conv *c)
{
    return c ? c->impl->name : NULL;
}

int vconv_conv_threads(const vconv_conv *c) { return c ? c->p.threads : 0; }

void vconv_conv_destroy(vconv_conv *c)
{
    if (!c)
        return;
    c->impl->destroy(c->state);
    free(c);
}

int vconv_impl_count(void)
{
    int n;
    vconv_registry(&n);
    return n;
}

vconv_status vconv_impl_get(int index, vconv_impl_info *info)
{
    int n;
    const vconv_impl *const *t = vconv_registry(&n);
    if (!info)
        return vconv_error(VCONV_ERR_INVALID_ARG, "info is NULL");
    if (index < 0 || index >= n)
        return vconv_error(VCONV_ERR_INVALID_ARG,
                           "implementation index (%d) is not in 0..%d", index,
                           n - 1);
    info->name = t[index]->name;
    info->algo = t[index]->algo;
    info->isa = t[index]->isa;
    info->available = vconv_cpu_mask_has_isa(vconv_cpu_features(),
                                             t[index]->isa) &&
                      vconv_cpu_mask_has_features(vconv_cpu_features(),
                                                  t[index]->cpu_needs);
    return VCONV_OK;
}
