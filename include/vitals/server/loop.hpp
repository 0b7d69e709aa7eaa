// vitals/server/loop.hpp - the listener and the poll loop: accepts, reads, parses, writes.
// SPDX-License-Identifier: MIT
#ifndef VITALS_SERVER_LOOP_HPP
#define VITALS_SERVER_LOOP_HPP

#include <vitals/config.hpp>
#include <vitals/counter.hpp>
#include <vitals/error.hpp>
#include <vitals/family.hpp>
#include <vitals/gauge.hpp>
#include <vitals/server/close_reason.hpp>
#include <vitals/server/connection.hpp>
#include <vitals/server/options.hpp>
#include <vitals/server/request_parser.hpp>
#include <vitals/server/response.hpp>
#include <vitals/server/socket.hpp>
#include <vitals/server/thread.hpp>

#include <atomic>  // atomic
#include <chrono>  // steady_clock, milliseconds
#include <cstddef> // size_t
#include <cstdint> // uint16_t
#include <cstdlib> // qsort
#include <string>  // string, to_string
#include <utility> // move
#include <vector>  // vector
#if VITALS_DETAIL_CAN_CATCH()
#include <exception> // exception
#endif

#if !defined(_WIN32)
#include <sys/resource.h> // getrlimit, RLIMIT_NOFILE
#endif

VITALS_BEGIN_NAMESPACE
namespace detail {

/// What the loop calls for each request; health_server implements it.
class request_handler {
public:
    /// Answers the complete request in c.parser through `w`. Returns true when the answer was
    /// expensive (a rendered exposition): the connection's turn then ends.
    virtual bool respond(server_connection& c, response_writer& w) = 0;
    /// Answers with an error status (malformed request, deadline, over a cap); the
    /// connection closes after it.
    virtual void reject(server_connection& c, response_writer& w, int code, const char* reason) = 0;
    /// Whether respond() would refuse the request in c.parser, whose header section is
    /// complete, whatever its content (an unknown path, a method other than GET or HEAD, a
    /// missing credential). A client waiting for `100 Continue` then gets that answer at once
    /// and does not send the content.
    virtual bool refuses(const server_connection& c) const = 0;
    /// Whether respond() answers the complete request in c.parser with a rendered exposition
    /// body (an authorized GET of the metrics path): its output may be as large as the last.
    virtual bool renders(const server_connection& c) const = 0;

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
        status st = compute_caps();
        if (!st.ok()) return st;
        st = open_listener();
        if (!st.ok()) return st;
        const int wake_error = wake_.open();
        if (wake_error != 0) {
            close();
            return status(errc::network_error, "cannot create the server's wake-up channel: " +
                                                   socket_error_text(wake_error));
        }
        quit_.store(false);
        stop_request_.store(no_stop_request);
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

    /// Makes run() return once `drain` has passed, serving until then. Only for the server
    /// thread itself (a check or a collector that run() called).
    void stop_after(std::chrono::milliseconds drain) noexcept {
        const clock::time_point t = after(clock::now(), drain);
        if (t < stop_at_) stop_at_ = t;
    }

    /// stop_after() from another thread (a collector that another thread's scrape runs).
    void request_stop_after(std::chrono::milliseconds drain) noexcept {
        stop_request_.store(after(clock::now(), drain).time_since_epoch().count());
        wake_.signal();
    }

    /// The bound port while open and serving, else 0.
    std::uint16_t port() const noexcept { return port_.load(); }

    /// A gauge kept equal to the number of open connections (may be null).
    void set_connections_gauge(gauge* g) noexcept { connections_gauge_ = g; }

    /// Counters of the connections closed for each close_reason (entries may be null).
    void set_closed_counters(counter* const (&by_reason)[close_reason_count]) noexcept {
        for (std::size_t i = 0; i < close_reason_count; ++i) closed_[i] = by_reason[i];
    }

    /// Serves until request_stop() (or stop_after()); closes every connection and the
    /// listener before it returns, and port() reads 0 from then on.
    void run() {
        limits_.max_request_line = options_.max_request_line;
        limits_.max_header_bytes = options_.max_header_bytes;
        limits_.max_headers = options_.max_headers;
        limits_.max_body_bytes = options_.max_body_bytes;
        receive_buffer_.resize(receive_size);
        stop_at_ = (clock::time_point::max)();
        backing_off_ = false;
        while (!quit_.load()) {
#if VITALS_DETAIL_CAN_CATCH()
            // Out of memory (a request's or a response's buffers, a series of the server's
            // own metrics) must not end the server thread, which would end the program: the
            // connection being served is closed and the others go on. Outside a connection's
            // turn, the loop waits a moment and tries again, as after a failed poll.
            try {
                if (!one_turn()) break;
            } catch (const std::exception&) { // not (...): a thread cancellation goes through
                if (serving_)
                    serving_->dead = true;
                else
                    sleep_ms(10);
            }
            serving_ = nullptr;
#else
            if (!one_turn()) break;
#endif
        }
        for (auto& c : connections_) c->dead = true;
        remove_dead();
        // Closed now, not at close(): after a stop() from a check or a collector, run() ends
        // long before the owner joins the thread, and until then a bound listener would
        // complete connections nobody answers and keep the port from a new server.
        close_socket(listener_);
        listener_ = invalid_socket;
        port_.store(0);
    }

private:
    using connection = server_connection;

