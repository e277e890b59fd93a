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
 *
 * Batches of at most VCONV_FC_GEMV_MAX_MB take the GEMV kernels instead
 * (fc-gemv-<isa>.c): the GEMM would pad one image to a micro-panel of
 * MR rows, pack it per K block, and read W^T in panels of NR columns
 * (out = 10 pads to 32: three times the bytes); the GEMV streams W once,
 * row after row, which is all a batch-1 fc can do faster. Outputs are
 * split over the threads in contiguous ranges; each output is one fixed
 * dot product: the same bits for any thread count.
 */
#include "fc.h"

#include <omp.h>
#include <string.h>

void vconv_fc_gemv__scalar(int mb, int in, int o0, int o1, const float *w,
                           const float *x, const float *bias, int relu,
                           float *dst, int out)
{
    for (int o = o0; o < o1; o++)
        for (int n = 0; n < mb; n++) {
            const float *wr = w + (size_t)o * in, *xr = x + (size_t)n * in;
            float a[4] = {0, 0, 0, 0};
            int i = 0;
            for (; i + 4 <= in; i += 4)
                for (int v = 0; v < 4; v++)
                    a[v] += wr[i + v] * xr[i + v];
            float r = (a[0] + a[1]) + (a[2] + a[3]);
            for (; i < in; i++)
                r += wr[i] * xr[i];
            if (bias)
                r += bias[o];
            if (relu && r < 0)
                r = 0;
            dst[(size_t)n * out + o] = r;
        }
}

static vconv_fc_gemv_fn gemv_of(vconv_isa isa)
{
    switch (isa) {
#if VCONV_ARCH_X86_64
    case VCONV_ISA_AVX512: return vconv_fc_gemv__avx512;
    case VCONV_ISA_AVX2: return vconv_fc_gemv__avx2;
#endif
#if VCONV_ARCH_AARCH64
    case VCONV_ISA_NEON: return vconv_fc_gemv__neon;
#endif
    default: return vconv_fc_gemv__scalar;
    }
}

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
    if (mb <= VCONV_FC_GEMV_MAX_MB)
        f->gemv = gemv_of(f->kern->isa);
    f->packed = vconv_alloc(
        (f->gemv ? (size_t)out * in
                 : vconv_sgemm_packed_size(out, in, f->kern->nr)) *
        sizeof(float));
    if (b)
        f->bias = vconv_alloc((size_t)out * sizeof(float));
    if (!f->packed || (b && !f->bias)) {
        vconv_fc_plan_free(f);
        return VCONV_ERR_NO_MEMORY;
    }
    if (f->gemv)
        memcpy(f->packed, w, (size_t)out * in * sizeof(float));
    else /* row j of B's packed view is W's row j: rs = in, ps = 1 */
        vconv_sgemm_pack_blocked(out, in, w, in, 1, f->kern->nr, f->bl.kc,
                                 f->packed);
    if (b)
        memcpy(f->bias, b, (size_t)out * sizeof(float));
    return VCONV_OK;
}

vconv_status vconv_fc_plan_run(const vconv_fc_plan *f, const float *src,
                               float *dst)
{
    if (f->gemv) {
        const int T = f->threads, relu = f->flags & VCONV_SGEMM_RELU ? 1 : 0;
#pragma omp parallel num_threads(T) if (T > 1)
        {
            const int t = omp_get_thread_num(), nt = omp_get_num_threads();
            const int o0 = (int)((long)f->out * t / nt);
            const int o1 = (int)((long)f->out * (t + 1) / nt);
            f->gemv(f->mb, f->in, o0, o1, f->packed, src, f->bias, relu, dst,
                    f->out);
        }
        return VCONV_OK;
    }
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
