// vitals 0.1.0 - header-only C++17 metrics for Prometheus, as a single header.
// GENERATED - DO NOT EDIT. Made by tools/amalgamate.py from include/vitals/server.hpp, include/vitals/process.hpp.
// Edit the headers under include/vitals/ and run `python3 tools/amalgamate.py` instead.
// Include it next to vitals.hpp (it includes "vitals.hpp").
// SPDX-License-Identifier: MIT
#include "vitals.hpp" // the core, whatever this file included before
// vitals/server.hpp - optional HTTP server for /metrics, /health, /ready and /live.
// SPDX-License-Identifier: MIT
//
// Link with threads (-pthread) and, on Windows, ws2_32. On Windows, include this header
// before <windows.h>, or define WIN32_LEAN_AND_MEAN before including <windows.h> (a plain
// <windows.h> brings the old winsock.h, which cannot be combined with <winsock2.h>).
//
// The one include for the server. Its parts live in vitals/server/: socket (OS layer),
// request_parser, negotiate, connection, response, loop (listener and poll loop), checks (with
// cached_probe), json, auth, options and self_metrics; this file wires them.
#ifndef VITALS_SERVER_HPP
#define VITALS_SERVER_HPP

#include "vitals.hpp"
// #include <vitals/detail/scrape_scope.hpp>: in "vitals.hpp"
// #include <vitals/error.hpp>: in "vitals.hpp"
// #include <vitals/exposition/openmetrics.hpp>: in "vitals.hpp"
// #include <vitals/registry.hpp>: in "vitals.hpp"
// #include <vitals/server/auth.hpp>
// vitals/server/auth.hpp - the bearer-token check of /metrics.
// SPDX-License-Identifier: MIT
#ifndef VITALS_SERVER_AUTH_HPP
#define VITALS_SERVER_AUTH_HPP

// #include <vitals/config.hpp>: in "vitals.hpp"
// #include <vitals/server/http_chars.hpp>
// vitals/server/http_chars.hpp - the character rules of HTTP that the request parser, the
// Accept negotiation and the Authorization check share.
// SPDX-License-Identifier: MIT
#ifndef VITALS_SERVER_HTTP_CHARS_HPP
#define VITALS_SERVER_HTTP_CHARS_HPP

// #include <vitals/config.hpp>: in "vitals.hpp"

#include <cstddef>     // size_t
#include <string_view> // string_view

VITALS_BEGIN_NAMESPACE
namespace detail {

/// RFC 9110, 5.6.2: the characters of a token (method, header name, media type, parameter).
inline bool http_token_char(char ch) noexcept {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
        return true;
    default:
        return false;
    }
}

/// Equality ignoring ASCII case, as HTTP compares header names, schemes and tokens (no locale:
/// bytes above 127 compare as they are).
inline bool http_iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
        if (x != y) return false;
    }
    return true;
}

} // namespace detail
VITALS_END_NAMESPACE

#endif // VITALS_SERVER_HTTP_CHARS_HPP

#include <cstddef>     // size_t
#include <string_view> // string_view

VITALS_BEGIN_NAMESPACE
namespace detail {

/// Whether `presented` equals `expected`, without an early exit: the time taken depends only
/// on the length of `presented` (the client's own input), so response timing reveals neither
/// how much of the token matched nor the token's length.
inline bool constant_time_equal(std::string_view presented, std::string_view expected) noexcept {
    if (expected.empty()) return presented.empty();
    std::size_t diff = presented.size() ^ expected.size();
    for (std::size_t i = 0; i < presented.size(); ++i)
        diff |= static_cast<std::size_t>(static_cast<unsigned char>(presented[i]) ^
                                         static_cast<unsigned char>(expected[i % expected.size()]));
    return diff == 0;
}

/// Whether an Authorization header value (`has` false: none was sent) carries `token` as a
/// bearer token. An empty `token` admits everyone.
inline bool bearer_authorized(std::string_view token, bool has, std::string_view value) noexcept {
    if (token.empty()) return true;
    if (!has) return false;
    if (value.size() < 7 || !http_iequals(value.substr(0, 6), "bearer") || value[6] != ' ')
        return false;
    value.remove_prefix(7);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    return constant_time_equal(value, token);
}

} // namespace detail
VITALS_END_NAMESPACE

#endif // VITALS_SERVER_AUTH_HPP
// #include <vitals/server/checks.hpp>
// vitals/server/checks.hpp - health checks: results, the check list and cached_probe.
// SPDX-License-Identifier: MIT
#ifndef VITALS_SERVER_CHECKS_HPP
#define VITALS_SERVER_CHECKS_HPP

// #include <vitals/config.hpp>: in "vitals.hpp"
// #include <vitals/detail/callback.hpp>: in "vitals.hpp"
// #include <vitals/error.hpp>: in "vitals.hpp"
// #include <vitals/server/json.hpp>
// vitals/server/json.hpp - the JSON the server writes (/health): strings escaped safely.
// SPDX-License-Identifier: MIT
#ifndef VITALS_SERVER_JSON_HPP
#define VITALS_SERVER_JSON_HPP

// #include <vitals/config.hpp>: in "vitals.hpp"
// #include <vitals/detail/utf8.hpp>: in "vitals.hpp"

#include <cstddef>     // size_t
#include <string>      // string
#include <string_view> // string_view

VITALS_BEGIN_NAMESPACE
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

} // namespace detail
VITALS_END_NAMESPACE

#endif // VITALS_SERVER_JSON_HPP
// #include <vitals/server/socket.hpp>
// vitals/server/socket.hpp - a thin layer over POSIX sockets and Winsock2 for the server.
// SPDX-License-Identifier: MIT
#ifndef VITALS_SERVER_SOCKET_HPP
#define VITALS_SERVER_SOCKET_HPP

// #include <vitals/config.hpp>: in "vitals.hpp"
// #include <vitals/detail/narrow.hpp>: in "vitals.hpp"

#include <cstddef>     // size_t
#include <cstdint>     // uint16_t
#include <cstring>     // memset, memcpy, strerror
#include <string>      // string, to_string
#include <string_view> // string_view

#if defined(_WIN32)
// <winsock2.h> must come before <windows.h>. The two macros keep <windows.h> from defining
// min/max and from pulling in the old winsock.h; they are removed again afterwards unless
// the program had set them itself.
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#define VITALS_DETAIL_UNDEF_LEAN_AND_MEAN
#endif
#ifndef NOMINMAX
#define NOMINMAX
#define VITALS_DETAIL_UNDEF_NOMINMAX
#endif
#include <winsock2.h> // SOCKET, WSAPoll, WSAStartup, WSASend, closesocket, FormatMessageA
#include <ws2tcpip.h> // inet_pton, inet_ntop, sockaddr_in6, IPV6_V6ONLY
#ifdef VITALS_DETAIL_UNDEF_LEAN_AND_MEAN
#undef WIN32_LEAN_AND_MEAN
#undef VITALS_DETAIL_UNDEF_LEAN_AND_MEAN
#endif
#ifdef VITALS_DETAIL_UNDEF_NOMINMAX
#undef NOMINMAX
#undef VITALS_DETAIL_UNDEF_NOMINMAX
#endif
#else
#include <arpa/inet.h>   // inet_pton, inet_ntop
#include <cerrno>        // errno, EAGAIN, EINTR
#include <fcntl.h>       // fcntl, O_NONBLOCK, FD_CLOEXEC
#include <netinet/in.h>  // sockaddr_in, sockaddr_in6, IPPROTO_IPV6
#include <netinet/tcp.h> // TCP_NODELAY
#include <poll.h>        // poll, pollfd
#include <sys/socket.h>  // socket, bind, listen, accept, sendmsg, recv, shutdown
#include <sys/uio.h>     // iovec
#include <unistd.h>      // close, pipe, read, write
#endif

VITALS_BEGIN_NAMESPACE
namespace detail {

#if defined(_WIN32)
using socket_t = SOCKET;
using poll_fd = WSAPOLLFD;
using sock_len = int;
constexpr socket_t invalid_socket = ~static_cast<socket_t>(0);
#else
using socket_t = int;
using poll_fd = pollfd;
using sock_len = socklen_t;
constexpr socket_t invalid_socket = -1;
#endif

/// The last socket error of this thread (errno, or WSAGetLastError()).
inline int last_socket_error() noexcept {
#if defined(_WIN32)
    return WSAGetLastError();
#else
    return errno;
#endif
}

/// The operating system's text for a socket error code.
inline std::string socket_error_text(int code) {
#if defined(_WIN32)
    char buffer[256] = {};
    const DWORD n = FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS,
                                   nullptr, static_cast<DWORD>(code), 0, buffer,
                                   static_cast<DWORD>(sizeof buffer), nullptr);
    std::string text(buffer, n);
    while (!text.empty() &&
           (text.back() == '\n' || text.back() == '\r' || text.back() == ' ' || text.back() == '.'))
        text.pop_back();
    if (text.empty()) text = "socket error";
    return text + " (WSA error " + std::to_string(code) + ")";
#else
    return std::string(std::strerror(code)) + " (errno " + std::to_string(code) + ")";
#endif
}

inline bool is_would_block(int code) noexcept {
#if defined(_WIN32)
    return code == WSAEWOULDBLOCK;
#elif EAGAIN == EWOULDBLOCK // the same value on Linux: comparing twice is -Wlogical-op
    return code == EAGAIN;
#else
    return code == EAGAIN || code == EWOULDBLOCK;
#endif
}

inline bool is_interrupted(int code) noexcept {
#if defined(_WIN32)
    return code == WSAEINTR;
#else
    return code == EINTR;
#endif
}

inline bool is_address_in_use(int code) noexcept {
#if defined(_WIN32)
    return code == WSAEADDRINUSE || code == WSAEACCES; // EXCLUSIVEADDRUSE conflicts: WSAEACCES
#else
    return code == EADDRINUSE;
#endif
}

/// accept() errors that mean "out of descriptors or memory": the listener must back off
/// instead of spinning on a connection it cannot take.
inline bool is_resource_exhausted(int code) noexcept {
#if defined(_WIN32)
    return code == WSAEMFILE || code == WSAENOBUFS;
#else
    return code == EMFILE || code == ENFILE || code == ENOBUFS || code == ENOMEM;
#endif
}

inline void close_socket(socket_t s) noexcept {
    if (s == invalid_socket) return;
#if defined(_WIN32)
    ::closesocket(s);
#else
    ::close(s);
#endif
}

inline bool set_nonblocking(socket_t s) noexcept {
#if defined(_WIN32)
    u_long on = 1;
    return ::ioctlsocket(s, static_cast<long>(FIONBIO), &on) == 0;
#else
    const int flags = ::fcntl(s, F_GETFL, 0);
    return flags >= 0 && ::fcntl(s, F_SETFL, flags | O_NONBLOCK) == 0;
#endif
}

#if !defined(_WIN32)
inline void set_cloexec(int fd) noexcept {
    const int flags = ::fcntl(fd, F_GETFD, 0);
    if (flags >= 0) ::fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
}
#endif

template <class T>
inline bool set_option(socket_t s, int level, int name, T value) noexcept {
#if defined(_WIN32)
    return ::setsockopt(s, level, name, reinterpret_cast<const char*>(&value),
                        static_cast<int>(sizeof value)) == 0;
#else
    return ::setsockopt(s, level, name, &value, narrow<socklen_t>(sizeof value)) == 0;
#endif
}

/// Settings for every socket vitals creates or accepts: not inherited by child processes,
/// and on platforms that have SO_NOSIGPIPE, writing to a reset connection raises no signal.
inline void prepare_socket(socket_t s) noexcept {
    static_cast<void>(s); // unused on Windows, where sockets are created non-inheritable
#if !defined(_WIN32)
    set_cloexec(s);
#endif
#if defined(SO_NOSIGPIPE)
    set_option(s, SOL_SOCKET, SO_NOSIGPIPE, 1);
#endif
}

/// A new non-blocking stream socket of `family`, or invalid_socket (error in
/// last_socket_error()).
inline socket_t open_stream_socket(int family) noexcept {
#if defined(_WIN32)
    socket_t s = ::WSASocketW(family, SOCK_STREAM, IPPROTO_TCP, nullptr, 0,
                              WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
    if (s == invalid_socket) return s;
#elif defined(SOCK_CLOEXEC) && defined(SOCK_NONBLOCK)
    socket_t s = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (s == invalid_socket) return s;
#else
    socket_t s = ::socket(family, SOCK_STREAM, 0);
    if (s == invalid_socket) return s;
#endif
    prepare_socket(s);
    if (!set_nonblocking(s)) {
        const int e = last_socket_error();
        close_socket(s);
#if defined(_WIN32)
        WSASetLastError(e);
#else
        errno = e;
#endif
        return invalid_socket;
    }
    return s;
}

/// Accepts one pending connection as a non-blocking socket, or returns invalid_socket
/// (error in last_socket_error()).
inline socket_t accept_connection(socket_t listener) noexcept {
#if defined(__linux__) && defined(SOCK_CLOEXEC) && defined(_GNU_SOURCE)
    socket_t s = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (s == invalid_socket) return s;
#else
    socket_t s = ::accept(listener, nullptr, nullptr);
    if (s == invalid_socket) return s;
    set_nonblocking(s);
#endif
    prepare_socket(s);
    return s;
}

/// Waits for events on `count` sockets; poll() semantics (no select(), so descriptors above
/// FD_SETSIZE work).
inline int poll_sockets(poll_fd* fds, std::size_t count, int timeout_ms) noexcept {
#if defined(_WIN32)
    return ::WSAPoll(fds, static_cast<ULONG>(count), timeout_ms);
#else
    return ::poll(fds, narrow<nfds_t>(count), timeout_ms);
#endif
}

/// Sends from two buffers in one call (either may be empty). Never raises SIGPIPE. Returns
/// the bytes sent, or -1 (error in last_socket_error()).
inline long long send_two(socket_t s, const char* a, std::size_t na, const char* b,
                          std::size_t nb) noexcept {
#if defined(_WIN32)
    WSABUF bufs[2];
    bufs[0].buf = const_cast<char*>(a);
    bufs[0].len = static_cast<ULONG>(na);
    bufs[1].buf = const_cast<char*>(b);
    bufs[1].len = static_cast<ULONG>(nb);
    DWORD sent = 0;
    if (::WSASend(s, bufs, nb ? 2 : 1, &sent, 0, nullptr, nullptr) != 0) return -1;
    return static_cast<long long>(sent);
#else
    iovec iov[2];
    iov[0].iov_base = const_cast<char*>(a);
    iov[0].iov_len = na;
    iov[1].iov_base = const_cast<char*>(b);
    iov[1].iov_len = nb;
    msghdr msg;
    std::memset(&msg, 0, sizeof msg);
    msg.msg_iov = iov;
    msg.msg_iovlen = nb ? 2 : 1;
#if defined(MSG_NOSIGNAL)
    const int flags = MSG_NOSIGNAL;
#else
    const int flags = 0; // SO_NOSIGPIPE is set on the socket instead
#endif
    return static_cast<long long>(::sendmsg(s, &msg, flags));
#endif
}

/// Receives up to `size` bytes. Returns the count, 0 at end of stream, or -1 (error in
/// last_socket_error()).
inline long long receive(socket_t s, char* data, std::size_t size) noexcept {
#if defined(_WIN32)
    const int n = ::recv(s, data, static_cast<int>(size > 0x40000000u ? 0x40000000u : size), 0);
    return n == SOCKET_ERROR ? -1 : static_cast<long long>(n);
#else
    return static_cast<long long>(::recv(s, data, size, 0));
#endif
}

/// Whether bytes wait to be received, without taking them (false at end of stream, on an
/// error, or when nothing has arrived; the socket is non-blocking).
inline bool input_waiting(socket_t s) noexcept {
    char byte = 0;
    return ::recv(s, &byte, 1, MSG_PEEK) > 0;
}

/// Whether the client has closed its end (or reset it) without sending a byte that waits
/// unread: a peek that finds the end of the stream or an error, not input or nothing yet.
inline bool closed_before_input(socket_t s) noexcept {
    char byte = 0;
    const auto n = ::recv(s, &byte, 1, MSG_PEEK);
    if (n >= 0) return n == 0;
    const int e = last_socket_error();
    return !is_would_block(e) && !is_interrupted(e); // a signal says nothing of the client
}

/// Stops sending (FIN) while still receiving.
inline void shutdown_send(socket_t s) noexcept {
#if defined(_WIN32)
    ::shutdown(s, SD_SEND);
#else
    ::shutdown(s, SHUT_WR);
#endif
}

/// An IPv4 or IPv6 socket address.
struct socket_address {
    sockaddr_storage storage;
    sock_len length = 0;

    int family() const noexcept { return storage.ss_family; }
    const sockaddr* get() const noexcept { return reinterpret_cast<const sockaddr*>(&storage); }
    sockaddr* get() noexcept { return reinterpret_cast<sockaddr*>(&storage); }
};

/// Parses a numeric IPv4 or IPv6 address ("0.0.0.0", "::1", "[::1]") or "localhost" (as
/// 127.0.0.1). No name resolution. Returns false when `host` is not such an address.
inline bool parse_address(std::string_view host, std::uint16_t port, socket_address& out) {
    std::memset(&out.storage, 0, sizeof out.storage);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    if (host.empty() || host.size() > 64 || host.find('\0') != std::string_view::npos) return false;
    const std::string text = host == "localhost" ? std::string("127.0.0.1") : std::string(host);
    sockaddr_in v4;
    std::memset(&v4, 0, sizeof v4);
    if (::inet_pton(AF_INET, text.c_str(), &v4.sin_addr) == 1) {
        v4.sin_family = AF_INET;
        v4.sin_port = htons(port);
        std::memcpy(&out.storage, &v4, sizeof v4);
        out.length = narrow<sock_len>(sizeof v4);
        return true;
    }
    sockaddr_in6 v6;
    std::memset(&v6, 0, sizeof v6);
    if (::inet_pton(AF_INET6, text.c_str(), &v6.sin6_addr) == 1) {
        v6.sin6_family = AF_INET6;
        v6.sin6_port = htons(port);
        std::memcpy(&out.storage, &v6, sizeof v6);
        out.length = narrow<sock_len>(sizeof v6);
        return true;
    }
    return false;
}

/// "1.2.3.4:80" or "[::1]:80".
inline std::string format_address(const socket_address& a) {
    char text[64] = {};
    std::uint16_t port = 0;
    if (a.family() == AF_INET6) {
        sockaddr_in6 v6;
        std::memcpy(&v6, &a.storage, sizeof v6);
        ::inet_ntop(AF_INET6, &v6.sin6_addr, text, sizeof text);
        port = ntohs(v6.sin6_port);
        return "[" + std::string(text) + "]:" + std::to_string(port);
    }
    sockaddr_in v4;
    std::memcpy(&v4, &a.storage, sizeof v4);
    ::inet_ntop(AF_INET, &v4.sin_addr, text, sizeof text);
    port = ntohs(v4.sin_port);
    return std::string(text) + ":" + std::to_string(port);
}

/// The local port a socket is bound to (0 when unknown).
inline std::uint16_t local_port(socket_t s) noexcept {
    socket_address a;
    a.length = narrow<sock_len>(sizeof a.storage);
    if (::getsockname(s, a.get(), &a.length) != 0) return 0;
    if (a.family() == AF_INET6) {
        sockaddr_in6 v6;
        std::memcpy(&v6, &a.storage, sizeof v6);
        return ntohs(v6.sin6_port);
    }
    sockaddr_in v4;
    std::memcpy(&v4, &a.storage, sizeof v4);
    return ntohs(v4.sin_port);
}

/// Keeps Winsock initialised while it lives: WSAStartup in the constructor, WSACleanup in the
/// destructor (Windows counts the calls). Nothing on POSIX. Never used at static
/// initialisation: each server owns one.
class socket_library {
public:
    socket_library() noexcept {
#if defined(_WIN32)
        WSADATA data;
        error_ = ::WSAStartup(MAKEWORD(2, 2), &data);
#endif
    }
    ~socket_library() {
#if defined(_WIN32)
        if (error_ == 0) ::WSACleanup();
#endif
    }
    socket_library(const socket_library&) = delete;
    socket_library& operator=(const socket_library&) = delete;

    /// 0 when sockets can be used, else the WSAStartup error.
    int error() const noexcept { return error_; }

private:
    int error_ = 0;
};

/// Wakes a thread blocked in poll_sockets() from another thread: a pipe on POSIX, a UDP
/// socket sending to itself on 127.0.0.1 on Windows (WSAPoll only takes sockets).
class wakeup {
public:
    wakeup() noexcept = default;
    wakeup(const wakeup&) = delete;
    wakeup& operator=(const wakeup&) = delete;
    ~wakeup() { close(); }

    /// Creates the channel. Returns 0, or the OS error code.
    int open() noexcept {
        close();
#if defined(_WIN32)
        socket_t s = ::WSASocketW(AF_INET, SOCK_DGRAM, IPPROTO_UDP, nullptr, 0,
                                  WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
        if (s == invalid_socket) return last_socket_error();
        socket_address a;
        parse_address("127.0.0.1", 0, a);
        sock_len len = a.length;
        if (::bind(s, a.get(), a.length) != 0 || ::getsockname(s, a.get(), &len) != 0 ||
            ::connect(s, a.get(), len) != 0 || !set_nonblocking(s)) {
            const int e = last_socket_error();
            close_socket(s);
            return e == 0 ? WSAEINVAL : e;
        }
        read_ = write_ = s;
#else
        int fds[2];
#if defined(__linux__) && defined(O_CLOEXEC) && defined(_GNU_SOURCE)
        // Close-on-exec from the start: a fork() and exec() on another thread between pipe()
        // and fcntl() would hand the pipe to the new program.
        if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) return errno;
#else
        if (::pipe(fds) != 0) return errno;
        for (int fd : fds) {
            set_cloexec(fd);
            set_nonblocking(fd);
        }
#endif
        read_ = fds[0];
        write_ = fds[1];
#endif
        return 0;
    }

    /// What to poll for readability.
    socket_t handle() const noexcept { return read_; }

    /// Wakes the poller. Safe from any thread; several calls may coalesce.
    void signal() noexcept {
        const char byte = 1;
#if defined(_WIN32)
        ::send(write_, &byte, 1, 0);
#else
        const auto n = ::write(write_, &byte, 1); // a full pipe already wakes the poller
        static_cast<void>(n);
#endif
    }

    /// Empties the channel after a wake-up.
    void drain() noexcept {
        char buffer[64];
#if defined(_WIN32)
        while (::recv(read_, buffer, static_cast<int>(sizeof buffer), 0) > 0) {}
#else
        while (::read(read_, buffer, sizeof buffer) > 0) {}
#endif
    }

    void close() noexcept {
#if defined(_WIN32)
        close_socket(read_);
#else
        if (read_ != invalid_socket) ::close(read_);
        if (write_ != invalid_socket) ::close(write_);
#endif
        read_ = write_ = invalid_socket;
    }

private:
    socket_t read_ = invalid_socket;
    socket_t write_ = invalid_socket;
};

} // namespace detail
VITALS_END_NAMESPACE

