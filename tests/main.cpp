// tests/main.cpp - the doctest runner shared by every vitals test executable.
// SPDX-License-Identifier: MIT
// The only translation unit that defines DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN; the build
// compiles it once and links it into each test_<name> program.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
