// tests/unit/server_parser.cpp - the server's incremental HTTP request parser, without sockets.
// SPDX-License-Identifier: MIT
#include <vitals/server/request_parser.hpp>

#include <doctest/doctest.h>

#include <string> // string
#include <vector> // vector

using parser = vitals::detail::http_request_parser;
using state = parser::state;

namespace {

// A string literal with its embedded NUL bytes, without the terminating one.
template <std::size_t N>
std::string bytes(const char (&literal)[N]) {
    return std::string(literal, N - 1);
}

struct parse_outcome {
    state st = state::incomplete;
    int error = 0;
    std::string method, path, authorization;
    bool keep_alive = false;
    int minor = -1;
    std::size_t consumed = 0;
};

// Feeds `input` in pieces of `step` bytes (0: all at once) until the first request ends.
parse_outcome parse(const std::string& input, std::size_t step = 0,
                    vitals::detail::http_limits limits = {}) {
    parser p(limits);
    parse_outcome o;
    std::size_t pos = 0;
    while (pos < input.size() && p.status() == state::incomplete) {
        const std::size_t n = step == 0 ? input.size() - pos : std::min(step, input.size() - pos);
        const std::size_t used = p.feed(input.data() + pos, n);
        REQUIRE(used <= n);
        if (p.status() == state::incomplete) REQUIRE(used == n);
        pos += used;
    }
    o.st = p.status();
    o.error = p.error_status();
    o.method = std::string(p.method());
    o.path = std::string(p.path());
    o.authorization = std::string(p.authorization());
    o.keep_alive = p.keep_alive();
    o.minor = p.version_minor();
    o.consumed = pos;
    return o;
}

// Whole, byte by byte and in pieces of 7 must agree.
parse_outcome parse_all_ways(const std::string& input, vitals::detail::http_limits limits = {}) {
    const parse_outcome whole = parse(input, 0, limits);
    for (std::size_t step : {std::size_t(1), std::size_t(7)}) {
        const parse_outcome piece = parse(input, step, limits);
        CHECK(piece.st == whole.st);
        CHECK(piece.error == whole.error);
        CHECK(piece.path == whole.path);
        if (whole.st == state::complete) CHECK(piece.consumed == whole.consumed);
    }
    return whole;
}

} // namespace

TEST_CASE("parser: a simple GET and its fields") {
    const parse_outcome o = parse_all_ways("GET /metrics?x=1 HTTP/1.1\r\nHost: a\r\n"
                                           "Authorization: Bearer abc\r\n\r\n");
    CHECK(o.st == state::complete);
    CHECK(o.method == "GET");
    CHECK(o.path == "/metrics");
    CHECK(o.minor == 1);
    CHECK(o.keep_alive);
    CHECK(o.authorization == "Bearer abc");
}

TEST_CASE("parser: targets") {
    CHECK(parse("GET /a?b=c/d HTTP/1.1\r\n\r\n").path == "/a");
    CHECK(parse("GET http://h:1/live?q HTTP/1.1\r\n\r\n").path == "/live");
    CHECK(parse("GET http://[::1]:9090/live HTTP/1.1\r\n\r\n").path == "/live");
    CHECK(parse("GET HTTPS://h HTTP/1.1\r\n\r\n").path == "/");
    CHECK(parse("OPTIONS * HTTP/1.1\r\n\r\n").path == "*");
    // No fragment in a request target (RFC 9112, 3.2): "/metrics#x" is not "/metrics".
    for (const char* target : {"/a#frag", "/metrics#", "/a?q#f", "http://h/metrics#x",
                               // asterisk-form is for OPTIONS only (3.2.4)
                               "*",
                               // the authority is checked as a Host header is
                               "http://@@@/live", "http://user@h/live", "http://h:x/live",
                               "http://[::1/live", "http://a%zz/live", "http://[]/live",
                               // not http(s), or no authority
                               "ftp://h/x", "http:///x", "live"}) {
        CAPTURE(target);
        CHECK(parse(std::string("GET ") + target + " HTTP/1.1\r\n\r\n").error == 400);
    }
}

