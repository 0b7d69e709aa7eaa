// tests/unit/concurrency.cpp - writers, lookups, removals and scrapes at the same time: every
// scrape must be a valid exposition (cumulative buckets, +Inf == _count, counters never
// decrease) and the final totals exact. Run under ThreadSanitizer in CI.
// SPDX-License-Identifier: MIT
#include <vitals/vitals.hpp>

#include <doctest/doctest.h>

#include "test_support.hpp"

#include <atomic>  // atomic
#include <cstddef> // size_t
#include <cstdint> // uint64_t
#include <cstdio>  // snprintf
#include <map>     // map
#include <set>     // set
#include <string>  // string
#include <thread>  // thread
#include <vector>  // vector

#if defined(__GLIBC__)
#include <malloc.h>  // mallinfo2
#include <pthread.h> // pthread_key_create, pthread_setspecific
#endif

namespace {

// A series identity: sample name plus every label except `le`, in written order.
std::string series_key(const vitals_test::sample& s, std::string name) {
    std::string key = std::move(name);
    for (const auto& l : s.labels) {
        if (l.first == "le") continue;
        key += '|';
        key += l.first;
        key += '=';
        key += l.second;
    }
    return key;
}

bool ends_with(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() &&
           s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// What one scrape must satisfy on its own, and against the previous scrape.
class scrape_checker {
public:
    // Checks `text`; returns an empty string or the first problem found.
    std::string check(const std::string& text) {
        vitals_test::exposition ex;
        std::string problem = vitals_test::parse_exposition(text, ex);
        if (!problem.empty()) return problem;

        std::map<std::string, double> monotonic; // counters, buckets and counts
        std::set<std::string> seen;              // no series written twice
        std::map<std::string, double> last_bucket, inf_bucket, count;
        for (const auto& s : ex.samples) {
            std::string family = s.name;
            std::string suffix;
            for (const char* sfx : {"_bucket", "_sum", "_count"}) {
                const std::string base = s.name.substr(0, s.name.size() - std::string(sfx).size());
                if (ends_with(s.name, sfx) && ex.types.count(base) &&
                    ex.types.at(base) == "histogram") {
                    family = base;
                    suffix = sfx;
                }
            }
            if (!ex.types.count(family)) return "sample without TYPE: " + s.name;
            const std::string type = ex.types.at(family);
            const std::string key = series_key(s, family);
            const std::string full_key = series_key(s, s.name) + "|le=" + s.label("le");
            if (!seen.insert(full_key).second) return "series written twice: " + full_key;
            if (type == "counter") {
                if (!(s.value >= 0)) return "negative or NaN counter: " + full_key;
                monotonic[full_key] = s.value;
            } else if (type == "histogram" && suffix == "_bucket") {
                if (last_bucket.count(key) && s.value < last_bucket[key])
                    return "bucket not cumulative: " + full_key;
                last_bucket[key] = s.value;
                if (s.label("le") == "+Inf") inf_bucket[key] = s.value;
                monotonic[full_key] = s.value;
            } else if (type == "histogram" && suffix == "_count") {
                count[key] = s.value;
                monotonic[full_key] = s.value;
            }
        }
        for (const auto& c : count) {
            if (!inf_bucket.count(c.first)) return "no +Inf bucket for " + c.first;
            if (inf_bucket[c.first] != c.second)
                return "+Inf bucket " + std::to_string(inf_bucket[c.first]) + " != _count " +
                       std::to_string(c.second) + " for " + c.first;
        }
        if (check_monotonic_) {
            for (const auto& m : monotonic) {
                const auto prev = previous_.find(m.first);
                if (prev != previous_.end() && m.second < prev->second)
                    return "went down between scrapes: " + m.first + " " +
                           std::to_string(prev->second) + " -> " + std::to_string(m.second);
            }
        }
        previous_ = std::move(monotonic);
        ++scrapes_;
        return std::string();
    }

    // Series that are removed and re-added restart at zero: then only per-scrape checks apply.
    void check_monotonic(bool on) { check_monotonic_ = on; }
    int scrapes() const { return scrapes_; }

private:
    std::map<std::string, double> previous_;
    bool check_monotonic_ = true;
    int scrapes_ = 0;
};

// Renders `reg` into `text` (cleared first): into the string when `i` is even, else through a
// sink with a 97-byte buffer, whose many calls each let the family being written go.
void render_either_way(const vitals::registry& reg, int i, std::string& text) {
    text.clear();
    if (i % 2 == 0) {
        vitals::write_text(reg, text);
        return;
    }
    char buffer[97];
    vitals::write_text(
        reg,
        [](void* ctx, const char* data, std::size_t size) {
            static_cast<std::string*>(ctx)->append(data, size);
        },
        &text, buffer, sizeof buffer);
}

// Scrapes `reg` in a loop until `stop`, alternating the string and sink entry points.
// Records the first problem; returns the number of scrapes through `scrapes`.
void scrape_loop(const vitals::registry& reg, const std::atomic<bool>& stop, bool monotonic,
                 std::string& problem, int& scrapes) {
    scrape_checker checker;
    checker.check_monotonic(monotonic);
    std::string text;
    for (int i = 0; problem.empty(); ++i) {
        const bool last = stop.load(); // one more scrape after the writers finished
        render_either_way(reg, i, text);
        problem = checker.check(text);
        if (last) break;
    }
    scrapes = checker.scrapes();
}

// What a scrape of a bounded counter family shows: its series, their sum, the overflow
// series' value and the overflow count vitals_series_overflow_total gives for the family
// (-1 for those absent), and whether every `id` value is at most `max_value` bytes.
struct bounded_tally {
    int series = 0;
    double sum = 0, overflow_series = -1, overflow_counted = -1;
    bool values_within = true;
    bounded_tally(const vitals::registry& reg, const std::string& family, std::size_t max_value) {
        vitals_test::exposition ex;
        REQUIRE(vitals_test::parse_exposition(vitals::to_text(reg), ex).empty());
        for (const auto& s : ex.samples) {
            if (s.name == family) {
                ++series;
                sum += s.value;
                values_within = values_within && s.label("id").size() <= max_value;
                if (s.label("id") == "__overflow__") overflow_series = s.value;
            } else if (s.name == "vitals_series_overflow_total" && s.label("family") == family) {
                overflow_counted = s.value;
            }
        }
    }
};

constexpr int writer_threads = 4;
constexpr int writer_iterations = 50000;

} // namespace

TEST_CASE("concurrency: counters and histograms stay consistent while being scraped") {
    vitals::registry reg;
    auto& hits = reg.counter("hits", "inc() from every thread.");
    auto& mixed = reg.counter("mixed", "Whole and fractional increments.");
    auto& per_thread = reg.counter("per_thread", "One series per thread.", {"thread"});
    auto& lat = reg.histogram("latency_seconds", "Observed from every thread.", {0.1, 1, 10});
    auto& sizes = reg.histogram("sizes", "Labelled histogram.", {"kind"}, {1, 100});
    auto& level = reg.gauge("level", "Up and down.");

    std::atomic<bool> stop{false};
    std::string problem;
    int scrapes = 0;
    std::thread scraper(scrape_loop, std::cref(reg), std::cref(stop), true, std::ref(problem),
                        std::ref(scrapes));
    std::vector<std::thread> threads;
    for (int t = 0; t < writer_threads; ++t) {
        threads.emplace_back([&, t] {
            auto& mine = per_thread.labels(std::to_string(t));
            auto& small = sizes.labels("small");
            auto& large = sizes.labels("large");
            for (int i = 0; i < writer_iterations; ++i) {
                hits.inc();
                mixed.inc(1.0);
                mixed.inc(0.5);
                mixed.inc(0.25);
                mine.inc();
                // Dyadic values, so the sums are exact.
                lat.observe((i % 4 == 0) ? 0.0625 : (i % 4 == 1) ? 0.5 : (i % 4 == 2) ? 2 : 20);
                small.observe(0.5);
                large.observe(1000);
                level.inc();
                level.dec();
            }
        });
    }
    for (auto& th : threads) th.join();
    stop = true;
    scraper.join();
    CHECK_MESSAGE(problem.empty(), problem);
    CHECK(scrapes >= 2);
    MESSAGE("scrapes checked while writing: " << scrapes);

    const double total = static_cast<double>(writer_threads) * writer_iterations;
    CHECK(hits.value() == total);
    CHECK(hits.is_whole());
    CHECK(mixed.value() == total * 1.75);
    CHECK(lat.count() == static_cast<std::uint64_t>(total));
    CHECK(lat.sum() == total / 4 * (0.0625 + 0.5 + 2 + 20));
    for (std::size_t b = 0; b < 4; ++b)
        CHECK(lat.bucket_count(b) == writer_iterations * writer_threads / 4);
    CHECK(level.value() == 0.0);

    const std::string text = vitals::to_text(reg);
    const std::string n = std::to_string(writer_threads * writer_iterations);
    CHECK(text.find("\nhits_total " + n + "\n") != std::string::npos);
    CHECK(text.find("\nmixed_total " + std::to_string(writer_threads * writer_iterations * 7 / 4) +
                    "\n") != std::string::npos);
    for (int t = 0; t < writer_threads; ++t)
        CHECK(text.find("per_thread_total{thread=\"" + std::to_string(t) + "\"} " +
                        std::to_string(writer_iterations) + "\n") != std::string::npos);
    CHECK(text.find("latency_seconds_bucket{le=\"+Inf\"} " + n + "\n") != std::string::npos);
    CHECK(text.find("latency_seconds_count " + n + "\n") != std::string::npos);
    CHECK(text.find("sizes_bucket{kind=\"large\",le=\"100\"} 0\n") != std::string::npos);
    CHECK(text.find("sizes_count{kind=\"small\"} " + n + "\n") != std::string::npos);
    CHECK(text.find("sizes_sum{kind=\"large\"} " +
                    std::to_string(writer_threads * writer_iterations * 1000) + "\n") !=
          std::string::npos);
}

TEST_CASE("concurrency: many short-lived threads, exiting while scrapes run, lose nothing") {
    // Each thread owns a counter and histogram cell while it lives (or writes the shared cells
    // when all are taken) and gives its slot back when it exits; what it wrote stays in the
    // totals, and the next thread to take the slot adds to it.
    vitals::registry reg;
    auto& hits = reg.counter("hits", "From short-lived threads.");
    auto& by_wave = reg.counter("by_wave", "Labelled, looked up by each thread.", {"wave"});
    auto& lat = reg.histogram("latency_seconds", "From short-lived threads.", {0.5, 4});

    std::atomic<bool> stop{false};
    std::string problem;
    int scrapes = 0;
    std::thread scraper(scrape_loop, std::cref(reg), std::cref(stop), true, std::ref(problem),
                        std::ref(scrapes));
    constexpr int waves = 25;
    constexpr int per_wave = 8; // more than VITALS_COUNTER_STRIPES: some threads share cells
    constexpr int ops = 300;
    for (int w = 0; w < waves; ++w) {
        std::vector<std::thread> threads;
        for (int t = 0; t < per_wave; ++t)
            threads.emplace_back([&, w, t] {
                auto& mine = by_wave.labels(std::to_string(w % 5));
                for (int i = 0; i < ops; ++i) {
                    hits.inc();
                    mine.inc_by(2);
                    lat.observe(t % 2 == 0 ? 0.25 : 8.0); // dyadic: exact sums
                }
            });
        // They exit while the scraper keeps scraping.
        for (auto& th : threads) th.join();
    }
    stop = true;
    scraper.join();
    CHECK_MESSAGE(problem.empty(), problem);
    CHECK(scrapes >= 2);

    const std::uint64_t total = std::uint64_t{waves} * per_wave * ops;
    CHECK(hits.whole_value() == total);
    std::uint64_t labelled = 0;
    for (int w = 0; w < 5; ++w) labelled += by_wave.labels(std::to_string(w)).whole_value();
    CHECK(labelled == 2 * total);
    CHECK(lat.count() == total);
    CHECK(lat.bucket_count(0) == total / 2);
    CHECK(lat.bucket_count(2) == total / 2);
    CHECK(lat.sum() == static_cast<double>(total / 2) * (0.25 + 8.0));
    const std::string text = vitals::to_text(reg);
    CHECK(text.find("\nhits_total " + std::to_string(total) + "\n") != std::string::npos);
    CHECK(text.find("latency_seconds_count " + std::to_string(total) + "\n") != std::string::npos);

#if VITALS_COUNTER_STRIPES > 1
    // Every exited thread gave its slot back: a new thread owns one (it does not fall back to
    // the shared cells), also after hundreds of threads came and went.
    unsigned state = 0;
    std::thread probe([&] {
        hits.inc();
        state = vitals::detail::thread_state();
    });
    probe.join();
    CHECK(state >= 1u);
    CHECK(state <= vitals::detail::slot_count);
#endif
}

#if VITALS_COUNTER_STRIPES > 1 && !VITALS_DETAIL_SLOT_PTHREAD_KEY
namespace {
// A thread_local whose destructor increments a counter.
struct increment_at_thread_exit {
    vitals::counter* target = nullptr;
    unsigned* state_then = nullptr;
    increment_at_thread_exit() = default;
    increment_at_thread_exit(const increment_at_thread_exit&) = delete;
    increment_at_thread_exit& operator=(const increment_at_thread_exit&) = delete;
    ~increment_at_thread_exit() {
        if (!target) return;
        target->inc();
        *state_then = vitals::detail::thread_state();
    }
};
} // namespace

TEST_CASE("concurrency: a write after the thread gave its slot back goes to the shared cells") {
    // A thread_local made before the thread's first write is destroyed after the exit hook
    // that gives the thread's slot back. A write from its destructor must not go to that
    // slot's cells, which a new thread may own by then (the two would overwrite each other's
    // plain stores): it goes to the shared cells, and still counts.
    vitals::counter c;
    unsigned state_then = 0;
    std::thread([&] {
        static thread_local increment_at_thread_exit late;
        late.target = &c;
        late.state_then = &state_then;
        c.inc(); // takes a slot and registers the exit hook, after `late` was made
    }).join();
    CHECK((state_then & vitals::detail::shared_flag) != 0);
    CHECK(c.whole_value() == 2u);
}
#endif

#if VITALS_COUNTER_STRIPES > 1 && defined(__GLIBC__) && !defined(__SANITIZE_ADDRESS__) &&          \
    !defined(__SANITIZE_THREAD__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 33)
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define VITALS_TEST_NO_MALLINFO 1
#endif
#endif
#if !defined(VITALS_TEST_NO_MALLINFO)
namespace {
vitals::counter key_destructor_writes;
void write_from_key_destructor(void*) { key_destructor_writes.inc(); }
} // namespace

// glibc runs pthread key destructors after a thread's thread_local destructors: a first write
// from one registered an exit hook that never ran and was never freed, 48 bytes per thread
// without bound (the slot it held is the known, bounded, limit: once all are held so, threads
// write shared cells, which register nothing). Counts stay exact.
TEST_CASE("concurrency: first writes from pthread key destructors leak nothing per thread") {
    pthread_key_t key;
    REQUIRE(pthread_key_create(&key, write_from_key_destructor) == 0);
    const auto run = [&](int threads) {
        for (int i = 0; i < threads; ++i)
            std::thread([&] { pthread_setspecific(key, &key); }).join();
    };
    run(200); // takes whatever slots are free and keeps them (the known limit)
    const std::size_t before = mallinfo2().uordblks;
    run(4000);
    const std::size_t after = mallinfo2().uordblks;
    CHECK(key_destructor_writes.whole_value() == 4200u);
    CHECK(after - before < 4096u); // was 4000 x 48 bytes
    pthread_key_delete(key);
}
#endif
#endif

#if VITALS_COUNTER_STRIPES > 1
TEST_CASE("concurrency: adds refused near 2^64 never let another thread's add wrap a cell") {
    // Threads beyond the slots add to their stripe's shared cell, more than one thread to a
    // cell. An add that would carry a cell past 2^64 - 1 is refused; another thread adding to
    // that cell at the same moment must not see it wrapped around (and so pass the check),
    // and neither may a reader: the total would drop by 2^64. Each cell here takes three adds
    // of 2^62 + 1 and refuses every later one, so each counter below, written through one
    // cell, reads 0, 1, 2 or 3 times that, never less than before, and ends at 3 times it.
    using vitals::detail::shared_flag;
    using vitals::detail::slot_count;
    constexpr unsigned racers = 3 * slot_count; // at least two share each stripe
    constexpr std::uint64_t add = (std::uint64_t{1} << 62) + 1;
    constexpr int adds = 1000000;
    // One counter per cell: [state - 1] for a thread with a slot, [slot_count + stripe] else.
    vitals::counter by_cell[2 * slot_count];
    vitals::counter warm; // each racer takes its slot or stripe with a write here
    std::atomic<unsigned> ready{0};
    std::atomic<unsigned> finished{0};
    std::vector<std::thread> threads;
    for (unsigned t = 0; t < racers; ++t)
        threads.emplace_back([&] {
            warm.inc();
            ready.fetch_add(1);
            while (ready.load() < racers) std::this_thread::yield(); // every slot held now
            const unsigned s = vitals::detail::thread_state();
            vitals::counter& c =
                by_cell[(s & shared_flag) != 0 ? slot_count + (s & ~shared_flag) - 1 : s - 1];
            for (int i = 0; i < adds; ++i) c.inc_by(add);
            finished.fetch_add(1);
            while (finished.load() < racers) std::this_thread::yield(); // keep the slot
        });
    std::uint64_t last[2 * slot_count] = {};
    std::string problem;
    for (bool done = false; !done && problem.empty();) {
        done = finished.load() == racers;
        for (unsigned i = 0; i < 2 * slot_count && problem.empty(); ++i) {
            const std::uint64_t v = by_cell[i].whole_value();
            if (v % add != 0 || v / add > 3 || v < last[i])
                problem = "cell " + std::to_string(i) + " read " + std::to_string(v) + " after " +
                          std::to_string(last[i]);
            last[i] = v;
        }
    }
    for (auto& th : threads) th.join();
    CHECK_MESSAGE(problem.empty(), problem);
    for (unsigned i = 0; i < 2 * slot_count; ++i) {
        const std::uint64_t v = by_cell[i].whole_value();
        CHECK_MESSAGE((v == 0 || v == 3 * add), "cell " << i << ": " << v);
    }
}
#endif

TEST_CASE("concurrency: threads exiting while another thread scrapes and resets") {
    // A counter reset while its writers exit: the value after the reset counts exactly the
    // increments made after it by threads that start afterwards.
    vitals::counter c;
    for (int round = 0; round < 20; ++round) {
        std::vector<std::thread> threads;
        for (int t = 0; t < 6; ++t)
            threads.emplace_back([&c] {
                for (int i = 0; i < 100; ++i) c.inc();
            });
        for (auto& th : threads) th.join();
        CHECK(c.whole_value() == 600u);
        c.reset();
        CHECK(c.whole_value() == 0u);
    }
}

TEST_CASE("concurrency: tracked requests from several threads keep exact totals") {
    // The in-flight gauge, the request counter and the histograms of one endpoint are written
    // from every thread through per-thread cells; scrapes stay valid and totals exact.
    vitals::registry reg;
    vitals::kits::http_metrics http(reg, "svc");
    auto& ep = http.endpoint("GET", "/api");
    std::atomic<bool> stop{false};
    std::string problem;
    int scrapes = 0;
    std::thread scraper(scrape_loop, std::cref(reg), std::cref(stop), true, std::ref(problem),
                        std::ref(scrapes));
    constexpr int per_thread = 20000;
    std::vector<std::thread> threads;
    for (int t = 0; t < 6; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < per_thread; ++i) {
                auto tracker = ep.track();
                tracker.set_status(200);
                tracker.set_request_size(100);
                tracker.set_response_size(1000);
            }
        });
    for (auto& th : threads) th.join();
    stop = true;
    scraper.join();
    CHECK_MESSAGE(problem.empty(), problem);
    const std::uint64_t total = 6u * per_thread;
    CHECK(http.in_flight().value() == 0.0);
    CHECK(ep.requests(200).whole_value() == total);
    CHECK(ep.duration().count() == total);
    CHECK(ep.request_size().sum() == 100.0 * static_cast<double>(total));
    CHECK(ep.response_size().bucket_count(2) == total); // 1000 B: the 1 KiB bucket
    const std::string text = vitals::to_text(reg);
    CHECK(text.find("\nsvc_http_requests_in_flight 0\n") != std::string::npos);

    // set() still sets, whatever the per-thread cells hold, and inc()/dec() move from there.
    http.in_flight().inc();
    http.in_flight().inc();
    http.in_flight().set(10);
    CHECK(http.in_flight().value() == 10.0);
    http.in_flight().dec();
    http.in_flight().add(0.5);
    CHECK(http.in_flight().value() == 9.5);
    http.in_flight().reset();
    CHECK(http.in_flight().value() == 0.0);
    http.in_flight().dec();
    CHECK(http.in_flight().value() == -1.0);
}

