// tests/unit/server_hostile.cpp - the server against malformed, oversized, slow and rude clients.
// SPDX-License-Identifier: MIT
#include <vitals/server.hpp>
#include <vitals/vitals.hpp>

#include <doctest/doctest.h>

#include "server_support.hpp"

#include <chrono>  // steady_clock
#include <cstdint> // uint32_t
#include <cstdlib> // atoi
#include <memory>  // unique_ptr
#include <string>  // string
#include <thread>  // sleep_for
#include <vector>  // vector

#if !defined(_WIN32)
#include <csignal>        // sigaction, SIGPIPE
#include <fcntl.h>        // fcntl, F_DUPFD
#include <sys/resource.h> // getrlimit, setrlimit, getrusage
#include <unistd.h>       // close
#endif

using namespace std::chrono_literals;
using test_http::client;
using test_http::exchange;
using test_http::get;
using test_http::response;

namespace {

// A string literal with its embedded NUL bytes, without the terminating one.
template <std::size_t N>
std::string bytes(const char (&literal)[N]) {
    return std::string(literal, N - 1);
}

using server_test::contains;
using server_test::local_options;

// Sends `raw`, expects `status` with Connection: close, then the server closing the
// connection, and the server still answering afterwards.
void expect_rejected(std::uint16_t port, const std::string& raw, int status) {
    client c("127.0.0.1", port);
    REQUIRE(c.connected());
    c.send_all(raw); // may fail part-way once the server has answered and closed
    const response r = c.read_response();
    CHECK(r.status == status);
    CHECK(r.header("connection") == "close");
    CHECK(r.header("cache-control") == "no-store");
    CHECK(r.header("content-length") == std::to_string(r.body.size()));
    CHECK(c.closed_by_peer(3000ms));
    CHECK(get(port, "/live").status == 200);
}

// A registry whose exposition is large (about 150 KB), to make responses outlast socket
// buffers.
void fill_registry(vitals::registry& reg) {
    auto& fam = reg.gauge("filler_value", "Padding for large responses.", {"series", "shard"});
    for (int i = 0; i < 2000; ++i)
        fam.labels("series_with_a_long_label_value_" + std::to_string(i), "shard-a").set(i);
}

} // namespace

TEST_CASE("hostile: garbage bytes get 400 and the server keeps serving") {
    vitals::registry reg;
    vitals::health_server server(reg, local_options());
    server.start();
    std::uint32_t x = 12345;
    for (int round = 0; round < 20; ++round) {
        std::string junk;
        for (int i = 0; i < 512; ++i) {
            x = x * 1103515245u + 12345u;
            junk += static_cast<char>(x >> 24);
        }
        junk += "\r\n\r\n";
        client c("127.0.0.1", server.port());
        c.send_all(junk);
        const response r = c.read_response();
        CHECK((r.status == 400 || r.status == 414 || r.status == 431));
        CHECK(c.closed_by_peer(3000ms));
    }
    expect_rejected(server.port(), "HELLO\r\n\r\n", 400);
    expect_rejected(server.port(), "GET /live\r\n\r\n", 400);
    expect_rejected(server.port(), "GET /live HTTP/1.1 extra\r\n\r\n", 400);
    expect_rejected(server.port(), "GET  /live HTTP/1.1\r\n\r\n", 400);
    expect_rejected(server.port(), "GET /live HTTP/2.0\r\n\r\n", 505);
    expect_rejected(server.port(), "GET /live HTTP/1.1\r\nno colon here\r\n\r\n", 400);
    expect_rejected(server.port(), "GET /live HTTP/1.1\r\nBad Name: x\r\n\r\n", 400);
    expect_rejected(server.port(), "GET /live HTTP/1.1\r\nX: a\r\n folded\r\n\r\n", 400);
    expect_rejected(server.port(), "GET /live HTTP/1.1\rX: y\r\n\r\n", 400);
    // The start of a TLS ClientHello: rejected at once, not after the request deadline.
    expect_rejected(server.port(), bytes("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"), 400);
    CHECK(get(server.port(), "/live").status == 200);
}

