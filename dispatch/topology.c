/*
 * topology.c - cores and caches.
 *
 * Sources, first that answers: hwloc (when built with it); Linux sysfs;
 * CPUID's deterministic cache leaves (x86: leaf 4 on Intel, 0x8000001D on
 * AMD). Then the sanity clamps below, then the VCONV_CACHE override
 * ("l1=48K,l2=1M,l3=32M", any subset, suffix K/M/G or none for bytes).
 *
 * Clamps (documented in the README; vconv_topology_clamp, a pure function
 * the tests drive with injected values): some VMs report absurd caches (an
 * EPYC guest claimed a 508 MiB L3 through both hwloc and CPUID). A reported
 * size outside the range below is replaced by CPUID's value if that one is
 * sane, else by the default (an L3 above the range or the cap below: 16
 * MiB per core, at most 256 MiB, as a large cache of unknown share):
 *     L1d  16 KiB ..   2 MiB per core     default  32 KiB
 *     L2   64 KiB ..  16 MiB per core     default   1 MiB
 *     L3  256 KiB .. 256 MiB shared       default   2 MiB per core
 *                                                  (at most 256 MiB)
 * and L3 is further capped at 32 MiB per physical core of this machine
 * (no x86 part ships more per core), which is what catches a 508 MiB
 * figure on a 2-core guest. Underestimating a cache costs a little speed;
 * overestimating it makes blocks spill, hence defaults on the small side.
 * VCONV_CACHE values must lie in the same ranges (else every create fails
 * with VCONV_ERR_INVALID_ARG naming the variable).
 */
#define _GNU_SOURCE
#include "topology.h"

#include <ctype.h>
#include <stdint.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef VCONV_HAVE_HWLOC
#include <hwloc.h>
#endif

static vconv_topology topo;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static char note[512];
static char env_error[512];

static inline size_t vconv_min_sz(size_t a, size_t b) { return a < b ? a : b; }

#define KiB ((size_t)1024)
#define MiB (KiB * 1024)

#ifdef VCONV_HAVE_HWLOC
static bool from_hwloc(int *cores, int *pus, size_t c[3])
{
    hwloc_topology_t t;
    if (hwloc_topology_init(&t) != 0)
        return false;
    if (hwloc_topology_load(t) != 0) {
        hwloc_topology_destroy(t);
        return false;
    }
    *cores = hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_CORE);
    *pus = hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_PU);
    static const hwloc_obj_type_t types[3] = {HWLOC_OBJ_L1CACHE,
                                              HWLOC_OBJ_L2CACHE,
                                              HWLOC_OBJ_L3CACHE};
    for (int i = 0; i < 3; i++) {
        hwloc_obj_t o = hwloc_get_next_obj_by_type(t, types[i], NULL);
        while (o && o->attr->cache.type == HWLOC_OBJ_CACHE_INSTRUCTION)
            o = hwloc_get_next_obj_by_type(t, types[i], o);
        c[i] = o ? (size_t)o->attr->cache.size : 0;
    }
    hwloc_topology_destroy(t);
    return *cores > 0;
}
#endif

/* "48K", "1M", "2MiB", "32768" (bytes), "512KB"; saturates at SIZE_MAX
   instead of wrapping. *end: the first character not taken. */
static size_t parse_size(const char *s, char **end)
{
    char *e;
    if (!isdigit((unsigned char)*s)) {
        *end = (char *)s;
        return 0;
    }
    unsigned long long v = strtoull(s, &e, 10), mult = 1;
    switch (toupper((unsigned char)*e)) {
    case 'K': mult = 1024ull; e++; break;
    case 'M': mult = 1024ull * 1024; e++; break;
    case 'G': mult = 1024ull * 1024 * 1024; e++; break;
    default: break;
    }
    if (mult > 1 && toupper((unsigned char)*e) == 'I' &&
        toupper((unsigned char)e[1]) == 'B')
        e += 2; /* "KiB" */
    else if (toupper((unsigned char)*e) == 'B')
        e++;    /* "KB", "B" */
    *end = e;
    if (v > (unsigned long long)SIZE_MAX / mult)
        return SIZE_MAX;
    return (size_t)(v * mult);
}

static size_t read_sysfs_size(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char buf[64] = "";
    char *end;
    size_t v = fgets(buf, sizeof buf, f) ? parse_size(buf, &end) : 0;
    fclose(f);
    return v;
}

