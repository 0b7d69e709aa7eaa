// vitals/server.hpp - optional HTTP server for /metrics, /health, /ready and /live.
// SPDX-License-Identifier: MIT
//
// Link with threads (-pthread) and, on Windows, ws2_32. On Windows, include this header
// before <windows.h>, or define WIN32_LEAN_AND_MEAN before including <windows.h> (a plain
// <windows.h> brings the old winsock.h, which cannot be combined with <winsock2.h>).
//
// The one include for the server. Its parts live in vitals/server/: socket (OS layer),
// request_parser, negotiate, connection, response, loop (listener and poll loop), checks (with
// cached_probe), json, auth, options and self_metrics; this file wires them.
#ifndef VITALS_SERVER_HPP
#define VITALS_SERVER_HPP

#include <vitals/config.hpp>
#include <vitals/detail/scrape_scope.hpp>
#include <vitals/error.hpp>
#include <vitals/exposition/openmetrics.hpp>
#include <vitals/registry.hpp>
#include <vitals/server/auth.hpp>
#include <vitals/server/checks.hpp>
#include <vitals/server/connection.hpp>
#include <vitals/server/json.hpp>
#include <vitals/server/loop.hpp>
#include <vitals/server/negotiate.hpp>
#include <vitals/server/options.hpp>
#include <vitals/server/response.hpp>
#include <vitals/server/self_metrics.hpp>
#include <vitals/server/thread.hpp>
#include <vitals/text_format.hpp>

#include <atomic>      // atomic
#include <chrono>      // steady_clock, duration
#include <cstddef>     // size_t
#include <cstdint>     // uint16_t, uint64_t, uintptr_t
#include <mutex>       // mutex, lock_guard
#include <new>         // bad_alloc
#include <string>      // string, to_string
#include <string_view> // string_view
#include <utility>     // move
#include <vector>      // vector

VITALS_BEGIN_NAMESPACE

/// A small HTTP/1.1 server that exposes a registry to Prometheus (`/metrics`) and the
/// program's state to Kubernetes-style probes (`/live`, `/ready`, `/health`).
///
/// One background thread serves every connection with non-blocking sockets and poll
/// (WSAPoll on Windows). Keep-alive and pipelining are supported; slow, silent and half-open
/// clients are cut off by per-connection deadlines, requests are bounded before they are
/// buffered, and the number of connections is capped. No client can hold the thread: each
/// connection gets a turn of at most 16 requests (one rendered exposition, or 20 ms of
/// answers when checks take long) before the next, queued output is bounded per connection
/// and for all of them (max_output_bytes: past it the slowest readers are closed), and the
/// connections held stay below max_connections and the descriptor limit minus
/// descriptor_reserve (at either cap, idle connections make room for new clients, oldest
/// first). Liveness and readiness checks run on that thread:
/// they must be quick (see cached_probe for slow dependencies). A collector that throws
/// while /metrics renders loses the rest of its output for that scrape (what it wrote
/// before the throw stays); the other collectors and the families are served with 200.
///
/// Readiness is false until set_ready(true), and false again from the moment stop() begins.
/// Declare the registry before the server, so that it outlives it. A registry destroyed
/// first stops the server if it runs (without the drain period) and leaves it stopped for
/// good, if it was ever started: no member touches the registry after, and start() fails
/// with errc::invalid_argument (a watchdog that restarts a server that is not running gets
/// that error, not a server reading freed memory). A server never started until then cannot
/// tell (it touches its registry first in start()): it must not be started.
/// All members are thread-safe. Checks and collectors run on the server thread: there,
/// stop() only asks the server to stop (see stop()), start() fails with
/// errc::already_running, add_*_check() from a check fails (vitals::error with
/// errc::invalid_argument, which fails that check: it would wait for itself), and the server
/// must not be destroyed. Elsewhere add_*_check() waits while checks run. Construction and start()
/// allocate; serving a keep-alive connection then reaches a steady state with no
/// allocation for any endpoint (beyond what the checks and the registry's collectors
/// allocate themselves).
///
/// Endpoints answer GET and HEAD (query strings are ignored): `/metrics` OpenMetrics 1.0.0
/// when the Accept header prefers it (as Prometheus asks), else the text format 0.0.4, `/live` and
/// `/ready` 200 "ok" or 503, and
/// `/health` JSON `{"status":"pass"|"fail","ready":bool,"checks":[{"name","kind","status",
/// "message"}],"collectors":[{"name","status","failures","message"}]}` with 200, or 503
/// when a check fails or the program is not ready ("collectors" appears once a collector
/// has thrown during a scrape: each such collector, its failure count and last message;
/// they do not change the status). A
/// HEAD of /metrics within a second of the last render's end reports that render's length, and
/// requests served in the same turn of the loop share one render.
/// Errors: 404 unknown path, 405 (with Allow) other methods, 400 malformed, 413/414/431 too
/// large, 408 too slow, 401 (with WWW-Authenticate) missing or wrong bearer token on
/// /metrics, 503 over the connection cap when no connection is idle and for a /metrics render
/// that ran out of memory. Every response has
/// Content-Length and Cache-Control: no-store.
class health_server final : private detail::request_handler {
public:
    /// A stopped server over `reg`, which it does not touch until start() (`reg` may be
    /// constructed after the server). Once started, a registry destroyed before the server
    /// stops it first if it runs (without the drain period); the server then never touches
    /// the registry again, and start() fails with errc::invalid_argument.
    explicit health_server(registry& reg, server_options options = server_options{})
        : reg_(reg), options_(std::move(options)), loop_(options_, *this) {
        link_.gone = &registry_gone;
        link_.owner = this;
    }
    /// A stopped server over the default registry.
    explicit health_server(server_options options = server_options{})
        : health_server(default_registry(), std::move(options)) {}
    health_server(const health_server&) = delete;
    health_server& operator=(const health_server&) = delete;
    /// Stops the server (including its drain period) and joins its thread, also after a
    /// stop() called on the server thread. Must not run on the server thread.
    ~health_server() {
        stop_and_join();
        if (linked_ && !registry_gone_.load())
            detail::registry_access::link_server(reg_, link_, false);
    }

