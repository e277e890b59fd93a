/* isa_probe.c - NOT part of the library: the self-test of
   check_baseline_isa.sh compiles this file with -mavx2 -mfma under a
   baseline-looking name and expects the check to catch it. */
#include <immintrin.h>

void isa_probe_add(const float *x, float *y);

void isa_probe_add(const float *x, float *y)
{
    __m256 a = _mm256_loadu_ps(x);
    _mm256_storeu_ps(y, _mm256_fmadd_ps(a, a, a));
}
