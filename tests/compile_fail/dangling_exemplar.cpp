// tests/compile_fail/dangling_exemplar.cpp - must NOT compile with Clang's -Werror=dangling:
// an exemplar of several labels kept in a variable views a braced list that dies at the end
// of the statement. Compiled by tests/CMakeLists.txt and tests/meson.build with Clang only
// (GCC 12 has no such warning); the same exemplar made in the call compiles.
// SPDX-License-Identifier: MIT
#include <vitals/counter.hpp>
#include <vitals/exemplar.hpp>

#include <string_view> // string_view

void record(vitals::counter& c, std::string_view trace, std::string_view span) {
    c.inc(1.0, vitals::exemplar({{"trace_id", trace}, {"span_id", span}})); // fine: in the call
#if defined(VITALS_USE_KEPT_LIST)
    const vitals::exemplar kept({{"trace_id", trace}, {"span_id", span}});
    c.inc(1.0, kept);
#endif
}
