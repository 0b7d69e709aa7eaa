// tests/unit/error.cpp - the error policy: status, result, vitals::error and the handler.
// The -fno-exceptions side is tested by tests/noexcept/ (a separate program).
// SPDX-License-Identifier: MIT
#include <vitals/error.hpp>
#include <vitals/vitals.hpp>

#include <doctest/doctest.h>

#include <stdexcept> // runtime_error
#include <string>    // string

using vitals::errc;

TEST_CASE("error: status") {
    SUBCASE("default is ok") {
        vitals::status s;
        CHECK(s.ok());
        CHECK(static_cast<bool>(s));
        CHECK(s.code() == errc::ok);
        CHECK(s.message().empty());
    }
    SUBCASE("failure keeps code and message") {
        vitals::status s(errc::invalid_argument, "bad thing");
        CHECK_FALSE(s.ok());
        CHECK_FALSE(static_cast<bool>(s));
        CHECK(s.code() == errc::invalid_argument);
        CHECK(s.message() == "bad thing");
    }
}

TEST_CASE("error: result") {
    SUBCASE("holds a reference on success") {
        int x = 3;
        vitals::result<int> r(x);
        CHECK(r.ok());
        CHECK(&r.value() == &x);
        CHECK(&*r == &x);
        CHECK(r.operator->() == &x);
        CHECK(r.error().ok());
    }
    SUBCASE("holds the status on failure") {
        vitals::result<int> r(vitals::status(errc::name_collision, "taken"));
        CHECK_FALSE(r.ok());
        CHECK_FALSE(static_cast<bool>(r));
        CHECK(r.error().code() == errc::name_collision);
        CHECK(r.error().message() == "taken");
    }
}

#if VITALS_HAS_EXCEPTIONS()
// The natural mistake: a try_ form's result used without checking ok(). It reports the error
// as the throwing form would have, message and all, instead of dereferencing nothing.
TEST_CASE("error: a failed result used without checking throws its error") {
    vitals::registry reg;
    const auto check_throws = [](auto use) {
        try {
            use();
            FAIL("no exception");
        } catch (const vitals::error& e) {
            CHECK(e.code() == errc::invalid_metric_name);
            CHECK(std::string(e.what()).find("bad name") != std::string::npos);
        }
    };
    check_throws([&] { reg.try_counter("bad name", "Help.")->inc(); });
    check_throws([&] { (*reg.try_gauge("bad name", "Help.")).set(1.0); });
    check_throws([&] { reg.try_histogram("bad name", "Help.").value().observe(1.0); });
    CHECK(vitals::to_text(reg).find("bad") == std::string::npos);
}
#endif

// Without exceptions (the noexcept-units build) vitals::error does not exist; the handler
// path is covered by tests/noexcept/error_policy.cpp.
#if VITALS_HAS_EXCEPTIONS()
TEST_CASE("error: vitals::error is a std::runtime_error with a code") {
    try {
        vitals::registry reg;
        (void)reg.counter("bad name", "Help.");
        FAIL("no exception");
    } catch (const std::runtime_error& e) {
        const auto* ve = dynamic_cast<const vitals::error*>(&e);
        REQUIRE(ve != nullptr);
        CHECK(ve->code() == errc::invalid_metric_name);
        CHECK(std::string(e.what()).find("bad name") != std::string::npos);
    }
}
#endif

#if VITALS_HAS_EXCEPTIONS()
TEST_CASE("error: the throwing forms throw the code of what went wrong") {
    vitals::registry reg;
    auto& requests = reg.counter("app_requests", "Requests.", {"method"});
    const auto code_of = [](auto&& call) {
        try {
            call();
        } catch (const vitals::error& e) {
            return e.code();
        }
        return errc::ok;
    };
    CHECK(code_of([&] { reg.add_collector(vitals::collector()); }) == errc::invalid_argument);
    CHECK(code_of([&] { (void)requests.labels("GET", "extra"); }) == errc::label_count_mismatch);
    CHECK(code_of([&] { (void)reg.counter("app_other", "O.", {"__reserved"}); }) ==
          errc::invalid_label_name);
    CHECK(code_of([&] {
              (void)reg.counter("app_other", "O.", {"a", "a"});
          }) == errc::duplicate_label_name);
    CHECK(code_of([&] { (void)reg.counter("app_requests", "Other help.", {"method"}); }) ==
          errc::conflicting_registration);
}
#endif

namespace {
int handler_calls = 0;
void counting_handler(errc, const char*) { ++handler_calls; }
void other_handler(errc, const char*) {}
} // namespace

TEST_CASE("error: set_error_handler swaps handlers and returns the previous one") {
    const vitals::error_handler original = vitals::set_error_handler(&counting_handler);
    REQUIRE((original != nullptr));
    CHECK((vitals::set_error_handler(&other_handler) == &counting_handler));
    // nullptr restores the default handler.
    CHECK((vitals::set_error_handler(nullptr) == &other_handler));
    CHECK((vitals::set_error_handler(&counting_handler) == original));

    SUBCASE("with exceptions enabled the throwing forms throw and skip the handler") {
        vitals::registry reg;
        handler_calls = 0;
        CHECK_THROWS_AS(reg.counter("1bad", "Help."), vitals::error);
        CHECK_THROWS_AS(reg.gauge("g", "Help.", {"a"}).labels(), vitals::error);
        CHECK_THROWS_AS(vitals::histogram({}), vitals::error);
        CHECK(handler_calls == 0);
    }
    SUBCASE("try_ forms never use the handler") {
        vitals::registry reg;
        handler_calls = 0;
        CHECK_FALSE(reg.try_counter("1bad", "Help.").ok());
        CHECK_FALSE(reg.try_gauge("g", "Help.", {"a"})->try_labels().ok());
        CHECK(handler_calls == 0);
    }
    vitals::set_error_handler(original);
}
