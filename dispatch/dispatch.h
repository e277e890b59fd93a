/* dispatch.h - the implementation registry and selection. */
#ifndef VCONV_DISPATCH_H
#define VCONV_DISPATCH_H

#include "../core/internal.h"

/* The registry, in priority order (dispatch/registry.c). */
VCONV_INTERNAL const vconv_impl *const *vconv_registry(int *count);

/* Finds an entry by name; NULL if none. */
VCONV_INTERNAL const vconv_impl *vconv_registry_find(const char *name);

/* Options after the environment filled what the caller left at AUTO / 0. */
typedef struct {
    vconv_algo algo;
    vconv_isa max_isa;
    const char *impl;      /* NULL: any */
    bool tune;
    int threads;           /* >= 1 */
} vconv_resolved;

/* opt (may be NULL) + environment -> *r. Errors: enums out of range,
   threads < 0, unknown environment values (VCONV_ERR_INVALID_ARG). */
VCONV_INTERNAL vconv_status vconv_resolve_options(const vconv_options *opt,
                                                  vconv_resolved *r);

/*
 * Chooses the implementation for p (p->threads set) under r: the candidates
 * are the entries whose ISA the CPU has, at or below r->max_isa, of the
 * forced algorithm / name if any, whose supports() holds. With tuning on
 * each candidate is timed (or the tuning cache answers), else the lowest
 * estimate wins. weights / bias are needed only for tuning. With
 * VCONV_VERBOSE it logs the candidates, reasons and choice in one line.
 */
VCONV_INTERNAL vconv_status vconv_select(const vconv_problem *p,
                                         const vconv_resolved *r,
                                         const float *weights,
                                         const float *bias,
                                         const vconv_impl **chosen);

/* Nominal peak GFLOP/s of one core for an ISA: the heuristic's scale (the
   real machine's peak is measured by the bench, not assumed here). */
VCONV_INTERNAL double vconv_isa_nominal_gflops(vconv_isa isa);

/* Parses "scalar|avx2|avx512|neon" / "ref|direct|im2col|winograd";
   false if unknown. */
VCONV_INTERNAL bool vconv_parse_isa(const char *s, vconv_isa *isa);
VCONV_INTERNAL bool vconv_parse_algo(const char *s, vconv_algo *algo);

#endif
