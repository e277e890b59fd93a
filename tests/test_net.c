/*
 * test_net.c - vconv_net on the nets of bench/nets.c against a reference
 * forward pass built from the reference layers (kernels/ref: conv, pool,
 * LRN, fc, softmax; NCHW throughout, each layer's double result rounded
 * to float for the next): batch 1 and 3, NCHW and NHWC input, 1 and 2
 * threads bitwise equal, the profiled run equal to the plain one.
 *
 *   test_net NET [--quick]     (--quick: batch 1, NCHW input only)
 *   test_net --errors          bad nets: the layer, field and value named
 */
#include "check.h"
#include "common.h"
#include "../bench/nets.h"
#include "../core/layers.h"
#include "../kernels/ref/ref.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

CHECK_DEFINE_GLOBALS

/* The reference forward pass of m on x (NCHW); returns the output
   (malloc'd, NCHW flattened), its per-image size in *per. */
static float *ref_forward(const net_model *m, const float *x, int *per,
                          float **scores)
{
    const net_def *d = m->def;
    int c = d->c, h = d->h, w = d->w;
    const int mb = m->mb;
    size_t n = (size_t)mb * c * h * w;
    float *cur = malloc(n * 4);
    memcpy(cur, x, n * 4);
    for (int i = 0; i < m->nlayers; i++) {
        const vconv_net_layer *l = &m->layers[i];
        float *next = NULL;
        double *y = NULL;
        switch (l->kind) {
        case VCONV_LAYER_CONV: {
            vconv_conv_desc cd = l->conv;
            cd.batch = mb;
            cd.in_channels = c;
            cd.in_h = h;
            cd.in_w = w;
            vconv_problem p;
            if (vconv_problem_init(&cd, &p) != VCONV_OK) {
                CHECK(0, "ref conv %s: %s", l->name, vconv_last_error());
                free(cur);
                return NULL;
            }
            p.threads = 2;
            next = malloc(vconv_dst_elems(&p) * 4);
            vconv_ref_conv(&p, l->weights, l->bias, cur, next, NULL, NULL);
            c = p.oc, h = p.oh, w = p.ow;
            break;
        }
        case VCONV_LAYER_POOL: {
            vconv_pool_desc pd = l->pool;
            pd.batch = mb;
            pd.channels = c;
            pd.in_h = h;
            pd.in_w = w;
            pd.layout = VCONV_NCHW;
            vconv_pool_problem p;
            vconv_pool_problem_init(&pd, "ref", &p);
            y = malloc((size_t)mb * c * p.oh * p.ow * 8);
            vconv_ref_pool(&p, cur, y);
            h = p.oh, w = p.ow;
            break;
        }
        case VCONV_LAYER_LRN: {
            vconv_lrn_desc ld = l->lrn;
            ld.batch = mb;
            ld.channels = c;
            ld.height = h;
            ld.width = w;
            ld.layout = VCONV_NCHW;
            vconv_lrn_problem p;
            vconv_lrn_problem_init(&ld, "ref", &p);
            y = malloc(n * 8);
            vconv_ref_lrn(&p, cur, y);
            break;
        }
        case VCONV_LAYER_FC: {
            const int in = c * h * w, out = l->fc.out_features;
            y = malloc((size_t)mb * out * 8);
            vconv_ref_fc(mb, in, out, l->weights, l->bias, l->fc.activation,
                         cur, y);
            c = out, h = w = 1;
            break;
        }
        case VCONV_LAYER_RELU:
            for (size_t k = 0; k < n; k++)
                cur[k] = cur[k] < 0 ? 0 : cur[k];
            break;
        case VCONV_LAYER_SOFTMAX:
            if (scores) {
                *scores = malloc(n * 4);
                memcpy(*scores, cur, n * 4);
            }
            y = malloc(n * 8);
            vconv_ref_softmax(mb, c * h * w, cur, y);
            break;
        case VCONV_LAYER_FLATTEN:
            break;
        }
        n = (size_t)mb * c * h * w;
        if (y) {
            next = malloc(n * 4);
            for (size_t k = 0; k < n; k++)
                next[k] = (float)y[k];
            free(y);
        }
        if (next) {
            free(cur);
            cur = next;
        }
    }
    *per = c * h * w;
    return cur;
}

