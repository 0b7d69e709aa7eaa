// vitals/kits/http.hpp - ready HTTP request metrics and the RAII request tracker.
// SPDX-License-Identifier: MIT
#ifndef VITALS_KITS_HTTP_HPP
#define VITALS_KITS_HTTP_HPP

#include <vitals/config.hpp>
#include <vitals/counter.hpp>
#include <vitals/detail/exclusive_lock.hpp>
#include <vitals/detail/kit_names.hpp>
#include <vitals/detail/label_hash.hpp>
#include <vitals/detail/narrow.hpp>
#include <vitals/detail/shared_mutex.hpp>
#include <vitals/detail/steady_clock.hpp>
#include <vitals/detail/utf8.hpp>
#include <vitals/family.hpp>
#include <vitals/gauge.hpp>
#include <vitals/histogram.hpp>
#include <vitals/record/http.hpp>
#include <vitals/registry.hpp>

#include <cstddef>      // size_t
#include <cstdint>      // uint64_t
#include <shared_mutex> // shared_mutex, shared_lock
#include <string>       // string
#include <string_view>  // string_view
#include <type_traits>  // enable_if_t, is_floating_point, is_integral, is_same
#include <utility>      // move
#include <vector>       // vector

VITALS_BEGIN_NAMESPACE

namespace detail {
/// An endpoint's label values, owned by its http_endpoint.
struct http_endpoint_names {
    std::string method;
    std::string endpoint;
};
} // namespace detail

namespace kits {

/// Byte bounds for payload sizes: 64 B, 256 B, 1 KiB, ... 64 MiB (factor 4, 11 bounds).
/// Allocates.
inline std::vector<double> byte_buckets() { return exponential_buckets(64.0, 4.0, 11); }

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
/// gauge gets its const labels too. A unit in it is refused (errc::invalid_argument: the kit
/// sets its families' units itself), and so is a max_label_value_bytes below 12, which would
/// send the kit's own values (`client_error`, the overflow endpoint) to the overflow series.
/// The series bound counts each family's label sets: the endpoints for the histograms, but
/// (endpoint, status) pairs for the request counter and (endpoint, error type) pairs for the error
/// counter, so leave room for those: with a bound of 100 and three statuses per endpoint, the
/// request counter reaches its bound at about 33 endpoints and counts the rest in its
/// `__overflow__` series. One label set of each histogram family is kept for the kit's overflow
/// endpoint, so a bound of N holds at most N - 1 endpoints (a bound of 1, none: every request is
/// counted under `__overflow__`). A pair with `__overflow__` as method or endpoint gets the
/// overflow endpoint too, and so does one with a name longer than max_label_value_bytes or not
/// valid UTF-8: such names come from clients, so they are not refused as errors. An empty namespace
/// drops the prefix and its underscore. Registration reports errors through the error policy (an
/// invalid namespace or const label, a conflicting family); the constructor taking a `status&` is
/// the non-throwing form. Two kits with the same namespace on one registry share the families,
/// and so their bound, while each keeps N - 1 endpoints of its own: together they can make more
/// than the families hold, and the later endpoints then record into the families' overflow
/// series (in the request counter, with status `__overflow__`), counted in
/// vitals_series_overflow_total; every request is still counted once. The kit owns its endpoint
/// handles and must outlive every http_endpoint reference and tracker taken from it; the registry
/// must outlive the kit. All members are thread-safe; construction and first lookups allocate.
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
        : http_metrics(register_families(reg, ns, options, nullptr)) {}
    /// The non-throwing form: on failure `kit_error` says why, nothing is left registered in
    /// `reg`, and the kit records into families of its own that no registry shows (freed with
    /// the kit).
    http_metrics(registry& reg, std::string_view ns, const family_options& options,
                 status& kit_error)
        : http_metrics(register_families(reg, ns, options, &kit_error)) {}

private:
    struct families {
        counter_family* requests = nullptr;
        histogram_family* duration = nullptr;
        histogram_family* request_size = nullptr;
        histogram_family* response_size = nullptr;
        counter_family* errors = nullptr;
        gauge* in_flight = nullptr;
        registry* detached = nullptr; // owned: where a kit that failed to register records
    };

