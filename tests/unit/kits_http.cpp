// tests/unit/kits_http.cpp - the HTTP kit: families, the request tracker, the plain form.
// SPDX-License-Identifier: MIT
#include <vitals/exposition/openmetrics.hpp>
#include <vitals/kits/http.hpp>
#include <vitals/text_format.hpp>

#include "kits_support.hpp"

#include <doctest/doctest.h>

#include <cstdint>   // uint64_t
#include <exception> // uncaught_exceptions
#include <limits>    // numeric_limits
#include <stdexcept> // runtime_error
#include <string>    // string, to_string
#include <thread>    // thread
#include <utility>   // pair
#include <vector>    // vector

namespace {

double requests(vitals::kits::http_metrics& http, const char* m, const char* e, const char* s) {
    return http.requests().labels(m, e, s).value();
}
double errors(vitals::kits::http_metrics& http, const char* m, const char* e, const char* t) {
    return http.errors().labels(m, e, t).value();
}
// The requests counted in all the series of the kit's request counter, read from `text`.
double http_total(vitals::kits::http_metrics& http, const std::string& text) {
    double total = 0;
    const std::string start = '\n' + http.requests().name() + '{';
    for (std::size_t at = text.find(start); at != std::string::npos; at = text.find(start, at + 1))
        total += std::stod(text.substr(text.find("} ", at) + 2));
    return total;
}

} // namespace

TEST_CASE("kits/http: families, types, labels and buckets (golden)") {
    vitals::registry reg;
    vitals::kits::http_metrics http(reg, "demo");
    http.record("GET", "/api/reports", 200, 0.03125, 128, 5000);
    http.record("GET", "/api/reports", 200, 0.25, 0, 70000);
    http.record("POST", "/api/reports", 503, 1.5, 2048, 90);
    http.record("GET", "/api/units", 0, 10.0, -1, -1, "timeout");
    http.record("GET", "/api/units", 404, 0.004, 64, 100);
    http.in_flight().set(2);
    kits_test::check_golden(vitals::to_text(reg), __FILE__, "kits_http.txt");
}

TEST_CASE("kits/http: byte buckets go from 64 B to 64 MiB") {
    const std::vector<double> b = vitals::kits::byte_buckets();
    REQUIRE(b.size() == 11);
    CHECK(b.front() == 64.0);
    CHECK(b.back() == 64.0 * 1024 * 1024);
    CHECK(vitals::validate_buckets(b).ok());
}

TEST_CASE("kits/http: an empty namespace drops the prefix") {
    vitals::registry reg;
    vitals::kits::http_metrics http(reg, "");
    http.record("GET", "/", 200, 0.1);
    const std::string text = vitals::to_text(reg);
    CHECK(text.find("# TYPE http_requests_total counter\n") != std::string::npos);
    CHECK(text.find("# TYPE http_request_duration_seconds histogram\n") != std::string::npos);
    CHECK(text.find("# TYPE http_requests_in_flight gauge\n") != std::string::npos);
}

TEST_CASE("kits/http: tracker on success") {
    vitals::registry reg;
    vitals::kits::http_metrics http(reg, "t");
    auto& ep = http.endpoint("GET", "/api/reports");
    CHECK(&ep == &http.endpoint("GET", "/api/reports"));
    {
        auto t = ep.track();
        CHECK(http.in_flight().value() == 1.0);
        t.set_request_size(100);
        t.set_status(200);
        t.set_response_size(4096);
        CHECK(t.elapsed() >= 0.0);
    }
    CHECK(http.in_flight().value() == 0.0);
    CHECK(requests(http, "GET", "/api/reports", "200") == 1.0);
    CHECK(ep.duration().count() == 1);
    CHECK(ep.duration().sum() >= 0.0);
    CHECK(ep.duration().sum() < 1.0);
    CHECK(ep.request_size().count() == 1);
    CHECK(ep.request_size().sum() == 100.0);
    CHECK(ep.response_size().count() == 1);
    CHECK(ep.response_size().sum() == 4096.0);
    CHECK(http.errors().size() == 0);
    const std::string text = vitals::to_text(reg);
    CHECK(text.find("t_http_errors_total") == std::string::npos);
}

