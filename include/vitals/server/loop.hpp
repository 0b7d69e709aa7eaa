// vitals/server/loop.hpp - the listener and the poll loop: accepts, reads, parses, writes.
// SPDX-License-Identifier: MIT
#ifndef VITALS_SERVER_LOOP_HPP
#define VITALS_SERVER_LOOP_HPP

#include <vitals/config.hpp>
#include <vitals/error.hpp>
#include <vitals/family.hpp>
#include <vitals/gauge.hpp>
#include <vitals/server/connection.hpp>
#include <vitals/server/options.hpp>
#include <vitals/server/request_parser.hpp>
#include <vitals/server/response.hpp>
#include <vitals/server/socket.hpp>

#include <atomic>  // atomic
#include <chrono>  // steady_clock, milliseconds
#include <cstddef> // size_t
#include <cstdint> // uint16_t
#include <string>  // string, to_string
#include <thread>  // sleep_for
#include <utility> // move
#include <vector>  // vector

VITALS_BEGIN_NAMESPACE
namespace detail {

/// What the loop calls for each request; health_server implements it.
class request_handler {
public:
    /// Answers the complete request in c.parser through `w`.
    virtual void respond(server_connection& c, response_writer& w) = 0;
    /// Answers with an error status (malformed request, deadline, over a cap); the
    /// connection closes after it.
    virtual void reject(server_connection& c, response_writer& w, int code, const char* reason) = 0;

protected:
    request_handler() = default;
    request_handler(const request_handler&) = default;
    request_handler& operator=(const request_handler&) = default;
    ~request_handler() = default;
};

/// The listening socket and the poll loop of one server thread. Owns every connection:
/// reads and parses requests, hands complete ones to the handler, writes what it queued,
/// and enforces deadlines, output backpressure and the connection cap.
class server_loop {
public:
    using clock = std::chrono::steady_clock;

    server_loop(const server_options& options, request_handler& handler)
        : options_(options), handler_(handler) {}
    server_loop(const server_loop&) = delete;
    server_loop& operator=(const server_loop&) = delete;
    ~server_loop() { close(); }

    /// Binds, listens and opens the wake-up channel; the options must be valid.
    status open() {
        if (sockets_.error() != 0)
            return status(errc::network_error, "cannot initialise Winsock (WSAStartup): " +
                                                   socket_error_text(sockets_.error()));
        status st = open_listener();
        if (!st.ok()) return st;
        const int wake_error = wake_.open();
        if (wake_error != 0) {
            close();
            return status(errc::network_error, "cannot create the server's wake-up channel: " +
                                                   socket_error_text(wake_error));
        }
        quit_.store(false);
        return {};
    }

    /// Closes the listener and the wake-up channel (after run() returned).
    void close() noexcept {
        wake_.close();
        close_socket(listener_);
        listener_ = invalid_socket;
        port_.store(0);
    }

    /// Makes run() return soon; safe from any thread.
    void request_stop() noexcept {
        quit_.store(true);
        wake_.signal();
    }

    /// The bound port while open, else 0.
    std::uint16_t port() const noexcept { return port_.load(); }

    /// A gauge kept equal to the number of open connections (may be null).
    void set_connections_gauge(gauge* g) noexcept { connections_gauge_ = g; }

