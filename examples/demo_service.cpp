// demo_service.cpp - a simulated service exposing the whole metric catalogue for Prometheus.
// SPDX-License-Identifier: MIT
//
// Usage: demo_service [--port N] [--bind ADDR] [--namespace NAME] [--duration S] [--drain S]
//                     [--token-file PATH]
//
// Simulates an API client with a response cache, a work queue whose workers run two file
// converters, and exposes the HTTP, cache, queue, converter, process and build metrics on
// /metrics, with /health, /ready and /live, through vitals::health_server. Readiness turns
// on after a short warm-up. The only line on stdout is `listening on http://ADDR:PORT`;
// everything else goes to stderr. SIGINT or SIGTERM (or the end of --duration) stops it
// with status 0 (after the --drain period, during which /ready answers 503 and everything
// else is still served); a bad flag exits 2, a failure to listen or to read the token file
// exits 1.
#include <vitals/process.hpp>
#include <vitals/server.hpp>
#include <vitals/vitals.hpp>

#include <atomic>             // atomic
#include <cerrno>             // errno
#include <chrono>             // steady_clock, milliseconds, duration
#include <cmath>              // isfinite, log, exp
#include <condition_variable> // condition_variable
#include <csignal>            // signal, sig_atomic_t, SIGINT, SIGTERM
#include <cstdint>            // uint16_t
#include <cstdio>             // printf, fprintf, fflush, fopen, fread
#include <cstdlib>            // strtod, strtoul
#include <cstring>            // strerror
#include <deque>              // deque
#include <list>               // list
#include <mutex>              // mutex, lock_guard, unique_lock
#include <random>             // mt19937, distributions
#include <stdexcept>          // runtime_error
#include <string>             // string
#include <thread>             // thread
#include <unordered_map>      // unordered_map
#include <vector>             // vector

namespace {

volatile std::sig_atomic_t g_signal = 0;

extern "C" void on_signal(int sig) { g_signal = sig; }

// ---- command line ---------------------------------------------------------------------------

struct settings {
    std::uint16_t port = 9090;
    std::string bind = "0.0.0.0";
    std::string ns = "demo";
    double duration = -1.0; // run until signalled
    double drain = 0.0;     // seconds of serving after /ready turns 503 on stop
    std::string token_file; // bearer token for /metrics; empty: no token
};

void usage() {
    std::fprintf(stderr,
                 "usage: demo_service [--port N] [--bind ADDR] [--namespace NAME] "
                 "[--duration S] [--drain S] [--token-file PATH]\n"
                 "  --port N          TCP port, 0 = pick a free one (default 9090)\n"
                 "  --bind ADDR       numeric IPv4 or IPv6 address, server_options::bind_address\n"
                 "                    (default 0.0.0.0)\n"
                 "  --namespace NAME  metric name prefix (default demo)\n"
                 "  --duration S      exit after S seconds, fractions allowed (default: run "
                 "until SIGINT/SIGTERM)\n"
                 "  --drain S         on stop, answer /ready with 503 and keep serving for S\n"
                 "                    seconds before closing, fractions allowed (default 0)\n"
                 "  --token-file PATH require 'Authorization: Bearer <token>' on /metrics, the\n"
                 "                    token being the file's content without surrounding\n"
                 "                    whitespace (a mounted Secret)\n"
                 "Flags take their value as the next argument or after '='.\n");
}

bool valid_namespace(const std::string& ns) {
    if (ns.empty()) return true; // no prefix
    if (ns.size() >= 2 && ns[0] == '_' && ns[1] == '_') return false;
    for (std::size_t i = 0; i < ns.size(); ++i) {
        const char c = ns[i];
        const bool letter =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
        if (!letter && !(i > 0 && c >= '0' && c <= '9')) return false;
    }
    return true;
}

// Returns an error message, or an empty string when `value` was stored.
std::string set_flag(settings& s, const std::string& name, const std::string& value) {
    if (name == "port") {
        char* end = nullptr;
        const unsigned long p = std::strtoul(value.c_str(), &end, 10);
        if (value.empty() || *end != '\0' || value[0] == '-' || value[0] == '+' || p > 65535)
            return "--port needs a number from 0 to 65535, got '" + value + "'";
        s.port = static_cast<std::uint16_t>(p);
    } else if (name == "bind") {
        if (value.empty()) return "--bind needs an address";
        s.bind = value;
    } else if (name == "namespace") {
        if (!valid_namespace(value))
            return "--namespace must match [a-zA-Z_:][a-zA-Z0-9_:]* (and not start with '__'), "
                   "got '" +
                   value + "'";
        s.ns = value;
    } else if (name == "duration") {
        char* end = nullptr;
        const double d = std::strtod(value.c_str(), &end);
        if (value.empty() || *end != '\0' || !std::isfinite(d) || d < 0.0)
            return "--duration needs a number of seconds >= 0, got '" + value + "'";
        s.duration = d;
    } else if (name == "drain") {
        char* end = nullptr;
        const double d = std::strtod(value.c_str(), &end);
        if (value.empty() || *end != '\0' || !std::isfinite(d) || d < 0.0 || d > 3600.0)
            return "--drain needs a number of seconds from 0 to 3600, got '" + value + "'";
        s.drain = d;
    } else if (name == "token-file") {
        if (value.empty()) return "--token-file needs a path";
        s.token_file = value;
    } else {
        return "unknown flag --" + name;
    }
    return {};
}

// 0: run; 1: --help was asked for; 2: bad command line (message printed).
int parse(int argc, char** argv, settings& s) {
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--help" || arg == "-h") return 1;
        if (arg.size() < 3 || arg.compare(0, 2, "--") != 0) {
            std::fprintf(stderr, "demo_service: unexpected argument '%s'\n", arg.c_str());
            return 2;
        }
        std::string name = arg.substr(2), value;
        const std::size_t eq = name.find('=');
        if (eq != std::string::npos) {
            value = name.substr(eq + 1);
            name.erase(eq);
        } else if (name == "port" || name == "bind" || name == "namespace" || name == "duration" ||
                   name == "drain" || name == "token-file") {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "demo_service: --%s needs a value\n", name.c_str());
                return 2;
            }
            value = argv[++i];
        }
        const std::string error = set_flag(s, name, value);
        if (!error.empty()) {
            std::fprintf(stderr, "demo_service: %s\n", error.c_str());
            return 2;
        }
    }
    return 0;
}

