/*
 * tune.c - time every candidate on the real problem, keep the fastest,
 * remember it in the tuning cache (tune_cache.h: format and safety).
 */
#include "tune.h"
#include "cpu.h"
#include "dispatch.h"
#include "tune_cache.h"

#include <math.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static atomic_int warned_read, warned_write;
static atomic_int n_timed, n_hits, n_writes, n_problems;

vconv_tune_stats vconv_tune_stats_for_testing(void)
{
    vconv_tune_stats s = {n_timed, n_hits, n_writes, n_problems};
    return s;
}

void vconv_tune_reset_for_testing(void)
{
    warned_read = warned_write = 0;
    n_timed = n_hits = n_writes = n_problems = 0;
}

/* One warning per process and kind: a bad cache must not flood stderr
   with a line per create. */
static void warn_once(atomic_int *flag, const char *fmt, ...)
    VCONV_PRINTF(2, 3);
static void warn_once(atomic_int *flag, const char *fmt, ...)
{
    n_problems++;
    if (atomic_exchange(flag, 1))
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "vconv: warning: %s (further tuning cache warnings of "
                    "this process are not shown)\n",
            msg);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median seconds of `reps` runs after one warm-up; INFINITY if it fails. */
static double time_impl(const vconv_impl *im, const vconv_problem *p,
                        const float *w, const float *b, const float *src,
                        float *dst)
{
    void *state = NULL;
    n_timed++;
    if (im->create(p, w, b, &state) != VCONV_OK)
        return INFINITY;
    enum { REPS = 5 };
    double t[REPS];
    double best = INFINITY;
    if (im->run(state, p, src, dst) == VCONV_OK) {
        int reps = 0;
        double start = vconv_now();
        for (; reps < REPS; reps++) {
            double t0 = vconv_now();
            if (im->run(state, p, src, dst) != VCONV_OK)
                break;
            t[reps] = vconv_now() - t0;
            /* a slow candidate (the reference) need not run five times */
            if (vconv_now() - start > 0.25 && reps >= 1) {
                reps++;
                break;
            }
        }
        if (reps > 0) {
            qsort(t, (size_t)reps, sizeof t[0], cmp_double);
            best = t[reps / 2];
        }
    }
    im->destroy(state);
    return best;
}

/* Whether the cached entry may be used: the implementation exists, its ISA
   runs here (checked before any of its functions is called) and it is one
   of the candidates (so it supports p). Index into cand, or -1 and why. */
static int validate(const vconv_tune_entry *e, const vconv_problem *p,
                    const vconv_impl *const *cand, int n, char *why,
                    size_t len)
{
    const vconv_impl *im = vconv_registry_find(e->impl);
    if (!im) {
        snprintf(why, len, "names implementation '%s', which this library "
                           "does not have",
                 e->impl);
        return -1;
    }
    if (!vconv_cpu_mask_has_isa(vconv_cpu_features(), im->isa)) {
        snprintf(why, len, "names %s, whose ISA this CPU lacks", im->name);
        return -1;
    }
    for (int i = 0; i < n; i++)
        if (cand[i] == im)
            return i;
    char r[200] = "";
    if (!im->supports(p, r, sizeof r))
        snprintf(why, len, "names %s, which does not support the problem (%s)",
                 im->name, r[0] ? r : "unsupported shape");
    else
        snprintf(why, len, "names %s, which is not a candidate", im->name);
    return -1;
}

int vconv_tune_cache_choose(const vconv_tune_cache *c, const char *key,
                            const vconv_problem *p,
                            const vconv_impl *const *cand, int n,
                            uint64_t *ns, char *why, size_t len)
{
    if (len)
        why[0] = 0;
    const vconv_tune_entry *e = vconv_tune_cache_find(c, key);
    if (!e)
        return -1;
    int i = validate(e, p, cand, n, why, len);
    if (i >= 0 && ns)
        *ns = e->ns;
    return i;
}

