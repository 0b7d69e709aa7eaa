// tests/unit/server_slow_turn.cpp - health_server: what a loop turn serves after a slow response
// (another client's render with slow collectors) gets its full idle_timeout and
// request_timeout. SPDX-License-Identifier: MIT
#include "server_support.hpp"

#include <doctest/doctest.h>

#include <atomic>           // atomic
#include <chrono>           // milliseconds, steady_clock
#include <initializer_list> // initializer_list
#include <string>           // string
#include <thread>           // sleep_for

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

// Sets up the slow turn: `b` asks for a scrape (the first render) and, while it renders, each
// of `during` (connected but silent until then) sends its requests, `a` a scrape among
// them. All arrive before the next poll: that turn serves the connections never served
// before first, newest first, `a` with the second render, 2.5 s, then `b`'s requests in the
// rotation of the same turn. Returns once the second render has begun.
struct sent {
    test_http::client* client;
    std::string requests;
};
void slow_turn(slow_registry& s, test_http::client& b, std::initializer_list<sent> during) {
    REQUIRE(b.send_all("GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n"));
    REQUIRE(test_http::eventually([&] { return s.renders.load() == 1; }));
    for (const sent& x : during) REQUIRE(x.client->send_all(x.requests));
    REQUIRE(test_http::eventually([&] { return s.renders.load() == 2; }, 5000ms));
}

const char* const scrape_and_close =
    "GET /metrics HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";

vitals::server_options options() {
    auto opts = local_options();
    // A small exposition, which the socket takes at once: nothing is queued after the
    // render, and the loop had then no reason to read the clock before serving `b`.
    opts.self_metrics = false;
    return opts;
}

// A server started over a slow_registry with `opts`.
struct slow_server {
    slow_registry s;
    vitals::health_server server;

    explicit slow_server(const vitals::server_options& opts) : server(s.reg, opts) {
        server.start();
    }
    // A new client of the server, with time for the slow renders.
    test_http::client connect() const { return {"127.0.0.1", server.port(), 10000ms}; }
};

} // namespace slow_turn

// A response that went out after a render of seconds was stamped with the turn's start: the
// keep-alive connection was closed idle_timeout less the render's time after it, here half a
// second after its response instead of three seconds. The response is a queued one (/live)
// or a scrape sent from the turn's shared render inside respond() (no output queued).
TEST_CASE("slow turn: idle_timeout runs from a response sent after a slow render") {
    for (const char* path : {"/live", "/metrics"}) {
        CAPTURE(path);
        auto opts = slow_turn::options();
        opts.idle_timeout = 3000ms;
        slow_turn::slow_server f(opts);
        slow_turn::slow_registry& s = f.s;
        test_http::client a = f.connect();
        test_http::client b = f.connect();
        slow_turn::slow_turn(s, b,
                             {{&a, slow_turn::scrape_and_close},
                              {&b, std::string("GET ") + path + " HTTP/1.1\r\nHost: t\r\n\r\n"}});
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
    auto opts = slow_turn::options();
    opts.request_timeout = 2000ms;
    slow_turn::slow_server f(opts);
    slow_turn::slow_registry& s = f.s;
    test_http::client a = f.connect();
    test_http::client b = f.connect();
    slow_turn::slow_turn(
        s, b, {{&a, slow_turn::scrape_and_close}, {&b, "GET /live HTTP/1.1\r\nHost: t\r\n\r\n"}});
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

// Input held back for a later turn (a request pipelined behind a render, or past the 16
// requests of a turn) was timed from the start of the request answered before it. When that
// render, or another connection's render later in the same turn, took longer than
// request_timeout, the next turn closed the connection as soon as it began, its pipelined
// requests unanswered (no 408 either).
TEST_CASE("slow turn: requests held behind a render longer than request_timeout are answered") {
    auto opts = slow_turn::options();
    opts.request_timeout = 2000ms; // less than the second render
    slow_turn::slow_server f(opts);
    slow_turn::slow_registry& s = f.s;
    test_http::client b = f.connect();
    test_http::client a = f.connect();
    std::string live = "GET /live HTTP/1.1\r\nHost: t\r\n\r\n", seventeen;
    for (int i = 0; i < 17; ++i) seventeen += live;
    SUBCASE("behind its own render") {
        slow_turn::slow_turn(s, b, {{&a, "GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n" + live}});
        CHECK(a.read_response().status == 200);
        CHECK(s.second_done.load());
        CHECK(a.read_response().status == 200);
    }
    SUBCASE("past a turn's 16 requests, before another connection's render") {
        // Connected after `a`: served first in the slow turn (newest first).
        test_http::client c = f.connect();
        std::this_thread::sleep_for(100ms); // accepted in that order
        slow_turn::slow_turn(s, b, {{&a, slow_turn::scrape_and_close}, {&c, seventeen}});
        int answered = 0;
        while (answered < 17 && c.read_response().status == 200) ++answered;
        CHECK(answered == 17);
        CHECK(s.second_done.load());
        CHECK(a.read_response().status == 200);
    }
    CHECK(b.read_response().status == 200); // the first scrape
}

// A request that came while another connection's render held the thread was judged by its
// deadline before it was read: an idle keep-alive connection whose next request arrived
// 0.3 s into a 1.5 s render, 0.7 s before its idle_timeout, was closed with that request
// unanswered, and a request whose last bytes came then was answered 408.
TEST_CASE("slow turn: a request that came during a render is answered after it, not timed out") {
    for (const bool idle : {true, false}) {
        CAPTURE(idle);
        vitals::registry reg;
        std::atomic<bool> slow{false};
        std::atomic<int> slow_renders{0};
        reg.add_collector("slow", [&](vitals::collector_output&) {
            if (!slow.load()) return;
            ++slow_renders;
            std::this_thread::sleep_for(1500ms);
        });
        auto opts = slow_turn::options();
        opts.idle_timeout = 1000ms;
        opts.request_timeout = 1000ms;
        vitals::health_server server(reg, opts);
        server.start();
        test_http::client c("127.0.0.1", server.port(), 10000ms);
        test_http::client a("127.0.0.1", server.port(), 10000ms);
        // `c` idle after a request, or with a request begun: its deadline is a second away.
        if (idle) {
            REQUIRE(c.send_all("GET /live HTTP/1.1\r\n\r\n"));
            REQUIRE(c.read_response().status == 200);
        } else {
            REQUIRE(c.send_all("GET /live HTTP/1.1\r\n"));
            std::this_thread::sleep_for(100ms); // read before the render begins
        }
        slow = true;
        REQUIRE(a.send_all("GET /metrics HTTP/1.1\r\n\r\n"));
        REQUIRE(test_http::eventually([&] { return slow_renders.load() == 1; }));
        std::this_thread::sleep_for(300ms);
        REQUIRE(c.send_all(idle ? "GET /live HTTP/1.1\r\n\r\n" : "\r\n"));
        CHECK(c.read_response().status == 200);
        CHECK(a.read_response().status == 200);
    }
}
