/* cmd_cpu.c - `vconv-bench cpu`: what the dispatcher sees on this machine.
   Uses the library's internal headers (vconv-bench links the static
   library). */
#include "commands.h"
#include "../dispatch/cpu.h"
#include "../dispatch/topology.h"

#include <stdio.h>
#include <string.h>

int cmd_cpu(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: vconv-bench cpu\n"
                   "Prints the CPU, its feature mask, the best ISA, cores and "
                   "caches (as\nreported and as used), the thread count a "
                   "plan gets by default, and every\nregistered "
                   "implementation with whether this machine can run it.\n"
                   "Environment: VCONV_MAX_ISA, VCONV_CACHE, VCONV_THREADS.\n");
            return 0;
        }
        fprintf(stderr, "vconv-bench cpu: unknown argument '%s'\n", argv[i]);
        return 2;
    }
    uint32_t mask = vconv_cpu_features();
    char flags[512];
    vconv_cpu_mask_str(mask, flags, sizeof flags);
    const vconv_topology *t = vconv_topology_get();
    printf("cpu:        %s (%s)\n", vconv_cpu_model(), vconv_cpu_vendor());
    printf("arch:       %s\n", VCONV_ARCH_X86_64    ? "x86-64"
                               : VCONV_ARCH_AARCH64 ? "aarch64"
                                                    : "other");
    printf("features:   0x%08x  %s\n", (unsigned)mask, flags);
    printf("best isa:   %s\n", vconv_isa_name(vconv_cpu_best_isa()));
    printf("cores:      %d physical, %d hardware threads (%s)\n", t->cores,
           t->pus, t->cores_source);
    printf("caches:     L1d %zu KiB, L2 %zu KiB per core, L3 %zu KiB shared "
           "(used; source %s)\n",
           t->l1d / 1024, t->l2 / 1024, t->l3 / 1024, t->cache_source);
    printf("reported:   L1d %zu KiB, L2 %zu KiB, L3 %zu KiB%s%s\n",
           t->l1d_raw / 1024, t->l2_raw / 1024, t->l3_raw / 1024,
           t->clamp_note[0] ? "; clamped: " : "", t->clamp_note);
    printf("threads:    %d (a plan with threads = 0)\n",
           vconv_default_threads());
    printf("registry:   %d implementations, priority order\n",
           vconv_impl_count());
    for (int i = 0; i < vconv_impl_count(); i++) {
        vconv_impl_info info;
        vconv_impl_get(i, &info);
        printf("  %-24s %-9s %-7s %s\n", info.name, vconv_algo_name(info.algo),
               vconv_isa_name(info.isa),
               info.available ? "runs here" : "not on this cpu");
    }
    return 0;
}
