// gbench_shim.cc - the C API of gbench_shim.h over Google Benchmark: the
// only C++ in the project. Everything here is a thin forwarding layer; the
// measuring rules live in the C callers.
#include "gbench_shim.h"

#include <benchmark/benchmark.h>

#include <cstring>
#include <string>
#include <vector>

struct gbs_state {
    benchmark::State *s;
    const std::vector<int64_t> *args;
};

namespace {

// The console reporter's stand-in for gbs_run(quiet = 1): reports nothing
// (the file reporter of --benchmark_out is separate and still writes).
class NullReporter : public benchmark::BenchmarkReporter {
  public:
    bool ReportContext(const Context &) override { return true; }
    void ReportRuns(const std::vector<Run> &) override {}
};

struct Registered {
    gbs_fn fn;
    void *ctx;
    std::vector<int64_t> args;
};

// Owned here so the lambdas' captures outlive registration; freed by
// gbs_shutdown().
std::vector<Registered *> &registered()
{
    static std::vector<Registered *> r;
    return r;
}

benchmark::TimeUnit unit_of(gbs_unit u)
{
    switch (u) {
    case GBS_US: return benchmark::kMicrosecond;
    case GBS_MS: return benchmark::kMillisecond;
    case GBS_S: return benchmark::kSecond;
    default: return benchmark::kNanosecond;
    }
}

} // namespace

extern "C" {

void gbs_initialize(int *argc, char **argv)
{
    benchmark::Initialize(argc, argv);
}

int gbs_register(const char *name, gbs_fn fn, void *ctx,
                 const gbs_options *opt)
{
    if (!name || !fn || (opt && (opt->nargs < 0 || opt->nargs > 8)))
        return -1;
    Registered *r = new Registered{fn, ctx, {}};
    if (opt && opt->nargs)
        r->args.assign(opt->args, opt->args + opt->nargs);
    registered().push_back(r);
    benchmark::internal::Benchmark *b = benchmark::RegisterBenchmark(
        name, [r](benchmark::State &s) {
            gbs_state st{&s, &r->args};
            r->fn(&st, r->ctx);
        });
    if (opt) {
        if (opt->nargs)
            b->Args(r->args);
        if (opt->manual_time)
            b->UseManualTime();
        b->Unit(unit_of(opt->unit));
        if (opt->iterations > 0)
            b->Iterations(opt->iterations);
    }
    return 0;
}

size_t gbs_run(int quiet)
{
    if (quiet) {
        NullReporter null;
        return benchmark::RunSpecifiedBenchmarks(&null);
    }
    return benchmark::RunSpecifiedBenchmarks();
}

void gbs_shutdown(void)
{
    benchmark::ClearRegisteredBenchmarks();
    for (Registered *r : registered())
        delete r;
    registered().clear();
    benchmark::Shutdown();
}

int gbs_is_google_benchmark(void) { return 1; }

int gbs_keep_running(gbs_state *st) { return st->s->KeepRunning(); }

int64_t gbs_arg(const gbs_state *st, int i)
{
    if (i < 0 || (size_t)i >= st->args->size())
        return 0;
    return (*st->args)[(size_t)i];
}

int64_t gbs_max_iterations(const gbs_state *st)
{
    return (int64_t)st->s->max_iterations;
}

void gbs_set_iteration_time(gbs_state *st, double seconds)
{
    st->s->SetIterationTime(seconds);
}

void gbs_pause_timing(gbs_state *st) { st->s->PauseTiming(); }
void gbs_resume_timing(gbs_state *st) { st->s->ResumeTiming(); }

void gbs_counter(gbs_state *st, const char *name, double value,
                 unsigned flags)
{
    int f = benchmark::Counter::kDefaults;
    if (flags & GBS_RATE)
        f |= benchmark::Counter::kIsRate;
    if (flags & GBS_ITERATION_INVARIANT)
        f |= benchmark::Counter::kIsIterationInvariant;
    if (flags & GBS_AVG_ITERATIONS)
        f |= benchmark::Counter::kAvgIterations;
    st->s->counters[name] =
        benchmark::Counter(value, static_cast<benchmark::Counter::Flags>(f));
}

void gbs_set_label(gbs_state *st, const char *label)
{
    st->s->SetLabel(label);
}

void gbs_skip_with_error(gbs_state *st, const char *msg)
{
    st->s->SkipWithError(msg);
}

void gbs_escape_fn(const void *p) { benchmark::DoNotOptimize(p); }
void gbs_clobber_fn(void) { benchmark::ClobberMemory(); }

} // extern "C"
