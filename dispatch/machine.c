/*
 * machine.c - the machine model (machine.h): measured once, or a preset.
 *
 * How it is measured (a few ms, at the first create or the first call of
 * a planner, under pthread_once):
 *   - a clock: a chain of dependent integer adds (inline asm, one cycle
 *     each on every x86-64 and AArch64 core) gives the seconds a cycle;
 *   - per vector ISA the CPU runs (AVX-512, AVX2 / NEON), the probes of
 *     kernels/probe: one chain of FMAs (its time / FMAs = the latency),
 *     16 (or 12) independent chains (the FMAs a cycle), and the same with
 *     two vector loads an FMA (the loads a cycle that keep the FMAs fed:
 *     twice the FMAs a cycle it reaches);
 *   - the L3 read rate, apart and only when a planner first asks for it
 *     (vconv_machine_l3_bytes): passes over a buffer of 2 x L2;
 *   - the bf16 dot rate, apart and only when a bf16 estimate first asks
 *     for it on a CPU with AVX512_BF16 (vconv_machine_bf16dot): 16
 *     independent chains of vdpbf16ps;
 *   - each loop is timed 7 times, interleaved with the clock, and the
 *     fastest time kept (a preempted or slowed sample only loses);
 *   - values are rounded (vconv_machine_round_*): a plan depends on the
 *     machine, not on the noise of one measurement.
 * The AVX-512 loops may run at a lower clock than the integer chain (the
 * license of older Intel parts): that shows as a slightly higher latency
 * and lower rate, which the rounding absorbs.
 *
 * VCONV_MACHINE=<preset> replaces the measurement (tests plan for other
 * CPUs that way); an unknown name is an error every create reports.
 */
#include "machine.h"
#include "cpu.h"
#include "topology.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;
static vconv_machine detected;
static vconv_machine forced;
static _Atomic int forced_on;
static char env_error[256];

/* ------------------------------------------------------------ presets */

typedef struct {
    const char *name;
    const char *vendor; /* CPUID's vendor string, "" for Arm */
    const char *what;
    vconv_isa_model avx512, avx2, neon;
    double l3_bytes;
    double bf16dot; /* vdpbf16ps zmm a cycle; 0: none */
} preset;

/* Values from the vendors' optimisation guides and measurements (the
   README's dispatch section has the table and its sources). */
static const preset presets[] = {
    {"zen4", "AuthenticAMD", "AMD Zen 4: 512-bit FMAs on two 256-bit pipes",
     {1, 4, 2}, {2, 4, 2}, {0, 0, 0}, 36, 1},
    {"zen5", "AuthenticAMD", "AMD Zen 5: two full-width 512-bit FMA pipes",
     {2, 4, 2}, {2, 4, 3}, {0, 0, 0}, 32, 2},
    {"skx-1fma", "GenuineIntel", "Intel Skylake-SP with one 512-bit FMA unit (Silver, "
     "some Gold)", {1, 4, 2}, {2, 4, 2}, {0, 0, 0}, 12, 0},
    {"icelake-2fma", "GenuineIntel", "Intel Ice Lake / Sapphire Rapids class, two 512-bit "
     "FMA units", {2, 4, 2}, {2, 4, 2}, {0, 0, 0}, 8, 0.25},
    {"neoverse-n1", "", "Arm Neoverse N1 / Cortex-A76: two 128-bit FMA pipes",
     {0, 0, 0}, {0, 0, 0}, {2, 4, 2}, 16, 0},
    {"generic", "", "no measurement: two FMA pipes, latency 4, two loads",
     {2, 4, 2}, {2, 4, 2}, {2, 4, 2}, 16, 0.5},
};
#define NPRESETS ((int)(sizeof presets / sizeof presets[0]))

static const preset *generic(void) { return &presets[NPRESETS - 1]; }

