// vitals/record/jobs.hpp - the jobs kit's recording handles (job_handle and the run scope), for
// code that only records; the kit itself is <vitals/kits/jobs.hpp>.
// SPDX-License-Identifier: MIT
#ifndef VITALS_RECORD_JOBS_HPP
#define VITALS_RECORD_JOBS_HPP

#include <vitals/config.hpp>
#include <vitals/counter.hpp>
#include <vitals/detail/elapsed.hpp>
#include <vitals/detail/uncaught.hpp>
#include <vitals/record/family.hpp>
#include <vitals/record/histogram.hpp>

#include <atomic>      // atomic, atomic_thread_fence
#include <cstddef>     // size_t
#include <cstdint>     // int64_t, uint64_t
#include <string_view> // string_view
#include <type_traits> // enable_if_t, is_same, is_arithmetic

VITALS_BEGIN_NAMESPACE

namespace detail {
/// Defined by <vitals/kits/jobs.hpp>: the jobs kit's members that need <string>. A
/// translation unit that includes only the light headers and calls one fails to compile
/// naming this type.
template <class Full>
struct include_jobs_hpp;

/// What the copies of one job_handle, and their runs, share: the job's name, counted by
/// reference so that copying a handle neither copies the name nor allocates, and the steady
/// clock. Made and freed by <vitals/kits/jobs.hpp>, which keeps the name's characters.
struct job_shared {
    std::atomic<std::size_t> refs{1};
    std::string_view name;
    void (*destroy)(job_shared*) noexcept = nullptr;
    std::int64_t (*now_ns)() noexcept = nullptr; // std::chrono::steady_clock, in nanoseconds
};

/// One reference to a job_shared. Copies are lock-free and do not allocate.
class job_shared_ref {
public:
    explicit job_shared_ref(job_shared* s) noexcept : s_(s) {}
    job_shared_ref(const job_shared_ref& other) noexcept : s_(other.s_) {
        s_->refs.fetch_add(1, std::memory_order_relaxed);
    }
    job_shared_ref& operator=(const job_shared_ref& other) noexcept {
        if (&other == this) return *this;
        other.s_->refs.fetch_add(1, std::memory_order_relaxed); // first: both may share one
        drop(s_);
        s_ = other.s_;
        return *this;
    }
    ~job_shared_ref() { drop(s_); }

    job_shared* operator->() const noexcept { return s_; }
    job_shared& operator*() const noexcept { return *s_; }

private:
    static void drop(job_shared* s) noexcept {
        if (s->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) s->destroy(s);
    }

    job_shared* s_;
};
} // namespace detail

namespace kits {

/// The `status` label value of a run that succeeded.
inline constexpr std::string_view job_success = "success";
/// The `status` label value of a run that failed.
inline constexpr std::string_view job_failure = "failure";
/// The `error_type` of a failed run whose scope was left by an exception.
inline constexpr std::string_view job_exception_error = "exception";
/// The `error_type` of a failed run given no error type (fail() or record(s, false)).
inline constexpr std::string_view job_unspecified_error = "unspecified";

class job_metrics;
class job_run;

/// The series of one named job (one converter): valid as long as the registry; copies share
/// the job's name (a copy takes no lock and does not allocate). Obtained from
/// job_metrics::job(). Recording is thread-safe; everything but record_failure() with a new
/// error type is lock-free and does not allocate. Everything but name() works with only
/// <vitals/record.hpp>.
class job_handle {
public:
    /// Starts a run.
    [[nodiscard]] job_run run() const noexcept;

    /// Records a finished run (the plain-function form of job_run); a failed one counts the
    /// error type `unspecified`. A NaN, negative or infinite `seconds` counts the run but no
    /// duration, and vitals::rejected_writes() counts the refusal.
    void record(double seconds, bool ok) const noexcept {
        if (detail::duration_ok(seconds)) duration_->observe(seconds);
        (ok ? success_ : failure_)->inc();
        if (!ok) count_error(*unspecified_);
    }
    /// record(ok, seconds), the arguments swapped, would convert both silently (a run of
    /// 1 second, ok when `seconds` is not 0): it does not compile.
    template <class Ok, class Seconds,
              std::enable_if_t<std::is_same<Ok, bool>::value && std::is_arithmetic<Seconds>::value,
                               int> = 0>
    void record(Ok, Seconds) const noexcept {
        static_assert(!std::is_same<Ok, bool>::value,
                      "job_handle::record takes the seconds first, then whether the run was ok");
    }
    /// Records a failed run with its error type (the reason, e.g. "bad_input"): the run
    /// counts as `failure` and `NS_converter_errors_total{converter,error_type}` counts one.
    /// Looks the error series up (allocates the first time a type is seen); an empty type is
    /// `unspecified`.
    void record_failure(double seconds, std::string_view error_type) const {
        counter& err = error(error_type);
        if (detail::duration_ok(seconds)) duration_->observe(seconds);
        failure_->inc();
        count_error(err);
    }
    /// Counts `n` processed files (items).
    void files_processed(std::uint64_t n = 1) const noexcept { files_->inc_by(n); }

