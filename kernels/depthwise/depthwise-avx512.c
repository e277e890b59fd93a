/*
 * depthwise-avx512.c - the AVX-512 depthwise row kernel (V = 16 channels
 * a zmm). The loop nest is depthwise-tiles.h's (register plan there);
 * this file gives it the zmm vocabulary. Channel tails: masked stores.
 */
#include "depthwise.h"

#include <immintrin.h>

#define DV 16
typedef __m512 dvec;
typedef __mmask16 dmask;
#define dmask_first(n) ((__mmask16)((1u << (n)) - 1u))
#define dv_load(p) _mm512_loadu_ps(p)
#define dv_store(p, v) _mm512_storeu_ps((p), (v))
#define dv_store_m(p, m, v) _mm512_mask_storeu_ps((p), (m), (v))
#define dv_zero() _mm512_setzero_ps()
#define dv_fma(a, b, c) _mm512_fmadd_ps((a), (b), (c))
#define dv_max(a, b) _mm512_max_ps((a), (b))

#include "depthwise-tiles.h"

DW_DEF_ROW(vconv_dw_row_avx512)
