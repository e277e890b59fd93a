/* main.c - vconv-bench: the command line of the bench suite. */
#include "commands.h"
#include "vconv.h"

#include <stdio.h>
#include <string.h>

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *help;
} command;

static const command commands[] = {
    {"summary", cmd_summary,
     "summary NET|all     per-layer shapes, parameters and MACs of a network"},
    {"shapes", cmd_shapes,
     "shapes NET          print bench/shapes/NET.txt as generated from the "
     "net definitions"},
    {"cpu", cmd_cpu,
     "cpu                 ISA mask, CPU, cores, caches, threads, and the "
     "implementation registry"},
    {"select", cmd_select,
     "select NET|DESC     the implementation chosen for each conv layer "
     "(VCONV_VERBOSE=1: why)"},
    {"peak", cmd_peak,
     "peak                measured FMA peak per ISA (1 and N threads) and "
     "memory bandwidth"},
    {"conv", cmd_conv,
     "conv --net NAME ... every vconv kernel beside oneDNN: table, JSON, "
     "CSV (conv --help)"},
    {"gemm", cmd_gemm,
     "gemm                vconv's SGEMM GFLOP/s beside the FMA peak and "
     "OpenBLAS"},
    {"net", cmd_net,
     "net --net NAME|all  whole networks end to end beside the oneDNN-"
     "primitive net (net --help)"},
};
#define NCOMMANDS (int)(sizeof commands / sizeof commands[0])

static void usage(FILE *f)
{
    fprintf(f,
            "usage: vconv-bench COMMAND [ARGS]   (vconv %d.%d.%d)\n\n"
            "commands:\n",
            VCONV_VERSION_MAJOR, VCONV_VERSION_MINOR, VCONV_VERSION_PATCH);
    for (int i = 0; i < NCOMMANDS; i++)
        fprintf(f, "  %s\n", commands[i].help);
    fprintf(f, "\n'vconv-bench COMMAND --help' for a command's options.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
        !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    for (int i = 0; i < NCOMMANDS; i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "vconv-bench: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}
