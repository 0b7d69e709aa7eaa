// minimal.cpp - count, time and print the exposition with one serializer call.
// SPDX-License-Identifier: MIT
#include <vitals/vitals.hpp>

#include <cstdio> // fputs

int main() {
    vitals::registry& reg = vitals::default_registry();

    auto& jobs = reg.counter("app_jobs", "Jobs handled, by outcome.", {"outcome"});
    auto& ok = jobs.labels("ok"); // keep the handle: later increments skip the lookup
    auto& queue = reg.gauge("app_queue_depth", "Jobs waiting.");
    auto& latency = reg.histogram("app_job_duration_seconds", "Time spent per job.");

    for (int i = 0; i < 3; ++i) {
        auto timer = latency.time(); // observes the elapsed seconds at the end of the scope
        ok.inc();
        queue.set(2 - i);
    }
    jobs.labels("failed").inc();

    std::fputs(vitals::to_text(reg).c_str(), stdout);
}
