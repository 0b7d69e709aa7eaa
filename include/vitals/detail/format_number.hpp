// vitals/detail/format_number.hpp - locale-independent number formatting for the text format.
// SPDX-License-Identifier: MIT
#ifndef VITALS_DETAIL_FORMAT_NUMBER_HPP
#define VITALS_DETAIL_FORMAT_NUMBER_HPP

#include <vitals/config.hpp>

#include <cmath>   // isnan, isinf
#include <cstddef> // size_t
#include <cstdint> // uint64_t
#include <cstring> // memcpy

#if VITALS_USE_TO_CHARS
#include <charconv> // to_chars
#else
#include <cstdio>  // snprintf
#include <cstdlib> // strtod
#endif

VITALS_BEGIN_NAMESPACE
namespace detail {

/// Enough for any output of format_double / format_uint.
constexpr std::size_t max_number_chars = 32;

/// Writes `v` in decimal; returns the number of chars written.
inline std::size_t format_uint(char* out, std::uint64_t v) noexcept {
    char tmp[20];
    std::size_t n = 0;
    do {
        tmp[n++] = static_cast<char>('0' + v % 10);
        v /= 10;
    } while (v != 0);
    for (std::size_t i = 0; i < n; ++i) out[i] = tmp[n - 1 - i];
    return n;
}

/// Writes `v` as the text format expects: `NaN`, `+Inf`, `-Inf`, whole numbers below 2^53
/// without exponent or decimal point, anything else as the shortest string that reads back
/// to the same double. Never depends on the C or C++ locale. Returns the chars written.
inline std::size_t format_double(char* out, double v) noexcept {
    if (std::isnan(v)) {
        std::memcpy(out, "NaN", 3);
        return 3;
    }
    if (std::isinf(v)) {
        std::memcpy(out, v > 0 ? "+Inf" : "-Inf", 4);
        return 4;
    }
    if (v == 0.0) { // also -0.0, which Prometheus treats as 0
        out[0] = '0';
        return 1;
    }
    const double mag = v < 0 ? -v : v;
    if (mag < 9007199254740992.0) {
        const auto whole = static_cast<std::uint64_t>(mag);
        if (static_cast<double>(whole) == mag) {
            std::size_t n = 0;
            if (v < 0) out[n++] = '-';
            return n + format_uint(out + n, whole);
        }
    }
#if VITALS_USE_TO_CHARS
    const auto res = std::to_chars(out, out + max_number_chars, v);
    return static_cast<std::size_t>(res.ptr - out);
#else
    // C library path (compact builds): the shortest of %.15g..%.17g that round-trips. The
    // check and the output both use the current locale's decimal point, which is then
    // rewritten to '.'.
    char buf[max_number_chars];
    int len = 0;
    for (int precision = 15; precision <= 17; ++precision) {
        len = std::snprintf(buf, sizeof buf, "%.*g", precision, v);
        if (precision == 17 || std::strtod(buf, nullptr) == v) break;
    }
    std::size_t n = 0;
    for (int i = 0; i < len; ++i) {
        const char c = buf[i];
        if ((c >= '0' && c <= '9') || c == '-' || c == '+' || c == 'e' || c == 'E') {
            out[n++] = c;
        } else if (n == 0 || out[n - 1] != '.') {
            out[n++] = '.'; // the locale's decimal point, possibly multi-byte
        }
    }
    return n;
#endif
}

} // namespace detail
VITALS_END_NAMESPACE

#endif // VITALS_DETAIL_FORMAT_NUMBER_HPP
