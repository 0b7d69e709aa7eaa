// tests/unit/kits_all_or_nothing.cpp - a kit whose registration fails at a later family leaves
// none of its families behind: not in the exposition, and not holding names a retry needs.
// SPDX-License-Identifier: MIT
#include <vitals/config.hpp>
#include <vitals/kits/cache.hpp>
#include <vitals/kits/http.hpp>
#include <vitals/kits/jobs.hpp>
#include <vitals/kits/queue.hpp>
#include <vitals/registry.hpp>
#include <vitals/text_format.hpp>

#include <doctest/doctest.h>

#include "test_support.hpp"

#include <optional> // optional
#include <string>   // string

namespace {

using vitals_test::contains;

} // namespace

// The status forms are what a program that goes on after an error
// uses, so they are tested in every build.
TEST_CASE("kits: a cache kit that fails at its last family registers none of them") {
    vitals::registry reg;
    reg.counter("app_cache_size", "The program's own counter, taking the kit's name.").inc();
    const std::string before = vitals::to_text(reg);
    vitals::status error;
    vitals::kits::cache_metrics cache(reg, "app", {}, error);
    CHECK(error.code() == vitals::errc::name_collision);
    CHECK(vitals::to_text(reg) == before); // no app_cache_hits_total and the rest
    cache.hit();                           // records where no registry shows it
    // The names the failed kit had taken are free again: a retry under another namespace
    // works, and so does the program's own use of them.
    vitals::status again;
    vitals::kits::cache_metrics other(reg, "other", {}, again);
    CHECK(again.ok());
    reg.gauge("app_cache_hits", "A gauge named as the withdrawn counter's base.").set(1);
    other.hit();
    const std::string text = vitals::to_text(reg);
    CHECK(contains(text, "other_cache_hits_total 1\n"));
    CHECK(contains(text, "app_cache_hits 1\n"));
    CHECK_FALSE(contains(text, "app_cache_misses"));
}

TEST_CASE("kits: a queue kit that fails at its histogram registers none of its families") {
    vitals::registry reg;
    reg.gauge("app_queue_processing_duration_seconds_count", "Takes the histogram's count.");
    const std::size_t families = reg.family_count();
    vitals::status error;
    vitals::kits::queue_metrics queue(reg, "app", {}, error);
    CHECK(error.code() == vitals::errc::name_collision);
    CHECK(reg.family_count() == families);
    CHECK_FALSE(contains(vitals::to_text(reg), "app_queue_size"));
    // The same kit with a namespace of its own registers all five.
    vitals::status ok;
    vitals::kits::queue_metrics fine(reg, "work", {}, ok);
    CHECK(ok.ok());
    CHECK(reg.family_count() == families + 5);
}

TEST_CASE("kits: an HTTP kit's status form reports a failed family and registers none") {
    vitals::registry reg;
    reg.gauge("app_http_requests_in_flight", "The program's own, with a label.", {"pool"});
    const std::string before = vitals::to_text(reg);
    const std::size_t families = reg.family_count();
    vitals::status error;
    vitals::kits::http_metrics http(reg, "app", {}, error);
    CHECK(error.code() == vitals::errc::conflicting_registration);
    CHECK(contains(error.message(), "app_http_requests_in_flight"));
    CHECK(reg.family_count() == families);
    // The kit works, on families no registry shows: a tracked request is counted there.
    {
        auto t = http.track("GET", "/x");
        t.set_status(503);
        CHECK(http.in_flight().value() == 1.0);
    }
    http.record("GET", "/x", 200, 0.01, 10.0, 20.0, "timeout");
    CHECK(http.in_flight().value() == 0.0);
    CHECK(http.requests().labels("GET", "/x", "503").value() == 1.0);
    CHECK(http.requests().labels("GET", "/x", "200").value() == 1.0);
    CHECK(http.duration().labels("GET", "/x").count() == 2);
    CHECK(http.errors().labels("GET", "/x", "timeout").value() == 1.0);
    CHECK(vitals::to_text(reg) == before);
    // A refused const label is reported the same way, before anything is registered.
    vitals::status bad_label;
    vitals::kits::http_metrics labelled(reg, "web", {{{"endpoint", "x"}}}, bad_label);
    CHECK_FALSE(bad_label.ok());
    CHECK(reg.family_count() == families);
    // With a namespace of its own the status form registers all six families.
    vitals::status ok;
    vitals::kits::http_metrics fine(reg, "web", {}, ok);
    CHECK(ok.ok());
    CHECK(reg.family_count() == families + 6);
    fine.record("GET", "/", 200, 0.01);
    CHECK(contains(vitals::to_text(reg),
                   "web_http_requests_total{method=\"GET\",endpoint=\"/\",status=\"200\"} 1\n"));
}

