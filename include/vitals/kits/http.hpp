// vitals/kits/http.hpp - ready HTTP request metrics and the RAII request tracker.
// SPDX-License-Identifier: MIT
#ifndef VITALS_KITS_HTTP_HPP
#define VITALS_KITS_HTTP_HPP

#include <vitals/config.hpp>
#include <vitals/counter.hpp>
#include <vitals/detail/exclusive_lock.hpp>
#include <vitals/detail/kit_names.hpp>
#include <vitals/detail/narrow.hpp>
#include <vitals/exemplar.hpp>
#include <vitals/family.hpp>
#include <vitals/gauge.hpp>
#include <vitals/histogram.hpp>
#include <vitals/registry.hpp>

#include <atomic>       // atomic
#include <chrono>       // steady_clock
#include <cstddef>      // size_t
#include <cstdint>      // uint64_t
#include <exception>    // uncaught_exceptions
#include <shared_mutex> // shared_mutex, shared_lock
#include <string>       // string
#include <string_view>  // string_view
#include <vector>       // vector

VITALS_BEGIN_NAMESPACE
namespace kits {

/// Byte bounds for payload sizes: 64 B, 256 B, 1 KiB, ... 64 MiB (factor 4, 11 bounds).
/// Allocates.
inline std::vector<double> byte_buckets() { return exponential_buckets(64.0, 4.0, 11); }

/// The `error_type` recorded when a tracked request's scope is left by an exception.
inline constexpr std::string_view exception_error_type = "exception";
/// The `error_type` recorded for a 4xx status when no explicit error type was given.
inline constexpr std::string_view client_error_type = "client_error";
/// The `error_type` recorded for a 5xx status when no explicit error type was given.
inline constexpr std::string_view server_error_type = "server_error";
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

    const std::string& method() const noexcept { return method_; }
    const std::string& endpoint() const noexcept { return endpoint_; }

    /// `http_request_duration_seconds{method,endpoint}`.
    histogram& duration() noexcept { return *duration_; }
    /// `http_request_size_bytes{method,endpoint}`.
    histogram& request_size() noexcept { return *request_size_; }
    /// `http_response_size_bytes{method,endpoint}`.
    histogram& response_size() noexcept { return *response_size_; }

    /// `http_requests_total{method,endpoint,status}` for an HTTP status code; codes outside
    /// 100..999 use the status `none`. Lock-free once the code has been seen (up to eight
    /// codes per endpoint); the first use of a code looks the series up and may allocate.
    counter& requests(int status);

    /// `http_errors_total{method,endpoint,error_type}`. Looks the series up (reader lock;
    /// allocates only the first time a type is seen).
    counter& errors(std::string_view error_type);

    /// Records one finished request: count, duration and, when not negative, the sizes; an
    /// error when `error_type` is not empty, else `client_error` / `server_error` for a 4xx
    /// / 5xx status. The plain-function form of http_request_tracker.
    void record(int status, double seconds, double request_bytes = -1.0,
                double response_bytes = -1.0, std::string_view error_type = {});

    /// Starts tracking a request on this endpoint (see http_request_tracker).
    [[nodiscard]] http_request_tracker track() noexcept;

    /// Internal: use http_metrics::endpoint().
    http_endpoint(http_metrics& kit, std::string_view method, std::string_view endpoint);

private:
    friend class http_metrics;
    friend class http_request_tracker;

    static constexpr std::size_t status_slots = 8;
    struct status_slot {
        std::atomic<int> key{0}; // normalised status + 1; 0 = free
        std::atomic<counter*> series{nullptr};
    };

    static int normalise(int status) noexcept {
        return status >= 100 && status <= 999 ? status : 0;
    }
    counter& lookup_requests(int code);
    // The error_type implied by a status, or empty.
    static std::string_view status_error(int status) noexcept {
        if (status >= 500 && status <= 599) return server_error_type;
        if (status >= 400 && status <= 499) return client_error_type;
        return {};
    }

    http_metrics& kit_;
    std::string method_;
    std::string endpoint_;
    std::uint64_t hash_ = 0;
    histogram* duration_;
    histogram* request_size_;
    histogram* response_size_;
    status_slot slots_[status_slots];
};

