// tests/unit/server_option_extremes.cpp - every size and duration option at 0, 1 and its
// maximum: the server works, or start() says which option is out of range.
// SPDX-License-Identifier: MIT
#include "server_support.hpp"

#include <doctest/doctest.h>

#include <chrono>  // milliseconds
#include <cstddef> // size_t
#include <limits>  // numeric_limits
#include <string>  // string

using namespace server_test;

namespace {

using ms = std::chrono::milliseconds;
constexpr std::size_t size_max = (std::numeric_limits<std::size_t>::max)();
constexpr ms ms_max = (ms::max)();

// Starts a server with `opts`; when it starts, checks that /live and /metrics answer 200
// and that stop() returns promptly. Returns the start error (empty when it started) and /live's
// status.
struct outcome {
    std::string error;
    int live = 0;
};

// `tight`: 1 ms deadlines, which may legitimately cut a connection before it is answered.
outcome exercise(const vitals::server_options& opts, bool tight = false) {
    vitals::registry reg;
    vitals::health_server server(reg, opts);
    const vitals::status st = server.try_start();
    if (!st.ok()) {
        CHECK(st.code() == vitals::errc::invalid_argument);
        return {st.message(), 0};
    }
    // One keep-alive connection for both requests (max_connections may be 1).
    test_http::client c("127.0.0.1", server.port());
    int live = 0;
    if (c.send_all("GET /live HTTP/1.1\r\n\r\n")) live = c.read_response().status;
    CHECK((live == 200 || (tight && live == 0)));
    if (live == 200 && c.send_all("GET /metrics HTTP/1.1\r\n\r\n")) {
        const int metrics = c.read_response().status;
        CHECK((metrics == 200 || (tight && metrics == 0)));
    }
    const auto t0 = std::chrono::steady_clock::now();
    server.stop();
    CHECK(std::chrono::steady_clock::now() - t0 < ms(2000));
    return {{}, live};
}

} // namespace

TEST_CASE("option extremes: sizes at 0, 1 and SIZE_MAX") {
    struct size_option {
        const char* name;
        std::size_t vitals::server_options::*field;
        std::size_t smallest_valid; // below: start() fails naming the option
    };
    const size_option options[] = {
        {"max_connections", &vitals::server_options::max_connections, 1},
        {"descriptor_reserve", &vitals::server_options::descriptor_reserve, 0},
        {"max_output_bytes", &vitals::server_options::max_output_bytes, 65536},
        {"max_request_line", &vitals::server_options::max_request_line, 72},
        {"max_header_bytes", &vitals::server_options::max_header_bytes, 1024},
        {"max_headers", &vitals::server_options::max_headers, 8},
        {"max_body_bytes", &vitals::server_options::max_body_bytes, 0},
    };
    for (const size_option& o : options) {
        for (const std::size_t value : {std::size_t{0}, std::size_t{1}, size_max}) {
            INFO(o.name << " = " << value);
            auto opts = local_options();
            opts.*o.field = value;
            const outcome r = exercise(opts);
            if (value >= o.smallest_valid) {
                CHECK(r.error.empty());
                // Request-size limits below what a probe sends are refused (see
                // server_minimums.cpp), so every value that starts serves the probe.
                CHECK(r.live == 200);
            } else {
                CHECK(contains(r.error, o.name));
            }
        }
    }
}

TEST_CASE("option extremes: durations at 0, 1 ms and milliseconds::max()") {
    struct duration_option {
        const char* name;
        ms vitals::server_options::*field;
        bool zero_valid;
        bool max_valid;
    };
    const duration_option options[] = {
        {"request_timeout", &vitals::server_options::request_timeout, false, true},
        {"idle_timeout", &vitals::server_options::idle_timeout, false, true},
        {"write_timeout", &vitals::server_options::write_timeout, false, true},
        {"check_budget", &vitals::server_options::check_budget, false, true},
        {"drain", &vitals::server_options::drain, true, false}, // stop() would wait forever
    };
    for (const duration_option& o : options) {
        for (const ms value : {ms(0), ms(1), ms_max}) {
            INFO(o.name << " = " << value.count() << " ms");
            auto opts = local_options();
            opts.*o.field = value;
            const outcome r = exercise(opts, value == ms(1));
            const bool valid = value == ms(0) ? o.zero_valid : value == ms_max ? o.max_valid : true;
            if (valid) {
                CHECK(r.error.empty());
                if (value != ms(1) || o.field == &vitals::server_options::drain)
                    CHECK(r.live == 200); // 1 ms deadlines may legitimately cut a request
            } else {
                CHECK(contains(r.error, o.name));
            }
        }
    }
}

TEST_CASE("option extremes: backlog at 0, 1 and INT_MAX") {
    for (const int value : {0, 1, (std::numeric_limits<int>::max)()}) {
        INFO("backlog = " << value);
        auto opts = local_options();
        opts.backlog = value;
        const outcome r = exercise(opts);
        if (value > 0) {
            CHECK(r.error.empty());
            CHECK(r.live == 200);
        } else {
            CHECK(contains(r.error, "backlog"));
        }
    }
}

// With the longest durations, nothing overflows: an idle connection stays open, and a
// request still gets its answer.
TEST_CASE("option extremes: maximal timeouts keep connections open and serving") {
    auto opts = local_options();
    opts.request_timeout = opts.idle_timeout = opts.write_timeout = ms_max;
    vitals::registry reg;
    vitals::health_server server(reg, opts);
    server.start();
    test_http::client c("127.0.0.1", server.port());
    REQUIRE(c.send_all("GET /live HTTP/1.1\r\n\r\n"));
    CHECK(c.read_response().status == 200);
    CHECK(!c.closed_by_peer(ms(300)));
    REQUIRE(c.send_all("GET /live HTTP/1.1\r\n\r\n"));
    CHECK(c.read_response().status == 200);
}
