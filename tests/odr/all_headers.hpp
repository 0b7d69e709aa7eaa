// tests/odr/all_headers.hpp - includes every public vitals header that exists.
// SPDX-License-Identifier: MIT
// Included by two translation units of test_two_tus: a function or variable defined in a
// header without `inline` then fails to link (multiple definition).
#ifndef VITALS_TESTS_ODR_ALL_HEADERS_HPP
#define VITALS_TESTS_ODR_ALL_HEADERS_HPP

#include <vitals/vitals.hpp>
#if __has_include(<vitals/server.hpp>)
#include <vitals/server.hpp>
#endif
#if __has_include(<vitals/process.hpp>)
#include <vitals/process.hpp>
#endif

double vitals_odr_a();
double vitals_odr_b();

#endif // VITALS_TESTS_ODR_ALL_HEADERS_HPP
