// tests/unit/server_cached_probe.cpp - health_server: cached_probe: the probe thread and its cached
// result. SPDX-License-Identifier: MIT
#include "server_support.hpp"

#include <doctest/doctest.h>

#include <atomic>    // atomic
#include <chrono>    // steady_clock
#include <stdexcept> // runtime_error
#include <string>    // string
#include <thread>    // thread, sleep_for
#include <vector>    // vector

#if !defined(_WIN32)
#include <fcntl.h>        // fcntl, F_DUPFD, open
#include <signal.h>       // kill, SIGKILL
#include <sys/resource.h> // getrlimit, setrlimit
#include <sys/wait.h>     // waitpid, WNOHANG
#include <unistd.h>       // close, fork, _exit
#endif

using namespace std::chrono_literals;
using namespace server_test;
using test_http::get;

TEST_CASE("cached_probe: runs on its own schedule and the check reads the cache") {
    std::atomic<int> runs{0};
    std::atomic<bool> healthy{true};
    std::atomic<bool> hold{false}; // holds the probe mid-run, like a hung dependency
    std::atomic<bool> held{false}; // the probe is inside a held run
    vitals::cached_probe probe(
        [&] {
            ++runs;
            const auto give_up = std::chrono::steady_clock::now() + 10s;
            while (hold.load() && std::chrono::steady_clock::now() < give_up) {
                held = true;
                std::this_thread::sleep_for(1ms);
            }
            held = false;
            std::this_thread::sleep_for(20ms); // a slow dependency
            return healthy.load() ? vitals::check_result::pass("pong")
                                  : vitals::check_result::fail("no pong");
        },
        50ms, 5000ms); // results stay fresh while the test holds a run
    const vitals::check_function check = probe.check();
    CHECK(test_http::eventually([&] { return check().ok; }));
    CHECK(check().message == "pong");
    // Reading never waits for the probe: with a run held in the probe function, every read
    // returns the cached result while that run is still held (a read that waited would
    // return only after the 10 s give-up, with the run over). No clock decides the outcome.
    hold = true;
    REQUIRE(test_http::eventually([&] { return held.load(); }));
    for (int i = 0; i < 100; ++i) {
        const vitals::check_result r = check();
        CHECK(r.ok);
        CHECK(r.message == "pong");
    }
    CHECK(held.load());
    hold = false;
    healthy = false;
    CHECK(test_http::eventually([&] { return !check().ok; }));
    CHECK(check().message == "no pong");
    CHECK(runs.load() >= 2);

    vitals::registry reg;
    vitals::health_server server(reg, local_options());
    server.add_readiness_check("dependency", probe.check());
    server.start();
    server.set_ready(true);
    CHECK(get(server.port(), "/ready").status == 503);
    healthy = true;
    CHECK(test_http::eventually([&] { return get(server.port(), "/ready").status == 200; }));

    probe.stop();
    CHECK_FALSE(check().ok);
    CHECK(check().message == "probe stopped");
}

TEST_CASE("cached_probe: no result yet, stale results, throwing probes, bad arguments") {
    std::atomic<bool> block{true};
    {
        vitals::cached_probe slow(
            [&] {
                while (block.load()) std::this_thread::sleep_for(5ms);
                return vitals::check_result::pass();
            },
            20ms, 100ms);
        CHECK(slow.result().message == "no result yet");
        block = false;
        CHECK(test_http::eventually([&] { return slow.result().ok; }));
        block = true; // the next run hangs: the cached success goes stale
        CHECK(test_http::eventually([&] { return !slow.result().ok; }));
        CHECK(contains(slow.result().message, "ms old (probe slow or stuck)"));
        block = false;
    }
#if VITALS_HAS_EXCEPTIONS()
    vitals::cached_probe thrower(
        []() -> vitals::check_result { throw std::runtime_error("dns failure"); }, 20ms);
    CHECK(test_http::eventually([&] { return thrower.result().message != "no result yet"; }));
    CHECK(thrower.result().message == "probe threw: dns failure");
    CHECK_THROWS_AS(vitals::cached_probe([] { return vitals::check_result::pass(); }, 0ms),
                    vitals::error);
    CHECK_THROWS_AS(vitals::cached_probe(vitals::check_function(), 10ms), vitals::error);
#endif
}

TEST_CASE("cached_probe: a probe may return bool, as a health check may") {
    // add_liveness_check() and add_readiness_check() take a callable returning bool (true
    // passes); a probe is the same kind of function run on its own thread, so it takes the
    // same (it did not compile).
    std::atomic<bool> up{true};
    vitals::cached_probe probe([&] { return up.load(); }, 20ms, 5000ms);
    const vitals::check_function check = probe.check();
    REQUIRE(test_http::eventually([&] { return check().ok; }));
    up = false;
    REQUIRE(test_http::eventually([&] { return !check().ok; }));
    CHECK(check().message == "check returned false");
    // A check_function and a callable returning check_result are taken as before.
    const vitals::check_function fn = [] { return vitals::check_result::fail("down"); };
    vitals::cached_probe from_function(fn, 20ms, 5000ms);
    REQUIRE(test_http::eventually([&] { return from_function.result().message == "down"; }));
}

