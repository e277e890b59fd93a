/* tune.h - timing the candidates once and remembering the winner. */
#ifndef VCONV_TUNE_H
#define VCONV_TUNE_H

#include "../core/internal.h"

/*
 * Picks the fastest of cand[0..n) for p: the tuning cache answers if it
 * holds this problem (CPU model + ISA mask + descriptor + threads) and the
 * implementation it names is among the candidates; else every candidate is
 * created and timed on the real problem (warm-up, then the median of a few
 * runs) and the winner written to the cache. *pick gets the index; why says
 * how ("tuned: 0.41 ms, fastest of 4" / "tuning cache").
 */
VCONV_INTERNAL vconv_status vconv_tune_pick(const vconv_problem *p,
                                            const vconv_impl *const *cand,
                                            int n, const float *weights,
                                            const float *bias, int *pick,
                                            char *why, size_t len);

#endif
