/*
 * onednn_net.h - the oneDNN peer of `vconv-bench net`: the same net_model
 * built from oneDNN 2.6 primitives (C API): convolution (+ ReLU post-op),
 * LRN across channels, max pooling, inner product (+ ReLU post-op),
 * softmax. Every primitive is created on format `any` where oneDNN allows
 * it, so oneDNN picks its own best layouts (nChw16c between convs and
 * pools on AVX-512); a reorder runs in front of a primitive only where its
 * chosen src layout differs from what the previous primitive wrote (the
 * user's NCHW input into the first conv, blocked activations into the
 * first inner product when oneDNN wants another layout), and one at the
 * end into the user's plain dst. Weights are reordered once, at create.
 * Built on the host only, when CMake finds oneDNN. onednn_init() first.
 */
#ifndef VCONV_BENCH_ONEDNN_NET_H
#define VCONV_BENCH_ONEDNN_NET_H

#include "nets.h"

#include <stddef.h>

typedef struct onednn_net onednn_net;

/* Returns 0, or -1 with a message. */
int onednn_net_create(const net_model *m, onednn_net **out, char *err,
                      size_t len);

/* One forward pass: src NCHW [mb][c][h][w], dst [mb][classes] (the last
   layer's output, NCHW flattened). With sec != NULL each step is waited
   for and timed: sec[i] = step i's seconds. Returns 0, or -1. */
int onednn_net_run(onednn_net *n, const float *src, float *dst, double *sec);

/* Steps: one a model layer (a ReLU after conv / fc is its post-op), plus
   "output", the reorder into dst. A step's time includes its reorder. */
int onednn_net_step_count(const onednn_net *n);
const char *onednn_net_step_name(const onednn_net *n, int i);
/* "jit:avx512_core src=nChw16c (reorder)" */
const char *onednn_net_step_impl(const onednn_net *n, int i);

void onednn_net_destroy(onednn_net *n);

#endif