/* max |x| (the loops are plain on purpose: gcc 12 for aarch64 crashes
   vectorising fmax / NaN-aware reductions here) */
static double max_abs(const float *x, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++) {
        const double a = fabs((double)x[i]);
        if (a > m)
            m = a;
    }
    return m;
}

/* max |y - ref| / scale, INFINITY for a NaN; *at its index */
static double max_err(const float *y, const float *ref, size_t n,
                      double scale, size_t *at)
{
    double worst = 0;
    *at = 0;
    for (size_t i = 0; i < n; i++) {
        const double e = fabs((double)y[i] - (double)ref[i]) / scale;
        if (isnan(e)) {
            *at = i;
            return INFINITY;
        }
        if (e > worst) {
            worst = e;
            *at = i;
        }
    }
    return worst;
}

/* [mb][a][b] -> [mb][b][a] */
static float *transposed(const float *x, int mb, int a, int b)
{
    float *y = malloc((size_t)mb * a * b * 4);
    for (int n = 0; n < mb; n++)
        for (int i = 0; i < a; i++)
            for (int j = 0; j < b; j++)
                y[((size_t)n * b + j) * a + i] = x[((size_t)n * a + i) * b + j];
    return y;
}

static float *run_net(const net_model *m, vconv_layout layout, int threads,
                      const float *src, int *per, bool profile, int drop)
{
    vconv_net_desc nd = {.batch = m->mb, .channels = m->def->c,
                         .height = m->def->h, .width = m->def->w,
                         .layout = layout, .layers = m->layers,
                         .nlayers = m->nlayers - drop};
    vconv_options o = {.threads = threads};
    vconv_net *net;
    CHECK_STATUS(vconv_net_create(&nd, &o, &net), VCONV_OK);
    if (!net)
        return NULL;
    *per = vconv_net_output_size(net);
    const size_t on = (size_t)m->mb * *per;
    float *dst = malloc(on * 4);
    for (size_t i = 0; i < on; i++)
        dst[i] = NAN;
    CHECK_STATUS(vconv_net_run(net, src, dst), VCONV_OK);
    if (profile) {
        /* the profiled run: the same bits, a time for every step */
        const int ns = vconv_net_step_count(net);
        double *sec = calloc((size_t)ns, sizeof *sec);
        float *again = malloc(on * 4);
        CHECK_STATUS(vconv_net_run_profiled(net, src, again, sec), VCONV_OK);
        CHECK(!memcmp(dst, again, on * 4), "%s: profiled run differs",
              m->def->name);
        for (int i = 0; i < ns; i++) {
            vconv_net_step st;
            CHECK_STATUS(vconv_net_step_info(net, i, &st), VCONV_OK);
            CHECK(sec[i] >= 0 && st.name && st.impl && st.impl[0],
                  "step %d", i);
            if (threads == 1 && m->mb == 1 && layout == VCONV_NCHW)
                printf("  step %-7s %-8s %-22s %4dx%-4dx%-5d %12lld MACs\n",
                       st.name, (const char *[]){"conv", "pool", "fc", "lrn",
                                                 "relu", "softmax",
                                                 "flatten"}[st.kind],
                       st.impl, st.out_h, st.out_w, st.out_c, st.macs);
        }
        CHECK_STATUS(vconv_net_step_info(net, ns, &(vconv_net_step){0}),
                     VCONV_ERR_INVALID_ARG);
        free(sec);
        free(again);
    }
    vconv_net_destroy(net);
    return dst;
}

