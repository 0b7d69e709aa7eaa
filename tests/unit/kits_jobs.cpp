// tests/unit/kits_jobs.cpp - the jobs (converter) kit: families and the run scope.
// SPDX-License-Identifier: MIT
#include <vitals/kits/jobs.hpp>
#include <vitals/text_format.hpp>

#include "kits_support.hpp"

#include <doctest/doctest.h>

#include <cstdint>     // uint64_t
#include <limits>      // numeric_limits
#include <stdexcept>   // runtime_error
#include <string>      // string
#include <string_view> // string_view

TEST_CASE("kits/jobs: families, types, labels and values (golden)") {
    vitals::registry reg;
    vitals::kits::job_metrics jobs(reg, "demo");
    auto csv = jobs.job("csv");
    auto xml = jobs.job("xml");
    csv.record(0.5, true);
    csv.record(2.0, true);
    csv.files_processed(12);
    xml.record(0.0625, false);
    xml.files_processed();
    kits_test::check_golden(vitals::to_text(reg), __FILE__, "kits_jobs.txt");
}

// With a bound of 1, a job's successes took the runs counter's one series and its failures
// went to the overflow series ({converter="__overflow__",status="__overflow__"}): the only
// job's failure count read 0 however often it failed, and its `unspecified` errors likewise.
TEST_CASE("kits/jobs: a series bound below 2 is refused: one job takes two series") {
    vitals::registry reg;
    const std::size_t families = reg.family_count();
    vitals::family_options one;
    one.max_series = 1;
    vitals::status st;
    vitals::kits::job_metrics refused(reg, "j", one, st);
    CHECK(st.code() == vitals::errc::invalid_argument);
    CHECK(st.message().find(
              "job kit \"j\": family_options::max_series must be at least 2 (it is 1)") !=
          std::string::npos);
    CHECK(reg.family_count() == families);
    vitals::registry fits;
    vitals::family_options two;
    two.max_series = 2;
    vitals::kits::job_metrics jobs(fits, "j", two);
    auto nightly = jobs.job("nightly");
    nightly.record(1.0, true);
    nightly.record(1.0, false);
    CHECK(nightly.failures().value() == 1.0);
    const std::string text = vitals::to_text(fits);
    CHECK(text.find("j_converter_runs_total{converter=\"nightly\",status=\"failure\"} 1\n") !=
          std::string::npos);
    CHECK(text.find("j_converter_errors_total{converter=\"nightly\","
                    "error_type=\"unspecified\"} 1\n") != std::string::npos);
    CHECK(text.find("__overflow__") == std::string::npos);
}

TEST_CASE("kits/jobs: a negative duration counts the run, not the duration") {
    vitals::registry reg;
    vitals::kits::job_metrics jobs(reg, "j");
    auto csv = jobs.job("csv");
    csv.record(2.0, true);
    const std::uint64_t rejected = vitals::rejected_writes();
    csv.record(-1.0, true);
    csv.record_failure(-1.0, "bad_input");
    CHECK(vitals::rejected_writes() == rejected + 2);
    // An infinite one would make the sum infinite for good: refused the same way.
    csv.record(std::numeric_limits<double>::infinity(), true);
    csv.record(std::numeric_limits<double>::quiet_NaN(), true);
    CHECK(vitals::rejected_writes() == rejected + 4);
    CHECK(csv.duration().count() == 1);
    CHECK(csv.duration().sum() == 2.0);
    const std::string text = vitals::to_text(reg);
    CHECK(kits_test::sample_value(text, "j_converter_runs_total",
                                  {"converter", "csv", "status", "success"}) == 4.0);
    CHECK(kits_test::sample_value(text, "j_converter_runs_total",
                                  {"converter", "csv", "status", "failure"}) == 1.0);
}

TEST_CASE("kits/jobs: a cancelled run records nothing but the files it counted") {
    vitals::registry reg;
    vitals::kits::job_metrics jobs(reg, "j");
    auto csv = jobs.job("csv");
    {
        auto run = csv.run();
        run.files_processed(3);
        run.fail("timeout");
        run.cancel(); // the program stops before the run ends
    }
    const std::string text = vitals::to_text(reg);
    CHECK(csv.duration().count() == 0);
    CHECK(kits_test::sample_value(text, "j_converter_runs_total",
                                  {"converter", "csv", "status", "success"}) == 0.0);
    CHECK(kits_test::sample_value(text, "j_converter_runs_total",
                                  {"converter", "csv", "status", "failure"}) == 0.0);
    CHECK(kits_test::sample_value(text, "j_converter_errors_total",
                                  {"converter", "csv", "error_type", "timeout"}) == 0.0);
    CHECK(kits_test::sample_value(text, "j_converter_files_processed_total",
                                  {"converter", "csv"}) == 3.0);
}

