/*
 * topology.c - cores and caches.
 *
 * Sources, first that answers: hwloc (when built with it); Linux sysfs;
 * CPUID's deterministic cache leaves (x86: leaf 4 on Intel, 0x8000001D on
 * AMD). Then the sanity clamps below, then the VCONV_CACHE override
 * ("l1=48K,l2=1M,l3=32M", any subset, suffix K/M/G or none for bytes).
 *
 * Clamps (documented in the README): some VMs report absurd caches (an
 * EPYC guest here claims a 508 MiB L3 through both hwloc and CPUID). A
 * reported size outside the range below is replaced by the next source's
 * value if that one is sane, else by the default:
 *     L1d  16 KiB ..   2 MiB per core     default  32 KiB
 *     L2   64 KiB ..  16 MiB per core     default   1 MiB
 *     L3  256 KiB .. 256 MiB shared       default   2 MiB per core
 * and L3 is further capped at 32 MiB per physical core of this machine
 * (no x86 part ships more per core), which is what catches a 508 MiB
 * figure on a 2-core guest.
 */
#define _GNU_SOURCE
#include "topology.h"

#include <ctype.h>
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
static char note[256];

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

static size_t parse_size(const char *s, char **end)
{
    char *e;
    unsigned long long v = strtoull(s, &e, 10);
    if (e == s) {
        *end = (char *)s;
        return 0;
    }
    switch (toupper((unsigned char)*e)) {
    case 'K': v *= 1024ull; e++; break;
    case 'M': v *= 1024ull * 1024; e++; break;
    case 'G': v *= 1024ull * 1024 * 1024; e++; break;
    default: break;
    }
    if (toupper((unsigned char)*e) == 'B' || toupper((unsigned char)*e) == 'I')
        e++; /* "KB", "KiB" */
    if (toupper((unsigned char)*e) == 'B')
        e++;
    *end = e;
    return (size_t)v;
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

static bool sane(int level, size_t v, int cores)
{
    static const size_t lo[3] = {16 * KiB, 64 * KiB, 256 * KiB};
    static const size_t hi[3] = {2 * MiB, 16 * MiB, 256 * MiB};
    if (v < lo[level] || v > hi[level])
        return false;
    if (level == 2 && v > (size_t)32 * MiB * (size_t)cores)
        return false;
    return true;
}

/* VCONV_CACHE="l1=48K,l2=1M,l3=32M"; malformed text is reported once and
   ignored entirely. */
static bool env_caches(size_t c[3])
{
    const char *s = getenv("VCONV_CACHE");
    if (!s || !*s)
        return false;
    size_t v[3] = {c[0], c[1], c[2]};
    const char *p = s;
    while (*p) {
        int level;
        if ((p[0] == 'l' || p[0] == 'L') && p[1] >= '1' && p[1] <= '3' &&
            p[2] == '=')
            level = p[1] - '1';
        else
            goto bad;
        char *end;
        size_t x = parse_size(p + 3, &end);
        if (end == p + 3 || x == 0)
            goto bad;
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
    fprintf(stderr,
            "vconv: warning: VCONV_CACHE='%s' is not like "
            "'l1=48K,l2=1M,l3=32M'; ignored\n",
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
    static const char *lname[3] = {"L1d", "L2", "L3"};
    size_t def[3] = {32 * KiB, 1 * MiB, 2 * MiB * (size_t)cores};
    size_t used = 0;
    for (int i = 0; i < 3; i++) {
        if (sane(i, c[i], cores))
            continue;
        size_t repl = sane(i, alt[i], cores) ? alt[i] : def[i];
        if (c[i]) {
            int n = snprintf(note + used, sizeof note - used,
                             "%s%s %zu KiB reported, out of range: %zu KiB "
                             "used (%s)",
                             used ? "; " : "", lname[i], c[i] / KiB,
                             repl / KiB, repl == alt[i] ? "cpuid" : "default");
            if (n > 0 && (size_t)n < sizeof note - used)
                used += (size_t)n;
        }
        c[i] = repl;
    }
    if (env_caches(c))
        topo.cache_source = "VCONV_CACHE";
    topo.l1d = c[0];
    topo.l2 = c[1];
    topo.l3 = c[2];
    topo.clamp_note = note;
}

const vconv_topology *vconv_topology_get(void)
{
    pthread_once(&once, detect);
    return &topo;
}
