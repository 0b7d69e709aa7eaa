// tests/unit/server_slow_turn.cpp - health_server: what a loop turn serves after a slow response
// (another client's render with slow collectors) gets its full idle_timeout and
// request_timeout. SPDX-License-Identifier: MIT
#include "server_support.hpp"

#include <doctest/doctest.h>

#include <atomic> // atomic
#include <chrono> // milliseconds, steady_clock
#include <string> // string
#include <thread> // sleep_for

using namespace std::chrono_literals;
using namespace server_test;

namespace slow_turn {

// A registry whose first render takes 0.5 s and second 2.5 s; `renders` counts the renders
// begun, `second_done` turns true when the second has ended.
struct slow_registry {
    vitals::registry reg;
    std::atomic<int> renders{0};
    std::atomic<bool> second_done{false};

    slow_registry() {
        reg.add_collector("slow", [this](vitals::collector_output&) {
            const int n = ++renders;
            if (n == 1) std::this_thread::sleep_for(500ms);
            if (n != 2) return;
            std::this_thread::sleep_for(2500ms);
            second_done = true;
        });
    }
};

// Sets up the slow turn: `b` asks for a scrape (the first render) and, while it renders, `a`
// (connected but silent until then) asks for one and `b` sends `then`. Both arrive before
// the next poll: that turn serves `a` first (a connection never served goes before the
// rotation) with the second render, 2.5 s, then `b`'s `then` in the same turn. Returns once
// the second render has begun.
void slow_turn(slow_registry& s, test_http::client& a, test_http::client& b,
               const std::string& then) {
    REQUIRE(b.send_all("GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n"));
    REQUIRE(test_http::eventually([&] { return s.renders.load() == 1; }));
    REQUIRE(a.send_all("GET /metrics HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"));
    REQUIRE(b.send_all(then));
    REQUIRE(test_http::eventually([&] { return s.renders.load() == 2; }, 5000ms));
}

vitals::server_options options() {
    auto opts = local_options();
    // A small exposition, which the socket takes at once: nothing is queued after the
    // render, and the loop had then no reason to read the clock before serving `b`.
    opts.self_metrics = false;
    return opts;
}

} // namespace slow_turn

// A response that went out after a render of seconds was stamped with the turn's start: the
// keep-alive connection was closed idle_timeout less the render's time after it, here half a
// second after its response instead of three seconds. The response is a queued one (/live)
// or a scrape sent from the turn's shared render inside respond() (no output queued).
TEST_CASE("slow turn: idle_timeout runs from a response sent after a slow render") {
    for (const char* path : {"/live", "/metrics"}) {
        CAPTURE(path);
        slow_turn::slow_registry s;
        auto opts = slow_turn::options();
        opts.idle_timeout = 3000ms;
        vitals::health_server server(s.reg, opts);
        server.start();
        test_http::client a("127.0.0.1", server.port(), 10000ms);
        test_http::client b("127.0.0.1", server.port(), 10000ms);
        slow_turn::slow_turn(s, a, b, std::string("GET ") + path + " HTTP/1.1\r\nHost: t\r\n\r\n");
        CHECK(b.read_response().status == 200); // the first scrape
        const test_http::response r = b.read_response();
        REQUIRE(r.status == 200);
        REQUIRE(s.second_done.load()); // it went out after the slow render
        CHECK(a.read_response().status == 200);
        // A third of idle_timeout later, the connection still serves.
        std::this_thread::sleep_for(1000ms);
        REQUIRE(b.send_all("GET /live HTTP/1.1\r\nHost: t\r\n\r\n"));
        CHECK(b.read_response().status == 200);
    }
}

// The start of a request parsed after a render of seconds was stamped with the turn's start,
// before the client had sent its first byte: the request got 408 request_timeout less the
// render's time after that byte. Here `b` sends the start of its next request a second into
// the slow render, behind a complete one that arrived before it, and the rest 1.5 s later
// (request_timeout 2 s): it was answered 408 half a second before the rest came.
TEST_CASE("slow turn: request_timeout runs from a request's first byte, read after a slow "
          "render") {
    slow_turn::slow_registry s;
    auto opts = slow_turn::options();
    opts.request_timeout = 2000ms;
    vitals::health_server server(s.reg, opts);
    server.start();
    test_http::client a("127.0.0.1", server.port(), 10000ms);
    test_http::client b("127.0.0.1", server.port(), 10000ms);
    slow_turn::slow_turn(s, a, b, "GET /live HTTP/1.1\r\nHost: t\r\n\r\n");
    std::this_thread::sleep_for(1000ms);
    const auto first_byte = std::chrono::steady_clock::now();
    REQUIRE(b.send_all("GET /live HTTP/1.1\r\n"));
    CHECK(b.read_response().status == 200); // the first scrape
    CHECK(b.read_response().status == 200); // the /live served after the slow render
    CHECK(s.second_done.load());
    CHECK(a.read_response().status == 200);
    // Within request_timeout of the first byte, with half a second to spare.
    std::this_thread::sleep_until(first_byte + 1500ms);
    REQUIRE(b.send_all("Host: t\r\n\r\n"));
    CHECK(b.read_response().status == 200);
}