TEST_CASE("concurrency: the same and new label sets created from several threads") {
    vitals::registry reg;
    auto& fam = reg.counter("lookups", "Created concurrently.", {"key", "shard"});
    auto& hist = reg.histogram("lookup_values", "Created concurrently.", {"key"}, {1.0});
    constexpr int keys = 64;
    constexpr int rounds = keys * 32; // every thread looks every key up equally often
    std::vector<std::vector<vitals::counter*>> handles(writer_threads,
                                                       std::vector<vitals::counter*>(keys));
    std::atomic<bool> stop{false};
    std::string problem;
    int scrapes = 0;
    std::thread scraper(scrape_loop, std::cref(reg), std::cref(stop), true, std::ref(problem),
                        std::ref(scrapes));
    std::vector<std::thread> threads;
    for (int t = 0; t < writer_threads; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < rounds; ++i) {
                // Every thread walks the same keys from a different start, so first lookups
                // of one label set race each other.
                const int k = (i + t * 17) % keys;
                auto& c = fam.labels("key" + std::to_string(k), k % 2 ? "odd" : "even");
                c.inc();
                handles[static_cast<std::size_t>(t)][static_cast<std::size_t>(k)] = &c;
                hist.labels(std::to_string(k)).observe(0.5);
                // A label set only this thread uses.
                fam.labels("own" + std::to_string(t), std::to_string(i % 8)).inc();
            }
        });
    }
    for (auto& th : threads) th.join();
    stop = true;
    scraper.join();
    CHECK_MESSAGE(problem.empty(), problem);

    // One series per label set, whichever thread created it.
    for (int k = 0; k < keys; ++k)
        for (int t = 1; t < writer_threads; ++t)
            CHECK(handles[static_cast<std::size_t>(t)][static_cast<std::size_t>(k)] ==
                  handles[0][static_cast<std::size_t>(k)]);
    CHECK(fam.size() == static_cast<std::size_t>(keys + writer_threads * 8));
    std::uint64_t total = 0;
    for (int k = 0; k < keys; ++k) total += handles[0][static_cast<std::size_t>(k)]->whole_value();
    CHECK(total == static_cast<std::uint64_t>(writer_threads * rounds));
    for (int k = 0; k < keys; ++k)
        CHECK(hist.labels(std::to_string(k)).count() ==
              static_cast<std::uint64_t>(writer_threads * rounds / keys));
    for (int t = 0; t < writer_threads; ++t)
        CHECK(fam.labels("own" + std::to_string(t), "3").value() == rounds / 8);
}

