/*
 * pool-neon.c - one NHWC output pixel of max / average pooling (contract:
 * core/layers.h), 4 channels a q register, two at a time; the C % 4 tail
 * in scalar code (the same order of operations, so the same bits).
 */
#include "../../core/layers.h"

#include <arm_neon.h>

#define V 4

static void max_neon(const float *src, ptrdiff_t row, int ny, int nx, int C,
                     float div, float *dst)
{
    (void)div;
    int c = 0;
    for (; c + 2 * V <= C; c += 2 * V) {
        const float *s = src + c;
        float32x4_t m0 = vld1q_f32(s), m1 = vld1q_f32(s + V);
        for (int y = 0; y < ny; y++)
            for (int x = 0; x < nx; x++) {
                const float *q = s + y * row + (ptrdiff_t)x * C;
                m0 = vmaxq_f32(m0, vld1q_f32(q));
                m1 = vmaxq_f32(m1, vld1q_f32(q + V));
            }
        vst1q_f32(dst + c, m0);
        vst1q_f32(dst + c + V, m1);
    }
    for (; c < C; c++) {
        float m = src[c];
        for (int y = 0; y < ny; y++)
            for (int x = 0; x < nx; x++) {
                float v = src[y * row + (ptrdiff_t)x * C + c];
                m = v > m ? v : m;
            }
        dst[c] = m;
    }
}

static void avg_neon(const float *src, ptrdiff_t row, int ny, int nx, int C,
                     float div, float *dst)
{
    const float32x4_t d = vdupq_n_f32(div);
    int c = 0;
    for (; c + 2 * V <= C; c += 2 * V) {
        const float *s = src + c;
        float32x4_t a0 = vdupq_n_f32(0.0f), a1 = a0;
        for (int y = 0; y < ny; y++)
            for (int x = 0; x < nx; x++) {
                const float *q = s + y * row + (ptrdiff_t)x * C;
                a0 = vaddq_f32(a0, vld1q_f32(q));
                a1 = vaddq_f32(a1, vld1q_f32(q + V));
            }
        vst1q_f32(dst + c, vdivq_f32(a0, d));
        vst1q_f32(dst + c + V, vdivq_f32(a1, d));
    }
    for (; c < C; c++) {
        float a = 0.0f;
        for (int y = 0; y < ny; y++)
            for (int x = 0; x < nx; x++)
                a += src[y * row + (ptrdiff_t)x * C + c];
        dst[c] = a / div;
    }
}

const vconv_pool_kernel vconv_pool_kernel_neon = {"pool.neon", VCONV_ISA_NEON,
                                                  max_neon, avg_neon};
