// vitals/kits/cache.hpp - ready cache metrics with a hit rate computed at scrape time: the
// registration of cache_metrics (the class itself is in <vitals/record/cache.hpp>).
// SPDX-License-Identifier: MIT
#ifndef VITALS_KITS_CACHE_HPP
#define VITALS_KITS_CACHE_HPP

#include <vitals/config.hpp>
#include <vitals/counter.hpp>
#include <vitals/detail/kit_instances.hpp>
#include <vitals/detail/kit_names.hpp>
#include <vitals/family.hpp>
#include <vitals/gauge.hpp>
#include <vitals/record/cache.hpp>
#include <vitals/registry.hpp>

#include <cstddef>     // size_t
#include <string>      // string
#include <string_view> // string_view
#include <vector>      // vector

VITALS_BEGIN_NAMESPACE
namespace detail {

/// Writes NS_cache_hit_rate with one sample per cache of the group, at every scrape.
struct cache_hit_rate_collector {
    kit_instances_ref group;
    std::string name;
    void operator()(collector_output& out) const {
        if (!out.family(name,
                        "Cache hits over lookups (hits + misses) since start, 0..1; 0 "
                        "before the first lookup.",
                        metric_type::gauge))
            return;
        // Copied under the group's lock and written after it: the output's sink may wait for
        // another thread's nested render, and where std::shared_mutex queues new readers
        // behind a waiting writer (a cache kit being destroyed), that render would wait here.
        std::vector<std::string> texts; // each cache's label names and values, in turn
        std::vector<std::size_t> ends;  // where each cache's labels end in `texts`
        std::vector<double> ratios;
        group->for_each([&](const kit_instances::member& m) {
            for (const label& l : m.labels) {
                texts.push_back(l.first);
                texts.push_back(l.second);
            }
            const std::size_t i = ratios.size();
            detail::grow_to_index(ends, i, 8); // not push_back: see grow_to_index
            ends[i] = texts.size();
            ratios.push_back(cache_hit_ratio(*m.hits, *m.misses));
        });
        // Up to 8 labels a cache (nearly always) are viewed on the stack; more, on the heap
        // (an array, not a std::vector of views, whose members every file including this
        // header would instantiate).
        constexpr std::size_t inline_labels = 8;
        collector_output::label_view views[inline_labels];
        struct heap_views {
            collector_output::label_view* data = nullptr;
            ~heap_views() { delete[] data; }
        } more;
        std::size_t begin = 0;
        for (std::size_t i = 0; i < ratios.size(); begin = ends[i++]) {
            const std::size_t count = (ends[i] - begin) / 2;
            collector_output::label_view* v = views;
            if (count > inline_labels) {
                if (!more.data) // room for any cache's labels: all of them
                    more.data = new collector_output::label_view[texts.size() / 2];
                v = more.data;
            }
            for (std::size_t k = 0; k < count; ++k)
                v[k] = {texts[begin + 2 * k], texts[begin + 2 * k + 1]};
            out.sample(ratios[i], v, count);
        }
    }
};

/// The cache kit's registration (see record/cache.hpp).
template <class Full>
struct include_cache_hpp {
    static void make(kits::cache_metrics& kit, registry& reg, std::string_view ns,
                     const family_options& options) {
        const status st = init(kit, reg, ns, options);
        if (!st) fail(st);
    }

    // What a refused cache kit records into.
    struct detached {
        counter hits, misses, evictions;
        gauge size;
    };

    static status init(kits::cache_metrics& kit, registry& reg, std::string_view ns,
                       const family_options& options) {
        status st = register_kit(kit, reg, ns, options);
        if (!st) {
            auto* own = new detached();
            kit.detached_.hold(own, [](void* p) noexcept { delete static_cast<detached*>(p); });
            kit.hits_ = &own->hits;
            kit.misses_ = &own->misses;
            kit.evictions_ = &own->evictions;
            kit.size_ = &own->size;
        }
        return st;
    }

    // Registers the families and takes the kit's series; on failure sets none of them.
    static status register_kit(kits::cache_metrics& kit, registry& reg, std::string_view ns,
                               const family_options& options) {
        family_options family_opts; // the const labels are the families' label names here
        family_opts.max_series = options.max_series;
        family_opts.max_label_value_bytes = options.max_label_value_bytes;
        status checked = kit_check_unit(options, "cache", ns);
        if (!checked) return checked;
        checked = kit_check_label_values(options.const_labels, family_opts.max_label_value_bytes);
        if (!checked) return checked;
        const std::vector<std::string> names = kit_label_names(options.const_labels);
        kit_registration all_or_nothing(reg); // a later family's error withdraws the first ones
        const auto hits =
            reg.try_counter(kit_metric_name(ns, "cache_hits_total"),
                            "Cache lookups that found the entry.", names, family_opts);
        if (!hits) return hits.error();
        const auto misses =
            reg.try_counter(kit_metric_name(ns, "cache_misses_total"),
                            "Cache lookups that did not find the entry.", names, family_opts);
        if (!misses) return misses.error();
        const auto evictions =
            reg.try_counter(kit_metric_name(ns, "cache_evictions_total"),
                            "Entries removed from the cache to make room.", names, family_opts);
        if (!evictions) return evictions.error();
        const auto size = reg.try_gauge(kit_metric_name(ns, "cache_size"),
                                        "Entries currently held in the cache.", names, family_opts);
        if (!size) return size.error();
        // The hit rate is written by a collector at each scrape, not registered: its name is
        // reserved, so that neither an earlier nor a later registration takes it silently.
        status hit_rate = registry_access::reserve_collected(
            reg, {{metric_type::gauge, kit_metric_name(ns, "cache_hit_rate")}},
            "the cache kits of namespace '" + std::string(ns) + '\'', true);
        if (!hit_rate) return hit_rate;
        // All registered: what fails from here on (a duplicate kit) keeps the families, which
        // other kits of this namespace may be using already.
        all_or_nothing.commit();

        const std::vector<std::string> values = kit_label_values(options.const_labels);
        counter& h = hits->labels(values);
        counter& m = misses->labels(values);
        bool created = false;
        kit_claim& claim = kit_claim::join(kit.claim_, &*hits, registry_access::serial(reg),
                                           options.const_labels, &created);
        if (created)
            reg.add_collector(
                cache_hit_rate_collector{claim.group, kit_metric_name(ns, "cache_hit_rate")});
        status st = claim.claim(&h, &m, kit_description("cache", ns, options.const_labels),
                                "{\"cache\", \"users\"}", hits->options().max_series);
        if (!st) return st;
        kit.hits_ = &h;
        kit.misses_ = &m;
        kit.evictions_ = &evictions->labels(values);
        kit.size_ = &size->labels(values);
        return {};
    }
};

} // namespace detail
VITALS_END_NAMESPACE

#endif // VITALS_KITS_CACHE_HPP
