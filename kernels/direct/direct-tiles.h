/*
 * direct-tiles.h - the bodies of the direct-convolution microkernels,
 * written once over a small vector vocabulary that each ISA file defines
 * before including this header (so AVX-512, AVX2 and, later, NEON share
 * one blocking and one loop nest; only the vocabulary differs). Macros
 * only: nothing here is code until an ISA file expands it.
 *
 * Vocabulary an ISA file defines:
 *   DV              floats per vector (the block width V)
 *   dvec            the vector type
 *   dmask           a lane mask type; dmask_first(n): lanes 0..n-1
 *   dv_load(p) dv_store(p, v)              unaligned
 *   dv_load_m(p, m) dv_store_m(p, m, v)    masked; lanes outside m are
 *                                          neither read nor written (no
 *                                          fault either: AVX-512 / AVX2
 *                                          masked moves suppress it)
 *   dv_set1(x) dv_zero() dv_fma(a, b, c) = a * b + c   dv_max(a, b)
 *   dv_prefetch(p)  a hint to bring p's line into L1 (never faults)
 *
 * Tiles are unrolled at compile time: NB, UR, VIN, NO, NV are literals in
 * each instantiation, so the accumulator arrays are fixed-size and every
 * index is a constant after unrolling, and both gcc and clang keep them in
 * registers (checked in the assembly: no spills within the limits that
 * direct.c's per-ISA tables give).
 */
#ifndef VCONV_DIRECT_TILES_H
#define VCONV_DIRECT_TILES_H

/* Sanitizer builds (AddressSanitizer: clang's feature test, gcc's
   macro) check the same loops without unrolling them: the unrolled tiles
   instrumented take clang minutes to compile, and a sanitizer build is
   for memory and UB errors, not speed. */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DIRECT_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define DIRECT_SANITIZED 1
#endif

#ifdef DIRECT_SANITIZED
#ifdef __clang__
#define DIRECT_UNROLL _Pragma("clang loop unroll(disable)")
#else
#define DIRECT_UNROLL _Pragma("GCC unroll 1")
#endif
#define DIRECT_UNROLL_IN DIRECT_UNROLL
#else
#define DIRECT_UNROLL _Pragma("GCC unroll 32")
#define DIRECT_UNROLL_IN _Pragma("GCC unroll 4")
#endif
#ifndef DIRECT_PF_WEI
#define DIRECT_PF_WEI 1024
#endif

/*
 * Channel-vector tile: UR pixels x NB blocks of DV output channels.
 * Per input channel i of a kernel tap: NB weight vectors loaded, then for
 * each pixel one broadcast of its input value and NB FMAs. Registers:
 * UR * NB accumulators + NB weights + 1 broadcast.
 * VIN = DV: src blocked (pixel stride DV floats, channel i at +i);
 * VIN = 1: src planar (pixel stride 1, one channel per "block").
 */
/* One reduction step group: the VIN input channels of one tap, every
   pixel of the tile (pixels whose tap falls into the left / right padding
   multiply the converted src's zero columns). Two orders, chosen at
   compile time: NB <= UR keeps the NB weight vectors in registers and
   streams one broadcast (UR * NB + NB + 1 registers); UR < NB keeps the UR
   broadcasts and streams one weight vector (UR * NB + UR + 1), which is
   what lets AVX2 run 3 x 4 in 16 registers. */
