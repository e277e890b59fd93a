/*
 * test_nets.c - the network definitions (every layer size the issue lists,
 * the parameter counts of the tutorials), the shapes files against the
 * definitions, and the benchdnn descriptor parser.
 *
 *   test_nets SHAPES_DIR
 */
#define _POSIX_C_SOURCE 200809L
#include "check.h"
#include "../bench/nets.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

CHECK_DEFINE_GLOBALS

/* Expected output of each layer: HxWxC, in order. */
typedef struct {
    const char *net;
    int n;
    int out[16][3];
} expect;

static const expect expected[] = {
    {"alexnet", 13, {{55, 55, 96}, {55, 55, 96}, {27, 27, 96}, {27, 27, 256},
                     {27, 27, 256}, {13, 13, 256}, {13, 13, 384},
                     {13, 13, 384}, {13, 13, 256}, {6, 6, 256}, {1, 1, 4096},
                     {1, 1, 4096}, {1, 1, 1000}}},
    {"alexnet_g1", 13, {{55, 55, 96}, {55, 55, 96}, {27, 27, 96},
                        {27, 27, 256}, {27, 27, 256}, {13, 13, 256},
                        {13, 13, 384}, {13, 13, 384}, {13, 13, 256},
                        {6, 6, 256}, {1, 1, 4096}, {1, 1, 4096},
                        {1, 1, 1000}}},
    {"mnist_tf", 8, {{28, 28, 32}, {14, 14, 32}, {14, 14, 64}, {7, 7, 64},
                     {7, 7, 128}, {4, 4, 128}, {1, 1, 625}, {1, 1, 10}}},
    {"cifar_keras", 8, {{34, 34, 32}, {32, 32, 32}, {16, 16, 32},
                        {18, 18, 64}, {16, 16, 64}, {8, 8, 64}, {1, 1, 256},
                        {1, 1, 10}}},
    {"fashion_torch", 5, {{13, 13, 32}, {6, 6, 64}, {2, 2, 128}, {1, 1, 512},
                          {1, 1, 10}}},
    {"cifar_torch", 5, {{15, 15, 32}, {7, 7, 64}, {3, 3, 128}, {1, 1, 1024},
                        {1, 1, 10}}},
    {"cifar_vgg", 11, {{32, 32, 32}, {32, 32, 32}, {16, 16, 32},
                       {16, 16, 64}, {16, 16, 64}, {8, 8, 64}, {8, 8, 128},
                       {8, 8, 128}, {4, 4, 128}, {1, 1, 1024}, {1, 1, 10}}},
    {"fashion_keras", 6, {{28, 28, 32}, {14, 14, 32}, {14, 14, 64},
                          {7, 7, 64}, {1, 1, 100}, {1, 1, 10}}},
    {"mnist_64", 3, {{28, 28, 64}, {14, 14, 64}, {1, 1, 10}}},
    {"cs231n", 2, {{28, 28, 6}, {24, 24, 10}}},
};

/* The flattened size each network's first fc layer receives. */
static const struct { const char *net; long long in; } fc_inputs[] = {
    {"alexnet", 9216},    {"alexnet_g1", 9216},   {"mnist_tf", 2048},
    {"cifar_keras", 4096}, {"fashion_torch", 512}, {"cifar_torch", 1152},
    {"cifar_vgg", 2048},  {"fashion_keras", 3136}, {"mnist_64", 12544},
};

