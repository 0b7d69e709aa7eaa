// vitals/counter.hpp - a monotonic counter, lock-free, with a cell per thread slot.
// SPDX-License-Identifier: MIT
#ifndef VITALS_COUNTER_HPP
#define VITALS_COUNTER_HPP

#include <vitals/config.hpp>
#include <vitals/detail/float_class.hpp>
#include <vitals/detail/thread_slot.hpp>
#include <vitals/exemplar.hpp>
#include <vitals/rejected_writes.hpp>

#include <atomic>      // atomic
#include <cstdint>     // uint64_t
#include <type_traits> // enable_if_t, is_integral, is_signed, is_floating_point

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
/// Whole-number increments go to integer cells; fractional ones to a separate double cell (CAS
/// loop). With VITALS_COUNTER_STRIPES > 1 the counter has one cell per thread slot (see
/// detail/thread_slot.hpp): the first VITALS_COUNTER_STRIPES threads alive at once each own a
/// cell on its own cache line and add to it with a plain load and store; further threads add
/// to shared cells atomically. value() sums the cells. A counter is VITALS_COUNTER_STRIPES
/// times 64 bytes whatever the number of threads, aligned to 128. All members are thread-safe,
/// lock-free and never allocate. Usable alone or as a series of a registry family.
///
/// Refused writes: a negative, NaN or infinite amount, one that would make the total
/// infinite, a whole amount of 2^63 or more (a wrapped-around unsigned subtraction), or one
/// that would carry a cell past 2^64 - 1 (the whole-number total of one thread's cell, or of
/// the counter with VITALS_COMPACT, over its lifetime) leaves the counter unchanged and is
/// counted by vitals::rejected_writes(). The whole-number total of several threads' cells
/// stops at 2^64 - 1: it never wraps around to a smaller one.
class counter {
public:
    counter() noexcept = default;
    counter(const counter&) = delete; // take a reference: auto& c = reg.counter(...)
    counter& operator=(const counter&) = delete;

    /// Adds one.
    void inc() noexcept { add_whole(1); }

    /// Adds `amount`. A negative, NaN or infinite amount is refused (the value stays
    /// unchanged; see vitals::rejected_writes()), and so is one that would make the total
    /// overflow to infinity: a counter never goes down and never becomes non-finite.
    void inc(double amount) noexcept { (void)add(amount); }

    /// inc(amount), and `e` becomes the counter's latest exemplar (shown only in OpenMetrics
    /// output), with `amount` as its value. An amount that is refused records nothing; an
    /// invalid exemplar is dropped (see vitals::exemplar). Lock-free, as observe(v, exemplar)
    /// is; the first exemplar allocates the counter's table of cells, a thread's first its cell.
    void inc(double amount, const exemplar& e) noexcept {
        if (add(amount)) exemplars().record(detail::current_thread_state(), 0, 1, amount, e);
    }

    /// Adds a whole number; cheaper than inc(double). An amount of 2^63 or more is refused like
    /// a negative one (see vitals::rejected_writes()): it is what a 64-bit unsigned subtraction
    /// below zero gives (`inc_by(end - start)` with `end < start`), and adding it would wrap
    /// the total around to less than it was. (A 32-bit one wraps to below 2^32: added.)
    void inc_by(std::uint64_t amount) noexcept {
        if (VITALS_DETAIL_UNLIKELY(amount >> 63)) return detail::note_rejected_write();
        add_whole(amount);
    }

    /// Adds a whole number of a signed type. A negative amount is refused like inc(-1.0):
    /// the value stays unchanged and vitals::rejected_writes() counts it (it never wraps
    /// around to a huge increment).
    template <class Int,
              std::enable_if_t<std::is_integral<Int>::value && std::is_signed<Int>::value &&
                                   (sizeof(Int) <= sizeof(std::uint64_t)),
                               int> = 0>
    void inc_by(Int amount) noexcept {
        if (VITALS_DETAIL_UNLIKELY(amount < 0)) return detail::note_rejected_write();
        add_whole(static_cast<std::uint64_t>(amount));
    }

    /// Not for integers wider than 64 bits (GNU's __int128 and unsigned __int128), which
    /// would be cut to their low 64 bits.
    template <class Wide,
              std::enable_if_t<
                  std::is_integral<Wide>::value && (sizeof(Wide) > sizeof(std::uint64_t)), int> = 0>
    void inc_by(Wide) noexcept {
        static_assert(sizeof(Wide) <= sizeof(std::uint64_t),
                      "vitals::counter::inc_by takes whole numbers of at most 64 bits");
    }

