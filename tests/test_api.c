/*
 * test_api.c - the public contract: output sizes (the worked examples of
 * the CNN tutorials), padding modes, the bad-input table (every invalid
 * field returns its documented status and names itself), NULL handling,
 * last_error's errno-like behaviour, nothing written to dst on failure.
 */
#include "check.h"
#include "vconv.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

CHECK_DEFINE_GLOBALS

static vconv_conv_desc base(void)
{
    return (vconv_conv_desc){.batch = 1, .in_channels = 4, .in_h = 7,
                             .in_w = 7, .out_channels = 6, .kernel_h = 3,
                             .kernel_w = 3};
}

static void out_size(int n, int f, int s, int p, int want)
{
    vconv_conv_desc d = base();
    d.in_h = d.in_w = n;
    d.kernel_h = d.kernel_w = f;
    d.stride_h = d.stride_w = s;
    d.pad_top = d.pad_bottom = d.pad_left = d.pad_right = p;
    int oh = -1, ow = -1;
    CHECK_STATUS(vconv_conv_output_size(&d, &oh, &ow), VCONV_OK);
    CHECK(oh == want && ow == want, "N=%d F=%d S=%d P=%d: %dx%d, want %d", n,
          f, s, p, oh, ow, want);
}

static void worked_examples(void)
{
    /* (N - F) / S + 1 */
    out_size(7, 3, 1, 0, 5);
    out_size(7, 3, 2, 0, 3);
    out_size(8, 5, 1, 0, 4);
    out_size(8, 5, 3, 0, 2);
    /* padding 1 keeps 7x7 with a 3x3 filter */
    out_size(7, 3, 1, 1, 7);
    /* floors: (7 - 3) / 3 + 1 = 2 (one column of the input unused) */
    out_size(7, 3, 3, 0, 2);
    /* AlexNet conv1: 227, 11x11, stride 4 -> 55 */
    out_size(227, 11, 4, 0, 55);
    /* 'full' on the AlexNet-sized 3x3: 13 + 2*2 - 3 + 1 = 15 */
    out_size(13, 3, 1, 2, 15);
}

/* The 4x4 image cross-correlated with [[1,0],[0,2]] (valid): 12 first, and
   every output checked by hand. Through the public API with the default
   choice; test_impls covers each implementation. */
static void four_by_four(void)
{
    const float img[16] = {10, 20, 30, 40, 0, 1, 0, 1,
                           30, 0, 10, 20, 0, 10, 20, 30};
    const float k[4] = {1, 0, 0, 2};
    vconv_conv_desc d = {.batch = 1, .in_channels = 1, .in_h = 4, .in_w = 4,
                         .out_channels = 1, .kernel_h = 2, .kernel_w = 2};
    vconv_conv *c;
    float out[9];
    CHECK_STATUS(vconv_conv_create(&d, k, NULL, NULL, &c), VCONV_OK);
    if (!c)
        return;
    CHECK_STATUS(vconv_conv_run(c, img, out), VCONV_OK);
    const float want[9] = {12, 20, 32, 0, 21, 40, 50, 40, 70};
    for (int i = 0; i < 9; i++)
        CHECK(out[i] == want[i], "out[%d] = %g, want %g", i, out[i], want[i]);
    CHECK(out[0] == 12, "first output %g, want 12", out[0]);
    vconv_conv_destroy(c);
}

