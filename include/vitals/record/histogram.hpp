// vitals/record/histogram.hpp - a fixed-bucket histogram: the class, for code that records.
// SPDX-License-Identifier: MIT
#ifndef VITALS_RECORD_HISTOGRAM_HPP
#define VITALS_RECORD_HISTOGRAM_HPP

#include <vitals/config.hpp>
#include <vitals/detail/float_class.hpp>
#include <vitals/detail/thread_slot.hpp>
#include <vitals/exemplar.hpp>
#include <vitals/rejected_writes.hpp>

#include <atomic>           // atomic
#include <cstddef>          // size_t
#include <cstdint>          // uint64_t, uintptr_t
#include <cstring>          // memcpy
#include <initializer_list> // initializer_list
#include <new>              // nothrow

// Packed comparisons of doubles where the compiler has vector types and the target SSE2
// (x86-64): GCC and Clang.
#if defined(__GNUC__) && defined(__SSE2__)
#define VITALS_DETAIL_VECTOR_COMPARE 1
#else
#define VITALS_DETAIL_VECTOR_COMPARE 0
#endif

VITALS_BEGIN_NAMESPACE

namespace detail {
/// Selects the histogram constructor that uses bounds owned by someone else (a family).
struct borrowed_bounds_tag {};

/// Up to this many bounds, observe() counts the bounds below a value rather than searching
/// them (see histogram::bucket_index()). It reads them padded with +Inf to an even count.
constexpr std::size_t max_scanned_bounds = 16;
template <class Metric>
struct series;
/// A histogram's bucket bounds (a std::vector<double>; defined by <vitals/histogram.hpp>).
struct bucket_bounds;
/// Defined by <vitals/histogram.hpp>: the members of histogram that need <vector> or
/// <chrono>. A translation unit that includes only <vitals/record.hpp> and calls one fails to
/// compile naming this type.
template <class Full>
struct include_histogram_hpp;
} // namespace detail

/// Counts observations into fixed buckets (`le` upper bounds, plus the implicit +Inf) and
/// keeps their sum. observe() is lock-free and never allocates; construction allocates once.
/// The count is derived from the buckets, so an exposition's `_count` always equals its
/// +Inf bucket and buckets are cumulative even while other threads observe.
///
/// Like a counter, a histogram has one set of cells (buckets and sum) per thread slot, each on
/// its own cache lines, plus one shared set for threads beyond VITALS_COUNTER_STRIPES alive
/// at once (see detail/thread_slot.hpp): threads observing into the same histogram do not
/// contend. Its cells take (VITALS_COUNTER_STRIPES + 1) times the bucket count plus one,
/// times 8 bytes, each set rounded up to 64 bytes (one set in the compact configuration).
class histogram {
public:
    // The constructors, bounds(), time() and observe(duration) are defined by
    // <vitals/histogram.hpp>: they need <vector> and <chrono>, which <vitals/record.hpp>
    // leaves out. (They are templates, so that a translation unit with only the light header
    // compiles as long as it does not call them, and fails to compile, naming
    // detail::include_histogram_hpp, when it does.)

    /// A histogram with the default bounds (10 ms to 10 s).
    template <class Full = void>
    histogram() : histogram(detail::include_histogram_hpp<Full>::default_bounds()) {}

    /// A histogram with the given bounds: a std::vector<double>, or any container of doubles
    /// with data() and size(). Invalid bounds are reported through the error policy
    /// (vitals::error, or the error handler without exceptions); see validate_buckets().
    template <class Bounds, class = decltype(static_cast<const double*>(
                                static_cast<const Bounds*>(nullptr)->data()))>
    explicit histogram(Bounds bounds) {
        detail::include_histogram_hpp<Bounds>::adopt(*this, static_cast<Bounds&&>(bounds));
    }
    template <class Full = void>
    histogram(std::initializer_list<double> bounds)
        : histogram(detail::include_histogram_hpp<Full>::copy(bounds)) {}
    histogram(const histogram&) = delete; // take a reference: auto& h = reg.histogram(...)
    histogram& operator=(const histogram&) = delete;
    ~histogram() {
        if (release_bounds_) release_bounds_(bounds_);
        delete[] raw_cells_;
#if VITALS_COUNTER_STRIPES > 1
        delete[] base_.load(std::memory_order_relaxed);
#endif
    }

