// bench/bench_core.cpp - core hot paths and the serializer against in-run baselines (issue 2).
// SPDX-License-Identifier: MIT
//
// Every figure is meant to be read beside the baselines of the same run (the machine is shared
// and noisy): BM_baseline_atomic is a relaxed fetch_add on one shared std::atomic<uint64_t>,
// BM_baseline_plain a non-atomic increment. Multi-threaded cases report CPU time per
// operation per thread. bench/run_core.sh runs this with repetitions and prints the ratios.
#include <vitals/counter.hpp>
#include <vitals/gauge.hpp>
#include <vitals/histogram.hpp>
#include <vitals/registry.hpp>
#include <vitals/text_format.hpp>

#include <benchmark/benchmark.h>

#if defined(__linux__)
#include <pthread.h> // pthread_setaffinity_np
#include <sched.h>   // cpu_set_t, CPU_SET
#endif

#include <algorithm> // max, min, nth_element
#include <array>     // array
#include <atomic>    // atomic
#include <chrono>    // steady_clock
#include <cmath>     // pow
#include <cstddef>   // size_t
#include <cstdint>   // uint64_t
#include <memory>    // unique_ptr
#include <random>    // mt19937_64, uniform_real_distribution
#include <string>    // string, to_string
#include <thread>    // thread, this_thread::yield
#include <vector>    // vector

namespace {

// ---------------------------------------------------------------------------------------------
// Baselines

struct alignas(64) padded_atomic {
    std::atomic<std::uint64_t> value{0};
};
padded_atomic g_shared_atomic;

void BM_baseline_atomic(benchmark::State& state) {
    for (auto _ : state) g_shared_atomic.value.fetch_add(1, std::memory_order_relaxed);
    benchmark::DoNotOptimize(g_shared_atomic.value.load(std::memory_order_relaxed));
}
BENCHMARK(BM_baseline_atomic)->Threads(1)->Threads(2);

void BM_baseline_plain(benchmark::State& state) {
    std::uint64_t x = 0;
    for (auto _ : state) {
        ++x;
        benchmark::DoNotOptimize(x); // keeps the increment in the loop, one per iteration
    }
}
BENCHMARK(BM_baseline_plain);

// ---------------------------------------------------------------------------------------------
// Metric hot paths

vitals::counter& shared_counter() {
    static vitals::counter* c = new vitals::counter();
    return *c;
}

void BM_counter_inc(benchmark::State& state) {
    vitals::counter& c = shared_counter();
    for (auto _ : state) c.inc();
    benchmark::DoNotOptimize(c.whole_value());
}
BENCHMARK(BM_counter_inc)->Threads(1)->Threads(2);

void BM_gauge_set(benchmark::State& state) {
    vitals::gauge g;
    double v = 0.0;
    for (auto _ : state) {
        g.set(v);
        v += 1.0;
    }
    benchmark::DoNotOptimize(g.value());
}
BENCHMARK(BM_gauge_set);

// Log-uniform over the default buckets' range (5 ms .. 20 s), so every bucket, including +Inf,
// gets hits and the bucket search cannot be predicted.
std::vector<double> log_uniform_values(std::size_t n) {
    std::mt19937_64 rng(42);
    std::uniform_real_distribution<double> exponent(-2.3, 1.3);
    std::vector<double> out(n);
    for (double& v : out) v = std::pow(10.0, exponent(rng));
    return out;
}

void BM_histogram_observe(benchmark::State& state) {
    vitals::histogram h; // default buckets
    const std::vector<double> values = log_uniform_values(4096);
    std::size_t i = 0;
    for (auto _ : state) {
        h.observe(values[i]);
        i = (i + 1) & 4095;
    }
    benchmark::DoNotOptimize(h.count());
}
BENCHMARK(BM_histogram_observe);

// ---------------------------------------------------------------------------------------------
// Labelled lookup + inc: 3 labels, 4 x 16 x 4 values, all series created up front.

struct lookup_fixture {
    vitals::registry reg;
    vitals::counter_family& fam;
    std::array<std::string, 4> methods = {"GET", "POST", "PUT", "DELETE"};
    std::vector<std::string> endpoints;
    std::array<std::string, 4> statuses = {"200", "404", "500", "503"};

