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
#include "machine.h"
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
    /* Every variable is checked whether or not an option overrides it: a
       value the library cannot read is an error, never silently ignored. */
    const char *e;
    vconv_algo env_algo = VCONV_ALGO_AUTO;
    vconv_isa env_isa = VCONV_ISA_AUTO;
    int env_tune = 0, env_threads = 0;
    if ((e = env("VCONV_ALGO")) && !vconv_parse_algo(e, &env_algo))
        return vconv_error(VCONV_ERR_INVALID_ARG,
                           "VCONV_ALGO='%s' is not one of "
                           "auto|ref|direct|im2col|winograd",
                           e);
    if ((e = env("VCONV_MAX_ISA")) && !vconv_parse_isa(e, &env_isa))
        return vconv_error(VCONV_ERR_INVALID_ARG,
                           "VCONV_MAX_ISA='%s' is not one of "
                           "auto|scalar|avx2|avx512|neon",
                           e);
    const char *env_impl = env("VCONV_IMPL");
    if (env_impl && !vconv_registry_find(env_impl))
        return vconv_error(VCONV_ERR_INVALID_ARG,
                           "VCONV_IMPL='%s' names no implementation "
                           "(vconv-bench cpu lists them)",
                           env_impl);
    if ((e = env("VCONV_TUNE")) && !parse_int(e, 0, 1, &env_tune))
        return vconv_error(VCONV_ERR_INVALID_ARG,
                           "VCONV_TUNE='%s' is not 0 or 1", e);
    if ((e = env("VCONV_THREADS")) && !parse_int(e, 1, 4096, &env_threads))
        return vconv_error(VCONV_ERR_INVALID_ARG,
                           "VCONV_THREADS='%s' is not a thread count "
                           "(1..4096)",
                           e);
    /* the options win; the environment fills what they leave at 0 */
    if (o.algo == VCONV_ALGO_AUTO)
        o.algo = env_algo;
    if (o.max_isa == VCONV_ISA_AUTO)
        o.max_isa = env_isa;
    if (!o.impl)
        o.impl = env_impl;
    if (o.tune == 0)
        o.tune = env_tune;
    if (o.threads == 0)
        o.threads = env_threads;
    int verbose = 0;
    if ((e = env("VCONV_VERBOSE")) && !parse_int(e, 0, 9, &verbose))
        return vconv_error(VCONV_ERR_INVALID_ARG,
                           "VCONV_VERBOSE='%s' is not a level 0..9 (1: a "
                           "line per create and per run)",
                           e);
    const char *machine_error = vconv_machine_get()->env_error;
    if (machine_error && machine_error[0])
        return vconv_error(VCONV_ERR_INVALID_ARG, "%s", machine_error);
    const char *cache_error = vconv_topology_get()->env_error;
    if (cache_error[0])
        return vconv_error(VCONV_ERR_INVALID_ARG, "%s", cache_error);
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
    r->verbose = verbose;
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
    char *buf;
    size_t len, used;
} line;

