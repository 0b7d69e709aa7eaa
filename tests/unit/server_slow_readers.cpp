// tests/unit/server_slow_readers.cpp - health_server: clients that read slowly or never.
// SPDX-License-Identifier: MIT
#include "server_support.hpp"

#include <doctest/doctest.h>

#include <atomic> // atomic
#include <chrono> // milliseconds, steady_clock
#include <cstdio> // FILE, fopen
#include <memory> // unique_ptr
#include <string> // string
#include <thread> // sleep_for
#include <vector> // vector

#if defined(__linux__)
#include <sys/resource.h> // getrlimit, setrlimit
#endif

using namespace std::chrono_literals;
using namespace server_test;

namespace {

#if defined(__linux__)
// Resident memory of this process in bytes, from /proc/self/status.
double resident_bytes() {
    std::FILE* f = std::fopen("/proc/self/status", "r");
    if (!f) return -1;
    char line[256];
    double kb = -1;
    while (std::fgets(line, sizeof line, f))
        if (std::string(line).compare(0, 6, "VmRSS:") == 0) kb = std::stod(line + 6);
    std::fclose(f);
    return kb * 1024;
}

// Makes room for `n` descriptors (soft limit up to the hard limit); false if impossible.
bool allow_descriptors(rlim_t n) {
    rlimit rl{};
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return false;
    if (rl.rlim_cur >= n) return true;
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < n) return false;
    rl.rlim_cur = n;
    return setrlimit(RLIMIT_NOFILE, &rl) == 0;
}
#endif

} // namespace

#if defined(__linux__)
// 1,000 clients each pipeline 5 KB of GET /metrics and never read a byte. Without a global
// bound, each connection queues up to its own output limit (1 MiB): a gigabyte in all.
TEST_CASE("slow readers: 1,000 clients that never read grow resident memory by < 64 MiB") {
    const int clients = 1000;
    // Two descriptors per client (both ends live in this process) and some to spare.
    REQUIRE_MESSAGE(allow_descriptors(2 * clients + 200),
                    "the hard descriptor limit is below 2,200: raise it (ulimit -Hn)");
    vitals::registry reg;
    fill_series(reg, 1000);
    vitals::health_server server(reg, local_options());
    server.start();
    REQUIRE(test_http::get(server.port(), "/metrics").status == 200);
    const double before = resident_bytes();

    std::string batch;
    while (batch.size() < 5000) batch += "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
    std::vector<std::unique_ptr<test_http::client>> hogs;
    for (int i = 0; i < clients; ++i) {
        // A small receive window, so the kernel holds little and the server has to queue.
        hogs.emplace_back(new test_http::client("127.0.0.1", server.port(), 5000ms, 4096));
        REQUIRE(hogs.back()->connected());
        hogs.back()->send_all(batch);
    }
    // /live stays prompt meanwhile, as in server_flood.cpp: one probe over 1 s is tolerated.
    const live_probes p = probe_live(server.port(), 3000ms);
    const double grown = resident_bytes() - before;
    MESSAGE("resident memory grew by " << grown / 1048576 << " MiB; /live: " << p.count
                                       << " probes, " << p.late << " over 1 s, slowest "
                                       << p.worst.count() << " ms");
    CHECK(grown < 64.0 * 1048576);
    CHECK(p.late_in_a_row < 2);
    CHECK(p.worst < 2000ms);
}
#endif

#if defined(__linux__)
// Past max_output_bytes, the connections whose output waited longest are closed; the
// server keeps serving the clients that read.
TEST_CASE("slow readers: over the global output budget the slowest readers are closed") {
    vitals::registry reg;
    fill_series(reg, 5000); // about 300 KB per response
    auto opts = local_options();
    opts.max_output_bytes = 1024 * 1024;
    vitals::health_server server(reg, opts);
    server.start();
    // Loopback lets the kernel take megabytes per connection (large segments and buffers):
    // 40 pipelined requests get past that.
    std::string batch;
    for (int k = 0; k < 40; ++k) batch += "GET /metrics HTTP/1.1\r\n\r\n";
    // Generous deadlines: the server renders hundreds of 300 KB responses before the kernel
    // buffers fill, which takes seconds on a loaded machine.
    const auto patience = 30000ms;
    std::vector<std::unique_ptr<test_http::client>> hogs;
    for (int i = 0; i < 11; ++i) {
        hogs.emplace_back(new test_http::client("127.0.0.1", server.port(), patience, 4096));
        REQUIRE(hogs.back()->send_all(batch));
    }
    // 11 clients with 256 KiB or more queued each do not fit 1 MiB: some are closed, and
    // the server counts them (reading from a hog to see it closed would make it a reader).
    const auto closed_over_budget = [&] {
        return sample(reg, "vitals_server_closed_connections_total{reason=\"output_budget\"}");
    };
    CHECK(closed_over_budget() == 0);
    CHECK(test_http::eventually([&] { return closed_over_budget() >= 2; }, patience));
    // The loop counts a connection when it marks it closed and lowers the connection gauge
    // when it removes it, a moment later in the same turn: wait for the gauge too.
    double still_open = 0;
    CHECK(test_http::eventually(
        [&] {
            still_open = sample(reg, "vitals_server_connections");
            return still_open <= 9;
        },
        5000ms));
    MESSAGE(closed_over_budget() << " non-reading clients closed, " << still_open << " open");
    // A client that arrives now has the newest output, so it is the one kept when the
    // server is over budget again: it gets whole responses.
    test_http::client late("127.0.0.1", server.port(), patience, 4096);
    REQUIRE(late.send_all(batch));
    const test_http::response first = late.read_response();
    CHECK(first.status == 200);
    CHECK(first.body.size() > 200000);
    const test_http::response second = late.read_response();
    CHECK(second.status == 200);
    CHECK(second.body.size() > 200000);
    // And a plain scrape still gets a whole exposition.
    test_http::client scraper("127.0.0.1", server.port(), patience);
    REQUIRE(scraper.send_all("GET /metrics HTTP/1.1\r\nConnection: close\r\n\r\n"));
    const test_http::response r = scraper.read_response();
    CHECK(r.status == 200);
    CHECK(r.body.size() > 200000);
}
#endif

