// tests/odr/drop_in_same_file_a.cpp - README ("Using it from a build system") lets one file
// include include/ and the drop-in headers of one commit both: here include/'s server header first,
// then the drop-in's. Each part must find what it needs.
// SPDX-License-Identifier: MIT
// The order is the test: kept apart so that the includes are not sorted.
#include <vitals/server.hpp>

#include "vitals_server.hpp"

#include <doctest/doctest.h>

#include <string>

TEST_CASE("include/'s server.hpp, then the drop-in's, in one file") {
    vitals::registry reg;
    vitals::add_process_metrics(reg, "same_file_a");
    reg.counter("same_file_a", "Requests.").inc();
    vitals::server_options opts;
    opts.bind_address = "127.0.0.1";
    opts.port = 0;
    vitals::health_server server(reg, opts);
    CHECK(vitals::to_text(reg).find("same_file_a_total 1\n") != std::string::npos);
}
