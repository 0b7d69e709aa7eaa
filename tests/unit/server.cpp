// tests/unit/server.cpp - health_server endpoints, protocol and lifecycle over real sockets.
// SPDX-License-Identifier: MIT
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
#include <vitals/vitals.hpp>

#include <doctest/doctest.h>

#include "server_client.hpp"

#include <atomic>    // atomic
#include <chrono>    // steady_clock
#include <cstdlib>   // getenv
#include <memory>    // unique_ptr
#include <stdexcept> // runtime_error
#include <string>    // string
#include <thread>    // sleep_for
#include <vector>    // vector

#if defined(__linux__)
#include <dirent.h> // opendir (counting /proc/self/fd and /proc/self/task)
#endif

using namespace std::chrono_literals;
using test_http::client;
using test_http::exchange;
using test_http::get;
using test_http::response;

namespace {

vitals::server_options local_options() {
    vitals::server_options o;
    o.bind_address = "127.0.0.1";
    o.port = 0;
    return o;
}

bool contains(const std::string& s, const std::string& part) {
    return s.find(part) != std::string::npos;
}

double sample(vitals::registry& reg, const std::string& line_prefix) {
    const std::string text = vitals::to_text(reg);
    const std::size_t at = text.find("\n" + line_prefix + " ");
    if (at == std::string::npos) return -1;
    const std::size_t start = at + 1 + line_prefix.size() + 1;
    return std::stod(text.substr(start, text.find('\n', start) - start));
}

bool ipv6_loopback_available() {
    vitals::detail::socket_library lib;
    vitals::detail::socket_address a;
    vitals::detail::parse_address("::1", 0, a);
    const auto s = vitals::detail::open_stream_socket(AF_INET6);
    if (s == vitals::detail::invalid_socket) return false;
    const bool ok = ::bind(s, a.get(), a.length) == 0;
    vitals::detail::close_socket(s);
    return ok;
}

#if defined(__linux__)
int count_entries(const char* dir) {
    DIR* d = opendir(dir);
    if (!d) return -1;
    int n = 0;
    while (readdir(d)) ++n;
    closedir(d);
    return n;
}

// The thread count once it settles on `expected`, or after 2 s, whatever it is then. A joined
// thread leaves /proc/self/task a moment after join() returns; under qemu-user, whose own
// threads are listed there too, that moment can be long.
// qemu-user runs each guest thread on a host thread and now and then keeps one for a while
// after the guest thread has exited: the task count is not evidence there. The armhf steps of
// scripts/test.sh set VITALS_TEST_EMULATED=1, and the thread checks only warn under it.
bool under_emulator() {
    const char* v = std::getenv("VITALS_TEST_EMULATED");
    return v != nullptr && v[0] == '1';
}

int settled_task_count(int expected) {
    int n = count_entries("/proc/self/task");
    for (int i = 0; i < 200 && n != expected; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        n = count_entries("/proc/self/task");
    }
    return n;
}
#endif

} // namespace

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
    CHECK(get(server.port(), "/metrics?x=1#frag").status == 200);

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

TEST_CASE("server: /metrics stays text 0.0.4 when OpenMetrics is asked for") {
    vitals::registry reg;
    vitals::health_server server(reg, local_options());
    server.start();
    const response r = get(server.port(), "/metrics",
                           "Accept: application/openmetrics-text;version=1.0.0,"
                           "text/plain;version=0.0.4;q=0.5\r\n");
    CHECK(r.status == 200);
    CHECK(r.header("content-type") == "text/plain; version=0.0.4; charset=utf-8");
}

TEST_CASE("server: readiness follows set_ready and turns off when stop begins") {
    vitals::registry reg;
    auto opts = local_options();
    opts.drain = 600ms;
    vitals::health_server server(reg, opts);
    server.start();
    const std::uint16_t port = server.port();
    CHECK_FALSE(server.ready());
    CHECK(get(port, "/ready").status == 503);
    CHECK(get(port, "/ready").body == "unavailable\n");
    CHECK(get(port, "/health").status == 503);
    CHECK(contains(get(port, "/health").body, "\"ready\":false"));
    CHECK(sample(reg, "vitals_server_ready") == 0);
    server.set_ready(true);
    CHECK(get(port, "/ready").status == 200);
    CHECK(sample(reg, "vitals_server_ready") == 1);

    // During the drain period readiness is 503 but everything else is still served.
    std::thread stopper([&] { server.stop(); });
    CHECK(test_http::eventually([&] { return !server.ready(); }));
    CHECK(get(port, "/ready").status == 503);
    CHECK(get(port, "/live").status == 200);
    CHECK(get(port, "/metrics").status == 200);
    CHECK(sample(reg, "vitals_server_ready") == 0);
    stopper.join();
    CHECK_FALSE(server.running());
    CHECK(get(port, "/live").status == 0); // closed
}

