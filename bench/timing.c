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
    for (int i = 0; i < n; i++) {
        double t0 = bench_now();
        c[i].fn(c[i].ctx);
        double one = bench_now() - t0;
        long k = 1;
        while (bench_now() - t0 < warmup_s) {
            c[i].fn(c[i].ctx);
            k++;
        }
        double per = (bench_now() - t0) / (double)k;
        if (per <= 0)
            per = one > 0 ? one : 1e-9;
        calls[i] = (long)(sample_s / per);
        if (calls[i] < 1)
            calls[i] = 1;
    }
    for (int s = 0; s < samples; s++)
        for (int i = 0; i < n; i++) {
            double t0 = bench_now();
            for (long k = 0; k < calls[i]; k++)
                c[i].fn(c[i].ctx);
            t[(size_t)i * samples + s] = (bench_now() - t0) / (double)calls[i];
        }
    for (int i = 0; i < n; i++) {
        double *x = t + (size_t)i * samples;
        out[i].median = bench_median(x, samples); /* sorts x */
        out[i].min = x[0];
        out[i].max = x[samples - 1];
        out[i].samples = samples;
        out[i].calls = calls[i];
    }
    free(t);
    free(calls);
}
