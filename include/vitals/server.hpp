// vitals/server.hpp - optional HTTP server for /metrics, /health, /ready and /live.
// SPDX-License-Identifier: MIT
//
// Link with threads (-pthread) and, on Windows, ws2_32. On Windows, include this header
// before <windows.h>, or define WIN32_LEAN_AND_MEAN before including <windows.h> (a plain
// <windows.h> brings the old winsock.h, which cannot be combined with <winsock2.h>).
#ifndef VITALS_SERVER_HPP
#define VITALS_SERVER_HPP

#include <vitals/config.hpp>
#include <vitals/counter.hpp>
#include <vitals/detail/callback.hpp>
#include <vitals/detail/escape.hpp>
#include <vitals/detail/http_request.hpp>
#include <vitals/detail/socket.hpp>
#include <vitals/error.hpp>
#include <vitals/family.hpp>
#include <vitals/gauge.hpp>
#include <vitals/histogram.hpp>
#include <vitals/registry.hpp>
#include <vitals/text_format.hpp>

#include <atomic>             // atomic
#include <charconv>           // to_chars (integers)
#include <chrono>             // steady_clock, milliseconds
#include <condition_variable> // condition_variable
#include <cstddef>            // size_t
#include <cstdint>            // uint16_t
#include <cstdio>             // snprintf
#include <ctime>              // time, gmtime_r, gmtime_s
#include <mutex>              // mutex, lock_guard, unique_lock
#include <string>             // string, to_string
#include <string_view>        // string_view
#include <thread>             // thread, sleep_for
#include <utility>            // move
#include <vector>             // vector

#if VITALS_HAS_EXCEPTIONS()
#include <exception> // exception
#endif

VITALS_BEGIN_NAMESPACE

/// The outcome of a health check: `ok` and a short human-readable message (may be empty).
struct check_result {
    bool ok = true;
    std::string message;

    /// A passing result.
    static check_result pass(std::string message = {}) { return {true, std::move(message)}; }
    /// A failing result.
    static check_result fail(std::string message) { return {false, std::move(message)}; }
};

/// A liveness or readiness check. It runs on the server thread for every /live, /ready or
/// /health request, so it must be quick and must never block on I/O: wrap slow dependencies
/// in a cached_probe. Throwing, or returning after the server's check budget, counts as a
/// failure. Behaves as std::function<check_result()>: any copyable callable converts; empty
/// when default-constructed.
using check_function = detail::callback<check_result()>;

/// Settings of a health_server. A plain struct: set the fields you need.
struct server_options {
    /// Numeric IPv4 or IPv6 address to listen on ("0.0.0.0", "127.0.0.1", "::", "::1";
    /// "localhost" means 127.0.0.1). No name resolution.
    std::string bind_address = "0.0.0.0";
    /// TCP port; 0 picks a free ephemeral port (see health_server::port()). Note that 9090
    /// is also the Prometheus server's own default port.
    std::uint16_t port = 9090;
    /// For IPv6 wildcard binds ("::"): true accepts IPv6 only, false accepts IPv4 too.
    bool ipv6_only = false;
    /// Open connections served at once; beyond it new connections get 503 and are closed.
    std::size_t max_connections = 1024;
    /// A request must arrive completely within this time of its first byte (else 408).
    std::chrono::milliseconds request_timeout{10000};
    /// A keep-alive connection with no request in progress is closed after this long.
    std::chrono::milliseconds idle_timeout{60000};
    /// A response must be taken by the client within this time (else the connection closes).
    std::chrono::milliseconds write_timeout{10000};
    /// A check returning later than this reports `fail`.
    std::chrono::milliseconds check_budget{250};
    /// On stop(), readiness turns 503 at once and the server keeps serving this long before
    /// it closes (so a load balancer can move traffic away).
    std::chrono::milliseconds drain{0};
    /// Longest request line (method, target, version); longer: 414.
    std::size_t max_request_line = 8192;
    /// Largest header section, line ends included; larger: 431.
    std::size_t max_header_bytes = 16384;
    /// Most header fields in a request; more: 431.
    std::size_t max_headers = 100;
    /// Largest request body (bodies are read and discarded); larger: 413.
    std::size_t max_body_bytes = 65536;
    /// When not empty, /metrics requires `Authorization: Bearer <token>` (else 401).
    /// Visible ASCII only.
    std::string bearer_token;
    /// Endpoint paths; an empty path disables that endpoint. Each starts with '/'.
    std::string metrics_path = "/metrics";
    std::string health_path = "/health";
    std::string ready_path = "/ready";
    std::string live_path = "/live";
    /// Pending connections the OS may queue before the server accepts them.
    int backlog = 256;
    /// Register and update the vitals_server_* self-metrics in the served registry.
    bool self_metrics = true;
};