#endif // VITALS_SERVER_SOCKET_HPP
// #include <vitals/server/thread.hpp>
// vitals/server/thread.hpp - the server headers' threads and sleeps, on the OS API.
// SPDX-License-Identifier: MIT
#ifndef VITALS_SERVER_THREAD_HPP
#define VITALS_SERVER_THREAD_HPP

// std::thread would do, but <thread> and std::thread's constructor, compiled for each of its
// callables, add measurably to the compile time of a file that includes <vitals/server.hpp>
// (bench/compile_ab.sh).
// The server includes the OS headers anyway (socket.hpp: <winsock2.h> includes <windows.h>).

// #include <vitals/config.hpp>: in "vitals.hpp"
// #include <vitals/server/socket.hpp>: inlined above

#include <cerrno>  // errno, EINTR
#include <cstdint> // uintptr_t
#include <cstring> // memcpy, strerror
#include <string>  // string, to_string

#if defined(_WIN32)
#include <process.h> // _beginthreadex
#else
#include <ctime>     // nanosleep, timespec
#include <pthread.h> // pthread_create, pthread_join, pthread_self
#endif

VITALS_BEGIN_NAMESPACE
namespace detail {

/// A thread running body(arg), joined by join() (or by the destructor, which waits for it).
class os_thread {
public:
    using body_fn = void (*)(void*);

    os_thread() noexcept = default;
    os_thread(const os_thread&) = delete;
    os_thread& operator=(const os_thread&) = delete;
    ~os_thread() { join(); }

    /// Starts the thread. Returns 0, or the OS error code (nothing started; see
    /// thread_error_text()). Must not be joinable.
    int start(body_fn body, void* arg) noexcept {
        body_ = body;
        arg_ = arg;
#if defined(_WIN32)
        const std::uintptr_t h = ::_beginthreadex(nullptr, 0, &entry, this, 0, nullptr);
        if (h == 0) return errno;
        handle_ = reinterpret_cast<HANDLE>(h);
#else
        const int e = ::pthread_create(&thread_, nullptr, &entry, this);
        if (e != 0) return e;
#endif
        started_ = true;
        return 0;
    }

    /// Whether a started thread has not been joined yet.
    bool joinable() const noexcept { return started_; }

    /// Waits for the thread to end; nothing when not joinable. Not from the thread itself.
    void join() noexcept {
        if (!started_) return;
#if defined(_WIN32)
        ::WaitForSingleObject(handle_, INFINITE);
        ::CloseHandle(handle_);
        handle_ = nullptr;
#else
        ::pthread_join(thread_, nullptr);
#endif
        started_ = false;
    }

private:
#if defined(_WIN32)
    static unsigned __stdcall entry(void* self) {
        static_cast<os_thread*>(self)->body_(static_cast<os_thread*>(self)->arg_);
        return 0;
    }
    HANDLE handle_ = nullptr;
#else
    static void* entry(void* self) {
        static_cast<os_thread*>(self)->body_(static_cast<os_thread*>(self)->arg_);
        return nullptr;
    }
    pthread_t thread_{};
#endif
    body_fn body_ = nullptr;
    void* arg_ = nullptr;
    bool started_ = false;
};

/// The OS message for an error code of os_thread::start().
inline std::string thread_error_text(int error) {
    return std::string(std::strerror(error)) + " (" + std::to_string(error) + ")";
}

/// The calling thread, as a number that no other live thread of the process has and that is
/// never 0 (the same in every module of the process, unlike a thread_local's address).
inline std::uintptr_t current_thread_token() noexcept {
#if defined(_WIN32)
    return static_cast<std::uintptr_t>(::GetCurrentThreadId());
#else
    // pthread_t is an integer or a pointer (the thread's control block) on every POSIX system
    // vitals builds on, and never 0 for a live thread.
    static_assert(sizeof(pthread_t) <= sizeof(std::uintptr_t), "pthread_t wider than a pointer");
    const pthread_t self = ::pthread_self();
    std::uintptr_t token = 0;
    std::memcpy(&token, &self, sizeof self);
    return token;
#endif
}

/// Sleeps for `ms` milliseconds (nothing when not positive), however long.
inline void sleep_ms(long long ms) noexcept {
    while (ms > 0) {
        const long long step = ms < 3600LL * 1000 ? ms : 3600LL * 1000;
#if defined(_WIN32)
        ::Sleep(static_cast<DWORD>(step));
#else
        timespec t{};
        t.tv_sec = static_cast<std::time_t>(step / 1000);
        t.tv_nsec = static_cast<long>(step % 1000) * 1000000L;
        while (::nanosleep(&t, &t) != 0 && errno == EINTR) {}
#endif
        ms -= step;
    }
}

} // namespace detail
VITALS_END_NAMESPACE

#endif // VITALS_SERVER_THREAD_HPP

#include <atomic>      // atomic
#include <chrono>      // steady_clock, milliseconds
#include <cstdint>     // uintptr_t
#include <mutex>       // mutex, lock_guard
#include <string>      // string, to_string
#include <type_traits> // decay_t, invoke_result_t, is_invocable, is_pointer, is_same
#include <utility>     // move

#if VITALS_DETAIL_CAN_CATCH()
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

namespace detail {
template <class Fn>
check_function make_check(Fn fn);

template <class>
constexpr bool always_false = false;
} // namespace detail

/// Runs a slow probe (a database ping, a downstream call) on its own thread every
/// `interval` and keeps the latest result, so that a health check can read it without
/// waiting: `server.add_readiness_check("db", probe.check())`.
///
/// Until the first run completes the cached result is a failure ("no result yet"); a result
/// older than `max_age` (default: three intervals) is reported as a failure, so a probe that
/// hangs does not keep reporting its last success. A new result arrives every interval plus
/// the probe's own run time: keep max_age above both together. The destructor stops the thread and
/// waits for a running probe to return: give the probe its own I/O timeout. Thread-safe.
/// Between runs the thread sleeps on a pipe (a loopback socket on Windows) that stop()
/// signals; when no descriptor is free for it, it wakes every 20 ms to look for a stop.
class cached_probe {
public:
    /// Starts the probe thread; the first run starts at once. Allocates. The probe is what a
    /// health check is: a callable taking no arguments and returning vitals::check_result, or
    /// bool (true passes; false fails with "check returned false"). An interval that is
    /// not positive is reported through the error policy (errc::invalid_argument). Longer
    /// intervals and ages than max_interval and 3 * max_interval are taken as those (the
    /// clock arithmetic of longer waits overflows). When the OS refuses a thread, the check
    /// fails with "cannot start the probe thread: " and the OS message.
    template <class Probe,
              std::enable_if_t<!std::is_same<std::decay_t<Probe>, check_function>::value, int> = 0>
    cached_probe(Probe probe, std::chrono::milliseconds interval,
                 std::chrono::milliseconds max_age = std::chrono::milliseconds{0})
        : cached_probe(detail::make_check(std::move(probe)), interval, max_age) {}
    /// cached_probe() for a check_function.
    cached_probe(check_function probe, std::chrono::milliseconds interval,
                 std::chrono::milliseconds max_age = std::chrono::milliseconds{0})
        : state_(new shared()) {
        if (interval.count() <= 0 || max_age.count() < 0 || !probe)
            detail::fail(status(errc::invalid_argument,
                                "cached_probe needs a probe function, a positive interval and "
                                "a max_age that is not negative"));
        if (interval > max_interval) interval = max_interval;
        if (max_age > 3 * max_interval) max_age = 3 * max_interval;
        state_->max_age = max_age.count() > 0 ? max_age : 3 * interval;
        state_->can_wake = state_->sockets.error() == 0 && state_->wake.open() == 0;
        auto* job = new probe_job{state_, std::move(probe), interval};
        const int thread_error = thread_.start(&run_job, job);
        if (thread_error != 0) { // the check then fails, saying why
            delete job;
            std::lock_guard<std::mutex> lock(state_->mutex);
            state_->no_thread =
                "cannot start the probe thread: " + detail::thread_error_text(thread_error);
        }
    }
    cached_probe(const cached_probe&) = delete; // a server takes its check: probe.check()
    cached_probe& operator=(const cached_probe&) = delete;
    ~cached_probe() { stop(); }

    /// The longest interval between runs: 30 days.
    static constexpr std::chrono::milliseconds max_interval{30LL * 24 * 60 * 60 * 1000};

    /// The latest result (a copy), judged for age. Allocates for the message.
    check_result result() const { return read(*state_); }

    /// A check function reading the cached result; it stays safe to call after the probe is
    /// destroyed (it then reports `fail`).
    check_function check() const& {
        return [state = state_] { return read(*state); };
    }
    /// check() of a probe made in the same statement does not compile: that probe stops at
    /// the end of the statement, and its check would fail from then on ("probe stopped").
    template <class Probe = cached_probe>
    check_function check() const&& {
        static_assert(detail::always_false<Probe>,
                      "vitals: cached_probe(...).check() reads a probe stopped at the end of the "
                      "statement (the check fails with \"probe stopped\"); keep the probe in a "
                      "variable or member that lives as long as the server");
        return {};
    }

    /// Stops the probe thread (waits for a running probe) and closes its wake-up channel.
    /// Idempotent; callers on several threads all return once the thread has ended. From the
    /// probe function it only asks the thread to end after this run.
    void stop() {
        state_->stop.store(true);
        if (detail::current_thread_token() == state_->thread_token.load())
            return; // a thread cannot join itself
        // One caller joins at a time (two joins of one thread hang), and none signals the
        // channel once it is closed (its descriptor number may be reused by then).
        std::lock_guard<std::mutex> lock(stop_mutex_);
        if (!thread_.joinable()) return;
        if (state_->can_wake) state_->wake.signal();
        thread_.join();
        // check() copies keep the state (a server's readiness check, for as long as the
        // server lives): a stopped probe must not hold descriptors with it.
        state_->wake.close();
    }

private:
    struct shared {
        std::atomic<int> refs{1}; // held by the probe, its thread and every check() copy
        std::mutex mutex;
        std::atomic<bool> stop{false};
        std::atomic<std::uintptr_t> thread_token{0}; // the probe thread's (current_thread_token())
        // The probe thread sleeps in poll() on this channel, which stop() signals (a pipe;
        // on Windows a socket, hence the Winsock reference). Without descriptors to open
        // one, it sleeps in slices of sleep_slice and looks at `stop` between them.
        detail::socket_library sockets;
        detail::wakeup wake;
        bool can_wake = false;
        std::string no_thread; // why the probe thread did not start; empty when it did
        bool has_result = false;
        check_result last;
        std::chrono::steady_clock::time_point at;
        std::chrono::milliseconds max_age{0};
    };

    static check_result run_once(const check_function& fn) {
#if VITALS_DETAIL_CAN_CATCH()
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
        s.thread_token.store(detail::current_thread_token());
        do {
            check_result r = run_once(fn);
            std::lock_guard<std::mutex> lock(s.mutex);
            s.last = std::move(r);
            s.at = std::chrono::steady_clock::now();
            s.has_result = true;
        } while (!sleep_unless_stopped(s, interval));
    }

    static constexpr std::chrono::milliseconds sleep_slice{20};

    // Waits for `interval` (at most max_interval, so the deadline cannot overflow) or until
    // stop(); true when stopped. A signal sent before the poll starts stays in the channel,
    // so a stop is never missed.
    static bool sleep_unless_stopped(shared& s, std::chrono::milliseconds interval) {
        using clock = std::chrono::steady_clock;
        const clock::time_point deadline = clock::now() + interval;
        for (;;) {
            if (s.stop.load()) return true;
            const clock::duration left = deadline - clock::now();
            if (left <= clock::duration::zero()) return false;
            // poll() takes int milliseconds: an hour at most per call, rounded up so that a
            // wait never ends just short of the deadline and spins.
            long long ms = std::chrono::duration_cast<std::chrono::milliseconds>(left).count() + 1;
            if (ms > 3600LL * 1000) ms = 3600LL * 1000;
            if (s.can_wake) {
                detail::poll_fd channel{};
                channel.fd = s.wake.handle();
                channel.events = POLLIN;
                detail::poll_sockets(&channel, 1, static_cast<int>(ms));
            } else {
                detail::sleep_ms(ms < sleep_slice.count() ? ms : sleep_slice.count());
            }
        }
    }