    // One turn of the loop: deadlines, a poll, then each connection with something to do.
    // Returns false when the server is to stop.
    bool one_turn() {
        set_now();
        const clock::rep requested = stop_request_.load();
        if (requested != no_stop_request) {
            const clock::time_point t{clock::duration(requested)};
            if (t < stop_at_) stop_at_ = t;
        }
        if (now_ >= stop_at_) return false;
        for (auto& c : connections_) {
            if (c->dead || deadline(*c) > now_) continue;
            serving_ = c;
            on_deadline(*c);
        }
        serving_ = nullptr;
        remove_dead();
        if (backing_off_ && now_ >= backoff_until_) backing_off_ = false;
        measure_output();

        poll_set_.clear();
        poll_set_.push_back(make_poll(wake_.handle(), POLLIN));
        const std::size_t first = backing_off_ ? 1 : 2;
        if (!backing_off_) poll_set_.push_back(make_poll(listener_, POLLIN));
        bool runnable = false; // held input that can go on without waiting for the socket
        bool render_waits = false;
        for (auto& c : connections_) {
            int events = 0;
            if (c->lingering || reading(*c)) events |= POLLIN;
            if (c->pending() > 0 && !c->lingering) events |= POLLOUT;
            poll_set_.push_back(make_poll(c->sock, events));
            runnable = runnable || can_resume(*c);
            render_waits = render_waits || c->render_waiting;
        }
        const std::size_t polled = connections_.size();
        int timeout = runnable ? 0 : poll_timeout(backing_off_, backoff_until_);
        // A waiting render may go on when output stops moving, which no socket reports.
        if (render_waits && (timeout < 0 || timeout > render_recheck_ms))
            timeout = render_recheck_ms;
        const int n = poll_sockets(poll_set_.data(), poll_set_.size(), timeout);
        if (n < 0) {
            // EINTR, or a transient failure (ENOMEM): retry shortly, never spin or die.
            if (!is_interrupted(last_socket_error())) sleep_ms(10);
            return true;
        }
        set_now();
        if (poll_set_[0].revents != 0) wake_.drain();
        // Each connection gets one turn: what it sent is read and at most a few of its
        // requests answered (one rendered exposition at most), or, when it has input held
        // back, the next few of those. Connections never served go first, newest first,
        // for up to half the time slice (a probe is usually a new connection, and a burst
        // of new connections must not delay it), then the others in rotation for the rest
        // of the slice; the rest keep their events for the next turn.
        ++turn_;
        writer_.set_turn(turn_);
        for (std::size_t i = 0; i < polled; ++i)
            if ((poll_set_[first + i].revents & (POLLIN | POLLHUP)) != 0)
                connections_[i]->polled_input_turn = turn_;
        const clock::time_point slice_end = now_ + turn_slice;
        clock::time_point fresh_end = now_ + turn_slice / 2;
        bool render_excused = false;
        for (std::size_t k = polled; k > 0; --k) { // newest first
            const std::size_t i = k - 1;
            if (connections_[i]->turns != 0 || poll_set_[first + i].revents == 0) continue;
            const clock::time_point served_at = clock::now();
            rendered_ = false;
            serve(i, first);
            // The turn's one render does not use up the new connections' time: the other
            // GETs of the turn share it, and a flood of new connections asking for slow
            // renders would else leave a probe on a new connection behind all of them.
            if (rendered_ && !render_excused) {
                fresh_end += clock::now() - served_at;
                render_excused = true;
            }
            if (clock::now() >= fresh_end) break;
        }
        // The rotation has at least half a slice, and serves at least one connection,
        // even when new ones overran the slice; and it leaves connections never served to
        // the loop above. Else a flood of new connections that each ask for something slow
        // (a large render) would put every established client, a keep-alive scraper among
        // them, behind all of them.
        const clock::time_point half_slice_later = clock::now() + turn_slice / 2;
        const clock::time_point rotation_end =
            slice_end < half_slice_later ? half_slice_later : slice_end;
        for (std::size_t k = 0; k < polled; ++k) {
            const std::size_t i = (rotation_ + k) % polled;
            connection& c = *connections_[i];
            if (c.last_turn == turn_ || c.turns == 0) continue;
            const bool has_work = poll_set_[first + i].revents != 0 || can_resume(c);
            if (!has_work) {
                c.last_turn = turn_;
                continue;
            }
            serve(i, first);
            if (clock::now() >= rotation_end) {
                rotation_ = i + 1;
                break;
            }
        }
        if (!backing_off_ && (poll_set_[1].revents & (POLLIN | POLLERR)) != 0 &&
            !accept_clients()) {
            backing_off_ = true;
            backoff_until_ = now_ + std::chrono::milliseconds(50);
        }
        measure_output();
        if (output_total_ > output_budget_) shed_output();
        remove_dead();
        return true;
    }