    /// Records one observation. NaN and +/-Inf are refused (nothing changes;
    /// vitals::rejected_writes() counts them), as a counter refuses them: one infinite
    /// observation would make the sum infinite, or NaN, for the rest of the series' life (and
    /// a -Inf sum takes `_sum` and `_count` out of every OpenMetrics scrape). Always inlined:
    /// called instead, as Clang 14 chose to, it was slower in a loop (the sum's path through
    /// memory is longer; see detail::owned_add_double).
    VITALS_DETAIL_ALWAYS_INLINE void observe(double v) noexcept {
        if (VITALS_DETAIL_UNLIKELY(!detail::is_finite(v))) return detail::note_rejected_write();
        observe_in(bucket_index(v), v);
    }

    /// observe(v), and `e` becomes the latest exemplar of the bucket `v` falls in (shown only
    /// in OpenMetrics output), with `v` as its value. NaN and +/-Inf record nothing; an invalid
    /// exemplar is dropped (see vitals::exemplar). Lock-free, and without a locked instruction for
    /// a thread with a slot (see detail::exemplar_slots). The first exemplar allocates the
    /// histogram's table of exemplar cells; a thread's first in a bucket, its cell there.
    void observe(double v, const exemplar& e) noexcept {
        if (VITALS_DETAIL_UNLIKELY(!detail::is_finite(v))) return detail::note_rejected_write();
        const std::size_t b = bucket_index(v);
        observe_in(b, v);
        exemplars_.record(detail::current_thread_state(), b, nb_ + 1, v, e);
    }

private:
    // Counts `v` in bucket `b` and adds it to the sum.
    void observe_in(std::size_t b, double v) noexcept {
#if VITALS_COUNTER_STRIPES > 1
        // 0 before the thread's first write: observe_other() takes a slot then. Keeping that
        // call out of this function spares the fast path a stack frame.
        const unsigned s = detail::thread_state();
        if (VITALS_DETAIL_LIKELY(s - 1 < detail::slot_count)) {
            std::atomic<std::uint64_t>* cells = shard(s - 1);
            std::atomic<std::uint64_t>& sum = cells[nb_ + 1]; // before a store could alias nb_
            detail::owned_add(cells[b], 1);
            detail::owned_add_double(sum, v);
            return;
        }
        observe_other(b, v);
#else
        observe_shared(shard(0), b, v);
#endif
    }

#if VITALS_COUNTER_STRIPES > 1
    // observe_in() for a thread without a slot of its own (yet).
    VITALS_DETAIL_NOINLINE void observe_other(std::size_t b, double v) noexcept {
        if (detail::current_thread_state() - 1 < detail::slot_count)
            observe_in(b, v); // a slot of its own from now on
        else
            observe_shared(shard(detail::slot_count), b, v);
    }
#endif

public:
    /// Records a duration (a std::chrono::duration) in seconds.
    template <class Duration, class = decltype(static_cast<const Duration*>(nullptr)->count())>
    void observe(Duration d) noexcept {
        observe(detail::include_histogram_hpp<Duration>::seconds(d));
    }

    /// RAII timer: observes the steady-clock seconds between its creation and its destruction
    /// (or the first stop()); see <vitals/histogram.hpp>.
    class timer;

    /// Starts a timer (a histogram::timer) that observes the elapsed seconds when it goes out
    /// of scope.
    template <class Full = void>
    [[nodiscard]] auto time() noexcept {
        return detail::include_histogram_hpp<Full>::start_timer(*this);
    }

