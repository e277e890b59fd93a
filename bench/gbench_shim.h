/*
 * gbench_shim.h - a small C API over Google Benchmark, so the bench stays C.
 *
 * bench/gbench_shim.cc implements it over Google Benchmark (the only C++ in
 * the project); bench/gbench_shim_fallback.c implements the same API in C
 * for builds without Google Benchmark or a C++ compiler (the aarch64 cross
 * build): it runs the registered benchmarks with --benchmark_filter and
 * --benchmark_min_time only, and refuses the other --benchmark_* flags.
 *
 * Use:
 *
 *     static void body(gbs_state *st, void *ctx)
 *     {
 *         while (gbs_keep_running(st)) {
 *             work(ctx, gbs_arg(st, 0));
 *             gbs_clobber();             // the work's stores are observed
 *         }
 *         gbs_counter(st, "GFLOP/s", gflop_per_call,
 *                     GBS_RATE | GBS_ITERATION_INVARIANT);
 *     }
 *     ...
 *     gbs_initialize(&argc, argv);       // takes the --benchmark_* flags
 *     int64_t args[] = {64};
 *     gbs_register("conv/64", body, ctx,
 *                  &(gbs_options){.args = args, .nargs = 1});
 *     gbs_run(0);
 *     gbs_shutdown();
 */
#ifndef VCONV_BENCH_GBENCH_SHIM_H
#define VCONV_BENCH_GBENCH_SHIM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The running benchmark (a benchmark::State in the C++ implementation). */
typedef struct gbs_state gbs_state;

/* A benchmark body: runs `while (gbs_keep_running(st)) { ... }` once. */
typedef void (*gbs_fn)(gbs_state *st, void *ctx);

/* Counter flags (Google Benchmark's Counter::Flags). */
enum {
    GBS_PLAIN = 0,
    GBS_RATE = 1,                /* value / seconds of CPU time */
    GBS_ITERATION_INVARIANT = 2, /* value * iterations (a per-iteration
                                    amount; with GBS_RATE: a rate) */
    GBS_AVG_ITERATIONS = 4       /* value / iterations */
};

/* Time units of the report. */
typedef enum { GBS_NS = 0, GBS_US, GBS_MS, GBS_S } gbs_unit;

typedef struct {
    const int64_t *args;  /* one set of arguments, read with gbs_arg() */
    int nargs;            /* at most 8 */
    int manual_time;      /* 1: the body reports each iteration's time with
                             gbs_set_iteration_time(), and --benchmark_min_time
                             counts that time */
    gbs_unit unit;
    int64_t iterations;   /* > 0: exactly this many (no --benchmark_min_time
                             search) */
} gbs_options;

/* Takes the --benchmark_* flags out of argv (argc is updated; argv[0] is
   kept). Flags it does not know stay. Call once, before gbs_run. */
void gbs_initialize(int *argc, char **argv);

/* Registers a benchmark; opt may be NULL (no arguments, CPU/wall timing,
   ns). name is copied. Returns 0, or -1 when nargs is out of range. */
int gbs_register(const char *name, gbs_fn fn, void *ctx,
                 const gbs_options *opt);

/* Runs the registered benchmarks that --benchmark_filter selects, in
   registration order, with the reporters the flags ask for
   (--benchmark_format, --benchmark_out, --benchmark_out_format). quiet = 1:
   nothing on the console (a --benchmark_out file is still written).
   Returns the number of benchmarks run. */
size_t gbs_run(int quiet);

/* Frees what Google Benchmark holds. */
void gbs_shutdown(void);

/* 1 when the library behind the shim is Google Benchmark (0: the C
   fallback). */
int gbs_is_google_benchmark(void);

/* ----------------------------------------------------- inside the body */

/* The loop condition: 1 while iterations remain (starts the timer on the
   first call, stops it on the last). */
int gbs_keep_running(gbs_state *st);

/* The i-th argument of the registration (0 if none). */
int64_t gbs_arg(const gbs_state *st, int i);

/* The number of iterations this run of the body will do. */
int64_t gbs_max_iterations(const gbs_state *st);

/* With manual_time: the seconds the iteration that just ran took. */
void gbs_set_iteration_time(gbs_state *st, double seconds);

/* Exclude / include the time between the two from the measurement. */
void gbs_pause_timing(gbs_state *st);
void gbs_resume_timing(gbs_state *st);

/* Sets (or replaces) a user counter reported beside the time: in the
   console table, in the JSON ("name": value) and the CSV. flags: GBS_*. */
void gbs_counter(gbs_state *st, const char *name, double value,
                 unsigned flags);

/* A free text reported with the result (e.g. the implementation run). */
void gbs_set_label(gbs_state *st, const char *label);

/* Marks the run failed with msg; the body must still leave its loop
   (gbs_keep_running returns 0 from then on). */
void gbs_skip_with_error(gbs_state *st, const char *msg);

/*
 * Keeping the measured work alive. gbs_escape(p): the compiler must assume
 * the memory p points to is read and written here, so stores into it
 * cannot be deleted; gbs_clobber(): every memory is read and written here
 * (Chandler Carruth's escape / clobber, as benchmark::DoNotOptimize and
 * benchmark::ClobberMemory). Empty asm statements: no instruction, no call.
 * The _fn forms are the same as out-of-line calls, for other compilers.
 */
void gbs_escape_fn(const void *p);
void gbs_clobber_fn(void);
#if defined(__GNUC__) || defined(__clang__)
static inline void gbs_escape(const void *p)
{
    __asm__ __volatile__("" : : "g"(p) : "memory");
}
static inline void gbs_clobber(void)
{
    __asm__ __volatile__("" : : : "memory");
}
#else
#define gbs_escape(p) gbs_escape_fn(p)
#define gbs_clobber() gbs_clobber_fn()
#endif

#ifdef __cplusplus
}
#endif

#endif