    // Bytes read from a socket at once: small enough that the input a connection has sent
    // ahead (held while its earlier requests wait their turn) stays small across many
    // connections.
    static constexpr std::size_t receive_size = std::size_t{16} * 1024;
    // Requests answered per connection per loop turn; a rendered exposition ends the turn.
    static constexpr int requests_per_turn = 16;
    // A connection answers its next pipelined request only while less than this much of its
    // output is queued (one response may be larger): a client that does not read holds at
    // most about one response.
    static constexpr std::size_t pipeline_output = std::size_t{64} * 1024;
    // Sockets a full server may accept beyond its cap to answer 503 and close.
    static constexpr std::size_t spare_sockets = 8;
    // Time one loop turn may spend serving connections before it polls again.
    static constexpr std::chrono::milliseconds turn_slice{20};
    // Output buffers larger than this are freed once sent, not kept for the next response.
    static constexpr std::size_t keep_capacity = std::size_t{16} * 1024;
    // Bytes a client must take of its queued output (or all of it, if less) within each
    // write_timeout: the progress that restarts that deadline.
    static constexpr std::size_t min_progress = std::size_t{16} * 1024;
    // How long a new connection may stay silent before it counts as idle (see idle()).
    static constexpr std::chrono::milliseconds silent_grace{1000};
    // How often the loop looks again while a render waits for output room (milliseconds).
    static constexpr int render_recheck_ms = 50;

    static std::size_t saturating_add(std::size_t a, std::size_t b) noexcept {
        return a > ~std::size_t{0} - b ? ~std::size_t{0} : a + b;
    }

    // A deadline `d` after `t`; a duration too long to represent means never.
    static clock::time_point after(clock::time_point t, std::chrono::milliseconds d) noexcept {
        const auto room =
            std::chrono::duration_cast<std::chrono::milliseconds>((clock::time_point::max)() - t);
        if (d >= room) return (clock::time_point::max)();
        return t + std::chrono::duration_cast<clock::duration>(d);
    }

    // The caps that depend on the process: sockets the server may hold (a share of
    // RLIMIT_NOFILE leaving descriptor_reserve to the application) and connections served.
    status compute_caps() {
        std::size_t sockets = saturating_add(options_.max_connections, spare_sockets);
#if !defined(_WIN32)
        rlimit rl{};
        if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
            // Through unsigned long long: rlim_t and size_t differ in width on some targets.
            const auto raw = static_cast<unsigned long long>(rl.rlim_cur);
            const std::size_t limit =
                raw > ~std::size_t{0} ? ~std::size_t{0} : static_cast<std::size_t>(raw);
            const std::size_t own = 3; // the listener and the wake-up pipe
            const std::size_t reserve =
                options_.descriptor_reserve < limit / 2 ? options_.descriptor_reserve : limit / 2;
            if (limit < reserve + own + 2 * spare_sockets)
                return status(errc::invalid_argument,
                              "health_server: the descriptor limit (RLIMIT_NOFILE " +
                                  std::to_string(limit) + ") minus descriptor_reserve (" +
                                  std::to_string(reserve) +
                                  ") leaves too few sockets for client connections");
            const std::size_t allowed = limit - reserve - own;
            if (allowed < sockets) sockets = allowed;
        }
#endif
        socket_cap_ = sockets;
        active_cap_ = options_.max_connections < sockets - spare_sockets ? options_.max_connections
                                                                         : sockets - spare_sockets;
        per_connection_output_ = options_.max_output_bytes / 4 < pipeline_output
                                     ? options_.max_output_bytes / 4
                                     : pipeline_output;
        output_budget_ = options_.max_output_bytes;
        return {};
    }

    void set_now() {
        now_ = clock::now();
        writer_.set_now(now_);
    }

    // Output queued plus input held back, over all connections.
    void measure_output() noexcept {
        std::size_t total = 0, moving = 0;
        for (const auto& c : connections_) {
            if (c->dead) continue; // freed soon
            total += c->pending() + c->held.size();
            if (output_moving(*c)) moving += c->pending();
        }
        output_total_ = total;
        moving_output_ = moving;
    }

    // Whether the client of `c` is taking its queued output: some of it within silent_grace.
    bool output_moving(const connection& c) const noexcept {
        return c.pending() > 0 && now_ - c.output_progress < silent_grace;
    }

