// tests/unit/openmetrics.cpp - the OpenMetrics 1.0.0 writer: golden expositions (every golden
// case of the text format, plus the OpenMetrics-only ones), output forms, `_created` stamps.
// SPDX-License-Identifier: MIT
#include <vitals/vitals.hpp>

#include "golden_cases.hpp"
#include "test_support.hpp"

#include <doctest/doctest.h>

#include <limits>  // numeric_limits
#include <string>  // string
#include <utility> // pair

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

// Exemplars carry their own timestamps here (at()), so the golden is exact.
void exemplars(vitals::registry& reg) {
    auto& req = reg.counter("http_requests", "Requests.", {"method"});
    req.labels("GET").inc(
        1, vitals::exemplar{"trace_id", "4bf92f3577b34da6a3ce929d0e0e4736"}.at(1700000001.5));
    req.labels("GET").inc(2, vitals::exemplar{"trace_id", "00f067aa0ba902b7a3ce929d0e0e4736"}.at(
                                 1700000002.125)); // the latest wins
    req.labels("POST").inc(1);                     // no exemplar
    req.labels("PUT").inc(
        0.5, vitals::exemplar{"trace_id", "quote\" backslash\\ newline\n"}.at(1700000003));
    auto& lat =
        reg.histogram("http_request_duration_seconds", "Latency.", {"method"}, {0.1, 0.5, 1});
    lat.labels("GET").observe(0.05, vitals::exemplar{"trace_id", "aaaa"}.at(1700000004));
    lat.labels("GET").observe(0.07, vitals::exemplar{"trace_id", "bbbb"}.at(1700000005));
    lat.labels("GET").observe(0.7);
    const vitals::exemplar_label two[] = {{"trace_id", "cccc"}, {"span_id", "dd"}};
    lat.labels("GET").observe(3, vitals::exemplar(two).at(1700000006));
    lat.labels("GET").observe(0.2); // no exemplar: the bucket keeps its last one
    auto& c = reg.counter("plain_events", "Counter without exemplars.");
    c.inc(3);
    // A character budget of exactly 128: the name (8) and a 120-character value.
    reg.counter("long_exemplar", "At the limit.")
        .inc(1, vitals::exemplar{"trace_id", std::string(120, 'f')}.at(1700000007));
}

const golden::golden_case om_cases[] = {
    {"exemplars.txt", &exemplars},
};

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

TEST_CASE("openmetrics: golden cases only OpenMetrics can show (exemplars)") {
    for (const auto& gc : om_cases) {
        CAPTURE(gc.file);
        const std::string problem =
            vitals_test::compare_golden(golden_dir, gc.file, render(gc.build));
        CHECK_MESSAGE(problem.empty(), problem);
    }
}