    /// Binds, listens and starts the server thread. Failures (bad options, address in use,
    /// no permission, the registry destroyed) are reported through the error policy as
    /// vitals::error with errc::invalid_argument, errc::network_error (with the OS message) or
    /// errc::already_running.
    void start() & {
        const status st = try_start();
        if (!st.ok()) detail::fail(st);
    }

    /// start() that returns the failure instead of reporting it.
    status try_start() & {
        if (on_server_thread())
            return status(errc::already_running,
                          "health_server::start() called on the server's own thread (from a "
                          "check or a collector)");
        // It could wait for a registry lock this thread's scrape holds (its self-metrics
        // register in the registry), or for a stop() that waits for that scrape.
        if (detail::scrape_scope::inside_any())
            return status(errc::already_running,
                          "health_server::start() called from a collector during a scrape");
        std::lock_guard<std::mutex> lock(lifecycle_);
        // Before anything else: the registry's destruction stopped this server, or found it
        // stopped, and nothing here may touch the registry (not even the join below, after a
        // registry destroyed from a check, whose loop was never asked to end).
        if (registry_gone_.load())
            return status(errc::invalid_argument,
                          "health_server::start(): the registry this health_server serves was "
                          "destroyed, and the server cannot serve it again; destroy this server "
                          "and make a new one over a live registry (declare the registry "
                          "before the server, so that it outlives it)");
        // From the first start() to the destructor (the registry is alive now, and may not
        // have been at construction: a member declared before its registry), so that a
        // registry destroyed first stops this server, or finds it stopped, and tells it.
        if (!linked_) {
            detail::registry_access::link_server(reg_, link_, true);
            linked_ = true;
        }
        if (thread_.joinable()) {
            if (!stop_requested_.load())
                return status(errc::already_running, "health_server is already running on port " +
                                                         std::to_string(loop_.port()));
            finish_stop(); // stop() was called on the server thread: join it first
        }
        status st = detail::validate_options(options_);
        if (!st.ok()) return st;
        // The socket first: a port in use is the more basic mistake, and reported as such.
        st = loop_.open();
        if (!st.ok()) return st;
        if (options_.self_metrics) {
            if (!detail::claim_self_metrics(&reg_, true)) {
                loop_.close();
                return status(errc::already_running,
                              "another running health_server publishes its self-metrics "
                              "(vitals_server_*) in this registry; give this one "
                              "server_options::self_metrics = false, or its own registry");
            }
            self_metrics_claimed_ = true;
            st = metrics_.register_in(reg_);
            if (!st.ok()) {
                loop_.close();
                release_self_metrics();
                return st;
            }
            loop_.set_connections_gauge(metrics_.connections());
            loop_.set_closed_counters(metrics_.closed());
        }
        stopping_.store(false);
        publish_ready();
        const int thread_error = thread_.start(&serve_thread, this);
        if (thread_error != 0) {
            loop_.close();
            release_self_metrics();
            return status(errc::network_error, "cannot start the server thread: " +
                                                   detail::thread_error_text(thread_error));
        }
        return {};
    }

