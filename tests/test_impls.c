/*
 * test_impls.c - every registered implementation this CPU runs, forced one
 * by one, against kernels/ref: on the layers of a shapes file, or on seeded
 * random descriptors. Checks accuracy (impl_tolerance), that dst is fully
 * written and src untouched, and that 1, 2 and 3 threads agree bitwise.
 *
 *   test_impls --shapes FILE [--mb N]          every layer of a shapes file
 *   test_impls --random N [--seed S]           N random descriptors
 *   [--impl NAME[,NAME]] [--verbose]
 *
 * With --random every implementation must run on at least one problem (a
 * supports() that refuses everything is a failure); implementations above a
 * VCONV_MAX_ISA cap are left out.
 */
#include "check.h"
#include "common.h"
#include "../dispatch/dispatch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

CHECK_DEFINE_GLOBALS

#define MAX_IMPLS 64

static void usage(void)
{
    fprintf(stderr, "usage: test_impls (--shapes FILE [--mb N] | --random N "
                    "[--seed S]) [--impl NAMES] [--verbose]\n");
}

/* The implementations to test: available on this CPU, under the
   VCONV_MAX_ISA cap if one is set, filtered by --impl. */
static int select_impls(const char *filter, const char **names)
{
    const char *all[MAX_IMPLS];
    int n = available_impls(all, MAX_IMPLS), m = 0;
    vconv_isa cap = VCONV_ISA_AUTO;
    const char *e = getenv("VCONV_MAX_ISA");
    if (e && *e && !vconv_parse_isa(e, &cap)) {
        fprintf(stderr, "bad VCONV_MAX_ISA '%s'\n", e);
        exit(2);
    }
    for (int i = 0; i < n; i++) {
        const vconv_impl *im = vconv_registry_find(all[i]);
        bool allowed = cap == VCONV_ISA_AUTO || im->isa == VCONV_ISA_SCALAR ||
                       (cap == VCONV_ISA_NEON ? im->isa == VCONV_ISA_NEON
                                              : im->isa != VCONV_ISA_NEON &&
                                                    im->isa <= cap);
        if (!allowed)
            continue;
        if (filter) {
            char buf[512];
            snprintf(buf, sizeof buf, ",%s,", filter);
            char key[128];
            snprintf(key, sizeof key, ",%s,", all[i]);
            if (!strstr(buf, key))
                continue;
        }
        names[m++] = all[i];
    }
    return m;
}

typedef struct {
    int ran, skipped;
    double worst;
} tally;

static void check_case(const vconv_conv_desc *d, bool bias, uint64_t seed,
                       const char **impls, int ni, tally *t, bool verbose)
{
    ref_case c;
    char ds[256];
    desc_str(d, bias, ds, sizeof ds);
    if (ref_case_init(&c, d, seed, bias) != 0) {
        CHECK(0, "cannot build the reference case %s", ds);
        return;
    }
    for (int i = 0; i < ni; i++) {
        impl_check r = check_impl(&c, impls[i]);
        CHECK(r.ok, "%s", r.msg);
        if (r.ran) {
            t[i].ran++;
            if (r.err > t[i].worst)
                t[i].worst = r.err;
        } else {
            t[i].skipped++;
        }
        if (verbose)
            printf("  %-24s %-8s err %.3g  %s\n", impls[i],
                   r.ran ? (r.ok ? "ok" : "FAIL") : "n/a", r.err, ds);
    }
    ref_case_free(&c);
}

int main(int argc, char **argv)
{
    const char *shapes = NULL, *filter = NULL;
    int random_n = -1, mb = 0;
    uint64_t seed = 20261122;
    bool verbose = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--shapes") && i + 1 < argc)
            shapes = argv[++i];
        else if (!strcmp(argv[i], "--random") && i + 1 < argc)
            random_n = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
            seed = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--mb") && i + 1 < argc)
            mb = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--impl") && i + 1 < argc)
            filter = argv[++i];
        else if (!strcmp(argv[i], "--verbose"))
            verbose = true;
        else if (!strcmp(argv[i], "--help")) {
            usage();
            return 0;
        } else {
            usage();
            return 2;
        }
    }
    if (!shapes && random_n < 0) {
        usage();
        return 2;
    }
    const char *impls[MAX_IMPLS];
    int ni = select_impls(filter, impls);
    /* the oracle against itself on whole networks proves little and costs
       much (under qemu especially): the random problems cover its entry,
       tests/test_ref.c its arithmetic */
    if (shapes && !filter)
        for (int i = 0; i < ni; i++)
            if (!strcmp(impls[i], "ref.scalar"))
                impls[i--] = impls[--ni];
    CHECK(ni > 0 || (shapes && !filter),
          "no implementation selected (filter '%s')", filter ? filter : "");
    tally t[MAX_IMPLS] = {{0}};

    if (shapes) {
        bench_problem *probs;
        int np;
        char err[512];
        if (bench_shapes_read(shapes, &probs, &np, err, sizeof err) != 0) {
            fprintf(stderr, "%s\n", err);
            return 1;
        }
        for (int k = 0; k < np; k++) {
            vconv_conv_desc d = probs[k].d;
            if (mb > 0)
                d.batch = mb;
            /* alternate the layout and the activation so both paths of
               every kernel meet real layer shapes */
            d.layout = k % 2 ? VCONV_NHWC : VCONV_NCHW;
            d.activation = k % 3 == 1 ? VCONV_ACT_NONE : VCONV_ACT_RELU;
            printf("%s (%s, %s)\n", probs[k].name,
                   d.layout == VCONV_NHWC ? "nhwc" : "nchw",
                   d.activation ? "relu" : "no relu");
            fflush(stdout);
            check_case(&d, true, seed + (uint64_t)k, impls, ni, t, verbose);
        }
        free(probs);
    } else {
        test_rng r = {seed};
        for (int k = 0; k < random_n; k++) {
            vconv_conv_desc d = random_desc(&r);
            bool bias = rng_int(&r, 0, 1);
            check_case(&d, bias, seed * 31 + (uint64_t)k, impls, ni, t,
                       verbose);
            if ((k + 1) % 100 == 0) {
                printf("  %d / %d random problems\n", k + 1, random_n);
                fflush(stdout);
            }
        }
    }
    printf("%-24s %6s %8s %10s\n", "implementation", "ran", "n/a",
           "worst err");
    for (int i = 0; i < ni; i++) {
        printf("%-24s %6d %8d %10.3g\n", impls[i], t[i].ran, t[i].skipped,
               t[i].worst);
        /* random problems are steered to every kernel's shapes; a shapes
           file may legitimately have none a kernel takes (stride 2) */
        CHECK(shapes || t[i].ran > 0,
              "%s ran on none of these problems: its supports() refuses "
              "them all",
              impls[i]);
    }
    return check_exit(shapes ? shapes : "random");
}