    // Registers the families in `reg`, all or nothing: when one fails, those made before it
    // are withdrawn. Then the error goes through the error policy, or (with `error`) into
    // *error, and the families are made in a registry of the kit's own.
    static families register_families(registry& reg, std::string_view ns,
                                      const family_options& options, status* error) {
        families f;
        status st = try_register(reg, ns, options, f);
        if (!st) {
            if (!error) detail::fail(st);
            *error = std::move(st);
            f.detached = new registry();
            // Cannot fail: valid names and default options, in an empty registry.
            (void)try_register(*f.detached, {}, {}, f);
        }
        return f;
    }

    static status try_register(registry& reg, std::string_view ns, const family_options& options,
                               families& f) {
        status st = detail::kit_check_unit(options, "http", ns);
        if (!st) return st;
        // The longest of the kit's own values, with server_error and __overflow__ (12 bytes).
        st = detail::kit_check_value_bytes(options, "http", ns, client_error_type);
        if (!st) return st;
        st = detail::kit_check_const_labels(options.const_labels,
                                            {"method", "endpoint", "status", "error_type"}, true);
        if (!st) return st;
        detail::kit_registration all_or_nothing(reg);
        auto requests = reg.try_counter(detail::kit_metric_name(ns, "http_requests_total"),
                                        "HTTP requests, by method, endpoint and status code.",
                                        {"method", "endpoint", "status"}, options);
        if (!requests) return requests.error();
        auto duration = reg.try_histogram(
            detail::kit_metric_name(ns, "http_request_duration_seconds"),
            "HTTP request duration in seconds, by method and endpoint.", {"method", "endpoint"},
            default_buckets(), detail::with_unit(options, "seconds"));
        if (!duration) return duration.error();
        auto request_size = reg.try_histogram(
            detail::kit_metric_name(ns, "http_request_size_bytes"),
            "HTTP request body size in bytes, by method and endpoint.", {"method", "endpoint"},
            byte_buckets(), detail::with_unit(options, "bytes"));
        if (!request_size) return request_size.error();
        auto response_size = reg.try_histogram(
            detail::kit_metric_name(ns, "http_response_size_bytes"),
            "HTTP response body size in bytes, by method and endpoint.", {"method", "endpoint"},
            byte_buckets(), detail::with_unit(options, "bytes"));
        if (!response_size) return response_size.error();
        auto errors = reg.try_counter(detail::kit_metric_name(ns, "http_errors_total"),
                                      "HTTP request errors, by method, endpoint and error type.",
                                      {"method", "endpoint", "error_type"}, options);
        if (!errors) return errors.error();
        auto in_flight = reg.try_gauge(detail::kit_metric_name(ns, "http_requests_in_flight"),
                                       "HTTP requests started and not yet finished.", {}, options);
        if (!in_flight) return in_flight.error();
        all_or_nothing.commit(); // all registered
        f.requests = &*requests;
        f.duration = &*duration;
        f.request_size = &*request_size;
        f.response_size = &*response_size;
        f.errors = &*errors;
        f.in_flight = &in_flight->labels();
        return {};
    }

    explicit http_metrics(const families& f)
        : requests_(*f.requests), duration_(*f.duration), request_size_(*f.request_size),
          response_size_(*f.response_size), errors_(*f.errors), in_flight_(*f.in_flight),
          max_endpoints_(duration_.options().max_series),
          max_value_bytes_(duration_.options().max_label_value_bytes), detached_(f.detached) {
        // Every tracked request raises and lowers it, from every worker thread.
        detail::enable_gauge_cells(in_flight_);
    }

public:
    http_metrics(const http_metrics&) = delete;
    http_metrics& operator=(const http_metrics&) = delete;
    ~http_metrics() {
        for (std::size_t i = 0; i < table_size_; ++i) delete table_[i];
        delete[] table_;
        while (pending_pair* p = pending_) {
            pending_ = p->next;
            delete p;
        }
        delete overflow_;
        delete detached_; // after the endpoints, whose series it holds
    }

