/*
 * gbench_shim_fallback.c - gbench_shim.h in C, for builds without Google
 * Benchmark or a C++ compiler (the aarch64 cross build). It keeps the
 * same measuring rule as Google Benchmark where it matters to the callers:
 * the body runs with 1 iteration, then with more, each count predicted
 * from the last (x1.4 margin, at most x10), until the measured time (manual
 * time where asked) reaches --benchmark_min_time (0.5 s); only the last run
 * is reported. Flags: --benchmark_filter=REGEX (POSIX extended; a leading
 * '-' negates) and --benchmark_min_time=SECONDS; every other --benchmark_*
 * flag stays in argv for the caller to refuse. Rates divide by wall (or
 * manual) time, where Google Benchmark uses CPU time.
 */
#define _POSIX_C_SOURCE 200809L
#include "gbench_shim.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_COUNTERS 64

typedef struct {
    char name[96];
    double value;
    unsigned flags;
} counter;

struct gbs_state {
    const int64_t *args;
    int nargs;
    int64_t max_iter, done;
    int started, running, error, manual;
    double t_start, elapsed, manual_total;
    counter counters[MAX_COUNTERS];
    int ncounters;
    char label[256];
    char err[256];
};

typedef struct {
    char *name;
    gbs_fn fn;
    void *ctx;
    int64_t args[8];
    int nargs;
    int manual;
    gbs_unit unit;
    int64_t iterations;
} registered;

static registered *regs;
static int nregs;
static char *filter;
static double min_time = 0.5;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void gbs_initialize(int *argc, char **argv)
{
    int out = 1;
    for (int i = 1; i < *argc; i++) {
        const char *a = argv[i];
        if (!strncmp(a, "--benchmark_filter=", 19)) {
            free(filter);
            filter = strdup(a + 19);
        } else if (!strncmp(a, "--benchmark_min_time=", 21)) {
            char *end;
            double t = strtod(a + 21, &end);
            if (end != a + 21 && *end == 0 && t > 0)
                min_time = t;
            else
                argv[out++] = argv[i]; /* malformed: the caller refuses it */
        } else {
            argv[out++] = argv[i];
        }
    }
    *argc = out;
    argv[out] = NULL;
}

int gbs_register(const char *name, gbs_fn fn, void *ctx,
                 const gbs_options *opt)
{
    if (!name || !fn || (opt && (opt->nargs < 0 || opt->nargs > 8)))
        return -1;
    registered *r = realloc(regs, (size_t)(nregs + 1) * sizeof *r);
    if (!r)
        return -1;
    regs = r;
    registered *g = &regs[nregs];
    memset(g, 0, sizeof *g);
    g->name = strdup(name);
    if (!g->name)
        return -1;
    g->fn = fn;
    g->ctx = ctx;
    if (opt) {
        g->nargs = opt->nargs;
        for (int i = 0; i < opt->nargs; i++)
            g->args[i] = opt->args[i];
        g->manual = opt->manual_time;
        g->unit = opt->unit;
        g->iterations = opt->iterations;
    }
    nregs++;
    return 0;
}

static double finish_counter(const counter *c, int64_t iters, double secs)
{
    double v = c->value;
    if (c->flags & GBS_ITERATION_INVARIANT)
        v *= (double)iters;
    if (c->flags & GBS_AVG_ITERATIONS)
        v /= (double)iters;
    if (c->flags & GBS_RATE)
        v = secs > 0 ? v / secs : 0;
    return v;
}

static void report(const registered *g, const gbs_state *st, double secs)
{
    static const char *units[] = {"ns", "us", "ms", "s"};
    static const double scale[] = {1e9, 1e6, 1e3, 1};
    if (st->error) {
        printf("%-40s ERROR OCCURRED: '%s'\n", g->name, st->err);
        return;
    }
    double per = st->done ? secs / (double)st->done : 0;
    printf("%-40s %12.3f %s %10lld", g->name, per * scale[g->unit],
           units[g->unit], (long long)st->done);
    for (int i = 0; i < st->ncounters; i++)
        printf(" %s=%g", st->counters[i].name,
               finish_counter(&st->counters[i], st->done, secs));
    if (st->label[0])
        printf(" %s", st->label);
    printf("\n");
}

