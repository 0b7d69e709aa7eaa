// tests/compile_fail/record_only.cpp - with only <vitals/record.hpp>, what needs a full header
// must fail to compile naming the header to include (detail::include_<header>_hpp), not link
// and fail later. Compiled once per VITALS_USE_* macro by tests/CMakeLists.txt.
// SPDX-License-Identifier: MIT
#include <vitals/record.hpp>

#if defined(VITALS_USE_FAMILY_LIST)
#include <string> // string
#include <vector> // vector
#endif

void use(vitals::gauge& g, vitals::histogram& h, vitals::counter_family& f,
         vitals::kits::http_metrics& kit, vitals::kits::http_endpoint& ep,
         vitals::kits::job_metrics& jobs, const vitals::kits::job_handle& job,
         vitals::kits::queue_metrics& queue, vitals::kits::cache_metrics& cache,
         vitals::registry& reg) {
#if defined(VITALS_USE_GAUGE_TIME)
    g.set_to_current_time();
#elif defined(VITALS_USE_HISTOGRAM_MAKE)
    vitals::histogram local{0.1, 1.0};
    local.observe(0.5);
#elif defined(VITALS_USE_HISTOGRAM_BOUNDS)
    (void)h.bounds();
#elif defined(VITALS_USE_HISTOGRAM_TIME)
    auto timer = h.time();
#elif defined(VITALS_USE_FAMILY_NAME)
    (void)f.name();
#elif defined(VITALS_USE_FAMILY_LIST)
    f.labels(std::vector<std::string>{"GET", "200"}).inc(); // a run-time list of values
#elif defined(VITALS_USE_HTTP_ENDPOINT_NAME)
    (void)ep.endpoint();
#elif defined(VITALS_USE_HTTP_KIT)
    vitals::kits::http_request_tracker t(kit, "GET", "/api");
#elif defined(VITALS_USE_JOB_NAME)
    (void)job.name();
#elif defined(VITALS_USE_JOBS_KIT)
    (void)jobs.job("csv");
#elif defined(VITALS_USE_QUEUE_MAKE)
    vitals::kits::queue_metrics local(reg, "app");
#elif defined(VITALS_USE_CACHE_MAKE)
    vitals::kits::cache_metrics local(reg, "app");
#else
    g.inc(); // the control: recording compiles
    h.observe(0.5);
    f.labels("a").inc();
    (void)kit;
    auto t = ep.track();
    t.set_status(200);
    (void)jobs;
    (void)reg;
    auto run = job.run();
    run.files_processed(2);
    run.fail("bad_input");
    auto worker = queue.worker();
    auto item = queue.process();
    queue.set_size(3);
    cache.hit();
    cache.miss();
    (void)cache.hit_rate();
#endif
}