TEST_CASE("kits: a job kit's status form reports a failed family and registers none") {
    vitals::registry reg;
    reg.gauge("app_converter_files_processed_total", "A gauge where the kit wants a counter.");
    const std::size_t families = reg.family_count();
    vitals::status error;
    vitals::kits::job_metrics jobs(reg, "app", {}, error);
    CHECK(error.code() == vitals::errc::conflicting_registration);
    CHECK(reg.family_count() == families);
    CHECK_FALSE(contains(vitals::to_text(reg), "app_converter_runs_total"));
    {
        auto run = jobs.run("csv");
        run.files_processed(3);
        run.fail("bad_input");
    }
    CHECK(jobs.runs().labels("csv", "failure").value() == 1.0);
    CHECK(jobs.errors().labels("csv", "bad_input").value() == 1.0);
    CHECK(jobs.files_processed().labels("csv").value() == 3.0);
    CHECK(jobs.duration().labels("csv").count() == 1);
    // A handle of a refused kit keeps the kit's own registry: it still records once the kit
    // is gone (under ASan, a use after free if it did not).
    std::optional<vitals::kits::job_handle> handle;
    {
        vitals::status refused;
        vitals::kits::job_metrics gone(reg, "app", {}, refused);
        CHECK_FALSE(refused.ok());
        handle.emplace(gone.job("csv"));
    }
    handle->record(0.5, true);
    handle->record_failure(0.5, "late");
    CHECK(handle->successes().value() == 1.0);
    CHECK(handle->errors("late").value() == 1.0);
    CHECK(handle->duration().count() == 2);
    handle.reset();
    vitals::status ok;
    vitals::kits::job_metrics fine(reg, "batch", {}, ok);
    CHECK(ok.ok());
    CHECK(reg.family_count() == families + 4);
}

TEST_CASE("kits: refused cache and queue kits record into metrics of their own") {
    vitals::registry reg;
    reg.counter("app_cache_size", "The program's own, taking the kit's name.");
    reg.counter("app_queue_size", "The same for the queue kit.");
    vitals::status e1, e2, e3;
    vitals::kits::cache_metrics a(reg, "app", {}, e1);
    vitals::kits::cache_metrics b(reg, "app", {{{"cache", "b"}}}, e2);
    vitals::kits::queue_metrics q(reg, "app", {}, e3);
    REQUIRE_FALSE(e1.ok());
    REQUIRE_FALSE(e2.ok());
    REQUIRE_FALSE(e3.ok());
    for (int i = 0; i < 10; ++i) a.hit();
    a.miss(10);
    b.miss();
    CHECK(a.hits().value() == 10.0);
    CHECK(a.misses().value() == 10.0);
    CHECK(a.hit_rate() == doctest::Approx(0.5));
    CHECK(b.hits().value() == 0.0); // not a's: each refused kit has its own
    CHECK(b.misses().value() == 1.0);
    CHECK(b.hit_rate() == 0.0);
    q.size().set(3);
    q.processed().inc();
    CHECK(q.workers_active().value() == 0.0);
    CHECK(q.errors().value() == 0.0);
    CHECK(q.size().value() == 3.0);
}

TEST_CASE("kits: a cache or queue label value longer than the families' bound is refused") {
    vitals::registry reg;
    const std::string long_a(3000, 'a');
    const std::string long_b(3000, 'b');
    vitals::status first, second, queue;
    vitals::kits::cache_metrics a(reg, "app", {{{"cache", long_a}}}, first);
    vitals::kits::cache_metrics b(reg, "app", {{{"cache", long_b}}}, second);
    vitals::kits::queue_metrics q(reg, "work", {{{"queue", long_a}}}, queue);
    CHECK(first.code() == vitals::errc::invalid_argument);
    CHECK(second.code() == vitals::errc::invalid_argument);
    CHECK(queue.code() == vitals::errc::invalid_argument);
    CHECK(contains(first.message(), "'cache'"));
    a.hit();
    CHECK(b.hits().value() == 0.0);
    const std::string text = vitals::to_text(reg);
    CHECK_FALSE(contains(text, "__overflow__"));
    CHECK_FALSE(contains(text, long_a));
}