/// Runs a slow probe (a database ping, a downstream call) on its own thread every
/// `interval` and keeps the latest result, so that a health check can read it without
/// waiting: `server.add_readiness_check("db", probe.check())`.
///
/// Until the first run completes the cached result is a failure ("no result yet"); a result
/// older than `max_age` (default: three intervals) is reported as a failure, so a probe that
/// hangs does not keep reporting its last success. A new result arrives every interval plus
/// the probe's own run time: keep max_age above both together. The destructor stops the thread and
/// waits for a running probe to return: give the probe its own I/O timeout. Thread-safe.
class cached_probe {
public:
    /// Starts the probe thread; the first run starts at once. Allocates. An interval that is
    /// not positive is reported through the error policy (errc::invalid_argument).
    cached_probe(check_function probe, std::chrono::milliseconds interval,
                 std::chrono::milliseconds max_age = std::chrono::milliseconds{0})
        : state_(new shared()) {
        if (interval.count() <= 0 || max_age.count() < 0 || !probe)
            detail::fail(status(errc::invalid_argument,
                                "cached_probe needs a probe function, a positive interval and "
                                "a max_age that is not negative"));
        state_->max_age = max_age.count() > 0 ? max_age : 3 * interval;
        thread_ = std::thread(
            [state = state_, fn = std::move(probe), interval] { run(*state, fn, interval); });
    }
    cached_probe(const cached_probe&) = delete;
    cached_probe& operator=(const cached_probe&) = delete;
    ~cached_probe() { stop(); }

    /// The latest result (a copy), judged for age. Allocates for the message.
    check_result result() const { return read(*state_); }

    /// A check function reading the cached result; it stays safe to call after the probe is
    /// destroyed (it then reports `fail`).
    check_function check() const {
        return [state = state_] { return read(*state); };
    }

    /// Stops the probe thread (waits for a running probe). Idempotent.
    void stop() {
        {
            std::lock_guard<std::mutex> lock(state_->mutex);
            state_->stop = true;
        }
        state_->wake.notify_all();
        if (thread_.joinable()) thread_.join();
    }

private:
    struct shared {
        std::atomic<int> refs{1}; // held by the probe, its thread and every check() copy
        std::mutex mutex;
        std::condition_variable wake;
        bool stop = false;
        bool has_result = false;
        check_result last;
        std::chrono::steady_clock::time_point at;
        std::chrono::milliseconds max_age{0};
    };

    static check_result run_once(const check_function& fn) {
#if VITALS_HAS_EXCEPTIONS()
        try {
            return fn();
        } catch (const std::exception& e) {
            return check_result::fail(std::string("probe threw: ") + e.what());
        } catch (...) {
            return check_result::fail("probe threw an exception");
        }
#else
        return fn();
#endif
    }

    static void run(shared& s, const check_function& fn, std::chrono::milliseconds interval) {
        for (;;) {
            check_result r = run_once(fn);
            std::unique_lock<std::mutex> lock(s.mutex);
            s.last = std::move(r);
            s.at = std::chrono::steady_clock::now();
            s.has_result = true;
            if (s.wake.wait_for(lock, interval, [&s] { return s.stop; })) return;
        }
    }

    static check_result read(shared& s) {
        std::lock_guard<std::mutex> lock(s.mutex);
        if (s.stop) return check_result::fail("probe stopped");
        if (!s.has_result) return check_result::fail("no result yet");
        const auto age = std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::steady_clock::now() - s.at);
        if (age > s.max_age)
            return check_result::fail("last result is " + std::to_string(age.count()) +
                                      " ms old (probe slow or stuck)");
        return s.last;
    }

    // Shares ownership of the state; whichever holder goes last frees it.
    class state_ref {
    public:
        explicit state_ref(shared* s) noexcept : s_(s) {}
        state_ref(const state_ref& other) noexcept : s_(other.s_) {
            s_->refs.fetch_add(1, std::memory_order_relaxed);
        }
        state_ref& operator=(const state_ref&) = delete;
        ~state_ref() {
            if (s_->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete s_;
        }
        shared& operator*() const noexcept { return *s_; }
        shared* operator->() const noexcept { return s_; }

    private:
        shared* s_;
    };

    state_ref state_;
    std::thread thread_;
};

namespace detail {

/// Appends `s` as a JSON string (quotes included): control characters escaped, invalid
/// UTF-8 replaced by U+FFFD.
inline void append_json_string(std::string& out, std::string_view s) {
    static constexpr char hex[] = "0123456789abcdef";
    out += '"';
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\r') {
            out += "\\r";
        } else if (c == '\t') {
            out += "\\t";
        } else if (c < 0x20 || c == 0x7F) {
            out += "\\u00";
            out += hex[c >> 4];
            out += hex[c & 0xF];
        } else if (c >= 0x80) {
            const std::size_t len = utf8_sequence_length(s, i);
            if (len == 0) {
                out += "\xEF\xBF\xBD";
                ++i;
            } else {
                out.append(s.data() + i, len);
                i += len;
            }
            continue;
        } else {
            out += static_cast<char>(c);
        }
        ++i;
    }
    out += '"';
}

