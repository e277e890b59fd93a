/*
 * fc-gemv-avx512.c - the small-batch fully connected kernel (contract:
 * fc.h): rows [o0, o1) of W (row-major [out][in], unpacked), each streamed
 * once from memory and multiplied with all mb <= 4 input rows.
 * Register plan: 4 zmm of W a step (64 floats), mb x 4 accumulators
 * (16 at mb 4) + 4 W + 1 x broadcast-free load a row: W is the only
 * stream; x (one image's features) stays in L1 / L2. The tail of in % 16
 * masked. Sum order per output: lane-wise over the steps, then the four
 * accumulators added (0+1)+(2+3), then _mm512_reduce_add_ps: fixed, so any
 * split of [0, out) over threads gives the same bits.
 */
#include "fc.h"

#include <immintrin.h>

static float finish(__m512 a0, __m512 a1, __m512 a2, __m512 a3,
                    const float *bias, int o, int relu)
{
    const __m512 s = _mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3));
    float r = _mm512_reduce_add_ps(s);
    if (bias)
        r += bias[o];
    if (relu && r < 0)
        r = 0;
    return r;
}

/* Batch 1, four rows at once: four streams of W in flight (a single
   stream leaves the core waiting on memory latency), x loaded once for
   the four. Each row's sum is exactly the one-row loop's (same steps,
   same accumulators, same tail, same reduction), so where the row-group
   boundaries fall (they move with the thread split) changes no bit. */
static int rows4(int in, int o, const float *w, const float *x,
                 const float *bias, int relu, float *dst)
{
    const float *r0 = w + (size_t)o * in, *r1 = r0 + in, *r2 = r1 + in,
                *r3 = r2 + in;
    __m512 a[4][4];
    for (int r = 0; r < 4; r++)
        for (int v = 0; v < 4; v++)
            a[r][v] = _mm512_setzero_ps();
    int i = 0;
    for (; i + 64 <= in; i += 64)
        for (int v = 0; v < 4; v++) {
            const __m512 xv = _mm512_loadu_ps(x + i + 16 * v);
            a[0][v] = _mm512_fmadd_ps(_mm512_loadu_ps(r0 + i + 16 * v), xv,
                                      a[0][v]);
            a[1][v] = _mm512_fmadd_ps(_mm512_loadu_ps(r1 + i + 16 * v), xv,
                                      a[1][v]);
            a[2][v] = _mm512_fmadd_ps(_mm512_loadu_ps(r2 + i + 16 * v), xv,
                                      a[2][v]);
            a[3][v] = _mm512_fmadd_ps(_mm512_loadu_ps(r3 + i + 16 * v), xv,
                                      a[3][v]);
        }
    for (; i < in; i += 16) {
        const __mmask16 k = in - i >= 16 ? (__mmask16)0xffff
                                         : (__mmask16)((1u << (in - i)) - 1);
        const __m512 xv = _mm512_maskz_loadu_ps(k, x + i);
        a[0][0] = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(k, r0 + i), xv, a[0][0]);
        a[1][0] = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(k, r1 + i), xv, a[1][0]);
        a[2][0] = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(k, r2 + i), xv, a[2][0]);
        a[3][0] = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(k, r3 + i), xv, a[3][0]);
    }
    for (int r = 0; r < 4; r++)
        dst[o + r] = finish(a[r][0], a[r][1], a[r][2], a[r][3], bias, o + r,
                            relu);
    return 4;
}

void vconv_fc_gemv__avx512(int mb, int in, int o0, int o1, const float *w,
                           const float *x, const float *bias, int relu,
                           float *dst, int out)
{
    int o = o0;
    if (mb == 1)
        while (o + 4 <= o1)
            o += rows4(in, o, w, x, bias, relu, dst);
    for (; o < o1; o++) {
        const float *wr = w + (size_t)o * in;
        __m512 acc[4][4];
        for (int n = 0; n < 4; n++)
            for (int v = 0; v < 4; v++)
                acc[n][v] = _mm512_setzero_ps();
        int i = 0;
        for (; i + 64 <= in; i += 64) {
            const __m512 w0 = _mm512_loadu_ps(wr + i),
                         w1 = _mm512_loadu_ps(wr + i + 16),
                         w2 = _mm512_loadu_ps(wr + i + 32),
                         w3 = _mm512_loadu_ps(wr + i + 48);
            for (int n = 0; n < mb; n++) {
                const float *xr = x + (size_t)n * in + i;
                acc[n][0] = _mm512_fmadd_ps(w0, _mm512_loadu_ps(xr), acc[n][0]);
                acc[n][1] =
                    _mm512_fmadd_ps(w1, _mm512_loadu_ps(xr + 16), acc[n][1]);
                acc[n][2] =
                    _mm512_fmadd_ps(w2, _mm512_loadu_ps(xr + 32), acc[n][2]);
                acc[n][3] =
                    _mm512_fmadd_ps(w3, _mm512_loadu_ps(xr + 48), acc[n][3]);
            }
        }
        for (; i < in; i += 16) {
            const __mmask16 k = in - i >= 16 ? (__mmask16)0xffff
                                             : (__mmask16)((1u << (in - i)) - 1);
            const __m512 w0 = _mm512_maskz_loadu_ps(k, wr + i);
            for (int n = 0; n < mb; n++)
                acc[n][0] = _mm512_fmadd_ps(
                    w0, _mm512_maskz_loadu_ps(k, x + (size_t)n * in + i),
                    acc[n][0]);
        }
        for (int n = 0; n < mb; n++)
            dst[(size_t)n * out + o] = finish(acc[n][0], acc[n][1], acc[n][2],
                                              acc[n][3], bias, o, relu);
    }
}
