// tests/compile_fail/temporary_owner.cpp - must NOT compile: an object that a scope, a
// check or a running thread depends on, made in the same statement and so destroyed at its
// end. `vitals::health_server(reg).start()` would stop the server again at once (after its
// drain period); `vitals::cached_probe(fn, 5s).check()` would give the server a check that
// fails with "probe stopped" from then on; a tracker or a queue scope from a kit made in the
// statement would record into the destroyed kit. The same calls on objects kept in
// variables, and through a pointer, compile.
// SPDX-License-Identifier: MIT
//
// tests/compile_fail/expect_error.py compiles this file and passes only when the compiler
// fails with vitals' own message.
#include <vitals/server.hpp>
#include <vitals/vitals.hpp>

#include <chrono> // seconds
#include <memory> // unique_ptr

void serve(vitals::registry& reg, const vitals::server_options& options) {
    vitals::health_server server(reg, options);
    server.start();
    (void)server.try_start();
    auto other = std::make_unique<vitals::health_server>(reg, options);
    other->start();
    vitals::cached_probe db([] { return true; }, std::chrono::seconds(5));
    server.add_readiness_check("db", db.check());
    vitals::kits::http_metrics http(reg, "app");
    auto request = http.track("GET", "/");
    vitals::kits::queue_metrics queue(reg, "uploads");
    auto worker = queue.worker();
    auto item = queue.process();
#if defined(VITALS_USE_SERVER_START)
    vitals::health_server(reg, options).start();
#elif defined(VITALS_USE_SERVER_TRY_START)
    (void)vitals::health_server(reg, options).try_start();
#elif defined(VITALS_USE_PROBE_CHECK)
    server.add_readiness_check(
        "cache", vitals::cached_probe([] { return true; }, std::chrono::seconds(5)).check());
#elif defined(VITALS_USE_HTTP_TRACK)
    auto dangling = vitals::kits::http_metrics(reg, "api").track("GET", "/");
#elif defined(VITALS_USE_QUEUE_WORKER)
    auto dangling = vitals::kits::queue_metrics(reg, "jobs").worker();
#elif defined(VITALS_USE_QUEUE_PROCESS)
    auto dangling = vitals::kits::queue_metrics(reg, "jobs").process();
#endif
}
