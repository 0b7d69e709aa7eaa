// bench/bench_core.cpp - core hot paths and the serializer against in-run baselines (issue 2).
// SPDX-License-Identifier: MIT
//
// Every figure is meant to be read beside the baselines of the same run (the machine is shared
// and noisy): BM_baseline_atomic is a relaxed fetch_add on one shared std::atomic<uint64_t>,
// BM_baseline_plain a non-atomic increment. Two-thread figures come only from
// BM_lockstep_2threads (bench/lockstep.hpp), which drops phases the two threads did not run
// together: free-running Threads(2) cases on a loaded machine measure threads taking turns.
// bench/run_core.sh runs this with repetitions and prints the ratios.
#include <vitals/counter.hpp>
#include <vitals/gauge.hpp>
#include <vitals/histogram.hpp>
#include <vitals/registry.hpp>
#include <vitals/text_format.hpp>
#if __has_include(<vitals/exposition/openmetrics.hpp>)
#include <vitals/exposition/openmetrics.hpp>
#endif

#include <benchmark/benchmark.h>

#include "lockstep.hpp"

#include <algorithm>   // max, min, nth_element
#include <array>       // array
#include <atomic>      // atomic
#include <chrono>      // steady_clock
#include <cmath>       // pow
#include <cstddef>     // size_t
#include <cstdint>     // uint64_t
#include <cstring>     // memcpy
#include <memory>      // unique_ptr
#include <random>      // mt19937_64, uniform_real_distribution
#include <string>      // string, to_string
#include <string_view> // string_view, hash<string_view>
#include <thread>      // thread, this_thread::yield
#include <type_traits> // integral_constant
#include <vector>      // vector

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
BENCHMARK(BM_baseline_atomic)->Threads(1);

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
BENCHMARK(BM_counter_inc)->Threads(1);

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

// The part of observe() that no bucket search removes: each observation's sum is loaded,
// added to and stored back, so the next observation's add waits for that store (forwarded to
// its load) and the add before it. The same values added to one double kept in memory, as the
// bits of an atomic word (the cheaper of the two ways measured; a volatile double, loaded
// and stored through floating-point registers, took about a fifth longer here).
void BM_baseline_sum_in_memory(benchmark::State& state) {
    const std::vector<double> values = log_uniform_values(4096);
    auto cell = std::make_unique<std::atomic<std::uint64_t>>(0); // +0.0
    std::size_t i = 0;
    for (auto _ : state) {
        double sum;
        std::uint64_t bits = cell->load(std::memory_order_relaxed);
        std::memcpy(&sum, &bits, sizeof sum);
        sum += values[i];
        std::memcpy(&bits, &sum, sizeof bits);
        cell->store(bits, std::memory_order_relaxed);
        i = (i + 1) & 4095;
    }
    benchmark::DoNotOptimize(cell->load(std::memory_order_relaxed));
}
BENCHMARK(BM_baseline_sum_in_memory);

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

#ifdef VITALS_EXEMPLAR_HPP // builds without exemplars (older trees) skip these
// The same calls with an exemplar: a 32-hex-digit trace id, as a tracing system would give.
constexpr std::string_view bench_trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";

void BM_counter_inc_exemplar(benchmark::State& state) {
    vitals::counter& c = shared_counter();
    for (auto _ : state) c.inc(1.0, vitals::exemplar{"trace_id", bench_trace_id});
    benchmark::DoNotOptimize(c.whole_value());
}
BENCHMARK(BM_counter_inc_exemplar);

void BM_histogram_observe_exemplar(benchmark::State& state) {
    vitals::histogram h; // default buckets
    const std::vector<double> values = log_uniform_values(4096);
    std::size_t i = 0;
    for (auto _ : state) {
        h.observe(values[i], vitals::exemplar{"trace_id", bench_trace_id});
        i = (i + 1) & 4095;
    }
    benchmark::DoNotOptimize(h.count());
}
BENCHMARK(BM_histogram_observe_exemplar);
#endif

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
BENCHMARK(BM_labels_lookup_inc)->Threads(1);