#define DIRECT_UKR_STEP(VIN, NB, UR, PS)                                      \
    DIRECT_UNROLL_IN for (int i = 0; i < VIN; i++)                            \
    {                                                                         \
        /* the weights DIRECT_PF_WEI floats ahead, one prefetch a line */    \
        DIRECT_UNROLL for (int q = 0; q < NB * DV; q += 16)                   \
            dv_prefetch(w + i * NB * DV + q + DIRECT_PF_WEI);                 \
        if (NB <= UR) {                                                       \
            dvec wv[NB];                                                      \
            DIRECT_UNROLL for (int b = 0; b < NB; b++) wv[b] =                \
                dv_load(w + (i * NB + b) * DV);                               \
            DIRECT_UNROLL for (int p = 0; p < UR; p++)                        \
            {                                                                 \
                const dvec x = dv_set1(s[p * PS + i * cs_]);                  \
                DIRECT_UNROLL for (int b = 0; b < NB; b++)                    \
                    acc[b][p] = dv_fma(x, wv[b], acc[b][p]);                  \
            }                                                                 \
        } else {                                                              \
            dvec xv[UR];                                                      \
            DIRECT_UNROLL for (int p = 0; p < UR; p++) xv[p] =                \
                dv_set1(s[p * PS + i * cs_]);                                 \
            DIRECT_UNROLL for (int b = 0; b < NB; b++)                        \
            {                                                                 \
                const dvec wb = dv_load(w + (i * NB + b) * DV);               \
                DIRECT_UNROLL for (int p = 0; p < UR; p++)                    \
                    acc[b][p] = dv_fma(xv[p], wb, acc[b][p]);                 \
            }                                                                 \
        }                                                                     \
    }

#define DIRECT_UKR_BODY(VIN, NB, UR) DIRECT_UKR_BODY_S(VIN, NB, UR, VIN, 1)

/* The same tile on any source addressing: pixel p, channel i of a block
   at s[p * PS + i * CS] (converted blocked: PS = VIN, CS = 1; planar:
   PS = 1; the user's NCHW src read in place: VIN = DV, PS = the stride,
   CS = a->src_c, the channel plane). */
#define DIRECT_UKR_BODY_S(VIN, NB, UR, PS, CS)                                \
    {                                                                         \
        const ptrdiff_t cs_ = (CS);                                           \
        dvec acc[NB][UR];                                                     \
        if (a->accum) {                                                       \
            /* a later chunk of the reduction: the partial sums stored by \
               the chunk before (stored and reloaded exactly: the sum's   \
               order is the one of a single call) */                      \
            DIRECT_UNROLL for (int b = 0; b < NB - 1; b++)                    \
                DIRECT_UNROLL for (int p = 0; p < UR; p++) acc[b][p] =        \
                    dv_load(a->dst + p * a->dst_pix + b * a->dst_blk);        \
            const float *dl_ = a->dst + (NB - 1) * a->dst_blk;                \
            if (a->last_valid == DV) {                                        \
                DIRECT_UNROLL for (int p = 0; p < UR; p++) acc[NB - 1][p] =   \
                    dv_load(dl_ + p * a->dst_pix);                            \
            } else {                                                          \
                const dmask m_ = dmask_first(a->last_valid);                  \
                DIRECT_UNROLL for (int p = 0; p < UR; p++) acc[NB - 1][p] =   \
                    dv_load_m(dl_ + p * a->dst_pix, m_);                      \
            }                                                                 \
        } else {                                                              \
            DIRECT_UNROLL for (int b = 0; b < NB; b++)                        \
            {                                                                 \
                const dvec bb = dv_load(a->bias + b * DV);                    \
                DIRECT_UNROLL for (int p = 0; p < UR; p++) acc[b][p] = bb;    \
            }                                                                 \
        }                                                                     \
        const int kw_ = a->kw, nky_ = a->n_ky;                                \
        const int pf_ = UR * PS + a->kx_off[kw_ - 1];                         \
        for (int icb = 0; icb < a->n_icb; icb++) {                            \
            const float *s0 = a->src + icb * a->src_icb;                      \
            const float *w = a->wei + icb * a->wei_icb;                       \
            for (int ky = 0; ky < nky_; ky++) {                               \
                const float *s1 = s0 + ky * a->src_ky;                        \
                /* the same row of the next input block: its lines come   \
                   from L2 at a jump the hardware prefetcher misses */    \
                for (int q = 0; q < pf_; q += 16)                             \
                    dv_prefetch(s1 + a->src_icb + q);                         \
                for (int kx = 0; kx < kw_; kx++) {                            \
                    const float *s = s1 + a->kx_off[kx];                      \
                    DIRECT_UKR_STEP(VIN, NB, UR, PS)                          \
                    w += VIN * NB * DV;                                       \
                }                                                             \
            }                                                                 \
        }                                                                     \
        if (a->relu) {                                                        \
            const dvec z = dv_zero();                                         \
            DIRECT_UNROLL for (int b = 0; b < NB; b++)                        \
                DIRECT_UNROLL for (int p = 0; p < UR; p++) acc[b][p] =        \
                    dv_max(acc[b][p], z);                                     \
        }                                                                     \
        float *const dst_ = a->dst;                                           \
        const ptrdiff_t pix_ = a->dst_pix, blk_ = a->dst_blk;                 \
        DIRECT_UNROLL for (int b = 0; b < NB - 1; b++)                        \
            DIRECT_UNROLL for (int p = 0; p < UR; p++)                        \
                dv_store(dst_ + p * pix_ + b * blk_, acc[b][p]);              \
        float *dl = dst_ + (NB - 1) * blk_;                                   \
        if (a->last_valid == DV) {                                            \
            DIRECT_UNROLL for (int p = 0; p < UR; p++)                        \
                dv_store(dl + p * pix_, acc[NB - 1][p]);                      \
        } else {                                                              \
            const dmask m = dmask_first(a->last_valid);                       \
            DIRECT_UNROLL for (int p = 0; p < UR; p++)                        \
                dv_store_m(dl + p * pix_, m, acc[NB - 1][p]);                 \
        }                                                                     \
    }

