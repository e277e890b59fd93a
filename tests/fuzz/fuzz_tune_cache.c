/*
 * fuzz_tune_cache.c - libFuzzer target for the tuning cache reader
 * (dispatch/tune_cache.c) and the check of what it found
 * (vconv_tune_cache_choose). Properties, on any bytes:
 *  - no crash, no UB, no leak (ASan + UBSan);
 *  - a file that is not ours yields no entries; at most
 *    VCONV_TUNE_MAX_ENTRIES entries;
 *  - every entry is printable, its key lies inside its line, and formatting
 *    (key, impl, ns) again gives the very same line, which parses back to
 *    one entry with the same fields;
 *  - looking each entry's key up gives that key's last entry, and its
 *    validation against the real registry on a fixed problem either names
 *    a candidate or says why not - never calls into an implementation whose
 *    ISA the CPU lacks (the registry's own contract, checked by ASan here
 *    only as "no crash").
 *
 * Built with clang -fsanitize=fuzzer (VCONV_FUZZ=ON); the ctest runs it on
 * tests/fuzz/corpus_tune for a bounded number of runs, writing new units to
 * a temporary directory. replay_main.c turns it into a program that runs the
 * corpus once, for builds without libFuzzer. The seeds come from
 * gen_corpus_tune.py (see there).
 */
#include "../../dispatch/cpu.h"
#include "../../dispatch/dispatch.h"
#include "../../dispatch/tune.h"
#include "../../dispatch/tune_cache.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A fixed problem and its candidates on this CPU. */
static const vconv_impl *cand[64];
static int ncand;
static vconv_problem prob;

static void setup(void)
{
    static int done;
    if (done)
        return;
    done = 1;
    vconv_conv_desc d = {.batch = 1, .in_channels = 8, .in_h = 10,
                         .in_w = 10, .out_channels = 8, .kernel_h = 3,
                         .kernel_w = 3, .pad_top = 1, .pad_bottom = 1,
                         .pad_left = 1, .pad_right = 1};
    if (vconv_problem_init(&d, &prob) != VCONV_OK)
        abort();
    prob.threads = 1;
    int n;
    const vconv_impl *const *reg = vconv_registry(&n);
    for (int i = 0; i < n && ncand < 64; i++) {
        char why[256];
        if (vconv_cpu_mask_has_isa(vconv_cpu_features(), reg[i]->isa) &&
            reg[i]->supports(&prob, why, sizeof why))
            cand[ncand++] = reg[i];
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    setup();
    vconv_tune_cache c;
    vconv_tune_cache_init(&c);
    if (!vconv_tune_cache_parse(&c, (const char *)data, size))
        return 0; /* out of memory */
    if (!c.ours && c.n)
        abort(); /* entries from a file that is not ours */
    if (c.n > VCONV_TUNE_MAX_ENTRIES)
        abort();
    for (int i = 0; i < c.n; i++) {
        const vconv_tune_entry *e = &c.e[i];
        size_t l = strlen(e->line);
        if (l > VCONV_TUNE_MAX_LINE || e->key_off + e->key_len > l ||
            e->key_len == 0)
            abort();
        for (size_t k = 0; k < l; k++)
            if ((e->line[k] < 0x20 || e->line[k] > 0x7e) && e->line[k] != '\t')
                abort();
        char key[VCONV_TUNE_MAX_LINE + 1], again[VCONV_TUNE_MAX_LINE + 1];
        memcpy(key, e->line + e->key_off, e->key_len);
        key[e->key_len] = 0;
        if (vconv_tune_format_line(key, e->impl, e->ns, again, sizeof again) <
                0 ||
            strcmp(again, e->line) != 0)
            abort(); /* what was read is not what would be written */
        char text[VCONV_TUNE_MAX_LINE + 64];
        size_t tl = (size_t)snprintf(text, sizeof text, "%s%d\n%s\n",
                                     VCONV_TUNE_HEADER, VCONV_TUNE_VERSION,
                                     again);
        vconv_tune_cache c2;
        vconv_tune_cache_init(&c2);
        if (vconv_tune_cache_parse(&c2, text, tl)) {
            if (c2.n != 1 || c2.bad || strcmp(c2.e[0].impl, e->impl) ||
                c2.e[0].ns != e->ns)
                abort(); /* a valid line does not read back */
            vconv_tune_cache_free(&c2);
        }
        const vconv_tune_entry *f = vconv_tune_cache_find(&c, key);
        if (!f || f < e || f->key_len != e->key_len)
            abort(); /* the lookup must find this key's last entry */
        char why[512];
        uint64_t ns = 0;
        int pick = vconv_tune_cache_choose(&c, key, &prob, cand, ncand, &ns,
                                           why, sizeof why);
        if (pick >= ncand || (pick < 0 && !why[0]) ||
            (pick >= 0 && strcmp(cand[pick]->name, f->impl)))
            abort();
    }
    vconv_tune_cache_free(&c);
    return 0;
}