/// The HTTP metric set of the catalogue, under a namespace prefix `NS`:
///
/// - `NS_http_requests_total{method,endpoint,status}` counter
/// - `NS_http_request_duration_seconds{method,endpoint}` histogram (10 ms .. 10 s)
/// - `NS_http_request_size_bytes{method,endpoint}` histogram (64 B .. 64 MiB)
/// - `NS_http_response_size_bytes{method,endpoint}` histogram (64 B .. 64 MiB)
/// - `NS_http_errors_total{method,endpoint,error_type}` counter
/// - `NS_http_requests_in_flight` gauge
///
/// `options` applies to the labelled families (const labels, series bound); the in-flight
/// gauge gets its const labels too. An empty namespace drops the prefix and its underscore.
/// Registration reports errors through the error policy (an invalid namespace, a conflicting
/// family). Two kits with the same namespace on one registry share the families. The kit
/// owns its endpoint handles and must outlive every http_endpoint reference and tracker
/// taken from it; the registry must outlive the kit. All members are thread-safe;
/// construction and first lookups allocate.
///
/// Typical use:
/// ```
/// vitals::kits::http_metrics http(reg, "demo");
/// auto& reports = http.endpoint("GET", "/api/reports");   // cache once
/// {
///     auto t = reports.track();          // counts in-flight, starts the clock
///     t.set_request_size(req.size());
///     ... send the request ...
///     t.set_status(resp.status);
///     t.set_response_size(resp.body.size());
/// }                                       // records count, duration, sizes, errors
/// ```
class http_metrics {
public:
    http_metrics(registry& reg, std::string_view ns, const family_options& options = {})
        : requests_(reg.counter(detail::kit_metric_name(ns, "http_requests_total"),
                                "HTTP requests, by method, endpoint and status code.",
                                {"method", "endpoint", "status"}, options)),
          duration_(reg.histogram(detail::kit_metric_name(ns, "http_request_duration_seconds"),
                                  "HTTP request duration in seconds, by method and endpoint.",
                                  {"method", "endpoint"}, default_buckets(),
                                  detail::with_unit(options, "seconds"))),
          request_size_(reg.histogram(detail::kit_metric_name(ns, "http_request_size_bytes"),
                                      "HTTP request body size in bytes, by method and endpoint.",
                                      {"method", "endpoint"}, byte_buckets(),
                                      detail::with_unit(options, "bytes"))),
          response_size_(reg.histogram(detail::kit_metric_name(ns, "http_response_size_bytes"),
                                       "HTTP response body size in bytes, by method and endpoint.",
                                       {"method", "endpoint"}, byte_buckets(),
                                       detail::with_unit(options, "bytes"))),
          errors_(reg.counter(detail::kit_metric_name(ns, "http_errors_total"),
                              "HTTP request errors, by method, endpoint and error type.",
                              {"method", "endpoint", "error_type"}, options)),
          in_flight_(reg.gauge(detail::kit_metric_name(ns, "http_requests_in_flight"),
                               "HTTP requests started and not yet finished.", {}, options)
                         .labels()),
          max_endpoints_(duration_.options().max_series) {
        // Every tracked request raises and lowers it, from every worker thread.
        detail::enable_gauge_cells(in_flight_);
    }

    http_metrics(const http_metrics&) = delete;
    http_metrics& operator=(const http_metrics&) = delete;
    ~http_metrics() {
        for (http_endpoint* ep : endpoints_) delete ep;
        delete overflow_;
    }

    /// The cached handles of one (method, endpoint) pair, created on first use. Takes a
    /// reader lock; the first call for a pair takes a writer lock and allocates. Past the
    /// families' series bound, new pairs share one endpoint labelled `__overflow__`.
    http_endpoint& endpoint(std::string_view method, std::string_view endpoint) {
        const std::string_view vals[2] = {method, endpoint};
        const std::uint64_t h = detail::hash_label_values(vals, 2);
        {
            std::shared_lock<std::shared_mutex> lock(mutex_);
            if (http_endpoint* ep = find(method, endpoint, h)) return *ep;
        }
        detail::exclusive_lock lock(mutex_);
        if (http_endpoint* ep = find(method, endpoint, h)) return *ep;
        // Keep one series of each histogram family free for the overflow endpoint.
        if (endpoints_.size() + 1 >= max_endpoints_) {
            if (!overflow_)
                overflow_ = new http_endpoint(*this, overflow_label_value, overflow_label_value);
            return *overflow_;
        }
        reserve_one(); // then nothing below throws once the endpoint exists
        http_endpoint* ep = new http_endpoint(*this, method, endpoint);
        ep->hash_ = h;
        endpoints_.push_back(ep);
        insert(ep);
        return *ep;
    }

