// tests/unit/openmetrics.cpp - the OpenMetrics 1.0.0 writer: golden expositions (every golden
// case of the text format, plus the OpenMetrics-only ones), output forms, `_created` stamps.
// SPDX-License-Identifier: MIT
#include <vitals/vitals.hpp>

#include "golden_cases.hpp"
#include "test_support.hpp"

#include <doctest/doctest.h>

#include <string> // string

namespace {

// The clock of the registries below: tests set it, series read it when created.
double test_now = 1700000000.25;
double test_clock() noexcept { return test_now; }

std::string render(void (*build)(vitals::registry&)) {
    test_now = 1700000000.25;
    vitals::registry reg(&test_clock);
    build(reg);
    return vitals::to_openmetrics(reg);
}

const std::string golden_dir = vitals_test::golden_dir(__FILE__) + "/openmetrics";

} // namespace

TEST_CASE("openmetrics: the content type is OpenMetrics 1.0.0") {
    CHECK(vitals::openmetrics_content_type ==
          "application/openmetrics-text; version=1.0.0; charset=utf-8");
}

TEST_CASE("openmetrics: every text-format golden case has an OpenMetrics golden") {
    for (const auto& gc : golden::all_cases) {
        CAPTURE(gc.file);
        const std::string problem =
            vitals_test::compare_golden(golden_dir, gc.file, render(gc.build));
        CHECK_MESSAGE(problem.empty(), problem);
    }
}

TEST_CASE("openmetrics: an empty registry is just # EOF") {
    vitals::registry reg;
    CHECK(vitals::to_openmetrics(reg) == "# EOF\n");
}

TEST_CASE("openmetrics: counters are described without _total and carry _created") {
    vitals::registry reg(&test_clock);
    test_now = 1234.5;
    reg.counter("jobs", "Jobs.").inc(2);
    CHECK(vitals::to_openmetrics(reg) == "# HELP jobs Jobs.\n"
                                         "# TYPE jobs counter\n"
                                         "jobs_total 2\n"
                                         "jobs_created 1234.5\n"
                                         "# EOF\n");
}

TEST_CASE("openmetrics: _created is reset when a series is removed and re-added") {
    vitals::registry reg(&test_clock);
    test_now = 100.0;
    auto& fam = reg.counter("events", "Events.", {"kind"});
    fam.labels("a").inc();
    test_now = 200.0;
    fam.labels("b").inc();
    std::string out = vitals::to_openmetrics(reg);
    CHECK(out.find("events_created{kind=\"a\"} 100\n") != std::string::npos);
    CHECK(out.find("events_created{kind=\"b\"} 200\n") != std::string::npos);
    test_now = 300.0;
    fam.labels("a").inc(); // existing series: unchanged
    CHECK(vitals::to_openmetrics(reg).find("events_created{kind=\"a\"} 100\n") !=
          std::string::npos);
    CHECK(fam.remove("a"));
    fam.labels("a").inc();
    out = vitals::to_openmetrics(reg);
    CHECK(out.find("events_total{kind=\"a\"} 1\n") != std::string::npos);
    CHECK(out.find("events_created{kind=\"a\"} 300\n") != std::string::npos);
    test_now = 400.0;
    fam.clear();
    fam.labels("b");
    out = vitals::to_openmetrics(reg);
    CHECK(out.find("events_total{kind=\"b\"} 0\n") != std::string::npos);
    CHECK(out.find("events_created{kind=\"b\"} 400\n") != std::string::npos);
    CHECK(out.find("kind=\"a\"") == std::string::npos);
}

TEST_CASE("openmetrics: histograms carry _created; a negative bound or sum drops _sum/_count") {
    vitals::registry reg(&test_clock);
    test_now = 5.0;
    reg.histogram("lat_seconds", "L.", {1.0}).observe(0.5);
    reg.histogram("temp_celsius", "T.", {-5.0, 5.0}).observe(1);
    const std::string out = vitals::to_openmetrics(reg);
    CHECK(out.find("lat_seconds_count 1\nlat_seconds_sum 0.5\nlat_seconds_created 5\n") !=
          std::string::npos);
    CHECK(out.find("temp_celsius_bucket{le=\"+Inf\"} 1\ntemp_celsius_created 5\n") !=
          std::string::npos);
    CHECK(out.find("temp_celsius_sum") == std::string::npos);
    CHECK(out.find("temp_celsius_count") == std::string::npos);
}

TEST_CASE("openmetrics: every output form writes the same bytes") {
    test_now = 7.0;
    vitals::registry reg(&test_clock);
    golden::labelled(reg);
    golden::hostile_labels(reg);
    const std::string whole = vitals::to_openmetrics(reg);
    std::string appended = "prefix\n";
    vitals::write_openmetrics(reg, appended);
    CHECK(appended == "prefix\n" + whole);
    for (std::size_t capacity : {std::size_t{1}, std::size_t{7}, std::size_t{64}, std::size_t{0}}) {
        CAPTURE(capacity);
        std::string streamed;
        std::size_t largest = 0;
        char buffer[64];
        struct ctx_t {
            std::string* s;
            std::size_t* largest;
        } ctx{&streamed, &largest};
        vitals::write_openmetrics(
            reg,
            [](void* c, const char* data, std::size_t size) {
                auto* x = static_cast<ctx_t*>(c);
                x->s->append(data, size);
                if (size > *x->largest) *x->largest = size;
            },
            &ctx, capacity == 0 ? nullptr : buffer, capacity);
        CHECK(streamed == whole);
        CHECK(largest <= (capacity == 0 ? 64 : capacity));
    }
    std::string by_callable;
    vitals::write_openmetrics(
        reg, [&](const char* data, std::size_t size) { by_callable.append(data, size); });
    CHECK(by_callable == whole);
}