    /// Not for fractional amounts: those go through inc(double).
    template <class Float, std::enable_if_t<std::is_floating_point<Float>::value, int> = 0>
    void inc_by(Float) noexcept {
        static_assert(!std::is_floating_point<Float>::value,
                      "vitals::counter::inc_by takes whole numbers; use inc(double) for a "
                      "fractional amount");
    }

    /// The current total. Concurrent increments may or may not be included. Past 2^53, where
    /// a double cannot hold every whole number, never below the whole-number total: the
    /// exposition shows that total exactly until a fractional increment, and this value after
    /// it, which must not make the counter seem to go down.
    double value() const noexcept {
        const double fraction_sum = fraction().load(std::memory_order_relaxed);
        return not_below(whole_value()) + fraction_sum;
    }

    /// The sum of the whole-number increments only: exact up to 2^64 - 1, where it stays (a
    /// total past it is shown as 2^64 - 1, never wrapped around to a smaller one).
    std::uint64_t whole_value() const noexcept {
#if VITALS_COUNTER_STRIPES > 1
        // Acquire: the cells read below are then no older than those reset() summed, so the
        // difference never goes below zero. (The high word is read apart from the low one:
        // a reset() running meanwhile can tear the two only past 2^64.)
        const std::uint64_t base_low = stripes_[0].reset_base.load(std::memory_order_acquire);
        const std::uint64_t base_high = stripes_[0].reset_base_high.load(std::memory_order_relaxed);
        std::uint64_t high = 0;
        const std::uint64_t low = sum_cells(high);
        high -= base_high + (low < base_low);
        return high == 0 ? low - base_low : ~std::uint64_t{0};
#else
        return cell_.load(std::memory_order_relaxed);
#endif
    }

    /// True when only whole numbers were added, so value() is an exact integer.
    bool is_whole() const noexcept { return fraction().load(std::memory_order_relaxed) == 0.0; }

    /// Sets the counter back to zero. Meant for a series that is removed and re-added: on a
    /// registry's series, reset through the family (remove(), then labels()), which also gives
    /// the series a new `_created`, as OpenMetrics requires of a counter that restarts.
    void reset() noexcept {
#if VITALS_COUNTER_STRIPES > 1
        // Owned cells are written by their owner alone (a store here could be overwritten by
        // the owner's next store), so the total seen at the reset becomes the new zero.
        std::uint64_t high = 0;
        const std::uint64_t low = sum_cells(high);
        stripes_[0].reset_base_high.store(high, std::memory_order_relaxed);
        stripes_[0].reset_base.store(low, std::memory_order_release);
#else
        cell_.store(0, std::memory_order_relaxed);
#endif
        fraction().store(0.0, std::memory_order_relaxed);
        exemplars().reset();
    }

private:
    friend struct detail::exemplar_access;

    // `n` as a double, rounded up where round-to-nearest went below it.
    static double not_below(std::uint64_t n) noexcept {
        double d = static_cast<double>(n);
        if (d < 18446744073709551616.0 && static_cast<std::uint64_t>(d) < n)
            d = detail::bits_double(detail::double_bits(d) + 1); // the next double up
        return d;
    }

    // inc(double); false when the amount is refused, so that inc(amount, exemplar) records
    // no exemplar for it. Inlined into inc(double), which drops the result at no cost.
    bool add(double amount) noexcept {
        if (VITALS_DETAIL_UNLIKELY(!(amount >= 0.0) || !detail::is_finite(amount))) {
            detail::note_rejected_write();
            return false;
        }
        // Whole amounts below 2^53 stay exact in the integer cells.
        if (amount < 9007199254740992.0) {
            const auto whole = static_cast<std::uint64_t>(amount);
            // Refused when it would carry past 2^64 - 1: then no exemplar is recorded either.
            if (static_cast<double>(whole) == amount) return add_whole(whole);
        }
        std::atomic<double>& sum = fraction();
        double current = sum.load(std::memory_order_relaxed);
        double next;
        do {
            next = current + amount;
            if (VITALS_DETAIL_UNLIKELY(detail::is_inf(next))) { // overflow: keep the total
                detail::note_rejected_write();
                return false;
            }
        } while (!sum.compare_exchange_weak(current, next, std::memory_order_relaxed,
                                            std::memory_order_relaxed));
        return true;
    }

