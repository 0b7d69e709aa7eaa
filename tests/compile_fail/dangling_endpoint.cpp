// tests/compile_fail/dangling_endpoint.cpp - must NOT compile with Clang's -Werror=dangling:
// an HTTP kit's endpoint kept in a variable from a kit made in the same statement, which dies
// at its end and takes the endpoint with it (the kit owns its endpoints). Compiled by
// tests/CMakeLists.txt and tests/meson.build with Clang only (GCC 12 has no such warning);
// the endpoint of a kit kept in a variable, and one used within the statement, compile.
// SPDX-License-Identifier: MIT
#include <vitals/vitals.hpp>

void serve(vitals::registry& reg) {
    vitals::kits::http_metrics http(reg, "app");
    auto& reports = http.endpoint("GET", "/api/reports"); // fine: the kit is kept
    reports.record(200, 0.005);
    vitals::kits::http_metrics(reg, "app").endpoint("GET", "/").record(200, 0.005); // fine
#if defined(VITALS_USE_TEMPORARY_KIT)
    auto& users = vitals::kits::http_metrics(reg, "app").endpoint("GET", "/api/users");
    users.record(200, 0.005);
#endif
}
