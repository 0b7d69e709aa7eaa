// vitals/detail/escape.hpp - escaping for label values, HELP text and error messages.
// SPDX-License-Identifier: MIT
#ifndef VITALS_DETAIL_ESCAPE_HPP
#define VITALS_DETAIL_ESCAPE_HPP

#include <vitals/config.hpp>
#include <vitals/detail/format_number.hpp>
#include <vitals/detail/utf8.hpp>

#include <cstddef>     // size_t
#include <cstring>     // memcpy
#include <string>      // string
#include <string_view> // string_view

VITALS_BEGIN_NAMESPACE
namespace detail {

/// Escapes `value` for the text format, handing the result to `append(const char*, size_t)` in
/// pieces: runs of bytes that need no change go out as they are, in one call each.
/// Backslash, newline and (when `quote`, for label values) double quote are escaped; each
/// invalid UTF-8 sequence becomes U+FFFD. Allocates nothing itself, so the serializer can
/// escape straight into its output (collector samples at scrape time).
template <class Append>
void escape_pieces(std::string_view value, bool quote, Append&& append) {
    std::size_t run = 0; // start of the bytes not yet appended
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
        if (i > run) append(value.data() + run, i - run);
        append(replacement, replacement_size);
        run = ++i;
    }
    if (i > run) append(value.data() + run, i - run);
}

/// Bytes of `value` as the exposition shows it: each invalid UTF-8 byte counts as the 3 of
/// U+FFFD, as escape_pieces() writes it.
inline std::size_t shown_size(std::string_view value) noexcept {
    std::size_t n = value.size();
    for (std::size_t i = 0; i < value.size();) {
        const std::size_t len =
            static_cast<unsigned char>(value[i]) < 0x80 ? 1 : utf8_sequence_length(value, i);
        n += len == 0 ? 2 : 0;
        i += len == 0 ? 1 : len;
    }
    return n;
}

/// Writes `value` as the exposition shows it, before escaping (shown_size() bytes), to `out`;
/// returns the bytes written.
inline std::size_t write_shown(char* out, std::string_view value) noexcept {
    char* const start = out;
    for (std::size_t i = 0; i < value.size();) {
        const std::size_t len =
            static_cast<unsigned char>(value[i]) < 0x80 ? 1 : utf8_sequence_length(value, i);
        if (len == 0) {
            std::memcpy(out, "\xEF\xBF\xBD", 3);
            out += 3;
            ++i;
        } else {
            std::memcpy(out, value.data() + i, len);
            out += len;
            i += len;
        }
    }
    return static_cast<std::size_t>(out - start);
}

/// `value` as the exposition shows it, before escaping: each invalid UTF-8 byte replaced by
/// U+FFFD, as escape_pieces() does.
inline std::string replace_invalid_utf8(std::string_view value) {
    std::string out(shown_size(value), '\0');
    write_shown(&out[0], value);
    return out;
}

/// Appends `value` escaped for the text format (see escape_pieces()).
inline void append_escaped(std::string& out, std::string_view value, bool quote) {
    escape_pieces(value, quote,
                  [&out](const char* data, std::size_t size) { out.append(data, size); });
}

/// The bytes of a value an error message shows (see message_value()).
inline constexpr std::size_t message_value_bytes = 128;

/// `value` for an error message a program may log: quoted, escaped as the exposition escapes a
/// label value (invalid UTF-8 as U+FFFD) and each other control byte as \xNN, so that it brings
/// no terminal escape sequence or line of its own into the log; cut after the first
/// message_value_bytes bytes, on a character boundary, with its size. Appends runs, never a
/// char at a time: every program that registers links it (size counts on small boards).
inline std::string message_value(std::string_view value) {
    std::string_view shown = value;
    if (value.size() > message_value_bytes) {
        std::size_t cut = message_value_bytes;
        // Back to the start of the character the cut falls in (at most 3 continuation bytes).
        while (cut > message_value_bytes - 3 &&
               (static_cast<unsigned char>(value[cut]) & 0xC0) == 0x80)
            --cut;
        shown = std::string_view(value.data(), cut); // substr() would link its throw
    }
    std::string escaped; // through append_escaped(), which the exposition links anyway
    append_escaped(escaped, shown, true);
    std::string out;
    out.append("\"", 1);
    std::size_t run = 0;
    for (std::size_t i = 0; i < escaped.size(); ++i) {
        const auto c = static_cast<unsigned char>(escaped[i]);
        if (c >= 0x20 && c != 0x7F) continue;
        const char hex[] = {'\\', 'x', "0123456789abcdef"[c >> 4], "0123456789abcdef"[c & 15]};
        out.append(escaped.data() + run, i - run).append(hex, 4);
        run = i + 1;
    }
    out.append(escaped.data() + run, escaped.size() - run);
    out.append("\"", 1);
    if (shown.size() < value.size()) {
        char size[max_number_chars];
        out.append("... (", 5).append(size, format_uint(size, value.size())).append(" bytes)", 7);
    }
    return out;
}

} // namespace detail
VITALS_END_NAMESPACE

#endif // VITALS_DETAIL_ESCAPE_HPP