// What any lookup by content pays before it touches a table: hashing the same three values.
// With vitals' keyed hash (the one the family uses), and with the standard library's
// std::hash<std::string_view>, combined as a std::unordered_map key would need.
// The keyed hash is called as a family of three label names calls it: the count known at
// compile time, each value's first 16 bytes kept for the key comparison.
void BM_baseline_hash_label_values(benchmark::State& state) {
    lookup_fixture& f = shared_lookup();
    const vitals::detail::label_hash_keys keys(vitals::detail::hash_secret());
    std::size_t i = 0;
    std::uint64_t acc = 0;
    for (auto _ : state) {
        const std::string_view vals[3] = {f.methods[i & 3], f.endpoints[(i >> 2) & 15],
                                          f.statuses[(i >> 6) & 3]};
        vitals::detail::head_words heads[3];
        acc += vitals::detail::hash_label_values_counted(
            vals, std::integral_constant<std::size_t, 3>(), keys, heads);
        benchmark::DoNotOptimize(heads);
        i = (i + 7) & 255;
    }
    benchmark::DoNotOptimize(acc);
}
BENCHMARK(BM_baseline_hash_label_values);

void BM_baseline_std_hash_three_values(benchmark::State& state) {
    lookup_fixture& f = shared_lookup();
    const std::hash<std::string_view> hash;
    std::size_t i = 0;
    std::size_t acc = 0;
    for (auto _ : state) {
        std::size_t h = hash(f.methods[i & 3]);
        h = h * 31 + hash(f.endpoints[(i >> 2) & 15]);
        h = h * 31 + hash(f.statuses[(i >> 6) & 3]);
        acc += h;
        i = (i + 7) & 255;
    }
    benchmark::DoNotOptimize(acc);
}
BENCHMARK(BM_baseline_std_hash_three_values);

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

overflow_fixture& shared_overflow() {
    static overflow_fixture* f = new overflow_fixture(); // shared by the threads of one run
    return *f;
}

void BM_labels_lookup_overflowed(benchmark::State& state) {
    overflow_fixture* f = &shared_overflow();
    std::size_t i = static_cast<std::size_t>(state.thread_index()) * 128;
    for (auto _ : state) {
        f->bounded.labels(f->methods[i & 3], f->endpoints[(i >> 2) & 15], f->statuses[(i >> 6) & 3])
            .inc();
        i = (i + 7) & 255;
    }
}
BENCHMARK(BM_labels_lookup_overflowed)->Threads(1)->Threads(2);

// ---------------------------------------------------------------------------------------------
// One thread against two threads in lockstep (bench/lockstep.hpp): the shared atomic, the
// counter, the labelled lookup and the histogram, each alone and with two threads on the same
// metric, interleaved so that all see the same conditions. Reported as counters: lockstep_X_1
// (ns per operation, one thread), lockstep_X_2 (wall ns per operation of the pair: phase wall
// time over both threads' operations), lockstep_X_2t (ns per operation and thread),
// lockstep_X_overlap (fraction of two-thread phases in which both threads ran throughout;
// below 0.2 the two-thread figures are not reported) and lockstep_X_cpu (CPU time of both
// threads over wall time in those phases: about 2 when they overlapped).

