// tests/unit/registry_types_and_units.cpp - registering info and stateset families and
// declaring units: every invalid definition is an error that names what is wrong.
// SPDX-License-Identifier: MIT
#include <vitals/vitals.hpp>

#include <doctest/doctest.h>

#include "test_support.hpp"

#include <string> // string

namespace {
vitals::family_options with_unit(const char* unit) {
    vitals::family_options o;
    o.unit = unit;
    return o;
}
using vitals_test::contains;
} // namespace

TEST_CASE("units: the name must end with _<unit>; the error names both") {
    vitals::registry reg;
    auto r = reg.try_gauge("heap_size", "H.", {}, with_unit("bytes"));
    REQUIRE_FALSE(r);
    CHECK(r.error().code() == vitals::errc::invalid_argument);
    CHECK(contains(r.error().message(), "'heap_size'"));
    CHECK(contains(r.error().message(), "'bytes'"));
    CHECK(contains(r.error().message(), "'_bytes'"));
    // A counter's unit comes before _total, given or appended.
    CHECK(reg.try_counter("cpu_seconds_total", "C.", {}, with_unit("seconds")));
    CHECK(reg.try_counter("busy_seconds", "C.", {}, with_unit("seconds")));
    auto c = reg.try_counter("requests_total", "C.", {}, with_unit("total"));
    REQUIRE_FALSE(c);
    CHECK(contains(c.error().message(), "before '_total'"));
    // The whole name cannot be the unit.
    CHECK_FALSE(reg.try_gauge("seconds", "S.", {}, with_unit("seconds")));
    CHECK_FALSE(reg.try_gauge("_seconds", "S.", {}, with_unit("seconds")));
    CHECK_FALSE(reg.try_gauge("x_bad unit", "S.", {}, with_unit("bad unit")));
    CHECK(reg.try_histogram("wait_seconds", "W.", {"q"}, {1.0}, with_unit("seconds")));
}

TEST_CASE("units: info and stateset cannot have one; a different unit is a conflict") {
    vitals::registry reg;
    auto i = reg.try_info("build_seconds", "B.", {"v"}, with_unit("seconds"));
    REQUIRE_FALSE(i);
    CHECK(contains(i.error().message(), "info cannot have a unit"));
    auto s = reg.try_stateset("mode_seconds", "M.", {}, {"a"}, with_unit("seconds"));
    REQUIRE_FALSE(s);
    CHECK(contains(s.error().message(), "stateset cannot have a unit"));
    REQUIRE(reg.try_gauge("lag_seconds", "L.", {}, with_unit("seconds")));
    CHECK(reg.try_gauge("lag_seconds", "L.", {}, with_unit("seconds")));
    auto again = reg.try_gauge("lag_seconds", "L.", {});
    REQUIRE_FALSE(again);
    CHECK(again.error().code() == vitals::errc::conflicting_registration);
}

TEST_CASE("info: _info is appended; its sample names are reserved") {
    vitals::registry reg;
    auto& fam = reg.info("build", "B.", {"version"});
    CHECK(fam.name() == "build_info");
    CHECK(&reg.info("build_info", "B.", {"version"}) == &fam);
    auto clash = reg.try_gauge("build_info", "G.");
    REQUIRE_FALSE(clash);
    auto base = reg.try_gauge("build", "G.");
    REQUIRE_FALSE(base);
    CHECK(base.error().code() == vitals::errc::name_collision);
}

TEST_CASE("stateset: its name is its state label, so it must be a label name") {
    vitals::registry reg;
    auto colon = reg.try_stateset("a:b", "S.", {}, {"x"});
    REQUIRE_FALSE(colon);
    CHECK(colon.error().code() == vitals::errc::invalid_metric_name);
    CHECK(contains(colon.error().message(), "no ':'"));
    auto self = reg.try_stateset("mode", "S.", {"mode"}, {"x"});
    REQUIRE_FALSE(self);
    CHECK(self.error().code() == vitals::errc::duplicate_label_name);
    vitals::family_options cl;
    cl.const_labels = {{"mode", "v"}};
    CHECK_FALSE(reg.try_stateset("mode", "S.", {}, {"x"}, cl));
}

TEST_CASE("stateset: 1 to 64 distinct states; another state list is a conflict") {
    vitals::registry reg;
    auto none = reg.try_stateset("s0", "S.", std::vector<std::string>{});
    REQUIRE_FALSE(none);
    CHECK(contains(none.error().message(), "1 to 64 states, was given 0"));
    std::vector<std::string> many;
    for (int i = 0; i < 65; ++i) many.push_back("s" + std::to_string(i));
    CHECK_FALSE(reg.try_stateset("s65", "S.", many));
    many.pop_back();
    CHECK(reg.try_stateset("s64", "S.", many));
    auto twice = reg.try_stateset("dup", "S.", {"a", "b", "a"});
    REQUIRE_FALSE(twice);
    CHECK(contains(twice.error().message(), "\"a\" twice"));
    // A state is the state label's value: an empty one would be written as no state at all.
    auto empty = reg.try_stateset("blank", "S.", {"a", ""});
    REQUIRE_FALSE(empty);
    CHECK(empty.error().code() == vitals::errc::invalid_argument);
    CHECK(contains(empty.error().message(), "empty state name"));
    CHECK(vitals::to_text(reg).find("blank") == std::string::npos);
    REQUIRE(reg.try_stateset("st", "S.", {"a", "b"}));
    auto other = reg.try_stateset("st", "S.", {"a", "c"});
    REQUIRE_FALSE(other);
    CHECK(other.error().code() == vitals::errc::conflicting_registration);
}
