// vitals/record/queue.hpp - the queue kit's class, with its recording calls and its worker and
// item scopes, for code that only records; registering it is in <vitals/kits/queue.hpp>.
// SPDX-License-Identifier: MIT
#ifndef VITALS_RECORD_QUEUE_HPP
#define VITALS_RECORD_QUEUE_HPP

#include <vitals/config.hpp>
#include <vitals/counter.hpp>
#include <vitals/detail/elapsed.hpp>
#include <vitals/detail/kit_claim.hpp>
#include <vitals/detail/uncaught.hpp>
#include <vitals/record/gauge.hpp>
#include <vitals/record/histogram.hpp>

#include <atomic>      // atomic_thread_fence
#include <cstdint>     // int64_t
#include <string_view> // string_view
#include <type_traits> // enable_if_t, is_same, is_arithmetic

VITALS_BEGIN_NAMESPACE

class registry;
struct family_options;
class status;

namespace detail {
/// Defined by <vitals/kits/queue.hpp>: registering the queue kit's families. A translation
/// unit that includes only the light headers and constructs a queue_metrics fails to compile
/// naming this type.
template <class Full>
struct include_queue_hpp;
} // namespace detail

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
/// label names and one series per queue. `options.max_series` bounds the number of queues:
/// past it a kit records into the families' overflow series (label values `__overflow__`),
/// shared with every other kit past it (so it is not refused as a duplicate); a kit given the
/// value `__overflow__` itself, an empty value (Prometheus reads it as no label), one longer
/// than max_label_value_bytes or one that is not valid UTF-8 (either would share a series
/// with other kits) is refused (errc::invalid_argument).
/// Registration reports errors through the error policy: an invalid namespace or label, a
/// unit in the options (errc::invalid_argument: the kit sets its families' units itself), a
/// family of the same name defined differently, or a second live kit with the same namespace
/// and const labels on the registry (errc::conflicting_registration). The constructor taking
/// a `status&` is the non-throwing form. The kit must outlive its worker and item scopes
/// (they point to it), and the registry the kit.
/// Recording is thread-safe, lock-free and does not allocate; construction allocates.
///
/// The recording calls, the scopes and the series accessors work with only
/// <vitals/record.hpp>; the constructors are defined by <vitals/kits/queue.hpp>.
class queue_metrics {
public:
    /// Registers the families of namespace `kit_namespace` (or joins them) and takes the
    /// series of the queue named by `kit_options.const_labels`. Errors go through the error
    /// policy.
    // Templates, defined by <vitals/kits/queue.hpp>. Their parameters have names a program is
    // unlikely to give a global: GCC's -Wshadow compares a constructor template's parameters
    // with the names visible where it is instantiated, in the program's code.
    template <class Full = void>
    queue_metrics(registry& kit_registry, std::string_view kit_namespace) {
        detail::include_queue_hpp<Full>::make(*this, kit_registry, kit_namespace, {});
    }
    template <class Full = void>
    queue_metrics(registry& kit_registry, std::string_view kit_namespace,
                  const family_options& kit_options) {
        detail::include_queue_hpp<Full>::make(*this, kit_registry, kit_namespace, kit_options);
    }
    /// The non-throwing form: on failure `kit_error` says why and the kit records into metrics
    /// of its own that no registry shows (freed with the kit).
    template <class Full = void>
    queue_metrics(registry& kit_registry, std::string_view kit_namespace,
                  const family_options& kit_options, status& kit_error) {
        kit_error =
            detail::include_queue_hpp<Full>::init(*this, kit_registry, kit_namespace, kit_options);
    }
    ~queue_metrics() = default; // claim_ gives the labels up

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
    /// is left by an exception. cancel() records nothing (an item the program abandons, e.g.
    /// while stopping). Not thread-safe itself; the metrics are.
    class item_scope {
    public:
        explicit item_scope(queue_metrics& q) noexcept
            : q_(&q), exceptions_(detail::uncaught_exceptions()), start_ns_(q.now_ns_()) {}
        item_scope(const item_scope&) = delete;
        item_scope& operator=(const item_scope&) = delete;
        ~item_scope() {
            if (cancelled_) return;
            const bool failed = failed_ || detail::uncaught_exceptions() > exceptions_;
            q_->record(detail::seconds_between(start_ns_, q_->now_ns_()), !failed);
        }
        /// Marks the item as failed.
        void fail() noexcept { failed_ = true; }
        /// Records nothing at destruction: the item was not processed to its end.
        void cancel() noexcept { cancelled_ = true; }

    private:
        queue_metrics* q_;
        int exceptions_;
        bool failed_ = false;
        bool cancelled_ = false;
        std::int64_t start_ns_; // steady clock
    };

    /// A worker_scope for the calling worker.
    [[nodiscard]] worker_scope worker() & noexcept { return worker_scope(*this); }
    /// An item_scope timing one item.
    [[nodiscard]] item_scope process() & noexcept { return item_scope(*this); }
    /// On a kit made in the same statement neither compiles: the scope records into the kit
    /// when it ends, after the kit.
    template <class Kit = queue_metrics>
    worker_scope worker() && {
        static_assert(!std::is_same<Kit, Kit>::value,
                      "vitals: queue_metrics(...).worker() records into a kit destroyed at the "
                      "end of the statement; keep the kit in a variable or member");
        return static_cast<Kit&>(*this).worker();
    }
    template <class Kit = queue_metrics>
    item_scope process() && {
        static_assert(!std::is_same<Kit, Kit>::value,
                      "vitals: queue_metrics(...).process() records into a kit destroyed at the "
                      "end of the statement; keep the kit in a variable or member");
        return static_cast<Kit&>(*this).process();
    }

    /// Records one processed item (the plain-function form of item_scope). A NaN, negative or
    /// infinite `seconds` counts the item but no duration, and vitals::rejected_writes() counts the
    /// refusal.
    void record(double seconds, bool ok) noexcept {
        if (detail::duration_ok(seconds)) duration_->observe(seconds);
        processed_->inc();
        if (ok) return;
        // A scrape reads `queue_errors_total` before `queue_processed_total` (families come in
        // name order) with an acquire fence between families; this release fence makes a
        // scrape that sees the error see the item too where stores may be seen out of order
        // (ARM, POWER; free on x86), as the HTTP kit does for its errors.
        std::atomic_thread_fence(std::memory_order_release);
        errors_->inc();
    }
    /// record(ok, seconds), the arguments swapped, would convert both silently (an item of
    /// 0 or 1 second, ok when `seconds` is not 0): it does not compile.
    template <class Ok, class Seconds,
              std::enable_if_t<std::is_same<Ok, bool>::value && std::is_arithmetic<Seconds>::value,
                               int> = 0>
    void record(Ok, Seconds) noexcept {
        static_assert(
            !std::is_same<Ok, bool>::value,
            "queue_metrics::record takes the seconds first, then whether the item was ok");
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
    template <class Full>
    friend struct detail::include_queue_hpp;

    gauge* size_ = nullptr;
    counter* processed_ = nullptr;
    counter* errors_ = nullptr;
    gauge* workers_active_ = nullptr;
    histogram* duration_ = nullptr;
    // std::chrono::steady_clock, in nanoseconds: set by the constructor, which sees <chrono>.
    std::int64_t (*now_ns_)() noexcept = nullptr;
    detail::kit_detached_ref detached_; // what a refused kit records into
    detail::kit_claim_ref claim_;       // this kit's labels in the group of queues of its namespace
};

} // namespace kits
VITALS_END_NAMESPACE

#endif // VITALS_RECORD_QUEUE_HPP
