// tests/unit/server_collector_failures.cpp - health_server: collectors that fail while
// /metrics renders.
// SPDX-License-Identifier: MIT
#include "server_support.hpp"

#include <vitals/process.hpp>

#include <doctest/doctest.h>

#include <atomic>    // atomic
#include <stdexcept> // runtime_error
#include <string>    // string

using namespace server_test;

#if VITALS_HAS_EXCEPTIONS()
TEST_CASE("collector failures: a throwing collector leaves the server serving the rest") {
    vitals::registry reg;
    reg.gauge("app_up", "Up.").set(1);
    reg.add_collector(
        "disk", [](vitals::collector_output&) { throw std::runtime_error("cannot stat /data"); });
    reg.add_collector("queue", [](vitals::collector_output& out) {
        out.gauge("app_queue_depth", "Queue depth.", 4);
    });
    vitals::health_server server(reg, local_options());
    server.set_ready(true);
    server.start();
    for (int i = 0; i < 3; ++i) {
        const test_http::response r = test_http::get(server.port(), "/metrics");
        REQUIRE(r.status == 200);
        CHECK(contains(r.body, "app_up 1\n"));
        CHECK(contains(r.body, "app_queue_depth 4\n"));
    }
    // Counted per collector in the self-metrics (visible from the next scrape on).
    const test_http::response r = test_http::get(server.port(), "/metrics");
    CHECK(contains(r.body, "vitals_server_collector_failures_total{collector=\"disk\"} 3\n"));
    CHECK(!contains(r.body, "collector=\"queue\""));
    // Shown in /health, without turning it into a failure.
    const test_http::response h = test_http::get(server.port(), "/health");
    CHECK(h.status == 200);
    CHECK(contains(h.body, "\"collectors\":[{\"name\":\"disk\",\"status\":\"fail\",\"failures\":4,"
                           "\"message\":\"cannot stat /data\"}]"));
    CHECK(test_http::get(server.port(), "/live").status == 200);
}

TEST_CASE(
    "collector failures: what a collector wrote before it threw is served, as the help says") {
    vitals::registry reg;
    reg.add_collector("disk", [](vitals::collector_output& out) {
        out.gauge("app_disk_free_bytes", "Free bytes.", 10);
        throw std::runtime_error("cannot stat /data");
    });
    vitals::health_server server(reg, local_options());
    server.start();
    REQUIRE(test_http::get(server.port(), "/metrics").status == 200);
    const test_http::response r = test_http::get(server.port(), "/metrics");
    REQUIRE(r.status == 200);
    CHECK(contains(r.body, "app_disk_free_bytes 10\n"));
    CHECK(contains(r.body, "vitals_server_collector_failures_total{collector=\"disk\"} 1\n"));
    // The help text must not tell an operator that the collector's whole output is missing.
    CHECK(contains(r.body, "# HELP vitals_server_collector_failures_total Scrapes in which a "
                           "collector threw, by collector name (what it would have written "
                           "after the throw was left out).\n"));
}

// Two collectors may share a name; the failures of both count under it, and the count only
// ever grows (it once compared each with the other's earlier count and wrapped below zero).
TEST_CASE("collector failures: collectors sharing a name count together, never backwards") {
    vitals::registry reg;
    std::atomic<int> phase{0}; // read on the server thread
    reg.add_collector("dup", [&phase](vitals::collector_output&) {
        if (phase == 1) throw std::runtime_error("first fails");
    });
    reg.add_collector("dup", [&phase](vitals::collector_output&) {
        if (phase == 0) throw std::runtime_error("second fails");
    });
    vitals::health_server server(reg, local_options());
    server.start();
    const std::string series = "vitals_server_collector_failures_total{collector=\"dup\"}";
    // Each scrape shows the failures noted up to the scrape before it.
    double last = 0;
    const auto scrape = [&] {
        const test_http::response r = test_http::get(server.port(), "/metrics");
        REQUIRE(r.status == 200);
        const std::size_t at = r.body.find(series + " ");
        return at == std::string::npos ? 0.0 : std::stod(r.body.substr(at + series.size() + 1));
    };
    for (int i = 0; i < 4; ++i) {
        const double now = scrape();
        CHECK(now >= last);
        last = now;
    }
    phase = 1;
    for (int i = 0; i < 3; ++i) {
        const double now = scrape();
        CHECK(now >= last);
        last = now;
    }
    CHECK(last == 6); // 4 + 3 failing renders, the last one not yet noted
}
#endif

// A collector that parses an odd /proc/self/cgroup (a v2 path without '/', which used to
// throw std::out_of_range and end the program) reports what it can and the server serves.
TEST_CASE("collector failures: odd cgroup text leaves the server serving") {
    vitals::registry reg;
    reg.add_collector("cgroup", [](vitals::collector_output& out) {
        const auto files = vitals::detail::cgroup_limit_files("0::noslash\n1:memory:\n");
        out.gauge("app_cgroup_files", "Memory limit files found.",
                  static_cast<double>(files.size()));
    });
    vitals::add_process_metrics(reg, "app");
    vitals::health_server server(reg, local_options());
    server.start();
    const test_http::response r = test_http::get(server.port(), "/metrics");
    REQUIRE(r.status == 200);
    CHECK(contains(r.body, "app_cgroup_files 0\n"));
    CHECK(contains(r.body, "process_cpu_seconds_total"));
    CHECK(!contains(r.body, "vitals_server_collector_failures_total{"));
    CHECK(test_http::get(server.port(), "/health").status == 503); // not ready, but answers
}