static void padding_modes(void)
{
    vconv_conv_desc d = base();
    d.in_h = 28;
    d.in_w = 28;
    CHECK_STATUS(vconv_conv_set_padding(&d, VCONV_PAD_SAME), VCONV_OK);
    CHECK(d.pad_top == 1 && d.pad_bottom == 1 && d.pad_left == 1 &&
              d.pad_right == 1,
          "same 28/3/1: %d %d %d %d", d.pad_top, d.pad_bottom, d.pad_left,
          d.pad_right);
    int oh, ow;
    CHECK_STATUS(vconv_conv_output_size(&d, &oh, &ow), VCONV_OK);
    CHECK(oh == 28 && ow == 28, "same keeps 28: %dx%d", oh, ow);

    /* TensorFlow's rule: the odd pad goes to the bottom / right.
       in 28, k 4, s 1: total 3 -> 1 + 2 */
    d.kernel_h = d.kernel_w = 4;
    vconv_conv_set_padding(&d, VCONV_PAD_SAME);
    CHECK(d.pad_top == 1 && d.pad_bottom == 2 && d.pad_left == 1 &&
              d.pad_right == 2,
          "same 28/4/1: %d %d %d %d", d.pad_top, d.pad_bottom, d.pad_left,
          d.pad_right);
    /* stride 2: out = ceil(28 / 2) = 14, total = 13*2 + 3 - 28 = 1 -> 0+1 */
    d.kernel_h = d.kernel_w = 3;
    d.stride_h = d.stride_w = 2;
    vconv_conv_set_padding(&d, VCONV_PAD_SAME);
    CHECK(d.pad_top == 0 && d.pad_bottom == 1, "same 28/3/2: %d %d",
          d.pad_top, d.pad_bottom);
    vconv_conv_output_size(&d, &oh, &ow);
    CHECK(oh == 14 && ow == 14, "same 28/3/2 -> 14: %dx%d", oh, ow);
    /* a pool 'same' in mnist_tf: 7 -> 4 */
    d.in_h = d.in_w = 7;
    d.kernel_h = d.kernel_w = 2;
    vconv_conv_set_padding(&d, VCONV_PAD_SAME);
    vconv_conv_output_size(&d, &oh, &ow);
    CHECK(oh == 4 && d.pad_top == 0 && d.pad_bottom == 1,
          "same 7/2/2: out %d pads %d %d", oh, d.pad_top, d.pad_bottom);

    /* full: k - 1 on every side; 32 -> 34 with 3x3 */
    d = base();
    d.in_h = d.in_w = 32;
    CHECK_STATUS(vconv_conv_set_padding(&d, VCONV_PAD_FULL), VCONV_OK);
    CHECK(d.pad_top == 2 && d.pad_right == 2, "full 3x3: %d %d", d.pad_top,
          d.pad_right);
    vconv_conv_output_size(&d, &oh, &ow);
    CHECK(oh == 34 && ow == 34, "full 32 -> 34: %dx%d", oh, ow);
    /* full with dilation 2: extent 5 -> pads 4 */
    d.dilation_h = d.dilation_w = 2;
    vconv_conv_set_padding(&d, VCONV_PAD_FULL);
    CHECK(d.pad_top == 4 && d.pad_left == 4, "full dilated: %d %d",
          d.pad_top, d.pad_left);

    d.pad_top = 9;
    CHECK_STATUS(vconv_conv_set_padding(&d, VCONV_PAD_VALID), VCONV_OK);
    CHECK(d.pad_top == 0 && d.pad_bottom == 0 && d.pad_left == 0 &&
              d.pad_right == 0,
          "valid: %d", d.pad_top);
    CHECK_STATUS(vconv_conv_set_padding(NULL, VCONV_PAD_SAME),
                 VCONV_ERR_INVALID_ARG);
    CHECK_STATUS(vconv_conv_set_padding(&d, (vconv_padding)7),
                 VCONV_ERR_INVALID_ARG);
    d.stride_h = -1;
    CHECK_STATUS(vconv_conv_set_padding(&d, VCONV_PAD_SAME),
                 VCONV_ERR_BAD_SHAPE);
}

/* The bad-input table: one field wrong at a time. */
typedef struct {
    const char *what;
    void (*mutate)(vconv_conv_desc *d);
    vconv_status want;
    const char *message;  /* must appear in vconv_last_error() */
} bad_case;

#define MUT(name, body)                                                        \
    static void name(vconv_conv_desc *d) { body; }