    static check_result read(shared& s) {
        std::lock_guard<std::mutex> lock(s.mutex);
        if (s.stop.load()) return check_result::fail("probe stopped");
        if (!s.no_thread.empty()) return check_result::fail(s.no_thread);
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

    // What the probe thread runs; it deletes its job when it ends.
    struct probe_job {
        state_ref state;
        check_function fn;
        std::chrono::milliseconds interval;
    };

    static void run_job(void* job) {
        probe_job* j = static_cast<probe_job*>(job);
        run(*j->state, j->fn, j->interval);
        delete j;
    }

    state_ref state_;
    std::mutex stop_mutex_; // serialises stop()
    detail::os_thread thread_;
};

namespace detail {

/// A check_function from what add_liveness_check(), add_readiness_check() and cached_probe
/// were given: a check_function as is, a callable returning check_result, or one returning
/// bool (true passes; false fails with the message "check returned false"). As for a
/// check_function, the callable may change its own state (a mutable lambda, which a probe
/// keeping a connection is), and a null function pointer makes an empty check. Anything
/// else is a compile-time error that says what is expected.
template <class Fn>
check_function make_check(Fn fn) {
    if constexpr (std::is_same<std::decay_t<Fn>, check_function>::value) {
        return fn;
    } else if constexpr (!std::is_invocable<Fn&>::value) {
        static_assert(always_false<Fn>,
                      "vitals: a health check must be a callable taking no arguments and "
                      "returning bool (true = pass) or vitals::check_result");
        return {};
    } else {
        using returned = std::invoke_result_t<Fn&>;
        if constexpr (std::is_same<std::decay_t<returned>, bool>::value) {
            if constexpr (std::is_pointer<Fn>::value) {
                if (!fn) return {};
            }
            return [fn = std::move(fn)]() mutable {
                return fn() ? check_result::pass() : check_result::fail("check returned false");
            };
        } else if constexpr (std::is_convertible<returned, check_result>::value) {
            return check_function(std::move(fn));
        } else {
            static_assert(always_false<Fn>,
                          "vitals: a health check must return bool (true = pass) or "
                          "vitals::check_result");
            return {};
        }
    }
}

/// The liveness and readiness checks of a server, by name. Adding is thread-safe; running
/// happens on the server thread.
class check_list {
public:
    check_list() = default;
    check_list(const check_list&) = delete;
    check_list& operator=(const check_list&) = delete;
    ~check_list() {
        while (checks_) {
            named_check* next = checks_->next;
            delete checks_;
            checks_ = next;
        }
    }

    /// Adds (or replaces, by name and kind) a check. Allocates. Called from a check that
    /// run() is running, it would wait for itself forever (and every endpoint with it): it
    /// is reported through the error policy instead (vitals::error, which fails that check).
    void add(std::string name, check_function fn, bool readiness) {
        if (runner_.load() == current_thread_token())
            fail(status(errc::invalid_argument,
                        "add_liveness_check() and add_readiness_check() cannot be called from a "
                        "health check (it would wait for itself): add checks before start(), or "
                        "from another thread"));
        std::lock_guard<std::mutex> lock(mutex_);
        for (named_check* c = checks_; c; c = c->next)
            if (c->readiness == readiness && c->name == name) {
                c->fn = std::move(fn);
                return;
            }
        *tail_ = new named_check{std::move(name), std::move(fn), readiness, nullptr};
        tail_ = &(*tail_)->next;
    }

    /// Runs the liveness (or readiness) checks; true when all pass. With `json`, appends
    /// each as a JSON object (comma-separated) to *json.
    bool run(bool readiness, std::chrono::milliseconds budget, std::string* json) {
        std::lock_guard<std::mutex> lock(mutex_);
        struct running { // runner_ is this thread's while the lock is held
            std::atomic<std::uintptr_t>& runner;
            explicit running(std::atomic<std::uintptr_t>& r) : runner(r) {
                runner.store(current_thread_token());
            }
            ~running() { runner.store(0); }
            running(const running&) = delete;
            running& operator=(const running&) = delete;
        } guard(runner_);
        bool all = true;
        for (const named_check* check = checks_; check; check = check->next) {
            const named_check& c = *check;
            if (c.readiness != readiness) continue;
            const check_result r = run_one(c.fn, budget);
            all = all && r.ok;
            if (!json) continue;
            std::string& out = *json;
            if (!out.empty()) out += ',';
            out += "{\"name\":";
            append_json_string(out, c.name);
            out += readiness ? ",\"kind\":\"readiness\"" : ",\"kind\":\"liveness\"";
            out += r.ok ? ",\"status\":\"pass\"" : ",\"status\":\"fail\"";
            out += ",\"message\":";
            append_json_string(out, r.message);
            out += '}';
        }
        return all;
    }

private:
    struct named_check {
        std::string name;
        check_function fn;
        bool readiness;
        named_check* next;
    };

    static check_result run_one(const check_function& fn, std::chrono::milliseconds budget) {
        using clock = std::chrono::steady_clock;
        if (!fn) return check_result::fail("no check function");
        const clock::time_point start = clock::now();
        check_result r;
#if VITALS_DETAIL_CAN_CATCH()
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
        if (took > budget) {
            std::string message = "check took " + std::to_string(took.count()) +
                                  " ms, over its budget of " + std::to_string(budget.count()) +
                                  " ms";
            if (!r.message.empty()) message += " (it said: " + r.message + ")";
            r = check_result::fail(std::move(message));
        }
        return r;
    }

    std::mutex mutex_;
    std::atomic<std::uintptr_t> runner_{0}; // the thread in run(), holding mutex_; else 0
    // In the order added: a linked list rather than a std::vector<named_check>, whose
    // push_back every file including server.hpp compiled.
    named_check* checks_ = nullptr;
    named_check** tail_ = &checks_;
};

} // namespace detail

VITALS_END_NAMESPACE

#endif // VITALS_SERVER_CHECKS_HPP
// #include <vitals/server/connection.hpp>
// vitals/server/connection.hpp - one client connection: socket, parser, buffers, deadlines.
// SPDX-License-Identifier: MIT
#ifndef VITALS_SERVER_CONNECTION_HPP
#define VITALS_SERVER_CONNECTION_HPP

// #include <vitals/config.hpp>: in "vitals.hpp"
// #include <vitals/server/request_parser.hpp>
// vitals/server/request_parser.hpp - an incremental, bounded HTTP/1.x request parser.
// SPDX-License-Identifier: MIT
#ifndef VITALS_SERVER_REQUEST_PARSER_HPP
#define VITALS_SERVER_REQUEST_PARSER_HPP

// #include <vitals/config.hpp>: in "vitals.hpp"
// #include <vitals/detail/narrow.hpp>: in "vitals.hpp"
// #include <vitals/server/http_chars.hpp>: inlined above

#include <cstddef>     // size_t
#include <cstdint>     // uint64_t
#include <cstring>     // memchr
#include <string>      // string
#include <string_view> // string_view

VITALS_BEGIN_NAMESPACE
namespace detail {

/// Bounds on what one request may contain. Each bound is checked before the bytes that would
/// exceed it are stored, so a parser never holds more than about max_request_line +
/// max_header_bytes bytes, whatever a client sends.
struct http_limits {
    std::size_t max_request_line = 8192;  ///< request line, CRLF excluded (else 414)
    std::size_t max_header_bytes = 16384; ///< header section incl. line ends (else 431)
    std::size_t max_headers = 100;        ///< header fields (else 431)
    std::size_t max_body_bytes = 65536;   ///< body, which is read and discarded (else 413)
};

/// Parses one HTTP/1.x request at a time from bytes fed in arbitrary pieces (pipelined
/// requests follow each other in the same stream). Pure code: no I/O, no clock, no
/// exceptions of its own; memory grows only up to the limits and is kept across reset().
///
/// Only what a metrics and health endpoint needs is kept: method, path (query removed),
/// version, keep-alive, Authorization, Accept. A body (Content-Length or chunked) is
/// validated and skipped. Anything malformed fails the request with the status code to
/// answer: 400, 413, 414, 431, 501 (unsupported Transfer-Encoding) or 505 (not HTTP/1.x).
/// Lenient where leniency is safe: a missing Host header is accepted, and lone LF line ends
/// and blank lines before the request line are allowed (RFC 9112, 2.2), but not inside
/// chunked framing, where every line must end with CRLF: what delimits a request is read to
/// the letter, so that a proxy in front cannot find a request where this parser finds body,
/// or the reverse.
/// Not thread-safe; one parser per connection.
class http_request_parser {
public:
    enum class state { incomplete, complete, failed };

    explicit http_request_parser(const http_limits& limits = http_limits{}) : limits_(limits) {}

    /// Consumes bytes from `data`; returns how many were used. Stops right after the last byte
    /// of a complete request (state() == complete) or at the byte that made it fail. Returns
    /// 0 without reading when the state is already complete or failed.
    std::size_t feed(const char* data, std::size_t size) {
        std::size_t pos = 0;
        while (pos < size && state_ == state::incomplete) pos += step(data + pos, size - pos);
        return pos;
    }

    state status() const noexcept { return state_; }
    /// True once the current request's first line began. Blank lines before it do not start
    /// a request (a connection that sent only those is idle), though they count against the
    /// request-line limit.
    bool started() const noexcept { return started_; }
    /// The status code to answer a failed request with (0 unless failed).
    int error_status() const noexcept { return error_status_; }
    /// A short reason for the failure, for the response body (empty unless failed).
    const char* error_reason() const noexcept { return error_reason_; }

    std::string_view method() const noexcept { return method_; }
    /// The path of the target: origin-form up to '?', the path of an absolute-form
    /// target ("/" when it has none), or "*".
    std::string_view path() const noexcept { return path_; }
    /// The minor version of HTTP/1.x.
    int version_minor() const noexcept { return minor_; }
    /// Whether the connection may stay open after the response (HTTP/1.1 unless
    /// `Connection: close`; HTTP/1.0 only with `Connection: keep-alive`).
    bool keep_alive() const noexcept {
        if (close_) return false;
        return minor_ >= 1 || keep_alive_token_;
    }
    bool has_authorization() const noexcept { return has_authorization_; }
    /// Whether the client waits for `100 Continue` before sending the body it announced
    /// (`Expect: 100-continue` on HTTP/1.1; ignored on HTTP/1.0, RFC 9110, 10.1.1): true
    /// from the end of the header section until continue_sent() or the request completes.
    bool awaiting_continue() const noexcept {
        return expect_continue_ && !continue_sent_ && state_ == state::incomplete &&
               (phase_ == phase::body || phase_ == phase::chunk_size);
    }
    /// Records that `100 Continue` was queued for this request.
    void continue_sent() noexcept { continue_sent_ = true; }
    /// Records that this request is answered without reading its content: keep_alive() is
    /// false from now on, since the content that may still arrive cannot be told apart from a
    /// next request.
    void skip_content() noexcept {
        close_ = true;
        continue_sent_ = true;
    }
    /// The Accept header (several are joined with ","); empty when none was sent.
    std::string_view accept() const noexcept { return accept_; }
    std::string_view authorization() const noexcept { return authorization_; }

    /// Prepares for the next request on the same connection; keeps allocated memory.
    void reset() noexcept {
        state_ = state::incomplete;
        phase_ = phase::start;
        started_ = false;
        pending_cr_ = false;
        error_status_ = 0;
        error_reason_ = "";
        line_.clear();
        method_.clear();
        path_.clear();
        authorization_.clear();
        accept_.clear();
        minor_ = 1;
        close_ = false;
        keep_alive_token_ = false;
        has_authorization_ = false;
        has_content_length_ = false;
        chunked_ = false;
        has_transfer_encoding_ = false;
        other_coding_ = false;
        has_host_ = false;
        expect_continue_ = false;
        continue_sent_ = false;
        content_length_ = 0;
        remaining_ = 0;
        body_total_ = 0;
        header_bytes_ = 0;
        header_count_ = 0;
    }

private:
    enum class phase {
        start,        // skipping blank lines before the request line
        request_line, // collecting the request line
        header_line,  // collecting a header field line
        body,         // skipping remaining_ body bytes
        chunk_size,   // collecting a chunk-size line
        chunk_data,   // skipping remaining_ chunk bytes
        chunk_end,    // expecting the CRLF after chunk data
        trailer_line, // collecting a trailer field line
    };

    static bool is_ows(char c) noexcept { return c == ' ' || c == '\t'; }
    static std::string_view trim(std::string_view s) noexcept {
        while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
        while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
        return s;
    }

    // Takes the next element of a comma-separated field value (RFC 9110, 5.6.1) off `rest`,
    // trimmed; an empty element comes out empty.
    static std::string_view next_element(std::string_view& rest) noexcept {
        const std::size_t comma = rest.find(',');
        const std::string_view element = trim(rest.substr(0, comma));
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
        return element;
    }

    std::size_t fail(int code, const char* reason) noexcept {
        state_ = state::failed;
        error_status_ = code;
        error_reason_ = reason;
        return 1; // the offending byte counts as read
    }

    // Appends bytes up to (not including) the next LF to line_, storing at most `max_stored`
    // bytes in all. Returns the number of bytes consumed; sets `done` when the LF was consumed.
    // The bound is checked before anything is stored.
    // Control bytes (NUL, or a TLS handshake sent to a plain port) fail at once, without
    // waiting for a line end that may never come.
    std::size_t collect_line(const char* data, std::size_t size, std::size_t max_stored, bool& done,
                             int over_status, const char* over_reason, bool allow_tab) {
        done = false;
        const void* lf = std::memchr(data, '\n', size);
        const std::size_t take =
            lf ? static_cast<std::size_t>(static_cast<const char*>(lf) - data) : size;
        // Bytes past the limit are never looked at, so the outcome does not depend on how
        // the input was split into pieces.
        const std::size_t room = max_stored > line_.size() ? max_stored - line_.size() : 0;
        const std::size_t check = take < room ? take : room;
        for (std::size_t i = 0; i < check; ++i) {
            const auto c = static_cast<unsigned char>(data[i]);
            if ((c < 0x20 && c != '\r' && !(allow_tab && c == '\t')) || c == 0x7F) {
                fail(400, "invalid character in request");
                return i + 1;
            }
        }
        if (take > room) {
            fail(over_status, over_reason);
            return take == 0 ? 1 : take;
        }
        line_.append(data, take);
        if (!lf) return take;
        done = true;
        return take + 1;
    }

    // Removes the CR of a CRLF line end; false when a CR appears anywhere else or the line
    // holds a NUL or other control byte that no request may contain.
    bool finish_line(bool allow_tab) noexcept {
        if (!line_.empty() && line_.back() == '\r') line_.pop_back();
        for (char ch : line_) {
            const auto c = static_cast<unsigned char>(ch);
            if ((c < 0x20 && !(allow_tab && c == '\t')) || c == 0x7F) return false;
        }
        return true;
    }

    std::size_t step(const char* data, std::size_t size) {
        if (pending_cr_) { // a CR ended the previous piece: only LF may follow it
            pending_cr_ = false;
            if (data[0] != '\n') return fail(400, "bare CR in request");
            return 1;
        }
        bool done = false;
        switch (phase_) {
        case phase::start: {
            // Robustness (RFC 9112, 2.2): ignore empty lines before the request line, but
            // count them against the request-line limit.
            const char c = data[0];
            if (c == '\n' || c == '\r') {
                if (++header_bytes_ > limits_.max_request_line)
                    return fail(400, "too many empty lines before the request line");
                if (c == '\n') return 1;
                return expect_lf(data, size);
            }
            header_bytes_ = 0;
            phase_ = phase::request_line;
            started_ = true;
            return 0;
        }
        case phase::request_line: {
            // One more byte than the limit may be stored: the CR of the CRLF.
            const std::size_t stored = limits_.max_request_line == ~std::size_t{0}
                                           ? limits_.max_request_line
                                           : limits_.max_request_line + 1;
            const std::size_t n =
                collect_line(data, size, stored, done, 414, "request line too long", false);
            if (state_ == state::failed || !done) return n;
            if (!parse_request_line()) return n;
            line_.clear();
            phase_ = phase::header_line;
            return n;
        }
        case phase::header_line:
        case phase::trailer_line: {
            // The whole section, line ends included, must fit max_header_bytes.
            const std::size_t used = header_bytes_ + 1; // the LF of this line
            if (used > limits_.max_header_bytes)
                return fail(431, "request header fields too large");
            const std::size_t n = collect_line(data, size, limits_.max_header_bytes - used, done,
                                               431, "request header fields too large", true);
            if (state_ == state::failed || !done) return n;
            if (phase_ == phase::trailer_line && (line_.empty() || line_.back() != '\r')) {
                bad_chunk(); // CRLF only inside chunked framing, as after chunk data
                return n;
            }
            header_bytes_ += line_.size() + 1;
            if (!finish_line(true)) {
                fail(400, "invalid character in header field");
                return n;
            }
            if (line_.empty()) {
                if (phase_ == phase::trailer_line) {
                    state_ = state::complete;
                } else {
                    headers_done();
                }
                return n;
            }
            if (++header_count_ > limits_.max_headers) {
                fail(431, "too many header fields");
                return n;
            }
            if (phase_ == phase::header_line) {
                if (!parse_header_line()) return n;
            } else if (!check_field_syntax()) {
                return n;
            }
            line_.clear();
            return n;
        }
        case phase::body:
        case phase::chunk_data: {
            const std::size_t n = remaining_ < size ? narrow<std::size_t>(remaining_) : size;
            remaining_ -= n;
            if (remaining_ == 0) {
                if (phase_ == phase::body) {
                    state_ = state::complete;
                } else {
                    phase_ = phase::chunk_end;
                }
            }
            return n;
        }
        case phase::chunk_end: {
            // CRLF must follow the chunk data. A lone LF, accepted elsewhere, is refused inside
            // chunked framing: a proxy in front that ends a line differently would see the
            // body end elsewhere, and bytes of it as a request of their own.
            phase_ = phase::chunk_size;
            if (data[0] != '\r') return fail(400, "malformed chunked body");
            return expect_lf(data, size);
        }
        case phase::chunk_size: {
            const std::size_t n =
                collect_line(data, size, max_chunk_line, done, 400, "malformed chunked body", true);
            if (state_ == state::failed || !done) return n;
            if (!parse_chunk_size()) return n;
            line_.clear();
            return n;
        }
        }
        return fail(400, "bad request");
    }

    // data[0] is a CR: consumes it with its LF, or remembers it when it ends the piece.
    std::size_t expect_lf(const char* data, std::size_t size) noexcept {
        if (size < 2) {
            pending_cr_ = true;
            return 1;
        }
        if (data[1] != '\n') return fail(400, "bare CR in request");
        return 2;
    }

