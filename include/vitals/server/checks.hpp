// vitals/server/checks.hpp - health checks: results, the check list and cached_probe.
// SPDX-License-Identifier: MIT
#ifndef VITALS_SERVER_CHECKS_HPP
#define VITALS_SERVER_CHECKS_HPP

#include <vitals/config.hpp>
#include <vitals/detail/callback.hpp>
#include <vitals/error.hpp>
#include <vitals/server/json.hpp>
#include <vitals/server/socket.hpp>
#include <vitals/server/thread.hpp>

#include <atomic>      // atomic
#include <chrono>      // steady_clock, milliseconds
#include <cstdint>     // uintptr_t
#include <mutex>       // mutex, lock_guard
#include <string>      // string, to_string
#include <type_traits> // decay_t, invoke_result_t, is_invocable, is_pointer, is_same
#include <utility>     // move

#if VITALS_DETAIL_CAN_CATCH()
#include <exception> // exception
#endif

VITALS_BEGIN_NAMESPACE

/// The outcome of a health check: `ok` and a short human-readable message (may be empty).
struct check_result {
    bool ok = true;
    std::string message;

    /// A passing result.
    static check_result pass(std::string message = {}) { return {true, std::move(message)}; }
    /// A failing result.
    static check_result fail(std::string message) { return {false, std::move(message)}; }
};

/// A liveness or readiness check. It runs on the server thread for every /live, /ready or
/// /health request, so it must be quick and must never block on I/O: wrap slow dependencies
/// in a cached_probe. Throwing, or returning after the server's check budget, counts as a
/// failure. Behaves as std::function<check_result()>: any copyable callable converts; empty
/// when default-constructed.
using check_function = detail::callback<check_result()>;

namespace detail {
template <class Fn>
check_function make_check(Fn fn);

template <class>
constexpr bool always_false = false;
} // namespace detail

/// Runs a slow probe (a database ping, a downstream call) on its own thread every
/// `interval` and keeps the latest result, so that a health check can read it without
/// waiting: `server.add_readiness_check("db", probe.check())`.
///
/// Until the first run completes the cached result is a failure ("no result yet"); a result
/// older than `max_age` (default: three intervals) is reported as a failure, so a probe that
/// hangs does not keep reporting its last success. A new result arrives every interval plus
/// the probe's own run time: keep max_age above both together. The destructor stops the thread and
/// waits for a running probe to return: give the probe its own I/O timeout. Thread-safe.
/// Between runs the thread sleeps on a pipe (a loopback socket on Windows) that stop()
/// signals; when no descriptor is free for it, it wakes every 20 ms to look for a stop.
class cached_probe {
public:
    /// Starts the probe thread; the first run starts at once. Allocates. The probe is what a
    /// health check is: a callable taking no arguments and returning vitals::check_result, or
    /// bool (true passes; false fails with "check returned false"). An interval that is
    /// not positive is reported through the error policy (errc::invalid_argument). Longer
    /// intervals and ages than max_interval and 3 * max_interval are taken as those (the
    /// clock arithmetic of longer waits overflows). When the OS refuses a thread, the check
    /// fails with "cannot start the probe thread: " and the OS message.
    template <class Probe,
              std::enable_if_t<!std::is_same<std::decay_t<Probe>, check_function>::value, int> = 0>
    cached_probe(Probe probe, std::chrono::milliseconds interval,
                 std::chrono::milliseconds max_age = std::chrono::milliseconds{0})
        : cached_probe(detail::make_check(std::move(probe)), interval, max_age) {}
    /// cached_probe() for a check_function.
    cached_probe(check_function probe, std::chrono::milliseconds interval,
                 std::chrono::milliseconds max_age = std::chrono::milliseconds{0})
        : state_(new shared()) {
        if (interval.count() <= 0 || max_age.count() < 0 || !probe)
            detail::fail(status(errc::invalid_argument,
                                "cached_probe needs a probe function, a positive interval and "
                                "a max_age that is not negative"));
        if (interval > max_interval) interval = max_interval;
        if (max_age > 3 * max_interval) max_age = 3 * max_interval;
        state_->max_age = max_age.count() > 0 ? max_age : 3 * interval;
        state_->can_wake = state_->sockets.error() == 0 && state_->wake.open() == 0;
        auto* job = new probe_job{state_, std::move(probe), interval};
        const int thread_error = thread_.start(&run_job, job);
        if (thread_error != 0) { // the check then fails, saying why
            delete job;
            std::lock_guard<std::mutex> lock(state_->mutex);
            state_->no_thread =
                "cannot start the probe thread: " + detail::thread_error_text(thread_error);
        }
    }
    cached_probe(const cached_probe&) = delete; // a server takes its check: probe.check()
    cached_probe& operator=(const cached_probe&) = delete;
    ~cached_probe() { stop(); }

