// tests/compile_fail/kit_record_order.cpp - the kits' plain record() calls with their
// seconds and status (or ok) swapped must not compile (both would convert silently). Compiled once
// per VITALS_USE_* macro by tests/CMakeLists.txt and tests/meson.build; without one, the calls in
// their right order must compile (the control). SPDX-License-Identifier: MIT
#include <vitals/kits/http.hpp>
#include <vitals/record.hpp>

void use(vitals::kits::http_endpoint& ep, const vitals::kits::job_handle& job,
         vitals::kits::queue_metrics& queue, vitals::kits::http_metrics& http) {
#if defined(VITALS_USE_JOB_SWAPPED)
    job.record(true, 0.25); // ok first: would record a run of 1 second
#elif defined(VITALS_USE_JOB_SWAPPED_INT)
    job.record(false, 3); // ok first, whole seconds
#elif defined(VITALS_USE_HTTP_SWAPPED)
    ep.record(0.25, 200); // seconds first: would count status 0 and 200 seconds
#elif defined(VITALS_USE_HTTP_SWAPPED_SIZES)
    ep.record(0.25, 404, 120.0, 3000.0, "not_found");
#elif defined(VITALS_USE_QUEUE_SWAPPED)
    queue.record(false, 0.25); // ok first: would record a successful item of 0 seconds
#elif defined(VITALS_USE_KIT_HTTP_SWAPPED)
    http.record("GET", "/users/:id", 0.25, 200); // seconds first: status 0 and 200 seconds
#else
    job.record(0.25, true);
    job.record(3, false); // whole seconds
    job.record(1.5f, true);
    ep.record(200, 0.25);
    ep.record(200, 1); // whole seconds
    ep.record(404, 0.25, 120.0, 3000.0, "not_found");
    ep.record(500, 2, 10, 20);
    queue.record(0.25, false);
    queue.record(1, true); // whole seconds
    http.record("GET", "/users/:id", 200, 0.25);
    http.record("GET", "/users/:id", 503, 2, 10.0, 20.0, "unavailable");
#endif
}