static void from_preset(const preset *pr, vconv_machine *m, const char *src)
{
    memset(m, 0, sizeof *m);
    snprintf(m->name, sizeof m->name, "%s", pr->name);
    snprintf(m->source, sizeof m->source, "%s (%s)", src, pr->what);
    m->isa[VCONV_ISA_AVX512] = pr->avx512;
    m->isa[VCONV_ISA_AVX2] = pr->avx2;
    m->isa[VCONV_ISA_NEON] = pr->neon;
    m->l3_bytes = pr->l3_bytes;
    m->bf16dot = pr->bf16dot;
    /* ISAs the preset does not describe (another architecture's) take
       the generic core, so every entry is usable */
    for (int i = VCONV_ISA_AVX2; i <= VCONV_ISA_NEON; i++)
        if (m->isa[i].fma_rate <= 0)
            m->isa[i] = i == VCONV_ISA_AVX512 ? generic()->avx512
                        : i == VCONV_ISA_AVX2 ? generic()->avx2
                                              : generic()->neon;
    m->env_error = env_error;
}

bool vconv_machine_preset(const char *name, vconv_machine *m)
{
    for (int i = 0; i < NPRESETS; i++)
        if (!strcmp(name, presets[i].name)) {
            char src[64];
            snprintf(src, sizeof src, "preset %s", name);
            from_preset(&presets[i], m, src);
            return true;
        }
    return false;
}

