// tests/record/recording_part.cpp - a translation unit that records through
// <vitals/record.hpp> alone, into metrics that full_part.cpp registers and renders.
// SPDX-License-Identifier: MIT
#include <vitals/record.hpp>

// The point of the light header: none of these is parsed (libstdc++'s include guards). The
// single header, which the suite also runs against, is the whole library.
#if defined(__GLIBCXX__) && !defined(VITALS_TEST_SINGLE_INCLUDE)
#if defined(_GLIBCXX_VECTOR) || defined(_GLIBCXX_CHRONO)
#error "<vitals/record.hpp> pulled in <vector> or <chrono>"
#endif
// From C++20 on, libstdc++'s <atomic> includes <string> itself (atomic_wait.h, std_mutex.h,
// <system_error>, <stdexcept>): no header that uses std::atomic can leave it out there.
#if __cplusplus < 202002L && defined(_GLIBCXX_STRING)
#error "<vitals/record.hpp> pulled in <string>"
#endif
#endif

#include "recording_part.hpp"

void record_requests(vitals::counter_family& requests, vitals::histogram_family& latency,
                     vitals::gauge& in_flight, vitals::histogram& standalone,
                     vitals::counter& plain) {
    in_flight.inc();
    for (int i = 0; i < 3; ++i) requests.labels("GET", "200").inc();
    requests.labels("POST", "500").inc(2.5);
    vitals::counter& cached = requests.labels("GET", "404");
    cached.inc_by(4u);
    latency.labels("/api").observe(0.05);
    latency.labels("/api").observe(0.3, vitals::exemplar{"trace_id", "4bf92f3577b34da6"});
    standalone.observe(7.0);
    plain.inc();
    in_flight.dec();
    in_flight.inc();
}

void track_requests(vitals::kits::http_endpoint& endpoint) {
    {
        auto t = endpoint.track();
        t.set_status(200);
        t.set_response_size(512);
        t.set_trace_id("4bf92f3577b34da6");
    }
    {
        auto t = endpoint.track();
        t.set_status(503);
    }
    endpoint.record(404, 0.02);
}

void run_jobs(const vitals::kits::job_handle& job) {
    vitals::kits::job_handle copy = job; // copies share the job's name
    {
        auto run = copy.run();
        run.files_processed(3);
    }
    {
        auto run = job.run();
        run.fail("bad_input");
    }
    job.record(0.5, true);
    job.record_failure(0.2, "timeout");
    job.files_processed();
#if VITALS_HAS_EXCEPTIONS()
    try {
        auto run = job.run();
        throw 42;
    } catch (int) {}
#endif
}

vitals::kits::queue_metrics::worker_scope start_worker(vitals::kits::queue_metrics& queue) {
    return queue.worker();
}

void work_queue(vitals::kits::queue_metrics& queue) {
    queue.set_size(5);
    { auto item = queue.process(); }
    {
        auto item = queue.process();
        item.fail();
    }
    {
        vitals::kits::queue_metrics::worker_scope busy(queue);
        vitals::kits::queue_metrics::item_scope item(queue);
    }
    queue.record(0.05, false);
    queue.set_size(2);
}

double use_cache(vitals::kits::cache_metrics& cache) {
    cache.hit(3);
    cache.miss();
    cache.eviction(2);
    cache.evicted();
    cache.set_size(42);
    return cache.hit_rate();
}

void record_with_wrong_label_count(vitals::counter_family& requests) {
    requests.labels("GET").inc(); // two label names, one value
}
