// tests/unit/kits_http_exemplars.cpp - the http kit's tracker attaches a request's trace id
// as an exemplar to its count and duration bucket (OpenMetrics only).
// SPDX-License-Identifier: MIT
#include <vitals/vitals.hpp>

#include <doctest/doctest.h>

#include "test_support.hpp"

#include <string> // string

namespace {
using vitals_test::contains;
} // namespace

TEST_CASE("kits/http: set_trace_id puts {trace_id} on the request count and duration") {
    vitals::registry reg;
    vitals::kits::http_metrics http(reg, "app");
    {
        std::string id = "4bf92f3577b34da6a3ce929d0e0e4736";
        auto t = http.track("GET", "/api");
        t.set_trace_id(id);
        id.assign(32, '0'); // copied: the caller's string may change or go away
        t.set_status(200);
    }
    {
        auto t = http.track("GET", "/api"); // no trace id: no exemplar
        t.set_status(200);
    }
    const std::string om = vitals::to_openmetrics(reg);
    CHECK(contains(om, "app_http_requests_total{method=\"GET\",endpoint=\"/api\",status=\"200\"} 2 "
                       "# {trace_id=\"4bf92f3577b34da6a3ce929d0e0e4736\"} 1 "));
    std::size_t buckets_with_exemplar = 0;
    for (std::size_t p = om.find("app_http_request_duration_seconds_bucket");
         p != std::string::npos; p = om.find("app_http_request_duration_seconds_bucket", p + 1)) {
        const std::string line = om.substr(p, om.find('\n', p) - p);
        buckets_with_exemplar +=
            contains(line, "# {trace_id=\"4bf92f3577b34da6a3ce929d0e0e4736\"}");
    }
    CHECK(buckets_with_exemplar == 1);
    CHECK(contains(om, "# UNIT app_http_request_duration_seconds seconds\n"));
    CHECK(contains(om, "# UNIT app_http_request_size_bytes bytes\n"));
    CHECK_FALSE(contains(vitals::to_text(reg), "trace_id"));
}

TEST_CASE("kits/http: a trace id of 120 bytes, the longest an exemplar holds, is kept") {
    // "trace_id" and 120 bytes make the 128 characters OpenMetrics allows an exemplar's labels.
    vitals::registry reg;
    vitals::kits::http_metrics http(reg, "app");
    const std::string id(120, 'b');
    const std::uint64_t before = vitals::exemplars_dropped();
    {
        auto t = http.track("GET", "/x");
        t.set_trace_id(id);
        t.set_status(200);
    }
    CHECK(vitals::exemplars_dropped() == before);
    CHECK(contains(vitals::to_openmetrics(reg),
                   "app_http_requests_total{method=\"GET\",endpoint=\"/x\",status=\"200\"} 1 "
                   "# {trace_id=\"" +
                       id + "\"} 1 "));
}

TEST_CASE("kits/http: a trace id too long for an exemplar is dropped and counted") {
    vitals::registry reg;
    vitals::kits::http_metrics http(reg, "app");
    const std::uint64_t before = vitals::exemplars_dropped();
    {
        auto t = http.track("GET", "/x");
        t.set_trace_id(std::string(121, 'a'));
        t.set_status(200);
    }
    CHECK(vitals::exemplars_dropped() == before + 1);
    CHECK_FALSE(contains(vitals::to_openmetrics(reg), "trace_id"));
    CHECK(contains(vitals::to_openmetrics(reg), "\nvitals_exemplars_dropped_total "));
}