TEST_CASE("parser: keep-alive rules") {
    CHECK(parse("GET / HTTP/1.1\r\n\r\n").keep_alive);
    CHECK_FALSE(parse("GET / HTTP/1.1\r\nConnection: close\r\n\r\n").keep_alive);
    CHECK_FALSE(parse("GET / HTTP/1.1\r\nConnection: Upgrade, CLOSE\r\n\r\n").keep_alive);
    CHECK_FALSE(parse("GET / HTTP/1.0\r\n\r\n").keep_alive);
    CHECK(parse("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").keep_alive);
    CHECK(parse("GET / HTTP/1.0\r\nconnection:KEEP-ALIVE\r\n\r\n").keep_alive);
    CHECK(parse("GET / HTTP/1.9\r\n\r\n").minor == 9);
}

TEST_CASE("parser: line ends, blank lines and bare CR") {
    CHECK(parse_all_ways("\r\n\r\nGET / HTTP/1.1\r\n\r\n").st == state::complete);
    CHECK(parse_all_ways("GET / HTTP/1.1\nHost: a\n\n").st == state::complete);
    CHECK(parse_all_ways("GET / HTTP/1.1\rHost: a\r\n\r\n").error == 400);
    CHECK(parse_all_ways("\rGET / HTTP/1.1\r\n\r\n").error == 400);
    CHECK(parse_all_ways("GET / HTTP/1.1\r\nA: b\rc\r\n\r\n").error == 400);
}

TEST_CASE("parser: request-line syntax and versions") {
    CHECK(parse("GET / HTTP/1.1 \r\n\r\n").error == 400);
    CHECK(parse(" GET / HTTP/1.1\r\n\r\n").error == 400);
    CHECK(parse("G(T / HTTP/1.1\r\n\r\n").error == 400);
    CHECK(parse("GET / HTTP/1\r\n\r\n").error == 400);
    CHECK(parse("GET / http/1.1\r\n\r\n").error == 400);
    CHECK(parse("GET / HTTP/2.0\r\n\r\n").error == 505);
    CHECK(parse("GET / HTTP/0.9\r\n\r\n").error == 505);
    CHECK(parse("GET /\tx HTTP/1.1\r\n\r\n").error == 400);
}

TEST_CASE("parser: limits are exact and enforced before buffering") {
    vitals::detail::http_limits l;
    l.max_request_line = 64;
    l.max_header_bytes = 64;
    l.max_headers = 3;
    l.max_body_bytes = 10;
    const std::string at_limit = "GET /" + std::string(64 - 14, 'a') + " HTTP/1.1";
    REQUIRE(at_limit.size() == 64);
    CHECK(parse_all_ways(at_limit + "\r\n\r\n", l).st == state::complete);
    CHECK(parse_all_ways(at_limit + "\n\n", l).st == state::complete);
    const std::string over = "GET /" + std::string(64 - 13, 'a') + " HTTP/1.1";
    CHECK(parse_all_ways(over + "\r\n\r\n", l).error == 414);
    CHECK(parse_all_ways(over + "\n\n", l).error == 414);

    // A megabyte without a line end: rejected after the limit, not after the megabyte.
    const parse_outcome big = parse("GET /" + std::string(1 << 20, 'a'), 0, l);
    CHECK(big.error == 414);
    const parse_outcome drip = parse("GET /" + std::string(1000, 'a'), 1, l);
    CHECK(drip.error == 414);
    CHECK(drip.consumed <= 67);

    // Header section: 64 bytes including every line end and the final blank line.
    const std::string h62 = "X: " + std::string(62 - 5, 'v') + "\r\n"; // 62 bytes
    REQUIRE(h62.size() == 62);
    CHECK(parse_all_ways("GET / HTTP/1.1\r\n" + h62 + "\r\n", l).st == state::complete);
    const std::string h63 = "X: " + std::string(63 - 5, 'v') + "\r\n";
    CHECK(parse_all_ways("GET / HTTP/1.1\r\n" + h63 + "\r\n", l).error == 431);
    // With lone LF line ends: the final blank line is one byte, and still counts.
    const std::string h63lf = "X: " + std::string(63 - 4, 'v') + "\n"; // 63 bytes
    REQUIRE(h63lf.size() == 63);
    CHECK(parse_all_ways("GET / HTTP/1.1\n" + h63lf + "\n", l).st == state::complete);
    CHECK(parse_all_ways("GET / HTTP/1.1\n" + h63lf + "Y: 1\n\n", l).error == 431);
    const std::string h64lf = "X: " + std::string(64 - 4, 'v') + "\n";
    CHECK(parse_all_ways("GET / HTTP/1.1\n" + h64lf + "\n", l).error == 431);
    const parse_outcome huge = parse("GET / HTTP/1.1\r\nX: " + std::string(1 << 20, 'v'), 0, l);
    CHECK(huge.error == 431);

    CHECK(parse_all_ways("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", l).st ==
          state::complete);
    CHECK(parse_all_ways("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n", l).error == 431);

    CHECK(parse_all_ways("POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123456789", l).st ==
          state::complete);
    CHECK(parse_all_ways("POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n", l).error == 413);
    CHECK(parse_all_ways("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                         "5\r\n01234\r\n6\r\n012345\r\n0\r\n\r\n",
                         l)
              .error == 413);
}

