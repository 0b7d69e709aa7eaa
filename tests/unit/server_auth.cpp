// tests/unit/server_auth.cpp - health_server: the bearer token on /metrics.
// SPDX-License-Identifier: MIT
#include "server_support.hpp"

#include <doctest/doctest.h>

#include <string> // string

using namespace server_test;
using test_http::exchange;
using test_http::get;
using test_http::response;

TEST_CASE("server: /metrics bearer token accepted and refused") {
    vitals::registry reg;
    auto opts = local_options();
    opts.bearer_token = "s3cr3t-T0ken";
    vitals::health_server server(reg, opts);
    server.start();
    const auto port = server.port();

    response r = get(port, "/metrics");
    CHECK(r.status == 401);
    CHECK(r.header("www-authenticate").rfind("Bearer", 0) == 0);
    CHECK(r.header("cache-control") == "no-store");
    CHECK(get(port, "/metrics", "Authorization: Bearer wrong\r\n").status == 401);
    CHECK(get(port, "/metrics", "Authorization: Bearer s3cr3t-T0ke\r\n").status == 401);
    CHECK(get(port, "/metrics", "Authorization: Bearer s3cr3t-T0ken2\r\n").status == 401);
    CHECK(get(port, "/metrics", "Authorization: Basic s3cr3t-T0ken\r\n").status == 401);
    CHECK(get(port, "/metrics", "Authorization: s3cr3t-T0ken\r\n").status == 401);
    r = get(port, "/metrics", "Authorization: Bearer s3cr3t-T0ken\r\n");
    CHECK(r.status == 200);
    CHECK(contains(r.body, "vitals_server_requests_total{path=\"/metrics\",code=\"401\"} 6"));
    CHECK(get(port, "/metrics", "authorization: bearer s3cr3t-T0ken\r\n").status == 200);
    // More than one space may separate the scheme from the token (RFC 9110, 11.4: 1*SP).
    CHECK(get(port, "/metrics", "Authorization: Bearer   s3cr3t-T0ken\r\n").status == 200);
    CHECK(exchange(port, "HEAD /metrics HTTP/1.1\r\n\r\n", true).status == 401);
    // Probes stay open: Kubernetes does not send tokens.
    CHECK(get(port, "/live").status == 200);
    CHECK(get(port, "/health").status == 503); // not ready, but not 401
}

TEST_CASE("server: the token comparison answers equality only, whatever the lengths") {
    using vitals::detail::constant_time_equal;
    const std::string token = "s3cret-token";
    CHECK(constant_time_equal("s3cret-token", token));
    CHECK_FALSE(constant_time_equal("s3cret-toke", token));              // a prefix
    CHECK_FALSE(constant_time_equal("s3cret-tokens", token));            // longer
    CHECK_FALSE(constant_time_equal("s3cret-tokens3cret-token", token)); // the token, repeated
    CHECK_FALSE(constant_time_equal("s3cret-tokem", token));             // last byte differs
    CHECK_FALSE(constant_time_equal("", token));
    CHECK(constant_time_equal("", ""));
    CHECK_FALSE(constant_time_equal("x", ""));
    CHECK(vitals::detail::bearer_authorized(token, true, "Bearer s3cret-token"));
    CHECK_FALSE(vitals::detail::bearer_authorized(token, true, "Bearer s3cret-tokens3cret-token"));
}
