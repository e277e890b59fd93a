/* mem.c - aligned allocation and per-thread scratch. */
#define _POSIX_C_SOURCE 200809L
#include "internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

void *vconv_alloc(size_t bytes)
{
    if (bytes == 0)
        return NULL;
    size_t rounded;
    if (bytes > SIZE_MAX - VCONV_ALIGN)
        return NULL;
    rounded = (bytes + VCONV_ALIGN - 1) / VCONV_ALIGN * VCONV_ALIGN;
    void *p = NULL;
    if (posix_memalign(&p, VCONV_ALIGN, rounded) != 0)
        return NULL;
    return p;
}

void vconv_free(void *ptr) { free(ptr); }

/*
 * Scratch lives in a per-thread struct reached through a pthread key, whose
 * destructor frees it when the thread exits (OpenMP workers included). The
 * _Thread_local pointer is only a fast path to the same struct.
 */
typedef struct {
    void *buf[VCONV_SCRATCH_SLOTS];
    size_t size[VCONV_SCRATCH_SLOTS];
} scratch_set;

static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;
static _Thread_local scratch_set *tls_scratch;

static void scratch_free(void *arg)
{
    scratch_set *s = arg;
    for (int i = 0; i < VCONV_SCRATCH_SLOTS; i++)
        free(s->buf[i]);
    free(s);
}

/* VCONV_SCRATCH_POISON=1 (a testing knob): every scratch buffer handed
   out is filled with 0xff bytes (NaN floats) first, so a kernel that reads
   scratch it did not write shows NaN in its output. */
static int scratch_poison;

static void scratch_key_init(void)
{
    (void)pthread_key_create(&scratch_key, scratch_free);
    const char *e = getenv("VCONV_SCRATCH_POISON");
    scratch_poison = e && e[0] == '1';
}

void *vconv_scratch(int slot, size_t bytes)
{
    if (slot < 0 || slot >= VCONV_SCRATCH_SLOTS)
        return NULL;
    scratch_set *s = tls_scratch;
    if (!s) {
        pthread_once(&scratch_once, scratch_key_init);
        s = calloc(1, sizeof *s);
        if (!s)
            return NULL;
        if (pthread_setspecific(scratch_key, s) != 0) {
            free(s);
            return NULL;
        }
        tls_scratch = s;
    }
    if (bytes == 0)
        bytes = 1;
    if (s->size[slot] < bytes) {
        /* grow by at least 1/4 so slowly growing requests do not realloc
           every time */
        size_t want = bytes;
        if (want < SIZE_MAX / 2 && want < s->size[slot] + s->size[slot] / 4)
            want = s->size[slot] + s->size[slot] / 4;
        void *p = vconv_alloc(want);
        if (!p)
            return NULL;
        free(s->buf[slot]);
        s->buf[slot] = p;
        s->size[slot] = want;
    }
    if (scratch_poison)
        memset(s->buf[slot], 0xff, bytes);
    return s->buf[slot];
}
