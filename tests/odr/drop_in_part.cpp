// tests/odr/drop_in_part.cpp - the drop-in half of test_drop_in_mixed: compiled with only
// single_include/vitals/ added for it, as a file of a program that copied the drop-in header.
// SPDX-License-Identifier: MIT
#include "vitals.hpp"

vitals::registry* vitals_drop_in_part_registry() { return &vitals::default_registry(); }

vitals::counter* vitals_drop_in_part_record() {
    vitals::counter& c = vitals::default_registry().counter("mixed_requests", "Requests.");
    c.inc();
    return &c;
}
