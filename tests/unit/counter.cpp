// tests/unit/counter.cpp - vitals::counter: increments, bad input, exposition of values.
// SPDX-License-Identifier: MIT
#include <vitals/counter.hpp>
#include <vitals/vitals.hpp>

#include <doctest/doctest.h>

#include <atomic>  // atomic
#include <cmath>   // isfinite
#include <cstdint> // uint64_t
#include <limits>  // numeric_limits
#include <string>  // string
#include <thread>  // thread
#include <vector>  // vector

TEST_CASE("counter: starts at zero and counts") {
    vitals::counter c;
    CHECK(c.value() == 0.0);
    CHECK(c.whole_value() == 0u);
    CHECK(c.is_whole());

    SUBCASE("inc() adds one") {
        c.inc();
        c.inc();
        CHECK(c.value() == 2.0);
        CHECK(c.whole_value() == 2u);
        CHECK(c.is_whole());
    }
    SUBCASE("inc(double) with whole amounts stays whole") {
        c.inc(3.0);
        c.inc(0.0);
        c.inc(1e15);
        CHECK(c.whole_value() == 1000000000000003u);
        CHECK(c.is_whole());
        CHECK(c.value() == 1000000000000003.0);
    }
    SUBCASE("inc(double) with fractions") {
        c.inc(0.5);
        c.inc(2.0);
        c.inc(0.25);
        CHECK_FALSE(c.is_whole());
        CHECK(c.whole_value() == 2u);
        CHECK(c.value() == 2.75);
    }
    SUBCASE("inc_by adds whole numbers") {
        c.inc_by(7);
        c.inc_by(0);
        c.inc();
        CHECK(c.value() == 8.0);
        CHECK(c.is_whole());
    }
    SUBCASE("amounts at and above 2^53 are accepted") {
        const double two53 = 9007199254740992.0;
        c.inc(two53);
        CHECK(c.value() == two53);
        c.inc(1e300);
        CHECK(c.value() == 1e300);
    }
    SUBCASE("reset() returns to zero, whole again") {
        c.inc(5);
        c.inc(0.5);
        c.reset();
        CHECK(c.value() == 0.0);
        CHECK(c.is_whole());
        c.inc();
        CHECK(c.value() == 1.0);
    }
}

TEST_CASE("counter: bad increments leave the value unchanged") {
    vitals::counter c;
    c.inc(10.0);
    c.inc(0.5);
    const double before = c.value();
    REQUIRE(before == 10.5);

    SUBCASE("negative") {
        c.inc(-1.0);
        c.inc(-0.5);
        c.inc(-std::numeric_limits<double>::min());
        c.inc(-std::numeric_limits<double>::max());
    }
    SUBCASE("NaN") {
        c.inc(std::numeric_limits<double>::quiet_NaN());
        c.inc(-std::numeric_limits<double>::quiet_NaN());
        c.inc(std::numeric_limits<double>::signaling_NaN());
    }
    SUBCASE("infinities") {
        c.inc(std::numeric_limits<double>::infinity());
        c.inc(-std::numeric_limits<double>::infinity());
    }
    CHECK(c.value() == before);
    CHECK(c.whole_value() == 10u);
}

TEST_CASE("counter: a negative whole number of a signed type never corrupts the counter") {
    // Before, inc_by(std::uint64_t) took `long d = -1` silently and the counter read
    // 18446744073709551615.
    vitals::counter c;
    c.inc_by(5);
    const std::uint64_t rejected = vitals::rejected_writes();
    long d = -1;
    c.inc_by(d);
    c.inc_by(-1);
    c.inc_by(static_cast<long long>(-(std::int64_t{1} << 62)));
    c.inc_by(static_cast<signed char>(-3));
    c.inc_by(static_cast<short>(-7));
    CHECK(c.whole_value() == 5u);
    CHECK(c.value() == 5.0);
    CHECK(vitals::rejected_writes() == rejected + 5);
    // Non-negative signed amounts and every unsigned type are added.
    c.inc_by(3L);
    c.inc_by(static_cast<short>(2));
    c.inc_by(1u);
    c.inc_by(std::uint64_t{4});
    c.inc_by(std::numeric_limits<std::int64_t>::max());
    CHECK(c.whole_value() == 15u + std::uint64_t(std::numeric_limits<std::int64_t>::max()));
    CHECK(vitals::rejected_writes() == rejected + 5);
}