    /// start() on a server made in the same statement, `health_server(reg).start()`, does not
    /// compile: that server is destroyed at the end of the statement, which stops it again.
    template <class Server = health_server>
    void start() && {
        static_assert(detail::always_false<Server>,
                      "vitals: health_server(...).start() stops the server again at the end of "
                      "the statement; keep the server in a variable: "
                      "vitals::health_server server(reg, options); server.start();");
    }
    template <class Server = health_server>
    status try_start() && {
        static_assert(detail::always_false<Server>,
                      "vitals: health_server(...).try_start() stops the server again at the end "
                      "of the statement; keep the server in a variable: "
                      "vitals::health_server server(reg, options); server.try_start();");
        return {};
    }

    /// Stops serving: readiness turns false at once, the server keeps answering for the
    /// drain period, then every connection is closed and the thread joined. Does not wait
    /// for keep-alive or request deadlines. Idempotent; returns at once when not running.
    /// Not async-signal-safe (it locks, waits and joins): a signal handler sets a flag that
    /// the program's main loop reads and then calls stop().
    ///
    /// Called on the server thread (from a check, or a collector while /metrics renders),
    /// it cannot join that thread: it turns readiness false, asks the server to stop after
    /// the drain period, and returns at once. The thread ends by itself (running() then
    /// reads false) and is joined by the next stop() on another thread, the next start(), or
    /// the destructor, each of which waits for the rest of the drain. A stop() on another
    /// thread meanwhile only joins.
    ///
    /// Called from a collector while another thread scrapes (to_text(reg) on a thread of the
    /// program), it does the same and returns at once: that thread holds the registry's
    /// reader lock until the scrape ends, and waiting there for the server thread, or for a
    /// start() on a third thread (which registers in the registry), could wait forever. The
    /// server thread ends after the drain period by itself. A start() or stop() running on
    /// another thread at that moment counts as coming after this one.
    void stop() {
        if (on_server_thread()) {
            // Lock-free: another thread may hold lifecycle_ while it waits for this one.
            if (begin_stop()) loop_.stop_after(options_.drain);
            return;
        }
        if (detail::scrape_scope::inside_any()) {
            // Busy: a start() or stop() on another thread, which may be waiting for this
            // scrape. This stop() then takes effect before it, which changes nothing.
            if (!lifecycle_.try_lock()) return;
            std::lock_guard<std::mutex> lock(lifecycle_, std::adopt_lock);
            if (thread_.joinable() && begin_stop()) loop_.request_stop_after(options_.drain);
            return;
        }
        stop_and_join();
    }

    /// True between a successful start() and stop() (after a stop() on the server thread,
    /// until that thread ends).
    bool running() const noexcept { return loop_.port() != 0; }

    /// The bound port while running (useful with port 0), else 0.
    std::uint16_t port() const noexcept { return loop_.port(); }

    /// The options given at construction.
    const server_options& options() const noexcept { return options_; }

    /// Marks the program ready (or not). While stop() runs readiness stays false whatever is
    /// set, and a stopped server is not ready until set_ready(true) again. Lock-free.
    void set_ready(bool ready) noexcept {
        ready_.store(ready);
        publish_ready();
    }

    /// The readiness flag: set_ready(true) was called and stop() has not begun. Checks are
    /// not run here.
    bool ready() const noexcept { return ready_.load() && !stopping_.load(); }

    /// Adds (or replaces, by name) a check that /live and /health run: a callable taking no
    /// arguments and returning vitals::check_result, or bool (true passes, false fails with
    /// "check returned false"), or a check_function. Allocates.
    template <class Check>
    void add_liveness_check(std::string_view name, Check check) {
        checks_.add(std::string(name), detail::make_check(std::move(check)), false);
    }

