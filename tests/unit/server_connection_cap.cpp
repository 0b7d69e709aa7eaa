// tests/unit/server_connection_cap.cpp - health_server: at max_connections an idle connection,
// a lingering one, a stalled request or a client that does not read makes room for a new
// client; a busy one never does.
// SPDX-License-Identifier: MIT
#include "server_support.hpp"

#include <doctest/doctest.h>

#include <atomic>  // atomic
#include <chrono>  // milliseconds, steady_clock
#include <cstddef> // size_t
#include <memory>  // unique_ptr
#include <string>  // string
#include <thread>  // sleep_for
#include <vector>  // vector

using namespace std::chrono_literals;
using namespace server_test;
using test_http::client;
using test_http::response;

namespace {

const char* const made_room_series =
    "vitals_server_closed_connections_total{reason=\"connection_limit\"}";

// A new keep-alive client that has been answered once (an idle keep-alive connection).
std::unique_ptr<client> answered_once(std::uint16_t port) {
    std::unique_ptr<client> c(new client("127.0.0.1", port));
    REQUIRE(c->send_all("GET /live HTTP/1.1\r\nHost: t\r\n\r\n"));
    REQUIRE(c->read_response().status == 200);
    return c;
}

} // namespace

// Clients that open max_connections keep-alive connections and leave them idle must not lock
// the probes out until idle_timeout: each new client closes the idle connection that has
// waited longest (once 503 "too many connections" until the idle timeout).
TEST_CASE("connection cap: an idle keep-alive connection makes room for a new client") {
    vitals::registry reg;
    auto opts = local_options();
    opts.max_connections = 4;
    vitals::health_server server(reg, opts);
    server.start();
    const auto port = server.port();
    std::vector<std::unique_ptr<client>> held;
    for (int i = 0; i < 4; ++i) held.push_back(answered_once(port));
    CHECK(sample(reg, made_room_series) == 0);

    std::unique_ptr<client> first = answered_once(port); // a 503 fails here
    CHECK(sample(reg, made_room_series) == 1);
    CHECK(held[0]->closed_by_peer(3000ms)); // the oldest went
    // The others still serve; their requests make them more recent than `first`.
    for (std::size_t i = 1; i < 4; ++i) {
        REQUIRE(held[i]->send_all("GET /live HTTP/1.1\r\n\r\n"));
        CHECK(held[i]->read_response().status == 200);
    }
    // Oldest by last activity, not by arrival: now `first` makes room.
    std::unique_ptr<client> second = answered_once(port);
    CHECK(sample(reg, made_room_series) == 2);
    CHECK(first->closed_by_peer(3000ms));
    CHECK(sample(reg, "vitals_server_connections") == 4);
}

// A slowloris-style flood of connections that never send a byte: once such a connection has
// been silent for a second it counts as idle, so probes get in after at most that second.
TEST_CASE("connection cap: connections that never sent a byte make room once silent a while") {
    vitals::registry reg;
    auto opts = local_options();
    opts.max_connections = 4;
    vitals::health_server server(reg, opts);
    server.start();
    std::vector<std::unique_ptr<client>> silent;
    for (int i = 0; i < 4; ++i) {
        silent.emplace_back(new client("127.0.0.1", server.port()));
        REQUIRE(silent.back()->connected());
    }
    REQUIRE(test_http::eventually([&] { return sample(reg, "vitals_server_connections") == 4; }));
    std::this_thread::sleep_for(1200ms); // past the one second a new client has to speak
    const response r = test_http::get(server.port(), "/live");
    CHECK(r.status == 200);
    CHECK(sample(reg, made_room_series) == 1);
    int closed = 0;
    for (auto& c : silent) closed += c->closed_by_peer(200ms);
    CHECK(closed == 1);
}

// A connection whose output the client took within the last second, or a request that
// began less than a second ago, is never closed to make room: with only such connections
// open, a new client gets 503.
TEST_CASE("connection cap: busy connections are never closed to make room; 503 instead") {
    vitals::registry reg;
    fill_series(reg, 5000); // about 300 KB per response
    auto opts = local_options();
    opts.max_connections = 4;
    vitals::health_server server(reg, opts);
    server.start();
    const auto port = server.port();
    const auto began = std::chrono::steady_clock::now();
    // One client asks for 12 MB and reads nothing: output stays queued (more than the
    // kernel takes on loopback) and its later requests wait.
    client hog("127.0.0.1", port, 10000ms, 4096);
    std::string batch;
    for (int k = 0; k < 40; ++k) batch += "GET /metrics HTTP/1.1\r\n\r\n";
    REQUIRE(hog.send_all(batch));
    // Three send half a request, and a new client comes while all are under a second old.
    std::vector<std::unique_ptr<client>> partial;
    for (int i = 0; i < 3; ++i) {
        partial.emplace_back(new client("127.0.0.1", port));
        REQUIRE(partial.back()->send_all("GET /live HTTP/1.1\r\nHost: t\r\n"));
    }
    REQUIRE(test_http::eventually([&] { return sample(reg, "vitals_server_connections") == 4; }));
    client extra("127.0.0.1", port);
    // Timed when the extra client connects, not after its answer: a server that wrongly gave
    // it a slot answers nothing, and waiting for that must not hide it as slow setup.
    const bool quick = std::chrono::steady_clock::now() - began < 800ms;
    const response r = extra.read_response();
    if (quick) {
        CHECK(r.status == 503);
        CHECK(r.body == "too many connections\n");
        CHECK(extra.closed_by_peer(3000ms));
        CHECK(sample(reg, made_room_series) == 0);
    } else {
        // A machine this slow (an emulator) let the connections turn a second old: one of
        // them gave way, which the next tests check; nothing to conclude here.
        MESSAGE("setup took over 800 ms; the under-a-second case is not checked");
    }
    // The interrupted requests that are still open complete on their connections.
    for (auto& c : partial) {
        if (!c->send_all("\r\n")) continue;
        const response done = c->read_response();
        if (sample(reg, made_room_series) == 0) CHECK(done.status == 200);
    }
    CHECK(sample(reg, "vitals_server_closed_connections_total{reason=\"write_timeout\"}") == 0);
}

