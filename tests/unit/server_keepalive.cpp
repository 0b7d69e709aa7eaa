// tests/unit/server_keepalive.cpp - health_server: keep-alive, HTTP/1.0, Connection: close and
// pipelining. SPDX-License-Identifier: MIT
#include "server_support.hpp"

#include <doctest/doctest.h>

#include <chrono> // steady_clock
#include <string> // string

using namespace std::chrono_literals;
using namespace server_test;
using test_http::client;
using test_http::response;

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
    SUBCASE("Connection: close on /metrics, whose body is sent from the render") {
        for (const char* method : {"GET", "HEAD"}) {
            CAPTURE(method);
            client c("127.0.0.1", port);
            REQUIRE(c.send_all(std::string(method) +
                               " /metrics HTTP/1.1\r\nConnection: close\r\n\r\n"));
            const response r = c.read_response(std::string(method) == "HEAD");
            CHECK(r.status == 200);
            CHECK(r.header("connection") == "close");
            CHECK(c.closed_by_peer(2000ms));
        }
    }
}

// Every request on a keep-alive connection is answered on its own headers: a scrape that
// asked for OpenMetrics does not make the next one, which did not, OpenMetrics too.
TEST_CASE("server: content negotiation starts afresh for each request on a connection") {
    vitals::registry reg;
    vitals::health_server server(reg, local_options());
    server.start();
    client c("127.0.0.1", server.port());
    REQUIRE(c.send_all("GET /metrics HTTP/1.1\r\nAccept: application/openmetrics-text\r\n\r\n"
                       "GET /metrics HTTP/1.1\r\n\r\n"));
    const response om = c.read_response();
    CHECK(om.status == 200);
    CHECK(om.header("content-type") == std::string(vitals::openmetrics_content_type));
    const response text = c.read_response();
    CHECK(text.status == 200);
    CHECK(text.header("content-type") == std::string(vitals::text_content_type));
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
