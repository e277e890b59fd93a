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
    const char *env_error;        /* "" or why VCONV_CACHE is invalid (every
                                     create then fails with it) */
} vconv_topology;

/*
 * The clamp, a pure function: raw[i] (bytes, 0 unknown) for L1d, L2, L3 is
 * kept when it lies in the documented range (L1d 16 KiB..2 MiB, L2 64 KiB..
 * 16 MiB, L3 256 KiB..256 MiB and at most 32 MiB per core); else alt[i]
 * (CPUID's opinion; alt may be NULL) when that is in range, else the
 * default (32 KiB, 1 MiB, 2 MiB per core). note gets what was replaced.
 */
VCONV_INTERNAL void vconv_topology_clamp(const size_t raw[3],
                                         const size_t alt[3], int cores,
                                         size_t out[3], char *note,
                                         size_t len);

/* The bytes past which data a run reads again (weights) is modelled as
   coming from memory: the L3, but at least 32 MiB (VMs report no L3 or an
   absurd one, whose clamp leaves the default of 2 MiB a core, while the
   host's L3 still serves more: on this project's Intel VM Winograd
   weight sets of 14 and 21 MB ran at cache speed, one of 37 MB at
   ~16 GB/s). */
static inline double vconv_topology_mem_threshold(const vconv_topology *t)
{
    const double l3 = (double)t->l3, floor = 32.0 * 1024 * 1024;
    return l3 > floor ? l3 : floor;
}

/* Parses VCONV_CACHE ("l1=48K,l2=1M,l3=32M", any subset) over c; values
   outside the clamp ranges are errors. On false c is untouched and err says
   why (naming the variable and its value). */
VCONV_INTERNAL bool vconv_topology_parse_cache_env(const char *s, size_t c[3],
                                                   char *err, size_t len);

/* Detected once (thread-safe) and then constant. */
VCONV_INTERNAL const vconv_topology *vconv_topology_get(void);

#endif
