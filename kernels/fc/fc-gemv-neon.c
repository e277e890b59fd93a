/*
 * fc-gemv-neon.c - the small-batch fully connected kernel (contract:
 * fc.h), 4 floats a q register: 4 q of W a step (16 floats), mb x 4
 * accumulators (16 at mb 4); the in % 16 tail in scalar code after the
 * vector sum. Fixed sum order per output: thread-count independent.
 */
#include "fc.h"

#include <arm_neon.h>

void vconv_fc_gemv__neon(int mb, int in, int o0, int o1, const float *w,
                         const float *x, const float *bias, int relu,
                         float *dst, int out)
{
    for (int o = o0; o < o1; o++) {
        const float *wr = w + (size_t)o * in;
        float32x4_t acc[4][4];
        for (int n = 0; n < 4; n++)
            for (int v = 0; v < 4; v++)
                acc[n][v] = vdupq_n_f32(0.0f);
        int i = 0;
        for (; i + 16 <= in; i += 16) {
            const float32x4_t w0 = vld1q_f32(wr + i), w1 = vld1q_f32(wr + i + 4),
                              w2 = vld1q_f32(wr + i + 8),
                              w3 = vld1q_f32(wr + i + 12);
            for (int n = 0; n < mb; n++) {
                const float *xr = x + (size_t)n * in + i;
                acc[n][0] = vfmaq_f32(acc[n][0], w0, vld1q_f32(xr));
                acc[n][1] = vfmaq_f32(acc[n][1], w1, vld1q_f32(xr + 4));
                acc[n][2] = vfmaq_f32(acc[n][2], w2, vld1q_f32(xr + 8));
                acc[n][3] = vfmaq_f32(acc[n][3], w3, vld1q_f32(xr + 12));
            }
        }
        for (int n = 0; n < mb; n++) {
            const float32x4_t s = vaddq_f32(vaddq_f32(acc[n][0], acc[n][1]),
                                            vaddq_f32(acc[n][2], acc[n][3]));
            float r = vaddvq_f32(s);
            const float *xr = x + (size_t)n * in;
            for (int j = i; j < in; j++)
                r += wr[j] * xr[j];
            if (bias)
                r += bias[o];
            if (relu && r < 0)
                r = 0;
            dst[(size_t)n * out + o] = r;
        }
    }
}
