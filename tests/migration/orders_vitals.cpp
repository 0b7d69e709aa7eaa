// tests/migration/orders_vitals.cpp - tests/migration/orders_prometheus_cpp.cpp ported to
// vitals, as docs/migrating-from-prometheus-cpp.md shows it. Built by
// tests/migration/compare.sh.
// SPDX-License-Identifier: MIT
//
//   orders_vitals --print                         the operations, then the text exposition
//   orders_vitals PORT SECONDS [--openmetrics]    the operations, then serve 127.0.0.1:PORT
//                                                 (0: a free port, printed as "listening on
//                                                 N"); the text format 0.0.4 only, unless
//                                                 --openmetrics
#include <vitals/server.hpp>
#include <vitals/vitals.hpp>

#include <chrono>  // seconds
#include <cstdint> // uint16_t
#include <cstdio>  // printf, fputs
#include <cstdlib> // atoi
#include <string>  // string
#include <thread>  // sleep_for

int main(int argc, char** argv) {
    vitals::registry reg; // first: it outlives the server and every reference below

    auto& requests =
        reg.counter("orders_http_requests_total", "HTTP requests handled.", {"method", "code"},
                    vitals::family_options{{{"service", "orders"}}});
    auto& get_ok = requests.labels("GET", "200");
    auto& post_created = requests.labels("POST", "201");
    requests.labels("GET", "404"); // made ahead: shown at 0

    // Was "orders_revenue_euros" with prometheus-cpp, which exposed it without _total.
    auto& revenue = reg.counter("orders_revenue_euros_total", "Revenue of accepted orders.");
    auto& queue = reg.gauge("orders_queue_depth", "Orders waiting.");
    auto& last_success =
        reg.gauge("orders_last_success_timestamp_seconds", "When an order last went through.");
    auto& open_orders =
        reg.gauge("orders_tenant_open_orders", "Open orders per tenant.", {"tenant"});
    auto& acme = open_orders.labels("acme");
    auto& globex = open_orders.labels("globex");
    auto& latency = reg.histogram("orders_request_duration_seconds", "Request latency.", {"route"},
                                  {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1});
    auto& list_latency = latency.labels("/orders");
    // Was a summary with the 0.5 and 0.9 quantiles: a histogram, and histogram_quantile().
    auto& payload = reg.histogram("orders_payload_bytes", "Size of order payloads.",
                                  vitals::exponential_buckets(256, 2, 6));

    for (int i = 0; i < 3; ++i) get_ok.inc();
    post_created.inc();
    revenue.inc(12.5);
    revenue.inc(7.25);
    revenue.inc(-5); // refused
    queue.set(5);
    queue.inc();
    queue.dec(2);
    queue.inc(0.5);
    last_success.set_to_current_time();
    acme.set(3);
    globex.set(7);
    open_orders.remove("globex"); // hidden; the globex reference stays valid
    for (double v : {0.003, 0.02, 0.02, 0.3, 2.0}) list_latency.observe(v);
    for (double v : {512.0, 1024.0, 2048.0}) payload.observe(v);

    if (argc == 2 && std::string(argv[1]) == "--print") {
        std::fputs(vitals::to_text(reg).c_str(), stdout);
        return 0;
    }
    const bool openmetrics = argc == 4 && std::string(argv[3]) == "--openmetrics";
    if (argc != 3 && !openmetrics) {
        std::fprintf(stderr, "usage: orders_vitals --print | PORT SECONDS [--openmetrics]\n");
        return 2;
    }
    vitals::server_options opts;
    opts.bind_address = "127.0.0.1";
    opts.port = static_cast<std::uint16_t>(std::atoi(argv[1]));
    opts.openmetrics = openmetrics; // false: the text format, as prometheus-cpp's Exposer served
    vitals::health_server server(reg, opts);
    if (const vitals::status st = server.try_start(); !st) {
        std::fprintf(stderr, "orders_vitals: %s\n", st.message().c_str());
        return 1;
    }
    std::printf("listening on %u\n", static_cast<unsigned>(server.port()));
    std::fflush(stdout);
    std::this_thread::sleep_for(std::chrono::seconds(std::atoi(argv[2])));
}
