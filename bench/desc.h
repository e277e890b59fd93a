/* desc.h - oneDNN benchdnn's convolution descriptor syntax: parser, printer
   and shapes files. Plain C (part of vconv-bench and of the fuzz target). */
#ifndef VCONV_BENCH_DESC_H
#define VCONV_BENCH_DESC_H

#include "vconv.h"

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One problem: the descriptor (NCHW, no activation) and its name. */
typedef struct {
    vconv_conv_desc d;
    char name[128];          /* n"...", "" if none */
} bench_problem;

/*
 * Parses one descriptor, e.g.
 *   mb1_g2ic96oc256_ih27oh27kh5ph2_iw27ow27kw5pw2n"alexnet:conv2"
 * Fields (any order, '_' anywhere between fields): g mb ic ih iw oc oh ow kh
 * kw sh sw ph pw dh dw, then optionally n"name" (or n followed by the name
 * up to the end). benchdnn's rules: g = 1, mb = 2, strides 1 by default;
 * dh/dw are dilation - 1 (0: dense); when no w-field is given every w-field
 * copies its h-field; when oh is missing it is computed from ph (0 if
 * missing) with symmetric padding; when oh is given and ph is not, ph is
 * the symmetric padding that gives oh. The bottom/right padding is the one
 * oh/ow imply: (oh - 1) * sh + extent - ih - ph, or 0 when that is negative
 * and oh is still what the floor gives (a floor that drops input rows).
 * 3-D fields (id od kd sd pd dd) are refused.
 * Returns 0, or -1 with a message naming the text at fault in err.
 */
int bench_desc_parse(const char *text, bench_problem *out, char *err,
                     size_t errlen);

/* Prints p in the canonical form the parser reads back to the same
   problem (mb, g, ic, oc, ih, oh, kh, sh, ph, iw, ow, kw, sw, pw, dh/dw
   when dilated, n"name" when named). Returns snprintf's result. */
int bench_desc_print(const bench_problem *p, char *buf, size_t len);

/*
 * Reads a shapes file: one descriptor a line; blank lines and lines whose
 * first non-blank character is '#' are skipped; trailing '#' comments are
 * not allowed (a descriptor line is one descriptor). On a malformed line
 * returns -1 with "FILE:LINE: message" in err. On success *out holds a
 * malloc'd array of *count problems (free() it).
 */
int bench_shapes_read(const char *path, bench_problem **out, int *count,
                      char *err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif
