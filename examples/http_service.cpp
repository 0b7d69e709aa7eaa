// http_service.cpp - serve /metrics, /health, /ready and /live with a couple of checks.
// SPDX-License-Identifier: MIT
//
//   http_service [--port N] [--bind ADDR] [--token T] [--duration S] [--drain S]
//
// Starts vitals::health_server on 0.0.0.0:9090 (port 0 picks a free port), prints
// "listening on http://ADDR:PORT", marks itself ready once its "database" answers, and
// runs until SIGINT/SIGTERM (or for S seconds). On stop, /ready answers 503 at once and the
// server keeps serving for the drain (default 10 s, longer than a Kubernetes readiness
// probe's period of 5 s, so traffic moves away first; --drain 0 for a quick exit). Try:
//   curl -s localhost:9090/health
//   curl -s localhost:9090/metrics
// Copy what you need: a liveness check that must stay quick, and a readiness check fed by
// a cached_probe, because checks run on the server thread and must never wait on I/O.
#include <vitals/server.hpp>
#include <vitals/vitals.hpp>

#include <atomic>  // atomic
#include <chrono>  // steady_clock, milliseconds
#include <csignal> // signal, SIGINT, SIGTERM
#include <cstdio>  // printf, fprintf
#include <cstdlib> // strtod, strtoul
#include <cstring> // strcmp, strncmp
#include <random>  // mt19937, distributions
#include <string>  // string
#include <thread>  // sleep_for

namespace {

volatile std::sig_atomic_t stop_requested = 0;
extern "C" void on_signal(int) { stop_requested = 1; }

int usage() {
    std::fprintf(stderr, "usage: http_service [--port N] [--bind ADDR] [--token T] "
                         "[--duration S] [--drain S]\n");
    return 2;
}

// Pretends to ping a database: slow (about 200 ms) and occasionally failing.
vitals::check_result ping_database() {
    static thread_local std::mt19937 rng{42};
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    if (std::uniform_int_distribution<int>(0, 19)(rng) == 0)
        return vitals::check_result::fail("db: connection refused");
    return vitals::check_result::pass("db: ok");
}

} // namespace

int main(int argc, char** argv) {
    vitals::server_options opts; // defaults: 0.0.0.0:9090
    // Keep serving this long after /ready turns 503 on stop(), so that load balancers and
    // Kubernetes (readiness probed every 5 s) stop sending traffic first.
    opts.drain = std::chrono::seconds(10);
    double duration = -1;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        const auto value = [&](const char* flag) -> const char* {
            const std::string prefix = std::string(flag) + "=";
            if (arg.compare(0, prefix.size(), prefix) == 0) return argv[i] + prefix.size();
            if (arg == flag && i + 1 < argc) return argv[++i];
            return nullptr;
        };
        if (const char* v = value("--port")) {
            char* end = nullptr;
            const unsigned long port = std::strtoul(v, &end, 10);
            if (*v == '\0' || *end != '\0' || port > 65535) return usage();
            opts.port = static_cast<int>(port);
        } else if (const char* b = value("--bind")) {
            opts.bind_address = b;
        } else if (const char* t = value("--token")) {
            opts.bearer_token = t; // then scrape with: Authorization: Bearer <token>
        } else if (const char* d = value("--duration")) {
            char* end = nullptr;
            duration = std::strtod(d, &end);
            if (*d == '\0' || *end != '\0' || !(duration >= 0)) return usage();
        } else if (const char* dr = value("--drain")) {
            char* end = nullptr;
            const double seconds = std::strtod(dr, &end);
            if (*dr == '\0' || *end != '\0' || !(seconds >= 0 && seconds <= 3600)) return usage();
            opts.drain = std::chrono::milliseconds(static_cast<long long>(seconds * 1000.0 + 0.5));
        } else {
            return usage();
        }
    }
    vitals::registry& reg = vitals::default_registry();
    auto& work = reg.counter("app_work_items", "Work items processed, by outcome.", {"outcome"});
    auto& ok = work.labels("ok");
    auto& failed = work.labels("failed");
    auto& latency = reg.histogram("app_work_duration_seconds", "Time spent per work item.");

    // Liveness: the main loop must have made progress recently. Quick: reads an atomic.
    std::atomic<long long> last_tick{0};
    const auto now_ms = [] {
        return std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now().time_since_epoch())
            .count();
    };
    last_tick = now_ms();

    // Readiness: the database, probed every 2 s on its own thread.
    vitals::cached_probe database(ping_database, std::chrono::milliseconds(2000));

    vitals::health_server server(reg, opts);
    server.add_liveness_check("main_loop", [&] {
        const long long age = now_ms() - last_tick.load();
        if (age > 5000)
            return vitals::check_result::fail("no progress for " + std::to_string(age) + " ms");
        return vitals::check_result::pass();
    });
    server.add_readiness_check("database", database.check());

    const vitals::status st = server.try_start();
    if (!st.ok()) {
        std::fprintf(stderr, "http_service: %s\n", st.message().c_str());
        return 1;
    }
    const bool v6 = opts.bind_address.find(':') != std::string::npos;
    std::printf("listening on http://%s%s%s:%u\n", v6 ? "[" : "", opts.bind_address.c_str(),
                v6 ? "]" : "", static_cast<unsigned>(server.port()));
    std::fflush(stdout);

    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    server.set_ready(true); // /ready still answers 503 while the database check fails

    std::mt19937 rng{7};
    std::exponential_distribution<double> work_time(50.0); // mean 20 ms
    const auto start = std::chrono::steady_clock::now();
    while (!stop_requested) {
        if (duration >= 0 &&
            std::chrono::steady_clock::now() - start >= std::chrono::duration<double>(duration))
            break;
        const double seconds = work_time(rng);
        std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
        latency.observe(seconds);
        (std::uniform_int_distribution<int>(0, 9)(rng) == 0 ? failed : ok).inc();
        last_tick = now_ms();
    }
    server.stop(); // readiness off, serve during the drain, then close
    return 0;
}