    // Over the global output budget: close the connections whose output has gone longest
    // without being taken (the slowest readers) until the rest fits. The running total
    // is an upper bound between measurements (held input is not tracked as it changes), so
    // it is measured again first: clients that read what they asked for are never closed.
    // Only connections with output that has stalled are closed: not one whose output is
    // moving (taken, or just queued, within silent_grace), so that one render larger than
    // the whole budget goes to its reader whole (renders wait while moving output would leave
    // no room for another, see render_must_wait: moving output stays within the budget plus
    // one render), and not one that only has input held (pipelined requests waiting for
    // their turn, bounded by the receive buffer).
    void shed_output() {
        measure_output();
        if (output_total_ <= output_budget_) return;
        // Progress is noted only when this thread sends, and a render may have kept it busy
        // for a while: send what the clients have room for first, so that one that read
        // promptly meanwhile is not taken for a stalled one.
        set_now();
        for (auto* c : connections_)
            if (!c->dead && !c->lingering && c->pending() > 0) flush(*c);
        measure_output();
        if (output_total_ <= output_budget_) return;
        shed_.clear();
        for (auto* c : connections_)
            if (!c->dead && c->pending() > 0 && !output_moving(*c)) shed_.push_back(c);
        // std::qsort, not std::sort: this rare path is the server's only sort, and <algorithm>
        // with a std::sort instantiation is a noticeable share of the compile time of every
        // file that includes the server.
        if (shed_.size() > 1) {
            // NOLINTNEXTLINE(bugprone-sizeof-expression): the elements sorted are pointers
            std::qsort(shed_.data(), shed_.size(), sizeof shed_[0], &stalled_longer);
        }
        for (auto* c : shed_) {
            if (output_total_ <= output_budget_) break;
            output_total_ -= c->pending() + c->held.size();
            c->dead = true;
            count_close(close_reason::output_budget);
        }
    }

    // Orders connections for qsort by when their output was last taken, oldest first.
    static int stalled_longer(const void* a, const void* b) noexcept {
        const connection& x = **static_cast<connection* const*>(a);
        const connection& y = **static_cast<connection* const*>(b);
        if (x.output_progress < y.output_progress) return -1;
        return y.output_progress < x.output_progress ? 1 : 0;
    }

