// vitals/detail/format_number.hpp - locale-independent number formatting for the text format.
// SPDX-License-Identifier: MIT
#ifndef VITALS_DETAIL_FORMAT_NUMBER_HPP
#define VITALS_DETAIL_FORMAT_NUMBER_HPP

#include <vitals/config.hpp>
#include <vitals/detail/float_class.hpp>

#include <cstddef> // size_t
#include <cstdint> // uint64_t
#include <cstring> // memcpy

#if VITALS_USE_TO_CHARS
#include <charconv> // to_chars
#else
#include <cstdio>  // snprintf
#include <cstdlib> // strtod
#if defined(_WIN32)
#include <charconv> // from_chars (see read_back)
#endif
#endif

VITALS_BEGIN_NAMESPACE
namespace detail {

/// Enough for any output of format_double / format_uint.
inline constexpr std::size_t max_number_chars = 32;

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

#if !VITALS_USE_TO_CHARS
/// Reads back a candidate "[-]DIGITSe<exp>" (no decimal point, so no locale dependence).
/// mingw-w64's strtod misrounds about one value in a thousand by one ulp, which would make
/// the shortest-digits search accept digits that do not round-trip; std::from_chars is
/// correctly rounded there.
inline double read_back(const char* text, std::size_t size) noexcept {
#if defined(_WIN32)
    double value = 0.0;
    std::from_chars(text, text + size, value);
    return value;
#else
    (void)size;
    return std::strtod(text, nullptr);
#endif
}

/// Compact builds: the significant digits of `v` at `precision` + 1 digits, written to
/// `digits` (`k` of them, no sign or point) with the decimal `exponent` of the first one.
/// Returns whether they read back to `v`. Tries the correctly rounded digits ("%.*e") and,
/// when those fall nearer zero than `v`, the next decimal away from zero: just above a power of
/// two the doubles are twice as far apart as just below it, so that one can read back when the
/// nearer one does not (std::to_chars picks it too). Candidates are read back without a
/// decimal point, and only digits and the exponent are taken from the C library's text, so the
/// locale's decimal point never matters.
inline bool compact_digits(double v, int precision, char* digits, std::size_t& k,
                           int& exponent) noexcept {
    char sci[max_number_chars + 8];
    std::snprintf(sci, sizeof sci, "%.*e", precision, v);
    k = 0;
    const char* p = sci;
    for (; *p != '\0' && *p != 'e' && *p != 'E'; ++p)
        if (*p >= '0' && *p <= '9' && k < 17) digits[k++] = *p;
    exponent = 0;
    if (*p != '\0') {
        ++p;
        const bool negative_exponent = *p == '-';
        if (*p == '-' || *p == '+') ++p;
        for (; *p >= '0' && *p <= '9'; ++p) exponent = exponent * 10 + (*p - '0');
        if (negative_exponent) exponent = -exponent;
    }
    char text[max_number_chars + 8]; // "[-]DIGITSe<exponent of the last digit>"
    std::size_t t = 0;
    if (v < 0) text[t++] = '-';
    std::memcpy(text + t, digits, k);
    t += k;
    int n = std::snprintf(text + t, sizeof text - t, "e%d", exponent - static_cast<int>(k) + 1);
    const double back = read_back(text, t + static_cast<std::size_t>(n));
    if (back == v) return true;
    const bool nearer_zero = v < 0 ? back > v : back < v;
    if (!nearer_zero) return false; // the nearest digits lie beyond v: none closer can work
    // One unit more in the last digit, with carry (9.99 -> 10.0).
    char up[20];
    std::memcpy(up, digits, k);
    std::size_t i = k;
    while (i > 0 && up[i - 1] == '9') up[--i] = '0';
    int up_exponent = exponent;
    if (i == 0) {
        up[0] = '1';
        ++up_exponent;
    } else {
        ++up[i - 1];
    }
    t = v < 0 ? 1 : 0;
    std::memcpy(text + t, up, k);
    t += k;
    n = std::snprintf(text + t, sizeof text - t, "e%d", up_exponent - static_cast<int>(k) + 1);
    if (read_back(text, t + static_cast<std::size_t>(n)) != v) return false;
    std::memcpy(digits, up, k);
    exponent = up_exponent;
    return true;
}
#endif

/// Writes `v` as the text format expects: `NaN`, `+Inf`, `-Inf`, whole numbers below 2^53
/// without exponent or decimal point, anything else as the shortest string that reads back
/// to the same double, in fixed or scientific notation, whichever is shorter (fixed on a tie):
/// the text std::to_chars writes, also in compact builds. Never depends on the C or C++
/// locale. Returns the chars written (at most max_number_chars).
inline std::size_t format_double(char* out, double v) noexcept {
    if (is_nan(v)) {
        std::memcpy(out, "NaN", 3);
        return 3;
    }
    if (is_inf(v)) {
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
    // C library path (compact builds), written to give exactly the text std::to_chars gives:
    // the fewest significant digits that read back to `v` (see compact_digits), in fixed or
    // scientific notation, whichever is shorter (fixed on a tie). Reading back works for a
    // precision as soon as it works for any smaller one, so a binary search finds the fewest.
    char digits[20];
    std::size_t k = 0;
    int exponent = 0;
    int lo = 0, hi = 16; // 17 significant digits always read back
    while (lo < hi) {
        const int mid = lo + (hi - lo) / 2;
        if (compact_digits(v, mid, digits, k, exponent))
            hi = mid;
        else
            lo = mid + 1;
    }
    compact_digits(v, lo, digits, k, exponent);
    while (k > 1 && digits[k - 1] == '0') --k;
    const int nk = static_cast<int>(k);
    const int abs_exponent = exponent < 0 ? -exponent : exponent;
    const int sci_len = nk + (nk > 1 ? 1 : 0) + 2 + (abs_exponent >= 100 ? 3 : 2);
    const int fixed_len =
        exponent >= 0 ? (nk > exponent + 1 ? nk + 1 : exponent + 1) : nk + 1 - exponent;
    std::size_t n = 0;
    if (v < 0) out[n++] = '-';
    if (fixed_len <= sci_len && exponent >= nk - 1) {
        // A whole number: every digit of its exact value, as std::to_chars writes it.
        char whole[max_number_chars + 8];
        const int len = std::snprintf(whole, sizeof whole, "%.0f", mag);
        std::memcpy(out + n, whole, static_cast<std::size_t>(len));
        n += static_cast<std::size_t>(len);
    } else if (fixed_len <= sci_len && exponent >= 0) {
        const std::size_t int_digits = static_cast<std::size_t>(exponent) + 1;
        std::memcpy(out + n, digits, int_digits);
        n += int_digits;
        out[n++] = '.';
        std::memcpy(out + n, digits + int_digits, k - int_digits);
        n += k - int_digits;
    } else if (fixed_len <= sci_len) {
        out[n++] = '0';
        out[n++] = '.';
        for (int i = 1; i < -exponent; ++i) out[n++] = '0';
        std::memcpy(out + n, digits, k);
        n += k;
    } else {
        out[n++] = digits[0];
        if (k > 1) {
            out[n++] = '.';
            std::memcpy(out + n, digits + 1, k - 1);
            n += k - 1;
        }
        out[n++] = 'e';
        out[n++] = exponent < 0 ? '-' : '+';
        if (abs_exponent >= 100) out[n++] = static_cast<char>('0' + abs_exponent / 100);
        out[n++] = static_cast<char>('0' + abs_exponent / 10 % 10);
        out[n++] = static_cast<char>('0' + abs_exponent % 10);
    }
    return n;
#endif
}

} // namespace detail
VITALS_END_NAMESPACE

#endif // VITALS_DETAIL_FORMAT_NUMBER_HPP
