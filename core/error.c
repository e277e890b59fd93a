/* error.c - the thread-local last error, status strings, logging, clock. */
#define _POSIX_C_SOURCE 200809L
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static _Thread_local char last_error[1024];

vconv_status vconv_error(vconv_status s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    return s;
}

const char *vconv_last_error(void) { return last_error; }

const char *vconv_status_str(vconv_status s)
{
    switch (s) {
    case VCONV_OK: return "VCONV_OK";
    case VCONV_ERR_INVALID_ARG: return "VCONV_ERR_INVALID_ARG";
    case VCONV_ERR_BAD_SHAPE: return "VCONV_ERR_BAD_SHAPE";
    case VCONV_ERR_UNSUPPORTED: return "VCONV_ERR_UNSUPPORTED";
    case VCONV_ERR_NO_MEMORY: return "VCONV_ERR_NO_MEMORY";
    }
    return "unknown status";
}

const char *vconv_isa_name(vconv_isa isa)
{
    switch (isa) {
    case VCONV_ISA_AUTO: return "auto";
    case VCONV_ISA_SCALAR: return "scalar";
    case VCONV_ISA_AVX2: return "avx2";
    case VCONV_ISA_AVX512: return "avx512";
    case VCONV_ISA_NEON: return "neon";
    }
    return "unknown";
}

const char *vconv_algo_name(vconv_algo algo)
{
    switch (algo) {
    case VCONV_ALGO_AUTO: return "auto";
    case VCONV_ALGO_REF: return "ref";
    case VCONV_ALGO_DIRECT: return "direct";
    case VCONV_ALGO_IM2COL: return "im2col";
    case VCONV_ALGO_WINOGRAD: return "winograd";
    }
    return "unknown";
}

/* VCONV_VERBOSE is read on every call on purpose: tests and users may set it
   between creates; getenv is cheap next to a create. Runs read the level the
   plan recorded at create. */
int vconv_verbose_level(void)
{
    const char *v = getenv("VCONV_VERBOSE");
    if (!v || !*v)
        return 0;
    return atoi(v) > 0 ? atoi(v) : 0;
}

void vconv_log(const char *fmt, ...)
{
    char line[8192]; /* a create line lists every registry entry */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    /* one fprintf per line so lines of concurrent runs do not interleave */
    fprintf(stderr, "vconv: %s\n", line);
}

double vconv_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