/*
 * Width-vector tile: NO output channels x NV vectors of DV pixels of one
 * output row. Vectors 0 .. NV-2 start at v * DV; the last one at
 * last_off: when the row is at least DV wide the caller makes it end at
 * the row's last pixel (overlapping the vector before it: those pixels
 * are computed twice, identically, by this one call) and last_px = DV;
 * otherwise last_px < DV pixels at (NV-1) * DV, loaded and stored masked.
 * Per kernel tap: NV input vectors loaded (planar src, pixel stride 1),
 * then for each output channel one broadcast weight and NV FMAs.
 * Registers: NO * NV accumulators + NV inputs + 1 broadcast.
 */
#define DIRECT_WV_TAPS(NO, NV, LOAD_LAST)                                     \
    for (int c = 0; c < n_c_; c++) {                                          \
        const float *s0 = src_ + c * src_c_;                                  \
        const float *w = wei_ + c * wei_c_;                                   \
        for (int ky = 0; ky < nky_; ky++) {                                   \
            const float *s1 = s0 + ky * src_ky_;                              \
            for (int kx = 0; kx < kw_; kx++) {                                \
                const float *s = s1 + kx_off_[kx];                            \
                dvec x[NV];                                                   \
                DIRECT_UNROLL for (int v = 0; v < NV - 1; v++) x[v] =         \
                    dv_load(s + v * DV);                                      \
                x[NV - 1] = LOAD_LAST;                                        \
                DIRECT_UNROLL for (int o = 0; o < NO; o++)                    \
                {                                                             \
                    const dvec wo = dv_set1(w[o]);                            \
                    DIRECT_UNROLL for (int v = 0; v < NV; v++)                \
                        acc[o][v] = dv_fma(x[v], wo, acc[o][v]);              \
                }                                                             \
                w += NO;                                                      \
            }                                                                 \
        }                                                                     \
    }

