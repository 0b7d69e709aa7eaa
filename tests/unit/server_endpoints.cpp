// tests/unit/server_endpoints.cpp - health_server: every endpoint answers its request, HEAD,
// 404/405. SPDX-License-Identifier: MIT
// vitals-test: own program (it checks the macros that including the server header leaves)
#include <cstddef> // size_t (first: it shows which macros the platform itself defines)
#if defined(NOMINMAX)
#define VITALS_TEST_PLATFORM_NOMINMAX // mingw-w64's libstdc++ defines it
#endif
#include <vitals/server.hpp>
// The server header must leave no Windows macro behind: no min/max, and the two it sets
// while including <winsock2.h> are removed again.
#if defined(min) || defined(max) || defined(WIN32_LEAN_AND_MEAN) ||                                \
    (defined(NOMINMAX) && !defined(VITALS_TEST_PLATFORM_NOMINMAX))
#error "vitals/server.hpp leaked a Windows macro"
#endif
#include "server_support.hpp"

#include <doctest/doctest.h>

#include <atomic> // atomic
#include <chrono> // milliseconds
#include <string> // string
#include <thread> // sleep_for

using namespace server_test;
using test_http::client;
using test_http::exchange;
using test_http::get;
using test_http::response;

TEST_CASE("server: every endpoint answers GET with status, type, length and no-store") {
    vitals::registry reg;
    reg.counter("app_jobs", "Jobs.").inc();
    vitals::health_server server(reg, local_options());
    server.start();
    REQUIRE(server.port() != 0);
    server.set_ready(true);

    const response live = get(server.port(), "/live");
    CHECK(live.status == 200);
    CHECK(live.body == "ok\n");
    CHECK(live.header("content-type") == "text/plain; charset=utf-8");

    const response ready = get(server.port(), "/ready");
    CHECK(ready.status == 200);
    CHECK(ready.body == "ok\n");

    const response health = get(server.port(), "/health");
    CHECK(health.status == 200);
    CHECK(health.header("content-type") == "application/json");
    CHECK(health.body == "{\"status\":\"pass\",\"ready\":true,\"checks\":[]}\n");

    const response metrics = get(server.port(), "/metrics");
    CHECK(metrics.status == 200);
    CHECK(metrics.header("content-type") == std::string(vitals::text_content_type));
    CHECK(contains(metrics.body, "\napp_jobs_total 1\n"));
    CHECK(contains(metrics.body, "# TYPE vitals_server_requests_total counter"));

    for (const response* r : {&live, &ready, &health, &metrics}) {
        CHECK(r->header("cache-control") == "no-store");
        CHECK(r->header("content-length") == std::to_string(r->body.size()));
        CHECK(r->has("date"));
        CHECK(r->header("connection") == "close");
    }
}

TEST_CASE("server: HEAD sends the GET headers without a body") {
    vitals::registry reg;
    vitals::health_server server(reg, local_options());
    server.start();
    for (const char* path : {"/live", "/ready", "/health", "/metrics"}) {
        CAPTURE(path);
        client c("127.0.0.1", server.port());
        REQUIRE(c.send_all(std::string("HEAD ") + path + " HTTP/1.1\r\nHost: t\r\n\r\n" + "GET " +
                           path + " HTTP/1.1\r\nHost: t\r\n\r\n"));
        const response head = c.read_response(true);
        const response full = c.read_response();
        CHECK(head.status == full.status);
        CHECK(head.body.empty());
        CHECK(head.header("content-type") == full.header("content-type"));
        if (std::string(path) != "/metrics") // the exposition grows by the HEAD's own count
            CHECK(head.header("content-length") == full.header("content-length"));
        CHECK(std::stoul(head.header("content-length")) > 0);
    }
}

TEST_CASE("server: unknown path 404, other methods 405 with Allow, query ignored") {
    vitals::registry reg;
    vitals::health_server server(reg, local_options());
    server.start();
    server.set_ready(true);
    CHECK(get(server.port(), "/nope").status == 404);
    CHECK(get(server.port(), "/").status == 404);
    CHECK(get(server.port(), "/live/").status == 404);
    CHECK(get(server.port(), "/LIVE").status == 404);
    CHECK(get(server.port(), "/live?verbose=1").status == 200);
    CHECK(get(server.port(), "/metrics?x=1").status == 200);
    CHECK(get(server.port(), "/metrics#frag").status == 400); // no fragment in a target

    for (const char* method : {"POST", "PUT", "DELETE", "OPTIONS", "PATCH", "get"}) {
        CAPTURE(method);
        const response r =
            exchange(server.port(), std::string(method) + " /live HTTP/1.1\r\nHost: t\r\n"
                                                          "Content-Length: 0\r\n\r\n");
        CHECK(r.status == 405);
        CHECK(r.header("allow") == "GET, HEAD");
        CHECK(r.header("cache-control") == "no-store");
    }
    // absolute-form target
    CHECK(exchange(server.port(), "GET http://example:80/live HTTP/1.1\r\n\r\n").status == 200);
}

