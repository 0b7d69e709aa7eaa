// tests/unit/server_write_timeout.cpp - health_server: write_timeout counts time without
// progress, not time since the output queue was last empty. SPDX-License-Identifier: MIT
#include "server_support.hpp"

#include <doctest/doctest.h>

#include <atomic>  // atomic
#include <chrono>  // milliseconds, steady_clock
#include <cstddef> // size_t
#include <string>  // string
#include <thread>  // sleep_for
#include <vector>  // vector

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

namespace {

// Appends what `c` receives to `into` until `done()` holds (checked between reads). False
// when the server closed the connection, or after 10 s.
template <class Done>
bool receive_until(test_http::client& c, std::string& into, Done done) {
    std::vector<char> buffer(16 * 1024);
    const auto until = std::chrono::steady_clock::now() + 10s;
    while (!done()) {
        if (std::chrono::steady_clock::now() >= until) return false;
        const long long n = vd::receive(c.handle(), buffer.data(), buffer.size());
        if (n > 0) {
            into.append(buffer.data(), static_cast<std::size_t>(n));
            continue;
        }
        if (n == 0 || !vd::is_would_block(vd::last_socket_error())) return false;
        std::this_thread::sleep_for(1ms);
    }
    return true;
}

// The size (head and body) of the response that starts at `at` in `stream`, once its head
// is there; npos before.
std::size_t response_size(const std::string& stream, std::size_t at) {
    const std::size_t end = stream.find("\r\n\r\n", at);
    const std::size_t field = stream.find("Content-Length: ", at);
    if (end == std::string::npos || field == std::string::npos || field > end)
        return std::string::npos;
    return end + 4 - at + std::stoul(stream.substr(field + 16, 20));
}

// How many complete responses `stream` holds.
int complete_responses(const std::string& stream) {
    int complete = 0;
    for (std::size_t at = 0;; ++complete) {
        const std::size_t size = response_size(stream, at);
        if (size == std::string::npos || stream.size() - at < size) return complete;
        at += size;
    }
}

} // namespace

// The client's time starts when output is taken, also when the flush that sees it follows a
// render of seconds: progress was credited at the start of the loop's turn, before the render,
// and a client that took its output then paused (a GC pause, a busy scraper) for less than
// write_timeout was closed after write_timeout less the render's time. The last scrape's
// render takes 1.5 s (a slow collector) and is queued behind /live's response, as pipelined
// requests are (output queued on an empty queue was already stamped when queued). The first
// scrape fills the socket buffers both ways: the 128 KiB the client takes during the render
// is then refilled from the server's send buffer, so its window is closed again when the
// server flushes after the render (that flush is the progress), and the send the server tries
// at the deadline finds no room. Credited at the turn's start, the deadline came at most
// 0.5 s after that flush; the probe on another connection, a second after the render,
// is answered only after a turn that checked it.
TEST_CASE("write timeout: runs from the output taken after a slow render, not before it") {
    vitals::registry reg;
    // 2000 series of 2 KB: a 4 MB exposition, more than a loopback connection's buffers hold.
    fill_long_series(reg, 2000, 2000);
    std::atomic<int> renders{0};
    std::atomic<bool> slow_done{false};
    reg.add_collector("slow", [&](vitals::collector_output&) {
        if (++renders != 2) return;
        std::this_thread::sleep_for(1500ms);
        slow_done = true;
    });
    auto opts = local_options();
    opts.write_timeout = 2000ms;
    vitals::health_server server(reg, opts);
    server.start();
    test_http::client c("127.0.0.1", server.port(), 10000ms, 65536);
    REQUIRE(c.send_all("GET /metrics HTTP/1.1\r\n\r\nGET /live HTTP/1.1\r\n\r\n"
                       "GET /metrics HTTP/1.1\r\n\r\n"));
    std::string got;
    // The first scrape, taken as fast as it comes until the second render starts: the server
    // then holds less than 64 KiB of it, the sockets the rest.
    REQUIRE(receive_until(c, got, [&] { return renders.load() == 2; }));
    const std::size_t first = response_size(got, 0);
    REQUIRE(first != std::string::npos);
    // The sockets hold that much, unless other tests fill the host's TCP memory: CTest and
    // meson run this file alone.
    REQUIRE(first - got.size() > std::size_t{512} * 1024);
    const std::size_t at = got.size();
    REQUIRE(receive_until(c, got, [&] { return got.size() - at >= std::size_t{128} * 1024; }));
    while (!slow_done.load()) std::this_thread::sleep_for(1ms);
    // Nothing taken for a second after the render, half write_timeout.
    std::this_thread::sleep_for(1000ms);
    CHECK(test_http::get(server.port(), "/live").status == 200);
    CHECK(receive_until(c, got, [&] { return complete_responses(got) == 3; }));
    CHECK(complete_responses(got) == 3);
    CHECK(sample(reg, write_timeouts) == 0);
}
