// tests/unit/server_flood.cpp - health_server: /live stays prompt under pipelined floods.
// SPDX-License-Identifier: MIT
#include "server_support.hpp"

#include <doctest/doctest.h>

#include <atomic> // atomic
#include <chrono> // milliseconds
#include <memory> // unique_ptr
#include <string> // string
#include <thread> // thread, sleep_for
#include <vector> // vector

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

// New connections go first in each turn (a probe is usually one), but not before everyone:
// a client opens about 100 connections a second, each asking for a render that takes 30 ms
// (a slow collector), more than the server can answer. An established keep-alive client,
// as Prometheus is, must still get each answer; before, it waited behind every new
// connection and got none.
TEST_CASE("flood: a keep-alive client is answered while new connections ask for slow renders") {
    vitals::registry reg;
    reg.add_collector("slow", [](vitals::collector_output&) { std::this_thread::sleep_for(30ms); });
    vitals::health_server server(reg, local_options());
    server.start();
    const std::uint16_t port = server.port();
    test_http::client keep_alive("127.0.0.1", port, 3000ms);
    REQUIRE(keep_alive.send_all("GET /live HTTP/1.1\r\n\r\n"));
    REQUIRE(keep_alive.read_response().status == 200);
    std::atomic<bool> stop{false};
    std::atomic<int> opened{0};
    std::thread opener([&] {
        std::vector<std::unique_ptr<test_http::client>> open;
        while (!stop.load()) {
            open.emplace_back(new test_http::client("127.0.0.1", port, 1000ms));
            if (open.back()->send_all("GET /metrics HTTP/1.1\r\n\r\n")) ++opened;
            if (open.size() > 100) open.erase(open.begin(), open.begin() + 50);
            std::this_thread::sleep_for(10ms);
        }
    });
    std::this_thread::sleep_for(500ms); // a backlog of renders builds up
    int answered = 0, asked = 0;
    const auto until = std::chrono::steady_clock::now() + 2000ms;
    while (std::chrono::steady_clock::now() < until) {
        ++asked;
        if (keep_alive.send_all("GET /live HTTP/1.1\r\n\r\n") &&
            keep_alive.read_response().status == 200)
            ++answered;
        else
            break;
        std::this_thread::sleep_for(50ms);
    }
    // And a probe on a new connection still goes first: it is the newest.
    int probes_answered = 0;
    for (int i = 0; i < 3; ++i) {
        test_http::client probe("127.0.0.1", port, 1000ms);
        if (probe.send_all("GET /live HTTP/1.1\r\n\r\n") && probe.read_response().status == 200)
            ++probes_answered;
    }
    stop = true;
    opener.join();
    MESSAGE(answered << " of " << asked << " keep-alive requests and " << probes_answered
                     << " of 3 new-connection probes answered while " << opened.load()
                     << " connections asked for a render");
    CHECK(answered == asked);
    CHECK(answered >= 3);
    CHECK(probes_answered == 3);
}

// Requests served in the same turn of the loop share one render. The loop reads the clock
// again after a render whose output the socket did not take at once (an exposition of a few
// MB), and the render was told apart by the time of its turn: every other GET of that turn
// rendered again. Two clients' GETs arrive while a slow check holds the server thread, so
// that the next turn serves both.
TEST_CASE("flood: GETs of one turn share the render of an exposition the socket cannot take") {
    vitals::registry reg;
    for (int f = 0; f < 20; ++f) { // about 3.7 MB: more than a loopback socket takes at once
        auto& fam = reg.counter("large_" + std::to_string(f), "Series.", {"id"});
        for (int i = 0; i < 5000; ++i) fam.labels("series-" + std::to_string(i)).inc(i);
    }
    std::atomic<int> renders{0};
    reg.add_collector("render_count", [&renders](vitals::collector_output&) { ++renders; });
    auto opts = local_options();
    opts.check_budget = 10000ms; // the slow check passes
    vitals::health_server server(reg, opts);
    server.add_liveness_check("slow", [] {
        std::this_thread::sleep_for(400ms);
        return true;
    });
    server.start();
    const auto port = server.port();
    // Small receive windows: most of each response waits in the server.
    test_http::client a("127.0.0.1", port, 20000ms, 4096);
    test_http::client b("127.0.0.1", port, 20000ms, 4096);
    test_http::client blocker("127.0.0.1", port);
    std::this_thread::sleep_for(100ms); // all three accepted
    REQUIRE(blocker.send_all("GET /live HTTP/1.1\r\n\r\n"));
    std::this_thread::sleep_for(100ms); // the check runs
    REQUIRE(a.send_all("GET /metrics HTTP/1.1\r\n\r\n"));
    REQUIRE(b.send_all("GET /metrics HTTP/1.1\r\n\r\n"));
    const test_http::response ra = a.read_response();
    const test_http::response rb = b.read_response();
    CHECK(ra.status == 200);
    CHECK(rb.status == 200);
    CHECK(ra.body.size() > 3000000);
    CHECK(ra.body == rb.body); // one render: the same self-metrics in both
    CHECK(blocker.read_response().status == 200);
    CHECK(renders.load() == 1);
}

// A connection's turn ends once its answers have taken a turn's time, not only after 16
// requests: /live and /ready run the checks, and a liveness check of 150 ms (within its
// budget) made a client pipelining /live hold the thread for 2.4 s per turn. Every probe on
// another connection then waited that long, and longer when it connected during such a turn
// (accepted only after it): Kubernetes restarts the pod after three late probes.
TEST_CASE("flood: /live answers within 1 s while a client pipelines /live and checks are slow") {
    vitals::registry reg;
    vitals::health_server server(reg, local_options());
    server.add_liveness_check("slow", [] {
        std::this_thread::sleep_for(150ms);
        return true;
    });
    server.start();
    flood f(server.port(), "GET /live HTTP/1.1\r\nHost: x\r\n\r\n", 1);
    const live_probes p = probe_live(server.port(), 3000ms);
    MESSAGE("/live during a pipelined /live flood, 150 ms checks: "
            << p.count << " probes, " << p.late << " over 1 s, slowest " << p.worst.count()
            << " ms; flood received " << f.received() << " B");
    CHECK(p.late_in_a_row < 2);
    CHECK(p.worst < 2000ms);
    CHECK(f.received() > 0); // the flood was answered too
}
