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
#include <cstdio>  // fprintf, snprintf
#include <cstdlib> // _Exit
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
    // Renders in all; a writer that waits for half of them has starved. With readers that pass
    // a waiting writer it waits for all of them (0.7 s here); with vitals' lock, for one or two.
    // Far above that: a loaded machine can leave the registering thread without a core while
    // the scrapers relay (400, with a bound of 200, failed once in CI with 213).
    static constexpr int cap = 4000;

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
    // n="50" is written with the registry's lock held, and so is the one that holds n="90",
    // since n="91" to n="99" come after it. The family's lock is let go while the sink runs.
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

// Ends the program when the scenario it watches has not finished within 60 s: a deadlock
// cannot be undone, and the test must fail rather than hang.
class deadlock_watchdog {
public:
    explicit deadlock_watchdog(const char* what)
        : thread_([this, what] {
              const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
              while (!done_.load()) {
                  if (std::chrono::steady_clock::now() > deadline) {
                      std::fprintf(stderr, "deadlock: %s did not finish within 60 s\n", what);
                      std::_Exit(1);
                  }
                  std::this_thread::sleep_for(std::chrono::milliseconds(10));
              }
          }) {}
    deadlock_watchdog(const deadlock_watchdog&) = delete;
    deadlock_watchdog& operator=(const deadlock_watchdog&) = delete;
    ~deadlock_watchdog() {
        done_.store(true);
        thread_.join();
    }

private:
    std::atomic<bool> done_{false};
    std::thread thread_;
};

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

// The relay holds the registry's lock, not the family's (let go while the sink runs): a new
// series waits for no render here. It would wait for all of them if a render held the family's
// lock through the sink and readers passed a waiting writer.
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

// The readers a writer may not hold up: those that code inside a scrape waits for, on this
// thread or another one, while a writer is queued for the same lock. They join the readers
// inside on every platform (with libc++, Windows and mingw-w64 through vitals' own lock, since
// their std::shared_mutex makes them queue behind the writer); before that, these scenes hung
// there.

TEST_CASE("writer first: a collector may wait for another thread that reads the registry") {
    const deadlock_watchdog watchdog("a collector waiting for family_count() on a thread");
    vitals::registry reg;
    auto& fam = reg.counter("app_items_total", "Items.", {"k"});
    fam.labels("a").inc();
    std::thread writer;
    bool first = true;
    std::size_t counted = 0;
    std::size_t series = 0;
    reg.add_collector("helper", [&](vitals::collector_output& out) {
        if (!first) return;
        first = false;
        // Another thread registers meanwhile: it queues for the registry's writer lock.
        writer = std::thread([&] { reg.gauge("app_late", "Registered during a scrape.").set(1); });
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        // The collector waits for a thread that reads the registry and the family.
        std::thread helper([&] {
            counted = reg.family_count();
            series = fam.size();
        });
        helper.join();
        out.gauge("app_families", "Families.", static_cast<double>(counted));
    });
    const std::string text = vitals::to_text(reg);
    writer.join();
    CHECK(counted >= 1);
    CHECK(series == 1);
    CHECK(contains(text, "app_families "));
    CHECK(contains(vitals::to_text(reg), "app_late 1\n"));
}

TEST_CASE("writer first: two scrapers whose sinks render the registry again") {
    const deadlock_watchdog watchdog("two nested renders with writers queued");
    vitals::registry reg;
    auto& f = reg.counter("app_f_total", "F.", {"k"});
    auto& g = reg.counter("app_g_total", "G.", {"k"});
    for (int i = 0; i < 200; ++i) {
        char value[8];
        std::snprintf(value, sizeof value, "%03d", i);
        f.labels(value).inc();
        g.labels(value).inc();
    }
    // Scraper A, in the middle of app_f's series, and scraper B, in the middle of app_g's,
    // each render the registry again (a nested render) while new series wait for both locks:
    // each nested render takes the reader lock of the family the other scraper holds.
    std::atomic<bool> inside[2] = {{false}, {false}};
    std::string nested[2];
    const auto scrape = [&](int me, const char* middle, const char* last) {
        std::string text;
        bool done = false;
        vitals::write_text(reg, [&](const char* data, std::size_t size) {
            text.append(data, size);
            if (done || !contains(text, middle) || contains(text, last)) return;
            done = true;
            inside[me].store(true);
            while (!inside[1 - me].load()) std::this_thread::yield();
            std::this_thread::sleep_for(std::chrono::milliseconds(150));
            nested[me] = vitals::to_text(reg);
        });
    };
    std::thread a([&] { scrape(0, "app_f_total{k=\"050\"}", "app_f_total{k=\"199\"}"); });
    std::thread b([&] { scrape(1, "app_g_total{k=\"050\"}", "app_g_total{k=\"199\"}"); });
    while (!inside[0].load() || !inside[1].load()) std::this_thread::yield();
    std::thread new_f([&] { f.labels("new").inc(); });
    std::thread new_g([&] { g.labels("new").inc(); });
    a.join();
    b.join();
    new_f.join();
    new_g.join();
    CHECK(f.size() == 201);
    CHECK(g.size() == 201);
    for (const std::string& text : nested) CHECK(contains(text, "app_g_total{k=\"199\"} 1\n"));
}

