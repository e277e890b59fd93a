/*
 * qconv-avx512vnni.c - int8 direct convolution on AVX-512 VNNI: vpdpbusd
 * (u8 activations x s8 weights, 4 products a lane into int32), the
 * microkernel of qconv-kernel.h, and the contract's requantization
 * (qconv-epi-avx512.h).
 * Built with -mavx512vnni (CMake: the file name); the dispatcher calls it
 * only on a CPU with avx512vnni and the OS's ZMM state.
 */
#include <immintrin.h>

#include "qconv.h"

#define QK_ACC __m512i
#define QK_WT __m512i
#define QK_XT __m512i
#define QK_TILES VCONV_QC_TILES_ZMM
#define QK_ZERO() _mm512_setzero_si512()
#define QK_LOADW(p) _mm512_load_si512((const void *)(p))
#define QK_BCAST(p) _mm512_set1_epi32((int)*(p))
#define QK_DOT(a, x, w) _mm512_dpbusd_epi32(a, x, w)
#define QK_NAME vconv_qconv_row_int8__avx512vnni

#include "qconv-epi-avx512.h"
#define qk_epilogue qk_epi_i8
#include "qconv-kernel.h"
