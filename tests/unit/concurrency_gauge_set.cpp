// tests/unit/concurrency_gauge_set.cpp - a gauge with per-thread cells (the HTTP kit's
// in-flight gauge) set by two threads while a third raises and lowers it and reads it: every
// read is a value the gauge held, made of one set()'s value and the step count that same
// set() stored, and the value at the end is the last set's. A read that took one from one
// set() and the other from another was off by the steps between them, and so was every read
// after two set()s that raced that way. Part of the TSan step (tests labelled concurrency).
// SPDX-License-Identifier: MIT
#include <vitals/vitals.hpp>

#include <doctest/doctest.h>

#include <algorithm> // min, max
#include <atomic>    // atomic, atomic_thread_fence
#include <cmath>     // nearbyint
#include <cstdint>   // uint32_t, int64_t
#include <map>       // map
#include <string>    // string, to_string
#include <thread>    // thread, yield
#include <vector>    // vector

namespace concurrency_gauge_set {

// The stepper's ops: `half` incs, then `half` decs, again and again, so the in-flight count is
// between 0 and `half` and comes back to 0 at the end of every period.
constexpr std::int64_t half = 48;
constexpr std::uint32_t period = 2 * half;
constexpr std::uint32_t ops = period * 4000;
// Set values: distinct multiples of 2^20, far apart next to the step counts (at most `half`), so a
// read names the set it comes from and the step count that set stored.
constexpr double spacing = 1048576.0;

std::int64_t incs_in(std::uint32_t n) { // incs among the first n ops
    return static_cast<std::int64_t>(n / period) * half +
           (std::min)(std::int64_t{n % period}, half);
}
std::int64_t steps_after(std::uint32_t n) { return 2 * incs_in(n) - n; } // incs - decs

// The step counts a set() may store while the stepper runs its ops a..b: one that held at a
// moment between them (the stepper's stores are seen in order: it puts a release fence before
// each op). The fewest is the lowest in-flight count between a and b (0 if the interval holds
// the end of a period, else at one end), the most the highest (`half` if it holds the end of
// a period's incs, else at one end).
std::int64_t fewest_steps(std::uint32_t a, std::uint32_t b) {
    if (b / period != a / period || a % period == 0) return 0;
    return (std::min)(steps_after(a), steps_after(b));
}
std::int64_t most_steps(std::uint32_t a, std::uint32_t b) {
    // The first end of a period's incs from a on.
    std::uint32_t peak = a / period * period + static_cast<std::uint32_t>(half);
    if (peak < a) peak += period;
    if (peak <= b) return half;
    return (std::max)(steps_after(a), steps_after(b));
}

struct set_record {
    double value;
    std::uint32_t first, last; // the stepper's ops completed before set(), begun after it
};

// Waits until `ready()`: spins a while first, so that threads on other cores fire together
// with the stepper's progress instead of one time slice after it.
template <class Ready>
void wait_until(Ready ready) {
    for (int spins = 0; !ready();)
        if (spins < 4096)
            ++spins;
        else
            std::this_thread::yield();
}

} // namespace concurrency_gauge_set

