// tests/regression/issue_2_compact_floats.cpp - the compact configuration (C library float
// formatting) wrote different text than the default (std::to_chars): 4.94065645841247e-324
// instead of 5e-324 (not the shortest), 1.152921504606847e+18 for 2^60, 0.0001 for 1e-04.
// Both configurations are linked into this binary (issue_2_compact_floats_compact.cpp holds
// the compact one) and must agree byte for byte.
// SPDX-License-Identifier: MIT
#include <vitals/vitals.hpp>

#include <doctest/doctest.h>

#include <charconv>     // from_chars
#include <cmath>        // ldexp
#include <cstdint>      // uint64_t
#include <cstdlib>      // strtod
#include <cstring>      // memcpy
#include <limits>       // numeric_limits
#include <random>       // mt19937_64
#include <string>       // string
#include <system_error> // errc

static_assert(VITALS_USE_TO_CHARS == 1, "this file must use std::to_chars");

std::string vitals_regression_compact_format(double v);
std::string vitals_regression_compact_canonical(double v);
std::string vitals_regression_compact_exposition(double v);
int vitals_regression_compact_decimal_vs_double(std::uint64_t d, int e, double v);

namespace {
std::string default_format(double v) {
    char buf[vitals::detail::max_number_chars];
    return std::string(buf, vitals::detail::format_double(buf, v));
}

std::string default_exposition(double v) {
    vitals::registry reg;
    reg.gauge("g", "G.").set(v);
    reg.histogram("h", "H.", {v == v && v < 1e300 && v > -1e300 ? v : 1.0}).observe(v);
    return vitals::to_text(reg);
}

// Exact reading (std::from_chars is correctly rounded), independent of the C library.
// libc++ before 20 has no from_chars for double; there glibc's (or Apple's) strtod, which
// rounds correctly too, is the oracle.
bool reads_back(const std::string& text, double v) {
    double d = 0;
#if defined(__cpp_lib_to_chars)
    const auto r = std::from_chars(text.data(), text.data() + text.size(), d);
    return r.ec == std::errc() && r.ptr == text.data() + text.size() && d == v;
#else
    char* end = nullptr;
    d = std::strtod(text.c_str(), &end);
    return end == text.c_str() + text.size() && d == v;
#endif
}

int mismatches = 0;
void compare(double v) {
    const std::string a = default_format(v);
    const std::string b = vitals_regression_compact_format(v);
    // The compact build once trusted the C library's strtod to check its digits; mingw-w64's
    // misreads some inputs by one ulp, so it wrote digits naming a neighbouring double there.
    // (NaN, +Inf, -Inf and -0 are spelled by the text format, not by from_chars.)
    const bool exact = !std::isfinite(v) || v == 0.0 || reads_back(b, v);
    // The OpenMetrics canonical form (`le` values) takes the same digits.
    char buf[vitals::detail::max_number_chars];
    const std::string ca(buf, vitals::detail::format_canonical(buf, v));
    const std::string cb = vitals_regression_compact_canonical(v);
    const bool canonical_exact = !std::isfinite(v) || v == 0.0 || reads_back(cb, v);
    if (a == b && exact && ca == cb && canonical_exact) return;
    if (++mismatches <= 20) {
        CAPTURE(a);
        CAPTURE(b);
        CAPTURE(ca);
        CAPTURE(cb);
        CHECK(a == b);
        CHECK(exact);
        CHECK(ca == cb);
        CHECK(canonical_exact);
    }
}
} // namespace