TEST_CASE("concurrency: a new registry's and a new family's first uses come from many threads") {
    // The first locks of a new registry and of a new family are taken by several threads at
    // once, as when a program's workers all start on an empty registry. (mingw-w64's
    // shared_mutex let two threads in on its first use: the same series was created twice
    // and one of them lost its increments.)
    constexpr int rounds = 100;
    constexpr int racers = 8;
    const std::size_t own_families = vitals::registry().family_count(); // vitals' own
    int wrong = 0;
    for (int r = 0; r < rounds; ++r) {
        vitals::registry used; // its lock taken once before the race, its family's not
        auto& before = used.counter("before", "Registered before the race.", {"k"});
        vitals::registry fresh; // nothing done with it before the race
        std::atomic<int> waiting{racers};
        std::vector<std::thread> threads;
        for (int t = 0; t < racers; ++t)
            threads.emplace_back([&] {
                waiting.fetch_sub(1);
                while (waiting.load() > 0) std::this_thread::yield(); // start together
                before.labels("a").inc();
                fresh.counter("during", "Registered in the race.", {"k"}).labels("a").inc();
            });
        for (auto& th : threads) th.join();
        auto& during = fresh.counter("during", "Registered in the race.", {"k"});
        const bool right = before.size() == 1 && before.labels("a").whole_value() == racers &&
                           during.size() == 1 && during.labels("a").whole_value() == racers &&
                           fresh.family_count() == own_families + 1;
        if (!right && ++wrong == 1) { // the first wrong round in full
            INFO("round " << r << ":\n" << vitals::to_text(used) << vitals::to_text(fresh));
            CHECK(right);
        }
    }
    INFO(wrong << " of " << rounds << " rounds wrong");
    CHECK(wrong == 0);
}

