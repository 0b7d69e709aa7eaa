// tests/unit/server_checks.cpp - health_server: readiness and the liveness/readiness checks as
// /live, /ready and /health show them. SPDX-License-Identifier: MIT
#include "server_support.hpp"

#include <doctest/doctest.h>

#include <atomic>    // atomic
#include <chrono>    // steady_clock
#include <stdexcept> // runtime_error
#include <string>    // string
#include <thread>    // sleep_for

using namespace std::chrono_literals;
using namespace server_test;
using test_http::get;
using test_http::response;

TEST_CASE("server: readiness follows set_ready and turns off when stop begins") {
    vitals::registry reg;
    auto opts = local_options();
    opts.drain = 600ms;
    vitals::health_server server(reg, opts);
    server.start();
    const std::uint16_t port = server.port();
    CHECK_FALSE(server.ready());
    CHECK(get(port, "/ready").status == 503);
    CHECK(get(port, "/ready").body == "unavailable\n");
    CHECK(get(port, "/health").status == 503);
    CHECK(contains(get(port, "/health").body, "\"ready\":false"));
    CHECK(sample(reg, "vitals_server_ready") == 0);
    server.set_ready(true);
    CHECK(get(port, "/ready").status == 200);
    CHECK(sample(reg, "vitals_server_ready") == 1);

    // During the drain period readiness is 503 but everything else is still served.
    std::thread stopper([&] { server.stop(); });
    CHECK(test_http::eventually([&] { return !server.ready(); }));
    CHECK(get(port, "/ready").status == 503);
    CHECK(get(port, "/live").status == 200);
    CHECK(get(port, "/metrics").status == 200);
    CHECK(sample(reg, "vitals_server_ready") == 0);
    stopper.join();
    CHECK_FALSE(server.running());
    CHECK(get(port, "/live").status == 0); // closed
}

TEST_CASE("server: checks flip /live, /ready and /health") {
    vitals::registry reg;
    vitals::health_server server(reg, local_options());
    std::atomic<bool> alive{true}, db{true};
    server.add_liveness_check("loop", [&] {
        return alive.load() ? vitals::check_result::pass("ticking")
                            : vitals::check_result::fail("stuck");
    });
    server.add_readiness_check("db", [&] {
        return db.load() ? vitals::check_result::pass() : vitals::check_result::fail("down");
    });
    server.start();
    server.set_ready(true);
    const auto port = server.port();
    CHECK(get(port, "/live").status == 200);
    CHECK(get(port, "/ready").status == 200);
    CHECK(get(port, "/health").body ==
          "{\"status\":\"pass\",\"ready\":true,\"checks\":["
          "{\"name\":\"loop\",\"kind\":\"liveness\",\"status\":\"pass\",\"message\":\"ticking\"},"
          "{\"name\":\"db\",\"kind\":\"readiness\",\"status\":\"pass\",\"message\":\"\"}]}\n");

    db = false;
    CHECK(get(port, "/live").status == 200);
    CHECK(get(port, "/ready").status == 503);
    response h = get(port, "/health");
    CHECK(h.status == 503);
    CHECK(contains(h.body, "\"status\":\"fail\""));
    CHECK(contains(h.body, "{\"name\":\"db\",\"kind\":\"readiness\",\"status\":\"fail\","
                           "\"message\":\"down\"}"));

    alive = false;
    db = true;
    CHECK(get(port, "/live").status == 503);
    CHECK(get(port, "/live").body == "fail\n");
    CHECK(get(port, "/ready").status == 200);
    CHECK(get(port, "/health").status == 503);

    alive = true;
    CHECK(get(port, "/live").status == 200);
    CHECK(get(port, "/health").status == 200);

    // Re-adding a name replaces the check.
    server.add_readiness_check("db", [] { return vitals::check_result::fail("replaced"); });
    h = get(port, "/health");
    CHECK(contains(h.body, "\"message\":\"replaced\""));
    CHECK(h.body.find("\"name\":\"db\"") == h.body.rfind("\"name\":\"db\""));
}