    // A cell never wraps around past 2^64 - 1 (which would make the total go down, from a
    // few inc_by() of large amounts, a length a client sent say): an add that would carry is
    // refused, at the cost of one well-predicted branch. Returns whether `n` was added.
    bool add_whole(std::uint64_t n) noexcept {
#if VITALS_COUNTER_STRIPES > 1
        const unsigned s = detail::current_thread_state();
        if (VITALS_DETAIL_LIKELY(s - 1 < detail::slot_count)) {
            std::atomic<std::uint64_t>& cell = stripes_[s - 1].owned;
            const std::uint64_t before = cell.load(std::memory_order_relaxed);
            if (VITALS_DETAIL_UNLIKELY(before + n < before)) return refuse();
            cell.store(before + n, std::memory_order_relaxed);
            return true;
        }
        return add_shared(stripes_[(s - 1) & (detail::slot_count - 1)].shared, n);
#else
        return add_shared(cell_, n);
#endif
    }

    // A cell several threads add to: checked, then added, in one compare-and-swap. (A
    // fetch_add taken back when it carried left the cell wrapped around until then: a scrape
    // saw the total 2^64 lower, and another thread's add in between passed its check, so
    // the cell stayed wrapped.)
    static bool add_shared(std::atomic<std::uint64_t>& cell, std::uint64_t n) noexcept {
        std::uint64_t before = cell.load(std::memory_order_relaxed);
        do {
            if (VITALS_DETAIL_UNLIKELY(before + n < before)) return refuse();
        } while (!cell.compare_exchange_weak(before, before + n, std::memory_order_relaxed,
                                             std::memory_order_relaxed));
        return true;
    }

    static bool refuse() noexcept {
        detail::note_rejected_write();
        return false;
    }

#if VITALS_COUNTER_STRIPES > 1
    // The sum of every cell, the carries out of the low word counted in `high`.
    std::uint64_t sum_cells(std::uint64_t& high) const noexcept {
        std::uint64_t low = 0;
        const auto add = [&](std::uint64_t v) {
            low += v;
            high += low < v ? 1 : 0;
        };
        for (const auto& s : stripes_) {
            add(s.owned.load(std::memory_order_relaxed));
            add(s.shared.load(std::memory_order_relaxed));
        }
        return low;
    }
#endif

#if VITALS_COUNTER_STRIPES > 1
    struct alignas(64) stripe {
        std::atomic<std::uint64_t> owned{0};  // written only by the thread owning this slot
        std::atomic<std::uint64_t> shared{0}; // compare-and-swap by threads without a slot
        // Used in stripes_[0] only, in bytes the cell alignment would waste anyway, so a
        // counter is exactly VITALS_COUNTER_STRIPES * 64 bytes.
        std::atomic<double> fraction{0.0};             // the sum of fractional increments
        std::atomic<std::uint64_t> reset_base{0};      // the whole total at the last reset()
        std::atomic<std::uint64_t> reset_base_high{0}; // its carries past 2^64
        detail::exemplar_slots exemplars;              // allocated on the first exemplar
    };
    std::atomic<double>& fraction() noexcept { return stripes_[0].fraction; }
    const std::atomic<double>& fraction() const noexcept { return stripes_[0].fraction; }
    detail::exemplar_slots& exemplars() noexcept { return stripes_[0].exemplars; }
    const detail::exemplar_slots& exemplars() const noexcept { return stripes_[0].exemplars; }

    // On a 128-byte boundary, a pair of cache lines, which CPUs may fetch together: with the
    // cells only 64-byte aligned, two threads looking up and incrementing the 256 series of
    // a family scaled to 0.57x-0.63x of one thread's time instead of 0.51x-0.52x (the
    // lockstep rows of bench/bench_core.cpp, AMD EPYC family 26), although no line a thread
    // wrote was read or written by the other. sizeof(counter) does not change.
    alignas(2 * 64) stripe stripes_[VITALS_COUNTER_STRIPES];
#else
    std::atomic<double>& fraction() noexcept { return fraction_; }
    const std::atomic<double>& fraction() const noexcept { return fraction_; }
    detail::exemplar_slots& exemplars() noexcept { return exemplars_; }
    const detail::exemplar_slots& exemplars() const noexcept { return exemplars_; }

    std::atomic<std::uint64_t> cell_{0};
    std::atomic<double> fraction_{0.0};
    detail::exemplar_slots exemplars_; // allocated on the first exemplar
#endif
};

VITALS_END_NAMESPACE

#endif // VITALS_COUNTER_HPP