TEST_CASE("kits: a cache or queue label value that is not valid UTF-8 is refused") {
    // Shown with U+FFFD, "\xff" and "\xfe" are one series: two kits would share counters.
    vitals::registry reg;
    vitals::status first, second, queue;
    vitals::kits::cache_metrics a(reg, "app", {{{"cache", "users\xff"}}}, first);
    vitals::kits::cache_metrics b(reg, "app", {{{"cache", "users\xfe"}}}, second);
    vitals::kits::queue_metrics q(reg, "work", {{{"queue", "\xc3"}}}, queue);
    CHECK(first.code() == vitals::errc::invalid_argument);
    CHECK(second.code() == vitals::errc::invalid_argument);
    CHECK(queue.code() == vitals::errc::invalid_argument);
    CHECK(contains(first.message(), "not valid UTF-8"));
    a.hit();
    CHECK(b.hits().value() == 0.0);
    const std::string text = vitals::to_text(reg);
    CHECK_FALSE(contains(text, "app_cache_hits_total"));
    CHECK_FALSE(contains(text, "work_queue_size"));
    vitals::status valid;
    vitals::kits::cache_metrics c(reg, "app", {{{"cache", "caf\xc3\xa9"}}}, valid); // é
    CHECK(valid.ok());
}

TEST_CASE("kits: every kit refuses a unit in its options, naming the option, and registers none") {
    // The cache and queue kits used to drop the unit without a word; the HTTP and job kits
    // refused it with the registry's message about their first counter's name.
    vitals::registry reg;
    const std::size_t families = reg.family_count();
    vitals::family_options with_unit;
    with_unit.unit = "seconds";
    vitals::status cache, queue, http, jobs;
    vitals::kits::cache_metrics c(reg, "app", with_unit, cache);
    vitals::kits::queue_metrics q(reg, "app", with_unit, queue);
    vitals::kits::http_metrics h(reg, "app", with_unit, http);
    vitals::kits::job_metrics j(reg, "app", with_unit, jobs);
    for (const vitals::status* st : {&cache, &queue, &http, &jobs}) {
        CHECK(st->code() == vitals::errc::invalid_argument);
        CHECK(contains(st->message(), "family_options::unit must be empty (it is \"seconds\")"));
        CHECK(contains(st->message(), "sets the unit of each of its families itself"));
    }
    CHECK(contains(cache.message(), "cache kit \"app\""));
    CHECK(contains(queue.message(), "queue kit \"app\""));
    CHECK(contains(http.message(), "http kit \"app\""));
    CHECK(contains(jobs.message(), "job kit \"app\""));
    CHECK(reg.family_count() == families);
    c.hit(); // the refused kits record into metrics of their own
    q.processed().inc();
    CHECK(vitals::to_text(reg).empty());
#if VITALS_HAS_EXCEPTIONS()
    CHECK_THROWS_AS(vitals::kits::cache_metrics(reg, "app", with_unit), vitals::error);
#endif
    vitals::kits::cache_metrics fine(reg, "app"); // without the unit, the same kit is let in
    fine.hit();
    CHECK(contains(vitals::to_text(reg), "app_cache_hits_total 1\n"));
}

// With a bound of 8 bytes, the job kit used to count every run in
// converter_runs_total{converter="__overflow__",status="__overflow__"} ("success" fits, but
// "unspecified" and "exception" did not, nor, for the HTTP kit, "client_error").
TEST_CASE("kits: the HTTP and job kits refuse a label value bound their own values exceed") {
    vitals::registry reg;
    const std::size_t families = reg.family_count();
    vitals::family_options narrow;
    narrow.max_label_value_bytes = 11;
    vitals::status http, jobs;
    vitals::kits::http_metrics h(reg, "app", narrow, http);
    CHECK(http.code() == vitals::errc::invalid_argument);
    CHECK(contains(http.message(), "http kit \"app\": family_options::max_label_value_bytes "
                                   "must be at least 12 (it is 11)"));
    narrow.max_label_value_bytes = 10;
    vitals::kits::job_metrics j(reg, "app", narrow, jobs);
    CHECK(jobs.code() == vitals::errc::invalid_argument);
    CHECK(contains(jobs.message(), "must be at least 11 (it is 10)"));
    CHECK(contains(jobs.message(), "'unspecified'"));
    CHECK(reg.family_count() == families);
    // At the bound: registered, and the kits' own values keep their series.
    narrow.max_label_value_bytes = 12;
    vitals::kits::http_metrics h12(reg, "web", narrow);
    h12.record("GET", "/", 404, 0.1);
    narrow.max_label_value_bytes = 11;
    vitals::kits::job_metrics j11(reg, "batch", narrow);
    j11.job("csv").record(0.1, false);
    const std::string text = vitals::to_text(reg);
    CHECK(contains(text, "web_http_errors_total{method=\"GET\",endpoint=\"/\","
                         "error_type=\"client_error\"} 1\n"));
    CHECK(contains(text, "batch_converter_runs_total{converter=\"csv\",status=\"failure\"} 1\n"));
    CHECK(contains(text, "batch_converter_errors_total{converter=\"csv\","
                         "error_type=\"unspecified\"} 1\n"));
    CHECK_FALSE(contains(text, "__overflow__"));
}