size_t gbs_run(int quiet)
{
    regex_t re;
    int have_re = 0, negate = 0;
    if (filter && *filter && strcmp(filter, "all") && strcmp(filter, ".")) {
        const char *f = filter;
        if (*f == '-') {
            negate = 1;
            f++;
        }
        if (regcomp(&re, f, REG_EXTENDED | REG_NOSUB) != 0) {
            fprintf(stderr, "invalid --benchmark_filter '%s'\n", filter);
            return 0;
        }
        have_re = 1;
    }
    size_t ran = 0;
    if (!quiet)
        printf("%-40s %15s %10s  counters (built without Google "
               "Benchmark)\n",
               "benchmark", "time", "iterations");
    for (int b = 0; b < nregs; b++) {
        registered *g = &regs[b];
        if (have_re && (regexec(&re, g->name, 0, NULL, 0) == 0) == negate)
            continue;
        int64_t iters = g->iterations > 0 ? g->iterations : 1;
        gbs_state *st = malloc(sizeof *st);
        if (!st)
            break;
        for (;;) {
            memset(st, 0, sizeof *st);
            st->args = g->args;
            st->nargs = g->nargs;
            st->max_iter = iters;
            st->manual = g->manual;
            g->fn(st, g->ctx);
            if (st->running) /* a body that left its loop early */
                st->elapsed += now() - st->t_start;
            double secs = g->manual ? st->manual_total : st->elapsed;
            if (st->error || g->iterations > 0 || secs >= min_time ||
                iters >= 1000000000) {
                if (!quiet)
                    report(g, st, secs);
                break;
            }
            double mult = min_time * 1.4 / (secs > 1e-9 ? secs : 1e-9);
            if (mult > 10)
                mult = 10;
            int64_t next = (int64_t)((double)iters * mult);
            iters = next > iters ? next : iters + 1;
        }
        free(st);
        ran++;
    }
    if (have_re)
        regfree(&re);
    fflush(stdout);
    return ran;
}

void gbs_shutdown(void)
{
    for (int i = 0; i < nregs; i++)
        free(regs[i].name);
    free(regs);
    regs = NULL;
    nregs = 0;
    free(filter);
    filter = NULL;
}

int gbs_is_google_benchmark(void) { return 0; }

int gbs_keep_running(gbs_state *st)
{
    if (!st->started) {
        st->started = 1;
        st->running = 1;
        st->t_start = now();
    }
    if (!st->error && st->done < st->max_iter) {
        st->done++;
        return 1;
    }
    if (st->running) {
        st->elapsed += now() - st->t_start;
        st->running = 0;
    }
    return 0;
}

int64_t gbs_arg(const gbs_state *st, int i)
{
    return i >= 0 && i < st->nargs ? st->args[i] : 0;
}

int64_t gbs_max_iterations(const gbs_state *st) { return st->max_iter; }

void gbs_set_iteration_time(gbs_state *st, double seconds)
{
    st->manual_total += seconds;
}

void gbs_pause_timing(gbs_state *st)
{
    if (st->running) {
        st->elapsed += now() - st->t_start;
        st->running = 0;
    }
}

void gbs_resume_timing(gbs_state *st)
{
    if (!st->running) {
        st->running = 1;
        st->t_start = now();
    }
}

void gbs_counter(gbs_state *st, const char *name, double value,
                 unsigned flags)
{
    int i = 0;
    while (i < st->ncounters && strcmp(st->counters[i].name, name))
        i++;
    if (i == MAX_COUNTERS)
        return;
    if (i == st->ncounters) {
        st->ncounters++;
        snprintf(st->counters[i].name, sizeof st->counters[i].name, "%s",
                 name);
    }
    st->counters[i].value = value;
    st->counters[i].flags = flags;
}

void gbs_set_label(gbs_state *st, const char *label)
{
    snprintf(st->label, sizeof st->label, "%s", label);
}

void gbs_skip_with_error(gbs_state *st, const char *msg)
{
    st->error = 1;
    snprintf(st->err, sizeof st->err, "%s", msg);
}

/* Out-of-line calls: the compiler cannot see through them (no LTO across
   this file), which is all the _fn forms promise. */
const void *volatile gbs_sink_;
void gbs_escape_fn(const void *p)
{
    gbs_sink_ = p;
}

void gbs_clobber_fn(void) {}