    /// The cached handles of one (method, endpoint) pair, created on first use. Takes a
    /// reader lock; the first call for a pair also takes a writer lock twice, briefly, and
    /// allocates. The pair's series are made between the two, with no lock of the kit held:
    /// making them waits for the scrapes running, whose output sinks may record through this
    /// kit. Past the families' series bound, new pairs share one endpoint labelled
    /// `__overflow__` (under the reader lock alone, once it exists), and so do pairs with a
    /// name longer than the families' max_label_value_bytes (a raw URL), pairs with a name
    /// that is not valid UTF-8 (the families would show "\xff" and "\xfe" both as U+FFFD, one
    /// series for two endpoints), and pairs with `__overflow__` as method or endpoint: the
    /// kit's overflow endpoint is the one holding that name, and it takes no room from the
    /// bound. Names come from clients: none is refused through the error policy. Threads racing for
    /// the same new pair get the same endpoint; pairs being made count against the bound.
    /// The endpoint belongs to the kit (Clang warns when one is kept from a temporary kit).
    http_endpoint& endpoint(std::string_view method,
                            std::string_view endpoint) VITALS_DETAIL_LIFETIMEBOUND {
        // The hash reads every byte: a name over the bound (a raw URL, a flood of them) goes
        // to the overflow endpoint unread.
        if (VITALS_DETAIL_UNLIKELY(method.size() > max_value_bytes_ ||
                                   endpoint.size() > max_value_bytes_))
            return redirected(overflow_endpoint());
        const std::string_view vals[2] = {method, endpoint};
        const std::uint64_t h = detail::hash_label_values(vals, 2, hash_key_);
        http_endpoint* shared = nullptr; // the overflow endpoint, when the pair goes there
        {
            std::shared_lock<std::shared_mutex> lock(mutex_);
            if (http_endpoint* ep = find(method, endpoint, h)) return *ep;
            // Past the bound no endpoint is made any more: a new pair (raw URLs, a scan) gets
            // the overflow endpoint without queueing every worker behind the writer lock.
            // Endpoints alone, since a pair being made is not in the table yet: once they
            // fill the bound, no pair is being made.
            if (overflow_ && endpoint_count_ + 1 >= max_endpoints_) shared = overflow_;
        }
        if (shared) return redirected(*shared);
        // Names no endpoint holds, so checked only when the lookup missed.
        if (VITALS_DETAIL_UNLIKELY(!fits(method) || !fits(endpoint)))
            return redirected(overflow_endpoint());
        bool overflow;
        {
            detail::exclusive_lock lock(mutex_);
            if (http_endpoint* ep = find(method, endpoint, h)) return *ep;
            overflow = !join_pending(method, endpoint, h);
            if (overflow) shared = overflow_;
        }
        if (overflow) return redirected(shared ? *shared : overflow_endpoint());
        pending_maker maker(*this, method, endpoint, h);
        maker.made = new http_endpoint(*this, method, endpoint);
        maker.made->hash_ = h;
        detail::exclusive_lock lock(mutex_);
        // Another thread making the same pair may have finished first: its series are ours.
        if (http_endpoint* ep = find(method, endpoint, h)) {
            maker.finished = true; // the thread that inserted it ended the pair's making
            return *ep;            // and the maker frees its copy
        }
        reserve_one(); // then nothing below throws once the endpoint exists
        http_endpoint* ep = maker.made;
        insert(ep);
        finish_pending(method, endpoint, h);
        maker.made = nullptr;
        maker.finished = true;
        return *ep;
    }

    /// Starts tracking a request (one endpoint lookup; see endpoint()).
    [[nodiscard]] http_request_tracker track(std::string_view method, std::string_view endpoint) &;
    /// track() on a kit made in the same statement does not compile: the tracker records into
    /// the kit's endpoint when it is destroyed, after the kit.
    template <class Kit = http_metrics>
    http_request_tracker track(std::string_view method, std::string_view endpoint) && {
        static_assert(!std::is_same<Kit, Kit>::value,
                      "vitals: http_metrics(...).track() records into a kit destroyed at the end "
                      "of the statement; keep the kit in a variable or member: "
                      "vitals::kits::http_metrics http(reg, \"app\"); auto t = http.track(...);");
        return static_cast<Kit&>(*this).track(method, endpoint);
    }