TEST_CASE("cached_probe: a probe may change its own state; a null function is refused") {
    // A probe that keeps what it works with (a connection it reopens, a count of its runs) is
    // a mutable lambda; it runs on the probe thread only, as a check_function would call it.
    std::atomic<int> seen{0};
    vitals::cached_probe counting(
        [&seen, runs = 0]() mutable {
            seen = ++runs;
            return vitals::check_result::pass(std::to_string(runs));
        },
        20ms, 5000ms);
    REQUIRE(test_http::eventually([&] { return seen.load() >= 2; }));
    CHECK(counting.result().ok);
    vitals::cached_probe flipping([up = true]() mutable { return up = !up; }, 20ms, 5000ms);
    REQUIRE(test_http::eventually([&] { return flipping.result().ok; }));
    REQUIRE(test_http::eventually([&] { return !flipping.result().ok; }));
#if VITALS_HAS_EXCEPTIONS()
    // A null function pointer is no probe, whatever it returns (a null one returning bool was
    // called on the probe thread, a segmentation fault).
    bool (*no_bool)() = nullptr;
    vitals::check_result (*no_result)() = nullptr;
    CHECK_THROWS_AS(vitals::cached_probe(no_bool, 10ms), vitals::error);
    CHECK_THROWS_AS(vitals::cached_probe(no_result, 10ms), vitals::error);
#endif
}

TEST_CASE("cached_probe: the longest intervals and ages are taken as the bound") {
    // milliseconds::max() overflowed the wait's deadline (and 3 * interval, the default age):
    // the probe must run once, keep its result and stop promptly.
    std::atomic<int> runs{0};
    {
        vitals::cached_probe probe(
            [&] {
                ++runs;
                return vitals::check_result::pass("up");
            },
            std::chrono::milliseconds::max());
        const vitals::check_function check = probe.check();
        CHECK(test_http::eventually([&] { return check().ok; }));
        std::this_thread::sleep_for(200ms);
        CHECK(runs.load() == 1);
        CHECK(check().ok);
        const auto t0 = std::chrono::steady_clock::now();
        probe.stop();
        CHECK(std::chrono::steady_clock::now() - t0 < 5s);
    }
    {
        vitals::cached_probe probe([] { return vitals::check_result::pass("up"); }, 10ms,
                                   std::chrono::milliseconds::max());
        CHECK(test_http::eventually([&] { return probe.result().ok; }));
    }
    CHECK(vitals::cached_probe::max_interval == std::chrono::hours(24 * 30));
}

TEST_CASE("cached_probe: stop() wakes a probe in the middle of a long wait") {
    std::atomic<int> runs{0};
    vitals::cached_probe probe(
        [&] {
            ++runs;
            return vitals::check_result::pass();
        },
        std::chrono::hours(1));
    CHECK(test_http::eventually([&] { return probe.result().ok; }));
    std::this_thread::sleep_for(50ms); // the probe thread is asleep now
    const auto t0 = std::chrono::steady_clock::now();
    probe.stop();
    CHECK(std::chrono::steady_clock::now() - t0 < 5s);
    CHECK(runs.load() == 1);
    CHECK(probe.result().message == "probe stopped");
}

#if !defined(_WIN32)
TEST_CASE("cached_probe: with every descriptor taken it still runs on schedule and stops") {
    // The probe's wake-up channel needs two descriptors. Without them it must still run
    // every interval and stop promptly (it sleeps in slices instead).
    rlimit saved{};
    REQUIRE(getrlimit(RLIMIT_NOFILE, &saved) == 0);
    const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    REQUIRE(null_fd >= 0);
    const int lowest_free = fcntl(null_fd, F_DUPFD, 0);
    REQUIRE(lowest_free >= 0);
    ::close(lowest_free);
    rlimit lowered = saved;
    lowered.rlim_cur = static_cast<rlim_t>(lowest_free + 16);
    std::atomic<int> runs{0};
    const vitals::check_function counting = [&] {
        ++runs;
        return vitals::check_result::pass();
    };
    const vitals::check_function passing = [] { return vitals::check_result::pass(); };
    {
        // Copied, called and destroyed once while descriptors are left: UBSan checks the type
        // of a virtual call's object the first time it meets it, through a pipe, and reports
        // a false "invalid vptr" when it cannot make one (see server_descriptors.cpp).
        const vitals::check_function a = counting;
        const vitals::check_function b = passing;
        CHECK(a().ok);
        CHECK(b().ok);
    }
    runs = 0;
    REQUIRE(setrlimit(RLIMIT_NOFILE, &lowered) == 0);
    std::vector<int> fillers;
    for (int fd; (fd = fcntl(null_fd, F_DUPFD, 0)) >= 0;) fillers.push_back(fd);
    std::chrono::steady_clock::duration stop_took{};
    {
        vitals::cached_probe probe(counting, 30ms);
        CHECK(test_http::eventually([&] { return runs.load() >= 3; }));
        CHECK(probe.result().ok);
        vitals::cached_probe idle(passing, std::chrono::hours(1));
        CHECK(test_http::eventually([&] { return idle.result().ok; }));
        const auto t0 = std::chrono::steady_clock::now();
        idle.stop();
        stop_took = std::chrono::steady_clock::now() - t0;
    }
    for (int fd : fillers) ::close(fd);
    ::close(null_fd);
    REQUIRE(setrlimit(RLIMIT_NOFILE, &saved) == 0);
    CHECK(fillers.size() > 0);
    CHECK(stop_took < 5s);
}
#endif

