/* tune.c - time every candidate on the real problem, keep the fastest. */
#include "tune.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

vconv_status vconv_tune_pick(const vconv_problem *p,
                             const vconv_impl *const *cand, int n,
                             const float *weights, const float *bias,
                             int *pick, char *why, size_t len)
{
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
    *pick = 0;
    for (int i = 0; i < n; i++) {
        double t = time_impl(cand[i], p, weights, bias, src, dst);
        if (t < best) {
            best = t;
            *pick = i;
        }
    }
    vconv_free(src);
    vconv_free(dst);
    snprintf(why, len, "tuned: %.3g ms, fastest of %d", best * 1e3, n);
    return VCONV_OK;
}