    /// The longest interval between runs: 30 days.
    static constexpr std::chrono::milliseconds max_interval{30LL * 24 * 60 * 60 * 1000};

    /// The latest result (a copy), judged for age. Allocates for the message.
    check_result result() const { return read(*state_); }

    /// A check function reading the cached result; it stays safe to call after the probe is
    /// destroyed (it then reports `fail`).
    check_function check() const& {
        return [state = state_] { return read(*state); };
    }
    /// check() of a probe made in the same statement does not compile: that probe stops at
    /// the end of the statement, and its check would fail from then on ("probe stopped").
    template <class Probe = cached_probe>
    check_function check() const&& {
        static_assert(detail::always_false<Probe>,
                      "vitals: cached_probe(...).check() reads a probe stopped at the end of the "
                      "statement (the check fails with \"probe stopped\"); keep the probe in a "
                      "variable or member that lives as long as the server");
        return {};
    }

    /// Stops the probe thread (waits for a running probe) and closes its wake-up channel.
    /// Idempotent; callers on several threads all return once the thread has ended. From the
    /// probe function it only asks the thread to end after this run.
    void stop() {
        state_->stop.store(true);
        if (detail::current_thread_token() == state_->thread_token.load())
            return; // a thread cannot join itself
        // One caller joins at a time (two joins of one thread hang), and none signals the
        // channel once it is closed (its descriptor number may be reused by then).
        std::lock_guard<std::mutex> lock(stop_mutex_);
        if (!thread_.joinable()) return;
        if (state_->can_wake) state_->wake.signal();
        thread_.join();
        // check() copies keep the state (a server's readiness check, for as long as the
        // server lives): a stopped probe must not hold descriptors with it.
        state_->wake.close();
    }

private:
    struct shared {
        std::atomic<int> refs{1}; // held by the probe, its thread and every check() copy
        std::mutex mutex;
        std::atomic<bool> stop{false};
        std::atomic<std::uintptr_t> thread_token{0}; // the probe thread's (current_thread_token())
        // The probe thread sleeps in poll() on this channel, which stop() signals (a pipe;
        // on Windows a socket, hence the Winsock reference). Without descriptors to open
        // one, it sleeps in slices of sleep_slice and looks at `stop` between them.
        detail::socket_library sockets;
        detail::wakeup wake;
        bool can_wake = false;
        std::string no_thread; // why the probe thread did not start; empty when it did
        bool has_result = false;
        check_result last;
        std::chrono::steady_clock::time_point at;
        std::chrono::milliseconds max_age{0};
    };

    static check_result run_once(const check_function& fn) {
#if VITALS_DETAIL_CAN_CATCH()
        try {
            return fn();
        } catch (const std::exception& e) {
            return check_result::fail(std::string("probe threw: ") + e.what());
        } catch (...) {
            return check_result::fail("probe threw an exception");
        }
#else
        return fn();
#endif
    }

    static void run(shared& s, const check_function& fn, std::chrono::milliseconds interval) {
        s.thread_token.store(detail::current_thread_token());
        do {
            check_result r = run_once(fn);
            std::lock_guard<std::mutex> lock(s.mutex);
            s.last = std::move(r);
            s.at = std::chrono::steady_clock::now();
            s.has_result = true;
        } while (!sleep_unless_stopped(s, interval));
    }

    static constexpr std::chrono::milliseconds sleep_slice{20};