vconv_status vconv_tune_pick(const vconv_problem *p,
                             const vconv_impl *const *cand, int n,
                             const float *weights, const float *bias,
                             int *pick, double *ms, char *why, size_t len)
{
    char key[VCONV_TUNE_MAX_LINE], path[4096], err[512];
    bool have_key = vconv_tune_key(p, cand, n, key, sizeof key) > 0;
    bool have_path = vconv_tune_cache_path(path, sizeof path);
    bool writable = have_key && have_path;
    for (int i = 0; i < n; i++)
        ms[i] = NAN;
    *pick = 0;

    if (!have_path)
        warn_once(&warned_write, "no tuning cache: neither VCONV_TUNE_CACHE, "
                                 "XDG_CACHE_HOME nor HOME is set");
    if (have_key && have_path) {
        vconv_tune_cache c;
        vconv_tune_cache_init(&c);
        err[0] = 0;
        if (!vconv_tune_cache_load(path, &c, err, sizeof err) || !c.ours) {
            warn_once(&warned_read, "tuning cache %s: %s; ignored and not "
                                    "overwritten",
                      path, err[0] ? err : c.why);
            writable = false;
        } else if (c.bad) {
            warn_once(&warned_read,
                      "tuning cache %s: %d bad line%s ignored (the first: "
                      "%s); they go at the next write",
                      path, c.bad, c.bad > 1 ? "s" : "", c.why);
        }
        uint64_t ns = 0;
        int i = vconv_tune_cache_choose(&c, key, p, cand, n, &ns, err,
                                        sizeof err);
        if (i >= 0 || err[0]) {
            if (i >= 0) {
                *pick = i;
                ms[i] = (double)ns * 1e-6;
                n_hits++;
                snprintf(why, len, "tuning cache %s: %.4g ms when tuned",
                         path, ms[i]);
                vconv_tune_cache_free(&c);
                return VCONV_OK;
            }
            warn_once(&warned_read, "tuning cache %s: the entry for this "
                                    "problem %s; tuning again",
                      path, err);
        }
        vconv_tune_cache_free(&c);
    }

    float *src = vconv_alloc(vconv_src_elems(p) * sizeof(float));
    float *dst = vconv_alloc(vconv_dst_elems(p) * sizeof(float));
    if (!src || !dst) {
        vconv_free(src);
        vconv_free(dst);
        return vconv_error(VCONV_ERR_NO_MEMORY,
                           "tuning: no memory for the trial buffers");
    }
    /* deterministic, sign-varying data: timings must not depend on
       denormals or zeros */
    uint32_t x = 12345;
    for (size_t i = 0; i < vconv_src_elems(p); i++) {
        x = x * 1664525u + 1013904223u;
        src[i] = (float)((int)(x >> 9) - (1 << 22)) / (float)(1 << 22);
    }
    double best = INFINITY;
    for (int i = 0; i < n; i++) {
        double t = time_impl(cand[i], p, weights, bias, src, dst);
        ms[i] = isfinite(t) ? t * 1e3 : NAN;
        if (t < best) {
            best = t;
            *pick = i;
        }
    }
    vconv_free(src);
    vconv_free(dst);
    if (!isfinite(best)) {
        snprintf(why, len, "tuning: every candidate failed; first in table "
                           "order, not cached");
        return VCONV_OK;
    }
    const char *stored = "not cached";
    char line[VCONV_TUNE_MAX_LINE + 1];
    if (writable &&
        vconv_tune_format_line(key, cand[*pick]->name,
                               (uint64_t)(best * 1e9 + 0.5), line,
                               sizeof line) > 0) {
        if (vconv_tune_cache_store(path, line, err, sizeof err)) {
            n_writes++;
            stored = "written to the tuning cache";
        } else {
            warn_once(&warned_write, "tuning cache %s: %s", path, err);
        }
    }
    snprintf(why, len, "tuned: fastest of %d, %.4g ms; %s%s%s", n,
             best * 1e3, stored, writable ? " " : "", writable ? path : "");
    return VCONV_OK;
}
