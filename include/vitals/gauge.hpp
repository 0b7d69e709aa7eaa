// vitals/gauge.hpp - a value that goes up and down.
// SPDX-License-Identifier: MIT
#ifndef VITALS_GAUGE_HPP
#define VITALS_GAUGE_HPP

#include <vitals/config.hpp>
#include <vitals/record/gauge.hpp>

#include <chrono> // system_clock

VITALS_BEGIN_NAMESPACE
namespace detail {

/// gauge's members that need <chrono> (see record/gauge.hpp).
template <class Full>
struct include_gauge_hpp {
    static double unix_now() noexcept {
        using clock = std::chrono::system_clock; // as system_unix_time() reads it
        const double ticks = static_cast<double>(clock::now().time_since_epoch().count());
        return ticks * clock::period::num / clock::period::den;
    }
};

} // namespace detail
VITALS_END_NAMESPACE

#endif // VITALS_GAUGE_HPP
