/*
 * test_machine.c - the machine model (dispatch/machine.h) and the planners
 * that read it:
 *   - the rounding of measured values and the presets;
 *   - the model measured here: every vector ISA the CPU runs got a rate
 *     and latency in range, and its raw figures are plausible;
 *   - under every preset, the direct planner's tiles meet that model's
 *     latency bound (independent accumulators >= FMAs a cycle x latency,
 *     in the kernel's vectors) on every conv layer of every network, as
 *     far as the layer has that many independent outputs for the tile
 *     kind chosen;
 *   - the model reaches the plans: some layer is planned differently for a
 *     Zen 4 (one zmm FMA a cycle) than for a Zen 5 (two), and the
 *     Winograd estimate is lower with two pipes;
 *   - an invalid VCONV_MACHINE is an error every create reports (run with
 *     --bad-env under VCONV_MACHINE=bogus).
 * --emulated (cross builds under qemu): the measured figures are the
 * emulator's, only checked to exist.
 */
#include "check.h"
#include "common.h"
#include "../bench/nets.h"

#include "../dispatch/cpu.h"
#include "../dispatch/dispatch.h"
#include "../dispatch/machine.h"
#include "../dispatch/topology.h"
#include "../kernels/direct/direct.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

CHECK_DEFINE_GLOBALS

static const char *const presets[] = {"zen4", "zen5", "skx-1fma",
                                      "icelake-2fma", "neoverse-n1",
                                      "generic"};
#define N_PRESETS ((int)(sizeof presets / sizeof presets[0]))

static void test_rounding(void)
{
    CHECK(vconv_machine_round_rate(1.86) == 2, "1.86 -> %g",
          vconv_machine_round_rate(1.86));
    CHECK(vconv_machine_round_rate(0.93) == 1, "0.93 -> %g",
          vconv_machine_round_rate(0.93));
    CHECK(vconv_machine_round_rate(1.08) == 1, "1.08 -> %g",
          vconv_machine_round_rate(1.08));
    CHECK(vconv_machine_round_rate(2.7) == 3, "2.7 -> %g",
          vconv_machine_round_rate(2.7));
    CHECK(vconv_machine_round_rate(0.3) == 0.5, "0.3 -> %g",
          vconv_machine_round_rate(0.3));
    CHECK(vconv_machine_round_rate(9) == 4, "9 -> %g",
          vconv_machine_round_rate(9));
    CHECK(vconv_machine_round_lat(4.14) == 4, "4.14 -> %g",
          vconv_machine_round_lat(4.14));
    CHECK(vconv_machine_round_lat(3.6) == 4, "3.6 -> %g",
          vconv_machine_round_lat(3.6));
    CHECK(vconv_machine_round_lat(0.5) == 2, "0.5 -> %g",
          vconv_machine_round_lat(0.5));
    CHECK(vconv_machine_round_lat(30) == 8, "30 -> %g",
          vconv_machine_round_lat(30));
    CHECK(vconv_machine_round_loads(1.45) == 2, "1.45 -> %g",
          vconv_machine_round_loads(1.45));
    CHECK(vconv_machine_round_loads(0.9) == 1, "0.9 -> %g",
          vconv_machine_round_loads(0.9));
    CHECK(vconv_machine_round_l3(7.3) == 8 && vconv_machine_round_l3(9.2) == 8,
          "7.3, 9.2 -> %g %g", vconv_machine_round_l3(7.3),
          vconv_machine_round_l3(9.2));
    CHECK(vconv_machine_round_l3(36) == 32 && vconv_machine_round_l3(1) == 4 &&
              vconv_machine_round_l3(500) == 64,
          "36, 1, 500 -> %g %g %g", vconv_machine_round_l3(36),
          vconv_machine_round_l3(1), vconv_machine_round_l3(500));
    CHECK(vconv_machine_round_dot(0.26) == 0.25 &&
              vconv_machine_round_dot(0.97) == 1 &&
              vconv_machine_round_dot(0.4) == 0.5 &&
              vconv_machine_round_dot(7) == 4,
          "dot 0.26, 0.97, 0.4, 7 -> %g %g %g %g",
          vconv_machine_round_dot(0.26), vconv_machine_round_dot(0.97),
          vconv_machine_round_dot(0.4), vconv_machine_round_dot(7));
}