TEST_CASE("concurrency: remove, clear and re-add while writing and scraping") {
    vitals::registry reg;
    auto& fam = reg.counter("churn", "Removed and re-added.", {"k"});
    auto& hfam = reg.histogram("churn_seconds", "Removed and re-added.", {"k"}, {0.5, 1});
    auto& steady = reg.counter("steady", "Never removed.");
    auto& kept = fam.labels("kept");
    auto& churned = fam.labels("churned");
    auto& hchurned = hfam.labels("churned");

    std::atomic<bool> stop{false};
    std::string problem;
    int scrapes = 0;
    // Re-added series restart at zero, so only the per-scrape rules are checked here.
    std::thread scraper(scrape_loop, std::cref(reg), std::cref(stop), false, std::ref(problem),
                        std::ref(scrapes));
    std::atomic<int> removals{0};
    std::thread remover([&] {
        for (int i = 0; i < 2000; ++i) {
            if (fam.remove("churned")) ++removals;
            hfam.remove("churned");
            if (i % 100 == 0) {
                fam.clear();
                hfam.clear();
            }
            (void)fam.labels("churned");
            (void)hfam.labels("churned");
            (void)fam.labels("kept");
        }
    });
    std::vector<std::thread> threads;
    for (int t = 0; t < writer_threads; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < writer_iterations / 4; ++i) {
                churned.inc();            // through a handle that may be hidden
                fam.labels("kept").inc(); // through lookups that may re-add
                hchurned.observe(0.75);
                hfam.labels("churned").observe(0.25);
                steady.inc();
            }
        });
    }
    for (auto& th : threads) th.join();
    remover.join();
    stop = true;
    scraper.join();
    CHECK_MESSAGE(problem.empty(), problem);
    CHECK(removals.load() > 0);
    // Handles stay valid and keep naming the same storage.
    CHECK(&fam.labels("churned") == &churned);
    CHECK(&fam.labels("kept") == &kept);
    CHECK(&hfam.labels("churned") == &hchurned);
    CHECK(steady.value() == writer_threads * (writer_iterations / 4));
    CHECK(kept.value() <= writer_threads * (writer_iterations / 4));
    const std::string text = vitals::to_text(reg);
    CHECK(text.find("churn_total{k=\"churned\"}") != std::string::npos);
    CHECK(text.find("churn_total{k=\"kept\"}") != std::string::npos);
    vitals_test::exposition ex;
    CHECK(vitals_test::parse_exposition(text, ex).empty());
}

