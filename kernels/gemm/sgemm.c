/*
 * sgemm.c - the kernel table, the cache blocking and the blocked, threaded
 * SGEMM driver (contract and layouts: gemm.h). Baseline code: it calls an
 * ISA's microkernel only through the table, after its caller made sure the
 * CPU has the ISA.
 */
#include "gemm.h"
#include "../../dispatch/topology.h"

#include <omp.h>
#include <stdlib.h>

/* ------------------------------------------------------------- kernels */

static const vconv_sgemm_kernel kernel_table[] = {
    {"6x8-scalar", VCONV_ISA_SCALAR, 6, 8, vconv_sgemm_ukernel_6x8__scalar,
     vconv_sgemm_pack, vconv_sgemm_gather},
#if VCONV_ARCH_X86_64
    {"6x16-avx2", VCONV_ISA_AVX2, 6, 16, vconv_sgemm_ukernel_6x16__avx2,
     vconv_sgemm_pack__avx2, vconv_sgemm_gather__avx2},
    {"14x32-avx512", VCONV_ISA_AVX512, 14, 32,
     vconv_sgemm_ukernel_14x32__avx512, vconv_sgemm_pack__avx512,
     vconv_sgemm_gather__avx512},
#endif
#if VCONV_ARCH_AARCH64
    {"8x12-neon", VCONV_ISA_NEON, 8, 12, vconv_sgemm_ukernel_8x12__neon,
     vconv_sgemm_pack__neon, vconv_sgemm_gather__neon},
#endif
};

const vconv_sgemm_kernel *vconv_sgemm_kernel_get(vconv_isa isa)
{
    for (size_t i = 0; i < sizeof kernel_table / sizeof kernel_table[0]; i++)
        if (kernel_table[i].isa == isa)
            return &kernel_table[i];
    return NULL;
}

/* ------------------------------------------------------------ blocking */

vconv_sgemm_blocking vconv_sgemm_blocking_get(const vconv_sgemm_kernel *k)
{
    /*
     * The loop nest (vconv_sgemm_run) keeps one A micro-panel (MR x kc) in
     * L1 while the B micro-panels of the block stream past it from L2/L3,
     * so:
     *  - kc: the A micro-panel fills 2/3 of L1 (the rest for the B stream
     *    and C), capped at 512: 384 for 14x32 and 512 for 6x16 with a
     *    32 KiB L1. Measured on Zen 4 (1024^3, vconv-bench gemm): 384 beat
     *    288 and 512 for 14x32 by a few %, 512 beat 256, 672 and 768 for
     *    6x16. Longer blocks gain nothing (the C update they amortise is
     *    already ~1%) and only grow the B micro-panel per call.
     *  - mc: the packed A block of a thread fills half of its L2.
     *  - nc: the packed B block (shared by the threads) a quarter of the
     *    L3 share of a core pair, so A is packed once for all of N up to a
     *    few thousand columns: measured faster than an L2-sized B block
     *    (nc 672) at 1024^3 and 2048^3, as streaming B from L3 costs less
     *    than packing A again per N block.
     */
    const vconv_topology *t = vconv_topology_get();
    vconv_sgemm_blocking b;
    int kc = (int)(t->l1d * 2 / 3 / (sizeof(float) * (size_t)k->mr));
    b.kc = vconv_max_i(64, vconv_min_i(kc / 32 * 32, 512));
    int mc = (int)(t->l2 / 2 / (sizeof(float) * (size_t)b.kc));
    b.mc = vconv_max_i(k->mr, mc / k->mr * k->mr);
    size_t l3 = t->l3 / (size_t)vconv_max_i(1, t->cores) * 2;
    int nc = (int)vconv_min_i(16384, (int)(l3 / 4 / (sizeof(float) *
                                                     (size_t)b.kc)));
    b.nc = vconv_max_i(k->nr, nc / k->nr * k->nr);
    return b;
}

/* -------------------------------------------------------------- sources */

static const float *strided_get(const vconv_sgemm_src *s, int r0, int rows,
                                int k0, int kc, int r, float *dst)
{
    const vconv_sgemm_strided *m = (const vconv_sgemm_strided *)s;
    m->pack(rows, kc, m->ptr + r0 * m->rs + k0 * m->ps, m->rs, m->ps, r,
            dst);
    return dst;
}

vconv_sgemm_strided vconv_sgemm_src_strided(const vconv_sgemm_kernel *kern,
                                            const float *ptr, ptrdiff_t rs,
                                            ptrdiff_t ps)
{
    vconv_sgemm_strided s = {{strided_get, false}, ptr, rs, ps,
                             kern ? kern->pack : vconv_sgemm_pack};
    return s;
}

