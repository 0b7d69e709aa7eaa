// vitals/kits/jobs.hpp - ready batch-job ("converter") metrics with an RAII run scope: the
// kit, job_metrics (the handles and the run scope are in <vitals/record/jobs.hpp>).
// SPDX-License-Identifier: MIT
#ifndef VITALS_KITS_JOBS_HPP
#define VITALS_KITS_JOBS_HPP

#include <vitals/config.hpp>
#include <vitals/counter.hpp>
#include <vitals/detail/kit_names.hpp>
#include <vitals/detail/steady_clock.hpp>
#include <vitals/detail/utf8.hpp>
#include <vitals/family.hpp>
#include <vitals/histogram.hpp>
#include <vitals/record/jobs.hpp>
#include <vitals/registry.hpp>

#include <atomic>      // atomic
#include <cstddef>     // size_t
#include <string>      // string, to_string
#include <string_view> // string_view

VITALS_BEGIN_NAMESPACE
namespace detail {

/// The registry of a job kit that its registry refused (see job_metrics), shared by the kit
/// and the handles it made: the last of them frees it.
struct job_detached_registry {
    std::atomic<std::size_t> refs{1};
    registry reg;

    static job_detached_registry* share(job_detached_registry* d) noexcept {
        if (d) d->refs.fetch_add(1, std::memory_order_relaxed);
        return d;
    }
    static void drop(job_detached_registry* d) noexcept {
        if (d && d->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete d;
    }
};

/// A job_shared that keeps the job's name, and the refused kit's registry if any.
struct job_shared_name final : job_shared {
    job_shared_name(std::string_view n, job_detached_registry* d) : text(n), detached(d) {
        name = text; // heap-allocated and never changed: the characters stay put
        destroy = [](job_shared* s) noexcept { delete static_cast<job_shared_name*>(s); };
        now_ns = &steady_now_ns;
        job_detached_registry::share(detached);
    }
    job_shared_name(const job_shared_name&) = delete;
    job_shared_name& operator=(const job_shared_name&) = delete;
    ~job_shared_name() { job_detached_registry::drop(detached); }
    std::string text;
    job_detached_registry* detached;
};

/// The jobs kit's members that need <string> (see record/jobs.hpp).
template <class Full>
struct include_jobs_hpp {
    static const std::string& name(const job_shared& s) noexcept {
        return static_cast<const job_shared_name&>(s).text;
    }
};

} // namespace detail

namespace kits {

/// The metric set of named batch jobs, under a namespace `NS`. The catalogue calls such a
/// job a converter (a program that converts files, run again and again), so the metrics are
/// named `NS_converter_*` and the job's name is the `converter` label:
///
/// - `NS_converter_runs_total{converter,status}` counter, status `success` or `failure`
/// - `NS_converter_errors_total{converter,error_type}` counter: one per failed run, with the
///   reason given to job_run::fail() (`exception`, `unspecified` when none was given)
/// - `NS_converter_duration_seconds{converter}` histogram (10 ms .. 10 s)
/// - `NS_converter_files_processed_total{converter}` counter
///
/// `options` applies to the four families (const labels, series bound); a unit in it is
/// refused (errc::invalid_argument: the kit sets its families' units itself), and so is a
/// max_label_value_bytes below 11, which would send the kit's own values (`unspecified`) to
/// the overflow series, or a max_series below 2, which would send the first job's failures
/// there. The series
/// bound counts each family's label sets: one per job for the duration and files families,
/// but two per job for the runs counter (both outcomes appear at once) and two plus one per
/// other error type for the errors counter (`exception` and `unspecified` appear at once).
/// With a bound of 100, both counters reach it at 50 jobs at most (fewer with other error
/// types) and count the later jobs in their `__overflow__` series, so leave room for those.
/// An empty namespace drops the prefix. job() refuses, through the error policy, a name
/// that could not label the job's own series: empty, `__overflow__`, longer than
/// max_label_value_bytes or not valid UTF-8. Registration reports errors through the error
/// policy; the constructor taking a `status&` is the non-throwing form. Two kits with the same
/// namespace and options on one registry hand out the same series (a job is identified by its
/// name). All members are thread-safe; job() allocates the handle's copy of the name and looks
/// series up (allocating the first time a name is seen), so keep the handle.
class job_metrics {
public:
    job_metrics(registry& reg, std::string_view ns, const family_options& options = {})
        : job_metrics(register_families(reg, ns, options, nullptr)) {}
    /// The non-throwing form: on failure `kit_error` says why, nothing is left registered in
    /// `reg`, and the kit records into families of its own that no registry shows (kept until
    /// the kit and every handle it made are gone).
    job_metrics(registry& reg, std::string_view ns, const family_options& options,
                status& kit_error)
        : job_metrics(register_families(reg, ns, options, &kit_error)) {}

    job_metrics(const job_metrics&) = delete;
    job_metrics& operator=(const job_metrics&) = delete;
    ~job_metrics() { detail::job_detached_registry::drop(detached_); }

private:
    struct families {
        counter_family* runs = nullptr;
        counter_family* errors = nullptr;
        histogram_family* duration = nullptr;
        counter_family* files = nullptr;
        detail::job_detached_registry* detached = nullptr; // where a refused kit records
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
            f.detached = new detail::job_detached_registry();
            // Cannot fail: valid names and default options, in an empty registry.
            (void)try_register(f.detached->reg, {}, {}, f);
        }
        return f;
    }