TEST_CASE("server: checks flip /live, /ready and /health") {
    vitals::registry reg;
    vitals::health_server server(reg, local_options());
    std::atomic<bool> alive{true}, db{true};
    server.add_liveness_check("loop", [&] {
        return alive.load() ? vitals::check_result::pass("ticking")
                            : vitals::check_result::fail("stuck");
    });
    server.add_readiness_check("db", [&] {
        return db.load() ? vitals::check_result::pass() : vitals::check_result::fail("down");
    });
    server.start();
    server.set_ready(true);
    const auto port = server.port();
    CHECK(get(port, "/live").status == 200);
    CHECK(get(port, "/ready").status == 200);
    CHECK(get(port, "/health").body ==
          "{\"status\":\"pass\",\"ready\":true,\"checks\":["
          "{\"name\":\"loop\",\"kind\":\"liveness\",\"status\":\"pass\",\"message\":\"ticking\"},"
          "{\"name\":\"db\",\"kind\":\"readiness\",\"status\":\"pass\",\"message\":\"\"}]}\n");

    db = false;
    CHECK(get(port, "/live").status == 200);
    CHECK(get(port, "/ready").status == 503);
    response h = get(port, "/health");
    CHECK(h.status == 503);
    CHECK(contains(h.body, "\"status\":\"fail\""));
    CHECK(contains(h.body, "{\"name\":\"db\",\"kind\":\"readiness\",\"status\":\"fail\","
                           "\"message\":\"down\"}"));

    alive = false;
    db = true;
    CHECK(get(port, "/live").status == 503);
    CHECK(get(port, "/live").body == "fail\n");
    CHECK(get(port, "/ready").status == 200);
    CHECK(get(port, "/health").status == 503);

    alive = true;
    CHECK(get(port, "/live").status == 200);
    CHECK(get(port, "/health").status == 200);

    // Re-adding a name replaces the check.
    server.add_readiness_check("db", [] { return vitals::check_result::fail("replaced"); });
    h = get(port, "/health");
    CHECK(contains(h.body, "\"message\":\"replaced\""));
    CHECK(h.body.find("\"name\":\"db\"") == h.body.rfind("\"name\":\"db\""));
}

TEST_CASE("server: a throwing, slow or empty check reports fail with a message") {
    vitals::registry reg;
    auto opts = local_options();
    opts.check_budget = 50ms;
    vitals::health_server server(reg, opts);
#if VITALS_HAS_EXCEPTIONS()
    server.add_liveness_check("thrower",
                              []() -> vitals::check_result { throw std::runtime_error("boom"); });
    server.add_readiness_check("weird", []() -> vitals::check_result { throw 42; });
#endif
    server.add_readiness_check("slow", [] {
        std::this_thread::sleep_for(120ms);
        return vitals::check_result::pass("fine");
    });
    server.add_readiness_check("empty", vitals::check_function());
    server.start();
    server.set_ready(true);
    const response h = get(server.port(), "/health");
    CHECK(h.status == 503);
#if VITALS_HAS_EXCEPTIONS()
    CHECK(contains(h.body, "\"name\":\"thrower\",\"kind\":\"liveness\",\"status\":\"fail\","
                           "\"message\":\"check threw: boom\""));
    CHECK(contains(h.body, "\"name\":\"weird\",\"kind\":\"readiness\",\"status\":\"fail\","
                           "\"message\":\"check threw an exception\""));
    CHECK(get(server.port(), "/live").status == 503);
#endif
    CHECK(contains(h.body, "over its budget of 50 ms (it said: fine)"));
    CHECK(contains(h.body, "\"name\":\"empty\",\"kind\":\"readiness\",\"status\":\"fail\","
                           "\"message\":\"no check function\""));
    CHECK(get(server.port(), "/ready").status == 503);
#if !VITALS_HAS_EXCEPTIONS()
    CHECK(get(server.port(), "/live").status == 200); // no liveness check was added
#endif
}