// The natural mistake with unsigned 64-bit amounts (byte counts, offsets): `inc_by(end -
// start)` with end < start passes 2^64 - (start - end), which would wrap the total around to
// less than it was. (A 32-bit size_t wraps at 2^32 instead, which no bound can tell from a
// real increment.)
TEST_CASE("counter: an unsigned amount of 2^63 or more is refused, not wrapped around") {
    vitals::counter c;
    c.inc_by(std::uint64_t{10});
    const std::uint64_t rejected = vitals::rejected_writes();
    const std::uint64_t start = 100, end = 40;
    c.inc_by(end - start);
    c.inc_by(std::uint64_t{1} << 63);
    c.inc_by(std::numeric_limits<std::uint64_t>::max());
    CHECK(c.whole_value() == 10u);
    CHECK(vitals::rejected_writes() == rejected + 3);
    c.inc_by((std::uint64_t{1} << 63) - 1); // the largest amount taken
    CHECK(c.whole_value() == 10u + ((std::uint64_t{1} << 63) - 1));
    CHECK(vitals::rejected_writes() == rejected + 3);
}

TEST_CASE("counter: large amounts added again and again never wrap the total around") {
    // Three amounts below 2^63 (lengths a client sent, say) would carry past 2^64 - 1 and
    // leave a total smaller than before: a counter that went down.
    const std::uint64_t largest = (std::uint64_t{1} << 63) - 1;
    const std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
    vitals::registry reg;
    vitals::counter& c = reg.counter("sent_bytes", "Bytes.");
    const std::uint64_t rejected = vitals::rejected_writes();
    c.inc_by(largest);
    c.inc_by(largest);
    CHECK(c.whole_value() == max - 1);
    c.inc_by(largest);
    CHECK(c.whole_value() == max - 1);
    CHECK(vitals::rejected_writes() == rejected + 1);
    c.inc();
    CHECK(c.whole_value() == max);
    c.inc();
    c.inc(1.0); // whole: the same path
    CHECK(c.whole_value() == max);
    CHECK(vitals::rejected_writes() == rejected + 3);
    CHECK(vitals::to_text(reg) == "# HELP sent_bytes_total Bytes.\n# TYPE sent_bytes_total "
                                  "counter\nsent_bytes_total 18446744073709551615\n");
}

#if VITALS_COUNTER_STRIPES > 1
TEST_CASE("counter: a total over several threads' cells stops at 2^64 - 1") {
    // No single cell carries here; their sum does.
    const std::uint64_t largest = (std::uint64_t{1} << 63) - 1;
    const std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
    vitals::counter c;
    std::thread other([&] {
        c.inc_by(largest);
        c.inc_by(largest);
    });
    other.join();
    CHECK(c.whole_value() == max - 1);
    c.inc_by(largest);
    CHECK(c.whole_value() == max);
    c.inc_by(largest);
    CHECK(c.whole_value() == max);
    CHECK(c.value() >= 18446744073709551615.0);
    // A reset() starts from zero again. (Both threads' cells are full now: each refuses what
    // would carry it, for the counter's lifetime, so no more is counted through them.)
    c.reset();
    CHECK(c.whole_value() == 0u);
    c.inc_by(largest);
    CHECK(c.whole_value() == 0u);
}
#endif