// A reader that takes its response slowly (a small window, a pause between reads) gets every
// byte of a large exposition, as long as it keeps within the write timeout.
TEST_CASE("slow readers: a slow reader still gets the whole body") {
    vitals::registry reg;
    fill_series(reg, 5000);
    vitals::health_server server(reg, local_options());
    server.start();
    const std::string expected_start = vitals::to_text(reg).substr(0, 100);
    test_http::client slow("127.0.0.1", server.port(), 20000ms);
    REQUIRE(slow.send_all("GET /metrics HTTP/1.1\r\nConnection: close\r\n\r\n"));
    std::this_thread::sleep_for(500ms); // let the server queue what the socket did not take
    const test_http::response r = slow.read_response();
    REQUIRE(r.status == 200);
    CHECK(r.body.size() == std::stoul(r.header("content-length")));
    CHECK(r.body.size() > 200000);
    CHECK(r.body.compare(0, 100, expected_start) == 0);
    CHECK(r.body.substr(r.body.size() - 1) == "\n");
}

// Clients that read everything they ask for are never closed over the output budget, even
// when many of them are answered in one loop turn. (The running total once counted bytes
// already sent until the next measurement, and closed such clients as slow readers.)
TEST_CASE("slow readers: prompt readers are not closed over a small output budget") {
    vitals::registry reg;
    auto opts = local_options();
    opts.max_output_bytes = 65536; // the smallest budget allowed
    vitals::health_server server(reg, opts);
    // The first check stalls the server thread, so that every client's requests are waiting
    // when it next looks: one turn then answers all of them.
    std::atomic<bool> first{true};
    server.add_liveness_check("stall-once", [&first] {
        if (first.exchange(false)) std::this_thread::sleep_for(300ms);
        return true;
    });
    server.start();
    test_http::client staller("127.0.0.1", server.port());
    REQUIRE(staller.send_all("GET /live HTTP/1.1\r\n\r\n"));
    constexpr int clients = 40, requests = 40; // 40 x 40 x ~150 B, read as it comes
    std::string batch;
    for (int k = 0; k < requests; ++k) batch += "GET /live HTTP/1.1\r\n\r\n";
    std::vector<std::unique_ptr<test_http::client>> cs;
    for (int i = 0; i < clients; ++i) {
        cs.emplace_back(new test_http::client("127.0.0.1", server.port()));
        REQUIRE(cs.back()->send_all(batch));
    }
    int whole = 0;
    for (auto& c : cs) {
        int got = 0;
        // Any status: the stalled check may answer 503 to whichever request ran it first.
        while (got < requests && c->read_response().status != 0) ++got;
        whole += got == requests;
    }
    CHECK(whole == clients);
    CHECK(sample(reg, "vitals_server_closed_connections_total{reason=\"output_budget\"}") == 0);
}