void BM_lockstep_2threads(benchmark::State& state) {
    padded_atomic shared;
    vitals::counter& c = *new vitals::counter();     // never freed: a thread may still exit
    vitals::histogram& h = *new vitals::histogram(); // default buckets
    lookup_fixture& f = shared_lookup();
    overflow_fixture& of = shared_overflow();
    const std::vector<double> values = log_uniform_values(4096);
    std::vector<lockstep::operation> kinds = {
        [&](int, std::size_t n) {
            for (std::size_t i = 0; i < n; ++i)
                shared.value.fetch_add(1, std::memory_order_relaxed);
        },
        [&](int, std::size_t n) {
            for (std::size_t i = 0; i < n; ++i) c.inc();
        },
        [&](int t, std::size_t n) {
            std::size_t li = static_cast<std::size_t>(t) * 128;
            for (std::size_t i = 0; i < n; ++i) {
                f.fam
                    .labels(f.methods[li & 3], f.endpoints[(li >> 2) & 15],
                            f.statuses[(li >> 6) & 3])
                    .inc();
                li = (li + 7) & 255;
            }
        },
        [&](int t, std::size_t n) {
            std::size_t vi = static_cast<std::size_t>(t) * 2048;
            for (std::size_t i = 0; i < n; ++i) {
                h.observe(values[vi]);
                vi = (vi + 1) & 4095;
            }
        },
        [&](int t, std::size_t n) { // the lookups alone: what the increments add to sharing
            std::size_t li = static_cast<std::size_t>(t) * 128;
            for (std::size_t i = 0; i < n; ++i) {
                vitals::counter& series = f.fam.labels(
                    f.methods[li & 3], f.endpoints[(li >> 2) & 15], f.statuses[(li >> 6) & 3]);
                benchmark::DoNotOptimize(&series);
                li = (li + 7) & 255;
            }
        },
        [&](int t, std::size_t n) { // every label set folded into the overflow series
            std::size_t li = static_cast<std::size_t>(t) * 128;
            for (std::size_t i = 0; i < n; ++i) {
                of.bounded
                    .labels(of.methods[li & 3], of.endpoints[(li >> 2) & 15],
                            of.statuses[(li >> 6) & 3])
                    .inc();
                li = (li + 7) & 255;
            }
        },
        lockstep::register_chain, // the host's own scaling (see lockstep.hpp)
        lockstep::private_increments,
    };
    std::vector<const char*> names = {"atomic",      "counter",    "lookup",  "observe",
                                      "lookup_only", "overflowed", "control", "control_memory"};
#ifdef VITALS_EXEMPLAR_HPP
    // Each observation with an exemplar, both threads in the same buckets.
    vitals::histogram& he = *new vitals::histogram(); // never freed, as h
    kinds.push_back([&](int t, std::size_t n) {
        std::size_t vi = static_cast<std::size_t>(t) * 2048;
        for (std::size_t i = 0; i < n; ++i) {
            he.observe(values[vi], vitals::exemplar{"trace_id", bench_trace_id});
            vi = (vi + 1) & 4095;
        }
    });
    names.push_back("observe_exemplar");
#endif
    std::vector<lockstep::result> r;
    for (auto _ : state) r = lockstep::measure(kinds, 200, 8192);
    benchmark::DoNotOptimize(shared.value.load());
    for (std::size_t k = 0; k < r.size(); ++k) {
        const std::string p = std::string("lockstep_") + names[k];
        state.counters[p + "_1"] = r[k].solo_ns;
        state.counters[p + "_overlap"] = r[k].overlap;
        state.counters[p + "_cpu"] = r[k].cpu_per_wall;
        if (!r[k].conclusive()) continue; // the threads did not run together: no figure
        state.counters[p + "_2"] = r[k].duo_ns;
        state.counters[p + "_2t"] = r[k].duo_thread_ns;
    }
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

// The README's default path: a new string per scrape (what to_text(reg) returns).
void BM_serialize_to_text(benchmark::State& state) {
    const auto reg = make_mixed_registry(static_cast<std::size_t>(state.range(0)));
    vitals::to_text(*reg); // a registry's first to_text() grows its string step by step
    std::size_t bytes = 0;
    for (auto _ : state) {
        const std::string out = vitals::to_text(*reg);
        bytes += out.size();
        benchmark::DoNotOptimize(out.data());
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}
BENCHMARK(BM_serialize_to_text)->Arg(10000)->Unit(benchmark::kMicrosecond);

// A service with two registries (its own and a library's, say) rendering both with to_text()
// in turn: each keeps the size of its own last exposition. Time per render.
void BM_serialize_to_text_two_registries(benchmark::State& state) {
    const auto first = make_mixed_registry(static_cast<std::size_t>(state.range(0)));
    const auto second = make_mixed_registry(static_cast<std::size_t>(state.range(0)));
    vitals::to_text(*first);
    vitals::to_text(*second);
    std::size_t bytes = 0;
    for (auto _ : state) {
        const std::string a = vitals::to_text(*first);
        const std::string b = vitals::to_text(*second);
        bytes += a.size() + b.size();
        benchmark::DoNotOptimize(a.data());
        benchmark::DoNotOptimize(b.data());
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * 2);
    state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}
BENCHMARK(BM_serialize_to_text_two_registries)->Arg(10000)->Unit(benchmark::kMicrosecond);

#ifdef VITALS_EXPOSITION_OPENMETRICS_HPP // builds without OpenMetrics (older trees) skip it
// OpenMetrics into a reused string: compare with BM_serialize_string (text 0.0.4).
void BM_serialize_openmetrics(benchmark::State& state) {
    const auto reg = make_mixed_registry(static_cast<std::size_t>(state.range(0)));
    std::string out;
    vitals::write_openmetrics(*reg, out);
    std::size_t bytes = 0;
    for (auto _ : state) {
        out.clear();
        vitals::write_openmetrics(*reg, out);
        bytes += out.size();
        benchmark::DoNotOptimize(out.data());
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
    state.counters["bytes"] = static_cast<double>(out.size());
}
BENCHMARK(BM_serialize_openmetrics)->Arg(10000)->Unit(benchmark::kMicrosecond);

// The OpenMetrics default path: a new string per scrape (what to_openmetrics(reg) returns).
void BM_serialize_to_openmetrics(benchmark::State& state) {
    const auto reg = make_mixed_registry(static_cast<std::size_t>(state.range(0)));
    vitals::to_openmetrics(*reg);
    std::size_t bytes = 0;
    for (auto _ : state) {
        const std::string out = vitals::to_openmetrics(*reg);
        bytes += out.size();
        benchmark::DoNotOptimize(out.data());
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}
BENCHMARK(BM_serialize_to_openmetrics)->Arg(10000)->Unit(benchmark::kMicrosecond);

// The two formats' renders alternated in one loop, each timed on its own, so that both see
// the same machine: the separate rows above run seconds apart, and this VM's render times
// moved by up to 1.8x between runs. Counters: each render's mean time (ms) and the
// OpenMetrics render's speed as a fraction of the 0.0.4 one's.
void BM_serialize_formats_paired(benchmark::State& state) {
    const auto reg = make_mixed_registry(static_cast<std::size_t>(state.range(0)));
    std::string text, om;
    vitals::write_text(*reg, text);
    vitals::write_openmetrics(*reg, om);
    using clock = std::chrono::steady_clock;
    clock::duration text_time{}, om_time{};
    std::int64_t renders = 0;
    for (auto _ : state) {
        const auto t0 = clock::now();
        text.clear();
        vitals::write_text(*reg, text);
        const auto t1 = clock::now();
        om.clear();
        vitals::write_openmetrics(*reg, om);
        const auto t2 = clock::now();
        text_time += t1 - t0;
        om_time += t2 - t1;
        ++renders;
        benchmark::DoNotOptimize(text.data());
        benchmark::DoNotOptimize(om.data());
    }
    const auto ms = [&](clock::duration d) {
        return std::chrono::duration<double, std::milli>(d).count() / static_cast<double>(renders);
    };
    state.counters["text_ms"] = ms(text_time);
    state.counters["openmetrics_ms"] = ms(om_time);
    state.counters["openmetrics_speed"] = ms(text_time) / ms(om_time);
}
BENCHMARK(BM_serialize_formats_paired)->Arg(10000)->Unit(benchmark::kMicrosecond);
#endif

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

// A collector writing many families, or one family of many samples, in a scrape: each
// family's sample names and each sample's label set are checked against those written before
// (repeats dropped), so the time per family or sample should not grow with their number.
// Families: 1,000 and 64,000; samples: 1,000 and 8,000 (below the default max_series); the
// report gives the ratio of their times per item. Compiles with the headers of earlier
// revisions too, to compare with them.
void scrape_items(benchmark::State& state, const vitals::registry& reg, std::size_t items) {
    sink_state st;
    char buffer[4096];
    for (auto _ : state) vitals::write_text(reg, count_sink, &st, buffer, sizeof buffer);
    benchmark::DoNotOptimize(st.check);
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) *
                            static_cast<std::int64_t>(items));
}

void BM_collector_families(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    std::vector<std::string> names(n);
    for (std::size_t i = 0; i < n; ++i) names[i] = "computed_value_" + std::to_string(i);
    vitals::registry reg;
    reg.add_collector([&names](vitals::collector_output& out) {
        for (std::size_t i = 0; i < names.size(); ++i)
            out.gauge(names[i], "A computed value.", static_cast<double>(i));
    });
    scrape_items(state, reg, n);
}
BENCHMARK(BM_collector_families)->Arg(1000)->Arg(64000)->Unit(benchmark::kMicrosecond);

void BM_collector_samples(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    std::vector<std::string> values(n);
    for (std::size_t i = 0; i < n; ++i) values[i] = "client-" + std::to_string(i);
    vitals::registry reg;
    reg.add_collector([&values](vitals::collector_output& out) {
        out.family("computed_per_client", "One per client.", vitals::metric_type::gauge);
        for (std::size_t i = 0; i < values.size(); ++i)
            out.sample(static_cast<double>(i), {{"client", values[i]}});
    });
    scrape_items(state, reg, n);
}
BENCHMARK(BM_collector_samples)->Arg(1000)->Arg(8000)->Unit(benchmark::kMicrosecond);

// Registering many families: each registration checks and takes its sample names among those
// of every family before it, so the time per family should not grow with their number. A fresh
// registry per iteration; counters in an order that is not their names' order.
void BM_register_families(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    std::vector<std::string> names(n);
    for (std::size_t i = 0; i < n; ++i) names[i] = "registered_" + std::to_string(i * 7919 % n);
    for (auto _ : state) {
        vitals::registry reg;
        for (const std::string& name : names) reg.counter(name, "A counter.").inc();
        benchmark::DoNotOptimize(reg.family_count());
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) *
                            static_cast<std::int64_t>(n));
}
BENCHMARK(BM_register_families)->Arg(1000)->Arg(16000)->Unit(benchmark::kMillisecond);

} // namespace

BENCHMARK_MAIN();