TEST_CASE("kits/http: sizes that were never set are not observed") {
    vitals::registry reg;
    vitals::kits::http_metrics http(reg, "t");
    {
        auto t = http.track("GET", "/x");
        t.set_status(204);
    }
    auto& ep = http.endpoint("GET", "/x");
    CHECK(ep.duration().count() == 1);
    CHECK(ep.request_size().count() == 0);
    CHECK(ep.response_size().count() == 0);
    CHECK(requests(http, "GET", "/x", "204") == 1.0);
}

TEST_CASE("kits/http: tracker on an error status") {
    vitals::registry reg;
    vitals::kits::http_metrics http(reg, "t");
    {
        auto t = http.track("POST", "/api/reports");
        t.set_status(503);
    }
    {
        auto t = http.track("POST", "/api/reports");
        t.set_status(404);
    }
    {
        auto t = http.track("POST", "/api/reports");
        t.set_status(302);
    }
    CHECK(requests(http, "POST", "/api/reports", "503") == 1.0);
    CHECK(requests(http, "POST", "/api/reports", "404") == 1.0);
    CHECK(requests(http, "POST", "/api/reports", "302") == 1.0);
    CHECK(errors(http, "POST", "/api/reports", "server_error") == 1.0);
    CHECK(errors(http, "POST", "/api/reports", "client_error") == 1.0);
    CHECK(http.errors().size() == 2);
    CHECK(http.in_flight().value() == 0.0);
}

TEST_CASE("kits/http: an explicit error type replaces the automatic one") {
    vitals::registry reg;
    vitals::kits::http_metrics http(reg, "t");
    {
        auto t = http.track("GET", "/api/units");
        t.record_error("timeout");
        t.record_error("connection"); // ignored: one error per request
        t.set_status(503);
    }
    CHECK(errors(http, "GET", "/api/units", "timeout") == 1.0);
    CHECK(http.errors().size() == 1);
    CHECK(requests(http, "GET", "/api/units", "503") == 1.0);
}

TEST_CASE("kits/http: record_error() counts with the request: cancel() drops both") {
    vitals::registry reg;
    vitals::kits::http_metrics http(reg, "t");
    {
        auto t = http.track("GET", "/slow");
        t.record_error("timeout");
        // Still in flight: a scrape now shows no error for a request it does not count yet.
        CHECK(errors(http, "GET", "/slow", "timeout") == 0.0);
        CHECK(http.requests().size() == 0);
        t.cancel(); // e.g. the client went away and the request is not to be counted
    }
    CHECK(errors(http, "GET", "/slow", "timeout") == 0.0);
    CHECK(http.requests().size() == 0);
    {
        auto t = http.track("GET", "/slow");
        t.record_error("timeout");
        t.set_status(504);
    }
    CHECK(errors(http, "GET", "/slow", "timeout") == 1.0);
    CHECK(requests(http, "GET", "/slow", "504") == 1.0);
}

TEST_CASE("kits/http: a request without a status is counted as status none") {
    vitals::registry reg;
    vitals::kits::http_metrics http(reg, "t");
    {
        auto t = http.track("GET", "/a");
        t.record_error("connection");
    }
    {
        auto t = http.track("GET", "/a");
        t.set_status(-3);
    }
    {
        auto t = http.track("GET", "/a");
        t.set_status(1000);
    }
    CHECK(requests(http, "GET", "/a", "none") == 3.0);
    CHECK(http.requests().size() == 1);
    CHECK(errors(http, "GET", "/a", "connection") == 1.0);
}