static void test_presets(void)
{
    vconv_machine m;
    for (int i = 0; i < N_PRESETS; i++) {
        CHECK(vconv_machine_preset(presets[i], &m), "preset %s", presets[i]);
        CHECK(!strcmp(m.name, presets[i]), "name %s", m.name);
        for (int isa = VCONV_ISA_AVX2; isa <= VCONV_ISA_NEON; isa++)
            CHECK(m.isa[isa].fma_rate > 0 && m.isa[isa].fma_lat >= 2 &&
                      m.isa[isa].load_rate >= 1,
                  "%s %s: %g %g %g", presets[i],
                  vconv_isa_name((vconv_isa)isa), m.isa[isa].fma_rate,
                  m.isa[isa].fma_lat, m.isa[isa].load_rate);
        CHECK(m.l3_bytes >= 4 && m.l3_bytes <= 64, "%s: L3 %g bytes a cycle",
              presets[i], m.l3_bytes);
    }
    CHECK(vconv_machine_preset("zen4", &m) &&
              m.isa[VCONV_ISA_AVX512].fma_rate == 1 &&
              m.isa[VCONV_ISA_AVX2].fma_rate == 2,
          "zen4: one zmm or two ymm FMAs a cycle");
    CHECK(vconv_machine_preset("zen5", &m) &&
              m.isa[VCONV_ISA_AVX512].fma_rate == 2,
          "zen5: two zmm FMAs a cycle");
    CHECK(vconv_machine_preset("zen4", &m) && m.bf16dot == 1 &&
              vconv_machine_preset("icelake-2fma", &m) && m.bf16dot == 0.25 &&
              vconv_machine_preset("skx-1fma", &m) && m.bf16dot == 0,
          "bf16 dot: zen4 1, icelake-2fma (Sapphire / Emerald Rapids) 0.25, "
          "skx none");
    CHECK(!vconv_machine_preset("zen9", &m), "an unknown preset");
    CHECK(!vconv_machine_set_for_testing("zen9"), "an unknown preset");
    char names[200];
    vconv_machine_preset_names(names, sizeof names);
    CHECK_CONTAINS(names, "zen4|zen5|skx-1fma|icelake-2fma|neoverse-n1");
}

