// tests/unit/server_windows_h.cpp - the server header after a plain <windows.h> (on Windows).
// SPDX-License-Identifier: MIT
// vitals-test: own program (it includes <windows.h> before vitals)
// Programs often include <windows.h> before anything else. With WIN32_LEAN_AND_MEAN (so that
// <windows.h> does not pull in the old winsock.h, which clashes with <winsock2.h> in every
// Windows SDK) the server header must then compile and work. Elsewhere this file checks the
// same with <sys/socket.h> included first.
#if defined(_WIN32)
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#else
#include <sys/socket.h>
#endif
#include <vitals/server.hpp>
#include <vitals/vitals.hpp>

#include <doctest/doctest.h>

#include "server_client.hpp"

#include <algorithm> // max

TEST_CASE("server: works with the platform headers included first") {
    vitals::registry reg;
    vitals::server_options o;
    o.bind_address = "127.0.0.1";
    o.port = 0;
    vitals::health_server server(reg, o);
    server.start();
    CHECK(test_http::get(server.port(), "/live").status == 200);
    CHECK((std::max)(1, 2) == 2);
}
