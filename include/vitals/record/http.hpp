// vitals/record/http.hpp - the HTTP kit's recording handles (http_endpoint and the request
// tracker), for code that only records; the kit itself is <vitals/kits/http.hpp>.
// SPDX-License-Identifier: MIT
#ifndef VITALS_RECORD_HTTP_HPP
#define VITALS_RECORD_HTTP_HPP

#include <vitals/config.hpp>
#include <vitals/counter.hpp>
#include <vitals/detail/elapsed.hpp>
#include <vitals/detail/uncaught.hpp>
#include <vitals/exemplar.hpp>
#include <vitals/record/gauge.hpp>
#include <vitals/record/histogram.hpp>

#include <atomic>      // atomic, atomic_thread_fence
#include <cstddef>     // size_t
#include <cstdint>     // int64_t, uint64_t
#include <string_view> // string_view
#include <type_traits> // enable_if_t, is_same, is_floating_point, is_integral

VITALS_BEGIN_NAMESPACE

namespace detail {
/// Defined by <vitals/kits/http.hpp>: the HTTP kit's members that need its registry side. A
/// translation unit that includes only the light headers and calls one fails to compile
/// naming this type.
template <class Full>
struct include_http_hpp;
struct http_endpoint_names;
} // namespace detail

namespace kits {

/// The `error_type` recorded when a tracked request's scope is left by an exception.
inline constexpr std::string_view exception_error_type = "exception";
/// The `error_type` recorded for a 4xx status when no explicit error type was given.
inline constexpr std::string_view client_error_type = "client_error";
/// The `error_type` recorded for a 5xx status when no explicit error type was given.
inline constexpr std::string_view server_error_type = "server_error";
/// The `error_type` of record_error("") (an empty label value reads as no label at all).
inline constexpr std::string_view unspecified_error_type = "unspecified";
/// The `status` label value of a request that ended without an HTTP status (never set, or
/// outside 100..999): a transport failure, a timeout, an exception.
inline constexpr std::string_view no_status = "none";

class http_metrics;
class http_request_tracker;

/// Cached series of one (method, endpoint) pair of an http_metrics kit: the three histograms
/// and, per status code, the request counter. Obtained from http_metrics::endpoint(), owned
/// by the kit and valid as long as it is. Keeping the reference makes a tracked request
/// lock-free: no label lookup for the histograms nor for up to eight distinct status codes
/// (more are looked up each time). All members are thread-safe.
class http_endpoint {
public:
    http_endpoint(const http_endpoint&) = delete;
    http_endpoint& operator=(const http_endpoint&) = delete;

    /// The method and endpoint label values (const std::string&; defined by
    /// <vitals/kits/http.hpp>).
    template <class Full = void>
    const auto& method() const noexcept {
        return detail::include_http_hpp<Full>::names(*this).method;
    }
    template <class Full = void>
    const auto& endpoint() const noexcept {
        return detail::include_http_hpp<Full>::names(*this).endpoint;
    }

    /// `http_request_duration_seconds{method,endpoint}`.
    histogram& duration() noexcept { return *duration_; }
    /// `http_request_size_bytes{method,endpoint}`.
    histogram& request_size() noexcept { return *request_size_; }
    /// `http_response_size_bytes{method,endpoint}`.
    histogram& response_size() noexcept { return *response_size_; }

    /// `http_requests_total{method,endpoint,status}` for an HTTP status code; codes outside
    /// 100..999 use the status `none`. Lock-free once the code has been seen (up to eight
    /// codes per endpoint); the first use of a code looks the series up and may allocate.
    counter& requests(int status) {
        const int code = normalise(status);
        const int key = code + 1;
        for (status_slot& slot : slots_) {
            int seen = slot.key.load(std::memory_order_acquire);
            if (seen == 0) {
                // Claim the free slot; if another thread claimed it first, see what it chose.
                if (slot.key.compare_exchange_strong(seen, key, std::memory_order_acq_rel)) {
                    counter& c = hooks_->requests(*this, code);
                    slot.series.store(&c, std::memory_order_release);
                    return c;
                }
            }
            if (seen == key) {
                if (counter* c = slot.series.load(std::memory_order_acquire)) return *c;
                return hooks_->requests(*this, code); // the claiming thread has not published it
            }
        }
        return hooks_->requests(*this, code);
    }

    /// `http_errors_total{method,endpoint,error_type}`. Looks the series up (allocates only
    /// the first time a type is seen).
    counter& errors(std::string_view error_type) { return hooks_->errors(*this, error_type); }