    bool parse_request_line() {
        if (!finish_line(false)) {
            fail(400, "invalid character in request line");
            return false;
        }
        if (line_.size() > limits_.max_request_line) { // LF-only line end: no CR to spare
            fail(414, "request line too long");
            return false;
        }
        const std::string_view line(line_);
        const std::size_t sp1 = line.find(' ');
        if (sp1 == std::string_view::npos || sp1 == 0) return bad_request_line();
        const std::size_t sp2 = line.find(' ', sp1 + 1);
        if (sp2 == std::string_view::npos || sp2 == sp1 + 1) return bad_request_line();
        const std::string_view method = line.substr(0, sp1);
        const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
        const std::string_view version = line.substr(sp2 + 1);
        for (char c : method)
            if (!http_token_char(c)) return bad_request_line();
        for (char c : target) {
            const auto u = static_cast<unsigned char>(c);
            // A fragment is never part of a request target (RFC 9112, 3.2): refused, so that
            // "/metrics#x" cannot pass a proxy's rule for "/metrics" and be served as it.
            if (u <= 0x20 || u >= 0x7F || c == '#') return bad_request_line();
        }
        if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || version[6] != '.' ||
            version[5] < '0' || version[5] > '9' || version[7] < '0' || version[7] > '9')
            return bad_request_line();
        if (version[5] != '1') {
            fail(505, "HTTP version not supported");
            return false;
        }
        minor_ = version[7] - '0';
        method_.assign(method.data(), method.size());
        if (target.front() == '/') {
            const std::size_t query = target.find('?');
            path_.assign(target.data(), query == std::string_view::npos ? target.size() : query);
        } else if (target == "*") {
            if (method != "OPTIONS") return bad_request_line(); // RFC 9112, 3.2.4
            path_ = "*";
        } else {
            // absolute-form: scheme "://" authority [path]
            const std::size_t scheme_end = target.find("://");
            if (scheme_end == std::string_view::npos || scheme_end == 0) return bad_request_line();
            const std::string_view scheme = target.substr(0, scheme_end);
            if (!http_iequals(scheme, "http") && !http_iequals(scheme, "https"))
                return bad_request_line();
            std::string_view rest = target.substr(scheme_end + 3);
            rest = rest.substr(0, rest.find('?'));
            const std::size_t slash = rest.find('/');
            // The authority stands for the Host header (RFC 9112, 3.2.2) and is checked alike;
            // userinfo ("user@host") is refused with it.
            const std::string_view authority = rest.substr(0, slash);
            if (authority.empty() || !valid_host(authority)) return bad_request_line();
            if (slash == std::string_view::npos) {
                path_ = "/";
            } else {
                path_.assign(rest.data() + slash, rest.size() - slash);
            }
        }
        return true;
    }

    bool bad_request_line() noexcept {
        fail(400, "malformed request line");
        return false;
    }

    // Syntax shared by header and trailer fields: token ":" OWS value OWS, no obs-fold.
    bool check_field_syntax() noexcept {
        const std::string_view line(line_);
        if (is_ows(line.front())) { // obsolete line folding (RFC 9112, 5.2)
            fail(400, "obsolete line folding in header field");
            return false;
        }
        const std::size_t colon = line.find(':');
        if (colon == std::string_view::npos || colon == 0) {
            fail(400, "malformed header field");
            return false;
        }
        for (std::size_t i = 0; i < colon; ++i)
            if (!http_token_char(line[i])) {
                fail(400, "malformed header field name");
                return false;
            }
        return true;
    }

    bool parse_header_line() {
        if (!check_field_syntax()) return false;
        const std::string_view line(line_);
        const std::size_t colon = line.find(':');
        const std::string_view name = line.substr(0, colon);
        const std::string_view value = trim(line.substr(colon + 1));
        if (http_iequals(name, "content-length")) {
            if (value.empty()) return bad_length();
            std::uint64_t v = 0;
            for (char c : value) {
                if (c < '0' || c > '9') return bad_length();
                if (v > (max_length - static_cast<unsigned>(c - '0')) / 10) {
                    v = max_length; // saturate: far above any body limit
                    continue;
                }
                v = v * 10 + static_cast<unsigned>(c - '0');
            }
            if (has_content_length_ && v != content_length_) return bad_length();
            has_content_length_ = true;
            content_length_ = v;
        } else if (http_iequals(name, "transfer-encoding")) {
            // A list of codings, over one or more lines (RFC 9112, 6.1). Nothing may follow
            // chunked, not even chunked again: the body's end is then unknown (400, 6.3).
            // Whether chunked comes last at all, and other codings (501), are decided when
            // the header section ends.
            has_transfer_encoding_ = true;
            for (std::string_view rest = value; !rest.empty();) {
                const std::string_view coding = next_element(rest);
                if (!coding.empty()) {
                    if (chunked_) {
                        fail(400, "Transfer-Encoding does not end with a single chunked");
                        return false;
                    }
                    if (http_iequals(coding, "chunked")) {
                        chunked_ = true;
                    } else {
                        other_coding_ = true;
                    }
                }
            }
        } else if (http_iequals(name, "connection")) {
            for (std::string_view rest = value; !rest.empty();) {
                const std::string_view token = next_element(rest);
                if (http_iequals(token, "close")) close_ = true;
                if (http_iequals(token, "keep-alive")) keep_alive_token_ = true;
            }
        } else if (http_iequals(name, "authorization")) {
            if (has_authorization_) {
                fail(400, "duplicate Authorization header");
                return false;
            }
            has_authorization_ = true;
            authorization_.assign(value.data(), value.size());
        } else if (http_iequals(name, "host")) {
            // RFC 9112, 3.2: more than one Host, or one that is no host[:port], gets a 400.
            if (has_host_) {
                fail(400, "duplicate Host header");
                return false;
            }
            has_host_ = true;
            if (!valid_host(value)) {
                fail(400, "invalid Host header");
                return false;
            }
        } else if (http_iequals(name, "expect")) {
            // A list (RFC 9110, 10.1.1); expectations other than 100-continue are ignored.
            for (std::string_view rest = value; !rest.empty() && minor_ >= 1;)
                if (http_iequals(next_element(rest), "100-continue")) expect_continue_ = true;
        } else if (http_iequals(name, "accept")) {
            if (!accept_.empty()) accept_ += ',';
            accept_.append(value.data(), value.size());
        }
        return true;
    }

    static bool is_hex(char c) noexcept {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }

    // Unreserved characters, sub-delims and percent-encoded octets (RFC 3986, 3.2.2), plus
    // ':' when `colon` (inside an IP-literal's brackets).
    static bool valid_host_chars(std::string_view v, bool colon) noexcept {
        for (std::size_t i = 0; i < v.size(); ++i) {
            const char ch = v[i];
            const auto c = static_cast<unsigned char>(ch);
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                std::string_view("-._~!$&'()*+,;=").find(ch) != std::string_view::npos ||
                (colon && ch == ':'))
                continue;
            if (ch != '%' || i + 2 >= v.size() || !is_hex(v[i + 1]) || !is_hex(v[i + 2]))
                return false;
            i += 2;
        }
        return true;
    }

    // uri-host [":" port] (RFC 3986, 3.2.2-3.2.3): an IP-literal in brackets, or a reg-name or
    // IPv4 address, then an optional port of digits. Empty is allowed (RFC 9112, 3.2: a target
    // without authority).
    static bool valid_host(std::string_view v) noexcept {
        std::string_view port;
        if (!v.empty() && v.front() == '[') {
            const std::size_t close = v.find(']');
            if (close == std::string_view::npos || close == 1 ||
                !valid_host_chars(v.substr(1, close - 1), true))
                return false;
            port = v.substr(close + 1);
        } else {
            const std::size_t colon = v.find(':');
            if (!valid_host_chars(v.substr(0, colon), false)) return false;
            if (colon != std::string_view::npos) port = v.substr(colon);
        }
        if (port.empty()) return true;
        if (port.front() != ':') return false;
        for (char c : port.substr(1))
            if (c < '0' || c > '9') return false;
        return true;
    }

    bool bad_length() noexcept {
        fail(400, "invalid Content-Length");
        return false;
    }

    void headers_done() noexcept {
        if (chunked_ && has_content_length_) {
            // Both framings at once is how requests get smuggled (RFC 9112, 6.1).
            fail(400, "both Content-Length and Transfer-Encoding");
            return;
        }
        if (has_transfer_encoding_ && minor_ == 0) {
            // HTTP/1.0 has no Transfer-Encoding: its framing is faulty (RFC 9112, 6.1), and an
            // intermediary may have framed it differently.
            fail(400, "Transfer-Encoding in an HTTP/1.0 request");
            return;
        }
        if (has_transfer_encoding_ && !chunked_) {
            // Without chunked last the body runs to the connection's end (RFC 9112, 6.3).
            fail(400, "Transfer-Encoding does not end with a single chunked");
            return;
        }
        if (other_coding_) {
            fail(501, "unsupported Transfer-Encoding");
            return;
        }
        if (chunked_) {
            phase_ = phase::chunk_size;
            return;
        }
        if (content_length_ > limits_.max_body_bytes) {
            fail(413, "request body too large");
            return;
        }
        if (content_length_ == 0) {
            state_ = state::complete;
            return;
        }
        remaining_ = content_length_;
        phase_ = phase::body;
    }

    // chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS value ] ), a name a token, a value a token
    // or a quoted-string (RFC 9112, 7.1.1). Ignored, but checked to the letter: where a proxy
    // in front reads a malformed size line otherwise, the two see the body end in different
    // places. Control bytes other than tab are already refused.
    static bool valid_chunk_extensions(std::string_view s) noexcept {
        std::size_t i = 0;
        const auto skip_ws = [&] {
            while (i < s.size() && is_ows(s[i])) ++i;
        };
        const auto token = [&] {
            const std::size_t start = i;
            while (i < s.size() && http_token_char(s[i])) ++i;
            return i > start;
        };
        while (i < s.size()) {
            skip_ws();
            if (i == s.size() || s[i] != ';') return false;
            ++i;
            skip_ws();
            if (!token()) return false;
            const std::size_t name_end = i;
            skip_ws();
            if (i == s.size() || s[i] != '=') {
                i = name_end; // no value: whitespace must lead to the next ';'
                continue;
            }
            ++i;
            skip_ws();
            if (i < s.size() && s[i] == '"') {
                for (++i;; ++i) {
                    if (i == s.size()) return false;
                    if (s[i] == '"') break;
                    if (s[i] == '\\' && ++i == s.size()) return false;
                }
                ++i;
            } else if (!token()) {
                return false;
            }
        }
        return true;
    }

    bool parse_chunk_size() noexcept {
        // CRLF only, as after chunk data (see phase::chunk_end).
        if (line_.empty() || line_.back() != '\r' || !finish_line(true)) return bad_chunk();
        const std::string_view line(line_);
        std::uint64_t size = 0;
        std::size_t i = 0;
        for (; i < line.size(); ++i) {
            const char c = line[i];
            unsigned digit;
            if (c >= '0' && c <= '9') {
                digit = static_cast<unsigned>(c - '0');
            } else if (c >= 'a' && c <= 'f') {
                digit = static_cast<unsigned>(c - 'a' + 10);
            } else if (c >= 'A' && c <= 'F') {
                digit = static_cast<unsigned>(c - 'A' + 10);
            } else {
                break;
            }
            if (size > (max_length >> 4)) {
                fail(413, "request body too large");
                return false;
            }
            size = size * 16 + digit;
        }
        if (i == 0 || !valid_chunk_extensions(line.substr(i))) return bad_chunk();
        if (size > limits_.max_body_bytes || body_total_ + size > limits_.max_body_bytes) {
            fail(413, "request body too large");
            return false;
        }
        body_total_ += size;
        if (size == 0) {
            phase_ = phase::trailer_line;
            return true;
        }
        remaining_ = size;
        phase_ = phase::chunk_data;
        return true;
    }

    bool bad_chunk() noexcept {
        fail(400, "malformed chunked body");
        return false;
    }

    static constexpr std::uint64_t max_length = ~static_cast<std::uint64_t>(0) >> 8;
    static constexpr std::size_t max_chunk_line = 1024; // size + extensions

    http_limits limits_;
    state state_ = state::incomplete;
    phase phase_ = phase::start;
    bool started_ = false;
    bool pending_cr_ = false;
    int error_status_ = 0;
    const char* error_reason_ = "";
    std::string line_;
    std::string method_;
    std::string path_;
    std::string authorization_;
    std::string accept_;
    int minor_ = 1;
    bool close_ = false;
    bool keep_alive_token_ = false;
    bool has_authorization_ = false;
    bool has_content_length_ = false;
    bool chunked_ = false;
    bool has_transfer_encoding_ = false;
    bool other_coding_ = false; // a Transfer-Encoding coding other than chunked
    bool has_host_ = false;
    bool expect_continue_ = false;
    bool continue_sent_ = false;
    std::uint64_t content_length_ = 0;
    std::uint64_t remaining_ = 0;
    std::uint64_t body_total_ = 0;
    std::size_t header_bytes_ = 0;
    std::size_t header_count_ = 0;
};

} // namespace detail
VITALS_END_NAMESPACE

#endif // VITALS_SERVER_REQUEST_PARSER_HPP
// #include <vitals/server/socket.hpp>: inlined above

#include <chrono>  // steady_clock
#include <cstddef> // size_t
#include <cstdint> // uint64_t
#include <string>  // string

VITALS_BEGIN_NAMESPACE
namespace detail {

/// One client connection, owned by the server thread.
struct server_connection {
    using time_point = std::chrono::steady_clock::time_point;

    server_connection(socket_t s, const http_limits& limits, time_point now)
        : sock(s), parser(limits), last_activity(now), request_start(now) {}
    server_connection(const server_connection&) = delete;
    server_connection& operator=(const server_connection&) = delete;
    ~server_connection() { close_socket(sock); }

    /// Response bytes queued and not yet sent.
    std::size_t pending() const noexcept { return out.size() - out_offset; }

    socket_t sock;
    http_request_parser parser;
    std::string out;               // response bytes not yet sent
    std::size_t out_offset = 0;    // how much of `out` is sent
    std::string held;              // received bytes not parsed yet (output backpressure)
    time_point last_activity;      // last byte received or sent
    time_point request_start;      // first byte of the request in progress
    time_point output_progress;    // when output was queued on an empty `out`, or last taken
    std::size_t progress_sent = 0; // bytes sent since output_progress (see server_loop)
    time_point linger_until;       // end of the lingering close
    bool close_after_write = false;
    bool peer_closed = false;    // the client sent FIN
    bool spoke = false;          // the client has sent at least one byte
    bool lingering = false;      // response done, FIN sent, discarding input until EOF
    bool dead = false;           // to be removed
    bool render_waiting = false; // its complete request is a render that waits for output room
    std::uint64_t turns = 0;     // loop turns this connection was served in
    std::uint64_t last_turn = 0; // the last of them
    std::uint64_t polled_input_turn = 0; // the last turn whose poll saw input waiting
    std::uint64_t late_input_turn = 0;   // the last turn its input was found after the poll
    std::uint64_t gone_checked_turn = 0; // the last turn make_room() looked for its end
};

} // namespace detail
VITALS_END_NAMESPACE

#endif // VITALS_SERVER_CONNECTION_HPP
// #include <vitals/server/json.hpp>: inlined above
// #include <vitals/server/loop.hpp>
// vitals/server/loop.hpp - the listener and the poll loop: accepts, reads, parses, writes.
// SPDX-License-Identifier: MIT
#ifndef VITALS_SERVER_LOOP_HPP
#define VITALS_SERVER_LOOP_HPP

// #include <vitals/config.hpp>: in "vitals.hpp"
// #include <vitals/counter.hpp>: in "vitals.hpp"
// #include <vitals/error.hpp>: in "vitals.hpp"
// #include <vitals/family.hpp>: in "vitals.hpp"
// #include <vitals/gauge.hpp>: in "vitals.hpp"
// #include <vitals/server/close_reason.hpp>
// vitals/server/close_reason.hpp - why the server closed a connection it was still serving.
// SPDX-License-Identifier: MIT
#ifndef VITALS_SERVER_CLOSE_REASON_HPP
#define VITALS_SERVER_CLOSE_REASON_HPP

// #include <vitals/config.hpp>: in "vitals.hpp"

#include <cstddef> // size_t

VITALS_BEGIN_NAMESPACE
namespace detail {

/// The reasons counted in vitals_server_closed_connections_total{reason}; the label values
/// are close_reason_labels, in this order.
enum class close_reason : unsigned char { output_budget, connection_limit, write_timeout };
constexpr const char* close_reason_labels[] = {"output_budget", "connection_limit",
                                               "write_timeout"};
constexpr std::size_t close_reason_count = 3;

} // namespace detail
VITALS_END_NAMESPACE

#endif // VITALS_SERVER_CLOSE_REASON_HPP
// #include <vitals/server/connection.hpp>: inlined above
// #include <vitals/server/options.hpp>
// vitals/server/options.hpp - the settings of a health_server and their validation.
// SPDX-License-Identifier: MIT
#ifndef VITALS_SERVER_OPTIONS_HPP
#define VITALS_SERVER_OPTIONS_HPP

// #include <vitals/config.hpp>: in "vitals.hpp"
// #include <vitals/detail/escape.hpp>: in "vitals.hpp"
// #include <vitals/error.hpp>: in "vitals.hpp"
// #include <vitals/server/socket.hpp>: inlined above

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
// #include <vitals/server/request_parser.hpp>: inlined above
// #include <vitals/server/response.hpp>
// vitals/server/response.hpp - HTTP response heads and queueing a response on a connection.
// SPDX-License-Identifier: MIT
#ifndef VITALS_SERVER_RESPONSE_HPP
#define VITALS_SERVER_RESPONSE_HPP

// #include <vitals/config.hpp>: in "vitals.hpp"
// #include <vitals/server/connection.hpp>: inlined above
// #include <vitals/server/socket.hpp>: inlined above

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
// #include <vitals/server/socket.hpp>: inlined above
// #include <vitals/server/thread.hpp>: inlined above

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
// #include <vitals/server/negotiate.hpp>
// vitals/server/negotiate.hpp - picks the exposition format from a request's Accept header.
// SPDX-License-Identifier: MIT
#ifndef VITALS_SERVER_NEGOTIATE_HPP
#define VITALS_SERVER_NEGOTIATE_HPP