TEST_CASE("parser: header syntax") {
    CHECK(parse("GET / HTTP/1.1\r\nX : y\r\n\r\n").error == 400);
    CHECK(parse("GET / HTTP/1.1\r\n: y\r\n\r\n").error == 400);
    CHECK(parse("GET / HTTP/1.1\r\nX: y\r\n  z\r\n\r\n").error == 400);
    CHECK(parse("GET / HTTP/1.1\r\nX:\ty\t\r\n\r\n").st == state::complete);
    CHECK(parse("GET / HTTP/1.1\r\nX: \xC3\xA9\r\n\r\n").st == state::complete); // obs-text
    CHECK(parse(bytes("GET / HTTP/1.1\r\nX: a\0b\r\n\r\n")).error == 400);
    CHECK(parse("GET / HTTP/1.1\r\nAuthorization: a\r\nAuthorization: b\r\n\r\n").error == 400);
    // A control byte fails at once, before any line end arrives.
    const parse_outcome tls = parse(bytes("\x16\x03\x01\x00"));
    CHECK(tls.error == 400);
    CHECK(tls.consumed == 1);
}

TEST_CASE("parser: body framing") {
    CHECK(parse("GET / HTTP/1.1\r\nContent-Length: 007\r\n\r\nabcdefg").st == state::complete);
    CHECK(parse("GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx").st ==
          state::complete);
    CHECK(parse("GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n").error == 400);
    // The request ends after its body, however short, and not before: what follows is the
    // next pipelined request.
    for (const std::size_t length : {std::size_t{1}, std::size_t{2}}) {
        CAPTURE(length);
        const std::string request = "GET / HTTP/1.1\r\nContent-Length: " + std::to_string(length) +
                                    "\r\n\r\n" + std::string(length, 'x');
        CHECK(parse_all_ways(request + "GET /next HTTP/1.1\r\n\r\n").consumed == request.size());
    }
    for (const char* v : {"", "x", "-0", "+1", "1 1", "1,1", "0x1"}) {
        CAPTURE(v);
        CHECK(parse(std::string("GET / HTTP/1.1\r\nContent-Length: ") + v + "\r\n\r\n").error ==
              400);
    }
    CHECK(parse("GET / HTTP/1.1\r\nContent-Length: 123456789012345678901234567890\r\n\r\n").error ==
          413);
    CHECK(
        parse("GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 1\r\n\r\n").error ==
        400);
    const auto te_status = [](const std::string& lines) {
        const parse_outcome o = parse_all_ways("POST / HTTP/1.1\r\n" + lines + "\r\n0\r\n\r\n");
        return o.st == state::complete ? 200 : o.error;
    };
    CHECK(te_status("Transfer-Encoding: chunked\r\n") == 200);
    CHECK(te_status("Transfer-Encoding: , CHUNKED ,\r\n") == 200); // empty list elements
    // chunked must be the last coding, and only once (RFC 9112, 6.3; 400 and close)...
    for (const char* lines :
         {"Transfer-Encoding: identity\r\n", "Transfer-Encoding: chunked, identity\r\n",
          "Transfer-Encoding: chunked, chunked\r\n",
          "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
          "Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n", "Transfer-Encoding:\r\n",
          "Transfer-Encoding: gzip\r\n"}) {
        CAPTURE(lines);
        CHECK(te_status(lines) == 400);
    }
    // ...and a coding before it is one the server does not decode (501).
    CHECK(te_status("Transfer-Encoding: gzip, chunked\r\n") == 501);
    CHECK(te_status("Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n") == 501);
    const std::string te = "GET / HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n";
    CHECK(parse_all_ways(te + "A;x=y\r\n0123456789\r\n0\r\nT: v\r\n\r\n").st == state::complete);
    // Chunk extensions to the letter of RFC 9112, 7.1.1: whitespace only before ';' and
    // around '=', a token name, a token or quoted-string value.
    for (const char* size_line :
         {"1;a", "1 ;a", "1\t; a = b", "1;a=\"x \\\" y\";b", "1;a;b=c", "1;a=\"\xC3\xA9\""}) {
        CAPTURE(size_line);
        CHECK(parse_all_ways(te + size_line + "\r\nx\r\n0\r\n\r\n").st == state::complete);
    }
    for (const char* size_line : {"1 ", "1\t", "1;", "1;=", "1;a b", "1;a=", "1;a=\"x",
                                  "1;a=\"x\\\"", "1;a=b ", "1;a=\x80", "1;\"a\"", "1;a=b;"}) {
        CAPTURE(size_line);
        CHECK(parse_all_ways(te + size_line + "\r\nx\r\n0\r\n\r\n").error == 400);
    }
    // Inside chunked framing every line ends with CRLF: a lone LF is refused after a size,
    // after chunk data, in the trailer section and at its end.
    CHECK(parse_all_ways(te + "1\n\x01\r\n0\r\n\r\n").error == 400);
    CHECK(parse_all_ways(te + "1\r\nx\n0\r\n\r\n").error == 400);
    CHECK(parse_all_ways(te + "1\r\nx\r\n0\n\r\n").error == 400);
    CHECK(parse_all_ways(te + "0\r\nT: v\n\r\n").error == 400);
    CHECK(parse_all_ways(te + "0\r\n\n").error == 400);
    CHECK(parse_all_ways(te + "g\r\n").error == 400);
    CHECK(parse_all_ways(te + "1\r\nab\r\n").error == 400);
    CHECK(parse_all_ways(te + "1\r\naX\n0\r\n\r\n").error == 400);
    CHECK(parse_all_ways(te + "1\r\na\r\r\n").error == 400);
    CHECK(parse_all_ways(te + "0\r\nbad\r\n\r\n").error == 400);
    CHECK(parse_all_ways(te + std::string(1100, '0') + "1\r\n").error == 400);
}

