// vitals/histogram.hpp - a fixed-bucket histogram and its RAII timer.
// SPDX-License-Identifier: MIT
#ifndef VITALS_HISTOGRAM_HPP
#define VITALS_HISTOGRAM_HPP

#include <vitals/config.hpp>
#include <vitals/detail/float_class.hpp>
#include <vitals/detail/format_number.hpp>
#include <vitals/error.hpp>
#include <vitals/record/histogram.hpp>

#include <chrono>      // steady_clock
#include <cstddef>     // size_t
#include <string>      // string
#include <string_view> // string_view
#include <utility>     // move
#include <vector>      // vector

VITALS_BEGIN_NAMESPACE

/// The default bounds, 10 ms to 10 s: suits request latencies in seconds. Allocates.
inline std::vector<double> default_buckets() {
    constexpr double bounds[] = {0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0};
    std::vector<double> out;
    out.reserve(sizeof bounds / sizeof bounds[0]);
    for (const double b : bounds) out.push_back(b); // as linear_buckets() fills its own
    return out;
}

/// `count` bounds: start, start + width, start + 2 * width, ... Allocates. An invalid request
/// (count < 1, width <= 0) yields bounds that validate_buckets() rejects. A count beyond what
/// a std::vector holds throws std::length_error (std::bad_alloc past memory): the standard
/// library's errors, not vitals::error, and std::terminate without exceptions.
inline std::vector<double> linear_buckets(double start, double width, std::size_t count) {
    std::vector<double> out;
    out.reserve(count);
    for (std::size_t i = 0; i < count; ++i) out.push_back(start + width * static_cast<double>(i));
    return out;
}

/// `count` bounds: start, start * factor, start * factor^2, ... Allocates. Parameters that
/// do not make the bounds strictly increasing and finite (start 0; start > 0 with factor <= 1;
/// start < 0 with factor >= 1 or <= 0) yield bounds that validate_buckets() rejects; a negative
/// start with a factor between 0 and 1 gives increasing negative bounds, which are valid. A
/// count beyond what a std::vector holds throws std::length_error (std::bad_alloc past memory):
/// the standard library's errors, not vitals::error, and std::terminate without exceptions.
inline std::vector<double> exponential_buckets(double start, double factor, std::size_t count) {
    std::vector<double> out;
    out.reserve(count);
    double bound = start;
    for (std::size_t i = 0; i < count; ++i, bound *= factor) out.push_back(bound);
    return out;
}

/// Checks histogram bounds: at least one, all finite, strictly increasing. A trailing +Inf is
/// not allowed (the +Inf bucket is always implicit), and the message says so, since some
/// clients take or require one; a NaN or -Inf bound is named as such. Only strings more: the
/// compact embedded program keeps its size target (bench/budgets.sh --size-only).
inline status validate_buckets(const std::vector<double>& bounds) {
    if (bounds.empty()) return {errc::invalid_buckets, "histogram needs at least one bucket bound"};
    // Bounds are counted from 1 in the messages, with the count ("bound 2 of 2"): "#1" for the
    // second bound read as the first one, whose value was fine.
    char count[detail::max_number_chars];
    const std::string_view of(count, detail::format_uint(count, bounds.size()));
    for (std::size_t i = 0; i < bounds.size(); ++i) {
        char index[detail::max_number_chars];
        const std::string_view at(index, detail::format_uint(index, i + 1));
        if (!detail::is_finite(bounds[i])) {
            // Only +Inf gets the hint: NaN and -Inf are no client's convention but mistakes to
            // name. The bits decide, as is_finite does, so that -ffast-math cannot fold them.
            const char* what = detail::is_nan(bounds[i])
                                   ? " is NaN: a bound must be a finite number"
                               : detail::float_bits(bounds[i]) >> 63
                                   ? " is -Inf: a bound must be a finite number"
                                   : " is not finite (the +Inf bucket is implicit: leave +Inf out)";
            return {errc::invalid_buckets, std::string("histogram bucket bound ")
                                               .append(at)
                                               .append(" of ")
                                               .append(of)
                                               .append(what)};
        }
        if (i > 0 && !(bounds[i] > bounds[i - 1]))
            return {errc::invalid_buckets,
                    std::string("histogram bucket bounds must be strictly increasing (bound ")
                        .append(at)
                        .append(" of ")
                        .append(of)
                        .append(" is not above the one before it)")};
    }
    return {};
}