    // Waits for `interval` (at most max_interval, so the deadline cannot overflow) or until
    // stop(); true when stopped. A signal sent before the poll starts stays in the channel,
    // so a stop is never missed.
    static bool sleep_unless_stopped(shared& s, std::chrono::milliseconds interval) {
        using clock = std::chrono::steady_clock;
        const clock::time_point deadline = clock::now() + interval;
        for (;;) {
            if (s.stop.load()) return true;
            const clock::duration left = deadline - clock::now();
            if (left <= clock::duration::zero()) return false;
            // poll() takes int milliseconds: an hour at most per call, rounded up so that a
            // wait never ends just short of the deadline and spins.
            long long ms = std::chrono::duration_cast<std::chrono::milliseconds>(left).count() + 1;
            if (ms > 3600LL * 1000) ms = 3600LL * 1000;
            if (s.can_wake) {
                detail::poll_fd channel{};
                channel.fd = s.wake.handle();
                channel.events = POLLIN;
                detail::poll_sockets(&channel, 1, static_cast<int>(ms));
            } else {
                detail::sleep_ms(ms < sleep_slice.count() ? ms : sleep_slice.count());
            }
        }
    }

    static check_result read(shared& s) {
        std::lock_guard<std::mutex> lock(s.mutex);
        if (s.stop.load()) return check_result::fail("probe stopped");
        if (!s.no_thread.empty()) return check_result::fail(s.no_thread);
        if (!s.has_result) return check_result::fail("no result yet");
        const auto age = std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::steady_clock::now() - s.at);
        if (age > s.max_age)
            return check_result::fail("last result is " + std::to_string(age.count()) +
                                      " ms old (probe slow or stuck)");
        return s.last;
    }

    // Shares ownership of the state; whichever holder goes last frees it.
    class state_ref {
    public:
        explicit state_ref(shared* s) noexcept : s_(s) {}
        state_ref(const state_ref& other) noexcept : s_(other.s_) {
            s_->refs.fetch_add(1, std::memory_order_relaxed);
        }
        state_ref& operator=(const state_ref&) = delete;
        ~state_ref() {
            if (s_->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete s_;
        }
        shared& operator*() const noexcept { return *s_; }
        shared* operator->() const noexcept { return s_; }

    private:
        shared* s_;
    };

    // What the probe thread runs; it deletes its job when it ends.
    struct probe_job {
        state_ref state;
        check_function fn;
        std::chrono::milliseconds interval;
    };

    static void run_job(void* job) {
        probe_job* j = static_cast<probe_job*>(job);
        run(*j->state, j->fn, j->interval);
        delete j;
    }

    state_ref state_;
    std::mutex stop_mutex_; // serialises stop()
    detail::os_thread thread_;
};

namespace detail {

/// A check_function from what add_liveness_check(), add_readiness_check() and cached_probe
/// were given: a check_function as is, a callable returning check_result, or one returning
/// bool (true passes; false fails with the message "check returned false"). As for a
/// check_function, the callable may change its own state (a mutable lambda, which a probe
/// keeping a connection is), and a null function pointer makes an empty check. Anything
/// else is a compile-time error that says what is expected.
template <class Fn>
check_function make_check(Fn fn) {
    if constexpr (std::is_same<std::decay_t<Fn>, check_function>::value) {
        return fn;
    } else if constexpr (!std::is_invocable<Fn&>::value) {
        static_assert(always_false<Fn>,
                      "vitals: a health check must be a callable taking no arguments and "
                      "returning bool (true = pass) or vitals::check_result");
        return {};
    } else {
        using returned = std::invoke_result_t<Fn&>;
        if constexpr (std::is_same<std::decay_t<returned>, bool>::value) {
            if constexpr (std::is_pointer<Fn>::value) {
                if (!fn) return {};
            }
            return [fn = std::move(fn)]() mutable {
                return fn() ? check_result::pass() : check_result::fail("check returned false");
            };
        } else if constexpr (std::is_convertible<returned, check_result>::value) {
            return check_function(std::move(fn));
        } else {
            static_assert(always_false<Fn>,
                          "vitals: a health check must return bool (true = pass) or "
                          "vitals::check_result");
            return {};
        }
    }
}

/// The liveness and readiness checks of a server, by name. Adding is thread-safe; running
/// happens on the server thread.
class check_list {
public:
    check_list() = default;
    check_list(const check_list&) = delete;
    check_list& operator=(const check_list&) = delete;
    ~check_list() {
        while (checks_) {
            named_check* next = checks_->next;
            delete checks_;
            checks_ = next;
        }
    }