TEST_CASE("hostile: a 1 MB request line gets 414") {
    vitals::registry reg;
    vitals::health_server server(reg, local_options());
    server.start();
    expect_rejected(server.port(), "GET /" + std::string(1024 * 1024, 'a') + " HTTP/1.1\r\n\r\n",
                    414);
    // Exactly at the limit is fine: 8192 bytes of request line.
    const std::string line = "GET /live?" + std::string(8192 - 19, 'q') + " HTTP/1.1";
    REQUIRE(line.size() == 8192);
    CHECK(exchange(server.port(), line + "\r\n\r\n").status == 200);
    expect_rejected(server.port(), "GET /live?" + std::string(8192 - 18, 'q') + " HTTP/1.1\r\n\r\n",
                    414);
}

TEST_CASE("hostile: 10,000 headers or one huge header get 431") {
    vitals::registry reg;
    vitals::health_server server(reg, local_options());
    server.start();
    std::string many = "GET /live HTTP/1.1\r\n";
    for (int i = 0; i < 10000; ++i) many += "X-H: v\r\n";
    expect_rejected(server.port(), many + "\r\n", 431);
    expect_rejected(server.port(),
                    "GET /live HTTP/1.1\r\nX-Big: " + std::string(100000, 'b') + "\r\n\r\n", 431);
    std::string hundred = "GET /live HTTP/1.1\r\n";
    for (int i = 0; i < 100; ++i) hundred += "X-H: v\r\n";
    CHECK(exchange(server.port(), hundred + "\r\n").status == 200); // the default maximum
    expect_rejected(server.port(), hundred + "X-H: v\r\n\r\n", 431);
}

TEST_CASE("hostile: NUL and control bytes get 400") {
    vitals::registry reg;
    vitals::health_server server(reg, local_options());
    server.start();
    expect_rejected(server.port(), bytes("GET /li\0ve HTTP/1.1\r\n\r\n"), 400);
    expect_rejected(server.port(), bytes("GET /live HTTP/1.1\r\nX: a\0b\r\n\r\n"), 400);
    expect_rejected(server.port(), bytes("\0\0\0\0\r\n\r\n"), 400);
    expect_rejected(server.port(),
                    "GET /live HTTP/1.1\r\nX: a\x01"
                    "b\r\n\r\n",
                    400);
    expect_rejected(server.port(), "GET /li\x7fve HTTP/1.1\r\n\r\n", 400);
    expect_rejected(server.port(), "GET /caf\xc3\xa9 HTTP/1.1\r\n\r\n", 400);
}

TEST_CASE("hostile: bad Content-Length gets 400, too large gets 413") {
    vitals::registry reg;
    vitals::health_server server(reg, local_options());
    server.start();
    for (const char* v : {"abc", "-1", "+5", "1,1", "", "5 5", "0x10", "1.0"}) {
        CAPTURE(v);
        expect_rejected(server.port(),
                        std::string("GET /live HTTP/1.1\r\nContent-Length: ") + v + "\r\n\r\n",
                        400);
    }
    expect_rejected(server.port(),
                    "GET /live HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
                    400);
    expect_rejected(server.port(),
                    "GET /live HTTP/1.1\r\nContent-Length: 99999999999999999999999999\r\n\r\n",
                    413);
    expect_rejected(server.port(), "GET /live HTTP/1.1\r\nContent-Length: 65537\r\n\r\n", 413);
    // Repeating the same value is allowed; a body is read and discarded.
    client c("127.0.0.1", server.port());
    REQUIRE(c.send_all("GET /live HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n"
                       "abcGET /live HTTP/1.1\r\n\r\n"));
    CHECK(c.read_response().status == 200);
    CHECK(c.read_response().status == 200);
}

