// vitals/server/self_metrics.hpp - the server's own metrics (vitals_server_*).
// SPDX-License-Identifier: MIT
#ifndef VITALS_SERVER_SELF_METRICS_HPP
#define VITALS_SERVER_SELF_METRICS_HPP

#include <vitals/config.hpp>
#include <vitals/counter.hpp>
#include <vitals/error.hpp>
#include <vitals/family.hpp>
#include <vitals/gauge.hpp>
#include <vitals/histogram.hpp>
#include <vitals/registry.hpp>
#include <vitals/server/close_reason.hpp>
#include <vitals/server/options.hpp>

#include <atomic>  // atomic
#include <cstddef> // size_t
#include <cstdint> // uint64_t
#include <mutex>   // mutex, lock_guard
#include <string>  // string, to_string

VITALS_BEGIN_NAMESPACE
namespace detail {

enum class endpoint : unsigned char { metrics, health, ready, live, other };
constexpr std::size_t endpoint_count = 5;

/// The status codes the server answers with, in the order of the self-metric cache.
constexpr int server_codes[] = {200, 400, 401, 404, 405, 408, 413, 414, 431, 501, 503, 505};
constexpr std::size_t server_code_count = sizeof server_codes / sizeof server_codes[0];

inline std::size_t code_index(int code) noexcept {
    for (std::size_t i = 0; i < server_code_count; ++i)
        if (server_codes[i] == code) return i;
    return 1; // not reached: every response uses a listed code
}

/// Takes (or gives back) the right to publish a server's self-metrics in `reg`; false when
/// another running server holds it. Two servers writing the same vitals_server_* series
/// would add up their requests and overwrite each other's vitals_server_ready and
/// vitals_server_connections. One table per process, as the thread slots are (per module
/// on Windows): two shared libraries built with hidden symbols would otherwise each have one.
VITALS_DETAIL_PROCESS_WIDE inline bool claim_self_metrics(const registry* reg, bool take) {
    // The registries held, in a linked list: a std::vector<const registry*> made every file
    // including server.hpp compile its push_back.
    struct holder {
        const registry* reg;
        holder* next;
    };
    struct table {
        std::mutex mutex;
        holder* held = nullptr;
    };
    // Never destroyed: a static health_server may stop after static destruction began.
    static table* const t = new table;
    std::lock_guard<std::mutex> lock(t->mutex);
    for (holder** h = &t->held; *h; h = &(*h)->next) {
        if ((*h)->reg != reg) continue;
        if (take) return false;
        holder* const given_back = *h;
        *h = given_back->next;
        delete given_back;
        return true;
    }
    if (take) t->held = new holder{reg, t->held};
    return true;
}

/// vitals_server_requests_total{path,code}, vitals_server_render_seconds,
/// vitals_server_ready, vitals_server_connections,
/// vitals_server_closed_connections_total{reason} and
/// vitals_server_collector_failures_total{collector}, registered in the served registry.
/// Counting and observing happen on the server thread; publish_ready() from any thread.
class server_metrics {
public:
    /// Registers the families (once; later calls do nothing).
    status register_in(registry& reg) {
        if (requests_) return {};
        auto req = reg.try_counter("vitals_server_requests",
                                   "HTTP requests answered by the vitals server, by endpoint "
                                   "path and status code.",
                                   {"path", "code"});
        if (!req) return req.error();
        auto render =
            reg.try_histogram("vitals_server_render_seconds",
                              "Time the vitals server spent rendering the exposition for /metrics.",
                              {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                               0.1, 0.25, 0.5, 1.0});
        if (!render) return render.error();
        auto ready = reg.try_gauge("vitals_server_ready",
                                   "1 when the program reports itself ready, else 0.");
        if (!ready) return ready.error();
        auto conns = reg.try_gauge("vitals_server_connections",
                                   "Client connections open on the vitals server.");
        if (!conns) return conns.error();
        auto failures = reg.try_counter(
            "vitals_server_collector_failures",
            "Scrapes in which a collector threw, by collector name (what it would have written "
            "after the throw was left out).",
            {"collector"});
        if (!failures) return failures.error();
        auto closed = reg.try_counter(
            "vitals_server_closed_connections",
            "Connections the vitals server closed while serving them: over its output budget, "
            "to make room at its connection limit, or past the write timeout.",
            {"reason"});
        if (!closed) return closed.error();
        for (std::size_t i = 0; i < close_reason_count; ++i) {
            // Created up front so that a rate() over them starts at 0, not at the first close.
            auto series = closed.value().try_labels(close_reason_labels[i]);
            if (!series) return series.error();
            closed_[i] = &series.value();
        }
        requests_ = &req.value();
        collector_failures_ = &failures.value();
        render_seconds_ = &render.value();
        ready_gauge_.store(&ready.value());
        connections_ = &conns.value();
        return {};
    }

    /// Counts one answered request.
    void count(endpoint ep, int code, const server_options& o) {
        if (!requests_) return;
        const std::size_t e = static_cast<std::size_t>(ep);
        counter*& series = request_series_[e][code_index(code)];
        if (!series) {
            const std::string& path = ep == endpoint::metrics  ? o.metrics_path
                                      : ep == endpoint::health ? o.health_path
                                      : ep == endpoint::ready  ? o.ready_path
                                      : ep == endpoint::live   ? o.live_path
                                                               : other_label_;
            auto r = requests_->try_labels(path, std::to_string(code));
            if (!r) return;
            series = &r.value();
        }
        series->inc();
    }

    void observe_render(double seconds) noexcept {
        if (render_seconds_) render_seconds_->observe(seconds);
    }

    void publish_ready(bool ready) noexcept {
        if (gauge* g = ready_gauge_.load()) g->set(ready ? 1.0 : 0.0);
    }

    /// Stops publishing readiness: the server gave its self-metrics up, and another server
    /// of the registry may publish its own into the same gauge now.
    void stop_publishing_ready() noexcept { ready_gauge_.store(nullptr); }

    /// Counts `n` more failed scrapes of the collector `name`.
    void count_collector_failures(const std::string& name, std::uint64_t n) {
        if (!collector_failures_ || n == 0) return;
        auto r = collector_failures_->try_labels(name);
        if (r) r.value().inc_by(n);
    }

    /// The connection gauge, or null before registration.
    gauge* connections() const noexcept { return connections_; }

    /// The closed-connection counters by close_reason (null before registration).
    counter* const (&closed() const noexcept)[close_reason_count] { return closed_; }

private:
    counter_family* requests_ = nullptr;
    counter_family* collector_failures_ = nullptr;
    histogram* render_seconds_ = nullptr;
    std::atomic<gauge*> ready_gauge_{nullptr};
    gauge* connections_ = nullptr;
    counter* closed_[close_reason_count] = {};
    counter* request_series_[endpoint_count][server_code_count] = {};
    const std::string other_label_ = "other";
};

} // namespace detail
VITALS_END_NAMESPACE

#endif // VITALS_SERVER_SELF_METRICS_HPP