    /// Records one finished request; see http_endpoint::record().
    void record(std::string_view method, std::string_view endpoint, int status, double seconds,
                double request_bytes = -1.0, double response_bytes = -1.0,
                std::string_view error_type = {}) {
        this->endpoint(method, endpoint)
            .record(status, seconds, request_bytes, response_bytes, error_type);
    }
    /// record(method, endpoint, seconds, status, ...), the last two swapped, would convert
    /// both silently (status 0, a duration of 200 seconds): it does not compile.
    template <
        class Seconds, class StatusCode,
        std::enable_if_t<
            std::is_floating_point<Seconds>::value && std::is_integral<StatusCode>::value, int> = 0>
    void record(std::string_view, std::string_view, Seconds, StatusCode, double = -1.0,
                double = -1.0, std::string_view = {}) {
        static_assert(!std::is_floating_point<Seconds>::value,
                      "http_metrics::record takes the method, the endpoint, the status, then the "
                      "seconds");
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
    template <class Full>
    friend struct detail::include_http_hpp;

    http_endpoint* find(std::string_view method, std::string_view endpoint,
                        std::uint64_t h) const noexcept {
        if (table_size_ == 0) return nullptr;
        const std::size_t mask = table_size_ - 1;
        for (std::size_t i = detail::narrow<std::size_t>(h) & mask;; i = (i + 1) & mask) {
            http_endpoint* ep = table_[i];
            if (!ep) return nullptr;
            if (ep->hash_ == h && ep->names_->method == method && ep->names_->endpoint == endpoint)
                return ep;
        }
    }

    // Whether `v` (at most max_value_bytes_ long) can name an endpoint of its own: not
    // `__overflow__`, and valid UTF-8. The families show invalid bytes as U+FFFD, so two names
    // differing only there would be two endpoints of the kit with the same series (and a name
    // could grow past the bound as shown).
    bool fits(std::string_view v) const noexcept {
        return v != overflow_label_value && !detail::has_invalid_utf8(v);
    }

    // Whether a new pair must use the overflow endpoint: one series of each histogram
    // family stays free for it. Under a lock of mutex_.
    bool bound_reached() const noexcept {
        return endpoint_count_ + pending_count_ + 1 >= max_endpoints_;
    }

    // A lookup sent to the overflow endpoint, counted once, under the requests family, in
    // vitals_series_overflow_total: the kit's families never see it, since the endpoint
    // holds their series. Called with no lock of the kit held: the first count makes the
    // counter's series, which waits for the scrapes running, whose sinks may use this kit.
    http_endpoint& redirected(http_endpoint& overflow) {
        detail::include_family_hpp<void>::count_overflow(requests_);
        return overflow;
    }

    // The endpoint labelled `__overflow__`, made on first use with no lock of the kit held
    // (see endpoint()). Threads racing to make it free all copies but the first.
    http_endpoint& overflow_endpoint() {
        {
            std::shared_lock<std::shared_mutex> lock(mutex_);
            if (overflow_) return *overflow_;
        }
        http_endpoint* made = new http_endpoint(*this, overflow_label_value, overflow_label_value);
        http_endpoint* kept;
        {
            detail::exclusive_lock lock(mutex_);
            if (!overflow_) overflow_ = made;
            kept = overflow_;
        }
        if (kept != made) delete made;
        return *kept;
    }

    // A new pair some threads are making (see endpoint()): it counts against the bound
    // until it is inserted, however many threads make it.
    struct pending_pair {
        std::uint64_t hash;
        std::string method;
        std::string endpoint;
        int makers;
        pending_pair* next; // a list: there are few at a time
    };

    // The link that points at the pair, or at null when it is not being made.
    pending_pair** find_pending(std::string_view method, std::string_view endpoint,
                                std::uint64_t h) noexcept {
        pending_pair** link = &pending_;
        while (*link &&
               !((*link)->hash == h && (*link)->method == method && (*link)->endpoint == endpoint))
            link = &(*link)->next;
        return link;
    }

    // Under the writer lock: counts the calling thread among the pair's makers, or returns
    // false when the pair is not being made and the bound leaves no room for it.
    bool join_pending(std::string_view method, std::string_view endpoint, std::uint64_t h) {
        if (pending_pair* p = *find_pending(method, endpoint, h)) {
            ++p->makers;
            return true;
        }
        if (bound_reached()) return false;
        pending_ = new pending_pair{h, std::string(method), std::string(endpoint), 1, pending_};
        ++pending_count_;
        return true;
    }

    // Under the writer lock: the pair is inserted, or (`leaving`) one maker gave up. A pair
    // whose making failed keeps its room: some of its series may exist already (the families
    // count them), and the next call for it completes it.
    void finish_pending(std::string_view method, std::string_view endpoint, std::uint64_t h,
                        bool leaving = false) noexcept {
        pending_pair** link = find_pending(method, endpoint, h);
        pending_pair* p = *link;
        if (!p) return;
        if (leaving) {
            --p->makers;
            return;
        }
        *link = p->next;
        --pending_count_;
        delete p;
    }

    // One thread's part in making a pair: on every way out but success it frees the copy it
    // made and gives its part up (the pair still counts against the bound).
    struct pending_maker {
        http_metrics& kit;
        std::string_view method;
        std::string_view endpoint;
        std::uint64_t hash;
        http_endpoint* made = nullptr;
        bool finished = false;
        pending_maker(http_metrics& k, std::string_view m, std::string_view e,
                      std::uint64_t h) noexcept
            : kit(k), method(m), endpoint(e), hash(h) {}
        pending_maker(const pending_maker&) = delete;
        pending_maker& operator=(const pending_maker&) = delete;
        ~pending_maker() {
            delete made;
            if (finished) return;
            detail::exclusive_lock lock(kit.mutex_);
            kit.finish_pending(method, endpoint, hash, true);
        }
    };

    // Makes room for one more endpoint in table_.
    void reserve_one() {
        if ((endpoint_count_ + 1) * 2 <= table_size_) return;
        const std::size_t size = table_size_ == 0 ? 16 : table_size_ * 2;
        http_endpoint** bigger = new http_endpoint*[size]();
        const std::size_t mask = size - 1;
        for (std::size_t k = 0; k < table_size_; ++k) {
            if (http_endpoint* old = table_[k]) {
                std::size_t i = detail::narrow<std::size_t>(old->hash_) & mask;
                while (bigger[i]) i = (i + 1) & mask;
                bigger[i] = old;
            }
        }
        delete[] table_;
        table_ = bigger;
        table_size_ = size;
    }

    void insert(http_endpoint* ep) noexcept {
        const std::size_t mask = table_size_ - 1;
        std::size_t i = detail::narrow<std::size_t>(ep->hash_) & mask;
        while (table_[i]) i = (i + 1) & mask;
        table_[i] = ep;
        ++endpoint_count_;
    }

    counter_family& requests_;
    histogram_family& duration_;
    histogram_family& request_size_;
    histogram_family& response_size_;
    counter_family& errors_;
    gauge& in_flight_;
    std::size_t max_endpoints_;
    std::size_t max_value_bytes_;
    registry* detached_; // owned, null once registered: see register_families()

    mutable detail::shared_mutex mutex_;
    // The endpoints, owned: open addressing by hash, in an array rather than a std::vector,
    // whose members every file including this header would instantiate.
    http_endpoint** table_ = nullptr;
    std::size_t table_size_ = 0;      // a power of two, or 0
    std::size_t endpoint_count_ = 0;  // in table_
    pending_pair* pending_ = nullptr; // new pairs being made, without the lock; owned
    std::size_t pending_count_ = 0;
    http_endpoint* overflow_ = nullptr; // owned
    // The table's hash key, kept with it: code of another module (a DLL, a shared library
    // with hidden symbols) has its own detail::hash_secret().
    const std::uint64_t hash_key_ = detail::hash_secret();
};

} // namespace kits