    /// Adds (or replaces, by name) a check that /ready and /health run; what it takes is as
    /// for add_liveness_check(). Allocates.
    template <class Check>
    void add_readiness_check(std::string_view name, Check check) {
        checks_.add(std::string(name), detail::make_check(std::move(check)), true);
    }

private:
    using clock = std::chrono::steady_clock;
    using connection = detail::server_connection;
    using endpoint = detail::endpoint;

    void publish_ready() noexcept { metrics_.publish_ready(ready()); }

    // The server thread's body.
    static void serve_thread(void* server) { static_cast<health_server*>(server)->serve(); }
    void serve() {
        server_thread_.store(detail::current_thread_token());
        loop_.run();
    }

    bool on_server_thread() const noexcept {
        return server_thread_.load() == detail::current_thread_token();
    }

    // Readiness false and the stop claimed; false when a stop() already began.
    bool begin_stop() noexcept {
        if (stop_requested_.exchange(true)) return false;
        stopping_.store(true);
        ready_.store(false);
        publish_ready();
        return true;
    }

    // stop() on a thread that may wait: the drain, then the join.
    void stop_and_join() {
        std::lock_guard<std::mutex> lock(lifecycle_);
        if (!thread_.joinable()) return;
        if (begin_stop()) {
            detail::sleep_ms(options_.drain.count());
            loop_.request_stop();
        } // else stop() ran on the server thread or in a scrape; the loop ends after its drain
        finish_stop();
    }

    // Joins the server thread (told to stop) and resets the state for a restart; under
    // lifecycle_, not on the server thread.
    void finish_stop() {
        thread_.join();
        server_thread_.store(0);
        loop_.close();
        release_self_metrics();
        ready_.store(false); // a restarted server starts not ready, like a new one
        stopping_.store(false);
        stop_requested_.store(false);
    }

    endpoint classify(std::string_view path) const noexcept {
        if (path.empty()) return endpoint::other;
        if (path == options_.metrics_path) return endpoint::metrics;
        if (path == options_.health_path) return endpoint::health;
        if (path == options_.ready_path) return endpoint::ready;
        if (path == options_.live_path) return endpoint::live;
        return endpoint::other;
    }

    // A plain-text response: /live, /ready, 404, 405, 401.
    void text(connection& c, detail::response_writer& w, endpoint ep, int code,
              std::string_view body, bool head, bool keep, unsigned extra) {
        w.queue(c, code, "text/plain; charset=utf-8", body, head, keep, extra);
        metrics_.count(ep, code, options_);
    }

    void reject(connection& c, detail::response_writer& w, int code, const char* reason) override {
        text_body_.assign(reason);
        text_body_ += '\n';
        // A HEAD is answered without a body, even when it failed (its method was parsed).
        const bool head = c.parser.method() == "HEAD";
        text(c, w, endpoint::other, code, text_body_, head, false, detail::no_extra);
    }

    bool refuses(const connection& c) const override {
        const auto& p = c.parser;
        const endpoint ep = classify(p.path());
        if (ep == endpoint::other) return true;                       // 404
        if (p.method() != "HEAD" && p.method() != "GET") return true; // 405
        return ep == endpoint::metrics &&                             // 401
               !detail::bearer_authorized(options_.bearer_token, p.has_authorization(),
                                          p.authorization());
    }

    // The registry is being destroyed before this server (it was declared after the server,
    // or a static registry ends with the program): a running server stops now, without the
    // drain, which would serve a registry on its way out, and no member touches the registry
    // after (start() refuses). On the server thread (the program exits from a check), the
    // thread cannot be joined; it is not coming back to the registry either, and readiness
    // is no longer published into it.
    static void registry_gone(void* server) noexcept {
        auto& s = *static_cast<health_server*>(server);
        s.registry_gone_.store(true);
        if (s.on_server_thread()) {
            s.begin_stop();
            s.metrics_.stop_publishing_ready();
            return;
        }
        std::lock_guard<std::mutex> lock(s.lifecycle_);
        if (!s.thread_.joinable()) return;
        s.begin_stop();
        s.loop_.request_stop();
        s.finish_stop();
    }

    bool renders(const connection& c) const override {
        const auto& p = c.parser;
        return p.method() == "GET" && classify(p.path()) == endpoint::metrics && !refuses(c);
    }