// #include <vitals/config.hpp>: in "vitals.hpp"
// #include <vitals/server/http_chars.hpp>: inlined above

#include <cstddef>          // size_t
#include <initializer_list> // initializer_list (the candidates loop)
#include <string_view>      // string_view

VITALS_BEGIN_NAMESPACE
namespace detail {

/// The formats /metrics can answer in.
enum class exposition_format { text_0_0_4, openmetrics_1_0_0 };

/// One parsed element of an Accept header.
struct media_range {
    std::string_view type, subtype;
    // As sent: a quoted-string's content keeps its quoted-pairs (see quoted_equals()).
    std::string_view version;
    bool has_version = false; // `version=""` names a version, the empty one
    int q = 1000;             // quality in thousandths
};

/// Whether `sent`, a parameter value as the header carries it (a token, or a quoted-string's
/// content with its quoted-pairs), stands for `plain`: RFC 9110, 5.6.4 makes `"1\.0\.0"` the
/// same value as `1.0.0`. A token has no backslash, so it compares byte for byte.
inline bool quoted_equals(std::string_view sent, std::string_view plain) noexcept {
    std::size_t k = 0;
    for (std::size_t i = 0; i < sent.size(); ++i, ++k) {
        if (sent[i] == '\\' && i + 1 < sent.size()) ++i;
        if (k == plain.size() || sent[i] != plain[k]) return false;
    }
    return k == plain.size();
}

/// A cursor over an Accept header value that parses media ranges (RFC 9110, 12.5.1:
/// `type "/" subtype *( OWS ";" OWS [ name "=" ( token / quoted-string ) ] )`, with `q` as
/// the weight). Every function returns false on malformed input.
class accept_reader {
public:
    explicit accept_reader(std::string_view s) noexcept : s_(s) {}

    /// Reads the next element into `r`; `done` when the header is exhausted. Empty list
    /// elements (", ,") are skipped, as RFC 9110, 5.6.1 asks.
    bool next(media_range& r, bool& done) noexcept {
        for (;;) {
            skip_ows();
            if (i_ == s_.size()) {
                done = true;
                return true;
            }
            if (s_[i_] != ',') break;
            ++i_;
        }
        done = false;
        r = media_range{};
        if (!token(r.type) || !eat('/') || !token(r.subtype)) return false;
        for (;;) {
            skip_ows();
            if (i_ == s_.size()) return true;
            if (s_[i_] == ',') {
                ++i_;
                return true;
            }
            if (!eat(';')) return false;
            skip_ows();
            // RFC 9110, 5.6.6 makes the parameter after each ";" optional: "a/b;" and
            // "a/b;;q=0.5" are well-formed.
            if (i_ == s_.size() || s_[i_] == ';' || s_[i_] == ',') continue;
            std::string_view name, value;
            if (!token(name) || !eat('=')) return false;
            bool quoted = false;
            if (!param_value(value, quoted)) return false;
            if (http_iequals(name, "q")) {
                if (quoted || !qvalue(value, r.q)) return false;
            } else if (http_iequals(name, "version")) {
                r.version = value;
                r.has_version = true;
            }
        }
    }

private:
    void skip_ows() noexcept {
        while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t')) ++i_;
    }
    bool eat(char c) noexcept {
        if (i_ == s_.size() || s_[i_] != c) return false;
        ++i_;
        return true;
    }
    bool token(std::string_view& out) noexcept {
        const std::size_t start = i_;
        while (i_ < s_.size() && http_token_char(s_[i_])) ++i_;
        out = s_.substr(start, i_ - start);
        return i_ > start;
    }
    // A token or a quoted-string (the escapes are kept in `out`: see quoted_equals()).
    bool param_value(std::string_view& out, bool& quoted) noexcept {
        if (i_ < s_.size() && s_[i_] == '"') {
            quoted = true;
            const std::size_t start = ++i_;
            while (i_ < s_.size() && s_[i_] != '"') {
                // qdtext and the character of a quoted-pair alike: HTAB, SP, VCHAR, obs-text.
                if (s_[i_] == '\\' && ++i_ == s_.size()) return false;
                const auto c = static_cast<unsigned char>(s_[i_]);
                if ((c < 0x20 && c != '\t') || c == 0x7F) return false;
                ++i_;
            }
            if (i_ == s_.size()) return false;
            out = s_.substr(start, i_ - start);
            ++i_;
            return true;
        }
        return token(out);
    }
    // qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ), in thousandths.
    static bool qvalue(std::string_view v, int& q) noexcept {
        if (v.empty() || (v[0] != '0' && v[0] != '1')) return false;
        int value = (v[0] - '0') * 1000;
        if (v.size() > 1) {
            if (v[1] != '.' || v.size() > 5) return false;
            int scale = 100;
            for (std::size_t k = 2; k < v.size(); ++k, scale /= 10) {
                if (v[k] < '0' || v[k] > '9') return false;
                value += (v[k] - '0') * scale;
            }
        }
        if (value > 1000) return false;
        q = value;
        return true;
    }

    std::string_view s_;
    std::size_t i_ = 0;
};

// How well `r` names a format of `type`/`subtype` at `version`: -1 no match, else the
// specificity (0 "*/*", 1 "type/*", 2 "type/subtype", 3 with the matching version).
inline int range_match(const media_range& r, std::string_view type, std::string_view subtype,
                       std::string_view version) noexcept {
    if (r.type == "*") return r.subtype == "*" ? 0 : -1;
    if (!http_iequals(r.type, type)) return -1;
    if (r.subtype == "*") return 1;
    if (!http_iequals(r.subtype, subtype)) return -1;
    if (!r.has_version) return 2;
    return quoted_equals(r.version, version) ? 3 : -1;
}

/// The exposition format to answer /metrics with, given the request's Accept header (empty
/// when none was sent). Each format gets the weight of the most specific range that matches
/// it; OpenMetrics 1.0.0 wins only with a higher weight than text 0.0.4, so `*/*`, a
/// browser's header, an absent header and anything malformed get the text format 0.0.4,
/// never an error. A version other than 1.0.0 (OpenMetrics) or 0.0.4 (text) does not match.
inline exposition_format negotiate_exposition(std::string_view accept) noexcept {
    struct candidate {
        std::string_view type, subtype, version;
        int specificity = -1;
        int q = 0;
    };
    candidate text{"text", "plain", "0.0.4"};
    candidate om{"application", "openmetrics-text", "1.0.0"};
    accept_reader reader(accept);
    for (;;) {
        media_range r;
        bool done = false;
        if (!reader.next(r, done)) return exposition_format::text_0_0_4;
        if (done) break;
        for (candidate* c : {&text, &om}) {
            const int m = range_match(r, c->type, c->subtype, c->version);
            if (m > c->specificity || (m == c->specificity && m >= 0 && r.q > c->q)) {
                c->specificity = m;
                c->q = r.q;
            }
        }
    }
    if (om.specificity >= 0 && om.q > 0 && (text.specificity < 0 || om.q > text.q))
        return exposition_format::openmetrics_1_0_0;
    return exposition_format::text_0_0_4;
}

} // namespace detail
VITALS_END_NAMESPACE

#endif // VITALS_SERVER_NEGOTIATE_HPP
// #include <vitals/server/options.hpp>: inlined above
// #include <vitals/server/response.hpp>: inlined above
// #include <vitals/server/self_metrics.hpp>
// vitals/server/self_metrics.hpp - the server's own metrics (vitals_server_*).
// SPDX-License-Identifier: MIT
#ifndef VITALS_SERVER_SELF_METRICS_HPP
#define VITALS_SERVER_SELF_METRICS_HPP

// #include <vitals/config.hpp>: in "vitals.hpp"
// #include <vitals/counter.hpp>: in "vitals.hpp"
// #include <vitals/error.hpp>: in "vitals.hpp"
// #include <vitals/family.hpp>: in "vitals.hpp"
// #include <vitals/gauge.hpp>: in "vitals.hpp"
// #include <vitals/histogram.hpp>: in "vitals.hpp"
// #include <vitals/registry.hpp>: in "vitals.hpp"
// #include <vitals/server/close_reason.hpp>: inlined above
// #include <vitals/server/options.hpp>: inlined above

#include <atomic>  // atomic
#include <cstddef> // size_t
#include <cstdint> // uint64_t
#include <mutex>   // mutex, lock_guard
#include <string>  // string, to_string

VITALS_BEGIN_NAMESPACE
namespace detail {

enum class endpoint : unsigned char { metrics, health, ready, live, other };
constexpr std::size_t endpoint_count = 5;

/// The status codes the server answers with, in the order of the self-metric cache.
constexpr int server_codes[] = {200, 400, 401, 404, 405, 408, 413, 414, 431, 501, 503, 505};
constexpr std::size_t server_code_count = sizeof server_codes / sizeof server_codes[0];

inline std::size_t code_index(int code) noexcept {
    for (std::size_t i = 0; i < server_code_count; ++i)
        if (server_codes[i] == code) return i;
    return 1; // not reached: every response uses a listed code
}

/// Takes (or gives back) the right to publish a server's self-metrics in `reg`; false when
/// another running server holds it. Two servers writing the same vitals_server_* series
/// would add up their requests and overwrite each other's vitals_server_ready and
/// vitals_server_connections. One table per process, as the thread slots are (per module
/// on Windows): two shared libraries built with hidden symbols would otherwise each have one.
VITALS_DETAIL_PROCESS_WIDE inline bool claim_self_metrics(const registry* reg, bool take) {
    // The registries held, in a linked list: a std::vector<const registry*> made every file
    // including server.hpp compile its push_back.
    struct holder {
        const registry* reg;
        holder* next;
    };
    struct table {
        std::mutex mutex;
        holder* held = nullptr;
    };
    // Never destroyed: a static health_server may stop after static destruction began.
    static table* const t = new table;
    std::lock_guard<std::mutex> lock(t->mutex);
    for (holder** h = &t->held; *h; h = &(*h)->next) {
        if ((*h)->reg != reg) continue;
        if (take) return false;
        holder* const given_back = *h;
        *h = given_back->next;
        delete given_back;
        return true;
    }
    if (take) t->held = new holder{reg, t->held};
    return true;
}

/// vitals_server_requests_total{path,code}, vitals_server_render_seconds,
/// vitals_server_ready, vitals_server_connections,
/// vitals_server_closed_connections_total{reason} and
/// vitals_server_collector_failures_total{collector}, registered in the served registry.
/// Counting and observing happen on the server thread; publish_ready() from any thread.
class server_metrics {
public:
    /// Registers the families (once; later calls do nothing).
    status register_in(registry& reg) {
        if (requests_) return {};
        auto req = reg.try_counter("vitals_server_requests",
                                   "HTTP requests answered by the vitals server, by endpoint "
                                   "path and status code.",
                                   {"path", "code"});
        if (!req) return req.error();
        auto render =
            reg.try_histogram("vitals_server_render_seconds",
                              "Time the vitals server spent rendering the exposition for /metrics.",
                              {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                               0.1, 0.25, 0.5, 1.0});
        if (!render) return render.error();
        auto ready = reg.try_gauge("vitals_server_ready",
                                   "1 when the program reports itself ready, else 0.");
        if (!ready) return ready.error();
        auto conns = reg.try_gauge("vitals_server_connections",
                                   "Client connections open on the vitals server.");
        if (!conns) return conns.error();
        auto failures = reg.try_counter(
            "vitals_server_collector_failures",
            "Scrapes in which a collector threw, by collector name (what it would have written "
            "after the throw was left out).",
            {"collector"});
        if (!failures) return failures.error();
        auto closed = reg.try_counter(
            "vitals_server_closed_connections",
            "Connections the vitals server closed while serving them: over its output budget, "
            "to make room at its connection limit, or past the write timeout.",
            {"reason"});
        if (!closed) return closed.error();
        for (std::size_t i = 0; i < close_reason_count; ++i) {
            // Created up front so that a rate() over them starts at 0, not at the first close.
            auto series = closed.value().try_labels(close_reason_labels[i]);
            if (!series) return series.error();
            closed_[i] = &series.value();
        }
        requests_ = &req.value();
        collector_failures_ = &failures.value();
        render_seconds_ = &render.value();
        ready_gauge_.store(&ready.value());
        connections_ = &conns.value();
        return {};
    }

    /// Counts one answered request.
    void count(endpoint ep, int code, const server_options& o) {
        if (!requests_) return;
        const std::size_t e = static_cast<std::size_t>(ep);
        counter*& series = request_series_[e][code_index(code)];
        if (!series) {
            const std::string& path = ep == endpoint::metrics  ? o.metrics_path
                                      : ep == endpoint::health ? o.health_path
                                      : ep == endpoint::ready  ? o.ready_path
                                      : ep == endpoint::live   ? o.live_path
                                                               : other_label_;
            auto r = requests_->try_labels(path, std::to_string(code));
            if (!r) return;
            series = &r.value();
        }
        series->inc();
    }

    void observe_render(double seconds) noexcept {
        if (render_seconds_) render_seconds_->observe(seconds);
    }

    void publish_ready(bool ready) noexcept {
        if (gauge* g = ready_gauge_.load()) g->set(ready ? 1.0 : 0.0);
    }

    /// Stops publishing readiness: the server gave its self-metrics up, and another server
    /// of the registry may publish its own into the same gauge now.
    void stop_publishing_ready() noexcept { ready_gauge_.store(nullptr); }

    /// Counts `n` more failed scrapes of the collector `name`.
    void count_collector_failures(const std::string& name, std::uint64_t n) {
        if (!collector_failures_ || n == 0) return;
        auto r = collector_failures_->try_labels(name);
        if (r) r.value().inc_by(n);
    }

    /// The connection gauge, or null before registration.
    gauge* connections() const noexcept { return connections_; }

    /// The closed-connection counters by close_reason (null before registration).
    counter* const (&closed() const noexcept)[close_reason_count] { return closed_; }

private:
    counter_family* requests_ = nullptr;
    counter_family* collector_failures_ = nullptr;
    histogram* render_seconds_ = nullptr;
    std::atomic<gauge*> ready_gauge_{nullptr};
    gauge* connections_ = nullptr;
    counter* closed_[close_reason_count] = {};
    counter* request_series_[endpoint_count][server_code_count] = {};
    const std::string other_label_ = "other";
};

} // namespace detail
VITALS_END_NAMESPACE

#endif // VITALS_SERVER_SELF_METRICS_HPP
// #include <vitals/server/thread.hpp>: inlined above
// #include <vitals/text_format.hpp>: in "vitals.hpp"

#include <atomic>      // atomic
#include <chrono>      // steady_clock, duration
#include <cstddef>     // size_t
#include <cstdint>     // uint16_t, uint64_t, uintptr_t
#include <mutex>       // mutex, lock_guard
#include <new>         // bad_alloc
#include <string>      // string, to_string
#include <string_view> // string_view
#include <utility>     // move
#include <vector>      // vector

VITALS_BEGIN_NAMESPACE

/// A small HTTP/1.1 server that exposes a registry to Prometheus (`/metrics`) and the
/// program's state to Kubernetes-style probes (`/live`, `/ready`, `/health`).
///
/// One background thread serves every connection with non-blocking sockets and poll
/// (WSAPoll on Windows). Keep-alive and pipelining are supported; slow, silent and half-open
/// clients are cut off by per-connection deadlines, requests are bounded before they are
/// buffered, and the number of connections is capped. No client can hold the thread: each
/// connection gets a turn of at most 16 requests (one rendered exposition, or 20 ms of
/// answers when checks take long) before the next, queued output is bounded per connection
/// and for all of them (max_output_bytes: past it the slowest readers are closed), and the
/// connections held stay below max_connections and the descriptor limit minus
/// descriptor_reserve (at either cap, idle connections make room for new clients, oldest
/// first). Liveness and readiness checks run on that thread:
/// they must be quick (see cached_probe for slow dependencies). A collector that throws
/// while /metrics renders loses the rest of its output for that scrape (what it wrote
/// before the throw stays); the other collectors and the families are served with 200.
///
/// Readiness is false until set_ready(true), and false again from the moment stop() begins.
/// Declare the registry before the server, so that it outlives it. A registry destroyed
/// first stops the server if it runs (without the drain period) and leaves it stopped for
/// good, if it was ever started: no member touches the registry after, and start() fails
/// with errc::invalid_argument (a watchdog that restarts a server that is not running gets
/// that error, not a server reading freed memory). A server never started until then cannot
/// tell (it touches its registry first in start()): it must not be started.
/// All members are thread-safe. Checks and collectors run on the server thread: there,
/// stop() only asks the server to stop (see stop()), start() fails with
/// errc::already_running, add_*_check() from a check fails (vitals::error with
/// errc::invalid_argument, which fails that check: it would wait for itself), and the server
/// must not be destroyed. Elsewhere add_*_check() waits while checks run. Construction and start()
/// allocate; serving a keep-alive connection then reaches a steady state with no
/// allocation for any endpoint (beyond what the checks and the registry's collectors
/// allocate themselves).
///
/// Endpoints answer GET and HEAD (query strings are ignored): `/metrics` OpenMetrics 1.0.0
/// when the Accept header prefers it (as Prometheus asks), else the text format 0.0.4, `/live` and
/// `/ready` 200 "ok" or 503, and
/// `/health` JSON `{"status":"pass"|"fail","ready":bool,"checks":[{"name","kind","status",
/// "message"}],"collectors":[{"name","status","failures","message"}]}` with 200, or 503
/// when a check fails or the program is not ready ("collectors" appears once a collector
/// has thrown during a scrape: each such collector, its failure count and last message;
/// they do not change the status). A
/// HEAD of /metrics within a second of the last render's end reports that render's length, and
/// requests served in the same turn of the loop share one render.
/// Errors: 404 unknown path, 405 (with Allow) other methods, 400 malformed, 413/414/431 too
/// large, 408 too slow, 401 (with WWW-Authenticate) missing or wrong bearer token on
/// /metrics, 503 over the connection cap when no connection is idle and for a /metrics render
/// that ran out of memory. Every response has
/// Content-Length and Cache-Control: no-store.
class health_server final : private detail::request_handler {
public:
    /// A stopped server over `reg`, which it does not touch until start() (`reg` may be
    /// constructed after the server). Once started, a registry destroyed before the server
    /// stops it first if it runs (without the drain period); the server then never touches
    /// the registry again, and start() fails with errc::invalid_argument.
    explicit health_server(registry& reg, server_options options = server_options{})
        : reg_(reg), options_(std::move(options)), loop_(options_, *this) {
        link_.gone = &registry_gone;
        link_.owner = this;
    }
    /// A stopped server over the default registry.
    explicit health_server(server_options options = server_options{})
        : health_server(default_registry(), std::move(options)) {}
    health_server(const health_server&) = delete;
    health_server& operator=(const health_server&) = delete;
    /// Stops the server (including its drain period) and joins its thread, also after a
    /// stop() called on the server thread. Must not run on the server thread.
    ~health_server() {
        stop_and_join();
        if (linked_ && !registry_gone_.load())
            detail::registry_access::link_server(reg_, link_, false);
    }

