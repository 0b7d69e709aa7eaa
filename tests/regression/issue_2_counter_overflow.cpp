// tests/regression/issue_2_counter_overflow.cpp - counter::inc(double) documented that a
// counter never becomes non-finite, but two increments of the largest double made it +Inf.
// SPDX-License-Identifier: MIT
#include <vitals/vitals.hpp>

#include <doctest/doctest.h>

#include <cmath>  // isfinite
#include <limits> // numeric_limits

TEST_CASE("regression: a counter never overflows to +Inf") {
    const double max = std::numeric_limits<double>::max();
    vitals::registry reg;
    auto& c = reg.counter("huge", "Huge.");
    c.inc(max);
    c.inc(max);   // would overflow: ignored
    c.inc(1e300); // would overflow: ignored
    c.inc(1.0);   // whole increments go to the integer cells; the total rounds to max
    CHECK(std::isfinite(c.value()));
    CHECK(c.value() == max);
    CHECK(vitals::to_text(reg) == "# HELP huge_total Huge.\n# TYPE huge_total counter\n"
                                  "huge_total 1.7976931348623157e+308\n");
}