    status open_listener() {
        socket_address addr;
        parse_address(options_.bind_address, static_cast<std::uint16_t>(options_.port), addr);
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

    // One turn of connection i: its poll events, then its held input (or waiting render).
    void serve(std::size_t i, std::size_t first) {
        connection& c = *connections_[i];
        serving_ = &c;
        c.last_turn = turn_;
        const int revents = poll_set_[first + i].revents;
        const bool had_held = !c.held.empty() || c.render_waiting;
        if (revents != 0 || had_held) ++c.turns;
        if (revents != 0) on_events(c, revents);
        if (had_held && !c.dead) resume(c);
        serving_ = nullptr;
    }

    static poll_fd make_poll(socket_t s, int events) noexcept {
        poll_fd p;
        p.fd = s;
        p.events = static_cast<short>(events);
        p.revents = 0;
        return p;
    }

    int poll_timeout(bool backing_off, clock::time_point backoff_until) const {
        clock::time_point next = stop_at_;
        if (backing_off && backoff_until < next) next = backoff_until;
        for (const auto& c : connections_) {
            const clock::time_point d = deadline(*c);
            if (d < next) next = d;
        }
        if (next == (clock::time_point::max)()) return -1;
        if (next <= now_) return 0;
        const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(next - now_).count();
        return ms >= 60000 ? 60000 : static_cast<int>(ms) + 1;
    }

    clock::time_point deadline(const connection& c) const {
        if (c.lingering) return c.linger_until;
        if (c.pending() > 0) return after(c.output_progress, options_.write_timeout);
        if (c.parser.started()) return after(c.request_start, options_.request_timeout);
        // Input held back with nothing queued (pipelined requests past a turn's share) is
        // the server's own backlog, answered in the next turns (see can_resume()): no
        // deadline. Timed from the start of the request answered before it, a render or
        // another connection's render in the same turn that took longer than
        // request_timeout closed the connection, its pipelined requests unanswered.
        if (!c.held.empty()) return (clock::time_point::max)();
        return after(c.last_activity, options_.idle_timeout);
    }

    // Whether closing `c` loses nothing: no request in progress, no input held, no output
    // queued, not closing already, and the client has sent a byte before (a keep-alive
    // connection between requests) or has stayed silent for silent_grace (a client that has
    // just connected is about to send its request; one that says nothing for longer is
    // dead or a slowloris-style flood).
    bool idle(const connection& c) const noexcept {
        return !c.dead && !c.lingering && !c.close_after_write && !c.parser.started() &&
               c.held.empty() && !c.render_waiting && c.pending() == 0 &&
               (c.spoke || now_ - c.last_activity >= silent_grace);
    }

    // Whether `c` is a request still arriving silent_grace after its first byte, with nothing
    // queued for the client: real clients send a request at once, so this one is stalled or
    // trickled byte by byte (a slowloris-style flood), however recently its last byte came.
    bool stalled(const connection& c) const noexcept {
        return !c.dead && !c.lingering && !c.close_after_write && c.parser.started() &&
               c.held.empty() && !c.render_waiting && c.pending() == 0 &&
               now_ - c.request_start >= silent_grace;
    }

    // Whether the client of `c` has left its queued output untaken (less than min_progress of
    // it) for silent_grace: it stopped reading, or reads too slowly to be worth a slot.
    bool not_reading(const connection& c) const noexcept {
        return !c.dead && !c.lingering && c.pending() > 0 &&
               now_ - c.output_progress >= silent_grace;
    }

    // The idle connection (never `keep`) that has waited longest, passing over those whose
    // client sent a request after this turn's poll (while the turn served others, a render
    // perhaps): it has not been read yet, but closing it would lose that request. Input the
    // poll saw is not passed over: a connection the turn left unserved (a flood's backlog)
    // stays closable, and as its input is read in a later turn, a client gains at most one
    // turn by its timing and cannot keep its connection from being picked.
    connection* oldest_idle(const connection* keep) {
        for (;;) {
            connection* oldest = nullptr;
            for (auto* c : connections_)
                if (c != keep && idle(*c) && c->late_input_turn != turn_ &&
                    (!oldest || c->last_activity < oldest->last_activity))
                    oldest = c;
            // One look (a peeking recv) per connection and turn at most.
            if (!oldest || oldest->polled_input_turn == turn_ || !input_waiting(oldest->sock))
                return oldest;
            oldest->late_input_turn = turn_;
        }
    }

    // Whether `c` has sent nothing, has nothing in progress, and its client has already
    // closed it: a TCP connect check or a port scan, accepted from the backlog with its end
    // unseen until the next poll. Looked at once per turn at most (a peeking recv).
    bool gone_silent(connection& c) {
        if (c.dead || c.spoke || c.lingering || c.close_after_write || c.parser.started() ||
            !c.held.empty() || c.render_waiting || c.pending() > 0 || c.gone_checked_turn == turn_)
            return false;
        c.gone_checked_turn = turn_;
        return closed_before_input(c.sock);
    }

    // Removes the connections whose clients left without a word (see gone_silent()), but
    // `keep`: they hold a slot and are younger than silent_grace, so without this a burst of
    // them took the place of idle keep-alive clients (counted as closed for the connection
    // limit) or got a probe 503. Not counted: the client had gone. True when one went.
    bool drop_gone_silent(const connection* keep) {
        bool dropped = false;
        for (auto* c : connections_)
            if (c != keep && gone_silent(*c)) c->dead = dropped = true;
        if (dropped) remove_dead();
        return dropped;
    }

    // Closes a connection to make room for a new client (never `keep`): the idle one that has
    // waited longest, else the lingering one (its response sent) that began lingering first,
    // else the stalled request that began first, else the client that has taken none of its
    // output for longest. False when there is none: a request younger than silent_grace, or
    // output taken within it, is never closed for room.
    bool make_room(const connection* keep = nullptr) {
        if (drop_gone_silent(keep)) return true;
        connection* oldest = oldest_idle(keep);
        if (!oldest)
            for (auto* c : connections_)
                if (c != keep && !c->dead && c->lingering &&
                    (!oldest || c->linger_until < oldest->linger_until))
                    oldest = c;
        if (!oldest)
            for (auto* c : connections_)
                if (c != keep && stalled(*c) &&
                    (!oldest || c->request_start < oldest->request_start))
                    oldest = c;
        if (!oldest)
            for (auto* c : connections_)
                if (c != keep && not_reading(*c) &&
                    (!oldest || c->output_progress < oldest->output_progress))
                    oldest = c;
        if (!oldest) return false;
        // A lingering client's input is read first, so that closing sends no reset; one that
        // has closed its end meanwhile was done, not closed for room.
        if (!(oldest->lingering && discard_input(*oldest)))
            count_close(close_reason::connection_limit);
        oldest->dead = true;
        remove_dead();
        return true;
    }

    // Reads what `c` sent while this thread was busy past its deadline (a long render or a
    // check on another connection held it, and deadlines are judged before the poll): true
    // when that input saves it, a request begun on an idle connection or the request in
    // progress completed (answered, or held for a later turn). Input of the request in
    // progress that leaves it incomplete does not: a request trickled byte by byte still
    // gets its 408 at request_timeout.
    bool read_late_input(connection& c) {
        const bool started = c.parser.started();
        const clock::time_point start = c.request_start;
        const clock::time_point activity = c.last_activity;
        on_readable(c);
        if (c.dead || c.lingering || c.close_after_write || c.pending() > 0 || !c.held.empty() ||
            c.render_waiting)
            return true; // answered, closed, or the server's own backlog now
        if (!started) return c.last_activity != activity;
        return !c.parser.started() || c.request_start != start;
    }

    void on_deadline(connection& c) {
        if (!c.lingering && c.pending() > 0) {
            // Poll reports a socket writable only once much of its buffer is free, so a
            // client that reads steadily but slowly may have taken output without this
            // thread noticing: try to send before judging it stalled.
            const clock::time_point before = c.output_progress;
            flush(c);
            if (c.dead || c.pending() == 0 || c.output_progress != before) return;
        }
        if (!c.lingering && !c.close_after_write && c.pending() == 0 && reading(c) &&
            read_late_input(c))
            return;
        if (c.lingering || c.pending() > 0 || !c.parser.started() || c.close_after_write) {
            // Idle, or the client does not take its response: just close. Only the second
            // is worth an operator's attention (an idle keep-alive ending is routine).
            if (!c.lingering && c.pending() > 0) count_close(close_reason::write_timeout);
            c.dead = true;
            return;
        }
        c.render_waiting = false; // answered now: 408
        handler_.reject(c, writer_, 408, "request timeout");
        flush(c);
    }

    // Accepts what is pending. Returns false when no socket can be taken now (out of
    // descriptors or memory, or at the socket cap with no idle connection to give up): the
    // caller then stops polling the listener for a while and keeps serving open connections.
    bool accept_clients() {
        for (int i = 0; i < 256; ++i) {
            // At the socket cap, an idle connection, a stalled request or a client that does not
            // read makes room for a new client (a probe must get an answer, not wait in the
            // backlog).
            if (connections_.size() >= socket_cap_ && !make_room()) return false;
            const socket_t s = accept_connection(listener_);
            if (s == invalid_socket) {
                const int e = last_socket_error();
                // Out of descriptors below the socket cap (the application holds more than
                // descriptor_reserve): give one up as at the cap, so that idle or silent
                // connections cannot keep probes out; else back off.
                if (is_resource_exhausted(e)) {
                    if (!connections_.empty() && make_room()) continue;
                    return false;
                }
                if (is_would_block(e)) return true;
                continue; // ECONNABORTED and the like: that client is gone, try the next
            }
            set_option(s, IPPROTO_TCP, TCP_NODELAY, 1);
            connection* c = nullptr;
#if VITALS_DETAIL_CAN_CATCH()
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
            // Over the cap (max_connections, or what the descriptor limit allows): an idle
            // connection, a stalled request or a client that does not read makes room, else
            // 503. None of them may lock probes out until its timeout. The clients answered
            // 503 linger a while and count against the cap too, so one connection given up
            // may not be enough: the new one is served only once the count is back under it.
            // A client that has already left (a connect check) is not worth a slot: closed
            // here, it makes no other client give up its connection, nor gets a 503.
            if (connections_.size() > active_cap_ && gone_silent(*c)) {
                c->dead = true;
                remove_dead();
                continue;
            }
            while (connections_.size() > active_cap_ && make_room(c)) {}
            if (connections_.size() > active_cap_) {
                serving_ = c; // out of memory answering it closes it: it is over the cap
                handler_.reject(*c, writer_, 503, "too many connections");
                flush(*c);
                serving_ = nullptr;
            }
        }
        return true;
    }

    void count_close(close_reason why) noexcept {
        if (counter* c = closed_[static_cast<std::size_t>(why)]) c->inc();
    }

    // Keeps the others in the order they were accepted: a turn serves new connections
    // newest first by that order (a probe is usually the newest).
    void remove_dead() {
        std::size_t kept = 0;
        for (connection* c : connections_) {
            if (!c->dead) {
                connections_[kept++] = c;
                continue;
            }
            if (connections_gauge_) connections_gauge_->dec();
            delete c;
        }
        // Shrinks (no allocation); pop_back() is cheaper to compile than resize().
        while (connections_.size() > kept) connections_.pop_back();
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
    }

    // Whether the connection may produce more output now: under its own output bound, and,
    // when the server is over its global budget, only if nothing of its own is queued.
    bool may_answer(const connection& c) const noexcept {
        if (c.pending() >= per_connection_output_) return false;
        return output_total_ < output_budget_ || c.pending() == 0;
    }

    // Whether the render `c` asks for waits for output that other clients are taking: with
    // it, if it leaves as much queued as the last, their output would go over the budget,
    // which would then close one of them mid-body (two scrapers at once of an exposition
    // over half the budget, as a pair of Prometheus servers for high availability are).
    // Output that is not being taken does not make it wait: the budget closes those clients
    // instead. Waiting, it keeps its request_timeout; with nothing else moving, a render is
    // answered whatever its size.
    bool render_must_wait(const connection& c) const {
        const std::size_t own = output_moving(c) ? c.pending() : 0;
        return moving_output_ > own &&
               saturating_add(moving_output_, last_render_bytes_) > output_budget_ &&
               handler_.renders(c);
    }

    // Whether input is wanted now: may answer, nothing held back, client still sending.
    bool reading(const connection& c) const noexcept {
        return !c.peer_closed && c.held.empty() && !c.render_waiting && may_answer(c);
    }

    // Whether held input (or a render that waited) can be processed without waiting for the
    // socket.
    bool can_resume(const connection& c) const {
        if (c.dead || c.close_after_write || c.lingering || !may_answer(c)) return false;
        if (c.render_waiting) return !render_must_wait(c);
        return !c.held.empty();
    }

    // A lingering connection's input, read and dropped (a bounded amount): closing a socket
    // with unread input resets the connection, and a client may then lose the response it
    // has not read yet. At the client's end of stream (or an error) marks `c` dead and
    // returns true.
    bool discard_input(connection& c) {
        char* buffer = receive_buffer_.data();
        for (int i = 0; i < 16; ++i) {
            const long long n = receive(c.sock, buffer, receive_buffer_.size());
            if (n > 0) continue;
            if (n < 0 && is_would_block(last_socket_error())) return false;
            c.dead = true;
            return true;
        }
        return false;
    }

    void on_readable(connection& c) {
        char* buffer = receive_buffer_.data();
        if (c.lingering) {
            // Discard what the client still sends so that closing does not reset the
            // connection before it has read the response.
            static_cast<void>(discard_input(c));
            return;
        }
        if (!reading(c)) return; // paused (see the poll set)
        const long long n = receive(c.sock, buffer, receive_buffer_.size());
        if (n > 0) {
            c.last_activity = now_;
            c.spoke = true;
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

    // Parses and answers requests from data[0, size): at most requests_per_turn of them, and
    // no more after one that was expensive to answer (a rendered exposition) or once they
    // have taken turn_slice (slow checks), so no client keeps the thread from the others.
    // What is left, or what arrives while the connection may not answer (output
    // backpressure), is held for a later turn.
    void process(connection& c, const char* data, std::size_t size) {
        std::size_t offset = 0;
        int answered = 0;
        const clock::time_point began = now_;
        while (!c.close_after_write && !c.dead) {
            // A render that waited (see render_must_wait) is answered first: its request is
            // parsed already, and the parser still holds it.
            if (c.parser.status() != http_request_parser::state::complete) {
                if (offset >= size) break;
                if (answered >= requests_per_turn || !may_answer(c)) {
                    c.held.assign(data + offset, size - offset);
                    return;
                }
                if (!c.parser.started()) c.request_start = now_;
                offset += c.parser.feed(data + offset, size - offset);
            }
            const auto st = c.parser.status();
            if (st == http_request_parser::state::complete) {
                c.render_waiting = render_must_wait(c);
                if (c.render_waiting) {
                    c.held.assign(data + offset, size - offset);
                    return;
                }
                const std::size_t before = c.pending();
                const bool expensive = handler_.respond(c, writer_);
                rendered_ = rendered_ || expensive;
                // A response may take seconds (a render with slow collectors, checks that use
                // their check_budget). What the rest of the turn stamps, on this connection
                // and on those served after it (the progress flush() credits, activity, the
                // start of a request), happens after it: stamped with the turn's start, a
                // deadline would come early by the response's time.
                set_now();
                c.last_activity = now_; // the response went out or was queued just now
                if (c.pending() > before) {
                    output_total_ += c.pending() - before;
                    moving_output_ += c.pending() - before; // just queued: not stalled yet
                    // The client's time to take it starts now, not when the response began.
                    if (before == 0) c.output_progress = now_;
                }
                // What a render left queued (the socket took the rest at once): what the
                // next one may add to the budget. Only a rendered GET: /health is expensive
                // too (it runs every check), and its small answer taken for the last render
                // let the next render go ahead at once (see render_must_wait()).
                if (expensive && handler_.renders(c))
                    last_render_bytes_ = c.pending() > before ? c.pending() - before : 0;
                if (output_total_ > output_budget_) shed_output();
                c.parser.reset();
                ++answered;
                // A turn is bounded in time too: sixteen pipelined /live or /ready requests
                // whose checks take 100 ms each (within their check_budget) would else hold
                // the thread for 1.6 s per turn, and every probe on another connection late.
                if (expensive || now_ - began >= turn_slice) answered = requests_per_turn;
            } else if (st == http_request_parser::state::failed) {
                handler_.reject(c, writer_, c.parser.error_status(), c.parser.error_reason());
            } else if (c.parser.awaiting_continue()) {
                const std::size_t before = c.pending();
                if (handler_.refuses(c)) {
                    // The final answer now, instead of 100 Continue, so that the client does
                    // not send content that changes nothing. The connection closes after it:
                    // content the client sends anyway is discarded (see finish()), never read
                    // as a request.
                    c.parser.skip_content();
                    handler_.respond(c, writer_);
                } else {
                    writer_.queue_continue(c);
                    c.parser.continue_sent();
                }
                output_total_ += c.pending() - before;
            }
        }
        c.held.clear();
        if (c.held.capacity() > keep_capacity) std::string().swap(c.held);
    }

    // Continues with held input (one turn's worth).
    void resume(connection& c) {
        if (!can_resume(c)) return;
        c.render_waiting = false; // process() answers it first (its request stays complete)
        held_swap_.swap(c.held);
        process(c, held_swap_.data(), held_swap_.size());
        held_swap_.clear();
        if (held_swap_.capacity() > keep_capacity) std::string().swap(held_swap_);
        flush(c);
    }

    void flush(connection& c) {
        while (c.pending() > 0) {
            const long long n =
                send_two(c.sock, c.out.data() + c.out_offset, c.pending(), nullptr, 0);
            if (n > 0) {
                const auto sent = static_cast<std::size_t>(n);
                c.out_offset += sent;
                c.last_activity = now_;
                // Progress that restarts write_timeout: min_progress bytes taken (or all
                // that was queued), so a client trickling a byte at a time is still cut off.
                c.progress_sent += sent;
                if (c.progress_sent >= min_progress) {
                    c.output_progress = now_;
                    c.progress_sent = 0;
                }
                output_total_ -= sent < output_total_ ? sent : output_total_;
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
        // A large reply's buffer is not kept for the life of a keep-alive connection.
        if (c.out.capacity() > keep_capacity) std::string().swap(c.out);
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
    std::size_t last_render_bytes_ = 0; // the output of the last rendered GET
    bool rendered_ = false;             // a response rendered the exposition (see run())
    std::size_t moving_output_ = 0;     // queued output clients are taking (measure_output)
    socket_library sockets_;
    wakeup wake_;
    socket_t listener_ = invalid_socket;
    std::atomic<bool> quit_{false};
    // When request_stop_after() asked run() to return, as a steady_clock count.
    static constexpr clock::rep no_stop_request =
        (clock::time_point::max)().time_since_epoch().count();
    std::atomic<clock::rep> stop_request_{no_stop_request};
    std::atomic<std::uint16_t> port_{0};
    gauge* connections_gauge_ = nullptr;
    std::size_t socket_cap_ = 0;            // sockets held at most (listener not counted)
    std::size_t active_cap_ = 0;            // connections served at once
    std::size_t per_connection_output_ = 0; // queued output that pauses a connection
    std::size_t output_budget_ = 0;         // output bound of all connections together
    counter* closed_[close_reason_count] = {};

    // Owned by the server thread.
    http_limits limits_;
    response_writer writer_;
    std::vector<connection*> connections_; // owned; freed by remove_dead()
    // The poll set, rebuilt each turn: an array that grows as a vector's would, rather than
    // a std::vector<poll_fd>, whose push_back every file including server.hpp compiled.
    class poll_array {
    public:
        poll_array() = default;
        poll_array(const poll_array&) = delete;
        poll_array& operator=(const poll_array&) = delete;
        ~poll_array() { delete[] items_; }
        poll_fd* data() noexcept { return items_; }
        std::size_t size() const noexcept { return size_; }
        poll_fd& operator[](std::size_t i) noexcept { return items_[i]; }
        void clear() noexcept { size_ = 0; }
        void push_back(const poll_fd& p) {
            if (size_ == capacity_) {
                const std::size_t capacity = capacity_ ? capacity_ * 2 : 16;
                poll_fd* items = new poll_fd[capacity];
                for (std::size_t i = 0; i < size_; ++i) items[i] = items_[i];
                delete[] items_;
                items_ = items;
                capacity_ = capacity;
            }
            items_[size_++] = p;
        }

    private:
        poll_fd* items_ = nullptr;
        std::size_t size_ = 0;
        std::size_t capacity_ = 0;
    };
    poll_array poll_set_;
    std::string receive_buffer_; // a string like the other buffers: no vector<char> to compile
    std::string held_swap_;
    std::vector<connection*> shed_;
    std::size_t output_total_ = 0; // output queued and input held, all connections
    std::uint64_t turn_ = 0;       // loop turns so far
    // Accepting paused after running out of descriptors or memory, until backoff_until_.
    bool backing_off_ = false;
    clock::time_point backoff_until_{};
    connection* serving_ = nullptr; // the connection whose turn or deadline is being handled
    std::size_t rotation_ = 0;      // where the next turn's rotation starts
    clock::time_point now_{};
    clock::time_point stop_at_ = (clock::time_point::max)(); // see stop_after()
};

} // namespace detail
VITALS_END_NAMESPACE

#endif // VITALS_SERVER_LOOP_HPP
