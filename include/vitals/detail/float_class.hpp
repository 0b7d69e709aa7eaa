// vitals/detail/float_class.hpp - NaN and infinity tests without <cmath>, under any flags.
// SPDX-License-Identifier: MIT
#ifndef VITALS_DETAIL_FLOAT_CLASS_HPP
#define VITALS_DETAIL_FLOAT_CLASS_HPP

#include <vitals/config.hpp>

#include <cstdint> // uint64_t
#include <cstring> // memcpy

VITALS_BEGIN_NAMESPACE
namespace detail {

// These three tests are all the core needs from <cmath>, which would add to the compile time
// of every translation unit including vitals.hpp (bench/budgets.sh --headers). They read
// the IEEE 754 bits rather than compare, or call the builtins std::isnan and friends use: under
// -ffast-math (-ffinite-math-only) those are folded to false, and a NaN would then be written
// and counted. The bits keep their meaning under any flag, also in inline functions that a
// file built with -ffast-math gives the whole program.
inline std::uint64_t float_bits(double v) noexcept {
    static_assert(sizeof(double) == sizeof(std::uint64_t), "an IEEE 754 double");
    std::uint64_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    return bits;
}
constexpr std::uint64_t float_magnitude_mask = 0x7fffffffffffffffULL; // all but the sign
constexpr std::uint64_t float_infinity_bits = 0x7ff0000000000000ULL;  // the exponent all ones
inline bool is_nan(double v) noexcept {
    return (float_bits(v) & float_magnitude_mask) > float_infinity_bits;
}
inline bool is_inf(double v) noexcept {
    return (float_bits(v) & float_magnitude_mask) == float_infinity_bits;
}
inline bool is_finite(double v) noexcept {
    return (float_bits(v) & float_infinity_bits) != float_infinity_bits;
}

} // namespace detail
VITALS_END_NAMESPACE

#endif // VITALS_DETAIL_FLOAT_CLASS_HPP