TEST_CASE("concurrency: a gauge with per-thread cells set from several threads while requests "
          "start and end is never read as a value it did not hold") {
    using namespace concurrency_gauge_set;
    vitals::gauge g;
    vitals::detail::enable_gauge_cells(g);
    g.set(spacing); // the first set, before any step

    std::atomic<std::uint32_t> begun{0}, done{0};
    std::vector<double> reads(ops + 1);
    constexpr int setters = 2;
    std::vector<set_record> records[setters];
    // The stepper's op count at each setter's latest set(): the stepper keeps within `ahead`
    // ops of the setter furthest on, so that sets come every few ops on a busy machine too.
    std::atomic<std::uint32_t> marks[setters] = {};
    constexpr std::uint32_t ahead = 16;
    std::thread stepper([&] {
        for (std::uint32_t n = 0; n < ops; ++n) {
            wait_until([&] {
                for (auto& m : marks)
                    if (n <= m.load(std::memory_order_relaxed) + ahead) return true;
                return false;
            });
            reads[n] = g.value(); // taken at steps_after(n): only this thread steps
            begun.store(n + 1, std::memory_order_relaxed);
            // A set() that sees this op's cell store sees `begun` counting it (fence to fence).
            std::atomic_thread_fence(std::memory_order_release);
            if (n % period < period / 2)
                g.inc();
            else
                g.dec();
            done.store(n + 1, std::memory_order_release);
        }
    });
    std::vector<std::thread> threads;
    for (int t = 0; t < setters; ++t)
        threads.emplace_back([&, t] {
            std::vector<set_record>& log = records[t];
            log.reserve(ops / 2 + 1); // a set() every 2 ops at most
            std::uint32_t next = 0;
            for (std::uint32_t k = 0;; ++k) {
                // Sets a few ops apart, so that each stores a different step count, and the
                // setters fire together when the stepper reaches the mark.
                std::uint32_t first = 0;
                wait_until([&] {
                    first = done.load(std::memory_order_acquire);
                    return first >= next || first >= ops;
                });
                if (first >= ops) break;
                const double v = spacing * (2.0 + t + setters * static_cast<double>(k));
                g.set(v);
                std::atomic_thread_fence(std::memory_order_acquire);
                log.push_back({v, first, begun.load(std::memory_order_relaxed)});
                marks[t].store(first, std::memory_order_relaxed);
                next = first + 2 + k % 3;
            }
        });
    stepper.join();
    for (auto& t : threads) t.join();
    reads[ops] = g.value(); // after all: every inc matched by a dec (steps_after(ops) == 0)

    // Each value set, with the ops of its set() and the step count its reads imply.
    struct set_info {
        std::uint32_t first, last;
        std::int64_t base;
        bool read;
    };
    std::map<double, set_info> sets{{spacing, {0, 0, 0, false}}};
    for (const auto& log : records)
        for (const set_record& r : log) sets[r.value] = {r.first, r.last, 0, false};

    std::size_t unset = 0, outside = 0, inconsistent = 0;
    std::string first_bad;
    for (std::uint32_t n = 0; n <= ops; ++n) {
        const double r = reads[n];
        const double v = std::nearbyint(r / spacing) * spacing;
        const double base = v + static_cast<double>(steps_after(n)) - r; // r = v + steps - base
        const auto it = sets.find(v);
        std::string bad;
        if (it == sets.end() || base != std::nearbyint(base)) {
            ++unset;
            bad = "not a set value plus whole steps";
        } else {
            set_info& s = it->second;
            const auto b = static_cast<std::int64_t>(base);
            if (b < fewest_steps(s.first, s.last) || b > most_steps(s.first, s.last)) {
                ++outside;
                bad = "a step count its set() did not see (ops " + std::to_string(s.first) + ".." +
                      std::to_string(s.last) + ")";
            } else if (s.read && s.base != b) {
                ++inconsistent;
                bad = "a step count other reads of that set did not imply (" +
                      std::to_string(s.base) + ")";
            }
            if (!s.read) s = {s.first, s.last, b, true};
        }
        if (!bad.empty() && first_bad.empty())
            first_bad = "read " + std::to_string(n) + " of " + std::to_string(ops) + ": " +
                        std::to_string(r) + " = set value " + std::to_string(v) + " with step " +
                        "count " + std::to_string(base) + ", " + bad;
    }
    std::size_t set_count = 0;
    for (const auto& log : records) set_count += log.size();
    INFO("sets: " << set_count << "; first bad read: " << first_bad);
    CHECK(unset == 0);
    CHECK(outside == 0);
    CHECK(inconsistent == 0);
    // The value last set is one of the setters' last ones.
    const double last = std::nearbyint(reads[ops] / spacing) * spacing;
    bool is_last = last == spacing && set_count == 0;
    for (const auto& log : records) is_last = is_last || (!log.empty() && log.back().value == last);
    CHECK(is_last);
}