    /// The configured upper bounds (without +Inf), as a const std::vector<double>&.
    template <class Full = void>
    const auto& bounds() const noexcept {
        return detail::include_histogram_hpp<Full>::values(*bounds_);
    }
    /// Observations in bucket i alone (not cumulative); i == bounds().size() is the +Inf bucket.
    std::uint64_t bucket_count(std::size_t i) const noexcept {
        std::uint64_t n = 0;
#if VITALS_COUNTER_STRIPES > 1
        // Acquire, base before cells: the cells read below are then no older than those
        // reset() summed into the base, so the difference never wraps below zero.
        if (const std::atomic<std::uint64_t>* base = base_.load(std::memory_order_acquire))
            n = 0 - base[i].load(std::memory_order_acquire);
#endif
        for (std::size_t k = 0; k < shards; ++k) n += shard(k)[i].load(std::memory_order_relaxed);
        return n;
    }
    /// Total number of observations (the sum of all buckets).
    std::uint64_t count() const noexcept {
        std::uint64_t total = 0;
        for (std::size_t i = 0; i <= nb_; ++i) total += bucket_count(i);
        return total;
    }
    /// Sum of all observed values.
    double sum() const noexcept {
        double total = 0.0;
#if VITALS_COUNTER_STRIPES > 1
        // Each shard's sum less its own base (see bucket_count()): a shard that saw nothing
        // since the reset adds exactly 0.
        if (const std::atomic<std::uint64_t>* base = base_.load(std::memory_order_acquire)) {
            for (std::size_t k = 0; k < shards; ++k) {
                const double b =
                    detail::bits_double(base[nb_ + 1 + k].load(std::memory_order_acquire));
                total += detail::bits_double(shard(k)[nb_ + 1].load(std::memory_order_relaxed)) - b;
            }
            return total;
        }
#endif
        for (std::size_t k = 0; k < shards; ++k)
            total += detail::bits_double(shard(k)[nb_ + 1].load(std::memory_order_relaxed));
        return total;
    }

    /// Sets all buckets and the sum back to zero. Meant for a series that is removed and
    /// re-added (the family calls it under its lock); an observation made at the same moment
    /// through a kept reference may count after it, in part. The first reset of a histogram
    /// with per-thread cells allocates its bases (without memory, it clears the cells in place,
    /// where an observation at the same moment can bring the old counts back). On a registry's
    /// series, reset through the family (remove(), then labels()), which also gives the series
    /// a new `_created`.
    void reset() noexcept {
#if VITALS_COUNTER_STRIPES > 1
        // A thread's own cells are written by that thread alone, with a plain load and store,
        // so a store here could be overwritten with the whole old total by the owner's next
        // store. Instead, as counter::reset() does, the totals seen now become the new zero:
        // readers subtract these bases, and the cells are never written here.
        std::atomic<std::uint64_t>* base = base_.load(std::memory_order_acquire);
        if (VITALS_DETAIL_UNLIKELY(!base)) base = make_base();
        if (base) {
            for (std::size_t i = 0; i <= nb_; ++i) {
                std::uint64_t n = 0;
                for (std::size_t k = 0; k < shards; ++k)
                    n += shard(k)[i].load(std::memory_order_relaxed);
                base[i].store(n, std::memory_order_release);
            }
            for (std::size_t k = 0; k < shards; ++k) {
                std::atomic<std::uint64_t>& cell = shard(k)[nb_ + 1];
                const std::uint64_t bits = cell.load(std::memory_order_relaxed);
                if (detail::is_finite(detail::bits_double(bits))) {
                    base[nb_ + 1 + k].store(bits, std::memory_order_release);
                } else {
                    // An infinite or NaN sum (finite observations past the largest double) stays so
                    // whatever is added: no base can be subtracted, so the cell is cleared in place
                    // (an observation at the same moment may bring the old sum back).
                    base[nb_ + 1 + k].store(0, std::memory_order_release);
                    cell.store(0, std::memory_order_relaxed);
                }
            }
            exemplars_.reset();
            return;
        }
#endif
        for (std::size_t k = 0; k < shards; ++k)
            for (std::size_t i = 0; i <= nb_ + 1; ++i)
                shard(k)[i].store(0, std::memory_order_relaxed); // 0 is also +0.0 for the sum
        exemplars_.reset();
    }

private:
    friend struct detail::exemplar_access;
    const detail::exemplar_slots& exemplars() const noexcept { return exemplars_; }

