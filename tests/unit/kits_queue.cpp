// tests/unit/kits_queue.cpp - the queue kit: families, worker and item scopes.
// SPDX-License-Identifier: MIT
#include <vitals/kits/queue.hpp>
#include <vitals/text_format.hpp>

#include "kits_support.hpp"

#include <doctest/doctest.h>

#include <chrono>    // steady_clock, milliseconds
#include <cstdint>   // uint64_t
#include <limits>    // numeric_limits
#include <stdexcept> // runtime_error
#include <string>    // string
#include <thread>    // sleep_for

TEST_CASE("kits/queue: families, types and values (golden)") {
    vitals::registry reg;
    vitals::kits::queue_metrics q(reg, "demo");
    q.set_size(7);
    q.record(0.125, true);
    q.record(0.5, true);
    q.record(3.0, false);
    q.workers_active().set(2);
    kits_test::check_golden(vitals::to_text(reg), __FILE__, "kits_queue.txt");
}

TEST_CASE("kits/queue: a namespace given with its underscore gets no second one") {
    vitals::registry with, without;
    vitals::kits::queue_metrics a(with, "app_");
    vitals::kits::queue_metrics b(without, "app");
    a.set_size(3);
    b.set_size(3);
    const std::string text = vitals::to_text(with);
    CHECK(text == vitals::to_text(without));
    CHECK(text.find("app_queue_") != std::string::npos);
    CHECK(text.find("app__") == std::string::npos);
}

TEST_CASE("kits/queue: worker scope raises and lowers workers_active") {
    vitals::registry reg;
    vitals::kits::queue_metrics q(reg, "q");
    CHECK(q.workers_active().value() == 0.0);
    {
        auto w1 = q.worker();
        CHECK(q.workers_active().value() == 1.0);
        {
            vitals::kits::queue_metrics::worker_scope w2(q);
            CHECK(q.workers_active().value() == 2.0);
        }
        CHECK(q.workers_active().value() == 1.0);
    }
    CHECK(q.workers_active().value() == 0.0);
}

TEST_CASE("kits/queue: item scope counts processed items and errors") {
    vitals::registry reg;
    vitals::kits::queue_metrics q(reg, "q");
    { auto item = q.process(); }
    {
        auto item = q.process();
        item.fail();
    }
    CHECK(q.processed().value() == 2.0);
    CHECK(q.errors().value() == 1.0);
    CHECK(q.processing_duration().count() == 2);
#if VITALS_HAS_EXCEPTIONS()
    try {
        auto item = q.process();
        throw std::runtime_error("bad item");
    } catch (const std::runtime_error&) {}
    CHECK(q.processed().value() == 3.0);
    CHECK(q.errors().value() == 2.0);
    CHECK(q.processing_duration().count() == 3);
#endif
}

TEST_CASE("kits/queue: an item scope observes the time it took, in seconds") {
    vitals::registry reg;
    vitals::kits::queue_metrics q(reg, "q");
    const auto before = std::chrono::steady_clock::now();
    {
        auto item = q.process();
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    const std::chrono::duration<double> around = std::chrono::steady_clock::now() - before;
    CHECK(q.processing_duration().count() == 1u);
    CHECK(q.processing_duration().sum() >= 0.002);
    CHECK(q.processing_duration().sum() <= around.count());
}

TEST_CASE("kits/queue: a negative duration counts the item, not the duration") {
    vitals::registry reg;
    vitals::kits::queue_metrics q(reg, "q");
    q.record(0.5, true);
    const std::uint64_t rejected = vitals::rejected_writes();
    q.record(-0.25, false);
    CHECK(vitals::rejected_writes() == rejected + 1);
    q.record(std::numeric_limits<double>::infinity(), true); // would make the sum infinite
    CHECK(vitals::rejected_writes() == rejected + 2);
    CHECK(q.processed().value() == 3.0);
    CHECK(q.errors().value() == 1.0);
    CHECK(q.processing_duration().count() == 1);
    CHECK(q.processing_duration().sum() == 0.5);
}

TEST_CASE("kits/queue: a cancelled item scope records nothing") {
    vitals::registry reg;
    vitals::kits::queue_metrics q(reg, "q");
    {
        auto item = q.process();
        item.fail();
        item.cancel();
    }
    CHECK(q.processed().value() == 0.0);
    CHECK(q.errors().value() == 0.0);
    CHECK(q.processing_duration().count() == 0);
}

TEST_CASE("kits/queue: two queues share one namespace through const labels") {
    vitals::registry reg;
    vitals::kits::queue_metrics uploads(reg, "app", {{{"queue", "uploads"}}});
    vitals::kits::queue_metrics mails(reg, "app", {{{"queue", "mails"}}});
    uploads.set_size(5);
    mails.record(0.02, false);
    {
        auto w = uploads.worker();
        CHECK(uploads.workers_active().value() == 1.0);
        CHECK(mails.workers_active().value() == 0.0);
    }
    const std::string text = vitals::to_text(reg);
    CHECK(kits_test::sample_value(text, "app_queue_size", {"queue", "uploads"}) == 5.0);
    CHECK(kits_test::sample_value(text, "app_queue_size", {"queue", "mails"}) == 0.0);
    CHECK(kits_test::sample_value(text, "app_queue_errors_total", {"queue", "mails"}) == 1.0);
    CHECK(kits_test::sample_value(text, "app_queue_processing_duration_seconds_count",
                                  {"queue", "mails"}) == 1.0);
    CHECK(text.find("# TYPE app_queue_size") == text.rfind("# TYPE app_queue_size"));
}

TEST_CASE("kits/queue: a second kit with the same namespace and labels is an error") {
    vitals::registry reg;
    vitals::kits::queue_metrics first(reg, "app");
    first.set_size(3);
#if VITALS_HAS_EXCEPTIONS()
    CHECK_THROWS_AS(vitals::kits::queue_metrics(reg, "app"), vitals::error);
#endif
    vitals::status st;
    vitals::kits::queue_metrics second(reg, "app", {}, st);
    CHECK(st.code() == vitals::errc::conflicting_registration);
    CHECK(st.message().find("queue kit \"app\"") != std::string::npos);
    // What to do names a queue label, not the cache kit's example.
    CHECK(st.message().find("{\"queue\", \"uploads\"}") != std::string::npos);
    CHECK(st.message().find("cache") == std::string::npos);
    second.set_size(99); // recorded nowhere the registry shows
    CHECK(kits_test::sample_value(vitals::to_text(reg), "app_queue_size") == 3.0);
    vitals::kits::queue_metrics labelled(reg, "app", {{{"queue", "x"}}}, st);
    CHECK(st.code() == vitals::errc::conflicting_registration); // other label names
}

TEST_CASE("kits/queue: a refused const label registers nothing, so a corrected retry works") {
    vitals::registry reg;
    const std::size_t families = reg.family_count();
    vitals::status st;
    // `le` is fine for the gauges and counters, refused for the histogram registered last.
    vitals::kits::queue_metrics refused(reg, "app", {{{"le", "x"}}}, st);
    CHECK(st.code() == vitals::errc::invalid_label_name);
    CHECK(st.message().find("'le'") != std::string::npos);
    CHECK(reg.family_count() == families);
    vitals::kits::queue_metrics fixed(reg, "app", {{{"lane", "x"}}}, st);
    CHECK(st.ok());
    fixed.set_size(4);
    CHECK(kits_test::sample_value(vitals::to_text(reg), "app_queue_size") == 4.0);
}
