// tests/record/full_part.cpp - registers and renders, with the full headers, the metrics that
// recording_part.cpp records into with only <vitals/record.hpp>. Built into two programs that
// link the parts in both orders (the classes must be the same in both kinds of translation
// unit, whichever the linker sees first).
// SPDX-License-Identifier: MIT
#include "recording_part.hpp"

#include <vitals/vitals.hpp>

#include <doctest/doctest.h>

#include <string> // string

namespace {
bool has(const std::string& text, const std::string& line) {
    return text.find(line) != std::string::npos;
}
} // namespace

TEST_CASE("record.hpp: values recorded in a light translation unit show in the scrape") {
    vitals::registry reg;
    auto& requests = reg.counter("http_requests_total", "Requests.", {"method", "code"});
    auto& latency = reg.histogram("http_latency_seconds", "Latency.", {"route"}, {0.1, 1.0});
    auto& in_flight = reg.gauge("http_in_flight", "Requests in flight.");
    auto& plain = reg.counter("jobs_total", "Jobs.");
    vitals::histogram standalone{1.0, 10.0};

    record_requests(requests, latency, in_flight, standalone, plain);
    record_requests(requests, latency, in_flight, standalone, plain);

    const std::string text = vitals::to_text(reg);
    CHECK(has(text, "http_requests_total{method=\"GET\",code=\"200\"} 6\n"));
    CHECK(has(text, "http_requests_total{method=\"POST\",code=\"500\"} 5\n"));
    CHECK(has(text, "http_requests_total{method=\"GET\",code=\"404\"} 8\n"));
    CHECK(has(text, "http_latency_seconds_bucket{route=\"/api\",le=\"0.1\"} 2\n"));
    CHECK(has(text, "http_latency_seconds_bucket{route=\"/api\",le=\"1\"} 4\n"));
    CHECK(has(text, "http_latency_seconds_count{route=\"/api\"} 4\n"));
    CHECK(has(text, "http_in_flight 2\n"));
    CHECK(has(text, "jobs_total 2\n"));
    CHECK(standalone.count() == 2);
    CHECK(standalone.bucket_count(1) == 2);
    CHECK(standalone.bounds() == std::vector<double>{1.0, 10.0});

    const std::string om = vitals::to_openmetrics(reg);
    CHECK(has(om, "# {trace_id=\"4bf92f3577b34da6\"} 0.3"));

    // The family's other members, defined by the full header, on the same handle.
    CHECK(requests.name() == "http_requests_total");
    CHECK(requests.size() == 3);
    CHECK(requests.remove("GET", "404"));
    CHECK(requests.size() == 2);
}

TEST_CASE("record.hpp: the HTTP kit's handles track requests in a light translation unit") {
    vitals::registry reg;
    vitals::kits::http_metrics http(reg, "app");
    track_requests(http.endpoint("GET", "/api"));
    const std::string text = vitals::to_text(reg);
    CHECK(
        has(text, "app_http_requests_total{method=\"GET\",endpoint=\"/api\",status=\"200\"} 1\n"));
    CHECK(
        has(text, "app_http_requests_total{method=\"GET\",endpoint=\"/api\",status=\"503\"} 1\n"));
    CHECK(
        has(text, "app_http_requests_total{method=\"GET\",endpoint=\"/api\",status=\"404\"} 1\n"));
    CHECK(
        has(text, "app_http_request_duration_seconds_count{method=\"GET\",endpoint=\"/api\"} 3\n"));
    CHECK(has(text, "app_http_response_size_bytes_count{method=\"GET\",endpoint=\"/api\"} 1\n"));
    CHECK(has(
        text,
        "app_http_errors_total{method=\"GET\",endpoint=\"/api\",error_type=\"server_error\"} 1\n"));
    CHECK(has(
        text,
        "app_http_errors_total{method=\"GET\",endpoint=\"/api\",error_type=\"client_error\"} 1\n"));
    CHECK(has(text, "app_http_requests_in_flight 0\n"));
    CHECK(has(vitals::to_openmetrics(reg), "trace_id=\"4bf92f3577b34da6\""));
    CHECK(http.endpoint("GET", "/api").endpoint() == "/api");
}

