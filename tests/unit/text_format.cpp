// tests/unit/text_format.cpp - the text serializer: golden expositions, string reuse, sinks,
// float formatting and locale independence. tests/unit/text_format_compact.cpp runs the same
// checks against the compact configuration (C library float formatting).
// SPDX-License-Identifier: MIT
#include <vitals/text_format.hpp>
#include <vitals/vitals.hpp>

#include <cstring>     // strlen
#include <string_view> // string_view
#include <type_traits> // is_same_v

#include <doctest/doctest.h>

TEST_CASE("text_format: the content type is text format 0.0.4") {
    CHECK(vitals::text_content_type == "text/plain; version=0.0.4; charset=utf-8");
}

TEST_CASE("text_format: the content types are string views whose data() is a C string") {
    // README says so: code that hands them to C APIs (printf "%s", setenv) relies on it.
    static_assert(std::is_same_v<decltype(vitals::text_content_type), const std::string_view>);
    static_assert(
        std::is_same_v<decltype(vitals::openmetrics_content_type), const std::string_view>);
    CHECK(std::strlen(vitals::text_content_type.data()) == vitals::text_content_type.size());
    CHECK(std::strlen(vitals::openmetrics_content_type.data()) ==
          vitals::openmetrics_content_type.size());
}

TEST_CASE("text_format: the default build formats doubles with std::to_chars") {
    CHECK(VITALS_USE_TO_CHARS == 1);
    CHECK(VITALS_COMPACT == 0);
}

#define VITALS_TEST_PREFIX "text_format"
#include "text_format_checks.hpp"
