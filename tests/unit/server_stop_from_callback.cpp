// tests/unit/server_stop_from_callback.cpp - health_server: stop() called on the server's own
// thread, from a collector or a check. SPDX-License-Identifier: MIT
#include "server_support.hpp"

#include <doctest/doctest.h>

#include <atomic>  // atomic
#include <chrono>  // milliseconds, steady_clock
#include <cstdio>  // fputs
#include <cstdlib> // _Exit
#include <string>  // string
#include <thread>  // thread, sleep_for

using namespace std::chrono_literals;
using namespace server_test;

namespace {

// Calls stop() on `*server` and notes whether it threw (a thread joining itself throws
// std::system_error, or terminates without exceptions).
void stop_and_note(vitals::health_server* server, std::atomic<int>& calls,
                   std::atomic<bool>& threw) {
    ++calls;
#if VITALS_HAS_EXCEPTIONS()
    try {
        server->stop();
    } catch (...) {
        threw = true;
    }
#else
    server->stop();
    (void)threw;
#endif
}

} // namespace

TEST_CASE("stop from the server thread: a collector calls stop() during a scrape") {
    vitals::registry reg;
#if defined(__linux__)
    {
        // One server first: sanitizers start helper threads with the first thread.
        vitals::health_server warm_up(reg, local_options());
        warm_up.start();
    }
    const int tasks = stable_task_count();
#endif
    std::atomic<int> calls{0};
    std::atomic<bool> threw{false};
    std::atomic<bool> armed{false};
    vitals::health_server* target = nullptr;
    // Armed for one scrape only: later renders (the restart's, this thread's to_text) must
    // not stop the server, nor reach it once destroyed.
    reg.add_collector("stopper", [&](vitals::collector_output&) {
        if (armed.exchange(false)) stop_and_note(target, calls, threw);
    });
    {
        vitals::health_server server(reg, local_options());
        target = &server;
        server.set_ready(true);
        server.start();
        armed = true;
        test_http::client c("127.0.0.1", server.port(), 3000ms);
        REQUIRE(c.send_all("GET /metrics HTTP/1.1\r\n\r\n"));
        c.read_all(3000ms); // the server closes the connection as it stops
        CHECK(calls == 1);
        CHECK_FALSE(threw);
        CHECK_FALSE(server.ready());
        CHECK(test_http::eventually([&] { return !server.running(); }));
        SUBCASE("a later stop() joins; the server starts again") {
            server.stop();
            CHECK_FALSE(server.running());
            server.start();
            CHECK(server.running());
            CHECK(test_http::get(server.port(), "/live").status == 200);
            server.stop();
        }
        SUBCASE("start() after it, without stop() in between") {
            CHECK(server.try_start().ok());
            CHECK(test_http::get(server.port(), "/live").status == 200);
        }
        SUBCASE("the destructor joins") {}
    }
#if defined(__linux__)
    if (under_emulator())
        WARN(settled_task_count(tasks) == tasks);
    else
        CHECK(settled_task_count(tasks) == tasks); // no thread left behind
#endif
    CHECK(sample(reg, "vitals_server_connections") == 0);
}

TEST_CASE("stop from the server thread: a check calls stop(); the drain is still served") {
    vitals::registry reg;
    std::atomic<int> calls{0};
    std::atomic<bool> threw{false};
    std::atomic<bool> armed{false};
    auto opts = local_options();
    opts.drain = 1500ms;
    vitals::health_server server(reg, opts);
    vitals::health_server* target = &server;
    server.add_readiness_check("stopper", [&] {
        if (armed.exchange(false)) stop_and_note(target, calls, threw);
        return true;
    });
    server.set_ready(true);
    server.start();
    const auto port = server.port();
    CHECK(test_http::get(port, "/ready").status == 200);
    armed = true;
    test_http::get(port, "/ready"); // its answer depends on when readiness turned false
    CHECK(calls == 1);
    CHECK_FALSE(threw);
    // Draining: readiness is 503 at once, everything else still answers.
    CHECK_FALSE(server.ready());
    CHECK(test_http::get(port, "/ready").status == 503);
    CHECK(test_http::get(port, "/live").status == 200);
    // Then the server thread ends by itself; the destructor joins it.
    CHECK(test_http::eventually([&] { return !server.running(); }, 5000ms));
    // Its listener closed with it, before anyone joins the thread: a client is refused at
    // once instead of waiting for an answer that never comes, and the port is free.
    const test_http::client late("127.0.0.1", port, 1000ms);
    CHECK_FALSE(late.connected());
    vitals::registry other;
    auto same_port = local_options();
    same_port.port = port;
    vitals::health_server replacement(other, same_port);
    CHECK(replacement.try_start().ok());
}