TEST_CASE("kits/jobs: a new job shows both outcomes at zero") {
    vitals::registry reg;
    vitals::kits::job_metrics jobs(reg, "j");
    (void)jobs.job("csv");
    const std::string text = vitals::to_text(reg);
    CHECK(kits_test::sample_value(text, "j_converter_runs_total",
                                  {"converter", "csv", "status", "success"}) == 0.0);
    CHECK(kits_test::sample_value(text, "j_converter_runs_total",
                                  {"converter", "csv", "status", "failure"}) == 0.0);
    CHECK(kits_test::sample_value(text, "j_converter_files_processed_total",
                                  {"converter", "csv"}) == 0.0);
}

TEST_CASE("kits/jobs: run scope records success, failure and exceptions") {
    vitals::registry reg;
    vitals::kits::job_metrics jobs(reg, "j");
    auto csv = jobs.job("csv");
    {
        auto run = csv.run();
        run.files_processed(3);
        CHECK(csv.files().value() == 3.0); // counted at once
        CHECK(csv.duration().count() == 0);
    }
    CHECK(csv.successes().value() == 1.0);
    CHECK(csv.failures().value() == 0.0);
    CHECK(csv.duration().count() == 1);
    {
        auto run = jobs.run("csv"); // lookup form
        run.fail();
    }
    CHECK(csv.successes().value() == 1.0);
    CHECK(csv.failures().value() == 1.0);
#if VITALS_HAS_EXCEPTIONS()
    try {
        auto run = csv.run();
        throw std::runtime_error("corrupt input");
    } catch (const std::runtime_error&) {}
    CHECK(csv.failures().value() == 2.0);
#endif
    CHECK(csv.duration().count() == csv.successes().whole_value() + csv.failures().whole_value());
    CHECK(&csv.successes() == &jobs.runs().labels("csv", "success"));
}

TEST_CASE("kits/jobs: a failed run says why (error_type), one error per failed run") {
    vitals::registry reg;
    vitals::kits::job_metrics jobs(reg, "j");
    auto csv = jobs.job("csv");
    {
        auto run = csv.run();
        run.fail("bad_input");
        run.fail("timeout"); // ignored: the first reason decides
        CHECK(run.failed());
    }
    {
        auto run = csv.run();
        run.fail(); // no reason
    }
#if VITALS_HAS_EXCEPTIONS()
    try {
        auto run = csv.run();
        throw std::runtime_error("corrupt input");
    } catch (const std::runtime_error&) {}
#endif
    csv.record(0.1, false);
    csv.record_failure(0.2, "bad_input");
    csv.record(0.3, true);
    const std::string text = vitals::to_text(reg);
    const auto errors = [&text](const char* type) {
        return kits_test::sample_value(text, "j_converter_errors_total",
                                       {"converter", "csv", "error_type", type});
    };
    CHECK(errors("bad_input") == 2.0);
    CHECK(errors("timeout") == -1.0); // never created
    CHECK(errors("unspecified") == 2.0);
#if VITALS_HAS_EXCEPTIONS()
    CHECK(errors("exception") == 1.0);
    CHECK(csv.failures().value() == 5.0);
#else
    CHECK(errors("exception") == 0.0);
    CHECK(csv.failures().value() == 4.0);
#endif
    CHECK(csv.errors("bad_input").value() == 2.0);
    CHECK(csv.successes().value() == 1.0);
    CHECK(csv.duration().count() == csv.successes().whole_value() + csv.failures().whole_value());
    // Every failed run counted exactly one error.
    CHECK(errors("bad_input") + errors("unspecified") + errors("exception") ==
          csv.failures().value());
    CHECK(csv.name() == "csv");
}

#if VITALS_HAS_EXCEPTIONS()
namespace {
// What jobs.job(name) says when it refuses `name`, checking that it is errc::invalid_argument;
// "accepted" when it does not refuse it.
std::string refusal(vitals::kits::job_metrics& jobs, std::string_view name) {
    try {
        (void)jobs.job(name);
    } catch (const vitals::error& e) {
        CHECK(e.code() == vitals::errc::invalid_argument);
        return e.what();
    }
    return "accepted";
}
} // namespace

