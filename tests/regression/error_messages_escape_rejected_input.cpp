// tests/regression/error_messages_escape_rejected_input.cpp - an error message shows the input
// it rejects escaped and cut short. Before: an invalid metric or label name, a unit, a
// stateset's repeated state, a kit's or the process collector's namespace went into the
// message raw, whole and unescaped: a name made from request data brought its newlines,
// terminal escape sequences and megabytes into every log line that printed the error.
// SPDX-License-Identifier: MIT
#include <vitals/process.hpp>
#include <vitals/vitals.hpp>

#include <doctest/doctest.h>

#include <cstddef> // size_t
#include <string>  // string

using vitals::errc;

namespace {

// What a log line must not receive from a message: a line break, an escape sequence, any
// other control byte.
bool has_control_bytes(const std::string& s) {
    for (char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        if (c < 0x20 || c == 0x7F) return true;
    }
    return false;
}

const std::string hostile = "app\n\x1b[2Jrequests\r\t\"x\"";
const std::string hostile_shown = "\"app\\n\\x1b[2Jrequests\\x0d\\x09\\\"x\\\"\"";

} // namespace

TEST_CASE("regression: an invalid metric name is shown escaped in its error") {
    vitals::registry reg;
    auto c = reg.try_counter(hostile, "Requests.");
    REQUIRE_FALSE(c.ok());
    CHECK(c.error().code() == errc::invalid_metric_name);
    CHECK(c.error().message() == "invalid metric name " + hostile_shown +
                                     ": must match [a-zA-Z_:][a-zA-Z0-9_:]* and not start with "
                                     "'__'");
    CHECK_FALSE(has_control_bytes(c.error().message()));
}

TEST_CASE("regression: a long invalid name is cut in its error, which says how long it was") {
    vitals::registry reg;
    const std::string name = std::string(1 << 20, 'a') + "-";
    auto g = reg.try_gauge(name, "Depth.");
    REQUIRE_FALSE(g.ok());
    const std::string& message = g.error().message();
    CHECK(message.size() < 300);
    CHECK(message.find("\"" + std::string(128, 'a') + "\"... (1048577 bytes)") !=
          std::string::npos);
}

TEST_CASE("regression: an invalid label name is shown escaped in its error") {
    vitals::registry reg;
    auto f = reg.try_counter("app_requests", "Requests.", {"method", "path\n\x1b]0;x\x07"});
    REQUIRE_FALSE(f.ok());
    CHECK(f.error().code() == errc::invalid_label_name);
    CHECK(f.error().message().find("invalid label name \"path\\n\\x1b]0;x\\x07\": must match") !=
          std::string::npos);
    CHECK_FALSE(has_control_bytes(f.error().message()));
}

TEST_CASE("regression: a unit is shown escaped in its error") {
    vitals::registry reg;
    vitals::family_options bad_unit;
    bad_unit.unit = "sec\nonds";
    auto g = reg.try_gauge("app_latency_seconds", "Latency.", {}, bad_unit);
    REQUIRE_FALSE(g.ok());
    CHECK(g.error().message() == "metric 'app_latency_seconds' declares unit \"sec\\nonds\": a "
                                 "unit must match [a-zA-Z0-9_:]+");
    CHECK_FALSE(has_control_bytes(g.error().message()));
}

TEST_CASE("regression: a stateset's repeated state is shown escaped in its error") {
    vitals::registry reg;
    auto s = reg.try_stateset("app_mode", "Mode.", {"on\nline", "off", "on\nline"});
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().code() == errc::invalid_argument);
    CHECK(s.error().message() == "stateset 'app_mode' lists state \"on\\nline\" twice");
}

TEST_CASE("regression: a kit's or the process collector's namespace is shown escaped") {
    vitals::registry reg;
    const std::size_t families_before = reg.family_count();
    vitals::family_options with_unit;
    with_unit.unit = "seconds\x1b[0m";
    vitals::status st;
    vitals::kits::http_metrics http(reg, "web\nserver", with_unit, st);
    REQUIRE_FALSE(st.ok());
    CHECK(st.message() == "http kit \"web\\nserver\": family_options::unit must be empty (it is "
                          "\"seconds\\x1b[0m\"): the kit sets the unit of each of its families "
                          "itself");

    const vitals::status p = vitals::try_add_process_metrics(reg, "my app\n");
    REQUIRE_FALSE(p.ok());
    CHECK(p.code() == errc::invalid_metric_name);
    CHECK(p.message() == "invalid namespace \"my app\\n\" for process metrics: \"my "
                         "app\\n_cpu_usage_percent\" must match [a-zA-Z_:][a-zA-Z0-9_:]* and not "
                         "start with '__'");
    CHECK(reg.family_count() == families_before); // nothing registered by either
}

TEST_CASE("regression: a redefinition shows both helps and const label values escaped") {
    vitals::registry reg;
    vitals::family_options tagged;
    tagged.const_labels = {{"region", "eu\nwest"}};
    (void)reg.counter("jobs", "Jobs run.\nOne per line.", {"kind"}, tagged);
    auto other_help = reg.try_counter("jobs", "Jobs\x1b[1m.", {"kind"}, tagged);
    REQUIRE_FALSE(other_help.ok());
    CHECK(other_help.error().message() == "metric 'jobs_total' is already registered with help "
                                          "\"Jobs run.\\nOne per line.\", not \"Jobs\\x1b[1m.\"");
    auto untagged = reg.try_counter("jobs", "Jobs run.\nOne per line.", {"kind"});
    REQUIRE_FALSE(untagged.ok());
    CHECK(untagged.error().message() ==
          "metric 'jobs_total' is already registered with const labels [region=\"eu\\nwest\"], "
          "not []");
}

TEST_CASE("regression: a stateset redefined with other states shows both lists escaped") {
    vitals::registry reg;
    (void)reg.stateset("app_mode", "Mode.", {"on", "off"});
    auto other = reg.try_stateset("app_mode", "Mode.", {"on", "off\x1b[5m"});
    REQUIRE_FALSE(other.ok());
    CHECK(other.error().code() == errc::conflicting_registration);
    CHECK(other.error().message() == "metric 'app_mode' is already registered with states "
                                     "[\"on\", \"off\"], not [\"on\", \"off\\x1b[5m\"]");
}
