// vitals/kits/cache.hpp - ready cache metrics with a hit rate computed at scrape time.
// SPDX-License-Identifier: MIT
#ifndef VITALS_KITS_CACHE_HPP
#define VITALS_KITS_CACHE_HPP

#include <vitals/config.hpp>
#include <vitals/counter.hpp>
#include <vitals/detail/kit_names.hpp>
#include <vitals/family.hpp>
#include <vitals/gauge.hpp>
#include <vitals/registry.hpp>

#include <cstdint>     // uint64_t
#include <string>      // string
#include <string_view> // string_view

VITALS_BEGIN_NAMESPACE
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
/// An empty namespace drops the prefix. Registration reports errors through the error
/// policy. Create one kit per namespace and registry: a second kit with the same namespace
/// shares the counters but would add a second hit-rate collector, and the exposition would
/// show the hit-rate family twice. The kit may be destroyed before the registry (the
/// collector only refers to the registry's counters). Recording is thread-safe, lock-free
/// and does not allocate; construction allocates.
class cache_metrics {
public:
    cache_metrics(registry& reg, std::string_view ns)
        : hits_(reg.counter(detail::kit_metric_name(ns, "cache_hits_total"),
                            "Cache lookups that found the entry.")),
          misses_(reg.counter(detail::kit_metric_name(ns, "cache_misses_total"),
                              "Cache lookups that did not find the entry.")),
          evictions_(reg.counter(detail::kit_metric_name(ns, "cache_evictions_total"),
                                 "Entries removed from the cache to make room.")),
          size_(reg.gauge(detail::kit_metric_name(ns, "cache_size"),
                          "Entries currently held in the cache.")) {
        counter& hits = hits_;
        counter& misses = misses_;
        reg.add_collector([name = detail::kit_metric_name(ns, "cache_hit_rate"), &hits,
                           &misses](collector_output& out) {
            out.gauge(name,
                      "Cache hits over lookups (hits + misses) since start, 0..1; 0 before "
                      "the first lookup.",
                      ratio(hits, misses));
        });
    }

    cache_metrics(const cache_metrics&) = delete;
    cache_metrics& operator=(const cache_metrics&) = delete;

    /// Counts `n` lookups that hit.
    void hit(std::uint64_t n = 1) noexcept { hits_.inc_by(n); }
    /// Counts `n` lookups that missed.
    void miss(std::uint64_t n = 1) noexcept { misses_.inc_by(n); }
    /// Counts `n` evictions.
    void evicted(std::uint64_t n = 1) noexcept { evictions_.inc_by(n); }
    /// Sets the current cache size.
    void set_size(double entries) noexcept { size_.set(entries); }

    /// hits / (hits + misses) now: the value the next scrape shows; 0 with no lookups.
    double hit_rate() const noexcept { return ratio(hits_, misses_); }

    counter& hits() noexcept { return hits_; }
    counter& misses() noexcept { return misses_; }
    counter& evictions() noexcept { return evictions_; }
    gauge& size() noexcept { return size_; }

private:
    static double ratio(const counter& hits, const counter& misses) noexcept {
        const double h = hits.value();
        const double total = h + misses.value();
        return total > 0.0 ? h / total : 0.0;
    }

    counter& hits_;
    counter& misses_;
    counter& evictions_;
    gauge& size_;
};

} // namespace kits
VITALS_END_NAMESPACE

#endif // VITALS_KITS_CACHE_HPP
