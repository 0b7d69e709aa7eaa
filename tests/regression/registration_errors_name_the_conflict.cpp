// tests/regression/registration_errors_name_the_conflict.cpp - registration and label-count
// errors say what actually conflicts and show both values. Before: counter `app_requests`
// then gauge `app_requests` said samples named `app_requests` were "already used" (the
// counter's samples are `app_requests_total`), a redefinition said only "different help,
// labels, buckets or options", and a label-count error did not name the labels.
// SPDX-License-Identifier: MIT
#include <vitals/vitals.hpp>

#include <doctest/doctest.h>

#include <string> // string
#include <vector> // vector

using vitals::errc;

TEST_CASE("regression: a name taken by a counter's base name names that counter") {
    vitals::registry reg;
    (void)reg.counter("app_requests", "Requests.");
    auto g = reg.try_gauge("app_requests", "Requests.");
    REQUIRE_FALSE(g.ok());
    CHECK(g.error().code() == errc::name_collision);
    CHECK(g.error().message() ==
          "gauge 'app_requests' clashes with the existing counter 'app_requests_total', which "
          "also owns its name without '_total', 'app_requests'");

    SUBCASE("a histogram whose samples a counter owns") {
        (void)reg.counter("lat_count", "Count.");
        auto h = reg.try_histogram("lat", "Latency.");
        REQUIRE_FALSE(h.ok());
        CHECK(h.error().message() ==
              "histogram 'lat', which would expose samples named 'lat_count', clashes with the "
              "existing counter 'lat_count_total', which also owns its name without '_total', "
              "'lat_count'");
    }
    SUBCASE("a gauge named like a histogram's samples") {
        (void)reg.histogram("size", "Size.");
        auto s = reg.try_gauge("size_sum", "Sum.");
        REQUIRE_FALSE(s.ok());
        CHECK(s.error().message() == "gauge 'size_sum' clashes with the existing histogram "
                                     "'size', which exposes samples named 'size_sum'");
    }
    SUBCASE("a counter whose base name is a gauge") {
        (void)reg.gauge("queue", "Queue.");
        auto c = reg.try_counter("queue_total", "Queue.");
        REQUIRE_FALSE(c.ok());
        CHECK(c.error().message() ==
              "counter 'queue_total', which also owns its name without '_total', 'queue', "
              "clashes with the existing gauge 'queue'");
    }
}

TEST_CASE("regression: a conflicting redefinition says what differs, with both values") {
    vitals::registry reg;
    vitals::family_options opts;
    opts.const_labels = {{"region", "eu"}};
    (void)reg.counter("jobs", "Jobs run.", {"kind"}, opts);
    (void)reg.histogram("lat", "Latency.", {"path"}, {0.5, 1});

    const auto message = [](const auto& r) {
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code() == errc::conflicting_registration);
        return r.error().message();
    };
    CHECK(message(reg.try_gauge("jobs_total", "Jobs run.", {"kind"}, opts)) ==
          "metric 'jobs_total' is already registered as a counter, not a gauge");
    CHECK(message(reg.try_counter("jobs", "Jobs.", {"kind"}, opts)) ==
          "metric 'jobs_total' is already registered with help \"Jobs run.\", not \"Jobs.\"");
    CHECK(message(reg.try_counter("jobs", "Jobs run.", {"kind", "status"}, opts)) ==
          "metric 'jobs_total' is already registered with label names [kind], not [kind, "
          "status]");
    CHECK(message(reg.try_counter("jobs", "Jobs run.", {"kind"})) ==
          "metric 'jobs_total' is already registered with const labels [region=\"eu\"], not []");
    vitals::family_options bounded = opts;
    bounded.max_series = 5;
    CHECK(message(reg.try_counter("jobs", "Jobs run.", {"kind"}, bounded)) ==
          "metric 'jobs_total' is already registered with max_series 10000, not 5");
    CHECK(message(reg.try_histogram("lat", "Latency.", {"path"}, {0.5, 2})) ==
          "metric 'lat' is already registered with buckets [0.5, 1], not [0.5, 2]");
    CHECK(message(reg.try_histogram("lat", "Latency!", {"method"}, {0.5, 1})) ==
          "metric 'lat' is already registered with help \"Latency.\", not \"Latency!\"; with "
          "label names [path], not [method]");
}

TEST_CASE("regression: messages name an info as 'an info', every other type with 'a'") {
    vitals::registry reg;
    (void)reg.info("build", "Build.", {"version"});
    auto g = reg.try_gauge("build_info", "Build.");
    REQUIRE_FALSE(g.ok());
    CHECK(g.error().message() ==
          "metric 'build_info' is already registered as an info, not a gauge");
    auto unnamed = reg.try_info("_info", "Build.", {"version"});
    REQUIRE_FALSE(unnamed.ok());
    CHECK(unnamed.error().message() ==
          "invalid metric name '_info': an info needs a name before '_info'");
    vitals::family_options seconds;
    seconds.unit = "seconds";
    auto with_unit = reg.try_stateset("mode", "Mode.", {}, {"a", "b"}, seconds);
    REQUIRE_FALSE(with_unit.ok());
    CHECK(with_unit.error().message() ==
          "metric 'mode' declares unit \"seconds\", but a stateset cannot have a unit");
}

TEST_CASE("regression: a wrong number of label values lists the label names") {
    vitals::registry reg;
    auto& requests = reg.counter("http_requests", "Requests.", {"method", "code"});
    auto r = requests.try_labels("GET");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code() == errc::label_count_mismatch);
    CHECK(r.error().message() ==
          "metric 'http_requests_total' has 2 label names [method, code] but was given 1 value");
    auto& one = reg.gauge("temperature", "Degrees.", {"room"});
    CHECK(one.try_labels("a", "b").error().message() ==
          "metric 'temperature' has 1 label name [room] but was given 2 values");
}

TEST_CASE("regression: help texts that part after the shown bytes say where they part") {
    // A message shows 128 bytes of each help text: two long texts differing only after them
    // read as equal but for the sizes, which are the same when one character changed.
    vitals::registry reg;
    const std::string shared(200, 'h');
    (void)reg.counter("docs", shared + "one.");
    auto r = reg.try_counter("docs", shared + "two.");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code() == errc::conflicting_registration);
    const std::string shown = "\"" + std::string(128, 'h') + "\"... (204 bytes)";
    CHECK(r.error().message() == "metric 'docs_total' is already registered with help " + shown +
                                     ", not " + shown + " (the two differ from byte 200 on)");
    // Differences the message shows, in short or long texts, get no such note.
    (void)reg.counter("notes", "Notes.");
    auto s = reg.try_counter("notes", "Notes!");
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().message().find("differ from byte") == std::string::npos);
    (void)reg.counter("long", "A" + shared);
    auto l = reg.try_counter("long", "B" + shared);
    REQUIRE_FALSE(l.ok());
    CHECK(l.error().message().find("differ from byte") == std::string::npos);
}
