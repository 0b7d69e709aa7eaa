// vitals/server/options.hpp - the settings of a health_server and their validation.
// SPDX-License-Identifier: MIT
#ifndef VITALS_SERVER_OPTIONS_HPP
#define VITALS_SERVER_OPTIONS_HPP

#include <vitals/config.hpp>
#include <vitals/detail/escape.hpp>
#include <vitals/error.hpp>
#include <vitals/server/socket.hpp>

#include <chrono>  // milliseconds
#include <cstddef> // size_t
#include <cstdint> // uint16_t
#include <string>  // string, to_string

VITALS_BEGIN_NAMESPACE

/// Settings of a health_server. A plain struct: set the fields you need.
struct server_options {
    /// Numeric IPv4 or IPv6 address to listen on ("0.0.0.0", "127.0.0.1", "::", "::1";
    /// "localhost" means 127.0.0.1). No name resolution.
    std::string bind_address = "0.0.0.0";
    /// TCP port, 0 to 65535; 0 picks a free ephemeral port (see health_server::port()).
    /// Note that 9090 is also the Prometheus server's own default port. An int, so that a
    /// port read from configuration (70000, -1) is refused by start() instead of being cut
    /// to 16 bits (4464, 65535) and served on a port nobody asked for.
    int port = 9090;
    /// For IPv6 wildcard binds ("::"): true accepts IPv6 only, false accepts IPv4 too.
    bool ipv6_only = false;
    /// Open connections served at once. A new connection beyond it closes one that loses
    /// little (counted in vitals_server_closed_connections_total{reason="connection_limit"})
    /// and is served; only when there is none does it get 503 and is closed. First the idle
    /// connection that has waited longest: a keep-alive connection between requests (not one
    /// whose next request arrived while the server was busy and waits to be read), or one
    /// that has sent nothing at all for a second since it connected. Else the lingering
    /// connection (its response sent after `Connection: close`, waiting up to two seconds for
    /// the client to close) that began lingering first. Else the stalled request
    /// that began first: one still incomplete a second after its first byte, however recently
    /// its last byte came. Else the client that has left its queued response untaken longest,
    /// for over a second (less than 16 KiB of it taken). A request younger than a second, or
    /// a response being taken, is never closed for room. So neither idle keep-alive
    /// connections nor floods of silent, trickling or non-reading clients lock probes out
    /// until their timeouts. The descriptor limit may lower the cap (see descriptor_reserve).
    std::size_t max_connections = 1024;
    /// Descriptors of the process's limit (RLIMIT_NOFILE, read at start()) that the server
    /// leaves to the application: it holds at most limit - reserve sockets, the reserve
    /// being capped at half the limit. At that cap it makes room as at max_connections.
    /// Not used on Windows.
    std::size_t descriptor_reserve = 256;
    /// Response bytes waiting for slow clients, all connections together (at least 64 KiB).
    /// Past it the server stops reading from connections that still have output queued and
    /// closes those whose output has gone longest without being taken (none of it for a
    /// second: a client taking its output is never closed for the budget, even for one
    /// exposition larger than all of it). One connection
    /// answers its next pipelined request only while less than 64 KiB (or a quarter of this)
    /// of its output is queued.
    std::size_t max_output_bytes = std::size_t{16} * 1024 * 1024;
    /// Durations longer than the clock can add (milliseconds::max()) mean "never".
    /// A request must arrive completely within this time of its first byte (else 408).
    std::chrono::milliseconds request_timeout{10000};
    /// A keep-alive connection with no request in progress is closed after this long.
    std::chrono::milliseconds idle_timeout{60000};
    /// A client with output queued must make progress taking it within this time, else the
    /// connection closes (counted as reason="write_timeout"): the time runs from when output
    /// was queued with nothing pending, and starts again each time the client has taken
    /// 16 KiB more (or everything queued). So a client that reads steadily, however far
    /// behind its pipelined requests, keeps its connection; one that stops reading, or
    /// trickles less than 16 KiB per write_timeout, does not. Taken means acknowledged by
    /// the client's TCP stack, which takes more only as its receive window opens: a client
    /// with a small receive buffer is seen to progress in steps of about that buffer (over
    /// loopback, one with a 64 KiB buffer must read more than 100 KiB per write_timeout).
    std::chrono::milliseconds write_timeout{10000};
    /// A check returning later than this reports `fail`.
    std::chrono::milliseconds check_budget{250};
    /// On stop(), readiness turns 503 at once and the server keeps serving this long before
    /// it closes (so a load balancer can move traffic away). At most one hour: stop() waits
    /// it out.
    std::chrono::milliseconds drain{0};
    /// Longest request line (method, target, version); longer: 414. At least 64 plus the
    /// longest endpoint path (72 with the default paths): "HEAD <path> HTTP/1.1" with room
    /// for a short query string.
    std::size_t max_request_line = 8192;
    /// Largest header section, line ends included; larger: 431. At least 1024, plus 24 and
    /// the token's length when bearer_token is set: Prometheus' scrape takes up to about 800
    /// bytes before its `Authorization: Bearer <token>` line (its Accept header alone up to
    /// 378, the Host header up to 267 for a 253-byte host name).
    std::size_t max_header_bytes = 16384;
    /// Most header fields in a request; more: 431. At least 8: Prometheus sends 5 (6 with a
    /// bearer token), a Kubernetes probe 4.
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
    /// Answer /metrics in OpenMetrics 1.0.0 when the request's Accept header prefers it, as
    /// Prometheus' does. false: always in the text format 0.0.4, so that Prometheus stores
    /// what a server of that format alone gives it: no `_created` series, and `le` values as
    /// the text format writes them (`le="1"`, where OpenMetrics has `le="1.0"`).
    bool openmetrics = true;
};

