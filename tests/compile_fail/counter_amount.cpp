// tests/compile_fail/counter_amount.cpp - must NOT compile: counter::inc_by with an amount it
// cannot take whole, a fraction or an integer of more than 64 bits (GNU's __int128, an
// integral type in -std=gnu++17), which would otherwise be cut to its low 64 bits.
// SPDX-License-Identifier: MIT
//
// tests/compile_fail/expect_error.py compiles this file and passes only when the compiler
// fails with vitals' own message.
#include <vitals/counter.hpp>

int main() {
    vitals::counter c;
#if defined(VITALS_USE_DOUBLE)
    c.inc_by(0.5);
#elif defined(VITALS_USE_INT128)
    c.inc_by(static_cast<__int128>(1));
#elif defined(VITALS_USE_UINT128)
    c.inc_by(static_cast<unsigned __int128>(1));
#endif
}
