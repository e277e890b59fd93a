/* cmd_peak.c - `vconv-bench peak`: the machine's measured FMA peak per ISA
   (1 and N threads) and read bandwidth. */
#include "commands.h"
#include "peak.h"
#include "vconv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_peak(int argc, char **argv)
{
    int threads = vconv_default_threads();
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: vconv-bench peak [--threads N]\n"
                   "Measures the FMA peak of every ISA this CPU has on 1 and "
                   "N threads, and the\nread bandwidth from memory.\n");
            return 0;
        } else if (!strcmp(argv[i], "--threads") && i + 1 < argc) {
            threads = atoi(argv[++i]);
            if (threads < 1) {
                fprintf(stderr, "vconv-bench peak: --threads must be >= 1\n");
                return 2;
            }
        } else {
            fprintf(stderr, "vconv-bench peak: unknown argument '%s'\n",
                    argv[i]);
            return 2;
        }
    }
    static const vconv_isa isas[] = {VCONV_ISA_SCALAR, VCONV_ISA_AVX2,
                                     VCONV_ISA_AVX512, VCONV_ISA_NEON};
    printf("%-8s %14s %14s\n", "isa", "1 thread", "threads");
    for (int i = 0; i < 4; i++) {
        double g1 = bench_peak_gflops(isas[i], 1, 0.5);
        if (g1 <= 0)
            continue;
        double gn = bench_peak_gflops(isas[i], threads, 0.5);
        printf("%-8s %8.1f GF/s %8.1f GF/s (%d)\n", vconv_isa_name(isas[i]),
               g1, gn, threads);
    }
    size_t bytes = (size_t)512 << 20;
    printf("read bandwidth: %.1f GB/s (1 thread), %.1f GB/s (%d threads)\n",
           bench_read_bandwidth(bytes, 1), bench_read_bandwidth(bytes, threads),
           threads);
    return 0;
}