inline void append_uint(std::string& out, std::size_t v) {
    char buffer[24];
    const auto r = std::to_chars(buffer, buffer + sizeof buffer, v);
    out.append(buffer, static_cast<std::size_t>(r.ptr - buffer));
}

inline const char* reason_phrase(int code) noexcept {
    switch (code) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 413:
        return "Content Too Large";
    case 414:
        return "URI Too Long";
    case 431:
        return "Request Header Fields Too Large";
    case 501:
        return "Not Implemented";
    case 503:
        return "Service Unavailable";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return "Error";
    }
}

/// The status codes the server answers with, in the order of the self-metric cache.
constexpr int server_codes[] = {200, 400, 401, 404, 405, 408, 413, 414, 431, 501, 503, 505};
constexpr std::size_t server_code_count = sizeof server_codes / sizeof server_codes[0];

inline std::size_t code_index(int code) noexcept {
    for (std::size_t i = 0; i < server_code_count; ++i)
        if (server_codes[i] == code) return i;
    return 1; // not reached: every response uses a listed code
}

/// Compares without an early exit, so response timing does not reveal how much of a token
/// matched.
inline bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    unsigned char diff = 0;
    for (std::size_t i = 0; i < a.size(); ++i)
        diff = static_cast<unsigned char>(
            diff | (static_cast<unsigned char>(a[i]) ^ static_cast<unsigned char>(b[i])));
    return diff == 0;
}

inline bool ascii_iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
        if (x != y) return false;
    }
    return true;
}

/// One client connection, owned by the server thread.
struct server_connection {
    using time_point = std::chrono::steady_clock::time_point;

    server_connection(socket_t s, const http_limits& limits, time_point now)
        : sock(s), parser(limits), last_activity(now), request_start(now) {}
    server_connection(const server_connection&) = delete;
    server_connection& operator=(const server_connection&) = delete;
    ~server_connection() { close_socket(sock); }

    std::size_t pending() const noexcept { return out.size() - out_offset; }

    socket_t sock;
    http_request_parser parser;
    std::string out;            // response bytes not yet sent
    std::size_t out_offset = 0; // how much of `out` is sent
    std::string held;           // received bytes not parsed yet (output backpressure)
    time_point last_activity;   // last byte received or sent
    time_point request_start;   // first byte of the request in progress
    time_point output_start;    // when `out` last became non-empty
    time_point linger_until;    // end of the lingering close
    bool close_after_write = false;
    bool peer_closed = false; // the client sent FIN
    bool lingering = false;   // response done, FIN sent, discarding input until EOF
    bool dead = false;        // to be removed
};

enum class endpoint : unsigned char { metrics, health, ready, live, other };
constexpr std::size_t endpoint_count = 5;

} // namespace detail

/// A small HTTP/1.1 server that exposes a registry to Prometheus (`/metrics`) and the
/// program's state to Kubernetes-style probes (`/live`, `/ready`, `/health`).
///
/// One background thread serves every connection with non-blocking sockets and poll
/// (WSAPoll on Windows). Keep-alive and pipelining are supported; slow, silent and half-open
/// clients are cut off by per-connection deadlines, requests are bounded before they are
/// buffered, and the number of connections is capped. Liveness and readiness checks run on
/// that thread: they must be quick (see cached_probe for slow dependencies).
///
/// Readiness is false until set_ready(true), and false again from the moment stop() begins.
/// All members are thread-safe, except that start(), stop() and add_*_check() must not be
/// called from a check. Construction and start() allocate; serving a keep-alive connection
/// then reaches a steady state with no allocation for any endpoint (beyond what the checks
/// and the registry's collectors allocate themselves).
///
/// Endpoints answer GET and HEAD (query strings are ignored): `/metrics` the text format
/// 0.0.4 (also when OpenMetrics is asked for), `/live` and `/ready` 200 "ok" or 503, and
/// `/health` JSON `{"status":"pass"|"fail","ready":bool,"checks":[{"name","kind","status",
/// "message"}]}` with 200, or 503 when a check fails or the program is not ready. Errors:
/// 404 unknown path, 405 (with Allow) other methods, 400 malformed, 413/414/431 too large,
/// 408 too slow, 401 (with WWW-Authenticate) missing or wrong bearer token on /metrics, 503
/// over the connection cap. Every response has Content-Length and Cache-Control: no-store.
class health_server {
public:
    /// A stopped server over `reg` (which must outlive it).
    explicit health_server(registry& reg, server_options options = server_options{})
        : reg_(reg), options_(std::move(options)) {}
    /// A stopped server over the default registry.
    explicit health_server(server_options options = server_options{})
        : health_server(default_registry(), std::move(options)) {}
    health_server(const health_server&) = delete;
    health_server& operator=(const health_server&) = delete;
    /// Stops the server (including its drain period).
    ~health_server() { stop(); }

    /// Binds, listens and starts the server thread. Failures (bad options, address in use,
    /// no permission) are reported through the error policy as vitals::error with
    /// errc::invalid_argument, errc::network_error (with the OS message) or
    /// errc::already_running.
    void start() {
        const status st = try_start();
        if (!st.ok()) detail::fail(st);
    }