    /// Serves until request_stop(); closes every connection before it returns.
    void run() {
        limits_.max_request_line = options_.max_request_line;
        limits_.max_header_bytes = options_.max_header_bytes;
        limits_.max_headers = options_.max_headers;
        limits_.max_body_bytes = options_.max_body_bytes;
        receive_buffer_.resize(std::size_t{64} * 1024);
        bool backing_off = false;
        clock::time_point backoff_until{};
        while (!quit_.load()) {
            set_now();
            for (auto& c : connections_)
                if (!c->dead && deadline(*c) <= now_) on_deadline(*c);
            remove_dead();
            if (backing_off && now_ >= backoff_until) backing_off = false;

            poll_set_.clear();
            poll_set_.push_back(make_poll(wake_.handle(), POLLIN));
            const std::size_t first = backing_off ? 1 : 2;
            if (!backing_off) poll_set_.push_back(make_poll(listener_, POLLIN));
            for (auto& c : connections_) {
                int events = 0;
                if (c->lingering || reading(*c)) events |= POLLIN;
                if (c->pending() > 0 && !c->lingering) events |= POLLOUT;
                poll_set_.push_back(make_poll(c->sock, events));
            }
            const std::size_t polled = connections_.size();
            const int n = poll_sockets(poll_set_.data(), poll_set_.size(),
                                       poll_timeout(backing_off, backoff_until));
            if (n < 0) {
                // EINTR, or a transient failure (ENOMEM): retry shortly, never spin or die.
                if (!is_interrupted(last_socket_error()))
                    std::this_thread::sleep_for(std::chrono::milliseconds(10));
                continue;
            }
            set_now();
            if (poll_set_[0].revents != 0) wake_.drain();
            for (std::size_t i = 0; i < polled; ++i) {
                const int revents = poll_set_[first + i].revents;
                if (revents != 0) on_events(*connections_[i], revents);
            }
            if (!backing_off && (poll_set_[1].revents & (POLLIN | POLLERR)) != 0 &&
                !accept_clients()) {
                backing_off = true;
                backoff_until = now_ + std::chrono::milliseconds(100);
            }
            remove_dead();
        }
        for (auto& c : connections_) c->dead = true;
        remove_dead();
    }

private:
    using connection = server_connection;

    static constexpr std::size_t backpressure_bytes = std::size_t{1024} * 1024;

    void set_now() {
        now_ = clock::now();
        writer_.set_now(now_);
    }

    status open_listener() {
        socket_address addr;
        parse_address(options_.bind_address, options_.port, addr);
        const std::string where = format_address(addr);
        socket_t s = open_stream_socket(addr.family());
        if (s == invalid_socket)
            return status(errc::network_error, "cannot create a socket for " + where + ": " +
                                                   socket_error_text(last_socket_error()));
#if defined(_WIN32)
        // Without it, another program could bind the same port with SO_REUSEADDR and steal
        // connections.
        set_option(s, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, 1);
#else
        // Lets a restarted server bind while old connections sit in TIME_WAIT. Unlike
        // SO_REUSEPORT it never lets two live servers share the port.
        set_option(s, SOL_SOCKET, SO_REUSEADDR, 1);
#endif
        if (addr.family() == AF_INET6)
            set_option(s, IPPROTO_IPV6, IPV6_V6ONLY, options_.ipv6_only ? 1 : 0);
        if (::bind(s, addr.get(), addr.length) != 0) {
            const int e = last_socket_error();
            close_socket(s);
            std::string message = "cannot listen on " + where + ": " + socket_error_text(e);
            if (is_address_in_use(e)) {
                message += "; port " + std::to_string(options_.port) +
                           " is already in use by another program or server";
                if (options_.port == 9090)
                    message += " (9090 is also the default port of Prometheus itself: if a "
                               "Prometheus server runs on this host, pick another port)";
            }
            return status(errc::network_error, std::move(message));
        }
        if (::listen(s, options_.backlog) != 0) {
            const int e = last_socket_error();
            close_socket(s);
            return status(errc::network_error,
                          "cannot listen on " + where + ": " + socket_error_text(e));
        }
        listener_ = s;
        port_.store(local_port(s));
        return {};
    }

    static poll_fd make_poll(socket_t s, int events) noexcept {
        poll_fd p;
        p.fd = s;
        p.events = static_cast<short>(events);
        p.revents = 0;
        return p;
    }

