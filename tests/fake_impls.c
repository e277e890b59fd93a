/* fake_impls.c - see fake_impls.h. */
#define _POSIX_C_SOURCE 200809L
#include "fake_impls.h"
#include "../dispatch/cpu.h"
#include "../dispatch/dispatch.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

extern const vconv_impl vconv_impl_ref_scalar;

static const fake_spec defaults[FAKE_N] = {
    {"winograd_f4x3.avx512", VCONV_ALGO_WINOGRAD, VCONV_ISA_AVX512, INFINITY, 0},
    {"winograd_f2x3.avx512", VCONV_ALGO_WINOGRAD, VCONV_ISA_AVX512, 1, 0},
    {"direct.avx512", VCONV_ALGO_DIRECT, VCONV_ISA_AVX512, 2, 0},
    {"im2col.avx512", VCONV_ALGO_IM2COL, VCONV_ISA_AVX512, 2, 0},
    {"direct.avx2", VCONV_ALGO_DIRECT, VCONV_ISA_AVX2, 4, 0},
    {"im2col.avx2", VCONV_ALGO_IM2COL, VCONV_ISA_AVX2, 3, 0},
    {"direct.neon", VCONV_ALGO_DIRECT, VCONV_ISA_NEON, 5, 0},
    {"im2col.scalar", VCONV_ALGO_IM2COL, VCONV_ISA_SCALAR, 8, 0},
    {"ref.scalar", VCONV_ALGO_REF, VCONV_ISA_SCALAR, 100, 0},
};
fake_spec fake_specs[FAKE_N];
int fake_calls[FAKE_N];
static _Thread_local int last_team;

int fake_last_team(void) { return last_team; }

/* Entering a fake whose ISA the mask lacks is the bug these tests exist to
   catch: stop at once, loudly. */
static void guard(int i, const char *fn)
{
    fake_calls[i]++;
    if (!vconv_cpu_mask_has_isa(vconv_cpu_features(), fake_specs[i].isa)) {
        fprintf(stderr,
                "FATAL: %s() of %s entered while the CPU mask 0x%08x lacks "
                "its ISA\n",
                fn, fake_specs[i].name, (unsigned)vconv_cpu_features());
        abort();
    }
}

static bool f_supports(int i, const vconv_problem *p, char *why, size_t len)
{
    guard(i, "supports");
    const fake_spec *s = &fake_specs[i];
    bool three = p->kh == 3 && p->kw == 3 && p->sh == 1 && p->sw == 1 &&
                 p->dh == 1 && p->dw == 1 && p->g == 1;
    if (s->algo == VCONV_ALGO_WINOGRAD && !three) {
        snprintf(why, len, "fake: not 3x3 stride 1 dense");
        return false;
    }
    if (i == 1 && p->oc == 7) {
        snprintf(why, len, "fake: oc 7");
        return false;
    }
    if (s->algo == VCONV_ALGO_IM2COL && p->g != 1) {
        snprintf(why, len, "fake: groups %d", p->g);
        return false;
    }
    return true;
}

static double f_estimate(int i, const vconv_problem *p, char *why, size_t len)
{
    guard(i, "estimate");
    (void)p;
    if (!isfinite(fake_specs[i].est_ms))
        snprintf(why, len, "fake: accuracy bound");
    return fake_specs[i].est_ms * 1e-3;
}

static vconv_status f_create(int i, const vconv_problem *p, const float *w,
                             const float *b, void **state)
{
    guard(i, "create");
    return vconv_impl_ref_scalar.create(p, w, b, state);
}

static vconv_status f_run(int i, const void *state, const vconv_problem *p,
                          const float *src, float *dst)
{
    guard(i, "run");
    int team = 0;
#pragma omp parallel num_threads(p->threads)
    {
#pragma omp master
        team = omp_get_num_threads();
    }
    last_team = team;
    /* spin, not sleep: a sleeping run's time would include the wake-up
       latency of a loaded machine (milliseconds), which could reorder the
       fakes; a spinning one is only as slow as it says, or preempted */
    if (fake_specs[i].sleep_us > 0) {
        double end = vconv_now() + 1e-6 * fake_specs[i].sleep_us;
        while (vconv_now() < end) {
        }
    }
    return vconv_impl_ref_scalar.run(state, p, src, dst);
}

static void f_destroy(int i, void *state)
{
    guard(i, "destroy");
    vconv_impl_ref_scalar.destroy(state);
}