TEST_CASE("record.hpp: the jobs kit's handles record runs in a light translation unit") {
    vitals::registry reg;
    vitals::kits::job_metrics jobs(reg, "app");
    run_jobs(jobs.job("csv"));
    const std::string text = vitals::to_text(reg);
    CHECK(has(text, "app_converter_runs_total{converter=\"csv\",status=\"success\"} 2\n"));
    CHECK(has(text, "app_converter_errors_total{converter=\"csv\",error_type=\"bad_input\"} 1\n"));
    CHECK(has(text, "app_converter_errors_total{converter=\"csv\",error_type=\"timeout\"} 1\n"));
    CHECK(has(text, "app_converter_files_processed_total{converter=\"csv\"} 4\n"));
#if VITALS_HAS_EXCEPTIONS()
    CHECK(has(text, "app_converter_runs_total{converter=\"csv\",status=\"failure\"} 3\n"));
    CHECK(has(text, "app_converter_errors_total{converter=\"csv\",error_type=\"exception\"} 1\n"));
    CHECK(has(text, "app_converter_duration_seconds_count{converter=\"csv\"} 5\n"));
#else
    CHECK(has(text, "app_converter_runs_total{converter=\"csv\",status=\"failure\"} 2\n"));
    CHECK(has(text, "app_converter_duration_seconds_count{converter=\"csv\"} 4\n"));
#endif
    // The handle the light part copied still names its job, with the full header.
    const vitals::kits::job_handle csv = jobs.job("csv");
    const vitals::kits::job_handle again = csv;
    CHECK(again.name() == "csv");
}

TEST_CASE("record.hpp: the queue kit's scopes record items in a light translation unit") {
    vitals::registry reg;
    vitals::kits::queue_metrics queue(reg, "app", {{{"queue", "uploads"}}});
    {
        const auto worker = start_worker(queue);
        CHECK(has(vitals::to_text(reg), "app_queue_workers_active{queue=\"uploads\"} 1\n"));
    }
    work_queue(queue);
    const std::string text = vitals::to_text(reg);
    CHECK(has(text, "app_queue_size{queue=\"uploads\"} 2\n"));
    CHECK(has(text, "app_queue_processed_total{queue=\"uploads\"} 4\n"));
    CHECK(has(text, "app_queue_errors_total{queue=\"uploads\"} 2\n"));
    CHECK(has(text, "app_queue_workers_active{queue=\"uploads\"} 0\n"));
    CHECK(has(text, "app_queue_processing_duration_seconds_count{queue=\"uploads\"} 4\n"));
}

TEST_CASE("record.hpp: the cache kit records lookups in a light translation unit") {
    vitals::registry reg;
    vitals::kits::cache_metrics cache(reg, "app", {{{"cache", "users"}}});
    CHECK(use_cache(cache) == 0.75);
    const std::string text = vitals::to_text(reg);
    CHECK(has(text, "app_cache_hits_total{cache=\"users\"} 3\n"));
    CHECK(has(text, "app_cache_misses_total{cache=\"users\"} 1\n"));
    CHECK(has(text, "app_cache_evictions_total{cache=\"users\"} 3\n"));
    CHECK(has(text, "app_cache_size{cache=\"users\"} 42\n"));
    CHECK(has(text, "app_cache_hit_rate{cache=\"users\"} 0.75\n"));
}

#if VITALS_HAS_EXCEPTIONS()
TEST_CASE("record.hpp: a wrong number of label values fails as it does with the full header") {
    vitals::registry reg;
    auto& requests = reg.counter("http_requests_total", "Requests.", {"method", "code"});
    CHECK_THROWS_AS(record_with_wrong_label_count(requests), vitals::error);
    CHECK(requests.size() == 0);
}
#endif
