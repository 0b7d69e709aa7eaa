// tests/regression/overflow_series_restarts_at_zero.cpp - the `__overflow__` series of a family
// past its series bound is a series like any other: after clear() or remove() it comes back
// at zero when label sets overflow into it again (it used to come back with its old value).
// SPDX-License-Identifier: MIT
#include <vitals/vitals.hpp>

#include <doctest/doctest.h>

#include <string> // string

namespace {
bool contains(const std::string& hay, const std::string& needle) {
    return hay.find(needle) != std::string::npos;
}
} // namespace

TEST_CASE("regression: the overflow series restarts at zero after clear() and remove()") {
    vitals::registry reg;
    vitals::family_options opts;
    opts.max_series = 2;
    auto& users = reg.counter("users", "Users.", {"user"}, opts);
    users.labels("a").inc();
    users.labels("b").inc();
    users.labels("c").inc(5); // past the bound: into the overflow series
    users.labels("d").inc(2);
    REQUIRE(contains(vitals::to_text(reg), "users_total{user=\"__overflow__\"} 7\n"));

    SUBCASE("clear()") { users.clear(); }
    SUBCASE("remove()") {
        CHECK(users.remove("__overflow__"));
        CHECK(users.remove("a"));
        CHECK(users.remove("b"));
    }
    CHECK_FALSE(contains(vitals::to_text(reg), "users_total{"));
    users.labels("e").inc(); // still past the bound (removed series count against it)
    const std::string text = vitals::to_text(reg);
    CHECK(contains(text, "users_total{user=\"__overflow__\"} 1\n"));
    CHECK_FALSE(contains(text, "users_total{user=\"a\"}"));
    users.labels("a").inc(3); // a normal series re-added restarts at zero too
    CHECK(contains(vitals::to_text(reg), "users_total{user=\"a\"} 3\n"));
}

TEST_CASE("regression: a histogram's overflow series restarts empty after clear()") {
    vitals::registry reg;
    vitals::family_options opts;
    opts.max_series = 1;
    auto& sizes = reg.histogram("sizes", "Sizes.", {"path"}, {10.0}, opts);
    sizes.labels("/a").observe(1);
    sizes.labels("/b").observe(20);
    sizes.labels("/c").observe(30);
    REQUIRE(contains(vitals::to_text(reg), "sizes_count{path=\"__overflow__\"} 2\n"));
    sizes.clear();
    sizes.labels("/d").observe(40);
    const std::string text = vitals::to_text(reg);
    CHECK(contains(text, "sizes_count{path=\"__overflow__\"} 1\n"));
    CHECK(contains(text, "sizes_sum{path=\"__overflow__\"} 40\n"));
}
