// tests/unit/concurrency_kits.cpp - cache and queue kits made, used and destroyed on several
// threads while another thread scrapes, a kit failing while another thread registers one of its
// families, and HTTP endpoints made on several threads, near the bound and during a scrape (run
// under TSan by the step tsan).
// SPDX-License-Identifier: MIT
#include <vitals/kits/cache.hpp>
#include <vitals/kits/http.hpp>
#include <vitals/kits/queue.hpp>
#include <vitals/registry.hpp>
#include <vitals/text_format.hpp>

#include <doctest/doctest.h>

#include <atomic>  // atomic
#include <chrono>  // steady_clock, milliseconds, seconds
#include <cstddef> // size_t
#include <memory>  // unique_ptr, make_unique
#include <set>     // set
#include <string>  // string, to_string
#include <thread>  // thread
#include <vector>  // vector

namespace {

// Waits (bounded) until `step` holds `value`; false when it never does.
bool reach(const std::atomic<int>& step, int value) {
    for (int spins = 0; spins < 20000000; ++spins) {
        if (step.load() == value) return true;
        std::this_thread::yield();
    }
    return false;
}

// How many times `needle` occurs in `text`.
std::size_t occurrences(const std::string& text, const std::string& needle) {
    std::size_t n = 0;
    for (std::size_t at = text.find(needle); at != std::string::npos;
         at = text.find(needle, at + 1))
        ++n;
    return n;
}

} // namespace

TEST_CASE("concurrency/kits: kits come and go on several threads while scrapes run") {
    vitals::registry reg;
    std::atomic<bool> done{false};
    std::atomic<int> bad_scrapes{0};
    std::atomic<int> conflicts{0};
    std::thread scraper([&] {
        while (!done.load()) {
            const std::string text = vitals::to_text(reg);
            // One family each, however many kits exist at the moment.
            if (occurrences(text, "# TYPE app_cache_hit_rate gauge\n") > 1 ||
                occurrences(text, "# TYPE app_queue_size gauge\n") > 1)
                bad_scrapes.fetch_add(1);
        }
    });
    std::vector<std::thread> workers;
    for (int t = 0; t < 3; ++t) {
        workers.emplace_back([&reg, &conflicts, t] {
            for (int i = 0; i < 200; ++i) {
                // Threads share label values on purpose: a live duplicate is refused.
                const std::string name = "c" + std::to_string((t + i) % 4);
                vitals::status st;
                vitals::kits::cache_metrics cache(reg, "app", {{{"cache", name}}}, st);
                if (!st) conflicts.fetch_add(1);
                cache.hit();
                cache.miss(2);
                vitals::kits::queue_metrics queue(reg, "app", {{{"queue", name}}}, st);
                queue.record(0.01, i % 3 != 0);
                // A registry of its own, made and destroyed while the others churn.
                auto own = std::make_unique<vitals::registry>();
                vitals::kits::cache_metrics alone(*own, "app");
                alone.hit();
            }
        });
    }
    for (auto& w : workers) w.join();
    done.store(true);
    scraper.join();
    CHECK(bad_scrapes.load() == 0);
    const std::string text = vitals::to_text(reg);
    // Every successful kit counted one hit; the four caches hold them all.
    double hits = 0;
    for (int c = 0; c < 4; ++c) {
        const std::string prefix = "app_cache_hits_total{cache=\"c" + std::to_string(c) + "\"} ";
        const std::size_t at = text.find(prefix);
        REQUIRE(at != std::string::npos);
        hits += std::stod(text.substr(at + prefix.size()));
    }
    CHECK(hits == 3 * 200 - conflicts.load());
    CHECK(occurrences(text, "app_cache_hit_rate{") == 4);
}

