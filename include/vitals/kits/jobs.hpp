// vitals/kits/jobs.hpp - ready batch-job ("converter") metrics with an RAII run scope.
// SPDX-License-Identifier: MIT
#ifndef VITALS_KITS_JOBS_HPP
#define VITALS_KITS_JOBS_HPP

#include <vitals/config.hpp>
#include <vitals/counter.hpp>
#include <vitals/detail/kit_names.hpp>
#include <vitals/family.hpp>
#include <vitals/histogram.hpp>
#include <vitals/registry.hpp>

#include <chrono>      // steady_clock
#include <cstdint>     // uint64_t
#include <exception>   // uncaught_exceptions
#include <string_view> // string_view

VITALS_BEGIN_NAMESPACE
namespace kits {

/// The `status` label value of a run that succeeded.
inline constexpr std::string_view job_success = "success";
/// The `status` label value of a run that failed.
inline constexpr std::string_view job_failure = "failure";

class job_run;

/// The series of one named job (one converter): cheap to copy, valid as long as the
/// registry. Obtained from job_metrics::job(). Recording is thread-safe, lock-free and does
/// not allocate.
class job_handle {
public:
    /// Starts a run.
    [[nodiscard]] job_run run() const noexcept;

    /// Records a finished run (the plain-function form of job_run).
    void record(double seconds, bool ok) const noexcept {
        duration_->observe(seconds);
        (ok ? success_ : failure_)->inc();
    }
    /// Counts `n` processed files (items).
    void files_processed(std::uint64_t n = 1) const noexcept { files_->inc_by(n); }

    counter& successes() const noexcept { return *success_; }
    counter& failures() const noexcept { return *failure_; }
    histogram& duration() const noexcept { return *duration_; }
    counter& files() const noexcept { return *files_; }

    /// Internal: use job_metrics::job().
    job_handle(counter& success, counter& failure, histogram& duration, counter& files) noexcept
        : success_(&success), failure_(&failure), duration_(&duration), files_(&files) {}

private:
    counter* success_;
    counter* failure_;
    histogram* duration_;
    counter* files_;
};

/// RAII scope of one run: at destruction it observes the run's duration and counts the
/// run as `success`, or as `failure` when fail() was called or the scope is left by an
/// exception (std::uncaught_exceptions()). Not thread-safe itself; the metrics are.
class job_run {
public:
    explicit job_run(const job_handle& job) noexcept
        : job_(job), exceptions_(std::uncaught_exceptions()),
          start_(std::chrono::steady_clock::now()) {}
    job_run(const job_run&) = delete;
    job_run& operator=(const job_run&) = delete;
    ~job_run() {
        const bool failed = failed_ || std::uncaught_exceptions() > exceptions_;
        job_.record(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count(),
            !failed);
    }
    /// Counts `n` files (items) this run processed, immediately.
    void files_processed(std::uint64_t n = 1) noexcept { job_.files_processed(n); }
    /// Marks the run as failed.
    void fail() noexcept { failed_ = true; }

private:
    job_handle job_;
    int exceptions_;
    bool failed_ = false;
    std::chrono::steady_clock::time_point start_;
};

inline job_run job_handle::run() const noexcept { return job_run(*this); }

/// The converter (named batch job) metric set of the catalogue, under a namespace `NS`:
///
/// - `NS_converter_runs_total{converter,status}` counter, status `success` or `failure`
/// - `NS_converter_duration_seconds{converter}` histogram (10 ms .. 10 s)
/// - `NS_converter_files_processed_total{converter}` counter
///
/// `options` applies to the three families (const labels, series bound). An empty namespace
/// drops the prefix. Registration reports errors through the error policy. All members are
/// thread-safe; job() looks series up (reader lock) and allocates the first time a name is seen, so
/// keep the handle.
class job_metrics {
public:
    job_metrics(registry& reg, std::string_view ns, const family_options& options = {})
        : runs_(reg.counter(detail::kit_metric_name(ns, "converter_runs_total"),
                            "Converter runs, by converter and outcome (success, failure).",
                            {"converter", "status"}, options)),
          duration_(reg.histogram(detail::kit_metric_name(ns, "converter_duration_seconds"),
                                  "Converter run duration in seconds, by converter.", {"converter"},
                                  default_buckets(), options)),
          files_(reg.counter(detail::kit_metric_name(ns, "converter_files_processed_total"),
                             "Files processed by converters, by converter.", {"converter"},
                             options)) {}

    job_metrics(const job_metrics&) = delete;
    job_metrics& operator=(const job_metrics&) = delete;

    /// The series of the job (converter) `name`; both outcomes appear at once with 0.
    job_handle job(std::string_view name) {
        return job_handle(runs_.labels(name, job_success), runs_.labels(name, job_failure),
                          duration_.labels(name), files_.labels(name));
    }

    /// Starts a run of the job `name` (one lookup per series; prefer job(name).run()).
    [[nodiscard]] job_run run(std::string_view name) { return job_run(job(name)); }

    counter_family& runs() noexcept { return runs_; }
    histogram_family& duration() noexcept { return duration_; }
    counter_family& files_processed() noexcept { return files_; }

private:
    counter_family& runs_;
    histogram_family& duration_;
    counter_family& files_;
};

} // namespace kits
VITALS_END_NAMESPACE

#endif // VITALS_KITS_JOBS_HPP
