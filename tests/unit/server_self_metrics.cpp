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
    for (int i = 0; i < 2; ++i) get(port, "/health"); // 503: the server is not ready
    CHECK(sample(reg, "vitals_server_requests_total{path=\"/live\",code=\"200\"}") == 3);
    CHECK(sample(reg, "vitals_server_requests_total{path=\"/health\",code=\"503\"}") == 2);
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

// Two servers publishing self-metrics in one registry would add up their requests and
// overwrite each other's ready and connection gauges: the second is refused, with a way out.
TEST_CASE("self-metrics: one running server per registry publishes them") {
    vitals::registry reg;
    vitals::health_server first(reg, local_options());
    first.start();
    first.set_ready(true);
    vitals::health_server second(reg, local_options());
    const vitals::status st = second.try_start();
    CHECK(st.code() == vitals::errc::already_running);
    CHECK(contains(st.message(), "self_metrics = false"));
    CHECK_FALSE(second.running());
    CHECK(sample(reg, "vitals_server_ready") == 1); // untouched by the refused server

    auto quiet = local_options();
    quiet.self_metrics = false;
    vitals::health_server third(reg, quiet);
    CHECK(third.try_start().ok());
    CHECK(test_http::get(third.port(), "/live").status == 200);

    vitals::registry other; // another registry is no conflict
    vitals::health_server fourth(other, local_options());
    CHECK(fourth.try_start().ok());

    first.stop(); // gives the registry back
    CHECK(second.try_start().ok());
    second.set_ready(true);
    CHECK(sample(reg, "vitals_server_ready") == 1);
    first.set_ready(false); // a stopped server no longer writes the gauge
    CHECK(sample(reg, "vitals_server_ready") == 1);
    CHECK(test_http::get(second.port(), "/ready").status == 200);
    second.stop();
    CHECK(second.try_start().ok()); // and a restart takes it again
}
