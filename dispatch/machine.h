/* machine.h - the machine model every planner and estimate() reads: per
   ISA, vector FMAs a cycle, FMA latency and vector loads a cycle, and the
   bytes a cycle a core streams from the L3, measured
   at first use (or a named preset: VCONV_MACHINE). The cache sizes are the
   topology's (topology.h). */
#ifndef VCONV_MACHINE_H
#define VCONV_MACHINE_H

#include "../core/internal.h"

/* One ISA's core, in its own hardware vectors: zmm for AVX-512, ymm for
   AVX2, q (4 floats) for NEON. rate 0: not measured (the ISA does not run
   here, or it has no entry: scalar code keeps its fixed model). */
typedef struct {
    double fma_rate;   /* independent vector FMAs issued a cycle */
    double fma_lat;    /* cycles from an FMA to one that needs its result */
    double load_rate;  /* vector loads a cycle while the FMAs run */
} vconv_isa_model;

typedef struct {
    char name[32];          /* the preset's name, or "measured" */
    char source[160];       /* how it was obtained: "measured in 3.1 ms
                               (int-add clock 2.7 GHz)", "VCONV_MACHINE=zen5" */
    char matches[32];       /* measured: the preset of this vendor with the
                               same FMA rates and latencies, "" none */
    vconv_isa_model isa[VCONV_ISA_NEON + 1];  /* indexed by vconv_isa */
    double l3_bytes;        /* bytes a cycle one core streams from the L3
                               (reads of a buffer past its L2): read it
                               through vconv_machine_l3_bytes() */
    double raw_l3;          /* that, measured before rounding (0: preset
                               or not measured yet) */
    double l3_ms;           /* the time its measurement took */
    double bf16dot;         /* vdpbf16ps zmm issued a cycle (16 chains):
                               read it through vconv_machine_bf16dot();
                               0: the CPU has none (or the preset's core) */
    double raw_bf16dot;     /* that, measured before rounding (0: preset
                               or not measured yet) */
    double cycle;           /* seconds a cycle of the measured clock (0:
                               a preset) */
    double raw[VCONV_ISA_NEON + 1][3];        /* measured values before
                                                 rounding (0: preset) */
    const char *env_error;  /* "" or why VCONV_MACHINE is invalid (every
                               create then fails with it) */
} vconv_machine;

/* The model in use: VCONV_MACHINE's preset when set, else measured once
   (a few ms, under pthread_once) on the ISAs this CPU runs; unmeasured
   ISAs get the preset "generic" (2 FMAs a cycle, latency 4, 2 loads). */
VCONV_INTERNAL const vconv_machine *vconv_machine_get(void);

/* The model's entry for isa (never NULL; rate > 0 for every vector ISA). */
VCONV_INTERNAL const vconv_isa_model *vconv_machine_isa(vconv_isa isa);

/* Hardware vector lanes of isa (16, 8, 4; scalar 1). */
VCONV_INTERNAL int vconv_isa_hw_lanes(vconv_isa isa);

/* The model's FMA rate over the rate the nominal scale assumes (two full
   vectors a cycle: vconv_isa_nominal_gflops): 0.5 on a Zen 4 for AVX-512,
   1.0 with two 512-bit pipes. Scalar: 1. */
VCONV_INTERNAL double vconv_machine_peak_frac(vconv_isa isa);

/* Presets by name ("zen4", "zen5", "skx-1fma", "icelake-2fma",
   "neoverse-n1", "generic"); false if unknown. The names, comma separated,
   into buf (for messages). */
VCONV_INTERNAL bool vconv_machine_preset(const char *name, vconv_machine *m);
VCONV_INTERNAL void vconv_machine_preset_names(char *buf, size_t len);

/* The measured values rounded to what the planners take: latency to a
   whole cycle in 2..8, FMA rates to the nearest of 0.5, 1, 1.5, 2, 3, 4
   (so noise of a few per cent does not change a plan). */
VCONV_INTERNAL double vconv_machine_round_rate(double r);
/* Loads a cycle: 2 when the probe reaches 1.4 (it only bounds them from
   below), else 1. */
VCONV_INTERNAL double vconv_machine_round_loads(double l);
VCONV_INTERNAL double vconv_machine_round_lat(double l);

/* Bytes a cycle one core streams from the L3: the preset's, or measured
   at the first call (a few ms, under its own pthread_once: passes over a
   buffer of 2 x L2, 2..16 MiB; the preset's value when the L3 is not
   twice that). */
VCONV_INTERNAL double vconv_machine_l3_bytes(void);

/* AVX512_BF16 dot products (vdpbf16ps zmm) issued a cycle: the preset's,
   or measured at the first call (~0.1 ms, under its own pthread_once) on
   a CPU that has the instruction; 0 where it has none. Rounded to the
   nearest of 0.25, 0.5, 1, 1.5, 2, 3, 4: the bf16 estimates choose
   between the dot kernel and float32 FMAs on widened values with it (Zen
   4: 1, as its FMAs; an Emerald Rapids core: ~0.25, a quarter of its). */
VCONV_INTERNAL double vconv_machine_bf16dot(void);
VCONV_INTERNAL double vconv_machine_round_dot(double r);

/* L3 bytes a cycle rounded to the nearest of 4, 6, 8, 12, 16, 24, 32,
   48, 64. */
VCONV_INTERNAL double vconv_machine_round_l3(double b);

/* Tests only: use preset name (NULL: back to the model of the process).
   False if unknown. Not thread-safe: call while no create runs. */
VCONV_INTERNAL bool vconv_machine_set_for_testing(const char *name);

/* The probes (kernels/probe/probe-<isa>.c, loops in probe.h): *fmas FMAs
   an iteration, on one dependency chain (chains = 1) or on *fmas
   independent ones; with loads = 1 every FMA multiplies two vectors read
   from buf (64-byte aligned, 1024 floats). They return a value that
   depends on every FMA. */
VCONV_INTERNAL float vconv_probe_fma_avx512(int chains, int loads, long iters,
                                            const float *buf, int *fmas);
VCONV_INTERNAL float vconv_probe_fma_avx2(int chains, int loads, long iters,
                                          const float *buf, int *fmas);
VCONV_INTERNAL float vconv_probe_fma_neon(int chains, int loads, long iters,
                                          const float *buf, int *fmas);
/* The read probes: the sum of n floats of buf (64-byte aligned, n a
   multiple of 64), on independent accumulators (bound by the cache's
   bytes a cycle). */
VCONV_INTERNAL float vconv_probe_read_avx512(const float *buf, size_t n);
/* The bf16 dot probe (probe-avx512bf16.c): *ops independent vdpbf16ps an
   iteration. Call only on a CPU with AVX512_BF16. */
VCONV_INTERNAL float vconv_probe_bf16dot_avx512(long iters, int *ops);
VCONV_INTERNAL float vconv_probe_read_avx2(const float *buf, size_t n);
VCONV_INTERNAL float vconv_probe_read_neon(const float *buf, size_t n);

#endif
