// tests/compile_fail/handle_copy.cpp - must NOT compile: a metric, family or registry taken
// by value (`auto c = reg.counter(...)` for `auto& c`), the first mistake of a newcomer, or a
// cached_probe given to a server as the check itself (for `probe.check()`). The compiler's
// note quotes the deleted copy constructor's line, whose comment says what to write instead.
// SPDX-License-Identifier: MIT
//
// tests/compile_fail/expect_error.py compiles this file and passes only when the compiler
// fails with that comment.
#include <vitals/server.hpp>
#include <vitals/vitals.hpp>

#include <chrono> // seconds

int main() {
    auto& reg = vitals::default_registry();
#if defined(VITALS_USE_COUNTER)
    auto c = reg.counter("app_requests", "Requests served.");
#elif defined(VITALS_USE_GAUGE)
    auto g = reg.gauge("app_queue_size", "Items waiting.");
#elif defined(VITALS_USE_HISTOGRAM)
    auto h = reg.histogram("app_latency_seconds", "Latency.");
#elif defined(VITALS_USE_FAMILY)
    auto f = reg.counter("app_requests", "Requests served.", {"method", "code"});
#elif defined(VITALS_USE_STATESET)
    auto s = reg.stateset("app_phase", "Phase.", {"idle", "busy"});
#elif defined(VITALS_USE_REGISTRY)
    auto r = reg;
#elif defined(VITALS_USE_PROBE)
    vitals::health_server server(reg);
    vitals::cached_probe db([] { return true; }, std::chrono::seconds(5));
    server.add_readiness_check("db", db);
#endif
}
