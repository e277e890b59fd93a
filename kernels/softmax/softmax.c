/*
 * softmax.c - softmax over the classes of each image, numerically stable:
 *   m = max_j x_j;  e_j = expf(x_j - m);  dst_j = e_j / sum_j e_j
 * (every exponent <= 0, so nothing overflows; the largest term is 1, so
 * the sum is >= 1 and never underflows to 0). The sum in double, j
 * ascending. Portable code only: the nets' softmax has 10 to 1000 classes
 * a row, a few microseconds whatever the ISA, so no vector kernel pays
 * for its exp(). Rows are split over the threads; each row is one
 * thread's fixed-order work (the same bits for any thread count). In
 * place (src == dst) works: each x_j is read before e_j is written.
 */
#include "../../core/internal.h"

#include <math.h>
#include <omp.h>

VCONV_INTERNAL void vconv_softmax_exec(int mb, int classes, int threads,
                                       const float *src, float *dst);

void vconv_softmax_exec(int mb, int classes, int threads, const float *src,
                        float *dst)
{
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1)
    for (int n = 0; n < mb; n++) {
        const float *x = src + (size_t)n * classes;
        float *y = dst + (size_t)n * classes;
        float m = x[0];
        for (int j = 1; j < classes; j++)
            m = x[j] > m ? x[j] : m;
        double s = 0.0;
        for (int j = 0; j < classes; j++) {
            const float e = expf(x[j] - m);
            y[j] = e;
            s += e;
        }
        const float inv = (float)(1.0 / s);
        for (int j = 0; j < classes; j++)
            y[j] *= inv;
    }
}
