// tests/migration/orders_prometheus_cpp.cpp - a small order service instrumented with
// prometheus-cpp, the "before" of docs/migrating-from-prometheus-cpp.md. Built only by
// tests/migration/compare.sh, and only when prometheus-cpp is installed.
// SPDX-License-Identifier: MIT
//
//   orders_prometheus_cpp --print          the operations, then the exposition on stdout
//   orders_prometheus_cpp PORT SECONDS     the operations, then serve 127.0.0.1:PORT/metrics
//                                          (0: a free port, printed as "listening on N")
#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/summary.h>
#include <prometheus/text_serializer.h>

#include <chrono>  // seconds
#include <cstdio>  // printf, fputs
#include <cstdlib> // atoi
#include <memory>  // make_shared
#include <string>  // string
#include <thread>  // sleep_for

int main(int argc, char** argv) {
    using namespace prometheus;
    auto registry = std::make_shared<Registry>();

    auto& requests = BuildCounter()
                         .Name("orders_http_requests_total")
                         .Help("HTTP requests handled.")
                         .Labels({{"service", "orders"}})
                         .Register(*registry);
    auto& get_ok = requests.Add({{"method", "GET"}, {"code", "200"}});
    auto& post_created = requests.Add({{"method", "POST"}, {"code", "201"}});
    requests.Add({{"method", "GET"}, {"code", "404"}}); // made ahead, never incremented

    auto& revenue = BuildCounter()
                        .Name("orders_revenue_euros") // exposed as named: no _total
                        .Help("Revenue of accepted orders.")
                        .Register(*registry)
                        .Add({});
    auto& queue =
        BuildGauge().Name("orders_queue_depth").Help("Orders waiting.").Register(*registry).Add({});
    auto& last_success = BuildGauge()
                             .Name("orders_last_success_timestamp_seconds")
                             .Help("When an order last went through.")
                             .Register(*registry)
                             .Add({});
    auto& open_orders = BuildGauge()
                            .Name("orders_tenant_open_orders")
                            .Help("Open orders per tenant.")
                            .Register(*registry);
    auto& acme = open_orders.Add({{"tenant", "acme"}});
    auto& globex = open_orders.Add({{"tenant", "globex"}});
    auto& latency = BuildHistogram()
                        .Name("orders_request_duration_seconds")
                        .Help("Request latency.")
                        .Register(*registry);
    auto& list_latency =
        latency.Add({{"route", "/orders"}},
                    Histogram::BucketBoundaries{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1});
    auto& payload = BuildSummary()
                        .Name("orders_payload_bytes")
                        .Help("Size of order payloads.")
                        .Register(*registry)
                        .Add({}, Summary::Quantiles{{0.5, 0.05}, {0.9, 0.01}});

    for (int i = 0; i < 3; ++i) get_ok.Increment();
    post_created.Increment();
    revenue.Increment(12.5);
    revenue.Increment(7.25);
    revenue.Increment(-5); // ignored
    queue.Set(5);
    queue.Increment();
    queue.Decrement(2);
    queue.Increment(0.5);
    last_success.SetToCurrentTime();
    acme.Set(3);
    globex.Set(7);
    open_orders.Remove(&globex); // deletes it: globex dangles from here on
    for (double v : {0.003, 0.02, 0.02, 0.3, 2.0}) list_latency.Observe(v);
    for (double v : {512.0, 1024.0, 2048.0}) payload.Observe(v);

    if (argc == 2 && std::string(argv[1]) == "--print") {
        std::fputs(TextSerializer().Serialize(registry->Collect()).c_str(), stdout);
        return 0;
    }
    if (argc != 3) {
        std::fprintf(stderr, "usage: orders_prometheus_cpp --print | PORT SECONDS\n");
        return 2;
    }
    Exposer exposer{std::string("127.0.0.1:") + argv[1]};
    exposer.RegisterCollectable(registry);
    std::printf("listening on %d\n", exposer.GetListeningPorts().front());
    std::fflush(stdout);
    std::this_thread::sleep_for(std::chrono::seconds(std::atoi(argv[2])));
}
