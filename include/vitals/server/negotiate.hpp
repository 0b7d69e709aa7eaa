// vitals/server/negotiate.hpp - picks the exposition format from a request's Accept header.
// SPDX-License-Identifier: MIT
#ifndef VITALS_SERVER_NEGOTIATE_HPP
#define VITALS_SERVER_NEGOTIATE_HPP

#include <vitals/config.hpp>
#include <vitals/server/http_chars.hpp>

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
