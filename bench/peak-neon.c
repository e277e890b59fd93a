/* peak-neon.c - NEON FMA peak: 12 independent q-register FMA chains, 4
   lanes x 2 FLOPs each. */
#include "peak.h"

#include <arm_neon.h>

double bench_fma_loop_neon(long iters)
{
    float32x4_t acc[12];
    const float32x4_t a = vdupq_n_f32(1.0000001f), b = vdupq_n_f32(-1e-7f);
    for (int i = 0; i < 12; i++)
        acc[i] = vdupq_n_f32((float)i);
    for (long it = 0; it < iters; it++) {
#pragma GCC unroll 12
        for (int i = 0; i < 12; i++)
            acc[i] = vfmaq_f32(b, acc[i], a);
    }
    float32x4_t s = acc[0];
    for (int i = 1; i < 12; i++)
        s = vaddq_f32(s, acc[i]);
    volatile float sink = vaddvq_f32(s);
    (void)sink;
    return 2.0 * 4 * 12 * (double)iters;
}
