/*
 * fc-gemv-avx2.c - the small-batch fully connected kernel (contract:
 * fc.h), 8 floats a ymm: 2 ymm of W a step, mb x 2 accumulators (8 at
 * mb 4) + 2 W; the tail of in % 8 by maskload. Fixed sum order per
 * output (lanes over the steps, acc0 + acc1, then a fixed horizontal
 * tree), so any split of the outputs over threads gives the same bits.
 */
#include "fc.h"

#include <immintrin.h>

static float hsum(__m256 v)
{
    __m128 a = _mm_add_ps(_mm256_castps256_ps128(v),
                          _mm256_extractf128_ps(v, 1));
    a = _mm_add_ps(a, _mm_movehl_ps(a, a));
    a = _mm_add_ss(a, _mm_shuffle_ps(a, a, 1));
    return _mm_cvtss_f32(a);
}

void vconv_fc_gemv__avx2(int mb, int in, int o0, int o1, const float *w,
                         const float *x, const float *bias, int relu,
                         float *dst, int out)
{
    const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    for (int o = o0; o < o1; o++) {
        const float *wr = w + (size_t)o * in;
        __m256 acc[4][2];
        for (int n = 0; n < 4; n++)
            acc[n][0] = acc[n][1] = _mm256_setzero_ps();
        int i = 0;
        for (; i + 16 <= in; i += 16) {
            const __m256 w0 = _mm256_loadu_ps(wr + i),
                         w1 = _mm256_loadu_ps(wr + i + 8);
            for (int n = 0; n < mb; n++) {
                const float *xr = x + (size_t)n * in + i;
                acc[n][0] = _mm256_fmadd_ps(w0, _mm256_loadu_ps(xr), acc[n][0]);
                acc[n][1] =
                    _mm256_fmadd_ps(w1, _mm256_loadu_ps(xr + 8), acc[n][1]);
            }
        }
        for (; i < in; i += 8) {
            const __m256i k = _mm256_cmpgt_epi32(_mm256_set1_epi32(in - i), idx);
            const __m256 w0 = _mm256_maskload_ps(wr + i, k);
            for (int n = 0; n < mb; n++)
                acc[n][0] = _mm256_fmadd_ps(
                    w0, _mm256_maskload_ps(x + (size_t)n * in + i, k),
                    acc[n][0]);
        }
        for (int n = 0; n < mb; n++) {
            float r = hsum(_mm256_add_ps(acc[n][0], acc[n][1]));
            if (bias)
                r += bias[o];
            if (relu && r < 0)
                r = 0;
            dst[(size_t)n * out + o] = r;
        }
    }
}
