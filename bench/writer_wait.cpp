// bench/writer_wait.cpp - how long a registration, or a new series, waits while scrapes
// overlap back to back: several threads render one registry in a loop (as several Prometheus
// servers, or a scraper with a short interval and a slow collector, do), and the main thread
// then registers a family (mode `collector`: a collector that takes 200 ms) or adds a series
// to a family of 100,000 (mode `family`: the scrapers render into a reused string; mode
// `family-sink`: through a sink with a 4 KiB buffer). A render lets the family's lock go
// whenever it grows its string or calls its sink, so a new series waits for little of it.
// The wait is printed in milliseconds and in renders of the registry timed in the same run,
// the in-run baseline. A writer that has waited 10 s stops the scrapers, so a starved one
// shows as about 10,000 ms.
//
// Usage: writer_wait [collector|family|family-sink] [scrapers]   (default: collector 2)
// SPDX-License-Identifier: MIT
#include <vitals/vitals.hpp>

#include <atomic>  // atomic
#include <chrono>  // steady_clock, duration
#include <cstdio>  // printf, fprintf
#include <cstdlib> // strtol
#include <cstring> // strcmp
#include <string>  // string, to_string
#include <thread>  // thread, this_thread
#include <vector>  // vector

namespace {

using clock_type = std::chrono::steady_clock;

double ms_since(clock_type::time_point start) {
    return std::chrono::duration<double, std::milli>(clock_type::now() - start).count();
}

} // namespace

int main(int argc, char** argv) {
    const char* mode = argc > 1 ? argv[1] : "collector";
    const bool collector = std::strcmp(mode, "collector") == 0;
    const bool through_sink = std::strcmp(mode, "family-sink") == 0;
    const long scrapers = argc > 2 ? std::strtol(argv[2], nullptr, 10) : 2;
    if (argc > 3 || (!collector && !through_sink && std::strcmp(mode, "family") != 0) ||
        scrapers < 1 || scrapers > 64) {
        std::fprintf(stderr, "usage: writer_wait [collector|family|family-sink] [scrapers 1-64]\n");
        return 2;
    }

    vitals::registry reg;
    vitals::family_options options;
    options.max_series = 200000;
    auto& big = reg.counter("app_items_total", "Items.", {"item"}, options);
    if (collector) {
        reg.add_collector("slow", [](vitals::collector_output& out) {
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
            out.gauge("app_slow", "Computed slowly.", 1);
        });
    } else {
        for (int i = 0; i < 100000; ++i) big.labels(std::to_string(i)).inc();
    }

    // One render as the scrapers make it: into a string grown by an earlier render, or through
    // a sink that counts the bytes into a 4 KiB buffer.
    const auto render = [through_sink, &reg](std::string& out) {
        out.clear();
        if (!through_sink) {
            vitals::write_text(reg, out);
            return;
        }
        char buffer[4096];
        std::size_t bytes = 0;
        vitals::write_text(
            reg,
            [](void* context, const char*, std::size_t size) {
                *static_cast<std::size_t*>(context) += size;
            },
            &bytes, buffer, sizeof buffer);
        out.assign(1, static_cast<char>(bytes & 0x7f)); // keeps the count from being dropped
    };
    // The baseline: one render of this registry, alone.
    std::string text;
    render(text);
    const auto render_start = clock_type::now();
    render(text);
    const double render_ms = ms_since(render_start);

    std::atomic<bool> stop{false};
    std::atomic<long> renders{0};
    std::vector<std::thread> threads;
    for (long i = 0; i < scrapers; ++i)
        threads.emplace_back([&, i] {
            // Staggered, so that the renders overlap rather than run in step.
            std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(
                render_ms * static_cast<double>(i) / static_cast<double>(scrapers)));
            std::string out;
            while (!stop.load()) {
                render(out);
                renders.fetch_add(1);
            }
        });
    std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(2 * render_ms + 50));

    std::atomic<bool> done{false};
    std::thread watchdog([&] {
        const auto start = clock_type::now();
        while (!done.load() && ms_since(start) < 10000)
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        stop.store(true); // a starved writer gets in once the scrapes end
    });
    const long renders_before = renders.load();
    const auto write_start = clock_type::now();
    if (collector)
        reg.gauge("app_registered", "Registered while scrapes overlap.").set(1);
    else
        big.labels("new").inc();
    const double waited_ms = ms_since(write_start);
    const long renders_during = renders.load() - renders_before;
    done.store(true);
    watchdog.join();
    stop.store(true);
    for (std::thread& t : threads) t.join();

    std::printf("%s, %ld scrapers: one render %.1f ms; the %s waited %.1f ms = %.2f renders "
                "(%ld renders finished meanwhile)%s\n",
                mode, scrapers, render_ms, collector ? "registration" : "new series", waited_ms,
                waited_ms / render_ms, renders_during,
                waited_ms >= 10000 ? "; starved: let in when the scrapers stopped" : "");
    return 0;
}
