/*
 * registry.c - every implementation, in priority order (ties in the
 * heuristic go to the earlier entry; the reference is last and supports
 * everything, so auto always finds one).
 *
 * Each kernel family lists its entries in its own impls.inc as lines
 * VCONV_IMPL(symbol); adding a kernel is its file plus one line there.
 */
#include "dispatch.h"

#include <string.h>

#define VCONV_IMPL(sym) extern const vconv_impl sym;
#include "../kernels/impls.inc"
#undef VCONV_IMPL

static const vconv_impl *const table[] = {
#define VCONV_IMPL(sym) &sym,
#include "../kernels/impls.inc"
#undef VCONV_IMPL
};

const vconv_impl *const *vconv_registry(int *count)
{
    *count = (int)(sizeof table / sizeof table[0]);
    return table;
}

const vconv_impl *vconv_registry_find(const char *name)
{
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcmp(table[i]->name, name) == 0)
            return table[i];
    return NULL;
}
