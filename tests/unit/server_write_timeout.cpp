// tests/unit/server_write_timeout.cpp - health_server: write_timeout counts time without
// progress, not time since the output queue was last empty. SPDX-License-Identifier: MIT
#include "server_support.hpp"

#include <doctest/doctest.h>

#include <chrono> // milliseconds, steady_clock
#include <string> // string
#include <thread> // sleep_for
#include <vector> // vector

using namespace std::chrono_literals;
using namespace server_test;
namespace vd = vitals::detail;

namespace {

const char* const write_timeouts =
    "vitals_server_closed_connections_total{reason=\"write_timeout\"}";

// Reads at most 16 KiB every `pause` for `period`: far slower than the server produces, so
// its queue for this client never empties, yet steady. Returns the bytes read, or -1 when
// the server closed the connection.
long long read_steadily(test_http::client& c, std::chrono::milliseconds period,
                        std::chrono::milliseconds pause = 10ms) {
    std::vector<char> buffer(16 * 1024);
    long long total = 0;
    const auto until = std::chrono::steady_clock::now() + period;
    while (std::chrono::steady_clock::now() < until) {
        const long long n = vd::receive(c.handle(), buffer.data(), buffer.size());
        if (n == 0) return -1;
        if (n < 0 && !vd::is_would_block(vd::last_socket_error())) return -1;
        if (n > 0) total += n;
        std::this_thread::sleep_for(pause);
    }
    return total;
}

// 40 pipelined scrapes of about 300 KB each: 12 MB, more than loopback buffers hold. The
// clients fix their receive buffer at 64 KiB (no autotuning to megabytes), so most of it
// waits in the server's queue.
std::string scrapes() {
    std::string batch;
    for (int k = 0; k < 40; ++k) batch += "GET /metrics HTTP/1.1\r\n\r\n";
    return batch;
}

} // namespace

TEST_CASE("write timeout: a pipelining client that keeps reading is not cut off") {
    vitals::registry reg;
    fill_series(reg, 5000);
    auto opts = local_options();
    // Long enough that a loaded machine descheduling the reader for a moment is not a
    // stalled client.
    opts.write_timeout = 1500ms;
    vitals::health_server server(reg, opts);
    server.start();
    test_http::client c("127.0.0.1", server.port(), 10000ms, 65536);
    REQUIRE(c.send_all(scrapes()));
    // Three write timeouts of steady reading, the server's queue never empty meanwhile.
    const long long got = read_steadily(c, 4500ms);
    CHECK(got > 0); // -1: the server cut it off
    CHECK(sample(reg, write_timeouts) == 0);
    CHECK(sample(reg, "vitals_server_connections") == 1);
}

// A reader well above the pace the server can see, but slow enough that the socket rarely
// turns writable for the server: poll reports it only once a third of a send buffer of
// megabytes is free. The server sends what fits before judging it stalled, and that counts.
// The pace the server can see is coarser than the 16 KiB per write_timeout of the rule: the
// client's TCP takes more only as its receive window opens, with this 64 KiB receive buffer
// over loopback (64 KB segments) a segment at a time once the buffer is nearly read, and the
// server's send buffer takes more only once such a segment is acknowledged. So the reader
// must take several segments per write_timeout, with room to spare for a loaded machine.
TEST_CASE("write timeout: a slow but steady reader is not cut off") {
    vitals::registry reg;
    fill_series(reg, 5000);
    auto opts = local_options();
    // Twice the timeout above: a loaded machine that deschedules the reader, or the server
    // while it renders, for a moment must not look like a stalled client.
    opts.write_timeout = 3000ms;
    vitals::health_server server(reg, opts);
    server.start();
    test_http::client c("127.0.0.1", server.port(), 10000ms, 65536);
    REQUIRE(c.send_all(scrapes()));
    // 16 KiB every 50 ms, for two and a half write timeouts: about 1 MB per write_timeout,
    // several times the steps above even while a loaded machine deschedules the reader for a
    // second or two, and less than the third of the server's send buffer that would make its
    // socket writable (the send before judging stays what keeps the client).
    const long long got = read_steadily(c, 7500ms, 50ms);
    CHECK(got > 0); // -1: the server cut it off
    CHECK(sample(reg, write_timeouts) == 0);
}

TEST_CASE("write timeout: a reader that stops reading is closed") {
    vitals::registry reg;
    fill_series(reg, 5000);
    auto opts = local_options();
    opts.write_timeout = 800ms;
    vitals::health_server server(reg, opts);
    server.start();
    SUBCASE("it never reads") {
        test_http::client c("127.0.0.1", server.port(), 10000ms, 65536);
        REQUIRE(c.send_all(scrapes()));
        CHECK(test_http::eventually([&] { return sample(reg, write_timeouts) == 1; }, 10000ms));
        CHECK(c.closed_by_peer(5000ms));
    }
    SUBCASE("it reads steadily, then stalls") {
        test_http::client c("127.0.0.1", server.port(), 10000ms, 65536);
        REQUIRE(c.send_all(scrapes()));
        CHECK(read_steadily(c, 1600ms) > 0);
        CHECK(test_http::eventually([&] { return sample(reg, write_timeouts) == 1; }, 10000ms));
        CHECK(c.closed_by_peer(5000ms));
    }
    // The server still serves others.
    CHECK(test_http::get(server.port(), "/live").status == 200);
}
