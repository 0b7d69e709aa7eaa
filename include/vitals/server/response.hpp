// vitals/server/response.hpp - HTTP response heads and queueing a response on a connection.
// SPDX-License-Identifier: MIT
#ifndef VITALS_SERVER_RESPONSE_HPP
#define VITALS_SERVER_RESPONSE_HPP

#include <vitals/config.hpp>
#include <vitals/server/connection.hpp>
#include <vitals/server/socket.hpp>

#include <charconv>    // to_chars (integers)
#include <chrono>      // steady_clock
#include <cstddef>     // size_t
#include <cstdint>     // uint64_t
#include <cstdio>      // snprintf
#include <ctime>       // time, gmtime_r, gmtime_s
#include <string>      // string
#include <string_view> // string_view

VITALS_BEGIN_NAMESPACE
namespace detail {

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

/// Extra header lines a response may carry.
enum extra_header : unsigned { no_extra = 0, allow_get_head = 1, authenticate_bearer = 2 };

/// Writes response heads (with a Date cached per second) and queues responses on
/// connections. Owned by the server thread.
class response_writer {
public:
    using time_point = std::chrono::steady_clock::time_point;

    /// The current time of the loop turn; refreshes the Date header once a second.
    void set_now(time_point now) {
        now_ = now;
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

    time_point now() const noexcept { return now_; }

    /// The loop turn being served (the GETs of one turn share a render). Its time does not
    /// name it: the loop reads the clock again within a turn, after a render whose output
    /// the socket did not take at once.
    void set_turn(std::uint64_t turn) noexcept { turn_ = turn; }
    std::uint64_t turn() const noexcept { return turn_; }

    /// Appends a response head for a body of `length` bytes.
    void write_head(std::string& out, int code, std::string_view type, std::size_t length,
                    bool keep_alive, bool http10, unsigned extra) const {
        out += "HTTP/1.1 ";
        append_uint(out, static_cast<std::size_t>(code));
        out += ' ';
        out += reason_phrase(code);
        out += "\r\nContent-Type: ";
        out += type;
        out += "\r\nContent-Length: ";
        append_uint(out, length);
        out += "\r\nCache-Control: no-store\r\n";
        out.append(date_, date_length_);
        if (!keep_alive)
            out += "Connection: close\r\n";
        else if (http10)
            out += "Connection: keep-alive\r\n";
        if ((extra & allow_get_head) != 0) out += "Allow: GET, HEAD\r\n";
        if ((extra & authenticate_bearer) != 0)
            out += "WWW-Authenticate: Bearer realm=\"metrics\"\r\n";
        out += "\r\n";
    }

    /// Queues a response whose body is copied (small bodies); a HEAD request gets the head
    /// only. Without `keep` the connection closes once it is sent.
    void queue(server_connection& c, int code, std::string_view type, std::string_view body,
               bool head_only, bool keep, unsigned extra) {
        begin_output(c);
        write_head(c.out, code, type, body.size(), keep, http10_keep(c, keep), extra);
        if (!head_only) c.out.append(body.data(), body.size());
        if (!keep) c.close_after_write = true;
    }

    /// Sends a response straight from `body` when nothing is queued before it, copying only
    /// what the socket does not take at once. `length` is the Content-Length (a HEAD request
    /// passes an empty body and the length of the GET body).
    void send(server_connection& c, int code, std::string_view type, std::string_view body,
              std::size_t length, bool keep) {
        if (!keep) c.close_after_write = true;
        if (c.pending() > 0) { // earlier pipelined responses are still queued: append
            write_head(c.out, code, type, length, keep, http10_keep(c, keep), no_extra);
            c.out.append(body.data(), body.size());
            return;
        }
        head_.clear();
        write_head(head_, code, type, length, keep, http10_keep(c, keep), no_extra);
        begin_output(c);
        std::size_t sent = 0;
        const std::size_t total = head_.size() + body.size();
        while (sent < total) {
            const std::size_t h = sent < head_.size() ? sent : head_.size();
            const std::size_t b = sent > head_.size() ? sent - head_.size() : 0;
            const long long n = send_two(c.sock, head_.data() + h, head_.size() - h,
                                         body.data() + b, body.size() - b);
            if (n > 0) {
                sent += static_cast<std::size_t>(n);
                continue;
            }
            const int e = last_socket_error();
            if (n < 0 && is_interrupted(e)) continue;
            if (n < 0 && is_would_block(e)) break;
            c.dead = true;
            return;
        }
        c.last_activity = now_;
        if (sent < head_.size()) c.out.append(head_, sent, std::string::npos);
        const std::size_t body_sent = sent > head_.size() ? sent - head_.size() : 0;
        c.out.append(body.data() + body_sent, body.size() - body_sent);
    }

    /// Queues the interim `100 Continue` a client sending `Expect: 100-continue` waits for
    /// before it sends the body (RFC 9110, 10.1.1).
    void queue_continue(server_connection& c) {
        begin_output(c);
        c.out.append("HTTP/1.1 100 Continue\r\n\r\n");
    }

private:
    static bool http10_keep(const server_connection& c, bool keep) noexcept {
        return keep && c.parser.version_minor() == 0;
    }

    void begin_output(server_connection& c) const {
        if (c.pending() == 0) {
            c.out.clear();
            c.out_offset = 0;
            c.output_progress = now_;
            c.progress_sent = 0;
        }
    }

    time_point now_{};
    std::uint64_t turn_ = 0;
    std::time_t date_time_ = 0;
    char date_[64] = {};
    std::size_t date_length_ = 0;
    std::string head_; // response head for send(), reused
};

} // namespace detail
VITALS_END_NAMESPACE

#endif // VITALS_SERVER_RESPONSE_HPP
