// tests/regression/label_names_braced_lists.cpp - label names written as braced lists in every
// registration: since a name/value pair `{{"version", "1.2"}}`, a name and a number, and a
// label name 0, NULL or nullptr stop the build (tests/compile_fail/label_names.cpp), the
// lists that are label names, and histogram bounds beside them, register as before.
// SPDX-License-Identifier: MIT
#include <vitals/vitals.hpp>

#include <doctest/doctest.h>

#include <string> // string
#include <vector> // vector

namespace {
using names = std::vector<std::string>;
} // namespace

TEST_CASE("regression: label names as braced lists register the names given") {
    vitals::registry reg;
    const std::string method = "method";
    const names from_variable{"method", "code"};
    SUBCASE("counter") {
        CHECK(reg.counter("c0", "C.", {}).label_names().empty());
        CHECK(reg.counter("c1", "C.", {"method"}).label_names() == names{"method"});
        CHECK(reg.counter("c2", "C.", {"method", "code"}).label_names() == from_variable);
        CHECK(reg.counter("c3", "C.", {method}).label_names() == names{"method"});
        auto& fam = reg.counter("c4", "C.", from_variable);
        CHECK(fam.label_names() == from_variable);
        // The braced list and the vector name the same registration.
        CHECK(&reg.counter("c4", "C.", {"method", "code"}) == &fam);
        auto r = reg.try_counter("c4", "C.", {"method", "code"}, vitals::family_options{});
        REQUIRE(r.ok());
        CHECK(&r.value() == &fam);
        CHECK(reg.try_counter("c5", "C.", {"a", "b"}).value().label_names() == names{"a", "b"});
    }
    SUBCASE("gauge") {
        CHECK(reg.gauge("g0", "G.", {}).label_names().empty());
        CHECK(reg.gauge("g2", "G.", {"method", "code"}).label_names() == from_variable);
        CHECK(reg.try_gauge("g3", "G.", {method}).value().label_names() == names{"method"});
        CHECK(reg.try_gauge("g4", "G.", from_variable).value().label_names() == from_variable);
    }
    SUBCASE("info") {
        auto& build = reg.info("build", "Build.", {"version"});
        CHECK(build.label_names() == names{"version"});
        build.labels("1.2");
        CHECK(reg.info("two", "I.", {"version", "commit"}).label_names() ==
              names{"version", "commit"});
        CHECK(reg.try_info("none", "I.", {}).value().label_names().empty());
        CHECK(reg.try_info("var", "I.", from_variable).value().label_names() == from_variable);
    }
    SUBCASE("stateset") {
        auto& fam = reg.stateset("mode", "M.", {"unit", "site"}, {"on", "off"});
        CHECK(fam.label_names() == names{"unit", "site"});
        CHECK(fam.labels("pump", "north").set("off"));
        CHECK(reg.stateset("plain", "M.", {}, {"on", "off"}).label_names().empty());
        // Two texts alone are the states of an unlabelled stateset, as before.
        vitals::stateset& plain = reg.stateset("unlabelled", "M.", {"on", "off"});
        CHECK(plain.set("on"));
        CHECK_FALSE(plain.set("unit"));
        CHECK(reg.try_stateset("one", "M.", {method}, {"a"}).value().label_names() ==
              names{"method"});
    }
    SUBCASE("histogram") {
        CHECK(reg.histogram("h2", "H.", {"method", "code"}).label_names() == from_variable);
        CHECK(reg.histogram("h0", "H.", {}).label_names().empty());
        CHECK(reg.histogram("hb", "H.", {0.5}).bounds() == std::vector<double>{0.5});
        CHECK(reg.histogram("hz", "H.", {0}).bounds() == std::vector<double>{0.0});
        CHECK(reg.try_histogram("hv", "H.", from_variable).value().label_names() == from_variable);
        // Alone, {0} and {0, 1} are bounds; followed by bounds, a braced list is label names
        // (where 0 no longer compiles), and {0} the bounds after it.
        CHECK(reg.histogram("hz2", "H.", {0, 1}).bounds() == std::vector<double>{0.0, 1.0});
        CHECK(reg.try_histogram("hz3", "H.", {0}).value().bounds() == std::vector<double>{0.0});
        auto& labelled = reg.histogram("hl", "H.", {"method"}, {0});
        CHECK(labelled.label_names() == names{"method"});
        CHECK(labelled.bounds() == std::vector<double>{0.0});
        CHECK(&reg.histogram("hl", "H.", names{"method"}, {0.0}) == &labelled);
        CHECK(&reg.try_histogram("hl", "H.", {method}, {0}).value() == &labelled);
        CHECK(reg.histogram("hn", "H.", {}, {1, 2}).label_names().empty());
        CHECK(reg.histogram("hd", "H.", {"a", "b"}).bounds() == vitals::default_buckets());
    }
}
