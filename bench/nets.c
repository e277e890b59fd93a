/* nets.c - AlexNet and the MNIST/CIFAR networks (see nets.h). */
#include "nets.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* CONV(name, filters, k, stride, PADDING, groups), POOL(name, k, stride,
   PADDING): PADDING is one of P(x), VALID, SAME, FULL (two initialisers,
   hence the variadic macros) */
#define CONV(n, o, k, s, ...) {NET_CONV, n, o, k, s, __VA_ARGS__}
#define POOL(n, k, s, ...) {NET_POOL, n, 0, k, s, __VA_ARGS__, 0}
#define FC(n, o) {NET_FC, n, o, 0, 0, NET_PAD_VALID, 0, 0}
#define LRN(n, size) {NET_LRN, n, 0, size, 1, NET_PAD_VALID, 0, 0}
#define P(x) NET_PAD_EXPLICIT, x
#define VALID NET_PAD_VALID, 0
#define SAME NET_PAD_SAME, 0
#define FULL NET_PAD_FULL, 0
#define LAYERS(a) a, (int)(sizeof a / sizeof a[0])

/* AlexNet: 227x227x3; conv1 96 11x11 s4 -> 55; LRN; maxpool 3/2 -> 27;
   conv2 256 5x5 p2 g2; LRN; maxpool 3/2 -> 13; conv3 384 3x3 p1; conv4 384
   3x3 p1 g2; conv5 256 3x3 p1 g2; maxpool 3/2 -> 6; fc 9216 -> 4096 ->
   4096 -> 1000. LRN after the ReLU, before the pool, as in the paper. */
#define ALEXNET(g)                                                             \
    {CONV("conv1", 96, 11, 4, P(0), 1),   LRN("norm1", 5),                     \
     POOL("pool1", 3, 2, VALID),                                               \
     CONV("conv2", 256, 5, 1, P(2), g),   LRN("norm2", 5),                     \
     POOL("pool2", 3, 2, VALID),                                               \
     CONV("conv3", 384, 3, 1, P(1), 1),   CONV("conv4", 384, 3, 1, P(1), g),   \
     CONV("conv5", 256, 3, 1, P(1), g),   POOL("pool5", 3, 2, VALID),          \
     FC("fc6", 4096),                     FC("fc7", 4096),                     \
     FC("fc8", 1000)}
static const net_layer alexnet[] = ALEXNET(2);
static const net_layer alexnet_g1[] = ALEXNET(1);

static const net_layer mnist_tf[] = {
    CONV("conv1", 32, 3, 1, SAME, 1),  POOL("pool1", 2, 2, SAME),
    CONV("conv2", 64, 3, 1, SAME, 1),  POOL("pool2", 2, 2, SAME),
    CONV("conv3", 128, 3, 1, SAME, 1), POOL("pool3", 2, 2, SAME),
    FC("fc1", 625),                    FC("fc2", 10)};

static const net_layer cifar_keras[] = {
    CONV("conv1", 32, 3, 1, FULL, 1),  CONV("conv2", 32, 3, 1, VALID, 1),
    POOL("pool1", 2, 2, VALID),        CONV("conv3", 64, 3, 1, FULL, 1),
    CONV("conv4", 64, 3, 1, VALID, 1), POOL("pool2", 2, 2, VALID),
    FC("fc1", 256),                    FC("fc2", 10)};

static const net_layer fashion_torch[] = {
    CONV("conv1", 32, 3, 2, VALID, 1), CONV("conv2", 64, 3, 2, VALID, 1),
    CONV("conv3", 128, 3, 2, VALID, 1), FC("fc1", 512), FC("fc2", 10)};

static const net_layer cifar_torch[] = {
    CONV("conv1", 32, 3, 2, VALID, 1), CONV("conv2", 64, 3, 2, VALID, 1),
    CONV("conv3", 128, 3, 2, VALID, 1), FC("fc1", 1024), FC("fc2", 10)};

