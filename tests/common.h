/* common.h - what the kernel tests share: a seeded RNG, random problems,
   and the comparison of an implementation against kernels/ref. */
#ifndef VCONV_TEST_COMMON_H
#define VCONV_TEST_COMMON_H

#include "../core/internal.h"
#include "../bench/desc.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct { uint64_t s; } test_rng;

static inline uint64_t rng_next(test_rng *r)
{
    /* splitmix64 */
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
/* uniform in [lo, hi] */
static inline int rng_int(test_rng *r, int lo, int hi)
{
    return lo + (int)(rng_next(r) % (uint64_t)(hi - lo + 1));
}
static inline double rng_unit(test_rng *r)
{
    return (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}
/* N(0, 1) (Box-Muller) */
double rng_normal(test_rng *r);
void fill_normal(test_rng *r, float *x, size_t n);

/* A random valid descriptor that exercises every feature: stride 1-4,
   dilation 1-3, groups, odd channel counts, asymmetric padding, both
   layouts, ReLU. Some draws are steered to the shapes the fast algorithms
   take (3x3 stride 1, 1x1, first layers with 1 or 3 channels) so each
   implementation meets many problems it supports. Sizes stay small. */
vconv_conv_desc random_desc(test_rng *r);

/* The tolerance of an implementation: max |y - ref| / mag over outputs,
   where mag = sum |x||w| + |b| (the scale float rounding acts on). */
double impl_tolerance(const char *impl, const vconv_problem *p);

/* The error scale's floor for impl on case c: the scale of output i is
   max(mag[i], floor). 0 for every family but Winograd, whose floor is the
   mean mag of the output tensor (see common.c). */
struct ref_case;
double impl_scale_floor(const char *impl, const struct ref_case *c);

/* The result of checking one implementation on one problem. */
typedef struct {
    bool ran;            /* false: the implementation does not support it */
    bool ok;
    double err;          /* max |y - ref| / mag */
    char msg[1024];      /* on failure: what and where */
} impl_check;

/* Everything the checks of one problem share: data and the reference. */
typedef struct ref_case {
    vconv_conv_desc d;
    vconv_problem p;
    float *src, *w, *b;     /* b NULL for no bias */
    double *ref, *mag;
} ref_case;

/* Builds data (seeded) and the reference for d; bias with has_bias. */
int ref_case_init(ref_case *c, const vconv_conv_desc *d, uint64_t seed,
                  bool has_bias);
void ref_case_free(ref_case *c);

/* Forces impl (by name) on c with `threads` threads; checks the output
   against the reference within impl_tolerance, that dst is fully written
   (NaN poison), that src is untouched, and that threads 1, 2 and 3 give
   bitwise identical output. */
impl_check check_impl(const ref_case *c, const char *impl);

/* Every registered implementation this CPU can run, its names into
   names[] (at most max); returns the count. */
int available_impls(const char **names, int max);

/* Whether VCONV_MAX_ISA (scripts/test's second stage) leaves isa in
   (scalar always). */
bool isa_under_cap(vconv_isa isa);

/* "mb1_g1ic3... nchw relu bias" */
void desc_str(const vconv_conv_desc *d, bool bias, char *buf, size_t len);

#endif