static void add(line *l, const char *fmt, ...) VCONV_PRINTF(2, 3);
static void add(line *l, const char *fmt, ...)
{
    if (!l->buf || l->len == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(l->buf + l->used, l->len - l->used, fmt, ap);
    va_end(ap);
    if (n > 0)
        l->used = l->used + (size_t)n < l->len ? l->used + (size_t)n
                                               : l->len - 1;
}

/* One registry entry as the selection saw it. */
typedef struct {
    const vconv_impl *im;
    bool cand;          /* passed every check */
    double est;         /* seconds; INFINITY: never by default */
    char why[200];      /* the refusal, or the estimate's note */
} row;

vconv_status vconv_select(const vconv_problem *p, const vconv_resolved *r,
                          const float *weights, const float *bias,
                          const vconv_impl **chosen, char *logbuf,
                          size_t loglen)
{
    int n;
    const vconv_impl *const *tab = vconv_registry(&n);
    const uint32_t mask = vconv_cpu_features();
    line log = {logbuf, logbuf ? loglen : 0, 0};
    char refusal_buf[2048];
    line refusals = {refusal_buf, sizeof refusal_buf, 0};
    char ps[256];

    *chosen = NULL;
    if (log.len) {
        log.buf[0] = 0;
        vconv_problem_str(p, ps, sizeof ps);
        add(&log, "create,%s,threads:%d,algo:%s,max_isa:%s%s%s%s,", ps,
            p->threads, vconv_algo_name(r->algo), vconv_isa_name(r->max_isa),
            r->impl ? ",impl:" : "", r->impl ? r->impl : "",
            r->tune ? ",tune" : "");
    }
    /* A cap of the other architecture's family can never run (max_isa =
       NEON on x86, AVX2 / AVX512 on arm): an error, not an empty choice. */
    if ((r->max_isa == VCONV_ISA_NEON && !vconv_cpu_mask_is_arm(mask)) ||
        ((r->max_isa == VCONV_ISA_AVX2 || r->max_isa == VCONV_ISA_AVX512) &&
         vconv_cpu_mask_is_arm(mask))) {
        add(&log, " chose:none(max_isa %s is not of this CPU's family)",
            vconv_isa_name(r->max_isa));
        return vconv_error(VCONV_ERR_UNSUPPORTED,
                           "max_isa %s cannot run on this CPU (%s)",
                           vconv_isa_name(r->max_isa),
                           vconv_cpu_mask_is_arm(mask) ? "arm" : "x86-64");
    }
    row *rows = calloc((size_t)(n > 0 ? n : 1), sizeof *rows);
    const vconv_impl **cand = calloc((size_t)(n > 0 ? n : 1), sizeof *cand);
    double *ms = calloc((size_t)(n > 0 ? n : 1), sizeof *ms);
    int *cand_row = calloc((size_t)(n > 0 ? n : 1), sizeof *cand_row);
    if (!rows || !cand || !ms || !cand_row) {
        free(rows);
        free(cand);
        free(ms);
        free(cand_row);
        return vconv_error(VCONV_ERR_NO_MEMORY, "no memory to select an "
                                                "implementation");
    }
    int nc = 0;
    const uint32_t kind = vconv_problem_kind(p); /* 0: float32 */
    for (int i = 0; i < n; i++) {
        row *w = &rows[i];
        const vconv_impl *im = w->im = tab[i];
        char *why = w->why;
        const size_t wl = sizeof w->why;
        bool named = r->impl && strcmp(r->impl, im->name) == 0;
        /* the ISA first: no function of the entry is called unless the CPU
           (mask) allows its ISA */
        if (r->impl && !named)
            snprintf(why, wl, "impl forced to %s", r->impl);
        else if (!vconv_cpu_mask_has_isa(mask, im->isa))
            snprintf(why, wl, "cpu lacks %s", vconv_isa_name(im->isa));
        else if (!vconv_cpu_mask_has_features(mask, im->cpu_needs)) {
            char f[160];
            vconv_cpu_mask_str(im->cpu_needs & ~mask, f, sizeof f);
            snprintf(why, wl, "cpu lacks %s", f);
        } else if (!isa_at_most(im->isa, r->max_isa))
            snprintf(why, wl, "isa above max_isa %s",
                     vconv_isa_name(r->max_isa));
        else if (kind ? !(im->dtypes & kind) : im->dtypes != 0)
            snprintf(why, wl, "%s", im->dtypes == 0 ? "f32 only"
                                    : im->dtypes == VCONV_DT_INT8 ? "int8 only"
                                    : im->dtypes == VCONV_DT_BF16 ? "bf16 only"
                                    : "low precision only");
        else if (r->algo != VCONV_ALGO_AUTO && im->algo != r->algo)
            snprintf(why, wl, "algo forced to %s", vconv_algo_name(r->algo));
        else if (!im->supports(p, why, wl) && !why[0])
            snprintf(why, wl, "unsupported shape");
        if (why[0]) {
            /* the reasons an error reports: those of the forced name, or of
               the forced algorithm, or (nothing forced) every entry's */
            if (named || (!r->impl && (r->algo == VCONV_ALGO_AUTO ||
                                       im->algo == r->algo)))
                add(&refusals, "%s%s: %s", refusals.used ? "; " : "",
                    im->name, why);
            continue;
        }
        w->cand = true;
        w->est = im->estimate ? im->estimate(p, why, wl) : INFINITY;
        if (!im->estimate)
            snprintf(why, wl, "no estimate");
        if (isnan(w->est) || w->est < 0)
            w->est = INFINITY; /* a broken estimate never wins by default */
        cand_row[nc] = i;
        cand[nc++] = im;
    }
    vconv_status st = VCONV_OK;
    const char *how = NULL;
    char tune_why[512];
    int pick = 0;
    for (int i = 0; i < nc; i++)
        ms[i] = NAN;
    if (nc == 0) {
        if (r->impl)
            st = vconv_error(VCONV_ERR_UNSUPPORTED,
                             "implementation %s cannot run this problem: %s",
                             r->impl, refusals.buf);
        else
            st = vconv_error(
                VCONV_ERR_UNSUPPORTED,
                "no %s implementation%s%s can run this problem%s%s",
                r->algo != VCONV_ALGO_AUTO ? vconv_algo_name(r->algo) : "",
                r->max_isa != VCONV_ISA_AUTO ? " up to isa " : "",
                r->max_isa != VCONV_ISA_AUTO ? vconv_isa_name(r->max_isa) : "",
                refusals.used ? ": " : "", refusals.buf);
    } else if (nc == 1) {
        how = r->impl ? "forced by name" : "the only candidate";
    } else if (r->tune) {
        st = vconv_tune_pick(p, cand, nc, weights, bias, &pick, ms, tune_why,
                             sizeof tune_why);
        how = tune_why;
    } else {
        /* the lowest estimate, ties to table order; when every candidate is
           "never by default" (a forced algorithm whose variants all exceed a
           bound), the first in table order */
        for (int i = 1; i < nc; i++)
            if (rows[cand_row[i]].est < rows[cand_row[pick]].est)
                pick = i;
        how = isfinite(rows[cand_row[pick]].est)
                  ? "lowest estimate"
                  : "first in table order (every candidate is excluded by "
                    "default; forced)";
    }
    /* every entry in table order: its refusal, or its estimate (and its
       time when tuned) */
    const bool cached = how && strncmp(how, "tuning cache", 12) == 0;
    for (int i = 0, ci = 0; i < n && log.len; i++) {
        const row *w = &rows[i];
        if (!w->cand) {
            add(&log, " %s:no(%s);", w->im->name, w->why);
            continue;
        }
        if (isfinite(w->est))
            add(&log, " %s:est=%.3gms", w->im->name, w->est * 1e3);
        else
            add(&log, " %s:est=never-by-default(%s)", w->im->name, w->why);
        if (!isnan(ms[ci]))
            add(&log, ",%s=%.4gms", cached ? "cached" : "tuned", ms[ci]);
        add(&log, ";");
        ci++;
    }
    if (st == VCONV_OK) {
        *chosen = cand[pick];
        add(&log, " chose:%s(%s)", cand[pick]->name, how);
    } else {
        add(&log, " chose:none(%s: %s)", vconv_status_str(st),
            vconv_last_error());
    }
    free(rows);
    free(cand);
    free(ms);
    free(cand_row);
    return st;
}
