// tests/unit/server_alloc.cpp - a warmed-up keep-alive connection is served without allocating.
// SPDX-License-Identifier: MIT
// vitals-test: own program (it replaces operator new (counting_new.hpp))
// Replaces the global operator new to count every allocation in the process, then drives the
// server from a client that itself never allocates.
#include <vitals/server.hpp>
#include <vitals/vitals.hpp>

#include <doctest/doctest.h>

#include <algorithm> // search
#include <atomic>    // atomic
#include <cstdio>    // snprintf
#include <cstdlib>   // malloc, free, strtoul, abort
#include <cstring>   // strlen, memmove
#include <new>       // bad_alloc, nothrow_t

namespace {
std::atomic<long> allocations{0};
// Allocations of at least 256 KiB that fail (bad_alloc) before the next one succeeds.
std::atomic<int> large_failures{0};
constexpr std::size_t large = std::size_t{1} << 18;
} // namespace

namespace {
void* counted_alloc(std::size_t n) {
    allocations.fetch_add(1, std::memory_order_relaxed);
#if VITALS_HAS_EXCEPTIONS()
    if (n >= large && large_failures.load() > 0 && large_failures.fetch_sub(1) > 0)
        throw std::bad_alloc();
#endif
    if (void* p = std::malloc(n ? n : 1)) return p;
#if VITALS_HAS_EXCEPTIONS()
    throw std::bad_alloc();
#else
    std::abort();
#endif
}
// Over-aligned types (the striped counters): over-allocate, keep the malloc pointer in front.
void* counted_aligned_alloc(std::size_t n, std::align_val_t al) {
    const std::size_t align = static_cast<std::size_t>(al);
    char* raw = static_cast<char*>(counted_alloc(n + align + sizeof(void*)));
    std::size_t addr = reinterpret_cast<std::size_t>(raw + sizeof(void*));
    addr = (addr + align - 1) & ~(align - 1);
    void** slot = reinterpret_cast<void**>(addr) - 1;
    *slot = raw;
    return reinterpret_cast<void*>(addr);
}
void counted_aligned_free(void* p) noexcept {
    if (p) std::free(*(static_cast<void**>(p) - 1));
}
} // namespace

