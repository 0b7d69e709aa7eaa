// tests/unit/registry_collector_failures.cpp - a throwing collector never ends a scrape.
// SPDX-License-Identifier: MIT
#include <vitals/config.hpp>
#include <vitals/registry.hpp>
#include <vitals/text_format.hpp>

#include <doctest/doctest.h>

#include <stdexcept> // runtime_error
#include <string>    // string

#if VITALS_HAS_EXCEPTIONS()
TEST_CASE("registry: a throwing collector is recorded by name and the scrape goes on") {
    vitals::registry reg;
    reg.gauge("app_ready", "Ready.").set(1);
    reg.add_collector("before",
                      [](vitals::collector_output& out) { out.gauge("app_before", "Before.", 1); });
    int calls = 0;
    reg.add_collector("flaky", [&calls](vitals::collector_output& out) {
        out.gauge("app_flaky_partial", "Written before the throw.", 2);
        if (++calls % 2 == 1) throw std::runtime_error("disk on fire");
    });
    reg.add_collector([](vitals::collector_output&) { throw 42; });
    reg.add_collector("after",
                      [](vitals::collector_output& out) { out.gauge("app_after", "After.", 3); });
    CHECK(reg.collector_failure_count() == 0);
    CHECK(reg.collector_failures().empty());

    const std::string text = vitals::to_text(reg);
    CHECK(text.find("app_ready 1\n") != std::string::npos);
    CHECK(text.find("app_before 1\n") != std::string::npos);
    CHECK(text.find("app_flaky_partial 2\n") != std::string::npos);
    CHECK(text.find("app_after 3\n") != std::string::npos);

    auto failures = reg.collector_failures();
    REQUIRE(failures.size() == 2);
    CHECK(failures[0].name == "flaky");
    CHECK(failures[0].count == 1);
    CHECK(failures[0].message == "disk on fire");
    CHECK(failures[1].name == "collector_3"); // unnamed: its position
    CHECK(failures[1].message == "unknown exception");
    CHECK(reg.collector_failure_count() == 2);

    vitals::to_text(reg); // flaky succeeds this time, the unnamed one throws again
    failures = reg.collector_failures();
    REQUIRE(failures.size() == 2);
    CHECK(failures[0].count == 1);
    CHECK(failures[1].count == 2);
    CHECK(reg.collector_failure_count() == 3);
}
#endif

TEST_CASE("registry: collectors that do not throw report no failures") {
    vitals::registry reg;
    reg.add_collector("quiet", [](vitals::collector_output& out) { out.gauge("app_x", "X.", 1); });
    CHECK(vitals::to_text(reg).find("app_x 1\n") != std::string::npos);
    CHECK(reg.collector_failure_count() == 0);
    CHECK(reg.collector_failures().empty());
}
