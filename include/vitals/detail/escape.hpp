// vitals/detail/escape.hpp - escaping for label values and HELP text, with UTF-8 repair.
// SPDX-License-Identifier: MIT
#ifndef VITALS_DETAIL_ESCAPE_HPP
#define VITALS_DETAIL_ESCAPE_HPP

#include <vitals/config.hpp>

#include <cstddef>     // size_t
#include <string>      // string
#include <string_view> // string_view

VITALS_BEGIN_NAMESPACE
namespace detail {

/// Length of the valid UTF-8 sequence starting at s[i], or 0 when it is invalid (overlong,
/// surrogate, beyond U+10FFFF, truncated).
inline std::size_t utf8_sequence_length(std::string_view s, std::size_t i) noexcept {
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned char c = byte(i);
    if (c < 0x80) return 1;
    std::size_t len;
    unsigned char lo = 0x80, hi = 0xBF; // allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F; // no surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else {
        return 0;
    }
    if (i + len > s.size()) return 0;
    if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
    for (std::size_t k = 2; k < len; ++k)
        if ((byte(i + k) & 0xC0) != 0x80) return 0;
    return len;
}

/// Escapes `value` for the text format, handing the result to `emit(const char*, size_t)` in
/// pieces: runs of bytes that need no change go out as they are, in one call each.
/// Backslash, newline and (when `quote`, for label values) double quote are escaped; each
/// invalid UTF-8 sequence becomes U+FFFD. Allocates nothing itself, so the serializer can
/// escape straight into its output (collector samples at scrape time).
template <class Emit>
void escape_pieces(std::string_view value, bool quote, Emit&& emit) {
    std::size_t run = 0; // start of the bytes not yet emitted
    std::size_t i = 0;
    while (i < value.size()) {
        const char c = value[i];
        const char* replacement;
        std::size_t replacement_size = 2;
        if (c == '\\') {
            replacement = "\\\\";
        } else if (c == '\n') {
            replacement = "\\n";
        } else if (c == '"' && quote) {
            replacement = "\\\"";
        } else if (static_cast<unsigned char>(c) < 0x80) {
            ++i;
            continue;
        } else {
            const std::size_t len = utf8_sequence_length(value, i);
            if (len != 0) {
                i += len;
                continue;
            }
            replacement = "\xEF\xBF\xBD";
            replacement_size = 3;
        }
        if (i > run) emit(value.data() + run, i - run);
        emit(replacement, replacement_size);
        run = ++i;
    }
    if (i > run) emit(value.data() + run, i - run);
}

/// Appends `value` escaped for the text format (see escape_pieces()).
inline void append_escaped(std::string& out, std::string_view value, bool quote) {
    escape_pieces(value, quote,
                  [&out](const char* data, std::size_t size) { out.append(data, size); });
}

} // namespace detail
VITALS_END_NAMESPACE

#endif // VITALS_DETAIL_ESCAPE_HPP
