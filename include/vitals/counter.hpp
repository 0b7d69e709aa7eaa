// vitals/counter.hpp - a monotonic counter, lock-free and striped across cache lines.
// SPDX-License-Identifier: MIT
#ifndef VITALS_COUNTER_HPP
#define VITALS_COUNTER_HPP

#include <vitals/config.hpp>
#include <vitals/detail/atomic_double.hpp>
#include <vitals/detail/float_class.hpp>

#include <atomic>  // atomic
#include <cstdint> // uint64_t

VITALS_BEGIN_NAMESPACE

static_assert((VITALS_COUNTER_STRIPES & (VITALS_COUNTER_STRIPES - 1)) == 0 &&
                  VITALS_COUNTER_STRIPES >= 1 && VITALS_COUNTER_STRIPES <= 64,
              "VITALS_COUNTER_STRIPES must be a power of two in 1..64");

// 32-bit targets: see VITALS_REQUIRE_LOCK_FREE_ATOMICS in config.hpp. Without it, a target
// whose 64-bit atomics are not always lock-free falls back to libatomic (linked by the build
// files); with it, that target does not compile.
#if VITALS_REQUIRE_LOCK_FREE_ATOMICS
static_assert(std::atomic<std::uint64_t>::is_always_lock_free &&
                  std::atomic<double>::is_always_lock_free,
              "VITALS_REQUIRE_LOCK_FREE_ATOMICS: 64-bit atomics are not lock-free on this target "
              "(build without it to use libatomic's fallback)");
#endif

/// A monotonically increasing value, exposed as `<name>_total`.
///
/// Whole-number increments are a single relaxed fetch_add on an integer cell; fractional ones
/// go to a separate double cell (CAS loop). With VITALS_COUNTER_STRIPES > 1 each thread adds
/// into its own cache line, so threads sharing one counter do not contend; value() sums the
/// cells. All members are thread-safe, lock-free and never allocate.
/// Usable alone or as a series of a registry family.
class counter {
public:
    counter() noexcept = default;
    counter(const counter&) = delete;
    counter& operator=(const counter&) = delete;

    /// Adds one.
    void inc() noexcept { cell().fetch_add(1, std::memory_order_relaxed); }

    /// Adds `amount`. A negative, NaN or infinite amount is ignored (the value stays
    /// unchanged), and so is one that would make the total overflow to infinity: a counter
    /// never goes down and never becomes non-finite.
    void inc(double amount) noexcept {
        if (!(amount >= 0.0) || !detail::is_finite(amount)) return;
        // Whole amounts below 2^53 stay exact in the integer cells.
        if (amount < 9007199254740992.0) {
            const auto whole = static_cast<std::uint64_t>(amount);
            if (static_cast<double>(whole) == amount) {
                cell().fetch_add(whole, std::memory_order_relaxed);
                return;
            }
        }
        std::atomic<double>& sum = fraction();
        double current = sum.load(std::memory_order_relaxed);
        double next;
        do {
            next = current + amount;
            if (VITALS_DETAIL_UNLIKELY(detail::is_inf(next))) return; // overflow: keep the total
        } while (!sum.compare_exchange_weak(current, next, std::memory_order_relaxed,
                                            std::memory_order_relaxed));
    }

    /// Adds a whole number; cheaper than inc(double).
    void inc_by(std::uint64_t amount) noexcept {
        cell().fetch_add(amount, std::memory_order_relaxed);
    }

    /// The current total. Concurrent increments may or may not be included.
    double value() const noexcept {
        return static_cast<double>(whole_value()) + fraction().load(std::memory_order_relaxed);
    }

    /// The sum of the whole-number increments only (exact up to 2^64).
    std::uint64_t whole_value() const noexcept {
        std::uint64_t sum = 0;
        for (const auto& s : stripes_) sum += s.value.load(std::memory_order_relaxed);
        return sum;
    }

    /// True when only whole numbers were added, so value() is an exact integer.
    bool is_whole() const noexcept { return fraction().load(std::memory_order_relaxed) == 0.0; }

    /// Sets the counter back to zero. Meant for a series that is removed and re-added.
    void reset() noexcept {
        for (auto& s : stripes_) s.value.store(0, std::memory_order_relaxed);
        fraction().store(0.0, std::memory_order_relaxed);
    }

private:
    struct alignas(VITALS_COUNTER_STRIPES > 1 ? 64 : alignof(std::atomic<std::uint64_t>)) stripe {
        std::atomic<std::uint64_t> value{0};
        // Used in stripes_[0] only: the sum of fractional increments sits in bytes the cell
        // alignment would waste anyway, so a striped counter is exactly
        // VITALS_COUNTER_STRIPES * 64 bytes (a separate member cost one more cache line).
        std::atomic<double> fraction{0.0};
    };
    std::atomic<double>& fraction() noexcept { return stripes_[0].fraction; }
    const std::atomic<double>& fraction() const noexcept { return stripes_[0].fraction; }
    std::atomic<std::uint64_t>& cell() noexcept {
#if VITALS_COUNTER_STRIPES > 1
        return stripes_[detail::thread_slot() & (VITALS_COUNTER_STRIPES - 1)].value;
#else
        return stripes_[0].value;
#endif
    }

    stripe stripes_[VITALS_COUNTER_STRIPES];
};

VITALS_END_NAMESPACE

#endif // VITALS_COUNTER_HPP
