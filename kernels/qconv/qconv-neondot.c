/*
 * qconv-neondot.c - int8 direct convolution on NEON with the dot product
 * extension (sdot: 4 s8 x s8 products a lane into int32). sdot is signed
 * on both sides, so the driver gives this kernel s8 activations (a u8 src
 * shifted by -128, the zero point with it: VCONV_QD_S8). A 16-channel
 * vector is 4 q registers; the broadcast is ld1r of one 32-bit word.
 * Register plan (32 q): ur * nb * 4 accumulators + nb * 4 weights + one
 * broadcast: 1 x 6 = 24 + 4 + 1. The epilogue: scvtf, fmul, fmax / fmin,
 * fcvtns (round to nearest, ties to even), the zero point (vconv.h).
 * Built with -march=armv8.2-a+dotprod (CMake: the file name); the
 * dispatcher calls it only where HWCAP_ASIMDDP says the CPU has it.
 */
#include <arm_neon.h>

#include "qconv-pair.h"

typedef struct {
    int32x4_t v[4];
} qk_q4;

typedef struct {
    int8x16_t v[4];
} qk_w4;

static inline __attribute__((always_inline)) qk_q4 qk_zero(void)
{
    qk_q4 r;
    for (int i = 0; i < 4; i++)
        r.v[i] = vdupq_n_s32(0);
    return r;
}

static inline __attribute__((always_inline)) qk_w4 qk_loadw(const uint32_t *p)
{
    qk_w4 r;
    for (int i = 0; i < 4; i++)
        r.v[i] = vreinterpretq_s8_u32(vld1q_u32(p + 4 * i));
    return r;
}

static inline __attribute__((always_inline)) qk_q4 qk_dot(qk_q4 a,
                                                          int8x16_t x,
                                                          qk_w4 w)
{
    for (int i = 0; i < 4; i++)
        a.v[i] = vdotq_s32(a.v[i], w.v[i], x);
    return a;
}

static inline __attribute__((always_inline)) void
qk_epilogue(const vconv_qplan *pl, qk_q4 acc, size_t slot, char *d,
            size_t cs, int nch)
{
    float f[16];
    int32_t q[16];
    const float32x4_t lo = vdupq_n_f32(pl->lo), hi = vdupq_n_f32(pl->hi);
    const bool f32 = pl->p.dst_dt == VCONV_F32;
    for (int h = 0; h < 4; h++) {
        int32x4_t a = vaddq_s32(acc.v[h], vld1q_s32(pl->bias_i + slot + 4 * h));
        float32x4_t v = vmulq_f32(vcvtq_f32_s32(a),
                                  vld1q_f32(pl->scale + slot + 4 * h));
        v = vmaxq_f32(v, lo);
        if (f32) {
            vst1q_f32(f + 4 * h, v);
            continue;
        }
        v = vminq_f32(v, hi);
        vst1q_s32(q + 4 * h,
                  vaddq_s32(vcvtnq_s32_f32(v), vdupq_n_s32(pl->zp)));
    }
    qk_pair_store(pl, f, q, d, cs, nch);
}

#define QK_ACC qk_q4
#define QK_WT qk_w4
#define QK_XT int8x16_t
#define QK_TILES VCONV_QC_TILES_PAIR
#define QK_ZERO() qk_zero()
#define QK_LOADW(p) qk_loadw(p)
#define QK_BCAST(p) vreinterpretq_s8_u32(vld1q_dup_u32(p))
#define QK_DOT(a, x, w) qk_dot(a, x, w)
#define QK_NAME vconv_qconv_row_int8__neondot

#include "qconv-kernel.h"
