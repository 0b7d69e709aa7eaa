// tests/unit/server_minimums.cpp - health_server: request-size options below what a
// Kubernetes probe or a Prometheus scrape sends are refused at start(), and at the smallest
// values allowed both are answered with 200. SPDX-License-Identifier: MIT
#include "server_support.hpp"

#include <doctest/doctest.h>

#include <cstddef>          // size_t
#include <initializer_list> // the cases looped over
#include <string>           // string, to_string

using namespace server_test;

namespace {

// The message when `o` is refused, else empty (and the server stopped again).
std::string start_error(const vitals::server_options& o) {
    vitals::registry reg;
    vitals::health_server s(reg, o);
    const vitals::status st = s.try_start();
    if (st.ok()) return {};
    CHECK(st.code() == vitals::errc::invalid_argument);
    CHECK_FALSE(s.running());
    return st.message();
}

// The Accept header of a Prometheus scrape listing all five scrape protocols, each followed
// by an escaping scheme (as Prometheus 2.55 sends it with UTF-8 names; 3.x names the scheme
// on the 1.0.0 formats only): the longest it sends.
std::string prometheus_accept() {
    const char* formats[] = {
        ("application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;"
         "encoding=delimited"),
        "application/openmetrics-text;version=1.0.0", "application/openmetrics-text;version=0.0.1",
        "text/plain;version=1.0.0", "text/plain;version=0.0.4"};
    std::string accept;
    int weight = 6;
    for (const char* f : formats)
        accept += std::string(f) + ";escaping=allow-utf-8;q=0." + std::to_string(weight--) + ",";
    return accept + "*/*;q=0.1";
}

// A 253-byte host name (the longest DNS allows) and a port: the longest Host a scrape of a
// service-discovered target sends.
std::string longest_host() {
    return std::string(63, 'a') + "." + std::string(63, 'b') + "." + std::string(63, 'c') + "." +
           std::string(61, 'd') + ":9090";
}

// Prometheus 3.x's scrape request, as Go's net/http writes it; `token` adds Authorization.
std::string prometheus_request(const std::string& token) {
    std::string r = "GET /metrics HTTP/1.1\r\nHost: " + longest_host() +
                    "\r\nUser-Agent: Prometheus/3.5.0\r\nAccept: " + prometheus_accept() +
                    "\r\nAccept-Encoding: gzip\r\n";
    if (!token.empty()) r += "Authorization: Bearer " + token + "\r\n";
    return r + "X-Prometheus-Scrape-Timeout-Seconds: 10\r\n\r\n";
}

// The header section of a raw request: what max_header_bytes bounds.
std::size_t header_bytes(const std::string& raw) { return raw.size() - raw.find("\r\n") - 2; }

const char* const kubelet_probe = "GET /ready HTTP/1.1\r\nHost: 10.244.1.17:9090\r\n"
                                  "User-Agent: kube-probe/1.31\r\nAccept: */*\r\n"
                                  "Connection: close\r\n\r\n";

} // namespace

TEST_CASE("server: max_request_line below 64 plus the longest endpoint path is refused") {
    auto o = local_options();
    o.max_request_line = 71; // the default paths' longest, /metrics, is 8 bytes
    std::string e = start_error(o);
    CHECK(contains(e, "max_request_line must be at least 72"));
    CHECK(contains(e, "414"));
    o.max_request_line = 72;
    CHECK(start_error(o).empty());
    // A longer path raises the minimum: its probe must fit.
    o.ready_path = "/" + std::string(99, 'r');
    e = start_error(o);
    CHECK(contains(e, "max_request_line must be at least 164"));
    o.max_request_line = 164;
    CHECK(start_error(o).empty());
}

TEST_CASE("server: max_header_bytes below a Prometheus scrape's header section is refused") {
    auto o = local_options();
    o.max_header_bytes = 1023;
    std::string e = start_error(o);
    CHECK(contains(e, "max_header_bytes must be at least 1024"));
    CHECK(contains(e, "431"));
    o.max_header_bytes = 1024;
    CHECK(start_error(o).empty());
    // The bearer token's line comes on top: a service-account token is about 1 KiB.
    o.bearer_token = std::string(1000, 't');
    e = start_error(o);
    CHECK(contains(e, "max_header_bytes must be at least 2048"));
    CHECK(contains(e, "bearer_token's 1000 bytes"));
    o.max_header_bytes = 2048;
    CHECK(start_error(o).empty());
}

TEST_CASE("server: max_headers below a Prometheus scrape's header count is refused") {
    auto o = local_options();
    o.max_headers = 7;
    const std::string e = start_error(o);
    CHECK(contains(e, "max_headers must be at least 8"));
    CHECK(contains(e, "431"));
    o.max_headers = 8;
    CHECK(start_error(o).empty());
}

TEST_CASE("server: at the smallest request limits, Prometheus, kubelet and curl get 200") {
    const std::string token(1000, 't');
    // The requests fit with a margin, so the minimums are not tailored to one version.
    CHECK(header_bytes(prometheus_request("")) <= 800);
    CHECK(header_bytes(prometheus_request(token)) <= 800 + 24 + token.size());
    for (const bool with_token : {false, true}) {
        INFO("bearer token: " << with_token);
        vitals::registry reg;
        reg.counter("app_requests", "Requests.").inc();
        auto o = local_options();
        if (with_token) o.bearer_token = token;
        o.max_request_line = 72;
        o.max_header_bytes = 1024 + (with_token ? 24 + token.size() : 0);
        o.max_headers = 8;
        vitals::health_server server(reg, o);
        REQUIRE(server.try_start().ok());
        server.set_ready(true);
        const auto port = server.port();
        const test_http::response scrape =
            test_http::exchange(port, prometheus_request(with_token ? token : ""));
        CHECK(scrape.status == 200);
        CHECK(contains(scrape.body, "app_requests_total"));
        CHECK(test_http::exchange(port, kubelet_probe).status == 200);
        CHECK(test_http::exchange(port,
                                  "GET /live HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                                      "\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n")
                  .status == 200);
    }
}
