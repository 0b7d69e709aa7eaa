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
#include <string>      // string
#include <string_view> // string_view

VITALS_BEGIN_NAMESPACE
namespace kits {

/// The `status` label value of a run that succeeded.
inline constexpr std::string_view job_success = "success";
/// The `status` label value of a run that failed.
inline constexpr std::string_view job_failure = "failure";
/// The `error_type` of a failed run whose scope was left by an exception.
inline constexpr std::string_view job_exception_error = "exception";
/// The `error_type` of a failed run given no error type (fail() or record(s, false)).
inline constexpr std::string_view job_unspecified_error = "unspecified";

class job_run;

/// The series of one named job (one converter): valid as long as the registry; copying it
/// copies the job's name (which may allocate for a long name). Obtained from
/// job_metrics::job(). Recording is thread-safe; everything but record_failure() with a new
/// error type is lock-free and does not allocate.
class job_handle {
public:
    /// Starts a run.
    [[nodiscard]] job_run run() const;

    /// Records a finished run (the plain-function form of job_run); a failed one counts the
    /// error type `unspecified`.
    void record(double seconds, bool ok) const noexcept {
        duration_->observe(seconds);
        (ok ? success_ : failure_)->inc();
        if (!ok) unspecified_->inc();
    }
    /// Records a failed run with its error type (the reason, e.g. "bad_input"): the run
    /// counts as `failure` and `NS_converter_errors_total{converter,error_type}` counts one.
    /// Looks the error series up (allocates the first time a type is seen); an empty type is
    /// `unspecified`.
    void record_failure(double seconds, std::string_view error_type) const {
        counter& err = error(error_type);
        duration_->observe(seconds);
        failure_->inc();
        err.inc();
    }
    /// Counts `n` processed files (items).
    void files_processed(std::uint64_t n = 1) const noexcept { files_->inc_by(n); }

    /// The job's name (its `converter` label value).
    const std::string& name() const noexcept { return name_; }
    /// `NS_converter_runs_total{converter,status="success"}`.
    counter& successes() const noexcept { return *success_; }
    /// `NS_converter_runs_total{converter,status="failure"}`.
    counter& failures() const noexcept { return *failure_; }
    /// `NS_converter_errors_total{converter,error_type}`, looked up (see record_failure()).
    counter& errors(std::string_view error_type) const { return error(error_type); }
    /// `NS_converter_duration_seconds{converter}`.
    histogram& duration() const noexcept { return *duration_; }
    /// `NS_converter_files_processed_total{converter}`.
    counter& files() const noexcept { return *files_; }

private:
    friend class job_metrics;
    friend class job_run;

    job_handle(std::string_view name, counter_family& runs, counter_family& errors,
               histogram_family& duration, counter_family& files)
        : name_(name), success_(&runs.labels(name, job_success)),
          failure_(&runs.labels(name, job_failure)), errors_(&errors),
          exception_(&errors.labels(name, job_exception_error)),
          unspecified_(&errors.labels(name, job_unspecified_error)),
          duration_(&duration.labels(name)), files_(&files.labels(name)) {}

    counter& error(std::string_view error_type) const {
        if (error_type.empty() || error_type == job_unspecified_error) return *unspecified_;
        if (error_type == job_exception_error) return *exception_;
        return errors_->labels(std::string_view(name_), error_type);
    }

    std::string name_;
    counter* success_;
    counter* failure_;
    counter_family* errors_;
    counter* exception_;
    counter* unspecified_;
    histogram* duration_;
    counter* files_;
};

/// RAII scope of one run: at destruction it observes the run's duration and counts the
/// run as `success`, or as `failure` when fail() was called or the scope is left by an
/// exception (std::uncaught_exceptions(); the error type is then `exception`). Every failed
/// run counts exactly one error in `NS_converter_errors_total`. Not thread-safe itself; the
/// metrics are.
class job_run {
public:
    explicit job_run(const job_handle& job)
        : job_(job), exceptions_(std::uncaught_exceptions()),
          start_(std::chrono::steady_clock::now()) {}
    job_run(const job_run&) = delete;
    job_run& operator=(const job_run&) = delete;
    ~job_run() {
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
        job_.duration_->observe(seconds);
        if (!error_ && std::uncaught_exceptions() > exceptions_) error_ = job_.exception_;
        (error_ ? job_.failure_ : job_.success_)->inc();
        if (error_) error_->inc();
    }
    /// Counts `n` files (items) this run processed, immediately.
    void files_processed(std::uint64_t n = 1) noexcept { job_.files_processed(n); }
    /// Marks the run as failed, for a reason: `error_type` (e.g. "bad_input", "timeout"; a
    /// small fixed set, like an enum: each distinct value is a series) becomes the
    /// `error_type` label of the error counted when the run ends; empty is `unspecified`.
    /// The first call decides; later ones are ignored. Looks the error series up (allocates
    /// the first time a type is seen).
    void fail(std::string_view error_type = {}) {
        if (!error_) error_ = &job_.error(error_type);
    }
    /// Whether fail() was called.
    bool failed() const noexcept { return error_ != nullptr; }

private:
    job_handle job_;
    int exceptions_;
    counter* error_ = nullptr; // set by fail(): the run failed, this counts the error
    std::chrono::steady_clock::time_point start_;
};

inline job_run job_handle::run() const { return job_run(*this); }

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
/// identified by its name). All members are thread-safe; job() looks series up and
/// allocates the first time a name is seen, so keep the handle.
class job_metrics {
public:
    job_metrics(registry& reg, std::string_view ns, const family_options& options = {})
        : runs_(reg.counter(detail::kit_metric_name(ns, "converter_runs_total"),
                            "Converter runs, by converter and outcome (success, failure).",
                            {"converter", "status"}, options)),
          errors_(reg.counter(detail::kit_metric_name(ns, "converter_errors_total"),
                              "Failed converter runs, by converter and error type.",
                              {"converter", "error_type"}, options)),
          duration_(reg.histogram(detail::kit_metric_name(ns, "converter_duration_seconds"),
                                  "Converter run duration in seconds, by converter.", {"converter"},
                                  default_buckets(), detail::with_unit(options, "seconds"))),
          files_(reg.counter(detail::kit_metric_name(ns, "converter_files_processed_total"),
                             "Files processed by converters, by converter.", {"converter"},
                             options)) {}

    job_metrics(const job_metrics&) = delete;
    job_metrics& operator=(const job_metrics&) = delete;

    /// The series of the job (converter) `name`; both outcomes, and the error types
    /// `exception` and `unspecified`, appear at once with 0.
    job_handle job(std::string_view name) {
        return job_handle(name, runs_, errors_, duration_, files_);
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
