// vitals/histogram.hpp - a fixed-bucket histogram and its RAII timer.
// SPDX-License-Identifier: MIT
#ifndef VITALS_HISTOGRAM_HPP
#define VITALS_HISTOGRAM_HPP

#include <vitals/config.hpp>
#include <vitals/detail/atomic_double.hpp>
#include <vitals/detail/float_class.hpp>
#include <vitals/detail/format_number.hpp>
#include <vitals/error.hpp>

#include <atomic>           // atomic
#include <chrono>           // steady_clock
#include <cstddef>          // size_t
#include <cstdint>          // uint64_t
#include <initializer_list> // initializer_list
#include <string>           // string
#include <string_view>      // string_view
#include <utility>          // move
#include <vector>           // vector

VITALS_BEGIN_NAMESPACE

namespace detail {
/// Selects the histogram constructor that uses bounds owned by someone else (a family).
struct borrowed_bounds_tag {};
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
        init_counts();
    }

    /// Internal: a histogram reading `bounds`, already validated, which must outlive it. The
    /// series of a family share the family's bounds this way instead of each keeping a copy
    /// (issue 2: memory per series).
    histogram(detail::borrowed_bounds_tag, const std::vector<double>& bounds) : bounds_(&bounds) {
        init_counts();
    }
    histogram(std::initializer_list<double> bounds) : histogram(std::vector<double>(bounds)) {}
    histogram(const histogram&) = delete;
    histogram& operator=(const histogram&) = delete;
    ~histogram() { delete[] counts_; }

    /// Records one observation. NaN is ignored (nothing changes); +/-Inf are counted in the
    /// +Inf / first bucket and make the sum infinite, as Prometheus clients do.
    void observe(double v) noexcept {
        if (VITALS_DETAIL_UNLIKELY(detail::is_nan(v))) return;
        counts_[bucket_index(v)].fetch_add(1, std::memory_order_relaxed);
        detail::atomic_add(sum_, v);
    }

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
        return counts_[i].load(std::memory_order_relaxed);
    }
    /// Total number of observations (the sum of all buckets).
    std::uint64_t count() const noexcept {
        std::uint64_t total = 0;
        for (std::size_t i = 0; i <= bounds_->size(); ++i) total += bucket_count(i);
        return total;
    }
    /// Sum of all observed values.
    double sum() const noexcept { return sum_.load(std::memory_order_relaxed); }

    /// Clears all buckets and the sum. Meant for a series that is removed and re-added.
    void reset() noexcept {
        for (std::size_t i = 0; i <= bounds_->size(); ++i)
            counts_[i].store(0, std::memory_order_relaxed);
        sum_.store(0.0, std::memory_order_relaxed);
    }

private:
    void init_counts() {
        counts_ = new std::atomic<std::uint64_t>[bounds_->size() + 1];
        for (std::size_t i = 0; i <= bounds_->size(); ++i) counts_[i].store(0);
    }

    // Index of the first bound >= v (bounds().size() when there is none). A branch-free
    // binary search: observed values are rarely predictable, and a linear scan's
    // mispredicted exit cost more than the two atomics of observe() (issue 2 benchmark:
    // ~7.7 ns for the scan vs ~4 ns over the 10 default bounds).
    std::size_t bucket_index(double v) const noexcept {
        const double* b = bounds_->data();
        std::size_t lo = 0;
        std::size_t n = bounds_->size(); // >= 1, checked at construction
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
    const std::vector<double>* bounds_;            // *own_bounds_ or borrowed
    std::atomic<std::uint64_t>* counts_ = nullptr; // owned: bounds_->size() + 1 buckets
    std::atomic<double> sum_{0.0};
};

VITALS_END_NAMESPACE

#endif // VITALS_HISTOGRAM_HPP
