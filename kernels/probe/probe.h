/*
 * probe.h - the loop nest of the machine-model probes (dispatch/machine.c),
 * shared by probe-<isa>.c through a small vector vocabulary (PV, pvec,
 * pv_set1, pv_bcast, pv_fma, pv_add, pv_first). Only macros and static
 * inline code: each ISA file instantiates it with its own flags.
 *
 * Three loops, PROBE_CH FMAs an iteration each:
 *   chains = 1:             one dependency chain (each FMA needs the one
 *                           before): an iteration takes PROBE_CH x latency;
 *   chains > 1, loads = 0:  PROBE_CH independent accumulators (enough for
 *                           rate x latency <= PROBE_CH): the FMA rate;
 *   chains > 1, loads = 1:  the same, every FMA multiplying two vectors
 *                           loaded from a 4 KiB buffer (L1): the loads a
 *                           cycle the FMAs can be fed with. The loads are
 *                           broadcasts of one float, what the direct
 *                           kernels issue most (their weight vectors are
 *                           a few loads a step).
 * The accumulator is always the addend, so the chain is the FMA's latency.
 */
#ifndef VCONV_PROBE_H
#define VCONV_PROBE_H

#define PROBE_BODY(CH)                                                        \
    {                                                                         \
        const pvec a = pv_set1(0.9999999f), b = pv_set1(1e-7f);              \
        pvec acc[CH];                                                         \
        for (int i = 0; i < CH; i++)                                          \
            acc[i] = pv_set1(1e-3f * (float)i);                               \
        *fmas = CH;                                                           \
        if (chains == 1) {                                                    \
            pvec x = acc[1];                                                  \
            for (long it = 0; it < iters; it++) {                             \
                _Pragma("GCC unroll 16") for (int i = 0; i < CH; i++)         \
                    x = pv_fma(x, a, b);                                      \
            }                                                                 \
            acc[0] = x;                                                       \
        } else if (!loads) {                                                  \
            for (long it = 0; it < iters; it++) {                             \
                _Pragma("GCC unroll 16") for (int i = 0; i < CH; i++)         \
                    acc[i] = pv_fma(acc[i], a, b);                            \
            }                                                                 \
        } else {                                                              \
            for (long it = 0; it < iters; it++) {                             \
                const float *q = buf + (it & 7) * (2 * CH);                   \
                _Pragma("GCC unroll 16") for (int i = 0; i < CH; i++)         \
                    acc[i] = pv_fma(pv_bcast(q + 2 * i),                      \
                                    pv_bcast(q + 2 * i + 1), acc[i]);         \
            }                                                                 \
        }                                                                     \
        pvec s = acc[0];                                                      \
        for (int i = 1; i < CH; i++)                                          \
            s = pv_add(s, acc[i]);                                            \
        return pv_first(s);                                                   \
    }

/*
 * The read loop: the sum of n floats (n a multiple of 4 PV) on four
 * accumulators, so it is bound by the bytes the cache delivers, not by the
 * add's latency: the L3 read rate of the machine model.
 */
#define PROBE_READ_BODY                                                       \
    {                                                                         \
        pvec s0 = pv_set1(0.0f), s1 = s0, s2 = s0, s3 = s0;                   \
        for (size_t i = 0; i < n; i += 4 * PV) {                              \
            s0 = pv_add(s0, pv_load(buf + i));                                \
            s1 = pv_add(s1, pv_load(buf + i + PV));                           \
            s2 = pv_add(s2, pv_load(buf + i + 2 * PV));                       \
            s3 = pv_add(s3, pv_load(buf + i + 3 * PV));                       \
        }                                                                     \
        return pv_first(pv_add(pv_add(s0, s1), pv_add(s2, s3)));              \
    }

#endif
