// tests/unit/server_options.cpp - health_server: options: invalid ones rejected, custom and
// disabled paths. SPDX-License-Identifier: MIT
#include "server_support.hpp"

#include <doctest/doctest.h>

#include <chrono> // steady_clock
#include <string> // string

using namespace std::chrono_literals;
using namespace server_test;
using test_http::get;

TEST_CASE("server: invalid options are rejected before anything is opened") {
    vitals::registry reg;
    const auto rejects = [&](vitals::server_options o, const char* part) {
        vitals::health_server s(reg, o);
        const vitals::status st = s.try_start();
        CHECK_FALSE(st.ok());
        CHECK(st.code() == vitals::errc::invalid_argument);
        CHECK(contains(st.message(), part));
        CHECK_FALSE(s.running());
    };
    auto o = local_options();
    o.bind_address = "example.com";
    rejects(o, "not a numeric IPv4 or IPv6 address");
    o = local_options();
    o.bind_address = "";
    rejects(o, "bind_address");
    o = local_options();
    o.bind_address = "300.1.1.1";
    rejects(o, "bind_address");
    o = local_options();
    o.max_connections = 0;
    rejects(o, "max_connections");
    o = local_options();
    o.request_timeout = 0ms;
    rejects(o, "request_timeout");
    o = local_options();
    o.drain = -1ms;
    rejects(o, "drain");
    o = local_options();
    o.metrics_path = "metrics";
    rejects(o, "must start with '/'");
    o = local_options();
    o.live_path = "/health";
    rejects(o, "used twice");
    o = local_options();
    o.ready_path = "/ready?x";
    rejects(o, "'?'");
    o = local_options();
    o.bearer_token = "has space";
    rejects(o, "bearer_token");
    o = local_options();
    o.max_headers = 0;
    rejects(o, "max_headers");
#if VITALS_HAS_EXCEPTIONS()
    o = local_options();
    o.backlog = 0;
    vitals::health_server s(reg, o);
    CHECK_THROWS_AS(s.start(), vitals::error);
#endif
}

TEST_CASE("server: custom paths and disabled endpoints") {
    vitals::registry reg;
    auto o = local_options();
    o.metrics_path = "/internal/prom";
    o.health_path = "";
    vitals::health_server server(reg, o);
    server.start();
    CHECK(get(server.port(), "/internal/prom").status == 200);
    CHECK(get(server.port(), "/metrics").status == 404);
    CHECK(get(server.port(), "/health").status == 404);
    CHECK(get(server.port(), "/live").status == 200);
}
