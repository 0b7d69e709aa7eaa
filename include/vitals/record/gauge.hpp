// vitals/record/gauge.hpp - a value that goes up and down: the class, for code that records.
// SPDX-License-Identifier: MIT
#ifndef VITALS_RECORD_GAUGE_HPP
#define VITALS_RECORD_GAUGE_HPP

#include <vitals/config.hpp>
#include <vitals/counter.hpp>
#include <vitals/detail/atomic_double.hpp>

#include <atomic>  // atomic, atomic_thread_fence
#include <cstdint> // uint64_t

VITALS_BEGIN_NAMESPACE

class gauge;
namespace detail {
/// Per-thread-slot cells for a gauge that many threads raise and lower by one (an in-flight
/// count): two monotonic counters, so inc() and dec() write the calling thread's own cells.
struct gauge_cells {
    counter raised;
    counter lowered;
    // raised - lowered when the gauge was last set: set(v) keeps v as given, and a read adds
    // only the whole steps since, so a set value reads back exactly (0.1, -0.0) while requests
    // are in flight.
    std::atomic<std::uint64_t> at_set{0};
    // A sequence lock over the pair (the gauge's value, at_set), which set() writes with two
    // stores: odd while a set() reads the steps and makes its stores. Without it two set()s racing
    // could leave one's value with the other's at_set (off by the steps between them until the
    // next set()), and a read between the stores saw a value the gauge never held. Only set()
    // and value() take part: inc() and dec() write their own cells as before, and add()
    // changes the value alone with a compare-and-swap, consistent with either at_set.
    std::atomic<std::uint64_t> seq{0};

    // How many times value() reads the cells to find the two counts as they stood together
    // (see read_steps()) before it shows its last read, so that a scrape ends while requests
    // start during every read.
    static constexpr int read_tries = 8;

    // raised - lowered, modulo 2^64 (a signed number through unsigned arithmetic), into `out`;
    // true when the two counts held together at one moment, so that the difference is a step
    // count the gauge went through. A sum is read one cell after another, so `lowered` read
    // before `raised` missed the end of a request that started and ended between the reads
    // of its cells (on another core, or while this thread was preempted): counted as still in
    // flight. So `raised` is read before and after `lowered`. Each cell only grows, so equal
    // sums mean that no cell of `raised` changed while `lowered` was read; and as dec() adds
    // one at a time, `lowered` was the sum read at some moment of its read. When the sums
    // differ, `out` is the difference with the second one, which never counts the end of a
    // request without its start but may count requests that began and ended during the read.
    // Memory order: `lowered` is read before the second sum, as a request's dec() follows its
    // inc(). The cells are relaxed atomics, so that order alone does not hold where stores
    // may be seen out of order (ARM, POWER): dec() puts a release fence before its add, and
    // this an acquire fence after reading `lowered`, so every dec() seen brings its inc() with
    // it. The acquire fence after the first sum keeps `lowered` from being read before it
    // (loads may be reordered there too). On x86 both fences are free: they only keep the
    // compiler from reordering. Where stores may be seen out of order, a thread's stores to
    // its two cells may also be seen in another order than made (inc() has no fence, which
    // would cost every request): a thread's next request may be counted before the end of
    // its last one.
    bool read_steps(std::uint64_t& out) const noexcept {
        const std::uint64_t before = raised.whole_value();
        std::atomic_thread_fence(std::memory_order_acquire);
        const std::uint64_t low = lowered.whole_value();
        std::atomic_thread_fence(std::memory_order_acquire);
        const std::uint64_t high = raised.whole_value();
        out = high - low;
        return high == before;
    }

    // gauge::set(v) of a gauge with cells; waits while another thread's set() holds the
    // sequence word odd. The steps are read inside too: read before, the steps made between
    // would count as made since a set() that reads did not yet show. The step count stored
    // must be one that held (one too high would leave the gauge low until the next set()), so
    // a read that is not one is made again, the word given back in between, so that reads of
    // the gauge are not held up meanwhile. inc() and dec() never wait; set() waits while every
    // read of the cells sees a request start.
    void set(std::atomic<double>& stored, double v) noexcept {
        for (;;) {
            std::uint64_t s = seq.load(std::memory_order_relaxed);
            do {
                while (s & 1) s = seq.load(std::memory_order_relaxed);
            } while (!seq.compare_exchange_weak(s, s + 1, std::memory_order_acquire,
                                                std::memory_order_relaxed));
            // The odd word before the stores: a read that sees either store then sees the odd
            // word, or a later one, when it looks again (a fence, as the CAS's store is
            // relaxed).
            std::atomic_thread_fence(std::memory_order_release);
            std::uint64_t steps = 0;
            if (read_steps(steps)) {
                at_set.store(steps, std::memory_order_relaxed);
                stored.store(v, std::memory_order_relaxed);
                seq.store(s + 2, std::memory_order_release);
                return;
            }
            // Nothing was stored: the word as it was, so that reads that began before the
            // lock was taken stay good. Release, as a plain store ends the release sequence
            // of the last set()'s store: the next set() or read that sees this word then
            // also sees that set()'s stores.
            seq.store(s, std::memory_order_release);
        }
    }