static void test_measured(bool emulated)
{
    const vconv_machine *m = vconv_machine_get();
    const char *e = getenv("VCONV_MACHINE");
    printf("machine: %s (%s)\n", m->name, m->source);
    if (e && *e && strcmp(e, "measure") != 0) {
        CHECK(!strcmp(m->name, e), "VCONV_MACHINE=%s gave %s", e, m->name);
        return;
    }
    CHECK(!strcmp(m->name, "measured") || !strcmp(m->name, "generic"),
          "name %s", m->name);
    CHECK_CONTAINS(m->source, "measured");
    for (int i = VCONV_ISA_AVX2; i <= VCONV_ISA_NEON; i++) {
        if (!vconv_cpu_mask_has_isa(vconv_cpu_features(), (vconv_isa)i))
            continue;
        const double *raw = m->raw[i];
        printf("  %s: rate %.2f lat %.2f loads >= %.2f -> %g %g %g\n",
               vconv_isa_name((vconv_isa)i), raw[0], raw[1], raw[2],
               m->isa[i].fma_rate, m->isa[i].fma_lat, m->isa[i].load_rate);
        /* any core of the last 15 years: 0.25..8 vector FMAs a cycle,
           latency 2..10 cycles; under an emulator (qemu's soft float: an
           FMA ~100 integer adds) only that it measured something */
        if (emulated) {
            CHECK(raw[0] > 0 && raw[1] > 0, "%s: nothing measured",
                  vconv_isa_name((vconv_isa)i));
        } else {
            CHECK(raw[0] > 0.25 && raw[0] < 8, "%s rate %g",
                  vconv_isa_name((vconv_isa)i), raw[0]);
            CHECK(raw[1] > 1.5 && raw[1] < 10, "%s latency %g",
                  vconv_isa_name((vconv_isa)i), raw[1]);
        }
        CHECK(m->isa[i].fma_rate == vconv_machine_round_rate(raw[0]) &&
                  m->isa[i].fma_lat == vconv_machine_round_lat(raw[1]),
              "%s: the model is the rounded measurement",
              vconv_isa_name((vconv_isa)i));
    }
    /* the L3 rate: measured at its first use when the L3 is twice a
       buffer of 2 x L2 (2..16 MiB), the generic preset's 16 otherwise;
       real cores stream 4..64 bytes a cycle from it (an emulator: some) */
    const double l3 = vconv_machine_l3_bytes();
    printf("  L3: %.1f bytes a cycle measured (%.1f ms) -> %g\n", m->raw_l3,
           m->l3_ms, l3);
    const vconv_topology *t = vconv_topology_get();
    size_t buf = 2 * t->l2;
    buf = buf < ((size_t)2 << 20) ? (size_t)2 << 20
          : buf > ((size_t)16 << 20) ? (size_t)16 << 20 : buf;
    if (t->l3 >= 2 * buf && !strcmp(m->name, "measured")) {
        CHECK(m->raw_l3 > 0 && (emulated || (m->raw_l3 > 1 && m->raw_l3 < 256)),
              "L3 %g bytes a cycle", m->raw_l3);
        CHECK(l3 == vconv_machine_round_l3(m->raw_l3),
              "the L3 rate is the rounded measurement");
        CHECK(m->l3_ms < 200, "the L3 measurement took %.1f ms", m->l3_ms);
    } else {
        CHECK(m->raw_l3 == 0 && l3 == 16, "L3 not measured: %g", l3);
    }
    /* the bf16 dot rate: measured where the CPU has AVX512_BF16 (real
       cores issue 0.25..4 vdpbf16ps a cycle), 0 elsewhere */
    const double dot = vconv_machine_bf16dot();
    printf("  bf16 dot: %.2f a cycle measured -> %g\n", m->raw_bf16dot, dot);
#if VCONV_ARCH_X86_64
    const uint32_t f = vconv_cpu_features_detected();
    if (vconv_cpu_mask_has_isa(f, VCONV_ISA_AVX512) &&
        (f & VCONV_CPU_X86_AVX512BF16) && !strcmp(m->name, "measured")) {
        CHECK(m->raw_bf16dot > 0 &&
                  (emulated || (m->raw_bf16dot > 0.1 && m->raw_bf16dot < 8)),
              "bf16 dot %g a cycle", m->raw_bf16dot);
        CHECK(dot == vconv_machine_round_dot(m->raw_bf16dot),
              "the bf16 dot rate is the rounded measurement");
    } else {
        CHECK(m->raw_bf16dot == 0, "bf16 dot measured without the ISA");
    }
#endif
}

/* ---------------------------------------------------------- planner */

typedef struct {
    const char *impl;
    vconv_isa isa;
} direct_entry;

static const direct_entry directs[] = {
#if VCONV_ARCH_X86_64
    {"direct.avx2", VCONV_ISA_AVX2},
    {"direct.avx512", VCONV_ISA_AVX512},
#endif
#if VCONV_ARCH_AARCH64
    {"direct.neon", VCONV_ISA_NEON},
#endif
};
#define N_DIRECTS ((int)(sizeof directs / sizeof directs[0]))

static direct_plan *plan_of(const vconv_impl *im, const vconv_conv_desc *d,
                            vconv_problem *p)
{
    if (vconv_problem_init(d, p) != VCONV_OK)
        return NULL;
    p->threads = 1;
    float *w = calloc(vconv_wei_elems(p), sizeof(float));
    void *st = NULL;
    vconv_status s = w ? im->create(p, w, NULL, &st) : VCONV_ERR_NO_MEMORY;
    free(w);
    return s == VCONV_OK ? st : NULL;
}

/* Accumulators of the plan's full tile, and the most any tile of its kind
   could have on this problem. */
