// tests/odr/abi_name_compact.cpp - the part of test_abi_names built with VITALS_COMPACT=1 (see
// abi_name_plain.cpp).
// SPDX-License-Identifier: MIT
#include <vitals/config.hpp>

static_assert(VITALS_COMPACT, "this part is built with VITALS_COMPACT=1");

#define VITALS_TEST_STR2(x) #x
#define VITALS_TEST_STR(x) VITALS_TEST_STR2(x)

const char* compact_abi_name() { return VITALS_TEST_STR(VITALS_DETAIL_ABI_NAME); }