    /// Records one finished request: count, duration and, when not negative, the sizes; an
    /// error when `error_type` is not empty, else `client_error` / `server_error` for a 4xx
    /// / 5xx status. The plain-function form of http_request_tracker. A NaN `seconds` (a
    /// duration never measured), a negative one (a wall clock set back) or an infinite one
    /// counts the request and its error but no duration, and vitals::rejected_writes() counts
    /// the refusal; so does an infinite or NaN size, which is not observed.
    void record(int status, double seconds, double request_bytes = -1.0,
                double response_bytes = -1.0, std::string_view error_type = {}) {
        requests(status).inc();
        if (detail::duration_ok(seconds)) duration_->observe(seconds);
        if (detail::size_ok(request_bytes)) request_size_->observe(request_bytes);
        if (detail::size_ok(response_bytes)) response_size_->observe(response_bytes);
        if (error_type.empty()) error_type = status_error(status);
        if (!error_type.empty()) count_error(errors(error_type));
    }
    /// record(seconds, status, ...), the first two arguments swapped, would convert both
    /// silently (status 0, a duration of 200 seconds): it does not compile.
    template <
        class Seconds, class StatusCode,
        std::enable_if_t<
            std::is_floating_point<Seconds>::value && std::is_integral<StatusCode>::value, int> = 0>
    void record(Seconds, StatusCode, double = -1.0, double = -1.0, std::string_view = {}) {
        static_assert(!std::is_floating_point<Seconds>::value,
                      "http_endpoint::record takes the status first, then the seconds");
    }

    /// Starts tracking a request on this endpoint (see http_request_tracker).
    [[nodiscard]] http_request_tracker track() noexcept;

    /// Internal: use http_metrics::endpoint(). Defined by <vitals/kits/http.hpp>.
    inline http_endpoint(http_metrics& kit, std::string_view method, std::string_view endpoint);
    inline ~http_endpoint();

private:
    friend class http_metrics;
    friend class http_request_tracker;
    template <class Full>
    friend struct detail::include_http_hpp;

    // What only <vitals/kits/http.hpp> does, reached through functions it sets: looking up
    // the series of a new status code or an error type, and reading the steady clock.
    struct hooks {
        counter& (*requests)(http_endpoint&, int code);
        counter& (*errors)(http_endpoint&, std::string_view error_type);
        std::int64_t (*now_ns)() noexcept; // std::chrono::steady_clock, in nanoseconds
    };

    static constexpr std::size_t status_slots = 8;
    struct status_slot {
        std::atomic<int> key{0}; // normalised status + 1; 0 = free
        std::atomic<counter*> series{nullptr};
    };

    // The tracker's destructor looks these up, and a destructor must not throw: a series that
    // cannot be created (out of memory) loses this one count, which vitals::rejected_writes()
    // shows, and the rest of the request is still recorded.
    template <class Lookup>
    static counter* counter_or_null(Lookup lookup) noexcept {
#if VITALS_DETAIL_CAN_CATCH()
        try {
            return &lookup();
        } catch (...) {
            detail::note_rejected_write();
            return nullptr;
        }
#else
        return &lookup();
#endif
    }
    counter* requests_or_null(int status) noexcept {
        return counter_or_null([&]() -> counter& { return requests(status); });
    }
    counter* errors_or_null(std::string_view error_type) noexcept {
        return counter_or_null([&]() -> counter& { return errors(error_type); });
    }

    // Counts an error of a request already counted. A scrape reads `http_errors_total` before
    // `http_requests_total` (families come in name order) with an acquire fence between
    // families; this release fence makes a scrape that sees the error see its request too,
    // also where stores may be seen out of order (ARM, POWER; free on x86).
    static void count_error(counter& errors) noexcept {
        std::atomic_thread_fence(std::memory_order_release);
        errors.inc();
    }

    static int normalise(int status) noexcept {
        return status >= 100 && status <= 999 ? status : 0;
    }
    // The error_type implied by a status, or empty.
    static std::string_view status_error(int status) noexcept {
        if (status >= 500 && status <= 599) return server_error_type;
        if (status >= 400 && status <= 499) return client_error_type;
        return {};
    }

    const hooks* hooks_;
    gauge* in_flight_; // the kit's
    http_metrics* kit_;
    histogram* duration_;
    histogram* request_size_;
    histogram* response_size_;
    detail::http_endpoint_names* names_; // owned: the method and endpoint, made last
    std::uint64_t hash_ = 0;
    status_slot slots_[status_slots];
};

/// RAII guard for one HTTP request, the C++ form of a "track request metrics" decorator.
/// Construction raises the in-flight gauge and starts a steady clock. Destruction lowers the
/// gauge and records:
/// - `http_requests_total` with the status given to set_status() (`none` if never set),
/// - the duration, and each size that was set (unset sizes are not observed),
/// - one `http_errors_total` when the request failed: the type given to record_error(), else
///   `exception` when the scope was left by an exception (detected with
///   std::uncaught_exceptions()), else `client_error` / `server_error` for a 4xx / 5xx
///   status. A destructor cannot see the exception itself: code that catches it calls
///   record_error() with a specific type (a request counts at most one error). The error is
///   counted with the request, so a scrape never shows more errors than requests, and
///   cancel() drops both.
/// Destruction never throws, also while an exception unwinds: a series it cannot create for
/// a status code or an error type not seen before (out of memory) loses that one count,
/// which vitals::rejected_writes() counts, and the rest is recorded. Not thread-safe itself
/// (one request, one thread); the metrics it feeds are. With cached handles it takes no lock
/// and does not allocate once the status code has been seen.
class http_request_tracker {
public:
    explicit http_request_tracker(http_endpoint& ep) noexcept
        : ep_(&ep), exceptions_(detail::uncaught_exceptions()), start_ns_(ep.hooks_->now_ns()) {
        ep.in_flight_->inc();
    }
    /// Tracks a request of `kit`'s endpoint (method, endpoint); needs <vitals/kits/http.hpp>.
    template <class Kit, std::enable_if_t<std::is_same<Kit, http_metrics>::value, int> = 0>
    http_request_tracker(Kit& kit, std::string_view method, std::string_view endpoint)
        : http_request_tracker(kit.endpoint(method, endpoint)) {}

