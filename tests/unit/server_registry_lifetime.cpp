// tests/unit/server_registry_lifetime.cpp - health_server and the registry it serves: a
// registry destroyed while a server runs over it stops the server first, so the server never
// reads or writes it after, and a server started before then refuses to start again.
// SPDX-License-Identifier: MIT
#include "server_support.hpp"

#include <doctest/doctest.h>

#include <atomic>  // atomic
#include <chrono>  // milliseconds
#include <memory>  // unique_ptr, make_unique
#include <string>  // string
#include <thread>  // thread, sleep_for
#include <utility> // move

using namespace std::chrono_literals;
using namespace server_test;
using test_http::eventually;
using test_http::get;

// Named: test files are compiled together in groups, where helpers of another file's
// anonymous namespace would clash with these.
namespace registry_lifetime_test {

// The trap: members are destroyed in the reverse order of their declaration, so this
// registry goes before the server that refers to it.
struct server_declared_first {
    vitals::health_server server;
    vitals::registry reg;
    server_declared_first() : server(reg, local_options()) {}
};

// Nothing listens on `port` any more.
bool refused(std::uint16_t port) { return get(port, "/live").status == 0; }

} // namespace registry_lifetime_test

using namespace registry_lifetime_test;

TEST_CASE("server: a registry destroyed while its server runs stops the server first") {
    auto reg = std::make_unique<vitals::registry>();
    vitals::health_server server(*reg, local_options());
    server.start();
    server.set_ready(true);
    const auto port = server.port();
    REQUIRE(get(port, "/metrics").status == 200); // self-metrics registered and published

    reg.reset();
    CHECK_FALSE(server.running());
    CHECK(server.port() == 0);
    CHECK_FALSE(server.ready());
    CHECK(refused(port));
    server.set_ready(true); // a stopped server publishes nothing into the gone registry
    server.stop();          // and stops as any stopped server: nothing to do
}

TEST_CASE("server: class members in the wrong order stop the server with the registry") {
    std::uint16_t port = 0;
    {
        server_declared_first app;
        app.server.start();
        app.server.set_ready(true);
        port = app.server.port();
        CHECK(get(port, "/metrics").status == 200);
    } // ~registry() stops the server; ~health_server() then has nothing to do
    CHECK(refused(port));
}

TEST_CASE("server: a scrape in progress when the registry goes is answered whole") {
    auto reg = std::make_unique<vitals::registry>();
    std::atomic<bool> in_collector{false};
    reg->add_collector("slow", [&](vitals::collector_output& out) {
        in_collector = true;
        std::this_thread::sleep_for(300ms);
        out.family("slow_collector_value", "A value a slow collector computes.",
                   vitals::metric_type::gauge);
        out.sample(42);
    });
    auto opts = local_options();
    opts.self_metrics = false;
    vitals::health_server server(*reg, opts);
    server.start();
    const auto port = server.port();
    test_http::response scraped;
    std::thread scraper([&] { scraped = get(port, "/metrics"); });
    REQUIRE(eventually([&] { return in_collector.load(); }));
    reg.reset(); // waits for the scrape: the server thread is joined before the registry goes
    scraper.join();
    CHECK(scraped.status == 200);
    CHECK(contains(scraped.body, "slow_collector_value 42\n"));
    CHECK_FALSE(server.running());
}

TEST_CASE("server: every server running over a registry is stopped when it goes") {
    auto reg = std::make_unique<vitals::registry>();
    auto quiet = local_options();
    quiet.self_metrics = false; // one server per registry publishes them
    vitals::health_server first(*reg, local_options());
    vitals::health_server second(*reg, quiet);
    vitals::health_server never_started(*reg, quiet);
    first.start();
    second.start();
    const auto first_port = first.port();
    const auto second_port = second.port();
    reg.reset();
    CHECK_FALSE(first.running());
    CHECK_FALSE(second.running());
    CHECK(refused(first_port));
    CHECK(refused(second_port));
}

TEST_CASE("server: restarts and stops leave nothing behind in the registry") {
    auto reg = std::make_unique<vitals::registry>();
    auto server = std::make_unique<vitals::health_server>(*reg, local_options());
    for (int i = 0; i < 3; ++i) { // each start() links the server once, each stop() unlinks it
        server->start();
        CHECK(get(server->port(), "/live").status == 200);
        server->stop();
    }
    server->start();
    server.reset(); // destroyed running: stopped and unlinked by its destructor
    reg.reset();    // no server left to stop
    CHECK(reg == nullptr);
}