TEST_CASE("parser: pipelined requests, reset and the failed state") {
    const std::string two = "GET /a HTTP/1.1\r\nContent-Length: 2\r\n\r\nxyGET /b HTTP/1.0\r\n\r\n";
    for (std::size_t step : {std::size_t(1), std::size_t(3), two.size()}) {
        CAPTURE(step);
        parser p;
        std::vector<std::string> paths;
        std::size_t pos = 0;
        while (pos < two.size()) {
            pos += p.feed(two.data() + pos, std::min(step, two.size() - pos));
            if (p.status() == state::complete) {
                paths.emplace_back(p.path());
                p.reset();
            }
            REQUIRE(p.status() != state::failed);
        }
        CHECK(paths == std::vector<std::string>{"/a", "/b"});
        CHECK_FALSE(p.started());
    }
    parser p;
    const std::string bad = "BAD\r\n\r\nGET / HTTP/1.1\r\n\r\n";
    const std::size_t used = p.feed(bad.data(), bad.size());
    CHECK(p.status() == state::failed);
    CHECK(p.error_status() == 400);
    CHECK(std::string(p.error_reason()) == "malformed request line");
    CHECK(used <= 5);
    CHECK(p.feed(bad.data(), bad.size()) == 0);
    p.reset();
    CHECK(p.status() == state::incomplete);
    CHECK(p.error_status() == 0);
    const std::string ok = "GET /c HTTP/1.1\r\n\r\n";
    p.feed(ok.data(), ok.size());
    CHECK(p.status() == state::complete);
    CHECK(p.path() == "/c");
    CHECK_FALSE(p.has_authorization());
}