    template <class Metric>
    friend struct detail::series;
    template <class Full>
    friend struct detail::include_histogram_hpp;

    // A histogram reading `bounds`, already validated, which must outlive it: the series of a
    // family share the family's bounds this way instead of each keeping a copy (memory per
    // series). Defined by <vitals/histogram.hpp>.
    inline histogram(detail::borrowed_bounds_tag, const detail::bucket_bounds& bounds);

#if VITALS_COUNTER_STRIPES > 1
    static constexpr std::size_t shards = detail::slot_count + 1; // owned ones, then shared
#else
    static constexpr std::size_t shards = 1;
#endif
    // A shard (buckets, then the sum's bits) starts on a cache line and takes whole lines, so
    // two threads' shards never share one; the compact configuration has one shard, unpadded.
    static constexpr std::size_t line_words = shards > 1 ? 8 : 1;

    // Allocates the cells for nb_ buckets.
    void init_cells() {
        shard_words_ = (nb_ + 2 + line_words - 1) / line_words * line_words;
        const std::size_t n = shards * shard_words_ + line_words - 1; // room to align
        raw_cells_ = new std::atomic<std::uint64_t>[n];
        for (std::size_t i = 0; i < n; ++i) raw_cells_[i].store(0, std::memory_order_relaxed);
        const auto address = reinterpret_cast<std::uintptr_t>(raw_cells_);
        const std::size_t line = line_words * sizeof(std::uint64_t);
        cells_ = raw_cells_ + (line - address % line) % line / sizeof(std::uint64_t);
    }

    std::atomic<std::uint64_t>* shard(std::size_t k) const noexcept {
        return cells_ + k * shard_words_;
    }

#if VITALS_COUNTER_STRIPES > 1
    // The bases reset() subtracts: one per bucket (the total over the shards), then one sum
    // per shard. Allocated on the first reset, so a histogram never reset costs one pointer.
    VITALS_DETAIL_NOINLINE std::atomic<std::uint64_t>* make_base() noexcept {
        const std::size_t n = nb_ + 1 + shards;
        auto* base = new (std::nothrow) std::atomic<std::uint64_t>[n];
        if (!base) return nullptr;
        for (std::size_t i = 0; i < n; ++i) base[i].store(0, std::memory_order_relaxed);
        std::atomic<std::uint64_t>* expected = nullptr;
        if (!base_.compare_exchange_strong(expected, base, std::memory_order_acq_rel)) {
            delete[] base; // another reset() installed one first
            return expected;
        }
        return base;
    }
#endif

    void observe_shared(std::atomic<std::uint64_t>* cells, std::size_t b, double v) noexcept {
        cells[b].fetch_add(1, std::memory_order_relaxed);
        std::atomic<std::uint64_t>& sum = cells[nb_ + 1];
        std::uint64_t current = sum.load(std::memory_order_relaxed);
        while (!sum.compare_exchange_weak(current,
                                          detail::double_bits(detail::bits_double(current) + v),
                                          std::memory_order_relaxed, std::memory_order_relaxed)) {}
    }

