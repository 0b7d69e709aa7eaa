// vitals/gauge.hpp - a value that goes up and down.
// SPDX-License-Identifier: MIT
#ifndef VITALS_GAUGE_HPP
#define VITALS_GAUGE_HPP

#include <vitals/config.hpp>
#include <vitals/detail/atomic_double.hpp>

#include <atomic> // atomic
#include <chrono> // system_clock

VITALS_BEGIN_NAMESPACE

/// A value that can be set, raised and lowered, exposed as `<name>`.
/// All members are thread-safe, lock-free and never allocate. Any double is accepted,
/// including NaN and infinities (exposed as `NaN`, `+Inf`, `-Inf`).
class gauge {
public:
    gauge() noexcept = default;
    explicit gauge(double initial) noexcept : value_(initial) {}
    gauge(const gauge&) = delete;
    gauge& operator=(const gauge&) = delete;

    void set(double v) noexcept { value_.store(v, std::memory_order_relaxed); }
    void inc() noexcept { add(1.0); }
    void inc(double amount) noexcept { add(amount); }
    void dec() noexcept { add(-1.0); }
    void dec(double amount) noexcept { add(-amount); }
    void add(double amount) noexcept { detail::atomic_add(value_, amount); }
    void sub(double amount) noexcept { add(-amount); }

    /// Sets the gauge to the current Unix time in seconds (system clock).
    void set_to_current_time() noexcept {
        using namespace std::chrono;
        set(duration<double>(system_clock::now().time_since_epoch()).count());
    }

    double value() const noexcept { return value_.load(std::memory_order_relaxed); }

    /// Sets the gauge back to zero. Meant for a series that is removed and re-added.
    void reset() noexcept { set(0.0); }

private:
    std::atomic<double> value_{0.0};
};

VITALS_END_NAMESPACE

#endif // VITALS_GAUGE_HPP