    /// start() that returns the failure instead of reporting it.
    status try_start() {
        std::lock_guard<std::mutex> lock(lifecycle_);
        if (thread_.joinable())
            return status(errc::already_running, "health_server is already running on port " +
                                                     std::to_string(port_.load()));
        status st = validate();
        if (!st.ok()) return st;
        if (sockets_.error() != 0)
            return status(errc::network_error, "cannot initialise Winsock (WSAStartup): " +
                                                   detail::socket_error_text(sockets_.error()));
        if (options_.self_metrics) {
            st = register_metrics();
            if (!st.ok()) return st;
        }
        st = open_listener();
        if (!st.ok()) return st;
        const int wake_error = wake_.open();
        if (wake_error != 0) {
            close_listener();
            return status(errc::network_error, "cannot create the server's wake-up channel: " +
                                                   detail::socket_error_text(wake_error));
        }
        quit_.store(false);
        stopping_.store(false);
        publish_ready();
#if VITALS_HAS_EXCEPTIONS()
        try {
            thread_ = std::thread([this] { run(); });
        } catch (const std::exception& e) {
            wake_.close();
            close_listener();
            return status(errc::network_error,
                          std::string("cannot start the server thread: ") + e.what());
        }
#else
        thread_ = std::thread([this] { run(); });
#endif
        return {};
    }

    /// Stops serving: readiness turns false at once, the server keeps answering for the
    /// drain period, then every connection is closed and the thread joined. Does not wait
    /// for keep-alive or request deadlines. Idempotent; returns at once when not running.
    void stop() {
        std::lock_guard<std::mutex> lock(lifecycle_);
        if (!thread_.joinable()) return;
        stopping_.store(true);
        ready_.store(false);
        publish_ready();
        if (options_.drain.count() > 0) std::this_thread::sleep_for(options_.drain);
        quit_.store(true);
        wake_.signal();
        thread_.join();
        wake_.close();
        close_listener();
        ready_.store(false); // a restarted server starts not ready, like a new one
        stopping_.store(false);
    }

    /// True between a successful start() and stop().
    bool running() const noexcept { return port_.load() != 0; }

    /// The bound port while running (useful with port 0), else 0.
    std::uint16_t port() const noexcept { return port_.load(); }

    /// The options given at construction.
    const server_options& options() const noexcept { return options_; }

    /// Marks the program ready (or not). While stop() runs readiness stays false whatever is
    /// set, and a stopped server is not ready until set_ready(true) again. Lock-free.
    void set_ready(bool ready) noexcept {
        ready_.store(ready);
        publish_ready();
    }

    /// The readiness flag: set_ready(true) was called and stop() has not begun. Checks are
    /// not run here.
    bool ready() const noexcept { return ready_.load() && !stopping_.load(); }

    /// Adds (or replaces, by name) a check that /live and /health run. Allocates.
    void add_liveness_check(std::string name, check_function fn) {
        add_check(std::move(name), std::move(fn), false);
    }

    /// Adds (or replaces, by name) a check that /ready and /health run. Allocates.
    void add_readiness_check(std::string name, check_function fn) {
        add_check(std::move(name), std::move(fn), true);
    }

private:
    using clock = std::chrono::steady_clock;
    using connection = detail::server_connection;

    struct named_check {
        std::string name;
        check_function fn;
        bool readiness;
    };

    // ---- configuration and start-up -------------------------------------------------------

    static bool valid_path(const std::string& p) noexcept {
        if (p.empty()) return true;
        if (p.front() != '/') return false;
        for (char ch : p) {
            const auto c = static_cast<unsigned char>(ch);
            if (c <= 0x20 || c >= 0x7F || c == '?' || c == '#') return false;
        }
        return true;
    }

    status validate() const {
        const auto bad = [](const std::string& what) {
            return status(errc::invalid_argument, "health_server: " + what);
        };
        if (options_.max_connections == 0) return bad("max_connections must be at least 1");
        if (options_.request_timeout.count() <= 0 || options_.idle_timeout.count() <= 0 ||
            options_.write_timeout.count() <= 0 || options_.check_budget.count() <= 0)
            return bad("request_timeout, idle_timeout, write_timeout and check_budget must be "
                       "positive");
        if (options_.drain.count() < 0) return bad("drain must not be negative");
        if (options_.max_request_line < 16 || options_.max_header_bytes < 16 ||
            options_.max_headers == 0)
            return bad("max_request_line and max_header_bytes must be at least 16 and "
                       "max_headers at least 1");
        if (options_.backlog <= 0) return bad("backlog must be positive");
        const std::string* paths[] = {&options_.metrics_path, &options_.health_path,
                                      &options_.ready_path, &options_.live_path};
        for (std::size_t i = 0; i < 4; ++i) {
            if (!valid_path(*paths[i]))
                return bad("endpoint path '" + *paths[i] +
                           "' must start with '/' and hold no spaces, '?' or '#'");
            for (std::size_t j = 0; j < i; ++j)
                if (!paths[i]->empty() && *paths[i] == *paths[j])
                    return bad("endpoint path '" + *paths[i] + "' is used twice");
        }
        for (char ch : options_.bearer_token) {
            const auto c = static_cast<unsigned char>(ch);
            if (c <= 0x20 || c >= 0x7F)
                return bad("bearer_token must be visible ASCII without spaces");
        }
        detail::socket_address a;
        if (!detail::parse_address(options_.bind_address, options_.port, a))
            return bad("bind_address '" + options_.bind_address +
                       "' is not a numeric IPv4 or IPv6 address");
        return {};
    }

