// tests/unit/server_negotiate.cpp - which exposition format /metrics picks from Accept.
// SPDX-License-Identifier: MIT
#include <vitals/server/negotiate.hpp>

#include <doctest/doctest.h>

#include <string_view> // string_view

namespace {

using vitals::detail::exposition_format;
using vitals::detail::negotiate_exposition;
constexpr auto text = exposition_format::text_0_0_4;
constexpr auto om = exposition_format::openmetrics_1_0_0;

struct row {
    const char* what;
    std::string_view accept;
    exposition_format expected;
};

// RFC 9110, 12.5.1: weights, the most specific matching range, case-insensitive names,
// optional whitespace; anything malformed falls back to the text format, never an error.
const row table[] = {
    {"no header", "", text},
    {"Prometheus 2.x default",
     "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;"
     "q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
     om},
    {"Prometheus 3.x default",
     "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,"
     "application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;"
     "escaping=allow-utf-8;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1",
     om},
    {"Prometheus with scrape_protocols: [PrometheusText0.0.4]",
     "text/plain;version=0.0.4;q=0.5,*/*;q=0.1", text},
    {"curl", "*/*", text},
    {"Firefox",
     "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8", text},
    {"Chrome",
     "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,"
     "image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7",
     text},
    {"OpenMetrics only", "application/openmetrics-text", om},
    {"OpenMetrics 0.0.1 only: not what we write", "application/openmetrics-text;version=0.0.1",
     text},
    {"case and whitespace",
     "  Application/OpenMetrics-Text ; Version=1.0.0 ; Q=1 , text/plain ; q=0.5", om},
    {"equal weights prefer text", "application/openmetrics-text, text/plain", text},
    {"text preferred", "application/openmetrics-text;q=0.3,text/plain;q=0.9", text},
    {"OpenMetrics preferred", "application/openmetrics-text;q=0.9,text/plain;q=0.3", om},
    {"OpenMetrics refused", "application/openmetrics-text;q=0,*/*", text},
    {"a more specific range decides (0.1 is still acceptable; text is not)",
     "application/*;q=0.9,application/openmetrics-text;q=0.1", om},
    {"a more specific range refuses", "application/openmetrics-text;q=0,application/*", text},
    {"type wildcard", "application/*", om},
    {"quoted parameters equal tokens",
     "application/openmetrics-text;version=\"1.0.0\";charset=\"utf-8\"", om},
    {"empty elements", ",, application/openmetrics-text ,,", om},
    {"quoted-pair in a parameter", "application/openmetrics-text;x=\"a\\\"b\";q=1", om},
    {"quoted-pairs in the version stand for their characters",
     "application/openmetrics-text;version=\"1\\.0\\.0\"", om},
    {"a quoted-pair version of the text format",
     "application/openmetrics-text;q=0.5,text/plain;version=\"0\\.0\\.4\";q=0.9", text},
    {"a quoted-pair version that differs", "application/openmetrics-text;version=\"1\\.0\\.1\"",
     text},
    {"an empty quoted version is not 1.0.0", "application/openmetrics-text;version=\"\"", text},
    {"q=1.000 is the most", "application/openmetrics-text;q=1.000,text/plain;q=0.999", om},
    {"q=0.000 refuses", "application/openmetrics-text;q=0.000", text},
    {"q=0.001 is the least that accepts", "application/openmetrics-text;q=0.001", om},
    {"a point without decimals", "application/openmetrics-text;q=1.,text/plain;q=0.", om},
    {"an empty parameter after the last \";\"", "application/openmetrics-text;", om},
    {"empty parameters between \";\"s",
     "application/openmetrics-text; ;;version=1.0.0;,text/plain;;q=0.5", om},
    {"an empty parameter before a weight", "application/openmetrics-text;;q=0.6,text/plain;q=0.5",
     om},
    {"unrelated types only", "application/json", text},
    {"malformed: no subtype", "application", text},
    {"malformed: q over 1", "application/openmetrics-text;q=2", text},
    {"malformed: q with letters", "application/openmetrics-text;q=high", text},
    {"malformed: q with four decimals", "application/openmetrics-text;q=0.1234", text},
    {"malformed: q=0.0001 (four decimals)", "application/openmetrics-text;q=0.0001", text},
    {"malformed: q=1.0001", "application/openmetrics-text;q=1.0001", text},
    {"malformed: q=1.001", "application/openmetrics-text;q=1.001", text},
    {"malformed: q without a leading digit", "application/openmetrics-text;q=.5", text},
    {"malformed: q with a sign", "application/openmetrics-text;q=+1", text},
    {"malformed: empty q", "application/openmetrics-text;q=", text},
    {"malformed: quoted q", "application/openmetrics-text;q=\"1\"", text},
    {"malformed: unterminated quote", "application/openmetrics-text;x=\"abc", text},
    {"malformed: a quoted-pair of a control byte", "application/openmetrics-text;x=\"a\\\x01\"",
     text},
    {"malformed: a quote escaped at the end", "application/openmetrics-text;x=\"abc\\\"", text},
    {"malformed: parameter without value", "application/openmetrics-text;version", text},
    {"malformed: junk after a valid range", "application/openmetrics-text @", text},
    {"malformed: a bad element after a good one", "application/openmetrics-text, text/plain;q=high",
     text},
    {"malformed: control byte", "application/openmetrics-text\x01", text},
};

} // namespace

TEST_CASE("negotiate: the Accept table") {
    for (const row& r : table) {
        INFO(r.what << ": " << r.accept);
        CHECK(negotiate_exposition(r.accept) == r.expected);
    }
}

TEST_CASE("negotiate: every prefix of a real header is handled") {
    const std::string_view header =
        "application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
        "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
    for (std::size_t n = 0; n <= header.size(); ++n) {
        const exposition_format f = negotiate_exposition(header.substr(0, n));
        CHECK((f == text || f == om));
    }
}
