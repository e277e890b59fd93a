/* timing.c - see timing.h. */
#define _POSIX_C_SOURCE 200809L
#include "timing.h"

#include <stdlib.h>
#include <time.h>

double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double bench_median(double *x, int n)
{
    if (n <= 0)
        return 0;
    qsort(x, (size_t)n, sizeof *x, cmp);
    return n % 2 ? x[n / 2] : 0.5 * (x[n / 2 - 1] + x[n / 2]);
}

long bench_calibrate(const bench_competitor *c, double warmup_s,
                     double sample_s)
{
    double t0 = bench_now();
    c->fn(c->ctx);
    double one = bench_now() - t0;
    long k = 1;
    while (bench_now() - t0 < warmup_s) {
        c->fn(c->ctx);
        k++;
    }
    double per = (bench_now() - t0) / (double)k;
    if (per <= 0)
        per = one > 0 ? one : 1e-9;
    long calls = (long)(sample_s / per);
    return calls < 1 ? 1 : calls;
}

double bench_sample(const bench_competitor *c, long calls)
{
    double t0 = bench_now();
    for (long k = 0; k < calls; k++)
        c->fn(c->ctx);
    return (bench_now() - t0) / (double)calls;
}

void bench_summarize(double *x, int n, long calls, bench_timing *out)
{
    if (n <= 0) {
        *out = (bench_timing){0};
        return;
    }
    out->median = bench_median(x, n); /* sorts x */
    out->min = x[0];
    out->max = x[n - 1];
    out->samples = n;
    out->calls = calls;
}

void bench_measure(const bench_competitor *c, int n, int samples,
                   double warmup_s, double sample_s, bench_timing *out)
{
    if (samples < 1)
        samples = 1;
    double *t = malloc((size_t)n * (size_t)samples * sizeof(double));
    long *calls = malloc((size_t)n * sizeof(long));
    if (!t || !calls) {
        free(t);
        free(calls);
        for (int i = 0; i < n; i++)
            out[i] = (bench_timing){0};
        return;
    }
    for (int i = 0; i < n; i++)
        calls[i] = bench_calibrate(&c[i], warmup_s, sample_s);
    for (int s = 0; s < samples; s++)
        for (int i = 0; i < n; i++)
            t[(size_t)i * samples + s] = bench_sample(&c[i], calls[i]);
    for (int i = 0; i < n; i++)
        bench_summarize(t + (size_t)i * samples, samples, calls[i], &out[i]);
    free(t);
    free(calls);
}