MUT(m_batch0, d->batch = 0)
MUT(m_batchneg, d->batch = -3)
MUT(m_ic0, d->in_channels = 0)
MUT(m_ih0, d->in_h = 0)
MUT(m_iwneg, d->in_w = -7)
MUT(m_oc0, d->out_channels = 0)
MUT(m_kh0, d->kernel_h = 0)
MUT(m_kwneg, d->kernel_w = -1)
MUT(m_sh_neg, d->stride_h = -2)
MUT(m_sw_neg, d->stride_w = -1)
MUT(m_dh_neg, d->dilation_h = -1)
MUT(m_dw_neg, d->dilation_w = -5)
MUT(m_pt_neg, d->pad_top = -1)
MUT(m_pb_neg, d->pad_bottom = -1)
MUT(m_pl_neg, d->pad_left = -2)
MUT(m_pr_neg, d->pad_right = -1)
MUT(m_groups_neg, d->groups = -2)
MUT(m_groups_ic, { d->groups = 3; d->in_channels = 64; d->out_channels = 96; })
MUT(m_groups_oc, { d->groups = 2; d->in_channels = 4; d->out_channels = 5; })
MUT(m_kernel_big, { d->kernel_h = 9; })
MUT(m_kernel_big_w, { d->kernel_w = 9; d->pad_left = 0; })
MUT(m_dilated_big, { d->dilation_h = 4; })
MUT(m_layout, d->layout = (vconv_layout)2)
MUT(m_layout_neg, d->layout = (vconv_layout)-1)
MUT(m_act, d->activation = (vconv_act)5)
MUT(m_overflow_src, { d->batch = 100000; d->in_channels = 100000; })
MUT(m_overflow_dst, { d->batch = 1000; d->out_channels = 1000000; })
MUT(m_overflow_wei, { d->out_channels = 65536; d->in_channels = 65536; })
MUT(m_pad_huge, { d->pad_top = INT_MAX; d->pad_bottom = INT_MAX; })
MUT(m_kernel_huge, { d->kernel_h = INT_MAX; d->dilation_h = INT_MAX; })

static const bad_case bad_cases[] = {
    {"batch 0", m_batch0, VCONV_ERR_BAD_SHAPE, "batch (0) must be positive"},
    {"batch < 0", m_batchneg, VCONV_ERR_BAD_SHAPE, "batch (-3)"},
    {"in_channels 0", m_ic0, VCONV_ERR_BAD_SHAPE, "in_channels (0)"},
    {"in_h 0", m_ih0, VCONV_ERR_BAD_SHAPE, "in_h (0)"},
    {"in_w < 0", m_iwneg, VCONV_ERR_BAD_SHAPE, "in_w (-7)"},
    {"out_channels 0", m_oc0, VCONV_ERR_BAD_SHAPE, "out_channels (0)"},
    {"kernel_h 0", m_kh0, VCONV_ERR_BAD_SHAPE, "kernel_h (0)"},
    {"kernel_w < 0", m_kwneg, VCONV_ERR_BAD_SHAPE, "kernel_w (-1)"},
    {"stride_h < 0", m_sh_neg, VCONV_ERR_BAD_SHAPE, "stride_h (-2)"},
    {"stride_w < 0", m_sw_neg, VCONV_ERR_BAD_SHAPE, "stride_w (-1)"},
    {"dilation_h < 0", m_dh_neg, VCONV_ERR_BAD_SHAPE, "dilation_h (-1)"},
    {"dilation_w < 0", m_dw_neg, VCONV_ERR_BAD_SHAPE, "dilation_w (-5)"},
    {"pad_top < 0", m_pt_neg, VCONV_ERR_BAD_SHAPE, "pad_top (-1)"},
    {"pad_bottom < 0", m_pb_neg, VCONV_ERR_BAD_SHAPE, "pad_bottom (-1)"},
    {"pad_left < 0", m_pl_neg, VCONV_ERR_BAD_SHAPE, "pad_left (-2)"},
    {"pad_right < 0", m_pr_neg, VCONV_ERR_BAD_SHAPE, "pad_right (-1)"},
    {"groups < 0", m_groups_neg, VCONV_ERR_BAD_SHAPE, "groups (-2)"},
    {"groups / in_channels", m_groups_ic, VCONV_ERR_BAD_SHAPE,
     "groups (3) does not divide in_channels (64)"},
    {"groups / out_channels", m_groups_oc, VCONV_ERR_BAD_SHAPE,
     "groups (2) does not divide out_channels (5)"},
    {"kernel > padded input", m_kernel_big, VCONV_ERR_BAD_SHAPE,
     "larger than the padded input"},
    {"kernel_w > input", m_kernel_big_w, VCONV_ERR_BAD_SHAPE, "kernel_w"},
    {"dilated kernel > input", m_dilated_big, VCONV_ERR_BAD_SHAPE,
     "(3 - 1) * 4 + 1"},
    {"layout 2", m_layout, VCONV_ERR_INVALID_ARG, "layout (2)"},
    {"layout -1", m_layout_neg, VCONV_ERR_INVALID_ARG, "layout (-1)"},
    {"activation 5", m_act, VCONV_ERR_INVALID_ARG, "activation (5)"},
    {"src elements overflow", m_overflow_src, VCONV_ERR_BAD_SHAPE,
     "src has more elements"},
    {"dst elements overflow", m_overflow_dst, VCONV_ERR_BAD_SHAPE,
     "dst has more elements"},
    {"weight elements overflow", m_overflow_wei, VCONV_ERR_BAD_SHAPE,
     "weights has more elements"},
    {"huge padding", m_pad_huge, VCONV_ERR_BAD_SHAPE, "out_h"},
    {"huge dilated kernel", m_kernel_huge, VCONV_ERR_BAD_SHAPE, "kernel_h"},
};