// Reads the bearer token from `path`: the file's content without leading and trailing
// whitespace (a Secret mounted as a file usually ends with a newline). Returns an error
// message, or an empty string when `token` was set.
std::string read_token(const std::string& path, std::string& token) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) return "cannot read --token-file '" + path + "': " + std::strerror(errno);
    constexpr std::size_t limit = 4096;
    char buf[limit + 1];
    const std::size_t n = std::fread(buf, 1, sizeof buf, f);
    const bool failed = std::ferror(f) != 0;
    const int err = errno;
    std::fclose(f);
    if (failed) return "cannot read --token-file '" + path + "': " + std::strerror(err);
    if (n > limit)
        return "--token-file '" + path + "' is larger than " + std::to_string(limit) + " bytes";
    std::size_t begin = 0, end = n;
    const auto space = [](char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
    };
    while (begin < end && space(buf[begin])) ++begin;
    while (end > begin && space(buf[end - 1])) --end;
    if (begin == end) return "--token-file '" + path + "' is empty";
    for (std::size_t i = begin; i < end; ++i)
        if (buf[i] < 0x21 || buf[i] > 0x7e)
            return "--token-file '" + path +
                   "': a bearer token is one word of visible ASCII characters";
    token.assign(buf + begin, end - begin);
    return {};
}

// ---- simulation plumbing --------------------------------------------------------------------

// Lets every simulation thread sleep until a deadline or until shutdown, whichever is first.
class stop_signal {
public:
    // Sleeps `seconds`; false when shutdown began meanwhile.
    bool sleep(double seconds) {
        std::unique_lock<std::mutex> lock(m_);
        return !cv_.wait_for(lock, std::chrono::duration<double>(seconds),
                             [this] { return stop_; });
    }
    void stop() {
        {
            std::lock_guard<std::mutex> lock(m_);
            stop_ = true;
        }
        cv_.notify_all();
    }
    bool stopped() {
        std::lock_guard<std::mutex> lock(m_);
        return stop_;
    }

private:
    std::mutex m_;
    std::condition_variable cv_;
    bool stop_ = false;
};

// A log-normal sample with the given median and spread (sigma of the underlying normal).
double lognormal(std::mt19937& rng, double median, double sigma) {
    return std::lognormal_distribution<double>(std::log(median), sigma)(rng);
}

double uniform(std::mt19937& rng) { return std::uniform_real_distribution<double>(0.0, 1.0)(rng); }

