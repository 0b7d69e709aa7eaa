// vitals/rejected_writes.hpp - the count of writes vitals refused (negative, NaN, infinite).
// SPDX-License-Identifier: MIT
#ifndef VITALS_REJECTED_WRITES_HPP
#define VITALS_REJECTED_WRITES_HPP

#include <vitals/config.hpp>

#include <atomic>  // atomic
#include <cstdint> // uint64_t

VITALS_BEGIN_NAMESPACE

namespace detail {
VITALS_DETAIL_PROCESS_WIDE inline std::atomic<std::uint64_t>& rejected_write_count() noexcept {
    // Zero-initialised static storage: constant-initialised, no guard.
    static std::atomic<std::uint64_t> count;
    return count;
}

// Out of line: the hot paths only branch to it.
VITALS_DETAIL_NOINLINE inline void note_rejected_write() noexcept {
    rejected_write_count().fetch_add(1, std::memory_order_relaxed);
}
} // namespace detail

/// How many writes this program's counters and histograms refused, in every registry: a
/// negative, NaN or infinite counter increment (whatever its type: `inc(-1.0)`,
/// `inc_by(-1L)`), an unsigned `inc_by` amount of 2^63 or more (a subtraction that went
/// below zero), an increment that would make a counter's total infinite, a NaN or infinite
/// observation, a stateset state set by a name the stateset does not have (a typo), a negative
/// duration given to a kit's plain record(), and a count a kit scope's
/// destructor could not make because the series for it could not be created (out of memory: an HTTP
/// request tracker meeting a new status code or error type). A refused write changes nothing else
/// (never an abort, never an exception); this count is how it shows. Export it with a collector,
/// e.g. `out.counter("app_vitals_rejected_writes", "...", double(vitals::rejected_writes()))`.
/// Thread-safe, lock-free, does not allocate.
inline std::uint64_t rejected_writes() noexcept {
    return detail::rejected_write_count().load(std::memory_order_relaxed);
}

VITALS_END_NAMESPACE

#endif // VITALS_REJECTED_WRITES_HPP
