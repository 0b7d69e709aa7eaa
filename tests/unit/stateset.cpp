// tests/unit/stateset.cpp - vitals::stateset and vitals::info: states, enum switching,
// unknown names, reset on re-add, concurrent set_only never shows two states.
// SPDX-License-Identifier: MIT
#include <vitals/vitals.hpp>

#include <doctest/doctest.h>

#include <atomic>      // atomic
#include <cstddef>     // size_t
#include <cstdint>     // uint64_t
#include <string>      // string, to_string
#include <thread>      // thread
#include <type_traits> // is_constructible
#include <vector>      // vector

TEST_CASE("stateset: set, set_only and get by name; unknown names change nothing") {
    const std::vector<std::string> states{"a", "b", "c"};
    vitals::stateset s(states);
    CHECK(s.bits() == 0);
    CHECK(s.set("b"));
    CHECK(s.set("c"));
    CHECK(s.get("b"));
    CHECK(s.get("c"));
    CHECK_FALSE(s.get("a"));
    CHECK(s.set("c", false));
    CHECK_FALSE(s.get("c"));
    const std::uint64_t rejected = vitals::rejected_writes();
    CHECK_FALSE(s.set("nope"));
    CHECK_FALSE(s.set_only("nope"));
    CHECK(s.bits() == 2);
    CHECK(vitals::rejected_writes() == rejected + 2); // a typo shows, like any refused write
    CHECK(s.set_only("a"));
    CHECK(s.bits() == 1);
    CHECK_FALSE(s.get("nope"));
    CHECK(&s.states() == &states);
    s.reset();
    CHECK(s.bits() == 0);
}

// A stateset views its list of states: one made from a temporary list would keep a view of
// a destroyed vector, so that constructor is deleted.
static_assert(!std::is_constructible<vitals::stateset, std::vector<std::string>&&>::value,
              "a stateset must not be made from a temporary list of states");
static_assert(std::is_constructible<vitals::stateset, const std::vector<std::string>&>::value,
              "a stateset is made from a list that outlives it");

TEST_CASE("stateset: past max_states, names are unknown states") {
    std::vector<std::string> states;
    for (std::size_t i = 0; i < vitals::stateset::max_states + 2; ++i)
        states.push_back("s" + std::to_string(i));
    vitals::stateset s(states);
    CHECK(s.set_only("s63"));
    CHECK(s.bits() == std::uint64_t{1} << 63);
    CHECK_FALSE(s.set("s64"));
    CHECK_FALSE(s.set_only("s65"));
    CHECK_FALSE(s.get("s64"));
    CHECK(s.bits() == std::uint64_t{1} << 63);
}

TEST_CASE("stateset: a removed and re-added series starts with every state false") {
    vitals::registry reg;
    auto& fam = reg.stateset("phase", "P.", {"job"}, {"idle", "busy"});
    fam.labels("x").set_only("busy");
    CHECK(fam.remove("x"));
    CHECK(fam.labels("x").bits() == 0);
}

TEST_CASE("stateset: concurrent set_only never shows two states or none") {
    vitals::registry reg;
    auto& s = reg.stateset("mode", "M.", {"one", "two", "three"});
    s.set_only("one");
    std::atomic<bool> stop{false};
    std::thread writer([&] {
        const char* names[] = {"one", "two", "three"};
        for (int i = 0; !stop.load(); ++i) s.set_only(names[i % 3]);
    });
    int bad = 0;
    for (int i = 0; i < 2000; ++i) {
        const std::string text = vitals::to_openmetrics(reg);
        int ones = 0;
        for (std::size_t p = text.find("} 1\n"); p != std::string::npos;
             p = text.find("} 1\n", p + 1))
            ++ones;
        bad += ones != 1;
    }
    stop = true;
    writer.join();
    CHECK(bad == 0);
}

TEST_CASE("info: every series has the value 1 in both formats") {
    vitals::registry reg;
    auto& fam = reg.info("svc", "S.", {"version"});
    fam.labels("1.0");
    CHECK(vitals::info::value() == 1.0);
    CHECK(vitals::to_text(reg).find("svc_info{version=\"1.0\"} 1\n") != std::string::npos);
    CHECK(vitals::to_openmetrics(reg).find("# TYPE svc info\nsvc_info{version=\"1.0\"} 1\n") !=
          std::string::npos);
}

// A state is the value of the state label on every series and scrape, so it keeps to the
// label-value bound as const labels do: refused at registration, measured as shown.
TEST_CASE("stateset: a state longer than max_label_value_bytes is refused at registration") {
    vitals::registry reg;
    auto huge = reg.try_stateset("phase", "P.", {"idle", std::string(100000, 's')});
    REQUIRE_FALSE(huge.ok());
    CHECK(huge.error().code() == vitals::errc::invalid_argument);
    CHECK(huge.error().message().find("100000 bytes") != std::string::npos);
    CHECK(vitals::to_text(reg).empty());

    vitals::family_options opts;
    opts.max_label_value_bytes = 6;
    CHECK(reg.try_stateset("mode", "M.", {"k"}, {"abcdef"}, opts).ok());
    auto shown = reg.try_stateset("kind", "K.", {"k"}, {"abcd\xff"}, opts); // 7 bytes shown
    REQUIRE_FALSE(shown.ok());
    CHECK(shown.error().code() == vitals::errc::invalid_argument);
    CHECK(reg.try_stateset("phase", "P.", {"idle", std::string(2048, 's')}).ok());
}
