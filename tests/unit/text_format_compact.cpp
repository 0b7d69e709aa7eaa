// tests/unit/text_format_compact.cpp - the serializer checks of text_format.cpp, run against
// the compact configuration (one counter cell, C library float formatting). The output must
// be byte-identical to the default build's: the same golden files are used.
// SPDX-License-Identifier: MIT
// vitals-test: own program (it builds vitals with VITALS_COMPACT=1)
#define VITALS_COMPACT 1
#include <vitals/text_format.hpp>
#include <vitals/vitals.hpp>

#include <doctest/doctest.h>

TEST_CASE("text_format_compact: the compact build formats doubles with the C library") {
    CHECK(VITALS_USE_TO_CHARS == 0);
    CHECK(VITALS_COUNTER_STRIPES == 1);
}

#define VITALS_TEST_PREFIX "text_format_compact"
#include "text_format_checks.hpp"
