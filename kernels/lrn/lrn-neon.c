/*
 * lrn-neon.c - one NHWC pixel of LRN across channels, beta 0.75
 * (contract: core/layers.h), 4 channels a q register; the C % 4 tail in
 * scalar code with the same operations in the same order.
 */
#include "../../core/layers.h"

#include <arm_neon.h>
#include <math.h>

static void pixel075_neon(const float *src, float *dst, int C, int size,
                          float alpha_n, float k, float *sq)
{
    const int half = (size - 1) / 2;
    int c = 0;
    for (; c + 4 <= C; c += 4) {
        const float32x4_t x = vld1q_f32(src + c);
        vst1q_f32(sq + half + c, vmulq_f32(x, x));
    }
    for (; c < C; c++)
        sq[half + c] = src[c] * src[c];
    const float32x4_t an = vdupq_n_f32(alpha_n), kk = vdupq_n_f32(k);
    for (c = 0; c + 4 <= C; c += 4) {
        float32x4_t s = vdupq_n_f32(0.0f);
        for (int j = 0; j < size; j++)
            s = vaddq_f32(s, vld1q_f32(sq + c + j));
        const float32x4_t d = vaddq_f32(kk, vmulq_f32(an, s));
        const float32x4_t r = vsqrtq_f32(d);
        vst1q_f32(dst + c,
                  vdivq_f32(vld1q_f32(src + c), vmulq_f32(r, vsqrtq_f32(r))));
    }
    for (; c < C; c++) {
        float s = 0.0f;
        for (int j = 0; j < size; j++)
            s += sq[c + j];
        const float d = k + alpha_n * s;
        const float r = sqrtf(d);
        dst[c] = src[c] / (r * sqrtf(r));
    }
}

const vconv_lrn_kernel vconv_lrn_kernel_neon = {"lrn.neon", VCONV_ISA_NEON,
                                                pixel075_neon};
