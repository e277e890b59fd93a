/*
 * layers_ref.c - the references of pooling, fully connected, LRN and
 * softmax: plain loops over the definitions in vconv.h, double
 * accumulation, double results; the oracle of the layer and net tests.
 * They share no code with the kernels (not even the window clipping).
 */
#include "../../core/layers.h"

#include <math.h>

void vconv_ref_pool(const vconv_pool_problem *p, const float *src,
                    double *dst)
{
    const bool nhwc = p->layout == VCONV_NHWC;
    for (int n = 0; n < p->mb; n++)
        for (int c = 0; c < p->c; c++)
            for (int oy = 0; oy < p->oh; oy++)
                for (int ox = 0; ox < p->ow; ox++) {
                    double mx = -INFINITY, sum = 0;
                    int inside = 0, padded = 0;
                    for (int i = 0; i < p->kh; i++)
                        for (int j = 0; j < p->kw; j++) {
                            const int y = oy * p->sh - p->pt + i;
                            const int x = ox * p->sw - p->pl + j;
                            if (y >= -p->pt && y < p->ih + p->pb &&
                                x >= -p->pl && x < p->iw + p->pr)
                                padded++;
                            if (y < 0 || y >= p->ih || x < 0 || x >= p->iw)
                                continue;
                            const size_t at =
                                nhwc ? (((size_t)n * p->ih + y) * p->iw + x) *
                                               p->c + c
                                     : (((size_t)n * p->c + c) * p->ih + y) *
                                               p->iw + x;
                            const double v = src[at];
                            mx = v > mx ? v : mx;
                            sum += v;
                            inside++;
                        }
                    double r;
                    if (!inside)
                        r = 0;
                    else if (p->alg == VCONV_POOL_MAX)
                        r = mx;
                    else if (p->alg == VCONV_POOL_AVG_INCLUDE_PAD)
                        r = sum / padded;
                    else
                        r = sum / inside;
                    const size_t o =
                        nhwc ? (((size_t)n * p->oh + oy) * p->ow + ox) * p->c +
                                   c
                             : (((size_t)n * p->c + c) * p->oh + oy) * p->ow +
                                   ox;
                    dst[o] = r;
                }
}

void vconv_ref_fc(int mb, int in, int out, const float *w, const float *b,
                  vconv_act act, const float *src, double *dst)
{
    for (int n = 0; n < mb; n++)
        for (int o = 0; o < out; o++) {
            double s = b ? b[o] : 0.0;
            for (int i = 0; i < in; i++)
                s += (double)src[(size_t)n * in + i] *
                     (double)w[(size_t)o * in + i];
            if (act == VCONV_ACT_RELU && s < 0)
                s = 0;
            dst[(size_t)n * out + o] = s;
        }
}

void vconv_ref_lrn(const vconv_lrn_problem *p, const float *src, double *dst)
{
    const bool nhwc = p->layout == VCONV_NHWC;
    const size_t hw = (size_t)p->h * p->w;
    for (int n = 0; n < p->mb; n++)
        for (size_t q = 0; q < hw; q++)
            for (int c = 0; c < p->c; c++) {
#define AT(cc)                                                                 \
    (nhwc ? ((size_t)n * hw + q) * p->c + (size_t)(cc)                         \
          : ((size_t)n * p->c + (size_t)(cc)) * hw + q)
                double s = 0;
                for (int j = c - (p->size - 1) / 2; j <= c + p->size / 2; j++)
                    if (j >= 0 && j < p->c)
                        s += (double)src[AT(j)] * src[AT(j)];
                const double d = (double)p->k +
                                 (double)p->alpha / p->size * s;
                dst[AT(c)] = src[AT(c)] * pow(d, -(double)p->beta);
#undef AT
            }
}

void vconv_ref_softmax(int mb, int classes, const float *src, double *dst)
{
    for (int n = 0; n < mb; n++) {
        const float *x = src + (size_t)n * classes;
        double m = x[0], s = 0;
        for (int j = 1; j < classes; j++)
            m = x[j] > m ? x[j] : m;
        for (int j = 0; j < classes; j++)
            s += exp((double)x[j] - m);
        for (int j = 0; j < classes; j++)
            dst[(size_t)n * classes + j] = exp((double)x[j] - m) / s;
    }
}