    /// The job's name (its `converter` label value), as a const std::string&. Defined by
    /// <vitals/kits/jobs.hpp>.
    template <class Full = void>
    const auto& name() const noexcept {
        return detail::include_jobs_hpp<Full>::name(*shared_);
    }
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

    job_handle(detail::job_shared* shared, counter_family& runs, counter_family& errors,
               histogram_family& duration, counter_family& files)
        : shared_(shared), success_(&runs.labels(shared->name, job_success)),
          failure_(&runs.labels(shared->name, job_failure)), errors_(&errors),
          exception_(&errors.labels(shared->name, job_exception_error)),
          unspecified_(&errors.labels(shared->name, job_unspecified_error)),
          duration_(&duration.labels(shared->name)), files_(&files.labels(shared->name)) {}

    // Counts the error of a failed run already counted. A scrape reads
    // `converter_errors_total` before `converter_runs_total` (families come in name order)
    // with an acquire fence between families; this release fence makes a scrape that sees the
    // error see its failed run too where stores may be seen out of order (ARM, POWER; free on
    // x86), as the HTTP kit does for its errors.
    static void count_error(counter& errors) noexcept {
        std::atomic_thread_fence(std::memory_order_release);
        errors.inc();
    }

    counter& error(std::string_view error_type) const {
        if (error_type.empty() || error_type == job_unspecified_error) return *unspecified_;
        if (error_type == job_exception_error) return *exception_;
        return errors_->labels(shared_->name, error_type);
    }

    detail::job_shared_ref shared_; // first: freed if a lookup below fails
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
/// run counts exactly one error in `NS_converter_errors_total`. cancel() records nothing (a
/// run the program abandons, e.g. while stopping). Not thread-safe itself; the metrics are.
class job_run {
public:
    explicit job_run(const job_handle& job) noexcept
        : job_(job), exceptions_(detail::uncaught_exceptions()), start_ns_(job.shared_->now_ns()) {}
    job_run(const job_run&) = delete;
    job_run& operator=(const job_run&) = delete;
    ~job_run() {
        if (cancelled_) return;
        const double seconds = detail::seconds_between(start_ns_, job_.shared_->now_ns());
        job_.duration_->observe(seconds);
        if (!error_ && detail::uncaught_exceptions() > exceptions_) error_ = job_.exception_;
        (error_ ? job_.failure_ : job_.success_)->inc();
        if (error_) job_handle::count_error(*error_);
    }
    /// Counts `n` files (items) this run processed, immediately.
    void files_processed(std::uint64_t n = 1) noexcept { job_.files_processed(n); }
    /// Marks the run as failed, for a reason: `error_type` (e.g. "bad_input", "timeout"; a
    /// small fixed set, like an enum: each distinct value is a series) becomes the
    /// `error_type` label of the error counted when the run ends; empty is `unspecified`.
    /// The first call decides; later ones are ignored. Looks the error series up (allocates
    /// the first time a type is seen). Unlike the job's name, the type is not refused (this
    /// runs on the failure path): one longer than max_label_value_bytes is counted in the
    /// errors family's overflow series (and in vitals_series_overflow_total), one not valid
    /// UTF-8 is shown with U+FFFD, as any label value; the run itself is counted as failed.
    void fail(std::string_view error_type = {}) {
        if (!error_) error_ = &job_.error(error_type);
    }
    /// Whether fail() was called.
    bool failed() const noexcept { return error_ != nullptr; }
    /// Records nothing at destruction: neither the run, nor its duration, nor an error (the
    /// run did not finish: the program is stopping, say). Files counted with
    /// files_processed() stay counted.
    void cancel() noexcept { cancelled_ = true; }

private:
    job_handle job_;
    int exceptions_;
    bool cancelled_ = false;
    counter* error_ = nullptr; // set by fail(): the run failed, this counts the error
    std::int64_t start_ns_;    // steady clock
};

inline job_run job_handle::run() const noexcept { return job_run(*this); }

} // namespace kits
VITALS_END_NAMESPACE

#endif // VITALS_RECORD_JOBS_HPP