TEST_CASE("server: a throwing, slow or empty check reports fail with a message") {
    vitals::registry reg;
    auto opts = local_options();
    opts.check_budget = 50ms;
    vitals::health_server server(reg, opts);
#if VITALS_HAS_EXCEPTIONS()
    server.add_liveness_check("thrower",
                              []() -> vitals::check_result { throw std::runtime_error("boom"); });
    server.add_readiness_check("weird", []() -> vitals::check_result { throw 42; });
#endif
    server.add_readiness_check("slow", [] {
        std::this_thread::sleep_for(120ms);
        return vitals::check_result::pass("fine");
    });
    server.add_readiness_check("empty", vitals::check_function());
    server.start();
    server.set_ready(true);
    const response h = get(server.port(), "/health");
    CHECK(h.status == 503);
#if VITALS_HAS_EXCEPTIONS()
    CHECK(contains(h.body, "\"name\":\"thrower\",\"kind\":\"liveness\",\"status\":\"fail\","
                           "\"message\":\"check threw: boom\""));
    CHECK(contains(h.body, "\"name\":\"weird\",\"kind\":\"readiness\",\"status\":\"fail\","
                           "\"message\":\"check threw an exception\""));
    CHECK(get(server.port(), "/live").status == 503);
#endif
    CHECK(contains(h.body, "over its budget of 50 ms (it said: fine)"));
    CHECK(contains(h.body, "\"name\":\"empty\",\"kind\":\"readiness\",\"status\":\"fail\","
                           "\"message\":\"no check function\""));
    CHECK(get(server.port(), "/ready").status == 503);
#if !VITALS_HAS_EXCEPTIONS()
    CHECK(get(server.port(), "/live").status == 200); // no liveness check was added
#endif
}

#if VITALS_HAS_EXCEPTIONS()
// A check that adds a check held the check list's lock while asking for it again: the server
// thread waited for itself for good, every endpoint with it, and the destructor never
// returned. The call is refused (vitals::error), which fails that check with the reason.
TEST_CASE("server: a check that adds a check fails with the reason, the server goes on") {
    vitals::registry reg;
    vitals::health_server server(reg, local_options());
    std::atomic<int> calls{0};
    server.add_liveness_check("adds_one", [&server, &calls] {
        ++calls;
        server.add_readiness_check("late", [] { return true; });
        return true;
    });
    server.start();
    server.set_ready(true);
    const response live = get(server.port(), "/live");
    CHECK(live.status == 503);
    CHECK(calls.load() == 1);
    const response health = get(server.port(), "/health");
    CHECK(contains(health.body, "\"name\":\"adds_one\",\"kind\":\"liveness\",\"status\":"
                                "\"fail\",\"message\":\"check threw: add_liveness_check() and "
                                "add_readiness_check() cannot be called from a health check"));
    CHECK_FALSE(contains(health.body, "\"late\""));
    CHECK(get(server.port(), "/ready").status == 200); // no readiness check was added
    // From another thread, while the server runs, adding works.
    server.add_liveness_check("adds_one", [] { return true; });
    CHECK(get(server.port(), "/live").status == 200);
}
#endif

TEST_CASE("server: /health escapes check names and messages as JSON") {
    vitals::registry reg;
    vitals::health_server server(reg, local_options());
    server.add_liveness_check("quote\"back\\slash", [] {
        return vitals::check_result::pass(std::string("tab\tnl\ncr\rbell\x07 nul") +
                                          std::string(1, '\0') + "\xC3\xA9\xFF end");
    });
    server.start();
    server.set_ready(true);
    const response h = get(server.port(), "/health");
    CHECK(h.status == 200);
    CHECK(contains(h.body, "\"name\":\"quote\\\"back\\\\slash\""));
    CHECK(contains(h.body, "\"message\":\"tab\\tnl\\ncr\\rbell\\u0007 nul\\u0000\xC3\xA9"
                           "\xEF\xBF\xBD end\""));
}