static void layer_sizes(void)
{
    CHECK_EQ_INT(net_count(), (int)(sizeof expected / sizeof expected[0]));
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++) {
        const expect *e = &expected[i];
        const net_def *n = net_find(e->net);
        CHECK(n != NULL, "net %s missing", e->net);
        if (!n)
            continue;
        CHECK(n->nlayers == e->n, "%s: %d layers, want %d", e->net,
              n->nlayers, e->n);
        net_shape sh[64];
        char err[256];
        CHECK(net_infer(n, sh, err, sizeof err) == 0, "%s: %s", e->net, err);
        for (int l = 0; l < e->n && l < n->nlayers; l++)
            CHECK(sh[l].out_h == e->out[l][0] && sh[l].out_w == e->out[l][1] &&
                      sh[l].out_c == e->out[l][2],
                  "%s:%s: %dx%dx%d, want %dx%dx%d", e->net, sh[l].l->name,
                  sh[l].out_h, sh[l].out_w, sh[l].out_c, e->out[l][0],
                  e->out[l][1], e->out[l][2]);
    }
    for (size_t i = 0; i < sizeof fc_inputs / sizeof fc_inputs[0]; i++) {
        const net_def *n = net_find(fc_inputs[i].net);
        net_shape sh[64];
        char err[256];
        if (!n || net_infer(n, sh, err, sizeof err) != 0)
            continue;
        for (int l = 0; l < n->nlayers; l++)
            if (sh[l].l->kind == NET_FC) {
                long long in = (long long)sh[l].in_c * sh[l].in_h * sh[l].in_w;
                CHECK(in == fc_inputs[i].in, "%s: first fc gets %lld, want "
                      "%lld", n->name, in, fc_inputs[i].in);
                break;
            }
    }
}

static const net_shape *layer(const char *net, const char *name,
                              net_shape *buf)
{
    const net_def *n = net_find(net);
    char err[256];
    if (!n || net_infer(n, buf, err, sizeof err) != 0)
        return NULL;
    for (int l = 0; l < n->nlayers; l++)
        if (!strcmp(buf[l].l->name, name))
            return &buf[l];
    return NULL;
}

static void parameter_counts(void)
{
    net_shape buf[64];
    const net_shape *s = layer("alexnet", "conv1", buf);
    CHECK(s && s->weights == 34848, "alexnet conv1 weights %lld",
          s ? s->weights : -1);
    CHECK(s && s->out_h == 55 && s->out_c == 96, "alexnet conv1 55x55x96");
    s = layer("mnist_64", "conv1", buf);
    CHECK(s && s->weights + s->bias == 640, "3x3 conv 1->64 with bias: %lld",
          s ? s->weights + s->bias : -1);
    s = layer("mnist_64", "fc1", buf);
    CHECK(s && s->weights == 125440, "fc 14x14x64 -> 10 weights: %lld",
          s ? s->weights : -1);
    CHECK(s && s->weights + s->bias == 125450, "with bias: %lld",
          s ? s->weights + s->bias : -1);
    /* a 4x4x3 input with seven 3x3x3 filters: 189 weights, 2x2x7 out */
    static const net_layer seven[] = {
        {NET_CONV, "conv", 7, 3, 1, NET_PAD_VALID, 0, 1}};
    net_def tiny = {"tiny", "", 3, 4, 4, 1, seven, 1};
    char err[256];
    CHECK(net_infer(&tiny, buf, err, sizeof err) == 0, "%s", err);
    CHECK(buf[0].weights == 189 && buf[0].out_h == 2 && buf[0].out_c == 7,
          "seven 3x3x3 filters: %lld weights, %dx%dx%d", buf[0].weights,
          buf[0].out_h, buf[0].out_w, buf[0].out_c);
    /* MACs: alexnet conv1 = 96 * 55 * 55 * 3 * 11 * 11 */
    s = layer("alexnet", "conv1", buf);
    CHECK(s && s->macs == 105415200LL, "alexnet conv1 MACs %lld",
          s ? s->macs : -1);
    /* grouped conv2: 256 * 27 * 27 * 48 * 25 */
    s = layer("alexnet", "conv2", buf);
    CHECK(s && s->macs == 223948800LL && s->weights == 307200,
          "alexnet conv2 MACs %lld weights %lld", s ? s->macs : -1,
          s ? s->weights : -1);

    /* the printed summary carries the same figures */
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    net_print_summary(net_find("alexnet"), f);
    fclose(f);
    CHECK_CONTAINS(text, "34,848");
    CHECK_CONTAINS(text, "55x55x96");
    CHECK_CONTAINS(text, "6x6x256");
    CHECK_CONTAINS(text, "9216->4096");
    CHECK_CONTAINS(text, "total");
    free(text);
    f = open_memstream(&text, &len);
    net_print_summary(net_find("mnist_64"), f);
    fclose(f);
    CHECK_CONTAINS(text, "125,440");
    CHECK_CONTAINS(text, "640");
    free(text);
}