    /// Binds, listens and starts the server thread. Failures (bad options, address in use,
    /// no permission, the registry destroyed) are reported through the error policy as
    /// vitals::error with errc::invalid_argument, errc::network_error (with the OS message) or
    /// errc::already_running.
    void start() & {
        const status st = try_start();
        if (!st.ok()) detail::fail(st);
    }

    /// start() that returns the failure instead of reporting it.
    status try_start() & {
        if (on_server_thread())
            return status(errc::already_running,
                          "health_server::start() called on the server's own thread (from a "
                          "check or a collector)");
        // It could wait for a registry lock this thread's scrape holds (its self-metrics
        // register in the registry), or for a stop() that waits for that scrape.
        if (detail::scrape_scope::inside_any())
            return status(errc::already_running,
                          "health_server::start() called from a collector during a scrape");
        std::lock_guard<std::mutex> lock(lifecycle_);
        // Before anything else: the registry's destruction stopped this server, or found it
        // stopped, and nothing here may touch the registry (not even the join below, after a
        // registry destroyed from a check, whose loop was never asked to end).
        if (registry_gone_.load())
            return status(errc::invalid_argument,
                          "health_server::start(): the registry this health_server serves was "
                          "destroyed, and the server cannot serve it again; destroy this server "
                          "and make a new one over a live registry (declare the registry "
                          "before the server, so that it outlives it)");
        // From the first start() to the destructor (the registry is alive now, and may not
        // have been at construction: a member declared before its registry), so that a
        // registry destroyed first stops this server, or finds it stopped, and tells it.
        if (!linked_) {
            detail::registry_access::link_server(reg_, link_, true);
            linked_ = true;
        }
        if (thread_.joinable()) {
            if (!stop_requested_.load())
                return status(errc::already_running, "health_server is already running on port " +
                                                         std::to_string(loop_.port()));
            finish_stop(); // stop() was called on the server thread: join it first
        }
        status st = detail::validate_options(options_);
        if (!st.ok()) return st;
        // The socket first: a port in use is the more basic mistake, and reported as such.
        st = loop_.open();
        if (!st.ok()) return st;
        if (options_.self_metrics) {
            if (!detail::claim_self_metrics(&reg_, true)) {
                loop_.close();
                return status(errc::already_running,
                              "another running health_server publishes its self-metrics "
                              "(vitals_server_*) in this registry; give this one "
                              "server_options::self_metrics = false, or its own registry");
            }
            self_metrics_claimed_ = true;
            st = metrics_.register_in(reg_);
            if (!st.ok()) {
                loop_.close();
                release_self_metrics();
                return st;
            }
            loop_.set_connections_gauge(metrics_.connections());
            loop_.set_closed_counters(metrics_.closed());
        }
        stopping_.store(false);
        publish_ready();
        const int thread_error = thread_.start(&serve_thread, this);
        if (thread_error != 0) {
            loop_.close();
            release_self_metrics();
            return status(errc::network_error, "cannot start the server thread: " +
                                                   detail::thread_error_text(thread_error));
        }
        return {};
    }

    /// start() on a server made in the same statement, `health_server(reg).start()`, does not
    /// compile: that server is destroyed at the end of the statement, which stops it again.
    template <class Server = health_server>
    void start() && {
        static_assert(detail::always_false<Server>,
                      "vitals: health_server(...).start() stops the server again at the end of "
                      "the statement; keep the server in a variable: "
                      "vitals::health_server server(reg, options); server.start();");
    }
    template <class Server = health_server>
    status try_start() && {
        static_assert(detail::always_false<Server>,
                      "vitals: health_server(...).try_start() stops the server again at the end "
                      "of the statement; keep the server in a variable: "
                      "vitals::health_server server(reg, options); server.try_start();");
        return {};
    }

    /// Stops serving: readiness turns false at once, the server keeps answering for the
    /// drain period, then every connection is closed and the thread joined. Does not wait
    /// for keep-alive or request deadlines. Idempotent; returns at once when not running.
    /// Not async-signal-safe (it locks, waits and joins): a signal handler sets a flag that
    /// the program's main loop reads and then calls stop().
    ///
    /// Called on the server thread (from a check, or a collector while /metrics renders),
    /// it cannot join that thread: it turns readiness false, asks the server to stop after
    /// the drain period, and returns at once. The thread ends by itself (running() then
    /// reads false) and is joined by the next stop() on another thread, the next start(), or
    /// the destructor, each of which waits for the rest of the drain. A stop() on another
    /// thread meanwhile only joins.
    ///
    /// Called from a collector while another thread scrapes (to_text(reg) on a thread of the
    /// program), it does the same and returns at once: that thread holds the registry's
    /// reader lock until the scrape ends, and waiting there for the server thread, or for a
    /// start() on a third thread (which registers in the registry), could wait forever. The
    /// server thread ends after the drain period by itself. A start() or stop() running on
    /// another thread at that moment counts as coming after this one.
    void stop() {
        if (on_server_thread()) {
            // Lock-free: another thread may hold lifecycle_ while it waits for this one.
            if (begin_stop()) loop_.stop_after(options_.drain);
            return;
        }
        if (detail::scrape_scope::inside_any()) {
            // Busy: a start() or stop() on another thread, which may be waiting for this
            // scrape. This stop() then takes effect before it, which changes nothing.
            if (!lifecycle_.try_lock()) return;
            std::lock_guard<std::mutex> lock(lifecycle_, std::adopt_lock);
            if (thread_.joinable() && begin_stop()) loop_.request_stop_after(options_.drain);
            return;
        }
        stop_and_join();
    }

    /// True between a successful start() and stop() (after a stop() on the server thread,
    /// until that thread ends).
    bool running() const noexcept { return loop_.port() != 0; }

    /// The bound port while running (useful with port 0), else 0.
    std::uint16_t port() const noexcept { return loop_.port(); }

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

    /// Adds (or replaces, by name) a check that /live and /health run: a callable taking no
    /// arguments and returning vitals::check_result, or bool (true passes, false fails with
    /// "check returned false"), or a check_function. Allocates.
    template <class Check>
    void add_liveness_check(std::string_view name, Check check) {
        checks_.add(std::string(name), detail::make_check(std::move(check)), false);
    }

    /// Adds (or replaces, by name) a check that /ready and /health run; what it takes is as
    /// for add_liveness_check(). Allocates.
    template <class Check>
    void add_readiness_check(std::string_view name, Check check) {
        checks_.add(std::string(name), detail::make_check(std::move(check)), true);
    }

private:
    using clock = std::chrono::steady_clock;
    using connection = detail::server_connection;
    using endpoint = detail::endpoint;

    void publish_ready() noexcept { metrics_.publish_ready(ready()); }

    // The server thread's body.
    static void serve_thread(void* server) { static_cast<health_server*>(server)->serve(); }
    void serve() {
        server_thread_.store(detail::current_thread_token());
        loop_.run();
    }

    bool on_server_thread() const noexcept {
        return server_thread_.load() == detail::current_thread_token();
    }

    // Readiness false and the stop claimed; false when a stop() already began.
    bool begin_stop() noexcept {
        if (stop_requested_.exchange(true)) return false;
        stopping_.store(true);
        ready_.store(false);
        publish_ready();
        return true;
    }

    // stop() on a thread that may wait: the drain, then the join.
    void stop_and_join() {
        std::lock_guard<std::mutex> lock(lifecycle_);
        if (!thread_.joinable()) return;
        if (begin_stop()) {
            detail::sleep_ms(options_.drain.count());
            loop_.request_stop();
        } // else stop() ran on the server thread or in a scrape; the loop ends after its drain
        finish_stop();
    }

    // Joins the server thread (told to stop) and resets the state for a restart; under
    // lifecycle_, not on the server thread.
    void finish_stop() {
        thread_.join();
        server_thread_.store(0);
        loop_.close();
        release_self_metrics();
        ready_.store(false); // a restarted server starts not ready, like a new one
        stopping_.store(false);
        stop_requested_.store(false);
    }

    endpoint classify(std::string_view path) const noexcept {
        if (path.empty()) return endpoint::other;
        if (path == options_.metrics_path) return endpoint::metrics;
        if (path == options_.health_path) return endpoint::health;
        if (path == options_.ready_path) return endpoint::ready;
        if (path == options_.live_path) return endpoint::live;
        return endpoint::other;
    }

    // A plain-text response: /live, /ready, 404, 405, 401.
    void text(connection& c, detail::response_writer& w, endpoint ep, int code,
              std::string_view body, bool head, bool keep, unsigned extra) {
        w.queue(c, code, "text/plain; charset=utf-8", body, head, keep, extra);
        metrics_.count(ep, code, options_);
    }

    void reject(connection& c, detail::response_writer& w, int code, const char* reason) override {
        text_body_.assign(reason);
        text_body_ += '\n';
        // A HEAD is answered without a body, even when it failed (its method was parsed).
        const bool head = c.parser.method() == "HEAD";
        text(c, w, endpoint::other, code, text_body_, head, false, detail::no_extra);
    }

    bool refuses(const connection& c) const override {
        const auto& p = c.parser;
        const endpoint ep = classify(p.path());
        if (ep == endpoint::other) return true;                       // 404
        if (p.method() != "HEAD" && p.method() != "GET") return true; // 405
        return ep == endpoint::metrics &&                             // 401
               !detail::bearer_authorized(options_.bearer_token, p.has_authorization(),
                                          p.authorization());
    }

    // The registry is being destroyed before this server (it was declared after the server,
    // or a static registry ends with the program): a running server stops now, without the
    // drain, which would serve a registry on its way out, and no member touches the registry
    // after (start() refuses). On the server thread (the program exits from a check), the
    // thread cannot be joined; it is not coming back to the registry either, and readiness
    // is no longer published into it.
    static void registry_gone(void* server) noexcept {
        auto& s = *static_cast<health_server*>(server);
        s.registry_gone_.store(true);
        if (s.on_server_thread()) {
            s.begin_stop();
            s.metrics_.stop_publishing_ready();
            return;
        }
        std::lock_guard<std::mutex> lock(s.lifecycle_);
        if (!s.thread_.joinable()) return;
        s.begin_stop();
        s.loop_.request_stop();
        s.finish_stop();
    }

    bool renders(const connection& c) const override {
        const auto& p = c.parser;
        return p.method() == "GET" && classify(p.path()) == endpoint::metrics && !refuses(c);
    }

    bool respond(connection& c, detail::response_writer& w) override {
        const auto& p = c.parser;
        const endpoint ep = classify(p.path());
        const bool keep = p.keep_alive() && !c.peer_closed;
        const bool head = p.method() == "HEAD";
        if (ep == endpoint::other) {
            text(c, w, ep, 404, "not found\n", head, keep, detail::no_extra);
            return false;
        }
        if (!head && p.method() != "GET") {
            text(c, w, ep, 405, "method not allowed\n", false, keep, detail::allow_get_head);
            return false;
        }
        switch (ep) {
        case endpoint::live: {
            const bool ok = checks_.run(false, options_.check_budget, nullptr);
            text(c, w, ep, ok ? 200 : 503, ok ? "ok\n" : "fail\n", head, keep, detail::no_extra);
            return false;
        }
        case endpoint::ready: {
            const bool ok = ready() && checks_.run(true, options_.check_budget, nullptr);
            text(c, w, ep, ok ? 200 : 503, ok ? "ok\n" : "unavailable\n", head, keep,
                 detail::no_extra);
            return false;
        }
        case endpoint::health:
            health(c, w, head, keep);
            return true; // runs every check
        case endpoint::metrics:
            return metrics(c, w, head, keep);
        case endpoint::other:
            break;
        }
        return false;
    }

    void health(connection& c, detail::response_writer& w, bool head, bool keep) {
        checks_json_.clear();
        const bool live = checks_.run(false, options_.check_budget, &checks_json_);
        const bool checks_ready = checks_.run(true, options_.check_budget, &checks_json_);
        const bool is_ready = ready();
        const bool ok = live && checks_ready && is_ready;
        json_.clear();
        json_ += ok ? "{\"status\":\"pass\"" : "{\"status\":\"fail\"";
        json_ += is_ready ? ",\"ready\":true" : ",\"ready\":false";
        json_ += ",\"checks\":[";
        json_ += checks_json_;
        json_ += ']';
        if (!collector_failures_.empty()) json_ += ",\"collectors\":[";
        for (std::size_t i = 0; i < collector_failures_.size(); ++i) {
            const collector_failure& f = collector_failures_[i];
            if (i > 0) json_ += ',';
            json_ += "{\"name\":";
            detail::append_json_string(json_, f.name);
            json_ += ",\"status\":\"fail\",\"failures\":";
            detail::append_uint(json_, static_cast<std::size_t>(f.count));
            json_ += ",\"message\":";
            detail::append_json_string(json_, f.message);
            json_ += '}';
        }
        if (!collector_failures_.empty()) json_ += ']';
        json_ += "}\n";
        const int code = ok ? 200 : 503;
        w.queue(c, code, "application/json", json_, head, keep, detail::no_extra);
        metrics_.count(endpoint::health, code, options_);
    }

    // Answers /metrics; true when it rendered the exposition. A HEAD within head_reuse of the
    // last render reports that render's length instead of rendering again, so a flood of
    // HEAD requests costs one render per interval; GETs of the same loop turn share one.
    bool metrics(connection& c, detail::response_writer& w, bool head, bool keep) {
        if (!detail::bearer_authorized(options_.bearer_token, c.parser.has_authorization(),
                                       c.parser.authorization())) {
            text(c, w, endpoint::metrics, 401, "unauthorized\n", head, keep,
                 detail::authenticate_bearer);
            return false;
        }
        // OpenMetrics when allowed and the Accept header prefers it (Prometheus asks for it
        // first), else the text format 0.0.4.
        const bool om = options_.openmetrics && detail::negotiate_exposition(c.parser.accept()) ==
                                                    detail::exposition_format::openmetrics_1_0_0;
        const std::string_view type = om ? openmetrics_content_type : text_content_type;
        // Requests answered in the same loop turn share one render (they arrived together);
        // a HEAD shares the last second's (of the same format).
        if (rendered_ && rendered_om_ == om &&
            (w.turn() == rendered_turn_ || (head && w.now() - rendered_at_ < head_reuse))) {
            metrics_.count(endpoint::metrics, 200, options_);
            const std::string_view body = head ? std::string_view() : std::string_view(render_);
            w.send(c, 200, type, body, render_.size(), keep);
            return false;
        }
        const clock::time_point start = clock::now();
        render_.clear(); // keeps its capacity: no allocation once it has grown
        rendered_ = false;
        if (const char* failure = render(om)) {
            render_.clear();
            text(c, w, endpoint::metrics, 503, failure, head, keep, detail::no_extra);
            return false;
        }
        metrics_.count(endpoint::metrics, 200, options_);
        rendered_om_ = om;
        // The reuse window runs from the render's end: from its start (the turn's time), a
        // render of a second or more left no window at all, and every HEAD rendered again.
        const clock::time_point end = clock::now();
        metrics_.observe_render(std::chrono::duration<double>(end - start).count());
        rendered_ = true;
        rendered_at_ = end;
        rendered_turn_ = w.turn();
        note_collector_failures();
        const std::string_view body = head ? std::string_view() : std::string_view(render_);
        w.send(c, 200, type, body, render_.size(), keep);
        return true;
    }

    // Renders the exposition into render_; null, or why it failed. Out of memory (the
    // exposition, or a collector's output, could not grow) must not end the server thread: the
    // scrape gets a 503 and the next one tries again.
    const char* render(bool om) {
#if VITALS_DETAIL_CAN_CATCH()
        try {
#endif
            if (om)
                write_openmetrics(reg_, render_);
            else
                write_text(reg_, render_);
#if VITALS_DETAIL_CAN_CATCH()
        } catch (const std::bad_alloc&) {
            return "cannot render the metrics: out of memory\n";
        } catch (...) {
            return "cannot render the metrics\n";
        }
#endif
        return nullptr;
    }

    // Picks up collectors that threw during the last render: counted per collector in the
    // self-metrics and listed in /health.
    void note_collector_failures() {
        const std::uint64_t total = reg_.collector_failure_count();
        if (total == failures_seen_) return;
        failures_seen_ = total;
        std::vector<collector_failure> now = reg_.collector_failures();
        // Several collectors may share a name: compare the totals per name, once per name.
        const auto total_of = [](const std::vector<collector_failure>& list,
                                 const std::string& name) {
            std::uint64_t sum = 0;
            for (const collector_failure& f : list)
                if (f.name == name) sum += f.count;
            return sum;
        };
        for (std::size_t i = 0; i < now.size(); ++i) {
            bool seen_before = false;
            for (std::size_t j = 0; j < i && !seen_before; ++j)
                seen_before = now[j].name == now[i].name;
            if (seen_before) continue;
            const std::uint64_t after = total_of(now, now[i].name);
            const std::uint64_t before = total_of(collector_failures_, now[i].name);
            if (after > before) metrics_.count_collector_failures(now[i].name, after - before);
        }
        collector_failures_.swap(now);
    }

    static constexpr std::chrono::milliseconds head_reuse{1000};

