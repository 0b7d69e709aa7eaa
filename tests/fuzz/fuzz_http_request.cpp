// tests/fuzz/fuzz_http_request.cpp - libFuzzer target for the server's HTTP request parser.
// SPDX-License-Identifier: MIT
//
// Build and run (clang only): tests/fuzz/run.sh [seconds]
//
// The first input byte picks small limits (so every limit is reachable) and how the rest is
// split into pieces. The same bytes are then parsed whole and in pieces; both must produce
// the same sequence of requests and the same final error, and every invariant below must
// hold. Any violation aborts, which libFuzzer reports as a crash.
#include <vitals/server/request_parser.hpp>

#include <cstddef> // size_t
#include <cstdint> // uint8_t
#include <cstdlib> // abort
#include <string>  // string
#include <vector>  // vector

namespace {

using parser = vitals::detail::http_request_parser;
using state = parser::state;

void require(bool condition) {
    if (!condition) std::abort();
}

struct event {
    int status; // 0: a complete request
    std::string method, path;
    bool keep_alive;
    bool operator==(const event& o) const {
        return status == o.status && method == o.method && path == o.path &&
               keep_alive == o.keep_alive;
    }
};

bool is_error_code(int code) {
    return code == 400 || code == 413 || code == 414 || code == 431 || code == 501 || code == 505;
}

bool only_line_ends(const char* p, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i)
        if (p[i] != '\r' && p[i] != '\n') return false;
    return true;
}

std::vector<event> run(const std::uint8_t* data, std::size_t size,
                       const vitals::detail::http_limits& limits, std::size_t piece) {
    parser p(limits);
    std::vector<event> out;
    std::size_t pos = 0;
    std::size_t request_begin = 0; // where the current request's bytes begin
    const char* bytes = reinterpret_cast<const char*>(data);
    while (pos < size) {
        const std::size_t n = piece == 0 || size - pos < piece ? size - pos : piece;
        const std::size_t used = p.feed(bytes + pos, n);
        require(used <= n);
        pos += used;
        switch (p.status()) {
        case state::incomplete:
            require(used == n);
            // Only blank lines before a request line leave it unstarted.
            require(p.started() || only_line_ends(bytes + request_begin, pos - request_begin));
            break;
        case state::complete: {
            require(!p.method().empty());
            require(!p.path().empty());
            require(p.path().front() == '/' || p.path() == "*");
            require(p.path().find('?') == std::string::npos);
            require(p.path().size() <= limits.max_request_line);
            require(p.authorization().size() <= limits.max_header_bytes);
            require(p.version_minor() >= 0 && p.version_minor() <= 9);
            out.push_back(event{0, std::string(p.method()), std::string(p.path()), p.keep_alive()});
            p.reset();
            request_begin = pos;
            require(p.status() == state::incomplete && !p.started());
            break;
        }
        case state::failed:
            require(is_error_code(p.error_status()));
            require(p.error_reason()[0] != '\0');
            require(p.feed(bytes, size) == 0); // stays failed
            out.push_back(event{p.error_status(), "", "", false});
            return out;
        }
    }
    return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::uint8_t mode = data[0];
    vitals::detail::http_limits limits;
    if (mode & 1) { // small limits
        limits.max_request_line = 16 + (mode >> 4);
        limits.max_header_bytes = 16 + (mode >> 2);
        limits.max_headers = 1 + ((mode >> 1) & 3);
        limits.max_body_bytes = (mode >> 3) & 15;
    }
    const std::size_t pieces[] = {1, 2, 3, 5, 8, 13, 64};
    const std::size_t piece = pieces[(mode >> 1) % 7];
    const std::vector<event> whole = run(data + 1, size - 1, limits, 0);
    const std::vector<event> split = run(data + 1, size - 1, limits, piece);
    require(whole == split);
    return 0;
}
