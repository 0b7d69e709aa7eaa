// tests/odr/b.cpp - second of two translation units that include every vitals header.
// SPDX-License-Identifier: MIT
#include "all_headers.hpp"

double vitals_odr_b() {
    vitals::counter c;
    c.inc(2.0);
    return c.value();
}