    int poll_timeout(bool backing_off, clock::time_point backoff_until) const {
        clock::time_point next = clock::time_point::max();
        if (backing_off) next = backoff_until;
        for (const auto& c : connections_) {
            const clock::time_point d = deadline(*c);
            if (d < next) next = d;
        }
        if (next == clock::time_point::max()) return -1;
        if (next <= now_) return 0;
        const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(next - now_).count();
        return ms >= 60000 ? 60000 : static_cast<int>(ms) + 1;
    }

    clock::time_point deadline(const connection& c) const {
        if (c.lingering) return c.linger_until;
        if (c.pending() > 0) return c.output_start + options_.write_timeout;
        if (c.parser.started() || !c.held.empty())
            return c.request_start + options_.request_timeout;
        return c.last_activity + options_.idle_timeout;
    }

    void on_deadline(connection& c) {
        if (c.lingering || c.pending() > 0 || !c.parser.started() || c.close_after_write) {
            c.dead = true; // idle, or the client does not take its response: just close
            return;
        }
        handler_.reject(c, writer_, 408, "request timeout");
        flush(c);
    }

    // Accepts what is pending. Returns false when out of descriptors or memory: the caller
    // then stops polling the listener for a while and keeps serving open connections.
    bool accept_clients() {
        const std::size_t hard_cap = options_.max_connections + 64;
        for (int i = 0; i < 64; ++i) {
            const socket_t s = accept_connection(listener_);
            if (s == invalid_socket) {
                const int e = last_socket_error();
                if (is_resource_exhausted(e)) return false;
                if (is_would_block(e)) return true;
                continue; // ECONNABORTED and the like: that client is gone, try the next
            }
            if (connections_.size() >= hard_cap) {
                close_socket(s);
                continue;
            }
            set_option(s, IPPROTO_TCP, TCP_NODELAY, 1);
            connection* c = nullptr;
#if VITALS_HAS_EXCEPTIONS()
            try {
                reserve_more(connections_, 1); // then push_back cannot throw
                c = new connection(s, limits_, now_);
            } catch (...) {
                close_socket(s);
                return false;
            }
#else
            reserve_more(connections_, 1);
            c = new connection(s, limits_, now_);
#endif
            if (connections_gauge_) connections_gauge_->inc();
            connections_.push_back(c);
            if (connections_.size() > options_.max_connections) {
                connection& over = *connections_.back();
                handler_.reject(over, writer_, 503, "too many connections");
                flush(over);
            }
        }
        return true;
    }

    void remove_dead() {
        for (std::size_t i = 0; i < connections_.size();) {
            if (connections_[i]->dead) {
                if (connections_gauge_) connections_gauge_->dec();
                delete connections_[i];
                connections_[i] = connections_.back();
                connections_.pop_back();
            } else {
                ++i;
            }
        }
    }

    void on_events(connection& c, int revents) {
        if (c.dead) return;
        if ((revents & (POLLNVAL | POLLERR)) != 0) {
            c.dead = true; // reset or invalid: nothing more can be delivered
            return;
        }
        if ((revents & POLLHUP) != 0 && !c.lingering && !reading(c)) {
            // A hang-up while input is paused (WSAPoll reports a client's FIN this way, and
            // keeps reporting it): the client sends nothing more. Finish what it takes, or
            // close at once instead of polling the same event again and again.
            if ((revents & POLLOUT) == 0) {
                c.dead = true;
                return;
            }
            c.peer_closed = true;
            c.close_after_write = true;
        }
        if ((revents & (POLLIN | POLLHUP)) != 0) on_readable(c);
        if (!c.dead && (revents & POLLOUT) != 0) flush(c);
        if (!c.dead) resume(c);
    }

    // Whether input is wanted now: no output backlog, nothing held back, client still sending.
    static bool reading(const connection& c) noexcept {
        return !c.peer_closed && c.held.empty() && c.pending() < backpressure_bytes;
    }

