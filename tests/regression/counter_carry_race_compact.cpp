// tests/regression/counter_carry_race_compact.cpp - with VITALS_COMPACT every thread adds to
// a counter's one cell. An add refused because it would carry that cell past 2^64 - 1 was a
// fetch_add taken back afterwards: until then the cell was wrapped around, so a reader saw the
// total 2^64 lower, and another thread's add in between passed its check and left the cell
// wrapped for good. (The shared cells of the default configuration are the same code; see
// tests/unit/concurrency.cpp.)
// SPDX-License-Identifier: MIT
#define VITALS_COMPACT 1
#include <vitals/vitals.hpp>

#include <doctest/doctest.h>

#include <atomic>  // atomic
#include <cstdint> // uint64_t
#include <string>  // string, to_string
#include <thread>  // thread
#include <vector>  // vector

TEST_CASE("compact counter: adds refused near 2^64 never let another thread's add wrap it") {
    // The cell takes three adds of 2^62 + 1 and refuses every later one: it reads 0, 1, 2 or 3
    // times that, never less than before, and ends at 3 times it.
    constexpr std::uint64_t add = (std::uint64_t{1} << 62) + 1;
    constexpr unsigned writers = 4;
    constexpr int adds = 1000000;
    vitals::counter c;
    std::atomic<unsigned> finished{0};
    std::vector<std::thread> threads;
    for (unsigned t = 0; t < writers; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < adds; ++i) c.inc_by(add);
            finished.fetch_add(1);
        });
    std::uint64_t last = 0;
    std::string problem;
    for (bool done = false; !done && problem.empty();) {
        done = finished.load() == writers;
        const std::uint64_t v = c.whole_value();
        if (v % add != 0 || v / add > 3 || v < last)
            problem = "read " + std::to_string(v) + " after " + std::to_string(last);
        last = v;
    }
    for (auto& th : threads) th.join();
    CHECK_MESSAGE(problem.empty(), problem);
    CHECK(c.whole_value() == 3 * add);
}