namespace detail {

inline bool valid_endpoint_path(const std::string& p) noexcept {
    if (p.empty()) return true;
    if (p.front() != '/') return false;
    for (char ch : p) {
        const auto c = static_cast<unsigned char>(ch);
        if (c <= 0x20 || c >= 0x7F || c == '?' || c == '#') return false;
    }
    return true;
}

// Request-size minimums, so that the clients the server exists for always fit: a request
// line of "HEAD <path> HTTP/1.1" is the path plus 14 bytes, and the rest leaves room for a
// query string. Prometheus 2.x and 3.x send Host, User-Agent, an Accept header listing up to
// five scrape formats (378 bytes with its line end when each names an escaping scheme),
// Accept-Encoding, X-Prometheus-Scrape-Timeout-Seconds and, with a token, Authorization:
// about 500 bytes for a pod IP, 750 for a 253-byte host name, so 1024 leaves a margin.
constexpr std::size_t min_request_line_over_path = 64;
constexpr std::size_t min_header_bytes = 1024;
constexpr std::size_t min_headers = 8;

// "Authorization: Bearer " and the line end around the token.
constexpr std::size_t bearer_line_overhead = 24;

inline std::size_t required_request_line(const server_options& o) noexcept {
    const std::string* paths[] = {&o.metrics_path, &o.health_path, &o.ready_path, &o.live_path};
    std::size_t longest = 0;
    for (const std::string* p : paths)
        if (p->size() > longest) longest = p->size();
    return min_request_line_over_path + longest;
}

inline std::size_t required_header_bytes(const server_options& o) noexcept {
    if (o.bearer_token.empty()) return min_header_bytes;
    return min_header_bytes + bearer_line_overhead + o.bearer_token.size();
}

/// Checks every option; the status names the first one out of range.
inline status validate_options(const server_options& o) {
    const auto bad = [](const std::string& what) {
        return status(errc::invalid_argument, "health_server: " + what);
    };
    if (o.max_connections == 0) return bad("max_connections must be at least 1");
    if (o.request_timeout.count() <= 0 || o.idle_timeout.count() <= 0 ||
        o.write_timeout.count() <= 0 || o.check_budget.count() <= 0)
        return bad("request_timeout, idle_timeout, write_timeout and check_budget must be "
                   "positive");
    if (o.drain.count() < 0) return bad("drain must not be negative");
    if (o.drain > std::chrono::hours(1))
        return bad("drain must be at most one hour (stop() waits for it)");
    if (o.max_output_bytes < 65536) return bad("max_output_bytes must be at least 65536");
    if (o.port < 0 || o.port > 65535)
        return bad("port must be from 0 to 65535 (0 picks a free port), not " +
                   std::to_string(o.port));
    if (o.backlog <= 0) return bad("backlog must be positive");
    const std::string* paths[] = {&o.metrics_path, &o.health_path, &o.ready_path, &o.live_path};
    for (std::size_t i = 0; i < 4; ++i) {
        if (!valid_endpoint_path(*paths[i]))
            return bad("endpoint path " + message_value(*paths[i]) +
                       " must start with '/' and hold no spaces, '?' or '#'");
        for (std::size_t j = 0; j < i; ++j)
            if (!paths[i]->empty() && *paths[i] == *paths[j])
                return bad("endpoint path " + message_value(*paths[i]) + " is used twice");
    }
    for (char ch : o.bearer_token) {
        const auto c = static_cast<unsigned char>(ch);
        if (c > 0x20 && c < 0x7F) continue;
        // A token read whole from a file (a Kubernetes secret, `echo token > file`) keeps the
        // file's last line break: say so, since the message alone does not show it.
        const bool line_break = o.bearer_token.back() == '\n' || o.bearer_token.back() == '\r';
        return bad(std::string("bearer_token must be visible ASCII without spaces") +
                   (line_break ? " (it ends with a line break: strip the one a token read from a "
                                 "file keeps)"
                               : ""));
    }
    // Below these, every Kubernetes probe or Prometheus scrape would get 414 or 431.
    const std::size_t line = required_request_line(o);
    if (o.max_request_line < line)
        return bad("max_request_line must be at least " + std::to_string(line) +
                   " (64 plus the longest endpoint path): shorter, a Kubernetes probe or a "
                   "Prometheus scrape of that path gets 414");
    const std::size_t head = required_header_bytes(o);
    if (o.max_header_bytes < head)
        return bad("max_header_bytes must be at least " + std::to_string(head) +
                   (o.bearer_token.empty()
                        ? std::string()
                        : " (1024, plus 24 and the bearer_token's " +
                              std::to_string(o.bearer_token.size()) + " bytes)") +
                   ": smaller, a Prometheus scrape's header section (up to about 800 bytes "
                   "before its Authorization line) gets 431");
    if (o.max_headers < min_headers)
        return bad("max_headers must be at least 8: a Prometheus scrape sends 6 header fields "
                   "with a bearer token, a Kubernetes probe 4, and more get 431");
    socket_address a;
    if (!parse_address(o.bind_address, static_cast<std::uint16_t>(o.port), a))
        // "host:port", as prometheus-cpp's Exposer takes it, is the usual mistake here.
        // Shown escaped and cut short: a value read from configuration may hold anything.
        return bad("bind_address " + message_value(o.bind_address) +
                   " is not a numeric IPv4 or IPv6 address or \"localhost\" (host names are "
                   "not resolved; the port goes in server_options::port)");
    return {};
}

} // namespace detail

VITALS_END_NAMESPACE

#endif // VITALS_SERVER_OPTIONS_HPP
