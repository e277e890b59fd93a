/* probe-avx512.c - the machine-model probe on zmm (probe.h): 16 chains
   (16 accumulators + 2 constants of 32 zmm). */
#include "../../dispatch/machine.h"
#include "probe.h"

#include <immintrin.h>

#define PV 16
typedef __m512 pvec;
#define pv_set1(x) _mm512_set1_ps(x)
#define pv_bcast(p) _mm512_set1_ps(*(p))
#define pv_load(p) _mm512_load_ps(p)
#define pv_fma(x, y, z) _mm512_fmadd_ps((x), (y), (z))
#define pv_add(x, y) _mm512_add_ps((x), (y))
#define pv_first(x) _mm512_cvtss_f32(x)

float vconv_probe_fma_avx512(int chains, int loads, long iters,
                             const float *buf, int *fmas)
PROBE_BODY(16)

float vconv_probe_read_avx512(const float *buf, size_t n)
PROBE_READ_BODY
