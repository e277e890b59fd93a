/* nets.h - the networks whose layers vconv is measured on: the one place
   they are defined. bench/shapes/<net>.txt is generated from here
   (`vconv-bench shapes NET`) and a test checks the two agree. */
#ifndef VCONV_BENCH_NETS_H
#define VCONV_BENCH_NETS_H

#include "desc.h"

#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { NET_CONV, NET_POOL, NET_FC } net_layer_kind;

/* A padding rule: explicit (pad on every side) or a framework mode. */
typedef enum { NET_PAD_EXPLICIT = 0, NET_PAD_VALID, NET_PAD_SAME,
               NET_PAD_FULL } net_pad;

typedef struct {
    net_layer_kind kind;
    const char *name;     /* "conv1" */
    int out;              /* conv: filters; fc: outputs; pool: unused */
    int k, s;             /* kernel and stride (square); fc: unused */
    net_pad pad;
    int p;                /* with NET_PAD_EXPLICIT */
    int groups;           /* conv: 0 or 1 = none */
} net_layer;

typedef struct {
    const char *name;     /* "alexnet" */
    const char *about;
    int c, h, w;          /* input: channels, height, width */
    int mb;               /* the batch of the shapes file */
    const net_layer *layers;
    int nlayers;
} net_def;

/* One layer after shape inference. */
typedef struct {
    const net_layer *l;
    int in_c, in_h, in_w, out_c, out_h, out_w;
    int pt, pb, pl, pr;
    long long weights, bias, macs;
} net_shape;

const net_def *net_find(const char *name);
const net_def *net_at(int i);   /* NULL past the end */
int net_count(void);

/* Infers every layer's shape; out has room for net->nlayers. Returns 0, or
   -1 with a message (a layer that does not fit its input). */
int net_infer(const net_def *net, net_shape *out, char *err, size_t errlen);

/* The conv layers as benchdnn problems (mb = net->mb), named
   "<net>:<layer>". out has room for net->nlayers; returns the count. */
int net_conv_problems(const net_def *net, bench_problem *out);

/* Prints the shapes file of net (a header comment + one line a conv). */
int net_write_shapes(const net_def *net, FILE *f);

/* Prints the per-layer table and the totals. */
int net_print_summary(const net_def *net, FILE *f);

#ifdef __cplusplus
}
#endif

#endif
