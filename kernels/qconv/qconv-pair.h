/*
 * qconv-pair.h - the epilogue of the kernels whose 16-channel vector is a
 * group of smaller registers (AVX2 / AVX-VNNI: 2 ymm; NEON: 4 q): the
 * finished values of one vector (int32 accumulators after the bias, or the
 * float results) go through a 16-entry buffer to dst, so the narrowing to
 * u8 / s8 is plain C. static inline only (included by ISA files).
 */
#ifndef VCONV_QCONV_PAIR_H
#define VCONV_QCONV_PAIR_H

#include "qconv.h"

/* f[16]: the float results of one vector (scale applied, clamped for an
   int8 dst, not yet rounded); for an int8 dst q[16] holds them rounded
   (the ISA's round-to-nearest-even conversion) plus the zero point. */
static inline void qk_pair_store(const vconv_qplan *pl, const float *f,
                                 const int32_t *q, char *d, size_t cs, int nch)
{
    switch (pl->p.dst_dt) {
    case VCONV_F32:
        for (int i = 0; i < nch; i++)
            ((float *)d)[(size_t)i * cs] = f[i];
        break;
    case VCONV_U8:
        for (int i = 0; i < nch; i++)
            ((uint8_t *)d)[(size_t)i * cs] = (uint8_t)q[i];
        break;
    default:
        for (int i = 0; i < nch; i++)
            ((int8_t *)d)[(size_t)i * cs] = (int8_t)q[i];
        break;
    }
}

#endif