// Two scrapers at once (as a pair of Prometheus servers for high availability are) of an
// exposition over half the output budget, both taking their bodies a moment after asking:
// the second render waits until the first one's output has gone out, instead of being made
// at once and one scraper closed mid-body for the budget. What a waiting scraper pipelined
// behind its scrape is answered after it.
TEST_CASE("slow readers: two scrapes at once of an exposition over half the budget both end") {
    vitals::registry reg;
    // About 10 MB, and a budget of one exposition: each scraper's body is then over half the
    // budget even after the kernel took into the socket's buffers what it takes at once (up
    // to 4 MiB on Linux, with the default tcp_wmem).
    fill_long_series(reg, 40000, 240);
    auto opts = local_options();
    opts.max_output_bytes = vitals::to_text(reg).size();
    vitals::health_server server(reg, opts);
    server.start();
    for (int round = 0; round < 3; ++round) {
        // Small receive windows keep most of each body queued at the server until read.
        test_http::client first("127.0.0.1", server.port(), 10000ms, 32768);
        test_http::client second("127.0.0.1", server.port(), 10000ms, 32768);
        // Each pipelines a request behind its scrape: the one whose render waits keeps it,
        // and answers it after the render.
        const char* const requests = "GET /metrics HTTP/1.1\r\n\r\nGET /live HTTP/1.1\r\n\r\n";
        REQUIRE(first.send_all(requests));
        REQUIRE(second.send_all(requests));
        std::this_thread::sleep_for(200ms); // both asked before either reads
        test_http::response second_response, second_live;
        std::thread reader([&] {
            second_response = second.read_response();
            second_live = second.read_response();
        });
        const test_http::response first_response = first.read_response();
        const test_http::response first_live = first.read_response();
        reader.join();
        CHECK(first_response.status == 200);
        CHECK(second_response.status == 200);
        CHECK(first_live.status == 200);
        CHECK(second_live.status == 200);
    }
    CHECK(sample(reg, "vitals_server_closed_connections_total{reason=\"output_budget\"}") == 0);
}

// The loop keeps what the last render left queued, to tell whether the next one fits the
// budget beside the output that is moving. /health is expensive too (it runs every check),
// and a GET of it was taken for that render: a probe's /health between two scrapes let the
// second render go ahead at once, over the budget, where it waits for the first's output.
TEST_CASE("slow readers: a /health between two scrapes over half the budget: the second waits") {
    vitals::registry reg;
    // About 10 MB, the budget (see the test above).
    fill_long_series(reg, 40000, 240);
    std::atomic<int> renders{0};
    reg.add_collector("render_count", [&renders](vitals::collector_output&) { ++renders; });
    auto opts = local_options();
    opts.max_output_bytes = vitals::to_text(reg).size();
    vitals::health_server server(reg, opts);
    server.start();
    renders = 0;
    test_http::client first("127.0.0.1", server.port(), 10000ms, 32768);
    test_http::client second("127.0.0.1", server.port(), 10000ms, 32768);
    REQUIRE(first.send_all("GET /metrics HTTP/1.1\r\n\r\n"));
    REQUIRE(test_http::eventually([&] { return renders.load() == 1; }));
    // Answered once the render is done and its output queued.
    REQUIRE(test_http::get(server.port(), "/health").status != 0);
    REQUIRE(second.send_all("GET /metrics HTTP/1.1\r\n\r\n"));
    // Well within the second in which the first's untaken output counts as moving.
    std::this_thread::sleep_for(200ms);
    CHECK(renders.load() == 1);
    CHECK(first.read_response().status == 200);
    CHECK(second.read_response().status == 200);
    CHECK(renders.load() == 2);
    CHECK(sample(reg, "vitals_server_closed_connections_total{reason=\"output_budget\"}") == 0);
}

// One scraper of an exposition larger than the whole output budget, reading it as it comes:
// the budget bounds output waiting for clients that do not take it, so this one must get
// the whole body (it was closed mid-body, after a 200 with the full Content-Length). With
// a slow collector too, so that the render outlasts the one second in which output just
// queued counts as moving.
TEST_CASE("slow readers: an exposition over the whole budget reaches a prompt reader whole") {
    vitals::registry reg;
    fill_long_series(reg, 40000, 200);
    std::atomic<bool> slow{false};
    reg.add_collector("slow", [&slow](vitals::collector_output& out) {
        if (slow.load()) std::this_thread::sleep_for(1200ms);
        out.gauge("slow_collector", "Written after a pause.", 1);
    });
    const std::size_t size = vitals::to_text(reg).size();
    // Over what the kernel takes into a socket at once (up to 4 MiB on Linux, with the
    // default tcp_wmem), plus the budget.
    REQUIRE(size > 8000000u);
    auto opts = local_options();
    opts.max_output_bytes = 65536; // the smallest budget allowed, under a hundredth of the body
    vitals::health_server server(reg, opts);
    server.start();
    for (int round = 0; round < 4; ++round) {
        CAPTURE(round);
        slow.store(round >= 2);
        // A small receive window keeps most of the body queued at the server until read.
        test_http::client scraper("127.0.0.1", server.port(), 20000ms, 32768);
        REQUIRE(scraper.send_all("GET /metrics HTTP/1.1\r\n\r\n"));
        const test_http::response r = scraper.read_response();
        REQUIRE(r.status == 200);
        CHECK(r.body.size() == std::stoul(r.header("content-length")));
        CHECK(r.body.size() > size - 1000);
        CHECK(r.body.find("slow_collector 1\n") != std::string::npos);
    }
    CHECK(sample(reg, "vitals_server_closed_connections_total{reason=\"output_budget\"}") == 0);
}
