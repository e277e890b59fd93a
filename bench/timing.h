/* timing.h - interleaved, warmed-up, median timing of several competitors
   (vconv and its peers) in one process: the bench's measuring rule. */
#ifndef VCONV_BENCH_TIMING_H
#define VCONV_BENCH_TIMING_H

#ifdef __cplusplus
extern "C" {
#endif

/* Monotonic seconds. */
double bench_now(void);

/* One competitor: fn(ctx) does one call of the measured work. */
typedef struct {
    void (*fn)(void *ctx);
    void *ctx;
} bench_competitor;

typedef struct {
    double median;   /* seconds per call: the median of the samples */
    double min, max; /* seconds per call: the extreme samples */
    int samples;
    long calls;      /* calls per sample */
} bench_timing;

/*
 * Measures n competitors interleaved: each is warmed up (one call, then
 * calls until warmup_s), its calls per sample set so that a sample lasts
 * about sample_s; then `samples` rounds, in each of which every competitor
 * takes one sample in turn (so slow drifts of clock or load hit all
 * alike). out[i] gets competitor i's median, min and max seconds per call.
 */
void bench_measure(const bench_competitor *c, int n, int samples,
                   double warmup_s, double sample_s, bench_timing *out);

/* The pieces of bench_measure, for drivers that schedule the rounds
   themselves (vconv-bench conv under Google Benchmark):
   bench_calibrate warms c up (one call, then calls until warmup_s) and
   returns the calls per sample for samples of about sample_s (>= 1);
   bench_sample times `calls` calls and returns seconds per call;
   bench_summarize sorts x[0..n) and fills out's median, min, max. */
long bench_calibrate(const bench_competitor *c, double warmup_s,
                     double sample_s);
double bench_sample(const bench_competitor *c, long calls);
void bench_summarize(double *x, int n, long calls, bench_timing *out);

/* The median of x[0..n) (x is reordered). */
double bench_median(double *x, int n);

#ifdef __cplusplus
}
#endif

#endif