#if VITALS_HAS_EXCEPTIONS()
TEST_CASE("kits/http: tracker left by an exception records error_type=exception") {
    vitals::registry reg;
    vitals::kits::http_metrics http(reg, "t");
    auto& ep = http.endpoint("GET", "/api/reports");
    bool caught = false;
    try {
        auto t = ep.track();
        t.set_request_size(10);
        throw std::runtime_error("boom");
    } catch (const std::runtime_error&) {
        caught = true;
    }
    CHECK(caught);
    CHECK(errors(http, "GET", "/api/reports", "exception") == 1.0);
    CHECK(requests(http, "GET", "/api/reports", "none") == 1.0);
    CHECK(ep.duration().count() == 1);
    CHECK(ep.request_size().count() == 1);
    CHECK(http.in_flight().value() == 0.0);

    SUBCASE("a status set before the exception is kept, the error is still 'exception'") {
        try {
            auto t = ep.track();
            t.set_status(500);
            throw std::runtime_error("boom");
        } catch (const std::runtime_error&) {}
        CHECK(requests(http, "GET", "/api/reports", "500") == 1.0);
        CHECK(errors(http, "GET", "/api/reports", "exception") == 2.0);
        CHECK(http.errors().size() == 1);
    }
    SUBCASE("code that catches inside the scope names the type") {
        {
            auto t = ep.track();
            try {
                throw std::runtime_error("timed out");
            } catch (const std::runtime_error&) {
                t.record_error("timeout");
            }
        }
        CHECK(errors(http, "GET", "/api/reports", "timeout") == 1.0);
        CHECK(errors(http, "GET", "/api/reports", "exception") == 1.0);
    }
    SUBCASE("an explicit type recorded before the exception escapes wins") {
        try {
            auto t = ep.track();
            t.record_error("connection");
            throw std::runtime_error("reset");
        } catch (const std::runtime_error&) {}
        CHECK(errors(http, "GET", "/api/reports", "connection") == 1.0);
        CHECK(errors(http, "GET", "/api/reports", "exception") == 1.0);
    }
}

namespace {
// Compares the kits' uncaught-exception count with the standard one from a destructor, which
// runs while an exception unwinds (nested: a destructor that throws and catches inside).
struct compares_counts {
    int depth;
    std::vector<std::pair<int, int>>* seen;
    ~compares_counts() {
        seen->emplace_back(vitals::detail::uncaught_exceptions(), std::uncaught_exceptions());
        if (depth > 0) {
            try {
                compares_counts inner{depth - 1, seen};
                throw std::runtime_error("inner");
            } catch (const std::runtime_error&) {}
        }
    }
};

std::vector<std::pair<int, int>> counts_while_unwinding() {
    std::vector<std::pair<int, int>> seen;
    seen.emplace_back(vitals::detail::uncaught_exceptions(), std::uncaught_exceptions());
    try {
        compares_counts outer{2, &seen};
        throw std::runtime_error("outer");
    } catch (const std::runtime_error&) {
        seen.emplace_back(vitals::detail::uncaught_exceptions(), std::uncaught_exceptions());
    }
    return seen;
}
} // namespace

TEST_CASE("kits: the uncaught-exception count the scopes read is the standard one") {
    const auto check = [](const std::vector<std::pair<int, int>>& seen) {
        REQUIRE(seen.size() == 5u);
        for (const auto& s : seen) CHECK(s.first == s.second);
        CHECK(seen[0].second == 0);
        CHECK(seen[1].second == 1); // the outer exception unwinding
        CHECK(seen[2].second == 2); // and the first inner one
        CHECK(seen[3].second == 3);
        CHECK(seen[4].second == 0); // caught
    };
    check(counts_while_unwinding());
    // A thread whose first question comes while an exception unwinds.
    std::vector<std::pair<int, int>> on_thread;
    std::thread([&] {
        try {
            compares_counts first{0, &on_thread};
            throw std::runtime_error("first");
        } catch (const std::runtime_error&) {}
    }).join();
    REQUIRE(on_thread.size() == 1u);
    CHECK(on_thread[0].first == 1);
    CHECK(on_thread[0].second == 1);
    std::thread([&] { check(counts_while_unwinding()); }).join();
}

namespace {
// Tracks a whole request from its destructor, which runs while an exception unwinds.
struct tracks_in_destructor {
    vitals::kits::http_endpoint* ep;
    ~tracks_in_destructor() {
        auto t = ep->track();
        t.set_status(200);
    }
};
} // namespace

TEST_CASE("kits/http: a tracker created during unwinding is not blamed for the exception") {
    vitals::registry reg;
    vitals::kits::http_metrics http(reg, "t");
    auto& ep = http.endpoint("DELETE", "/cleanup");
    try {
        tracks_in_destructor guard{&ep};
        throw std::runtime_error("unrelated");
    } catch (const std::runtime_error&) {}
    CHECK(requests(http, "DELETE", "/cleanup", "200") == 1.0);
    CHECK(http.errors().size() == 0);
}
#endif

