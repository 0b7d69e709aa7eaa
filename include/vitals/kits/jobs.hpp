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
/// drops the prefix. Registration reports errors through the error policy. Two kits with
/// the same namespace and options on one registry hand out the same series (a job is
/// identified by its name). All members are thread-safe; job() allocates the handle's copy
/// of the name and looks series up (allocating the first time a name is seen), so keep the
/// handle.
class job_metrics {
public:
    job_metrics(registry& reg, std::string_view ns, const family_options& options = {})
        : job_metrics(detail::kit_registration(reg), reg, ns, options) {}

    job_metrics(const job_metrics&) = delete;
    job_metrics& operator=(const job_metrics&) = delete;

private:
    // Registers the families, all or nothing: when one fails, `registering` (a temporary
    // of the constructor above, destroyed after this one) withdraws those made before it.
    job_metrics(detail::kit_registration&& registering, registry& reg, std::string_view ns,
                const family_options& options)
        : runs_(reg.counter(
              detail::kit_metric_name(ns, "converter_runs_total"),
              "Converter runs, by converter and outcome (success, failure).",
              {"converter", "status"},
              detail::checked_kit_options(options, {"converter", "status", "error_type"}, true))),
          errors_(reg.counter(detail::kit_metric_name(ns, "converter_errors_total"),
                              "Failed converter runs, by converter and error type.",
                              {"converter", "error_type"}, options)),
          duration_(reg.histogram(detail::kit_metric_name(ns, "converter_duration_seconds"),
                                  "Converter run duration in seconds, by converter.", {"converter"},
                                  default_buckets(), detail::with_unit(options, "seconds"))),
          files_(reg.counter(detail::kit_metric_name(ns, "converter_files_processed_total"),
                             "Files processed by converters, by converter.", {"converter"},
                             options)) {
        registering.commit();
    }

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
};

} // namespace kits
VITALS_END_NAMESPACE

#endif // VITALS_KITS_JOBS_HPP