static const float *prepacked_get(const vconv_sgemm_src *s, int r0, int rows,
                                  int k0, int kc, int r, float *dst)
{
    const vconv_sgemm_prepacked *m = (const vconv_sgemm_prepacked *)s;
    (void)rows;
    (void)dst;
    return m->ptr + (size_t)k0 * vconv_round_up(m->rows, r) + (size_t)r0 * kc;
}

vconv_sgemm_prepacked vconv_sgemm_src_prepacked(const float *p, int rows)
{
    vconv_sgemm_prepacked s = {{prepacked_get, true}, p, rows};
    return s;
}

/* --------------------------------------------------------------- driver */

/* Floats of a workspace part, rounded to whole cache lines so every part
   starts 64-byte aligned. */
static size_t part(size_t floats) { return (floats + 15) / 16 * 16; }

typedef struct {
    int kc, mc, nc;          /* clipped to the problem */
    size_t b_floats, a_floats;
} sizes;

static sizes sizes_of(const vconv_sgemm_kernel *kern,
                      const vconv_sgemm_blocking *bl,
                      const vconv_sgemm_problem *g)
{
    sizes s;
    s.kc = vconv_min_i(bl->kc, g->k);
    s.nc = vconv_min_i(bl->nc, vconv_round_up(g->n, kern->nr));
    s.mc = vconv_min_i(bl->mc, vconv_round_up(g->m, kern->mr));
    s.b_floats = g->b->prepacked ? 0 : part((size_t)s.nc * s.kc);
    s.a_floats = g->a->prepacked ? 0 : part((size_t)s.mc * s.kc);
    return s;
}

size_t vconv_sgemm_workspace(const vconv_sgemm_kernel *kern,
                             const vconv_sgemm_blocking *bl, int threads,
                             const vconv_sgemm_problem *g)
{
    sizes s = sizes_of(kern, bl, g);
    return (size_t)threads * (s.b_floats + s.a_floats);
}

/*
 * The threads form a tm x tn grid; each owns a rectangle of C (whole
 * micro-panels of M and N) and packs the A rows and B columns it needs
 * itself: no shared buffer, no barrier, so a thread that the OS delays
 * delays no other (on a busy 2-core machine libgomp's spinning barriers
 * cost more than packing twice). The grid minimises a thread's time in
 * FMA units: its micro-tiles (2 MR NR K each) plus its packing (~20 FMA
 * units an element, measured: 0.2 ns against ~100 GFLOP/s; prepacked
 * operands pack nothing). Changes nothing but who computes which tile.
 */
static void grid(int nt, int MR, int NR, int m, int n, int k, bool apk,
                 bool bpk, int *tm, int *tn)
{
    double best = -1;
    const int mp = vconv_div_up(m, MR), np = vconv_div_up(n, NR);
    for (int a = 1; a <= nt; a++) {
        if (nt % a)
            continue;
        const double rows = (double)vconv_div_up(mp, a) * MR;
        const double cols = (double)vconv_div_up(np, nt / a) * NR;
        const double w = 2.0 * rows * cols * k +
                         20.0 * k * ((apk ? 0 : rows) + (bpk ? 0 : cols));
        if (best < 0 || w < best) {
            best = w;
            *tm = a;
            *tn = nt / a;
        }
    }
}

/* [lo, hi) of n items split in parts: part i of `parts`. */
static void share(int n, int parts, int i, int *lo, int *hi)
{
    *lo = (int)((long)n * i / parts);
    *hi = (int)((long)n * (i + 1) / parts);
}