TEST_CASE("openmetrics: exemplars never appear in the text format 0.0.4") {
    vitals::registry reg;
    exemplars(reg);
    CHECK(vitals::to_text(reg).find(" # ") == std::string::npos);
    CHECK(vitals::to_text(reg).find("trace_id") == std::string::npos);
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

// Only a negative bound or a negative sum takes _sum and _count away: a first bound of 0, or
// a sum of 0 (nothing observed, or only zeros), is neither, for a family as for a collector.
TEST_CASE("openmetrics: a bound of zero and a sum of zero keep _sum/_count") {
    vitals::registry reg(&test_clock);
    test_now = 5.0;
    reg.histogram("wait_seconds", "W.", {0.0, 1.0}).observe(0.0);
    reg.histogram("idle_seconds", "I.", {1.0});
    reg.add_collector([](vitals::collector_output& out) {
        out.family("c_wait_seconds", "CW.", vitals::metric_type::histogram);
        out.histogram_sample({0.0, 1.0}, {2, 2, 2}, 0.0);
        out.family("c_temp_celsius", "CT.", vitals::metric_type::histogram);
        out.histogram_sample({-5.0, 5.0}, {0, 1, 1}, 1.0);
        out.family("c_delta", "CD.", vitals::metric_type::histogram);
        out.histogram_sample({1.0}, {1, 1}, -0.5);
    });
    const std::string out = vitals::to_openmetrics(reg);
    const auto contains = [&out](const std::string& part) {
        return out.find(part) != std::string::npos;
    };
    CHECK(contains("wait_seconds_bucket{le=\"+Inf\"} 1\nwait_seconds_count 1\n"
                   "wait_seconds_sum 0\nwait_seconds_created 5\n"));
    CHECK(contains("idle_seconds_bucket{le=\"+Inf\"} 0\nidle_seconds_count 0\n"
                   "idle_seconds_sum 0\nidle_seconds_created 5\n"));
    CHECK(contains("c_wait_seconds_bucket{le=\"+Inf\"} 2\nc_wait_seconds_sum 0\n"
                   "c_wait_seconds_count 2\n"));
    CHECK(contains("c_temp_celsius_bucket{le=\"+Inf\"} 1\n# HELP c_delta "));
    CHECK(contains("c_delta_bucket{le=\"+Inf\"} 1\n# EOF\n"));
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

namespace {
double clock_value = 0.0;
double settable_clock() noexcept { return clock_value; }

std::string created_of(double t) {
    clock_value = t;
    vitals::registry reg(&settable_clock);
    reg.counter("jobs_total", "Jobs.").inc();
    const std::string out = vitals::to_openmetrics(reg);
    const std::string key = "jobs_created ";
    const std::size_t at = out.find(key);
    REQUIRE(at != std::string::npos);
    return out.substr(at + key.size(), out.find('\n', at) - at - key.size());
}
} // namespace

TEST_CASE("openmetrics: _created is written to the microsecond, without trailing zeros") {
    CHECK(created_of(1700000000.0) == "1700000000");
    CHECK(created_of(1700000000.25) == "1700000000.25");
    CHECK(created_of(1700000000.000001) == "1700000000.000001");
    CHECK(created_of(1700000000.123456) == "1700000000.123456");
    CHECK(created_of(1700000000.9999997) == "1700000001"); // rounds up into the next second
    CHECK(created_of(0.0) == "0");
    // An odd injected clock is still written as a valid number.
    CHECK(created_of(-2.5) == "-2.5");
    CHECK(created_of(1e300) == "1e+300");
}

TEST_CASE("openmetrics: a clock returning NaN or an infinity leaves _created out") {
    for (const double t :
         {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(),
          -std::numeric_limits<double>::infinity()}) {
        clock_value = t;
        vitals::registry reg(&settable_clock);
        reg.counter("jobs_total", "Jobs.").inc();
        reg.histogram("lat_seconds", "Latency.", {0.5}).observe(0.25);
        const std::string out = vitals::to_openmetrics(reg);
        CHECK(out.find("_created") == std::string::npos);
        CHECK(out.find("jobs_total 1\n") != std::string::npos);
        CHECK(out.find("lat_seconds_count 1\n") != std::string::npos);
    }
}

TEST_CASE("openmetrics: series made in the same second and in others, in one render") {
    // Each series' whole seconds are its own, whether or not the series written before it
    // had the same second.
    vitals::registry reg(&settable_clock);
    auto& fam = reg.counter("events", "Events.", {"kind"});
    const std::pair<const char*, double> made[] = {{"a", 1700000000.5}, {"b", 1700000000.25},
                                                   {"c", 1700000001.0}, {"d", 1700000001.75},
                                                   {"e", 999.125},      {"f", 1700000001.0}};
    for (const auto& m : made) {
        clock_value = m.second;
        fam.labels(m.first);
    }
    const std::string out = vitals::to_openmetrics(reg);
    CHECK(out.find("events_created{kind=\"a\"} 1700000000.5\n") != std::string::npos);
    CHECK(out.find("events_created{kind=\"b\"} 1700000000.25\n") != std::string::npos);
    CHECK(out.find("events_created{kind=\"c\"} 1700000001\n") != std::string::npos);
    CHECK(out.find("events_created{kind=\"d\"} 1700000001.75\n") != std::string::npos);
    CHECK(out.find("events_created{kind=\"e\"} 999.125\n") != std::string::npos);
    CHECK(out.find("events_created{kind=\"f\"} 1700000001\n") != std::string::npos);
}

// OpenMetrics requires `le` values in canonical form (Go's shortest 'g' formatting, with ".0"
// on numbers that have neither a point nor an exponent); the text format writes le="1".
TEST_CASE("openmetrics: le values are canonical numbers") {
    const auto canonical = [](double v) {
        char buf[vitals::detail::max_number_chars];
        return std::string(buf, vitals::detail::format_canonical(buf, v));
    };
    // The examples of the OpenMetrics specification, and more around the switch to exponents.
    CHECK(canonical(1e-10) == "1e-10");
    CHECK(canonical(1e-9) == "1e-09");
    CHECK(canonical(1e-5) == "1e-05");
    CHECK(canonical(0.0001) == "0.0001");
    CHECK(canonical(0.1) == "0.1");
    CHECK(canonical(1.0) == "1.0");
    CHECK(canonical(100000.0) == "100000.0");
    CHECK(canonical(1e6) == "1e+06");
    CHECK(canonical(1e10) == "1e+10");
    CHECK(canonical(0.0) == "0.0");
    CHECK(canonical(-0.0) == "0.0");
    CHECK(canonical(2.5) == "2.5");
    CHECK(canonical(123456.0) == "123456.0");
    CHECK(canonical(1234567.0) == "1.234567e+06");
    CHECK(canonical(999999.5) == "999999.5");
    CHECK(canonical(0.00012) == "0.00012");
    CHECK(canonical(-1.5e-7) == "-1.5e-07");
    CHECK(canonical(1e300) == "1e+300");
    CHECK(canonical(5e-324) == "5e-324");
    CHECK(canonical(1152921504606846976.0) == "1.152921504606847e+18"); // shortest, not exact

    vitals::registry reg;
    reg.histogram("h", "H.", {0.005, 1, 10, 1e6}).observe(3);
    reg.add_collector("c", [](vitals::collector_output& out) {
        out.family("ch", "CH.", vitals::metric_type::histogram);
        out.histogram_sample({1, 2.5}, {1, 2, 2}, 3.5);
    });
    const auto contains = [](const std::string& s, const std::string& part) {
        return s.find(part) != std::string::npos;
    };
    const std::string om = vitals::to_openmetrics(reg);
    CHECK(contains(om, "h_bucket{le=\"0.005\"} 0\nh_bucket{le=\"1.0\"} 0\n"
                       "h_bucket{le=\"10.0\"} 1\nh_bucket{le=\"1e+06\"} 1\n"));
    CHECK(contains(om, "ch_bucket{le=\"1.0\"} 1\nch_bucket{le=\"2.5\"} 2\n"));
    const std::string text = vitals::to_text(reg);
    CHECK(
        contains(text, "h_bucket{le=\"1\"} 0\nh_bucket{le=\"10\"} 1\nh_bucket{le=\"1e+06\"} 1\n"));
    CHECK(contains(text, "ch_bucket{le=\"1\"} 1\n"));
}