// A kit registers its families one by one and withdraws those it made when a later one fails
// (detail::kit_registration, as every kit uses it). Here another thread registers one of them,
// with the same definition, after the kit made it and before the kit fails: that thread now
// records into the family, so the failing kit must leave it listed.
TEST_CASE("concurrency/kits: a family another thread registered while a kit made it stays") {
    vitals::registry reg;
    std::atomic<int> step{0};
    std::thread kit_thread([&] {
        vitals::detail::kit_registration kit(reg); // a kit's registration in progress
        reg.counter("app_jobs_total", "Jobs run.");
        reg.gauge("app_jobs_running", "Jobs running."); // made by the kit only
        step.store(1);
        reach(step, 2);
        // Not committed: as a kit whose next family failed to register.
    });
    const bool made = reach(step, 1);
    vitals::counter& jobs = reg.counter("app_jobs_total", "Jobs run.");
    step.store(2);
    kit_thread.join();
    REQUIRE(made);
    jobs.inc(3);
    const std::string text = vitals::to_text(reg);
    CHECK(occurrences(text, "app_jobs_total 3\n") == 1);
    CHECK(occurrences(text, "app_jobs_running") == 0); // nobody else took it: withdrawn
    // Registering it again finds the same family, and its names stay taken.
    reg.counter("app_jobs_total", "Jobs run.").inc();
    CHECK(occurrences(vitals::to_text(reg), "app_jobs_total 4\n") == 1);
    CHECK(reg.try_gauge("app_jobs", "Collides with the counter's base name.").error().code() ==
          vitals::errc::name_collision);
    CHECK(reg.try_gauge("app_jobs_running", "Free again.").ok());
}

