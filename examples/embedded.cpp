// embedded.cpp - vitals on a small target: a counter, a histogram and the serializer writing
// through a sink into a fixed buffer. No server, no thread, no std::string output.
// SPDX-License-Identifier: MIT
//
// Meant for the compact configuration (one counter cell, C library float formatting):
//   arm-linux-gnueabihf-g++ -std=c++17 -Os -DVITALS_COMPACT=1 -Iinclude -static
//       examples/embedded.cpp -o embedded && arm-linux-gnueabihf-strip embedded
// bench/budgets.sh measures this program's size. The sink below sends each chunk to stdout;
// on a board it would go to a UART, a socket or a flash log instead.
#include <vitals/vitals.hpp>

#include <cstddef> // size_t
#include <cstdio>  // fwrite, stdout

namespace {

// Where the exposition goes: called with consecutive chunks of at most sizeof(buffer) bytes.
void to_stdout(void* context, const char* data, std::size_t size) {
    std::size_t& total = *static_cast<std::size_t*>(context);
    total += std::fwrite(data, 1, size, stdout);
}

} // namespace

int main() {
    vitals::registry reg;
    vitals::counter& frames = reg.counter("board_frames", "Frames received on the radio link.");
    vitals::histogram& latency =
        reg.histogram("board_frame_latency_seconds", "Time from frame start to decode.",
                      {0.001, 0.002, 0.005, 0.01, 0.02, 0.05});

    // The hot path: lock-free, no allocation.
    const double samples[] = {0.0008, 0.0013, 0.0042, 0.0031, 0.017, 0.0009, 0.061};
    for (double seconds : samples) {
        frames.inc();
        latency.observe(seconds);
    }

    // The serializer fills `buffer` and hands it to the sink each time it is full.
    char buffer[256];
    std::size_t written = 0;
    vitals::write_text(reg, &to_stdout, &written, buffer, sizeof buffer);
    return written > 0 ? 0 : 1;
}