static bool from_sysfs(size_t c[3])
{
    bool any = false;
    for (int idx = 0; idx < 8; idx++) {
        char path[128], type[32] = "";
        snprintf(path, sizeof path,
                 "/sys/devices/system/cpu/cpu0/cache/index%d/level", idx);
        FILE *f = fopen(path, "r");
        if (!f)
            break;
        int level = 0;
        if (fscanf(f, "%d", &level) != 1)
            level = 0;
        fclose(f);
        snprintf(path, sizeof path,
                 "/sys/devices/system/cpu/cpu0/cache/index%d/type", idx);
        f = fopen(path, "r");
        if (f) {
            if (!fgets(type, sizeof type, f))
                type[0] = 0;
            fclose(f);
        }
        if (strncmp(type, "Instruction", 11) == 0 || level < 1 || level > 3)
            continue;
        snprintf(path, sizeof path,
                 "/sys/devices/system/cpu/cpu0/cache/index%d/size", idx);
        size_t sz = read_sysfs_size(path);
        if (sz) {
            c[level - 1] = sz;
            any = true;
        }
    }
    return any;
}

static int sysfs_cores(void)
{
    /* count distinct (package, core) pairs */
    int n = 0;
    int seen[1024][2];
    for (int cpu = 0; cpu < 1024; cpu++) {
        char path[128];
        int pkg = 0, core = 0;
        snprintf(path, sizeof path,
                 "/sys/devices/system/cpu/cpu%d/topology/core_id", cpu);
        FILE *f = fopen(path, "r");
        if (!f)
            break;
        if (fscanf(f, "%d", &core) != 1)
            core = cpu;
        fclose(f);
        snprintf(path, sizeof path,
                 "/sys/devices/system/cpu/cpu%d/topology/physical_package_id",
                 cpu);
        f = fopen(path, "r");
        if (f) {
            if (fscanf(f, "%d", &pkg) != 1)
                pkg = 0;
            fclose(f);
        }
        bool dup = false;
        for (int i = 0; i < n; i++)
            dup |= seen[i][0] == pkg && seen[i][1] == core;
        if (!dup) {
            seen[n][0] = pkg;
            seen[n][1] = core;
            n++;
        }
    }
    return n;
}

#if VCONV_ARCH_X86_64
static bool from_cpuid(size_t c[3])
{
    uint32_t r[4];
    __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
                     : "a"(0), "c"(0));
    bool amd = r[1] == 0x68747541u; /* "Auth" */
    uint32_t leaf = amd ? 0x8000001Du : 4u;
    if (amd) {
        __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
                         : "a"(0x80000000u), "c"(0));
        if (r[0] < leaf)
            return false;
    } else if (r[0] < 4) {
        return false;
    }
    bool any = false;
    for (uint32_t sub = 0; sub < 16; sub++) {
        __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
                         : "a"(leaf), "c"(sub));
        uint32_t type = r[0] & 31, level = (r[0] >> 5) & 7;
        if (type == 0)
            break;
        if (type == 2 || level < 1 || level > 3)
            continue;
        size_t ways = ((r[1] >> 22) & 1023) + 1;
        size_t parts = ((r[1] >> 12) & 1023) + 1;
        size_t line = (r[1] & 4095) + 1;
        size_t sets = (size_t)r[2] + 1;
        c[level - 1] = ways * parts * line * sets;
        any = true;
    }
    return any;
}
#endif

static const size_t range_lo[3] = {16 * KiB, 64 * KiB, 256 * KiB};
static const size_t range_hi[3] = {2 * MiB, 16 * MiB, 256 * MiB};
static const char *const lname[3] = {"L1d", "L2", "L3"};

static bool sane(int level, size_t v, int cores)
{
    if (v < range_lo[level] || v > range_hi[level])
        return false;
    if (level == 2 && v > (size_t)32 * MiB * (size_t)(cores > 0 ? cores : 1))
        return false;
    return true;
}

