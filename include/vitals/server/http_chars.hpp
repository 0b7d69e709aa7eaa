// vitals/server/http_chars.hpp - the character rules of HTTP that the request parser, the
// Accept negotiation and the Authorization check share.
// SPDX-License-Identifier: MIT
#ifndef VITALS_SERVER_HTTP_CHARS_HPP
#define VITALS_SERVER_HTTP_CHARS_HPP

#include <vitals/config.hpp>

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
