/*
 * direct-scalar.c - the portable direct-convolution microkernels: the same
 * blocking as the SIMD files (V = 8: nChw8c, 8 output channels a block),
 * written in plain C over a struct of 8 floats. Baseline file: compiled
 * without ISA flags, so it runs on any CPU; the compiler vectorizes the
 * 8-float operations with whatever the baseline has (two SSE2 registers on
 * x86-64, two NEON registers on aarch64).
 *
 * Register plans (x86-64 baseline: 16 xmm, a vector of 8 is 2 of them):
 *   channel-vector tile UR x NB: 2 * UR * NB accumulators + 2 * NB weights
 *   + 2 broadcast: 6 x 1 (12 + 2 + 2 = 16), 2 x 2 (8 + 4 + 2 = 14; 3 x 2
 *   spilled and ran at half the speed of 6 x 1).
 *   width-vector tile NO x NV: 6 x 1, 2 x 2.
 * No FMA contraction is asked for: the products round as the baseline
 * ISA rounds them, identically on every thread count.
 */
#include "direct.h"

#include <string.h>

#define DV 8
typedef struct {
    float f[DV];
} dvec;
typedef int dmask;

static inline dvec dv_load(const float *p)
{
    dvec r;
    memcpy(r.f, p, sizeof r.f);
    return r;
}
static inline void dv_store(float *p, dvec v) { memcpy(p, v.f, sizeof v.f); }
static inline dvec dv_load_m(const float *p, dmask n)
{
    dvec r;
    for (int i = 0; i < DV; i++)
        r.f[i] = i < n ? p[i] : 0.0f;
    return r;
}
static inline void dv_store_m(float *p, dmask n, dvec v)
{
    for (int i = 0; i < n; i++)
        p[i] = v.f[i];
}
static inline dvec dv_set1(float x)
{
    dvec r;
    for (int i = 0; i < DV; i++)
        r.f[i] = x;
    return r;
}
static inline dvec dv_zero(void) { return dv_set1(0.0f); }
static inline dvec dv_fma(dvec a, dvec b, dvec c)
{
    for (int i = 0; i < DV; i++)
        c.f[i] += a.f[i] * b.f[i];
    return c;
}
static inline dvec dv_max(dvec a, dvec b)
{
    for (int i = 0; i < DV; i++)
        a.f[i] = a.f[i] > b.f[i] ? a.f[i] : b.f[i];
    return a;
}
#define dmask_first(n) ((dmask)(n))
#define dv_prefetch(p) ((void)(p))

#include "direct-tiles.h"

#define DEF_WV(NV, unused, NO)                                                \
    static void wv_##NO##_##NV(const direct_wv_args *a) DIRECT_WV_BODY(NO, NV)
#define ENT_WV(NV, unused, NO) [NO][NV] = wv_##NO##_##NV,

/* The channel-vector tile shapes: M(X, nb, ur) for every ur up to
   the register file's limit of each nb (direct-tiles.h instantiates
   them for every source addressing) */
#define DIRECT_TILES(M, X) \
    DIRECT_REP_6(M, X, 1) DIRECT_REP_2(M, X, 2)
#define WV_LIST(M) DIRECT_REP_6(M, 1, 0) DIRECT_REP_2(M, 2, 0)

DIRECT_DEFINE_UKRS
WV_LIST(DEF_WV)

const direct_ukr_table vconv_direct_ukr_scalar = {DIRECT_UKR_ENTRIES};
const direct_wv_table vconv_direct_wv_scalar = {WV_LIST(ENT_WV)};