TEST_CASE("regression: compact and default float formatting write identical text") {
    mismatches = 0;
    SUBCASE("every power of two, both signs") {
        for (int e = -1074; e <= 1023; ++e) {
            compare(std::ldexp(1.0, e));
            compare(-std::ldexp(1.0, e));
            compare(std::nextafter(std::ldexp(1.0, e), 0.0));
            compare(std::nextafter(std::ldexp(1.0, e), HUGE_VAL));
        }
    }
    SUBCASE("powers of ten and their neighbours") {
        for (int e = -323; e <= 308; ++e) {
            const double p = std::strtod(("1e" + std::to_string(e)).c_str(), nullptr);
            compare(p);
            compare(std::nextafter(p, 0.0));
            compare(std::nextafter(p, HUGE_VAL));
            compare(p * 1.5);
            compare(p * 0.123);
        }
    }
    SUBCASE("random bit patterns, decimals and scaled integers") {
        std::mt19937_64 rng(7);
        for (int i = 0; i < 50000; ++i) {
            const std::uint64_t bits = rng();
            double v;
            std::memcpy(&v, &bits, sizeof v);
            compare(v);
            compare(static_cast<double>(rng() % 10000000) / 1000.0);
            const double mantissa = static_cast<double>(rng() >> 11); // sequenced: the same
            const int exponent = static_cast<int>(rng() % 140) - 70;  // on every compiler
            compare(std::ldexp(mantissa, exponent));
        }
    }
    // The compact build checks candidates exactly against the rounding interval of v (big
    // integer comparisons with its midpoints); these target the interval's edges.
    SUBCASE("decimals exactly on a midpoint between two doubles (round-half-to-even)") {
        // d * 10^e with n = d * 5^e odd in (2^53, 2^54) is the midpoint of the doubles
        // (n - 1) / 2 * 2^(e + 1) and (n + 1) / 2 * 2^(e + 1): it reads back as the even one.
        std::mt19937_64 rng(11);
        std::uint64_t five = 1;
        for (int e = 1; e <= 23; ++e) {
            five *= 5;
            const std::uint64_t d_lo = (std::uint64_t{1} << 53) / five + 1;
            const std::uint64_t d_hi = (std::uint64_t{1} << 54) / five;
            for (int i = 0; i < 300; ++i) {
                std::uint64_t d =
                    d_lo + (i < 20 ? static_cast<std::uint64_t>(i) : rng() % (d_hi - d_lo + 1));
                if (d > d_hi) continue;
                if (d % 2 == 0) ++d;
                if (d % 5 == 0) d += 2; // keeps n odd
                const std::uint64_t n = d * five;
                if (n <= (std::uint64_t{1} << 53) || n >= (std::uint64_t{1} << 54)) continue;
                const double below = std::ldexp(static_cast<double>((n - 1) / 2), e + 1);
                const double above = std::ldexp(static_cast<double>((n + 1) / 2), e + 1);
                for (double v :
                     {below, above, std::nextafter(below, 0.0), std::nextafter(above, HUGE_VAL)}) {
                    compare(v);
                    compare(-v);
                }
            }
        }
        // 1e23 is the midpoint of two doubles; the lower one is even and takes it.
        const double lower = 1e23;
        const double upper = std::nextafter(lower, HUGE_VAL);
        CHECK(vitals_regression_compact_format(lower) == "1e+23");
        CHECK(vitals_regression_compact_format(upper) == "1.0000000000000001e+23");
        CHECK(vitals_regression_compact_format(-upper) == "-1.0000000000000001e+23");
        compare(lower);
        compare(upper);
    }
    SUBCASE("powers of two (asymmetric interval) and their near neighbours, all exponents") {
        for (int e = -1074; e <= 1023; ++e) {
            const double p = std::ldexp(1.0, e);
            double down = p, up = p;
            for (int i = 0; i < 3; ++i) {
                down = std::nextafter(down, 0.0);
                up = std::nextafter(up, HUGE_VAL);
                compare(down);
                compare(up);
                compare(-up);
            }
            compare(p * 3);
            compare(p * 5);
            compare(p * 0.75);
        }
    }
    SUBCASE("subnormals, DBL_MIN and DBL_MAX") {
        const double min_sub = std::numeric_limits<double>::denorm_min();
        const double max_sub = std::nextafter(std::numeric_limits<double>::min(), 0.0);
        const double max = (std::numeric_limits<double>::max)();
        CHECK(vitals_regression_compact_format(min_sub) == "5e-324");
        CHECK(vitals_regression_compact_format(-min_sub) == "-5e-324");
        CHECK(vitals_regression_compact_format(2 * min_sub) == "1e-323");
        CHECK(vitals_regression_compact_format(max_sub) == "2.225073858507201e-308");
        CHECK(vitals_regression_compact_format(std::numeric_limits<double>::min()) ==
              "2.2250738585072014e-308");
        CHECK(vitals_regression_compact_format(max) == "1.7976931348623157e+308");
        CHECK(vitals_regression_compact_format(-max) == "-1.7976931348623157e+308");
        for (int i = 1; i <= 2000; ++i) {
            compare(min_sub * i);                                       // smallest subnormals
            compare(std::nextafter(max_sub, 0.0) - min_sub * (i - 1));  // largest subnormals
            compare(std::numeric_limits<double>::min() + min_sub * i);  // smallest normals
            compare(max - std::ldexp(static_cast<double>(i - 1), 971)); // largest doubles
        }
    }
    SUBCASE("random bit patterns, large sweep") {
        // About 1.6 s in a Debug build on x86-64; longer sweeps (20 million values) run by hand.
        std::mt19937_64 rng(2024);
        for (int i = 0; i < 200000; ++i) {
            const std::uint64_t bits = rng();
            double v;
            std::memcpy(&v, &bits, sizeof v);
            compare(v);
        }
    }
    SUBCASE("special values") {
        compare(0.0);
        compare(-0.0);
        compare(std::numeric_limits<double>::infinity());
        compare(-std::numeric_limits<double>::infinity());
        compare(std::numeric_limits<double>::quiet_NaN());
        compare(std::numeric_limits<double>::denorm_min());
        compare(std::numeric_limits<double>::max());
        compare(std::numeric_limits<double>::lowest());
    }
    CHECK(mismatches == 0);
}