TEST_CASE("concurrency/kits: a sink waiting for a nested render while a cache kit is destroyed") {
    // The hit-rate collector once wrote its samples (so the sink ran) under the kit group's
    // lock; where std::shared_mutex queues new readers behind a waiting writer (libc++,
    // mingw-w64), the nested render on another thread then waited for the destroyed kit's
    // writer lock, which waited for the sink. The sink gives up after 10 s instead of hanging.
    vitals::registry reg;
    vitals::registry outer;
    std::vector<std::unique_ptr<vitals::kits::cache_metrics>> kits;
    for (char c = 'a'; c <= 'f'; ++c) {
        vitals::family_options o;
        o.const_labels = {{"cache", std::string(1, c)}};
        kits.push_back(std::make_unique<vitals::kits::cache_metrics>(reg, "app", o));
    }
    // outer's collector renders reg: a render nested in a scrape, let past waiting writers.
    outer.add_collector("renders_reg", [&](vitals::collector_output&) { (void)to_text(reg); });
    std::atomic<bool> helper_done{false};
    std::thread destroyer;
    std::thread helper;
    bool triggered = false;
    bool helper_finished = false;
    std::string text;
    auto sink = [&](const char* data, std::size_t size) {
        text.append(data, size);
        if (triggered || text.find("app_cache_hit_rate{cache=\"b\"}") == std::string::npos ||
            text.find("app_cache_hit_rate{cache=\"f\"} 0\n") != std::string::npos)
            return;
        triggered = true; // in the middle of the hit-rate samples
        destroyer = std::thread([&] { kits[0].reset(); });
        std::this_thread::sleep_for(std::chrono::milliseconds(200)); // it waits for the lock
        helper = std::thread([&] {
            (void)to_text(outer);
            helper_done.store(true);
        });
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (!helper_done.load() && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        helper_finished = helper_done.load();
    };
    using sink_type = decltype(sink);
    char buffer[64]; // small chunks: the sink runs while the collector writes its samples
    vitals::write_text(
        reg,
        [](void* context, const char* data, std::size_t size) {
            (*static_cast<sink_type*>(context))(data, size);
        },
        &sink, buffer, sizeof buffer);
    helper.join();
    destroyer.join();
    CHECK(triggered);
    CHECK(helper_finished);
    CHECK(text.find("app_cache_hit_rate{cache=\"f\"} 0\n") != std::string::npos);
}

// Runs `sink` for each chunk of the text exposition of `reg`, written through a small buffer so
// that it runs in the middle of a family.
template <class Sink>
void write_text_in_chunks(vitals::registry& reg, Sink& sink) {
    char buffer[64];
    vitals::write_text(
        reg,
        [](void* context, const char* data, std::size_t size) {
            (*static_cast<Sink*>(context))(data, size);
        },
        &sink, buffer, sizeof buffer);
}

TEST_CASE("concurrency/kits: a sink records by name while another thread adds an endpoint") {
    // endpoint() once made a new pair's series under the kit's writer lock, so it held that lock
    // while it waited for the duration family's writer lock, that is for the scrape rendering
    // the family; an output sink of that scrape recording into an existing endpoint by name then
    // waited for the kit's lock for ever. The sink gives up after 10 s instead of hanging.
    vitals::registry reg;
    vitals::kits::http_metrics http(reg, "app");
    for (int i = 0; i < 20; ++i) http.record("GET", "/e" + std::to_string(i), 200, 0.01);
    std::thread newcomer;
    std::thread recorder;
    std::atomic<bool> recorded{false};
    bool triggered = false;
    bool recorder_finished = false;
    std::string text;
    auto sink = [&](const char* data, std::size_t size) {
        text.append(data, size);
        if (triggered ||
            text.find("app_http_request_duration_seconds_bucket{method=\"GET\",endpoint=\"/e1") ==
                std::string::npos)
            return;
        triggered = true; // in the middle of the duration family's series
        newcomer = std::thread([&] { http.record("POST", "/new", 201, 0.02); });
        std::this_thread::sleep_for(std::chrono::milliseconds(200)); // it waits for the family
        recorder = std::thread([&] {
            http.record("GET", "/e0", 200, 0.01); // an endpoint and series that exist
            recorded.store(true);
        });
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (!recorded.load() && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        recorder_finished = recorded.load();
        // The sink itself may record into series that exist, by name too.
        if (recorder_finished) http.record("GET", "/e2", 200, 0.01);
    };
    write_text_in_chunks(reg, sink);
    recorder.join();
    newcomer.join();
    CHECK(triggered);
    CHECK(recorder_finished);
    CHECK(http.duration().labels("GET", "/e0").count() == 2);
    CHECK(http.duration().labels("GET", "/e2").count() == (recorder_finished ? 2 : 1));
    CHECK(http.duration().labels("POST", "/new").count() == 1);
    CHECK(&http.endpoint("POST", "/new") != &http.endpoint("GET", "/e0"));
}

TEST_CASE("concurrency/kits: threads racing for new endpoints near the bound keep it exact") {
    // Pairs are made without the kit's lock; those being made count against the bound, and
    // threads making the same pair get one endpoint.
    constexpr std::size_t threads = 4;
    constexpr std::size_t pairs = 23; // prime: each thread visits every pair, in its own order
    for (std::size_t round = 0; round < 20; ++round) {
        vitals::registry reg;
        vitals::family_options small;
        small.max_series = 8; // 7 endpoints and the overflow endpoint
        vitals::kits::http_metrics http(reg, "app", small);
        std::vector<std::vector<vitals::kits::http_endpoint*>> seen(
            threads, std::vector<vitals::kits::http_endpoint*>(pairs));
        std::atomic<std::size_t> ready{0};
        std::vector<std::thread> workers;
        for (std::size_t t = 0; t < threads; ++t)
            workers.emplace_back([&, t] {
                ready.fetch_add(1);
                while (ready.load() < threads) std::this_thread::yield();
                for (std::size_t i = 0; i < pairs; ++i) {
                    const std::size_t p =
                        (i * (t + 1) + round) % pairs; // a different order per thread
                    vitals::kits::http_endpoint& ep = http.endpoint("GET", "/" + std::to_string(p));
                    seen[t][p] = &ep;
                    ep.record(200, 0.01);
                }
            });
        for (std::thread& w : workers) w.join();
        std::set<vitals::kits::http_endpoint*> own;
        std::size_t overflowed = 0;
        for (std::size_t p = 0; p < pairs; ++p) {
            for (std::size_t t = 1; t < threads; ++t) REQUIRE(seen[t][p] == seen[0][p]);
            if (seen[0][p]->endpoint() == "__overflow__") {
                ++overflowed;
            } else {
                CHECK(seen[0][p]->endpoint() == "/" + std::to_string(p));
                own.insert(seen[0][p]);
            }
        }
        CHECK(own.size() == 7);
        CHECK(overflowed == pairs - 7);
        CHECK(http.duration().size() == 8);
        CHECK(http.duration().labels("__overflow__", "__overflow__").count() ==
              threads * (pairs - 7));
    }
}