    http_request_tracker(const http_request_tracker&) = delete;
    http_request_tracker& operator=(const http_request_tracker&) = delete;

    ~http_request_tracker() {
        if (cancelled_) return;
        const double secs = elapsed();
        ep_->in_flight_->dec();
        counter* const count = ep_->requests_or_null(status_);
        if (trace_size_ != 0) {
            // The request's trace as an exemplar (OpenMetrics) on its count and duration.
            const exemplar e("trace_id", std::string_view(trace_, trace_size_));
            if (count) count->inc(1.0, e);
            ep_->duration_->observe(secs, e);
        } else {
            if (count) count->inc();
            ep_->duration_->observe(secs);
        }
        if (detail::size_ok(request_bytes_)) ep_->request_size_->observe(request_bytes_);
        if (detail::size_ok(response_bytes_)) ep_->response_size_->observe(response_bytes_);
        if (error_) {
            http_endpoint::count_error(*error_);
            return;
        }
        std::string_view error_type = http_endpoint::status_error(status_);
        if (detail::uncaught_exceptions() > exceptions_) error_type = exception_error_type;
        if (error_type.empty()) return;
        if (counter* const err = ep_->errors_or_null(error_type)) http_endpoint::count_error(*err);
    }

    /// The id of the trace this request belongs to (e.g. the 32 hex digits of a W3C
    /// traceparent): attached as the exemplar `{trace_id="..."}` to the request's count and
    /// duration, which OpenMetrics scrapes show. Copied (no allocation); an id longer than
    /// 120 bytes cannot be an exemplar and is dropped (counted by vitals::exemplars_dropped()).
    void set_trace_id(std::string_view trace_id) noexcept {
        trace_size_ = 0;
        if (trace_id.size() > sizeof trace_) {
            detail::exemplars_dropped_cell().fetch_add(1, std::memory_order_relaxed);
            return;
        }
        for (std::size_t i = 0; i < trace_id.size(); ++i) trace_[i] = trace_id[i];
        trace_size_ = trace_id.size();
    }

    /// The HTTP status code of the response.
    void set_status(int status) noexcept { status_ = status; }
    /// The request body size in bytes; negative means unknown (not observed). An infinite or
    /// NaN size is not observed either, and vitals::rejected_writes() counts it.
    void set_request_size(double bytes) noexcept { request_bytes_ = bytes; }
    /// The response body size in bytes; negative means unknown (not observed). An infinite or
    /// NaN size is not observed either, and vitals::rejected_writes() counts it.
    void set_response_size(double bytes) noexcept { response_bytes_ = bytes; }

    /// The request failed with this error type (e.g. "timeout", "connection"; an empty one
    /// is `unspecified`): counted at destruction with the request, in place of the automatic
    /// one. Later calls are ignored: one error per request. Looks the error series up now
    /// (reader lock; allocates the first time a type is seen), so destruction does not. The
    /// type is not checked: one longer than max_label_value_bytes is counted in the errors
    /// family's overflow series (and in vitals_series_overflow_total), one not valid UTF-8
    /// is shown with U+FFFD, as any label value.
    void record_error(std::string_view error_type) {
        if (cancelled_ || error_) return;
        error_ = &ep_->errors(error_type.empty() ? unspecified_error_type : error_type);
    }

    /// Seconds since construction.
    double elapsed() const noexcept {
        return detail::seconds_between(start_ns_, ep_->hooks_->now_ns());
    }

    /// Records nothing at destruction, neither the request nor an error given to
    /// record_error() (the in-flight gauge is lowered now). Later calls do nothing; elapsed()
    /// still reads the clock.
    void cancel() noexcept {
        if (cancelled_) return;
        cancelled_ = true;
        ep_->in_flight_->dec();
    }

private:
    http_endpoint* ep_;
    int exceptions_;
    int status_ = 0;
    bool cancelled_ = false;
    counter* error_ = nullptr; // given to record_error()
    double request_bytes_ = -1.0;
    double response_bytes_ = -1.0;
    std::int64_t start_ns_; // steady clock
    std::size_t trace_size_ = 0;
    char trace_[120]; // 128 characters for the exemplar, less the label name "trace_id"
};

inline http_request_tracker http_endpoint::track() noexcept { return http_request_tracker(*this); }

} // namespace kits
VITALS_END_NAMESPACE

#endif // VITALS_RECORD_HTTP_HPP
