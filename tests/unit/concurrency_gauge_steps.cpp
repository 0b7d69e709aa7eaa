// tests/unit/concurrency_gauge_steps.cpp - a gauge with per-thread cells (the HTTP kit's
// in-flight gauge) set again and again while a request thread starts and ends requests as fast
// as it can: a set() stores the requests in flight at one moment, so the gauge reads the value
// set less at most the one request that thread can have in flight. A set() that counted the
// start of requests and not their end, both made while it read the cells, left the gauge lower
// by those requests until the next set().
// Built with 64 thread slots, so that a read of the cells takes long enough for requests to
// start and end within it on a fast machine too (with the default 4 it showed only at -O0 and
// under ThreadSanitizer). Part of the TSan step (tests labelled concurrency).
// SPDX-License-Identifier: MIT
// vitals-test: own program (it sets VITALS_COUNTER_STRIPES, which changes layouts)
#define VITALS_COUNTER_STRIPES 64
#include <vitals/vitals.hpp>

#include <doctest/doctest.h>

#include <atomic>  // atomic
#include <cstdint> // uint32_t
#include <string>  // string, to_string
#include <thread>  // thread, yield

namespace concurrency_gauge_steps {

// Rounds: in each the setter sets the gauge while the request thread starts and ends `burst`
// requests one after the other.
constexpr std::uint32_t rounds = 100000;
constexpr int burst = 64;
// Set values: multiples of 2^20, far apart next to the step counts.
constexpr double spacing = 1048576.0;
// The requests in flight that a set() may count: the request thread has at most one in flight,
// and where stores may be seen out of order (ARM, POWER: inc() has no fence before its store)
// its next request may be seen started before its last one's end.
#if defined(__x86_64__) || defined(__i386__) || defined(_M_X64) || defined(_M_IX86)
constexpr double most_counted = 1.0;
#else
constexpr double most_counted = 2.0;
#endif

} // namespace concurrency_gauge_steps

TEST_CASE("concurrency: a gauge with per-thread cells set while requests start and end counts "
          "only the requests in flight at one moment") {
    using namespace concurrency_gauge_steps;
    vitals::gauge g;
    vitals::detail::enable_gauge_cells(g);

    // The round the setter is in; the request thread runs one burst per round, begun when the
    // setter starts it, so that the set() meets the burst while the request thread keeps up,
    // and stops when the setter does.
    std::atomic<std::uint32_t> round{0};
    std::thread request_thread([&] {
        for (std::uint32_t mine = 1; mine <= rounds; ++mine) {
            for (int spins = 0; round.load(std::memory_order_acquire) < mine;)
                if (++spins > 4096) std::this_thread::yield();
            for (int n = 0; n < burst; ++n) {
                g.inc();
                g.dec();
            }
        }
    });
    // A read right after the set() is the value set plus the requests in flight now, less
    // those the set() counted: never below the value set by more than most_counted.
    std::uint32_t low = 0;
    std::string first_low;
    double last = 0;
    for (std::uint32_t k = 1; k <= rounds; ++k) {
        last = spacing * k;
        round.store(k, std::memory_order_release);
        g.set(last);
        const double r = g.value();
        if (last - r > most_counted && low++ == 0)
            first_low = "round " + std::to_string(k) + ": set " + std::to_string(last) + ", read " +
                        std::to_string(r);
    }
    request_thread.join();

    INFO("reads too low: " << low << " of " << rounds << "; the first: " << first_low);
    CHECK(low == 0);
    // No request in flight: the value set less the requests its set() counted.
    const double after = g.value();
    CHECK(after <= last);
    CHECK(after >= last - most_counted);
}