    // Index of the first bound >= v (bounds().size() when there is none), without a branch
    // that depends on v: observed values are rarely predictable, and a mispredicted exit
    // costs more than the rest of observe(). Up to max_scanned_bounds bounds, the number of
    // bounds below v: independent comparisons the CPU runs side by side; beyond, a binary
    // search with conditional moves.
    std::size_t bucket_index(double v) const noexcept {
        const double* b = bound_values_;
        const std::size_t n = nb_; // >= 1, checked at construction
        if (VITALS_DETAIL_UNLIKELY(n > detail::max_scanned_bounds)) return binary_search(v);
#if VITALS_DETAIL_VECTOR_COMPARE
        // Two bounds per packed comparison (the bounds are padded with +Inf to an even count; no
        // value is above it); each lane of `below` counts the bounds under v (a true comparison
        // is -1). The comparisons are written out and entered through a switch on their
        // number, not looped over: with the default bounds, Clang 14's loop was well above the
        // floor the sum's add sets and this form reaches it (bench/ab_core.sh). GCC 12's loop
        // already reached that floor, and this form does no better there.
        static_assert(detail::max_scanned_bounds == 16, "8 pairs below");
        using doubles = double __attribute__((__vector_size__(16)));
        using counts = long long __attribute__((__vector_size__(16)));
        const doubles value = {v, v};
        counts below = {0, 0};
        const auto pair_above = [&](std::size_t i) -> counts {
            doubles bound;
            std::memcpy(&bound, b + i, sizeof bound);
            return value > bound;
        };
        switch ((n + 1) / 2) {
        case 8:
            below -= pair_above(14);
            [[fallthrough]];
        case 7:
            below -= pair_above(12);
            [[fallthrough]];
        case 6:
            below -= pair_above(10);
            [[fallthrough]];
        case 5:
            below -= pair_above(8);
            [[fallthrough]];
        case 4:
            below -= pair_above(6);
            [[fallthrough]];
        case 3:
            below -= pair_above(4);
            [[fallthrough]];
        case 2:
            below -= pair_above(2);
            [[fallthrough]];
        default:
            below -= pair_above(0);
        }
        return static_cast<std::size_t>(below[0] + below[1]);
#else
        // Four independent sums: the comparisons do not wait on one another's adds.
        std::size_t s0 = 0, s1 = 0, s2 = 0, s3 = 0, i = 0;
        for (; i + 4 <= n; i += 4) {
            s0 += static_cast<std::size_t>(v > b[i]);
            s1 += static_cast<std::size_t>(v > b[i + 1]);
            s2 += static_cast<std::size_t>(v > b[i + 2]);
            s3 += static_cast<std::size_t>(v > b[i + 3]);
        }
        for (; i < n; ++i) s0 += static_cast<std::size_t>(v > b[i]);
        return s0 + s1 + s2 + s3; // bounds increase: they are b[0] .. b[sum - 1]
#endif
    }

    std::size_t binary_search(double v) const noexcept {
        const double* b = bound_values_;
        std::size_t n = nb_;
        std::size_t lo = 0;
        while (n > 1) {
            const std::size_t half = n / 2;
            lo = v > b[lo + half - 1] ? lo + half : lo; // a conditional move, not a branch
            n -= half;
        }
        return lo + static_cast<std::size_t>(v > b[lo]);
    }

    const detail::bucket_bounds* bounds_ = nullptr; // borrowed, or owned when release_bounds_
    // Frees bounds_ when the histogram owns them (set by the constructors, where the type of
    // the bounds is complete; the destructor, here, stays free of <vector>).
    void (*release_bounds_)(const detail::bucket_bounds*) noexcept = nullptr;
    const double* bound_values_ = nullptr;            // the bounds' values, read by observe()
    std::atomic<std::uint64_t>* raw_cells_ = nullptr; // owned
    std::atomic<std::uint64_t>* cells_ = nullptr;     // raw_cells_, aligned: shards * shard_words_
    std::size_t nb_ = 0;                              // number of bounds
    std::size_t shard_words_ = 0;
    detail::exemplar_slots exemplars_; // null until the first exemplar
#if VITALS_COUNTER_STRIPES > 1
    std::atomic<std::atomic<std::uint64_t>*> base_{nullptr}; // owned; see make_base()
#endif
};

VITALS_END_NAMESPACE

#endif // VITALS_RECORD_HISTOGRAM_HPP
