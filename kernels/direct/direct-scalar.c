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

#define DEF_UKR(VIN, NB, UR)                                                  \
    static void ukr_##VIN##_##NB##_##UR(const direct_ukr_args *a)             \
        DIRECT_UKR_BODY(VIN, NB, UR)
#define ENT_UKR(VIN, NB, UR) [VIN == DV][NB][UR] = ukr_##VIN##_##NB##_##UR,
#define DEF_WV(NV, unused, NO)                                                \
    static void wv_##NO##_##NV(const direct_wv_args *a) DIRECT_WV_BODY(NO, NV)
#define ENT_WV(NV, unused, NO) [NO][NV] = wv_##NO##_##NV,

#define UKR_LIST(M)                                                           \
    DIRECT_REP_6(M, 8, 1) DIRECT_REP_2(M, 8, 2) DIRECT_REP_6(M, 1, 1)        \
    DIRECT_REP_2(M, 1, 2)
#define WV_LIST(M) DIRECT_REP_6(M, 1, 0) DIRECT_REP_2(M, 2, 0)

/* channel-vector tiles on the user's NCHW src read in place (pixel
   stride PS = 1 or 2, the V channels of a block src_c apart): the
   blocked tiles' weights and registers */
#define DEF_UKRN(PS, NB, UR)                                                  \
    static void ukrn_##PS##_##NB##_##UR(const direct_ukr_args *a)             \
        DIRECT_UKR_BODY_S(DV, NB, UR, PS, a->src_c)
#define ENT_UKRN(PS, NB, UR) [1 + PS][NB][UR] = ukrn_##PS##_##NB##_##UR,
#define UKRN_LIST(M) \
    DIRECT_REP_6(M, 1, 1) DIRECT_REP_2(M, 1, 2) DIRECT_REP_6(M, 2, 1) \
    DIRECT_REP_2(M, 2, 2)

/* planar tiles on the user's NCHW src read in place at stride PS = 2
   or 4 (one channel a block, pixels PS floats apart) */
#define DEF_UKRP(PS, NB, UR)                                                  \
    static void ukrp_##PS##_##NB##_##UR(const direct_ukr_args *a)             \
        DIRECT_UKR_BODY_S(1, NB, UR, PS, 1)
#define ENT_UKRP(PS, NB, UR) [3 + PS / 2][NB][UR] = ukrp_##PS##_##NB##_##UR,
#define UKRP_LIST(M) \
    DIRECT_REP_6(M, 2, 1) DIRECT_REP_2(M, 2, 2) DIRECT_REP_6(M, 4, 1) \
    DIRECT_REP_2(M, 4, 2)

UKR_LIST(DEF_UKR)
UKRN_LIST(DEF_UKRN)
UKRP_LIST(DEF_UKRP)
WV_LIST(DEF_WV)

const direct_ukr_table vconv_direct_ukr_scalar = {
    UKR_LIST(ENT_UKR) UKRN_LIST(ENT_UKRN) UKRP_LIST(ENT_UKRP)};
const direct_wv_table vconv_direct_wv_scalar = {WV_LIST(ENT_WV)};
