/* fc.h - fully connected layers on vconv's packed SGEMM (kernels/gemm). */
#ifndef VCONV_FC_H
#define VCONV_FC_H

#include "../gemm/gemm.h"

/* A prepacked inner product: W^T packed as the GEMM's B operand. */
typedef struct {
    const vconv_sgemm_kernel *kern;
    vconv_sgemm_blocking bl;
    int mb, in, out, threads;
    uint32_t flags;          /* VCONV_SGEMM_RELU or 0 */
    float *packed;           /* vconv_sgemm_packed_size(out, in, NR) */
    float *bias;             /* [out] or NULL */
} vconv_fc_plan;

/* Packs weights [out][in] (copied) and bias; VCONV_ERR_NO_MEMORY or OK. */
VCONV_INTERNAL vconv_status vconv_fc_plan_init(vconv_fc_plan *f,
                                               vconv_isa isa, int mb, int in,
                                               int out, vconv_act act,
                                               int threads, const float *w,
                                               const float *b);
/* dst[mb][out] = act(src[mb][in] W^T + b); NO_MEMORY (dst untouched). */
VCONV_INTERNAL vconv_status vconv_fc_plan_run(const vconv_fc_plan *f,
                                              const float *src, float *dst);
VCONV_INTERNAL void vconv_fc_plan_free(vconv_fc_plan *f);

#endif
