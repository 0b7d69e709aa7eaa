// tests/unit/server_client.hpp - a small blocking-with-deadline HTTP client for server tests.
// SPDX-License-Identifier: MIT
#ifndef VITALS_TESTS_SERVER_CLIENT_HPP
#define VITALS_TESTS_SERVER_CLIENT_HPP

#include <vitals/server/socket.hpp>

#include <chrono>      // steady_clock, milliseconds
#include <cstdint>     // uint16_t
#include <map>         // map
#include <string>      // string
#include <string_view> // string_view
#include <thread>      // sleep_for

namespace test_http {

using namespace std::chrono_literals;
namespace vd = vitals::detail;
using clock_type = std::chrono::steady_clock;

/// One parsed response.
struct response {
    int status = 0;                             // 0 when nothing valid arrived
    std::map<std::string, std::string> headers; // names lower-cased
    std::string body;

    std::string header(const std::string& name) const {
        const auto it = headers.find(name);
        return it == headers.end() ? std::string() : it->second;
    }
    bool has(const std::string& name) const { return headers.count(name) != 0; }
};

/// A non-blocking client socket driven with poll and deadlines, so no test can hang.
class client {
public:
    /// A receive_buffer above 0 sets SO_RCVBUF before connecting (a small window, so the
    /// kernel takes little of what the server sends).
    client(const char* host, std::uint16_t port,
           std::chrono::milliseconds timeout = std::chrono::milliseconds(5000),
           int receive_buffer = 0)
        : timeout_(timeout) {
        vd::socket_address a;
        if (!vd::parse_address(host, port, a)) return;
        sock_ = vd::open_stream_socket(a.family());
        if (sock_ == vd::invalid_socket) return;
        if (receive_buffer > 0) vd::set_option(sock_, SOL_SOCKET, SO_RCVBUF, receive_buffer);
        if (::connect(sock_, a.get(), a.length) != 0) {
            const int e = vd::last_socket_error();
#if defined(_WIN32)
            const bool pending = e == WSAEWOULDBLOCK;
#else
            const bool pending = e == EINPROGRESS;
#endif
            if (!pending || !wait(POLLOUT, timeout_)) {
                close();
                return;
            }
            int err = 0;
            vd::sock_len len = static_cast<vd::sock_len>(sizeof err);
            ::getsockopt(sock_, SOL_SOCKET, SO_ERROR, reinterpret_cast<char*>(&err), &len);
            if (err != 0) {
                close();
                return;
            }
        }
    }
    client(const client&) = delete;
    client& operator=(const client&) = delete;
    client(client&& o) noexcept
        : timeout_(o.timeout_), sock_(o.sock_), buffer_(std::move(o.buffer_)) {
        o.sock_ = vd::invalid_socket;
    }
    ~client() { close(); }

    bool connected() const { return sock_ != vd::invalid_socket; }
    vd::socket_t handle() const { return sock_; }

    /// Sends everything before the deadline; false on error or timeout.
    bool send_all(std::string_view data) {
        const auto until = clock_type::now() + timeout_;
        while (!data.empty()) {
            const long long n = vd::send_two(sock_, data.data(), data.size(), nullptr, 0);
            if (n > 0) {
                data.remove_prefix(static_cast<std::size_t>(n));
                continue;
            }
            if (n < 0 && !vd::is_would_block(vd::last_socket_error())) return false;
            if (!wait(POLLOUT, remaining(until))) return false;
        }
        return true;
    }

    /// Reads one response (no body for HEAD). Returns status 0 on timeout or bad syntax.
    response read_response(bool head = false) {
        response r;
        const auto until = clock_type::now() + timeout_;
        std::size_t end;
        while ((end = buffer_.find("\r\n\r\n")) == std::string::npos)
            if (!fill(until)) return r;
        const std::string head_text = buffer_.substr(0, end);
        buffer_.erase(0, end + 4);
        std::size_t line_end = head_text.find("\r\n");
        const std::string status_line = head_text.substr(0, line_end);
        if (status_line.size() < 12 || status_line.compare(0, 9, "HTTP/1.1 ") != 0) return r;
        const int status = std::stoi(status_line.substr(9, 3));
        while (line_end != std::string::npos) {
            const std::size_t start = line_end + 2;
            line_end = head_text.find("\r\n", start);
            const std::string line = head_text.substr(
                start, line_end == std::string::npos ? std::string::npos : line_end - start);
            const std::size_t colon = line.find(':');
            if (colon == std::string::npos) return r;
            std::string name = line.substr(0, colon);
            for (char& c : name)
                if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
            std::size_t v = colon + 1;
            while (v < line.size() && line[v] == ' ') ++v;
            r.headers[name] = line.substr(v);
        }
        if (status >= 100 && status < 200) { // an interim response: a head alone
            r.status = status;
            return r;
        }
        if (!r.has("content-length")) return r;
        const std::size_t length = std::stoul(r.header("content-length"));
        if (!head) {
            while (buffer_.size() < length)
                if (!fill(until)) return r;
            r.body = buffer_.substr(0, length);
            buffer_.erase(0, length);
        }
        r.status = status;
        return r;
    }

