// tests/unit/foreign_macros.cpp - every header after the macros other libraries define.
// SPDX-License-Identifier: MIT
// vitals-test: own program (it defines other libraries' macros before including vitals)
//
// Programs include vitals after headers that define plain words as macros: Qt's emit, slots
// and signals (emit is empty, so a parameter named emit compiled into a comma expression
// and every escaped string came out empty), Xlib's Status, Bool, True and None, the Windows
// SDK's small, min and max (mingw-w64 leaves these out in C++, so the Windows build cannot
// catch them), a kernel-style noinline. Each is defined here as a
// name that exists nowhere, so any use of it by vitals fails to compile; the platform and
// standard headers vitals uses come first, as they would in such a program.
#if defined(_WIN32)
// In this order (winsock2.h before windows.h, psapi.h and tlhelp32.h after it).
#include <winsock2.h>

#include <ws2tcpip.h>

#include <windows.h>

#include <psapi.h>
#include <tlhelp32.h>
#else
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#if defined(__linux__)
#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#endif
#endif
#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <exception>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <shared_mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include <doctest/doctest.h>

#define VITALS_FOREIGN(name) vitals_test_foreign_macro_##name##_was_used
// Qt (qobjectdefs.h)
#define emit VITALS_FOREIGN(emit)
#define slots VITALS_FOREIGN(slots)
#define signals VITALS_FOREIGN(signals)
#define foreach VITALS_FOREIGN(foreach)
#define forever VITALS_FOREIGN(forever)
// Xlib (X11/Xlib.h, X11/X.h)
#define Status VITALS_FOREIGN(Status)
#define Bool VITALS_FOREIGN(Bool)
#define True VITALS_FOREIGN(True)
#define False VITALS_FOREIGN(False)
#define None VITALS_FOREIGN(None)
#define Success VITALS_FOREIGN(Success)
#define Always VITALS_FOREIGN(Always)
#define Complex VITALS_FOREIGN(Complex)
#define CurrentTime VITALS_FOREIGN(CurrentTime)
// The Windows SDK (rpcndr.h, minwindef.h, winnt.h, wingdi.h)
#undef small
#define small VITALS_FOREIGN(small)
#undef hyper
#define hyper VITALS_FOREIGN(hyper)
#undef near
#define near VITALS_FOREIGN(near)
#undef far
#define far VITALS_FOREIGN(far)
#undef IN
#define IN VITALS_FOREIGN(IN)
#undef OUT
#define OUT VITALS_FOREIGN(OUT)
#undef OPTIONAL
#define OPTIONAL VITALS_FOREIGN(OPTIONAL)
#undef ERROR
#define ERROR VITALS_FOREIGN(ERROR)
#undef DELETE
#define DELETE VITALS_FOREIGN(DELETE)
#undef interface
#define interface VITALS_FOREIGN(interface)
#undef TRUE
#define TRUE VITALS_FOREIGN(TRUE)
#undef FALSE
#define FALSE VITALS_FOREIGN(FALSE)
#undef min
#define min(a, b) VITALS_FOREIGN(min)
#undef max
#define max(a, b) VITALS_FOREIGN(max)
// Kernel-style and other C code bases, glibc's <sys/sysmacros.h>
#define noinline VITALS_FOREIGN(noinline)
#define always_inline VITALS_FOREIGN(always_inline)
#define likely(x) VITALS_FOREIGN(likely)
#define unlikely(x) VITALS_FOREIGN(unlikely)
#undef major
#define major(d) VITALS_FOREIGN(major)
#undef minor
#define minor(d) VITALS_FOREIGN(minor)
#define DEBUG VITALS_FOREIGN(DEBUG)
#define OK VITALS_FOREIGN(OK)

#include <vitals/process.hpp>
#include <vitals/record.hpp>
#include <vitals/server.hpp>
#include <vitals/vitals.hpp>

TEST_CASE("foreign macros: the exposition is whole") {
    vitals::registry reg;
    auto& requests = reg.counter("app_requests", "Requests \\ served.", {"path"});
    requests.labels("/a\"b\n").inc();
    requests.labels("/c").inc(2);
    auto& latency = reg.histogram("app_latency_seconds", "Latency.", {}, {0.5});
    latency.labels().observe(0.25, vitals::exemplar{"trace_id", "4bf92f35"});
    const std::string text = vitals::to_text(reg);
    CHECK(text.find("# HELP app_requests_total Requests \\\\ served.\n") != std::string::npos);
    CHECK(text.find("app_requests_total{path=\"/a\\\"b\\n\"} 1\n") != std::string::npos);
    CHECK(text.find("app_requests_total{path=\"/c\"} 2\n") != std::string::npos);
    CHECK(text.find("app_latency_seconds_bucket{le=\"0.5\"} 1\n") != std::string::npos);
    const std::string om = vitals::to_openmetrics(reg);
    CHECK(om.find("app_latency_seconds_bucket{le=\"0.5\"} 1 # {trace_id=\"4bf92f35\"} 0.25") !=
          std::string::npos);
    CHECK(om.find("app_requests_total{path=\"/a\\\"b\\n\"} 1\n") != std::string::npos);
}

TEST_CASE("foreign macros: the HTTP kit and the server") {
    vitals::registry reg;
    vitals::kits::http_metrics http(reg, "app");
    http.record("GET", "/x", 200, 0.01);
    vitals::server_options o;
    o.bind_address = "127.0.0.1";
    o.port = 0;
    vitals::health_server server(reg, o);
    REQUIRE(server.try_start().ok());
    CHECK(server.port() != 0);
    server.stop();
    CHECK(vitals::to_text(reg).find("method=\"GET\"") != std::string::npos);
}
