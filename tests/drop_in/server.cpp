// tests/drop_in/server.cpp - the drop-in case for the server: built with only single_include/
// on the include path (no include/, no build system, no other library), it registers metrics
// and process metrics, starts the health server on a loopback ephemeral port, scrapes
// /metrics over a plain socket and checks the answer. scripts/test.sh, step "drop-in".
// SPDX-License-Identifier: MIT
#include "vitals/vitals.hpp"
#include "vitals/vitals_server.hpp"

#include <cstdio>  // printf
#include <cstring> // memset
#include <string>  // string

#include <arpa/inet.h>  // htons, inet_pton
#include <netinet/in.h> // sockaddr_in
#include <sys/socket.h> // socket, connect, send, recv
#include <unistd.h>     // close

namespace {

// GET `path` from 127.0.0.1:`port` (HTTP/1.0, so the server closes after one response).
std::string http_get(unsigned port, const char* path) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return {};
    sockaddr_in addr;
    std::memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<unsigned short>(port));
    ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    std::string reply;
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0) {
        const std::string request = std::string("GET ") + path + " HTTP/1.0\r\n\r\n";
        if (::send(fd, request.data(), request.size(), 0) == static_cast<ssize_t>(request.size())) {
            char buf[4096];
            ssize_t n;
            while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0)
                reply.append(buf, static_cast<std::size_t>(n));
        }
    }
    ::close(fd);
    return reply;
}

bool contains(const std::string& text, const char* what) {
    return text.find(what) != std::string::npos;
}

} // namespace

int main() {
    vitals::registry reg;
    reg.counter("dropin_requests", "Requests.", {"method"}).labels("GET").inc(3);
    vitals::add_process_metrics(reg, "dropin");

    vitals::server_options options;
    options.bind_address = "127.0.0.1";
    options.port = 0;
    vitals::health_server server(reg, options);
    const vitals::status st = server.try_start();
    if (!st.ok()) {
        std::printf("drop-in: the server did not start: %s\n", st.message().c_str());
        return 1;
    }
    const unsigned port = server.port();
    const std::string metrics = http_get(port, "/metrics");
    const std::string live = http_get(port, "/live");
    server.stop();

    int failures = 0;
    const auto expect = [&failures](bool ok, const char* what) {
        if (!ok) {
            std::printf("drop-in: FAIL: %s\n", what);
            ++failures;
        }
    };
    expect(contains(metrics, "HTTP/1.1 200"), "/metrics answers 200");
    expect(contains(metrics, "dropin_requests_total{method=\"GET\"} 3\n"), "the counter");
    expect(contains(metrics, "\nprocess_resident_memory_bytes "), "process metrics");
    expect(contains(live, "HTTP/1.1 200"), "/live answers 200");
    std::printf("drop-in: server on port %u scraped, %d failures\n", port, failures);
    return failures == 0 ? 0 : 1;
}
