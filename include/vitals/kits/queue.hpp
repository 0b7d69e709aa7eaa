// vitals/kits/queue.hpp - ready work-queue metrics with RAII worker and item scopes.
// SPDX-License-Identifier: MIT
#ifndef VITALS_KITS_QUEUE_HPP
#define VITALS_KITS_QUEUE_HPP

#include <vitals/config.hpp>
#include <vitals/counter.hpp>
#include <vitals/detail/kit_instances.hpp>
#include <vitals/detail/kit_names.hpp>
#include <vitals/family.hpp>
#include <vitals/gauge.hpp>
#include <vitals/histogram.hpp>
#include <vitals/registry.hpp>

#include <chrono>      // steady_clock
#include <cstdint>     // uint64_t
#include <exception>   // uncaught_exceptions
#include <string>      // string
#include <string_view> // string_view
#include <vector>      // vector

VITALS_BEGIN_NAMESPACE
namespace kits {

/// The queue metric set of the catalogue, under a namespace prefix `NS`:
///
/// - `NS_queue_size` gauge: items waiting
/// - `NS_queue_processed_total` counter: items whose processing finished, failed or not
/// - `NS_queue_errors_total` counter: items whose processing failed
/// - `NS_queue_workers_active` gauge: workers currently inside a worker_scope
/// - `NS_queue_processing_duration_seconds` histogram (10 ms .. 10 s): time per item
///
/// `errors / processed` is the failure ratio; `sum / count` of the histogram the average
/// processing time. An empty namespace drops the prefix.
///
/// A service with several queues gives each kit the same namespace and its own const labels,
/// `options.const_labels` (for example {{"queue", "uploads"}}): every family then has those
/// label names and one series per queue. `options.max_series` bounds the number of queues.
/// Registration reports errors through the error policy: an invalid namespace or label, a
/// family of the same name defined differently, or a second live kit with the same namespace
/// and const labels on the registry (errc::conflicting_registration). The constructor taking
/// a `status&` is the non-throwing form. The registry must outlive the kit and its scopes.
/// Recording is thread-safe, lock-free and does not allocate; construction allocates.
class queue_metrics {
public:
    /// Registers the families of namespace `ns` (or joins them) and takes the series of the
    /// queue named by `options.const_labels`. Errors go through the error policy.
    queue_metrics(registry& reg, std::string_view ns, const family_options& options = {}) {
        const status st = init(reg, ns, options);
        if (!st) detail::fail(st);
    }
    /// The non-throwing form: on failure `error` says why and the kit records into metrics
    /// that no registry shows.
    queue_metrics(registry& reg, std::string_view ns, const family_options& options,
                  status& error) {
        error = init(reg, ns, options);
    }
    ~queue_metrics() {
        if (claimed_) group_->unclaim(labels_);
    }

    queue_metrics(const queue_metrics&) = delete;
    queue_metrics& operator=(const queue_metrics&) = delete;

    /// Marks a worker active for its lifetime (workers_active + 1, then - 1). Not
    /// thread-safe itself; the gauge is.
    class worker_scope {
    public:
        explicit worker_scope(queue_metrics& q) noexcept : q_(&q) { q.workers_active_->inc(); }
        worker_scope(const worker_scope&) = delete;
        worker_scope& operator=(const worker_scope&) = delete;
        ~worker_scope() { q_->workers_active_->dec(); }

    private:
        queue_metrics* q_;
    };

    /// Times the processing of one item. At destruction it observes the duration and counts
    /// the item as processed; it also counts an error when fail() was called or the scope
    /// is left by an exception. Not thread-safe itself; the metrics are.
    class item_scope {
    public:
        explicit item_scope(queue_metrics& q) noexcept
            : q_(&q), exceptions_(std::uncaught_exceptions()),
              start_(std::chrono::steady_clock::now()) {}
        item_scope(const item_scope&) = delete;
        item_scope& operator=(const item_scope&) = delete;
        ~item_scope() {
            const bool failed = failed_ || std::uncaught_exceptions() > exceptions_;
            q_->record(
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count(),
                !failed);
        }
        /// Marks the item as failed.
        void fail() noexcept { failed_ = true; }

    private:
        queue_metrics* q_;
        int exceptions_;
        bool failed_ = false;
        std::chrono::steady_clock::time_point start_;
    };

    /// A worker_scope for the calling worker.
    [[nodiscard]] worker_scope worker() noexcept { return worker_scope(*this); }
    /// An item_scope timing one item.
    [[nodiscard]] item_scope process() noexcept { return item_scope(*this); }

    /// Records one processed item (the plain-function form of item_scope).
    void record(double seconds, bool ok) noexcept {
        duration_->observe(seconds);
        processed_->inc();
        if (!ok) errors_->inc();
    }
    /// Sets the number of items waiting (`NS_queue_size`).
    void set_size(double items) noexcept { size_->set(items); }

    /// The series behind the recording calls (`NS_queue_size` and so on).
    gauge& size() noexcept { return *size_; }
    counter& processed() noexcept { return *processed_; }
    counter& errors() noexcept { return *errors_; }
    gauge& workers_active() noexcept { return *workers_active_; }
    histogram& processing_duration() noexcept { return *duration_; }

private:
    status init(registry& reg, std::string_view ns, const family_options& options) {
        size_ = workers_active_ = &detail::detached_metric<gauge>();
        processed_ = errors_ = &detail::detached_metric<counter>();
        duration_ = &detail::detached_metric<histogram>();
        family_options family_opts;
        family_opts.max_series = options.max_series;
        const std::vector<std::string> names = detail::kit_label_names(options.const_labels);
        const auto size = reg.try_gauge(detail::kit_metric_name(ns, "queue_size"),
                                        "Items waiting in the queue.", names, family_opts);
        if (!size) return size.error();
        const auto processed = reg.try_counter(
            detail::kit_metric_name(ns, "queue_processed_total"),
            "Queue items whose processing finished, successfully or not.", names, family_opts);
        if (!processed) return processed.error();
        const auto errors =
            reg.try_counter(detail::kit_metric_name(ns, "queue_errors_total"),
                            "Queue items whose processing failed.", names, family_opts);
        if (!errors) return errors.error();
        const auto workers = reg.try_gauge(detail::kit_metric_name(ns, "queue_workers_active"),
                                           "Queue workers currently running.", names, family_opts);
        if (!workers) return workers.error();
        const auto duration =
            reg.try_histogram(detail::kit_metric_name(ns, "queue_processing_duration_seconds"),
                              "Time spent processing one queue item, in seconds.", names,
                              default_buckets(), detail::with_unit(family_opts, "seconds"));
        if (!duration) return duration.error();

        bool created = false;
        group_.reset(detail::kit_instances::acquire(&*size, &created));
        status st = group_->claim(options.const_labels, nullptr, nullptr,
                                  detail::kit_description("queue", ns, options.const_labels));
        if (!st) return st;
        claimed_ = true;
        labels_ = options.const_labels;
        const std::vector<std::string> values = detail::kit_label_values(options.const_labels);
        size_ = &size->labels(values);
        processed_ = &processed->labels(values);
        errors_ = &errors->labels(values);
        workers_active_ = &workers->labels(values);
        duration_ = &duration->labels(values);
        return {};
    }

    gauge* size_;
    counter* processed_;
    counter* errors_;
    gauge* workers_active_;
    histogram* duration_;
    detail::kit_instances_ref group_;
    std::vector<label> labels_;
    bool claimed_ = false;
};

} // namespace kits
VITALS_END_NAMESPACE

#endif // VITALS_KITS_QUEUE_HPP
