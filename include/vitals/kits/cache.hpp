// vitals/kits/cache.hpp - ready cache metrics with a hit rate computed at scrape time.
// SPDX-License-Identifier: MIT
#ifndef VITALS_KITS_CACHE_HPP
#define VITALS_KITS_CACHE_HPP

#include <vitals/config.hpp>
#include <vitals/counter.hpp>
#include <vitals/detail/kit_instances.hpp>
#include <vitals/detail/kit_names.hpp>
#include <vitals/family.hpp>
#include <vitals/gauge.hpp>
#include <vitals/registry.hpp>

#include <cstddef>     // size_t
#include <cstdint>     // uint64_t
#include <string>      // string
#include <string_view> // string_view
#include <vector>      // vector

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
/// A service with several caches gives each kit the same namespace and its own const labels,
/// `options.const_labels` (for example {{"cache", "users"}} and {{"cache", "sessions"}}):
/// every family then has those label names and one series per cache, and the hit rate one
/// sample per cache. `options.max_series` bounds the number of caches. An empty namespace
/// drops the prefix.
///
/// Registration reports errors through the error policy: an invalid namespace or label, a
/// family of the same name defined differently (other const label names, another type), or
/// a second live kit with the same namespace and the same const labels on the registry
/// (errc::conflicting_registration: it would silently share the first one's counters). The
/// constructor taking a `status&` is the non-throwing form. A kit that is destroyed gives
/// its labels up: a later kit with the same labels continues its counters. The registry
/// must outlive the kit; the hit rate stays in the exposition after the kit is gone.
/// Recording is thread-safe, lock-free and does not allocate; construction allocates.
class cache_metrics {
public:
    /// Registers the families of namespace `ns` (or joins them) and takes the series of the
    /// cache named by `options.const_labels`. Errors go through the error policy.
    cache_metrics(registry& reg, std::string_view ns, const family_options& options = {}) {
        const status st = init(reg, ns, options);
        if (!st) detail::fail(st);
    }
    /// The non-throwing form: on failure `error` says why and the kit records into metrics
    /// that no registry shows.
    cache_metrics(registry& reg, std::string_view ns, const family_options& options,
                  status& error) {
        error = init(reg, ns, options);
    }

    cache_metrics(const cache_metrics&) = delete;
    cache_metrics& operator=(const cache_metrics&) = delete;
    ~cache_metrics() {
        if (claimed_) group_->unclaim(labels_);
    }

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
    double hit_rate() const noexcept { return ratio(*hits_, *misses_); }

    /// The series behind the recording calls (`NS_cache_hits_total` and so on).
    counter& hits() noexcept { return *hits_; }
    counter& misses() noexcept { return *misses_; }
    counter& evictions() noexcept { return *evictions_; }
    gauge& size() noexcept { return *size_; }

private:
    static double ratio(const counter& hits, const counter& misses) noexcept {
        const double h = hits.value();
        const double total = h + misses.value();
        return total > 0.0 ? h / total : 0.0;
    }

    // Writes NS_cache_hit_rate with one sample per cache of the group, at every scrape.
    struct hit_rate_collector {
        detail::kit_instances_ref group;
        std::string name;
        void operator()(collector_output& out) const {
            if (!out.family(name,
                            "Cache hits over lookups (hits + misses) since start, 0..1; 0 "
                            "before the first lookup.",
                            metric_type::gauge))
                return;
            group->for_each([&out](const detail::kit_instances::member& m) {
                constexpr std::size_t inline_labels = 8;
                collector_output::label_view views[inline_labels];
                std::vector<collector_output::label_view> more;
                collector_output::label_view* v = views;
                if (m.labels.size() > inline_labels) {
                    more.resize(m.labels.size());
                    v = more.data();
                }
                for (std::size_t i = 0; i < m.labels.size(); ++i)
                    v[i] = {m.labels[i].first, m.labels[i].second};
                out.sample(ratio(*m.hits, *m.misses), v, m.labels.size());
            });
        }
    };

    status init(registry& reg, std::string_view ns, const family_options& options) {
        hits_ = misses_ = evictions_ = &detail::detached_metric<counter>();
        size_ = &detail::detached_metric<gauge>();
        family_options family_opts;
        family_opts.max_series = options.max_series;
        const std::vector<std::string> names = detail::kit_label_names(options.const_labels);
        const auto hits =
            reg.try_counter(detail::kit_metric_name(ns, "cache_hits_total"),
                            "Cache lookups that found the entry.", names, family_opts);
        if (!hits) return hits.error();
        const auto misses =
            reg.try_counter(detail::kit_metric_name(ns, "cache_misses_total"),
                            "Cache lookups that did not find the entry.", names, family_opts);
        if (!misses) return misses.error();
        const auto evictions =
            reg.try_counter(detail::kit_metric_name(ns, "cache_evictions_total"),
                            "Entries removed from the cache to make room.", names, family_opts);
        if (!evictions) return evictions.error();
        const auto size = reg.try_gauge(detail::kit_metric_name(ns, "cache_size"),
                                        "Entries currently held in the cache.", names, family_opts);
        if (!size) return size.error();

        const std::vector<std::string> values = detail::kit_label_values(options.const_labels);
        counter& h = hits->labels(values);
        counter& m = misses->labels(values);
        bool created = false;
        group_.reset(detail::kit_instances::acquire(&*hits, &created));
        if (created)
            reg.add_collector(
                hit_rate_collector{group_, detail::kit_metric_name(ns, "cache_hit_rate")});
        status st = group_->claim(options.const_labels, &h, &m,
                                  detail::kit_description("cache", ns, options.const_labels));
        if (!st) return st;
        claimed_ = true;
        labels_ = options.const_labels;
        hits_ = &h;
        misses_ = &m;
        evictions_ = &evictions->labels(values);
        size_ = &size->labels(values);
        return {};
    }

    counter* hits_;
    counter* misses_;
    counter* evictions_;
    gauge* size_;
    detail::kit_instances_ref group_;
    std::vector<label> labels_;
    bool claimed_ = false;
};

} // namespace kits
VITALS_END_NAMESPACE

#endif // VITALS_KITS_CACHE_HPP