void vconv_topology_clamp(const size_t raw[3], const size_t alt[3], int cores,
                          size_t out[3], char *note, size_t len)
{
    if (cores < 1)
        cores = 1;
    const size_t def[3] = {32 * KiB, 1 * MiB,
                           vconv_min_sz(2 * MiB * (size_t)cores, range_hi[2])};
    size_t used = 0;
    if (len)
        note[0] = 0;
    for (int i = 0; i < 3; i++) {
        if (sane(i, raw[i], cores)) {
            out[i] = raw[i];
            continue;
        }
        bool use_alt = alt && sane(i, alt[i], cores);
        /* an L3 reported above the caps is a large one whose share of
           this machine is unknown (a VM's slice of a big part): 16 MiB a
           core, half the cap, rather than the small default (measured on
           a Sapphire Rapids class guest reporting 480 MiB: VGG-16's
           Winograd layers at 0.61-0.79x oneDNN with 4 MiB, 0.84-1.04x
           with 32 MiB; 64 MiB helped its conv4-5 more, nothing else) */
        const bool large = i == 2 && raw[i] > range_lo[i];
        const size_t big =
            vconv_min_sz(16 * MiB * (size_t)cores, range_hi[2]);
        out[i] = use_alt ? alt[i] : large ? big : def[i];
        if (raw[i] && used + 1 < len) {
            int n = snprintf(note + used, len - used,
                             "%s%s %zu KiB reported, outside %zu KiB..%zu KiB"
                             "%s: %zu KiB used (%s)",
                             used ? "; " : "", lname[i], raw[i] / KiB,
                             range_lo[i] / KiB, range_hi[i] / KiB,
                             i == 2 ? " or above 32 MiB per core" : "",
                             out[i] / KiB,
                             use_alt ? "cpuid"
                             : large ? "large: 16 MiB per core"
                                     : "default");
            if (n > 0)
                used = used + (size_t)n < len ? used + (size_t)n : len - 1;
        }
    }
}

bool vconv_topology_parse_cache_env(const char *s, size_t c[3], char *err,
                                    size_t len)
{
    size_t v[3] = {c[0], c[1], c[2]};
    const char *p = s;
    if (!*p)
        goto bad;
    while (*p) {
        int level;
        if ((p[0] == 'l' || p[0] == 'L') && p[1] >= '1' && p[1] <= '3' &&
            p[2] == '=')
            level = p[1] - '1';
        else
            goto bad;
        char *end;
        if (!isdigit((unsigned char)p[3]))
            goto bad;
        size_t x = parse_size(p + 3, &end);
        if (end == p + 3)
            goto bad;
        if (x < range_lo[level] || x > range_hi[level]) {
            snprintf(err, len,
                     "VCONV_CACHE='%s': %s = %zu bytes is outside %zu KiB.."
                     "%zu KiB",
                     s, lname[level], x, range_lo[level] / KiB,
                     range_hi[level] / KiB);
            return false;
        }
        v[level] = x;
        p = end;
        if (*p == ',')
            p++;
        else if (*p)
            goto bad;
    }
    memcpy(c, v, sizeof v);
    return true;
bad:
    snprintf(err, len,
             "VCONV_CACHE='%s' is not like 'l1=48K,l2=1M,l3=32M' (any subset; "
             "suffix K, M, G or none for bytes)",
             s);
    return false;
}

static void detect(void)
{
    int cores = 0, pus = 0;
    size_t c[3] = {0, 0, 0}, alt[3] = {0, 0, 0};
    topo.cache_source = "default";
#ifdef VCONV_HAVE_HWLOC
    if (from_hwloc(&cores, &pus, c)) {
        topo.cores_source = "hwloc";
        topo.cache_source = "hwloc";
    }
#endif
    if (cores <= 0) {
        cores = sysfs_cores();
        topo.cores_source = "sysfs";
    }
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    if (cores <= 0) {
        cores = online > 0 ? (int)online : 1;
        topo.cores_source = "sysconf";
    }
    if (pus < cores)
        pus = online >= cores ? (int)online : cores;
    if (!c[0] && !c[1] && !c[2] && from_sysfs(c))
        topo.cache_source = "sysfs";
#if VCONV_ARCH_X86_64
    if (!c[0] && !c[1] && !c[2] && from_cpuid(c))
        topo.cache_source = "cpuid";
    else
        from_cpuid(alt); /* second opinion for the clamps */
#endif
    topo.cores = cores;
    topo.pus = pus;
    topo.l1d_raw = c[0];
    topo.l2_raw = c[1];
    topo.l3_raw = c[2];
    size_t used[3];
    vconv_topology_clamp(c, alt, cores, used, note, sizeof note);
    /* VCONV_CACHE: a malformed or out-of-range value is kept as an error
       that every create reports (vconv_resolve_options), never ignored */
    const char *e = getenv("VCONV_CACHE");
    if (e && *e) {
        if (vconv_topology_parse_cache_env(e, used, env_error,
                                           sizeof env_error))
            topo.cache_source = "VCONV_CACHE";
    }
    topo.l1d = used[0];
    topo.l2 = used[1];
    topo.l3 = used[2];
    topo.clamp_note = note;
    topo.env_error = env_error;
}

const vconv_topology *vconv_topology_get(void)
{
    pthread_once(&once, detect);
    return &topo;
}
