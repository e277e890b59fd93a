/*
 * tune_cache.h - the tuning cache file: format, parser, atomic writer.
 *
 * Format (version 1), plain text, one entry a line:
 *
 *   # vconv tuning cache v1
 *   <crc>\t<cpu>\t<mask>\t<lib>\t<threads>\t<problem>\t<candidates>\t<impl>\t<ns>
 *
 * fields separated by one TAB, every byte printable ASCII (0x20..0x7e):
 *   crc         8 lowercase hex digits: CRC-32 (IEEE) of the rest of the
 *               line, from the byte after this field's TAB to the end
 *               (the newline excluded)
 *   cpu         the CPU model string (vendor when there is none), tabs and
 *               unprintable bytes replaced by '_', at most 95 bytes
 *   mask        the feature mask, 8 lowercase hex digits (cpu.h)
 *   lib         the library version that tuned, "0.1.0"
 *   threads     the plan's thread count, 1..4096
 *   problem     vconv_problem_str(): shape, layout, activation
 *   candidates  the names of the implementations that were timed,
 *               comma-separated in table order (so a cap, a forced
 *               algorithm or a new kernel in the library asks again)
 *   impl        the winner's name (letters, digits, '_' and '.')
 *   ns          its median time in nanoseconds, a decimal integer
 *               (integers: no locale can change how they read)
 *
 * Fields 2..7 are the key; a later line with the same key replaces an
 * earlier one. Lines beginning with '#' after the header are comments.
 * Limits: a line at most 4096 bytes, at most 4096 entries (the writer drops
 * the oldest beyond), at most 16 MiB read.
 *
 * Safety: the parser trusts nothing (each bad line is counted and skipped);
 * the dispatcher then checks that the implementation a matching entry names
 * exists, that its ISA runs here and that it supports the problem before
 * using it. A file whose first line is not the header (another file, another
 * version) is not ours: it is ignored and never overwritten. The writer
 * locks <path>.lock (flock, bounded wait), reads and merges the current
 * file, writes <path>.tmp.<pid>.<n> in the same directory and renames it
 * over the file: readers see the old or the new file, never a part, and two
 * processes tuning at once both end with their entries in it (without the
 * lock, e.g. on a file system without flock, the file stays valid but one
 * entry may be lost).
 */
#ifndef VCONV_TUNE_CACHE_H
#define VCONV_TUNE_CACHE_H

#include "../core/internal.h"

#define VCONV_TUNE_HEADER "# vconv tuning cache v"
#define VCONV_TUNE_VERSION 1
#define VCONV_TUNE_FILE "tune-v1.txt"

enum {
    VCONV_TUNE_MAX_LINE = 4096,          /* bytes, newline excluded */
    VCONV_TUNE_MAX_ENTRIES = 4096,
    VCONV_TUNE_MAX_IMPL = 64,            /* impl name, NUL included */
    VCONV_TUNE_MAX_CPU = 96,             /* cpu field, NUL included */
};
#define VCONV_TUNE_MAX_FILE ((size_t)16 << 20)

typedef struct {
    char *line;                 /* the whole line, NUL-terminated (owned) */
    size_t key_off, key_len;    /* the key: fields 2..7 inside line */
    char impl[VCONV_TUNE_MAX_IMPL];
    uint64_t ns;
} vconv_tune_entry;

typedef struct vconv_tune_cache_s {
    vconv_tune_entry *e;
    int n, cap;
    bool ours;          /* empty, or begins with the v1 header */
    int bad;            /* lines skipped */
    char why[256];      /* the first problem, "" none: "line 3: bad checksum" */
} vconv_tune_cache;

/* CRC-32 (IEEE 802.3, reflected, as zlib's crc32()). */
VCONV_INTERNAL uint32_t vconv_crc32(const void *data, size_t len);

VCONV_INTERNAL void vconv_tune_cache_init(vconv_tune_cache *c);
VCONV_INTERNAL void vconv_tune_cache_free(vconv_tune_cache *c);

/* Parses text[0..len) (no NUL needed; any bytes) into c (initialised).
   Never fails on content; false only when memory runs out. */
VCONV_INTERNAL bool vconv_tune_cache_parse(vconv_tune_cache *c,
                                           const char *text, size_t len);

/* The key of p on this machine (cpu model, feature mask) for the
   candidates cand[0..n): fields 2..7 of a line. Returns the length, or -1
   if it does not fit len or a line. */
VCONV_INTERNAL int vconv_tune_key(const vconv_problem *p,
                                  const vconv_impl *const *cand, int n,
                                  char *buf, size_t len);

/* A whole line (without newline) for key, impl and ns; its length, or -1
   if it does not fit len or VCONV_TUNE_MAX_LINE. */
VCONV_INTERNAL int vconv_tune_format_line(const char *key, const char *impl,
                                          uint64_t ns, char *buf, size_t len);

/* The last entry of c whose key is key; NULL if none. */
VCONV_INTERNAL const vconv_tune_entry *
vconv_tune_cache_find(const vconv_tune_cache *c, const char *key);

/* The cache file: $VCONV_TUNE_CACHE, else $XDG_CACHE_HOME/vconv/tune-v1.txt
   (XDG_CACHE_HOME must be absolute, as the XDG spec says), else
   $HOME/.cache/vconv/tune-v1.txt. false when none can be formed. */
VCONV_INTERNAL bool vconv_tune_cache_path(char *buf, size_t len);

/* Reads path into c (initialised). A missing file is an empty cache of
   ours. false (why set, c->ours false) when it cannot be read or is not a
   regular file. */
VCONV_INTERNAL bool vconv_tune_cache_load(const char *path, vconv_tune_cache *c,
                                          char *why, size_t len);

/* Adds (or replaces) the entry line for its key: creates the directory,
   locks, merges with the current file, writes a temp file and renames it.
   false with why when nothing was written (the file is then unchanged). */
VCONV_INTERNAL bool vconv_tune_cache_store(const char *path, const char *line,
                                           char *why, size_t len);

#endif