    /// Starts tracking a request (one endpoint lookup; see endpoint()).
    [[nodiscard]] http_request_tracker track(std::string_view method, std::string_view endpoint);

    /// Records one finished request; see http_endpoint::record().
    void record(std::string_view method, std::string_view endpoint, int status, double seconds,
                double request_bytes = -1.0, double response_bytes = -1.0,
                std::string_view error_type = {}) {
        this->endpoint(method, endpoint)
            .record(status, seconds, request_bytes, response_bytes, error_type);
    }

    counter_family& requests() noexcept { return requests_; }
    histogram_family& duration() noexcept { return duration_; }
    histogram_family& request_size() noexcept { return request_size_; }
    histogram_family& response_size() noexcept { return response_size_; }
    counter_family& errors() noexcept { return errors_; }
    gauge& in_flight() noexcept { return in_flight_; }

private:
    friend class http_endpoint;
    friend class http_request_tracker;

    http_endpoint* find(std::string_view method, std::string_view endpoint,
                        std::uint64_t h) const noexcept {
        if (table_.empty()) return nullptr;
        const std::size_t mask = table_.size() - 1;
        for (std::size_t i = detail::narrow<std::size_t>(h) & mask;; i = (i + 1) & mask) {
            http_endpoint* ep = table_[i];
            if (!ep) return nullptr;
            if (ep->hash_ == h && ep->method_ == method && ep->endpoint_ == endpoint) return ep;
        }
    }

    // Makes room for one more endpoint in endpoints_ and table_.
    void reserve_one() {
        detail::reserve_more(endpoints_, 1);
        if ((endpoints_.size() + 1) * 2 > table_.size()) {
            std::vector<http_endpoint*> bigger(table_.empty() ? 16 : table_.size() * 2, nullptr);
            const std::size_t mask = bigger.size() - 1;
            for (http_endpoint* old : table_) {
                if (!old) continue;
                std::size_t i = detail::narrow<std::size_t>(old->hash_) & mask;
                while (bigger[i]) i = (i + 1) & mask;
                bigger[i] = old;
            }
            table_.swap(bigger);
        }
    }

    void insert(http_endpoint* ep) noexcept {
        const std::size_t mask = table_.size() - 1;
        std::size_t i = detail::narrow<std::size_t>(ep->hash_) & mask;
        while (table_[i]) i = (i + 1) & mask;
        table_[i] = ep;
    }

    counter_family& requests_;
    histogram_family& duration_;
    histogram_family& request_size_;
    histogram_family& response_size_;
    counter_family& errors_;
    gauge& in_flight_;
    std::size_t max_endpoints_;

    mutable std::shared_mutex mutex_;
    std::vector<http_endpoint*> endpoints_; // owned
    std::vector<http_endpoint*> table_;     // open addressing by hash
    http_endpoint* overflow_ = nullptr;     // owned
};

/// RAII guard for one HTTP request, the C++ form of a "track request metrics" decorator.
/// Construction raises the in-flight gauge and starts a steady clock. Destruction lowers the
/// gauge and records:
/// - `http_requests_total` with the status given to set_status() (`none` if never set),
/// - the duration, and each size that was set (unset sizes are not observed),
/// - one `http_errors_total` when the request failed: the scope was left by an exception
///   (`error_type="exception"`, detected with std::uncaught_exceptions()), else a 4xx / 5xx
///   status (`client_error` / `server_error`). A destructor cannot see the exception itself:
///   code that catches it calls record_error() with a specific type, which replaces the
///   automatic one (a request counts at most one error).
/// Not thread-safe itself (one request, one thread); the metrics it feeds are. With cached
/// handles it takes no lock and does not allocate once the status code has been seen.
class http_request_tracker {
public:
    explicit http_request_tracker(http_endpoint& ep) noexcept
        : ep_(&ep), exceptions_(std::uncaught_exceptions()),
          start_(std::chrono::steady_clock::now()) {
        ep.kit_.in_flight_.inc();
    }
    http_request_tracker(http_metrics& kit, std::string_view method, std::string_view endpoint)
        : http_request_tracker(kit.endpoint(method, endpoint)) {}

    http_request_tracker(const http_request_tracker&) = delete;
    http_request_tracker& operator=(const http_request_tracker&) = delete;