TEST_CASE(
    "concurrency: series made while renders let go of the family's lock come once, in order") {
    // A render lets go of the family's lock each time it calls the sink or grows its string
    // (every 32 KiB at most): 3,000 series of a counter and 300 of a histogram make renders
    // that let go of each family many times while other threads make series in between.
    vitals::registry reg;
    auto& fam = reg.counter("grown", "Series made during renders.", {"k"});
    auto& hfam = reg.histogram("grown_seconds", "Series made during renders.", {"k"}, {0.5, 1});
    const auto key = [](int i) {
        char value[8];
        std::snprintf(value, sizeof value, "%05d", i);
        return std::string(value);
    };
    for (int i = 0; i < 6000; i += 2) fam.labels(key(i)).inc();
    for (int i = 0; i < 600; i += 2) hfam.labels(key(i)).observe(0.75);
    std::atomic<bool> stop{false};
    std::string problem;
    int scrapes = 0;
    std::thread scraper([&] {
        std::string text;
        for (int i = 0; problem.empty(); ++i) {
            const bool last = stop.load();
            render_either_way(reg, i, text);
            vitals_test::exposition ex;
            problem = vitals_test::parse_exposition(text, ex);
            std::map<std::string, std::string> previous; // sample name -> last `k` written
            for (const auto& sm : ex.samples) {
                if (!problem.empty()) break;
                if (sm.name != "grown_total" && sm.name != "grown_seconds_count") continue;
                const std::string k = sm.label("k");
                const auto at = previous.find(sm.name);
                if (at != previous.end() && !(at->second < k))
                    problem = sm.name + ": " + k + " written after " + at->second;
                previous[sm.name] = k;
            }
            ++scrapes;
            if (last) break;
        }
    });
    std::vector<std::thread> makers;
    for (int t = 0; t < 2; ++t) {
        makers.emplace_back([&, t] {
            // Odd keys, between the ones that exist, from both ends of the family.
            for (int n = 0; n < 1500; ++n) {
                const int i = t == 0 ? 2 * n + 1 : 5999 - 2 * n;
                fam.labels(key(i)).inc();
                if (i < 600) hfam.labels(key(i)).observe(0.25);
            }
        });
    }
    for (auto& th : makers) th.join();
    stop = true;
    scraper.join();
    CHECK_MESSAGE(problem.empty(), problem);
    CHECK(scrapes >= 1);
    CHECK(fam.size() == 6000u);
    CHECK(hfam.size() == 600u);
}