    lookup_fixture()
        : fam(reg.counter("http_requests", "Requests.", {"method", "endpoint", "status"})) {
        for (int i = 0; i < 16; ++i) endpoints.push_back("/api/v1/resource_" + std::to_string(i));
        for (const auto& m : methods)
            for (const auto& e : endpoints)
                for (const auto& s : statuses) fam.labels(m, e, s);
    }
};

lookup_fixture& shared_lookup() {
    static lookup_fixture* f = new lookup_fixture(); // shared by the threads of one run
    return *f;
}

void BM_labels_lookup_inc(benchmark::State& state) {
    lookup_fixture& f = shared_lookup();
    std::size_t i = static_cast<std::size_t>(state.thread_index()) * 128;
    for (auto _ : state) {
        // Cycle so that consecutive lookups hit different series (and table slots).
        f.fam.labels(f.methods[i & 3], f.endpoints[(i >> 2) & 15], f.statuses[(i >> 6) & 3]).inc();
        i = (i + 7) & 255; // 7 is odd: visits all 256 combinations
    }
}
BENCHMARK(BM_labels_lookup_inc)->Threads(1)->Threads(2);

// The same lookups in a family past its series bound: its 64 series have other status values,
// so every one of the 256 label sets is folded into the overflow series (and counted there).
struct overflow_fixture : lookup_fixture {
    vitals::counter_family& bounded;
    overflow_fixture()
        : bounded(reg.counter("http_requests_bounded", "Requests.",
                              {"method", "endpoint", "status"}, [] {
                                  vitals::family_options opts;
                                  opts.max_series = 64;
                                  return opts;
                              }())) {
        for (std::size_t i = 0; i < 64; ++i) bounded.labels(methods[i & 3], endpoints[i >> 2], "0");
    }
};

void BM_labels_lookup_overflowed(benchmark::State& state) {
    static overflow_fixture* f = new overflow_fixture(); // shared by the threads of one run
    std::size_t i = static_cast<std::size_t>(state.thread_index()) * 128;
    for (auto _ : state) {
        f->bounded.labels(f->methods[i & 3], f->endpoints[(i >> 2) & 15], f->statuses[(i >> 6) & 3])
            .inc();
        i = (i + 7) & 255;
    }
}
BENCHMARK(BM_labels_lookup_overflowed)->Threads(1)->Threads(2);

// ---------------------------------------------------------------------------------------------
// Two threads in lockstep. On a busy machine the free-running Threads(2) cases above often
// measure threads that take turns on the CPUs, which hides contention (the shared atomic then
// looks as cheap as with one thread). Here both threads meet at a barrier before every phase
// of `phase_ops` operations and time only the phase. A phase counts only when the two
// threads' intervals overlap for at least 80% of the shorter one, so both ran it at the same
// time; the median over those phases is reported. Phases of the shared atomic,
// the counter and the lookup alternate, so all three see the same conditions. Reported as
// counters, in ns per operation and thread: lockstep_atomic_ns, lockstep_counter_ns,
// lockstep_lookup_ns, and lockstep_overlap, the fraction of phases that counted (0 means
// the threads never ran together and the figures mean nothing).

class spin_barrier {
public:
    void wait() {
        const unsigned gen = generation_.load(std::memory_order_acquire);
        if (arrived_.fetch_add(1, std::memory_order_acq_rel) == 1) {
            arrived_.store(0, std::memory_order_relaxed);
            generation_.fetch_add(1, std::memory_order_release);
            return;
        }
        for (unsigned spins = 0; generation_.load(std::memory_order_acquire) == gen; ++spins)
            if (spins > 2000) std::this_thread::yield(); // the other thread is not running
    }

private:
    std::atomic<unsigned> arrived_{0};
    std::atomic<unsigned> generation_{0};
};

// Pins the calling thread to one CPU where that is possible, so the two lockstep threads
// cannot end up taking turns on the same CPU (which a loaded scheduler likes to do).
void pin_to_cpu(unsigned cpu) {
#if defined(__linux__)
    const unsigned n = std::thread::hardware_concurrency();
    if (n < 2) return;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu % n, &set);
    (void)pthread_setaffinity_np(pthread_self(), sizeof set, &set);
#else
    (void)cpu;
#endif
}

