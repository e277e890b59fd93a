/* topology.h - physical cores and cache sizes, for thread counts and the
   kernels' block sizes. Kernels take their blocking from here, never from
   constants of their own. */
#ifndef VCONV_TOPOLOGY_H
#define VCONV_TOPOLOGY_H

#include "../core/internal.h"

typedef struct {
    int cores;                    /* physical cores (>= 1) */
    int pus;                      /* hardware threads (>= cores) */
    size_t l1d, l2, l3;           /* bytes, after clamping: L1d and L2 per
                                     core, L3 shared (whole) */
    size_t l1d_raw, l2_raw, l3_raw; /* as the source reported them, 0 unknown */
    const char *cores_source;     /* "hwloc", "sysfs", "sysconf" */
    const char *cache_source;     /* "hwloc", "sysfs", "cpuid", "default",
                                     "VCONV_CACHE" */
    const char *clamp_note;       /* "" or what was clamped and why */
} vconv_topology;

/* Detected once (thread-safe) and then constant. */
VCONV_INTERNAL const vconv_topology *vconv_topology_get(void);

#endif
