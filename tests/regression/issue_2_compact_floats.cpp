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
std::string vitals_regression_compact_exposition(double v);

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
bool reads_back(const std::string& text, double v) {
    double d = 0;
    const auto r = std::from_chars(text.data(), text.data() + text.size(), d);
    return r.ec == std::errc() && r.ptr == text.data() + text.size() && d == v;
}

int mismatches = 0;
void compare(double v) {
    const std::string a = default_format(v);
    const std::string b = vitals_regression_compact_format(v);
    // The compact build once trusted the C library's strtod to check its digits; mingw-w64's
    // misreads some inputs by one ulp, so it wrote digits naming a neighbouring double there.
    // (NaN, +Inf, -Inf and -0 are spelled by the text format, not by from_chars.)
    const bool exact = !std::isfinite(v) || v == 0.0 || reads_back(b, v);
    if (a == b && exact) return;
    if (++mismatches <= 20) {
        CAPTURE(a);
        CAPTURE(b);
        CHECK(a == b);
        CHECK(exact);
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

TEST_CASE("regression: compact and default expositions are identical") {
    for (double v :
         {0.1, 1e-300, 5e-324, 1.7976931348623157e308, 123456789.125, -2.5, 1e21,
          9007199254740992.0, 9007199254740994.0, 1e-4, 0.000123, 1152921504606846976.0,
          std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity()}) {
        CAPTURE(v);
        CHECK(default_exposition(v) == vitals_regression_compact_exposition(v));
    }
}
