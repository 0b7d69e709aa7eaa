// tests/record/recording_part.hpp - what recording_part.cpp defines.
// SPDX-License-Identifier: MIT
#ifndef VITALS_TESTS_RECORDING_PART_HPP
#define VITALS_TESTS_RECORDING_PART_HPP

#include <vitals/record.hpp>

void record_requests(vitals::counter_family& requests, vitals::histogram_family& latency,
                     vitals::gauge& in_flight, vitals::histogram& standalone,
                     vitals::counter& plain);
void track_requests(vitals::kits::http_endpoint& endpoint);
void run_jobs(const vitals::kits::job_handle& job);
vitals::kits::queue_metrics::worker_scope start_worker(vitals::kits::queue_metrics& queue);
void work_queue(vitals::kits::queue_metrics& queue);
double use_cache(vitals::kits::cache_metrics& cache);
void record_with_wrong_label_count(vitals::counter_family& requests);

#endif // VITALS_TESTS_RECORDING_PART_HPP