    static status try_register(registry& reg, std::string_view ns, const family_options& options,
                               families& f) {
        status st = detail::kit_check_unit(options, "job", ns);
        if (!st) return st;
        st = detail::kit_check_value_bytes(options, "job", ns, job_unspecified_error);
        if (!st) return st;
        if (options.max_series < 2)
            return status(errc::invalid_argument,
                          "job kit \"" + std::string(ns) +
                              "\": family_options::max_series must be at least 2 (it is " +
                              std::to_string(options.max_series) +
                              "): a job's runs take two series (success, failure) and its "
                              "errors two (exception, unspecified), so one of each would go "
                              "to the overflow series");
        st = detail::kit_check_const_labels(options.const_labels,
                                            {"converter", "status", "error_type"}, true);
        if (!st) return st;
        detail::kit_registration all_or_nothing(reg);
        auto runs = reg.try_counter(detail::kit_metric_name(ns, "converter_runs_total"),
                                    "Converter runs, by converter and outcome (success, failure).",
                                    {"converter", "status"}, options);
        if (!runs) return runs.error();
        auto errors = reg.try_counter(detail::kit_metric_name(ns, "converter_errors_total"),
                                      "Failed converter runs, by converter and error type.",
                                      {"converter", "error_type"}, options);
        if (!errors) return errors.error();
        auto duration =
            reg.try_histogram(detail::kit_metric_name(ns, "converter_duration_seconds"),
                              "Converter run duration in seconds, by converter.", {"converter"},
                              default_buckets(), detail::with_unit(options, "seconds"));
        if (!duration) return duration.error();
        auto files =
            reg.try_counter(detail::kit_metric_name(ns, "converter_files_processed_total"),
                            "Files processed by converters, by converter.", {"converter"}, options);
        if (!files) return files.error();
        all_or_nothing.commit(); // all registered
        f.runs = &*runs;
        f.errors = &*errors;
        f.duration = &*duration;
        f.files = &*files;
        return {};
    }

    explicit job_metrics(const families& f)
        : runs_(*f.runs), errors_(*f.errors), duration_(*f.duration), files_(*f.files),
          detached_(f.detached) {}

public:
    /// The series of the job (converter) `name`; both outcomes, and the error types
    /// `exception` and `unspecified`, appear at once with 0. A name that could not label the
    /// job's own series is refused through the error policy (errc::invalid_argument), as the
    /// cache and queue kits refuse such label values: `__overflow__`, which labels the series
    /// that the jobs past the families' series bound share, so the duration and files of such a
    /// job would be theirs; an empty name, which Prometheus reads as a series with no
    /// `converter` label; a name longer than the families' max_label_value_bytes, which they
    /// would fold into their overflow series (with status `__overflow__`, so the job's runs
    /// would not even say their outcome); and one that is not valid UTF-8, which they show
    /// with U+FFFD in place of the invalid bytes, so two names differing only there would
    /// share series.
    job_handle job(std::string_view name) {
        const status refused = check_name(name);
        if (VITALS_DETAIL_UNLIKELY(!refused)) detail::fail(refused);
        return job_handle(new detail::job_shared_name(name, detached_), runs_, errors_, duration_,
                          files_);
    }

    /// Starts a run of the job `name` (one lookup per series; prefer job(name).run()).
    [[nodiscard]] job_run run(std::string_view name) { return job_run(job(name)); }

    /// The families (`NS_converter_runs_total` and so on).
    counter_family& runs() noexcept { return runs_; }
    counter_family& errors() noexcept { return errors_; }
    histogram_family& duration() noexcept { return duration_; }
    counter_family& files_processed() noexcept { return files_; }

private:
    status check_name(std::string_view name) const {
        if (name == overflow_label_value)
            return status(errc::invalid_argument,
                          "the job name '__overflow__' is reserved: it labels the series that "
                          "the jobs past the families' max_series share");
        if (name.empty())
            return status(errc::invalid_argument,
                          "the job name is empty, which Prometheus reads as a series with no "
                          "converter label");
        const std::size_t max_bytes = duration_.options().max_label_value_bytes;
        if (name.size() > max_bytes)
            return status(errc::invalid_argument,
                          "the job name is longer than " + std::to_string(max_bytes) +
                              " bytes (max_label_value_bytes): its series would be the "
                              "families' overflow series");
        if (detail::has_invalid_utf8(name))
            return status(errc::invalid_argument,
                          "the job name is not valid UTF-8: shown with U+FFFD in place of the "
                          "invalid bytes, two such names would share series");
        return {};
    }

    counter_family& runs_;
    counter_family& errors_;
    histogram_family& duration_;
    counter_family& files_;
    detail::job_detached_registry* detached_; // one reference; null once registered
};

} // namespace kits
VITALS_END_NAMESPACE

#endif // VITALS_KITS_JOBS_HPP
