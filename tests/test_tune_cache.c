/*
 * test_tune_cache.c - the tuning cache: the parser on a table of texts, the
 * path rules, the writer (directories, merge, replace, limits, files that
 * are not ours), tuning through vconv_conv_create on a registry of fakes
 * (the round trip: the second create times nothing; key sensitivity), a
 * table of corrupt, foreign and hostile caches (each ignored with one
 * warning, never trusted, never a crash), and concurrent writers (separate
 * processes tuning different problems against one file: it ends valid with
 * every entry).
 *
 *   test_tune_cache                          everything
 */
#define _GNU_SOURCE
#include "check.h"
#include "common.h"
#include "fake_impls.h"
#include "../dispatch/cpu.h"
#include "../dispatch/dispatch.h"
#include "../dispatch/tune.h"
#include "../dispatch/tune_cache.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

CHECK_DEFINE_GLOBALS

static char dir[256]; /* a fresh temporary directory */

/* ------------------------------------------------------------- helpers */

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    size_t r;
    while ((r = fread(buf + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap)
            buf = realloc(buf, (cap *= 2) + 1);
    }
    fclose(f);
    buf[n] = 0;
    if (len)
        *len = n;
    return buf;
}

static void write_file(const char *path, const char *data, size_t len)
{
    unlink(path);
    FILE *f = fopen(path, "wb");
    if (!f) {
        perror(path);
        abort();
    }
    fwrite(data, 1, len, f);
    fclose(f);
}

static void write_str(const char *path, const char *s)
{
    write_file(path, s, strlen(s));
}

/* A line for key / impl / ns (checksum computed). */
static const char *line_for(const char *key, const char *impl, uint64_t ns)
{
    static char buf[8][VCONV_TUNE_MAX_LINE + 1];
    static int k;
    char *b = buf[k++ % 8];
    int n = vconv_tune_format_line(key, impl, ns, b, VCONV_TUNE_MAX_LINE + 1);
    CHECK(n > 0, "cannot format a line for %s", impl);
    return b;
}

/* A raw line whose checksum is right over arbitrary text after it. */
static const char *crc_line(const char *rest)
{
    static char buf[32][VCONV_TUNE_MAX_LINE * 2];
    static int k;
    char *b = buf[k++ % 32];
    snprintf(b, sizeof buf[0], "%08x\t%s",
             (unsigned)vconv_crc32(rest, strlen(rest)), rest);
    return b;
}

static const char *const KEY = "Some CPU 9000\t300077ff\t0.1.0\t2\t"
                               "mb1_g1ic8oc8_ih10oh10kh3sh1ph1_iw10ow10kw3sw1"
                               "pw1 nchw\tdirect.avx512,ref.scalar";
#define HDR "# vconv tuning cache v1\n"

/* ------------------------------------------------------------- parser */

static void test_crc(void)
{
    CHECK(vconv_crc32("123456789", 9) == 0xcbf43926u, "crc32 check value");
    CHECK(vconv_crc32("", 0) == 0, "crc32 of nothing");
}

