/*
 * select.c - options + environment, and the choice of an implementation.
 *
 * The order of decisions (oneDNN's habit: every refusal has a reason, and
 * VCONV_VERBOSE=1 prints them):
 *   1. the entry's ISA must be usable on this CPU (CPUID + OS state), and at
 *      or below max_isa; no function of an entry is called before this;
 *   2. a forced algorithm or implementation name excludes the others;
 *   3. supports() must hold (shape constraints);
 *   4. tuning on: time the candidates (or read the tuning cache);
 *      else the heuristic: the lowest estimate() wins, ties to table order.
 * A forced algorithm / ISA / name with no candidate is VCONV_ERR_UNSUPPORTED
 * with the reasons, never a silent substitute.
 */
#include "dispatch.h"
#include "cpu.h"
#include "topology.h"
#include "tune.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

bool vconv_parse_isa(const char *s, vconv_isa *isa)
{
    static const struct { const char *n; vconv_isa v; } t[] = {
        {"scalar", VCONV_ISA_SCALAR}, {"avx2", VCONV_ISA_AVX2},
        {"avx512", VCONV_ISA_AVX512}, {"neon", VCONV_ISA_NEON},
        {"auto", VCONV_ISA_AUTO}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (strcasecmp(s, t[i].n) == 0) {
            *isa = t[i].v;
            return true;
        }
    return false;
}

bool vconv_parse_algo(const char *s, vconv_algo *algo)
{
    static const struct { const char *n; vconv_algo v; } t[] = {
        {"ref", VCONV_ALGO_REF}, {"direct", VCONV_ALGO_DIRECT},
        {"im2col", VCONV_ALGO_IM2COL}, {"winograd", VCONV_ALGO_WINOGRAD},
        {"auto", VCONV_ALGO_AUTO}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (strcasecmp(s, t[i].n) == 0) {
            *algo = t[i].v;
            return true;
        }
    return false;
}

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

/* A whole decimal integer, or false. */
static bool parse_int(const char *s, long lo, long hi, int *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (end == s || *end || v < lo || v > hi)
        return false;
    *out = (int)v;
    return true;
}

int vconv_default_threads(void)
{
    int n;
    const char *e = env("VCONV_THREADS");
    if (e && parse_int(e, 1, 4096, &n))
        return n;
    return vconv_topology_get()->cores;
}

vconv_status vconv_resolve_options(const vconv_options *opt, vconv_resolved *r)
{
    vconv_options o = {0};
    if (opt)
        o = *opt;
    if ((unsigned)o.algo > VCONV_ALGO_WINOGRAD)
        return vconv_error(VCONV_ERR_INVALID_ARG,
                           "options.algo (%d) is not a vconv_algo (0..%d)",
                           (int)o.algo, (int)VCONV_ALGO_WINOGRAD);
    if ((unsigned)o.max_isa > VCONV_ISA_NEON)
        return vconv_error(VCONV_ERR_INVALID_ARG,
                           "options.max_isa (%d) is not a vconv_isa (0..%d)",
                           (int)o.max_isa, (int)VCONV_ISA_NEON);
    if (o.threads < 0)
        return vconv_error(VCONV_ERR_INVALID_ARG,
                           "options.threads (%d) must not be negative (0: one "
                           "per physical core)",
                           o.threads);
    if (o.tune < -1 || o.tune > 1)
        return vconv_error(VCONV_ERR_INVALID_ARG,
                           "options.tune (%d) is not -1, 0 or 1", o.tune);
    const char *e;
    if (o.algo == VCONV_ALGO_AUTO && (e = env("VCONV_ALGO")) &&
        !vconv_parse_algo(e, &o.algo))
        return vconv_error(VCONV_ERR_INVALID_ARG,
                           "VCONV_ALGO='%s' is not one of "
                           "auto|ref|direct|im2col|winograd",
                           e);
    if (o.max_isa == VCONV_ISA_AUTO && (e = env("VCONV_MAX_ISA")) &&
        !vconv_parse_isa(e, &o.max_isa))
        return vconv_error(VCONV_ERR_INVALID_ARG,
                           "VCONV_MAX_ISA='%s' is not one of "
                           "auto|scalar|avx2|avx512|neon",
                           e);
    if (!o.impl && (e = env("VCONV_IMPL"))) {
        if (!vconv_registry_find(e))
            return vconv_error(VCONV_ERR_INVALID_ARG,
                               "VCONV_IMPL='%s' names no implementation "
                               "(vconv-bench cpu lists them)",
                               e);
        o.impl = e;
    }
    if (o.tune == 0 && (e = env("VCONV_TUNE")) &&
        !parse_int(e, 0, 1, &o.tune))
        return vconv_error(VCONV_ERR_INVALID_ARG,
                           "VCONV_TUNE='%s' is not 0 or 1", e);
    if (o.threads == 0 && (e = env("VCONV_THREADS")) &&
        !parse_int(e, 1, 4096, &o.threads))
        return vconv_error(VCONV_ERR_INVALID_ARG,
                           "VCONV_THREADS='%s' is not a thread count "
                           "(1..4096)",
                           e);
    if (o.impl && !vconv_registry_find(o.impl))
        return vconv_error(VCONV_ERR_INVALID_ARG,
                           "options.impl '%s' names no implementation "
                           "(vconv-bench cpu lists them)",
                           o.impl);
    r->algo = o.algo;
    r->max_isa = o.max_isa;
    r->impl = o.impl;
    r->tune = o.tune == 1;
    r->threads = o.threads > 0 ? o.threads : vconv_default_threads();
    return VCONV_OK;
}

double vconv_isa_nominal_gflops(vconv_isa isa)
{
    /* 2 FMA pipes x lanes x 2 FLOP x ~3.5 GHz; scalar code gets some
       auto-vectorisation, hence more than 2 x 2 x 3.5. */
    switch (isa) {
    case VCONV_ISA_AVX512: return 224.0;
    case VCONV_ISA_AVX2: return 112.0;
    case VCONV_ISA_NEON: return 56.0;
    default: return 14.0;
    }
}

/* The ISA families: x86 (scalar < avx2 < avx512) and arm (scalar < neon). */
static bool isa_at_most(vconv_isa isa, vconv_isa cap)
{
    if (cap == VCONV_ISA_AUTO || isa == VCONV_ISA_SCALAR)
        return true;
    if (cap == VCONV_ISA_NEON)
        return isa == VCONV_ISA_NEON;
    if (isa == VCONV_ISA_NEON)
        return false;
    return isa <= cap;
}

/* A one-line log under construction; long lines are cut, not overflowed. */
typedef struct {
    char buf[4096];
    size_t used;
} line;

static void add(line *l, const char *fmt, ...) VCONV_PRINTF(2, 3);
static void add(line *l, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(l->buf + l->used, sizeof l->buf - l->used, fmt, ap);
    va_end(ap);
    if (n > 0)
        l->used = l->used + (size_t)n < sizeof l->buf ? l->used + (size_t)n
                                                      : sizeof l->buf - 1;
}

vconv_status vconv_select(const vconv_problem *p, const vconv_resolved *r,
                          const float *weights, const float *bias,
                          const vconv_impl **chosen)
{
    int n;
    const vconv_impl *const *tab = vconv_registry(&n);
    const uint32_t mask = vconv_cpu_features();
    const bool verbose = vconv_verbose_level() > 0;
    const vconv_impl *cand[64];
    double est[64];
    int nc = 0;
    line log = {.used = 0}, refusals = {.used = 0};
    char why[256];

    *chosen = NULL;
    if (r->max_isa != VCONV_ISA_AUTO && r->max_isa != VCONV_ISA_SCALAR &&
        !vconv_cpu_mask_has_isa(mask, r->max_isa) &&
        (r->max_isa == VCONV_ISA_NEON) != (bool)VCONV_ARCH_AARCH64)
        return vconv_error(VCONV_ERR_UNSUPPORTED,
                           "max_isa %s cannot run on this CPU (%s)",
                           vconv_isa_name(r->max_isa),
                           VCONV_ARCH_X86_64 ? "x86-64" : "not x86-64");
    if (verbose) {
        char ps[256];
        vconv_problem_str(p, ps, sizeof ps);
        add(&log, "create,%s,threads:%d,", ps, p->threads);
    }
    for (int i = 0; i < n; i++) {
        const vconv_impl *im = tab[i];
        why[0] = 0;
        if (r->impl && strcmp(r->impl, im->name) != 0)
            continue; /* forced by name: the others are not candidates */
        if (!vconv_cpu_mask_has_isa(mask, im->isa))
            snprintf(why, sizeof why, "cpu lacks %s", vconv_isa_name(im->isa));
        else if (!isa_at_most(im->isa, r->max_isa))
            snprintf(why, sizeof why, "isa above max_isa %s",
                     vconv_isa_name(r->max_isa));
        else if (r->algo != VCONV_ALGO_AUTO && im->algo != r->algo)
            snprintf(why, sizeof why, "algo forced to %s",
                     vconv_algo_name(r->algo));
        else if (!im->supports(p, why, sizeof why) && !why[0])
            snprintf(why, sizeof why, "unsupported shape");
        if (why[0]) {
            if (verbose)
                add(&log, " %s:no(%s);", im->name, why);
            if (r->impl || im->algo == r->algo)
                add(&refusals, "%s%s: %s", refusals.used ? "; " : "", im->name,
                    why);
            continue;
        }
        if (nc == (int)(sizeof cand / sizeof cand[0]))
            break;
        why[0] = 0;
        est[nc] = im->estimate ? im->estimate(p, why, sizeof why) : INFINITY;
        if (!im->estimate)
            snprintf(why, sizeof why, "no estimate");
        if (verbose) {
            if (isfinite(est[nc]))
                add(&log, " %s:est=%.3gms;", im->name, est[nc] * 1e3);
            else
                add(&log, " %s:est=never-by-default(%s);", im->name, why);
        }
        cand[nc++] = im;
    }
    if (nc == 0) {
        if (r->impl)
            return vconv_error(VCONV_ERR_UNSUPPORTED,
                               "implementation %s cannot run this problem: %s",
                               r->impl, refusals.buf);
        return vconv_error(VCONV_ERR_UNSUPPORTED,
                           "no %s implementation%s%s can run this problem%s%s",
                           r->algo != VCONV_ALGO_AUTO ? vconv_algo_name(r->algo)
                                                      : "",
                           r->max_isa != VCONV_ISA_AUTO ? " up to isa " : "",
                           r->max_isa != VCONV_ISA_AUTO
                               ? vconv_isa_name(r->max_isa)
                               : "",
                           refusals.used ? ": " : "", refusals.buf);
    }
    const char *how;
    int pick = 0;
    if (nc == 1) {
        how = "the only candidate";
    } else if (r->tune) {
        vconv_status s = vconv_tune_pick(p, cand, nc, weights, bias, &pick,
                                         why, sizeof why);
        if (s != VCONV_OK)
            return s;
        how = why;
    } else {
        /* the lowest estimate; when every candidate is "never by default"
           (a forced algorithm whose variants all exceed a bound), the first
           in table order */
        for (int i = 1; i < nc; i++)
            if (est[i] < est[pick])
                pick = i;
        how = isfinite(est[pick]) ? "lowest estimate"
                                  : "first in table order (all excluded by "
                                    "default, forced)";
    }
    *chosen = cand[pick];
    if (verbose) {
        add(&log, " chose:%s(%s)", cand[pick]->name, how);
        vconv_log("%s", log.buf);
    }
    return VCONV_OK;
}
