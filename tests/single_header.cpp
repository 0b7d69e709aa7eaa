// tests/single_header.cpp - the amalgamated header works with nothing else on the include path.
// SPDX-License-Identifier: MIT
// Built with only single_include/ on the include path (no doctest, no include/).
#include "vitals/vitals.hpp"

#include <cstdio> // fprintf

int main() {
    vitals::counter c;
    c.inc();
    if (c.value() != 1.0) {
        std::fprintf(stderr, "single_header: counter value %g, expected 1\n", c.value());
        return 1;
    }
    std::puts("single_header: ok");
    return 0;
}