static void check_net(const char *name, bool quick)
{
    const net_def *d = net_find(name);
    CHECK(d != NULL, "no net %s", name);
    if (!d)
        return;
    for (int mb = 1; mb <= (quick ? 1 : 3); mb += 2) {
        net_model m;
        char err[256];
        CHECK(net_model_build(d, mb, 42, &m, err, sizeof err) == 0, "%s", err);
        float *x = net_model_input(&m, 7);
        int per_ref = 0, per = 0;
        float *scores = NULL;
        float *ref = ref_forward(&m, x, &per_ref, &scores);
        if (!ref) {
            net_model_free(&m);
            free(x);
            continue;
        }
        /* the scale: the largest reference output of the batch */
        const double scale = max_abs(ref, (size_t)mb * per_ref);
        /* --quick: NCHW input only (the other nets cover NHWC input) */
        for (int lay = 0; lay < (quick ? 1 : 2); lay++) {
            const int hw = d->h * d->w;
            float *src = lay == VCONV_NHWC ? transposed(x, mb, d->c, hw) : x;
            float *one = run_net(&m, lay, 1, src, &per, lay == 0, 0);
            /* NHWC at 2 threads once (batch 1): the creates of the
               AlexNets are the test's cost */
            float *two = lay == 0 || mb == 1
                             ? run_net(&m, lay, 2, src, &per, lay == 0, 0)
                             : NULL;
            CHECK_EQ_INT(per, per_ref);
            CHECK(one && (two || (lay && mb > 1)), "%s: no output", name);
            if (one && per == per_ref) {
                if (two)
                    CHECK(!memcmp(one, two, (size_t)mb * per * 4),
                          "%s mb%d %s: 1 and 2 threads differ", name, mb,
                          lay ? "nhwc" : "nchw");
                /* NHWC nets write NHWC output: compare in NCHW */
                const net_shape *ls = &m.shapes[d->nlayers - 1];
                float *y = one;
                if (lay == VCONV_NHWC && ls->out_h * ls->out_w > 1)
                    y = transposed(one, mb, ls->out_h * ls->out_w,
                                   ls->out_c);
                size_t at;
                const double worst =
                    max_err(y, ref, (size_t)mb * per, scale, &at);
                CHECK(worst <= 2e-4,
                      "%s mb%d %s: error %.3g of the largest output (%.6g) "
                      "at %zu: %.9g, ref %.9g",
                      name, mb, lay ? "nhwc" : "nchw", worst, scale, at,
                      (double)y[at], (double)ref[at]);
                printf("%s mb%d %s: max error %.2e of the largest output "
                       "%.4g (%d outputs an image)\n",
                       name, mb, lay ? "nhwc" : "nchw", worst, scale, per);
                if (y != one)
                    free(y);
            }
            free(one);
            free(two);
            if (src != x)
                free(src);
        }
        if (scores) {
            /* the class scores before the softmax too: a softmax of nearly
               equal scores would hide small errors */
            int ps = 0;
            float *y = run_net(&m, VCONV_NCHW, 2, x, &ps, false, 1);
            const double sc = max_abs(scores, (size_t)mb * per_ref);
            size_t at;
            const double worst =
                y ? max_err(y, scores, (size_t)mb * per_ref, sc, &at)
                  : INFINITY;
            CHECK(y && worst <= 2e-4,
                  "%s mb%d scores: error %.3g of the largest (%.6g)", name,
                  mb, worst, sc);
            printf("%s mb%d scores: max error %.2e of the largest score "
                   "%.4g\n",
                   name, mb, worst, sc);
            free(y);
            free(scores);
        }
        free(ref);
        free(x);
        net_model_free(&m);
    }
}

