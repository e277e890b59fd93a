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
#include <stdio.h>

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
    const vconv_topology *t = vconv_topology_get();
    vconv_sgemm_blocking b;
    /* KC: the A micro-panel (MR x kc) the inner loop keeps reusing stays
       in L1 beside the B micro-panels streaming through: half of L1 for
       it, the rest for B and C. */
    int kc = (int)(t->l1d / 2 / (sizeof(float) * (size_t)k->mr));
    kc = vconv_max_i(64, vconv_min_i(kc / 16 * 16, 1024));
    /* NC: the packed B block (kc x nc) stays in half of L2 while every
       A micro-panel of the thread's M range passes over it. */
    int nc = (int)(t->l2 / 2 / (sizeof(float) * (size_t)kc));
    nc = vconv_max_i(k->nr, nc / k->nr * k->nr);
    /* MC: the packed A block (mc x kc) a thread packs at a time: a few
       hundred rows, bounded by the L2 so the pack stays cache-resident. */
    int mc = (int)(t->l2 / 4 / (sizeof(float) * (size_t)kc));
    mc = vconv_max_i(k->mr, mc / k->mr * k->mr);
    b.kc = kc;
    b.mc = mc;
    b.nc = nc;
    b.order = 0;
    const char *e = getenv("VCONV_GEMM_TUNE");
    if (e) sscanf(e, "%d,%d,%d,%d", &b.kc, &b.mc, &b.nc, &b.order);
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
    return s.b_floats + (size_t)threads * s.a_floats;
}

/*
 * The threads form a tm x tn grid: tm parts of M (whole micro-panels),
 * each shared by tn threads that split the N micro-panels of a block.
 * Chosen to minimise the largest share of micro-tiles; ties go to more
 * parts of M (each thread then packs only its own A). Changes nothing but
 * who computes which tile.
 */
static void grid(int nt, int mpanels, int npanels, int *tm, int *tn)
{
    long best = -1;
    for (int a = nt; a >= 1; a--) {
        if (nt % a)
            continue;
        long w = (long)vconv_div_up(mpanels, a) *
                 vconv_div_up(npanels, nt / a);
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

void vconv_sgemm_run(const vconv_sgemm_kernel *kern,
                     const vconv_sgemm_blocking *bl, int threads,
                     const vconv_sgemm_problem *g, float *work)
{
    const int MR = kern->mr, NR = kern->nr;
    const sizes s = sizes_of(kern, bl, g);
    const int m = g->m, n = g->n, k = g->k;
    const vconv_sgemm_ukernel_fn uk = kern->ukernel;
    const uint32_t epi = g->flags & VCONV_SGEMM_RELU;
    float *bbuf = work;

#pragma omp parallel num_threads(threads) if (threads > 1)
    {
        const int nt = omp_get_num_threads(), t = omp_get_thread_num();
        int tm = 1, tn = 1;
        grid(nt, vconv_div_up(m, MR), vconv_div_up(vconv_min_i(s.nc, n), NR),
             &tm, &tn);
        const int ti = t / tn, tj = t % tn;
        int mp0, mp1;
        share(vconv_div_up(m, MR), tm, ti, &mp0, &mp1);
        const int m0 = mp0 * MR, m1 = vconv_min_i(m, mp1 * MR);
        float *abuf = work + s.b_floats + (size_t)t * s.a_floats;

        for (int jc = 0; jc < n; jc += s.nc) {
            const int nc = vconv_min_i(s.nc, n - jc);
            const int npan = vconv_div_up(nc, NR);
            int jp0, jp1;
            share(npan, tn, tj, &jp0, &jp1);
            for (int pc = 0; pc < k || pc == 0; pc += s.kc) {
                const int kc = vconv_min_i(s.kc, k - pc);
                /* the B block: packed by all threads together (a slice of
                   micro-panels each) into the shared buffer, or found */
                const float *bp;
                if (g->b->prepacked) {
                    bp = g->b->get(g->b, jc, nc, pc, kc, NR, NULL);
                } else {
                    int q0, q1;
                    share(npan, nt, t, &q0, &q1);
                    if (q1 > q0)
                        g->b->get(g->b, jc + q0 * NR,
                                  vconv_min_i(nc, q1 * NR) - q0 * NR, pc, kc,
                                  NR, bbuf + (size_t)q0 * NR * kc);
                    bp = bbuf;
                    if (nt > 1) {
#pragma omp barrier
                    }
                }
                /* the flags of this K block: the caller's ACCUMULATE on the
                   first, accumulate on the others, epilogue on the last */
                const bool last = pc + kc >= k;
                uint32_t f = pc == 0 ? (g->flags & VCONV_SGEMM_ACCUMULATE)
                                     : VCONV_SGEMM_ACCUMULATE;
                if (last)
                    f |= epi;
                for (int ic = m0; ic < m1; ic += s.mc) {
                    const int mc = vconv_min_i(s.mc, m1 - ic);
                    const float *ap = g->a->get(g->a, ic, mc, pc, kc, MR, abuf);
                    if (bl->order == 1) {
                    for (int jp = jp0; jp < jp1; jp++) {
                        const int j = jp * NR;
                        const int nr = vconv_min_i(NR, nc - j);
                        const float *cb = last && g->col_bias
                                              ? g->col_bias + jc + j
                                              : NULL;
                        for (int i = 0; i < mc; i += MR) {
                        const int mr = vconv_min_i(MR, mc - i);
                        const float *a = ap + (size_t)i * kc;
                        const float *rb =
                            last && g->row_bias ? g->row_bias + ic + i : NULL;
                            uk((size_t)mr, (size_t)nr, (size_t)kc, a,
                               bp + (size_t)j * kc,
                               g->c + (size_t)(ic + i) * g->ldc + jc + j,
                               g->ldc, f, rb, cb);
                        }
                    }
                    } else
                    /* A micro-panel outer: it stays in L1 while the B
                       micro-panels of the thread's slice stream from L2 */
                    for (int i = 0; i < mc; i += MR) {
                        const int mr = vconv_min_i(MR, mc - i);
                        const float *a = ap + (size_t)i * kc;
                        const float *rb =
                            last && g->row_bias ? g->row_bias + ic + i : NULL;
                        for (int jp = jp0; jp < jp1; jp++) {
                            const int j = jp * NR;
                            const int nr = vconv_min_i(NR, nc - j);
                            const float *cb = last && g->col_bias
                                                  ? g->col_bias + jc + j
                                                  : NULL;
                            uk((size_t)mr, (size_t)nr, (size_t)kc, a,
                               bp + (size_t)j * kc,
                               g->c + (size_t)(ic + i) * g->ldc + jc + j,
                               g->ldc, f, rb, cb);
                        }
                    }
                }
                /* the next B block overwrites the shared buffer */
                if (!g->b->prepacked && nt > 1) {
#pragma omp barrier
                }
                if (k == 0)
                    break;
            }
        }
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
