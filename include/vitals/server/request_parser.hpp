// vitals/server/request_parser.hpp - an incremental, bounded HTTP/1.x request parser.
// SPDX-License-Identifier: MIT
#ifndef VITALS_SERVER_REQUEST_PARSER_HPP
#define VITALS_SERVER_REQUEST_PARSER_HPP

#include <vitals/config.hpp>
#include <vitals/detail/narrow.hpp>
#include <vitals/server/http_chars.hpp>

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
