// tests/regression/counter_refused_carry_records_no_exemplar.cpp - inc(amount, exemplar) with
// a whole amount that would carry the counter's whole-number total past 2^64 - 1 is refused,
// and records no exemplar: the one before it stays. It used to record the refused amount's
// exemplar (counter::add() said true whatever add_whole() did), so OpenMetrics showed an
// exemplar of an increment that was never counted. Found by tests/conformance/run_random.sh.
// SPDX-License-Identifier: MIT
#include <vitals/vitals.hpp>

#include <doctest/doctest.h>

#include <cstdint> // uint64_t
#include <string>  // string

namespace {
bool contains(const std::string& hay, const std::string& needle) {
    return hay.find(needle) != std::string::npos;
}
} // namespace

TEST_CASE("regression: a refused whole increment records no exemplar") {
    vitals::registry reg;
    auto& c = reg.counter("carry_events", "Counted near 2^64.");
    const std::uint64_t below_half = (std::uint64_t{1} << 63) - 1;
    c.inc_by(below_half);
    c.inc_by(below_half); // 2^64 - 2
    c.inc(1.0, vitals::exemplar{"trace_id", "counted"}.at(1700000000));
    REQUIRE(c.whole_value() == ~std::uint64_t{0});

    const std::uint64_t rejected = vitals::rejected_writes();
    c.inc(1.0, vitals::exemplar{"trace_id", "refused"}.at(1700000001));
    CHECK(vitals::rejected_writes() == rejected + 1);
    CHECK(c.whole_value() == ~std::uint64_t{0});

    const std::string om = vitals::to_openmetrics(reg);
    CHECK(contains(om, "carry_events_total 18446744073709551615 # {trace_id=\"counted\"} 1 "
                       "1700000000\n"));
    CHECK_FALSE(contains(om, "refused"));
}
