/*
 * internal.h - what the core, the dispatcher and the kernels share.
 * Not installed. Baseline code only: nothing here may use intrinsics, and
 * anything defined here is `static inline` or lives in a baseline .c file
 * (an inline function compiled with AVX flags and merged by the linker into
 * baseline code would crash CPUs without AVX).
 */
#ifndef VCONV_INTERNAL_H
#define VCONV_INTERNAL_H

#include "vconv.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__x86_64__) || defined(_M_X64)
#define VCONV_ARCH_X86_64 1
#else
#define VCONV_ARCH_X86_64 0
#endif
#if defined(__aarch64__)
#define VCONV_ARCH_AARCH64 1
#else
#define VCONV_ARCH_AARCH64 0
#endif

#define VCONV_INTERNAL __attribute__((visibility("hidden")))
#define VCONV_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* -------------------------------------------------------------- problem */

/*
 * A validated descriptor with every default filled in and the output size
 * computed: what the kernels see. Every size is >= 1, every element count
 * fits an int (so any index into src, dst or weights fits a size_t product
 * of ints without overflow).
 */
typedef struct vconv_problem {
    int mb, ic, ih, iw, oc, oh, ow;
    int kh, kw, sh, sw, dh, dw;     /* stride and dilation >= 1 */
    int pt, pb, pl, pr;             /* >= 0 */
    int g, icg, ocg;                /* groups, channels per group */
    vconv_layout layout;
    vconv_act act;
    int threads;                    /* >= 1: the plan's thread count */
    /* low precision (appended; all 0 for float32): validated types,
       scales and zero points of the descriptor (see vconv.h) */
    vconv_dtype src_dt, dst_dt;
    float src_scale, dst_scale;
    int src_zp, dst_zp;
} vconv_problem;

/* int8: the largest reduction icg * kh * kw whose sum of (x - zp) * w
   (|x - zp| <= 255, |w| <= 128) fits an int32: floor((2^31 - 1) / 32640). */
#define VCONV_INT8_MAX_K 65793

/* The low-precision kinds an implementation runs (vconv_impl.dtypes). */
enum { VCONV_DT_INT8 = 1u << 0, VCONV_DT_BF16 = 1u << 1 };

/* The kind bit of a problem: 0 for float32. */
static inline uint32_t vconv_problem_kind(const vconv_problem *p)
{
    if (p->src_dt == VCONV_U8 || p->src_dt == VCONV_S8)
        return VCONV_DT_INT8;
    if (p->src_dt == VCONV_BF16)
        return VCONV_DT_BF16;
    return 0;
}

/* Bytes of one element of a type. */
static inline size_t vconv_dtype_size(vconv_dtype t)
{
    return t == VCONV_F32 || t == VCONV_S32 ? 4 : t == VCONV_BF16 ? 2 : 1;
}

/* Validates d and fills p (threads = 1). On failure sets the last error
   (naming the field and its value) and returns its status. */
VCONV_INTERNAL vconv_status vconv_problem_init(const vconv_conv_desc *d,
                                               vconv_problem *p);

/* Direct-convolution FLOPs: 2 * mb * oc * oh * ow * icg * kh * kw. */
VCONV_INTERNAL double vconv_problem_flops(const vconv_problem *p);

/* The problem in benchdnn's syntax plus layout and activation, e.g.
   "mb1_g1ic3oc96_ih227oh55kh11sh4ph0_iw227ow55kw11sw4pw0 nchw relu".
   Returns snprintf's result. */
VCONV_INTERNAL int vconv_problem_str(const vconv_problem *p, char *buf,
                                     size_t len);

/* Elements of src / dst / weights. */
static inline size_t vconv_src_elems(const vconv_problem *p)
{
    return (size_t)p->mb * p->ic * p->ih * p->iw;
}
static inline size_t vconv_dst_elems(const vconv_problem *p)
{
    return (size_t)p->mb * p->oc * p->oh * p->ow;
}
static inline size_t vconv_wei_elems(const vconv_problem *p)
{
    return (size_t)p->oc * p->icg * p->kh * p->kw;
}

/* --------------------------------------------------------------- errors */

/* Formats the calling thread's last-error message and returns s, so that
   `return vconv_error(VCONV_ERR_BAD_SHAPE, "...", ...);` reads naturally. */
VCONV_INTERNAL vconv_status vconv_error(vconv_status s, const char *fmt, ...)
    VCONV_PRINTF(2, 3);