    status register_metrics() {
        if (requests_) return {};
        auto req = reg_.try_counter("vitals_server_requests",
                                    "HTTP requests answered by the vitals server, by endpoint "
                                    "path and status code.",
                                    {"path", "code"});
        if (!req) return req.error();
        auto render = reg_.try_histogram(
            "vitals_server_render_seconds",
            "Time the vitals server spent rendering the exposition for /metrics.",
            {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
             1.0});
        if (!render) return render.error();
        auto ready = reg_.try_gauge("vitals_server_ready",
                                    "1 when the program reports itself ready, else 0.");
        if (!ready) return ready.error();
        auto conns = reg_.try_gauge("vitals_server_connections",
                                    "Client connections open on the vitals server.");
        if (!conns) return conns.error();
        requests_ = &req.value();
        render_seconds_ = &render.value();
        ready_gauge_.store(&ready.value());
        connections_gauge_ = &conns.value();
        return {};
    }

    void publish_ready() noexcept {
        if (gauge* g = ready_gauge_.load()) g->set(ready() ? 1.0 : 0.0);
    }

    status open_listener() {
        detail::socket_address addr;
        detail::parse_address(options_.bind_address, options_.port, addr);
        const std::string where = detail::format_address(addr);
        detail::socket_t s = detail::open_stream_socket(addr.family());
        if (s == detail::invalid_socket)
            return status(errc::network_error,
                          "cannot create a socket for " + where + ": " +
                              detail::socket_error_text(detail::last_socket_error()));
#if defined(_WIN32)
        // Without it, another program could bind the same port with SO_REUSEADDR and steal
        // connections.
        detail::set_option(s, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, 1);
#else
        // Lets a restarted server bind while old connections sit in TIME_WAIT. Unlike
        // SO_REUSEPORT it never lets two live servers share the port.
        detail::set_option(s, SOL_SOCKET, SO_REUSEADDR, 1);
#endif
        if (addr.family() == AF_INET6)
            detail::set_option(s, IPPROTO_IPV6, IPV6_V6ONLY, options_.ipv6_only ? 1 : 0);
        if (::bind(s, addr.get(), addr.length) != 0) {
            const int e = detail::last_socket_error();
            detail::close_socket(s);
            std::string message = "cannot listen on " + where + ": " + detail::socket_error_text(e);
            if (detail::is_address_in_use(e)) {
                message += "; port " + std::to_string(options_.port) +
                           " is already in use by another program or server";
                if (options_.port == 9090)
                    message += " (9090 is also the default port of Prometheus itself: if a "
                               "Prometheus server runs on this host, pick another port)";
            }
            return status(errc::network_error, std::move(message));
        }
        if (::listen(s, options_.backlog) != 0) {
            const int e = detail::last_socket_error();
            detail::close_socket(s);
            return status(errc::network_error,
                          "cannot listen on " + where + ": " + detail::socket_error_text(e));
        }
        listener_ = s;
        port_.store(detail::local_port(s));
        return {};
    }

    void close_listener() noexcept {
        detail::close_socket(listener_);
        listener_ = detail::invalid_socket;
        port_.store(0);
    }

    void add_check(std::string name, check_function fn, bool readiness) {
        std::lock_guard<std::mutex> lock(checks_mutex_);
        for (auto& c : checks_)
            if (c.readiness == readiness && c.name == name) {
                c.fn = std::move(fn);
                return;
            }
        checks_.push_back(named_check{std::move(name), std::move(fn), readiness});
    }

    // ---- the server thread ------------------------------------------------------------------

