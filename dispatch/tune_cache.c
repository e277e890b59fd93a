/*
 * tune_cache.c - the tuning cache file (format and safety: tune_cache.h).
 * Baseline code; POSIX file calls (open O_EXCL, flock, rename, fsync).
 */
#define _GNU_SOURCE
#include "tune_cache.h"
#include "cpu.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define STR2(x) #x
#define STR(x) STR2(x)
#define LIB_VERSION                                                            \
    STR(VCONV_VERSION_MAJOR) "." STR(VCONV_VERSION_MINOR) "." STR(             \
        VCONV_VERSION_PATCH)

enum { NFIELDS = 9, MAX_THREADS = 4096, MAX_PROBLEM = 256, MAX_CANDS = 2048 };
#define MAX_NS 1000000000000000ull /* 1e15 ns: 11 days */

/* ------------------------------------------------------------ checksum */

uint32_t vconv_crc32(const void *data, size_t len)
{
    const unsigned char *p = data;
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < len; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
    }
    return c ^ 0xffffffffu;
}

/* -------------------------------------------------------------- entries */

void vconv_tune_cache_init(vconv_tune_cache *c)
{
    memset(c, 0, sizeof *c);
    c->ours = true;
}

void vconv_tune_cache_free(vconv_tune_cache *c)
{
    for (int i = 0; i < c->n; i++)
        free(c->e[i].line);
    free(c->e);
    vconv_tune_cache_init(c);
}

static void note_bad(vconv_tune_cache *c, long line, const char *what)
{
    c->bad++;
    if (!c->why[0])
        snprintf(c->why, sizeof c->why, "line %ld: %s", line, what);
}

/* Drops the oldest entries beyond VCONV_TUNE_MAX_ENTRIES. */
static void trim(vconv_tune_cache *c)
{
    if (c->n <= VCONV_TUNE_MAX_ENTRIES)
        return;
    int drop = c->n - VCONV_TUNE_MAX_ENTRIES;
    for (int i = 0; i < drop; i++)
        free(c->e[i].line);
    memmove(c->e, c->e + drop, (size_t)VCONV_TUNE_MAX_ENTRIES * sizeof *c->e);
    c->n = VCONV_TUNE_MAX_ENTRIES;
}

static bool push(vconv_tune_cache *c, const vconv_tune_entry *e)
{
    /* amortised: trim only when twice the limit is reached */
    if (c->n >= 2 * VCONV_TUNE_MAX_ENTRIES) {
        trim(c);
    }
    if (c->n == c->cap) {
        int cap = c->cap ? 2 * c->cap : 16;
        vconv_tune_entry *ne = realloc(c->e, (size_t)cap * sizeof *ne);
        if (!ne)
            return false;
        c->e = ne;
        c->cap = cap;
    }
    c->e[c->n++] = *e;
    return true;
}

static bool is_hex8(const char *s, size_t n, uint32_t *v)
{
    if (n != 8)
        return false;
    uint32_t x = 0;
    for (size_t i = 0; i < 8; i++) {
        char ch = s[i];
        int d = ch >= '0' && ch <= '9'   ? ch - '0'
                : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
                                         : -1;
        if (d < 0)
            return false;
        x = x << 4 | (uint32_t)d;
    }
    *v = x;
    return true;
}

/* A decimal without sign or leading zeros (but "0"), at most max. */
static bool is_uint(const char *s, size_t n, uint64_t max, uint64_t *v)
{
    if (n == 0 || n > 20 || (n > 1 && s[0] == '0'))
        return false;
    uint64_t x = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        if (x > (max - (uint64_t)(s[i] - '0')) / 10)
            return false;
        x = x * 10 + (uint64_t)(s[i] - '0');
    }
    *v = x;
    return true;
}

static bool is_name_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' ||
           ch == '.';
}

static bool is_name(const char *s, size_t n)
{
    if (n == 0 || n >= VCONV_TUNE_MAX_IMPL)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!is_name_char(s[i]))
            return false;
    return true;
}