// A small LRU cache of backend responses, instrumented with the cache kit.
class response_cache {
public:
    response_cache(vitals::kits::cache_metrics& metrics, std::size_t capacity)
        : metrics_(metrics), capacity_(capacity) {}

    // True on a hit; a miss inserts the key, evicting the least recently used entry if full.
    bool lookup(int key) {
        std::lock_guard<std::mutex> lock(m_);
        const auto it = index_.find(key);
        if (it != index_.end()) {
            order_.splice(order_.begin(), order_, it->second);
            metrics_.hit();
            return true;
        }
        metrics_.miss();
        if (order_.size() >= capacity_) {
            index_.erase(order_.back());
            order_.pop_back();
            metrics_.eviction();
        }
        order_.push_front(key);
        index_[key] = order_.begin();
        metrics_.set_size(static_cast<double>(order_.size()));
        return false;
    }

private:
    vitals::kits::cache_metrics& metrics_;
    std::size_t capacity_;
    std::mutex m_;
    std::list<int> order_; // most recent first
    std::unordered_map<int, std::list<int>::iterator> index_;
};

struct route {
    vitals::kits::http_endpoint* ep;
    double weight;          // share of the traffic
    double request_median;  // bytes
    double response_median; // bytes
    double latency_median;  // seconds, on a cache miss
    bool can_404;
};

struct work_item {
    int converter; // index into the converter handles
    int files;
};

// ---- the service ----------------------------------------------------------------------------

class simulation {
public:
    simulation(vitals::registry& reg, const std::string& ns)
        : http_(reg, ns), cache_metrics_(reg, ns), queue_(reg, ns), jobs_(reg, ns),
          cache_(cache_metrics_, 256) {
        const char* methods_paths[][2] = {{"GET", "/api/reports"},
                                          {"POST", "/api/reports"},
                                          {"GET", "/api/units"},
                                          {"GET", "/api/units/{id}"},
                                          {"PUT", "/api/units/{id}"}};
        const double weights[] = {0.35, 0.1, 0.25, 0.2, 0.1};
        const double req[] = {180, 12000, 150, 120, 2500};
        const double resp[] = {24000, 300, 6000, 900, 250};
        const double lat[] = {0.09, 0.25, 0.04, 0.025, 0.06};
        for (int i = 0; i < 5; ++i) {
            auto& ep = http_.endpoint(methods_paths[i][0], methods_paths[i][1]);
            routes_.push_back({&ep, weights[i], req[i], resp[i], lat[i], i == 3});
            // Known label sets start at zero, so every family has its series from the first
            // scrape on (Prometheus then sees increases instead of series appearing).
            (void)ep.requests(i == 1 ? 201 : 200);
            for (const char* type : {"timeout", "connection", "server_error"})
                (void)ep.errors(type);
        }
        for (const char* name : {"csv", "xml"}) converters_.push_back(jobs_.job(name));
    }

    void start() {
        const auto beat = [this] { heartbeat_.store(now_seconds()); };
        beat();
        for (unsigned seed = 1; seed <= 3; ++seed)
            threads_.emplace_back([this, seed, beat] { client_loop(seed, beat); });
        threads_.emplace_back([this] { producer_loop(101); });
        for (unsigned seed = 201; seed <= 203; ++seed)
            threads_.emplace_back([this, seed] { worker_loop(seed); });
    }

    void stop() {
        stop_.stop();
        queue_cv_.notify_all();
        for (auto& t : threads_) t.join();
        threads_.clear();
    }

    // Liveness: the client threads made progress recently.
    vitals::check_result traffic_alive() const {
        const double idle = now_seconds() - heartbeat_.load();
        if (idle > 5.0)
            return vitals::check_result::fail("no simulated request for " +
                                              std::to_string(static_cast<int>(idle)) + " s");
        return vitals::check_result::pass();
    }

    // Readiness: the queue is not hopelessly backed up.
    vitals::check_result queue_ok() {
        std::lock_guard<std::mutex> lock(queue_m_);
        if (pending_.size() > 400)
            return vitals::check_result::fail(std::to_string(pending_.size()) + " items waiting");
        return vitals::check_result::pass(std::to_string(pending_.size()) + " items waiting");
    }

private:
    static double now_seconds() {
        return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
            .count();
    }