void vconv_machine_preset_names(char *buf, size_t len)
{
    size_t used = 0;
    if (len)
        buf[0] = 0;
    for (int i = 0; i < NPRESETS && used < len; i++) {
        int n = snprintf(buf + used, len - used, "%s%s", i ? "|" : "",
                         presets[i].name);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

/* ----------------------------------------------------------- rounding */

double vconv_machine_round_rate(double r)
{
    static const double steps[] = {0.5, 1, 1.5, 2, 3, 4};
    double best = steps[0];
    for (size_t i = 1; i < sizeof steps / sizeof steps[0]; i++)
        if (fabs(log(r / steps[i])) < fabs(log(r / best)))
            best = steps[i];
    return r > 0 ? best : steps[0];
}

double vconv_machine_round_loads(double l)
{
    /* the probe bounds the loads from below (a loop that reaches the FMA
       rate says "at least 2 x rate"), and the value moves with the load
       of the machine: two loads a cycle (every x86-64 core since Sandy
       Bridge, every Armv8 core of the presets) unless it is far below */
    return l >= 1.4 ? 2 : 1;
}

double vconv_machine_round_l3(double b)
{
    static const double steps[] = {4, 6, 8, 12, 16, 24, 32, 48, 64};
    double best = steps[0];
    for (size_t i = 1; i < sizeof steps / sizeof steps[0]; i++)
        if (fabs(log(b / steps[i])) < fabs(log(b / best)))
            best = steps[i];
    return b > 0 ? best : steps[0];
}

double vconv_machine_round_lat(double l)
{
    double r = floor(l + 0.5);
    return r < 2 ? 2 : r > 8 ? 8 : r;
}

/* ---------------------------------------------------------- measuring */

#define ADDS 64 /* dependent adds an iteration of the clock loop */
#define REP8(s) s s s s s s s s
#define REP64(s) REP8(REP8(s))

static double clock_loop(long iters)
{
    unsigned long x = 1;
    const double t0 = vconv_now();
    for (long i = 0; i < iters; i++) {
#if VCONV_ARCH_X86_64
        __asm__ volatile(REP64("addq %0, %0\n\t") : "+r"(x));
#elif VCONV_ARCH_AARCH64
        __asm__ volatile(REP64("add %0, %0, %0\n\t") : "+r"(x));
#else
        x = x * 3 + 1;
#endif
    }
    const double t = vconv_now() - t0;
    volatile unsigned long sink = x;
    (void)sink;
    return t;
}

typedef float (*probe_fn)(int chains, int loads, long iters,
                          const float *buf, int *fmas);

static double probe_loop(probe_fn f, int chains, int loads, long iters,
                         const float *buf, int *fmas)
{
    const double t0 = vconv_now();
    volatile float sink = f(chains, loads, iters, buf, fmas);
    (void)sink;
    return vconv_now() - t0;
}

#define ROUNDS 7

/* Measures one ISA into m->isa[isa] (rounded) and m->raw[isa]. */
static void measure_isa(vconv_machine *m, vconv_isa isa, probe_fn f,
                        const float *buf, double cycle)
{
    /* iterations: ~16 x 4 cycles a latency iteration, ~8 a rate one;
       a few tens of microseconds each at 3 GHz */
    const long it_lat = 1500, it_rate = 6000;
    double t_lat = INFINITY, t_rate = INFINITY, t_load = INFINITY;
    int fmas = 1;
    probe_loop(f, 2, 0, it_rate, buf, &fmas); /* warm-up (clock, caches) */
    for (int r = 0; r < ROUNDS; r++) {
        double t = probe_loop(f, 1, 0, it_lat, buf, &fmas);
        t_lat = t < t_lat ? t : t_lat;
        t = probe_loop(f, 2, 0, it_rate, buf, &fmas);
        t_rate = t < t_rate ? t : t_rate;
        t = probe_loop(f, 2, 1, it_rate, buf, &fmas);
        t_load = t < t_load ? t : t_load;
    }
    const double n_lat = (double)it_lat * fmas,
                 n_rate = (double)it_rate * fmas;
    const double lat = t_lat / n_lat / cycle;
    const double rate = n_rate / (t_rate / cycle);
    const double fed = n_rate / (t_load / cycle); /* FMAs a cycle with loads */
    m->raw[isa][0] = rate;
    m->raw[isa][1] = lat;
    m->raw[isa][2] = 2.0 * fed;
    m->isa[isa].fma_rate = vconv_machine_round_rate(rate);
    m->isa[isa].fma_lat = vconv_machine_round_lat(lat);
    m->isa[isa].load_rate = vconv_machine_round_loads(2.0 * fed);
}

typedef float (*read_fn)(const float *buf, size_t n);

/*
 * The L3 read rate: the fastest of several passes over a buffer of 2 x L2
 * (2 to 16 MiB; written once, so it is in the L3 and out of L2 when read),
 * in bytes a cycle of the integer clock. Kept at the preset's value when
 * the L3 is not at least twice the buffer (then there is no L3 apart from
 * memory to measure) or there is no memory for it.
 */
static void measure_l3(vconv_machine *m, read_fn f, double cycle)
{
    const vconv_topology *t = vconv_topology_get();
    size_t bytes = 2 * t->l2;
    const size_t lo = (size_t)2 << 20, hi = (size_t)16 << 20;
    bytes = bytes < lo ? lo : bytes > hi ? hi : bytes;
    if (t->l3 < 2 * bytes)
        return;
    const size_t n = bytes / sizeof(float) / 64 * 64;
    float *buf = vconv_alloc(n * sizeof(float));
    if (!buf)
        return;
    for (size_t i = 0; i < n; i++)
        buf[i] = 1e-6f;
    double best = INFINITY;
    volatile float sink = f(buf, n); /* warm-up: pages, TLB */
    for (int r = 0; r < 5; r++) {
        const double t0 = vconv_now();
        sink = f(buf, n);
        const double dt = vconv_now() - t0;
        best = dt < best ? dt : best;
    }
    (void)sink;
    vconv_free(buf);
    m->raw_l3 = (double)n * sizeof(float) / (best / cycle);
    m->l3_bytes = vconv_machine_round_l3(m->raw_l3);
}

static bool same_isa(const vconv_isa_model *a, const vconv_isa_model *b)
{
    return a->fma_rate == b->fma_rate && a->fma_lat == b->fma_lat;
}

static void measure(vconv_machine *m)
{
    from_preset(generic(), m, "measured");
    snprintf(m->name, sizeof m->name, "measured");
    const double t0 = vconv_now();
    float *buf = vconv_alloc(sizeof(float) * 1024);
    if (!buf) {
        snprintf(m->source, sizeof m->source,
                 "preset generic (no memory to measure)");
        snprintf(m->name, sizeof m->name, "generic");
        return;
    }
    for (int i = 0; i < 1024; i++)
        buf[i] = 1e-3f * (float)(i % 7);
    /* the clock: the fastest of several (interleaved with nothing else:
       the integer chain does not depend on the vector clock) */
    const long it_clk = 2000;
    double t_clk = INFINITY;
    clock_loop(it_clk); /* warm-up */
    for (int r = 0; r < 2 * ROUNDS; r++) {
        double t = clock_loop(it_clk);
        t_clk = t < t_clk ? t : t_clk;
    }
    const double cycle = t_clk / ((double)it_clk * ADDS);
    int measured = 0;
#if VCONV_ARCH_X86_64
    /* the real CPU's features, never a test's injected mask: the probes
       run the ISA's instructions */
    const uint32_t f = vconv_cpu_features_detected();
    if (vconv_cpu_mask_has_isa(f, VCONV_ISA_AVX512)) {
        measure_isa(m, VCONV_ISA_AVX512, vconv_probe_fma_avx512, buf, cycle);
        measured++;
    }
    if (vconv_cpu_mask_has_isa(f, VCONV_ISA_AVX2)) {
        measure_isa(m, VCONV_ISA_AVX2, vconv_probe_fma_avx2, buf, cycle);
        measured++;
    }
#elif VCONV_ARCH_AARCH64
    if (vconv_cpu_mask_has_isa(vconv_cpu_features_detected(), VCONV_ISA_NEON)) {
        measure_isa(m, VCONV_ISA_NEON, vconv_probe_fma_neon, buf, cycle);
        measured++;
    }
#endif
    vconv_free(buf);
    m->cycle = cycle;
    snprintf(m->source, sizeof m->source,
             measured ? "measured in %.1f ms (integer-add clock %.2f GHz)"
                      : "preset generic (no vector ISA to measure; %.1f ms, "
                        "%.2f GHz)",
             (vconv_now() - t0) * 1e3, 1e-9 / cycle);
    if (!measured)
        snprintf(m->name, sizeof m->name, "generic");
    /* the preset of this vendor whose FMA rate and latency it equals on
       every ISA it measured, if any (loads are not compared: the probe
       only bounds them from below) */
    for (int i = 0; measured && i < NPRESETS - 1; i++) {
        const preset *pr = &presets[i];
        bool eq = !strcmp(pr->vendor, vconv_cpu_vendor());
#if VCONV_ARCH_X86_64
        if (m->raw[VCONV_ISA_AVX512][0] > 0)
            eq = eq && same_isa(&m->isa[VCONV_ISA_AVX512], &pr->avx512);
        if (m->raw[VCONV_ISA_AVX2][0] > 0)
            eq = eq && same_isa(&m->isa[VCONV_ISA_AVX2], &pr->avx2);
#else
        eq = eq && same_isa(&m->isa[VCONV_ISA_NEON], &pr->neon);
#endif
        if (eq) {
            snprintf(m->matches, sizeof m->matches, "%s", pr->name);
            break;
        }
    }
}

static void detect(void)
{
    const char *e = getenv("VCONV_MACHINE");
    if (e && *e && strcmp(e, "measure") != 0) {
        if (vconv_machine_preset(e, &detected)) {
            snprintf(detected.source, sizeof detected.source,
                     "VCONV_MACHINE=%s", e);
            return;
        }
        char names[160];
        vconv_machine_preset_names(names, sizeof names);
        snprintf(env_error, sizeof env_error,
                 "VCONV_MACHINE='%s' is not a machine model (%s, or "
                 "measure)",
                 e, names);
        from_preset(generic(), &detected, "preset generic (VCONV_MACHINE "
                                          "invalid)");
        return;
    }
    measure(&detected);
}

const vconv_machine *vconv_machine_get(void)
{
    if (forced_on)
        return &forced;
    pthread_once(&once, detect);
    return &detected;
}

/* The L3 read rate is measured apart, at its first use (a Winograd plan
   whose weights outgrow L2): writing its buffer costs a few ms in a VM
   (page faults), which plans that never ask do not pay. */
static pthread_once_t l3_once = PTHREAD_ONCE_INIT;

static void detect_l3(void)
{
    if (detected.cycle <= 0)
        return; /* a preset: its value */
    const double t0 = vconv_now();
#if VCONV_ARCH_X86_64
    const uint32_t f = vconv_cpu_features_detected();
    if (vconv_cpu_mask_has_isa(f, VCONV_ISA_AVX512))
        measure_l3(&detected, vconv_probe_read_avx512, detected.cycle);
    else if (vconv_cpu_mask_has_isa(f, VCONV_ISA_AVX2))
        measure_l3(&detected, vconv_probe_read_avx2, detected.cycle);
#elif VCONV_ARCH_AARCH64
    if (vconv_cpu_mask_has_isa(vconv_cpu_features_detected(), VCONV_ISA_NEON))
        measure_l3(&detected, vconv_probe_read_neon, detected.cycle);
#endif
    detected.l3_ms = (vconv_now() - t0) * 1e3;
}

double vconv_machine_l3_bytes(void)
{
    const vconv_machine *m = vconv_machine_get();
    if (m == &detected)
        pthread_once(&l3_once, detect_l3);
    return m->l3_bytes;
}

/* The bf16 dot rate, measured apart at its first use (a bf16 estimate):
   the fastest of 7 timings of the probe, in instructions a cycle of the
   integer clock. A CPU without AVX512_BF16 keeps 0. */
static pthread_once_t dot_once = PTHREAD_ONCE_INIT;

static void detect_bf16dot(void)
{
    if (detected.cycle <= 0)
        return; /* a preset: its value */
    detected.bf16dot = 0;
#if VCONV_ARCH_X86_64
    const uint32_t f = vconv_cpu_features_detected();
    if (!vconv_cpu_mask_has_isa(f, VCONV_ISA_AVX512) ||
        !(f & VCONV_CPU_X86_AVX512BF16))
        return;
    const long iters = 2000;
    int ops = 1;
    volatile float sink = vconv_probe_bf16dot_avx512(iters / 4, &ops);
    double best = INFINITY;
    for (int r = 0; r < ROUNDS; r++) {
        const double t0 = vconv_now();
        sink = vconv_probe_bf16dot_avx512(iters, &ops);
        const double dt = vconv_now() - t0;
        best = dt < best ? dt : best;
    }
    (void)sink;
    detected.raw_bf16dot = (double)iters * ops / (best / detected.cycle);
    detected.bf16dot = vconv_machine_round_dot(detected.raw_bf16dot);
#endif
}

double vconv_machine_bf16dot(void)
{
    const vconv_machine *m = vconv_machine_get();
    if (m == &detected)
        pthread_once(&dot_once, detect_bf16dot);
    return m->bf16dot;
}

double vconv_machine_round_dot(double r)
{
    static const double steps[] = {0.25, 0.5, 1, 1.5, 2, 3, 4};
    double best = steps[0];
    for (size_t i = 1; i < sizeof steps / sizeof steps[0]; i++)
        if (fabs(r - steps[i]) < fabs(r - best))
            best = steps[i];
    return best;
}

const vconv_isa_model *vconv_machine_isa(vconv_isa isa)
{
    static const vconv_isa_model scalar = {1, 4, 1};
    if (isa <= VCONV_ISA_SCALAR || isa > VCONV_ISA_NEON)
        return &scalar;
    return &vconv_machine_get()->isa[isa];
}

int vconv_isa_hw_lanes(vconv_isa isa)
{
    switch (isa) {
    case VCONV_ISA_AVX512: return 16;
    case VCONV_ISA_AVX2: return 8;
    case VCONV_ISA_NEON: return 4;
    default: return 1;
    }
}

double vconv_machine_peak_frac(vconv_isa isa)
{
    if (isa <= VCONV_ISA_SCALAR || isa > VCONV_ISA_NEON)
        return 1.0;
    return vconv_machine_isa(isa)->fma_rate / 2.0;
}

bool vconv_machine_set_for_testing(const char *name)
{
    if (!name) {
        forced_on = 0;
        return true;
    }
    vconv_machine m;
    if (!vconv_machine_preset(name, &m))
        return false;
    forced = m;
    forced_on = 1;
    return true;
}
