/*
 * depthwise-tiles.h - the body of the depthwise row kernel, written once
 * over the small vector vocabulary each ISA file defines before including
 * it (the vocabulary of kernels/direct/direct-tiles.h: DV, dvec, dmask,
 * dmask_first, dv_load, dv_store, dv_store_m, dv_fma, dv_max, dv_zero).
 * Macros only: nothing here is code until an ISA file expands it.
 *
 * Register plan: a tile of U output pixels of one channel vector: U
 * accumulators + 1 weight vector; per tap 1 weight load and U input loads
 * (memory operands of the FMAs on x86), U FMAs. U = DW_UR (8) hides the
 * FMA latency of two pipes (2 x 4 chains) and keeps the weight loads at
 * 1/8 of the input loads; the row's last ow % 8 pixels take a tile of
 * their own size. AVX-512: 9 of 32 zmm, AVX2: 9 of 16 ymm, NEON: 18 of
 * 32 q.
 */
#ifndef VCONV_DEPTHWISE_TILES_H
#define VCONV_DEPTHWISE_TILES_H

#define DW_UR 8

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DW_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define DW_SANITIZED 1
#endif
#ifdef DW_SANITIZED
#ifdef __clang__
#define DW_UNROLL _Pragma("clang loop unroll(disable)")
#else
#define DW_UNROLL _Pragma("GCC unroll 1")
#endif
#else
#define DW_UNROLL _Pragma("GCC unroll 16")
#endif

/* dw_tile_U(a, x): output pixels x .. x + U - 1 of the row. */
#define DW_DEF_TILE(U)                                                        \
    static inline void dw_tile_##U(const dw_row_args *a, int x)               \
    {                                                                         \
        dvec acc[U];                                                          \
        const dvec b = dv_load(a->bias);                                      \
        DW_UNROLL for (int u = 0; u < U; u++) acc[u] = b;                     \
        const float *s = a->src + (ptrdiff_t)x * a->src_px;                   \
        const float *w = a->wei;                                              \
        const ptrdiff_t spx = a->src_px, skx = a->src_kx;                     \
        for (int ky = 0; ky < a->n_ky; ky++) {                                \
            const float *sk = s + ky * a->src_ky;                             \
            for (int kx = 0; kx < a->kw; kx++, sk += skx, w += DV) {          \
                const dvec wv = dv_load(w);                                   \
                DW_UNROLL for (int u = 0; u < U; u++) acc[u] =                \
                    dv_fma(dv_load(sk + u * spx), wv, acc[u]);                \
            }                                                                 \
        }                                                                     \
        if (a->relu) {                                                        \
            const dvec z = dv_zero();                                         \
            DW_UNROLL for (int u = 0; u < U; u++) acc[u] = dv_max(acc[u], z); \
        }                                                                     \
        float *o = a->dst + (ptrdiff_t)x * a->dst_px;                         \
        if (a->nvalid == DV) {                                                \
            DW_UNROLL for (int u = 0; u < U; u++)                             \
                dv_store(o + u * a->dst_px, acc[u]);                          \
        } else {                                                              \
            const dmask m = dmask_first(a->nvalid);                           \
            DW_UNROLL for (int u = 0; u < U; u++)                             \
                dv_store_m(o + u * a->dst_px, m, acc[u]);                     \
        }                                                                     \
    }

/* The row function: tiles of DW_UR pixels, then one of the rest. */
#define DW_DEF_ROW(NAME)                                                      \
    DW_DEF_TILE(1) DW_DEF_TILE(2) DW_DEF_TILE(3) DW_DEF_TILE(4)               \
    DW_DEF_TILE(5) DW_DEF_TILE(6) DW_DEF_TILE(7) DW_DEF_TILE(8)               \
    void NAME(const dw_row_args *a)                                           \
    {                                                                         \
        int x = 0;                                                            \
        for (; x + DW_UR <= a->ow; x += DW_UR)                                \
            dw_tile_8(a, x);                                                  \
        switch (a->ow - x) {                                                  \
        case 7: dw_tile_7(a, x); break;                                       \
        case 6: dw_tile_6(a, x); break;                                       \
        case 5: dw_tile_5(a, x); break;                                       \
        case 4: dw_tile_4(a, x); break;                                       \
        case 3: dw_tile_3(a, x); break;                                       \
        case 2: dw_tile_2(a, x); break;                                       \
        case 1: dw_tile_1(a, x); break;                                       \
        default: break;                                                       \
        }                                                                     \
    }

#endif /* VCONV_DEPTHWISE_TILES_H */
