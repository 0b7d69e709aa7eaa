// tests/unit/server_check_callables.cpp - what add_*_check() accepts: bool and check_result
// callables, check_function (the compile-time error for anything else is checked by
// tests/compile_fail/check_callable.cpp).
// SPDX-License-Identifier: MIT
#include "server_support.hpp"

#include <doctest/doctest.h>

#include <atomic> // atomic
#include <string> // string

using namespace server_test;

namespace {

bool database_up() { return true; }

struct functor {
    bool operator()() const { return ok; }
    bool ok = true;
};

} // namespace

TEST_CASE("check callables: bool means pass or fail with a plain message") {
    vitals::registry reg;
    vitals::health_server server(reg, local_options());
    std::atomic<bool> db{true};
    server.add_readiness_check("db", [&db] { return db.load(); });
    server.add_readiness_check("always", [] { return true; });
    server.add_readiness_check("function", database_up);
    server.add_readiness_check("function_pointer", &database_up);
    server.add_liveness_check("functor", functor{});
    server.add_liveness_check("result", [] { return vitals::check_result::pass("fine"); });
    const vitals::check_function wrapped = [] { return vitals::check_result::pass(); };
    server.add_liveness_check("wrapped", wrapped);
    server.set_ready(true);
    server.start();
    CHECK(test_http::get(server.port(), "/ready").status == 200);
    CHECK(test_http::get(server.port(), "/live").status == 200);
    db = false;
    CHECK(test_http::get(server.port(), "/ready").status == 503);
    const test_http::response h = test_http::get(server.port(), "/health");
    CHECK(h.status == 503);
    CHECK(contains(h.body, "{\"name\":\"db\",\"kind\":\"readiness\",\"status\":\"fail\","
                           "\"message\":\"check returned false\"}"));
    CHECK(contains(h.body, "{\"name\":\"always\",\"kind\":\"readiness\",\"status\":\"pass\","
                           "\"message\":\"\"}"));
    CHECK(contains(h.body, "{\"name\":\"result\",\"kind\":\"liveness\",\"status\":\"pass\","
                           "\"message\":\"fine\"}"));
}

TEST_CASE("check callables: a check may change its own state; a null function fails") {
    // As a check_function may: the checks run one at a time, on the server thread.
    vitals::registry reg;
    vitals::health_server server(reg, local_options());
    server.add_liveness_check("flipping", [up = false]() mutable { return up = !up; });
    server.add_liveness_check("counting", [runs = 0]() mutable {
        return vitals::check_result::pass(std::to_string(++runs));
    });
    // A null function pointer returning bool is an empty check, as one returning check_result
    // is (it was called: a segmentation fault on the server thread).
    bool (*no_bool)() = nullptr;
    server.add_readiness_check("null", no_bool);
    server.set_ready(true);
    server.start();
    CHECK(test_http::get(server.port(), "/live").status == 200);
    CHECK(test_http::get(server.port(), "/live").status == 503);
    const test_http::response h = test_http::get(server.port(), "/health");
    CHECK(contains(h.body, "{\"name\":\"counting\",\"kind\":\"liveness\",\"status\":"
                           "\"pass\",\"message\":\"3\"}"));
    CHECK(contains(h.body, "{\"name\":\"null\",\"kind\":\"readiness\",\"status\":\"fail\","
                           "\"message\":\"no check function\"}"));
}