TEST_CASE("concurrency: the cardinality bound holds under concurrent creation") {
    vitals::registry reg;
    vitals::family_options opts;
    opts.max_series = 10;
    auto& fam = reg.counter("bounded", "At most ten series.", {"id"}, opts);
    std::atomic<bool> stop{false};
    std::string problem;
    int scrapes = 0;
    std::thread scraper(scrape_loop, std::cref(reg), std::cref(stop), true, std::ref(problem),
                        std::ref(scrapes));
    constexpr int per_thread = 500;
    std::vector<std::thread> threads;
    for (int t = 0; t < writer_threads; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < per_thread; ++i)
                fam.labels(std::to_string(t * per_thread + i)).inc();
        });
    }
    for (auto& th : threads) th.join();
    stop = true;
    scraper.join();
    CHECK_MESSAGE(problem.empty(), problem);

    const bounded_tally got(reg, "bounded_total", ~std::size_t{0});
    CHECK(got.series == 11); // ten regular series and the overflow series
    CHECK(got.sum == writer_threads * per_thread);
    // Every redirected lookup was followed by exactly one inc().
    CHECK(got.overflow_series == writer_threads * per_thread - 10);
    CHECK(got.overflow_counted == got.overflow_series);
}

// Label values over max_label_value_bytes race with new label sets for the one overflow
// series: it is made once, whichever comes first, takes no slot of the bound, and every
// lookup sent there is counted.
TEST_CASE("concurrency: long label values and the series bound share one overflow series") {
    vitals::registry reg;
    vitals::family_options opts;
    opts.max_series = 10;
    opts.max_label_value_bytes = 16;
    auto& fam = reg.counter("bounded", "At most ten series.", {"id"}, opts);
    std::atomic<bool> stop{false};
    std::string problem;
    int scrapes = 0;
    std::thread scraper(scrape_loop, std::cref(reg), std::cref(stop), true, std::ref(problem),
                        std::ref(scrapes));
    constexpr int per_thread = 300;
    std::vector<std::thread> threads;
    for (int t = 0; t < writer_threads; ++t) {
        threads.emplace_back([&, t] {
            const std::string long_id(static_cast<std::size_t>(17 + t), 'x');
            for (int i = 0; i < per_thread; ++i) {
                if (i % 3 == 0)
                    fam.labels(long_id + std::to_string(i)).inc();
                else
                    fam.labels(std::to_string(t * per_thread + i)).inc();
            }
        });
    }
    for (auto& th : threads) th.join();
    stop = true;
    scraper.join();
    CHECK_MESSAGE(problem.empty(), problem);

    const bounded_tally got(reg, "bounded_total", 16);
    CHECK(got.values_within);
    CHECK(got.series == 11); // ten regular series and the overflow series
    CHECK(got.sum == writer_threads * per_thread);
    CHECK(got.overflow_series == writer_threads * per_thread - 10);
    CHECK(got.overflow_counted == got.overflow_series);
}