TEST_CASE("kits/jobs: a run that failed with a reason keeps it when an exception then leaves it") {
    vitals::registry reg;
    vitals::kits::job_metrics jobs(reg, "j");
    auto csv = jobs.job("csv");
    try {
        auto run = csv.run();
        run.fail("bad_input");
        throw std::runtime_error("gave up");
    } catch (const std::runtime_error&) {}
    CHECK(csv.errors("bad_input").value() == 1.0);
    CHECK(csv.errors("exception").value() == 0.0); // one error per failed run: the first reason
    CHECK(csv.failures().value() == 1.0);
}

TEST_CASE("kits/jobs: the job name __overflow__ is refused, not shared with overflowed jobs") {
    // With a bound of 2, `csv` and `xml` take the duration series and `late`, past the bound,
    // the overflow series {converter="__overflow__"}. A job named `__overflow__` used to be
    // let in and observe its durations into that series.
    vitals::registry reg;
    vitals::family_options opts;
    opts.max_series = 2;
    vitals::kits::job_metrics jobs(reg, "j", opts);
    auto csv = jobs.job("csv");
    auto xml = jobs.job("xml");
    auto late = jobs.job("late");
    late.record(1.0, true);
    CHECK(refusal(jobs, "__overflow__").find("'__overflow__' is reserved") != std::string::npos);
    CHECK_THROWS_AS((void)jobs.run("__overflow__"), vitals::error);
    CHECK(late.duration().count() == 1);
    CHECK(csv.duration().count() == 0);
}

TEST_CASE("kits/jobs: an empty job name is refused and makes no series") {
    // {converter=""} is what Prometheus reads as a series with no converter label: the job
    // could not be told apart from the others in a query.
    vitals::registry reg;
    vitals::kits::job_metrics jobs(reg, "j");
    CHECK(refusal(jobs, "").find("job name is empty") != std::string::npos);
    CHECK_THROWS_AS((void)jobs.run(""), vitals::error);
    CHECK(jobs.runs().size() == 0);
    CHECK(jobs.duration().size() == 0);
    CHECK(vitals::to_text(reg).find("converter=\"\"") == std::string::npos);
}

TEST_CASE("kits/jobs: a job name too long or not valid UTF-8 is refused, not folded away") {
    // Such names used to be accepted: the families folded one longer than
    // max_label_value_bytes into their overflow series (runs with status="__overflow__"),
    // and showed "\xff" and "\xfe" both as U+FFFD, one series for two jobs.
    vitals::registry reg;
    vitals::family_options opts;
    opts.max_label_value_bytes = 11; // room for the kit's own values ("unspecified")
    vitals::kits::job_metrics jobs(reg, "j", opts);
    CHECK(refusal(jobs, "123456789012").find("longer than 11 bytes") != std::string::npos);
    CHECK(refusal(jobs, "\xff").find("not valid UTF-8") != std::string::npos);
    CHECK(refusal(jobs, "ab\xc3").find("not valid UTF-8") != std::string::npos);
    CHECK_THROWS_AS((void)jobs.run("\xfe"), vitals::error);
    CHECK(jobs.runs().size() == 0);
    CHECK(jobs.errors().size() == 0);
    // At the bound, and valid UTF-8 beyond ASCII: accepted, with their own series.
    auto eleven = jobs.job("12345678901");
    auto cafe = jobs.job("caf\xc3\xa9");
    eleven.record(1.0, true);
    cafe.record(1.0, true);
    CHECK(eleven.successes().value() == 1.0);
    CHECK(cafe.successes().value() == 1.0);
    const std::string text = vitals::to_text(reg);
    CHECK(text.find("__overflow__") == std::string::npos);
    CHECK(text.find("j_converter_runs_total{converter=\"caf\xc3\xa9\",status=\"success\"} 1\n") !=
          std::string::npos);
}

TEST_CASE("kits/jobs: a refused const label registers nothing, so a corrected retry works") {
    vitals::registry reg;
    const std::size_t families = reg.family_count();
    // `error_type` is a label of the errors family only, `le` refused by the histogram: both
    // used to be found after the first families were registered.
    const auto code_of = [&reg](const char* name) {
        try {
            vitals::kits::job_metrics jobs(reg, "app", {{{name, "x"}}});
        } catch (const vitals::error& e) {
            return e.code();
        }
        return vitals::errc::ok;
    };
    CHECK(code_of("error_type") == vitals::errc::duplicate_label_name);
    CHECK(code_of("le") == vitals::errc::invalid_label_name);
    CHECK(reg.family_count() == families);
    vitals::kits::job_metrics jobs(reg, "app", {{{"site", "x"}}});
    jobs.job("thumbnails").files_processed(2);
    CHECK(vitals::to_text(reg).find("app_converter_files_processed_total{site=\"x\","
                                    "converter=\"thumbnails\"} 2\n") != std::string::npos);
}
#endif