TEST_CASE("server: /metrics answers OpenMetrics when the Accept header prefers it") {
    vitals::registry reg;
    vitals::health_server server(reg, local_options());
    server.start();
    const response r = get(server.port(), "/metrics",
                           "Accept: application/openmetrics-text;version=1.0.0,"
                           "text/plain;version=0.0.4;q=0.5\r\n");
    CHECK(r.status == 200);
    CHECK(r.header("content-type") == "application/openmetrics-text; version=1.0.0; charset=utf-8");
    CHECK(r.body.size() >= 6);
    CHECK(r.body.substr(r.body.size() - 6) == "# EOF\n");
    const response plain = get(server.port(), "/metrics", "");
    CHECK(plain.header("content-type") == "text/plain; version=0.0.4; charset=utf-8");
    CHECK(plain.body.find("# EOF") == std::string::npos);
}

// server_options::openmetrics = false: Prometheus' Accept header gets the text format 0.0.4,
// so that it stores what a text-only server (prometheus-cpp's, say) gave it: no `_created`
// series, `le="1"` rather than `le="1.0"`.
TEST_CASE("server: openmetrics = false answers every scrape in the text format 0.0.4") {
    vitals::registry reg;
    reg.counter("jobs", "Jobs done.").inc();
    reg.histogram("job_seconds", "Job time.", {1.0}).observe(0.5);
    vitals::server_options opts = local_options();
    opts.openmetrics = false;
    vitals::health_server server(reg, opts);
    server.start();
    const std::string prometheus_accept =
        "Accept: application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
        "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1\r\n";
    const response r = get(server.port(), "/metrics", prometheus_accept);
    CHECK(r.status == 200);
    CHECK(r.header("content-type") == std::string(vitals::text_content_type));
    CHECK(r.body.find("# EOF") == std::string::npos);
    CHECK(r.body.find("_created") == std::string::npos);
    CHECK(r.body.find("job_seconds_bucket{le=\"1\"} 1\n") != std::string::npos);
}

// A HEAD of /metrics may report the length of the last second's render instead of rendering
// again, but only of a render in the format it asks for: the text exposition's length under
// an OpenMetrics Content-Type would tell a client to read the wrong number of bytes.
TEST_CASE("server: a HEAD reuses only a render of the format it asks for") {
    vitals::registry reg;
    reg.counter("jobs_total", "Jobs done.").inc(3);
    vitals::health_server server(reg, local_options());
    server.start();
    test_http::client c("127.0.0.1", server.port());
    const std::string om_accept = "Accept: application/openmetrics-text\r\n";
    REQUIRE(c.send_all("GET /metrics HTTP/1.1\r\n\r\n"));
    const response text = c.read_response();
    REQUIRE(text.status == 200);
    REQUIRE(c.send_all("HEAD /metrics HTTP/1.1\r\n" + om_accept + "\r\n"));
    const response head = c.read_response(true);
    CHECK(head.status == 200);
    CHECK(head.header("content-type") == std::string(vitals::openmetrics_content_type));
    // The two formats of this registry differ in length by far more than the request
    // counters that changed between the requests can.
    CHECK(head.header("content-length") != std::to_string(text.body.size()));
    REQUIRE(c.send_all("GET /metrics HTTP/1.1\r\n" + om_accept + "\r\n"));
    const response om = c.read_response();
    CHECK(om.status == 200);
    const long long om_length = static_cast<long long>(om.body.size());
    const long long head_length = std::stoll(head.header("content-length"));
    // The same format, give or take what the requests in between changed (request counts,
    // the render-time histogram).
    CHECK(head_length > om_length - 200);
    CHECK(head_length < om_length + 200);
}

// The reuse window of a HEAD ran from the start of the render it reuses, so after a render of
// a second or more it had closed before the render ended: every HEAD rendered again, however
// soon it followed.
TEST_CASE("server: a HEAD right after a render longer than a second reuses it") {
    vitals::registry reg;
    std::atomic<int> renders{0};
    reg.add_collector("slow", [&renders](vitals::collector_output&) {
        ++renders;
        std::this_thread::sleep_for(std::chrono::milliseconds(1200));
    });
    vitals::health_server server(reg, local_options());
    server.start();
    test_http::client c("127.0.0.1", server.port(), std::chrono::milliseconds(10000));
    REQUIRE(c.send_all("GET /metrics HTTP/1.1\r\n\r\n"));
    const response get_response = c.read_response();
    REQUIRE(get_response.status == 200);
    REQUIRE(renders.load() == 1);
    REQUIRE(c.send_all("HEAD /metrics HTTP/1.1\r\n\r\n"));
    const response head = c.read_response(true);
    CHECK(head.status == 200);
    CHECK(renders.load() == 1);
    CHECK(head.header("content-length") == std::to_string(get_response.body.size()));
}
