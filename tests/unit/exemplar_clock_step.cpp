// tests/unit/exemplar_clock_step.cpp - which exemplar a scrape shows after the wall clock is
// stepped back (NTP) or corrected after running ahead (a resumed virtual machine), and what it
// shows when the wall clock cannot be read.
// SPDX-License-Identifier: MIT
// vitals-test: own program (it replaces the C library's time() to step the clock)
#include <vitals/vitals.hpp>

#include <doctest/doctest.h>

#include <atomic>  // atomic
#include <cstdint> // uint64_t
#include <ctime>   // time_t, clock_gettime
#include <string>  // string
#include <thread>  // thread, yield

#if defined(__linux__) && defined(__GLIBC__)
namespace {
std::atomic<long> clock_offset{0};    // seconds added to the real wall clock
std::atomic<bool> clock_fails{false}; // time() fails, as without a readable real-time clock
} // namespace

// std::time() calls this in place of the C library's (the program's symbol comes first).
extern "C" std::time_t time(std::time_t* out) noexcept {
    timespec now{};
    clock_gettime(CLOCK_REALTIME, &now);
    const std::time_t t = clock_fails.load() ? std::time_t(-1) : now.tv_sec + clock_offset.load();
    if (out) *out = t;
    return t;
}

namespace {

// The exemplar trace id the +Inf bucket of `name` shows.
std::string shown_trace(const vitals::registry& reg, const std::string& name) {
    const std::string om = vitals::to_openmetrics(reg);
    const std::string line = name + "_bucket{le=\"+Inf\"} ";
    const std::size_t at = om.find(line);
    if (at == std::string::npos) return "(no bucket)";
    const std::size_t id = om.find("trace_id=\"", at);
    const std::size_t end = om.find('\n', at);
    if (id == std::string::npos || id > end) return "(none)";
    return om.substr(id + 10, om.find('"', id + 10) - id - 10);
}

// Records `trace` into `h` from a thread that keeps its thread slot until `done` is set, so
// that its cell stays the one it wrote; returns once it recorded.
std::thread record_from_other_thread(vitals::histogram& h, const char* trace,
                                     std::atomic<bool>& done) {
    std::atomic<bool> recorded{false};
    std::thread t([&h, trace, &done, &recorded] {
        h.observe(5.0, vitals::exemplar{"trace_id", trace});
        recorded = true;
        while (!done.load()) std::this_thread::yield();
    });
    while (!recorded.load()) std::this_thread::yield();
    return t;
}

} // namespace

TEST_CASE("exemplars: a clock stepped back does not keep the old exemplar shown") {
    clock_offset = 0;
    REQUIRE(std::time(nullptr) == time(nullptr)); // the replacement is the one called
    vitals::registry reg;
    auto& h = reg.histogram("step_back_seconds", "Latency.", {0.1});
    std::atomic<bool> done{false};
    std::thread worker = record_from_other_thread(h, "before_step", done);
    CHECK(shown_trace(reg, "step_back_seconds") == "before_step");
    clock_offset = -3600; // NTP steps the clock back an hour
    h.observe(6.0, vitals::exemplar{"trace_id", "after_step"});
    CHECK(shown_trace(reg, "step_back_seconds") == "after_step");
    done = true;
    worker.join();
    clock_offset = 0;
}

TEST_CASE("exemplars: one recorded while the clock ran ahead gives way once it is corrected") {
    vitals::registry reg;
    auto& h = reg.histogram("ran_ahead_seconds", "Latency.", {0.1});
    std::atomic<bool> done{false};
    clock_offset = 86400; // a day ahead
    std::thread worker = record_from_other_thread(h, "clock_ahead", done);
    clock_offset = 0;
    // Alone, it is still shown: ranking below the others does not hide it.
    CHECK(shown_trace(reg, "ran_ahead_seconds") == "clock_ahead");
    h.observe(6.0, vitals::exemplar{"trace_id", "clock_right"});
    CHECK(shown_trace(reg, "ran_ahead_seconds") == "clock_right");
    done = true;
    worker.join();
}

TEST_CASE("exemplars: recorded while the clock cannot be read, shown without a timestamp") {
    vitals::registry reg;
    auto& h = reg.histogram("no_clock_seconds", "Latency.", {0.1});
    auto& c = reg.counter("no_clock_total", "Requests.");
    const std::uint64_t dropped = vitals::exemplars_dropped();
    clock_fails = true;
    REQUIRE(std::time(nullptr) == std::time_t(-1));
    h.observe(6.0, vitals::exemplar{"trace_id", "no_clock"});
    c.inc(1.0, vitals::exemplar{"trace_id", "no_clock"});
    // A timestamp given with at() is the program's own: shown as given, -1 included.
    h.observe(0.05, vitals::exemplar{"trace_id", "given"}.at(1700000000.5));
    std::string om = vitals::to_openmetrics(reg);
    clock_fails = false;
    // The -1 std::time() returns on failure is no time: an exemplar's timestamp is optional.
    CHECK(om.find("no_clock_seconds_bucket{le=\"+Inf\"} 2 # {trace_id=\"no_clock\"} 6\n") !=
          std::string::npos);
    CHECK(om.find("no_clock_total 1 # {trace_id=\"no_clock\"} 1\n") != std::string::npos);
    CHECK(om.find("no_clock_seconds_bucket{le=\"0.1\"} 1 # {trace_id=\"given\"} 0.05 "
                  "1700000000.5\n") != std::string::npos);
    CHECK(om.find(" -1\n") == std::string::npos);
    CHECK(vitals::exemplars_dropped() == dropped);
    // Once the clock reads again, an exemplar carries its second again.
    h.observe(7.0, vitals::exemplar{"trace_id", "clock_back"});
    om = vitals::to_openmetrics(reg);
    const std::string shown = "# {trace_id=\"clock_back\"} 7 ";
    const std::size_t at = om.find(shown);
    REQUIRE(at != std::string::npos);
    CHECK(om[at + shown.size()] >= '1');
    CHECK(om[at + shown.size()] <= '9');
}
#endif