void* operator new(std::size_t n) { return counted_alloc(n); }
void* operator new[](std::size_t n) { return counted_alloc(n); }
// The nothrow forms too (histogram reset bases use them), so every delete pairs with malloc.
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
    allocations.fetch_add(1, std::memory_order_relaxed);
    return std::malloc(n ? n : 1);
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
    allocations.fetch_add(1, std::memory_order_relaxed);
    return std::malloc(n ? n : 1);
}
// GCC 11+ (mingw-w64 at -O1) pairs a nothrow new[] it sees in vitals' headers, included before
// these replacements, with the free() below once it inlines delete[], and warns of a mismatch
// that is not one: every allocation function here is malloc.
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 11
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 11
#pragma GCC diagnostic pop
#endif
void* operator new(std::size_t n, std::align_val_t al) { return counted_aligned_alloc(n, al); }
void* operator new[](std::size_t n, std::align_val_t al) { return counted_aligned_alloc(n, al); }
void operator delete(void* p, std::align_val_t) noexcept { counted_aligned_free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { counted_aligned_free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { counted_aligned_free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { counted_aligned_free(p); }

namespace {
namespace vd = vitals::detail;

// Sends one request and reads its response into a fixed buffer; returns the status code.
class fixed_client {
public:
    explicit fixed_client(std::uint16_t port) {
        vd::socket_address a;
        vd::parse_address("127.0.0.1", port, a);
        sock_ = vd::open_stream_socket(AF_INET);
        ::connect(sock_, a.get(), a.length);
        wait(POLLOUT);
    }
    ~fixed_client() { vd::close_socket(sock_); }

    int request(const char* raw) {
        const std::size_t len = std::strlen(raw);
        std::size_t sent = 0;
        while (sent < len) {
            const long long n = vd::send_two(sock_, raw + sent, len - sent, nullptr, 0);
            if (n > 0) {
                sent += static_cast<std::size_t>(n);
            } else if (!wait(POLLOUT)) {
                return -1;
            }
        }
        static const char separator[] = "\r\n\r\n";
        static const char length_name[] = "Content-Length: ";
        for (;;) {
            char* end = std::search(buffer_, buffer_ + used_, separator, separator + 4);
            if (end != buffer_ + used_) {
                char* cl = std::search(buffer_, end, length_name, length_name + 16);
                if (cl == end) return -1;
                const bool head = raw[0] == 'H'; // a HEAD response has no body
                const std::size_t body = head ? 0 : std::strtoul(cl + 16, nullptr, 10);
                const std::size_t total = static_cast<std::size_t>(end - buffer_) + 4 + body;
                if (used_ >= total) {
                    const int status = static_cast<int>(std::strtoul(buffer_ + 9, nullptr, 10));
                    std::memmove(buffer_, buffer_ + total, used_ - total);
                    used_ -= total;
                    return status;
                }
            }
            if (used_ == sizeof buffer_) return -1;
            const long long n = vd::receive(sock_, buffer_ + used_, sizeof buffer_ - used_);
            if (n > 0) {
                used_ += static_cast<std::size_t>(n);
            } else if (n == 0 || !wait(POLLIN)) {
                return -1;
            }
        }
    }

private:
    bool wait(int events) {
        vd::poll_fd p;
        p.fd = sock_;
        p.events = static_cast<short>(events);
        p.revents = 0;
        return vd::poll_sockets(&p, 1, 5000) > 0;
    }

    vd::socket_library library_;
    vd::socket_t sock_ = vd::invalid_socket;
    static char buffer_[1 << 20];
    std::size_t used_ = 0;
};
char fixed_client::buffer_[1 << 20];

} // namespace

TEST_CASE("server: steady-state keep-alive serving does not allocate") {
    vitals::registry reg;
    auto& fam = reg.counter("app_requests", "Requests.", {"method", "code"});
    for (int i = 0; i < 100; ++i) fam.labels(i % 2 ? "GET" : "POST", std::to_string(i)).inc();
    reg.histogram("app_latency_seconds", "Latency.").observe(0.1);
    vitals::server_options o;
    o.bind_address = "127.0.0.1";
    o.port = 0;
    o.bearer_token = "tok";
    vitals::health_server server(reg, o);
    server.add_liveness_check("loop", [] { return vitals::check_result::pass(); });
    server.add_readiness_check("db", [] { return vitals::check_result::pass("up"); });
    server.start();
    server.set_ready(true);
    fixed_client client(server.port());
    const char* requests[] = {
        "GET /live HTTP/1.1\r\nHost: t\r\n\r\n",
        "GET /ready HTTP/1.1\r\nHost: t\r\n\r\n",
        "GET /health HTTP/1.1\r\nHost: t\r\n\r\n",
        "GET /metrics HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer tok\r\n\r\n",
        "HEAD /metrics HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer tok\r\n\r\n",
    };
    int statuses[2][5] = {};
    for (int round = 0; round < 2; ++round) {
        const long before = allocations.load();
        for (int i = 0; i < 200; ++i)
            for (int k = 0; k < 5; ++k) {
                const int st = client.request(requests[k]);
                if (st != 200) statuses[round][k] = st;
            }
        const long during = allocations.load() - before;
        // Round 0 grows buffers and creates the self-metric series (which also shows that
        // allocations on the server thread are seen); round 1 must allocate nothing.
        if (round == 0) CHECK(during > 0);
        if (round == 1) CHECK(during == 0);
    }
    for (int round = 0; round < 2; ++round)
        for (int k = 0; k < 5; ++k) CHECK(statuses[round][k] == 0);
}

#if VITALS_HAS_EXCEPTIONS()
// Out of memory while /metrics renders (the exposition's string, or a collector's output,
// could not grow) ended the server thread with std::terminate. Now that scrape gets a 503 and
// the next one a whole exposition.
TEST_CASE("server: a render that runs out of memory answers 503, and the server goes on") {
    for (const bool swallow : {false, true}) {
        CAPTURE(swallow);
        vitals::registry reg;
        reg.counter("app_requests", "Requests.").inc();
        // About 500 KB of exposition, so that its string grows past `large`.
        reg.add_collector([swallow](vitals::collector_output& out) {
            char name[32];
            for (int i = 0; i < 5000; ++i) {
                std::snprintf(name, sizeof name, "computed_metric_%d", i);
                if (!swallow) {
                    out.gauge(name, "A computed value.", i);
                    continue;
                }
                try { // a collector that catches broadly around its own code
                    out.gauge(name, "A computed value.", i);
                } catch (...) {}
            }
        });
        vitals::server_options o;
        o.bind_address = "127.0.0.1";
        o.port = 0;
        vitals::health_server server(reg, o);
        server.start();
        fixed_client client(server.port());
        const char* get = "GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n";
        large_failures.store(1);
        CHECK(client.request(get) == 503);
        CHECK(large_failures.load() <= 0); // the failure happened in that render
        large_failures.store(0);
        CHECK(client.request(get) == 200);
        CHECK(client.request("GET /live HTTP/1.1\r\nHost: t\r\n\r\n") == 200);
        CHECK(reg.collector_failure_count() == 0); // the output's failure, not the collector's
        server.stop();
    }
}
#endif

#if VITALS_HAS_EXCEPTIONS()
// Out of memory anywhere else in a connection's turn (here the /health report of many checks,
// whose JSON could not grow) also ended the server thread with std::terminate, and with it the
// program. Now that connection is closed and the server goes on serving.
TEST_CASE("server: running out of memory while answering closes that connection only") {
    vitals::registry reg;
    vitals::server_options o;
    o.bind_address = "127.0.0.1";
    o.port = 0;
    vitals::health_server server(reg, o);
    // About 400 KB of /health report, so that its string grows past `large`.
    char name[80];
    for (int i = 0; i < 4000; ++i) {
        std::snprintf(name, sizeof name, "liveness_check_with_a_long_descriptive_name_%04d", i);
        server.add_liveness_check(name, [] { return vitals::check_result::pass(); });
    }
    server.start();
    server.set_ready(true);
    const char* health = "GET /health HTTP/1.1\r\nHost: t\r\n\r\n";
    const char* live = "GET /live HTTP/1.1\r\nHost: t\r\n\r\n";
    {
        fixed_client bystander(server.port());
        CHECK(bystander.request(live) == 200);
        fixed_client client(server.port());
        large_failures.store(1);
        CHECK(client.request(health) == -1); // closed without an answer
        CHECK(large_failures.load() <= 0);   // the failure happened answering it
        large_failures.store(0);
        CHECK(bystander.request(live) == 200); // the other connection is still served
    }
    fixed_client client(server.port());
    CHECK(client.request(health) == 200);
    CHECK(client.request(live) == 200);
    server.stop();
}
#endif