TEST_CASE("kits: a cache or queue label value __overflow__ is refused, not shared with overflow") {
    // With a bound of two caches, `users` takes one series and `late` (past the bound) the
    // overflow series {cache="__overflow__"}; a kit named `__overflow__` used to be let in
    // and count into that series too, its hits shown as `late`'s.
    vitals::registry reg;
    vitals::family_options opts;
    opts.max_series = 2;
    opts.const_labels = {{"cache", "users"}};
    vitals::kits::cache_metrics users(reg, "app", opts);
    opts.const_labels = {{"cache", "sessions"}};
    vitals::kits::cache_metrics sessions(reg, "app", opts);
    opts.const_labels = {{"cache", "late"}};
    vitals::kits::cache_metrics late(reg, "app", opts); // past the bound: the overflow series
    late.hit();
    vitals::status reserved, queue;
    opts.const_labels = {{"cache", "__overflow__"}};
    vitals::kits::cache_metrics named(reg, "app", opts, reserved);
    vitals::kits::queue_metrics q(reg, "work", {{{"queue", "__overflow__"}}}, queue);
    CHECK(reserved.code() == vitals::errc::invalid_argument);
    CHECK(queue.code() == vitals::errc::invalid_argument);
    CHECK(contains(reserved.message(), "'cache' is '__overflow__', which is reserved"));
    CHECK(contains(queue.message(), "'queue' is '__overflow__', which is reserved"));
    named.hit(5); // into the refused kit's own counter
    CHECK(late.hits().value() == 1.0);
    const std::string text = vitals::to_text(reg);
    CHECK(contains(text, "app_cache_hits_total{cache=\"__overflow__\"} 1\n"));
    CHECK_FALSE(contains(text, "work_queue_size"));
    CHECK(&late.hits() != &named.hits()); // the refused kit counts on its own
}

TEST_CASE("kits: an empty cache or queue label value is refused") {
    // Prometheus reads cache="" as no label: the kit's series would not say which cache.
    vitals::registry reg;
    vitals::status cache, queue;
    vitals::kits::cache_metrics c(reg, "app", {{{"cache", ""}}}, cache);
    vitals::kits::queue_metrics q(reg, "work", {{{"queue", ""}}}, queue);
    CHECK(cache.code() == vitals::errc::invalid_argument);
    CHECK(queue.code() == vitals::errc::invalid_argument);
    CHECK(contains(cache.message(), "'cache' is empty"));
    CHECK(contains(queue.message(), "'queue' is empty"));
    const std::string text = vitals::to_text(reg);
    CHECK_FALSE(contains(text, "app_cache_hits_total"));
    CHECK_FALSE(contains(text, "work_queue_size"));
}

TEST_CASE("kits: a cache or queue kit takes the families' bound from its options") {
    vitals::registry reg;
    const std::string long_value(3000, 'l');
    vitals::family_options raised;
    raised.const_labels = {{"cache", long_value}};
    raised.max_label_value_bytes = 4096;
    vitals::kits::cache_metrics big(reg, "app", raised); // refused at the default 2048 bytes
    big.hit();
    CHECK(contains(vitals::to_text(reg), "app_cache_hits_total{cache=\"" + long_value + "\"} 1\n"));

    vitals::family_options lowered;
    lowered.const_labels = {{"queue", "eight_by"}};
    lowered.max_label_value_bytes = 4;
    vitals::status st;
    vitals::kits::queue_metrics q(reg, "work", lowered, st);
    CHECK(st.code() == vitals::errc::invalid_argument);
    CHECK(contains(st.message(), "4 bytes"));
    CHECK_FALSE(contains(vitals::to_text(reg), "eight_by"));

    // A value of exactly max_label_value_bytes is within the bound.
    vitals::family_options at_bound;
    at_bound.const_labels = {{"queue", "four"}};
    at_bound.max_label_value_bytes = 4;
    vitals::status kept;
    vitals::kits::queue_metrics q4(reg, "work", at_bound, kept);
    CHECK(kept.ok());
    at_bound.const_labels = {{"cache", "four"}};
    vitals::kits::cache_metrics c4(reg, "four", at_bound, kept);
    CHECK(kept.ok());
    c4.hit();
    CHECK(contains(vitals::to_text(reg), "four_cache_hits_total{cache=\"four\"} 1\n"));
}