    const route& pick_route(std::mt19937& rng) const {
        double r = uniform(rng);
        for (const route& rt : routes_) {
            if (r < rt.weight) return rt;
            r -= rt.weight;
        }
        return routes_.back();
    }

    // One simulated API call through the cache, tracked by the RAII request tracker.
    bool one_request(std::mt19937& rng) {
        const route& rt = pick_route(rng);
        // Skewed keys (popular entries repeat), so the cache has hits, misses and evictions.
        const int key = static_cast<int>(std::exp(uniform(rng) * std::log(3000.0)));
        auto t = rt.ep->track();
        // A W3C-style trace id (32 lowercase hex digits): under OpenMetrics it shows as the
        // exemplar of this request's count and duration bucket.
        char trace_id[32];
        for (char& c : trace_id) c = "0123456789abcdef"[rng() & 15];
        t.set_trace_id(std::string_view(trace_id, sizeof trace_id));
        t.set_request_size(std::floor(lognormal(rng, rt.request_median, 0.6)));
        if (rt.ep->method() == "GET" && cache_.lookup(key)) {
            if (!stop_.sleep(lognormal(rng, 0.003, 0.5))) return cancel(t);
            t.set_status(200);
            t.set_response_size(std::floor(lognormal(rng, rt.response_median, 0.8)));
            return true;
        }
        const double roll = uniform(rng);
        if (roll < 0.01) { // the backend never answers: the client gives up
            if (!stop_.sleep(0.5 + 0.5 * uniform(rng))) return cancel(t);
            t.record_error("timeout");
            return true;
        }
        if (roll < 0.02) { // refused or reset
            if (!stop_.sleep(lognormal(rng, 0.002, 0.5))) return cancel(t);
            t.record_error("connection");
            return true;
        }
        if (!stop_.sleep(lognormal(rng, rt.latency_median, 0.7))) return cancel(t);
        if (roll < 0.05) {
            t.set_status(503);
            t.set_response_size(120);
        } else if (roll < 0.07 && rt.can_404) {
            t.set_status(404);
            t.set_response_size(90);
        } else if (roll < 0.075) {
#if VITALS_HAS_EXCEPTIONS()
            // A response the client cannot parse: the exception leaves the tracker's scope,
            // which records error_type="exception" (caught by the caller).
            throw std::runtime_error("malformed response body");
#else
            t.set_status(502);
#endif
        } else {
            t.set_status(rt.ep->method() == "POST" ? 201 : 200);
            t.set_response_size(std::floor(lognormal(rng, rt.response_median, 0.8)));
        }
        return true;
    }

    static bool cancel(vitals::kits::http_request_tracker& t) {
        t.cancel(); // shutting down: an interrupted request is not a real one
        return false;
    }

    template <class Beat>
    void client_loop(unsigned seed, Beat beat) {
        std::mt19937 rng(seed);
        for (;;) {
#if VITALS_HAS_EXCEPTIONS()
            try {
                if (!one_request(rng)) return;
            } catch (const std::runtime_error&) {
                // Already counted by the tracker as error_type="exception".
            }
#else
            if (!one_request(rng)) return;
#endif
            beat();
            if (!stop_.sleep(lognormal(rng, 0.02, 0.6))) return;
        }
    }

    void producer_loop(unsigned seed) {
        std::mt19937 rng(seed);
        int until_burst = 100;
        for (;;) {
            // Now and then a burst of uploads, so the queue size has something to show.
            const int n = --until_burst <= 0 ? 40 : 1;
            if (until_burst <= 0) until_burst = 100 + static_cast<int>(uniform(rng) * 100);
            {
                std::lock_guard<std::mutex> lock(queue_m_);
                for (int i = 0; i < n && pending_.size() < 500; ++i)
                    pending_.push_back(
                        {uniform(rng) < 0.7 ? 0 : 1, 1 + static_cast<int>(uniform(rng) * 12)});
                queue_.set_size(static_cast<double>(pending_.size()));
            }
            queue_cv_.notify_all();
            if (!stop_.sleep(lognormal(rng, 0.08, 0.5))) return;
        }
    }