TEST_CASE("regression: the compact build's exact check of d * 10^e against a double") {
    // -1, 0, 1: below, inside, above the reals that read back as v. Decimals of 19 digits place
    // the edges finer than any candidate the formatter tries.
    const auto where = vitals_regression_compact_decimal_vs_double;
    const double min_sub = std::numeric_limits<double>::denorm_min(); // 4.94e-324
    CHECK(where(24, -325, min_sub) == -1); // the midpoints are 2.47e-324 and 7.41e-324
    CHECK(where(25, -325, min_sub) == 0);
    CHECK(where(74, -325, min_sub) == 0);
    CHECK(where(75, -325, min_sub) == 1);
    // DBL_MIN's lower neighbour is subnormal, as close as the upper one (no power-of-two
    // asymmetry): DBL_MIN - 3/8 ulp reads back as DBL_MIN, DBL_MIN - 5/8 ulp does not.
    const double dbl_min = std::numeric_limits<double>::min();
    CHECK(where(2225073858507201197ULL, -326, dbl_min) == 0);
    CHECK(where(2225073858507201074ULL, -326, dbl_min) == -1);
    // 2^-1021 is a power of two with a normal lower neighbour, 2^-1074 away, half as far as the
    // upper one: 3/8 * 2^-1073 below lies outside its interval, 3/8 * 2^-1074 below inside.
    CHECK(where(4450147717014402395ULL, -326, 2 * dbl_min) == -1);
    CHECK(where(4450147717014402580ULL, -326, 2 * dbl_min) == 0);
    // DBL_MAX: its upper midpoint 2^1024 - 2^970 = 1.7976931348623158079...e308 rounds to
    // infinity (DBL_MAX is odd).
    const double max = (std::numeric_limits<double>::max)();
    CHECK(where(1797693134862315807ULL, 290, max) == 0);
    CHECK(where(1797693134862315808ULL, 290, max) == 1);
    // 1e23 lies exactly between two doubles; the even (lower) one takes it.
    CHECK(where(1, 23, 1e23) == 0);
    CHECK(where(1, 23, std::nextafter(1e23, HUGE_VAL)) == -1);
}

TEST_CASE("regression: compact and default expositions are identical") {
    for (double v :
         {0.1, 1e-300, 5e-324, 1.7976931348623157e308, 123456789.125, -2.5, 1e21,
          9007199254740992.0, 9007199254740994.0, 1e-4, 0.000123, 1152921504606846976.0,
          std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity()}) {
        CAPTURE(v);
        CHECK(default_exposition(v) == vitals_regression_compact_exposition(v));
    }
}
