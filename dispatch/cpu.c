/*
 * cpu.c - CPU features. x86-64: CPUID leaves 1 and 7 plus XGETBV (libsodium's
 * rule: a feature counts only if the OS saves its registers: OSXSAVE, then
 * XCR0 bits 1-2 for YMM and 5-7 for opmask/ZMM; AMX: bits 17-18 and, on
 * Linux, the tile data permission the process asks for once, here, with
 * arch_prctl(ARCH_REQ_XCOMP_PERM): without it the first tile instruction
 * faults). aarch64: getauxval(AT_HWCAP).
 * Read once under pthread_once. Baseline code: no intrinsics, inline asm only
 * for cpuid / xgetbv, which every x86-64 has (xgetbv only after OSXSAVE).
 */
#define _GNU_SOURCE
#include "cpu.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#if VCONV_ARCH_AARCH64
#include <sys/auxv.h>
#endif
#if VCONV_ARCH_X86_64 && defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif

static pthread_once_t once = PTHREAD_ONCE_INIT;
static uint32_t detected;
static char vendor[16];
static char model[64];
static _Atomic int injected_on;
static _Atomic uint32_t injected;

#if VCONV_ARCH_X86_64
static void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    __asm__ volatile("cpuid"
                     : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
                     : "a"(leaf), "c"(sub));
}

static uint64_t xgetbv0(void)
{
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}

/* The tile state enabled by the OS (XCR0 bit 17 XTILECFG, 18 XTILEDATA)
   and, on Linux (5.16+), granted to this process: the permission is asked
   for once; a kernel that does not know the request refuses it (and then
   leaves AMX off in XCR0 anyway). */
static bool amx_permitted(uint64_t xcr0)
{
    if ((xcr0 & (3ull << 17)) != (3ull << 17))
        return false;
#if defined(__linux__) && defined(SYS_arch_prctl)
    const long ARCH_REQ_XCOMP_PERM = 0x1023, XFEATURE_XTILEDATA = 18;
    return syscall(SYS_arch_prctl, ARCH_REQ_XCOMP_PERM,
                   XFEATURE_XTILEDATA) == 0;
#else
    return false;
#endif
}

