// vitals/detail/float_class.hpp - NaN and infinity tests without <cmath>.
// SPDX-License-Identifier: MIT
#ifndef VITALS_DETAIL_FLOAT_CLASS_HPP
#define VITALS_DETAIL_FLOAT_CLASS_HPP

#include <vitals/config.hpp>

VITALS_BEGIN_NAMESPACE
namespace detail {

// These three tests are all the core needs from <cmath>, which alone adds about 60 ms to every
// translation unit including vitals.hpp (g++ 12, -O0; bench/budgets.sh --headers). GCC and
// clang get the same builtins std::isnan and friends use; elsewhere the IEEE identities hold
// (NaN is unequal to itself; x - x is NaN exactly when x is NaN or infinite).
#if defined(__GNUC__) || defined(__clang__)
constexpr bool is_nan(double v) noexcept { return __builtin_isnan(v); }
constexpr bool is_inf(double v) noexcept { return __builtin_isinf(v); }
constexpr bool is_finite(double v) noexcept { return __builtin_isfinite(v); }
#else
constexpr bool is_nan(double v) noexcept { return v != v; }
constexpr bool is_finite(double v) noexcept { return !is_nan(v - v); }
constexpr bool is_inf(double v) noexcept { return !is_nan(v) && !is_finite(v); }
#endif

} // namespace detail
VITALS_END_NAMESPACE

#endif // VITALS_DETAIL_FLOAT_CLASS_HPP
