// tests/unit/server_support.hpp - helpers shared by the health_server test files.
// SPDX-License-Identifier: MIT
#ifndef VITALS_TESTS_SERVER_SUPPORT_HPP
#define VITALS_TESTS_SERVER_SUPPORT_HPP

#include <vitals/server.hpp>
#include <vitals/vitals.hpp>

#include "server_client.hpp"
#include "test_support.hpp"

#include <atomic>  // atomic
#include <chrono>  // milliseconds, steady_clock
#include <cstddef> // size_t
#include <cstdint> // uint16_t
#include <cstdlib> // getenv
#include <memory>  // unique_ptr
#include <string>  // string, stod
#include <thread>  // thread, sleep_for
#include <vector>  // vector

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

using vitals_test::contains;

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

/// The process's thread count once it has held still for 100 ms (at most 2 s): a thread that
/// an earlier test joined or detached can still be listed for a moment while it exits, and a
/// count taken then is one too high for the rest of the test.
inline int stable_task_count() {
    int n = count_entries("/proc/self/task");
    for (int i = 0, same = 0; i < 100 && same < 5; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        const int now = count_entries("/proc/self/task");
        same = now == n ? same + 1 : 0;
        n = now;
    }
    return n;
}
#endif

/// A registry holding `n` series (one counter family, label "id"), about 60 bytes each.
inline void fill_series(vitals::registry& reg, int n) {
    auto& fam = reg.counter("flood_series", "Series that make the exposition large.", {"id"});
    for (int i = 0; i < n; ++i) fam.labels("series-" + std::to_string(i)).inc(i);
}

/// A registry of `n` counter series (family "large_series", label "id") whose label values
/// are `padding` bytes of 'x' and a number: an exposition of about n * (padding + 40) bytes,
/// large enough to outlast the socket buffers.
inline void fill_long_series(vitals::registry& reg, int n, std::size_t padding) {
    vitals::family_options large;
    large.max_series = static_cast<std::size_t>(n);
    auto& fam = reg.counter("large_series", "Series with long label values.", {"id"}, large);
    const std::string prefix(padding, 'x');
    for (int i = 0; i < n; ++i) fam.labels(prefix + std::to_string(i)).inc();
}

/// `connections` clients on a background thread, each sending `request` pipelined over and
/// over (in batches of about 64 KiB) and, with `read`, reading and discarding whatever comes
/// back, until destroyed.
class flood {
public:
    flood(std::uint16_t port, const std::string& request, int connections, bool read = true)
        : read_(read) {
        while (batch_.size() < 64 * 1024) batch_ += request;
        for (int i = 0; i < connections; ++i)
            clients_.emplace_back(new test_http::client("127.0.0.1", port));
        thread_ = std::thread([this] { run(); });
    }
    flood(const flood&) = delete;
    flood& operator=(const flood&) = delete;
    ~flood() {
        stop_.store(true);
        thread_.join();
    }
    /// Bytes sent and received so far.
    long long sent() const { return sent_.load(); }
    long long received() const { return received_.load(); }

private:
    void run() {
        namespace vd = vitals::detail;
        std::vector<std::size_t> offsets(clients_.size(), 0);
        std::vector<char> sink(1 << 16);
        while (!stop_.load()) {
            std::vector<vd::poll_fd> fds;
            for (auto& c : clients_) {
                vd::poll_fd p;
                p.fd = c->handle();
                p.events = static_cast<short>(POLLOUT | (read_ ? POLLIN : 0));
                p.revents = 0;
                fds.push_back(p);
            }
            if (vd::poll_sockets(fds.data(), fds.size(), 50) <= 0) continue;
            for (std::size_t i = 0; i < clients_.size(); ++i) {
                if (!clients_[i]->connected()) continue;
                const auto s = clients_[i]->handle();
                if ((fds[i].revents & POLLIN) != 0) {
                    const long long n = vd::receive(s, sink.data(), sink.size());
                    if (n > 0) received_ += n;
                    if (n == 0) clients_[i]->close();
                }
                if (clients_[i]->connected() && (fds[i].revents & POLLOUT) != 0) {
                    const long long n = vd::send_two(s, batch_.data() + offsets[i],
                                                     batch_.size() - offsets[i], nullptr, 0);
                    if (n > 0) {
                        sent_ += n;
                        offsets[i] = (offsets[i] + static_cast<std::size_t>(n)) % batch_.size();
                    }
                }
                if ((fds[i].revents & (POLLERR | POLLNVAL)) != 0) clients_[i]->close();
            }
        }
    }

    bool read_;
    std::string batch_;
    std::vector<std::unique_ptr<test_http::client>> clients_;
    std::atomic<bool> stop_{false};
    std::atomic<long long> sent_{0}, received_{0};
    std::thread thread_;
};

/// What a Kubernetes liveness probe would see of /live: probes over a period.
struct live_probes {
    int count = 0;
    std::chrono::milliseconds worst{0}; // a probe answered other than 200, or not in 5 s: 5 s
    int late = 0;                       // probes over 1 s (the probe's default timeout)
    int late_in_a_row = 0; // the longest run of late probes; Kubernetes restarts a pod at 3
};

/// Probes /live with a new connection every 50 ms over `period`.
inline live_probes probe_live(std::uint16_t port, std::chrono::milliseconds period) {
    using clock = std::chrono::steady_clock;
    live_probes p;
    int run = 0;
    const auto until = clock::now() + period;
    while (clock::now() < until) {
        const auto t0 = clock::now();
        const test_http::response r = test_http::get(port, "/live");
        auto took = std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - t0);
        if (r.status != 200) took = std::chrono::milliseconds(5000);
        ++p.count;
        if (took > p.worst) p.worst = took;
        if (took >= std::chrono::milliseconds(1000)) {
            ++p.late;
            if (++run > p.late_in_a_row) p.late_in_a_row = run;
        } else {
            run = 0;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return p;
}

} // namespace server_test

#endif // VITALS_TESTS_SERVER_SUPPORT_HPP
