// vitals/detail/narrow.hpp - an explicit integer conversion that may narrow on some targets.
// SPDX-License-Identifier: MIT
#ifndef VITALS_DETAIL_NARROW_HPP
#define VITALS_DETAIL_NARROW_HPP

#include <vitals/config.hpp>

VITALS_BEGIN_NAMESPACE
namespace detail {

/// Converts `v` to `To` on purpose, for conversions that narrow on some targets and not on
/// others (a 64-bit hash or byte count to std::size_t narrows only on 32-bit targets). A plain
/// static_cast there is flagged by -Wuseless-cast where the types coincide, and dropping it is
/// flagged by -Wconversion where they do not; a cast on a template parameter is neither.
template <class To, class From>
constexpr To narrow(From v) noexcept {
    return static_cast<To>(v);
}

} // namespace detail
VITALS_END_NAMESPACE

#endif // VITALS_DETAIL_NARROW_HPP
