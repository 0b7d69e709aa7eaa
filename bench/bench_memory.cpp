// bench/bench_memory.cpp - heap bytes per series (counter, gauge, histogram families).
// SPDX-License-Identifier: MIT
//
// Not a timing benchmark: each case creates 1,000 series with three labels in a fresh
// registry and reports, as counters, the heap bytes still allocated per series afterwards
// (global operator new/delete are replaced in this program to keep a running total) and the
// size of the metric object itself; and the exemplar storage of a histogram written by 1, 2
// and one more thread than there are thread slots. Build it with -DVITALS_COMPACT=1 for the compact
// figures; bench/run_core.sh does both.
#include <vitals/counter.hpp>
#include <vitals/gauge.hpp>
#include <vitals/histogram.hpp>
#include <vitals/registry.hpp>

#include <benchmark/benchmark.h>

#include <atomic>  // atomic
#include <cstddef> // size_t, max_align_t
#include <cstdlib> // free, aligned_alloc, abort
#include <new>     // align_val_t, bad_alloc
#include <string>  // string, to_string
#include <thread>  // thread
#include <vector>  // vector

namespace {

std::atomic<long long> g_live_bytes{0};

// Every block starts with a header of `align` bytes (at least max_align_t) whose last two
// words hold the block's size and alignment, so delete can subtract the size without relying
// on sized deallocation.
void* counted_alloc(std::size_t size, std::size_t align) {
    if (align < alignof(std::max_align_t)) align = alignof(std::max_align_t);
    const std::size_t total = (size + align + align - 1) / align * align;
    void* raw = std::aligned_alloc(align, total);
    if (!raw) return nullptr;
    void* p = static_cast<char*>(raw) + align;
    static_cast<std::size_t*>(p)[-2] = size;
    static_cast<std::size_t*>(p)[-1] = align;
    g_live_bytes.fetch_add(static_cast<long long>(size), std::memory_order_relaxed);
    return p;
}

void counted_free(void* p) noexcept {
    if (!p) return;
    const std::size_t size = static_cast<std::size_t*>(p)[-2];
    const std::size_t align = static_cast<std::size_t*>(p)[-1];
    g_live_bytes.fetch_sub(static_cast<long long>(size), std::memory_order_relaxed);
    std::free(static_cast<char*>(p) - align);
}

void* checked(void* p) {
    if (!p) {
#if VITALS_HAS_EXCEPTIONS()
        throw std::bad_alloc();
#else
        std::abort();
#endif
    }
    return p;
}

} // namespace

void* operator new(std::size_t size) { return checked(counted_alloc(size, 0)); }
void* operator new[](std::size_t size) { return operator new(size); }
void* operator new(std::size_t size, std::align_val_t align) {
    return checked(counted_alloc(size, static_cast<std::size_t>(align)));
}
void* operator new[](std::size_t size, std::align_val_t align) { return operator new(size, align); }
void operator delete(void* p) noexcept { counted_free(p); }
void operator delete[](void* p) noexcept { counted_free(p); }
void operator delete(void* p, std::size_t) noexcept { counted_free(p); }
void operator delete[](void* p, std::size_t) noexcept { counted_free(p); }
void operator delete(void* p, std::align_val_t) noexcept { counted_free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { counted_free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { counted_free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { counted_free(p); }

namespace {

constexpr std::size_t series_count = 1000;

// Label values as a service would have them: a short method, a path longer than the
// small-string buffer, a status code.
template <class Family>
void add_series(Family& fam) {
    const char* methods[] = {"GET", "POST", "PUT", "DELETE"};
    const char* statuses[] = {"200", "404", "500", "503"};
    for (std::size_t k = 0; k < series_count; ++k)
        fam.labels(methods[k & 3], "/api/v1/resource_" + std::to_string(k >> 2),
                   statuses[(k >> 3) & 3]);
}

template <class Make>
void measure(benchmark::State& state, std::size_t object_size, Make make) {
    double per_series = 0;
    for (auto _ : state) {
        vitals::registry reg;
        auto& fam = make(reg);
        const long long before = g_live_bytes.load();
        add_series(fam);
        per_series =
            static_cast<double>(g_live_bytes.load() - before) / static_cast<double>(series_count);
    }
    state.counters["heap_bytes_per_series"] = per_series;
    state.counters["sizeof_metric"] = static_cast<double>(object_size);
    state.counters["stripes"] = VITALS_COUNTER_STRIPES;
}

void BM_memory_counter_series(benchmark::State& state) {
    measure(
        state, sizeof(vitals::counter), [](vitals::registry & reg) -> auto& {
            return reg.counter("requests", "Requests.", {"method", "endpoint", "status"});
        });
}
BENCHMARK(BM_memory_counter_series)->Iterations(1);

void BM_memory_gauge_series(benchmark::State& state) {
    measure(
        state, sizeof(vitals::gauge), [](vitals::registry & reg) -> auto& {
            return reg.gauge("in_flight", "In flight.", {"method", "endpoint", "status"});
        });
}
BENCHMARK(BM_memory_gauge_series)->Iterations(1);

void BM_memory_histogram_series(benchmark::State& state) {
    measure(
        state, sizeof(vitals::histogram), [](vitals::registry & reg) -> auto& {
            return reg.histogram("latency_seconds", "Latency.",
                                 std::vector<std::string>{"method", "endpoint", "status"});
        });
}
BENCHMARK(BM_memory_histogram_series)->Iterations(1);

// Exemplar storage: a trace-id exemplar in each of the 11 buckets of 200 histograms, recorded
// by state.range(0) threads in turn, each thread alive until all have recorded (so each holds
// its thread slot, or shares cells once the slots are taken). Bytes per histogram.
void BM_memory_histogram_exemplars(benchmark::State& state) {
    const int threads = static_cast<int>(state.range(0));
    const double values[] = {0.005, 0.02, 0.04, 0.08, 0.2, 0.4, 0.8, 2.0, 4.0, 8.0, 20.0};
    double per_histogram = 0;
    for (auto _ : state) {
        std::vector<vitals::histogram> hs(200); // default buckets
        const long long before = g_live_bytes.load();
        std::atomic<int> done{0};
        std::vector<std::thread> pool;
        for (int t = 0; t < threads; ++t)
            pool.emplace_back([&] {
                for (auto& h : hs)
                    for (const double v : values)
                        h.observe(v,
                                  vitals::exemplar{"trace_id", "4bf92f3577b34da6a3ce929d0e0e4736"});
                done.fetch_add(1);
                while (done.load() < threads) std::this_thread::yield();
            });
        for (auto& t : pool) t.join();
        per_histogram = static_cast<double>(g_live_bytes.load() - before) / 200.0;
    }
    state.counters["exemplar_bytes_per_histogram"] = per_histogram;
}
BENCHMARK(BM_memory_histogram_exemplars)
    ->Arg(1)
    ->Arg(2)
    ->Arg(VITALS_COUNTER_STRIPES + 1)
    ->Iterations(1);

} // namespace

BENCHMARK_MAIN();
