// vitals/detail/atomic_double.hpp - lock-free add on std::atomic<double>.
// SPDX-License-Identifier: MIT
#ifndef VITALS_DETAIL_ATOMIC_DOUBLE_HPP
#define VITALS_DETAIL_ATOMIC_DOUBLE_HPP

#include <vitals/config.hpp>

#include <atomic> // atomic, memory_order

VITALS_BEGIN_NAMESPACE
namespace detail {

// C++17 has no fetch_add for atomic<double>; a relaxed CAS loop is lock-free wherever the
// atomic itself is (see VITALS_REQUIRE_LOCK_FREE_ATOMICS in config.hpp for targets where it
// is not).
inline void atomic_add(std::atomic<double>& target, double delta) noexcept {
    double current = target.load(std::memory_order_relaxed);
    while (!target.compare_exchange_weak(current, current + delta, std::memory_order_relaxed,
                                         std::memory_order_relaxed)) {}
}

} // namespace detail
VITALS_END_NAMESPACE

#endif // VITALS_DETAIL_ATOMIC_DOUBLE_HPP