/* Checks one line (no newline; len <= VCONV_TUNE_MAX_LINE) and adds it.
   Returns NULL when added, else what is wrong. */
static const char *parse_line(vconv_tune_cache *c, const char *s, size_t len,
                              bool *oom)
{
    const char *f[NFIELDS];
    size_t fl[NFIELDS];
    int nf = 0;
    size_t start = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '\t') {
            if (nf == NFIELDS - 1)
                return "too many fields";
            f[nf] = s + start;
            fl[nf++] = i - start;
            start = i + 1;
        } else if (ch < 0x20 || ch > 0x7e) {
            return "a byte that is not printable ASCII";
        }
    }
    f[nf] = s + start;
    fl[nf++] = len - start;
    if (nf != NFIELDS)
        return "too few fields";
    uint32_t crc, mask;
    uint64_t threads, ns;
    if (!is_hex8(f[0], fl[0], &crc))
        return "the checksum is not 8 hex digits";
    if (crc != vconv_crc32(s + 9, len - 9))
        return "bad checksum";
    if (fl[1] == 0 || fl[1] >= VCONV_TUNE_MAX_CPU)
        return "bad cpu field";
    if (!is_hex8(f[2], fl[2], &mask))
        return "bad feature mask";
    if (fl[3] == 0 || fl[3] > 15)
        return "bad library version";
    for (size_t i = 0; i < fl[3]; i++)
        if (!(f[3][i] == '.' || (f[3][i] >= '0' && f[3][i] <= '9')))
            return "bad library version";
    if (!is_uint(f[4], fl[4], MAX_THREADS, &threads) || threads == 0)
        return "bad thread count";
    if (fl[5] == 0 || fl[5] >= MAX_PROBLEM)
        return "bad problem";
    if (fl[6] == 0 || fl[6] >= MAX_CANDS)
        return "bad candidate list";
    for (size_t i = 0, w = 0; i <= fl[6]; i++) {
        if (i == fl[6] || f[6][i] == ',') {
            if (!is_name(f[6] + i - w, w))
                return "bad candidate list";
            w = 0;
        } else {
            w++;
        }
    }
    if (!is_name(f[7], fl[7]))
        return "bad implementation name";
    if (!is_uint(f[8], fl[8], MAX_NS, &ns))
        return "bad time";
    (void)mask;
    vconv_tune_entry e;
    e.line = malloc(len + 1);
    if (!e.line) {
        *oom = true;
        return "out of memory";
    }
    memcpy(e.line, s, len);
    e.line[len] = 0;
    e.key_off = (size_t)(f[1] - s);
    e.key_len = (size_t)(f[6] + fl[6] - f[1]);
    memcpy(e.impl, f[7], fl[7]);
    e.impl[fl[7]] = 0;
    e.ns = ns;
    if (!push(c, &e)) {
        free(e.line);
        *oom = true;
        return "out of memory";
    }
    return NULL;
}

