// vitals/server/connection.hpp - one client connection: socket, parser, buffers, deadlines.
// SPDX-License-Identifier: MIT
#ifndef VITALS_SERVER_CONNECTION_HPP
#define VITALS_SERVER_CONNECTION_HPP

#include <vitals/config.hpp>
#include <vitals/server/request_parser.hpp>
#include <vitals/server/socket.hpp>

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