// Clients that ask for responses and never read them hold their slots until write_timeout
// (10 s): once one has left its output untaken for a second it gives way to a new client,
// the one whose output has waited longest first.
TEST_CASE("connection cap: a client that has not read its response for a second makes room") {
    vitals::registry reg;
    fill_series(reg, 5000); // about 300 KB per response
    auto opts = local_options();
    opts.max_connections = 4;
    opts.write_timeout = std::chrono::milliseconds(60000); // never what frees a slot here
    vitals::health_server server(reg, opts);
    server.start();
    const auto port = server.port();
    // Each asks for 12 MB and reads nothing: more than the kernel takes on loopback, so
    // output stays queued in the server.
    std::string batch;
    for (int k = 0; k < 40; ++k) batch += "GET /metrics HTTP/1.1\r\n\r\n";
    std::vector<std::unique_ptr<client>> hogs;
    for (int i = 0; i < 4; ++i) {
        hogs.emplace_back(new client("127.0.0.1", port, 10000ms, 4096));
        REQUIRE(hogs.back()->send_all(batch));
        if (i == 0) std::this_thread::sleep_for(100ms); // the first one's output waits longest
    }
    REQUIRE(test_http::eventually([&] { return sample(reg, "vitals_server_connections") == 4; }));
    std::this_thread::sleep_for(1200ms);
    // A slow machine (an emulator, a sanitizer) may still be rendering the hogs' responses,
    // which counts as progress for a while: ask until the answer comes.
    CHECK(test_http::eventually([&] { return test_http::get(port, "/live").status == 200; },
                                15000ms));
    CHECK(sample(reg, made_room_series) == 1);
    CHECK(sample(reg, "vitals_server_closed_connections_total{reason=\"write_timeout\"}") == 0);
    int closed = 0;
    for (auto& h : hogs) closed += h->closed_by_peer(300ms);
    CHECK(closed == 1);
    // The one whose output waited longest; rendering on a slow machine can reorder them.
    WARN(hogs[0]->closed_by_peer(300ms));
}

// A slowloris-style flood of requests that never complete, trickled a byte at a time: once a
// request has been arriving for a second it gives way to a new client, the one that began
// first going first, however recently its last byte came.
TEST_CASE("connection cap: a request still incomplete a second after its first byte makes room") {
    vitals::registry reg;
    auto opts = local_options();
    opts.max_connections = 4;
    vitals::health_server server(reg, opts);
    server.start();
    const auto port = server.port();
    std::vector<std::unique_ptr<client>> trickling;
    for (int i = 0; i < 4; ++i) {
        trickling.emplace_back(new client("127.0.0.1", port));
        REQUIRE(trickling.back()->send_all("GET /live HTTP/1.1\r\n"));
        if (i == 0) std::this_thread::sleep_for(100ms); // the first began first
    }
    REQUIRE(test_http::eventually([&] { return sample(reg, "vitals_server_connections") == 4; }));
    // Each sends a header byte by byte past the one second, the first one last of all.
    const std::string header = "X-Slow: 1234\r\n";
    for (std::size_t k = 0; k < header.size(); ++k) {
        for (std::size_t i = trickling.size(); i-- > 0;)
            REQUIRE(trickling[i]->send_all(header.substr(k, 1)));
        std::this_thread::sleep_for(90ms);
    }
    const response r = test_http::get(port, "/live");
    CHECK(r.status == 200);
    CHECK(sample(reg, made_room_series) == 1);
    CHECK(trickling[0]->closed_by_peer(3000ms));
    // The other three are served when their requests end, even late.
    for (std::size_t i = 1; i < trickling.size(); ++i) {
        REQUIRE(trickling[i]->send_all("\r\n"));
        CHECK(trickling[i]->read_response().status == 200);
    }
}