bool vconv_tune_cache_parse(vconv_tune_cache *c, const char *text, size_t len)
{
    if (len == 0)
        return true; /* an empty file: ours, no entries */
    /* the header: "# vconv tuning cache v<digits>" then the end of the line
       or a non-digit */
    const size_t hl = sizeof VCONV_TUNE_HEADER - 1;
    const char *nl = memchr(text, '\n', len);
    size_t first = nl ? (size_t)(nl - text) : len;
    if (first < hl || memcmp(text, VCONV_TUNE_HEADER, hl) != 0) {
        c->ours = false;
        snprintf(c->why, sizeof c->why,
                 "not a vconv tuning cache (the first line is not '"
                 VCONV_TUNE_HEADER "%d')",
                 VCONV_TUNE_VERSION);
        return true;
    }
    size_t i = hl;
    unsigned long version = 0;
    while (i < first && text[i] >= '0' && text[i] <= '9' && version < 100000)
        version = version * 10 + (unsigned long)(text[i++] - '0');
    if (i == hl || (i < first && text[i] >= '0' && text[i] <= '9') ||
        version != VCONV_TUNE_VERSION) {
        c->ours = false;
        snprintf(c->why, sizeof c->why,
                 "format version %lu%s; this library reads version %d",
                 version, i == hl ? " (unreadable)" : "", VCONV_TUNE_VERSION);
        return true;
    }
    if (!nl) {
        note_bad(c, 1, "the header has no end of line (truncated)");
        return true;
    }
    size_t pos = first + 1;
    long lineno = 1;
    while (pos < len) {
        lineno++;
        const char *s = text + pos;
        const char *end = memchr(s, '\n', len - pos);
        size_t l = end ? (size_t)(end - s) : len - pos;
        pos += l + (end ? 1 : 0);
        if (!end) {
            note_bad(c, lineno, "no end of line (truncated)");
            break;
        }
        if (l == 0 || s[0] == '#')
            continue;
        if (l > VCONV_TUNE_MAX_LINE) {
            note_bad(c, lineno, "longer than 4096 bytes");
            continue;
        }
        bool oom = false;
        const char *what = parse_line(c, s, l, &oom);
        if (oom)
            return false;
        if (what)
            note_bad(c, lineno, what);
    }
    trim(c);
    return true;
}

const vconv_tune_entry *vconv_tune_cache_find(const vconv_tune_cache *c,
                                              const char *key)
{
    size_t kl = strlen(key);
    for (int i = c->n - 1; i >= 0; i--)
        if (c->e[i].key_len == kl &&
            memcmp(c->e[i].line + c->e[i].key_off, key, kl) == 0)
            return &c->e[i];
    return NULL;
}

/* ------------------------------------------------------------ formatting */

int vconv_tune_key(const vconv_problem *p, const vconv_impl *const *cand,
                   int n, char *buf, size_t len)
{
    char cpu[VCONV_TUNE_MAX_CPU];
    const char *model = vconv_cpu_model();
    if (!model[0])
        model = vconv_cpu_vendor();
    if (!model[0])
        model = "unknown";
    snprintf(cpu, sizeof cpu, "%s", model);
    for (char *q = cpu; *q; q++)
        if ((unsigned char)*q < 0x20 || (unsigned char)*q > 0x7e)
            *q = '_';
    char prob[MAX_PROBLEM];
    int pl = vconv_problem_str(p, prob, sizeof prob);
    if (pl <= 0 || (size_t)pl >= sizeof prob - 1)
        return -1;
    size_t used = 0;
    int k = snprintf(buf, len, "%s\t%08x\t%s\t%d\t%s\t", cpu,
                     (unsigned)vconv_cpu_features(), LIB_VERSION, p->threads,
                     prob);
    if (k < 0 || (size_t)k >= len)
        return -1;
    used = (size_t)k;
    size_t cands_start = used;
    for (int i = 0; i < n; i++) {
        k = snprintf(buf + used, len - used, "%s%s", i ? "," : "",
                     cand[i]->name);
        if (k < 0 || (size_t)k >= len - used)
            return -1;
        used += (size_t)k;
    }
    if (used - cands_start >= MAX_CANDS || used + 100 > VCONV_TUNE_MAX_LINE)
        return -1;
    return (int)used;
}

int vconv_tune_format_line(const char *key, const char *impl, uint64_t ns,
                           char *buf, size_t len)
{
    char rest[VCONV_TUNE_MAX_LINE + 1];
    int k = snprintf(rest, sizeof rest, "%s\t%s\t%llu", key, impl,
                     (unsigned long long)(ns > MAX_NS ? MAX_NS : ns));
    if (k < 0 || (size_t)k + 9 > VCONV_TUNE_MAX_LINE)
        return -1;
    int m = snprintf(buf, len, "%08x\t%s",
                     (unsigned)vconv_crc32(rest, (size_t)k), rest);
    if (m < 0 || (size_t)m >= len)
        return -1;
    return m;
}

/* ------------------------------------------------------------------ files */