static void accumulators(const direct_plan *d, const direct_isa_limits *lim,
                         int *acc, int *most)
{
    const vconv_problem *p = &d->p;
    *most = 0;
    if (d->kind == DIRECT_KERNEL_CV) {
        *acc = vconv_min_i(d->nb, d->nbk) * vconv_min_i(d->ur, p->ow);
        for (int nb = 1; nb <= lim->max_nb; nb++)
            *most = vconv_max_i(*most, vconv_min_i(nb, d->nbk) *
                                           vconv_min_i(lim->ur_max[nb], p->ow));
    } else {
        const int vecs = vconv_div_up(p->ow, lim->V);
        *acc = vconv_min_i(d->no, p->ocg) * vconv_min_i(d->nv, vecs);
        for (int nv = 1; nv <= DIRECT_MAX_NV && lim->no_max[nv] > 0; nv++)
            *most = vconv_max_i(*most, vconv_min_i(lim->no_max[nv], p->ocg) *
                                           vconv_min_i(nv, vecs));
    }
}

/* Plans every conv layer of every net under the current model; returns a
   checksum of the tiles (to compare models) and counts the layers. */
static unsigned long plan_all(const direct_entry *e, const char *model,
                              int *layers)
{
    const vconv_impl *im = vconv_registry_find(e->impl);
    const direct_isa_limits *lim = vconv_direct_limits(e->isa);
    const vconv_isa_model *mi = vconv_machine_isa(e->isa);
    /* the bound in the kernel's V-float vectors */
    const double rate_v = mi->fma_rate * vconv_isa_hw_lanes(e->isa) / lim->V;
    const int need = (int)ceil(rate_v * mi->fma_lat - 1e-9);
    unsigned long sum = 0;
    *layers = 0;
    bench_problem probs[64];
    for (int n = 0; net_at(n); n++) {
        const int np = net_conv_problems(net_at(n), probs);
        for (int i = 0; i < np; i++) {
            vconv_problem p;
            direct_plan *d = plan_of(im, &probs[i].d, &p);
            CHECK(d != NULL, "%s %s: no plan (%s)", e->impl, probs[i].name,
                  vconv_last_error());
            if (!d)
                continue;
            int acc, most;
            accumulators(d, lim, &acc, &most);
            CHECK(acc >= vconv_min_i(need, most),
                  "%s under %s: %s tile %dx%d (%s) has %d accumulators, "
                  "the latency bound needs %d (%g FMAs a cycle x latency "
                  "%g), %d possible",
                  e->impl, model, probs[i].name,
                  d->kind == DIRECT_KERNEL_CV ? d->ur : d->no,
                  d->kind == DIRECT_KERNEL_CV ? d->nb : d->nv,
                  d->kind == DIRECT_KERNEL_CV ? "cv" : "wv", acc, need,
                  rate_v, mi->fma_lat, most);
            sum = sum * 31 + (unsigned long)(d->kind * 1000 + d->nb * 100 +
                                             d->ur + d->no * 7 + d->nv);
            (*layers)++;
            im->destroy(d);
        }
    }
    return sum;
}

static bool isa_runs(vconv_isa isa)
{
    return vconv_cpu_mask_has_isa(vconv_cpu_features(), isa);
}

static void test_planner(void)
{
    for (int k = 0; k < N_DIRECTS; k++) {
        const direct_entry *e = &directs[k];
        if (!isa_runs(e->isa)) {
            printf("skip %s: this CPU lacks %s\n", e->impl,
                   vconv_isa_name(e->isa));
            continue;
        }
        unsigned long sums[N_PRESETS];
        for (int i = 0; i < N_PRESETS; i++) {
            CHECK(vconv_machine_set_for_testing(presets[i]), "%s",
                  presets[i]);
            int layers = 0;
            sums[i] = plan_all(e, presets[i], &layers);
            CHECK(layers >= 30, "%s: %d layers planned", e->impl, layers);
        }
        vconv_machine_set_for_testing(NULL);
        if (e->isa == VCONV_ISA_AVX512)
            CHECK(sums[0] != sums[1],
                  "direct.avx512 plans every layer the same for zen4 (one "
                  "zmm FMA a cycle) and zen5 (two): the model is not read");
    }
}

#if VCONV_ARCH_X86_64
/* AlexNet conv3 (256 -> 384 channels, 13 x 13, 3x3), batch 1, 1 thread,
   of the given types, as the estimates see it. */
