// tests/odr/drop_in_mixed.cpp - one program whose files include vitals two ways: this one
// <vitals/vitals.hpp> from include/, drop_in_part.cpp the drop-in single_include/vitals/vitals.hpp
// of the same commit. README ("Using it from a build system") says they are then one vitals:
// one default_registry(), one counter.
// SPDX-License-Identifier: MIT
#include <vitals/vitals.hpp>

#include <doctest/doctest.h>

#include <string>

vitals::registry* vitals_drop_in_part_registry();
vitals::counter* vitals_drop_in_part_record();

TEST_CASE("the drop-in header and include/ in one program share one vitals") {
    CHECK(vitals_drop_in_part_registry() == &vitals::default_registry());
    vitals::counter* from_drop_in = vitals_drop_in_part_record();
    vitals::counter& here = vitals::default_registry().counter("mixed_requests", "Requests.");
    CHECK(from_drop_in == &here);
    here.inc();
    CHECK(here.value() == doctest::Approx(2.0));
    const std::string text = vitals::to_text(vitals::default_registry());
    CHECK(text.find("mixed_requests_total 2\n") != std::string::npos);
}
