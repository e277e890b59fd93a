/* desc.c - benchdnn convolution descriptors (see desc.h for the rules). */
#define _POSIX_C_SOURCE 200809L
#include "desc.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { F_MB, F_G, F_IC, F_OC, F_IH, F_IW, F_OH, F_OW, F_KH, F_KW, F_SH, F_SW,
       F_PH, F_PW, F_DH, F_DW, F_COUNT };

static const char *const field_names[F_COUNT] = {
    "mb", "g", "ic", "oc", "ih", "iw", "oh", "ow",
    "kh", "kw", "sh", "sw", "ph", "pw", "dh", "dw"};

static int fail(char *err, size_t len, const char *fmt, ...)
{
    if (err && len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, len, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* The h (or w) dimension: fills out and the two paddings from what was
   given. ext = (k - 1) * (d + 1) + 1. */
static int deduce(const char *dim, long i, long k, long s, long d, bool has_o,
                  long o, bool has_p, long p, int *out, int *p0, int *p1,
                  char *err, size_t len)
{
    long ext = (k - 1) * (d + 1) + 1;
    if (!has_o) {
        if (i + 2 * p < ext)
            return fail(err, len,
                        "k%s%ld (dilated extent %ld) is larger than i%s%ld "
                        "padded by p%s%ld on both sides",
                        dim, k, ext, dim, i, dim, p);
        o = (i + 2 * p - ext) / s + 1;
    } else if (!has_p) {
        p = ((o - 1) * s - i + ext) / 2;
        if (p < 0)
            p = 0;
    }
    long pr = (o - 1) * s + ext - i - p;
    if (pr < 0)
        pr = 0;
    if (o < 1 || i + p + pr < ext || (i + p + pr - ext) / s + 1 != o)
        return fail(err, len,
                    "o%s%ld is not what i%s%ld k%s%ld s%s%ld d%s%ld p%s%ld "
                    "give",
                    dim, o, dim, i, dim, k, dim, s, dim, d, dim, p);
    if (o > INT_MAX || p > INT_MAX || pr > INT_MAX)
        return fail(err, len, "o%s/p%s out of range", dim, dim);
    *out = (int)o;
    *p0 = (int)p;
    *p1 = (int)pr;
    return 0;
}

int bench_desc_parse(const char *text, bench_problem *out, char *err,
                     size_t errlen)
{
    long v[F_COUNT] = {0};
    bool has[F_COUNT] = {false};
    char name[sizeof out->name] = "";
    const char *s = text;

    if (!text)
        return fail(err, errlen, "no descriptor");
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    if (n == 0)
        return fail(err, errlen, "empty descriptor");
    const char *end = s + n;

    while (s < end) {
        if (*s == '_') {
            s++;
            continue;
        }
        if (*s == 'n') { /* the name: n"..." or n<rest> */
            s++;
            const char *a = s, *b = end;
            if (*s == '"') {
                a = s + 1;
                b = memchr(a, '"', (size_t)(end - a));
                if (!b)
                    return fail(err, errlen, "unterminated name at '%.*s'",
                                (int)(end - s + 1), s - 1);
                if (b + 1 != end)
                    return fail(err, errlen,
                                "text after the name: '%.*s' (the name "
                                "comes last)",
                                (int)(end - b - 1), b + 1);
            }
            for (const char *c = a; c < b; c++)
                if (!isprint((unsigned char)*c) ||
                    (*c == '"') || (s[0] != '"' && isspace((unsigned char)*c)))
                    return fail(err, errlen,
                                "bad character 0x%02x in the name",
                                (unsigned char)*c);
            if ((size_t)(b - a) >= sizeof name)
                return fail(err, errlen, "name longer than %zu characters",
                            sizeof name - 1);
            memcpy(name, a, (size_t)(b - a));
            name[b - a] = 0;
            s = end;
            break;
        }
        const char *k = s;
        while (s < end && islower((unsigned char)*s))
            s++;
        size_t klen = (size_t)(s - k);
        int f = -1;
        for (int i = 0; i < F_COUNT; i++)
            if (strlen(field_names[i]) == klen &&
                strncmp(field_names[i], k, klen) == 0)
                f = i;
        if (f < 0) {
            static const char *const three_d[] = {"id", "od", "kd",
                                                  "sd", "pd", "dd"};
            for (size_t i = 0; i < 6; i++)
                if (klen == 2 && strncmp(k, three_d[i], 2) == 0)
                    return fail(err, errlen,
                                "3-D convolutions ('%s') are not supported",
                                three_d[i]);
            return fail(err, errlen, "unknown field at '%.*s'",
                        (int)(end - k), k);
        }
        if (has[f])
            return fail(err, errlen, "field '%s' given twice",
                        field_names[f]);
        if (s >= end || !isdigit((unsigned char)*s))
            return fail(err, errlen, "field '%s' has no number at '%.*s'",
                        field_names[f], (int)(end - s), s);
        long val = 0;
        while (s < end && isdigit((unsigned char)*s)) {
            val = val * 10 + (*s - '0');
            if (val > INT_MAX)
                return fail(err, errlen, "field '%s' is larger than %d",
                            field_names[f], INT_MAX);
            s++;
        }
        v[f] = val;
        has[f] = true;
    }

    if (!has[F_IC] || !has[F_OC] || !has[F_IH] || !has[F_KH])
        return fail(err, errlen,
                    "ic, oc, ih and kh are required (missing:%s%s%s%s)",
                    has[F_IC] ? "" : " ic", has[F_OC] ? "" : " oc",
                    has[F_IH] ? "" : " ih", has[F_KH] ? "" : " kh");
    if (!has[F_MB])
        v[F_MB] = 2;
    if (!has[F_G])
        v[F_G] = 1;
    if (!has[F_SH])
        v[F_SH] = 1;
    bool any_w = has[F_IW] || has[F_OW] || has[F_KW] || has[F_SW] ||
                 has[F_PW] || has[F_DW];
    if (!any_w) {
        v[F_IW] = v[F_IH];
        v[F_KW] = v[F_KH];
        v[F_SW] = v[F_SH];
        v[F_DW] = v[F_DH];
        v[F_PW] = v[F_PH];
        v[F_OW] = v[F_OH];
        has[F_OW] = has[F_OH];
        has[F_PW] = has[F_PH];
    } else {
        if (!has[F_IW] || !has[F_KW])
            return fail(err, errlen,
                        "iw and kw are required once any w-field is given");
        if (!has[F_SW])
            v[F_SW] = 1;
    }
    for (int f = 0; f < F_COUNT; f++)
        if (v[f] == 0 && f != F_PH && f != F_PW && f != F_DH && f != F_DW &&
            (has[f] || f == F_SW))
            return fail(err, errlen, "field '%s' must be positive",
                        field_names[f]);

    vconv_conv_desc d = {0};
    int oh, ow;
    if (deduce("h", v[F_IH], v[F_KH], v[F_SH], v[F_DH], has[F_OH], v[F_OH],
               has[F_PH], v[F_PH], &oh, &d.pad_top, &d.pad_bottom, err,
               errlen) ||
        deduce("w", v[F_IW], v[F_KW], v[F_SW], v[F_DW], has[F_OW], v[F_OW],
               has[F_PW], v[F_PW], &ow, &d.pad_left, &d.pad_right, err,
               errlen))
        return -1;
    if (v[F_DH] >= INT_MAX || v[F_DW] >= INT_MAX)
        return fail(err, errlen, "dilation out of range");
    d.batch = (int)v[F_MB];
    d.groups = (int)v[F_G];
    d.in_channels = (int)v[F_IC];
    d.out_channels = (int)v[F_OC];
    d.in_h = (int)v[F_IH];
    d.in_w = (int)v[F_IW];
    d.kernel_h = (int)v[F_KH];
    d.kernel_w = (int)v[F_KW];
    d.stride_h = (int)v[F_SH];
    d.stride_w = (int)v[F_SW];
    d.dilation_h = (int)v[F_DH] + 1;
    d.dilation_w = (int)v[F_DW] + 1;
    int vh, vw;
    if (vconv_conv_output_size(&d, &vh, &vw) != VCONV_OK)
        return fail(err, errlen, "%s", vconv_last_error());
    if (vh != oh || vw != ow)
        return fail(err, errlen, "output %dx%d, but vconv computes %dx%d", oh,
                    ow, vh, vw);
    out->d = d;
    memcpy(out->name, name, sizeof name);
    return 0;
}

int bench_desc_print(const bench_problem *p, char *buf, size_t len)
{
    const vconv_conv_desc *d = &p->d;
    int oh = 0, ow = 0;
    vconv_conv_output_size(d, &oh, &ow);
    int sh = d->stride_h ? d->stride_h : 1, sw = d->stride_w ? d->stride_w : 1;
    int dh = d->dilation_h ? d->dilation_h - 1 : 0;
    int dw = d->dilation_w ? d->dilation_w - 1 : 0;
    char dil_h[24] = "", dil_w[24] = "";
    if (dh || dw) {
        snprintf(dil_h, sizeof dil_h, "dh%d", dh);
        snprintf(dil_w, sizeof dil_w, "dw%d", dw);
    }
    return snprintf(buf, len,
                    "mb%d_g%dic%doc%d_ih%doh%dkh%dsh%d%sph%d_iw%dow%dkw%dsw%d%s"
                    "pw%d%s%s%s",
                    d->batch, d->groups ? d->groups : 1, d->in_channels,
                    d->out_channels, d->in_h, oh, d->kernel_h, sh, dil_h,
                    d->pad_top, d->in_w, ow, d->kernel_w, sw, dil_w,
                    d->pad_left, p->name[0] ? "n\"" : "", p->name,
                    p->name[0] ? "\"" : "");
}

int bench_shapes_read(const char *path, bench_problem **out, int *count,
                      char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return fail(err, errlen, "%s: %s", path, strerror(errno));
    bench_problem *v = NULL;
    int n = 0, cap = 0, lineno = 0;
    char *line = NULL;
    size_t lcap = 0;
    int rc = 0;
    while (getline(&line, &lcap, f) >= 0) {
        lineno++;
        const char *s = line;
        while (isspace((unsigned char)*s))
            s++;
        if (!*s || *s == '#')
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            bench_problem *nv = realloc(v, (size_t)cap * sizeof *v);
            if (!nv) {
                rc = fail(err, errlen, "%s: out of memory", path);
                break;
            }
            v = nv;
        }
        char msg[512];
        if (bench_desc_parse(s, &v[n], msg, sizeof msg) != 0) {
            size_t l = strcspn(s, "\r\n");
            rc = fail(err, errlen, "%s:%d: %s (in '%.*s')", path, lineno, msg,
                      (int)(l > 200 ? 200 : l), s);
            break;
        }
        n++;
    }
    free(line);
    fclose(f);
    if (rc == 0 && n == 0)
        rc = fail(err, errlen, "%s: no descriptors", path);
    if (rc != 0) {
        free(v);
        return rc;
    }
    *out = v;
    *count = n;
    return 0;
}