static const net_layer cifar_vgg[] = {
    CONV("conv1_1", 32, 3, 1, P(1), 1),  CONV("conv1_2", 32, 3, 1, P(1), 1),
    POOL("pool1", 2, 2, VALID),          CONV("conv2_1", 64, 3, 1, P(1), 1),
    CONV("conv2_2", 64, 3, 1, P(1), 1),  POOL("pool2", 2, 2, VALID),
    CONV("conv3_1", 128, 3, 1, P(1), 1), CONV("conv3_2", 128, 3, 1, P(1), 1),
    POOL("pool3", 2, 2, VALID),          FC("fc1", 1024),
    FC("fc2", 10)};

static const net_layer fashion_keras[] = {
    CONV("conv1", 32, 3, 1, SAME, 1), POOL("pool1", 2, 2, VALID),
    CONV("conv2", 64, 3, 1, SAME, 1), POOL("pool2", 2, 2, VALID),
    FC("fc1", 100),                   FC("fc2", 10)};

static const net_layer mnist_64[] = {
    CONV("conv1", 64, 3, 1, SAME, 1), POOL("pool1", 2, 2, VALID),
    FC("fc1", 10)};

static const net_layer cs231n[] = {
    CONV("conv1", 6, 5, 1, VALID, 1), CONV("conv2", 10, 5, 1, VALID, 1)};

static const net_def nets[] = {
    {"alexnet", "AlexNet (Krizhevsky et al. 2012), groups as in the paper",
     3, 227, 227, 1, LAYERS(alexnet)},
    {"alexnet_g1", "AlexNet without groups (one-GPU variant)", 3, 227, 227, 1,
     LAYERS(alexnet_g1)},
    {"mnist_tf", "MNIST CNN of the TensorFlow tutorial, 'same' padding", 1, 28,
     28, 1, LAYERS(mnist_tf)},
    {"cifar_keras", "CIFAR-10 CNN of the old Keras example, 'full' padding",
     3, 32, 32, 1, LAYERS(cifar_keras)},
    {"fashion_torch", "Fashion-MNIST CNN in PyTorch, stride-2 convolutions",
     1, 28, 28, 1, LAYERS(fashion_torch)},
    {"cifar_torch", "CIFAR-10 CNN in PyTorch, stride-2 convolutions", 3, 32,
     32, 1, LAYERS(cifar_torch)},
    {"cifar_vgg", "VGG-style CIFAR-10 CNN, three 2-conv blocks", 3, 32, 32, 1,
     LAYERS(cifar_vgg)},
    {"fashion_keras", "Fashion-MNIST CNN in Keras, 'same' padding", 1, 28, 28,
     1, LAYERS(fashion_keras)},
    {"mnist_64", "MNIST: one 64-filter conv, pool, softmax", 1, 28, 28, 1,
     LAYERS(mnist_64)},
    {"cs231n", "the two 5x5 conv layers of the CS231n convolution notes", 3,
     32, 32, 1, LAYERS(cs231n)},
};

int net_count(void) { return (int)(sizeof nets / sizeof nets[0]); }

const net_def *net_at(int i)
{
    return i >= 0 && i < net_count() ? &nets[i] : NULL;
}

const net_def *net_find(const char *name)
{
    for (int i = 0; i < net_count(); i++)
        if (strcmp(nets[i].name, name) == 0)
            return &nets[i];
    return NULL;
}

static int fail(char *err, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, len, fmt, ap);
    va_end(ap);
    return -1;
}

static const vconv_padding pad_mode[] = {
    [NET_PAD_VALID] = VCONV_PAD_VALID, [NET_PAD_SAME] = VCONV_PAD_SAME,
    [NET_PAD_FULL] = VCONV_PAD_FULL};

