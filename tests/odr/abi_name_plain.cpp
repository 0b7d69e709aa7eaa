// tests/odr/abi_name_plain.cpp - with abi_name_compact.cpp: a part built with VITALS_COMPACT=1
// and one built with every setting the compact configuration implies (one counter stripe, C
// library float formatting) but not VITALS_COMPACT. Their series and lookup tables are laid
// out differently, so their inline namespaces must differ: with one name, the linker would
// keep one part's inline functions for both, and lookups would read the other's series wrong.
// SPDX-License-Identifier: MIT
#include <vitals/config.hpp>

#include <cstdio>  // printf
#include <cstring> // strcmp

static_assert(!VITALS_COMPACT, "this part is built without VITALS_COMPACT");
static_assert(VITALS_COUNTER_STRIPES == 1 && !VITALS_USE_TO_CHARS,
              "this part is built with the compact configuration's other settings");

#define VITALS_TEST_STR2(x) #x
#define VITALS_TEST_STR(x) VITALS_TEST_STR2(x)

const char* compact_abi_name(); // abi_name_compact.cpp

int main() {
    const char* plain = VITALS_TEST_STR(VITALS_DETAIL_ABI_NAME);
    const char* compact = compact_abi_name();
    std::printf("inline namespaces: vitals::%s and, compact, vitals::%s\n", plain, compact);
    if (std::strcmp(plain, compact) == 0) {
        std::printf("FAIL: VITALS_COMPACT=1 does not change the inline namespace\n");
        return 1;
    }
    return 0;
}
