// tests/compile_fail/check_callable.cpp - must NOT compile: a health check returning int.
// SPDX-License-Identifier: MIT
//
// tests/compile_fail/expect_error.py compiles this file and passes only when the compiler
// fails with vitals' own message, which names what a check must be.
#include <vitals/server.hpp>

int main() {
    vitals::registry reg;
    vitals::health_server server(reg);
#if defined(VITALS_CHECK_TAKES_ARGUMENT)
    server.add_readiness_check("db", [](int) { return true; });
#else
    server.add_readiness_check("db", [] { return 1; });
#endif
}