TEST_CASE("kits/http: cancel records nothing") {
    vitals::registry reg;
    vitals::kits::http_metrics http(reg, "t");
    auto& ep = http.endpoint("GET", "/c");
    {
        auto t = ep.track();
        t.set_status(200);
        t.cancel();
        CHECK(http.in_flight().value() == 0.0);
    }
    CHECK(http.in_flight().value() == 0.0);
    CHECK(ep.duration().count() == 0);
    CHECK(http.requests().size() == 0);
}

TEST_CASE("kits/http: a cancelled tracker still reads its clock; cancelling twice is harmless") {
    vitals::registry reg;
    vitals::kits::http_metrics http(reg, "t");
    auto& ep = http.endpoint("GET", "/c");
    {
        auto t = ep.track();
        t.cancel();
        t.cancel();
        CHECK(http.in_flight().value() == 0.0);
        CHECK(t.elapsed() >= 0.0); // dereferenced a null endpoint before
        t.record_error("late");    // ignored: the request is not recorded
    }
    CHECK(http.in_flight().value() == 0.0);
    CHECK(ep.duration().count() == 0);
    CHECK(http.requests().size() == 0);
    CHECK(http.errors().size() == 0);
}

TEST_CASE("kits/http: more status codes than cached slots are all counted") {
    vitals::registry reg;
    vitals::kits::http_metrics http(reg, "t");
    auto& ep = http.endpoint("GET", "/many");
    for (int round = 0; round < 3; ++round)
        for (int code = 200; code < 220; ++code) {
            auto t = ep.track();
            t.set_status(code);
        }
    CHECK(http.requests().size() == 20);
    for (int code = 200; code < 220; ++code) {
        const std::string s = std::to_string(code);
        CHECK(http.requests().labels("GET", "/many", s).value() == 3.0);
        CHECK(&ep.requests(code) == &http.requests().labels("GET", "/many", s));
    }
}

TEST_CASE("kits/http: client_error is 400..499 and server_error 500..599, both ends included") {
    vitals::registry reg;
    vitals::kits::http_metrics http(reg, "t");
    auto& ep = http.endpoint("GET", "/c");
    for (const int status : {399, 400, 499, 500, 599, 600}) {
        auto t = ep.track();
        t.set_status(status);
    }
    ep.record(400, 0.1);
    ep.record(599, 0.1);
    CHECK(errors(http, "GET", "/c", "client_error") == 3.0); // 400, 499, record(400)
    CHECK(errors(http, "GET", "/c", "server_error") == 3.0); // 500, 599, record(599)
    CHECK(http.errors().size() == 2);                        // nothing for 399 and 600
    CHECK(requests(http, "GET", "/c", "399") == 1.0);
    CHECK(requests(http, "GET", "/c", "600") == 1.0);
}

TEST_CASE("kits/http: status codes 100..999 are labelled as given, others as none") {
    vitals::registry reg;
    vitals::kits::http_metrics http(reg, "t");
    auto& ep = http.endpoint("GET", "/s");
    for (const int status : {99, 100, 999, 1000, -1}) ep.record(status, 0.1);
    CHECK(requests(http, "GET", "/s", "100") == 1.0);
    CHECK(requests(http, "GET", "/s", "999") == 1.0);
    CHECK(requests(http, "GET", "/s", "none") == 3.0); // 99, 1000 and -1
    CHECK(http.requests().size() == 3);
}

TEST_CASE("kits/http: plain-function form on an endpoint") {
    vitals::registry reg;
    vitals::kits::http_metrics http(reg, "t");
    auto& ep = http.endpoint("PUT", "/p");
    ep.record(201, 0.02, 300, 20);
    ep.record(500, 0.5);
    ep.record(200, 0.1, -1, -1, "retry");
    CHECK(requests(http, "PUT", "/p", "201") == 1.0);
    CHECK(requests(http, "PUT", "/p", "500") == 1.0);
    CHECK(errors(http, "PUT", "/p", "server_error") == 1.0);
    CHECK(errors(http, "PUT", "/p", "retry") == 1.0);
    CHECK(ep.duration().count() == 3);
    CHECK(ep.request_size().count() == 1);
    CHECK(ep.response_size().sum() == 20.0);
}