/* Prints "vconv: ..." to stderr when VCONV_VERBOSE is set to 1 or more. */
VCONV_INTERNAL int vconv_verbose_level(void);
VCONV_INTERNAL void vconv_log(const char *fmt, ...) VCONV_PRINTF(1, 2);

/* Monotonic seconds. */
VCONV_INTERNAL double vconv_now(void);

/* --------------------------------------------------------------- memory */

#define VCONV_ALIGN 64

/* 64-byte aligned allocation; NULL on failure or when bytes is 0. */
VCONV_INTERNAL void *vconv_alloc(size_t bytes);
VCONV_INTERNAL void vconv_free(void *ptr);

/*
 * Per-thread scratch: a 64-byte aligned buffer of at least `bytes` that the
 * calling thread keeps and reuses from one run to the next (so small layers
 * do not pay malloc and page faults on every run). Valid until the next
 * vconv_scratch() call with the same slot in the same thread; freed when
 * the thread exits. NULL when the memory cannot be had. Two runs of one
 * plan in two threads never share it (it is per thread, not per plan).
 * Slots: SHARED for buffers the calling thread allocates before a parallel
 * region and shares with the team; WORK for each team member's own buffer
 * inside a parallel region (the calling thread is a team member too, so the
 * two must differ).
 */
enum { VCONV_SCRATCH_SHARED = 0, VCONV_SCRATCH_WORK = 1,
       VCONV_SCRATCH_SLOTS = 4 };
VCONV_INTERNAL void *vconv_scratch(int slot, size_t bytes);

/* a * b (+ c) in size_t with overflow detection: false on overflow. */
static inline bool vconv_mul_size(size_t a, size_t b, size_t *r)
{
    return !__builtin_mul_overflow(a, b, r);
}

static inline int vconv_min_i(int a, int b) { return a < b ? a : b; }
static inline int vconv_max_i(int a, int b) { return a > b ? a : b; }
static inline int vconv_div_up(int a, int b) { return (a + b - 1) / b; }
static inline int vconv_round_up(int a, int b) { return vconv_div_up(a, b) * b; }

/* ------------------------------------------------------- implementations */

/*
 * One implementation: one line of the registry (dispatch/registry.c).
 * Contract:
 *  - name is "<algo>[_<variant>].<isa>".
 *  - supports(): shape constraints only (the ISA is checked by the
 *    dispatcher before any function of the entry is called). On false it
 *    writes the reason into why[len].
 *  - estimate(): the heuristic's estimated seconds for the problem (lower
 *    wins; ties go to the table order). INFINITY means "never chosen by
 *    default" (why says why: an accuracy bound, say); it can still be
 *    forced. NULL: never chosen by default.
 *  - create(): packs weights (always copied: the caller may free them) and
 *    bias (NULL: zeros) into *state. Runs on p->threads threads at most.
 *  - run(): src and dst in the user's layout, no alignment; may be called
 *    from several threads at once on one state (state is read-only; scratch
 *    from vconv_scratch() or allocated per run). Writes nothing to dst
 *    before every allocation it needs has succeeded. Output bitwise
 *    identical for any p->threads.
 *  - destroy(): frees state (never NULL when called).
 */
typedef struct vconv_impl {
    const char *name;
    vconv_algo algo;
    vconv_isa isa;
    bool (*supports)(const vconv_problem *p, char *why, size_t len);
    double (*estimate)(const vconv_problem *p, char *why, size_t len);
    vconv_status (*create)(const vconv_problem *p, const float *weights,
                           const float *bias, void **state);
    vconv_status (*run)(const void *state, const vconv_problem *p,
                        const float *src, float *dst);
    void (*destroy)(void *state);
    /* ---- appended for low precision (all 0 in float32 entries) */
    /* the kinds it runs (VCONV_DT_* bits); 0: float32 only. An entry with
       kinds runs those only; create / run above are then NULL */
    uint32_t dtypes;
    /* raw CPU feature bits (dispatch/cpu.h) needed beyond the ISA's
       (avx512vnni, avx512bf16, ...): the dispatcher refuses the entry, and
       calls none of its functions, on a CPU without every one of them */
    uint32_t cpu_needs;
    /* create / run for low precision: weights int8_t or uint16_t (bf16),
       wei_scales float[oc] (int8), bias int32_t / float or NULL; src and
       dst of the problem's types. Same rules as create / run. */
    vconv_status (*create_q)(const vconv_problem *p, const void *weights,
                             const float *wei_scales, const void *bias,
                             void **state);
    vconv_status (*run_q)(const void *state, const vconv_problem *p,
                          const void *src, void *dst);
} vconv_impl;

#endif /* VCONV_INTERNAL_H */
