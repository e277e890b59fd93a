/* tune.h - timing the candidates once and remembering the winner. */
#ifndef VCONV_TUNE_H
#define VCONV_TUNE_H

#include "../core/internal.h"

/*
 * Picks the fastest of cand[0..n) (n >= 2, in table order, every one
 * already checked: ISA usable, supports() true) for p. The tuning cache
 * (tune_cache.h) answers when it holds this problem's key (CPU model +
 * feature mask + library version + threads + problem + candidate names) and
 * the implementation it names exists, runs on this CPU and supports p; else
 * every candidate is created and timed on the real problem (one warm-up run,
 * then the median of up to five, fewer for one slower than 0.25 s) and the
 * winner is written to the cache. A cache that cannot be read, is not ours,
 * has bad lines or names an unusable implementation is ignored with one
 * warning on stderr per process (another for a cache that cannot be
 * written); tuning never fails because of the cache.
 * *pick gets the index; ms[i] the measured median of cand[i] in ms (NAN for
 * those not timed: all of them when the cache answered, except the pick,
 * which gets the time recorded in the cache); why says how ("tuning cache
 * PATH" / "tuned ...").
 */
VCONV_INTERNAL vconv_status vconv_tune_pick(const vconv_problem *p,
                                            const vconv_impl *const *cand,
                                            int n, const float *weights,
                                            const float *bias, int *pick,
                                            double *ms, char *why, size_t len);

/* The tuning cache's answer for key: the index in cand[0..n) of the
   implementation c's entry for key names, when that one exists, its ISA
   runs on this CPU (checked first: none of its functions is called
   otherwise) and it is a candidate (so it supports p); *ns (may be NULL)
   gets the recorded time. -1 otherwise: why is "" when c has no entry for
   key, else what is wrong with it. */
struct vconv_tune_cache_s;
VCONV_INTERNAL int vconv_tune_cache_choose(const struct vconv_tune_cache_s *c,
                                           const char *key,
                                           const vconv_problem *p,
                                           const vconv_impl *const *cand,
                                           int n, uint64_t *ns, char *why,
                                           size_t len);

/* Tests only: counters since the last reset (candidates timed, cache
   answers, cache files written, cache problems found: every one, printed or
   not) and a reset that also re-arms the once-per-process warnings. */
typedef struct {
    int timed, hits, writes, problems;
} vconv_tune_stats;
VCONV_INTERNAL vconv_tune_stats vconv_tune_stats_for_testing(void);
VCONV_INTERNAL void vconv_tune_reset_for_testing(void);

#endif