    // gauge::value() of a gauge with cells: the value last set (plus adds) with the whole
    // steps made since, read again when a set() ran meanwhile, and again when the counts were
    // not read as they stood together, read_tries times in all.
    double value(const std::atomic<double>& stored) const noexcept {
        for (int tries = 1;;) {
            const std::uint64_t s = seq.load(std::memory_order_acquire);
            if (s & 1) continue; // a set() is between its stores
            const double v = stored.load(std::memory_order_relaxed);
            const std::uint64_t base = at_set.load(std::memory_order_relaxed);
            std::uint64_t steps = 0;
            const bool held = read_steps(steps);
            // The loads above before the second look at the word (pairs with set()'s fence).
            std::atomic_thread_fence(std::memory_order_acquire);
            if (seq.load(std::memory_order_relaxed) != s) continue;
            if (!held && tries++ < read_tries) continue;
            const std::uint64_t diff = steps - base;
            if (diff == 0) return v;
            return diff <= 0x7fffffffffffffffULL ? v + static_cast<double>(diff)
                                                 : v - static_cast<double>(0 - diff);
        }
    }
};
void enable_gauge_cells(gauge& g);
/// Defined by <vitals/gauge.hpp>: the members of gauge that need <chrono>. A translation unit
/// that includes only <vitals/record.hpp> and calls one fails to compile naming this type.
template <class Full>
struct include_gauge_hpp;
} // namespace detail

/// A value that can be set, raised and lowered, exposed as `<name>`.
/// All members are thread-safe and never allocate, and all are lock-free except on the gauges
/// that kits raise and lower by one from many threads (the HTTP kit's in-flight gauge): those
/// count inc() and dec() in per-thread cells, and there set() and reset() read the cells again
/// while requests start during the read, and they and value() wait while a set() on another
/// thread reads and stores. value() shows a value the gauge held, unless requests start during
/// several reads in a row: then its last read, which may count as in flight requests that
/// began and ended during it. Nor are set(), reset() and value() async-signal-safe there: in a
/// signal handler that interrupted a set() of the same gauge on its thread, they wait forever.
/// Any double is accepted, including NaN and infinities (exposed as `NaN`, `+Inf`, `-Inf`).
class gauge {
public:
    gauge() noexcept = default;
    explicit gauge(double initial) noexcept : value_(initial) {}
    gauge(const gauge&) = delete; // take a reference: auto& g = reg.gauge(...)
    gauge& operator=(const gauge&) = delete;
    ~gauge() { delete cells_.load(std::memory_order_relaxed); }

    void set(double v) noexcept {
        if (detail::gauge_cells* c = cells())
            c->set(value_, v);
        else
            value_.store(v, std::memory_order_relaxed);
    }
    void inc() noexcept {
        if (detail::gauge_cells* c = cells())
            c->raised.inc();
        else
            add(1.0);
    }
    void inc(double amount) noexcept { add(amount); }
    void dec() noexcept {
        if (detail::gauge_cells* c = cells()) {
            std::atomic_thread_fence(std::memory_order_release); // see gauge_cells::steps()
            c->lowered.inc();
        } else {
            add(-1.0);
        }
    }
    void dec(double amount) noexcept { add(-amount); }
    void add(double amount) noexcept { detail::atomic_add(value_, amount); }
    void sub(double amount) noexcept { add(-amount); }

    /// Sets the gauge to the current Unix time in seconds (system clock). Defined by
    /// <vitals/gauge.hpp> (it needs <chrono>, which <vitals/record.hpp> leaves out).
    template <class Full = void>
    void set_to_current_time() noexcept {
        set(detail::include_gauge_hpp<Full>::unix_now());
    }

    double value() const noexcept {
        if (const detail::gauge_cells* c = cells()) return c->value(value_);
        return value_.load(std::memory_order_relaxed);
    }

    /// Sets the gauge back to zero. Meant for a series that is removed and re-added.
    void reset() noexcept { set(0.0); }

private:
    friend void detail::enable_gauge_cells(gauge& g);

    // Per-thread cells spread inc() and dec() only where counters have per-thread slots: with
    // one stripe (VITALS_COMPACT) a gauge never has them, and its code leaves them out.
    detail::gauge_cells* cells() const noexcept {
        if constexpr (VITALS_COUNTER_STRIPES > 1) return cells_.load(std::memory_order_acquire);
        return nullptr;
    }

    std::atomic<double> value_{0.0};
    // Set by kits whose gauges many threads raise and lower by one (the HTTP kit's in-flight
    // gauge): inc() and dec() then write per-thread cells instead of one shared value.
    std::atomic<detail::gauge_cells*> cells_{nullptr}; // owned
};

namespace detail {
/// Gives `g` per-thread cells for inc() and dec() (idempotent; allocates the first time,
/// freed with the gauge). Its value and exposition stay the same. Nothing with one stripe
/// (see gauge::cells()).
inline void enable_gauge_cells(gauge& g) {
    if (VITALS_COUNTER_STRIPES == 1 || g.cells_.load(std::memory_order_acquire)) return;
    auto* cells = new gauge_cells();
    gauge_cells* expected = nullptr;
    if (!g.cells_.compare_exchange_strong(expected, cells, std::memory_order_acq_rel)) delete cells;
}
} // namespace detail

VITALS_END_NAMESPACE

#endif // VITALS_RECORD_GAUGE_HPP
