/*
 * xnnpack_peer.h - the optional XNNPACK peer of vconv-bench ("xnnpack"): the
 * library a user with NHWC tensors would otherwise pick. An f32 NHWC
 * convolution (xnn_create_convolution2d_nhwc_f32) with bias and, when the
 * problem has ReLU, output clamping to [0, +inf). The bench converts its
 * NCHW input to NHWC once, outside the timed region, and times
 * xnn_run_operator alone (the operator is set up once per buffer pair, as a
 * user running one model would). Threads: a pthreadpool of `threads`
 * (none for 1: the calling thread). Built when CMake finds Debian's
 * libxnnpack-dev and libpthreadpool-dev (VCONV_HAVE_XNNPACK).
 */
#ifndef VCONV_BENCH_XNNPACK_PEER_H
#define VCONV_BENCH_XNNPACK_PEER_H

#include "../core/internal.h"

#include <stddef.h>

typedef struct xnnpack_conv xnnpack_conv;

/* xnn_initialize; 0, or -1 with a message (e.g. unsupported hardware). */
int xnnpack_init(char *err, size_t len);
void xnnpack_finish(void);
const char *xnnpack_version_str(void);

/* p: NCHW problem (its NHWC twin is what runs); w [oc][ic/g][kh][kw] and b
   (NULL: none) are copied. 0; 1 when XNNPACK refuses the shape; -1. */
int xnnpack_conv_create(const vconv_problem *p, const float *w,
                        const float *b, int threads, xnnpack_conv **out,
                        char *err, size_t len);

/* One inference: src [mb][ih][iw][ic] -> dst [mb][oh][ow][oc]. 0 or -1. */
int xnnpack_conv_run(xnnpack_conv *c, const float *src, float *dst);

const char *xnnpack_conv_impl(const xnnpack_conv *c);
void xnnpack_conv_destroy(xnnpack_conv *c);

#endif