#if VITALS_COUNTER_STRIPES > 1
TEST_CASE("counter: a thread without a slot of its own never wraps a shared cell around") {
    // While every thread slot is owned, a further thread adds to a shared cell: an add that
    // would carry it past 2^64 - 1 must be refused (and counted), or the total drops by 2^64.
    const std::uint64_t largest = (std::uint64_t{1} << 63) - 1;
    const std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
    vitals::counter c;
    vitals::counter warm; // the holders take their slots with a write to another counter
    std::atomic<unsigned> holding{0};
    std::atomic<bool> done{false};
    std::vector<std::thread> holders;
    for (unsigned i = 0; i < vitals::detail::slot_count; ++i)
        holders.emplace_back([&] {
            warm.inc();
            holding.fetch_add(1);
            while (!done.load()) std::this_thread::yield();
        });
    while (holding.load() < vitals::detail::slot_count) std::this_thread::yield();
    const std::uint64_t rejected = vitals::rejected_writes();
    unsigned state = 0;
    std::thread sharer([&] {
        c.inc_by(largest);
        c.inc_by(largest);
        state = vitals::detail::thread_state();
        c.inc_by(largest); // would carry the shared cell
        c.inc_by(2);       // so would this
        c.inc();           // this fits: the cell reaches 2^64 - 1
    });
    sharer.join();
    done.store(true);
    for (auto& t : holders) t.join();
    CHECK((state & vitals::detail::shared_flag) != 0);
    CHECK(c.whole_value() == max);
    CHECK(vitals::rejected_writes() == rejected + 2);
}
#endif

TEST_CASE("counter: every refused write is counted by rejected_writes()") {
    vitals::counter c;
    vitals::histogram h({1.0});
    const std::uint64_t before = vitals::rejected_writes();
    c.inc(-1.0);
    c.inc(std::numeric_limits<double>::quiet_NaN());
    c.inc(std::numeric_limits<double>::infinity());
    c.inc(std::numeric_limits<double>::max());
    c.inc(std::numeric_limits<double>::max()); // the total would become +Inf
    h.observe(std::numeric_limits<double>::quiet_NaN());
    h.observe(std::numeric_limits<double>::infinity());
    CHECK(vitals::rejected_writes() == before + 6);
    // Accepted writes are not counted, nor is -0.0 (it is not negative).
    c.inc(-0.0);
    c.inc(0.0);
    c.inc();
    h.observe(std::numeric_limits<double>::max()); // a valid observation
    CHECK(vitals::rejected_writes() == before + 6);
    CHECK(h.count() == 1u);
}

TEST_CASE("counter: an increment that would overflow the total to +Inf is ignored") {
    const double max = std::numeric_limits<double>::max();
    vitals::counter c;
    c.inc(max / 2);
    c.inc(max / 2);
    CHECK(c.value() == max);
    c.inc(max / 2);
    c.inc(1e300);
    CHECK(c.value() == max);
    c.inc(1e200); // too small to change the rounded total, but finite: accepted
    CHECK(c.value() == max);
    CHECK(std::isfinite(c.value()));
}

TEST_CASE("counter: negative zero and subnormals") {
    vitals::counter c;
    c.inc(-0.0); // not negative: adds nothing, must not be rejected as an error either
    CHECK(c.value() == 0.0);
    CHECK(c.is_whole());
    c.inc(std::numeric_limits<double>::denorm_min());
    CHECK(c.value() == std::numeric_limits<double>::denorm_min());
    CHECK_FALSE(c.is_whole());
}

TEST_CASE("counter: whole increments are exact far beyond 2^53") {
    // The integer cells keep whole increments exact where a double would round.
    vitals::counter c;
    const std::uint64_t big = (std::uint64_t{1} << 53);
    c.inc_by(big);
    c.inc();
    CHECK(c.whole_value() == big + 1);
    vitals::registry reg;
    reg.counter("big", "Big.").inc_by(big + 1);
    CHECK(vitals::to_text(reg) ==
          "# HELP big_total Big.\n# TYPE big_total counter\nbig_total 9007199254740993\n");
}