bool vconv_tune_cache_path(char *buf, size_t len)
{
    const char *e = getenv("VCONV_TUNE_CACHE");
    int k;
    if (e && *e)
        k = snprintf(buf, len, "%s", e);
    else if ((e = getenv("XDG_CACHE_HOME")) && e[0] == '/')
        k = snprintf(buf, len, "%s/vconv/" VCONV_TUNE_FILE, e);
    else if ((e = getenv("HOME")) && *e)
        k = snprintf(buf, len, "%s/.cache/vconv/" VCONV_TUNE_FILE, e);
    else
        return false;
    return k > 0 && (size_t)k < len;
}

bool vconv_tune_cache_load(const char *path, vconv_tune_cache *c, char *why,
                           size_t len)
{
    /* O_NONBLOCK: a FIFO put in the cache's place must not hang the open */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        if (errno == ENOENT)
            return true;
        c->ours = false;
        snprintf(why, len, "cannot open it: %s", strerror(errno));
        return false;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        c->ours = false;
        snprintf(why, len, "not a regular file");
        return false;
    }
    size_t cap = st.st_size > 0 && (size_t)st.st_size < VCONV_TUNE_MAX_FILE
                     ? (size_t)st.st_size + 1
                     : VCONV_TUNE_MAX_FILE;
    char *text = malloc(cap);
    if (!text) {
        close(fd);
        c->ours = false;
        snprintf(why, len, "no memory to read it");
        return false;
    }
    size_t got = 0;
    for (;;) {
        if (got == cap) {
            if (cap >= VCONV_TUNE_MAX_FILE)
                break; /* the rest is ignored: the cut line reads as
                          truncated */
            size_t ncap = 2 * cap < VCONV_TUNE_MAX_FILE ? 2 * cap
                                                        : VCONV_TUNE_MAX_FILE;
            char *nt = realloc(text, ncap);
            if (!nt)
                break;
            text = nt;
            cap = ncap;
        }
        ssize_t r = read(fd, text + got, cap - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    bool ok = vconv_tune_cache_parse(c, text, got);
    free(text);
    if (!ok) {
        vconv_tune_cache_free(c);
        c->ours = false;
        snprintf(why, len, "no memory to parse it");
        return false;
    }
    return true;
}

/* mkdir -p of the directory part of path (new directories 0700, as the XDG
   spec asks of cache directories). */
static bool make_parent_dirs(const char *path, char *why, size_t len)
{
    char dir[4096];
    if (snprintf(dir, sizeof dir, "%s", path) >= (int)sizeof dir) {
        snprintf(why, len, "path too long");
        return false;
    }
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir)
        return true;
    *slash = 0;
    for (char *q = dir + 1;; q++) {
        if (*q == '/' || *q == 0) {
            char save = *q;
            *q = 0;
            if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
                snprintf(why, len, "cannot create directory %s: %s", dir,
                         strerror(errno));
                return false;
            }
            *q = save;
            if (!save)
                break;
        }
    }
    return true;
}

static bool write_all(int fd, const char *s, size_t n)
{
    while (n) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        s += w;
        n -= (size_t)w;
    }
    return true;
}

/* flock with a bounded wait (5 s): a stuck holder must not stall a create
   for ever; without the lock the write is still atomic. */
static int take_lock(const char *path)
{
    char lp[4200];
    if (snprintf(lp, sizeof lp, "%s.lock", path) >= (int)sizeof lp)
        return -1;
    int fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY,
                  0644);
    if (fd < 0)
        return -1;
    for (int tries = 0; tries < 2500; tries++) {
        if (flock(fd, LOCK_EX | LOCK_NB) == 0)
            return fd;
        if (errno != EWOULDBLOCK && errno != EINTR)
            break;
        struct timespec ts = {0, 2000000};
        nanosleep(&ts, NULL);
    }
    close(fd);
    return -1;
}

