/* ref.h - the reference convolution: the oracle of every test. */
#ifndef VCONV_REF_H
#define VCONV_REF_H

#include "../../core/internal.h"

/*
 * Plain loops, double accumulation, everything the descriptor allows
 * (stride, asymmetric padding, dilation, groups, bias or none, ReLU, NCHW
 * and NHWC). weights in the user's [oc][icg][kh][kw]; bias NULL for none.
 * Writes float results to dst and/or the unrounded double results to dst64
 * (either may be NULL). mag64, when not NULL, gets the scale rounding acts
 * on: sum |x * w| + |bias| per output (before the activation); the tests
 * measure errors against it. Parallel over (image, output channel) with
 * p->threads threads; each output is one thread's fixed-order sum, so the
 * result does not depend on the thread count.
 */
VCONV_INTERNAL void vconv_ref_conv(const vconv_problem *p, const float *weights,
                                   const float *bias, const float *src,
                                   float *dst, double *dst64, double *mag64);

#endif