    bool respond(connection& c, detail::response_writer& w) override {
        const auto& p = c.parser;
        const endpoint ep = classify(p.path());
        const bool keep = p.keep_alive() && !c.peer_closed;
        const bool head = p.method() == "HEAD";
        if (ep == endpoint::other) {
            text(c, w, ep, 404, "not found\n", head, keep, detail::no_extra);
            return false;
        }
        if (!head && p.method() != "GET") {
            text(c, w, ep, 405, "method not allowed\n", false, keep, detail::allow_get_head);
            return false;
        }
        switch (ep) {
        case endpoint::live: {
            const bool ok = checks_.run(false, options_.check_budget, nullptr);
            text(c, w, ep, ok ? 200 : 503, ok ? "ok\n" : "fail\n", head, keep, detail::no_extra);
            return false;
        }
        case endpoint::ready: {
            const bool ok = ready() && checks_.run(true, options_.check_budget, nullptr);
            text(c, w, ep, ok ? 200 : 503, ok ? "ok\n" : "unavailable\n", head, keep,
                 detail::no_extra);
            return false;
        }
        case endpoint::health:
            health(c, w, head, keep);
            return true; // runs every check
        case endpoint::metrics:
            return metrics(c, w, head, keep);
        case endpoint::other:
            break;
        }
        return false;
    }

    void health(connection& c, detail::response_writer& w, bool head, bool keep) {
        checks_json_.clear();
        const bool live = checks_.run(false, options_.check_budget, &checks_json_);
        const bool checks_ready = checks_.run(true, options_.check_budget, &checks_json_);
        const bool is_ready = ready();
        const bool ok = live && checks_ready && is_ready;
        json_.clear();
        json_ += ok ? "{\"status\":\"pass\"" : "{\"status\":\"fail\"";
        json_ += is_ready ? ",\"ready\":true" : ",\"ready\":false";
        json_ += ",\"checks\":[";
        json_ += checks_json_;
        json_ += ']';
        if (!collector_failures_.empty()) json_ += ",\"collectors\":[";
        for (std::size_t i = 0; i < collector_failures_.size(); ++i) {
            const collector_failure& f = collector_failures_[i];
            if (i > 0) json_ += ',';
            json_ += "{\"name\":";
            detail::append_json_string(json_, f.name);
            json_ += ",\"status\":\"fail\",\"failures\":";
            detail::append_uint(json_, static_cast<std::size_t>(f.count));
            json_ += ",\"message\":";
            detail::append_json_string(json_, f.message);
            json_ += '}';
        }
        if (!collector_failures_.empty()) json_ += ']';
        json_ += "}\n";
        const int code = ok ? 200 : 503;
        w.queue(c, code, "application/json", json_, head, keep, detail::no_extra);
        metrics_.count(endpoint::health, code, options_);
    }

    // Answers /metrics; true when it rendered the exposition. A HEAD within head_reuse of the
    // last render reports that render's length instead of rendering again, so a flood of
    // HEAD requests costs one render per interval; GETs of the same loop turn share one.
    bool metrics(connection& c, detail::response_writer& w, bool head, bool keep) {
        if (!detail::bearer_authorized(options_.bearer_token, c.parser.has_authorization(),
                                       c.parser.authorization())) {
            text(c, w, endpoint::metrics, 401, "unauthorized\n", head, keep,
                 detail::authenticate_bearer);
            return false;
        }
        // OpenMetrics when allowed and the Accept header prefers it (Prometheus asks for it
        // first), else the text format 0.0.4.
        const bool om = options_.openmetrics && detail::negotiate_exposition(c.parser.accept()) ==
                                                    detail::exposition_format::openmetrics_1_0_0;
        const std::string_view type = om ? openmetrics_content_type : text_content_type;
        // Requests answered in the same loop turn share one render (they arrived together);
        // a HEAD shares the last second's (of the same format).
        if (rendered_ && rendered_om_ == om &&
            (w.turn() == rendered_turn_ || (head && w.now() - rendered_at_ < head_reuse))) {
            metrics_.count(endpoint::metrics, 200, options_);
            const std::string_view body = head ? std::string_view() : std::string_view(render_);
            w.send(c, 200, type, body, render_.size(), keep);
            return false;
        }
        const clock::time_point start = clock::now();
        render_.clear(); // keeps its capacity: no allocation once it has grown
        rendered_ = false;
        if (const char* failure = render(om)) {
            render_.clear();
            text(c, w, endpoint::metrics, 503, failure, head, keep, detail::no_extra);
            return false;
        }
        metrics_.count(endpoint::metrics, 200, options_);
        rendered_om_ = om;
        // The reuse window runs from the render's end: from its start (the turn's time), a
        // render of a second or more left no window at all, and every HEAD rendered again.
        const clock::time_point end = clock::now();
        metrics_.observe_render(std::chrono::duration<double>(end - start).count());
        rendered_ = true;
        rendered_at_ = end;
        rendered_turn_ = w.turn();
        note_collector_failures();
        const std::string_view body = head ? std::string_view() : std::string_view(render_);
        w.send(c, 200, type, body, render_.size(), keep);
        return true;
    }

