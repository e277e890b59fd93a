/* cmd_nets.c - `vconv-bench summary` and `vconv-bench shapes`. */
#include "commands.h"
#include "nets.h"

#include <stdio.h>
#include <string.h>

static void list_nets(FILE *f)
{
    fprintf(f, "networks:");
    for (int i = 0; i < net_count(); i++)
        fprintf(f, " %s", net_at(i)->name);
    fprintf(f, "\n");
}

static int want_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
            return 1;
    return 0;
}

int cmd_summary(int argc, char **argv)
{
    if (want_help(argc, argv)) {
        printf("usage: vconv-bench summary NET|all\n"
               "Per layer: input and output shape (HxWxC), kernel, weights, "
               "bias, parameters\nand multiply-accumulates for one image; then "
               "the totals.\n");
        list_nets(stdout);
        return 0;
    }
    if (argc != 2) {
        fprintf(stderr, "usage: vconv-bench summary NET|all\n");
        list_nets(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "all")) {
        for (int i = 0; i < net_count(); i++) {
            if (i)
                printf("\n");
            if (net_print_summary(net_at(i), stdout) != 0)
                return 1;
        }
        return 0;
    }
    const net_def *n = net_find(argv[1]);
    if (!n) {
        fprintf(stderr, "vconv-bench summary: unknown network '%s'\n",
                argv[1]);
        list_nets(stderr);
        return 2;
    }
    return net_print_summary(n, stdout) == 0 ? 0 : 1;
}

int cmd_shapes(int argc, char **argv)
{
    if (want_help(argc, argv)) {
        printf("usage: vconv-bench shapes NET\n"
               "Prints the conv layers of NET in benchdnn's descriptor "
               "syntax: the content of\nbench/shapes/NET.txt.\n");
        list_nets(stdout);
        return 0;
    }
    if (argc != 2) {
        fprintf(stderr, "usage: vconv-bench shapes NET\n");
        list_nets(stderr);
        return 2;
    }
    const net_def *n = net_find(argv[1]);
    if (!n) {
        fprintf(stderr, "vconv-bench shapes: unknown network '%s'\n", argv[1]);
        list_nets(stderr);
        return 2;
    }
    return net_write_shapes(n, stdout) > 0 ? 0 : 1;
}
