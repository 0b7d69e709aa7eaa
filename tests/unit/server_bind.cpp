// tests/unit/server_bind.cpp - health_server: binding: port 0, taken ports, IPv6.
// SPDX-License-Identifier: MIT
#include "server_support.hpp"

#include <doctest/doctest.h>

#include <string> // string

using namespace server_test;
using test_http::get;

TEST_CASE("server: port 0, two servers side by side, a taken port fails clearly") {
    vitals::registry reg1, reg2;
    vitals::health_server a(reg1, local_options());
    vitals::health_server b(reg2, local_options());
    a.start();
    b.start();
    CHECK(a.port() != 0);
    CHECK(b.port() != 0);
    CHECK(a.port() != b.port());
    reg1.gauge("only_in_one", "x").set(1);
    CHECK(contains(get(a.port(), "/metrics").body, "only_in_one 1"));
    CHECK_FALSE(contains(get(b.port(), "/metrics").body, "only_in_one"));

    auto opts = local_options();
    opts.port = a.port();
    vitals::health_server c(reg2, opts);
    const vitals::status st = c.try_start();
    CHECK_FALSE(st.ok());
    CHECK(st.code() == vitals::errc::network_error);
    CHECK(contains(st.message(), "in use"));
    CHECK(contains(st.message(), "127.0.0.1:" + std::to_string(a.port())));
    CHECK_FALSE(c.running());
    CHECK(c.port() == 0);
#if VITALS_HAS_EXCEPTIONS()
    try {
        c.start();
        FAIL("start() on a taken port must throw");
    } catch (const vitals::error& e) {
        CHECK(e.code() == vitals::errc::network_error);
    }
#endif
    CHECK(get(a.port(), "/live").status == 200); // the first server is untouched
}

// "localhost" is taken as 127.0.0.1, without name resolution (see server_options).
TEST_CASE("server: bind_address localhost listens on 127.0.0.1") {
    vitals::registry reg;
    auto opts = local_options();
    opts.bind_address = "localhost";
    vitals::health_server server(reg, opts);
    REQUIRE(server.try_start().ok());
    CHECK(get(server.port(), "/live", "", "127.0.0.1").status == 200);
}

TEST_CASE("server: a bind failure on 9090 points at Prometheus") {
    // Hold 127.0.0.1:9090 ourselves (if nothing else does already) so the bind fails.
    vitals::registry reg;
    vitals::server_options hold_opts;
    hold_opts.bind_address = "127.0.0.1";
    hold_opts.port = 9090;
    vitals::health_server holder(reg, hold_opts);
    const vitals::status held = holder.try_start();
    vitals::health_server second(reg, hold_opts);
    const vitals::status st = second.try_start();
    REQUIRE_FALSE(st.ok());
    CAPTURE(st.message());
    if (held.ok() || contains(st.message(), "in use")) {
        CHECK(contains(st.message(), "port 9090 is already in use"));
        CHECK(contains(st.message(), "Prometheus"));
    }
}

TEST_CASE("server: IPv6 loopback and the v6-only flag") {
    if (!ipv6_loopback_available()) {
        MESSAGE("skipped: no IPv6 loopback on this host");
        return;
    }
    vitals::registry reg;
    SUBCASE("::1") {
        auto opts = local_options();
        opts.bind_address = "::1";
        vitals::health_server server(reg, opts);
        server.start();
        CHECK(get(server.port(), "/live", "", "::1").status == 200);
        CHECK(get(server.port(), "/live", "", "127.0.0.1").status == 0);
    }
    SUBCASE("[::] dual-stack accepts IPv4 too") {
        auto opts = local_options();
        opts.bind_address = "[::]";
        vitals::health_server server(reg, opts);
        server.start();
        CHECK(get(server.port(), "/live", "", "::1").status == 200);
        CHECK(get(server.port(), "/live", "", "127.0.0.1").status == 200);
    }
    SUBCASE(":: v6-only refuses IPv4") {
        auto opts = local_options();
        opts.bind_address = "::";
        opts.ipv6_only = true;
        vitals::health_server server(reg, opts);
        server.start();
        CHECK(get(server.port(), "/live", "", "::1").status == 200);
        CHECK(get(server.port(), "/live", "", "127.0.0.1").status == 0);
    }
}
