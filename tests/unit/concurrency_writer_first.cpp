// tests/unit/concurrency_writer_first.cpp - scrapes that overlap back to back (two Prometheus
// servers scraping one process, a slow collector, a large family) do not keep a registration
// or a new series waiting for as long as they go on: a writer waits only for the scrapes
// already running. Run under ThreadSanitizer in CI.
// SPDX-License-Identifier: MIT
#include <vitals/vitals.hpp>

#include <doctest/doctest.h>

#include "test_support.hpp"

#include <atomic>  // atomic
#include <chrono>  // steady_clock, milliseconds
#include <cstddef> // size_t
#include <string>  // string, to_string
#include <thread>  // thread, this_thread

namespace {

using vitals_test::contains;

// Two threads that scrape `reg` in turn so that one of them always holds the locks a render
// takes (the registry's and the family's): a scraper writes through a sink of 64-byte chunks,
// says it is inside once its render is in the middle of the family's series, and at the end of
// them waits (within one render, for at most `patience`) until the other scraper is inside
// before it goes on and lets the locks go. With a lock that lets new readers in while a writer
// waits, a writer never gets in while they go on.
class relaying_scrapers {
public:
    static constexpr int cap = 400; // renders in all; a writer that waits longer has starved

    explicit relaying_scrapers(const vitals::registry& reg) : reg_(reg) {
        for (int i = 0; i < 2; ++i) threads_[i] = std::thread([this, i] { run(i); });
    }
    relaying_scrapers(const relaying_scrapers&) = delete;
    relaying_scrapers& operator=(const relaying_scrapers&) = delete;
    ~relaying_scrapers() { stop(); }

    // Waits until the scrapers have relayed a few renders (or stopped).
    void wait_until_relaying() const {
        while (renders_.load() < 6) std::this_thread::yield();
    }
    int renders() const { return renders_.load(); }
    void stop() {
        stop_.store(true);
        for (std::thread& t : threads_)
            if (t.joinable()) t.join();
    }
    // The last render each scraper finished (a whole exposition).
    const std::string& last(int i) const { return last_[i]; }

private:
    static constexpr std::chrono::milliseconds patience{50};

    struct render_state {
        relaying_scrapers* self;
        int me;
        std::string text;
        bool entered;
        bool leaving;
        std::chrono::steady_clock::time_point deadline;
    };

    // The series are sorted by label value ("0", "1", "10", ..., "99"): the chunk that holds
    // n="50" is written with the family's lock held, and so is the one that holds n="90",
    // since n="91" to n="99" come after it.
    static void sink(void* context, const char* data, std::size_t size) {
        auto& r = *static_cast<render_state*>(context);
        relaying_scrapers& s = *r.self;
        r.text.append(data, size);
        if (!r.entered && contains(r.text, "app_relayed_total{n=\"50\"}")) {
            r.entered = true;
            s.inside_[r.me].store(true);
        }
        if (r.entered && !r.leaving && contains(r.text, "app_relayed_total{n=\"90\"}")) {
            r.leaving = true;
            while (!s.inside_[1 - r.me].load() && !s.stop_.load() &&
                   std::chrono::steady_clock::now() < r.deadline)
                std::this_thread::yield();
            s.inside_[r.me].store(false);
        }
    }

    void run(int me) {
        char buffer[64];
        while (!stop_.load() && renders_.load() < cap) {
            render_state r{this,  me,    std::string(),
                           false, false, std::chrono::steady_clock::now() + patience};
            vitals::write_text(reg_, &sink, &r, buffer, sizeof buffer);
            inside_[me].store(false);
            last_[me] = std::move(r.text);
            renders_.fetch_add(1);
        }
    }

    const vitals::registry& reg_;
    std::atomic<bool> stop_{false};
    std::atomic<int> renders_{0};
    std::atomic<bool> inside_[2] = {{false}, {false}};
    std::string last_[2];
    std::thread threads_[2];
};

// A registry with one family of 100 series.
void fill(vitals::registry& reg) {
    auto& fam = reg.counter("app_relayed_total", "Series the scrapers relay over.", {"n"});
    for (int i = 0; i < 100; ++i) fam.labels(std::to_string(i)).inc();
}

} // namespace

TEST_CASE("writer first: a registration waits only for the scrapes already running") {
    vitals::registry reg;
    fill(reg);
    relaying_scrapers scrapers(reg);
    scrapers.wait_until_relaying();
    const int before = scrapers.renders();
    reg.gauge("app_registered", "Registered while scrapes overlap.").set(1);
    const int waited = scrapers.renders() - before;
    scrapers.stop();
    INFO("renders while the registration waited: " << waited);
    CHECK(waited < relaying_scrapers::cap / 2);
    CHECK(contains(vitals::to_text(reg), "app_registered 1\n"));
}

TEST_CASE("writer first: a new series waits only for the renders of its family already running") {
    vitals::registry reg;
    fill(reg);
    auto& fam = reg.counter("app_relayed_total", "Series the scrapers relay over.", {"n"});
    relaying_scrapers scrapers(reg);
    scrapers.wait_until_relaying();
    const int before = scrapers.renders();
    fam.labels("new").inc(5);
    const int waited = scrapers.renders() - before;
    scrapers.stop();
    INFO("renders while the new series waited: " << waited);
    CHECK(waited < relaying_scrapers::cap / 2);
    CHECK(contains(vitals::to_text(reg), "app_relayed_total{n=\"new\"} 5\n"));
    // The relayed renders were whole expositions all along.
    for (int i = 0; i < 2; ++i)
        CHECK(contains(scrapers.last(i), "app_relayed_total{n=\"99\"} 1\n"));
}
