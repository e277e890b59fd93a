/* check.h - the tests' assertions: print file:line and what differed,
   count failures; main returns check_exit(). Every CHECK can fail. */
#ifndef VCONV_TEST_CHECK_H
#define VCONV_TEST_CHECK_H

#include <stdio.h>
#include <string.h>

extern int check_failures;
extern int check_count;

#define CHECK(cond, ...)                                                       \
    do {                                                                       \
        check_count++;                                                         \
        if (!(cond)) {                                                         \
            check_failures++;                                                  \
            fprintf(stderr, "%s:%d: FAILED: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                      \
            fprintf(stderr, "\n");                                             \
        }                                                                      \
    } while (0)

#define CHECK_EQ_INT(a, b)                                                     \
    CHECK((long long)(a) == (long long)(b), "%lld != %lld", (long long)(a),    \
          (long long)(b))

#define CHECK_STATUS(call, want)                                               \
    do {                                                                       \
        vconv_status st_ = (call);                                             \
        CHECK(st_ == (want), "%s returned %s, want %s (%s)", #call,            \
              vconv_status_str(st_), vconv_status_str(want),                   \
              vconv_last_error());                                             \
    } while (0)

#define CHECK_CONTAINS(hay, needle)                                            \
    CHECK(strstr((hay), (needle)) != NULL, "'%s' does not contain '%s'",       \
          (hay), (needle))

static inline int check_exit(const char *name)
{
    if (check_failures)
        fprintf(stderr, "%s: %d of %d checks FAILED\n", name, check_failures,
                check_count);
    else
        printf("%s: all %d checks passed\n", name, check_count);
    return check_failures ? 1 : 0;
}

#define CHECK_DEFINE_GLOBALS int check_failures = 0, check_count = 0;

#endif