static void detect(void)
{
    uint32_t r[4], m = 0;
    cpuid(0, 0, r);
    uint32_t max_leaf = r[0];
    memcpy(vendor + 0, &r[1], 4);
    memcpy(vendor + 4, &r[3], 4);
    memcpy(vendor + 8, &r[2], 4);
    vendor[12] = 0;
    cpuid(1, 0, r);
    if (r[2] & (1u << 28)) m |= VCONV_CPU_X86_AVX;
    if (r[2] & (1u << 12)) m |= VCONV_CPU_X86_FMA;
    if (r[2] & (1u << 29)) m |= VCONV_CPU_X86_F16C;
    if (r[2] & (1u << 27)) m |= VCONV_CPU_X86_OSXSAVE;
    if (max_leaf >= 7) {
        cpuid(7, 0, r);
        if (r[1] & (1u << 5)) m |= VCONV_CPU_X86_AVX2;
        if (r[1] & (1u << 16)) m |= VCONV_CPU_X86_AVX512F;
        if (r[1] & (1u << 17)) m |= VCONV_CPU_X86_AVX512DQ;
        if (r[1] & (1u << 28)) m |= VCONV_CPU_X86_AVX512CD;
        if (r[1] & (1u << 30)) m |= VCONV_CPU_X86_AVX512BW;
        if (r[1] & (1u << 31)) m |= VCONV_CPU_X86_AVX512VL;
        if (r[2] & (1u << 11)) m |= VCONV_CPU_X86_AVX512VNNI;
        /* AMX-TILE (edx 24) and AMX-INT8 (edx 25); the OS state below */
        if ((r[3] & (3u << 24)) == (3u << 24)) m |= VCONV_CPU_X86_AMX;
        /* AMX-TILE and AMX-BF16 (edx 22) */
        if ((r[3] & (1u << 24)) && (r[3] & (1u << 22)))
            m |= VCONV_CPU_X86_AMXBF16;
        uint32_t s1[4];
        cpuid(7, 1, s1);
        if (s1[0] & (1u << 4)) m |= VCONV_CPU_X86_AVXVNNI;
        if (s1[0] & (1u << 5)) m |= VCONV_CPU_X86_AVX512BF16;
    }
    if (m & VCONV_CPU_X86_OSXSAVE) {
        uint64_t xcr0 = xgetbv0();
        if ((xcr0 & 0x6) == 0x6) m |= VCONV_CPU_X86_OS_YMM;
        if ((xcr0 & 0xe6) == 0xe6) m |= VCONV_CPU_X86_OS_ZMM;
        const uint32_t amx = VCONV_CPU_X86_AMX | VCONV_CPU_X86_AMXBF16;
        if ((m & amx) && !amx_permitted(xcr0))
            m &= ~amx;
    } else {
        m &= ~(uint32_t)(VCONV_CPU_X86_AMX | VCONV_CPU_X86_AMXBF16);
    }
    cpuid(0x80000000u, 0, r);
    if (r[0] >= 0x80000004u) {
        for (uint32_t i = 0; i < 3; i++) {
            cpuid(0x80000002u + i, 0, r);
            memcpy(model + 16 * i, r, 16);
        }
        model[48] = 0;
        /* trim the padding some vendors put around the brand string */
        size_t n = strlen(model);
        while (n && model[n - 1] == ' ')
            model[--n] = 0;
        size_t lead = strspn(model, " ");
        memmove(model, model + lead, n - lead + 1);
    }
    detected = vconv_cpu_derive_usable(m);
}
#elif VCONV_ARCH_AARCH64
#ifndef HWCAP_ASIMD
#define HWCAP_ASIMD (1 << 1)
#endif
#ifndef HWCAP_ASIMDHP
#define HWCAP_ASIMDHP (1 << 10)
#endif
#ifndef HWCAP_ASIMDDP
#define HWCAP_ASIMDDP (1 << 20)
#endif
#ifndef HWCAP_SVE
#define HWCAP_SVE (1 << 22)
#endif
#ifndef HWCAP2_I8MM
#define HWCAP2_I8MM (1 << 13)
#endif
#ifndef HWCAP2_BF16
#define HWCAP2_BF16 (1 << 14)
#endif
static void detect(void)
{
    unsigned long hw = getauxval(AT_HWCAP), hw2 = getauxval(AT_HWCAP2);
    uint32_t m = 0;
    if (hw & HWCAP_ASIMD) m |= VCONV_CPU_ARM_ASIMD;
    if (hw & HWCAP_ASIMDHP) m |= VCONV_CPU_ARM_FPHP;
    if (hw & HWCAP_ASIMDDP) m |= VCONV_CPU_ARM_DOTPROD;
    if (hw & HWCAP_SVE) m |= VCONV_CPU_ARM_SVE;
    if (hw2 & HWCAP2_I8MM) m |= VCONV_CPU_ARM_I8MM;
    if (hw2 & HWCAP2_BF16) m |= VCONV_CPU_ARM_BF16;
    strcpy(vendor, "arm");
    /* /proc/cpuinfo has no model name on most aarch64 kernels; the MIDR is
       the portable identity. */
    FILE *f = fopen("/sys/devices/system/cpu/cpu0/regs/identification/midr_el1",
                    "r");
    if (f) {
        char midr[32] = "";
        if (fgets(midr, sizeof midr, f)) {
            midr[strcspn(midr, "\n")] = 0;
            snprintf(model, sizeof model, "aarch64 midr %s", midr);
        }
        fclose(f);
    }
    if (!model[0])
        strcpy(model, "aarch64");
    detected = vconv_cpu_derive_usable(m);
}
#else
static void detect(void) { detected = 0; }
#endif

uint32_t vconv_cpu_derive_usable(uint32_t m)
{
    m &= ~(uint32_t)(VCONV_CPU_USE_AVX2 | VCONV_CPU_USE_AVX512 |
                     VCONV_CPU_USE_NEON);
    const uint32_t avx2 = VCONV_CPU_X86_AVX | VCONV_CPU_X86_AVX2 |
                          VCONV_CPU_X86_FMA | VCONV_CPU_X86_OSXSAVE |
                          VCONV_CPU_X86_OS_YMM;
    const uint32_t avx512 = avx2 | VCONV_CPU_X86_AVX512F |
                            VCONV_CPU_X86_AVX512BW | VCONV_CPU_X86_AVX512DQ |
                            VCONV_CPU_X86_AVX512VL | VCONV_CPU_X86_OS_ZMM;
    if ((m & avx2) == avx2)
        m |= VCONV_CPU_USE_AVX2;
    if ((m & avx512) == avx512)
        m |= VCONV_CPU_USE_AVX512;
    if (m & VCONV_CPU_ARM_ASIMD)
        m |= VCONV_CPU_USE_NEON;
    return m;
}

uint32_t vconv_cpu_features(void)
{
    if (injected_on)
        return injected;
    pthread_once(&once, detect);
    return detected;
}

uint32_t vconv_cpu_features_detected(void)
{
    pthread_once(&once, detect);
    return detected;
}

void vconv_cpu_inject_features(bool inject, uint32_t mask)
{
    injected = vconv_cpu_derive_usable(mask);
    injected_on = inject;
}

/* The mask alone decides, not the architecture the library was built for:
   detection only ever sets the bits of its own architecture, and the
   registry only holds kernels of that architecture, so on a real run the two
   agree. Tests inject masks of the other family (a NEON mask on x86) to
   exercise selection with fake implementations; see cpu.h. */
bool vconv_cpu_mask_has_isa(uint32_t mask, vconv_isa isa)
{
    switch (isa) {
    case VCONV_ISA_SCALAR: return true;
    case VCONV_ISA_AVX2: return (mask & VCONV_CPU_USE_AVX2) != 0;
    case VCONV_ISA_AVX512: return (mask & VCONV_CPU_USE_AVX512) != 0;
    case VCONV_ISA_NEON: return (mask & VCONV_CPU_USE_NEON) != 0;
    default: return false;
    }
}

bool vconv_cpu_mask_is_arm(uint32_t mask)
{
    if (mask & VCONV_CPU_ARM_ALL)
        return true;
    if (mask & VCONV_CPU_X86_ALL)
        return false;
    return VCONV_ARCH_AARCH64;
}

vconv_isa vconv_cpu_mask_best_isa(uint32_t mask)
{
    if (vconv_cpu_mask_has_isa(mask, VCONV_ISA_AVX512))
        return VCONV_ISA_AVX512;
    if (vconv_cpu_mask_has_isa(mask, VCONV_ISA_AVX2))
        return VCONV_ISA_AVX2;
    if (vconv_cpu_mask_has_isa(mask, VCONV_ISA_NEON))
        return VCONV_ISA_NEON;
    return VCONV_ISA_SCALAR;
}

vconv_isa vconv_cpu_best_isa(void)
{
    return vconv_cpu_mask_best_isa(vconv_cpu_features());
}

const char *vconv_cpu_vendor(void)
{
    pthread_once(&once, detect);
    return vendor;
}

const char *vconv_cpu_model(void)
{
    pthread_once(&once, detect);
    return model;
}

void vconv_cpu_mask_str(uint32_t mask, char *buf, size_t len)
{
    static const struct { uint32_t bit; const char *name; } names[] = {
        {VCONV_CPU_X86_AVX, "avx"},           {VCONV_CPU_X86_FMA, "fma"},
        {VCONV_CPU_X86_AVX2, "avx2"},         {VCONV_CPU_X86_F16C, "f16c"},
        {VCONV_CPU_X86_AVX512F, "avx512f"},   {VCONV_CPU_X86_AVX512BW, "avx512bw"},
        {VCONV_CPU_X86_AVX512DQ, "avx512dq"}, {VCONV_CPU_X86_AVX512VL, "avx512vl"},
        {VCONV_CPU_X86_AVX512CD, "avx512cd"}, {VCONV_CPU_X86_AVX512VNNI, "avx512vnni"},
        {VCONV_CPU_X86_AVX512BF16, "avx512bf16"}, {VCONV_CPU_X86_AMX, "amx-int8"},
        {VCONV_CPU_X86_AMXBF16, "amx-bf16"},
        {VCONV_CPU_X86_OSXSAVE, "osxsave"},   {VCONV_CPU_X86_OS_YMM, "os-ymm"},
        {VCONV_CPU_X86_OS_ZMM, "os-zmm"},     {VCONV_CPU_X86_AVXVNNI, "avx-vnni"},
            {VCONV_CPU_ARM_ASIMD, "asimd"},
        {VCONV_CPU_ARM_FPHP, "fphp"},         {VCONV_CPU_ARM_DOTPROD, "dotprod"},
        {VCONV_CPU_ARM_SVE, "sve"},           {VCONV_CPU_ARM_I8MM, "i8mm"},
        {VCONV_CPU_ARM_BF16, "bf16"},         {VCONV_CPU_USE_AVX2, "[use:avx2]"},
        {VCONV_CPU_USE_AVX512, "[use:avx512]"}, {VCONV_CPU_USE_NEON, "[use:neon]"},
    };
    size_t used = 0;
    if (!len)
        return;
    buf[0] = 0;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (!(mask & names[i].bit))
            continue;
        int n = snprintf(buf + used, len - used, "%s%s", used ? " " : "",
                         names[i].name);
        if (n < 0 || (size_t)n >= len - used)
            break;
        used += (size_t)n;
    }
}
