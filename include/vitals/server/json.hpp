// vitals/server/json.hpp - the JSON the server writes (/health): strings escaped safely.
// SPDX-License-Identifier: MIT
#ifndef VITALS_SERVER_JSON_HPP
#define VITALS_SERVER_JSON_HPP

#include <vitals/config.hpp>
#include <vitals/detail/utf8.hpp>

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