    void run() {
        detail::http_limits limits;
        limits.max_request_line = options_.max_request_line;
        limits.max_header_bytes = options_.max_header_bytes;
        limits.max_headers = options_.max_headers;
        limits.max_body_bytes = options_.max_body_bytes;
        limits_ = limits;
        receive_buffer_.resize(std::size_t{64} * 1024);
        bool backing_off = false;
        clock::time_point backoff_until{};
        while (!quit_.load()) {
            now_ = clock::now();
            refresh_date();
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
            const int n = detail::poll_sockets(poll_set_.data(), poll_set_.size(),
                                               poll_timeout(backing_off, backoff_until));
            if (n < 0) {
                // EINTR, or a transient failure (ENOMEM): retry shortly, never spin or die.
                if (!detail::is_interrupted(detail::last_socket_error()))
                    std::this_thread::sleep_for(std::chrono::milliseconds(10));
                continue;
            }
            now_ = clock::now();
            refresh_date();
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

    static detail::poll_fd make_poll(detail::socket_t s, int events) noexcept {
        detail::poll_fd p;
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
        error_response(c, 408, "request timeout");
        flush(c);
    }

    // Accepts what is pending. Returns false when out of descriptors or memory: the caller
    // then stops polling the listener for a while and keeps serving open connections.
    bool accept_clients() {
        const std::size_t hard_cap = options_.max_connections + 64;
        for (int i = 0; i < 64; ++i) {
            const detail::socket_t s = detail::accept_connection(listener_);
            if (s == detail::invalid_socket) {
                const int e = detail::last_socket_error();
                if (detail::is_resource_exhausted(e)) return false;
                if (detail::is_would_block(e)) return true;
                continue; // ECONNABORTED and the like: that client is gone, try the next
            }
            if (connections_.size() >= hard_cap) {
                detail::close_socket(s);
                continue;
            }
            detail::set_option(s, IPPROTO_TCP, TCP_NODELAY, 1);
            connection* c = nullptr;
#if VITALS_HAS_EXCEPTIONS()
            try {
                detail::reserve_more(connections_, 1); // then push_back cannot throw
                c = new connection(s, limits_, now_);
            } catch (...) {
                detail::close_socket(s);
                return false;
            }
#else
            detail::reserve_more(connections_, 1);
            c = new connection(s, limits_, now_);
#endif
            if (connections_gauge_) connections_gauge_->inc();
            connections_.push_back(c);
            if (connections_.size() > options_.max_connections) {
                connection& over = *connections_.back();
                error_response(over, 503, "too many connections");
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
                const long long n = detail::receive(c.sock, buffer, receive_buffer_.size());
                if (n > 0) continue;
                if (n < 0 && detail::is_would_block(detail::last_socket_error())) return;
                c.dead = true;
                return;
            }
            return;
        }
        if (!reading(c)) return; // paused (see the poll set)
        const long long n = detail::receive(c.sock, buffer, receive_buffer_.size());
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
        const int e = detail::last_socket_error();
        if (!detail::is_would_block(e) && !detail::is_interrupted(e)) c.dead = true;
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
            if (st == detail::http_request_parser::state::complete) {
                respond(c);
                c.parser.reset();
            } else if (st == detail::http_request_parser::state::failed) {
                error_response(c, c.parser.error_status(), c.parser.error_reason());
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
                detail::send_two(c.sock, c.out.data() + c.out_offset, c.pending(), nullptr, 0);
            if (n > 0) {
                c.out_offset += static_cast<std::size_t>(n);
                c.last_activity = now_;
                continue;
            }
            const int e = detail::last_socket_error();
            if (n < 0 && detail::is_interrupted(e)) continue;
            if (n < 0 && detail::is_would_block(e)) return;
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
        detail::shutdown_send(c.sock);
        c.lingering = true;
        const auto limit = std::chrono::milliseconds(2000);
        c.linger_until =
            now_ + (options_.request_timeout < limit ? options_.request_timeout : limit);
    }

    void begin_output(connection& c) {
        if (c.pending() == 0) {
            c.out.clear();
            c.out_offset = 0;
            c.output_start = now_;
        }
    }

    enum extra_header : unsigned { none = 0, allow = 1, authenticate = 2 };

    void write_head(std::string& out, int code, std::string_view type, std::size_t length,
                    bool keep_alive, bool http10_keep_alive, unsigned extra) {
        out += "HTTP/1.1 ";
        detail::append_uint(out, static_cast<std::size_t>(code));
        out += ' ';
        out += detail::reason_phrase(code);
        out += "\r\nContent-Type: ";
        out += type;
        out += "\r\nContent-Length: ";
        detail::append_uint(out, length);
        out += "\r\nCache-Control: no-store\r\n";
        out.append(date_, date_length_);
        if (!keep_alive)
            out += "Connection: close\r\n";
        else if (http10_keep_alive)
            out += "Connection: keep-alive\r\n";
        if ((extra & allow) != 0) out += "Allow: GET, HEAD\r\n";
        if ((extra & authenticate) != 0) out += "WWW-Authenticate: Bearer realm=\"metrics\"\r\n";
        out += "\r\n";
    }

    void count(detail::endpoint ep, int code) {
        if (!requests_) return;
        const std::size_t e = static_cast<std::size_t>(ep);
        const std::size_t k = detail::code_index(code);
        counter*& series = request_series_[e][k];
        if (!series) {
            const std::string& path = ep == detail::endpoint::metrics  ? options_.metrics_path
                                      : ep == detail::endpoint::health ? options_.health_path
                                      : ep == detail::endpoint::ready  ? options_.ready_path
                                      : ep == detail::endpoint::live   ? options_.live_path
                                                                       : other_label_;
            auto r = requests_->try_labels(path, std::to_string(code));
            if (!r) return;
            series = &r.value();
        }
        series->inc();
    }

    // A plain-text response: errors (connection closes unless `keep`), /live and /ready.
    void text_response(connection& c, detail::endpoint ep, int code, std::string_view body,
                       bool head, bool keep, unsigned extra) {
        begin_output(c);
        const bool http10 = c.parser.version_minor() == 0;
        write_head(c.out, code, "text/plain; charset=utf-8", body.size(), keep, http10 && keep,
                   extra);
        if (!head) c.out.append(body.data(), body.size());
        if (!keep) c.close_after_write = true;
        count(ep, code);
    }

    void error_response(connection& c, int code, const char* reason) {
        text_body_.assign(reason);
        text_body_ += '\n';
        text_response(c, detail::endpoint::other, code, text_body_, false, false, none);
    }

    detail::endpoint classify(std::string_view path) const noexcept {
        if (path.empty()) return detail::endpoint::other;
        if (path == options_.metrics_path) return detail::endpoint::metrics;
        if (path == options_.health_path) return detail::endpoint::health;
        if (path == options_.ready_path) return detail::endpoint::ready;
        if (path == options_.live_path) return detail::endpoint::live;
        return detail::endpoint::other;
    }

    void respond(connection& c) {
        const auto& p = c.parser;
        const detail::endpoint ep = classify(p.path());
        const bool keep = p.keep_alive() && !c.peer_closed;
        const bool head = p.method() == "HEAD";
        if (ep == detail::endpoint::other) {
            text_response(c, ep, 404, "not found\n", head, keep, none);
            return;
        }
        if (!head && p.method() != "GET") {
            text_response(c, ep, 405, "method not allowed\n", false, keep, allow);
            return;
        }
        switch (ep) {
        case detail::endpoint::live: {
            const bool ok = run_checks(false, false);
            text_response(c, ep, ok ? 200 : 503, ok ? "ok\n" : "fail\n", head, keep, none);
            return;
        }
        case detail::endpoint::ready: {
            const bool ok = ready() && run_checks(true, false);
            text_response(c, ep, ok ? 200 : 503, ok ? "ok\n" : "unavailable\n", head, keep, none);
            return;
        }
        case detail::endpoint::health:
            health_response(c, head, keep);
            return;
        case detail::endpoint::metrics:
            metrics_response(c, head, keep);
            return;
        case detail::endpoint::other:
            break;
        }
    }

    check_result run_check(const check_function& fn) {
        if (!fn) return check_result::fail("no check function");
        const clock::time_point start = clock::now();
        check_result r;
#if VITALS_HAS_EXCEPTIONS()
        try {
            r = fn();
        } catch (const std::exception& e) {
            r = check_result::fail(std::string("check threw: ") + e.what());
        } catch (...) {
            r = check_result::fail("check threw an exception");
        }
#else
        r = fn();
#endif
        const auto took =
            std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - start);
        if (took > options_.check_budget) {
            std::string message = "check took " + std::to_string(took.count()) +
                                  " ms, over its budget of " +
                                  std::to_string(options_.check_budget.count()) + " ms";
            if (!r.message.empty()) message += " (it said: " + r.message + ")";
            r = check_result::fail(std::move(message));
        }
        return r;
    }

    // Runs the liveness (or readiness) checks; with `json`, appends them to checks_json_.
    bool run_checks(bool readiness, bool json) {
        std::lock_guard<std::mutex> lock(checks_mutex_);
        bool all = true;
        for (const auto& c : checks_) {
            if (c.readiness != readiness) continue;
            const check_result r = run_check(c.fn);
            all = all && r.ok;
            if (!json) continue;
            if (!checks_json_.empty()) checks_json_ += ',';
            checks_json_ += "{\"name\":";
            detail::append_json_string(checks_json_, c.name);
            checks_json_ += readiness ? ",\"kind\":\"readiness\"" : ",\"kind\":\"liveness\"";
            checks_json_ += r.ok ? ",\"status\":\"pass\"" : ",\"status\":\"fail\"";
            checks_json_ += ",\"message\":";
            detail::append_json_string(checks_json_, r.message);
            checks_json_ += '}';
        }
        return all;
    }

    void health_response(connection& c, bool head, bool keep) {
        checks_json_.clear();
        const bool live = run_checks(false, true);
        const bool checks_ready = run_checks(true, true);
        const bool is_ready = ready();
        const bool ok = live && checks_ready && is_ready;
        json_.clear();
        json_ += ok ? "{\"status\":\"pass\"" : "{\"status\":\"fail\"";
        json_ += is_ready ? ",\"ready\":true" : ",\"ready\":false";
        json_ += ",\"checks\":[";
        json_ += checks_json_;
        json_ += "]}\n";
        const int code = ok ? 200 : 503;
        begin_output(c);
        const bool http10 = c.parser.version_minor() == 0;
        write_head(c.out, code, "application/json", json_.size(), keep, http10 && keep, none);
        if (!head) c.out += json_;
        if (!keep) c.close_after_write = true;
        count(detail::endpoint::health, code);
    }

    bool authorized(const connection& c) const noexcept {
        if (options_.bearer_token.empty()) return true;
        if (!c.parser.has_authorization()) return false;
        std::string_view v = c.parser.authorization();
        if (v.size() < 7 || !detail::ascii_iequals(v.substr(0, 6), "bearer") || v[6] != ' ')
            return false;
        v.remove_prefix(7);
        while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
        return detail::constant_time_equal(v, options_.bearer_token);
    }

    void metrics_response(connection& c, bool head, bool keep) {
        if (!authorized(c)) {
            text_response(c, detail::endpoint::metrics, 401, "unauthorized\n", head, keep,
                          authenticate);
            return;
        }
        count(detail::endpoint::metrics, 200);
        const clock::time_point start = clock::now();
        render_.clear(); // keeps its capacity: no allocation once it has grown
        write_text(reg_, render_);
        if (render_seconds_)
            render_seconds_->observe(std::chrono::duration<double>(clock::now() - start).count());
        const bool http10 = c.parser.version_minor() == 0;
        const std::string_view body = head ? std::string_view() : std::string_view(render_);
        if (!keep) c.close_after_write = true;
        if (c.pending() > 0) { // earlier pipelined responses are still queued: append
            write_head(c.out, 200, text_content_type, render_.size(), keep, http10 && keep, none);
            c.out.append(body.data(), body.size());
            return;
        }
        // Send straight from the render buffer; copy only what the socket does not take.
        head_.clear();
        write_head(head_, 200, text_content_type, render_.size(), keep, http10 && keep, none);
        begin_output(c);
        std::size_t sent = 0;
        const std::size_t total = head_.size() + body.size();
        while (sent < total) {
            const std::size_t h = sent < head_.size() ? sent : head_.size();
            const std::size_t b = sent > head_.size() ? sent - head_.size() : 0;
            const long long n = detail::send_two(c.sock, head_.data() + h, head_.size() - h,
                                                 body.data() + b, body.size() - b);
            if (n > 0) {
                sent += static_cast<std::size_t>(n);
                continue;
            }
            const int e = detail::last_socket_error();
            if (n < 0 && detail::is_interrupted(e)) continue;
            if (n < 0 && detail::is_would_block(e)) break;
            c.dead = true;
            return;
        }
        c.last_activity = now_;
        if (sent < head_.size()) c.out.append(head_, sent, std::string::npos);
        const std::size_t body_sent = sent > head_.size() ? sent - head_.size() : 0;
        c.out.append(body.data() + body_sent, body.size() - body_sent);
    }

    void refresh_date() {
        const std::time_t t = std::time(nullptr);
        if (t == date_time_) return;
        date_time_ = t;
        std::tm tm{};
#if defined(_WIN32)
        gmtime_s(&tm, &t);
#else
        gmtime_r(&t, &tm);
#endif
        static constexpr const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
        static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
        const int n =
            std::snprintf(date_, sizeof date_, "Date: %s, %02d %s %04d %02d:%02d:%02d GMT\r\n",
                          days[tm.tm_wday % 7], tm.tm_mday, months[tm.tm_mon % 12],
                          tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
        date_length_ =
            n > 0 && static_cast<std::size_t>(n) < sizeof date_ ? static_cast<std::size_t>(n) : 0;
    }

    static constexpr std::size_t backpressure_bytes = std::size_t{1024} * 1024;

    registry& reg_;
    server_options options_;
    detail::socket_library sockets_;
    detail::wakeup wake_;
    detail::socket_t listener_ = detail::invalid_socket;
    std::thread thread_;
    std::mutex lifecycle_;
    std::atomic<bool> quit_{false};
    std::atomic<bool> stopping_{false};
    std::atomic<bool> ready_{false};
    std::atomic<std::uint16_t> port_{0};

    std::mutex checks_mutex_;
    std::vector<named_check> checks_;

    counter_family* requests_ = nullptr;
    histogram* render_seconds_ = nullptr;
    std::atomic<gauge*> ready_gauge_{nullptr};
    gauge* connections_gauge_ = nullptr;
    counter* request_series_[detail::endpoint_count][detail::server_code_count] = {};
    const std::string other_label_ = "other";

    // Owned by the server thread.
    detail::http_limits limits_;
    std::vector<connection*> connections_; // owned; freed by remove_dead()
    std::vector<detail::poll_fd> poll_set_;
    std::vector<char> receive_buffer_;
    std::string render_; // the /metrics exposition, reused
    std::string head_;   // response head for /metrics, reused
    std::string json_;   // /health body, reused
    std::string checks_json_;
    std::string text_body_; // error body, reused
    std::string held_swap_;
    clock::time_point now_{};
    std::time_t date_time_ = 0;
    char date_[64] = {};
    std::size_t date_length_ = 0;
};

VITALS_END_NAMESPACE

#endif // VITALS_SERVER_HPP
