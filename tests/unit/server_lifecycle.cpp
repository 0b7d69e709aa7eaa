// tests/unit/server_lifecycle.cpp - health_server: start, stop and restart: threads, descriptors,
// rebinding, prompt stop. SPDX-License-Identifier: MIT
#include "server_support.hpp"

#include <doctest/doctest.h>

#include <chrono> // steady_clock
#include <memory> // unique_ptr
#include <string> // string
#include <thread> // sleep_for
#include <vector> // vector

using namespace std::chrono_literals;
using namespace server_test;
using test_http::client;
using test_http::get;

TEST_CASE("server: start twice is already_running; restart after stop works") {
    vitals::registry reg;
    vitals::health_server server(reg, local_options());
    server.start();
    const vitals::status st = server.try_start();
    CHECK(st.code() == vitals::errc::already_running);
    server.stop();
    server.stop(); // idempotent
    CHECK_FALSE(server.running());
    server.start();
    CHECK(server.running());
    CHECK_FALSE(server.ready()); // a restarted server starts not ready
    CHECK(get(server.port(), "/live").status == 200);
}

// set_ready(true) while stop() drains does not survive the stop: a restarted server starts not
// ready, like a new one, until the program says so again.
TEST_CASE("server: readiness set during the drain does not outlive stop()") {
    vitals::registry reg;
    auto opts = local_options();
    opts.drain = 300ms;
    vitals::health_server server(reg, opts);
    server.start();
    server.set_ready(true);
    std::thread stopper([&] { server.stop(); });
    std::this_thread::sleep_for(100ms); // within the drain
    server.set_ready(true);
    CHECK_FALSE(server.ready()); // stopping
    stopper.join();
    CHECK_FALSE(server.ready());
    server.start();
    CHECK_FALSE(server.ready());
    CHECK(get(server.port(), "/ready").status == 503);
}

TEST_CASE("server: start/stop 100 times leaks no descriptors or threads") {
    vitals::registry reg;
    auto once = [&] {
        vitals::health_server server(reg, local_options());
        server.start();
        client idle("127.0.0.1", server.port()); // an open keep-alive connection at stop
        REQUIRE(idle.send_all("GET /live HTTP/1.1\r\n\r\n"));
        REQUIRE(idle.read_response().status == 200);
        server.stop();
    };
    once(); // first use may allocate lazily-created process state
#if defined(__linux__)
    const int fds = count_entries("/proc/self/fd");
    const int tasks = stable_task_count();
#endif
    for (int i = 0; i < 100; ++i) once();
#if defined(__linux__)
    CHECK(count_entries("/proc/self/fd") == fds);
    if (under_emulator())
        WARN(settled_task_count(tasks) == tasks);
    else
        CHECK(settled_task_count(tasks) == tasks);
#endif
    CHECK(sample(reg, "vitals_server_connections") == 0);
}

TEST_CASE("server: one background thread while running, none after stop") {
    vitals::registry reg;
    vitals::health_server server(reg, local_options());
#if defined(__linux__)
    const int before = stable_task_count();
#endif
    server.start();
    std::vector<std::unique_ptr<client>> clients;
    for (int i = 0; i < 20; ++i) {
        clients.emplace_back(new client("127.0.0.1", server.port()));
        REQUIRE(clients.back()->send_all("GET /live HTTP/1.1\r\n\r\n"));
        REQUIRE(clients.back()->read_response().status == 200);
    }
#if defined(__linux__)
    if (under_emulator())
        WARN(settled_task_count(before + 1) == before + 1);
    else
        CHECK(settled_task_count(before + 1) == before + 1);
#endif
    server.stop();
#if defined(__linux__)
    if (under_emulator())
        WARN(settled_task_count(before) == before);
    else
        CHECK(settled_task_count(before) == before);
#endif
}

#if !defined(_WIN32)
TEST_CASE("server: a restarted server rebinds its port while old connections are in TIME_WAIT") {
    vitals::registry reg;
    vitals::health_server first(reg, local_options());
    first.start();
    const std::uint16_t port = first.port();
    for (int i = 0; i < 5; ++i) { // the server closes first: its side enters TIME_WAIT
        client c("127.0.0.1", port);
        REQUIRE(c.send_all("GET /live HTTP/1.1\r\nConnection: close\r\n\r\n"));
        REQUIRE(c.read_response().status == 200);
        REQUIRE(c.closed_by_peer(2000ms));
    }
    first.stop();
    auto opts = local_options();
    opts.port = port;
    vitals::health_server second(reg, opts);
    const vitals::status st = second.try_start();
    CHECK_MESSAGE(st.ok(), st.message());
    CHECK(second.port() == port);
    CHECK(get(port, "/live").status == 200);
}
#endif

TEST_CASE("server: stop() does not wait out keep-alive or request deadlines") {
    vitals::registry reg;
    auto opts = local_options();
    opts.idle_timeout = 60s;
    opts.request_timeout = 60s;
    vitals::health_server server(reg, opts);
    server.start();
    client idle("127.0.0.1", server.port());
    REQUIRE(idle.send_all("GET /live HTTP/1.1\r\n\r\n"));
    REQUIRE(idle.read_response().status == 200);
    client partial("127.0.0.1", server.port());
    REQUIRE(partial.send_all("GET /live HTTP/1.1\r\nHost:"));
    std::this_thread::sleep_for(50ms);
    const auto t0 = std::chrono::steady_clock::now();
    server.stop();
    CHECK(std::chrono::steady_clock::now() - t0 < 2s);
    CHECK(idle.closed_by_peer(2000ms));
    CHECK(partial.closed_by_peer(2000ms));
}
