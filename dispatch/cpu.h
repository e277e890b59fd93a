/* cpu.h - CPU feature detection: one bitmask, read once, thread-safe. */
#ifndef VCONV_CPU_H
#define VCONV_CPU_H

#include "../core/internal.h"

/* Raw features (what CPUID / HWCAP say) and OS state (XCR0). */
enum {
    VCONV_CPU_X86_AVX = 1u << 0,
    VCONV_CPU_X86_FMA = 1u << 1,
    VCONV_CPU_X86_AVX2 = 1u << 2,
    VCONV_CPU_X86_F16C = 1u << 3,
    VCONV_CPU_X86_AVX512F = 1u << 4,
    VCONV_CPU_X86_AVX512BW = 1u << 5,
    VCONV_CPU_X86_AVX512DQ = 1u << 6,
    VCONV_CPU_X86_AVX512VL = 1u << 7,
    VCONV_CPU_X86_AVX512CD = 1u << 8,
    VCONV_CPU_X86_AVX512VNNI = 1u << 9,
    VCONV_CPU_X86_AVX512BF16 = 1u << 10,
    VCONV_CPU_X86_AMX = 1u << 11,      /* AMX-TILE + AMX-INT8, the OS's tile
                                          state (XCR0 bits 17-18) and, on
                                          Linux, the process's permission
                                          for it (arch_prctl) granted */
    VCONV_CPU_X86_OSXSAVE = 1u << 12,
    VCONV_CPU_X86_OS_YMM = 1u << 13,   /* XCR0: SSE + AVX state saved */
    VCONV_CPU_X86_OS_ZMM = 1u << 14,   /* XCR0: opmask + ZMM_Hi256 + Hi16 */
    VCONV_CPU_X86_AVXVNNI = 1u << 15,  /* AVX-VNNI (VEX vpdpbusd on ymm) */
    VCONV_CPU_ARM_ASIMD = 1u << 16,
    VCONV_CPU_ARM_FPHP = 1u << 17,     /* half-precision arithmetic */
    VCONV_CPU_ARM_DOTPROD = 1u << 18,
    VCONV_CPU_ARM_SVE = 1u << 19,
    VCONV_CPU_ARM_I8MM = 1u << 20,
    VCONV_CPU_ARM_BF16 = 1u << 21,
    VCONV_CPU_X86_AMXBF16 = 1u << 24,  /* AMX-TILE + AMX-BF16 and the OS's
                                          tile state, as VCONV_CPU_X86_AMX */
    /* What the dispatcher uses: an ISA is usable when the CPU has every
       feature of it and the OS saves its registers. */
    VCONV_CPU_USE_AVX2 = 1u << 28,
    VCONV_CPU_USE_AVX512 = 1u << 29,
    VCONV_CPU_USE_NEON = 1u << 30,
    VCONV_CPU_X86_ALL = 0x0100ffffu,        /* bits 0..15 and 24: x86 */
    VCONV_CPU_ARM_ALL = 0xff0000u,          /* bits 16..23: arm */
};

/* The mask of this CPU (or the one a test injected). */
VCONV_INTERNAL uint32_t vconv_cpu_features(void);

/* The mask of this CPU, never an injected one: for code that runs ISA
   instructions itself whatever a test pretends (the machine model's
   probes). */
VCONV_INTERNAL uint32_t vconv_cpu_features_detected(void);

/* Derives the VCONV_CPU_USE_* bits from the raw bits of mask. */
VCONV_INTERNAL uint32_t vconv_cpu_derive_usable(uint32_t mask);

/* Whether mask lets code of this ISA run (SCALAR: always). The mask alone
   decides (an injected ARM mask on x86 allows NEON: tests run fake NEON
   entries that way); real detection sets only its own architecture's bits. */
VCONV_INTERNAL bool vconv_cpu_mask_has_isa(uint32_t mask, vconv_isa isa);

/* Whether mask describes an arm CPU: it has arm bits; else x86 if it has x86
   bits; else (no features at all) the architecture the library was built
   for. Decides whether max_isa = NEON, or AVX2 / AVX512, can apply. */
VCONV_INTERNAL bool vconv_cpu_mask_is_arm(uint32_t mask);

/* Whether mask has every raw feature bit of needs (an implementation's
   cpu_needs: avx512vnni, avx512bf16, dotprod beyond its ISA). */
static inline bool vconv_cpu_mask_has_features(uint32_t mask, uint32_t needs)
{
    return (mask & needs) == needs;
}

/* The best ISA the mask allows. */
VCONV_INTERNAL vconv_isa vconv_cpu_mask_best_isa(uint32_t mask);

/* Tests only: replace the detected mask (the USE bits are derived from the
   raw bits given); inject = false goes back to the detected one. A test
   must never inject ISAs the real CPU lacks while real kernels of those
   ISAs are in the registry (only fake ones, see
   vconv_registry_inject_for_testing). */
VCONV_INTERNAL void vconv_cpu_inject_features(bool inject, uint32_t mask);

/* Vendor and model strings ("AuthenticAMD", "AMD EPYC ..."), "" unknown. */
VCONV_INTERNAL const char *vconv_cpu_vendor(void);
VCONV_INTERNAL const char *vconv_cpu_model(void);

/* Names of the set bits, space separated, into buf. */
VCONV_INTERNAL void vconv_cpu_mask_str(uint32_t mask, char *buf, size_t len);

#endif
