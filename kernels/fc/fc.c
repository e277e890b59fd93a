/*
 * fc.c - a fully connected layer as one GEMM on vconv's packed SGEMM:
 *   C[mb x out] = A[mb x in] * B[in x out],  A = src (row-major, packed
 *   per run by the driver), B = W^T, B(p, j) = W[j][p]: prepacked once at
 *   create as the K-blocked B operand (rows = out, R = NR, the driver's
 *   kc), so a run streams the weights exactly once and never repacks them.
 * Bias as the GEMM's column bias, ReLU in its epilogue. Batch 1 is a
 * GEMV through the same kernels (a 1-row tile: the microkernel runs its
 * smallest row count); it is bound by reading the weights, whoever runs
 * it. Thread-count independent: the driver's K order depends on kc only.
 */
#include "fc.h"

#include <string.h>

vconv_status vconv_fc_plan_init(vconv_fc_plan *f, vconv_isa isa, int mb,
                                int in, int out, vconv_act act, int threads,
                                const float *w, const float *b)
{
    memset(f, 0, sizeof *f);
    f->kern = vconv_sgemm_kernel_get(isa);
    if (!f->kern)
        f->kern = vconv_sgemm_kernel_get(VCONV_ISA_SCALAR);
    f->bl = vconv_sgemm_blocking_get(f->kern);
    f->mb = mb;
    f->in = in;
    f->out = out;
    f->threads = threads;
    f->flags = act == VCONV_ACT_RELU ? VCONV_SGEMM_RELU : 0;
    f->packed = vconv_alloc(vconv_sgemm_packed_size(out, in, f->kern->nr) *
                            sizeof(float));
    if (b)
        f->bias = vconv_alloc((size_t)out * sizeof(float));
    if (!f->packed || (b && !f->bias)) {
        vconv_fc_plan_free(f);
        return VCONV_ERR_NO_MEMORY;
    }
    /* row j of B's packed view is W's row j: rs = in, ps = 1 */
    vconv_sgemm_pack_blocked(out, in, w, in, 1, f->kern->nr, f->bl.kc,
                             f->packed);
    if (b)
        memcpy(f->bias, b, (size_t)out * sizeof(float));
    return VCONV_OK;
}

vconv_status vconv_fc_plan_run(const vconv_fc_plan *f, const float *src,
                               float *dst)
{
    vconv_sgemm_strided as =
        vconv_sgemm_src_strided(f->kern, src, (ptrdiff_t)f->in, 1);
    vconv_sgemm_prepacked bs = vconv_sgemm_src_prepacked(f->packed, f->out);
    vconv_sgemm_problem g = {.m = f->mb, .n = f->out, .k = f->in,
                             .a = &as.base, .b = &bs.base, .c = dst,
                             .ldc = (size_t)f->out, .flags = f->flags,
                             .row_bias = NULL, .col_bias = f->bias};
    size_t floats = vconv_sgemm_workspace(f->kern, &f->bl, f->threads, &g);
    float *work = vconv_scratch(VCONV_SCRATCH_SHARED,
                                (floats ? floats : 1) * sizeof(float));
    if (!work)
        return VCONV_ERR_NO_MEMORY;
    vconv_sgemm_run(f->kern, &f->bl, f->threads, &g, work);
    return VCONV_OK;
}

void vconv_fc_plan_free(vconv_fc_plan *f)
{
    vconv_free(f->packed);
    vconv_free(f->bias);
    f->packed = f->bias = NULL;
}
