// vitals/detail/atomic_double.hpp - lock-free add on std::atomic<double>.
// SPDX-License-Identifier: MIT
#ifndef VITALS_DETAIL_ATOMIC_DOUBLE_HPP
#define VITALS_DETAIL_ATOMIC_DOUBLE_HPP

#include <vitals/config.hpp>

#include <atomic> // atomic, memory_order

VITALS_BEGIN_NAMESPACE
namespace detail {

// C++17 has no fetch_add for atomic<double>; a relaxed CAS loop is lock-free wherever the
// atomic itself is (checked by the static_assert in counter.hpp).
inline void atomic_add(std::atomic<double>& target, double delta) noexcept {
    double current = target.load(std::memory_order_relaxed);
    while (!target.compare_exchange_weak(current, current + delta, std::memory_order_relaxed,
                                         std::memory_order_relaxed)) {
    }
}

/// A small, process-wide index for the calling thread, used to spread hot atomics over cells.
inline unsigned thread_slot() noexcept {
    static std::atomic<unsigned> next{0};
    static thread_local const unsigned slot = next.fetch_add(1, std::memory_order_relaxed);
    return slot;
}

} // namespace detail
VITALS_END_NAMESPACE

#endif // VITALS_DETAIL_ATOMIC_DOUBLE_HPP
