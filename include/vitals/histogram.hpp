// vitals/histogram.hpp - a fixed-bucket histogram and its RAII timer.
// SPDX-License-Identifier: MIT
#ifndef VITALS_HISTOGRAM_HPP
#define VITALS_HISTOGRAM_HPP

#include <vitals/config.hpp>
#include <vitals/detail/float_class.hpp>
#include <vitals/detail/format_number.hpp>
#include <vitals/detail/thread_slot.hpp>
#include <vitals/error.hpp>
#include <vitals/exemplar.hpp>
#include <vitals/rejected_writes.hpp>

#include <atomic>           // atomic
#include <chrono>           // steady_clock
#include <cstddef>          // size_t
#include <cstdint>          // uint64_t, uintptr_t
#include <initializer_list> // initializer_list
#include <string>           // string
#include <string_view>      // string_view
#include <utility>          // move
#include <vector>           // vector

VITALS_BEGIN_NAMESPACE

namespace detail {
/// Selects the histogram constructor that uses bounds owned by someone else (a family).
struct borrowed_bounds_tag {};
template <class Metric>
struct series;
} // namespace detail

/// The default bounds, 10 ms to 10 s: suits request latencies in seconds. Allocates.
inline std::vector<double> default_buckets() {
    return {0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0};
}

/// `count` bounds: start, start + width, start + 2 * width, ... Allocates. An invalid request
/// (count < 1, width <= 0) yields bounds that validate_buckets() rejects.
inline std::vector<double> linear_buckets(double start, double width, std::size_t count) {
    std::vector<double> out;
    out.reserve(count);
    for (std::size_t i = 0; i < count; ++i) out.push_back(start + width * static_cast<double>(i));
    return out;
}

/// `count` bounds: start, start * factor, start * factor^2, ... Allocates. Invalid parameters
/// (start <= 0, factor <= 1) yield bounds that validate_buckets() rejects.
inline std::vector<double> exponential_buckets(double start, double factor, std::size_t count) {
    std::vector<double> out;
    out.reserve(count);
    double bound = start;
    for (std::size_t i = 0; i < count; ++i, bound *= factor) out.push_back(bound);
    return out;
}

/// Checks histogram bounds: at least one, all finite, strictly increasing. A trailing +Inf is
/// not allowed (the +Inf bucket is always implicit).
inline status validate_buckets(const std::vector<double>& bounds) {
    if (bounds.empty()) return {errc::invalid_buckets, "histogram needs at least one bucket bound"};
    for (std::size_t i = 0; i < bounds.size(); ++i) {
        char index[detail::max_number_chars];
        const std::string_view at(index, detail::format_uint(index, i));
        if (!detail::is_finite(bounds[i]))
            return {errc::invalid_buckets,
                    std::string("histogram bucket bound #").append(at).append(" is not finite")};
        if (i > 0 && !(bounds[i] > bounds[i - 1]))
            return {errc::invalid_buckets,
                    std::string("histogram bucket bounds must be strictly increasing (bound #")
                        .append(at)
                        .append(")")};
    }
    return {};
}

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
    /// A histogram with the default bounds (10 ms to 10 s).
    histogram() : histogram(default_buckets()) {}

    /// A histogram with the given bounds. Invalid bounds are reported through the error policy
    /// (vitals::error, or the error handler without exceptions); see validate_buckets().
    explicit histogram(std::vector<double> bounds)
        : own_bounds_(new std::vector<double>(std::move(bounds))), bounds_(own_bounds_.get()) {
        const status st = validate_buckets(*bounds_);
        if (!st.ok()) detail::fail(st);
        init_cells();
    }
    histogram(std::initializer_list<double> bounds) : histogram(std::vector<double>(bounds)) {}
    histogram(const histogram&) = delete;
    histogram& operator=(const histogram&) = delete;
    ~histogram() { delete[] raw_cells_; }

    /// Records one observation. NaN is refused (nothing changes; vitals::rejected_writes()
    /// counts it); +/-Inf are counted in the +Inf / first bucket and make the sum infinite, as
    /// Prometheus clients do.
    void observe(double v) noexcept {
        if (VITALS_DETAIL_UNLIKELY(detail::is_nan(v))) return detail::note_rejected_write();
        observe_in(bucket_index(v), v);
    }

    /// observe(v), and `e` becomes the latest exemplar of the bucket `v` falls in (shown only
    /// in OpenMetrics output), with `v` as its value. NaN records nothing; an invalid exemplar
    /// is dropped (see vitals::exemplar). Lock-free; the first exemplar allocates the
    /// histogram's exemplar storage once, and the first of each bucket that bucket's cell.
    void observe(double v, const exemplar& e) noexcept {
        if (VITALS_DETAIL_UNLIKELY(detail::is_nan(v))) return detail::note_rejected_write();
        const std::size_t b = bucket_index(v);
        observe_in(b, v);
        exemplars_.record(b, nb_ + 1, v, e);
    }

