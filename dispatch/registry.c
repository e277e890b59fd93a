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

/* Tests only (see dispatch.h): a table that replaces the real one. */
static const vconv_impl *const *injected;
static int injected_n;

void vconv_registry_inject_for_testing(const vconv_impl *const *t, int n)
{
    injected = n > 0 ? t : NULL;
    injected_n = n > 0 ? n : 0;
}

const vconv_impl *const *vconv_registry(int *count)
{
    if (injected) {
        *count = injected_n;
        return injected;
    }
    *count = (int)(sizeof table / sizeof table[0]);
    return table;
}

const vconv_impl *vconv_registry_find(const char *name)
{
    int n;
    const vconv_impl *const *t = vconv_registry(&n);
    for (int i = 0; i < n; i++)
        if (strcmp(t[i]->name, name) == 0)
            return t[i];
    return NULL;
}