static void test_parser(void)
{
    char valid[VCONV_TUNE_MAX_LINE + 64];
    snprintf(valid, sizeof valid, "%s\n", line_for(KEY, "direct.avx512", 1234));
    char huge[100001];
    memset(huge, 'a', sizeof huge - 1);
    huge[sizeof huge - 1] = 0;
    char flipped[sizeof valid];
    strcpy(flipped, valid);
    flipped[20] ^= 1;
    char cut[sizeof valid];
    strcpy(cut, valid);
    cut[strlen(cut) - 8] = 0; /* no newline: truncated */
    char cutnl[sizeof valid];
    strcpy(cutnl, valid);
    strcpy(cutnl + strlen(cutnl) - 8, "\n"); /* cut, then a newline */
    char crlf[sizeof valid];
    snprintf(crlf, sizeof crlf, "%s\r\n", line_for(KEY, "direct.avx512", 1));
    char bin[64] = "\x01\x02\x00\xff\xfe garbage \x00\x80\n";
    const size_t binlen = 17;
    CHECK(bin[binlen - 1] == '\n', "the binary sample");

    struct {
        const char *what;
        const char *parts[4];
        size_t binary_len; /* > 0: parts[1] holds that many raw bytes */
        bool ours;
        int n, bad;
        const char *why;
    } t[] = {
        {"empty", {""}, 0, 1, 0, 0, NULL},
        {"header only", {HDR}, 0, 1, 0, 0, NULL},
        {"one entry", {HDR, valid}, 0, 1, 1, 0, NULL},
        {"header with a note", {"# vconv tuning cache v1: hello\n", valid}, 0,
         1, 1, 0, NULL},
        {"comments and blank lines", {HDR, "# a comment\n\n", valid}, 0, 1, 1,
         0, NULL},
        {"not ours", {"hello world\n", valid}, 0, 0, 0, 0,
         "not a vconv tuning cache"},
        {"another version", {"# vconv tuning cache v2\n", valid}, 0, 0, 0, 0,
         "version 2"},
        {"version 12", {"# vconv tuning cache v12\n", valid}, 0, 0, 0, 0,
         "version 12"},
        {"version missing", {"# vconv tuning cache v\n", valid}, 0, 0, 0, 0,
         "unreadable"},
        {"header cut", {"# vconv tuning cache v1"}, 0, 1, 0, 1, "truncated"},
        {"header prefix only", {"# vconv tun"}, 0, 0, 0, 0, "not a vconv"},
        {"truncated entry", {HDR, cut}, 0, 1, 0, 1, "line 2: no end of line"},
        {"cut entry then newline", {HDR, cutnl, valid}, 0, 1, 1, 1,
         "line 2: too few fields"},
        {"a flipped bit", {HDR, flipped, valid}, 0, 1, 1, 1, "bad checksum"},
        {"garbage line", {HDR, "garbage\n", valid}, 0, 1, 1, 1,
         "line 2: too few fields"},
        {"a huge line", {HDR, huge, "\n", valid}, 0, 1, 1, 1,
         "line 2: longer than 4096 bytes"},
        {"binary", {HDR, bin, valid}, 17, 1, 1, 1, "not printable"},
        {"binary without header", {"", bin}, 17, 0, 0, 0, "not a vconv"},
        {"CRLF", {HDR, crlf}, 0, 1, 0, 1, "not printable"},
        {"too many fields",
         {HDR, crc_line("a\tb\tc\td\te\tf\tg\th\ti\tj"), "\n"}, 0, 1, 0, 1,
         "too many fields"},
        {"bad mask",
         {HDR, crc_line("cpu\t3000ZZff\t0.1.0\t2\tp\tref.scalar\tref.scalar\t1"),
          "\n"},
         0, 1, 0, 1, "bad feature mask"},
        {"threads 0",
         {HDR, crc_line("cpu\t300077ff\t0.1.0\t0\tp\tref.scalar\tref.scalar\t1"),
          "\n"},
         0, 1, 0, 1, "bad thread count"},
        {"threads 5000",
         {HDR,
          crc_line("cpu\t300077ff\t0.1.0\t5000\tp\tref.scalar\tref.scalar\t1"),
          "\n"},
         0, 1, 0, 1, "bad thread count"},
        {"negative time",
         {HDR, crc_line("cpu\t300077ff\t0.1.0\t2\tp\tref.scalar\tref.scalar\t-5"),
          "\n"},
         0, 1, 0, 1, "bad time"},
        {"float time",
         {HDR, crc_line("cpu\t300077ff\t0.1.0\t2\tp\tref.scalar\tref.scalar\t1e3"),
          "\n"},
         0, 1, 0, 1, "bad time"},
        {"time overflow",
         {HDR,
          crc_line("cpu\t300077ff\t0.1.0\t2\tp\tref.scalar\tref.scalar\t"
                   "99999999999999999999"),
          "\n"},
         0, 1, 0, 1, "bad time"},
        {"leading zero",
         {HDR, crc_line("cpu\t300077ff\t0.1.0\t02\tp\tref.scalar\tref.scalar\t1"),
          "\n"},
         0, 1, 0, 1, "bad thread count"},
        {"upper-case name",
         {HDR, crc_line("cpu\t300077ff\t0.1.0\t2\tp\tref.scalar\tREF.scalar\t1"),
          "\n"},
         0, 1, 0, 1, "bad implementation name"},
        {"empty name",
         {HDR, crc_line("cpu\t300077ff\t0.1.0\t2\tp\tref.scalar\t\t1"), "\n"}, 0,
         1, 0, 1, "bad implementation name"},
        {"empty candidate",
         {HDR, crc_line("cpu\t300077ff\t0.1.0\t2\tp\tref.scalar,\tref.scalar\t1"),
          "\n"},
         0, 1, 0, 1, "bad candidate list"},
        {"bad version field",
         {HDR, crc_line("cpu\t300077ff\tv0.1\t2\tp\tref.scalar\tref.scalar\t1"),
          "\n"},
         0, 1, 0, 1, "bad library version"},
        {"empty cpu",
         {HDR, crc_line("\t300077ff\t0.1.0\t2\tp\tref.scalar\tref.scalar\t1"),
          "\n"},
         0, 1, 0, 1, "bad cpu"},
        {"uppercase crc",
         {HDR, "ABCDEF12\tcpu\t300077ff\t0.1.0\t2\tp\tr.s\tr.s\t1\n"}, 0, 1, 0,
         1, "not 8 hex"},
        {"two bad, the first reported", {HDR, "x\n", flipped, valid}, 0, 1, 1,
         2, "line 2: too few fields"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        char *text = malloc(200000);
        size_t len = 0;
        for (int k = 0; k < 4 && t[i].parts[k]; k++) {
            size_t l = (k == 1 && t[i].binary_len) ? t[i].binary_len
                                                   : strlen(t[i].parts[k]);
            memcpy(text + len, t[i].parts[k], l);
            len += l;
        }
        vconv_tune_cache c;
        vconv_tune_cache_init(&c);
        CHECK(vconv_tune_cache_parse(&c, text, len), "%s: parse failed",
              t[i].what);
        CHECK(c.ours == t[i].ours, "%s: ours %d", t[i].what, c.ours);
        CHECK(c.n == t[i].n, "%s: %d entries, want %d", t[i].what, c.n,
              t[i].n);
        CHECK(c.bad == t[i].bad, "%s: %d bad, want %d (%s)", t[i].what, c.bad,
              t[i].bad, c.why);
        if (t[i].why)
            CHECK(strstr(c.why, t[i].why), "%s: why '%s' lacks '%s'",
                  t[i].what, c.why, t[i].why);
        else
            CHECK(!c.why[0], "%s: why '%s'", t[i].what, c.why);
        if (c.n == 1) {
            const vconv_tune_entry *e = vconv_tune_cache_find(&c, KEY);
            CHECK(e && !strcmp(e->impl, "direct.avx512") && e->ns == 1234,
                  "%s: the entry reads back wrong", t[i].what);
        }
        vconv_tune_cache_free(&c);
        free(text);
    }
}

static void test_parser_limits(void)
{
    /* duplicates: the last wins */
    char text[20000];
    snprintf(text, sizeof text, HDR "%s\n%s\n%s\n",
             line_for(KEY, "direct.avx512", 1), line_for("o\t00000000\t0.1.0\t1\tp\ta.b", "a.b", 2),
             line_for(KEY, "ref.scalar", 3));
    vconv_tune_cache c;
    vconv_tune_cache_init(&c);
    vconv_tune_cache_parse(&c, text, strlen(text));
    const vconv_tune_entry *e = vconv_tune_cache_find(&c, KEY);
    CHECK(c.n == 3 && e && !strcmp(e->impl, "ref.scalar") && e->ns == 3,
          "duplicates: the last must win");
    CHECK(vconv_tune_cache_find(&c, "Some CPU") == NULL, "a key prefix "
                                                         "matched");
    vconv_tune_cache_free(&c);

    /* more than the limit: the newest VCONV_TUNE_MAX_ENTRIES stay */
    int total = 3 * VCONV_TUNE_MAX_ENTRIES + 5;
    size_t cap = (size_t)total * 128 + 64, len = 0;
    char *big = malloc(cap);
    len += (size_t)snprintf(big, cap, HDR);
    for (int i = 0; i < total; i++) {
        char key[64];
        snprintf(key, sizeof key, "c\t00000000\t0.1.0\t1\tp%d\tx.y", i);
        len += (size_t)snprintf(big + len, cap - len, "%s\n",
                                line_for(key, "x.y", (uint64_t)i));
    }
    vconv_tune_cache_init(&c);
    vconv_tune_cache_parse(&c, big, len);
    CHECK(c.n == VCONV_TUNE_MAX_ENTRIES && c.bad == 0, "%d entries kept", c.n);
    char last[64], first_kept[64], dropped[64];
    snprintf(last, sizeof last, "c\t00000000\t0.1.0\t1\tp%d\tx.y", total - 1);
    snprintf(first_kept, sizeof first_kept, "c\t00000000\t0.1.0\t1\tp%d\tx.y",
             total - VCONV_TUNE_MAX_ENTRIES);
    snprintf(dropped, sizeof dropped, "c\t00000000\t0.1.0\t1\tp%d\tx.y",
             total - VCONV_TUNE_MAX_ENTRIES - 1);
    CHECK(vconv_tune_cache_find(&c, last) &&
              vconv_tune_cache_find(&c, first_kept) &&
              !vconv_tune_cache_find(&c, dropped),
          "the newest entries must stay");
    vconv_tune_cache_free(&c);
    free(big);

    /* formatting refuses what it cannot write */
    char buf[VCONV_TUNE_MAX_LINE + 1];
    char *longkey = malloc(VCONV_TUNE_MAX_LINE + 10);
    memset(longkey, 'k', VCONV_TUNE_MAX_LINE + 9);
    longkey[VCONV_TUNE_MAX_LINE + 9] = 0;
    CHECK(vconv_tune_format_line(longkey, "a.b", 1, buf, sizeof buf) < 0,
          "an overlong line was formatted");
    free(longkey);
    CHECK(vconv_tune_format_line(KEY, "a.b", 1, buf, 10) < 0,
          "a line formatted into 10 bytes");
}

/* The key of a real problem names what it must. */
static void test_key(void)
{
    vconv_conv_desc d = {.batch = 1, .in_channels = 8, .in_h = 10, .in_w = 10,
                         .out_channels = 8, .kernel_h = 3, .kernel_w = 3,
                         .layout = VCONV_NHWC, .activation = VCONV_ACT_RELU};
    vconv_problem p;
    vconv_problem_init(&d, &p);
    p.threads = 3;
    int n;
    const vconv_impl *const *reg = vconv_registry(&n);
    char key[VCONV_TUNE_MAX_LINE], want[64];
    CHECK(vconv_tune_key(&p, reg, n, key, sizeof key) > 0, "no key");
    CHECK_CONTAINS(key, "\t3\t");
    CHECK_CONTAINS(key, " nhwc relu\t");
    CHECK_CONTAINS(key, "\t0.1.0\t");
    snprintf(want, sizeof want, "\t%08x\t", (unsigned)vconv_cpu_features());
    CHECK_CONTAINS(key, want);
    CHECK_CONTAINS(key, reg[n - 1]->name);
    CHECK(vconv_tune_key(&p, reg, n, key, 16) < 0, "key into 16 bytes");
    /* the key goes into a line that parses back to it */
    char text[VCONV_TUNE_MAX_LINE + 64];
    vconv_tune_key(&p, reg, n, key, sizeof key);
    snprintf(text, sizeof text, HDR "%s\n", line_for(key, reg[0]->name, 77));
    vconv_tune_cache c;
    vconv_tune_cache_init(&c);
    vconv_tune_cache_parse(&c, text, strlen(text));
    CHECK(c.n == 1 && c.bad == 0 && vconv_tune_cache_find(&c, key),
          "a real key does not round trip (%s)", c.why);
    vconv_tune_cache_free(&c);
}

/* --------------------------------------------------------------- paths */

static void test_path(void)
{
    char *home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
    char *xdg = getenv("XDG_CACHE_HOME") ? strdup(getenv("XDG_CACHE_HOME"))
                                         : NULL;
    char buf[4096];
    unsetenv("VCONV_TUNE_CACHE");
    setenv("XDG_CACHE_HOME", "/x/cache", 1);
    setenv("HOME", "/h/me", 1);
    CHECK(vconv_tune_cache_path(buf, sizeof buf) &&
              !strcmp(buf, "/x/cache/vconv/tune-v1.txt"),
          "XDG: %s", buf);
    setenv("VCONV_TUNE_CACHE", "/t/mine.txt", 1);
    CHECK(vconv_tune_cache_path(buf, sizeof buf) && !strcmp(buf, "/t/mine.txt"),
          "VCONV_TUNE_CACHE: %s", buf);
    unsetenv("VCONV_TUNE_CACHE");
    setenv("XDG_CACHE_HOME", "relative/cache", 1); /* the spec: ignore it */
    CHECK(vconv_tune_cache_path(buf, sizeof buf) &&
              !strcmp(buf, "/h/me/.cache/vconv/tune-v1.txt"),
          "relative XDG: %s", buf);
    unsetenv("XDG_CACHE_HOME");
    CHECK(vconv_tune_cache_path(buf, sizeof buf) &&
              !strcmp(buf, "/h/me/.cache/vconv/tune-v1.txt"),
          "HOME: %s", buf);
    unsetenv("HOME");
    CHECK(!vconv_tune_cache_path(buf, sizeof buf), "no HOME: %s", buf);
    setenv("HOME", "/h/me", 1);
    CHECK(!vconv_tune_cache_path(buf, 8), "a path into 8 bytes");
    if (home)
        setenv("HOME", home, 1);
    else
        unsetenv("HOME");
    if (xdg)
        setenv("XDG_CACHE_HOME", xdg, 1);
    else
        unsetenv("XDG_CACHE_HOME");
    free(home);
    free(xdg);
}

/* -------------------------------------------------------------- writer */

static bool load(const char *path, vconv_tune_cache *c)
{
    char why[256] = "";
    vconv_tune_cache_init(c);
    bool ok = vconv_tune_cache_load(path, c, why, sizeof why);
    if (!ok)
        vconv_tune_cache_free(c);
    return ok;
}

/* Files in dir other than the allowed names; 0 when none (no temp files
   left behind). */
static int stray_files(const char *d, const char *allow1, const char *allow2)
{
    DIR *dd = opendir(d);
    struct dirent *e;
    int n = 0;
    while (dd && (e = readdir(dd))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        if ((allow1 && !strcmp(e->d_name, allow1)) ||
            (allow2 && !strcmp(e->d_name, allow2)))
            continue;
        fprintf(stderr, "stray file %s/%s\n", d, e->d_name);
        n++;
    }
    if (dd)
        closedir(dd);
    return n;
}

static void test_store(void)
{
    char path[1024], sub[512], why[512];
    snprintf(sub, sizeof sub, "%s/a/b", dir);
    snprintf(path, sizeof path, "%s/tune.txt", sub);
    const char *k2 = "Other CPU\t0000ffff\t0.1.0\t1\tp\tx.y,ref.scalar";
    CHECK(vconv_tune_cache_store(path, line_for(KEY, "direct.avx512", 5), why,
                                 sizeof why),
          "store: %s", why);
    struct stat st;
    CHECK(stat(sub, &st) == 0 && S_ISDIR(st.st_mode) &&
              (st.st_mode & 0777) == 0700,
          "directories not created 0700");
    char *text = read_file(path, NULL);
    CHECK(text && !strncmp(text, HDR "", 22), "no header: %s", text);
    free(text);
    CHECK(vconv_tune_cache_store(path, line_for(k2, "x.y", 6), why, sizeof why),
          "store 2: %s", why);
    CHECK(vconv_tune_cache_store(path, line_for(KEY, "ref.scalar", 7), why,
                                 sizeof why),
          "store 3: %s", why);
    vconv_tune_cache c;
    CHECK(load(path, &c), "load");
    CHECK(c.ours && c.n == 2 && c.bad == 0, "merge: %d entries, %d bad",
          c.n, c.bad);
    const vconv_tune_entry *e = vconv_tune_cache_find(&c, KEY);
    CHECK(e && !strcmp(e->impl, "ref.scalar") && e->ns == 7,
          "replace failed");
    CHECK(c.n == 2 && !strcmp(c.e[0].impl, "x.y"), "order");
    vconv_tune_cache_free(&c);
    CHECK_EQ_INT(stray_files(sub, "tune.txt", "tune.txt.lock"), 0);

    /* bad lines go at the next write; good ones stay */
    size_t len;
    text = read_file(path, &len);
    char *dirty = malloc(len + 64);
    memcpy(dirty, text, len);
    memcpy(dirty + len, "junk line\n", 10);
    write_file(path, dirty, len + 10);
    free(dirty);
    free(text);
    CHECK(vconv_tune_cache_store(path, line_for(KEY, "direct.avx512", 8), why,
                                 sizeof why),
          "store over junk: %s", why);
    CHECK(load(path, &c), "load");
    CHECK(c.n == 2 && c.bad == 0, "junk not dropped: %d bad", c.bad);
    vconv_tune_cache_free(&c);

    /* an invalid line is never written */
    CHECK(!vconv_tune_cache_store(path, "not\ta\tline", why, sizeof why),
          "stored garbage");
    CHECK_CONTAINS(why, "invalid entry");

    /* files that are not ours are never overwritten */
    static const char *const foreign[] = {
        "my thesis, chapter 1\n", "# vconv tuning cache v2\nwhatever\n",
        ("\x7f" "ELF\x02\x01")};
    for (int i = 0; i < 3; i++) {
        char fp[512];
        snprintf(fp, sizeof fp, "%s/foreign%d", dir, i);
        write_str(fp, foreign[i]);
        CHECK(!vconv_tune_cache_store(fp, line_for(KEY, "a.b", 1), why,
                                      sizeof why),
              "overwrote foreign file %d", i);
        CHECK_CONTAINS(why, "not overwritten");
        text = read_file(fp, NULL);
        CHECK(text && !strcmp(text, foreign[i]), "foreign file %d changed", i);
        free(text);
    }
    char fifo[512], sd[512];
    snprintf(fifo, sizeof fifo, "%s/fifo", dir);
    mkfifo(fifo, 0600);
    CHECK(!vconv_tune_cache_store(fifo, line_for(KEY, "a.b", 1), why,
                                  sizeof why),
          "wrote over a fifo");
    CHECK_CONTAINS(why, "not a regular file");
    CHECK(stat(fifo, &st) == 0 && S_ISFIFO(st.st_mode), "the fifo is gone");
    snprintf(sd, sizeof sd, "%s/adir", dir);
    mkdir(sd, 0700);
    CHECK(!vconv_tune_cache_store(sd, line_for(KEY, "a.b", 1), why,
                                  sizeof why),
          "wrote over a directory");
    CHECK(stat(sd, &st) == 0 && S_ISDIR(st.st_mode), "the directory is gone");
    /* a path under a regular file cannot be created */
    char under[600];
    snprintf(under, sizeof under, "%s/foreign0/x/tune.txt", dir);
    CHECK(!vconv_tune_cache_store(under, line_for(KEY, "a.b", 1), why,
                                  sizeof why),
          "stored under a file");

    /* the entry limit holds on write */
    char full[512];
    snprintf(full, sizeof full, "%s/full.txt", dir);
    FILE *f = fopen(full, "w");
    fputs(HDR, f);
    for (int i = 0; i < VCONV_TUNE_MAX_ENTRIES; i++) {
        char key[64];
        snprintf(key, sizeof key, "c\t00000000\t0.1.0\t1\tp%d\tx.y", i);
        fprintf(f, "%s\n", line_for(key, "x.y", 1));
    }
    fclose(f);
    CHECK(vconv_tune_cache_store(full, line_for(KEY, "a.b", 1), why,
                                 sizeof why),
          "store into a full cache: %s", why);
    CHECK(load(full, &c), "load full");
    CHECK(c.n == VCONV_TUNE_MAX_ENTRIES && vconv_tune_cache_find(&c, KEY) &&
              !vconv_tune_cache_find(&c, "c\t00000000\t0.1.0\t1\tp0\tx.y"),
          "full cache: %d entries; the oldest must go, the new one stay",
          c.n);
    vconv_tune_cache_free(&c);
}

/* ------------------------------------------------- tuning through create */

/* Small: the reference does the fakes' work, and under qemu a larger one
   would take as long as the fakes' spins. */
static vconv_conv_desc shape5(int oc)
{
    vconv_conv_desc d = {.batch = 1, .in_channels = 2, .in_h = 6, .in_w = 6,
                         .out_channels = oc, .kernel_h = 5, .kernel_w = 5,
                         .pad_top = 2, .pad_bottom = 2, .pad_left = 2,
                         .pad_right = 2};
    return d;
}

static vconv_status create(const vconv_conv_desc *d, const vconv_options *o,
                           char *name)
{
    vconv_conv *c;
    size_t nw = (size_t)d->out_channels * d->in_channels * d->kernel_h *
                d->kernel_w;
    vconv_status s = vconv_conv_create(d, test_floats(nw), NULL, o, &c);
    name[0] = 0;
    if (s == VCONV_OK) {
        strcpy(name, vconv_conv_impl_name(c));
        vconv_conv_destroy(c);
    }
    return s;
}

/* The fakes' speeds for tuning: im2col.avx512 (3) fast, im2col.avx2 (5)
   3 ms, direct.avx512 (2) 6 ms, the rest 12 ms; the estimates favour
   direct.avx512. Each group's winner is clear of the noise (a median of
   five runs, one thread) even under qemu on a loaded machine, where the
   fast one's real work and a preemption can take a few ms. */
static void set_speeds(void)
{
    for (int i = 0; i < FAKE_N; i++)
        fake_specs[i].sleep_us = 12000;
    fake_specs[2].sleep_us = 6000;
    fake_specs[3].sleep_us = 0;
    fake_specs[5].sleep_us = 3000;
}

static void test_tuning(void)
{
    char path[1024], name[64];
    snprintf(path, sizeof path, "%s/tuning/cache.txt", dir);
    setenv("VCONV_TUNE_CACHE", path, 1);
    setenv("VCONV_VERBOSE", "1", 1);
    fake_registry_install();
    set_speeds();
    vconv_cpu_inject_features(true, FAKE_MASK_AVX512);
    const vconv_conv_desc d = shape5(8);
    vconv_options o = {.threads = 1, .tune = 1};

    /* without tuning the estimate decides */
    vconv_options plain = {.threads = 1};
    CHECK_STATUS(create(&d, &plain, name), VCONV_OK);
    CHECK(!strcmp(name, "direct.avx512"), "heuristic chose %s", name);

    /* first create: times every candidate, writes the cache */
    vconv_tune_reset_for_testing();
    capture cap;
    capture_begin(&cap);
    CHECK_STATUS(create(&d, &o, name), VCONV_OK);
    char *out = capture_end(&cap);
    vconv_tune_stats st = vconv_tune_stats_for_testing();
    CHECK(!strcmp(name, "im2col.avx512"), "tuning chose %s", name);
    CHECK(st.timed == 6 && st.writes == 1 && st.hits == 0 && st.problems == 0,
          "first tune: timed %d writes %d hits %d problems %d", st.timed,
          st.writes, st.hits, st.problems);
    CHECK_CONTAINS(out, "chose:im2col.avx512(tuned: fastest of 6");
    CHECK_CONTAINS(out, "written to the tuning cache");
    CHECK_CONTAINS(out, " direct.avx512:est=2ms,tuned=");
    CHECK_CONTAINS(out, " ref.scalar:est=100ms,tuned=");
    CHECK_EQ_INT(count_lines(out, "vconv: create,"), 1);
    free(out);
    vconv_tune_cache c;
    CHECK(load(path, &c) && c.n == 1 && c.bad == 0, "the cache after one "
                                                     "tune");
    CHECK(c.n == 1 && !strcmp(c.e[0].impl, "im2col.avx512"), "cached impl");
    /* it beat entries that spin 12 ms a run */
    CHECK(c.n == 1 && c.e[0].ns > 0 && c.e[0].ns < 12000000,
          "cached time %llu ns",
          c.n ? (unsigned long long)c.e[0].ns : 0ull);
    vconv_tune_cache_free(&c);

    /* second create: the cache answers, nothing is timed */
    vconv_tune_reset_for_testing();
    capture_begin(&cap);
    CHECK_STATUS(create(&d, &o, name), VCONV_OK);
    out = capture_end(&cap);
    st = vconv_tune_stats_for_testing();
    CHECK(!strcmp(name, "im2col.avx512"), "cache gave %s", name);
    CHECK(st.timed == 0 && st.hits == 1 && st.writes == 0,
          "second create: timed %d hits %d writes %d", st.timed, st.hits,
          st.writes);
    CHECK_CONTAINS(out, "chose:im2col.avx512(tuning cache ");
    CHECK_CONTAINS(out, " im2col.avx512:est=2ms,cached=");
    free(out);
    unsetenv("VCONV_VERBOSE");

    /* VCONV_TUNE=1 does what options.tune = 1 does; tune = -1 never tunes */
    setenv("VCONV_TUNE", "1", 1);
    vconv_tune_reset_for_testing();
    CHECK_STATUS(create(&d, &plain, name), VCONV_OK);
    st = vconv_tune_stats_for_testing();
    CHECK(!strcmp(name, "im2col.avx512") && st.hits == 1 && st.timed == 0,
          "VCONV_TUNE=1: %s, %d hits", name, st.hits);
    vconv_options never = {.threads = 1, .tune = -1};
    CHECK_STATUS(create(&d, &never, name), VCONV_OK);
    st = vconv_tune_stats_for_testing();
    CHECK(!strcmp(name, "direct.avx512") && st.hits == 1 && st.timed == 0,
          "tune -1 under VCONV_TUNE=1: %s", name);
    unsetenv("VCONV_TUNE");

    /* every part of the key counts: each of these tunes again */
    vconv_conv_desc nhwc = d, relu = d, oc = shape5(9);
    nhwc.layout = VCONV_NHWC;
    relu.activation = VCONV_ACT_RELU;
    vconv_options two = o, direct = o, capped = o;
    two.threads = 2;
    direct.algo = VCONV_ALGO_DIRECT;
    capped.max_isa = VCONV_ISA_AVX2;
    struct {
        const char *what;
        const vconv_conv_desc *d;
        const vconv_options *o;
        uint32_t mask;
        const char *want;
        int timed;
    } k[] = {
        /* two threads: timings depend on the other core's load (a team
           member waiting for a time slice costs milliseconds), so only
           "tuned again, then answered by the cache" is checked */
        {"threads 2", &d, &two, FAKE_MASK_AVX512, NULL, 6},
        {"nhwc", &nhwc, &o, FAKE_MASK_AVX512, "im2col.avx512", 6},
        {"relu", &relu, &o, FAKE_MASK_AVX512, "im2col.avx512", 6},
        {"oc 9", &oc, &o, FAKE_MASK_AVX512, "im2col.avx512", 6},
        {"algo direct (candidates differ)", &d, &direct, FAKE_MASK_AVX512,
         "direct.avx512", 2},
        {"max_isa avx2 (candidates differ)", &d, &capped, FAKE_MASK_AVX512,
         "im2col.avx2", 4},
        {"avx2 mask", &d, &o, FAKE_MASK_AVX2, "im2col.avx2", 4},
    };
    int entries = 1;
    char first[64] = "";
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
        vconv_cpu_inject_features(true, k[i].mask);
        for (int again = 0; again < 2; again++) {
            vconv_tune_reset_for_testing();
            CHECK_STATUS(create(k[i].d, k[i].o, name), VCONV_OK);
            st = vconv_tune_stats_for_testing();
            if (k[i].want)
                CHECK(!strcmp(name, k[i].want), "%s: %s, want %s", k[i].what,
                      name, k[i].want);
            if (again)
                CHECK(!strcmp(name, first), "%s: the cache gave %s, the "
                                            "tuning %s",
                      k[i].what, name, first);
            else
                strcpy(first, name);
            CHECK(st.timed == (again ? 0 : k[i].timed) &&
                      st.hits == (again ? 1 : 0),
                  "%s (%s create): timed %d, hits %d", k[i].what,
                  again ? "second" : "first", st.timed, st.hits);
        }
        entries++;
    }
    CHECK(load(path, &c) && c.n == entries && c.bad == 0,
          "%d entries, want %d", c.n, entries);
    vconv_tune_cache_free(&c);
    /* one candidate (a forced name): nothing to tune, nothing cached */
    vconv_cpu_inject_features(true, FAKE_MASK_AVX512);
    vconv_options forced = o;
    forced.impl = "direct.avx2";
    vconv_tune_reset_for_testing();
    CHECK_STATUS(create(&d, &forced, name), VCONV_OK);
    st = vconv_tune_stats_for_testing();
    CHECK(st.timed == 0 && st.writes == 0 && st.hits == 0, "forced name "
                                                           "tuned");
    unsetenv("VCONV_TUNE_CACHE");
    vconv_cpu_inject_features(false, 0);
    fake_registry_remove();
}

