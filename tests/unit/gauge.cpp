// tests/unit/gauge.cpp - vitals::gauge: set, inc, dec, add, sub, current time, special values.
// SPDX-License-Identifier: MIT
#include <vitals/gauge.hpp>
#include <vitals/vitals.hpp>

#include <doctest/doctest.h>

#include <atomic> // atomic
#include <chrono> // system_clock
#include <cmath>  // isnan, isinf, signbit
#include <limits> // numeric_limits
#include <string> // string
#include <thread> // thread
#include <vector> // vector

TEST_CASE("gauge: arithmetic") {
    vitals::gauge g;
    CHECK(g.value() == 0.0);

    SUBCASE("set") {
        g.set(4.25);
        CHECK(g.value() == 4.25);
        g.set(-1.5);
        CHECK(g.value() == -1.5);
    }
    SUBCASE("inc and dec by one") {
        g.inc();
        g.inc();
        g.dec();
        CHECK(g.value() == 1.0);
        g.dec();
        g.dec();
        CHECK(g.value() == -1.0);
    }
    SUBCASE("inc, dec, add and sub by amounts") {
        g.inc(2.5);
        g.dec(0.5);
        g.add(10.0);
        g.sub(3.0);
        CHECK(g.value() == 9.0);
        g.add(-9.0); // a negative add lowers the gauge
        CHECK(g.value() == 0.0);
        g.sub(-1.0);
        CHECK(g.value() == 1.0);
    }
    SUBCASE("initial value and reset") {
        vitals::gauge h(7.0);
        CHECK(h.value() == 7.0);
        h.reset();
        CHECK(h.value() == 0.0);
    }
}

TEST_CASE("gauge: special values are kept as given") {
    vitals::gauge g;
    SUBCASE("NaN") {
        g.set(std::numeric_limits<double>::quiet_NaN());
        CHECK(std::isnan(g.value()));
        g.add(1.0);
        CHECK(std::isnan(g.value()));
        g.set(2.0); // set recovers from NaN
        CHECK(g.value() == 2.0);
    }
    SUBCASE("infinities") {
        g.set(std::numeric_limits<double>::infinity());
        CHECK(std::isinf(g.value()));
        CHECK(g.value() > 0);
        g.set(-std::numeric_limits<double>::infinity());
        CHECK(g.value() < 0);
        CHECK(std::isinf(g.value()));
    }
}

TEST_CASE("gauge: set_to_current_time uses the Unix epoch in seconds") {
    vitals::gauge g;
    using namespace std::chrono;
    const double before = duration<double>(system_clock::now().time_since_epoch()).count();
    g.set_to_current_time();
    const double after = duration<double>(system_clock::now().time_since_epoch()).count();
    CHECK(g.value() >= before);
    CHECK(g.value() <= after);
    CHECK(g.value() > 1.5e9); // after 2017: seconds, not milliseconds or nanoseconds
    CHECK(g.value() < 1e11);
}

TEST_CASE("gauge: concurrent adds are not lost") {
    // The threads start together and run long enough to overlap: an add that is a load and a
    // store, not a compare-and-swap, then loses some of the others' adds.
    vitals::gauge g;
    std::atomic<int> ready{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&g, &ready, t] {
            ready.fetch_add(1);
            while (ready.load() < 4) std::this_thread::yield();
            for (int i = 0; i < 100000; ++i) {
                g.inc();
                g.add(0.5);
                if (t % 2) g.dec(0.25);
            }
        });
    for (auto& t : threads) t.join();
    CHECK(g.value() == 4 * 100000 * 1.5 - 2 * 100000 * 0.25);
}

TEST_CASE("gauge: with per-thread cells (an in-flight gauge), a set value reads back as given") {
    // The HTTP kit's in-flight gauge counts inc() and dec() in per-thread cells; set() while
    // requests are in flight must still read back exactly, and the steps after it add on.
    vitals::gauge g;
    vitals::detail::enable_gauge_cells(g);
    g.inc();
    g.inc();
    g.inc();
    CHECK(g.value() == 3.0);
    g.set(0.1);
    CHECK(g.value() == 0.1);
    g.dec();
    CHECK(g.value() == 0.1 - 1.0);
    g.inc();
    CHECK(g.value() == 0.1);
    g.set(-0.0);
    CHECK(std::signbit(g.value()));
    g.add(2.5);
    g.inc();
    CHECK(g.value() == 3.5);
    g.reset();
    CHECK(g.value() == 0.0);
    g.dec();
    CHECK(g.value() == -1.0);
}

TEST_CASE("gauge: registry exposition") {
    vitals::registry reg;
    SUBCASE("unlabelled gauge keeps its name and shows 0 before the first set") {
        (void)reg.gauge("queue_depth", "Jobs waiting.");
        CHECK(vitals::to_text(reg) ==
              "# HELP queue_depth Jobs waiting.\n# TYPE queue_depth gauge\nqueue_depth 0\n");
    }
    SUBCASE("values are written in the shortest round-trip form") {
        auto& g = reg.gauge("ratio", "A ratio.");
        g.set(0.1);
        CHECK(vitals::to_text(reg) == "# HELP ratio A ratio.\n# TYPE ratio gauge\nratio 0.1\n");
        g.set(-3.0);
        CHECK(vitals::to_text(reg) == "# HELP ratio A ratio.\n# TYPE ratio gauge\nratio -3\n");
    }
    SUBCASE("a gauge name ending in _total is not changed") {
        (void)reg.gauge("weird_total", "Gauge with a counter-like name.");
        CHECK(vitals::to_text(reg).find("weird_total 0\n") != std::string::npos);
        CHECK(vitals::to_text(reg).find("weird_total_total") == std::string::npos);
    }
}