TEST_CASE("kits/http: a NaN duration counts the request, not the duration") {
    vitals::registry reg;
    vitals::kits::http_metrics http(reg, "t");
    auto& ep = http.endpoint("GET", "/n");
    const std::uint64_t rejected = vitals::rejected_writes();
    ep.record(503, std::numeric_limits<double>::quiet_NaN(), 10, 20);
    CHECK(requests(http, "GET", "/n", "503") == 1.0);
    CHECK(errors(http, "GET", "/n", "server_error") == 1.0);
    CHECK(ep.request_size().count() == 1);
    CHECK(ep.response_size().count() == 1);
    CHECK(ep.duration().count() == 0);
    CHECK(ep.duration().sum() == 0.0); // not NaN
    CHECK(vitals::rejected_writes() == rejected + 1);
}

TEST_CASE("kits/http: a negative duration counts the request, not the duration") {
    // A wall clock set back between start and end: observed, it would sit in the lowest bucket
    // and make the sum negative, which hides _sum and _count from OpenMetrics.
    vitals::registry reg;
    vitals::kits::http_metrics http(reg, "t");
    auto& ep = http.endpoint("GET", "/n");
    for (int i = 0; i < 10; ++i) ep.record(200, 0.05);
    const std::uint64_t rejected = vitals::rejected_writes();
    ep.record(200, -3600.0);
    http.record("GET", "/n", 500, -0.5);
    CHECK(vitals::rejected_writes() == rejected + 2);
    CHECK(requests(http, "GET", "/n", "200") == 11.0);
    CHECK(errors(http, "GET", "/n", "server_error") == 1.0);
    CHECK(ep.duration().count() == 10);
    CHECK(ep.duration().sum() == doctest::Approx(0.5));
    const std::string om = vitals::to_openmetrics(reg);
    CHECK(om.find("t_http_request_duration_seconds_count{method=\"GET\",endpoint=\"/n\"} 10\n") !=
          std::string::npos);
    const std::uint64_t before_zero = vitals::rejected_writes();
    ep.record(200, 0.0); // zero and -0.0 are durations
    ep.record(200, -0.0);
    CHECK(vitals::rejected_writes() == before_zero);
    CHECK(ep.duration().count() == 12);
}

TEST_CASE("kits/http: an infinite duration or size counts the request, not the value") {
    // Observed, +Inf would make the histogram's sum infinite for good (every later rate() of
    // it NaN): a Content-Length parsed with std::strtod("1e999", nullptr), a division by zero.
    const double inf = std::numeric_limits<double>::infinity();
    const double nan = std::numeric_limits<double>::quiet_NaN();
    vitals::registry reg;
    vitals::kits::http_metrics http(reg, "t");
    auto& ep = http.endpoint("GET", "/i");
    ep.record(200, 0.25, 100, 200);
    const std::uint64_t rejected = vitals::rejected_writes();
    ep.record(200, inf, inf, inf);
    http.record("GET", "/i", 200, 0.25, nan, -inf); // -inf: a negative size, unknown
    {
        auto t = ep.track();
        t.set_status(200);
        t.set_request_size(inf);
        t.set_response_size(nan);
    }
    CHECK(vitals::rejected_writes() == rejected + 6); // not the -inf
    CHECK(requests(http, "GET", "/i", "200") == 4.0);
    CHECK(ep.duration().count() == 3);
    CHECK(ep.duration().sum() < 1.0);
    CHECK(ep.request_size().count() == 1);
    CHECK(ep.request_size().sum() == 100.0);
    CHECK(ep.response_size().count() == 1);
    CHECK(ep.response_size().sum() == 200.0);
    CHECK(vitals::to_openmetrics(reg).find("Inf\n") == std::string::npos); // no +Inf sum
}

TEST_CASE("kits/http: endpoints past the series bound share the overflow endpoint") {
    vitals::registry reg;
    vitals::family_options small;
    small.max_series = 4;
    vitals::kits::http_metrics http(reg, "b", small);
    auto& a = http.endpoint("GET", "/1");
    auto& b = http.endpoint("GET", "/2");
    auto& c = http.endpoint("GET", "/3");
    auto& d = http.endpoint("GET", "/4");
    auto& e = http.endpoint("GET", "/5");
    CHECK(&a != &b);
    CHECK(&b != &c);
    CHECK(&d == &e);
    CHECK(d.endpoint() == "__overflow__");
    d.record(200, 0.1);
    e.record(200, 0.1);
    CHECK(http.duration().size() == 4);
    CHECK(http.duration().labels("__overflow__", "__overflow__").count() == 2);
}

