/*
 * test_gbench_shim.c - the C API over Google Benchmark (bench/gbench_shim.h)
 * works from C: registered C callbacks run with their context and
 * arguments, counters and labels reach Google Benchmark's reporters, the
 * --benchmark_* flags are taken from argv, manual time and fixed
 * iterations are honoured. This program checks what C can see (the
 * callbacks ran, with the right arguments, the flags were consumed); the
 * JSON it writes with --benchmark_out is checked by check_gbench_json.py
 * (counter values, rate arithmetic, manual time, label).
 */
#include "gbench_shim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    float *x, *y;
    int calls;          /* body calls */
    int64_t iters;      /* iterations run in the last call */
    int64_t seen_arg;
} saxpy_ctx;

static void saxpy(gbs_state *st, void *arg)
{
    saxpy_ctx *c = arg;
    int64_t n = gbs_arg(st, 0);
    c->seen_arg = n;
    c->calls++;
    c->iters = 0;
    while (gbs_keep_running(st)) {
        for (int64_t i = 0; i < n; i++)
            c->y[i] = 0.5f * c->x[i] + c->y[i];
        gbs_escape(c->y);
        gbs_clobber();
        c->iters++;
    }
    /* 2 n FLOPs an iteration, as GFLOP: Google Benchmark makes the rate */
    gbs_counter(st, "GFLOP/s", 2e-9 * (double)n,
                GBS_RATE | GBS_ITERATION_INVARIANT);
    gbs_counter(st, "%peak", 12.5, GBS_PLAIN);
    gbs_counter(st, "ratio", 0.5, GBS_PLAIN);
    gbs_counter(st, "error", 1e-7, GBS_PLAIN);
    gbs_set_label(st, "c-callback");
}

static int manual_calls;
static void manual(gbs_state *st, void *arg)
{
    (void)arg;
    manual_calls++;
    while (gbs_keep_running(st))
        gbs_set_iteration_time(st, 0.001); /* 1 ms an iteration, exactly */
    gbs_counter(st, "per_iter", 3.0, GBS_ITERATION_INVARIANT |
                                         GBS_AVG_ITERATIONS);
}

static int failing_calls;
static void failing(gbs_state *st, void *arg)
{
    (void)arg;
    failing_calls++;
    gbs_skip_with_error(st, "skipped on purpose");
    while (gbs_keep_running(st)) {
    }
}

int main(int argc, char **argv)
{
    gbs_initialize(&argc, argv);
    if (argc != 1) {
        printf("FAIL: %d arguments left after gbs_initialize (first: %s)\n",
               argc - 1, argv[1]);
        return 1;
    }
    if (!gbs_is_google_benchmark())
        printf("note: the C fallback, not Google Benchmark\n");
    enum { N = 4096 };
    saxpy_ctx c = {malloc(N * sizeof(float)), malloc(N * sizeof(float)), 0,
                   0, 0};
    if (!c.x || !c.y)
        return 1;
    for (int i = 0; i < N; i++) {
        c.x[i] = (float)i;
        c.y[i] = 0;
    }
    int64_t args[] = {N};
    int bad = gbs_register("shim/saxpy", saxpy, &c,
                           &(gbs_options){.args = args, .nargs = 1,
                                          .unit = GBS_US});
    bad |= gbs_register("shim/manual", manual, NULL,
                        &(gbs_options){.manual_time = 1, .unit = GBS_MS,
                                       .iterations = 7});
    bad |= gbs_register("shim/failing", failing, NULL, NULL);
    int64_t too_many[9] = {0};
    if (gbs_register("shim/bad", saxpy, &c,
                     &(gbs_options){.args = too_many, .nargs = 9}) != -1) {
        printf("FAIL: 9 arguments were accepted\n");
        return 1;
    }
    if (bad) {
        printf("FAIL: registration failed\n");
        return 1;
    }
    size_t ran = gbs_run(1);
    gbs_shutdown();
    int fails = 0;
    if (ran != 3) {
        printf("FAIL: %zu benchmarks ran, expected 3\n", ran);
        fails++;
    }
    if (c.calls < 1 || c.seen_arg != N || c.iters < 1) {
        printf("FAIL: saxpy: %d calls, argument %lld, %lld iterations\n",
               c.calls, (long long)c.seen_arg, (long long)c.iters);
        fails++;
    }
    if (manual_calls != 1 || failing_calls != 1) {
        printf("FAIL: manual ran %d times (1 expected: fixed iterations), "
               "failing %d times\n",
               manual_calls, failing_calls);
        fails++;
    }
    /* the work happened: y = 0.5 x * (total iterations) */
    if (c.y[2] <= 0) {
        printf("FAIL: the measured work left no trace (y[2] = %g)\n", c.y[2]);
        fails++;
    }
    free(c.x);
    free(c.y);
    if (!fails)
        printf("shim: %zu benchmarks ran from C\n", ran);
    return fails ? 1 : 0;
}
