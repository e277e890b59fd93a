/*
 * depthwise-scalar.c - the portable depthwise row kernel: the blocking of
 * the SIMD files (V = 8 channels a vector) in plain C over a struct of 8
 * floats. Baseline file: no ISA flags; the compiler vectorizes the
 * 8-float operations with what the baseline has (SSE2 on x86-64). No FMA
 * contraction is asked for: products round as the baseline rounds them.
 */
#include "depthwise.h"

#include <string.h>

#define DV 8
typedef struct {
    float f[DV];
} dvec;
typedef int dmask;
#define dmask_first(n) ((dmask)(n))

static inline dvec dv_load(const float *p)
{
    dvec r;
    memcpy(r.f, p, sizeof r.f);
    return r;
}
static inline void dv_store(float *p, dvec v) { memcpy(p, v.f, sizeof v.f); }
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

#include "depthwise-tiles.h"

DW_DEF_ROW(vconv_dw_row_scalar)