static vconv_problem alexnet_conv3(vconv_dtype src, vconv_dtype dst)
{
    const vconv_conv_desc d = {.batch = 1, .in_channels = 256, .in_h = 13,
                               .in_w = 13, .out_channels = 384,
                               .kernel_h = 3, .kernel_w = 3, .pad_top = 1,
                               .pad_bottom = 1, .pad_left = 1,
                               .pad_right = 1, .src_type = src,
                               .dst_type = dst};
    vconv_problem p;
    CHECK_STATUS(vconv_problem_init(&d, &p), VCONV_OK);
    p.threads = 1;
    return p;
}
#endif

/* The Winograd and im2col estimates follow the GEMM's FMA rate. */
static void test_estimates(void)
{
#if VCONV_ARCH_X86_64
    if (!isa_runs(VCONV_ISA_AVX512))
        return;
    const vconv_problem p = alexnet_conv3(VCONV_F32, VCONV_F32);
    const char *names[] = {"winograd_f4x3.avx512", "im2col.avx512",
                           "direct.avx512"};
    for (int i = 0; i < 3; i++) {
        const vconv_impl *im = vconv_registry_find(names[i]);
        CHECK(im && im->estimate, "%s", names[i]);
        if (!im || !im->estimate)
            continue;
        char why[256];
        vconv_machine_set_for_testing("zen4");
        const double t4 = im->estimate(&p, why, sizeof why);
        vconv_machine_set_for_testing("zen5");
        const double t5 = im->estimate(&p, why, sizeof why);
        CHECK(t5 < 0.8 * t4, "%s: estimate %g s with two zmm pipes, %g s "
              "with one", names[i], t5, t4);
    }
    vconv_machine_set_for_testing(NULL);
#endif
}

/* The bf16 entries follow the model: the dot kernel where vdpbf16ps
   issues as the FMAs do (zen4), float32 FMAs on widened values where it
   issues at a quarter of their rate (icelake-2fma); skx-1fma has none. */
static void test_bf16_choice(void)
{
#if VCONV_ARCH_X86_64
    if (!isa_runs(VCONV_ISA_AVX512))
        return;
    const vconv_problem p = alexnet_conv3(VCONV_BF16, VCONV_F32);
    const vconv_impl *wide = vconv_registry_find("direct_bf16.avx512"),
                     *dot = vconv_registry_find("direct_bf16dot.avx512");
    CHECK(wide && dot && wide->estimate && dot->estimate,
          "the bf16 entries");
    if (!wide || !dot || !wide->estimate || !dot->estimate)
        return;
    char why[256];
    vconv_machine_set_for_testing("zen4");
    CHECK(dot->estimate(&p, why, sizeof why) <
              0.7 * wide->estimate(&p, why, sizeof why),
          "zen4: the dot kernel's estimate is not below the widened one's");
    vconv_machine_set_for_testing("icelake-2fma");
    CHECK(dot->estimate(&p, why, sizeof why) >
              1.5 * wide->estimate(&p, why, sizeof why),
          "icelake-2fma: the dot kernel's estimate is not above the "
          "widened one's");
    vconv_machine_set_for_testing("skx-1fma");
    CHECK(isinf(dot->estimate(&p, why, sizeof why)),
          "skx-1fma: no bf16 dot rate, yet a finite estimate");
    vconv_machine_set_for_testing(NULL);
#endif
}

static void test_bad_env(void)
{
    const vconv_conv_desc d = {.batch = 1, .in_channels = 4, .in_h = 5,
                               .in_w = 5, .out_channels = 4, .kernel_h = 3,
                               .kernel_w = 3};
    float w[4 * 4 * 9] = {0};
    vconv_conv *c = NULL;
    CHECK_STATUS(vconv_conv_create(&d, w, NULL, NULL, &c),
                 VCONV_ERR_INVALID_ARG);
    CHECK(c == NULL, "no plan");
    CHECK_CONTAINS(vconv_last_error(), "VCONV_MACHINE='bogus'");
    CHECK_CONTAINS(vconv_last_error(), "zen5");
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "--bad-env")) {
        test_bad_env();
        return check_exit("test_machine --bad-env");
    }
    const bool emulated = argc > 1 && !strcmp(argv[1], "--emulated");
    test_rounding();
    test_presets();
    test_measured(emulated);
    test_planner();
    test_estimates();
    test_bf16_choice();
    return check_exit("test_machine");
}