int net_infer(const net_def *net, net_shape *out, char *err, size_t errlen)
{
    int c = net->c, h = net->h, w = net->w;
    for (int i = 0; i < net->nlayers; i++) {
        const net_layer *l = &net->layers[i];
        net_shape *s = &out[i];
        memset(s, 0, sizeof *s);
        s->l = l;
        s->in_c = c;
        s->in_h = h;
        s->in_w = w;
        if (l->kind == NET_LRN) {
            s->out_c = c;
            s->out_h = h;
            s->out_w = w;
        } else if (l->kind == NET_FC) {
            long long in = (long long)c * h * w;
            s->out_c = l->out;
            s->out_h = s->out_w = 1;
            s->weights = in * l->out;
            s->bias = l->out;
            s->macs = in * l->out;
        } else {
            /* conv and pool share the geometry: a pool is a conv with one
               channel per group */
            vconv_conv_desc d = {.batch = 1, .in_channels = c, .in_h = h,
                                 .in_w = w,
                                 .out_channels = l->kind == NET_CONV ? l->out
                                                                     : c,
                                 .kernel_h = l->k, .kernel_w = l->k,
                                 .stride_h = l->s, .stride_w = l->s,
                                 .groups = l->kind == NET_CONV ? l->groups
                                                               : c};
            if (l->pad == NET_PAD_EXPLICIT) {
                d.pad_top = d.pad_bottom = d.pad_left = d.pad_right = l->p;
            } else if (vconv_conv_set_padding(&d, pad_mode[l->pad]) !=
                       VCONV_OK) {
                return fail(err, errlen, "%s:%s: %s", net->name, l->name,
                            vconv_last_error());
            }
            if (vconv_conv_output_size(&d, &s->out_h, &s->out_w) != VCONV_OK)
                return fail(err, errlen, "%s:%s: %s", net->name, l->name,
                            vconv_last_error());
            s->out_c = d.out_channels;
            s->pt = d.pad_top;
            s->pb = d.pad_bottom;
            s->pl = d.pad_left;
            s->pr = d.pad_right;
            if (l->kind == NET_CONV) {
                int g = l->groups > 1 ? l->groups : 1;
                s->weights = (long long)l->out * (c / g) * l->k * l->k;
                s->bias = l->out;
                s->macs = (long long)l->out * s->out_h * s->out_w * (c / g) *
                          l->k * l->k;
            }
        }
        c = s->out_c;
        h = s->out_h;
        w = s->out_w;
    }
    return 0;
}

int net_conv_problems(const net_def *net, bench_problem *out)
{
    net_shape sh[64];
    char err[256];
    if (net->nlayers > 64 || net_infer(net, sh, err, sizeof err) != 0)
        return 0;
    int n = 0;
    for (int i = 0; i < net->nlayers; i++) {
        const net_shape *s = &sh[i];
        if (s->l->kind != NET_CONV)
            continue;
        bench_problem *p = &out[n++];
        memset(p, 0, sizeof *p);
        p->d = (vconv_conv_desc){
            .batch = net->mb, .in_channels = s->in_c, .in_h = s->in_h,
            .in_w = s->in_w, .out_channels = s->out_c, .kernel_h = s->l->k,
            .kernel_w = s->l->k, .stride_h = s->l->s, .stride_w = s->l->s,
            .pad_top = s->pt, .pad_bottom = s->pb, .pad_left = s->pl,
            .pad_right = s->pr, .dilation_h = 1, .dilation_w = 1,
            .groups = s->l->groups > 1 ? s->l->groups : 1};
        snprintf(p->name, sizeof p->name, "%s:%s", net->name, s->l->name);
    }
    return n;
}

int net_write_shapes(const net_def *net, FILE *f)
{
    bench_problem p[64];
    int n = net_conv_problems(net, p);
    fprintf(f,
            "# %s: %s\n"
            "# The conv layers, in oneDNN benchdnn's descriptor syntax.\n"
            "# Generated from bench/nets.c: vconv-bench shapes %s\n",
            net->name, net->about, net->name);
    for (int i = 0; i < n; i++) {
        char line[512];
        bench_desc_print(&p[i], line, sizeof line);
        fprintf(f, "%s\n", line);
    }
    return n;
}

/* 1234567 -> "1,234,567" */
static const char *commas(long long v, char *buf)
{
    char tmp[32];
    int n = snprintf(tmp, sizeof tmp, "%lld", v < 0 ? -v : v), o = 0;
    if (v < 0)
        buf[o++] = '-';
    for (int i = 0; i < n; i++) {
        buf[o++] = tmp[i];
        if ((n - i - 1) % 3 == 0 && i != n - 1)
            buf[o++] = ',';
    }
    buf[o] = 0;
    return buf;
}

