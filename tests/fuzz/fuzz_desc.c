/*
 * fuzz_desc.c - libFuzzer target for the benchdnn descriptor parser.
 * Properties: no crash / UB on any input (ASan + UBSan); a descriptor that
 * parses is valid for vconv (output_size agrees) and survives
 * print -> parse unchanged.
 *
 * Built with clang -fsanitize=fuzzer,address,undefined (VCONV_FUZZ=ON); the
 * ctest runs it on tests/fuzz/corpus_desc for a bounded number of runs.
 * replay_main.c turns it into a plain program that runs the corpus files
 * once, for builds without libFuzzer.
 */
#include "../../bench/desc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = 0;
    bench_problem a, b;
    char err[512];
    if (bench_desc_parse(text, &a, err, sizeof err) == 0) {
        int oh, ow;
        if (vconv_conv_output_size(&a.d, &oh, &ow) != VCONV_OK)
            abort(); /* the parser let an invalid descriptor through */
        char buf[1024];
        bench_desc_print(&a, buf, sizeof buf);
        if (bench_desc_parse(buf, &b, err, sizeof err) != 0)
            abort(); /* its own output does not parse */
        if (memcmp(&a.d, &b.d, sizeof a.d) != 0 || strcmp(a.name, b.name))
            abort(); /* print -> parse changed the problem */
    }
    free(text);
    return 0;
}
