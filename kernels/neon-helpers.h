/*
 * neon-helpers.h - small NEON helpers the AArch64 kernel files share
 * (sgemm-8x12-neon.c, sgemm-pack-neon.c, direct-neon.c,
 * winograd-neon.c). Include it only from NEON files: static inline code
 * on <arm_neon.h>, which an x86 build never compiles.
 */
#ifndef VCONV_NEON_HELPERS_H
#define VCONV_NEON_HELPERS_H

#include <arm_neon.h>

/* In place: r[j] <- column j of the 4 x 4 block of rows r[0..3]
   (trn1/trn2 on 32-bit, then on 64-bit lanes: 8 shuffles). */
static inline void vconv_neon_transpose4(float32x4_t r[4])
{
    const float32x4_t t0 = vtrn1q_f32(r[0], r[1]);
    const float32x4_t t1 = vtrn2q_f32(r[0], r[1]);
    const float32x4_t t2 = vtrn1q_f32(r[2], r[3]);
    const float32x4_t t3 = vtrn2q_f32(r[2], r[3]);
    r[0] = vreinterpretq_f32_f64(vtrn1q_f64(vreinterpretq_f64_f32(t0),
                                            vreinterpretq_f64_f32(t2)));
    r[1] = vreinterpretq_f32_f64(vtrn1q_f64(vreinterpretq_f64_f32(t1),
                                            vreinterpretq_f64_f32(t3)));
    r[2] = vreinterpretq_f32_f64(vtrn2q_f64(vreinterpretq_f64_f32(t0),
                                            vreinterpretq_f64_f32(t2)));
    r[3] = vreinterpretq_f32_f64(vtrn2q_f64(vreinterpretq_f64_f32(t1),
                                            vreinterpretq_f64_f32(t3)));
}

/* The first cnt (0..4) floats at p in the low lanes, zeros above; reads
   nothing past p[cnt - 1] (NEON has no masked loads). */
static inline float32x4_t vconv_neon_load_part(const float *p, int cnt)
{
    float32x4_t v = vdupq_n_f32(0.0f);
    if (cnt > 0)
        v = vld1q_lane_f32(p, v, 0);
    if (cnt > 1)
        v = vld1q_lane_f32(p + 1, v, 1);
    if (cnt > 2)
        v = vld1q_lane_f32(p + 2, v, 2);
    if (cnt > 3)
        v = vld1q_lane_f32(p + 3, v, 3);
    return v;
}

/* Stores the low cnt (0..4) lanes of v at p, nothing else. */
static inline void vconv_neon_store_part(float *p, float32x4_t v, int cnt)
{
    if (cnt > 0)
        vst1q_lane_f32(p, v, 0);
    if (cnt > 1)
        vst1q_lane_f32(p + 1, v, 1);
    if (cnt > 2)
        vst1q_lane_f32(p + 2, v, 2);
    if (cnt > 3)
        vst1q_lane_f32(p + 3, v, 3);
}

#endif