TEST_CASE("concurrency: a label set that became a series never goes to the overflow series") {
    // All threads look up the same 16 label sets, in different orders, in a family bounded at
    // 10: the first 10 created are series, and every later lookup of one of them must find it,
    // also while other threads' lookups make and use the overflow series.
    for (int round = 0; round < 20; ++round) {
        vitals::registry reg;
        vitals::family_options opts;
        opts.max_series = 10;
        auto& fam = reg.counter("bounded", "At most ten series.", {"id"}, opts);
        constexpr int ids = 16;
        constexpr int passes = 200;
        std::vector<std::thread> threads;
        for (int t = 0; t < writer_threads; ++t) {
            threads.emplace_back([&, t] {
                for (int p = 0; p < passes; ++p)
                    for (int i = 0; i < ids; ++i)
                        fam.labels(std::to_string((i * (2 * t + 1) + p) % ids)).inc();
            });
        }
        for (auto& th : threads) th.join();

        const std::string text = vitals::to_text(reg);
        vitals_test::exposition ex;
        REQUIRE(vitals_test::parse_exposition(text, ex).empty());
        int series = 0;
        double overflowed = -1;
        for (const auto& s : ex.samples) {
            if (s.name != "bounded_total") continue;
            if (s.label("id") == "__overflow__") {
                overflowed = s.value;
                continue;
            }
            ++series;
            // Its first lookup created it; every lookup of these values after that found it.
            CHECK(s.value == writer_threads * passes);
        }
        CHECK(series == 10);
        CHECK(overflowed == writer_threads * passes * (ids - 10));
    }
}