/* ------------------------------------------------------- corruption table */

/* The key and a valid line of shape5(8) under mask and options o. */
static void key_of(uint32_t mask, const vconv_options *o, char *key,
                   size_t len)
{
    vconv_cpu_inject_features(true, mask);
    vconv_conv_desc d = shape5(8);
    vconv_problem p;
    vconv_problem_init(&d, &p);
    p.threads = o->threads;
    vconv_resolved r;
    CHECK_STATUS(vconv_resolve_options(o, &r), VCONV_OK);
    /* the candidates, as select finds them: run a verbose-free select
       through the fake registry's rules */
    int n;
    const vconv_impl *const *reg = vconv_registry(&n);
    const vconv_impl *cand[FAKE_N];
    int nc = 0;
    for (int i = 0; i < n; i++) {
        const vconv_impl *im = reg[i];
        char why[200];
        bool isa_ok = vconv_cpu_mask_has_isa(vconv_cpu_features(), im->isa);
        bool cap_ok = r.max_isa == VCONV_ISA_AUTO ||
                      im->isa == VCONV_ISA_SCALAR ||
                      (im->isa != VCONV_ISA_NEON && im->isa <= r.max_isa);
        if (isa_ok && cap_ok && im->supports(&p, why, sizeof why))
            cand[nc++] = im;
    }
    CHECK(vconv_tune_key(&p, cand, nc, key, len) > 0, "key_of");
}

