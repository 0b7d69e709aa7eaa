// tests/regression/stateset_states_braced_lists.cpp - a stateset's states written as braced
// lists, beside label names written either way: since states in pairs `{{"on", "off"}}`, with
// a value `{{"on", true}}` or as 0 stop the build (tests/compile_fail/stateset_states.cpp), the
// lists that are states register the same states as before, and as a vector variable does.
// SPDX-License-Identifier: MIT
#include <vitals/vitals.hpp>

#include <doctest/doctest.h>

#include <string> // string
#include <vector> // vector

namespace {
using texts = std::vector<std::string>;
} // namespace

TEST_CASE("regression: stateset states as braced lists register the states given") {
    vitals::registry reg;
    const std::string on = "on";
    const texts states{"on", "off"};
    const texts unit{"unit"};
    SUBCASE("unlabelled") {
        vitals::stateset& s = reg.stateset("phase", "P.", {"on", "off"});
        CHECK(s.states() == states);
        CHECK(s.set_only("off"));
        // The braced list and the vector name the same registration.
        CHECK(&reg.stateset("phase", "P.", states) == &s);
        CHECK(&reg.try_stateset("phase", "P.", {"on", "off"}).value() == &s);
        CHECK(reg.stateset("one", "P.", {on}).states() == texts{"on"});
        CHECK(reg.stateset("nested", "P.", {{"on"}, "off"}).states() == states);
        // An iterator pair in braces is still a range of states.
        CHECK(reg.stateset("range", "P.", {states.begin(), states.end()}).states() == states);
        CHECK(reg.try_stateset("empty", "P.", {}).error().code() == vitals::errc::invalid_argument);
    }
    SUBCASE("labelled, each argument written either way") {
        auto& fam = reg.stateset("mode", "M.", {"unit"}, {"on", "off"});
        CHECK(fam.label_names() == unit);
        CHECK(fam.labels("pump").states() == states);
        CHECK(fam.labels("pump").set("on"));
        CHECK(&reg.stateset("mode", "M.", unit, {"on", "off"}) == &fam);
        CHECK(&reg.stateset("mode", "M.", {"unit"}, states) == &fam);
        CHECK(&reg.stateset("mode", "M.", unit, states, vitals::family_options{}) == &fam);
        CHECK(&reg.try_stateset("mode", "M.", {"unit"}, {"on", "off"}).value() == &fam);
        CHECK(&reg.try_stateset("mode", "M.", unit, {"on", "off"}).value() == &fam);
        auto& plain = reg.stateset("plain", "M.", {}, {on, "off"});
        CHECK(plain.label_names().empty());
        CHECK(plain.labels().states() == states);
        const vitals::family_options opts{{{"site", "north"}}};
        CHECK(reg.stateset("kept", "M.", {"unit"}, {"on"}, opts).labels("a").states() ==
              texts{"on"});
        // A state that is not a valid label value is still refused at run time.
        CHECK(reg.try_stateset("bad", "M.", unit, {"on", "on"}).error().code() ==
              vitals::errc::invalid_argument);
    }
}