static void shapes_files(const char *dir)
{
    for (int i = 0; i < net_count(); i++) {
        const net_def *n = net_at(i);
        char path[512];
        snprintf(path, sizeof path, "%s/%s.txt", dir, n->name);
        char *gen = NULL;
        size_t glen = 0;
        FILE *f = open_memstream(&gen, &glen);
        net_write_shapes(n, f);
        fclose(f);
        FILE *in = fopen(path, "r");
        CHECK(in != NULL, "%s missing (vconv-bench shapes %s > %s)", path,
              n->name, path);
        if (!in) {
            free(gen);
            continue;
        }
        char *file = calloc(1, 1 << 16);
        size_t flen = fread(file, 1, (1 << 16) - 1, in);
        fclose(in);
        CHECK(flen == glen && memcmp(file, gen, glen) == 0,
              "%s differs from the definition in bench/nets.c; regenerate "
              "with: vconv-bench shapes %s > %s",
              path, n->name, path);
        /* and it parses back to the same problems */
        bench_problem *probs, want[64];
        int np, nw = net_conv_problems(n, want);
        char err[512];
        CHECK(bench_shapes_read(path, &probs, &np, err, sizeof err) == 0,
              "%s", err);
        if (np == nw) {
            for (int k = 0; k < np; k++)
                CHECK(!memcmp(&probs[k].d, &want[k].d, sizeof want[k].d) &&
                          !strcmp(probs[k].name, want[k].name),
                      "%s line %d parses to another problem", path, k + 1);
            free(probs);
        } else {
            CHECK(np == nw, "%s: %d problems, want %d", path, np, nw);
        }
        free(file);
        free(gen);
    }
}

static bench_problem parse_ok(const char *text)
{
    bench_problem p;
    memset(&p, 0, sizeof p);
    char err[512] = "";
    int rc = bench_desc_parse(text, &p, err, sizeof err);
    CHECK(rc == 0, "'%s' should parse: %s", text, err);
    return p;
}

static void parse_bad(const char *text, const char *message)
{
    bench_problem p;
    char err[512] = "";
    int rc = bench_desc_parse(text, &p, err, sizeof err);
    CHECK(rc != 0, "'%s' should be refused", text);
    CHECK(strstr(err, message) != NULL, "'%s': message '%s' lacks '%s'", text,
          err, message);
}