// A check that calls stop() cannot join the server thread: the thread ends by itself after
// the drain period. A registry destroyed meanwhile ends it at once and joins it.
TEST_CASE("server: a server that stopped itself is joined when its registry goes") {
    auto reg = std::make_unique<vitals::registry>();
    auto opts = local_options();
    opts.drain = 60000ms; // the server thread would serve for a minute after the check's stop()
    vitals::health_server server(*reg, opts);
    vitals::health_server* s = &server;
    server.add_liveness_check("stops", [s] {
        s->stop();
        return true;
    });
    server.start();
    const auto port = server.port();
    CHECK(get(port, "/live").status == 200);
    CHECK(server.running()); // draining
    reg.reset();
    CHECK_FALSE(server.running());
    CHECK(refused(port));
}

// The thread of a server that stopped itself ends by itself, unlinked from the registry; the
// registry then goes first, and the server's destructor only joins the thread.
TEST_CASE("server: a server whose thread ended by itself may be destroyed after its registry") {
    auto reg = std::make_unique<vitals::registry>();
    auto server = std::make_unique<vitals::health_server>(*reg, local_options());
    vitals::health_server* s = server.get();
    server->add_liveness_check("stops", [s] {
        s->stop();
        return true;
    });
    server->start();
    const auto port = server->port();
    CHECK(get(port, "/live").status == 200);
    REQUIRE(eventually([&] { return !s->running(); }));
    reg.reset();
    server.reset();
    CHECK(refused(port));
}

// A watchdog that starts the server again whenever it is not running: after the registry's
// destruction stopped the server, a restart would serve freed memory. It is refused instead.
TEST_CASE("server: a server stopped by its registry's destruction refuses to start again") {
    auto reg = std::make_unique<vitals::registry>();
    vitals::health_server server(*reg, local_options());
    server.start();
    server.set_ready(true);
    REQUIRE(get(server.port(), "/metrics").status == 200);
    reg.reset();
    REQUIRE_FALSE(server.running());
    for (int turn = 0; turn < 3; ++turn) { // the watchdog's loop
        if (server.running()) break;
        const vitals::status st = server.try_start();
        CHECK_FALSE(st.ok());
        CHECK(st.code() == vitals::errc::invalid_argument);
        CHECK(contains(st.message(), "registry this health_server serves was destroyed"));
    }
    CHECK_FALSE(server.running());
    CHECK(server.port() == 0);
#if VITALS_HAS_EXCEPTIONS()
    CHECK_THROWS_AS(server.start(), vitals::error);
#endif
    CHECK_FALSE(server.running());
    server.set_ready(true); // nothing published into the gone registry
    CHECK(server.ready());
    server.stop();
}

// A server that was started, then stopped, before its registry went. (A server never started
// has never touched its registry, which may be constructed after it: it cannot be told.)
TEST_CASE("server: a server stopped before its registry is gone refuses to start again") {
    auto reg = std::make_unique<vitals::registry>();
    vitals::health_server server(*reg, local_options());
    server.start();
    server.set_ready(true);
    CHECK(get(server.port(), "/metrics").status == 200);
    server.stop();
    reg.reset();
    const vitals::status st = server.try_start();
    CHECK_FALSE(st.ok());
    CHECK(st.code() == vitals::errc::invalid_argument);
    CHECK(contains(st.message(), "registry this health_server serves was destroyed"));
    CHECK_FALSE(server.running());
    server.set_ready(true);
    server.stop();
} // destroyed after its registry: does not touch it

// Servers destroyed before their registry leave its list, whatever their place in it; the
// registry's destruction then reaches only the servers that still exist.
TEST_CASE("server: servers destroyed before their registry are not reached by its end") {
    auto reg = std::make_unique<vitals::registry>();
    auto quiet = local_options();
    quiet.self_metrics = false; // one server per registry publishes them
    auto started = [&](const vitals::server_options& o) {
        auto s = std::make_unique<vitals::health_server>(*reg, o);
        s->start();
        return s;
    };
    auto first = started(quiet);
    first->stop();
    auto middle = started(quiet);
    middle->stop();
    auto running = started(local_options());
    auto last = started(quiet);
    middle.reset();
    last.reset();           // destroyed running
    started(quiet).reset(); // started and destroyed in between
    const auto port = running->port();
    reg.reset();
    CHECK_FALSE(running->running());
    CHECK(refused(port));
    CHECK_FALSE(first->try_start().ok());
    CHECK_FALSE(running->try_start().ok());
}
