/*
 * pool-avx2.c - one NHWC output pixel of max / average pooling (contract:
 * core/layers.h), 8 channels a ymm, four vectors at a time; the tail of
 * C % 8 channels through maskload / maskstore (no float read or written
 * past C).
 */
#include "../../core/layers.h"

#include <immintrin.h>

#define V 8

static __m256i tail_mask(int n)
{
    const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), idx);
}

static void max_avx2(const float *src, ptrdiff_t row, int ny, int nx, int C,
                     float div, float *dst)
{
    (void)div;
    int c = 0;
    for (; c + 4 * V <= C; c += 4 * V) {
        const float *s = src + c;
        __m256 m0 = _mm256_loadu_ps(s), m1 = _mm256_loadu_ps(s + V),
               m2 = _mm256_loadu_ps(s + 2 * V), m3 = _mm256_loadu_ps(s + 3 * V);
        for (int y = 0; y < ny; y++)
            for (int x = 0; x < nx; x++) {
                const float *q = s + y * row + (ptrdiff_t)x * C;
                m0 = _mm256_max_ps(m0, _mm256_loadu_ps(q));
                m1 = _mm256_max_ps(m1, _mm256_loadu_ps(q + V));
                m2 = _mm256_max_ps(m2, _mm256_loadu_ps(q + 2 * V));
                m3 = _mm256_max_ps(m3, _mm256_loadu_ps(q + 3 * V));
            }
        _mm256_storeu_ps(dst + c, m0);
        _mm256_storeu_ps(dst + c + V, m1);
        _mm256_storeu_ps(dst + c + 2 * V, m2);
        _mm256_storeu_ps(dst + c + 3 * V, m3);
    }
    for (; c < C; c += V) {
        const __m256i k = tail_mask(C - c);
        const float *s = src + c;
        __m256 m = _mm256_maskload_ps(s, k);
        for (int y = 0; y < ny; y++)
            for (int x = 0; x < nx; x++)
                m = _mm256_max_ps(
                    m, _mm256_maskload_ps(s + y * row + (ptrdiff_t)x * C, k));
        _mm256_maskstore_ps(dst + c, k, m);
    }
}

static void avg_avx2(const float *src, ptrdiff_t row, int ny, int nx, int C,
                     float div, float *dst)
{
    const __m256 d = _mm256_set1_ps(div);
    int c = 0;
    for (; c + 4 * V <= C; c += 4 * V) {
        const float *s = src + c;
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        for (int y = 0; y < ny; y++)
            for (int x = 0; x < nx; x++) {
                const float *q = s + y * row + (ptrdiff_t)x * C;
                a0 = _mm256_add_ps(a0, _mm256_loadu_ps(q));
                a1 = _mm256_add_ps(a1, _mm256_loadu_ps(q + V));
                a2 = _mm256_add_ps(a2, _mm256_loadu_ps(q + 2 * V));
                a3 = _mm256_add_ps(a3, _mm256_loadu_ps(q + 3 * V));
            }
        _mm256_storeu_ps(dst + c, _mm256_div_ps(a0, d));
        _mm256_storeu_ps(dst + c + V, _mm256_div_ps(a1, d));
        _mm256_storeu_ps(dst + c + 2 * V, _mm256_div_ps(a2, d));
        _mm256_storeu_ps(dst + c + 3 * V, _mm256_div_ps(a3, d));
    }
    for (; c < C; c += V) {
        const __m256i k = tail_mask(C - c);
        const float *s = src + c;
        __m256 a = _mm256_setzero_ps();
        for (int y = 0; y < ny; y++)
            for (int x = 0; x < nx; x++)
                a = _mm256_add_ps(
                    a, _mm256_maskload_ps(s + y * row + (ptrdiff_t)x * C, k));
        _mm256_maskstore_ps(dst + c, k, _mm256_div_ps(a, d));
    }
}

const vconv_pool_kernel vconv_pool_kernel_avx2 = {"pool.avx2", VCONV_ISA_AVX2,
                                                  max_avx2, avg_avx2};
