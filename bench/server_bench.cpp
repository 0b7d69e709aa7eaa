// bench/server_bench.cpp - a health_server over the core benchmark's metric mix, for wrk.
// SPDX-License-Identifier: MIT
//
//   server_bench --serve [--series N] [--port P] [--bind ADDR] [--duration S]
//       Serves /metrics, /live, /ready and /health for N series (default 1000) of the core
//       benchmark's mix: half counters with 3 labels, a quarter gauges, a quarter histograms
//       (default buckets), in families of at most 100 series. Prints
//       "listening on http://ADDR:PORT" and runs until SIGINT/SIGTERM or S seconds.
//       bench/wrk_server.sh drives it with wrk.
//   server_bench
//       Without arguments: a short self-contained run (no wrk needed) that times keep-alive
//       GET /live and GET /metrics (1,000 series) from one loopback client and prints the
//       rates. For a quick look only; the figures to quote come from wrk_server.sh.
#include <vitals/server.hpp>
#include <vitals/vitals.hpp>

#include <chrono>  // steady_clock
#include <cmath>   // pow
#include <csignal> // signal, SIGINT, SIGTERM
#include <cstdint> // uint64_t
#include <cstdio>  // printf, fprintf
#include <cstdlib> // strtod, strtoul
#include <random>  // mt19937_64, distributions
#include <string>  // string, to_string
#include <thread>  // sleep_for
#include <vector>  // vector

namespace {

volatile std::sig_atomic_t stop_requested = 0;
extern "C" void on_signal(int) { stop_requested = 1; }

// The serializer benchmark's mix (see bench_core.cpp), built here so that this program does
// not depend on Google Benchmark.
void fill_mixed(vitals::registry& reg, std::size_t n) {
    std::mt19937_64 rng(7);
    std::uniform_int_distribution<std::uint64_t> count(0, 5000000);
    std::uniform_real_distribution<double> level(0.0, 1000.0);
    std::uniform_real_distribution<double> exponent(-3.0, 1.0); // 1 ms .. 10 s
    const char* methods[] = {"GET", "POST", "PUT", "DELETE"};
    const char* statuses[] = {"200", "404", "500", "503"};
    constexpr std::size_t per_family = 100;
    const std::size_t counters = n / 2, gauges = n / 4, histograms = n - counters - gauges;
    for (std::size_t done = 0, f = 0; done < counters; ++f) {
        auto& fam = reg.counter("app_requests_" + std::to_string(f), "Requests handled.",
                                {"method", "endpoint", "status"});
        for (std::size_t k = 0; k < per_family && done < counters; ++k, ++done)
            fam.labels(methods[k & 3], "/api/v1/resource_" + std::to_string(k >> 2),
                       statuses[(k >> 3) & 3])
                .inc_by(count(rng));
    }
    for (std::size_t done = 0, f = 0; done < gauges; ++f) {
        auto& fam = reg.gauge("app_queue_depth_" + std::to_string(f), "Items queued.", {"queue"});
        for (std::size_t k = 0; k < per_family && done < gauges; ++k, ++done)
            fam.labels("queue_" + std::to_string(k)).set(level(rng));
    }
    for (std::size_t done = 0, f = 0; done < histograms; ++f) {
        auto& fam =
            reg.histogram("app_request_duration_seconds_" + std::to_string(f), "Request latency.",
                          std::vector<std::string>{"method", "endpoint"});
        for (std::size_t k = 0; k < per_family && done < histograms; ++k, ++done) {
            auto& h = fam.labels(methods[k & 3], "/api/v1/resource_" + std::to_string(k >> 2));
            for (std::size_t j = 0; j < 1 + (k % 37); ++j) h.observe(std::pow(10.0, exponent(rng)));
        }
    }
}

int usage() {
    std::fprintf(stderr, "usage: server_bench [--serve [--series N] [--port P] [--bind ADDR] "
                         "[--duration S]]\n");
    return 2;
}

// One keep-alive loopback client: sends a request, reads the response by Content-Length.
class bench_client {
public:
    explicit bench_client(std::uint16_t port) {
        namespace vd = vitals::detail;
        vd::socket_address a;
        vd::parse_address("127.0.0.1", port, a);
        sock_ = ::socket(AF_INET, SOCK_STREAM, 0);
        if (sock_ == vd::invalid_socket || ::connect(sock_, a.get(), a.length) != 0) {
            vd::close_socket(sock_);
            sock_ = vd::invalid_socket;
        }
    }
    ~bench_client() { vitals::detail::close_socket(sock_); }
    bench_client(const bench_client&) = delete;
    bench_client& operator=(const bench_client&) = delete;

