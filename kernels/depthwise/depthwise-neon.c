/*
 * depthwise-neon.c - the AArch64 NEON depthwise row kernel (V = 8
 * channels: a vector is a pair of q registers, the blocking of the
 * direct family's NEON file, so the driver reuses its nChw8c
 * conversions). The loop nest is depthwise-tiles.h's (register plan
 * there). Channel tails: stores lane by lane (no masked moves). NEON is
 * baseline on AArch64: no flags needed.
 */
#include "depthwise.h"

#include <arm_neon.h>
#include "../neon-helpers.h"

#define DV 8
typedef struct {
    float32x4_t lo, hi; /* lanes 0-3, 4-7 */
} dvec;
typedef int dmask; /* lanes 0 .. n-1 */
#define dmask_first(n) ((dmask)(n))

static inline dvec dv_load(const float *p)
{
    return (dvec){vld1q_f32(p), vld1q_f32(p + 4)};
}
static inline void dv_store(float *p, dvec v)
{
    vst1q_f32(p, v.lo);
    vst1q_f32(p + 4, v.hi);
}
static inline void dv_store_m(float *p, dmask n, dvec v)
{
    if (n >= 4) {
        vst1q_f32(p, v.lo);
        vconv_neon_store_part(p + 4, v.hi, n - 4);
    } else {
        vconv_neon_store_part(p, v.lo, n);
    }
}
static inline dvec dv_zero(void)
{
    return (dvec){vdupq_n_f32(0.0f), vdupq_n_f32(0.0f)};
}
static inline dvec dv_fma(dvec a, dvec b, dvec c)
{
    return (dvec){vfmaq_f32(c.lo, a.lo, b.lo), vfmaq_f32(c.hi, a.hi, b.hi)};
}
static inline dvec dv_max(dvec a, dvec b)
{
    return (dvec){vmaxq_f32(a.lo, b.lo), vmaxq_f32(a.hi, b.hi)};
}

#include "depthwise-tiles.h"

DW_DEF_ROW(vconv_dw_row_neon)
