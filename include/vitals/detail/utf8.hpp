// vitals/detail/utf8.hpp - UTF-8 validation, shared by escaping and exemplars.
// SPDX-License-Identifier: MIT
#ifndef VITALS_DETAIL_UTF8_HPP
#define VITALS_DETAIL_UTF8_HPP

#include <vitals/config.hpp>

#include <cstddef>     // size_t
#include <cstdint>     // uint32_t, uint64_t
#include <cstring>     // memcpy
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

/// Whether the `n` bytes at `p` are all ASCII, read a word at a time (overlapping at the end).
inline bool all_ascii(const char* p, std::size_t n) noexcept {
    constexpr std::uint64_t high_bits = 0x8080808080808080ULL;
    if (n >= 8) {
        std::uint64_t seen = 0, w;
        for (std::size_t i = 0; i + 8 < n; i += 8) {
            std::memcpy(&w, p + i, 8);
            seen |= w;
        }
        std::memcpy(&w, p + n - 8, 8);
        return ((seen | w) & high_bits) == 0;
    }
    if (n >= 4) {
        std::uint32_t a, b;
        std::memcpy(&a, p, 4);
        std::memcpy(&b, p + n - 4, 4);
        return ((a | b) & 0x80808080u) == 0;
    }
    // 1 to 3 bytes: the first, middle and last cover them all.
    return n == 0 || ((static_cast<unsigned char>(p[0]) | static_cast<unsigned char>(p[n / 2]) |
                       static_cast<unsigned char>(p[n - 1])) &
                      0x80) == 0;
}

/// Whether `s` holds an invalid UTF-8 sequence (which the exposition shows as U+FFFD). Label
/// values are nearly always ASCII, which a lookup that misses (a new label set, or one past
/// the series bound, folded into the overflow series) checks a word at a time.
inline bool has_invalid_utf8(std::string_view s) noexcept {
    if (all_ascii(s.data(), s.size())) return false;
    for (std::size_t i = 0; i < s.size();) {
        if (static_cast<unsigned char>(s[i]) < 0x80) {
            ++i;
            continue;
        }
        const std::size_t len = utf8_sequence_length(s, i);
        if (len == 0) return true;
        i += len;
    }
    return false;
}

} // namespace detail
VITALS_END_NAMESPACE

#endif // VITALS_DETAIL_UTF8_HPP
