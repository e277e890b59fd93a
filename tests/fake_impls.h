/*
 * fake_impls.h - a registry of fake implementations for the selection
 * tests, installed with vconv_registry_inject_for_testing(): they compute
 * with the reference (so plans built from them run and are correct), claim
 * any algorithm and ISA, and every one of their functions aborts the
 * process if it is entered while the CPU mask lacks its ISA (the
 * dispatcher's promise that an ISA file is never entered on a CPU without
 * it). Baseline C: safe to "run" as NEON on x86.
 */
#ifndef VCONV_TEST_FAKE_IMPLS_H
#define VCONV_TEST_FAKE_IMPLS_H

#include "../core/internal.h"
#include "../dispatch/cpu.h"

/* The fakes, in priority order (the index is the table position):
     0 winograd_f4x3.avx512  3x3/s1/d1/g1; est INFINITY ("accuracy")
     1 winograd_f2x3.avx512  3x3/s1/d1/g1, not oc == 7;  est 1 ms
     2 direct.avx512         anything;                   est 2 ms
     3 im2col.avx512         groups 1;                   est 2 ms (a tie)
     4 direct.avx2           anything;                   est 4 ms
     5 im2col.avx2           groups 1;                   est 3 ms
     6 direct.neon           anything;                   est 5 ms
     7 im2col.scalar         groups 1;                   est 8 ms
     8 ref.scalar            anything;                   est 100 ms  */
enum { FAKE_N = 9 };

/* What each fake does; tests may change est_ms and sleep_us between
   creates. */
typedef struct {
    const char *name;
    vconv_algo algo;
    vconv_isa isa;
    double est_ms;      /* INFINITY: never by default */
    int sleep_us;       /* spun away in every run: makes a fake slow for
                           tuning */
} fake_spec;
extern fake_spec fake_specs[FAKE_N];

/* Installs the fakes as the registry (and resets est_ms / sleep_us to the
   table above); fake_registry_remove() brings the real one back. */
void fake_registry_install(void);
void fake_registry_remove(void);

/* Gives fake i no estimate() at all (the contract: never chosen by
   default), or gives it back. */
void fake_set_no_estimate(int i, bool none);

/* Counts of calls into each fake since install (any function). */
extern int fake_calls[FAKE_N];

/* The OpenMP team size the last fake run saw in the calling thread. */
int fake_last_team(void);

/* Feature masks to inject (raw bits; the USE bits are derived). */
#define FAKE_MASK_SCALAR 0u
#define FAKE_MASK_AVX2                                                         \
    ((uint32_t)(VCONV_CPU_X86_AVX | VCONV_CPU_X86_FMA | VCONV_CPU_X86_AVX2 |   \
                VCONV_CPU_X86_OSXSAVE | VCONV_CPU_X86_OS_YMM))
/* a CPU with AVX-512 under an OS that does not save the ZMM state */
#define FAKE_MASK_AVX512_NO_OS_ZMM                                             \
    (FAKE_MASK_AVX2 |                                                          \
     (uint32_t)(VCONV_CPU_X86_AVX512F | VCONV_CPU_X86_AVX512BW |               \
                VCONV_CPU_X86_AVX512DQ | VCONV_CPU_X86_AVX512VL))
#define FAKE_MASK_AVX512                                                       \
    (FAKE_MASK_AVX512_NO_OS_ZMM | (uint32_t)VCONV_CPU_X86_OS_ZMM)
#define FAKE_MASK_NEON ((uint32_t)VCONV_CPU_ARM_ASIMD)

/* ------------------------------------------ what the dispatch tests share */

/* Unsets every VCONV_* variable the library reads (the tests set what they
   test); the value VCONV_MAX_ISA had is kept in *saved_max_isa when not
   NULL (buffer of 32). */
void clear_vconv_env(char *saved_max_isa);

/* Redirects stderr (fd 2) to a temporary file until capture_end(), which
   restores it and returns what was written (malloc'd, NUL-terminated). */
typedef struct {
    int saved_fd;
    void *tmp;
} capture;
void capture_begin(capture *c);
char *capture_end(capture *c);

/* Counts the lines of text that begin with prefix. */
int count_lines(const char *text, const char *prefix);

/* A weight / data buffer of n floats (n <= 1 << 20), small values. */
const float *test_floats(size_t n);

#endif
