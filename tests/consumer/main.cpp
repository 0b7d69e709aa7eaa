// tests/consumer/main.cpp - the smallest program a vitals user writes.
// SPDX-License-Identifier: MIT
// Built twice: against vitals::vitals, and against vitals::server with VITALS_CONSUMER_SERVER
// defined, where it also starts and stops the HTTP server (threads and sockets must link).
#include <vitals/vitals.hpp>
#if defined(VITALS_CONSUMER_SERVER)
#include <vitals/server.hpp>
#endif

#include <cstdio> // printf

int main() {
    vitals::counter requests;
    requests.inc();
    std::printf("vitals %s: counter = %g\n", VITALS_VERSION_STRING, requests.value());
    if (requests.value() != 1.0) return 1;
#if defined(VITALS_CONSUMER_SERVER)
    vitals::server_options options;
    options.bind_address = "127.0.0.1";
    options.port = 0;
    vitals::health_server server(options);
    if (!server.try_start().ok()) {
        std::printf("health_server did not start\n");
        return 1;
    }
    std::printf("health_server listened on port %u\n", static_cast<unsigned>(server.port()));
    server.stop();
#endif
    return 0;
}