    /// Adds (or replaces, by name and kind) a check. Allocates. Called from a check that
    /// run() is running, it would wait for itself forever (and every endpoint with it): it
    /// is reported through the error policy instead (vitals::error, which fails that check).
    void add(std::string name, check_function fn, bool readiness) {
        if (runner_.load() == current_thread_token())
            fail(status(errc::invalid_argument,
                        "add_liveness_check() and add_readiness_check() cannot be called from a "
                        "health check (it would wait for itself): add checks before start(), or "
                        "from another thread"));
        std::lock_guard<std::mutex> lock(mutex_);
        for (named_check* c = checks_; c; c = c->next)
            if (c->readiness == readiness && c->name == name) {
                c->fn = std::move(fn);
                return;
            }
        *tail_ = new named_check{std::move(name), std::move(fn), readiness, nullptr};
        tail_ = &(*tail_)->next;
    }

    /// Runs the liveness (or readiness) checks; true when all pass. With `json`, appends
    /// each as a JSON object (comma-separated) to *json.
    bool run(bool readiness, std::chrono::milliseconds budget, std::string* json) {
        std::lock_guard<std::mutex> lock(mutex_);
        struct running { // runner_ is this thread's while the lock is held
            std::atomic<std::uintptr_t>& runner;
            explicit running(std::atomic<std::uintptr_t>& r) : runner(r) {
                runner.store(current_thread_token());
            }
            ~running() { runner.store(0); }
            running(const running&) = delete;
            running& operator=(const running&) = delete;
        } guard(runner_);
        bool all = true;
        for (const named_check* check = checks_; check; check = check->next) {
            const named_check& c = *check;
            if (c.readiness != readiness) continue;
            const check_result r = run_one(c.fn, budget);
            all = all && r.ok;
            if (!json) continue;
            std::string& out = *json;
            if (!out.empty()) out += ',';
            out += "{\"name\":";
            append_json_string(out, c.name);
            out += readiness ? ",\"kind\":\"readiness\"" : ",\"kind\":\"liveness\"";
            out += r.ok ? ",\"status\":\"pass\"" : ",\"status\":\"fail\"";
            out += ",\"message\":";
            append_json_string(out, r.message);
            out += '}';
        }
        return all;
    }

private:
    struct named_check {
        std::string name;
        check_function fn;
        bool readiness;
        named_check* next;
    };

    static check_result run_one(const check_function& fn, std::chrono::milliseconds budget) {
        using clock = std::chrono::steady_clock;
        if (!fn) return check_result::fail("no check function");
        const clock::time_point start = clock::now();
        check_result r;
#if VITALS_DETAIL_CAN_CATCH()
        try {
            r = fn();
        } catch (const std::exception& e) {
            r = check_result::fail(std::string("check threw: ") + e.what());
        } catch (...) {
            r = check_result::fail("check threw an exception");
        }
#else
        r = fn();
#endif
        const auto took =
            std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - start);
        if (took > budget) {
            std::string message = "check took " + std::to_string(took.count()) +
                                  " ms, over its budget of " + std::to_string(budget.count()) +
                                  " ms";
            if (!r.message.empty()) message += " (it said: " + r.message + ")";
            r = check_result::fail(std::move(message));
        }
        return r;
    }

    std::mutex mutex_;
    std::atomic<std::uintptr_t> runner_{0}; // the thread in run(), holding mutex_; else 0
    // In the order added: a linked list rather than a std::vector<named_check>, whose
    // push_back every file including server.hpp compiled.
    named_check* checks_ = nullptr;
    named_check** tail_ = &checks_;
};

} // namespace detail

VITALS_END_NAMESPACE

#endif // VITALS_SERVER_CHECKS_HPP
