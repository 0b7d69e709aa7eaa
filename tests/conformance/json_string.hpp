// tests/conformance/json_string.hpp - a string as a JSON string literal, for the expectations
// the conformance generators write (gen_exposition.cpp, gen_random.cpp).
// SPDX-License-Identifier: MIT
#ifndef VITALS_TESTS_CONFORMANCE_JSON_STRING_HPP
#define VITALS_TESTS_CONFORMANCE_JSON_STRING_HPP

#include <cstdio> // snprintf
#include <string> // string

// Quotes and backslashes escaped, control bytes as \u00XX; UTF-8 passes through (the
// expectations are valid UTF-8).
inline std::string json_string(const std::string& s) {
    std::string out = "\"";
    for (char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += ch;
        } else if (c < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out += buf;
        } else {
            out += ch;
        }
    }
    return out + "\"";
}

#endif // VITALS_TESTS_CONFORMANCE_JSON_STRING_HPP
