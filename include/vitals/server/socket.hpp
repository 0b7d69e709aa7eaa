// vitals/server/socket.hpp - a thin layer over POSIX sockets and Winsock2 for the server.
// SPDX-License-Identifier: MIT
#ifndef VITALS_SERVER_SOCKET_HPP
#define VITALS_SERVER_SOCKET_HPP

#include <vitals/config.hpp>
#include <vitals/detail/narrow.hpp>

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
