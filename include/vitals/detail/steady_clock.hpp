// vitals/detail/steady_clock.hpp - the steady clock as a plain function, for the kits' hooks.
// SPDX-License-Identifier: MIT
#ifndef VITALS_DETAIL_STEADY_CLOCK_HPP
#define VITALS_DETAIL_STEADY_CLOCK_HPP

#include <vitals/config.hpp>

#include <chrono>  // steady_clock, duration_cast, nanoseconds
#include <cstdint> // int64_t

VITALS_BEGIN_NAMESPACE
namespace detail {

/// std::chrono::steady_clock now, in nanoseconds since its epoch. The kits' recording handles
/// live in light headers that leave <chrono> out: they read the clock through a pointer to
/// this function, which the kit sets when it makes them.
inline std::int64_t steady_now_ns() noexcept {
    using namespace std::chrono;
    return duration_cast<nanoseconds>(steady_clock::now().time_since_epoch()).count();
}

} // namespace detail
VITALS_END_NAMESPACE

#endif // VITALS_DETAIL_STEADY_CLOCK_HPP
