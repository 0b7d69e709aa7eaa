// vitals/kits/queue.hpp - ready work-queue metrics with RAII worker and item scopes: the
// registration of queue_metrics (the class itself is in <vitals/record/queue.hpp>).
// SPDX-License-Identifier: MIT
#ifndef VITALS_KITS_QUEUE_HPP
#define VITALS_KITS_QUEUE_HPP

#include <vitals/config.hpp>
#include <vitals/counter.hpp>
#include <vitals/detail/kit_instances.hpp>
#include <vitals/detail/kit_names.hpp>
#include <vitals/detail/steady_clock.hpp>
#include <vitals/family.hpp>
#include <vitals/gauge.hpp>
#include <vitals/histogram.hpp>
#include <vitals/record/queue.hpp>
#include <vitals/registry.hpp>

#include <string>      // string
#include <string_view> // string_view
#include <vector>      // vector

VITALS_BEGIN_NAMESPACE
namespace detail {

/// The queue kit's registration (see record/queue.hpp).
template <class Full>
struct include_queue_hpp {
    static void make(kits::queue_metrics& kit, registry& reg, std::string_view ns,
                     const family_options& options) {
        const status st = init(kit, reg, ns, options);
        if (!st) fail(st);
    }

    // What a refused queue kit records into.
    struct detached {
        gauge size, workers_active;
        counter processed, errors;
        histogram duration;
    };

    static status init(kits::queue_metrics& kit, registry& reg, std::string_view ns,
                       const family_options& options) {
        kit.now_ns_ = &steady_now_ns;
        status st = register_kit(kit, reg, ns, options);
        if (!st) {
            auto* own = new detached();
            kit.detached_.hold(own, [](void* p) noexcept { delete static_cast<detached*>(p); });
            kit.size_ = &own->size;
            kit.workers_active_ = &own->workers_active;
            kit.processed_ = &own->processed;
            kit.errors_ = &own->errors;
            kit.duration_ = &own->duration;
        }
        return st;
    }

    // Registers the families and takes the kit's series; on failure sets none of them.
    static status register_kit(kits::queue_metrics& kit, registry& reg, std::string_view ns,
                               const family_options& options) {
        family_options family_opts; // the const labels are the families' label names here
        family_opts.max_series = options.max_series;
        family_opts.max_label_value_bytes = options.max_label_value_bytes;
        status checked = kit_check_unit(options, "queue", ns);
        if (!checked) return checked;
        checked = kit_check_const_labels(options.const_labels, {}, true);
        if (!checked) return checked;
        checked = kit_check_label_values(options.const_labels, family_opts.max_label_value_bytes);
        if (!checked) return checked;
        const std::vector<std::string> names = kit_label_names(options.const_labels);
        kit_registration all_or_nothing(reg); // a later family's error withdraws the first ones
        const auto size = reg.try_gauge(kit_metric_name(ns, "queue_size"),
                                        "Items waiting in the queue.", names, family_opts);
        if (!size) return size.error();
        const auto processed = reg.try_counter(
            kit_metric_name(ns, "queue_processed_total"),
            "Queue items whose processing finished, successfully or not.", names, family_opts);
        if (!processed) return processed.error();
        const auto errors =
            reg.try_counter(kit_metric_name(ns, "queue_errors_total"),
                            "Queue items whose processing failed.", names, family_opts);
        if (!errors) return errors.error();
        const auto workers = reg.try_gauge(kit_metric_name(ns, "queue_workers_active"),
                                           "Queue workers currently running.", names, family_opts);
        if (!workers) return workers.error();
        const auto duration =
            reg.try_histogram(kit_metric_name(ns, "queue_processing_duration_seconds"),
                              "Time spent processing one queue item, in seconds.", names,
                              default_buckets(), with_unit(family_opts, "seconds"));
        if (!duration) return duration.error();
        // All registered: what fails from here on (a duplicate kit) keeps the families, which
        // other kits of this namespace may be using already.
        all_or_nothing.commit();

        bool created = false;
        kit_claim& claim = kit_claim::join(kit.claim_, &*size, registry_access::serial(reg),
                                           options.const_labels, &created);
        status st =
            claim.claim(nullptr, nullptr, kit_description("queue", ns, options.const_labels),
                        "{\"queue\", \"uploads\"}", size->options().max_series);
        if (!st) return st;
        const std::vector<std::string> values = kit_label_values(options.const_labels);
        kit.size_ = &size->labels(values);
        kit.processed_ = &processed->labels(values);
        kit.errors_ = &errors->labels(values);
        kit.workers_active_ = &workers->labels(values);
        kit.duration_ = &duration->labels(values);
        return {};
    }
};

} // namespace detail
VITALS_END_NAMESPACE

#endif // VITALS_KITS_QUEUE_HPP
