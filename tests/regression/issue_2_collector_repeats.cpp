// tests/regression/issue_2_collector_repeats.cpp - a collector that wrote the same family
// twice (or two collectors the same one), or a sample with a repeated label name, produced
// an exposition promtool and Prometheus reject as a whole ("second HELP line", duplicate
// label): one mistake in a collector took every metric of the target down.
// SPDX-License-Identifier: MIT
#include <vitals/vitals.hpp>

#include <doctest/doctest.h>

#include <string> // string

TEST_CASE("regression: repeated collector families and label names are skipped") {
    vitals::registry reg;
    reg.add_collector([](vitals::collector_output& o) {
        o.gauge("dup", "A.", 1);
        o.gauge("dup", "B.", 2);
        if (o.family("lbl", "L.", vitals::metric_type::gauge))
            o.sample(1, {{"k", "a"}, {"k", "b"}});
    });
    reg.add_collector([](vitals::collector_output& o) { o.gauge("dup", "C.", 3); });
    // Two repeats of dup and the sample with a repeated label name: dropped, and counted.
    CHECK(vitals::to_text(reg) == "# HELP dup A.\n# TYPE dup gauge\ndup 1\n"
                                  "# HELP lbl L.\n# TYPE lbl gauge\n"
                                  "# HELP vitals_collector_dropped Families and samples the "
                                  "collectors wrote in this scrape that were dropped (invalid, "
                                  "clashing, repeated or past a family's max_series).\n"
                                  "# TYPE vitals_collector_dropped gauge\n"
                                  "vitals_collector_dropped 3\n");
}