    void worker_loop(unsigned seed) {
        std::mt19937 rng(seed);
        for (;;) {
            work_item item{};
            {
                std::unique_lock<std::mutex> lock(queue_m_);
                queue_cv_.wait_for(lock, std::chrono::milliseconds(100),
                                   [this] { return !pending_.empty() || stop_.stopped(); });
                if (stop_.stopped()) return;
                if (pending_.empty()) continue;
                item = pending_.front();
                pending_.pop_front();
                queue_.set_size(static_cast<double>(pending_.size()));
            }
            auto busy = queue_.worker();    // workers_active while this item is processed
            auto timing = queue_.process(); // processing duration, processed and errors
            auto run = converters_[static_cast<std::size_t>(item.converter)].run();
            const double failure_rate = item.converter == 0 ? 0.03 : 0.08;
            for (int f = 0; f < item.files; ++f) {
                if (!stop_.sleep(lognormal(rng, 0.008, 0.5))) {
                    timing.cancel(); // stopping: the item and the run did not finish
                    run.cancel();
                    return;
                }
                run.files_processed();
            }
            if (uniform(rng) < failure_rate) {
                // Why a run failed, as a small fixed set of error types.
                run.fail(uniform(rng) < 0.7 ? "bad_input" : "timeout");
                timing.fail();
            }
        }
    }

    vitals::kits::http_metrics http_;
    vitals::kits::cache_metrics cache_metrics_;
    vitals::kits::queue_metrics queue_;
    vitals::kits::job_metrics jobs_;
    response_cache cache_;
    std::vector<route> routes_;
    std::vector<vitals::kits::job_handle> converters_;

    stop_signal stop_;
    std::mutex queue_m_;
    std::condition_variable queue_cv_;
    std::deque<work_item> pending_;
    std::atomic<double> heartbeat_{0.0};
    std::vector<std::thread> threads_;
};

const char* compiler() {
#if defined(__clang__)
    return "clang " __clang_version__;
#elif defined(__GNUC__)
    return "gcc " __VERSION__;
#elif defined(_MSC_VER)
    return "msvc";
#else
    return "unknown";
#endif
}

} // namespace

int main(int argc, char** argv) {
    settings s;
    const int parsed = parse(argc, argv, s);
    if (parsed != 0) {
        usage();
        return parsed == 1 ? 0 : 2;
    }

    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);

    vitals::registry reg;
    vitals::kits::register_build_info(reg, s.ns, VITALS_VERSION_STRING,
                                      {{"service", "demo_service"}, {"compiler", compiler()}});
    vitals::add_process_metrics(reg, s.ns);
    simulation sim(reg, s.ns);

    vitals::server_options opts;
    opts.bind_address = s.bind;
    opts.port = s.port;
    opts.drain = std::chrono::milliseconds(static_cast<long long>(s.drain * 1000.0 + 0.5));
    if (!s.token_file.empty()) {
        const std::string error = read_token(s.token_file, opts.bearer_token);
        if (!error.empty()) {
            std::fprintf(stderr, "demo_service: %s\n", error.c_str());
            return 1;
        }
    }
    vitals::health_server server(reg, opts);
    server.add_liveness_check("traffic", [&sim] { return sim.traffic_alive(); });
    server.add_readiness_check("queue", [&sim] { return sim.queue_ok(); });
    const vitals::status st = server.try_start();
    if (!st.ok()) {
        std::fprintf(stderr, "demo_service: %s\n", st.message().c_str());
        return 1;
    }
    const bool v6 = s.bind.find(':') != std::string::npos;
    std::printf("listening on http://%s%s%s:%u\n", v6 ? "[" : "", s.bind.c_str(), v6 ? "]" : "",
                static_cast<unsigned>(server.port()));
    std::fflush(stdout);
    std::fprintf(stderr,
                 "demo_service: serving /metrics%s, /health, /ready, /live; namespace '%s'; "
                 "drain %.3g s\n",
                 opts.bearer_token.empty() ? "" : " (bearer token)", s.ns.c_str(), s.drain);

    sim.start();
    const auto started = std::chrono::steady_clock::now();
    const auto elapsed = [&started] {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    };
    bool ready = false;
    while (g_signal == 0 && (s.duration < 0.0 || elapsed() < s.duration)) {
        // A short warm-up (caches filling, workers starting) before taking traffic.
        if (!ready && elapsed() >= 0.3) {
            server.set_ready(true);
            ready = true;
            std::fprintf(stderr, "demo_service: ready\n");
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (g_signal != 0)
        std::fprintf(stderr, "demo_service: signal %d, stopping\n", static_cast<int>(g_signal));
    // stop() turns /ready 503 at once and keeps serving for the drain period (the simulated
    // traffic goes on meanwhile, as a real service's would), then closes.
    server.stop();
    sim.stop();
    return 0;
}