static void parser(void)
{
    bench_problem p =
        parse_ok("mb1_g2ic96oc256_ih27oh27kh5ph2_iw27ow27kw5pw2n\"alexnet:"
                 "conv2\"");
    CHECK(p.d.batch == 1 && p.d.groups == 2 && p.d.in_channels == 96 &&
              p.d.out_channels == 256 && p.d.in_h == 27 && p.d.kernel_w == 5 &&
              p.d.pad_top == 2 && p.d.pad_bottom == 2 && p.d.pad_right == 2,
          "alexnet conv2 fields");
    CHECK(!strcmp(p.name, "alexnet:conv2"), "name '%s'", p.name);

    /* benchdnn's defaults: mb 2, g 1, w copies h, stride 1, pad 0 */
    p = parse_ok("ic3ih32oc16kh3");
    int oh, ow;
    vconv_conv_output_size(&p.d, &oh, &ow);
    CHECK(p.d.batch == 2 && p.d.groups == 1 && p.d.in_w == 32 &&
              p.d.kernel_w == 3 && p.d.stride_h == 1 && oh == 30 && ow == 30 &&
              p.d.dilation_h == 1,
          "defaults: mb %d g %d iw %d kw %d out %dx%d", p.d.batch, p.d.groups,
          p.d.in_w, p.d.kernel_w, oh, ow);
    /* ph deduced from oh */
    p = parse_ok("mb1ic3ih28oc32oh28kh3");
    CHECK(p.d.pad_top == 1 && p.d.pad_bottom == 1 && p.d.pad_left == 1,
          "ph from oh: %d %d", p.d.pad_top, p.d.pad_bottom);
    /* asymmetric: TF 'same' with stride 2 */
    p = parse_ok("ic1ih28oc32oh14kh3sh2ph0");
    CHECK(p.d.pad_top == 0 && p.d.pad_bottom == 1, "asym: %d %d",
          p.d.pad_top, p.d.pad_bottom);
    /* a floor that drops a row: no negative padding */
    p = parse_ok("ic1ih28oc32kh3sh2");
    vconv_conv_output_size(&p.d, &oh, NULL);
    CHECK(oh == 13 && p.d.pad_bottom == 0, "floor: oh %d pb %d", oh,
          p.d.pad_bottom);
    /* dilation: dh is dilation - 1 */
    p = parse_ok("ic4ih10oc4kh3dh1");
    vconv_conv_output_size(&p.d, &oh, NULL);
    CHECK(p.d.dilation_h == 2 && p.d.dilation_w == 2 && oh == 6,
          "dilation %d, oh %d", p.d.dilation_h, oh);
    /* explicit w differing from h; underscores anywhere; unquoted name */
    p = parse_ok("_mb1_ic2_oc3_ih5_iw9_kh1_kw3_sw2_nfoo:bar");
    vconv_conv_output_size(&p.d, &oh, &ow);
    CHECK(p.d.in_w == 9 && p.d.kernel_w == 3 && p.d.stride_w == 2 &&
              oh == 5 && ow == 4 && !strcmp(p.name, "foo:bar"),
          "w fields: iw %d kw %d sw %d out %dx%d name %s", p.d.in_w,
          p.d.kernel_w, p.d.stride_w, oh, ow, p.name);
    /* fields in any order */
    p = parse_ok("kh3oc8ih8ic4mb3");
    CHECK(p.d.batch == 3 && p.d.in_channels == 4 && p.d.out_channels == 8,
          "any order");

    parse_bad("", "empty");
    parse_bad("ic3ih32oc16", "kh");
    parse_bad("ih32oc16kh3", "ic");
    parse_bad("ic3ih32oc16kh3xy5", "unknown field at 'xy5'");
    parse_bad("ic3ic4ih32oc16kh3", "'ic' given twice");
    parse_bad("ic3id5ih32oc16kh3", "3-D");
    parse_bad("ic3ih32oc16kh3n\"abc", "unterminated name");
    parse_bad("ic3ih32oc16kh3n\"x\"y", "text after the name");
    parse_bad("ic3ih2oc16kh3", "larger than ih2");
    parse_bad("ic3ih32oc16kh3ph0oh10", "oh10 is not what");
    parse_bad("ic99999999999ih3oc1kh1", "larger than");
    parse_bad("ic-3ih3oc1kh1", "no number");
    parse_bad("ic3ih3oc1kh", "no number");
    parse_bad("g3ic4oc3ih5kh1", "groups (3) does not divide in_channels (4)");
    parse_bad("ic0ih3oc1kh1", "'ic' must be positive");
    parse_bad("ic1ih3oc1kh1sh0", "'sh' must be positive");
    parse_bad("ic1ih3iw4oc1kh1", "kw are required");
    parse_bad("ic1 ih3oc1kh1", "unknown field");

    /* print -> parse round trip */
    const char *lines[] = {
        "mb1_g1ic3oc96_ih227oh55kh11sh4ph0_iw227ow55kw11sw4pw0n\"a:conv1\"",
        "ic1ih28oc32oh14kh3sh2ph0", "ic4ih10oc4kh3dh1", "g4ic8oc12ih7iw9kh3kw2",
        "mb5ic3ih5oc2kh3ph4"};
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        bench_problem a = parse_ok(lines[i]);
        char buf[512];
        bench_desc_print(&a, buf, sizeof buf);
        bench_problem b = parse_ok(buf);
        CHECK(!memcmp(&a.d, &b.d, sizeof a.d) && !strcmp(a.name, b.name),
              "round trip of '%s' via '%s'", lines[i], buf);
    }
}