static void errors(void)
{
    net_model m;
    char err[256];
    CHECK(net_model_build(net_find("mnist_64"), 2, 1, &m, err, sizeof err) ==
              0,
          "%s", err);
    vconv_net_desc nd = {.batch = 2, .channels = 1, .height = 28, .width = 28,
                         .layers = m.layers, .nlayers = m.nlayers};
    vconv_net *net = (vconv_net *)&net;
    int fc = -1;
    for (int i = 0; i < m.nlayers; i++)
        if (m.layers[i].kind == VCONV_LAYER_FC)
            fc = i;
    /* fc size mismatch with the previous layer's output */
    m.layers[fc].fc.in_features = 100;
    CHECK_STATUS(vconv_net_create(&nd, NULL, &net), VCONV_ERR_BAD_SHAPE);
    CHECK_CONTAINS(vconv_last_error(),
                   "layer 'fc1' (fc): fc.in_features (100) does not match the "
                   "previous layer's output (12544 = 64 x 14 x 14)");
    CHECK(net == NULL, "failed create leaves *out NULL");
    m.layers[fc].fc.in_features = 0;
    /* a pool window larger than the padded input */
    m.layers[2].pool.kernel_h = 30;
    CHECK_STATUS(vconv_net_create(&nd, NULL, &net), VCONV_ERR_BAD_SHAPE);
    CHECK_CONTAINS(vconv_last_error(),
                   "layer 'pool1' (pool): pool: kernel_h (30) is larger than "
                   "the padded input (28 = in_h 28 + pads 0 + 0)");
    m.layers[2].pool.kernel_h = 2;
    /* a conv whose groups do not divide its input */
    m.layers[0].conv.groups = 3;
    CHECK_STATUS(vconv_net_create(&nd, NULL, &net), VCONV_ERR_BAD_SHAPE);
    CHECK_CONTAINS(vconv_last_error(), "layer 'conv1' (conv): groups (3)");
    m.layers[0].conv.groups = 1;
    m.layers[0].conv.in_channels = 3;
    CHECK_STATUS(vconv_net_create(&nd, NULL, &net), VCONV_ERR_BAD_SHAPE);
    CHECK_CONTAINS(vconv_last_error(),
                   "layer 'conv1' (conv): conv.in_channels (3) does not match "
                   "the previous layer's output (1 channels)");
    m.layers[0].conv.in_channels = 0;
    const float *wsave = m.layers[0].weights;
    m.layers[0].weights = NULL;
    CHECK_STATUS(vconv_net_create(&nd, NULL, &net), VCONV_ERR_INVALID_ARG);
    CHECK_CONTAINS(vconv_last_error(), "layer 'conv1' (conv): weights is NULL");
    m.layers[0].weights = wsave;
    m.layers[1].kind = (vconv_layer_kind)99;
    CHECK_STATUS(vconv_net_create(&nd, NULL, &net), VCONV_ERR_INVALID_ARG);
    CHECK_CONTAINS(vconv_last_error(), "kind (99)");
    m.layers[1].kind = VCONV_LAYER_RELU;
    nd.nlayers = 0;
    CHECK_STATUS(vconv_net_create(&nd, NULL, &net), VCONV_ERR_BAD_SHAPE);
    CHECK_CONTAINS(vconv_last_error(), "nlayers (0)");
    nd.nlayers = m.nlayers;
    nd.height = 0;
    CHECK_STATUS(vconv_net_create(&nd, NULL, &net), VCONV_ERR_BAD_SHAPE);
    CHECK_CONTAINS(vconv_last_error(), "height 0");
    nd.height = 28;
    /* a good one: a failed run writes nothing */
    CHECK_STATUS(vconv_net_create(&nd, NULL, &net), VCONV_OK);
    float dst[20];
    for (int i = 0; i < 20; i++)
        dst[i] = -5;
    CHECK_STATUS(vconv_net_run(net, NULL, dst), VCONV_ERR_INVALID_ARG);
    CHECK(dst[0] == -5 && dst[19] == -5, "a failed run wrote dst");
    CHECK_EQ_INT(vconv_net_output_size(net), 10);
    vconv_net_destroy(net);
    vconv_net_destroy(NULL);
    net_model_free(&m);
}

int main(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "--errors"))
        errors();
    else if (argc >= 2)
        check_net(argv[1], argc >= 3 && !strcmp(argv[2], "--quick"));
    else {
        fprintf(stderr, "usage: test_net NET [--quick] | --errors\n");
        return 2;
    }
    return check_exit("test_net");
}