    void release_self_metrics() noexcept {
        if (!self_metrics_claimed_) return;
        metrics_.stop_publishing_ready();
        detail::claim_self_metrics(&reg_, false);
        self_metrics_claimed_ = false;
    }

    registry& reg_;
    const server_options options_;
    detail::server_loop loop_;
    detail::os_thread thread_;
    std::mutex lifecycle_;
    std::atomic<bool> stopping_{false};
    std::atomic<bool> stop_requested_{false};      // a stop() began; the thread is to end
    std::atomic<std::uintptr_t> server_thread_{0}; // while it runs (current_thread_token())
    bool self_metrics_claimed_ = false;            // under lifecycle_
    detail::registry_server link_;                 // in reg_'s list from the first start()
    bool linked_ = false;                          // link_ was linked; under lifecycle_
    std::atomic<bool> registry_gone_{false};       // reg_ was destroyed: never touch it again
    std::atomic<bool> ready_{false};
    detail::check_list checks_;
    detail::server_metrics metrics_;

    // Owned by the server thread.
    std::string render_;      // the /metrics exposition, reused
    std::string json_;        // /health body, reused
    std::string checks_json_; // the checks of /health, reused
    std::string text_body_;   // error body, reused
    bool rendered_ = false;
    bool rendered_om_ = false;        // render_ holds OpenMetrics (else text 0.0.4)
    clock::time_point rendered_at_{}; // when the render in render_ ended
    std::uint64_t rendered_turn_ = 0; // the server loop's turn that made it
    std::uint64_t failures_seen_ = 0; // registry's collector failure count, last seen
    std::vector<collector_failure> collector_failures_; // as of the last render
};

VITALS_END_NAMESPACE

#endif // VITALS_SERVER_HPP
// vitals/process.hpp - process and system metrics computed at scrape time (platform code).
// SPDX-License-Identifier: MIT
// Linux reads /proc and the cgroup memory limit; Windows uses the Win32 process APIs; other
// POSIX systems expose the CPU and file-descriptor metrics only. Not part of the portable
// umbrella <vitals/vitals.hpp>: include it where platform headers are acceptable.
#ifndef VITALS_PROCESS_HPP
#define VITALS_PROCESS_HPP

// #include <vitals/config.hpp>: in "vitals.hpp"
// #include <vitals/detail/escape.hpp>: in "vitals.hpp"
// #include <vitals/detail/kit_names.hpp>: in "vitals.hpp"
// #include <vitals/detail/names.hpp>: in "vitals.hpp"
// #include <vitals/family.hpp>: in "vitals.hpp"
// #include <vitals/registry.hpp>: in "vitals.hpp"

#include <algorithm>   // max
#include <cerrno>      // errno, EMFILE
#include <chrono>      // steady_clock, system_clock
#include <cstddef>     // size_t
#include <cstdint>     // uint64_t
#include <cstdio>      // FILE, fopen, fread, fclose
#include <cstdlib>     // strtol
#include <memory>      // shared_ptr, make_shared
#include <mutex>       // mutex, lock_guard
#include <optional>    // optional
#include <string>      // string
#include <string_view> // string_view
#include <vector>      // vector

#if defined(_WIN32)
#if !defined(WIN32_LEAN_AND_MEAN)
#define WIN32_LEAN_AND_MEAN
#define VITALS_DETAIL_UNDEF_LEAN_AND_MEAN
#endif
#if !defined(NOMINMAX)
#define NOMINMAX
#define VITALS_DETAIL_UNDEF_NOMINMAX
#endif
#include <windows.h> // GetProcessTimes, GetCurrentProcess, GlobalMemoryStatusEx
// After <windows.h>, which they need:
#include <psapi.h>    // GetProcessMemoryInfo (K32 form, exported by kernel32)
#include <tlhelp32.h> // CreateToolhelp32Snapshot, Thread32First/Next
#if defined(VITALS_DETAIL_UNDEF_LEAN_AND_MEAN)
#undef WIN32_LEAN_AND_MEAN
#undef VITALS_DETAIL_UNDEF_LEAN_AND_MEAN
#endif
#if defined(VITALS_DETAIL_UNDEF_NOMINMAX)
#undef NOMINMAX
#undef VITALS_DETAIL_UNDEF_NOMINMAX
#endif
#define VITALS_DETAIL_PROCESS_WINDOWS 1
#elif defined(__unix__) || defined(__APPLE__)
#include <sys/resource.h> // getrusage, getrlimit
#include <unistd.h>       // sysconf, getpid
#if defined(__linux__)
#include <ctime>      // clock_gettime, CLOCK_REALTIME, CLOCK_BOOTTIME (POSIX)
#include <dirent.h>   // opendir, readdir, dirfd
#include <fcntl.h>    // open, O_CLOEXEC
#include <sys/mman.h> // memfd_create, MFD_CLOEXEC
#include <sys/stat.h> // fstat
#define VITALS_DETAIL_PROCESS_LINUX 1
#endif
#define VITALS_DETAIL_PROCESS_POSIX 1
#endif

#ifndef VITALS_DETAIL_PROCESS_WINDOWS
#define VITALS_DETAIL_PROCESS_WINDOWS 0
#endif
#ifndef VITALS_DETAIL_PROCESS_LINUX
#define VITALS_DETAIL_PROCESS_LINUX 0
#endif
#ifndef VITALS_DETAIL_PROCESS_POSIX
#define VITALS_DETAIL_PROCESS_POSIX 0
#endif

VITALS_BEGIN_NAMESPACE

/// One reading of the process's resource usage. A field is empty when this platform cannot
/// measure it (it is then left out of the exposition, never guessed).
struct process_stats {
    std::optional<double> cpu_seconds;        ///< user + system CPU time
    std::optional<double> resident_bytes;     ///< resident set size (Windows: working set)
    std::optional<double> virtual_bytes;      ///< Linux: vsize; Windows: private bytes
    std::optional<double> start_time_seconds; ///< Unix time the process started
    std::optional<double> open_fds;           ///< open file descriptors (Windows: handles)
    std::optional<double> max_fds;            ///< soft RLIMIT_NOFILE
    std::optional<double> threads;            ///< threads of the process
    std::optional<double> memory_limit_bytes; ///< cgroup memory limit when set, else RAM
};

namespace detail {

#if VITALS_DETAIL_PROCESS_POSIX
// Reads a small file (procfs, cgroupfs) into `out`, at most about 4 MiB; false if it cannot
// be opened. Not 64 KiB: /proc/stat has a line per CPU and a number per interrupt before its
// btime line (12 KiB with 64 CPUs and 300 interrupts, collectd#3479), so on machines with
// hundreds of CPUs a 64 KiB cut lost the process start time.
inline bool read_small_file(const char* path, std::string& out) {
    std::FILE* f = std::fopen(path, "rb");
    if (!f) return false;
    out.clear();
    char buf[4096];
    std::size_t n;
    while (out.size() < (std::size_t{4} << 20) && (n = std::fread(buf, 1, sizeof buf, f)) > 0)
        out.append(buf, n);
    std::fclose(f);
    return true;
}

inline double timeval_seconds(const timeval& tv) noexcept {
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
}
#endif

// The parsers below read procfs and cgroupfs text. They never throw, never read past the
// text, and accept only plain decimal numbers ([-]digits[.digits]), so "inf", "nan" or hex
// never become a value. Each has a libFuzzer target in tests/fuzz/.

/// Parses a plain decimal number at p[0, end): optional '-', digits, optional '.' and
/// digits. Returns the position after it, or nullptr when there is none. At most 20 digits
/// before the point, as many as a 64-bit value has: the kernel writes no longer number, and
/// a longer one (310 digits overflow a double to infinity) is not a value.
inline const char* parse_plain_number(const char* p, const char* end, double& out) noexcept {
    bool negative = false;
    if (p < end && *p == '-') {
        negative = true;
        ++p;
    }
    double v = 0;
    const char* digits = p;
    while (p < end && *p >= '0' && *p <= '9') v = v * 10 + (*p++ - '0');
    if (p == digits || p - digits > 20) return nullptr;
    if (p < end && *p == '.') {
        ++p;
        double scale = 0.1;
        while (p < end && *p >= '0' && *p <= '9') {
            v += (*p++ - '0') * scale;
            scale /= 10;
        }
    }
    out = negative ? -v : v;
    return p;
}

/// The number after `key` at the start of a line of `text` (`Key: value` or `key value`,
/// spaces and tabs skipped), or nothing. The number ends the line or a space or tab follows
/// it (`VmRSS: 100 kB`): "0x10", "1e9" or "3abc" are no value, not 0, 1 or 3. Every field
/// read this way counts something, so a negative number is no value either.
inline std::optional<double> proc_field(std::string_view text, std::string_view key) noexcept {
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t end = text.find('\n', pos);
        if (end == std::string_view::npos) end = text.size();
        if (end - pos >= key.size() && text.compare(pos, key.size(), key) == 0) {
            const char* p = text.data() + pos + key.size();
            const char* line_end = text.data() + end;
            while (p < line_end && (*p == ' ' || *p == '\t')) ++p;
            double v = 0;
            const char* after =
                p < line_end && *p != '-' ? parse_plain_number(p, line_end, v) : nullptr;
            if (after && (after == line_end || *after == ' ' || *after == '\t')) return v;
        }
        pos = end + 1;
    }
    return std::nullopt;
}

/// What /proc/self/status gives: resident and virtual size (bytes) and threads.
struct proc_status {
    std::optional<double> resident_bytes, virtual_bytes, threads;
};

inline proc_status parse_proc_status(std::string_view text) noexcept {
    proc_status s;
    if (const auto rss_kb = proc_field(text, "VmRSS:")) s.resident_bytes = *rss_kb * 1024.0;
    if (const auto size_kb = proc_field(text, "VmSize:")) s.virtual_bytes = *size_kb * 1024.0;
    s.threads = proc_field(text, "Threads:");
    return s;
}

/// The fields of /proc/self/stat that process metrics use (proc(5) numbering).
struct proc_stat {
    double threads = 0;     // field 20
    double start_ticks = 0; // field 22, clock ticks after boot
    double vsize = 0;       // field 23, bytes
    double rss_pages = 0;   // field 24
};

/// Parses /proc/self/stat; false when it does not hold fields 3 to 24. The command name
/// (field 2) is in parentheses and may hold spaces and parentheses: fields start after the
/// last ')'.
inline bool parse_proc_stat(std::string_view text, proc_stat& out) noexcept {
    const std::size_t close = text.rfind(')');
    if (close == std::string_view::npos) return false;
    const char* p = text.data() + close + 1;
    const char* end = text.data() + text.size();
    double fields[22] = {}; // fields 3.. of proc(5); [k] is field k + 3
    int k = 0;
    while (p < end && k < 22) {
        while (p < end && *p == ' ') ++p;
        if (p == end || *p == '\n') break;
        double v = 0;
        const char* after = parse_plain_number(p, end, v);
        if (after && (after == end || *after == ' ' || *after == '\n')) {
            fields[k] = v;
            p = after;
        } else { // the state letter, or anything that is not a plain number
            if (k != 0) return false;
            while (p < end && *p != ' ' && *p != '\n') ++p;
        }
        ++k;
    }
    if (k < 22) return false;
    out.threads = fields[17];
    out.start_ticks = fields[19];
    out.vsize = fields[20];
    out.rss_pages = fields[21];
    return true;
}

/// A cgroup memory limit file (v2 memory.max, v1 memory.limit_in_bytes): the limit in bytes,
/// or nothing for "max" and anything that is not a plain number.
inline std::optional<double> parse_memory_limit(std::string_view text) noexcept {
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
    if (text.empty() || text == "max") return std::nullopt;
    double v = 0;
    const char* end = text.data() + text.size();
    const char* after = parse_plain_number(text.data(), end, v);
    if (!after || after != end || text.front() == '-') return std::nullopt; // "-0" too
    return v;
}

/// The memory limit files that /proc/self/cgroup's text names, in the order to read them
/// (v2: memory.max of the cgroup and every ancestor; v1: the memory controller's
/// memory.limit_in_bytes, and the mount's root, which is the cgroup inside a container).
/// Lines that are malformed, or whose path is not absolute or climbs with "..", are
/// skipped. Never throws except std::bad_alloc.
inline std::vector<std::string> cgroup_limit_files(std::string_view cgroups) {
    std::vector<std::string> files;
    std::size_t pos = 0;
    while (pos < cgroups.size()) {
        std::size_t end = cgroups.find('\n', pos);
        if (end == std::string_view::npos) end = cgroups.size();
        const std::string_view line = cgroups.substr(pos, end - pos);
        pos = end + 1;
        // hierarchy-id:controllers:path
        const std::size_t c1 = line.find(':');
        const std::size_t c2 = c1 == std::string_view::npos ? c1 : line.find(':', c1 + 1);
        if (c2 == std::string_view::npos) continue;
        const std::string_view controllers = line.substr(c1 + 1, c2 - c1 - 1);
        std::string_view path = line.substr(c2 + 1);
        if (path.empty() || path.front() != '/' || path.find("/..") != std::string_view::npos ||
            path.find('\0') != std::string_view::npos)
            continue;
        while (!path.empty() && path.back() == '/') path.remove_suffix(1);
        if (controllers.empty()) { // cgroup v2: every ancestor's limit applies too
            for (;;) {
                files.push_back("/sys/fs/cgroup" + std::string(path) + "/memory.max");
                const std::size_t slash = path.rfind('/');
                if (slash == std::string_view::npos) break;
                path = path.substr(0, slash);
            }
        } else {
            bool memory = false;
            std::size_t start = 0;
            while (start <= controllers.size()) {
                std::size_t comma = controllers.find(',', start);
                if (comma == std::string_view::npos) comma = controllers.size();
                if (controllers.substr(start, comma - start) == "memory") memory = true;
                start = comma + 1;
            }
            if (!memory) continue;
            files.push_back("/sys/fs/cgroup/memory" + std::string(path) + "/memory.limit_in_bytes");
            files.push_back("/sys/fs/cgroup/memory/memory.limit_in_bytes");
        }
    }
    return files;
}

#if VITALS_DETAIL_PROCESS_LINUX
// The smallest memory limit among the files /proc/self/cgroup names; nothing when none.
inline std::optional<double> cgroup_memory_limit() {
    std::string cgroups;
    if (!read_small_file("/proc/self/cgroup", cgroups)) return std::nullopt;
    std::optional<double> limit;
    std::string text;
    for (const std::string& file : cgroup_limit_files(cgroups)) {
        if (!read_small_file(file.c_str(), text)) continue;
        const auto v = parse_memory_limit(text);
        if (v && (!limit || *v < *limit)) limit = v;
    }
    return limit;
}
#endif

#if VITALS_DETAIL_PROCESS_LINUX
// The Unix time the system booted, to which /proc/self/stat's start time is relative. Not
// /proc/stat's btime alone: it is whole seconds, cut down, so a start time from it was early
// by the fraction of a second it drops (up to 1 s: a process 10 ms old showed 0.7 s of
// uptime). btime is CLOCK_REALTIME less CLOCK_BOOTTIME (both as a time namespace sees them,
// as the start time is), which the clocks give to the nanosecond; btime where they fail.
// Computed once per process: the two clocks are read one after the other, so each
// computation differs in its last digits, and a start time that moves from read to read
// looks like a restart to changes(process_start_time_seconds[...]).
inline std::optional<double> boot_time_seconds() {
#if defined(CLOCK_BOOTTIME)
    static const double from_clocks = [] {
        timespec real{}, boot{};
        if (::clock_gettime(CLOCK_REALTIME, &real) != 0 ||
            ::clock_gettime(CLOCK_BOOTTIME, &boot) != 0)
            return -1.0;
        return static_cast<double>(real.tv_sec - boot.tv_sec) +
               static_cast<double>(real.tv_nsec - boot.tv_nsec) / 1e9;
    }();
    if (from_clocks >= 0.0) return from_clocks;
#endif
    std::string text;
    if (!read_small_file("/proc/stat", text)) return std::nullopt;
    return proc_field(text, "btime ");
}
#endif

/// CPU usage in percent of one core over the last `window` of wall time, from the
/// (time, CPU seconds) samples a collector takes when it is scraped. The CPU time at the
/// window's start is interpolated between the samples around it, so an extra scrape (a
/// manual curl between two Prometheus scrapes) hardly changes the figure another scraper
/// sees; until the samples span a window, the rate since the oldest sample. At most 16
/// samples are kept. Not thread-safe.
class cpu_window {
public:
    explicit cpu_window(double window_seconds) noexcept : window_(window_seconds) {}

    /// Records a sample at `t` (seconds on a steady clock) and returns the rate, or nothing
    /// when the samples span less than 0.1 s.
    std::optional<double> update(double t, double cpu) noexcept {
        add(t, cpu);
        const sample& oldest = at(0);
        const double start = t - window_;
        if (oldest.t > start) { // younger than a window: the rate since the oldest sample
            if (t - oldest.t < 0.1) return std::nullopt;
            return clamp((cpu - oldest.cpu) / (t - oldest.t) * 100.0);
        }
        // The newest sample at or before the window's start, and the one after it (the
        // current reading when there is none).
        std::size_t i = 0;
        while (i + 1 < count_ && at(i + 1).t <= start) ++i;
        const sample& a = at(i);
        const sample b = i + 1 < count_ ? at(i + 1) : sample{t, cpu};
        const double base =
            b.t > a.t ? a.cpu + (b.cpu - a.cpu) * (start - a.t) / (b.t - a.t) : a.cpu;
        return clamp((cpu - base) / window_ * 100.0);
    }

private:
    struct sample {
        double t, cpu;
    };
    static constexpr std::size_t capacity = 16;

    static double clamp(double v) noexcept { return v > 0 ? v : 0; }
    const sample& at(std::size_t i) const noexcept { return ring_[(first_ + i) % capacity]; }

