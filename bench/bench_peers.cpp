// bench/bench_peers.cpp - the core cases of bench_core.cpp written against prometheus-cpp.
// SPDX-License-Identifier: MIT
//
// Built by bench/run_core.sh only when prometheus-cpp is installed (Debian
// prometheus-cpp-dev); vitals never depends on it. Same cases, names and baselines as
// bench_core.cpp, so the two binaries' figures sit side by side in one table: a relaxed
// fetch_add (the in-run baseline), Counter::Increment, Gauge::Set, Histogram::Observe with the
// same 10 bounds and values, one and two threads in lockstep (bench/lockstep.hpp), a labelled
// lookup (Family::Add with 3 labels, 256 existing series) then Increment, and serializing the
// same 10,000-series mix (TextSerializer over Registry::Collect()).
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <benchmark/benchmark.h>

#include "lockstep.hpp"

#include <array>   // array
#include <atomic>  // atomic
#include <cmath>   // pow
#include <cstddef> // size_t
#include <cstdint> // uint64_t
#include <memory>  // make_shared, shared_ptr
#include <random>  // mt19937_64, uniform_real_distribution
#include <sstream> // ostringstream
#include <string>  // string, to_string
#include <vector>  // vector

namespace {

struct alignas(64) padded_atomic {
    std::atomic<std::uint64_t> value{0};
};
padded_atomic g_shared_atomic;

void BM_baseline_atomic(benchmark::State& state) {
    for (auto _ : state) g_shared_atomic.value.fetch_add(1, std::memory_order_relaxed);
    benchmark::DoNotOptimize(g_shared_atomic.value.load(std::memory_order_relaxed));
}
BENCHMARK(BM_baseline_atomic)->Threads(1);

const std::vector<double> default_bounds = {0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0};

std::vector<double> log_uniform_values(std::size_t n) {
    std::mt19937_64 rng(42);
    std::uniform_real_distribution<double> exponent(-2.3, 1.3);
    std::vector<double> out(n);
    for (double& v : out) v = std::pow(10.0, exponent(rng));
    return out;
}

struct fixture {
    prometheus::Registry reg;
    prometheus::Counter& counter;
    prometheus::Gauge& gauge;
    prometheus::Histogram& histogram;
    prometheus::Family<prometheus::Counter>& labelled;
    std::array<std::string, 4> methods = {"GET", "POST", "PUT", "DELETE"};
    std::vector<std::string> endpoints;
    std::array<std::string, 4> statuses = {"200", "404", "500", "503"};

