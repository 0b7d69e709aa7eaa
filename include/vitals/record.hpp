// vitals/record.hpp - what a translation unit needs to record metrics, and nothing more.
// SPDX-License-Identifier: MIT
#ifndef VITALS_RECORD_HPP
#define VITALS_RECORD_HPP

// Counters, gauges, histograms, exemplars, labelled lookups on families and the kits'
// recording handles: the HTTP kit's http_endpoint and request tracker, the jobs kit's
// job_handle and job_run, and the queue and cache kits' classes (queue_metrics with its
// worker_scope and item_scope, cache_metrics), for the many files of a program that record
// into metrics registered elsewhere. It leaves out what only registering and rendering need
// (<string>, <vector>, <chrono>, the registry, the exposition), so including it costs less
// than including <string> (bench/budgets.sh).
//
// Not here, and a compile error naming detail::include_<header>_hpp when used: making a
// histogram (<vitals/histogram.hpp>), histogram::time() and observing a std::chrono
// duration (<vitals/histogram.hpp>), gauge::set_to_current_time() (<vitals/gauge.hpp>), a
// family's name, help, options, size, clear, remove and try_labels (<vitals/family.hpp>), the
// HTTP kit itself and an endpoint's method() and endpoint() (<vitals/kits/http.hpp>), the
// jobs kit itself and a job's name() (<vitals/kits/jobs.hpp>), and constructing a
// queue_metrics or a cache_metrics (<vitals/kits/queue.hpp>, <vitals/kits/cache.hpp>).
// A program links translation units that include this header with ones that include the
// full headers freely: the classes are the same.

#include <vitals/counter.hpp>
#include <vitals/exemplar.hpp>
#include <vitals/record/cache.hpp>
#include <vitals/record/family.hpp>
#include <vitals/record/gauge.hpp>
#include <vitals/record/histogram.hpp>
#include <vitals/record/http.hpp>
#include <vitals/record/jobs.hpp>
#include <vitals/record/queue.hpp>

#endif // VITALS_RECORD_HPP