TEST_CASE("stop from a collector while a program thread scrapes: it neither joins nor waits") {
    vitals::registry reg;
    std::atomic<int> calls{0};
    std::atomic<bool> threw{false};
    std::atomic<bool> armed{false};
    auto opts = local_options();
    opts.drain = 1500ms;
    vitals::health_server server(reg, opts);
    reg.add_collector("stopper", [&](vitals::collector_output&) {
        if (armed.exchange(false)) stop_and_note(&server, calls, threw);
    });
    server.set_ready(true);
    server.start();
    const auto port = server.port();
    armed = true;
    const std::string text = vitals::to_text(reg); // this thread runs the collector
    CHECK(calls == 1);
    CHECK_FALSE(threw);
    CHECK(contains(text, "vitals_server_connections"));
    // The stop began: readiness is false at once, and the server drains by itself.
    CHECK_FALSE(server.ready());
    CHECK(test_http::get(port, "/ready").status == 503);
    CHECK(test_http::eventually([&] { return !server.running(); }, 5000ms));
    server.stop(); // joins the ended thread
    CHECK(server.try_start().ok());
    CHECK(test_http::get(server.port(), "/live").status == 200);
}

TEST_CASE("stop from a collector races start() and stop() on other threads without deadlock") {
    // A scrape on one thread holds the registry's reader lock while its collector calls
    // stop(); start() on another thread holds the server's lifecycle lock while it registers
    // its self-metrics in the same registry. A stop() that waited for the lifecycle lock there
    // waited forever; the watchdog ends the program instead of hanging the suite.
    vitals::registry reg;
    auto opts = local_options();
    opts.drain = std::chrono::milliseconds(0);
    vitals::health_server server(reg, opts);
    std::atomic<int> stops{0};
    reg.add_collector("stopper", [&](vitals::collector_output&) {
        // A slow collector: the scrape holds the reader lock while start() comes for the
        // writer lock.
        std::this_thread::sleep_for(std::chrono::microseconds(300));
        server.stop();
        ++stops;
    });
    std::atomic<bool> done{false};
    std::thread watchdog([&done] {
        const auto give_up = std::chrono::steady_clock::now() + 120s;
        while (!done.load()) {
            if (std::chrono::steady_clock::now() > give_up) {
                std::fputs("deadlock: stop() from a collector against start()/stop()\n", stderr);
                std::_Exit(3);
            }
            std::this_thread::sleep_for(10ms);
        }
    });
    constexpr int rounds = 100;
    std::atomic<int> started{0};
    std::thread lifecycle([&] {
        for (int i = 0; i < rounds; ++i) {
            if (server.try_start().ok()) ++started;
            server.stop();
        }
    });
    for (int i = 0; i < rounds; ++i) (void)vitals::to_text(reg);
    lifecycle.join();
    done = true;
    watchdog.join();
    CHECK(stops == rounds);
    CHECK(started == rounds); // a deferred stop never leaves start() refused
    CHECK_FALSE(server.running());
    CHECK(server.try_start().ok()); // and never leaves the server unable to start
    CHECK(test_http::get(server.port(), "/live").status == 200);
}
