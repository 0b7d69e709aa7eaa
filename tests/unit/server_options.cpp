// tests/unit/server_options.cpp - health_server: options: invalid ones rejected, custom and
// disabled paths. SPDX-License-Identifier: MIT
#include "server_support.hpp"

#include <doctest/doctest.h>

#include <chrono> // steady_clock
#include <limits> // numeric_limits
#include <string> // string, to_string

using namespace std::chrono_literals;
using namespace server_test;
using test_http::get;

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
    o.bind_address = "127.0.0.1:9090"; // prometheus-cpp's Exposer form: say where the port goes
    rejects(o, "the port goes in server_options::port");
    o = local_options();
    o.bind_address = "";
    rejects(o, "bind_address");
    // Values from configuration are shown escaped and cut short, not raw: a trailing line
    // break read from a file shows as \n, and a megabyte of junk does not flood the log.
    o = local_options();
    o.bind_address = "127.0.0.1\n";
    rejects(o, "bind_address \"127.0.0.1\\n\" is not a numeric");
    o.bind_address = std::string(1 << 20, 'x');
    {
        vitals::health_server s(reg, o);
        const std::string message = s.try_start().message();
        CHECK(contains(message, "... (1048576 bytes) is not a numeric"));
        CHECK(message.size() < 400);
    }
    o = local_options();
    o.metrics_path = "/metrics\r\n";
    rejects(o, "endpoint path \"/metrics\\x0d\\n\" must start with '/'");
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
    // A token read whole from a file keeps its line break, which the message points out.
    for (const char* token : {"secret\n", "secret\r\n"}) {
        o.bearer_token = token;
        rejects(o, "bearer_token must be visible ASCII without spaces (it ends with a line break");
    }
    o.bearer_token = "has space";
    rejects(o, "without spaces");
    vitals::health_server spaced(reg, o);
    CHECK_FALSE(contains(spaced.try_start().message(), "line break"));
    o = local_options();
    o.max_headers = 0;
    rejects(o, "max_headers");
    // A port from configuration outside 16 bits is refused, not cut (70000 would serve 4464).
    for (const int port : {70000, 65536, -1, (std::numeric_limits<int>::min)()}) {
        INFO("port = " << port);
        o = local_options();
        o.port = port;
        rejects(o, "port must be from 0 to 65535");
        rejects(o, std::to_string(port).c_str());
    }
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

// Each request limit follows its own option, exactly: a request at the limit is served, one
// past it gets the limit's status. (The server copies them into the parser when it starts.)
TEST_CASE("server: request limits follow max_request_line, max_header_bytes, max_headers and "
          "max_body_bytes") {
    vitals::registry reg;
    auto o = local_options();
    o.max_request_line = 100;
    o.max_header_bytes = 1100; // the smallest allowed are 72, 1024 and 8 (server_minimums.cpp)
    o.max_headers = 9;
    o.max_body_bytes = 100000; // over the default (65536)
    vitals::health_server server(reg, o);
    server.start();
    const auto port = server.port();
    const auto send = [&](const std::string& raw) { return test_http::exchange(port, raw).status; };
    // "GET /live?<pad> HTTP/1.1" of exactly 100 bytes, then 101.
    const std::string line_start = "GET /live?";
    const std::string line_end = " HTTP/1.1";
    const std::string pad(100 - line_start.size() - line_end.size(), 'q');
    CHECK(send(line_start + pad + line_end + "\r\nConnection: close\r\n\r\n") == 200);
    CHECK(send(line_start + pad + "q" + line_end + "\r\nConnection: close\r\n\r\n") == 414);
    // Nine header fields pass, a tenth is one too many.
    const std::string nine = "GET /live HTTP/1.1\r\nConnection: close\r\nA: 1\r\nB: 2\r\nC: "
                             "3\r\nD: 4\r\nE: 5\r\nF: 6\r\nG: 7\r\nH: 8\r\n";
    CHECK(send(nine + "\r\n") == 200);
    CHECK(send(nine + "I: 9\r\n\r\n") == 431);
    // The header section, line ends included (the blank line too), within 1100 bytes.
    const std::string head = "GET /live HTTP/1.1\r\n";
    const std::string field = "Connection: close\r\n";
    const std::string filler_name = "X: ";
    const std::size_t filler = 1100 - field.size() - filler_name.size() - 2 - 2;
    CHECK(send(head + field + filler_name + std::string(filler, 'v') + "\r\n\r\n") == 200);
    CHECK(send(head + field + filler_name + std::string(filler + 1, 'v') + "\r\n\r\n") == 431);
    // A body of 100,000 bytes is read (and discarded); one byte more is refused up front.
    const std::string body(100000, 'b');
    CHECK(send("POST /live HTTP/1.1\r\nConnection: close\r\nContent-Length: 100000\r\n\r\n" +
               body) == 405);
    CHECK(send("POST /live HTTP/1.1\r\nConnection: close\r\nContent-Length: 100001\r\n\r\n") ==
          413);
}
