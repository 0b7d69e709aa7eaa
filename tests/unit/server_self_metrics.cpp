// tests/unit/server_self_metrics.cpp - health_server: the vitals_server_* self-metrics.
// SPDX-License-Identifier: MIT
#include "server_support.hpp"

#include <doctest/doctest.h>

#include <string> // string

using namespace server_test;
using test_http::client;
using test_http::exchange;
using test_http::get;

TEST_CASE("server: self-metrics count requests by path and code") {
    vitals::registry reg;
    vitals::health_server server(reg, local_options());
    server.start();
    const auto port = server.port();
    for (int i = 0; i < 3; ++i) get(port, "/live");
    get(port, "/ready");
    get(port, "/whatever");
    get(port, "/another");
    exchange(port, "BAD\r\n\r\n");
    get(port, "/metrics");
    CHECK(sample(reg, "vitals_server_requests_total{path=\"/live\",code=\"200\"}") == 3);
    CHECK(sample(reg, "vitals_server_requests_total{path=\"/ready\",code=\"503\"}") == 1);
    CHECK(sample(reg, "vitals_server_requests_total{path=\"other\",code=\"404\"}") == 2);
    CHECK(sample(reg, "vitals_server_requests_total{path=\"other\",code=\"400\"}") == 1);
    CHECK(sample(reg, "vitals_server_requests_total{path=\"/metrics\",code=\"200\"}") == 1);
    CHECK(sample(reg, "vitals_server_render_seconds_count") == 1);
    CHECK(test_http::eventually([&] { return sample(reg, "vitals_server_connections") == 0; }));
    client open1("127.0.0.1", port), open2("127.0.0.1", port);
    CHECK(test_http::eventually([&] { return sample(reg, "vitals_server_connections") == 2; }));
    // Every close reason is there from the start at 0, so rate() has a first sample.
    for (const char* reason : {"output_budget", "connection_limit", "write_timeout"})
        CHECK(sample(reg, std::string("vitals_server_closed_connections_total{reason=\"") + reason +
                              "\"}") == 0);

    vitals::registry quiet;
    auto o = local_options();
    o.self_metrics = false;
    vitals::health_server q(quiet, o);
    q.start();
    get(q.port(), "/live");
    CHECK_FALSE(contains(vitals::to_text(quiet), "vitals_server"));
}

TEST_CASE("server: a registry whose names clash with the self-metrics fails to start") {
    vitals::registry reg;
    reg.gauge("vitals_server_ready", "something else entirely");
    vitals::health_server server(reg, local_options());
    const vitals::status st = server.try_start();
    CHECK(st.code() == vitals::errc::conflicting_registration);
    CHECK_FALSE(server.running());
}
