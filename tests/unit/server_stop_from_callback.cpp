// tests/unit/server_stop_from_callback.cpp - health_server: stop() called on the server's own
// thread, from a collector or a check. SPDX-License-Identifier: MIT
#include "server_support.hpp"

#include <doctest/doctest.h>

#include <atomic> // atomic
#include <chrono> // milliseconds
#include <string> // string

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
    const int tasks = count_entries("/proc/self/task");
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
}