// `__overflow__` used to make an endpoint of its own: the pair (__overflow__, __overflow__)
// took one of the bound's endpoints while recording into the overflow series, so an
// endpoint that had room went to overflow, and a second object held the overflow series.
TEST_CASE("kits/http: a method or endpoint named __overflow__ gets the overflow endpoint") {
    vitals::registry reg;
    vitals::family_options small;
    small.max_series = 3; // two endpoints and the overflow endpoint
    vitals::kits::http_metrics http(reg, "b", small);
    auto& named = http.endpoint("__overflow__", "__overflow__");
    auto& a = http.endpoint("GET", "/a");
    auto& b = http.endpoint("GET", "/b");
    auto& c = http.endpoint("GET", "/c"); // past the bound
    CHECK(a.endpoint() == "/a");
    CHECK(b.endpoint() == "/b"); // the room the named pair used to take
    CHECK(&named == &c);
    CHECK(&http.endpoint("__overflow__", "/x") == &c);
    CHECK(&http.endpoint("GET", "__overflow__") == &c);
    named.record(200, 0.1);
    c.record(200, 0.1);
    b.record(200, 0.1);
    CHECK(http.duration().size() == 3);
    CHECK(http.duration().labels("__overflow__", "__overflow__").count() == 2);
    CHECK(http.duration().labels("GET", "/b").count() == 1);
    CHECK(vitals::to_text(reg).find(
              "b_http_requests_total{method=\"__overflow__\",endpoint=\"/x\"") ==
          std::string::npos);
}

// The kit sends those lookups to its overflow endpoint itself, so its families never see
// them: the kit counts them, once per lookup, where an operator's overflow alert looks.
TEST_CASE("kits/http: lookups sent to the overflow endpoint are counted in the overflow counter") {
    vitals::registry reg;
    vitals::family_options small;
    small.max_series = 4;
    vitals::kits::http_metrics http(reg, "b", small);
    http.record("GET", "/1", 200, 0.1);
    http.record("GET", "/2", 200, 0.1);
    http.record("GET", "/3", 200, 0.1);
    CHECK(vitals::to_text(reg).find("vitals_series_overflow_total") == std::string::npos);
    // One status for every request: the request counter's series are (endpoint, status)
    // pairs, and a second status would overflow that family on its own account.
    http.record("GET", "/4", 200, 0.1);                         // past the bound
    http.record("GET", "/5", 200, 0.1);                         // past the bound
    http.record("GET", "/" + std::string(3000, 'x'), 200, 0.1); // over the value bound
    {
        auto t = http.track(std::string(3000, 'M'), "/1"); // over the value bound
        t.set_status(200);
    }
    http.record("GET", "/1", 200, 0.1); // known: not counted
    const std::string out = vitals::to_text(reg);
    CHECK(out.find("vitals_series_overflow_total{family=\"b_http_requests_total\"} 4\n") !=
          std::string::npos);
    // Once, under the requests family: the other families hold the same requests.
    CHECK(out.find("vitals_series_overflow_total{family=\"b_http_request_duration_seconds\"}") ==
          std::string::npos);
    CHECK(http.duration().labels("__overflow__", "__overflow__").count() == 4);
}