static void bad_inputs(void)
{
    vconv_conv_desc ok = base();
    ok.pad_left = ok.pad_right = 1;
    size_t nw = 6 * 4 * 3 * 3;
    float *w = calloc(nw * 1000, sizeof(float));
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        const bad_case *b = &bad_cases[i];
        vconv_conv_desc d = ok;
        b->mutate(&d);
        int oh = -77, ow = -77;
        vconv_status s = vconv_conv_output_size(&d, &oh, &ow);
        CHECK(s == b->want, "%s: output_size returned %s, want %s (%s)",
              b->what, vconv_status_str(s), vconv_status_str(b->want),
              vconv_last_error());
        CHECK(strstr(vconv_last_error(), b->message) != NULL,
              "%s: message '%s' lacks '%s'", b->what, vconv_last_error(),
              b->message);
        CHECK(oh == -77 && ow == -77, "%s: output written on failure",
              b->what);
        vconv_conv *c = (vconv_conv *)&d; /* must be overwritten with NULL */
        s = vconv_conv_create(&d, w, NULL, NULL, &c);
        CHECK(s == b->want, "%s: create returned %s, want %s", b->what,
              vconv_status_str(s), vconv_status_str(b->want));
        CHECK(c == NULL, "%s: create left a plan on failure", b->what);
        CHECK(strstr(vconv_last_error(), b->message) != NULL,
              "%s: create message '%s' lacks '%s'", b->what,
              vconv_last_error(), b->message);
    }
    free(w);
}