// A family's render holds none of its locks while the output's sink runs, so code in a sink
// may wait for a thread that needs the family's writer lock. It once held the reader lock for
// the whole family: these scenes hung.

TEST_CASE("writer first: two scrapes whose sinks make series in each other's family") {
    const deadlock_watchdog watchdog("two scrapes making series in each other's family");
    vitals::registry regs[2];
    vitals::family<vitals::counter>* fams[2] = {&regs[0].counter("app_f_total", "Items.", {"k"}),
                                                &regs[1].counter("app_g_total", "Items.", {"k"})};
    for (auto* fam : fams)
        for (int i = 0; i < 200; ++i) fam->labels(std::to_string(1000 + i)).inc();
    std::atomic<bool> inside[2] = {{false}, {false}};
    bool both_inside[2] = {false, false};
    const auto scrape = [&](int me) {
        std::string text;
        char buffer[64]; // small chunks: the sink runs in the middle of the family
        auto sink = [&](const char* data, std::size_t size) {
            text.append(data, size);
            if (inside[me].load() || !contains(text, "{k=\"1050\"}")) return;
            inside[me].store(true);
            const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
            while (!inside[1 - me].load() && std::chrono::steady_clock::now() < deadline)
                std::this_thread::yield();
            both_inside[me] = inside[1 - me].load();
            // A new series in the family the other scrape is writing at this moment.
            fams[1 - me]->labels("from_" + std::to_string(me)).inc();
        };
        using sink_type = decltype(sink);
        vitals::write_text(
            regs[me],
            [](void* context, const char* data, std::size_t size) {
                (*static_cast<sink_type*>(context))(data, size);
            },
            &sink, buffer, sizeof buffer);
        CHECK(contains(text, "{k=\"1199\"} 1\n"));
    };
    std::thread a([&] { scrape(0); });
    std::thread b([&] { scrape(1); });
    a.join();
    b.join();
    CHECK(both_inside[0]);
    CHECK(both_inside[1]);
    CHECK(contains(vitals::to_text(regs[0]), "app_f_total{k=\"from_1\"} 1\n"));
    CHECK(contains(vitals::to_text(regs[1]), "app_g_total{k=\"from_0\"} 1\n"));
}

TEST_CASE("writer first: a sink may wait for a thread that makes a series in the family") {
    const deadlock_watchdog watchdog("a sink joining a thread that makes a series");
    vitals::registry reg;
    fill(reg);
    auto& fam = reg.counter("app_relayed_total", "Series the scrapers relay over.", {"n"});
    bool triggered = false;
    std::string text;
    char buffer[64];
    auto sink = [&](const char* data, std::size_t size) {
        text.append(data, size);
        if (triggered || !contains(text, "app_relayed_total{n=\"50\"}")) return;
        triggered = true;
        std::thread maker([&] {
            fam.labels("00_new").inc(); // sorts before the series being written
            fam.remove("99");           // sorts after them
            fam.labels("9_new").inc(3);
        });
        maker.join();
    };
    using sink_type = decltype(sink);
    vitals::write_text(
        reg,
        [](void* context, const char* data, std::size_t size) {
            (*static_cast<sink_type*>(context))(data, size);
        },
        &sink, buffer, sizeof buffer);
    CHECK(triggered);
    // Made after the walk passed its place: not in this render; made ahead of it: in it.
    CHECK_FALSE(contains(text, "app_relayed_total{n=\"00_new\"}"));
    CHECK(contains(text, "app_relayed_total{n=\"9_new\"} 3\n"));
    CHECK(contains(text, "app_relayed_total{n=\"98\"} 1\n"));
    const std::string after = vitals::to_text(reg);
    CHECK(contains(after, "app_relayed_total{n=\"00_new\"} 1\n"));
    CHECK_FALSE(contains(after, "app_relayed_total{n=\"99\"}"));
}
