/* fc.h - fully connected layers on vconv's packed SGEMM (kernels/gemm). */
#ifndef VCONV_FC_H
#define VCONV_FC_H

#include "../gemm/gemm.h"

/*
 * The small-batch kernel (fc-gemv-<isa>.c, the portable one in fc.c):
 * for o in [o0, o1) and n < mb (1 <= mb <= VCONV_FC_GEMV_MAX_MB):
 *   r = sum_i W[o][i] * x[n][i]  (a fixed order of the ISA's choosing,
 *       the same for every o),  + bias[o] if bias,  ReLU if relu,
 *   dst[n * out + o] = r.
 * W is the user's row-major [out][in] (copied, aligned): each row is
 * streamed once for all mb images, which is what bounds a batch-1 fc.
 */
#define VCONV_FC_GEMV_MAX_MB 4
typedef void (*vconv_fc_gemv_fn)(int mb, int in, int o0, int o1,
                                 const float *w, const float *x,
                                 const float *bias, int relu, float *dst,
                                 int out);
VCONV_INTERNAL void vconv_fc_gemv__scalar(int mb, int in, int o0, int o1,
                                          const float *w, const float *x,
                                          const float *bias, int relu,
                                          float *dst, int out);
#if VCONV_ARCH_X86_64
VCONV_INTERNAL void vconv_fc_gemv__avx2(int mb, int in, int o0, int o1,
                                        const float *w, const float *x,
                                        const float *bias, int relu,
                                        float *dst, int out);
VCONV_INTERNAL void vconv_fc_gemv__avx512(int mb, int in, int o0, int o1,
                                          const float *w, const float *x,
                                          const float *bias, int relu,
                                          float *dst, int out);
#endif
#if VCONV_ARCH_AARCH64
VCONV_INTERNAL void vconv_fc_gemv__neon(int mb, int in, int o0, int o1,
                                        const float *w, const float *x,
                                        const float *bias, int relu,
                                        float *dst, int out);
#endif

/* An inner product: for mb <= VCONV_FC_GEMV_MAX_MB the weights as they
   are (the GEMV kernel), else W^T prepacked as the GEMM's B operand. */
typedef struct {
    const vconv_sgemm_kernel *kern;
    vconv_sgemm_blocking bl;
    vconv_fc_gemv_fn gemv;   /* non-NULL: the small-batch path */
    int mb, in, out, threads;
    uint32_t flags;          /* VCONV_SGEMM_RELU or 0 */
    float *packed;           /* GEMM: vconv_sgemm_packed_size(out, in, NR);
                                GEMV: [out][in] */
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