static void null_and_options(void)
{
    vconv_conv_desc d = base();
    float w[6 * 4 * 9] = {0};
    vconv_conv *c = NULL;
    CHECK_STATUS(vconv_conv_output_size(NULL, NULL, NULL),
                 VCONV_ERR_INVALID_ARG);
    CHECK_STATUS(vconv_conv_create(NULL, w, NULL, NULL, &c),
                 VCONV_ERR_INVALID_ARG);
    CHECK_STATUS(vconv_conv_create(&d, NULL, NULL, NULL, &c),
                 VCONV_ERR_INVALID_ARG);
    CHECK_CONTAINS(vconv_last_error(), "weights is NULL");
    CHECK_STATUS(vconv_conv_create(&d, w, NULL, NULL, NULL),
                 VCONV_ERR_INVALID_ARG);
    vconv_options o = {.threads = -1};
    CHECK_STATUS(vconv_conv_create(&d, w, NULL, &o, &c), VCONV_ERR_INVALID_ARG);
    CHECK_CONTAINS(vconv_last_error(), "threads (-1)");
    o = (vconv_options){.algo = (vconv_algo)9};
    CHECK_STATUS(vconv_conv_create(&d, w, NULL, &o, &c), VCONV_ERR_INVALID_ARG);
    CHECK_CONTAINS(vconv_last_error(), "algo (9)");
    o = (vconv_options){.max_isa = (vconv_isa)-3};
    CHECK_STATUS(vconv_conv_create(&d, w, NULL, &o, &c), VCONV_ERR_INVALID_ARG);
    o = (vconv_options){.impl = "no_such.impl"};
    CHECK_STATUS(vconv_conv_create(&d, w, NULL, &o, &c), VCONV_ERR_INVALID_ARG);
    CHECK_CONTAINS(vconv_last_error(), "no_such.impl");
#if defined(__x86_64__)
    o = (vconv_options){.max_isa = VCONV_ISA_NEON};
    CHECK_STATUS(vconv_conv_create(&d, w, NULL, &o, &c), VCONV_ERR_UNSUPPORTED);
    CHECK_CONTAINS(vconv_last_error(), "neon");
#else
    o = (vconv_options){.max_isa = VCONV_ISA_AVX2};
    CHECK_STATUS(vconv_conv_create(&d, w, NULL, &o, &c), VCONV_ERR_UNSUPPORTED);
#endif
    vconv_conv_destroy(NULL); /* does nothing */
    CHECK(vconv_conv_impl_name(NULL) == NULL, "impl_name(NULL)");
    CHECK(vconv_conv_threads(NULL) == 0, "threads(NULL)");

    /* run: NULLs, same and overlapping buffers; nothing written to dst */
    o = (vconv_options){.threads = 1};
    CHECK_STATUS(vconv_conv_create(&d, w, NULL, &o, &c), VCONV_OK);
    if (!c)
        return;
    CHECK(vconv_conv_threads(c) == 1, "threads %d", vconv_conv_threads(c));
    size_t ns = 4 * 7 * 7, nd = 6 * 5 * 5;
    float *buf = malloc((ns + nd) * sizeof(float));
    for (size_t i = 0; i < ns + nd; i++)
        buf[i] = 1.0f;
    float dst[6 * 5 * 5];
    for (size_t i = 0; i < nd; i++)
        dst[i] = -42.0f;
    CHECK_STATUS(vconv_conv_run(NULL, buf, dst), VCONV_ERR_INVALID_ARG);
    CHECK_STATUS(vconv_conv_run(c, NULL, dst), VCONV_ERR_INVALID_ARG);
    CHECK_STATUS(vconv_conv_run(c, buf, NULL), VCONV_ERR_INVALID_ARG);
    CHECK_STATUS(vconv_conv_run(c, buf, buf), VCONV_ERR_INVALID_ARG);
    CHECK_CONTAINS(vconv_last_error(), "overlap");
    float saved = buf[ns - 1];
    CHECK_STATUS(vconv_conv_run(c, buf, buf + ns - 1), VCONV_ERR_INVALID_ARG);
    CHECK(buf[ns - 1] == saved, "overlapping dst written");
    for (size_t i = 0; i < nd; i++)
        CHECK(dst[i] == -42.0f, "dst[%zu] written by a failed run", i);
    /* the plan is still usable, and a success leaves last_error alone */
    vconv_status s = vconv_conv_output_size(NULL, NULL, NULL);
    (void)s;
    char before[256];
    snprintf(before, sizeof before, "%s", vconv_last_error());
    CHECK_STATUS(vconv_conv_run(c, buf, buf + ns), VCONV_OK);
    CHECK(strcmp(before, vconv_last_error()) == 0,
          "a success changed last_error: '%s' -> '%s'", before,
          vconv_last_error());
    CHECK(buf[ns] == 0.0f, "zero weights give 0, got %g", buf[ns]);
    vconv_conv_destroy(c);
    free(buf);
}