static void test_corruption(void)
{
    char path[1024], name[64];
    snprintf(path, sizeof path, "%s/corrupt.txt", dir);
    setenv("VCONV_TUNE_CACHE", path, 1);
    fake_registry_install();
    set_speeds();
    const vconv_conv_desc d = shape5(8);
    vconv_options o = {.threads = 1, .tune = 1};
    vconv_options capped = {.threads = 1, .tune = 1,
                            .max_isa = VCONV_ISA_AVX2};
    char key[VCONV_TUNE_MAX_LINE], key2[VCONV_TUNE_MAX_LINE],
        keycap[VCONV_TUNE_MAX_LINE], foreign[VCONV_TUNE_MAX_LINE];
    key_of(FAKE_MASK_AVX512, &o, key, sizeof key);
    key_of(FAKE_MASK_AVX2, &o, key2, sizeof key2);
    key_of(FAKE_MASK_AVX512, &capped, keycap, sizeof keycap);
    snprintf(foreign, sizeof foreign, "Another CPU%s", strchr(key, '\t'));

    char good[VCONV_TUNE_MAX_LINE + 2];
    snprintf(good, sizeof good, "%s\n", line_for(key, "direct.avx2", 4242));
    char text[8][VCONV_TUNE_MAX_LINE * 2];
    /* 0: truncated */
    snprintf(text[0], sizeof text[0], HDR "%s", good);
    text[0][strlen(text[0]) - 6] = 0;
    /* 1: bad checksum */
    snprintf(text[1], sizeof text[1], HDR "%s", good);
    text[1][44] = text[1][44] == 'x' ? 'y' : 'x'; /* in the key */
    /* 2: unknown implementation (valid checksum) */
    snprintf(text[2], sizeof text[2], HDR "%s\n",
             line_for(key, "nosuch.scalar", 1));
    /* 3: an implementation that does not support the problem */
    snprintf(text[3], sizeof text[3], HDR "%s\n",
             line_for(key, "winograd_f2x3.avx512", 1));
    /* 4: foreign CPU: a valid entry for another machine, kept, unused */
    snprintf(text[4], sizeof text[4], HDR "%s\n",
             line_for(foreign, "direct.avx2", 1));
    /* 5: an implementation whose ISA this CPU lacks (avx2 mask) */
    snprintf(text[5], sizeof text[5], HDR "%s\n",
             line_for(key2, "direct.avx512", 1));
    /* 6: an implementation that is not a candidate (capped to avx2) */
    snprintf(text[6], sizeof text[6], HDR "%s\n",
             line_for(keycap, "direct.avx512", 1));
    /* 7: duplicates, the last valid: used */
    snprintf(text[7], sizeof text[7], HDR "%s\n%s", line_for(key, "ref.scalar", 1),
             good);
    char *huge = malloc(200000);
    size_t hl = (size_t)snprintf(huge, 200000, HDR);
    memset(huge + hl, 'z', 150000);
    hl += 150000;
    hl += (size_t)snprintf(huge + hl, 200000 - hl, "\n%s", good);
    char binary[300];
    for (int i = 0; i < 300; i++)
        binary[i] = (char)(i * 37 + 11);
    char hdrbin[400];
    memcpy(hdrbin, HDR, 24);
    memcpy(hdrbin + 24, binary, 300);

    struct {
        const char *what;
        const char *data;
        size_t len;         /* 0: strlen */
        uint32_t mask;
        const vconv_options *o;
        const char *want;   /* the chosen impl */
        bool hit;           /* the cache answered */
        int warnings;       /* printed */
        const char *warn;   /* in the warning */
        int after;          /* the file after: 1 rewritten valid with our
                               entry, 0 unchanged */
    } t[] = {
        {"empty file", "", 0, FAKE_MASK_AVX512, &o, "im2col.avx512", 0, 0, "",
         1},
        {"truncated", text[0], 0, FAKE_MASK_AVX512, &o, "im2col.avx512", 0, 1,
         "truncated", 1},
        {"bad checksum", text[1], 0, FAKE_MASK_AVX512, &o, "im2col.avx512", 0,
         1, "bad checksum", 1},
        {"garbage lines", HDR "hello\nworld\t!\n", 0, FAKE_MASK_AVX512, &o,
         "im2col.avx512", 0, 1, "2 bad lines", 1},
        {"unknown implementation", text[2], 0, FAKE_MASK_AVX512, &o,
         "im2col.avx512", 0, 1, "does not have", 1},
        {"unsupported problem", text[3], 0, FAKE_MASK_AVX512, &o,
         "im2col.avx512", 0, 1, "does not support the problem", 1},
        {"foreign cpu", text[4], 0, FAKE_MASK_AVX512, &o, "im2col.avx512", 0,
         0, "", 1},
        {"isa the cpu lacks", text[5], 0, FAKE_MASK_AVX2, &o, "im2col.avx2", 0,
         1, "whose ISA this CPU lacks", 1},
        {"not a candidate", text[6], 0, FAKE_MASK_AVX512, &capped,
         "im2col.avx2", 0, 1, "not a candidate", 1},
        {"duplicates: the last", text[7], 0, FAKE_MASK_AVX512, &o,
         "direct.avx2", 1, 0, "", 0},
        {"a huge line before a good one", huge, hl, FAKE_MASK_AVX512, &o,
         "direct.avx2", 1, 1, "longer than 4096", 0},
        {"another version", "# vconv tuning cache v2\nx\n", 0,
         FAKE_MASK_AVX512, &o, "im2col.avx512", 0, 1, "version 2", 0},
        {"not a cache at all", "hello\n", 0, FAKE_MASK_AVX512, &o,
         "im2col.avx512", 0, 1, "not a vconv tuning cache", 0},
        {"binary", binary, 300, FAKE_MASK_AVX512, &o, "im2col.avx512", 0, 1,
         "not a vconv", 0},
        {"header then binary", hdrbin, 324, FAKE_MASK_AVX512, &o,
         "im2col.avx512", 0, 1, "bad line", 1},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        size_t len = t[i].len ? t[i].len : strlen(t[i].data);
        write_file(path, t[i].data, len);
        vconv_cpu_inject_features(true, t[i].mask);
        vconv_tune_reset_for_testing();
        capture cap;
        capture_begin(&cap);
        vconv_status s = create(&d, t[i].o, name);
        char *out = capture_end(&cap);
        vconv_tune_stats st = vconv_tune_stats_for_testing();
        /* a tuned choice depends on timings: only the cache's answers are
           checked by name here (test_tuning checks that tuning finds the
           fastest) */
        CHECK(s == VCONV_OK && (!t[i].hit || !strcmp(name, t[i].want)),
              "%s: %s %s, want %s", t[i].what, vconv_status_str(s), name,
              t[i].want);
        CHECK(st.hits == (int)t[i].hit && (st.timed > 0) == !t[i].hit,
              "%s: hits %d timed %d", t[i].what, st.hits, st.timed);
        CHECK(count_lines(out, "vconv: warning:") == t[i].warnings,
              "%s: %d warnings, want %d", t[i].what,
              count_lines(out, "vconv: warning:"), t[i].warnings);
        if (t[i].warn[0])
            CHECK(strstr(out, t[i].warn), "%s: the warning lacks '%s'",
                  t[i].what, t[i].warn);
        size_t alen;
        char *after = read_file(path, &alen);
        if (t[i].after) {
            vconv_tune_cache c;
            CHECK(load(path, &c) && c.ours && c.bad == 0, "%s: not valid after",
                  t[i].what);
            char k[VCONV_TUNE_MAX_LINE];
            key_of(t[i].mask, t[i].o, k, sizeof k);
            const vconv_tune_entry *e = vconv_tune_cache_find(&c, k);
            CHECK(e && !strcmp(e->impl, name), "%s: our entry missing",
                  t[i].what);
            if (i == 6) /* the foreign entry is kept */
                CHECK(c.n == 2 && vconv_tune_cache_find(&c, foreign),
                      "foreign entry dropped");
            vconv_tune_cache_free(&c);
        } else {
            CHECK(after && alen == len && !memcmp(after, t[i].data, len),
                  "%s: the file changed", t[i].what);
        }
        free(after);
        free(out);
    }
    /* one warning per process: a second create on a bad file is quiet */
    write_str(path, "hello\n");
    vconv_cpu_inject_features(true, FAKE_MASK_AVX512);
    vconv_tune_reset_for_testing();
    capture cap;
    capture_begin(&cap);
    create(&d, &o, name);
    create(&d, &o, name);
    vconv_conv_desc d9 = shape5(9);
    create(&d9, &o, name);
    char *out = capture_end(&cap);
    CHECK_EQ_INT(count_lines(out, "vconv: warning:"), 1);
    CHECK_EQ_INT(vconv_tune_stats_for_testing().problems, 3);
    free(out);
    /* a fifo and a directory in the cache's place */
    char fifo[512];
    snprintf(fifo, sizeof fifo, "%s/cache-fifo", dir);
    mkfifo(fifo, 0600);
    setenv("VCONV_TUNE_CACHE", fifo, 1);
    vconv_tune_reset_for_testing();
    capture_begin(&cap);
    CHECK_STATUS(create(&d, &o, name), VCONV_OK);
    out = capture_end(&cap);
    CHECK_CONTAINS(out, "not a regular file");
    free(out);
    struct stat sb;
    CHECK(stat(fifo, &sb) == 0 && S_ISFIFO(sb.st_mode), "fifo replaced");
    setenv("VCONV_TUNE_CACHE", dir, 1);
    vconv_tune_reset_for_testing();
    capture_begin(&cap);
    CHECK_STATUS(create(&d, &o, name), VCONV_OK);
    out = capture_end(&cap);
    CHECK_EQ_INT(count_lines(out, "vconv: warning:"), 1);
    free(out);
    CHECK(stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode), "dir replaced");
    /* no cache path at all: tuning still works, one warning */
    unsetenv("VCONV_TUNE_CACHE");
    char *home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
    char *xdg = getenv("XDG_CACHE_HOME") ? strdup(getenv("XDG_CACHE_HOME"))
                                         : NULL;
    unsetenv("HOME");
    unsetenv("XDG_CACHE_HOME");
    vconv_tune_reset_for_testing();
    capture_begin(&cap);
    CHECK_STATUS(create(&d, &o, name), VCONV_OK);
    out = capture_end(&cap);
    CHECK(!strcmp(name, "im2col.avx512"), "no path: %s", name);
    CHECK_CONTAINS(out, "no tuning cache");
    free(out);
    if (home)
        setenv("HOME", home, 1);
    if (xdg)
        setenv("XDG_CACHE_HOME", xdg, 1);
    free(home);
    free(xdg);
    free(huge);
    vconv_cpu_inject_features(false, 0);
    fake_registry_remove();
}

