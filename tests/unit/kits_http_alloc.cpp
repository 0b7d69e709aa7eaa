// tests/unit/kits_http_alloc.cpp - a request tracker's destructor never throws: a series it
// cannot allocate loses one count (vitals::rejected_writes()), never the program.
// SPDX-License-Identifier: MIT
// vitals-test: own program (it replaces operator new (counting_new.hpp))
#include "counting_new.hpp"

#include <vitals/kits/http.hpp>
#include <vitals/rejected_writes.hpp>

#include <doctest/doctest.h>

#include <cstddef> // size_t
#include <cstdint> // uint64_t
#include <new>     // bad_alloc

#if VITALS_HAS_EXCEPTIONS()

namespace {

// One tracked request with status 200 first: the thread's slots and the endpoint's first
// status series exist before allocations fail.
vitals::kits::http_endpoint& warm_endpoint(vitals::kits::http_metrics& http) {
    auto& ep = http.endpoint("GET", "/oom");
    {
        auto t = ep.track();
        t.set_status(200);
        t.set_response_size(10);
    }
    return ep;
}

} // namespace

TEST_CASE("kits/http: a tracker meeting a new status code out of memory loses only that count") {
    vitals::registry reg;
    vitals::kits::http_metrics http(reg, "t");
    auto& ep = warm_endpoint(http);
    const std::uint64_t rejected = vitals::rejected_writes();
    {
        failing_allocations oom; // destroyed after the tracker
        auto t = ep.track();
        t.set_status(201); // never seen: its series would be made at destruction
        t.set_response_size(10);
    }
    CHECK(vitals::rejected_writes() == rejected + 1);
    CHECK(http.in_flight().value() == 0.0);
    CHECK(ep.duration().count() == 2);
    CHECK(ep.response_size().count() == 2);
    CHECK(http.requests().size() == 1); // only status 200
    // With memory back, the code is counted as usual.
    {
        auto t = ep.track();
        t.set_status(201);
    }
    CHECK(http.requests().labels("GET", "/oom", "201").value() == 1.0);
    CHECK(ep.requests(201).value() == 1.0);
}

TEST_CASE("kits/http: a tracker meeting a new error type out of memory still counts the request") {
    vitals::registry reg;
    vitals::kits::http_metrics http(reg, "t");
    auto& ep = warm_endpoint(http);
    ep.requests(503); // the status series exists; server_error does not yet
    const std::uint64_t rejected = vitals::rejected_writes();
    {
        failing_allocations oom;
        auto t = ep.track();
        t.set_status(503);
    }
    CHECK(vitals::rejected_writes() == rejected + 1);
    CHECK(http.requests().labels("GET", "/oom", "503").value() == 1.0);
    CHECK(http.errors().size() == 0);
    CHECK(http.in_flight().value() == 0.0);
}

TEST_CASE("kits/http: a tracker unwound by an exception out of memory lets the exception through") {
    vitals::registry reg;
    vitals::kits::http_metrics http(reg, "t");
    auto& ep = warm_endpoint(http);
    const std::uint64_t rejected = vitals::rejected_writes();
    bool caught = false;
    try {
        failing_allocations oom;
        auto t = ep.track();
        t.set_status(200);
        throw 42; // the exception error type's series cannot be made while this unwinds
    } catch (int) {
        caught = true;
    }
    CHECK(caught);
    CHECK(vitals::rejected_writes() == rejected + 1);
    CHECK(http.requests().labels("GET", "/oom", "200").value() == 2.0);
    CHECK(ep.duration().count() == 2);
    CHECK(http.in_flight().value() == 0.0);
}

TEST_CASE("kits/http: an endpoint whose making ran out of memory keeps its room under the bound") {
    // Out of memory after `allowed` allocations, endpoint() fails part of the way: some of the
    // pair's series may exist then (the families count them), so its room stays taken and
    // another pair does not get an endpoint now that it would lose later.
    vitals::registry reg;
    vitals::family_options small;
    small.max_series = 4; // 3 endpoints and the overflow endpoint
    vitals::kits::http_metrics http(reg, "app", small);
    http.record("GET", "/a", 200, 0.01);
    http.record("GET", "/b", 200, 0.01);
    const std::size_t series_before = http.duration().size();
    int partial_failures = 0;
    bool made = false;
    for (std::size_t allowed = 0; allowed < 1000 && !made; ++allowed) {
        bool failed = false;
        try {
            failing_allocations oom(allowed);
            (void)http.endpoint("GET", "/c");
        } catch (const std::bad_alloc&) {
            failed = true;
        }
        made = !failed;
        if (failed && http.duration().size() > series_before) {
            ++partial_failures; // a failure that left /c's duration series behind
            CHECK(http.endpoint("GET", "/d").endpoint() == "__overflow__");
        }
    }
    REQUIRE(made);
    CHECK(partial_failures >= 1);
    CHECK(http.endpoint("GET", "/c").endpoint() == "/c");
    CHECK(http.endpoint("GET", "/d").endpoint() == "__overflow__");
    CHECK(http.requests().size() <= 4u);
    CHECK(http.duration().size() <= 4u);
    CHECK(http.request_size().size() <= 4u);
    CHECK(http.response_size().size() <= 4u);
}

#endif // VITALS_HAS_EXCEPTIONS()
