/*
 * onednn.h - the oneDNN peer of vconv-bench: a forward-inference f32
 * convolution with bias (and ReLU as a post-op when the problem has one)
 * through oneDNN 2.6's C API (dnnl.h). Built on the host only, when CMake
 * finds oneDNN (VCONV_HAVE_ONEDNN).
 *
 * Two modes, as the README explains:
 *   ONEDNN_BLOCKED ("onednn"): every format `any`: oneDNN's own blocked
 *     layouts; the weight reorder and the src reorder are done at create,
 *     the dst stays in oneDNN's layout; run() times the convolution alone:
 *     oneDNN at its best.
 *   ONEDNN_NCHW ("onednn_nchw"): the user's NCHW src and dst. With
 *     ONEDNN_FMT_ANY oneDNN chooses its layouts and run() reorders src in
 *     and dst out around the convolution when they differ from NCHW; with
 *     ONEDNN_FMT_PLAIN the primitive is created on NCHW src / dst directly
 *     (oneDNN's implementations for plain layouts). Either is what an NCHW
 *     user pays; the bench times both and keeps the faster.
 * Weights are always reordered once, at create (like vconv's packing).
 * oneDNN threads: its OpenMP runtime uses omp_get_max_threads(), so
 * onednn_init() sets omp_set_num_threads(threads) on the calling thread.
 * Environment: ONEDNN_MAX_CPU_ISA=AVX2 caps oneDNN's JIT to AVX2 (to
 * compare with vconv's *.avx2 implementations).
 */
#ifndef VCONV_BENCH_ONEDNN_H
#define VCONV_BENCH_ONEDNN_H

#include "../core/internal.h"

#include <stddef.h>

typedef enum { ONEDNN_BLOCKED = 0, ONEDNN_NCHW } onednn_mode;
typedef enum { ONEDNN_ALG_AUTO = 0, ONEDNN_ALG_WINOGRAD } onednn_alg;
typedef enum { ONEDNN_FMT_ANY = 0, ONEDNN_FMT_PLAIN } onednn_fmt;

typedef struct onednn_conv onednn_conv;

/* Creates the CPU engine and stream, sets oneDNN's thread count. Returns 0,
   or -1 with a message. Call once before anything else. */
/* Formats the error message into err[len] (err may be NULL) and returns
   -1: the adapters' (onednn.c, onednn_q.c, onednn_net.c) one way to fail. */
int onednn_fail(char *err, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

int onednn_init(int threads, char *err, size_t len);
void onednn_finish(void);

/* "2.6.3 (omp)" */
const char *onednn_version_str(void);
/* oneDNN's effective ISA ("avx512_core", "avx2", ...) and the vconv ISA
   whose measured peak it is judged against. */
const char *onednn_isa_str(void);
vconv_isa onednn_isa(void);

/*
 * Builds the convolution of p (NCHW only: p->layout must be VCONV_NCHW)
 * with weights w [oc][ic/g][kh][kw] and bias b (NULL: none), both copied.
 * In ONEDNN_BLOCKED mode src (NCHW) is reordered into oneDNN's layout now
 * and run() reads that copy. fmt matters only in ONEDNN_NCHW mode.
 * Returns 0; 1 when oneDNN has no implementation for it (e.g. Winograd on
 * this shape or ISA: err says why); -1 on any other failure.
 */
int onednn_conv_create(const vconv_problem *p, const float *w,
                       const float *b, const float *src, onednn_mode mode,
                       onednn_alg alg, onednn_fmt fmt, onednn_conv **out,
                       char *err, size_t len);

/* One inference, waited for (dnnl_stream_wait). ONEDNN_NCHW: reads src,
   writes dst (NCHW). ONEDNN_BLOCKED: src and dst are ignored (the copies
   made at create are used). Returns 0, or -1. */
int onednn_conv_run(onednn_conv *c, const float *src, float *dst);

/* The output of the last run in NCHW into dst (ONEDNN_BLOCKED reorders
   its own dst; ONEDNN_NCHW copies nothing: run() wrote dst already, and
   this returns 0). Not timed. Returns 0, or -1. */
int onednn_conv_output(onednn_conv *c, float *dst);

/* oneDNN's implementation name (dnnl_query_impl_info_str), e.g.
   "jit:avx512_core". */
const char *onednn_conv_impl(const onednn_conv *c);

/* How it was built, e.g. "alg=winograd src=nChw16c dst=nChw16c
   reorders=src,dst": algorithm, the primitive's layouts, and which
   reorders run() does. */
const char *onednn_conv_detail(const onednn_conv *c);

void onednn_conv_destroy(onednn_conv *c);

#endif
