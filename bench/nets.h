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

typedef enum { NET_CONV, NET_POOL, NET_FC, NET_LRN } net_layer_kind;

/* A padding rule: explicit (pad on every side) or a framework mode. */
typedef enum { NET_PAD_EXPLICIT = 0, NET_PAD_VALID, NET_PAD_SAME,
               NET_PAD_FULL } net_pad;

typedef struct {
    net_layer_kind kind;
    const char *name;     /* "conv1" */
    int out;              /* conv: filters; fc: outputs; pool, lrn: unused */
    int k, s;             /* kernel and stride (square); lrn: k = size;
                             fc: unused */
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

/*
 * A net as a runnable model: the layers of the definition for vconv_net
 * (and for the oneDNN-primitive net of `vconv-bench net`), with seeded
 * weights. The definitions list the layers that have a shape of their
 * own; the model adds what every one of these nets has around them:
 * ReLU after every conv and every fc but the last (fused by vconv_net),
 * and softmax after a final fc (the class scores). LRN: AlexNet's (size 5,
 * alpha 1e-4, beta 0.75, k 2). Pool layers are max pools. Weights:
 * uniform in +-sqrt(6 / fan_in) (He), biases in +-0.05: activations stay
 * O(1) through every net.
 */
typedef struct {
    const net_def *def;
    int mb;
    vconv_net_layer *layers;   /* nlayers entries, names from the def */
    int nlayers;
    net_shape *shapes;         /* def->nlayers: the shape of each def layer */
    float **weights, **bias;   /* per model layer, NULL where none */
} net_model;

/* Returns 0, or -1 with a message. */
int net_model_build(const net_def *net, int mb, unsigned long long seed,
                    net_model *m, char *err, size_t errlen);
void net_model_free(net_model *m);

/* A seeded input batch in [0, 1): mb * c * h * w floats (malloc'd). */
float *net_model_input(const net_model *m, unsigned long long seed);

#ifdef __cplusplus
}
#endif

#endif
