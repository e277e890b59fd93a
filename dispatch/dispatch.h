/* dispatch.h - the implementation registry and selection. */
#ifndef VCONV_DISPATCH_H
#define VCONV_DISPATCH_H

#include "../core/internal.h"

/* The registry, in priority order (dispatch/registry.c). */
VCONV_INTERNAL const vconv_impl *const *vconv_registry(int *count);

/* Finds an entry by name; NULL if none. */
VCONV_INTERNAL const vconv_impl *vconv_registry_find(const char *name);

/* Tests only: replaces the registry by t[0..n) (fake implementations, so
   selection can be tested on any machine whatever kernels exist);
   t = NULL or n = 0 restores the real one. Not thread-safe: call it while
   no create runs. */
VCONV_INTERNAL void vconv_registry_inject_for_testing(const vconv_impl *const *t,
                                                      int n);

/* Options after the environment filled what the caller left at AUTO / 0. */
typedef struct {
    vconv_algo algo;
    vconv_isa max_isa;
    const char *impl;      /* NULL: any */
    bool tune;
    int threads;           /* >= 1 */
    int verbose;           /* VCONV_VERBOSE: 0 quiet, >= 1 a line per create
                              and per run */
} vconv_resolved;

/* opt (may be NULL) + environment -> *r. Errors (VCONV_ERR_INVALID_ARG,
   the message naming the option or variable and its value): enums out of
   range, threads < 0, tune not -1..1, an unknown or malformed value of
   VCONV_ALGO, VCONV_MAX_ISA, VCONV_IMPL, VCONV_TUNE, VCONV_THREADS,
   VCONV_VERBOSE or VCONV_CACHE. */
VCONV_INTERNAL vconv_status vconv_resolve_options(const vconv_options *opt,
                                                  vconv_resolved *r);

/*
 * Chooses the implementation for p (p->threads set) under r: the candidates
 * are the entries whose ISA the CPU has, at or below r->max_isa, of the
 * forced algorithm / name if any, whose supports() holds. With tuning on
 * each candidate is timed (or the tuning cache answers), else the lowest
 * estimate wins. weights / bias are needed only for tuning. When log is
 * not NULL it gets the verbose line (without the "vconv: " prefix), on
 * failure too: every entry in table order with its refusal reason or its
 * estimate (and time, when tuned), then the choice and why.
 */
VCONV_INTERNAL vconv_status vconv_select(const vconv_problem *p,
                                         const vconv_resolved *r,
                                         const float *weights,
                                         const float *bias,
                                         const vconv_impl **chosen,
                                         char *log, size_t log_len);

/* Nominal peak GFLOP/s of one core for an ISA: the heuristic's scale (the
   real machine's peak is measured by the bench, not assumed here). */
VCONV_INTERNAL double vconv_isa_nominal_gflops(vconv_isa isa);

/* Parses "scalar|avx2|avx512|neon" / "ref|direct|im2col|winograd";
   false if unknown. */
VCONV_INTERNAL bool vconv_parse_isa(const char *s, vconv_isa *isa);
VCONV_INTERNAL bool vconv_parse_algo(const char *s, vconv_algo *algo);

#endif
