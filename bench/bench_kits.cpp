// bench/bench_kits.cpp - the cost of one tracked HTTP request (issue 4).
// SPDX-License-Identifier: MIT
//
// One tracked request = http_request_tracker construction (a clock read, in-flight + 1),
// set_status, set_request_size, set_response_size and destruction (a clock read, in-flight
// - 1, the request counter and three histogram observations). Measured with a cached
// endpoint handle, and with the (method, endpoint) lookup on every request, beside in-run
// baselines: a relaxed fetch_add on one std::atomic (the cheapest shared write) and the two
// steady_clock reads every tracked request needs. Targets on the reference machine: under
// 150 ns cached, under 300 ns with the lookup (the seed's Python decorator: ~1-2 ms).
#include <vitals/kits/http.hpp>
#include <vitals/registry.hpp>

#include <benchmark/benchmark.h>

#include <atomic>  // atomic
#include <chrono>  // steady_clock
#include <cstdint> // uint64_t
#include <string>  // string, to_string

namespace {

struct alignas(64) padded_atomic {
    std::atomic<std::uint64_t> value{0};
};
padded_atomic g_shared_atomic;

void BM_baseline_atomic(benchmark::State& state) {
    for (auto _ : state) g_shared_atomic.value.fetch_add(1, std::memory_order_relaxed);
    benchmark::DoNotOptimize(g_shared_atomic.value.load(std::memory_order_relaxed));
}
BENCHMARK(BM_baseline_atomic)->Threads(1)->Threads(2);

void BM_baseline_two_clock_reads(benchmark::State& state) {
    for (auto _ : state) {
        auto a = std::chrono::steady_clock::now();
        auto b = std::chrono::steady_clock::now();
        benchmark::DoNotOptimize(a);
        benchmark::DoNotOptimize(b);
    }
}
BENCHMARK(BM_baseline_two_clock_reads);

// One registry and kit shared by every case and thread, with 32 endpoints registered so the
// lookup searches a realistically filled table.
vitals::kits::http_metrics& kit() {
    static vitals::registry* reg = new vitals::registry();
    static vitals::kits::http_metrics* http = [] {
        auto* h = new vitals::kits::http_metrics(*reg, "bench");
        for (int i = 0; i < 32; ++i) (void)h->endpoint("GET", "/api/items/" + std::to_string(i));
        for (int code : {200, 404, 503}) (void)h->endpoint("GET", "/api/reports").requests(code);
        return h;
    }();
    return *http;
}

void BM_tracked_request_cached(benchmark::State& state) {
    vitals::kits::http_endpoint& ep = kit().endpoint("GET", "/api/reports");
    for (auto _ : state) {
        auto t = ep.track();
        t.set_status(200);
        t.set_request_size(512);
        t.set_response_size(4096);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_tracked_request_cached)->Threads(1)->Threads(2);

void BM_tracked_request_lookup(benchmark::State& state) {
    vitals::kits::http_metrics& http = kit();
    for (auto _ : state) {
        auto t = http.track("GET", "/api/reports");
        t.set_status(200);
        t.set_request_size(512);
        t.set_response_size(4096);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_tracked_request_lookup)->Threads(1)->Threads(2);

// The plain-function form with a duration measured elsewhere: no clock reads, no gauge.
void BM_record_cached(benchmark::State& state) {
    vitals::kits::http_endpoint& ep = kit().endpoint("GET", "/api/reports");
    for (auto _ : state) ep.record(200, 0.042, 512, 4096);
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_record_cached);

void BM_record_lookup(benchmark::State& state) {
    vitals::kits::http_metrics& http = kit();
    for (auto _ : state) http.record("GET", "/api/reports", 200, 0.042, 512, 4096);
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_record_lookup);

} // namespace

BENCHMARK_MAIN();
