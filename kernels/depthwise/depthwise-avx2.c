/*
 * depthwise-avx2.c - the AVX2+FMA depthwise row kernel (V = 8 channels a
 * ymm). The loop nest is depthwise-tiles.h's (register plan there); this
 * file gives it the ymm vocabulary. Channel tails: maskstore.
 */
#include "depthwise.h"

#include <immintrin.h>

#define DV 8
typedef __m256 dvec;
typedef __m256i dmask;
/* lanes 0 .. n-1 set: lane i compares i < n */
#define dmask_first(n)                                                        \
    _mm256_cmpgt_epi32(_mm256_set1_epi32(n),                                  \
                       _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7))
#define dv_load(p) _mm256_loadu_ps(p)
#define dv_store(p, v) _mm256_storeu_ps((p), (v))
#define dv_store_m(p, m, v) _mm256_maskstore_ps((p), (m), (v))
#define dv_zero() _mm256_setzero_ps()
#define dv_fma(a, b, c) _mm256_fmadd_ps((a), (b), (c))
#define dv_max(a, b) _mm256_max_ps((a), (b))

#include "depthwise-tiles.h"

DW_DEF_ROW(vconv_dw_row_avx2)