#define DIRECT_WV_BODY(NO, NV)                                                \
    {                                                                         \
        /* the arguments in locals: the masked stores are opaque to alias  \
           analysis and would make the compiler reload them */            \
        const float *const src_ = a->src, *const wei_ = a->wei;               \
        const int *const kx_off_ = a->kx_off;                                 \
        const ptrdiff_t src_c_ = a->src_c, src_ky_ = a->src_ky,               \
                        wei_c_ = a->wei_c, dst_c_ = a->dst_c,                 \
                        lo_ = a->last_off;                                    \
        const int n_c_ = a->n_c, kw_ = a->kw, nky_ = a->n_ky;                 \
        const int full_ = a->last_px == DV;                                   \
        float *const dst_ = a->dst;                                           \
        dvec acc[NO][NV];                                                     \
        DIRECT_UNROLL for (int o = 0; o < NO; o++)                            \
        {                                                                     \
            const dvec bb = dv_set1(a->bias[o]);                              \
            DIRECT_UNROLL for (int v = 0; v < NV; v++) acc[o][v] = bb;        \
        }                                                                     \
        const dmask m = dmask_first(a->last_px);                              \
        if (full_) {                                                          \
            DIRECT_WV_TAPS(NO, NV, dv_load(s + lo_))                          \
        } else {                                                              \
            DIRECT_WV_TAPS(NO, NV, dv_load_m(s + lo_, m))                     \
        }                                                                     \
        if (a->relu) {                                                        \
            const dvec z = dv_zero();                                         \
            DIRECT_UNROLL for (int o = 0; o < NO; o++)                        \
                DIRECT_UNROLL for (int v = 0; v < NV; v++) acc[o][v] =        \
                    dv_max(acc[o][v], z);                                     \
        }                                                                     \
        DIRECT_UNROLL for (int o = 0; o < NO; o++)                            \
        {                                                                     \
            float *d = dst_ + o * dst_c_;                                     \
            DIRECT_UNROLL for (int v = 0; v < NV - 1; v++)                    \
                dv_store(d + v * DV, acc[o][v]);                              \
            if (full_)                                                        \
                dv_store(d + lo_, acc[o][NV - 1]);                            \
            else                                                              \
                dv_store_m(d + lo_, m, acc[o][NV - 1]);                       \
        }                                                                     \
    }

/*
 * The channel-vector kernels of an ISA file, from its DIRECT_TILES(M, X)
 * list of shapes, for every source addressing (ukr table modes):
 *   ukr_VIN_NB_UR   converted src, VIN = DV (blocked, mode 1) or 1
 *                   (planar, mode 0);
 *   ukrn_PS_NB_UR   the user's NCHW src in place, blocks of DV planes
 *                   (src_c apart), pixel stride PS = 1 or 2 (modes 2, 3);
 *   ukrp_PS_NB_UR   the same, planar (one channel a block), PS = 2 or 4
 *                   (modes 4, 5).
 * DIRECT_DEFINE_UKRS defines them; DIRECT_UKR_ENTRIES is the table's
 * initializer.
 */
#define DIRECT_DEF_UKR(VIN, NB, UR)                                           \
    static void ukr_##VIN##_##NB##_##UR(const direct_ukr_args *a)             \
        DIRECT_UKR_BODY(VIN, NB, UR)
#define DIRECT_ENT_UKR(VIN, NB, UR)                                           \
    [DIRECT_UKR_MODE(VIN == DV, 0)][NB][UR] = ukr_##VIN##_##NB##_##UR,
#define DIRECT_DEF_UKRN(PS, NB, UR)                                           \
    static void ukrn_##PS##_##NB##_##UR(const direct_ukr_args *a)             \
        DIRECT_UKR_BODY_S(DV, NB, UR, PS, a->src_c)
#define DIRECT_ENT_UKRN(PS, NB, UR)                                           \
    [DIRECT_UKR_MODE(1, PS)][NB][UR] = ukrn_##PS##_##NB##_##UR,
#define DIRECT_DEF_UKRP(PS, NB, UR)                                           \
    static void ukrp_##PS##_##NB##_##UR(const direct_ukr_args *a)             \
        DIRECT_UKR_BODY_S(1, NB, UR, PS, 1)
#define DIRECT_ENT_UKRP(PS, NB, UR)                                           \
    [DIRECT_UKR_MODE(0, PS)][NB][UR] = ukrp_##PS##_##NB##_##UR,