    void on_readable(connection& c) {
        char* buffer = receive_buffer_.data();
        if (c.lingering) {
            // Discard what the client still sends so that closing does not reset the
            // connection before it has read the response.
            for (int i = 0; i < 16; ++i) {
                const long long n = receive(c.sock, buffer, receive_buffer_.size());
                if (n > 0) continue;
                if (n < 0 && is_would_block(last_socket_error())) return;
                c.dead = true;
                return;
            }
            return;
        }
        if (!reading(c)) return; // paused (see the poll set)
        const long long n = receive(c.sock, buffer, receive_buffer_.size());
        if (n > 0) {
            c.last_activity = now_;
            process(c, buffer, static_cast<std::size_t>(n));
            flush(c);
            return;
        }
        if (n == 0) {
            // The client finished sending. Answer what it asked for, then close; a partial
            // request can never complete.
            c.peer_closed = true;
            if (c.pending() == 0) c.dead = true;
            c.close_after_write = true;
            return;
        }
        const int e = last_socket_error();
        if (!is_would_block(e) && !is_interrupted(e)) c.dead = true;
    }

    // Parses and answers the requests in data[0, size). Stops when the pending output is over
    // the backpressure bound, keeping the rest in c.held.
    void process(connection& c, const char* data, std::size_t size) {
        std::size_t offset = 0;
        while (offset < size && !c.close_after_write && !c.dead) {
            if (c.pending() >= backpressure_bytes) {
                c.held.assign(data + offset, size - offset);
                return;
            }
            if (!c.parser.started()) c.request_start = now_;
            offset += c.parser.feed(data + offset, size - offset);
            const auto st = c.parser.status();
            if (st == http_request_parser::state::complete) {
                handler_.respond(c, writer_);
                c.parser.reset();
            } else if (st == http_request_parser::state::failed) {
                handler_.reject(c, writer_, c.parser.error_status(), c.parser.error_reason());
            }
        }
        c.held.clear();
    }

    // Continues with held input once the output has drained.
    void resume(connection& c) {
        if (c.held.empty() || c.pending() >= backpressure_bytes || c.close_after_write) return;
        held_swap_.swap(c.held);
        process(c, held_swap_.data(), held_swap_.size());
        held_swap_.clear();
        flush(c);
    }

    void flush(connection& c) {
        while (c.pending() > 0) {
            const long long n =
                send_two(c.sock, c.out.data() + c.out_offset, c.pending(), nullptr, 0);
            if (n > 0) {
                c.out_offset += static_cast<std::size_t>(n);
                c.last_activity = now_;
                continue;
            }
            const int e = last_socket_error();
            if (n < 0 && is_interrupted(e)) continue;
            if (n < 0 && is_would_block(e)) return;
            c.dead = true; // reset by the peer (EPIPE/ECONNRESET): no signal, just close
            return;
        }
        c.out.clear();
        c.out_offset = 0;
        if (c.close_after_write) finish(c);
    }

    // The response is out; close gracefully: FIN, then discard input until the client closes.
    void finish(connection& c) {
        if (c.peer_closed) {
            c.dead = true;
            return;
        }
        shutdown_send(c.sock);
        c.lingering = true;
        const auto limit = std::chrono::milliseconds(2000);
        c.linger_until =
            now_ + (options_.request_timeout < limit ? options_.request_timeout : limit);
    }

    const server_options& options_;
    request_handler& handler_;
    socket_library sockets_;
    wakeup wake_;
    socket_t listener_ = invalid_socket;
    std::atomic<bool> quit_{false};
    std::atomic<std::uint16_t> port_{0};
    gauge* connections_gauge_ = nullptr;

    // Owned by the server thread.
    http_limits limits_;
    response_writer writer_;
    std::vector<connection*> connections_; // owned; freed by remove_dead()
    std::vector<poll_fd> poll_set_;
    std::vector<char> receive_buffer_;
    std::string held_swap_;
    clock::time_point now_{};
};

} // namespace detail
VITALS_END_NAMESPACE

#endif // VITALS_SERVER_LOOP_HPP