TEST_CASE("server: /health escapes check names and messages as JSON") {
    vitals::registry reg;
    vitals::health_server server(reg, local_options());
    server.add_liveness_check("quote\"back\\slash", [] {
        return vitals::check_result::pass(std::string("tab\tnl\ncr\rbell\x07 nul") +
                                          std::string(1, '\0') + "\xC3\xA9\xFF end");
    });
    server.start();
    server.set_ready(true);
    const response h = get(server.port(), "/health");
    CHECK(h.status == 200);
    CHECK(contains(h.body, "\"name\":\"quote\\\"back\\\\slash\""));
    CHECK(contains(h.body, "\"message\":\"tab\\tnl\\ncr\\rbell\\u0007 nul\\u0000\xC3\xA9"
                           "\xEF\xBF\xBD end\""));
}

TEST_CASE("server: /metrics bearer token accepted and refused") {
    vitals::registry reg;
    auto opts = local_options();
    opts.bearer_token = "s3cr3t-T0ken";
    vitals::health_server server(reg, opts);
    server.start();
    const auto port = server.port();

    response r = get(port, "/metrics");
    CHECK(r.status == 401);
    CHECK(r.header("www-authenticate").rfind("Bearer", 0) == 0);
    CHECK(r.header("cache-control") == "no-store");
    CHECK(get(port, "/metrics", "Authorization: Bearer wrong\r\n").status == 401);
    CHECK(get(port, "/metrics", "Authorization: Bearer s3cr3t-T0ke\r\n").status == 401);
    CHECK(get(port, "/metrics", "Authorization: Bearer s3cr3t-T0ken2\r\n").status == 401);
    CHECK(get(port, "/metrics", "Authorization: Basic s3cr3t-T0ken\r\n").status == 401);
    CHECK(get(port, "/metrics", "Authorization: s3cr3t-T0ken\r\n").status == 401);
    r = get(port, "/metrics", "Authorization: Bearer s3cr3t-T0ken\r\n");
    CHECK(r.status == 200);
    CHECK(contains(r.body, "vitals_server_requests_total{path=\"/metrics\",code=\"401\"} 6"));
    CHECK(get(port, "/metrics", "authorization: bearer s3cr3t-T0ken\r\n").status == 200);
    CHECK(exchange(port, "HEAD /metrics HTTP/1.1\r\n\r\n", true).status == 401);
    // Probes stay open: Kubernetes does not send tokens.
    CHECK(get(port, "/live").status == 200);
    CHECK(get(port, "/health").status == 503); // not ready, but not 401
}