#if !defined(_WIN32)
namespace {
// The lowest descriptor number free now.
int lowest_free_descriptor() {
    const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) ::close(fd);
    return fd;
}
} // namespace

TEST_CASE("cached_probe: a stopped probe keeps no descriptors for its check() copies") {
    // A server keeps its readiness checks for as long as it lives; the probes they read may
    // be destroyed long before. Their wake-up channels must not stay open with the checks.
    const int lowest = lowest_free_descriptor();
    REQUIRE(lowest >= 0);
    std::vector<vitals::check_function> kept;
    for (int i = 0; i < 3; ++i) {
        vitals::cached_probe probe([] { return vitals::check_result::pass(); },
                                   std::chrono::hours(1));
        kept.push_back(probe.check());
        CHECK(test_http::eventually([&] { return probe.result().ok; }));
    }
    CHECK(lowest_free_descriptor() == lowest);
    for (const vitals::check_function& check : kept) CHECK(check().message == "probe stopped");
}

TEST_CASE("cached_probe: stop() from several threads at once, and from the probe itself") {
    // Each stop() joined the probe thread: two at once hang (or fail), so the child process
    // that runs them is given 20 s. A probe run in progress keeps the first one waiting
    // while the others arrive.
    const pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        std::atomic<bool> running{false};
        vitals::cached_probe probe(
            [&] {
                running = true;
                std::this_thread::sleep_for(300ms);
                return vitals::check_result::pass();
            },
            std::chrono::hours(1));
        while (!running.load()) std::this_thread::sleep_for(1ms);
        std::vector<std::thread> stoppers;
        for (int i = 0; i < 4; ++i) stoppers.emplace_back([&] { probe.stop(); });
        for (std::thread& t : stoppers) t.join();
        // The probe function stopping its own probe ends the thread after that run.
        std::atomic<vitals::cached_probe*> self{nullptr};
        std::atomic<int> runs{0};
        vitals::cached_probe stops_itself(
            [&] {
                while (!self.load()) std::this_thread::sleep_for(1ms);
                if (++runs == 2) self.load()->stop();
                return vitals::check_result::pass();
            },
            1ms);
        self = &stops_itself;
        const auto give_up = std::chrono::steady_clock::now() + 10s;
        while (stops_itself.result().message != "probe stopped" &&
               std::chrono::steady_clock::now() < give_up)
            std::this_thread::sleep_for(1ms);
        stops_itself.stop(); // joins the thread, which ran no more
        _exit(runs.load() == 2 ? 0 : 4);
    }
    int status = 0;
    pid_t done = 0;
    for (int i = 0; i < 2000 && (done = waitpid(pid, &status, WNOHANG)) == 0; ++i)
        std::this_thread::sleep_for(10ms);
    if (done == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
    }
    CHECK_MESSAGE(done == pid, "stop() from several threads hung");
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
}
#endif

#if !defined(_WIN32)
TEST_CASE("cached_probe and health_server: every descriptor they open is close-on-exec") {
    // A program that runs other programs (fork and exec) must not hand them the probe's
    // wake-up pipe or the server's sockets.
    constexpr int scanned = 256;
    bool open_before[scanned] = {};
    for (int fd = 0; fd < scanned; ++fd) open_before[fd] = fcntl(fd, F_GETFD) >= 0;
    vitals::cached_probe probe([] { return vitals::check_result::pass(); }, 1000ms);
    vitals::registry reg;
    vitals::health_server server(reg, local_options());
    server.start();
    CHECK(get(server.port(), "/live").status == 200);
    int opened = 0;
    for (int fd = 0; fd < scanned; ++fd) {
        const int flags = fcntl(fd, F_GETFD);
        if (flags < 0 || open_before[fd]) continue;
        ++opened;
        CAPTURE(fd);
        CHECK((flags & FD_CLOEXEC) != 0);
    }
    CHECK(opened >= 5); // the probe's pipe, the listener and the server's pipe
    server.stop();
}
#endif