namespace detail {

/// The HTTP kit's members that need its registry side (see record/http.hpp).
template <class Full>
struct include_http_hpp {
    static const http_endpoint_names& names(const kits::http_endpoint& ep) noexcept {
        return *ep.names_;
    }

    static counter& requests(kits::http_endpoint& ep, int code) {
        kits::http_metrics& kit = *ep.kit_;
        if (code == 0)
            return kit.requests_.labels(ep.names_->method, ep.names_->endpoint, kits::no_status);
        char buf[max_number_chars];
        const std::size_t n = format_uint(buf, static_cast<std::uint64_t>(code));
        return kit.requests_.labels(ep.names_->method, ep.names_->endpoint,
                                    std::string_view(buf, n));
    }

    static counter& errors(kits::http_endpoint& ep, std::string_view error_type) {
        return ep.kit_->errors_.labels(ep.names_->method, ep.names_->endpoint, error_type);
    }

    static constexpr kits::http_endpoint::hooks table{&requests, &errors, &steady_now_ns};
};

} // namespace detail

namespace kits {

inline http_endpoint::http_endpoint(http_metrics& kit, std::string_view method,
                                    std::string_view endpoint)
    : hooks_(&detail::include_http_hpp<void>::table), in_flight_(&kit.in_flight_), kit_(&kit),
      duration_(&kit.duration_.labels(method, endpoint)),
      request_size_(&kit.request_size_.labels(method, endpoint)),
      response_size_(&kit.response_size_.labels(method, endpoint)),
      names_(new detail::http_endpoint_names{std::string(method), std::string(endpoint)}) {}

inline http_endpoint::~http_endpoint() { delete names_; }

inline http_request_tracker http_metrics::track(std::string_view method,
                                                std::string_view endpoint) & {
    return http_request_tracker(*this, method, endpoint);
}

} // namespace kits
VITALS_END_NAMESPACE

#endif // VITALS_KITS_HTTP_HPP
