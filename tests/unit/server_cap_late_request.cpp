// tests/unit/server_cap_late_request.cpp - health_server: at max_connections, a keep-alive
// connection whose next request arrived while the turn rendered (after the turn's poll,
// not read yet) is not closed to make room for a new client. SPDX-License-Identifier: MIT
#include "server_support.hpp"

#include <doctest/doctest.h>

#include <atomic> // atomic
#include <chrono> // milliseconds
#include <string> // string
#include <thread> // sleep_for

using namespace std::chrono_literals;
using namespace server_test;
using test_http::client;

TEST_CASE("connection cap: a request sent during the turn's render keeps its connection") {
    vitals::registry reg;
    std::atomic<int> renders{0};
    reg.add_collector("slow", [&](vitals::collector_output&) {
        ++renders;
        std::this_thread::sleep_for(300ms);
    });
    auto opts = local_options();
    opts.self_metrics = false; // a small exposition, which the socket takes at once
    opts.max_connections = 3;
    vitals::health_server server(reg, opts);
    server.start();
    const auto port = server.port();
    // `a`: a keep-alive client answered once, idle now; `b` and `b2` will each ask for a
    // render and close, their connections lingering after the response.
    client a("127.0.0.1", port, 10000ms), b("127.0.0.1", port, 10000ms),
        b2("127.0.0.1", port, 10000ms);
    REQUIRE(a.send_all("GET /live HTTP/1.1\r\nHost: t\r\n\r\n"));
    REQUIRE(a.read_response().status == 200);
    const std::string scrape = "GET /metrics HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
    REQUIRE(b.send_all(scrape));
    REQUIRE(test_http::eventually([&] { return renders.load() == 1; }));
    // During the first render: `b2`'s scrape and a new client `d`, both seen by the next
    // turn's poll, which renders for `b2` and then accepts `d` over the cap.
    REQUIRE(b2.send_all(scrape));
    client d("127.0.0.1", port, 10000ms);
    REQUIRE(d.send_all("GET /live HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"));
    REQUIRE(test_http::eventually([&] { return renders.load() == 2; }, 5000ms));
    // During the second render `a` asks again: its request waits unread when `d` is
    // accepted. The lingering `b` makes room; `a` was closed instead, its request lost.
    REQUIRE(a.send_all("GET /live HTTP/1.1\r\nHost: t\r\n\r\n"));
    CHECK(a.read_response().status == 200);
    CHECK(d.read_response().status == 200);
    CHECK(b2.read_response().status == 200);
}