    ~http_request_tracker() {
        if (!ep_) return;
        const double secs =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
        ep_->kit_.in_flight_.dec();
        if (trace_size_ != 0) {
            // The request's trace as an exemplar (OpenMetrics) on its count and duration.
            const exemplar e("trace_id", std::string_view(trace_, trace_size_));
            ep_->requests(status_).inc(1.0, e);
            ep_->duration_->observe(secs, e);
        } else {
            ep_->requests(status_).inc();
            ep_->duration_->observe(secs);
        }
        if (request_bytes_ >= 0.0) ep_->request_size_->observe(request_bytes_);
        if (response_bytes_ >= 0.0) ep_->response_size_->observe(response_bytes_);
        if (error_recorded_) return;
        if (std::uncaught_exceptions() > exceptions_)
            ep_->errors(exception_error_type).inc();
        else if (!http_endpoint::status_error(status_).empty())
            ep_->errors(http_endpoint::status_error(status_)).inc();
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
    /// The request body size in bytes; negative means unknown (not observed).
    void set_request_size(double bytes) noexcept { request_bytes_ = bytes; }
    /// The response body size in bytes; negative means unknown (not observed).
    void set_response_size(double bytes) noexcept { response_bytes_ = bytes; }

    /// Counts an error of this type now (e.g. "timeout", "connection") and suppresses the
    /// automatic one at destruction. Later calls are ignored: one error per request. Looks
    /// the error series up (reader lock; allocates the first time a type is seen).
    void record_error(std::string_view error_type) {
        if (!ep_ || error_recorded_) return;
        error_recorded_ = true;
        ep_->errors(error_type).inc();
    }

    /// Seconds since construction.
    double elapsed() const noexcept {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    }

    /// Records nothing at destruction (the in-flight gauge is still lowered now).
    void cancel() noexcept {
        if (!ep_) return;
        ep_->kit_.in_flight_.dec();
        ep_ = nullptr;
    }

private:
    http_endpoint* ep_;
    int exceptions_;
    int status_ = 0;
    bool error_recorded_ = false;
    double request_bytes_ = -1.0;
    double response_bytes_ = -1.0;
    std::chrono::steady_clock::time_point start_;
    std::size_t trace_size_ = 0;
    char trace_[120]; // 128 characters for the exemplar, less the label name "trace_id"
};

inline http_endpoint::http_endpoint(http_metrics& kit, std::string_view method,
                                    std::string_view endpoint)
    : kit_(kit), method_(method), endpoint_(endpoint),
      duration_(&kit.duration_.labels(method, endpoint)),
      request_size_(&kit.request_size_.labels(method, endpoint)),
      response_size_(&kit.response_size_.labels(method, endpoint)) {}

inline counter& http_endpoint::requests(int status) {
    const int code = normalise(status);
    const int key = code + 1;
    for (status_slot& slot : slots_) {
        int seen = slot.key.load(std::memory_order_acquire);
        if (seen == 0) {
            // Claim the free slot; if another thread claimed it first, look at what it chose.
            if (slot.key.compare_exchange_strong(seen, key, std::memory_order_acq_rel)) {
                counter& c = lookup_requests(code);
                slot.series.store(&c, std::memory_order_release);
                return c;
            }
        }
        if (seen == key) {
            if (counter* c = slot.series.load(std::memory_order_acquire)) return *c;
            return lookup_requests(code); // the claiming thread has not published it yet
        }
    }
    return lookup_requests(code);
}

inline counter& http_endpoint::lookup_requests(int code) {
    if (code == 0) return kit_.requests_.labels(method_, endpoint_, no_status);
    char buf[detail::max_number_chars];
    const std::size_t n = detail::format_uint(buf, static_cast<std::uint64_t>(code));
    return kit_.requests_.labels(method_, endpoint_, std::string_view(buf, n));
}

inline counter& http_endpoint::errors(std::string_view error_type) {
    return kit_.errors_.labels(method_, endpoint_, error_type);
}

inline void http_endpoint::record(int status, double seconds, double request_bytes,
                                  double response_bytes, std::string_view error_type) {
    requests(status).inc();
    duration_->observe(seconds);
    if (request_bytes >= 0.0) request_size_->observe(request_bytes);
    if (response_bytes >= 0.0) response_size_->observe(response_bytes);
    if (error_type.empty()) error_type = status_error(status);
    if (!error_type.empty()) errors(error_type).inc();
}

inline http_request_tracker http_endpoint::track() noexcept { return http_request_tracker(*this); }

inline http_request_tracker http_metrics::track(std::string_view method,
                                                std::string_view endpoint) {
    return http_request_tracker(*this, method, endpoint);
}

} // namespace kits
VITALS_END_NAMESPACE

#endif // VITALS_KITS_HTTP_HPP