static void shapes_file_errors(void)
{
    char path[] = "/tmp/vconv-test-shapes-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0, "mkstemp");
    if (fd < 0)
        return;
    FILE *f = fdopen(fd, "w");
    fprintf(f, "# comment\n\nic3ih32oc16kh3\nic3ih32oc16kh3zz9\n");
    fclose(f);
    bench_problem *p = NULL;
    int n = 0;
    char err[512] = "";
    CHECK(bench_shapes_read(path, &p, &n, err, sizeof err) != 0,
          "a bad line must fail the file");
    char want[600];
    snprintf(want, sizeof want, "%s:4:", path);
    CHECK_CONTAINS(err, want);
    CHECK_CONTAINS(err, "zz9");
    remove(path);
    CHECK(bench_shapes_read("/nonexistent/x.txt", &p, &n, err, sizeof err) !=
              0,
          "missing file");
    CHECK_CONTAINS(err, "/nonexistent/x.txt");
}

/* bench/shapes/extra: the set beyond the seed nets parses, every line
   names its layer and is a valid descriptor whose output size is the one
   the line states (the parser computes oh/ow from the fields otherwise). */
static void extra_shapes(const char *dir)
{
    static const struct {
        const char *net;
        int layers;
        double gflop; /* direct-conv GFLOPs of the lines at mb 1 */
    } sets[] = {{"resnet18", 11, 1.546}, {"vgg16", 13, 30.693},
                {"mobilenet_v1", 19, 0.717}};
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++) {
        char path[512], err[512];
        snprintf(path, sizeof path, "%s/extra/%s.txt", dir, sets[i].net);
        bench_problem *probs = NULL;
        int np = 0;
        CHECK(bench_shapes_read(path, &probs, &np, err, sizeof err) == 0,
              "%s: %s", path, err);
        CHECK(np == sets[i].layers, "%s: %d layers, want %d", path, np,
              sets[i].layers);
        double flop = 0;
        for (int k = 0; k < np; k++) {
            const vconv_conv_desc *d = &probs[k].d;
            int oh = 0, ow = 0;
            CHECK_STATUS(vconv_conv_output_size(d, &oh, &ow), VCONV_OK);
            CHECK(!strncmp(probs[k].name, sets[i].net,
                           strlen(sets[i].net)),
                  "%s line %d: name '%s'", path, k + 1, probs[k].name);
            flop += 2.0 * oh * ow * d->out_channels *
                    (d->in_channels / (d->groups ? d->groups : 1)) *
                    d->kernel_h * d->kernel_w;
        }
        /* VGG-16's 13 layers are its whole 30.7 GFLOP (15.3 GMAC, as in
           the paper); resnet18 and mobilenet_v1 list each distinct shape
           once, so theirs are below the nets' 3.6 / 1.14 GFLOP */
        CHECK(fabs(flop / 1e9 - sets[i].gflop) < 1e-3,
              "%s: %.3f GFLOP over its layers, want %.3f", path, flop / 1e9,
              sets[i].gflop);
        free(probs);
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_nets SHAPES_DIR\n");
        return 2;
    }
    layer_sizes();
    parameter_counts();
    shapes_files(argv[1]);
    parser();
    shapes_file_errors();
    extra_shapes(argv[1]);
    return check_exit("test_nets");
}