    // Returns the body size, or -1 on failure.
    long long get(const std::string& request) {
        namespace vd = vitals::detail;
        if (sock_ == vd::invalid_socket) return -1;
        if (vd::send_two(sock_, request.data(), request.size(), nullptr, 0) !=
            static_cast<long long>(request.size()))
            return -1;
        std::size_t end;
        while ((end = buffer_.find("\r\n\r\n")) == std::string::npos)
            if (!fill()) return -1;
        if (buffer_.compare(0, 12, "HTTP/1.1 200") != 0) return -1;
        const std::size_t cl = buffer_.find("Content-Length: ");
        if (cl == std::string::npos || cl > end) return -1;
        const std::size_t length = std::strtoul(buffer_.c_str() + cl + 16, nullptr, 10);
        while (buffer_.size() < end + 4 + length)
            if (!fill()) return -1;
        buffer_.erase(0, end + 4 + length);
        return static_cast<long long>(length);
    }

private:
    bool fill() {
        char chunk[65536];
        const long long n = vitals::detail::receive(sock_, chunk, sizeof chunk);
        if (n <= 0) return false;
        buffer_.append(chunk, static_cast<std::size_t>(n));
        return true;
    }

    vitals::detail::socket_library library_;
    vitals::detail::socket_t sock_ = vitals::detail::invalid_socket;
    std::string buffer_;
};

int quick_run() {
    vitals::registry reg;
    fill_mixed(reg, 1000);
    vitals::server_options opts;
    opts.bind_address = "127.0.0.1";
    opts.port = 0;
    vitals::health_server server(reg, opts);
    server.start();
    bench_client client(server.port());
    const auto rate = [&](const char* path, int n, long long& bytes) {
        const std::string request = std::string("GET ") + path + " HTTP/1.1\r\nHost: b\r\n\r\n";
        const auto t0 = std::chrono::steady_clock::now();
        for (int i = 0; i < n; ++i) {
            bytes = client.get(request);
            if (bytes < 0) return -1.0;
        }
        return n / std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    };
    long long live_bytes = 0, metrics_bytes = 0;
    const double live = rate("/live", 5000, live_bytes);
    const double metrics = rate("/metrics", 300, metrics_bytes);
    if (live < 0 || metrics < 0) {
        std::fprintf(stderr, "server_bench: a request failed\n");
        return 1;
    }
    std::printf("one keep-alive client, sequential requests on loopback:\n");
    std::printf("  GET /live              %10.0f req/s\n", live);
    std::printf("  GET /metrics (1,000)   %10.0f req/s  (%lld bytes per response)\n", metrics,
                metrics_bytes);
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    if (argc == 1) return quick_run();
    bool serve = false;
    std::size_t series = 1000;
    double duration = -1;
    vitals::server_options opts;
    opts.bind_address = "127.0.0.1";
    opts.port = 0;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        const char* next = i + 1 < argc ? argv[i + 1] : nullptr;
        if (arg == "--serve") {
            serve = true;
        } else if (arg == "--series" && next) {
            series = std::strtoul(next, nullptr, 10);
            ++i;
        } else if (arg == "--port" && next) {
            opts.port = static_cast<std::uint16_t>(std::strtoul(next, nullptr, 10));
            ++i;
        } else if (arg == "--bind" && next) {
            opts.bind_address = next;
            ++i;
        } else if (arg == "--duration" && next) {
            duration = std::strtod(next, nullptr);
            ++i;
        } else {
            return usage();
        }
    }
    if (!serve || series == 0) return usage();

    vitals::registry reg;
    fill_mixed(reg, series);
    vitals::health_server server(reg, opts);
    const vitals::status st = server.try_start();
    if (!st.ok()) {
        std::fprintf(stderr, "server_bench: %s\n", st.message().c_str());
        return 1;
    }
    server.set_ready(true);
    std::fprintf(stderr, "server_bench: %zu series, exposition %zu bytes\n", series,
                 vitals::to_text(reg).size());
    std::printf("listening on http://%s:%u\n", opts.bind_address.c_str(),
                static_cast<unsigned>(server.port()));
    std::fflush(stdout);
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    const auto start = std::chrono::steady_clock::now();
    while (!stop_requested) {
        if (duration >= 0 &&
            std::chrono::steady_clock::now() - start >= std::chrono::duration<double>(duration))
            break;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    server.stop();
    return 0;
}