    // Renders the exposition into render_; null, or why it failed. Out of memory (the
    // exposition, or a collector's output, could not grow) must not end the server thread: the
    // scrape gets a 503 and the next one tries again.
    const char* render(bool om) {
#if VITALS_DETAIL_CAN_CATCH()
        try {
#endif
            if (om)
                write_openmetrics(reg_, render_);
            else
                write_text(reg_, render_);
#if VITALS_DETAIL_CAN_CATCH()
        } catch (const std::bad_alloc&) {
            return "cannot render the metrics: out of memory\n";
        } catch (...) {
            return "cannot render the metrics\n";
        }
#endif
        return nullptr;
    }

    // Picks up collectors that threw during the last render: counted per collector in the
    // self-metrics and listed in /health.
    void note_collector_failures() {
        const std::uint64_t total = reg_.collector_failure_count();
        if (total == failures_seen_) return;
        failures_seen_ = total;
        std::vector<collector_failure> now = reg_.collector_failures();
        // Several collectors may share a name: compare the totals per name, once per name.
        const auto total_of = [](const std::vector<collector_failure>& list,
                                 const std::string& name) {
            std::uint64_t sum = 0;
            for (const collector_failure& f : list)
                if (f.name == name) sum += f.count;
            return sum;
        };
        for (std::size_t i = 0; i < now.size(); ++i) {
            bool seen_before = false;
            for (std::size_t j = 0; j < i && !seen_before; ++j)
                seen_before = now[j].name == now[i].name;
            if (seen_before) continue;
            const std::uint64_t after = total_of(now, now[i].name);
            const std::uint64_t before = total_of(collector_failures_, now[i].name);
            if (after > before) metrics_.count_collector_failures(now[i].name, after - before);
        }
        collector_failures_.swap(now);
    }

    static constexpr std::chrono::milliseconds head_reuse{1000};

    void release_self_metrics() noexcept {
        if (!self_metrics_claimed_) return;
        metrics_.stop_publishing_ready();
        detail::claim_self_metrics(&reg_, false);
        self_metrics_claimed_ = false;
    }

    registry& reg_;
    const server_options options_;
    detail::server_loop loop_;
    detail::os_thread thread_;
    std::mutex lifecycle_;
    std::atomic<bool> stopping_{false};
    std::atomic<bool> stop_requested_{false};      // a stop() began; the thread is to end
    std::atomic<std::uintptr_t> server_thread_{0}; // while it runs (current_thread_token())
    bool self_metrics_claimed_ = false;            // under lifecycle_
    detail::registry_server link_;                 // in reg_'s list from the first start()
    bool linked_ = false;                          // link_ was linked; under lifecycle_
    std::atomic<bool> registry_gone_{false};       // reg_ was destroyed: never touch it again
    std::atomic<bool> ready_{false};
    detail::check_list checks_;
    detail::server_metrics metrics_;

    // Owned by the server thread.
    std::string render_;      // the /metrics exposition, reused
    std::string json_;        // /health body, reused
    std::string checks_json_; // the checks of /health, reused
    std::string text_body_;   // error body, reused
    bool rendered_ = false;
    bool rendered_om_ = false;        // render_ holds OpenMetrics (else text 0.0.4)
    clock::time_point rendered_at_{}; // when the render in render_ ended
    std::uint64_t rendered_turn_ = 0; // the server loop's turn that made it
    std::uint64_t failures_seen_ = 0; // registry's collector failure count, last seen
    std::vector<collector_failure> collector_failures_; // as of the last render
};

VITALS_END_NAMESPACE

#endif // VITALS_SERVER_HPP