#define FAKE(i)                                                                \
    static bool supports_##i(const vconv_problem *p, char *w, size_t l)        \
    {                                                                          \
        return f_supports(i, p, w, l);                                         \
    }                                                                          \
    static double estimate_##i(const vconv_problem *p, char *w, size_t l)      \
    {                                                                          \
        return f_estimate(i, p, w, l);                                         \
    }                                                                          \
    static vconv_status create_##i(const vconv_problem *p, const float *w,     \
                                   const float *b, void **s)                   \
    {                                                                          \
        return f_create(i, p, w, b, s);                                        \
    }                                                                          \
    static vconv_status run_##i(const void *s, const vconv_problem *p,         \
                                const float *x, float *y)                      \
    {                                                                          \
        return f_run(i, s, p, x, y);                                           \
    }                                                                          \
    static void destroy_##i(void *s) { f_destroy(i, s); }
FAKE(0)
FAKE(1)
FAKE(2)
FAKE(3)
FAKE(4)
FAKE(5)
FAKE(6)
FAKE(7)
FAKE(8)
#undef FAKE

#define ROW(i)                                                                 \
    {NULL, 0, 0, supports_##i, estimate_##i, create_##i, run_##i, destroy_##i, \
     0, 0, NULL, NULL}
static vconv_impl impls[FAKE_N] = {ROW(0), ROW(1), ROW(2), ROW(3), ROW(4),
                                   ROW(5), ROW(6), ROW(7), ROW(8)};
#undef ROW
static const vconv_impl *table[FAKE_N];

void fake_registry_install(void)
{
    for (int i = 0; i < FAKE_N; i++) {
        fake_specs[i] = defaults[i];
        impls[i].name = defaults[i].name;
        impls[i].algo = defaults[i].algo;
        impls[i].isa = defaults[i].isa;
        table[i] = &impls[i];
        fake_set_no_estimate(i, false);
        fake_calls[i] = 0;
    }
    vconv_registry_inject_for_testing(table, FAKE_N);
}

void fake_set_no_estimate(int i, bool none)
{
    static double (*const est[FAKE_N])(const vconv_problem *, char *,
                                       size_t) = {
        estimate_0, estimate_1, estimate_2, estimate_3, estimate_4,
        estimate_5, estimate_6, estimate_7, estimate_8};
    impls[i].estimate = none ? NULL : est[i];
}

void fake_registry_remove(void) { vconv_registry_inject_for_testing(NULL, 0); }

/* ------------------------------------------ what the dispatch tests share */

void clear_vconv_env(char *saved_max_isa)
{
    static const char *const vars[] = {
        "VCONV_MAX_ISA", "VCONV_ALGO", "VCONV_IMPL", "VCONV_TUNE",
        "VCONV_THREADS", "VCONV_VERBOSE", "VCONV_TUNE_CACHE"};
    if (saved_max_isa) {
        const char *e = getenv("VCONV_MAX_ISA");
        snprintf(saved_max_isa, 32, "%s", e ? e : "");
    }
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        unsetenv(vars[i]);
}

void capture_begin(capture *c)
{
    fflush(stderr);
    FILE *f = tmpfile();
    if (!f) {
        perror("tmpfile");
        abort();
    }
    c->tmp = f;
    c->saved_fd = dup(2);
    dup2(fileno(f), 2);
}

char *capture_end(capture *c)
{
    fflush(stderr);
    dup2(c->saved_fd, 2);
    close(c->saved_fd);
    FILE *f = c->tmp;
    long n = ftell(f);
    char *buf = malloc((size_t)(n > 0 ? n : 0) + 1);
    rewind(f);
    size_t got = n > 0 ? fread(buf, 1, (size_t)n, f) : 0;
    buf[got] = 0;
    fclose(f);
    /* echo it, so a failing test's log still shows what the library said */
    fputs(buf, stderr);
    return buf;
}

int count_lines(const char *text, const char *prefix)
{
    int n = 0;
    size_t pl = strlen(prefix);
    for (const char *s = text; s && *s;) {
        if (strncmp(s, prefix, pl) == 0)
            n++;
        s = strchr(s, '\n');
        if (s)
            s++;
    }
    return n;
}

const float *test_floats(size_t n)
{
    static float buf[1 << 20];
    static bool init;
    if (!init) {
        uint32_t x = 1;
        for (size_t i = 0; i < sizeof buf / sizeof buf[0]; i++) {
            x = x * 1664525u + 1013904223u;
            buf[i] = (float)((int)(x >> 16) - 32768) / 65536.0f;
        }
        init = true;
    }
    if (n > sizeof buf / sizeof buf[0])
        abort();
    return buf;
}
