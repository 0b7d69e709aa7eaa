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
#include <cstdio> // snprintf
#endif

VITALS_BEGIN_NAMESPACE
namespace detail {

/// Enough for any output of format_double / format_uint.
inline constexpr std::size_t max_number_chars = 32;

#if VITALS_COMPACT
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

/// Writes `v` (below 10^6) as six digits, with leading zeros.
inline void format_six_digits(char* out, std::uint64_t v) noexcept {
    for (int i = 5; i >= 0; --i, v /= 10) out[i] = static_cast<char>('0' + v % 10);
}
#else
/// "00" to "99", for writing numbers two digits per division.
struct digit_pair_table {
    char text[200];
    constexpr digit_pair_table() : text() {
        for (std::size_t i = 0; i < 100; ++i) {
            text[2 * i] = static_cast<char>('0' + i / 10);
            text[2 * i + 1] = static_cast<char>('0' + i % 10);
        }
    }
};
inline constexpr digit_pair_table digit_pairs{};

/// Writes the two digits of `v` (below 100) at `out`.
inline void write_digit_pair(char* out, std::uint64_t v) noexcept {
    std::memcpy(out, digit_pairs.text + 2 * v, 2);
}

/// Writes `v` in decimal; returns the number of chars written. Counts the digits first and
/// writes from the last, two per division: the divisions form the one chain of dependent
/// steps, and a 10-digit number (a Unix time) takes 5 instead of 10.
inline std::size_t format_uint(char* out, std::uint64_t v) noexcept {
    std::size_t n = 1;
    for (std::uint64_t limit = 10; v >= limit; limit *= 10) {
        ++n;
        if (n == 20) break; // 10^19 is the last power of ten below 2^64
    }
    char* p = out + n;
    for (; v >= 100; v /= 100) {
        p -= 2;
        write_digit_pair(p, v % 100);
    }
    if (v >= 10)
        write_digit_pair(p - 2, v);
    else
        p[-1] = static_cast<char>('0' + v);
    return n;
}

/// Writes `v` (below 10^6) as six digits, with leading zeros.
inline void format_six_digits(char* out, std::uint64_t v) noexcept {
    write_digit_pair(out, v / 10000);
    write_digit_pair(out + 2, v / 100 % 100);
    write_digit_pair(out + 4, v % 100);
}
#endif

#if !VITALS_USE_TO_CHARS
/// Compact builds: an unsigned integer of up to 32 * 28 = 896 bits, least significant limb
/// first; enough for every product decimal_vs_double forms (under 2^815).
inline constexpr int big_limbs = 28;
struct big_uint {
    std::uint32_t limb[big_limbs];
};

/// Sets `b` to a * 5^pow5 * 2^pow2 (pow5, pow2 >= 0), exactly.
inline void big_scaled(big_uint& b, std::uint64_t a, int pow5, int pow2) noexcept {
    b = big_uint{};
    b.limb[0] = static_cast<std::uint32_t>(a);
    b.limb[1] = static_cast<std::uint32_t>(a >> 32);
    int used = 2; // limbs that may be nonzero; multiplying first keeps this small
    for (; pow5 > 0; pow5 -= 13) {
        std::uint32_t f = 1; // 5^13 is the largest power of 5 below 2^32
        for (int i = 0; i < pow5 && i < 13; ++i) f *= 5;
        std::uint64_t carry = 0;
        for (int i = 0; i < used; ++i) {
            carry += static_cast<std::uint64_t>(b.limb[i]) * f;
            b.limb[i] = static_cast<std::uint32_t>(carry);
            carry >>= 32;
        }
        if (carry != 0) b.limb[used++] = static_cast<std::uint32_t>(carry);
    }
    const int words = pow2 / 32;
    const int bits = pow2 % 32;
    const int top = used + words < big_limbs - 1 ? used + words : big_limbs - 1;
    for (int i = top; i >= 0; --i) { // top down, so each source limb is read before it is moved
        const int from = i - words;
        std::uint32_t x = from >= 0 ? b.limb[from] << bits : 0;
        if (bits != 0 && from >= 1) x |= b.limb[from - 1] >> (32 - bits);
        b.limb[i] = x;
    }
}

/// -1, 0 or 1 as `a` is less than, equal to or greater than `b`.
inline int big_compare(const big_uint& a, const big_uint& b) noexcept {
    for (int i = big_limbs - 1; i >= 0; --i)
        if (a.limb[i] != b.limb[i]) return a.limb[i] < b.limb[i] ? -1 : 1;
    return 0;
}

/// Where the decimal d * 10^e lies against the rounding interval of the finite `v` > 0, the
/// reals that read back as `v` under round-half-to-even: -1 below it, 0 inside, 1 above.
/// Exact (integer arithmetic only), so it needs no C library parser.
inline int decimal_vs_double(std::uint64_t d, int e, double v) noexcept {
    std::uint64_t bits = 0;
    std::memcpy(&bits, &v, sizeof bits);
    const int biased = static_cast<int>(bits >> 52);
    std::uint64_t m = bits & ((std::uint64_t{1} << 52) - 1);
    int q = -1074; // v = m * 2^q; subnormals share the exponent of the smallest normals
    if (biased != 0) {
        m |= std::uint64_t{1} << 52;
        q = biased - 1075;
    }
    // The midpoints to the neighbours, in units of 2^(q - 2). When v is a power of two (but not
    // DBL_MIN, whose lower neighbour is subnormal) the lower neighbour is half as far away.
    const std::uint64_t upper = 4 * m + 2;
    const std::uint64_t lower = 4 * m - (m == std::uint64_t{1} << 52 && biased > 1 ? 1 : 2);
    // A decimal on a midpoint reads back as the neighbour with the even significand.
    const bool inclusive = (m & 1) == 0;
    // d * 5^e * 2^e against c * 2^(q - 2), with the common powers of 5 and 2 cancelled. The
    // largest product is c * 5^-e near DBL_MIN (e = -324): under 2^55 * 2^753. The other side is
    // within a factor of 4 (the decimal is near v), and for e > 0, d * 5^e < 2^57 * 2^716.
    const int shift = e - (q - 2);
    big_uint dec;
    big_uint mid;
    big_scaled(dec, d, e > 0 ? e : 0, shift > 0 ? shift : 0);
    big_scaled(mid, upper, e < 0 ? -e : 0, shift < 0 ? -shift : 0);
    int c = big_compare(dec, mid);
    if (c > 0 || (c == 0 && !inclusive)) return 1;
    big_scaled(mid, lower, e < 0 ? -e : 0, shift < 0 ? -shift : 0);
    c = big_compare(dec, mid);
    if (c < 0 || (c == 0 && !inclusive)) return -1;
    return 0;
}

/// Compact builds: the significant digits of `v` at `precision` + 1 digits, written to
/// `digits` (`k` of them, no sign or point) with the decimal `exponent` of the first one.
/// Returns whether they read back to `v` (decimal_vs_double). Tries the correctly rounded
/// digits ("%.*e") and, when those fall below the rounding interval of |v|, the next decimal
/// away from zero: just above a power of two the doubles are twice as far apart as just below
/// it, so that one can read back when the nearer one does not (std::to_chars picks it too).
/// Only digits and the exponent are taken from the C library's text, so the locale's decimal
/// point never matters.
inline bool compact_digits(double v, int precision, char* digits, std::size_t& k,
                           int& exponent) noexcept {
    char sci[max_number_chars + 8];
    std::snprintf(sci, sizeof sci, "%.*e", precision, v);
    k = 0;
    std::uint64_t d = 0;
    const char* p = sci;
    for (; *p != '\0' && *p != 'e' && *p != 'E'; ++p) {
        if (*p >= '0' && *p <= '9' && k < 17) {
            digits[k++] = *p;
            d = d * 10 + static_cast<std::uint64_t>(*p - '0');
        }
    }
    exponent = 0;
    if (*p != '\0') {
        ++p;
        const bool negative_exponent = *p == '-';
        if (*p == '-' || *p == '+') ++p;
        for (; *p >= '0' && *p <= '9'; ++p) exponent = exponent * 10 + (*p - '0');
        if (negative_exponent) exponent = -exponent;
    }
    const double mag = v < 0 ? -v : v;
    const int last = exponent - static_cast<int>(k) + 1; // the exponent of the last digit
    const int where = decimal_vs_double(d, last, mag);
    if (where == 0) return true;
    if (where > 0) return false; // the nearest digits lie beyond v: none closer can work
    if (decimal_vs_double(d + 1, last, mag) != 0) return false;
    // One unit more in the last digit, with carry (9.99 -> 10.0).
    std::size_t i = k;
    while (i > 0 && digits[i - 1] == '9') digits[--i] = '0';
    if (i == 0) {
        digits[0] = '1';
        ++exponent;
    } else {
        ++digits[i - 1];
    }
    return true;
}
#endif

/// The fewest significant digits of `v` (finite, not zero) that read back to it: `k` digits
/// (at most 17, no sign, point or trailing zero) in `digits`, and the decimal `exponent` of
/// the first one (v = 0.d1d2... * 10^(exponent + 1)).
inline void shortest_digits(double v, char* digits, std::size_t& k, int& exponent) noexcept {
#if VITALS_USE_TO_CHARS
    char sci[max_number_chars];
    const auto res = std::to_chars(sci, sci + sizeof sci, v, std::chars_format::scientific);
    k = 0;
    const char* p = sci;
    for (; p != res.ptr && *p != 'e'; ++p)
        if (*p >= '0' && *p <= '9') digits[k++] = *p;
    exponent = 0;
    const bool negative = p + 1 < res.ptr && p[1] == '-';
    for (p += 2; p < res.ptr; ++p) exponent = exponent * 10 + (*p - '0');
    if (negative) exponent = -exponent;
#else
    // Reading back works for a precision as soon as it works for any smaller one, so a
    // binary search finds the fewest digits.
    int lo = 0, hi = 16; // 17 significant digits always read back
    while (lo < hi) {
        const int mid = lo + (hi - lo) / 2;
        if (compact_digits(v, mid, digits, k, exponent))
            hi = mid;
        else
            lo = mid + 1;
    }
    compact_digits(v, lo, digits, k, exponent);
#endif
    while (k > 1 && digits[k - 1] == '0') --k;
}

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
    shortest_digits(v, digits, k, exponent);
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

/// Writes `v` as Go's strconv.FormatFloat(v, 'g', -1, 64) does, which is how Go and Python
/// clients write `le` label values in the text format: the fewest digits that read back to
/// `v`, with an exponent below 1e-4 and from 1e+6 on (at least two digits): 0.0001, 1e-05,
/// 100000, 1e+06, 1.048576e+06. With `point_zero`, ".0" is added when there is neither a
/// point nor an exponent: the OpenMetrics canonical number (1.0, 100000.0; zero, also -0, is
/// 0.0). Without it zero, also -0, is 0. Returns the chars written (at most max_number_chars).
inline std::size_t format_go_float(char* out, double v, bool point_zero) noexcept {
    if (is_nan(v) || is_inf(v) || v == 0.0) {
        if (v == 0.0 && point_zero) {
            std::memcpy(out, "0.0", 3);
            return 3;
        }
        return format_double(out, v);
    }
    char digits[20];
    std::size_t k = 0;
    int exponent = 0;
    shortest_digits(v < 0 ? -v : v, digits, k, exponent);
    std::size_t n = 0;
    if (v < 0) out[n++] = '-';
    if (exponent < -4 || exponent >= 6) {
        out[n++] = digits[0];
        if (k > 1) {
            out[n++] = '.';
            std::memcpy(out + n, digits + 1, k - 1);
            n += k - 1;
        }
        out[n++] = 'e';
        out[n++] = exponent < 0 ? '-' : '+';
        const int e = exponent < 0 ? -exponent : exponent;
        if (e >= 100) out[n++] = static_cast<char>('0' + e / 100);
        out[n++] = static_cast<char>('0' + e / 10 % 10);
        out[n++] = static_cast<char>('0' + e % 10);
    } else if (exponent >= 0) {
        const auto whole = static_cast<std::size_t>(exponent) + 1;
        for (std::size_t i = 0; i < whole; ++i) out[n++] = i < k ? digits[i] : '0';
        if (k > whole) {
            out[n++] = '.';
            std::memcpy(out + n, digits + whole, k - whole);
            n += k - whole;
        } else if (point_zero) {
            out[n++] = '.';
            out[n++] = '0';
        }
    } else {
        out[n++] = '0';
        out[n++] = '.';
        for (int i = 1; i < -exponent; ++i) out[n++] = '0';
        std::memcpy(out + n, digits, k);
        n += k;
    }
    return n;
}

/// The OpenMetrics canonical number, the form its `le` values must take (see format_go_float).
inline std::size_t format_canonical(char* out, double v) noexcept {
    return format_go_float(out, v, true);
}

/// A text-format `le` value, as Go and Python clients write it (see format_go_float), so that
/// a bucket has the same label value whichever of them serves it.
inline std::size_t format_label_number(char* out, double v) noexcept {
    return format_go_float(out, v, false);
}

} // namespace detail
VITALS_END_NAMESPACE

#endif // VITALS_DETAIL_FORMAT_NUMBER_HPP
