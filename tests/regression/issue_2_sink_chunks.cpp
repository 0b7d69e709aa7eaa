// tests/regression/issue_2_sink_chunks.cpp - write_text() through a sink wrote numbers past
// the end of buffers smaller than 32 bytes, looped or overflowed with a zero capacity, and
// passed writes longer than the buffer straight to the sink although the documentation
// promises chunks of at most `capacity` bytes.
// SPDX-License-Identifier: MIT
#include <vitals/vitals.hpp>

#include <doctest/doctest.h>

#include <string> // string
#include <vector> // vector

namespace {
struct recorder {
    std::string text;
    std::size_t largest = 0;
    static void sink(void* ctx, const char* data, std::size_t size) {
        auto* self = static_cast<recorder*>(ctx);
        self->text.append(data, size);
        if (size > self->largest) self->largest = size;
    }
};
} // namespace

TEST_CASE("regression: sink chunks never exceed the caller's buffer") {
    vitals::registry reg;
    reg.gauge("a_gauge_with_a_long_name", std::string(200, 'x')).set(0.30000000000000004);
    reg.counter("c", "C.", {"k"}).labels(std::string(150, 'v')).inc_by(18446744073709551615u);
    const std::string expected = vitals::to_text(reg);
    for (std::size_t cap = 1; cap <= 70; ++cap) {
        CAPTURE(cap);
        // Exactly `cap` bytes on the heap, so AddressSanitizer sees any write past the end.
        std::vector<char> buffer(cap);
        recorder rec;
        vitals::write_text(reg, &recorder::sink, &rec, buffer.data(), cap);
        CHECK(rec.text == expected);
        CHECK(rec.largest <= cap);
    }
    recorder none;
    vitals::write_text(reg, &recorder::sink, &none, nullptr, 0);
    CHECK(none.text == expected);
}
