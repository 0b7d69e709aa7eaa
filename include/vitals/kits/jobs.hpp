// vitals/kits/jobs.hpp - ready batch-job ("converter") metrics with an RAII run scope: the
// kit, job_metrics (the handles and the run scope are in <vitals/record/jobs.hpp>).
// SPDX-License-Identifier: MIT
#ifndef VITALS_KITS_JOBS_HPP
#define VITALS_KITS_JOBS_HPP

#include <vitals/config.hpp>
#include <vitals/counter.hpp>
#include <vitals/detail/kit_names.hpp>
#include <vitals/detail/steady_clock.hpp>
#include <vitals/family.hpp>
#include <vitals/histogram.hpp>
#include <vitals/record/jobs.hpp>
#include <vitals/registry.hpp>

#include <string>      // string
#include <string_view> // string_view

VITALS_BEGIN_NAMESPACE
namespace detail {

/// A job_shared that keeps the job's name.
struct job_shared_name final : job_shared {
    explicit job_shared_name(std::string_view n) : text(n) {
        name = text; // heap-allocated and never changed: the characters stay put
        destroy = [](job_shared* s) noexcept { delete static_cast<job_shared_name*>(s); };
        now_ns = &steady_now_ns;
    }
    std::string text;
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
/// `options` applies to the four families (const labels, series bound). An empty namespace
/// drops the prefix. Registration reports errors through the error policy; the constructor
/// taking a `status&` is the non-throwing form. Two kits with
/// the same namespace and options on one registry hand out the same series (a job is
/// identified by its name). All members are thread-safe; job() allocates the handle's copy
/// of the name and looks series up (allocating the first time a name is seen), so keep the
/// handle.
class job_metrics {
public:
    job_metrics(registry& reg, std::string_view ns, const family_options& options = {})
        : job_metrics(register_families(reg, ns, options, nullptr)) {}
    /// The non-throwing form: on failure `kit_error` says why, nothing is left registered in
    /// `reg`, and the kit records into families of its own that no registry shows.
    job_metrics(registry& reg, std::string_view ns, const family_options& options,
                status& kit_error)
        : job_metrics(register_families(reg, ns, options, &kit_error)) {}

    job_metrics(const job_metrics&) = delete;
    job_metrics& operator=(const job_metrics&) = delete;
    ~job_metrics() { delete detached_; }

private:
    struct families {
        counter_family* runs = nullptr;
        counter_family* errors = nullptr;
        histogram_family* duration = nullptr;
        counter_family* files = nullptr;
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
        status st = detail::kit_check_const_labels(options.const_labels,
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
    /// `exception` and `unspecified`, appear at once with 0.
    job_handle job(std::string_view name) {
        return job_handle(new detail::job_shared_name(name), runs_, errors_, duration_, files_);
    }

    /// Starts a run of the job `name` (one lookup per series; prefer job(name).run()).
    [[nodiscard]] job_run run(std::string_view name) { return job_run(job(name)); }

    /// The families (`NS_converter_runs_total` and so on).
    counter_family& runs() noexcept { return runs_; }
    counter_family& errors() noexcept { return errors_; }
    histogram_family& duration() noexcept { return duration_; }
    counter_family& files_processed() noexcept { return files_; }

private:
    counter_family& runs_;
    counter_family& errors_;
    histogram_family& duration_;
    counter_family& files_;
    registry* detached_; // owned, null once registered: see register_families()
};

} // namespace kits
VITALS_END_NAMESPACE

#endif // VITALS_KITS_JOBS_HPP