    /// True when the server closes (FIN or reset) within `wait_for`, discarding data.
    bool closed_by_peer(std::chrono::milliseconds wait_for) {
        const auto until = clock_type::now() + wait_for;
        char tmp[4096];
        for (;;) {
            const long long n = vd::receive(sock_, tmp, sizeof tmp);
            if (n == 0) return true;
            if (n < 0 && !vd::is_would_block(vd::last_socket_error())) return true;
            if (n > 0) continue;
            if (!wait(POLLIN, remaining(until))) return false;
        }
    }

    /// Everything until the server closes or the deadline passes.
    std::string read_all(std::chrono::milliseconds wait_for) {
        const auto until = clock_type::now() + wait_for;
        while (fill(until)) {}
        std::string all;
        all.swap(buffer_);
        return all;
    }

    void shutdown_write() { vd::shutdown_send(sock_); }

    /// Closes with a reset (RST) instead of FIN.
    void reset() {
        linger l;
        l.l_onoff = 1;
        l.l_linger = 0;
        ::setsockopt(sock_, SOL_SOCKET, SO_LINGER, reinterpret_cast<const char*>(&l),
                     static_cast<vd::sock_len>(sizeof l));
        close();
    }

    void close() {
        vd::close_socket(sock_);
        sock_ = vd::invalid_socket;
    }

private:
    static std::chrono::milliseconds remaining(clock_type::time_point until) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(until - clock_type::now());
        return left.count() > 0 ? left : std::chrono::milliseconds(0);
    }

    bool wait(int events, std::chrono::milliseconds wait_for) {
        vd::poll_fd p;
        p.fd = sock_;
        p.events = static_cast<short>(events);
        p.revents = 0;
        return vd::poll_sockets(&p, 1, static_cast<int>(wait_for.count())) > 0;
    }

    // Appends received bytes; false at end of stream, on error or at the deadline.
    bool fill(clock_type::time_point until) {
        char tmp[16384];
        for (;;) {
            const long long n = vd::receive(sock_, tmp, sizeof tmp);
            if (n > 0) {
                buffer_.append(tmp, static_cast<std::size_t>(n));
                return true;
            }
            if (n == 0) return false;
            if (!vd::is_would_block(vd::last_socket_error())) return false;
            if (!wait(POLLIN, remaining(until))) return false;
        }
    }

    vd::socket_library library_;
    std::chrono::milliseconds timeout_;
    vd::socket_t sock_ = vd::invalid_socket;
    std::string buffer_;
};

/// Sends `raw` on a new connection and reads one response.
inline response exchange(std::uint16_t port, std::string_view raw, bool head = false,
                         const char* host = "127.0.0.1") {
    client c(host, port);
    if (!c.connected() || !c.send_all(raw)) return response{};
    return c.read_response(head);
}

/// GET `path` with HTTP/1.1 and Connection: close.
inline response get(std::uint16_t port, const std::string& path, const std::string& extra = "",
                    const char* host = "127.0.0.1") {
    return exchange(
        port, "GET " + path + " HTTP/1.1\r\nHost: test\r\nConnection: close\r\n" + extra + "\r\n",
        false, host);
}

/// Polls until `pred()` holds or `limit` passes.
template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds limit = std::chrono::milliseconds(3000)) {
    const auto until = clock_type::now() + limit;
    while (clock_type::now() < until) {
        if (pred()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return pred();
}

} // namespace test_http

#endif // VITALS_TESTS_SERVER_CLIENT_HPP