/* ------------------------------------------------------ concurrent writers */

/* One writer (a forked child): tunes shape5(8 + index) against PATH once
   the parent closes the pipe FD. Exit status 0 when it tuned and wrote. */
static int child_tune(const char *path, int index, int fd)
{
    char c;
    while (read(fd, &c, 1) > 0) {
    }
    close(fd);
    setenv("VCONV_TUNE_CACHE", path, 1);
    fake_registry_install();
    set_speeds();
    for (int i = 0; i < FAKE_N; i++)
        fake_specs[i].sleep_us /= 10; /* quicker: the race is the point */
    vconv_cpu_inject_features(true, FAKE_MASK_AVX512);
    vconv_tune_reset_for_testing();
    vconv_conv_desc d = shape5(8 + index);
    vconv_options o = {.threads = 1, .tune = 1};
    char name[64];
    vconv_status s = create(&d, &o, name);
    vconv_tune_stats st = vconv_tune_stats_for_testing();
    if (s != VCONV_OK || st.writes != 1 || st.problems != 0) {
        fprintf(stderr, "child %d: %s, writes %d, problems %d\n", index,
                vconv_status_str(s), st.writes, st.problems);
        return 1;
    }
    return 0;
}

/* Plain fork, no exec (which qemu-user could not follow): it must run
   before this process has used OpenMP with more than one thread (libgomp's
   thread pool does not survive a fork), so main runs it first and the
   writers use one thread. */
