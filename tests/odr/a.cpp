// tests/odr/a.cpp - first of two translation units that include every vitals header.
// SPDX-License-Identifier: MIT
#include "all_headers.hpp"

#include <doctest/doctest.h>

double vitals_odr_a() {
    vitals::counter c;
    c.inc();
    return c.value();
}

TEST_CASE("two translation units: every header links twice") {
    CHECK(vitals_odr_a() == doctest::Approx(1.0));
    CHECK(vitals_odr_b() == doctest::Approx(2.0));
}