/* One thread's rectangle: rows [m0, m1) x columns [n0, n1) of C. */
static void rect(const vconv_sgemm_kernel *kern, const sizes *s,
                 const vconv_sgemm_problem *g, int m0, int m1, int n0,
                 int n1, float *bbuf, float *abuf)
{
    const int MR = kern->mr, NR = kern->nr, k = g->k;
    const vconv_sgemm_ukernel_fn uk = kern->ukernel;
    for (int jc = n0; jc < n1; jc += s->nc) {
        const int nc = vconv_min_i(s->nc, n1 - jc);
        for (int pc = 0; pc < k || pc == 0; pc += s->kc) {
            const int kc = vconv_min_i(s->kc, k - pc);
            const float *bp = g->b->get(g->b, jc, nc, pc, kc, NR, bbuf);
            /* the caller's ACCUMULATE on the first K block, accumulate on
               the others, the epilogue on the last */
            const bool last = pc + kc >= k;
            uint32_t f = pc == 0 ? (g->flags & VCONV_SGEMM_ACCUMULATE)
                                 : VCONV_SGEMM_ACCUMULATE;
            if (last)
                f |= g->flags & VCONV_SGEMM_RELU;
            for (int ic = m0; ic < m1; ic += s->mc) {
                const int mc = vconv_min_i(s->mc, m1 - ic);
                const float *ap = g->a->get(g->a, ic, mc, pc, kc, MR, abuf);
                /* A micro-panel outer: it stays in L1 while the B
                   micro-panels of the block stream from L2 / L3 */
                for (int i = 0; i < mc; i += MR) {
                    const int mr = vconv_min_i(MR, mc - i);
                    const float *a = ap + (size_t)i * kc;
                    const float *rb =
                        last && g->row_bias ? g->row_bias + ic + i : NULL;
                    float *c = g->c + (size_t)(ic + i) * g->ldc;
                    for (int j = 0; j < nc; j += NR) {
                        const float *cb =
                            last && g->col_bias ? g->col_bias + jc + j : NULL;
                        uk((size_t)mr, (size_t)vconv_min_i(NR, nc - j),
                           (size_t)kc, a, bp + (size_t)j * kc, c + jc + j,
                           g->ldc, f, rb, cb);
                    }
                }
            }
            if (k == 0)
                break;
        }
    }
}

void vconv_sgemm_run(const vconv_sgemm_kernel *kern,
                     const vconv_sgemm_blocking *bl, int threads,
                     const vconv_sgemm_problem *g, float *work)
{
    const int MR = kern->mr, NR = kern->nr;
    const sizes s = sizes_of(kern, bl, g);
    const size_t per_thread = s.b_floats + s.a_floats;

#pragma omp parallel num_threads(threads) if (threads > 1)
    {
        const int nt = omp_get_num_threads(), t = omp_get_thread_num();
        int tm = 1, tn = 1;
        grid(nt, MR, NR, g->m, g->n, g->k, g->a->prepacked,
             g->b->prepacked, &tm, &tn);
        int mp0, mp1, np0, np1;
        share(vconv_div_up(g->m, MR), tm, t / tn, &mp0, &mp1);
        share(vconv_div_up(g->n, NR), tn, t % tn, &np0, &np1);
        float *mine = work + (size_t)t * per_thread;
        if (mp1 > mp0 && np1 > np0)
            rect(kern, &s, g, mp0 * MR, vconv_min_i(g->m, mp1 * MR),
                 np0 * NR, vconv_min_i(g->n, np1 * NR), mine,
                 mine + s.b_floats);
    }
}

vconv_status vconv_sgemm(vconv_isa isa, int threads, int m, int n, int k,
                         const float *a, size_t lda, const float *b,
                         size_t ldb, float *c, size_t ldc, uint32_t flags,
                         const float *row_bias, const float *col_bias)
{
    const vconv_sgemm_kernel *kern = vconv_sgemm_kernel_get(isa);
    if (!kern)
        return vconv_error(VCONV_ERR_UNSUPPORTED,
                           "no sgemm kernel for %s in this build",
                           vconv_isa_name(isa));
    if (m <= 0 || n <= 0 || k < 0 || threads < 1)
        return vconv_error(VCONV_ERR_BAD_SHAPE,
                           "sgemm m=%d n=%d k=%d threads=%d", m, n, k,
                           threads);
    const vconv_sgemm_blocking bl = vconv_sgemm_blocking_get(kern);
    vconv_sgemm_strided as =
        vconv_sgemm_src_strided(kern, a, (ptrdiff_t)lda, 1);
    vconv_sgemm_strided bs =
        vconv_sgemm_src_strided(kern, b, 1, (ptrdiff_t)ldb);
    vconv_sgemm_problem g = {
        .m = m, .n = n, .k = k, .a = &as.base, .b = &bs.base, .c = c,
        .ldc = ldc, .flags = flags, .row_bias = row_bias,
        .col_bias = col_bias};
    size_t floats = vconv_sgemm_workspace(kern, &bl, threads, &g);
    float *work = vconv_scratch(VCONV_SCRATCH_SHARED, floats * sizeof(float));
    if (!work)
        return vconv_error(VCONV_ERR_NO_MEMORY,
                           "sgemm workspace of %zu bytes",
                           floats * sizeof(float));
    vconv_sgemm_run(kern, &bl, threads, &g, work);
    return VCONV_OK;
}
