/* probe-avx2.c - the machine-model probe on ymm (probe.h): 12 chains
   (12 accumulators + 2 constants of 16 ymm, so nothing spills). */
#include "../../dispatch/machine.h"
#include "probe.h"

#include <immintrin.h>

#define PV 8
typedef __m256 pvec;
#define pv_set1(x) _mm256_set1_ps(x)
#define pv_bcast(p) _mm256_broadcast_ss(p)
#define pv_load(p) _mm256_load_ps(p)
#define pv_fma(x, y, z) _mm256_fmadd_ps((x), (y), (z))
#define pv_add(x, y) _mm256_add_ps((x), (y))
#define pv_first(x) _mm256_cvtss_f32(x)

float vconv_probe_fma_avx2(int chains, int loads, long iters,
                           const float *buf, int *fmas)
PROBE_BODY(12)

float vconv_probe_read_avx2(const float *buf, size_t n)
PROBE_READ_BODY