TEST_CASE("parser: HTTP/1.0 with Transfer-Encoding is faulty framing (400)") {
    const parse_outcome o = parse_all_ways("POST /live HTTP/1.0\r\nConnection: keep-alive\r\n"
                                           "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
    CHECK(o.st == state::failed);
    CHECK(o.error == 400);
    // HTTP/1.1 with the same body is fine.
    CHECK(parse_all_ways("POST /live HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n").st ==
          state::complete);
}

TEST_CASE("parser: Host must be single and a host[:port]") {
    for (const char* host : {"example.com", "example.com:8080", "10.0.0.1:9090", "[::1]:9090", "",
                             "my-svc.ns.svc.cluster.local", "xn--bcher-kva.example", "[::1]",
                             "[fe80::1%25eth0]:80", "h:", "a%41b", "[v1.x]"}) {
        CAPTURE(host);
        CHECK(parse_all_ways(std::string("GET / HTTP/1.1\r\nHost: ") + host + "\r\n\r\n").st ==
              state::complete);
    }
    for (const char* host : {"a b", "example.com/path", "user@example.com", "exa\"mple", "a?b",
                             "a#b", "a\\b", "\xc3\xa9t\xc3\xa9",
                             // characters allowed, structure not: brackets, ports, escapes
                             "[[[:::]", "a:b:c", "a:8080x", "[::1", "::1", "[]", "[::1]x", "a]b",
                             "a%zz", "a%4", "h:-1"}) {
        CAPTURE(host);
        const parse_outcome o =
            parse_all_ways(std::string("GET / HTTP/1.1\r\nHost: ") + host + "\r\n\r\n");
        CHECK(o.st == state::failed);
        CHECK(o.error == 400);
    }
    const parse_outcome twice = parse_all_ways("GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n");
    CHECK(twice.st == state::failed);
    CHECK(twice.error == 400);
}

TEST_CASE("parser: blank lines alone do not start a request") {
    parser p;
    const std::string blank = "\r\n\r\n\n";
    CHECK(p.feed(blank.data(), blank.size()) == blank.size());
    CHECK(p.status() == state::incomplete);
    CHECK_FALSE(p.started());
    const std::string line = "G";
    p.feed(line.data(), line.size());
    CHECK(p.started());
    // Still bounded: blank lines count against the request-line limit.
    vitals::detail::http_limits small;
    small.max_request_line = 16;
    CHECK(parse(std::string(40, '\n'), 0, small).error == 400); // no URI was too long
}

TEST_CASE("parser: Expect: 100-continue waits for the body on HTTP/1.1 only") {
    const auto after_headers = [](const std::string& head) {
        parser p;
        p.feed(head.data(), head.size());
        return p.awaiting_continue();
    };
    CHECK(after_headers("POST /x HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n"));
    CHECK(after_headers("POST /x HTTP/1.1\r\nexpect: 100-Continue\r\n"
                        "Transfer-Encoding: chunked\r\n\r\n"));
    CHECK_FALSE(after_headers("POST /x HTTP/1.0\r\nExpect: 100-continue\r\n"
                              "Content-Length: 5\r\n\r\n"));
    CHECK_FALSE(after_headers("POST /x HTTP/1.1\r\nContent-Length: 5\r\n\r\n"));
    // Expect is a list: 100-continue among other expectations is still seen.
    CHECK(after_headers("POST /x HTTP/1.1\r\nExpect: x-foo, 100-continue\r\n"
                        "Content-Length: 5\r\n\r\n"));
    CHECK_FALSE(after_headers("POST /x HTTP/1.1\r\nExpect: 100-continues\r\n"
                              "Content-Length: 5\r\n\r\n"));
    CHECK_FALSE(after_headers("GET /x HTTP/1.1\r\nExpect: 100-continue\r\n\r\n")); // no body
    CHECK_FALSE(after_headers("POST /x HTTP/1.1\r\nExpect: 100-continue\r\n"));    // headers open
    parser p;
    const std::string head =
        "POST /x HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n";
    p.feed(head.data(), head.size());
    REQUIRE(p.awaiting_continue());
    p.continue_sent();
    CHECK_FALSE(p.awaiting_continue());
    p.feed("hello", 5);
    CHECK(p.status() == state::complete);
    p.reset();
    CHECK_FALSE(p.awaiting_continue());
}