TEST_CASE("concurrency: the scrape checker itself rejects broken expositions") {
    const std::string head = "# HELP h H.\n# TYPE h histogram\n";
    const std::string good = head + "h_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\n"
                                    "h_sum 3\nh_count 2\n";
    scrape_checker checker;
    CHECK(checker.check(good).empty());
    CHECK_FALSE(scrape_checker()
                    .check(head + "h_bucket{le=\"1\"} 3\nh_bucket{le=\"+Inf\"} 2\n"
                                  "h_sum 3\nh_count 2\n")
                    .empty());
    CHECK_FALSE(scrape_checker()
                    .check(head + "h_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\n"
                                  "h_sum 3\nh_count 3\n")
                    .empty());
    CHECK_FALSE(
        scrape_checker().check(head + "h_bucket{le=\"1\"} 1\nh_sum 3\nh_count 2\n").empty());
    // Going down between scrapes.
    CHECK_FALSE(checker
                    .check(head + "h_bucket{le=\"1\"} 0\nh_bucket{le=\"+Inf\"} 2\n"
                                  "h_sum 3\nh_count 2\n")
                    .empty());
    scrape_checker counters;
    const std::string ctype = "# HELP c_total C.\n# TYPE c_total counter\n";
    CHECK(counters.check(ctype + "c_total 5\n").empty());
    CHECK(counters.check(ctype + "c_total 5.5\n").empty());
    CHECK_FALSE(counters.check(ctype + "c_total 5\n").empty());
    CHECK_FALSE(scrape_checker().check(ctype + "c_total -1\n").empty());
    CHECK_FALSE(scrape_checker().check(ctype + "c_total 1\nc_total 2\n").empty());
    CHECK_FALSE(scrape_checker().check("c_total 1\n").empty());       // no TYPE
    CHECK_FALSE(scrape_checker().check(ctype + "c_total 1").empty()); // no final newline
}
