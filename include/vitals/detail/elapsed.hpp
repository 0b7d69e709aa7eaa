// vitals/detail/elapsed.hpp - seconds between two steady-clock readings, for the kits' scopes,
// and the checks of the durations and sizes the kits' callers measured.
// SPDX-License-Identifier: MIT
#ifndef VITALS_DETAIL_ELAPSED_HPP
#define VITALS_DETAIL_ELAPSED_HPP

#include <vitals/config.hpp>
#include <vitals/detail/float_class.hpp>
#include <vitals/rejected_writes.hpp>

#include <cstdint> // int64_t

VITALS_BEGIN_NAMESPACE
namespace detail {

/// Seconds from `start_ns` to `end_ns` (nanosecond readings of one clock). A multiplication
/// by 1e-9, not a division by 1e9: the result may differ from the exact quotient in its last
/// bit, and it is ready about ten cycles sooner. That matters because a scope's duration
/// feeds its histogram observation, and the clock read of the next scope waits for earlier
/// instructions to finish (bench/bench_kits.cpp measures a tracked request).
inline double seconds_between(std::int64_t start_ns, std::int64_t end_ns) noexcept {
    return static_cast<double>(end_ns - start_ns) * 1e-9;
}

/// Whether a duration given to a kit's plain record() may be observed. A negative one (the
/// end minus the start of a wall clock that was set back) would land in the lowest bucket
/// and pull the sum below zero, which hides the series' `_sum` and `_count` from OpenMetrics;
/// an infinite one (a division by zero, a conversion that overflowed) would make the sum
/// infinite for good, and every later rate() of it NaN. Both are refused and counted in
/// rejected_writes(), as the histogram refuses a NaN (which is refused here the same way).
inline bool duration_ok(double seconds) noexcept {
    if (VITALS_DETAIL_LIKELY(is_finite(seconds) && !(seconds < 0.0))) return true;
    note_rejected_write();
    return false;
}

/// Whether a size in bytes given to the HTTP kit is observed. A negative one means unknown:
/// not observed, and no refusal. An infinite one (`std::strtod("1e999", nullptr)` of a
/// Content-Length header) would make the size histogram's sum infinite for good, and a NaN is no
/// size: both are refused and counted in rejected_writes().
inline bool size_ok(double bytes) noexcept {
    // One comparison on the fast path (a tracked request checks two sizes): with the sign bit
    // clear, the bits of +0.0 up to the largest finite double lie below those of +Inf.
    const std::uint64_t bits = float_bits(bytes);
    if (VITALS_DETAIL_LIKELY(bits < float_infinity_bits)) return true;
    if (bits == 0x8000000000000000ULL) return true;        // -0.0: a size of 0
    if (!is_nan(bytes) && (bits >> 63) != 0) return false; // negative, -Inf too: unknown
    note_rejected_write();                                 // +Inf or NaN
    return false;
}

} // namespace detail
VITALS_END_NAMESPACE

#endif // VITALS_DETAIL_ELAPSED_HPP