// The natural mistake: the raw request path as the endpoint. A path longer than the label
// value bound is neither kept by the kit nor shown: it shares the overflow endpoint.
TEST_CASE("kits/http: endpoint names over the label value bound share the overflow endpoint") {
    vitals::registry reg;
    vitals::kits::http_metrics http(reg, "b");
    auto& normal = http.endpoint("GET", "/reports");
    const std::string long_path = "/search?q=" + std::string(3000, 'x');
    auto& first = http.endpoint("GET", long_path);
    auto& second = http.endpoint("GET", long_path + "y");
    auto& long_method = http.endpoint(std::string(2049, 'M'), "/reports");
    CHECK(&first == &second);
    CHECK(&first == &long_method);
    CHECK(&first != &normal);
    CHECK(first.endpoint() == "__overflow__");
    first.record(200, 0.1);
    http.record("GET", long_path + "z", 404, 0.2);
    const std::string out = vitals::to_text(reg);
    CHECK(out.find("xxxxxxxx") == std::string::npos);
    CHECK(out.find("b_http_requests_total{method=\"__overflow__\",endpoint=\"__overflow__\","
                   "status=\"404\"} 1\n") != std::string::npos);
    CHECK(http.duration().labels("__overflow__", "__overflow__").count() == 2);
    // A name at the bound is an endpoint of its own.
    auto& at_bound = http.endpoint("GET", std::string(2048, 'p'));
    CHECK(&at_bound != &first);
    auto& method_at_bound = http.endpoint(std::string(2048, 'M'), "/reports");
    CHECK(&method_at_bound != &first);
    CHECK(method_at_bound.method().size() == 2048);
    // A path of 2048 bytes with an invalid UTF-8 byte shows as 2050 (U+FFFD takes 3), past
    // the families' bound. It shares the overflow endpoint too, as every name that is not
    // valid UTF-8 does; it was an endpoint of the kit's own, whose series were the families'
    // overflow series (status="__overflow__" in the request counter).
    auto& invalid = http.endpoint("GET", std::string(2047, 'p') + "\xff");
    CHECK(&invalid == &first);
}

// The families show invalid UTF-8 as U+FFFD, so "/\xff" and "/\xfe" were two endpoints of
// the kit recording into one series of each family: each took room from the bound, and two
// objects that endpoint() told apart counted together. Such names come from clients, so they
// are not refused (no error for client input): they share the overflow endpoint, as names
// too long do.
TEST_CASE("kits/http: a method or endpoint that is not valid UTF-8 gets the overflow endpoint") {
    vitals::registry reg;
    vitals::family_options small;
    small.max_series = 3; // two endpoints and the overflow endpoint
    vitals::kits::http_metrics http(reg, "u", small);
    auto& ff = http.endpoint("GET", "/\xff");
    auto& fe = http.endpoint("GET", "/\xfe");
    auto& cut = http.endpoint("G\xc3T", "/a"); // a sequence cut short
    auto& a = http.endpoint("GET", "/a");
    auto& cafe = http.endpoint("GET", "/caf\xc3\xa9"); // valid UTF-8 beyond ASCII
    auto& late = http.endpoint("GET", "/late");        // past the bound
    CHECK(&ff == &fe);
    CHECK(&ff == &cut);
    CHECK(ff.endpoint() == "__overflow__");
    CHECK(a.endpoint() == "/a"); // the room the invalid names used to take
    CHECK(cafe.endpoint() == "/caf\xc3\xa9");
    CHECK(&late == &ff);
    ff.record(200, 0.1);
    fe.record(200, 0.1);
    http.record("GET", "/\xfd", 200, 0.1);
    CHECK(http.duration().size() == 3);
    CHECK(http.duration().labels("__overflow__", "__overflow__").count() == 3);
    const std::string out = vitals::to_text(reg);
    CHECK(out.find("\xef\xbf\xbd") == std::string::npos); // no U+FFFD: no such series
    // Counted once per lookup, as other lookups sent to the overflow endpoint are.
    CHECK(out.find("vitals_series_overflow_total{family=\"u_http_requests_total\"} 5\n") !=
          std::string::npos);
}

// Each kit keeps N - 1 endpoints of its own, but the families' bound is one: the second
// kit's later endpoints record into the families' overflow series. Nothing is counted twice
// or lost, and the overflow counter says how many lookups went there.
TEST_CASE("kits/http: two kits of one namespace share the families' bound, every request counted") {
    vitals::registry reg;
    vitals::family_options small;
    small.max_series = 4;
    vitals::kits::http_metrics first(reg, "n", small);
    vitals::kits::http_metrics second(reg, "n", small);
    for (const char* e : {"/a", "/b", "/c"}) first.record("GET", e, 200, 0.1);
    // /a is the first kit's series, /d the families' fourth, /e past their bound, though the
    // second kit has room for it.
    for (const char* e : {"/a", "/d", "/e"}) second.record("GET", e, 200, 0.1);
    const std::string out = vitals::to_text(reg);
    CHECK(http_total(first, out) == 6.0);
    CHECK(first.duration().size() == 5); // four endpoints and the overflow series
    CHECK(first.duration().labels("GET", "/a").count() == 2);
    CHECK(second.endpoint("GET", "/e").endpoint() == "/e");
    CHECK(&second.endpoint("GET", "/e").duration() ==
          &first.duration().labels("__overflow__", "__overflow__"));
    CHECK(out.find("n_http_requests_total{method=\"__overflow__\",endpoint=\"__overflow__\","
                   "status=\"__overflow__\"} 1\n") != std::string::npos);
    CHECK(
        out.find("vitals_series_overflow_total{family=\"n_http_request_duration_seconds\"} 1\n") !=
        std::string::npos);
}

