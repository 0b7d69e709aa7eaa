// tests/unit/server_support.hpp - helpers shared by the health_server test files.
// SPDX-License-Identifier: MIT
#ifndef VITALS_TESTS_SERVER_SUPPORT_HPP
#define VITALS_TESTS_SERVER_SUPPORT_HPP

#include <vitals/server.hpp>
#include <vitals/vitals.hpp>

#include "server_client.hpp"

#include <chrono>  // milliseconds
#include <cstdlib> // getenv
#include <string>  // string, stod
#include <thread>  // sleep_for

#if defined(__linux__)
#include <dirent.h> // opendir (counting /proc/self/fd and /proc/self/task)
#endif

namespace server_test {

inline vitals::server_options local_options() {
    vitals::server_options o;
    o.bind_address = "127.0.0.1";
    o.port = 0;
    return o;
}

inline bool contains(const std::string& s, const std::string& part) {
    return s.find(part) != std::string::npos;
}

inline double sample(vitals::registry& reg, const std::string& line_prefix) {
    const std::string text = vitals::to_text(reg);
    const std::size_t at = text.find("\n" + line_prefix + " ");
    if (at == std::string::npos) return -1;
    const std::size_t start = at + 1 + line_prefix.size() + 1;
    return std::stod(text.substr(start, text.find('\n', start) - start));
}

inline bool ipv6_loopback_available() {
    vitals::detail::socket_library lib;
    vitals::detail::socket_address a;
    vitals::detail::parse_address("::1", 0, a);
    const auto s = vitals::detail::open_stream_socket(AF_INET6);
    if (s == vitals::detail::invalid_socket) return false;
    const bool ok = ::bind(s, a.get(), a.length) == 0;
    vitals::detail::close_socket(s);
    return ok;
}

#if defined(__linux__)
inline int count_entries(const char* dir) {
    DIR* d = opendir(dir);
    if (!d) return -1;
    int n = 0;
    while (readdir(d)) ++n;
    closedir(d);
    return n;
}

// The thread count once it settles on `expected`, or after 2 s, whatever it is then. A joined
// thread leaves /proc/self/task a moment after join() returns; under qemu-user, whose own
// threads are listed there too, that moment can be long.
// qemu-user runs each guest thread on a host thread and now and then keeps one for a while
// after the guest thread has exited: the task count is not evidence there. The armhf steps of
// scripts/test.sh set VITALS_TEST_EMULATED=1, and the thread checks only warn under it.
inline bool under_emulator() {
    const char* v = std::getenv("VITALS_TEST_EMULATED");
    return v != nullptr && v[0] == '1';
}

inline int settled_task_count(int expected) {
    int n = count_entries("/proc/self/task");
    for (int i = 0; i < 200 && n != expected; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        n = count_entries("/proc/self/task");
    }
    return n;
}
#endif

} // namespace server_test

#endif // VITALS_TESTS_SERVER_SUPPORT_HPP