    void add(double t, double cpu) noexcept {
        // Samples closer together than a tenth of the window add nothing but churn.
        if (count_ > 0 && t - at(count_ - 1).t < window_ / 10) return;
        // Only one sample before the window's start is needed.
        while (count_ >= 2 && at(1).t <= t - window_) drop_oldest();
        if (count_ == capacity) drop_oldest();
        ring_[(first_ + count_) % capacity] = sample{t, cpu};
        ++count_;
    }
    void drop_oldest() noexcept {
        first_ = (first_ + 1) % capacity;
        --count_;
    }

    double window_;
    sample ring_[capacity] = {};
    std::size_t first_ = 0, count_ = 0;
};

#if VITALS_DETAIL_PROCESS_WINDOWS
inline double filetime_seconds(const FILETIME& ft) noexcept { // 100 ns units
    const std::uint64_t v =
        (static_cast<std::uint64_t>(ft.dwHighDateTime) << 32) | ft.dwLowDateTime;
    return static_cast<double>(v) / 1e7;
}
#endif

#if VITALS_DETAIL_PROCESS_LINUX
/// A file descriptor the process collector holds back for its reads. A process out of
/// descriptors is when `process_open_fds` matters most, and every figure but the CPU time
/// comes from a file under /proc: without a free descriptor those families would leave the
/// output just then. Closed for the read and opened again after it, it costs the program one
/// descriptor of its limit, and is counted in `process_open_fds` like any other.
///
/// A program may close descriptors it did not open (a daemon closing everything past stderr),
/// and the number may then be reused for one of its sockets or files. The reserve is closed
/// only while it is still the object it opened: an anonymous file of its own (memfd), checked
/// by device and inode; where memfd_create is missing, /dev/null, which at worst is a program's
/// own /dev/null, never a socket or a file.
class descriptor_reserve {
public:
    descriptor_reserve() noexcept { take(); }
    descriptor_reserve(const descriptor_reserve&) = delete;
    descriptor_reserve& operator=(const descriptor_reserve&) = delete;
    ~descriptor_reserve() { release(); }

    /// Frees the descriptor for a read; returns whether one was held.
    bool release() noexcept {
        if (fd_ < 0) return false;
        struct stat st {};
        const bool ours = ::fstat(fd_, &st) == 0 && st.st_dev == dev_ && st.st_ino == ino_;
        if (ours) ::close(fd_);
        fd_ = -1;
        return ours;
    }
    /// Takes a descriptor back (none when the process is out of them: tried again next time).
    void take() noexcept {
        if (fd_ >= 0) return;
#if defined(MFD_CLOEXEC)
        fd_ = ::memfd_create("vitals-fd-reserve", MFD_CLOEXEC);
#endif
        if (fd_ < 0) fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        struct stat st {};
        if (fd_ >= 0 && ::fstat(fd_, &st) != 0) {
            ::close(fd_);
            fd_ = -1;
        }
        dev_ = st.st_dev;
        ino_ = st.st_ino;
    }

private:
    int fd_ = -1;
    dev_t dev_ = 0;
    ino_t ino_ = 0;
};
#endif

} // namespace detail

/// Reads the process's resource usage now. Thread-safe; allocates (file reads). Linux: from
/// /proc/self/status, /proc/self/stat, /proc/self/fd, the boot time (CLOCK_BOOTTIME, else
/// /proc/stat), getrusage, getrlimit and the cgroup memory limit. Windows: GetProcessTimes,
/// GetProcessMemoryInfo, GetProcessHandleCount, a thread snapshot and GlobalMemoryStatusEx.
/// Other POSIX systems: getrusage and getrlimit only.
inline process_stats read_process_stats() {
    process_stats s;
#if VITALS_DETAIL_PROCESS_POSIX
    rusage ru{};
    if (getrusage(RUSAGE_SELF, &ru) == 0)
        s.cpu_seconds = detail::timeval_seconds(ru.ru_utime) + detail::timeval_seconds(ru.ru_stime);
    rlimit rl{};
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
        s.max_fds = static_cast<double>(rl.rlim_cur);
#endif
#if VITALS_DETAIL_PROCESS_LINUX
    const long page = sysconf(_SC_PAGESIZE);
    const long ticks = sysconf(_SC_CLK_TCK);
    std::string text;
    // Memory and threads from /proc/self/status: the same kernel counters as /proc/self/stat,
    // and still the real ones under an emulator (qemu-user fakes most of .../stat).
    if (detail::read_small_file("/proc/self/status", text)) {
        const detail::proc_status st = detail::parse_proc_status(text);
        s.resident_bytes = st.resident_bytes;
        s.virtual_bytes = st.virtual_bytes;
        s.threads = st.threads;
    }
    detail::proc_stat stat;
    if (detail::read_small_file("/proc/self/stat", text) && detail::parse_proc_stat(text, stat)) {
        if (!s.threads) s.threads = stat.threads;
        if (!s.virtual_bytes) s.virtual_bytes = stat.vsize;
        if (!s.resident_bytes && page > 0)
            s.resident_bytes = stat.rss_pages * static_cast<double>(page);
        if (ticks > 0)
            if (const auto boot = detail::boot_time_seconds())
                s.start_time_seconds = *boot + stat.start_ticks / static_cast<double>(ticks);
    }
    if (DIR* d = opendir("/proc/self/fd")) {
        const int own = dirfd(d);
        double n = 0;
        while (const dirent* e = readdir(d)) {
            if (e->d_name[0] == '.') continue;
            if (std::strtol(e->d_name, nullptr, 10) == own) continue; // the listing itself
            n += 1;
        }
        closedir(d);
        s.open_fds = n;
    } else if (errno == EMFILE && s.max_fds) {
        s.open_fds = s.max_fds; // no descriptor free below the limit: all of them are open
    }
    const long phys = sysconf(_SC_PHYS_PAGES);
    std::optional<double> limit;
    if (phys > 0 && page > 0) limit = static_cast<double>(phys) * static_cast<double>(page);
    if (const auto cg = detail::cgroup_memory_limit())
        if (!limit || *cg < *limit) limit = cg;
    s.memory_limit_bytes = limit;
#endif
#if VITALS_DETAIL_PROCESS_WINDOWS
    const HANDLE self = GetCurrentProcess();
    FILETIME created, exited, kernel, user;
    if (GetProcessTimes(self, &created, &exited, &kernel, &user)) {
        s.cpu_seconds = detail::filetime_seconds(kernel) + detail::filetime_seconds(user);
        // FILETIME counts from 1601-01-01; the Unix epoch is 11644473600 s later.
        s.start_time_seconds = detail::filetime_seconds(created) - 11644473600.0;
    }
    // PagefileUsage is the commit charge, the same figure as PROCESS_MEMORY_COUNTERS_EX's
    // PrivateUsage on Windows; wine fills only the former (PrivateUsage reads 0 there).
    PROCESS_MEMORY_COUNTERS mem{};
    mem.cb = sizeof mem;
    if (K32GetProcessMemoryInfo(self, &mem, sizeof mem)) {
        s.resident_bytes = static_cast<double>(mem.WorkingSetSize);
        if (mem.PagefileUsage > 0) s.virtual_bytes = static_cast<double>(mem.PagefileUsage);
    }
    // A Windows process always holds handles; a count of 0 (wine's answer) means unknown.
    DWORD handles = 0;
    if (GetProcessHandleCount(self, &handles) && handles > 0)
        s.open_fds = static_cast<double>(handles);
    const HANDLE snap = CreateToolhelp32Snapshot(TH32CS_SNAPTHREAD, 0);
    if (snap != INVALID_HANDLE_VALUE) {
        THREADENTRY32 te{};
        te.dwSize = sizeof te;
        const DWORD pid = GetCurrentProcessId();
        double n = 0;
        for (BOOL ok = Thread32First(snap, &te); ok; ok = Thread32Next(snap, &te))
            if (te.th32OwnerProcessID == pid) n += 1;
        CloseHandle(snap);
        if (n > 0) s.threads = n;
    }
    MEMORYSTATUSEX ms{};
    ms.dwLength = sizeof ms;
    if (GlobalMemoryStatusEx(&ms)) s.memory_limit_bytes = static_cast<double>(ms.ullTotalPhys);
#endif
    return s;
}

/// Writes the process metrics at every scrape of the registry it is added to (a collector:
/// no thread, nothing polled in between):
///
/// - `NS_cpu_usage_percent`: CPU time over the last `cpu_window` of wall time (default 60 s),
///   in percent of one core (200 = two busy cores), from samples the collector takes when
///   scraped: the CPU time at the window's start is interpolated between them, so the figure
///   does not depend on who else scrapes, or when (a manual curl between two Prometheus
///   scrapes does not turn the next one into a one-second rate). Until the samples span a
///   window it is the rate since the collector was created (after 0.1 s; before that the
///   average since the process started, left out where the start is unknown).
/// - `NS_memory_usage_bytes`: resident set size
/// - `NS_memory_percent`: resident set size over the memory available to the process (the
///   cgroup limit when one is set, else physical RAM), in percent
/// - `NS_threads_active`, `NS_uptime_seconds`
/// - `process_cpu_seconds_total`, `process_resident_memory_bytes`,
///   `process_virtual_memory_bytes`, `process_start_time_seconds`, `process_open_fds`,
///   `process_max_fds`, `process_threads` (the standard names, never prefixed)
///
/// On Linux the collector holds one file descriptor (of /dev/null) back for its reads, so
/// that a process out of descriptors still shows them all, `process_open_fds` included.
/// Metrics the platform cannot measure are left out (see process_stats). Copies share
/// state, so the collector may be copied into a registry; concurrent scrapes are
/// serialised by a mutex. Add one per registry: a second one would repeat the families.
class process_collector {
public:
    /// `ns` prefixes the system gauges (empty: no prefix); `cpu_window` is the span of
    /// NS_cpu_usage_percent (at least 1 ms). Not checked here: with a namespace that makes
    /// no valid metric name, every scrape drops those gauges (add_process_metrics() refuses
    /// such a namespace).
    explicit process_collector(std::string_view ns,
                               std::chrono::milliseconds cpu_window = std::chrono::seconds(60))
        : state_(std::make_shared<state>(cpu_window)) {
        state_->cpu_percent = detail::kit_metric_name(ns, "cpu_usage_percent");
        state_->memory_bytes = detail::kit_metric_name(ns, "memory_usage_bytes");
        state_->memory_percent = detail::kit_metric_name(ns, "memory_percent");
        state_->threads = detail::kit_metric_name(ns, "threads_active");
        state_->uptime = detail::kit_metric_name(ns, "uptime_seconds");
        // With the reserve freed, as at a scrape: made when one descriptor was free, the
        // collector's reserve would otherwise have taken it, and this read failed.
        state_->start_from(read_stats(), seconds_now());
    }

    /// Reads the process now and writes the families. Thread-safe.
    void operator()(collector_output& out) const {
        process_stats s = read_stats();
        state& st = *state_;
        using namespace std::chrono;
        const double wall_now = duration<double>(system_clock::now().time_since_epoch()).count();
        std::optional<double> uptime;
        std::optional<double> cpu_percent;
        {
            std::lock_guard<std::mutex> lock(st.mutex);
#if VITALS_DETAIL_PROCESS_POSIX
            // A child forked after the collector was made (a pre-forking server's worker) is
            // another process: it reported the parent's start time and uptime, and a CPU rate
            // of 0 for a window, its own CPU time measured against the parent's samples.
            if (::getpid() != st.pid) st.start_from(s, seconds_now());
#endif
            // The first start time read is kept, also when the collector could not read it
            // when made (the process out of descriptors): see start_from().
            if (!st.start_time) st.start_time = s.start_time_seconds;
            if (st.start_time) s.start_time_seconds = st.start_time;
            if (s.start_time_seconds) uptime = (std::max)(0.0, wall_now - *s.start_time_seconds);
            if (s.cpu_seconds) {
                cpu_percent = st.cpu.update(seconds_now(), *s.cpu_seconds);
                // No rate yet (first scrape right after start): the average over the
                // process's life so far, when its start time is known.
                if (!cpu_percent && uptime && *uptime > 0.0)
                    cpu_percent = *s.cpu_seconds / *uptime * 100.0;
            }
        }
        // The unit (OpenMetrics `# UNIT`) of the families whose names carry one.
        const auto gauge = [&out](std::string_view name, std::string_view help,
                                  const std::optional<double>& v) {
            if (!v) return;
            const std::string_view unit = detail::ends_with(name, "_bytes")     ? "bytes"
                                          : detail::ends_with(name, "_seconds") ? "seconds"
                                                                                : "";
            if (out.family(name, help, metric_type::gauge, unit)) out.sample(*v);
        };
        gauge(st.cpu_percent,
              "CPU used by the process over the last minute (or the collector's window), in "
              "percent of one core.",
              cpu_percent);
        gauge(st.memory_bytes, "Resident memory of the process in bytes.", s.resident_bytes);
        if (s.resident_bytes && s.memory_limit_bytes && *s.memory_limit_bytes > 0.0)
            out.gauge(st.memory_percent,
                      "Resident memory over the memory available to the process (cgroup "
                      "limit, else physical RAM), in percent.",
                      *s.resident_bytes / *s.memory_limit_bytes * 100.0);
        gauge(st.threads, "Threads of the process.", s.threads);
        gauge(st.uptime, "Seconds since the process started.", uptime);
        if (s.cpu_seconds && out.family("process_cpu_seconds_total",
                                        "Total user and system CPU time spent in seconds.",
                                        metric_type::counter, "seconds"))
            out.sample(*s.cpu_seconds);
        gauge("process_resident_memory_bytes", "Resident memory size in bytes.", s.resident_bytes);
        gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.", s.virtual_bytes);
        gauge("process_start_time_seconds",
              "Start time of the process since unix epoch in seconds.", s.start_time_seconds);
        gauge("process_open_fds", "Number of open file descriptors.", s.open_fds);
        gauge("process_max_fds", "Maximum number of open file descriptors.", s.max_fds);
        gauge("process_threads", "Number of OS threads in the process.", s.threads);
    }

private:
    struct state {
        explicit state(std::chrono::milliseconds window)
            : window_seconds(window.count() > 0 ? static_cast<double>(window.count()) / 1000.0
                                                : 0.001),
              cpu(window_seconds) {}
        // The process's start time and a first CPU sample, from `now` read at `t`.
        void start_from(const process_stats& now, double t) {
            cpu = detail::cpu_window(window_seconds);
            if (now.cpu_seconds) cpu.update(t, *now.cpu_seconds);
            // Read once: Linux derives it from the boot time, which follows wall-clock
            // steps, and a start time that moves would look like a restart to changes().
            start_time = now.start_time_seconds;
#if VITALS_DETAIL_PROCESS_POSIX
            pid = ::getpid();
#endif
        }
        std::string cpu_percent, memory_bytes, memory_percent, threads, uptime;
        std::mutex mutex;
        double window_seconds;
        detail::cpu_window cpu;           // guarded by mutex
        std::optional<double> start_time; // guarded by mutex; the first one read
#if VITALS_DETAIL_PROCESS_POSIX
        pid_t pid = 0; // the process start_time and cpu are of; guarded by mutex
#endif
#if VITALS_DETAIL_PROCESS_LINUX
        std::mutex reading; // one read at a time frees and takes the reserve
        detail::descriptor_reserve reserve;
#endif
    };
    process_stats read_stats() const {
#if VITALS_DETAIL_PROCESS_LINUX
        std::lock_guard<std::mutex> lock(state_->reading);
        const bool held = state_->reserve.release();
        struct take_back { // however the read ends
            detail::descriptor_reserve& reserve;
            ~take_back() { reserve.take(); }
        } guard{state_->reserve};
        process_stats s = read_process_stats();
        if (held && s.open_fds) *s.open_fds += 1; // the reserve is one of the process's
        return s;
#else
        return read_process_stats();
#endif
    }
    static double seconds_now() {
        using namespace std::chrono;
        return duration<double>(steady_clock::now().time_since_epoch()).count();
    }
    std::shared_ptr<state> state_;
};

/// Adds a process_collector with namespace `ns` to `reg`, or says why not: a namespace that
/// makes no valid metric name (errc::invalid_metric_name; empty is valid and drops the
/// prefix), which a scrape would otherwise drop family by family. Allocates; thread-safe.
[[nodiscard]] inline status try_add_process_metrics(registry& reg, std::string_view ns) {
    const std::string name = detail::kit_metric_name(ns, "cpu_usage_percent");
    if (!detail::is_valid_metric_name(name))
        return status(
            errc::invalid_metric_name,
            detail::message({"invalid namespace ", detail::message_value(ns),
                             " for process metrics: ", detail::message_value(name),
                             " must match [a-zA-Z_:][a-zA-Z0-9_:]* and not start with '__'"}));
    // The names are the collector's from now on: a family of the program's own with one of
    // them is refused (errc::name_collision), before or after, instead of replacing the
    // collector's in every scrape; a second call is errc::conflicting_registration.
    const auto kit = [&ns](const char* suffix) { return detail::kit_metric_name(ns, suffix); };
    status reserved = detail::registry_access::reserve_collected(
        reg,
        {{metric_type::gauge, kit("cpu_usage_percent")},
         {metric_type::gauge, kit("memory_usage_bytes")},
         {metric_type::gauge, kit("memory_percent")},
         {metric_type::gauge, kit("threads_active")},
         {metric_type::gauge, kit("uptime_seconds")},
         {metric_type::counter, "process_cpu_seconds_total"},
         {metric_type::gauge, "process_resident_memory_bytes"},
         {metric_type::gauge, "process_virtual_memory_bytes"},
         {metric_type::gauge, "process_start_time_seconds"},
         {metric_type::gauge, "process_open_fds"},
         {metric_type::gauge, "process_max_fds"},
         {metric_type::gauge, "process_threads"}},
        "add_process_metrics()", false);
    if (!reserved) return reserved;
    reg.add_collector(process_collector(ns));
    return {};
}

/// Adds a process_collector with namespace `ns` to `reg`; an invalid namespace is reported
/// through the error policy (see try_add_process_metrics()). Allocates; thread-safe.
inline void add_process_metrics(registry& reg, std::string_view ns) {
    const status st = try_add_process_metrics(reg, ns);
    if (!st) detail::fail(st);
}

VITALS_END_NAMESPACE

#endif // VITALS_PROCESS_HPP
