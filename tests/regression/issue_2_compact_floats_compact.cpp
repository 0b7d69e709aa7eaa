// tests/regression/issue_2_compact_floats_compact.cpp - the compact half of
// issue_2_compact_floats.cpp: the same program, built with VITALS_COMPACT (another inline
// namespace, so both configurations link into one binary).
// SPDX-License-Identifier: MIT
#define VITALS_COMPACT 1
#include <vitals/vitals.hpp>

#include <cstdint> // uint64_t
#include <string>  // string

static_assert(VITALS_USE_TO_CHARS == 0, "this file must use the C library float formatting");

std::string vitals_regression_compact_format(double v) {
    char buf[vitals::detail::max_number_chars];
    return std::string(buf, vitals::detail::format_double(buf, v));
}

std::string vitals_regression_compact_canonical(double v) {
    char buf[vitals::detail::max_number_chars];
    return std::string(buf, vitals::detail::format_canonical(buf, v));
}

std::string vitals_regression_compact_exposition(double v) {
    vitals::registry reg;
    reg.gauge("g", "G.").set(v);
    reg.histogram("h", "H.", {v == v && v < 1e300 && v > -1e300 ? v : 1.0}).observe(v);
    return vitals::to_text(reg);
}

int vitals_regression_compact_decimal_vs_double(std::uint64_t d, int e, double v) {
    return vitals::detail::decimal_vs_double(d, e, v);
}