int net_print_summary(const net_def *net, FILE *f)
{
    net_shape sh[64];
    char err[256];
    if (net->nlayers > 64 || net_infer(net, sh, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    static const char *kinds[] = {"conv", "pool", "fc", "lrn"};
    fprintf(f, "%s: %s; input %dx%dx%d (HxWxC); ReLU after every conv and "
            "every fc but the last\n",
            net->name, net->about, net->h, net->w, net->c);
    fprintf(f, "%-8s %-4s %-13s %-13s %-16s %12s %7s %12s %15s\n", "layer",
            "type", "input", "output", "kernel", "weights", "bias", "params",
            "MACs");
    long long tw = 0, tb = 0, tm = 0;
    for (int i = 0; i < net->nlayers; i++) {
        const net_shape *s = &sh[i];
        char in[32], out[32], ker[48], a[32], b[32], c[32], d[32];
        snprintf(in, sizeof in, "%dx%dx%d", s->in_h, s->in_w, s->in_c);
        snprintf(out, sizeof out, "%dx%dx%d", s->out_h, s->out_w, s->out_c);
        if (s->l->kind == NET_LRN) {
            snprintf(ker, sizeof ker, "size %d", s->l->k);
        } else if (s->l->kind == NET_FC) {
            snprintf(ker, sizeof ker, "%lld->%d",
                     (long long)s->in_c * s->in_h * s->in_w, s->out_c);
        } else {
            int n = snprintf(ker, sizeof ker, "%dx%d/%d", s->l->k, s->l->k,
                             s->l->s);
            if (s->pt || s->pb || s->pl || s->pr)
                n += snprintf(ker + n, sizeof ker - (size_t)n,
                              s->pt == s->pb && s->pl == s->pr &&
                                      s->pt == s->pl
                                  ? " p%d"
                                  : " p%d..",
                              s->pt);
            if (s->l->kind == NET_CONV && s->l->groups > 1)
                snprintf(ker + n, sizeof ker - (size_t)n, " g%d",
                         s->l->groups);
        }
        fprintf(f, "%-8s %-4s %-13s %-13s %-16s %12s %7s %12s %15s\n",
                s->l->name, kinds[s->l->kind], in, out, ker,
                commas(s->weights, a), commas(s->bias, b),
                commas(s->weights + s->bias, c), commas(s->macs, d));
        tw += s->weights;
        tb += s->bias;
        tm += s->macs;
    }
    /* what the model adds (net_model_build): softmax after a final fc */
    const net_shape *last = &sh[net->nlayers - 1];
    if (last->l->kind == NET_FC) {
        char io[32];
        snprintf(io, sizeof io, "1x1x%d", last->out_c);
        fprintf(f, "%-8s %-4s %-13s %-13s %-16s %12s %7s %12s %15s\n", "prob",
                "smax", io, io, "softmax", "0", "0", "0", "0");
    }
    char a[32], b[32], c[32], d[32];
    fprintf(f, "%-8s %-4s %-13s %-13s %-16s %12s %7s %12s %15s\n", "total", "",
            "", "", "", commas(tw, a), commas(tb, b), commas(tw + tb, c),
            commas(tm, d));
    return 0;
}

/* ------------------------------------------------------------- models */

/* splitmix64 -> uniform in [-1, 1) */
static double unit(unsigned long long *st)
{
    unsigned long long z = (*st += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return (double)(z >> 11) * (2.0 / 9007199254740992.0) - 1.0;
}

static float *uniform(size_t n, double a, unsigned long long *st)
{
    float *x = malloc((n ? n : 1) * sizeof *x);
    if (x)
        for (size_t i = 0; i < n; i++)
            x[i] = (float)(a * unit(st));
    return x;
}

void net_model_free(net_model *m)
{
    if (m->weights)
        for (int i = 0; i < m->nlayers; i++) {
            free(m->weights[i]);
            free(m->bias[i]);
        }
    free(m->weights);
    free(m->bias);
    free(m->layers);
    free(m->shapes);
    memset(m, 0, sizeof *m);
}

int net_model_build(const net_def *net, int mb, unsigned long long seed,
                    net_model *m, char *err, size_t errlen)
{
    memset(m, 0, sizeof *m);
    m->def = net;
    m->mb = mb;
    const int cap = 3 * net->nlayers + 1;
    m->shapes = calloc((size_t)net->nlayers, sizeof *m->shapes);
    m->layers = calloc((size_t)cap, sizeof *m->layers);
    m->weights = calloc((size_t)cap, sizeof *m->weights);
    m->bias = calloc((size_t)cap, sizeof *m->bias);
    if (!m->shapes || !m->layers || !m->weights || !m->bias) {
        net_model_free(m);
        return fail(err, errlen, "out of memory");
    }
    if (net_infer(net, m->shapes, err, errlen) != 0) {
        net_model_free(m);
        return -1;
    }
    unsigned long long st = seed;
    int last_fc = -1;
    for (int i = 0; i < net->nlayers; i++)
        if (net->layers[i].kind == NET_FC)
            last_fc = i;
    int n = 0;
    for (int i = 0; i < net->nlayers; i++) {
        const net_shape *s = &m->shapes[i];
        const net_layer *l = s->l;
        vconv_net_layer *v = &m->layers[n];
        v->name = l->name;
        switch (l->kind) {
        case NET_CONV: {
            const int g = l->groups > 1 ? l->groups : 1;
            v->kind = VCONV_LAYER_CONV;
            v->conv = (vconv_conv_desc){
                .out_channels = l->out, .kernel_h = l->k, .kernel_w = l->k,
                .stride_h = l->s, .stride_w = l->s, .pad_top = s->pt,
                .pad_bottom = s->pb, .pad_left = s->pl, .pad_right = s->pr,
                .groups = g};
            double fan = (double)(s->in_c / g) * l->k * l->k;
            m->weights[n] = uniform((size_t)s->weights, sqrt(6.0 / fan), &st);
            m->bias[n] = uniform((size_t)s->bias, 0.05, &st);
            break;
        }
        case NET_FC: {
            v->kind = VCONV_LAYER_FC;
            v->fc = (vconv_fc_desc){.out_features = l->out};
            double fan = (double)s->in_c * s->in_h * s->in_w;
            m->weights[n] = uniform((size_t)s->weights, sqrt(6.0 / fan), &st);
            m->bias[n] = uniform((size_t)s->bias, 0.05, &st);
            break;
        }
        case NET_POOL:
            v->kind = VCONV_LAYER_POOL;
            v->pool = (vconv_pool_desc){
                .kernel_h = l->k, .kernel_w = l->k, .stride_h = l->s,
                .stride_w = l->s, .pad_top = s->pt, .pad_bottom = s->pb,
                .pad_left = s->pl, .pad_right = s->pr, .alg = VCONV_POOL_MAX};
            break;
        case NET_LRN:
            v->kind = VCONV_LAYER_LRN;
            v->lrn = (vconv_lrn_desc){.size = l->k, .alpha = 1e-4f,
                                      .beta = 0.75f, .k = 2.0f};
            break;
        }
        if ((v->kind == VCONV_LAYER_CONV || v->kind == VCONV_LAYER_FC) &&
            (!m->weights[n] || !m->bias[n])) {
            net_model_free(m);
            return fail(err, errlen, "out of memory for the weights");
        }
        v->weights = m->weights[n];
        v->bias = m->bias[n];
        n++;
        if (l->kind == NET_CONV || (l->kind == NET_FC && i != last_fc))
            m->layers[n++] = (vconv_net_layer){.kind = VCONV_LAYER_RELU,
                                               .name = "relu"};
    }
    if (last_fc == net->nlayers - 1)
        m->layers[n++] = (vconv_net_layer){.kind = VCONV_LAYER_SOFTMAX,
                                           .name = "prob"};
    m->nlayers = n;
    return 0;
}

float *net_model_input(const net_model *m, unsigned long long seed)
{
    const size_t n = (size_t)m->mb * m->def->c * m->def->h * m->def->w;
    float *x = malloc((n ? n : 1) * sizeof *x);
    unsigned long long st = seed;
    if (x)
        for (size_t i = 0; i < n; i++)
            x[i] = (float)(0.5 * unit(&st) + 0.5);
    return x;
}