TEST_CASE("server: keep-alive by default, HTTP/1.0 and Connection: close end the connection") {
    vitals::registry reg;
    vitals::health_server server(reg, local_options());
    server.start();
    const auto port = server.port();
    SUBCASE("HTTP/1.1 keep-alive serves many requests on one connection") {
        client c("127.0.0.1", port);
        for (int i = 0; i < 50; ++i) {
            REQUIRE(c.send_all(i % 2 ? "GET /live HTTP/1.1\r\nHost: t\r\n\r\n"
                                     : "GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n"));
            const response r = c.read_response();
            REQUIRE(r.status == 200);
            CHECK_FALSE(r.has("connection"));
        }
        CHECK(sample(reg, "vitals_server_connections") == 1);
    }
    SUBCASE("HTTP/1.0 closes unless keep-alive is asked for") {
        client c("127.0.0.1", port);
        REQUIRE(c.send_all("GET /live HTTP/1.0\r\n\r\n"));
        const response r = c.read_response();
        CHECK(r.status == 200);
        CHECK(r.header("connection") == "close");
        CHECK(c.closed_by_peer(2000ms));

        client k("127.0.0.1", port);
        REQUIRE(k.send_all("GET /live HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
        const response r1 = k.read_response();
        CHECK(r1.status == 200);
        CHECK(r1.header("connection") == "keep-alive");
        REQUIRE(k.send_all("GET /live HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"));
        CHECK(k.read_response().status == 200);
    }
    SUBCASE("Connection: close") {
        client c("127.0.0.1", port);
        REQUIRE(c.send_all("GET /live HTTP/1.1\r\nConnection: keep-alive, close\r\n\r\n"));
        CHECK(c.read_response().header("connection") == "close");
        CHECK(c.closed_by_peer(2000ms));
    }
}

TEST_CASE("server: pipelined requests are answered in order") {
    vitals::registry reg;
    vitals::health_server server(reg, local_options());
    server.start();
    client c("127.0.0.1", server.port());
    std::string batch;
    for (int i = 0; i < 20; ++i) {
        batch += "GET /live HTTP/1.1\r\n\r\n";
        batch += "GET /nope HTTP/1.1\r\n\r\n";
        batch += "HEAD /ready HTTP/1.1\r\n\r\n";
        batch += "GET /metrics HTTP/1.1\r\n\r\n";
        batch += "POST /live HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello";
        batch += "GET /health HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                 "3\r\nabc\r\n0\r\n\r\n";
    }
    batch += "GET /live HTTP/1.1\r\nConnection: close\r\n\r\n";
    REQUIRE(c.send_all(batch));
    for (int i = 0; i < 20; ++i) {
        CHECK(c.read_response().status == 200);
        CHECK(c.read_response().status == 404);
        const response head = c.read_response(true);
        CHECK(head.status == 503);
        CHECK(head.body.empty());
        const response m = c.read_response();
        CHECK(m.status == 200);
        CHECK(contains(m.body, "# TYPE vitals_server_requests_total counter"));
        CHECK(c.read_response().status == 405);
        const response h = c.read_response();
        CHECK(h.status == 503);
        CHECK(contains(h.body, "\"ready\":false"));
    }
    const response last = c.read_response();
    CHECK(last.status == 200);
    CHECK(last.header("connection") == "close");
    CHECK(c.closed_by_peer(2000ms));
}

TEST_CASE("server: port 0, two servers side by side, a taken port fails clearly") {
    vitals::registry reg1, reg2;
    vitals::health_server a(reg1, local_options());
    vitals::health_server b(reg2, local_options());
    a.start();
    b.start();
    CHECK(a.port() != 0);
    CHECK(b.port() != 0);
    CHECK(a.port() != b.port());
    reg1.gauge("only_in_one", "x").set(1);
    CHECK(contains(get(a.port(), "/metrics").body, "only_in_one 1"));
    CHECK_FALSE(contains(get(b.port(), "/metrics").body, "only_in_one"));

    auto opts = local_options();
    opts.port = a.port();
    vitals::health_server c(reg2, opts);
    const vitals::status st = c.try_start();
    CHECK_FALSE(st.ok());
    CHECK(st.code() == vitals::errc::network_error);
    CHECK(contains(st.message(), "in use"));
    CHECK(contains(st.message(), "127.0.0.1:" + std::to_string(a.port())));
    CHECK_FALSE(c.running());
    CHECK(c.port() == 0);
#if VITALS_HAS_EXCEPTIONS()
    try {
        c.start();
        FAIL("start() on a taken port must throw");
    } catch (const vitals::error& e) {
        CHECK(e.code() == vitals::errc::network_error);
    }
#endif
    CHECK(get(a.port(), "/live").status == 200); // the first server is untouched
}

TEST_CASE("server: a bind failure on 9090 points at Prometheus") {
    // Hold 127.0.0.1:9090 ourselves (if nothing else does already) so the bind fails.
    vitals::registry reg;
    vitals::server_options hold_opts;
    hold_opts.bind_address = "127.0.0.1";
    hold_opts.port = 9090;
    vitals::health_server holder(reg, hold_opts);
    const vitals::status held = holder.try_start();
    vitals::health_server second(reg, hold_opts);
    const vitals::status st = second.try_start();
    REQUIRE_FALSE(st.ok());
    CAPTURE(st.message());
    if (held.ok() || contains(st.message(), "in use")) {
        CHECK(contains(st.message(), "port 9090 is already in use"));
        CHECK(contains(st.message(), "Prometheus"));
    }
}

TEST_CASE("server: IPv6 loopback and the v6-only flag") {
    if (!ipv6_loopback_available()) {
        MESSAGE("skipped: no IPv6 loopback on this host");
        return;
    }
    vitals::registry reg;
    SUBCASE("::1") {
        auto opts = local_options();
        opts.bind_address = "::1";
        vitals::health_server server(reg, opts);
        server.start();
        CHECK(get(server.port(), "/live", "", "::1").status == 200);
        CHECK(get(server.port(), "/live", "", "127.0.0.1").status == 0);
    }
    SUBCASE("[::] dual-stack accepts IPv4 too") {
        auto opts = local_options();
        opts.bind_address = "[::]";
        vitals::health_server server(reg, opts);
        server.start();
        CHECK(get(server.port(), "/live", "", "::1").status == 200);
        CHECK(get(server.port(), "/live", "", "127.0.0.1").status == 200);
    }
    SUBCASE(":: v6-only refuses IPv4") {
        auto opts = local_options();
        opts.bind_address = "::";
        opts.ipv6_only = true;
        vitals::health_server server(reg, opts);
        server.start();
        CHECK(get(server.port(), "/live", "", "::1").status == 200);
        CHECK(get(server.port(), "/live", "", "127.0.0.1").status == 0);
    }
}

TEST_CASE("server: invalid options are rejected before anything is opened") {
    vitals::registry reg;
    const auto rejects = [&](vitals::server_options o, const char* part) {
        vitals::health_server s(reg, o);
        const vitals::status st = s.try_start();
        CHECK_FALSE(st.ok());
        CHECK(st.code() == vitals::errc::invalid_argument);
        CHECK(contains(st.message(), part));
        CHECK_FALSE(s.running());
    };
    auto o = local_options();
    o.bind_address = "example.com";
    rejects(o, "not a numeric IPv4 or IPv6 address");
    o = local_options();
    o.bind_address = "";
    rejects(o, "bind_address");
    o = local_options();
    o.bind_address = "300.1.1.1";
    rejects(o, "bind_address");
    o = local_options();
    o.max_connections = 0;
    rejects(o, "max_connections");
    o = local_options();
    o.request_timeout = 0ms;
    rejects(o, "request_timeout");
    o = local_options();
    o.drain = -1ms;
    rejects(o, "drain");
    o = local_options();
    o.metrics_path = "metrics";
    rejects(o, "must start with '/'");
    o = local_options();
    o.live_path = "/health";
    rejects(o, "used twice");
    o = local_options();
    o.ready_path = "/ready?x";
    rejects(o, "'?'");
    o = local_options();
    o.bearer_token = "has space";
    rejects(o, "bearer_token");
    o = local_options();
    o.max_headers = 0;
    rejects(o, "max_headers");
#if VITALS_HAS_EXCEPTIONS()
    o = local_options();
    o.backlog = 0;
    vitals::health_server s(reg, o);
    CHECK_THROWS_AS(s.start(), vitals::error);
#endif
}

TEST_CASE("server: custom paths and disabled endpoints") {
    vitals::registry reg;
    auto o = local_options();
    o.metrics_path = "/internal/prom";
    o.health_path = "";
    vitals::health_server server(reg, o);
    server.start();
    CHECK(get(server.port(), "/internal/prom").status == 200);
    CHECK(get(server.port(), "/metrics").status == 404);
    CHECK(get(server.port(), "/health").status == 404);
    CHECK(get(server.port(), "/live").status == 200);
}

TEST_CASE("server: start twice is already_running; restart after stop works") {
    vitals::registry reg;
    vitals::health_server server(reg, local_options());
    server.start();
    const vitals::status st = server.try_start();
    CHECK(st.code() == vitals::errc::already_running);
    server.stop();
    server.stop(); // idempotent
    CHECK_FALSE(server.running());
    server.start();
    CHECK(server.running());
    CHECK_FALSE(server.ready()); // a restarted server starts not ready
    CHECK(get(server.port(), "/live").status == 200);
}

TEST_CASE("server: start/stop 100 times leaks no descriptors or threads") {
    vitals::registry reg;
    auto once = [&] {
        vitals::health_server server(reg, local_options());
        server.start();
        client idle("127.0.0.1", server.port()); // an open keep-alive connection at stop
        REQUIRE(idle.send_all("GET /live HTTP/1.1\r\n\r\n"));
        REQUIRE(idle.read_response().status == 200);
        server.stop();
    };
    once(); // first use may allocate lazily-created process state
#if defined(__linux__)
    const int fds = count_entries("/proc/self/fd");
    const int tasks = count_entries("/proc/self/task");
#endif
    for (int i = 0; i < 100; ++i) once();
#if defined(__linux__)
    CHECK(count_entries("/proc/self/fd") == fds);
    if (under_emulator())
        WARN(settled_task_count(tasks) == tasks);
    else
        CHECK(settled_task_count(tasks) == tasks);
#endif
    CHECK(sample(reg, "vitals_server_connections") == 0);
}

TEST_CASE("server: one background thread while running, none after stop") {
    vitals::registry reg;
    vitals::health_server server(reg, local_options());
#if defined(__linux__)
    const int before = count_entries("/proc/self/task");
#endif
    server.start();
    std::vector<std::unique_ptr<client>> clients;
    for (int i = 0; i < 20; ++i) {
        clients.emplace_back(new client("127.0.0.1", server.port()));
        REQUIRE(clients.back()->send_all("GET /live HTTP/1.1\r\n\r\n"));
        REQUIRE(clients.back()->read_response().status == 200);
    }
#if defined(__linux__)
    if (under_emulator())
        WARN(settled_task_count(before + 1) == before + 1);
    else
        CHECK(settled_task_count(before + 1) == before + 1);
#endif
    server.stop();
#if defined(__linux__)
    if (under_emulator())
        WARN(settled_task_count(before) == before);
    else
        CHECK(settled_task_count(before) == before);
#endif
}

#if !defined(_WIN32)
TEST_CASE("server: a restarted server rebinds its port while old connections are in TIME_WAIT") {
    vitals::registry reg;
    vitals::health_server first(reg, local_options());
    first.start();
    const std::uint16_t port = first.port();
    for (int i = 0; i < 5; ++i) { // the server closes first: its side enters TIME_WAIT
        client c("127.0.0.1", port);
        REQUIRE(c.send_all("GET /live HTTP/1.1\r\nConnection: close\r\n\r\n"));
        REQUIRE(c.read_response().status == 200);
        REQUIRE(c.closed_by_peer(2000ms));
    }
    first.stop();
    auto opts = local_options();
    opts.port = port;
    vitals::health_server second(reg, opts);
    const vitals::status st = second.try_start();
    CHECK_MESSAGE(st.ok(), st.message());
    CHECK(second.port() == port);
    CHECK(get(port, "/live").status == 200);
}
#endif

TEST_CASE("server: stop() does not wait out keep-alive or request deadlines") {
    vitals::registry reg;
    auto opts = local_options();
    opts.idle_timeout = 60s;
    opts.request_timeout = 60s;
    vitals::health_server server(reg, opts);
    server.start();
    client idle("127.0.0.1", server.port());
    REQUIRE(idle.send_all("GET /live HTTP/1.1\r\n\r\n"));
    REQUIRE(idle.read_response().status == 200);
    client partial("127.0.0.1", server.port());
    REQUIRE(partial.send_all("GET /live HTTP/1.1\r\nHost:"));
    std::this_thread::sleep_for(50ms);
    const auto t0 = std::chrono::steady_clock::now();
    server.stop();
    CHECK(std::chrono::steady_clock::now() - t0 < 2s);
    CHECK(idle.closed_by_peer(2000ms));
    CHECK(partial.closed_by_peer(2000ms));
}

TEST_CASE("server: self-metrics count requests by path and code") {
    vitals::registry reg;
    vitals::health_server server(reg, local_options());
    server.start();
    const auto port = server.port();
    for (int i = 0; i < 3; ++i) get(port, "/live");
    get(port, "/ready");
    get(port, "/whatever");
    get(port, "/another");
    exchange(port, "BAD\r\n\r\n");
    get(port, "/metrics");
    CHECK(sample(reg, "vitals_server_requests_total{path=\"/live\",code=\"200\"}") == 3);
    CHECK(sample(reg, "vitals_server_requests_total{path=\"/ready\",code=\"503\"}") == 1);
    CHECK(sample(reg, "vitals_server_requests_total{path=\"other\",code=\"404\"}") == 2);
    CHECK(sample(reg, "vitals_server_requests_total{path=\"other\",code=\"400\"}") == 1);
    CHECK(sample(reg, "vitals_server_requests_total{path=\"/metrics\",code=\"200\"}") == 1);
    CHECK(sample(reg, "vitals_server_render_seconds_count") == 1);
    CHECK(test_http::eventually([&] { return sample(reg, "vitals_server_connections") == 0; }));
    client open1("127.0.0.1", port), open2("127.0.0.1", port);
    CHECK(test_http::eventually([&] { return sample(reg, "vitals_server_connections") == 2; }));

    vitals::registry quiet;
    auto o = local_options();
    o.self_metrics = false;
    vitals::health_server q(quiet, o);
    q.start();
    get(q.port(), "/live");
    CHECK_FALSE(contains(vitals::to_text(quiet), "vitals_server"));
}

TEST_CASE("server: a registry whose names clash with the self-metrics fails to start") {
    vitals::registry reg;
    reg.gauge("vitals_server_ready", "something else entirely");
    vitals::health_server server(reg, local_options());
    const vitals::status st = server.try_start();
    CHECK(st.code() == vitals::errc::conflicting_registration);
    CHECK_FALSE(server.running());
}

TEST_CASE("cached_probe: runs on its own schedule and the check reads the cache") {
    std::atomic<int> runs{0};
    std::atomic<bool> healthy{true};
    vitals::cached_probe probe(
        [&] {
            ++runs;
            std::this_thread::sleep_for(300ms); // a slow dependency
            return healthy.load() ? vitals::check_result::pass("pong")
                                  : vitals::check_result::fail("no pong");
        },
        50ms, 2000ms); // results stay fresh across a 300 ms run
    const vitals::check_function check = probe.check();
    CHECK(test_http::eventually([&] { return check().ok; }));
    CHECK(check().message == "pong");
    // Reading never waits for the probe.
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < 100; ++i) static_cast<void>(check());
    CHECK(std::chrono::steady_clock::now() - t0 <
          150ms); // waiting once for a run would take longer
    healthy = false;
    CHECK(test_http::eventually([&] { return !check().ok; }));
    CHECK(check().message == "no pong");
    CHECK(runs.load() >= 2);

    vitals::registry reg;
    vitals::health_server server(reg, local_options());
    server.add_readiness_check("dependency", probe.check());
    server.start();
    server.set_ready(true);
    CHECK(get(server.port(), "/ready").status == 503);
    healthy = true;
    CHECK(test_http::eventually([&] { return get(server.port(), "/ready").status == 200; }));

    probe.stop();
    CHECK_FALSE(check().ok);
    CHECK(check().message == "probe stopped");
}

TEST_CASE("cached_probe: no result yet, stale results, throwing probes, bad arguments") {
    std::atomic<bool> block{true};
    {
        vitals::cached_probe slow(
            [&] {
                while (block.load()) std::this_thread::sleep_for(5ms);
                return vitals::check_result::pass();
            },
            20ms, 100ms);
        CHECK(slow.result().message == "no result yet");
        block = false;
        CHECK(test_http::eventually([&] { return slow.result().ok; }));
        block = true; // the next run hangs: the cached success goes stale
        CHECK(test_http::eventually([&] { return !slow.result().ok; }));
        CHECK(contains(slow.result().message, "ms old (probe slow or stuck)"));
        block = false;
    }
#if VITALS_HAS_EXCEPTIONS()
    vitals::cached_probe thrower(
        []() -> vitals::check_result { throw std::runtime_error("dns failure"); }, 20ms);
    CHECK(test_http::eventually([&] { return thrower.result().message != "no result yet"; }));
    CHECK(thrower.result().message == "probe threw: dns failure");
    CHECK_THROWS_AS(vitals::cached_probe([] { return vitals::check_result::pass(); }, 0ms),
                    vitals::error);
    CHECK_THROWS_AS(vitals::cached_probe(vitals::check_function(), 10ms), vitals::error);
#endif
}
