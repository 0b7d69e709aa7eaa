// vitals/record/cache.hpp - the cache kit's class, with its recording calls, for code that only
// records; registering the kit and its scrape-time hit rate are in <vitals/kits/cache.hpp>.
// SPDX-License-Identifier: MIT
#ifndef VITALS_RECORD_CACHE_HPP
#define VITALS_RECORD_CACHE_HPP

#include <vitals/config.hpp>
#include <vitals/counter.hpp>
#include <vitals/detail/kit_claim.hpp>
#include <vitals/record/gauge.hpp>

#include <cstdint>     // uint64_t
#include <string_view> // string_view

VITALS_BEGIN_NAMESPACE

class registry;
struct family_options;
class status;

namespace detail {
/// Defined by <vitals/kits/cache.hpp>: registering the cache kit's families. A translation
/// unit that includes only the light headers and constructs a cache_metrics fails to compile
/// naming this type.
template <class Full>
struct include_cache_hpp;

/// hits / (hits + misses), or 0 with no lookups.
inline double cache_hit_ratio(const counter& hits, const counter& misses) noexcept {
    const double h = hits.value();
    const double total = h + misses.value();
    return total > 0.0 ? h / total : 0.0;
}
} // namespace detail

namespace kits {

/// The cache metric set of the catalogue, under a namespace prefix `NS`:
///
/// - `NS_cache_hits_total`, `NS_cache_misses_total`, `NS_cache_evictions_total` counters
/// - `NS_cache_size` gauge (entries, or whatever unit the cache counts in)
/// - `NS_cache_hit_rate` gauge: hits / (hits + misses) since start, a ratio 0..1, computed
///   from the two counters at every scrape (a collector), so it can never disagree with
///   them. With no lookups yet it is 0, not NaN. For a rate over a recent window use
///   PromQL: `rate(NS_cache_hits_total[5m]) / (rate(NS_cache_hits_total[5m]) +
///   rate(NS_cache_misses_total[5m]))`.
///
/// A service with several caches gives each kit the same namespace and its own const labels,
/// `options.const_labels` (for example {{"cache", "users"}} and {{"cache", "sessions"}}):
/// every family then has those label names and one series per cache, and the hit rate one
/// sample per cache. `options.max_series` bounds the number of caches: past it a kit
/// records into the families' overflow series (label values `__overflow__`), shared with
/// every other kit past it (so it is not refused as a duplicate), and the hit rate shows
/// one `__overflow__` sample for them all; a kit given the value `__overflow__` itself, an
/// empty value (Prometheus reads it as no label), one longer than max_label_value_bytes or
/// one that is not valid UTF-8 (either would share a series with other kits) is refused
/// (errc::invalid_argument). An empty namespace drops the prefix.
///
/// Registration reports errors through the error policy: an invalid namespace or label, a
/// unit in the options (errc::invalid_argument: the kit sets its families' units itself), a
/// family of the same name defined differently (other const label names, another type), or
/// a second live kit with the same namespace and the same const labels on the registry
/// (errc::conflicting_registration: it would silently share the first one's counters). The
/// constructor taking a `status&` is the non-throwing form. A kit that is destroyed gives
/// its labels up: a later kit with the same labels continues its counters. The registry
/// must outlive the kit; the hit rate stays in the exposition after the kit is gone.
/// Recording is thread-safe, lock-free and does not allocate; construction allocates.
///
/// The recording calls and the series accessors work with only <vitals/record.hpp>; the
/// constructors are defined by <vitals/kits/cache.hpp>.
class cache_metrics {
public:
    /// Registers the families of namespace `kit_namespace` (or joins them) and takes the
    /// series of the cache named by `kit_options.const_labels`. Errors go through the error
    /// policy.
    // Templates, defined by <vitals/kits/cache.hpp>. Their parameters have names a program is
    // unlikely to give a global: GCC's -Wshadow compares a constructor template's parameters
    // with the names visible where it is instantiated, in the program's code.
    template <class Full = void>
    cache_metrics(registry& kit_registry, std::string_view kit_namespace) {
        detail::include_cache_hpp<Full>::make(*this, kit_registry, kit_namespace, {});
    }
    template <class Full = void>
    cache_metrics(registry& kit_registry, std::string_view kit_namespace,
                  const family_options& kit_options) {
        detail::include_cache_hpp<Full>::make(*this, kit_registry, kit_namespace, kit_options);
    }
    /// The non-throwing form: on failure `kit_error` says why and the kit records into metrics
    /// of its own that no registry shows (freed with the kit).
    template <class Full = void>
    cache_metrics(registry& kit_registry, std::string_view kit_namespace,
                  const family_options& kit_options, status& kit_error) {
        kit_error =
            detail::include_cache_hpp<Full>::init(*this, kit_registry, kit_namespace, kit_options);
    }

    cache_metrics(const cache_metrics&) = delete;
    cache_metrics& operator=(const cache_metrics&) = delete;
    ~cache_metrics() = default; // claim_ gives the labels up

    /// Counts `n` lookups that hit.
    void hit(std::uint64_t n = 1) noexcept { hits_->inc_by(n); }
    /// Counts `n` lookups that missed.
    void miss(std::uint64_t n = 1) noexcept { misses_->inc_by(n); }
    /// Counts `n` entries evicted (removed to make room): `NS_cache_evictions_total`.
    void eviction(std::uint64_t n = 1) noexcept { evictions_->inc_by(n); }
    /// The earlier name of eviction(); same effect.
    void evicted(std::uint64_t n = 1) noexcept { eviction(n); }
    /// Sets the current cache size.
    void set_size(double entries) noexcept { size_->set(entries); }

    /// hits / (hits + misses) now: the value the next scrape shows; 0 with no lookups.
    double hit_rate() const noexcept { return detail::cache_hit_ratio(*hits_, *misses_); }

    /// The series behind the recording calls (`NS_cache_hits_total` and so on).
    counter& hits() noexcept { return *hits_; }
    counter& misses() noexcept { return *misses_; }
    counter& evictions() noexcept { return *evictions_; }
    gauge& size() noexcept { return *size_; }

private:
    template <class Full>
    friend struct detail::include_cache_hpp;

    counter* hits_ = nullptr;
    counter* misses_ = nullptr;
    counter* evictions_ = nullptr;
    gauge* size_ = nullptr;
    detail::kit_detached_ref detached_; // what a refused kit records into
    detail::kit_claim_ref claim_;       // this kit's labels in the group of caches of its namespace
};

} // namespace kits
VITALS_END_NAMESPACE

#endif // VITALS_RECORD_CACHE_HPP