TEST_CASE("kits: families that existed before a failed kit stay, with their series") {
    vitals::registry reg;
    vitals::status first;
    vitals::kits::cache_metrics users(reg, "app", {{{"cache", "users"}}}, first);
    REQUIRE(first.ok());
    users.hit();
    // A second kit of the same namespace shares the four families; its cache label set is
    // the first one's, which is refused after the families were found.
    vitals::status second;
    vitals::kits::cache_metrics same(reg, "app", {{{"cache", "users"}}}, second);
    CHECK(second.code() == vitals::errc::conflicting_registration);
    users.hit();
    CHECK(contains(vitals::to_text(reg), "app_cache_hits_total{cache=\"users\"} 2\n"));
}

#if VITALS_HAS_EXCEPTIONS()
TEST_CASE("kits: an HTTP kit that fails at its last family throws and registers none") {
    vitals::registry reg;
    reg.gauge("app_http_requests_in_flight", "The program's own, with a label.", {"pool"});
    const std::size_t families = reg.family_count();
    CHECK_THROWS_AS(vitals::kits::http_metrics(reg, "app"), vitals::error);
    CHECK(reg.family_count() == families);
    const std::string text = vitals::to_text(reg);
    CHECK_FALSE(contains(text, "app_http_requests_total"));
    CHECK_FALSE(contains(text, "app_http_request_duration_seconds"));
    // The withdrawn histogram's sample names are free again.
    reg.gauge("app_http_request_duration_seconds_bucket", "Now the program's.").set(2);
    CHECK(contains(vitals::to_text(reg), "app_http_request_duration_seconds_bucket 2\n"));
    // Another namespace works, and a request is counted there.
    vitals::kits::http_metrics http(reg, "web");
    http.record("GET", "/", 200, 0.01);
    CHECK(contains(vitals::to_text(reg),
                   "web_http_requests_total{method=\"GET\",endpoint=\"/\",status=\"200\"} 1\n"));
}

TEST_CASE("kits: a job kit that fails at its last family throws and registers none") {
    vitals::registry reg;
    reg.gauge("app_converter_files_processed_total", "A gauge where the kit wants a counter.");
    const std::size_t families = reg.family_count();
    CHECK_THROWS_AS(vitals::kits::job_metrics(reg, "app"), vitals::error);
    CHECK(reg.family_count() == families);
    CHECK_FALSE(contains(vitals::to_text(reg), "app_converter_runs_total"));
    // The program's own registration of a withdrawn name works afterwards.
    reg.counter("app_converter_runs", "The program's own runs counter.").inc();
    CHECK(contains(vitals::to_text(reg), "app_converter_runs_total 1\n"));
}

TEST_CASE("kits: a kit constructed twice on one registry is still two views of one family set") {
    vitals::registry reg;
    vitals::kits::http_metrics a(reg, "app");
    vitals::kits::http_metrics b(reg, "app"); // finds every family: nothing to withdraw
    a.record("GET", "/x", 200, 0.01);
    b.record("GET", "/x", 200, 0.01);
    CHECK(contains(vitals::to_text(reg),
                   "app_http_requests_total{method=\"GET\",endpoint=\"/x\",status=\"200\"} 2\n"));
}
#endif

// A kit that registers one of its families twice finds its own family the second time; that
// does not keep the family when the kit fails (only another caller's registration does).
TEST_CASE("kits: a failed kit withdraws a family it registered twice") {
    vitals::registry reg;
    {
        vitals::detail::kit_registration kit(reg);
        reg.counter("app_tasks_total", "Tasks.");
        reg.counter("app_tasks_total", "Tasks.").inc();
    } // not committed
    CHECK_FALSE(contains(vitals::to_text(reg), "app_tasks"));
    CHECK(reg.try_gauge("app_tasks", "The counter's base name, free again.").ok());
}