void unpin() {
#if defined(__linux__)
    cpu_set_t set;
    CPU_ZERO(&set);
    for (unsigned i = 0; i < std::thread::hardware_concurrency() && i < CPU_SETSIZE; ++i)
        CPU_SET(i, &set);
    (void)pthread_setaffinity_np(pthread_self(), sizeof set, &set);
#endif
}

double median(std::vector<double> v) {
    if (v.empty()) return 0.0;
    const auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
    std::nth_element(v.begin(), mid, v.end());
    return *mid;
}

void BM_lockstep_2threads(benchmark::State& state) {
    constexpr int phases = 300;
    constexpr std::size_t phase_ops = 4096;
    padded_atomic shared;
    vitals::counter& c = *new vitals::counter(); // never freed: a thread may still be exiting
    lookup_fixture& f = shared_lookup();
    spin_barrier barrier;
    struct phase {
        double start, end; // ns since `epoch`
    };
    std::vector<phase> timing[3][2]; // [kind][thread], one per phase
    const auto epoch = std::chrono::steady_clock::now();
    const auto since_epoch = [&epoch] {
        return std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - epoch)
            .count();
    };

    const auto worker = [&](int t) {
        pin_to_cpu(static_cast<unsigned>(t));
        std::size_t li = static_cast<std::size_t>(t) * 128;
        for (int p = 0; p < phases; ++p) {
            for (int kind = 0; kind < 3; ++kind) {
                barrier.wait();
                const double t0 = since_epoch();
                if (kind == 0) {
                    for (std::size_t i = 0; i < phase_ops; ++i)
                        shared.value.fetch_add(1, std::memory_order_relaxed);
                } else if (kind == 1) {
                    for (std::size_t i = 0; i < phase_ops; ++i) c.inc();
                } else {
                    for (std::size_t i = 0; i < phase_ops; ++i) {
                        f.fam
                            .labels(f.methods[li & 3], f.endpoints[(li >> 2) & 15],
                                    f.statuses[(li >> 6) & 3])
                            .inc();
                        li = (li + 7) & 255;
                    }
                }
                timing[kind][t].push_back({t0, since_epoch()});
            }
        }
    };

    for (auto _ : state) {
        for (auto& kind : timing)
            for (auto& v : kind) v.clear();
        std::thread other(worker, 1);
        worker(0);
        other.join();
        unpin(); // this is the benchmark's main thread
    }
    std::size_t overlapping = 0;
    const auto med = [&](int kind) {
        std::vector<double> per_op;
        for (std::size_t p = 0; p < timing[kind][0].size(); ++p) {
            const phase a = timing[kind][0][p], b = timing[kind][1][p];
            const double overlap = std::min(a.end, b.end) - std::max(a.start, b.start);
            if (overlap < 0.8 * std::min(a.end - a.start, b.end - b.start)) continue;
            ++overlapping;
            per_op.push_back((a.end - a.start) / static_cast<double>(phase_ops));
            per_op.push_back((b.end - b.start) / static_cast<double>(phase_ops));
        }
        return median(per_op);
    };
    benchmark::DoNotOptimize(shared.value.load());
    state.counters["lockstep_atomic_ns"] = med(0);
    state.counters["lockstep_counter_ns"] = med(1);
    state.counters["lockstep_lookup_ns"] = med(2);
    state.counters["lockstep_overlap"] = static_cast<double>(overlapping) / (3.0 * phases);
}
BENCHMARK(BM_lockstep_2threads)->Iterations(1)->UseRealTime();

// ---------------------------------------------------------------------------------------------
// Serializer: N mixed series: half counters (3 labels), a quarter gauges, a quarter histograms
// (default buckets), in families of at most 100 series.

