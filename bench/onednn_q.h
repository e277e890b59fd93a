/*
 * onednn_q.h - the oneDNN peer of `vconv-bench conv --dtype int8|bf16`:
 * oneDNN 2.6's int8 (u8/s8 src x s8 weights) and bf16 forward-inference
 * convolutions on the same quantization parameters as vconv's (vconv.h,
 * "Low precision"):
 *   int8: output scales per output channel src_scale * wei_scales[o] /
 *         dst_scale (f32 dst: src_scale * wei_scales[o]) -- the float M[o]
 *         / S[o] vconv uses; s32 bias; runtime src and dst zero points;
 *         ReLU as an eltwise post-op (applied before the dst zero point, so
 *         it clamps at real 0 as vconv's does).
 *   bf16: bf16 src and weights, f32 bias, f32 or bf16 dst, ReLU post-op.
 * src and dst in the user's layout (NHWC or NCHW: the primitive is created
 * on it, no reorders at run); weights reordered once at create into
 * oneDNN's choice (format `any`). Built on the host only, with oneDNN.
 */
#ifndef VCONV_BENCH_ONEDNN_Q_H
#define VCONV_BENCH_ONEDNN_Q_H

#include "../core/internal.h"

typedef struct onednn_qconv onednn_qconv;

/* Returns 0; 1 when oneDNN has no implementation (err says why); -1 on
   failure. w: int8_t or uint16_t [oc][icg][kh][kw]; wsc float[oc] (int8);
   bias int32_t / float [oc] or NULL. */
int onednn_qconv_create(const vconv_problem *p, const void *w,
                        const float *wsc, const void *bias, int threads,
                        onednn_qconv **out, char *err, size_t len);
int onednn_qconv_run(onednn_qconv *c, const void *src, void *dst);
const char *onednn_qconv_impl(const onednn_qconv *c);
void onednn_qconv_destroy(onednn_qconv *c);
/* Frees the engine and stream (after the last destroy). */
void onednn_qconv_finish(void);

#endif