bool vconv_tune_cache_store(const char *path, const char *line, char *why,
                            size_t len)
{
    static _Atomic unsigned counter;
    bool ok = false;
    int fd = -1, lock = -1;
    char *out = NULL, tmp[4200] = "";
    vconv_tune_cache mine, cur;
    vconv_tune_cache_init(&mine);
    vconv_tune_cache_init(&cur);

    /* never write what the reader would refuse */
    char text[VCONV_TUNE_MAX_LINE + 64];
    int tl = snprintf(text, sizeof text, VCONV_TUNE_HEADER "%d\n%s\n",
                      VCONV_TUNE_VERSION, line);
    if (tl < 0 || (size_t)tl >= sizeof text ||
        !vconv_tune_cache_parse(&mine, text, (size_t)tl) || mine.n != 1 ||
        mine.bad) {
        snprintf(why, len, "internal error: an invalid entry (%s)", mine.why);
        goto done;
    }
    const vconv_tune_entry *ne = &mine.e[0];
    if (!make_parent_dirs(path, why, len))
        goto done;
    lock = take_lock(path);
    if (!vconv_tune_cache_load(path, &cur, why, len))
        goto done;
    if (!cur.ours) {
        snprintf(why, len, "%s; not overwritten", cur.why);
        goto done;
    }
    /* header + kept entries + the new one */
    char hdr[160];
    int hl = snprintf(hdr, sizeof hdr,
                      VCONV_TUNE_HEADER "%d: vconv " LIB_VERSION
                                        " tuning results, one a line; see the "
                                        "README, 'Dispatch'\n",
                      VCONV_TUNE_VERSION);
    size_t total = (size_t)hl + strlen(ne->line) + 1;
    for (int i = 0; i < cur.n; i++)
        total += strlen(cur.e[i].line) + 1;
    out = malloc(total);
    if (!out) {
        snprintf(why, len, "no memory");
        goto done;
    }
    int kept = 0;
    for (int i = 0; i < cur.n; i++)
        if (!(cur.e[i].key_len == ne->key_len &&
              !memcmp(cur.e[i].line + cur.e[i].key_off, ne->line + ne->key_off,
                      ne->key_len)))
            kept++;
    int skip = kept + 1 > VCONV_TUNE_MAX_ENTRIES
                   ? kept + 1 - VCONV_TUNE_MAX_ENTRIES
                   : 0; /* the oldest go */
    memcpy(out, hdr, (size_t)hl);
    size_t used = (size_t)hl;
    for (int i = 0; i < cur.n; i++) {
        const vconv_tune_entry *e = &cur.e[i];
        if (e->key_len == ne->key_len &&
            !memcmp(e->line + e->key_off, ne->line + ne->key_off, ne->key_len))
            continue;
        if (skip > 0) {
            skip--;
            continue;
        }
        size_t l = strlen(e->line);
        memcpy(out + used, e->line, l);
        out[used + l] = '\n';
        used += l + 1;
    }
    size_t l = strlen(ne->line);
    memcpy(out + used, ne->line, l);
    out[used + l] = '\n';
    used += l + 1;

    snprintf(tmp, sizeof tmp, "%s.tmp.%ld.%u", path, (long)getpid(),
             counter++);
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) {
        snprintf(why, len, "cannot create %s: %s", tmp, strerror(errno));
        tmp[0] = 0;
        goto done;
    }
    if (!write_all(fd, out, used) || fsync(fd) != 0) {
        snprintf(why, len, "cannot write %s: %s", tmp, strerror(errno));
        goto done;
    }
    if (close(fd) != 0) {
        fd = -1;
        snprintf(why, len, "cannot write %s: %s", tmp, strerror(errno));
        goto done;
    }
    fd = -1;
    if (rename(tmp, path) != 0) {
        snprintf(why, len, "cannot rename %s to %s: %s", tmp, path,
                 strerror(errno));
        goto done;
    }
    tmp[0] = 0;
    ok = true;
done:
    if (fd >= 0)
        close(fd);
    if (tmp[0])
        unlink(tmp);
    if (lock >= 0)
        close(lock); /* releases the flock */
    free(out);
    vconv_tune_cache_free(&mine);
    vconv_tune_cache_free(&cur);
    return ok;
}
