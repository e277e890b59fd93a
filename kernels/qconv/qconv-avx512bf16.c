/*
 * qconv-avx512bf16.c - bf16 direct convolution on AVX512_BF16: vdpbf16ps
 * (pairs of bf16 products summed into float32 lanes; denormals flushed),
 * the microkernel of qconv-kernel.h, then bias, ReLU and a float32 or bf16
 * store (vcvtneps2bf16: round to nearest even). Built with -mavx512bf16
 * (CMake: the file name); the dispatcher calls it only on a CPU with
 * avx512bf16 and the OS's ZMM state.
 */
#include <immintrin.h>

#include "qconv.h"

#define QK_ACC __m512
#define QK_WT __m512i
#define QK_XT __m512i
#define QK_TILES VCONV_QC_TILES_ZMM
#define QK_ZERO() _mm512_setzero_ps()
#define QK_LOADW(p) _mm512_load_si512((const void *)(p))
#define QK_BCAST(p) _mm512_set1_epi32((int)*(p))
#define QK_DOT(a, x, w) _mm512_dpbf16_ps(a, (__m512bh)(x), (__m512bh)(w))
#define QK_NAME vconv_qconv_row_bf16__avx512bf16

#include "qconv-epi-avx512.h"
#define qk_epilogue qk_epi_bf16
#include "qconv-kernel.h"