    fixture()
        : counter(prometheus::BuildCounter().Name("hits").Help("Hits.").Register(reg).Add({})),
          gauge(prometheus::BuildGauge().Name("level").Help("Level.").Register(reg).Add({})),
          histogram(prometheus::BuildHistogram()
                        .Name("latency_seconds")
                        .Help("Latency.")
                        .Register(reg)
                        .Add({}, default_bounds)),
          labelled(
              prometheus::BuildCounter().Name("http_requests").Help("Requests.").Register(reg)) {
        for (int i = 0; i < 16; ++i) endpoints.push_back("/api/v1/resource_" + std::to_string(i));
        for (const auto& m : methods)
            for (const auto& e : endpoints)
                for (const auto& s : statuses)
                    labelled.Add({{"method", m}, {"endpoint", e}, {"status", s}});
    }
};

fixture& shared() {
    static fixture* f = new fixture();
    return *f;
}

void BM_counter_inc(benchmark::State& state) {
    prometheus::Counter& c = shared().counter;
    for (auto _ : state) c.Increment();
    benchmark::DoNotOptimize(c.Value());
}
BENCHMARK(BM_counter_inc)->Threads(1);

void BM_gauge_set(benchmark::State& state) {
    prometheus::Gauge& g = shared().gauge;
    double v = 0.0;
    for (auto _ : state) {
        g.Set(v);
        v += 1.0;
    }
    benchmark::DoNotOptimize(g.Value());
}
BENCHMARK(BM_gauge_set);

void BM_histogram_observe(benchmark::State& state) {
    prometheus::Histogram& h = shared().histogram;
    const std::vector<double> values = log_uniform_values(4096);
    std::size_t i = 0;
    for (auto _ : state) {
        h.Observe(values[i]);
        i = (i + 1) & 4095;
    }
}
BENCHMARK(BM_histogram_observe);

void BM_labels_lookup_inc(benchmark::State& state) {
    fixture& f = shared();
    std::size_t i = 0;
    for (auto _ : state) {
        f.labelled
            .Add({{"method", f.methods[i & 3]},
                  {"endpoint", f.endpoints[(i >> 2) & 15]},
                  {"status", f.statuses[(i >> 6) & 3]}})
            .Increment();
        i = (i + 7) & 255;
    }
}
BENCHMARK(BM_labels_lookup_inc)->Threads(1);

void BM_lockstep_2threads(benchmark::State& state) {
    padded_atomic atomic;
    fixture& f = shared();
    const std::vector<double> values = log_uniform_values(4096);
    const std::vector<lockstep::operation> kinds = {
        [&](int, std::size_t n) {
            for (std::size_t i = 0; i < n; ++i)
                atomic.value.fetch_add(1, std::memory_order_relaxed);
        },
        [&](int, std::size_t n) {
            for (std::size_t i = 0; i < n; ++i) f.counter.Increment();
        },
        [&](int t, std::size_t n) {
            std::size_t vi = static_cast<std::size_t>(t) * 2048;
            for (std::size_t i = 0; i < n; ++i) {
                f.histogram.Observe(values[vi]);
                vi = (vi + 1) & 4095;
            }
        },
        lockstep::register_chain, // the host's own scaling (see lockstep.hpp)
        lockstep::private_increments,
    };
    std::vector<lockstep::result> r;
    for (auto _ : state) r = lockstep::measure(kinds, 200, 8192);
    const char* names[] = {"atomic", "counter", "observe", "control", "control_memory"};
    for (std::size_t k = 0; k < r.size(); ++k) {
        const std::string p = std::string("lockstep_") + names[k];
        state.counters[p + "_1"] = r[k].solo_ns;
        state.counters[p + "_overlap"] = r[k].overlap;
        state.counters[p + "_cpu"] = r[k].cpu_per_wall;
        if (!r[k].conclusive()) continue;
        state.counters[p + "_2"] = r[k].duo_ns;
    }
}
BENCHMARK(BM_lockstep_2threads)->Iterations(1)->UseRealTime();

// The 10,000-series mix of bench_core.cpp: half counters (3 labels), a quarter gauges, a
// quarter histograms (default buckets), families of at most 100 series.
std::shared_ptr<prometheus::Registry> make_mixed_registry(std::size_t n) {
    auto reg = std::make_shared<prometheus::Registry>();
    std::mt19937_64 rng(7);
    std::uniform_int_distribution<std::uint64_t> count(0, 5000000);
    std::uniform_real_distribution<double> level(0.0, 1000.0);
    const std::vector<double> obs = log_uniform_values(64);
    const char* methods[] = {"GET", "POST", "PUT", "DELETE"};
    const char* statuses[] = {"200", "404", "500", "503"};
    constexpr std::size_t per_family = 100;
    const std::size_t counters = n / 2, gauges = n / 4, histograms = n - counters - gauges;
    for (std::size_t done = 0, f = 0; done < counters; ++f) {
        auto& fam = prometheus::BuildCounter()
                        .Name("app_requests_" + std::to_string(f) + "_total")
                        .Help("Requests handled.")
                        .Register(*reg);
        for (std::size_t k = 0; k < per_family && done < counters; ++k, ++done)
            fam.Add({{"method", methods[k & 3]},
                     {"endpoint", "/api/v1/resource_" + std::to_string(k >> 2)},
                     {"status", statuses[(k >> 3) & 3]}})
                .Increment(static_cast<double>(count(rng)));
    }
    for (std::size_t done = 0, f = 0; done < gauges; ++f) {
        auto& fam = prometheus::BuildGauge()
                        .Name("app_queue_depth_" + std::to_string(f))
                        .Help("Items queued.")
                        .Register(*reg);
        for (std::size_t k = 0; k < per_family && done < gauges; ++k, ++done)
            fam.Add({{"queue", "queue_" + std::to_string(k)}}).Set(level(rng));
    }
    for (std::size_t done = 0, f = 0; done < histograms; ++f) {
        auto& fam = prometheus::BuildHistogram()
                        .Name("app_request_duration_seconds_" + std::to_string(f))
                        .Help("Request latency.")
                        .Register(*reg);
        for (std::size_t k = 0; k < per_family && done < histograms; ++k, ++done) {
            auto& h = fam.Add({{"method", methods[k & 3]},
                               {"endpoint", "/api/v1/resource_" + std::to_string(k >> 2)}},
                              default_bounds);
            for (std::size_t j = 0; j < 1 + (k % 37); ++j) h.Observe(obs[(k + j) & 63]);
        }
    }
    return reg;
}

void BM_serialize_string(benchmark::State& state) {
    const auto reg = make_mixed_registry(static_cast<std::size_t>(state.range(0)));
    const prometheus::TextSerializer serializer;
    std::size_t bytes = 0;
    for (auto _ : state) {
        std::ostringstream out;
        serializer.Serialize(out, reg->Collect());
        bytes += static_cast<std::size_t>(out.tellp());
        benchmark::DoNotOptimize(out);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}
BENCHMARK(BM_serialize_string)->Arg(10000)->Unit(benchmark::kMicrosecond);

} // namespace

BENCHMARK_MAIN();
