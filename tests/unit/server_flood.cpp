// tests/unit/server_flood.cpp - health_server: /live stays prompt under pipelined floods.
// SPDX-License-Identifier: MIT
#include "server_support.hpp"

#include <doctest/doctest.h>

#include <chrono> // milliseconds
#include <string> // string

using namespace std::chrono_literals;
using namespace server_test;

// Each /metrics request renders 5,000 series (about 300 KB). Eight clients pipeline such
// requests as fast as the server takes them; a Kubernetes probe (timeout 1 s, restart after 3
// failures in a row, by default) must still get /live answered within a second. One late
// probe is tolerated, as Kubernetes does, since on a shared 2-core machine running other
// tests the server itself can be descheduled for a moment; two in a row, or one over 2 s, fail.
TEST_CASE("flood: /live answers within 1 s during a pipelined HEAD /metrics flood") {
    vitals::registry reg;
    fill_series(reg, 5000);
    vitals::health_server server(reg, local_options());
    server.start();
    const std::string text = vitals::to_text(reg);
    REQUIRE(text.size() > 200000);
    flood f(server.port(), "HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 8);
    const live_probes p = probe_live(server.port(), 3000ms);
    MESSAGE("/live during the HEAD flood: "
            << p.count << " probes, " << p.late << " over 1 s, slowest " << p.worst.count()
            << " ms; flood sent " << f.sent() << " B, received " << f.received() << " B");
    CHECK(p.late_in_a_row < 2);
    CHECK(p.worst < 2000ms);
    CHECK(f.received() > 100000); // the flood was answered, not merely ignored
}

TEST_CASE("flood: /live answers within 1 s during a pipelined GET /metrics flood") {
    vitals::registry reg;
    fill_series(reg, 5000);
    vitals::health_server server(reg, local_options());
    server.start();
    flood f(server.port(), "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 8);
    const live_probes p = probe_live(server.port(), 3000ms);
    MESSAGE("/live during the GET flood: " << p.count << " probes, " << p.late
                                           << " over 1 s, slowest " << p.worst.count()
                                           << " ms; flood received " << f.received() << " B");
    CHECK(p.late_in_a_row < 2);
    CHECK(p.worst < 2000ms);
    CHECK(f.received() > 1000000);
}

TEST_CASE("flood: a HEAD reports the length of the body a GET gets") {
    vitals::registry reg;
    fill_series(reg, 100);
    vitals::health_server server(reg, local_options());
    server.start();
    test_http::client c("127.0.0.1", server.port());
    REQUIRE(c.send_all("GET /metrics HTTP/1.1\r\n\r\nHEAD /metrics HTTP/1.1\r\n\r\n"));
    const test_http::response get = c.read_response();
    const test_http::response head = c.read_response(true);
    REQUIRE(get.status == 200);
    REQUIRE(head.status == 200);
    CHECK(head.header("content-length") == std::to_string(get.body.size()));
}