TEST_CASE("counter: past 2^53, a fractional increment never makes the total go down") {
    // The exposition shows the whole total exactly, then value() once a fraction is added:
    // that double must not round below what was shown.
    vitals::registry reg;
    auto& c = reg.counter("big", "Big.");
    c.inc_by((std::uint64_t{1} << 53) + 1);
    CHECK(vitals::to_text(reg) ==
          "# HELP big_total Big.\n# TYPE big_total counter\nbig_total 9007199254740993\n");
    c.inc(0.5);
    CHECK(c.value() > 9007199254740992.0); // 2^53: the nearest double to 2^53 + 1 + 0.5
    const std::string out = vitals::to_text(reg);
    const std::size_t at = out.find("\nbig_total ") + 11;
    CHECK(std::stod(out.substr(at)) > 9007199254740992.0);
    // Near 2^64 as well (rounding up there must not overflow).
    vitals::counter near_max;
    near_max.inc_by(std::uint64_t{1} << 62);
    near_max.inc_by(std::uint64_t{1} << 62);
    near_max.inc_by(std::uint64_t{1} << 62);
    near_max.inc_by((std::uint64_t{1} << 62) - 1);
    near_max.inc(0.25);
    CHECK(near_max.value() == 18446744073709551616.0);
}

TEST_CASE("counter: increments from several threads all land") {
    // Each thread may use its own stripe; value() must sum them all.
    vitals::counter c;
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&c] {
            for (int i = 0; i < 10000; ++i) {
                c.inc();
                c.inc(2.0);
                c.inc(0.5);
            }
        });
    for (auto& t : threads) t.join();
    CHECK(c.whole_value() == 4u * 10000u * 3u);
    CHECK(c.value() == 4.0 * 10000.0 * 3.5);
}

TEST_CASE("counter: reset() is exact while threads own cells, and writes after it count") {
    vitals::counter c;
    std::atomic<int> phase{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 3; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < 1000; ++i) c.inc();
            phase.fetch_add(1);
            while (phase.load() < 4) std::this_thread::yield();
            for (int i = 0; i < 1000; ++i) c.inc();
        });
    while (phase.load() < 3) std::this_thread::yield();
    CHECK(c.whole_value() == 3000u);
    c.reset();
    CHECK(c.whole_value() == 0u);
    phase.store(4);
    for (auto& t : threads) t.join();
    CHECK(c.whole_value() == 3000u); // the owners kept writing their cells after the reset
    c.reset();
    c.reset();
    CHECK(c.value() == 0.0);
}

TEST_CASE("counter: registry exposition") {
    vitals::registry reg;
    SUBCASE("name gets _total appended") {
        auto& c = reg.counter("jobs", "Jobs done.");
        c.inc();
        CHECK(vitals::to_text(reg) ==
              "# HELP jobs_total Jobs done.\n# TYPE jobs_total counter\njobs_total 1\n");
    }
    SUBCASE("name already ending in _total is kept") {
        reg.counter("jobs_total", "Jobs done.").inc(2);
        CHECK(vitals::to_text(reg) ==
              "# HELP jobs_total Jobs done.\n# TYPE jobs_total counter\njobs_total 2\n");
    }
    SUBCASE("x and x_total are the same counter") {
        auto& a = reg.counter("jobs", "Jobs done.");
        auto& b = reg.counter("jobs_total", "Jobs done.");
        CHECK(&a == &b);
    }
    SUBCASE("an unlabelled counter shows 0 before its first increment") {
        (void)reg.counter("idle", "Never touched.");
        CHECK(vitals::to_text(reg) ==
              "# HELP idle_total Never touched.\n# TYPE idle_total counter\nidle_total 0\n");
    }
    SUBCASE("fractional totals are written as shortest doubles") {
        auto& c = reg.counter("seconds", "Busy time.");
        c.inc(0.1);
        c.inc(0.2);
        CHECK(vitals::to_text(reg) == "# HELP seconds_total Busy time.\n"
                                      "# TYPE seconds_total counter\n"
                                      "seconds_total 0.30000000000000004\n");
        c.inc(2); // whole part and fraction are summed when written
        CHECK(vitals::to_text(reg).find("seconds_total 2.3\n") != std::string::npos);
    }
}