static void names(void)
{
    CHECK(!strcmp(vconv_status_str(VCONV_OK), "VCONV_OK"), "status_str");
    CHECK(!strcmp(vconv_status_str(VCONV_ERR_BAD_SHAPE),
                  "VCONV_ERR_BAD_SHAPE"), "status_str");
    CHECK(!strcmp(vconv_status_str((vconv_status)99), "unknown status"),
          "status_str out of range");
    CHECK(!strcmp(vconv_isa_name(VCONV_ISA_AVX512), "avx512"), "isa_name");
    CHECK(!strcmp(vconv_isa_name((vconv_isa)42), "unknown"), "isa_name");
    CHECK(!strcmp(vconv_algo_name(VCONV_ALGO_WINOGRAD), "winograd"),
          "algo_name");
    vconv_isa best = vconv_cpu_best_isa();
    CHECK(best != VCONV_ISA_AUTO && best <= VCONV_ISA_NEON, "best isa %d",
          (int)best);
    CHECK(vconv_default_threads() >= 1, "default threads");
    int n = vconv_impl_count();
    CHECK(n >= 1, "registry empty");
    vconv_impl_info info;
    CHECK_STATUS(vconv_impl_get(n - 1, &info), VCONV_OK);
    CHECK(!strcmp(info.name, "ref.scalar") && info.available,
          "the reference is last: %s", info.name);
    CHECK_STATUS(vconv_impl_get(n, &info), VCONV_ERR_INVALID_ARG);
    CHECK_STATUS(vconv_impl_get(-1, &info), VCONV_ERR_INVALID_ARG);
    CHECK_STATUS(vconv_impl_get(0, NULL), VCONV_ERR_INVALID_ARG);
}

/* Outputs that see only padding hold bias and activation. */
static void padding_only_outputs(void)
{
    vconv_conv_desc d = {.batch = 1, .in_channels = 2, .in_h = 2, .in_w = 2,
                         .out_channels = 3, .kernel_h = 1, .kernel_w = 1,
                         .pad_top = 2, .pad_bottom = 1, .pad_left = 1,
                         .pad_right = 3, .activation = VCONV_ACT_RELU};
    float w[6] = {1, 1, 1, 1, 1, 1}, b[3] = {0.5f, -0.25f, 2.0f};
    float src[8] = {1, 1, 1, 1, 1, 1, 1, 1};
    int oh, ow;
    vconv_conv_output_size(&d, &oh, &ow);
    CHECK(oh == 5 && ow == 6, "%dx%d", oh, ow);
    vconv_conv *c;
    CHECK_STATUS(vconv_conv_create(&d, w, b, NULL, &c), VCONV_OK);
    if (!c)
        return;
    float dst[3 * 5 * 6];
    CHECK_STATUS(vconv_conv_run(c, src, dst), VCONV_OK);
    /* (0,0) sees padding: relu(bias) */
    CHECK(dst[0] == 0.5f && dst[30] == 0.0f && dst[60] == 2.0f,
          "padding-only outputs %g %g %g", dst[0], dst[30], dst[60]);
    /* (2,1) sees input (0,0): 2 + bias */
    CHECK(dst[2 * 6 + 1] == 2.5f, "inner output %g", dst[2 * 6 + 1]);
    vconv_conv_destroy(c);
}

int main(void)
{
    worked_examples();
    four_by_four();
    padding_modes();
    bad_inputs();
    null_and_options();
    names();
    padding_only_outputs();
    return check_exit("test_api");
}
