// tests/unit/kits_queue.cpp - the queue kit: families, worker and item scopes.
// SPDX-License-Identifier: MIT
#include <vitals/kits/queue.hpp>
#include <vitals/text_format.hpp>

#include "kits_support.hpp"

#include <doctest/doctest.h>

#include <stdexcept> // runtime_error
#include <string>    // string

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