// Clients that send `Connection: close` requests and then keep their sockets open hold their
// slots while the server lingers (up to 2 s, reading what they still send so that closing
// does not reset the connection): such a connection has had its answer, so it makes room.
TEST_CASE("connection cap: a lingering connection, its response sent, makes room") {
    vitals::registry reg;
    auto opts = local_options();
    opts.max_connections = 4;
    vitals::health_server server(reg, opts);
    server.start();
    const auto port = server.port();
    const auto began = std::chrono::steady_clock::now();
    std::vector<std::unique_ptr<client>> answered;
    for (int i = 0; i < 4; ++i) {
        answered.emplace_back(new client("127.0.0.1", port));
        REQUIRE(answered.back()->send_all("GET /live HTTP/1.1\r\nConnection: close\r\n\r\n"));
        REQUIRE(answered.back()->read_response().status == 200);
    }
    // The server has sent its FIN; the clients keep their ends open.
    REQUIRE(test_http::eventually([&] { return sample(reg, "vitals_server_connections") == 4; }));
    const response r = test_http::get(port, "/live");
    CHECK(r.status == 200);
    if (std::chrono::steady_clock::now() - began < 1500ms) {
        CHECK(sample(reg, made_room_series) == 1);
    } else {
        MESSAGE("setup took over 1.5 s; the lingering may have ended on its own");
    }
    CHECK(sample(reg, "vitals_server_connections") <= 4);
}

// The clients answered 503 linger a while (up to 2 s, see above) and count against the cap:
// one of them giving way for a new client must not let that client in while the connections
// being served are still at the cap. Each new client closed one of them and was served, so
// every second client over max_connections got in, up to the server's spare sockets (eight).
TEST_CASE("connection cap: a 503 lingering over the cap does not let the next client in") {
    vitals::registry reg;
    auto opts = local_options();
    opts.max_connections = 2;
    vitals::health_server server(reg, opts);
    server.start();
    const auto port = server.port();
    const auto began = std::chrono::steady_clock::now();
    // Two requests in progress (under a second old: never closed for room) fill the cap.
    std::vector<std::unique_ptr<client>> busy;
    for (int i = 0; i < 2; ++i) {
        busy.emplace_back(new client("127.0.0.1", port));
        REQUIRE(busy.back()->send_all("GET /live HTTP/1.1\r\nHost: t\r\n"));
    }
    REQUIRE(test_http::eventually([&] { return sample(reg, "vitals_server_connections") == 2; }));
    // Six more, one after the other, each kept open after its answer (as a client that has
    // not closed yet): a 503 closes its connection, a client let in is answered 200.
    std::vector<std::unique_ptr<client>> extra;
    std::vector<int> statuses;
    for (int i = 0; i < 6; ++i) {
        extra.emplace_back(new client("127.0.0.1", port));
        REQUIRE(extra.back()->send_all("GET /live HTTP/1.1\r\nHost: t\r\n\r\n"));
        statuses.push_back(extra.back()->read_response().status);
    }
    if (std::chrono::steady_clock::now() - began < 800ms) {
        for (int status : statuses) CHECK(status == 503);
    } else {
        // A machine this slow (an emulator) let the busy requests turn a second old: they
        // may have given way, which the tests above check; nothing to conclude here.
        MESSAGE("setup took over 800 ms; the under-a-second case is not checked");
    }
    // The two requests in progress complete on their connections.
    for (auto& c : busy) {
        REQUIRE(c->send_all("\r\n"));
        CHECK(c->read_response().status == 200);
    }
}

// Clients that connect and close at once (a TCP connect check, a port scan) wait in the
// backlog while the server thread renders; accepted after it, their end not yet seen, they
// held slots younger than the one second a new client has to speak: idle keep-alive clients
// were closed to make room for them (counted under connection_limit, a flood that never
// was) and a probe got 503. Such a client is dropped when its slot is wanted, uncounted.
TEST_CASE("connection cap: clients that connected and left make no room and cause no 503") {
    vitals::registry reg;
    std::atomic<int> renders{0};
    reg.add_collector("slow", [&](vitals::collector_output&) {
        ++renders;
        std::this_thread::sleep_for(600ms);
    });
    auto opts = local_options();
    opts.max_connections = 5;
    vitals::health_server server(reg, opts);
    server.start();
    const auto port = server.port();
    std::vector<std::unique_ptr<client>> kept;
    for (int i = 0; i < 3; ++i) kept.push_back(answered_once(port));

    client scraper("127.0.0.1", port, 10000ms);
    REQUIRE(scraper.send_all("GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n"));
    REQUIRE(test_http::eventually([&] { return renders.load() == 1; }));
    const auto began = std::chrono::steady_clock::now();
    for (int i = 0; i < 8; ++i) {
        client gone("127.0.0.1", port);
        REQUIRE(gone.connected());
    } // each closed at once, waiting in the backlog
    const response r = test_http::get(port, "/live");
    const bool during_render = std::chrono::steady_clock::now() - began < 500ms;
    CHECK(scraper.read_response().status == 200);
    CHECK(r.status == 200);
    CHECK(sample(reg, made_room_series) == 0);
    for (auto& c : kept) {
        REQUIRE(c->send_all("GET /live HTTP/1.1\r\n\r\n"));
        CHECK(c->read_response().status == 200);
    }
    if (!during_render) MESSAGE("the clients came after the render (a slow machine)");
}
