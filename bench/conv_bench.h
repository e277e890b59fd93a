/* conv_bench.h - what `vconv-bench conv` (cmd_conv.c) and its reports
   (conv_report.c: table, summary, JSON, CSV) share. */
#ifndef VCONV_BENCH_CONV_BENCH_H
#define VCONV_BENCH_CONV_BENCH_H

#include "../core/internal.h"
#include "desc.h"
#include "timing.h"

#include <stdint.h>
#include <stdio.h>

#define CONV_MAX_COMP 48

typedef enum {
    COMP_VCONV = 0,     /* a vconv plan: auto, or one forced implementation */
    COMP_ONEDNN,        /* oneDNN, its own layouts */
    COMP_ONEDNN_NCHW,   /* oneDNN on the user's NCHW data */
    COMP_XNNPACK        /* XNNPACK, NHWC */
} comp_kind;

/* One competitor the command line asked for. */
typedef struct {
    char label[64];     /* "auto", "im2col.avx512", "onednn", ... */
    comp_kind kind;
} comp_spec;

typedef enum { RES_NONE = 0, RES_OK, RES_SKIPPED, RES_FAILED } res_state;

/* One competitor on one problem. */
typedef struct {
    res_state state;    /* NONE: not measured (filtered out) */
    char impl[128];     /* the implementation that ran */
    char detail[384];   /* peers: how it was built, what else was tried */
    char why[256];      /* SKIPPED / FAILED: the reason */
    vconv_isa isa;      /* the peak it is judged against */
    bench_timing t;     /* seconds per call */
    double gflops;      /* direct-convolution FLOPs / median time */
    double pct_peak;    /* of the measured FMA peak of isa, at --threads */
    double err;         /* max |y - ref| / mag; < 0: not computed */
} conv_result;

struct conv_live;

/* One problem. */
typedef struct {
    bench_problem bp;
    char net[64];       /* the name's part before ':', or "custom" */
    char label[160];    /* the name, or the descriptor when unnamed */
    char desc[256];     /* canonical benchdnn descriptor */
    vconv_problem p;
    double flops;       /* 2 mb oc oh ow (ic/g) kh kw */
    double bytes;       /* src + weights + bias + dst, float32 */
    conv_result res[CONV_MAX_COMP];
    int rounds;         /* rounds in the reported run */
    struct conv_live *live;  /* while being measured */
} conv_case;

typedef struct {
    vconv_isa isa;
    int threads;
    double gflops;
} conv_peak_entry;

typedef struct {
    /* settings */
    int threads, relu, quick, mb;   /* mb 0: as the problems give it */
    double min_time, sample_s, warmup_s;
    char impl_arg[256], peers_arg[128], source[512];
    /* the machine */
    char cpu[128], flags[512], date[32], host[128], command[1024];
    uint32_t mask;
    vconv_isa best_isa;
    int cores;
    conv_peak_entry peaks[16];
    int npeaks;
    struct { int threads; double gbs; } bw[4];
    int nbw;
    char onednn_version[64], onednn_isa[64];
    const char *onednn_max_isa;     /* ONEDNN_MAX_CPU_ISA or NULL */
    char xnnpack_info[64];
    /* what is measured */
    comp_spec comp[CONV_MAX_COMP];
    int ncomp;
    int i_onednn, i_nchw;           /* indices into comp, -1 if absent */
    conv_case *cases;
    int ncases;
    const char *gbench;             /* "google-benchmark 1.7" or fallback */
} conv_run;

/* The measured peak for isa at `threads` threads (0 if not measured). */
double conv_peak(const conv_run *r, vconv_isa isa, int threads);

/* t(peer) / t(row): > 1 when the row is faster; 0 when either is missing. */
double conv_ratio(const conv_case *c, int row, int peer);

void conv_print_header(const conv_run *r, FILE *f);
void conv_print_table(const conv_run *r, FILE *f);
void conv_print_summary(const conv_run *r, FILE *f);
int conv_write_json(const conv_run *r, const char *path);
int conv_write_csv(const conv_run *r, const char *path);

#endif