private:
    // Counts `v` in bucket `b` and adds it to the sum.
    void observe_in(std::size_t b, double v) noexcept {
#if VITALS_COUNTER_STRIPES > 1
        const unsigned s = detail::current_thread_state();
        if (VITALS_DETAIL_LIKELY(s - 1 < detail::slot_count)) {
            std::atomic<std::uint64_t>* cells = shard(s - 1);
            std::atomic<std::uint64_t>& sum = cells[nb_ + 1]; // before a store could alias nb_
            detail::owned_add(cells[b], 1);
            sum.store(
                detail::double_bits(detail::bits_double(sum.load(std::memory_order_relaxed)) + v),
                std::memory_order_relaxed);
            return;
        }
        observe_shared(shard(detail::slot_count), b, v);
#else
        observe_shared(shard(0), b, v);
#endif
    }

public:
    /// Records a duration in seconds.
    template <class Rep, class Period>
    void observe(std::chrono::duration<Rep, Period> d) noexcept {
        observe(std::chrono::duration<double>(d).count());
    }

    /// RAII timer: observes the steady-clock seconds between its creation and its destruction
    /// (or the first stop()). Not thread-safe itself; the histogram it feeds is.
    class timer {
    public:
        explicit timer(histogram& h) noexcept : h_(&h), start_(std::chrono::steady_clock::now()) {}
        timer(timer&& other) noexcept : h_(other.h_), start_(other.start_) { other.h_ = nullptr; }
        timer(const timer&) = delete;
        timer& operator=(const timer&) = delete;
        timer& operator=(timer&&) = delete;
        ~timer() { stop(); }
        /// Observes now and disarms the timer; returns the seconds observed (0 if disarmed).
        double stop() noexcept {
            if (!h_) return 0.0;
            const double secs =
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
            h_->observe(secs);
            h_ = nullptr;
            return secs;
        }
        /// Disarms the timer without observing.
        void cancel() noexcept { h_ = nullptr; }

    private:
        histogram* h_;
        std::chrono::steady_clock::time_point start_;
    };

    /// Starts a timer that observes the elapsed seconds when it goes out of scope.
    [[nodiscard]] timer time() noexcept { return timer(*this); }

    /// The configured upper bounds (without +Inf).
    const std::vector<double>& bounds() const noexcept { return *bounds_; }
    /// Observations in bucket i alone (not cumulative); i == bounds().size() is the +Inf bucket.
    std::uint64_t bucket_count(std::size_t i) const noexcept {
        std::uint64_t n = 0;
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
        for (std::size_t k = 0; k < shards; ++k)
            total += detail::bits_double(shard(k)[nb_ + 1].load(std::memory_order_relaxed));
        return total;
    }

    /// Clears all buckets and the sum. Meant for a series that is removed and re-added; an
    /// observation made at the same moment through a kept reference may survive it, in part.
    void reset() noexcept {
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

    // A histogram reading `bounds`, already validated, which must outlive it: the series of a
    // family share the family's bounds this way instead of each keeping a copy (issue 2:
    // memory per series).
    histogram(detail::borrowed_bounds_tag, const std::vector<double>& bounds) : bounds_(&bounds) {
        init_cells();
    }

#if VITALS_COUNTER_STRIPES > 1
    static constexpr std::size_t shards = detail::slot_count + 1; // owned ones, then shared
#else
    static constexpr std::size_t shards = 1;
#endif
    // A shard (buckets, then the sum's bits) starts on a cache line and takes whole lines, so
    // two threads' shards never share one; the compact configuration has one shard, unpadded.
    static constexpr std::size_t line_words = shards > 1 ? 8 : 1;

    void init_cells() {
        nb_ = bounds_->size();
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
    // costs more than the rest of observe(). Up to 16 bounds, the number of bounds below v:
    // independent comparisons the CPU runs side by side (and compilers may vectorise);
    // beyond, a binary search with conditional moves.
    std::size_t bucket_index(double v) const noexcept {
        const double* b = bounds_->data();
        std::size_t n = nb_; // >= 1, checked at construction
        if (n <= 16) {
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
        }
        std::size_t lo = 0;
        while (n > 1) {
            const std::size_t half = n / 2;
            lo = v > b[lo + half - 1] ? lo + half : lo; // a conditional move, not a branch
            n -= half;
        }
        return lo + static_cast<std::size_t>(v > b[lo]);
    }

    // Owns the bounds of a histogram made with its own; null when they are borrowed. A member
    // (not a plain pointer) so that a constructor that fails frees them; std::unique_ptr would
    // cost every translation unit <memory>. A pointer, not a vector, keeps a family's series
    // 16 bytes smaller.
    class owned_bounds {
    public:
        owned_bounds() noexcept = default;
        explicit owned_bounds(std::vector<double>* p) noexcept : p_(p) {}
        owned_bounds(const owned_bounds&) = delete;
        owned_bounds& operator=(const owned_bounds&) = delete;
        ~owned_bounds() { delete p_; }
        std::vector<double>* get() const noexcept { return p_; }

    private:
        std::vector<double>* p_ = nullptr;
    };

    owned_bounds own_bounds_;
    const std::vector<double>* bounds_;               // *own_bounds_ or borrowed
    std::atomic<std::uint64_t>* raw_cells_ = nullptr; // owned
    std::atomic<std::uint64_t>* cells_ = nullptr;     // raw_cells_, aligned: shards * shard_words_
    std::size_t nb_ = 0;                              // bounds_->size()
    std::size_t shard_words_ = 0;
    detail::exemplar_slots exemplars_; // null until the first exemplar
};

VITALS_END_NAMESPACE

#endif // VITALS_HISTOGRAM_HPP