namespace detail {

/// The histogram's bucket bounds, owned by a standalone histogram, or by a family and shared by
/// its series: as given, and as observe() reads them (see max_scanned_bounds).
struct bucket_bounds {
    explicit bucket_bounds(std::vector<double> bounds) : values(std::move(bounds)) {
        if (values.size() % 2 != 0 && values.size() <= max_scanned_bounds) {
            // A plain array: a second vector, copy-assigned, made every file including this
            // header compile vector's assignment, and filled by push_back, a compact armhf
            // program 4 KiB larger.
            double* p = new double[values.size() + 1];
            for (std::size_t i = 0; i < values.size(); ++i) p[i] = values[i];
            p[values.size()] = bits_double(0x7ff0000000000000ULL); // +Inf
            padded = p;
        }
    }
    bucket_bounds(const bucket_bounds&) = delete;
    bucket_bounds& operator=(const bucket_bounds&) = delete;
    ~bucket_bounds() { delete[] padded; }

    /// The bounds as observe() reads them.
    const double* scanned() const noexcept { return padded ? padded : values.data(); }

    std::vector<double> values;
    double* padded = nullptr; // owned: an odd count of scanned values and +Inf; else null
};

/// histogram's members that need <vector> or <chrono> (see record/histogram.hpp).
template <class Full>
struct include_histogram_hpp {
    static std::vector<double> default_bounds() { return default_buckets(); }
    static std::vector<double> copy(std::initializer_list<double> bounds) {
        return std::vector<double>(bounds);
    }
    static const std::vector<double>& values(const bucket_bounds& b) noexcept { return b.values; }
    static histogram::timer start_timer(histogram& h) noexcept; // below histogram::timer
    template <class Duration>
    static double seconds(Duration d) noexcept {
        return std::chrono::duration<double>(d).count();
    }

    // Validates `bounds`, then gives `h` its own copy of them and its cells.
    template <class Bounds>
    static void adopt(histogram& h, Bounds&& bounds) {
        bucket_bounds* owned = new bucket_bounds{to_vector(std::forward<Bounds>(bounds))};
        const status st = validate_buckets(owned->values);
        if (!st.ok()) {
            release(owned);
            fail(st);
        }
        h.bounds_ = owned;
        h.release_bounds_ = &release;
        h.bound_values_ = owned->scanned();
        h.nb_ = owned->values.size();
        // A constructor that throws runs no destructor: free the bounds here.
#if VITALS_DETAIL_CAN_CATCH()
        try {
            h.init_cells();
        } catch (...) {
            h.release_bounds_ = nullptr;
            release(owned);
            throw;
        }
#else
        h.init_cells();
#endif
    }

    static void release(const bucket_bounds* b) noexcept { delete b; }

private:
    static std::vector<double> to_vector(std::vector<double>&& v) noexcept { return std::move(v); }
    static std::vector<double> to_vector(const std::vector<double>& v) { return v; }
    template <class Bounds>
    static std::vector<double> to_vector(const Bounds& b) {
        return std::vector<double>(b.data(), b.data() + b.size());
    }
};

} // namespace detail

inline histogram::histogram(detail::borrowed_bounds_tag, const detail::bucket_bounds& bounds)
    : bounds_(&bounds), bound_values_(bounds.scanned()), nb_(bounds.values.size()) {
    init_cells();
}

/// RAII timer: observes the steady-clock seconds between its creation and its destruction
/// (or the first stop()). Not thread-safe itself; the histogram it feeds is.
class histogram::timer {
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
        using clock = std::chrono::steady_clock; // ticks scaled as system_unix_time() does
        const double ticks = static_cast<double>((clock::now() - start_).count());
        const double secs = ticks * clock::period::num / clock::period::den;
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

template <class Full>
histogram::timer detail::include_histogram_hpp<Full>::start_timer(histogram& h) noexcept {
    return histogram::timer(h);
}

VITALS_END_NAMESPACE

#endif // VITALS_HISTOGRAM_HPP