TEST_CASE("hostile: bad chunked bodies get 400 (or 413, 501)") {
    vitals::registry reg;
    vitals::health_server server(reg, local_options());
    server.start();
    const std::string te = "GET /live HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
    expect_rejected(server.port(), te + "zz\r\n", 400);
    expect_rejected(server.port(), te + "\r\n", 400);
    expect_rejected(server.port(), te + "3\r\nabcX\r\n0\r\n\r\n", 400);
    expect_rejected(server.port(), te + "3 junk\r\nabc\r\n0\r\n\r\n", 400);
    expect_rejected(server.port(), te + "-1\r\n", 400);
    expect_rejected(server.port(), te + "3\r\nabc\r\n0\r\nbad trailer\r\n\r\n", 400);
    expect_rejected(server.port(), te + "ffffffffffffffffffffffff\r\n", 413);
    expect_rejected(server.port(), te + "10001\r\n", 413);
    expect_rejected(server.port(), te + "8000\r\n" + std::string(0x8000, 'x') + "\r\n8001\r\n",
                    413);
    expect_rejected(server.port(), te + std::string(2000, '0') + "\r\n", 400);
    expect_rejected(server.port(),
                    "GET /live HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n"
                    "\r\nabc",
                    400);
    // chunked not last: the body's end is unknown (RFC 9112, 6.3).
    expect_rejected(server.port(), "GET /live HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 400);
    expect_rejected(server.port(),
                    "GET /live HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
                    "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                    400);
    // Where lenient parsers part (a lone LF, whitespace or a malformed extension on a size
    // line), a proxy in front may end the body elsewhere: refused, the hidden request with it.
    for (const char* body : {"3\nabc\r\n0\r\n\r\n", "3\r\nabc\n0\r\n\r\n", "3 \r\nabc\r\n0\r\n\r\n",
                             "3;a b\r\nabc\r\n0\r\n\r\n", "3;\"x\r\nabc\r\n0\r\n\r\n"}) {
        CAPTURE(body);
        expect_rejected(server.port(), te + body + "GET /metrics HTTP/1.1\r\n\r\n", 400);
    }
    expect_rejected(server.port(), "GET /live HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
                    501);
    // A valid body with extensions and trailers is fine.
    CHECK(exchange(server.port(), te + "3;ext=1\r\nabc\r\n0\r\nX-Trailer: y\r\n\r\n").status ==
          200);
}

TEST_CASE("hostile: randomly mutated requests get a valid answer or a clean close") {
    vitals::registry reg;
    auto opts = local_options();
    opts.request_timeout = 1000ms;
    vitals::health_server server(reg, opts);
    server.start();
    const std::string templates[] = {
        "GET /metrics HTTP/1.1\r\nHost: a\r\nAccept: text/plain\r\n\r\n",
        "HEAD /live HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /ready HTTP/1.1\r\n\r\n",
        "POST /health HTTP/1.1\r\nContent-Length: 4\r\n\r\nbody",
        "GET /live HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n",
    };
    std::uint32_t x = 2024;
    const auto next = [&x](std::uint32_t bound) {
        x = x * 1664525u + 1013904223u;
        return (x >> 8) % bound;
    };
    int answered = 0;
    for (int round = 0; round < 300; ++round) {
        std::string req = templates[next(4)];
        for (std::uint32_t m = 0, count = 1 + next(3); m < count; ++m) {
            const std::size_t at = next(static_cast<std::uint32_t>(req.size()));
            switch (next(4)) {
            case 0:
                req[at] = static_cast<char>(next(256));
                break;
            case 1:
                req.insert(at, 1, static_cast<char>(next(256)));
                break;
            case 2:
                req.erase(at, 1);
                break;
            default:
                req.insert(at, req.substr(at, next(20)));
                break;
            }
        }
        client c("127.0.0.1", server.port());
        REQUIRE(c.connected());
        const std::size_t cut = next(static_cast<std::uint32_t>(req.size()) + 1);
        c.send_all(req.substr(0, cut));
        c.send_all(req.substr(cut));
        c.shutdown_write();
        const std::string reply = c.read_all(3000ms); // the server closes after answering
        if (reply.empty()) continue;                  // incomplete request: closed, no answer
        CAPTURE(req);
        REQUIRE(reply.size() >= 12);
        CHECK(reply.compare(0, 9, "HTTP/1.1 ") == 0);
        const int status = std::atoi(reply.substr(9, 3).c_str());
        CHECK((status == 200 || status == 400 || status == 404 || status == 405 || status == 413 ||
               status == 414 || status == 431 || status == 501 || status == 503 || status == 505));
        CHECK(contains(reply, "Cache-Control: no-store\r\n"));
        ++answered;
    }
    CHECK(answered > 100);
    CHECK(get(server.port(), "/live").status == 200);
}

TEST_CASE("hostile: 200 clients sending one byte per second do not slow /live") {
    vitals::registry reg;
    auto opts = local_options();
    opts.request_timeout = 2500ms;
    vitals::health_server server(reg, opts);
    server.start();
    const auto port = server.port();
    std::vector<std::unique_ptr<client>> slow;
    for (int i = 0; i < 200; ++i) {
        slow.emplace_back(new client("127.0.0.1", port));
        REQUIRE(slow.back()->connected());
        REQUIRE(slow.back()->send_all("G"));
    }
    const std::string rest = "ET /live HTTP/1.1\r\n\r\n";
    const auto start = std::chrono::steady_clock::now();
    std::size_t sent = 0;
    int answered = 0;
    while (std::chrono::steady_clock::now() - start < 2s) {
        if (std::chrono::steady_clock::now() - start >= std::chrono::seconds(sent + 1)) {
            for (auto& c : slow) c->send_all(rest.substr(sent, 1));
            ++sent;
        }
        // A fresh client must be answered promptly every time.
        client probe("127.0.0.1", port, 1000ms);
        REQUIRE(probe.send_all("GET /live HTTP/1.1\r\n\r\n"));
        CHECK(probe.read_response().status == 200);
        ++answered;
        std::this_thread::sleep_for(50ms);
    }
    CHECK(answered >= 10);
    // Their request deadline (2.5 s from the first byte) ends each slow client with 408.
    int timed_out = 0;
    for (auto& c : slow) {
        const response r = c->read_response();
        if (r.status == 408 && r.header("connection") == "close") ++timed_out;
    }
    CHECK(timed_out == 200);
    CHECK(get(port, "/live").status == 200);
}

TEST_CASE("hostile: clients that connect and vanish, reset or half-close") {
    vitals::registry reg;
    vitals::health_server server(reg, local_options());
    server.start();
    const auto port = server.port();
    for (int i = 0; i < 100; ++i) {
        client c("127.0.0.1", port);
        REQUIRE(c.connected());
    }
    for (int i = 0; i < 100; ++i) {
        client c("127.0.0.1", port);
        c.send_all("GET /metrics HTTP/1.1\r\nHo");
    }
    for (int i = 0; i < 50; ++i) {
        client c("127.0.0.1", port);
        c.send_all("GET /metrics HTTP/1.1\r\n\r\n");
        c.reset();
    }
    CHECK(get(port, "/live").status == 200);

    SUBCASE("half-close after a full request: answered, then closed") {
        client c("127.0.0.1", port);
        REQUIRE(c.send_all("GET /live HTTP/1.1\r\n\r\nGET /ready HTTP/1.1\r\n\r\n"));
        c.shutdown_write();
        CHECK(c.read_response().status == 200);
        CHECK(c.read_response().status == 503);
        CHECK(c.closed_by_peer(3000ms));
    }
    SUBCASE("half-close in the middle of a request: closed without an answer") {
        client c("127.0.0.1", port);
        REQUIRE(c.send_all("GET /live HTTP/1.1\r\nHost: x"));
        c.shutdown_write();
        CHECK(c.read_all(3000ms).empty());
    }
    CHECK(test_http::eventually(
        [&] { return contains(vitals::to_text(reg), "\nvitals_server_connections 0\n"); }));
}

// After a response that closes the connection the server sends FIN and reads what the client
// still sends, so that closing does not reset the connection, but only for request_timeout
// (2 s at most): a client that never closes its end must not hold a connection until
// idle_timeout.
TEST_CASE("hostile: a closed connection the client keeps open is let go after request_timeout") {
    vitals::registry reg;
    auto opts = local_options();
    opts.request_timeout = 200ms;
    opts.idle_timeout = 60000ms;
    vitals::health_server server(reg, opts);
    server.start();
    client c("127.0.0.1", server.port());
    REQUIRE(c.send_all("GET /live HTTP/1.1\r\nConnection: close\r\n\r\n"));
    REQUIRE(c.read_response().status == 200);
    CHECK(c.closed_by_peer(3000ms)); // the FIN; this end stays open
    CHECK(test_http::eventually(
        [&] { return contains(vitals::to_text(reg), "\nvitals_server_connections 0\n"); }, 5000ms));
}

TEST_CASE("hostile: idle keep-alive connections and stalled requests hit their deadlines") {
    vitals::registry reg;
    auto opts = local_options();
    opts.idle_timeout = 200ms;
    opts.request_timeout = 300ms;
    vitals::health_server server(reg, opts);
    server.start();
    client idle("127.0.0.1", server.port());
    REQUIRE(idle.send_all("GET /live HTTP/1.1\r\n\r\n"));
    REQUIRE(idle.read_response().status == 200);
    const auto t0 = std::chrono::steady_clock::now();
    CHECK(idle.closed_by_peer(3000ms)); // closed silently, no 408 for an idle connection
    CHECK(std::chrono::steady_clock::now() - t0 >= 150ms);

    client stalled("127.0.0.1", server.port());
    REQUIRE(stalled.send_all("GET /live HTTP/1.1\r\n"));
    const response r = stalled.read_response();
    CHECK(r.status == 408);
    CHECK(r.header("connection") == "close");
    CHECK(stalled.closed_by_peer(3000ms));
    CHECK(contains(vitals::to_text(reg),
                   "vitals_server_requests_total{path=\"other\",code=\"408\"} 1"));
}

// Each deadline follows its own option: the other set far out (60 s) must not delay it.
TEST_CASE("hostile: idle_timeout ends idle connections, request_timeout stalled requests") {
    vitals::registry reg;
    SUBCASE("idle connection") {
        auto opts = local_options();
        opts.idle_timeout = 200ms;
        opts.request_timeout = 60000ms;
        vitals::health_server server(reg, opts);
        server.start();
        client idle("127.0.0.1", server.port());
        REQUIRE(idle.send_all("GET /live HTTP/1.1\r\n\r\n"));
        REQUIRE(idle.read_response().status == 200);
        CHECK(idle.closed_by_peer(10000ms));
    }
    SUBCASE("stalled request") {
        auto opts = local_options();
        opts.idle_timeout = 60000ms;
        opts.request_timeout = 200ms;
        vitals::health_server server(reg, opts);
        server.start();
        client stalled("127.0.0.1", server.port());
        REQUIRE(stalled.send_all("GET /live HTTP/1.1\r\n"));
        CHECK(stalled.read_response().status == 408);
        CHECK(stalled.closed_by_peer(10000ms));
    }
}

TEST_CASE("hostile: a client that never reads its response is cut off") {
    vitals::registry reg;
    fill_registry(reg);
    auto opts = local_options();
    opts.write_timeout = 500ms;
    vitals::health_server server(reg, opts);
    server.start();
    client hog("127.0.0.1", server.port());
    std::string batch;
    for (int i = 0; i < 100; ++i) batch += "GET /metrics HTTP/1.1\r\n\r\n";
    REQUIRE(hog.send_all(batch));
    // Others are served while the hog's output is stuck.
    for (int i = 0; i < 5; ++i) CHECK(get(server.port(), "/live").status == 200);
    CHECK(get(server.port(), "/metrics").status == 200);
    // Without reading (reading is progress): the kernel may take a little more now and
    // then as it compacts its buffers, so allow a few write timeouts.
    CHECK(test_http::eventually(
        [&] {
            return contains(vitals::to_text(reg),
                            "vitals_server_closed_connections_total{reason=\"write_timeout\"} 1\n");
        },
        10000ms));
    CHECK(hog.closed_by_peer(5000ms));
}

TEST_CASE("hostile: over the connection cap new clients get 503") {
    vitals::registry reg;
    auto opts = local_options();
    opts.max_connections = 4;
    vitals::health_server server(reg, opts);
    server.start();
    // Each in the middle of a request begun under a second ago: an idle connection, or a
    // request a second old, would make room instead (server_connection_cap.cpp).
    const auto began = std::chrono::steady_clock::now();
    std::vector<std::unique_ptr<client>> held;
    for (int i = 0; i < 4; ++i) {
        held.emplace_back(new client("127.0.0.1", server.port()));
        REQUIRE(held.back()->send_all("GET /live HTTP/1.1\r\n"));
    }
    REQUIRE(test_http::eventually(
        [&] { return contains(vitals::to_text(reg), "\nvitals_server_connections 4\n"); }));
    client extra("127.0.0.1", server.port());
    // Timed when the extra client connects, not after its answer: a server that wrongly gave
    // it a slot answers nothing, and waiting for that must not hide it as slow setup.
    const bool quick = std::chrono::steady_clock::now() - began < 800ms;
    const response r = extra.read_response();
    if (quick) {
        CHECK(r.status == 503);
        CHECK(r.header("connection") == "close");
        CHECK(r.body == "too many connections\n");
        CHECK(extra.closed_by_peer(3000ms));
    } else {
        MESSAGE("setup took over 800 ms (an emulator?); the 503 is not checked");
    }
    extra.close();
    held.pop_back();
    CHECK(test_http::eventually([&] { return get(server.port(), "/live").status == 200; }));
}

#if !defined(_WIN32)
TEST_CASE("hostile: clients resetting mid-response raise no SIGPIPE") {
    struct sigaction current;
    REQUIRE(sigaction(SIGPIPE, nullptr, &current) == 0);
    REQUIRE(
        bool(current.sa_handler == SIG_DFL)); // nobody installed a handler: a SIGPIPE would kill
    vitals::registry reg;
    fill_registry(reg);
    vitals::health_server server(reg, local_options());
    server.start();
    for (int i = 0; i < 30; ++i) {
        client c("127.0.0.1", server.port());
        std::string batch;
        for (int k = 0; k < 10; ++k) batch += "GET /metrics HTTP/1.1\r\n\r\n";
        REQUIRE(c.send_all(batch));
        if (i % 2) {
            char first[100];
            vitals::detail::receive(c.handle(), first, sizeof first); // read a little
        }
        c.reset();
    }
    REQUIRE(sigaction(SIGPIPE, nullptr, &current) == 0);
    CHECK(bool(current.sa_handler == SIG_DFL));
    CHECK(get(server.port(), "/live").status == 200);
}

namespace {
// A descriptor to duplicate when filling the descriptor table.
int null_fd() {
    static const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    return fd;
}

struct fd_limit_guard {
    rlimit saved{};
    bool ok = false;
    fd_limit_guard() { ok = getrlimit(RLIMIT_NOFILE, &saved) == 0; }
    ~fd_limit_guard() {
        if (ok) setrlimit(RLIMIT_NOFILE, &saved);
    }
};
} // namespace

namespace {
// Fills the descriptor table up to a lowered limit, leaving one slot for a client socket:
// the server then cannot accept that client. Returns the fillers, to close.
std::vector<int> fill_descriptors_but_one(const fd_limit_guard& guard) {
    int highest = -1;
    {
        const int probe = fcntl(null_fd(), F_DUPFD, 0);
        REQUIRE(probe >= 0);
        highest = probe;
        ::close(probe);
    }
    rlimit lowered = guard.saved;
    lowered.rlim_cur = static_cast<rlim_t>(highest + 64);
    REQUIRE(setrlimit(RLIMIT_NOFILE, &lowered) == 0);
    std::vector<int> fillers;
    for (;;) {
        const int fd = fcntl(null_fd(), F_DUPFD, 0);
        if (fd < 0) break;
        fillers.push_back(fd);
    }
    ::close(fillers.back()); // one slot for the client
    fillers.pop_back();
    return fillers;
}

// CPU time this process has used, user and system.
double cpu_seconds() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

void close_all(std::vector<int>& fds) {
    for (int fd : fds) ::close(fd);
    fds.clear();
}
} // namespace

// accept() failing with EMFILE below the server's socket cap (the application took the
// descriptors): with no connection that can give way, the server backs off and answers the
// client once descriptors are back; with an idle one, that one gives way at once, as at the
// connection cap, and the server counts it.
TEST_CASE("hostile: accept() failing with EMFILE backs off, or makes room as at the cap") {
    vitals::registry reg;
    vitals::health_server server(reg, local_options());
    server.start();
    REQUIRE(null_fd() >= 0);
    fd_limit_guard guard;
    REQUIRE(guard.ok);

    std::vector<int> fillers = fill_descriptors_but_one(guard);
    client blocked("127.0.0.1", server.port(), 1000ms);
    REQUIRE(blocked.connected()); // the kernel completes the handshake; accept() fails
    REQUIRE(blocked.send_all("GET /live HTTP/1.1\r\n\r\n"));
    const double cpu_before = cpu_seconds();
    CHECK(blocked.read_response().status == 0); // no connection to give way: not served yet
    // Backing off, the server tries accept() again a few times a second while the client
    // waits: it must not spin on a listener that stays readable, taking a whole core from
    // the application that is out of descriptors (this thread only waits meanwhile).
    CHECK(cpu_seconds() - cpu_before < 0.25);
    close_all(fillers);
    // With descriptors back, the waiting client is accepted and answered.
    client first(std::move(blocked));
    CHECK(first.read_response().status == 200); // and is now an idle keep-alive connection

    REQUIRE(setrlimit(RLIMIT_NOFILE, &guard.saved) == 0);
    fillers = fill_descriptors_but_one(guard);
    client second("127.0.0.1", server.port(), 3000ms);
    REQUIRE(second.connected());
    REQUIRE(second.send_all("GET /live HTTP/1.1\r\n\r\n"));
    CHECK(second.read_response().status == 200); // the idle one gave way
    CHECK(first.closed_by_peer(3000ms));
    close_all(fillers);
    CHECK(server_test::sample(
              reg, "vitals_server_closed_connections_total{reason=\"connection_limit\"}") == 1);
    CHECK(get(server.port(), "/live").status == 200);
}

TEST_CASE("hostile: sockets above descriptor 1024 work (poll, not select)") {
    fd_limit_guard guard;
    REQUIRE(guard.ok);
    if (guard.saved.rlim_max != RLIM_INFINITY && guard.saved.rlim_max < 1200) {
        MESSAGE("skipped: the hard RLIMIT_NOFILE (" << guard.saved.rlim_max
                                                    << ") does not allow descriptors past 1024");
        return;
    }
    rlimit raised = guard.saved;
    if (raised.rlim_cur != RLIM_INFINITY && raised.rlim_cur < 1200) {
        raised.rlim_cur = 1200;
        REQUIRE(setrlimit(RLIMIT_NOFILE, &raised) == 0);
    }
    std::vector<int> fillers;
    for (;;) {
        const int fd = fcntl(null_fd(), F_DUPFD, 0);
        REQUIRE(fd >= 0);
        fillers.push_back(fd);
        if (fd >= 1030) break;
    }
    {
        vitals::registry reg;
        vitals::health_server server(reg, local_options());
        server.start();
        for (int i = 0; i < 20; ++i) {
            client c("127.0.0.1", server.port());
            REQUIRE(c.handle() > 1024);
            REQUIRE(c.send_all("GET /live HTTP/1.1\r\n\r\nGET /metrics HTTP/1.1\r\n\r\n"));
            CHECK(c.read_response().status == 200);
            CHECK(c.read_response().status == 200);
        }
    }
    for (int fd : fillers) ::close(fd);
}
#endif

// RFC 9112: faulty framing, and Host fields that name no single host, get 400 and a close.
TEST_CASE("hostile: HTTP/1.0 with Transfer-Encoding, and bad Host fields, get 400") {
    vitals::registry reg;
    vitals::health_server server(reg, local_options());
    server.start();
    // Kept alive, the request after it would be framed as the server saw it, not as an
    // HTTP/1.0 intermediary did.
    expect_rejected(server.port(),
                    "POST /live HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked"
                    "\r\n\r\n0\r\n\r\nGET /live HTTP/1.1\r\n\r\n",
                    400);
    expect_rejected(server.port(), "GET /live HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400);
    expect_rejected(server.port(), "GET /live HTTP/1.1\r\nHost: a/b\r\n\r\n", 400);
}

// A failed HEAD gets the status and headers of its error, without the body.
TEST_CASE("hostile: a rejected HEAD gets no body") {
    vitals::registry reg;
    vitals::health_server server(reg, local_options());
    server.start();
    client c("127.0.0.1", server.port());
    REQUIRE(c.send_all("HEAD /live HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n"));
    const std::string all = c.read_all(3000ms); // until the server closes
    const std::size_t end = all.find("\r\n\r\n");
    REQUIRE(end != std::string::npos);
    CHECK(all.compare(0, 12, "HTTP/1.1 413") == 0);
    CHECK(all.find("\r\nContent-Length: ") != std::string::npos);
    CHECK(all.size() == end + 4); // nothing after the head
}

// A client that sends `Expect: 100-continue` waits for the interim response before it sends
// the content; without one it stalls until its own timeout (curl waits 1 s).
TEST_CASE("hostile: Expect: 100-continue gets 100 Continue before the content") {
    vitals::registry reg;
    auto opts = local_options();
    opts.request_timeout = 10000ms; // the interim answer must not come from a deadline
    vitals::health_server server(reg, opts);
    server.start();
    client c("127.0.0.1", server.port());
    REQUIRE(c.send_all("GET /live HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\n"
                       "Content-Length: 5\r\n\r\n"));
    const response interim = c.read_response();
    CHECK(interim.status == 100);
    REQUIRE(c.send_all("hello"));
    const response final_response = c.read_response();
    CHECK(final_response.status == 200);
    CHECK(final_response.header("connection") != "close");
    // The connection stays usable, and the next request does not get a second 100.
    REQUIRE(c.send_all("GET /live HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\n\r\n"));
    CHECK(c.read_response().status == 200);
}

// A request the server refuses whatever its content gets the refusal at once, not 100
// Continue: the client need not upload content that changes nothing. The connection then
// closes, since what the client may still send is content, not a next request.
TEST_CASE("hostile: Expect: 100-continue on a refused request gets the refusal at once") {
    struct refused_case {
        const char* request_head;
        int status;
    };
    const refused_case cases[] = {
        {"POST /live HTTP/1.1\r\nHost: t\r\n", 405},
        {"PUT /nowhere HTTP/1.1\r\nHost: t\r\n", 404},
        {"GET /metrics HTTP/1.1\r\nHost: t\r\n", 401},
    };
    for (const refused_case& rc : cases) {
        CAPTURE(rc.request_head);
        vitals::registry reg;
        auto opts = local_options();
        opts.request_timeout = 10000ms; // the answer must not come from a deadline
        opts.bearer_token = "s3cret";
        vitals::health_server server(reg, opts);
        server.start();
        client c("127.0.0.1", server.port());
        REQUIRE(c.send_all(std::string(rc.request_head) +
                           "Expect: 100-continue\r\nContent-Length: 5\r\n\r\n"));
        const response first = c.read_response();
        CHECK(first.status == rc.status);
        CHECK(first.header("connection") == "close");
        // Content sent anyway is discarded, not answered as a request, and the server closes.
        REQUIRE(c.send_all("GET /live HTTP/1.1\r\nHost: t\r\n\r\n"));
        CHECK(c.read_all(3000ms).empty()); // returns early when the server closes
        CHECK(c.closed_by_peer(100ms));
        // The server still answers other clients.
        client other("127.0.0.1", server.port());
        REQUIRE(other.send_all("GET /live HTTP/1.1\r\nHost: t\r\n\r\n"));
        CHECK(other.read_response().status == 200);
    }
}

// Blank lines after a request (some clients end a body with an extra CRLF) leave the
// connection idle: it closes silently at the idle timeout, with no 408.
TEST_CASE("hostile: a stray CRLF after a request does not earn a 408") {
    vitals::registry reg;
    auto opts = local_options();
    opts.request_timeout = 200ms;
    opts.idle_timeout = 600ms;
    vitals::health_server server(reg, opts);
    server.start();
    client c("127.0.0.1", server.port());
    REQUIRE(c.send_all("GET /live HTTP/1.1\r\nHost: t\r\n\r\n\r\n"));
    CHECK(c.read_response().status == 200);
    CHECK(c.read_all(3000ms).empty()); // closed, with nothing more sent
    CHECK(!contains(vitals::to_text(reg), "code=\"408\""));
}