#define DIRECT_UKR_ALL(D, N, P)                                               \
    DIRECT_TILES(D, DV) DIRECT_TILES(D, 1) DIRECT_TILES(N, 1)                 \
    DIRECT_TILES(N, 2) DIRECT_TILES(P, 2) DIRECT_TILES(P, 4)
#define DIRECT_DEFINE_UKRS                                                    \
    DIRECT_UKR_ALL(DIRECT_DEF_UKR, DIRECT_DEF_UKRN, DIRECT_DEF_UKRP)
#define DIRECT_UKR_ENTRIES                                                    \
    DIRECT_UKR_ALL(DIRECT_ENT_UKR, DIRECT_ENT_UKRN, DIRECT_ENT_UKRP)

/* Instantiation lists: DIRECT_REP_n(M, a, b) expands M(a, b, 1) ...
   M(a, b, n). */
#define DIRECT_REP_1(M, a, b) M(a, b, 1)
#define DIRECT_REP_2(M, a, b) DIRECT_REP_1(M, a, b) M(a, b, 2)
#define DIRECT_REP_3(M, a, b) DIRECT_REP_2(M, a, b) M(a, b, 3)
#define DIRECT_REP_4(M, a, b) DIRECT_REP_3(M, a, b) M(a, b, 4)
#define DIRECT_REP_5(M, a, b) DIRECT_REP_4(M, a, b) M(a, b, 5)
#define DIRECT_REP_6(M, a, b) DIRECT_REP_5(M, a, b) M(a, b, 6)
#define DIRECT_REP_7(M, a, b) DIRECT_REP_6(M, a, b) M(a, b, 7)
#define DIRECT_REP_8(M, a, b) DIRECT_REP_7(M, a, b) M(a, b, 8)
#define DIRECT_REP_9(M, a, b) DIRECT_REP_8(M, a, b) M(a, b, 9)
#define DIRECT_REP_10(M, a, b) DIRECT_REP_9(M, a, b) M(a, b, 10)
#define DIRECT_REP_11(M, a, b) DIRECT_REP_10(M, a, b) M(a, b, 11)
#define DIRECT_REP_12(M, a, b) DIRECT_REP_11(M, a, b) M(a, b, 12)
#define DIRECT_REP_13(M, a, b) DIRECT_REP_12(M, a, b) M(a, b, 13)
#define DIRECT_REP_14(M, a, b) DIRECT_REP_13(M, a, b) M(a, b, 14)
#define DIRECT_REP_15(M, a, b) DIRECT_REP_14(M, a, b) M(a, b, 15)
#define DIRECT_REP_16(M, a, b) DIRECT_REP_15(M, a, b) M(a, b, 16)
#define DIRECT_REP_17(M, a, b) DIRECT_REP_16(M, a, b) M(a, b, 17)
#define DIRECT_REP_18(M, a, b) DIRECT_REP_17(M, a, b) M(a, b, 18)
#define DIRECT_REP_19(M, a, b) DIRECT_REP_18(M, a, b) M(a, b, 19)
#define DIRECT_REP_20(M, a, b) DIRECT_REP_19(M, a, b) M(a, b, 20)
#define DIRECT_REP_21(M, a, b) DIRECT_REP_20(M, a, b) M(a, b, 21)
#define DIRECT_REP_22(M, a, b) DIRECT_REP_21(M, a, b) M(a, b, 22)
#define DIRECT_REP_23(M, a, b) DIRECT_REP_22(M, a, b) M(a, b, 23)
#define DIRECT_REP_24(M, a, b) DIRECT_REP_23(M, a, b) M(a, b, 24)
#define DIRECT_REP_25(M, a, b) DIRECT_REP_24(M, a, b) M(a, b, 25)
#define DIRECT_REP_26(M, a, b) DIRECT_REP_25(M, a, b) M(a, b, 26)
#define DIRECT_REP_27(M, a, b) DIRECT_REP_26(M, a, b) M(a, b, 27)
#define DIRECT_REP_28(M, a, b) DIRECT_REP_27(M, a, b) M(a, b, 28)

#endif /* VCONV_DIRECT_TILES_H */