TEST_CASE("kits/http: concurrent trackers on one endpoint with several status codes") {
    vitals::registry reg;
    vitals::kits::http_metrics http(reg, "t");
    auto& ep = http.endpoint("GET", "/hot");
    constexpr int threads = 4, per_thread = 2000;
    std::vector<std::thread> pool;
    for (int i = 0; i < threads; ++i)
        pool.emplace_back([&ep] {
            for (int k = 0; k < per_thread; ++k) {
                auto t = ep.track();
                t.set_status(200 + (k % 12)); // more codes than slots, claimed concurrently
                t.set_response_size(100);
            }
        });
    for (auto& t : pool) t.join();
    double total = 0;
    for (int code = 200; code < 212; ++code)
        total += http.requests().labels("GET", "/hot", std::to_string(code)).value();
    CHECK(total == threads * per_thread);
    CHECK(ep.duration().count() == static_cast<std::uint64_t>(threads * per_thread));
    CHECK(ep.response_size().sum() == 100.0 * threads * per_thread);
    CHECK(http.in_flight().value() == 0.0);
    // 4xx codes: 400.. not reached; no errors from 2xx codes.
    CHECK(http.errors().size() == 0);
}

#if VITALS_HAS_EXCEPTIONS()
TEST_CASE("kits/http: const labels go on every family, the in-flight gauge included") {
    vitals::registry reg;
    vitals::family_options options;
    options.const_labels = {{"service", "api"}};
    vitals::kits::http_metrics http(reg, "c", options);
    http.record("GET", "/x", 500, 0.1, 10, 20);
    auto t = http.track("GET", "/x");
    const std::string text = vitals::to_text(reg);
    CHECK(text.find("\nc_http_requests_in_flight{service=\"api\"} 1\n") != std::string::npos);
    for (const char* name : {"c_http_requests_total", "c_http_request_duration_seconds_count",
                             "c_http_request_size_bytes_count", "c_http_response_size_bytes_count",
                             "c_http_errors_total", "c_http_requests_in_flight"}) {
        INFO(name);
        CHECK(kits_test::sample_value(text, name, {"service", "api"}) >= 1.0);
    }
    t.cancel();
}

TEST_CASE("kits/http: a refused const label registers nothing, so a corrected retry works") {
    vitals::registry reg;
    const std::size_t families = reg.family_count();
    const auto code_of = [&reg](const char* name) {
        try {
            vitals::kits::http_metrics http(reg, "app", {{{name, "x"}}});
        } catch (const vitals::error& e) {
            return e.code();
        }
        return vitals::errc::ok;
    };
    CHECK(code_of("error_type") == vitals::errc::duplicate_label_name);
    CHECK(code_of("le") == vitals::errc::invalid_label_name);
    CHECK(code_of("status") == vitals::errc::duplicate_label_name);
    CHECK(reg.family_count() == families);
    vitals::kits::http_metrics http(reg, "app", {{{"site", "x"}}});
    {
        auto t = http.endpoint("GET", "/").track();
        t.set_status(200);
    }
    CHECK(vitals::to_text(reg).find("app_http_requests_total{site=\"x\",method=\"GET\","
                                    "endpoint=\"/\",status=\"200\"} 1\n") != std::string::npos);
}
#endif

TEST_CASE("kits/http: record_error with an empty type counts as unspecified") {
    vitals::registry reg;
    vitals::kits::http_metrics http(reg, "t");
    {
        auto t = http.track("GET", "/x");
        t.record_error("");
    }
    const std::string text = vitals::to_text(reg);
    CHECK(
        text.find(
            "t_http_errors_total{method=\"GET\",endpoint=\"/x\",error_type=\"unspecified\"} 1\n") !=
        std::string::npos);
    CHECK(text.find("error_type=\"\"") == std::string::npos);
}