static void test_concurrent(void)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/shared/tune.txt", dir);
    enum { ROUNDS = 3, WRITERS = 4 };
    for (int r = 0; r < ROUNDS; r++) {
        int fds[2];
        if (pipe(fds) != 0) {
            CHECK(0, "pipe");
            return;
        }
        pid_t pid[WRITERS];
        for (int w = 0; w < WRITERS; w++) {
            pid[w] = fork();
            if (pid[w] == 0) {
                close(fds[1]);
                _exit(child_tune(path, r * WRITERS + w, fds[0]));
            }
        }
        close(fds[0]);
        close(fds[1]); /* go */
        for (int w = 0; w < WRITERS; w++) {
            int status = 0;
            waitpid(pid[w], &status, 0);
            CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "writer %d of round %d: status 0x%x", w, r, status);
        }
    }
    vconv_tune_cache c;
    CHECK(load(path, &c), "load the shared cache");
    CHECK(c.ours && c.bad == 0 && c.n == ROUNDS * WRITERS,
          "shared cache: ours %d, %d bad, %d entries, want %d", c.ours,
          c.bad, c.n, ROUNDS * WRITERS);
    fake_registry_install();
    vconv_cpu_inject_features(true, FAKE_MASK_AVX512);
    for (int i = 0; i < ROUNDS * WRITERS; i++) {
        char key[VCONV_TUNE_MAX_LINE];
        vconv_conv_desc d = shape5(8 + i);
        vconv_problem p;
        vconv_problem_init(&d, &p);
        p.threads = 1;
        int n;
        const vconv_impl *const *reg = vconv_registry(&n);
        /* the candidates of a 5x5 under avx512: entries 2..5, 7, 8 */
        const vconv_impl *cand[6] = {reg[2], reg[3], reg[4],
                                     reg[5], reg[7], reg[8]};
        vconv_tune_key(&p, cand, 6, key, sizeof key);
        CHECK(vconv_tune_cache_find(&c, key), "writer %d's entry is missing",
              i);
    }
    vconv_tune_cache_free(&c);
    vconv_cpu_inject_features(false, 0);
    fake_registry_remove();
    char sub[512];
    snprintf(sub, sizeof sub, "%s/shared", dir);
    CHECK_EQ_INT(stray_files(sub, "tune.txt", "tune.txt.lock"), 0);
}

/* ------------------------------------------------------------------ main */

static void remove_tree(const char *d)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", d);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", d);
}

int main(int argc, char **argv)
{
    (void)argv;
    if (argc != 1) {
        fprintf(stderr, "usage: test_tune_cache\n");
        return 2;
    }
    clear_vconv_env(NULL);
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/vconv-tune-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_concurrent(); /* first: see there */
    test_crc();
    test_parser();
    test_parser_limits();
    test_key();
    test_path();
    test_store();
    test_tuning();
    test_corruption();
    if (!check_failures)
        remove_tree(dir);
    else
        fprintf(stderr, "test_tune_cache: files kept in %s\n", dir);
    return check_exit("test_tune_cache");
}
