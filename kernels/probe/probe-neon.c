/* probe-neon.c - the machine-model probe on q registers (probe.h): 16
   chains (16 accumulators + 2 constants of 32 q). */
#include "../../dispatch/machine.h"
#include "probe.h"

#include <arm_neon.h>

#define PV 4
typedef float32x4_t pvec;
#define pv_set1(x) vdupq_n_f32(x)
#define pv_bcast(p) vld1q_dup_f32(p)
#define pv_load(p) vld1q_f32(p)
#define pv_fma(x, y, z) vfmaq_f32((z), (x), (y))
#define pv_add(x, y) vaddq_f32((x), (y))
#define pv_first(x) vgetq_lane_f32((x), 0)

float vconv_probe_fma_neon(int chains, int loads, long iters,
                           const float *buf, int *fmas)
PROBE_BODY(16)

float vconv_probe_read_neon(const float *buf, size_t n)
PROBE_READ_BODY