std::unique_ptr<vitals::registry> make_mixed_registry(std::size_t n) {
    auto reg = std::make_unique<vitals::registry>();
    std::mt19937_64 rng(7);
    std::uniform_int_distribution<std::uint64_t> count(0, 5000000);
    std::uniform_real_distribution<double> level(0.0, 1000.0);
    const std::vector<double> obs = log_uniform_values(64);
    const char* methods[] = {"GET", "POST", "PUT", "DELETE"};
    const char* statuses[] = {"200", "404", "500", "503"};
    constexpr std::size_t per_family = 100;

    const auto fill = [&](std::size_t total, auto&& make_family, auto&& add_series) {
        for (std::size_t done = 0, f = 0; done < total; ++f) {
            auto& fam = make_family(f);
            for (std::size_t k = 0; k < per_family && done < total; ++k, ++done) add_series(fam, k);
        }
    };
    const std::size_t counters = n / 2, gauges = n / 4, histograms = n - counters - gauges;
    fill(
        counters,
        [&](std::size_t f) -> vitals::counter_family& {
            return reg->counter("app_requests_" + std::to_string(f), "Requests handled.",
                                {"method", "endpoint", "status"});
        },
        [&](vitals::counter_family& fam, std::size_t k) {
            fam.labels(methods[k & 3], "/api/v1/resource_" + std::to_string(k >> 2),
                       statuses[(k >> 3) & 3])
                .inc_by(count(rng));
        });
    fill(
        gauges,
        [&](std::size_t f) -> vitals::gauge_family& {
            return reg->gauge("app_queue_depth_" + std::to_string(f), "Items queued.", {"queue"});
        },
        [&](vitals::gauge_family& fam, std::size_t k) {
            fam.labels("queue_" + std::to_string(k)).set(level(rng));
        });
    fill(
        histograms,
        [&](std::size_t f) -> vitals::histogram_family& {
            return reg->histogram("app_request_duration_seconds_" + std::to_string(f),
                                  "Request latency.",
                                  std::vector<std::string>{"method", "endpoint"});
        },
        [&](vitals::histogram_family& fam, std::size_t k) {
            auto& h = fam.labels(methods[k & 3], "/api/v1/resource_" + std::to_string(k >> 2));
            for (std::size_t j = 0; j < 1 + (k % 37); ++j) h.observe(obs[(k + j) & 63]);
        });
    return reg;
}

void BM_serialize_string(benchmark::State& state) {
    const auto reg = make_mixed_registry(static_cast<std::size_t>(state.range(0)));
    std::string out;
    vitals::write_text(*reg, out); // grow once; later scrapes reuse the capacity
    std::size_t bytes = 0;
    for (auto _ : state) {
        out.clear();
        vitals::write_text(*reg, out);
        bytes += out.size();
        benchmark::DoNotOptimize(out.data());
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
    state.counters["bytes"] = static_cast<double>(out.size());
}
BENCHMARK(BM_serialize_string)->Arg(100)->Arg(1000)->Arg(10000)->Unit(benchmark::kMicrosecond);

struct sink_state {
    std::size_t bytes = 0;
    unsigned char check = 0;
};

void count_sink(void* ctx, const char* data, std::size_t size) {
    auto* st = static_cast<sink_state*>(ctx);
    st->bytes += size;
    st->check = static_cast<unsigned char>(st->check ^ static_cast<unsigned char>(data[size - 1]));
}

void BM_serialize_sink(benchmark::State& state) {
    const auto reg = make_mixed_registry(static_cast<std::size_t>(state.range(0)));
    char buffer[4096];
    sink_state st;
    for (auto _ : state) vitals::write_text(*reg, count_sink, &st, buffer, sizeof buffer);
    benchmark::DoNotOptimize(st.check);
    state.SetBytesProcessed(static_cast<std::int64_t>(st.bytes));
}
BENCHMARK(BM_serialize_sink)->Arg(100)->Arg(1000)->Arg(10000)->Unit(benchmark::kMicrosecond);

} // namespace

BENCHMARK_MAIN();
