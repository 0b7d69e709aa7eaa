// tests/unit/process.cpp - process metrics against values read independently from the OS.
// SPDX-License-Identifier: MIT
#include <vitals/exposition/openmetrics.hpp>
#include <vitals/process.hpp>
#include <vitals/text_format.hpp>

#include "kits_support.hpp"

#include <doctest/doctest.h>

#include <atomic>             // atomic
#include <chrono>             // steady_clock, system_clock
#include <cmath>              // abs
#include <condition_variable> // condition_variable
#include <cstdint>            // uint64_t
#include <cstdio>             // FILE, fopen, fclose, fwrite, remove
#include <cstdlib>            // strtod
#include <mutex>              // mutex, unique_lock
#include <optional>           // optional
#include <string>             // string
#include <thread>             // thread
#include <vector>             // vector

#if defined(__linux__)
#include <cerrno>         // errno, EMFILE
#include <fcntl.h>        // open, fcntl
#include <stdlib.h>       // mkstemp
#include <sys/mman.h>     // memfd_create, MFD_CLOEXEC
#include <sys/resource.h> // getrlimit, setrlimit, getrusage
#include <sys/wait.h>     // waitpid
#include <unistd.h>       // sysconf, close, readlink, pipe, dup2, read, write, fork
#endif

namespace {

std::string scrape(vitals::registry& reg) { return vitals::to_text(reg); }

#if defined(__linux__)
double metric(vitals::registry& reg, const char* name) {
    return kits_test::sample_value(scrape(reg), name);
}

// A `Key:   value` line of /proc/self/status, read without the library's parser.
double proc_status(const char* key) {
    std::string text;
    REQUIRE(kits_test::read_file("/proc/self/status", text));
    const std::string k = std::string(key) + ":";
    const std::size_t at = text.find("\n" + k);
    REQUIRE(at != std::string::npos);
    return std::strtod(text.c_str() + at + 1 + k.size(), nullptr);
}
#endif

// Threads that stay alive until release() is called.
struct parked_threads {
    std::mutex m;
    std::condition_variable cv;
    bool go = false;
    std::atomic<int> started{0};
    std::vector<std::thread> threads;

    explicit parked_threads(int n) {
        for (int i = 0; i < n; ++i)
            threads.emplace_back([this] {
                started.fetch_add(1);
                std::unique_lock<std::mutex> lock(m);
                cv.wait(lock, [this] { return go; });
            });
        while (started.load() < n) std::this_thread::yield();
    }
    void release() {
        {
            std::lock_guard<std::mutex> lock(m);
            go = true;
        }
        cv.notify_all();
        for (auto& t : threads) t.join();
        threads.clear();
    }
    ~parked_threads() {
        if (!threads.empty()) release();
    }
};

// process_threads once it has held still for 20 ms (2 s at most): a thread that was just
// joined, here or by the runtime, can linger in the OS count for a moment.
double settled_threads(vitals::registry& reg) {
    double last = kits_test::sample_value(scrape(reg), "process_threads");
    for (int i = 0; i < 100; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        const double now = kits_test::sample_value(scrape(reg), "process_threads");
        if (now == last) break;
        last = now;
    }
    return last;
}

// process_threads once it equals `expected`, or its last value after 2 s.
double threads_reaching(vitals::registry& reg, double expected) {
    double now = kits_test::sample_value(scrape(reg), "process_threads");
    for (int i = 0; i < 100 && now != expected; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        now = kits_test::sample_value(scrape(reg), "process_threads");
    }
    return now;
}

} // namespace

#if defined(__linux__)
TEST_CASE("process: every catalogue family is present on Linux") {
    vitals::registry reg;
    vitals::add_process_metrics(reg, "demo");
    const std::string text = scrape(reg);
    for (const char* family :
         {"demo_cpu_usage_percent gauge", "demo_memory_usage_bytes gauge",
          "demo_memory_percent gauge", "demo_threads_active gauge", "demo_uptime_seconds gauge",
          "process_cpu_seconds_total counter", "process_resident_memory_bytes gauge",
          "process_virtual_memory_bytes gauge", "process_start_time_seconds gauge",
          "process_open_fds gauge", "process_max_fds gauge", "process_threads gauge"}) {
        INFO(family);
        CHECK(text.find(std::string("# TYPE ") + family + "\n") != std::string::npos);
    }
}

TEST_CASE("process: OpenMetrics gives the _bytes and _seconds families their unit") {
    vitals::registry reg;
    vitals::add_process_metrics(reg, "demo");
    const std::string om = vitals::to_openmetrics(reg);
    for (const char* unit :
         {"demo_memory_usage_bytes bytes", "demo_uptime_seconds seconds",
          "process_cpu_seconds seconds", "process_resident_memory_bytes bytes",
          "process_virtual_memory_bytes bytes", "process_start_time_seconds seconds"}) {
        INFO(unit);
        CHECK(om.find(std::string("# UNIT ") + unit + "\n") != std::string::npos);
    }
    CHECK(om.find("# UNIT process_open_fds") == std::string::npos); // a count has no unit
    CHECK(om.find("# UNIT demo_cpu_usage_percent") == std::string::npos);
}

TEST_CASE("process: resident memory agrees with /proc/self/status VmRSS") {
    vitals::registry reg;
    vitals::add_process_metrics(reg, "t");
    // Touch 32 MiB so the comparison is not dominated by a tiny baseline.
    // Volatile stores: an optimiser may otherwise drop a buffer that is never read.
    std::vector<char> block(32u << 20);
    volatile char* touch = block.data();
    for (std::size_t i = 0; i < block.size(); i += 4096) touch[i] = static_cast<char>(i);
    const double before = proc_status("VmRSS") * 1024.0;
    const std::string text = scrape(reg);
    const double after = proc_status("VmRSS") * 1024.0;
    const double rss = kits_test::sample_value(text, "process_resident_memory_bytes");
    const double tolerance = 2.0 * 1024 * 1024; // allocations by the scrape itself
    CHECK(rss >= (before < after ? before : after) - tolerance);
    CHECK(rss <= (before > after ? before : after) + tolerance);
    // Most of the block is resident (sanitizer runtimes account some pages differently).
    CHECK(rss > 16.0 * 1024 * 1024);
    CHECK(kits_test::sample_value(text, "t_memory_usage_bytes") == rss);
    const double vsize = kits_test::sample_value(text, "process_virtual_memory_bytes");
    CHECK(vsize >= rss);
    CHECK(std::abs(vsize - proc_status("VmSize") * 1024.0) < 16.0 * 1024 * 1024);

    const double ram =
        static_cast<double>(sysconf(_SC_PHYS_PAGES)) * static_cast<double>(sysconf(_SC_PAGESIZE));
    const double percent = kits_test::sample_value(text, "t_memory_percent");
    CHECK(percent > 0.0);
    CHECK(percent <= 100.0);
    // The limit is RAM or a smaller cgroup limit, so the percentage is at least RSS / RAM.
    CHECK(percent >= rss / ram * 100.0 * 0.999);
    const auto stats = vitals::read_process_stats();
    REQUIRE(stats.memory_limit_bytes);
    CHECK(*stats.memory_limit_bytes <= ram);
    block.clear();
}

TEST_CASE("process: thread count follows started threads") {
    vitals::registry reg;
    vitals::add_process_metrics(reg, "t");
    const double before = settled_threads(reg);
    CHECK(before == proc_status("Threads"));
    parked_threads three(3);
    CHECK(threads_reaching(reg, before + 3) == before + 3);
    const std::string text = scrape(reg);
    CHECK(kits_test::sample_value(text, "process_threads") == before + 3);
    CHECK(kits_test::sample_value(text, "t_threads_active") == before + 3);
    CHECK(proc_status("Threads") == before + 3);
    three.release();
    // A joined thread may linger in the kernel's count for a moment after join() returns.
    double after = metric(reg, "process_threads");
    for (int i = 0; i < 100 && after != before; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        after = metric(reg, "process_threads");
    }
    CHECK(after == before);
}

TEST_CASE("process: open fds rise with opened files; max fds is the soft limit") {
    vitals::registry reg;
    vitals::add_process_metrics(reg, "t");
    const double before = metric(reg, "process_open_fds");
    CHECK(before >= 3.0); // stdin, stdout, stderr at least
    std::vector<std::FILE*> files;
    for (int i = 0; i < 5; ++i) {
        std::FILE* f = std::fopen("/dev/null", "rb");
        REQUIRE(f != nullptr);
        files.push_back(f);
    }
    CHECK(metric(reg, "process_open_fds") == before + 5);
    for (std::FILE* f : files) std::fclose(f);
    CHECK(metric(reg, "process_open_fds") == before);

    rlimit rl{};
    REQUIRE(getrlimit(RLIMIT_NOFILE, &rl) == 0);
    if (rl.rlim_cur != RLIM_INFINITY)
        CHECK(metric(reg, "process_max_fds") == static_cast<double>(rl.rlim_cur));
}

namespace {

// The number of the process collector's reserve descriptor (its anonymous file), or -1.
int collector_reserve_fd() {
    for (int fd = 3; fd < 1024; ++fd) {
        char path[64], target[256];
        std::snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
        const ssize_t n = ::readlink(path, target, sizeof target - 1);
        if (n <= 0) continue;
        target[n] = '\0';
        if (std::string(target).find("vitals-fd-reserve") != std::string::npos) return fd;
    }
    return -1;
}

// Holds every descriptor the process can open, under a soft limit lowered to a few above
// those open now, but `left_free`; gives them back and restores the limit when destroyed.
struct descriptor_flood {
    explicit descriptor_flood(int left_free) {
        REQUIRE(getrlimit(RLIMIT_NOFILE, &saved) == 0);
        const int probe = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        REQUIRE(probe >= 0);
        ::close(probe);
        low = saved;
        low.rlim_cur = static_cast<rlim_t>(probe) + 40; // above every descriptor open now
        REQUIRE(setrlimit(RLIMIT_NOFILE, &low) == 0);
        for (int fd; (fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0;) fds.push_back(fd);
        CHECK(errno == EMFILE);
        for (; left_free > 0 && !fds.empty(); --left_free) {
            ::close(fds.back());
            fds.pop_back();
        }
    }
    descriptor_flood(const descriptor_flood&) = delete;
    descriptor_flood& operator=(const descriptor_flood&) = delete;
    ~descriptor_flood() {
        for (const int fd : fds) ::close(fd);
        setrlimit(RLIMIT_NOFILE, &saved);
    }
    rlimit saved{};
    rlimit low{}; // the lowered limit
    std::vector<int> fds;
};

} // namespace

TEST_CASE("process: a process out of file descriptors still shows every family") {
    // The moment `process_open_fds / process_max_fds` is for: every figure but the CPU time is
    // read from a file under /proc, which needs a descriptor.
    vitals::registry reg;
    vitals::add_process_metrics(reg, "t");
    const double before = metric(reg, "process_open_fds");
    std::string text;
    rlim_t limit = 0;
    double held = 0;
    {
        const descriptor_flood flood(0);
        text = scrape(reg);
        limit = flood.low.rlim_cur;
        held = static_cast<double>(flood.fds.size());
    }
    CHECK(kits_test::sample_value(text, "process_max_fds") == static_cast<double>(limit));
    CHECK(kits_test::sample_value(text, "process_open_fds") == before + held);
    CHECK(kits_test::sample_value(text, "process_resident_memory_bytes") > 0.0);
    CHECK(kits_test::sample_value(text, "t_memory_usage_bytes") > 0.0);
    CHECK(kits_test::sample_value(text, "process_threads") >= 1.0);
    CHECK(kits_test::sample_value(text, "process_start_time_seconds") > 0.0);
    // And with descriptors free again, the same count as before the flood.
    CHECK(metric(reg, "process_open_fds") == before);
}

TEST_CASE("process: a program closing the collector's descriptor keeps what reuses its number") {
    // A daemon may close every descriptor past stderr; the number of the collector's reserve
    // then goes to the next file it opens, which the collector must never close.
    vitals::registry reg;
    vitals::add_process_metrics(reg, "t");
    const int reserve = collector_reserve_fd();
#if defined(MFD_CLOEXEC)
    const int probe_memfd = ::memfd_create("probe", MFD_CLOEXEC); // Linux 3.17, glibc 2.27
    if (probe_memfd >= 0) {
        ::close(probe_memfd);
        REQUIRE(reserve >= 0);
    }
#endif
    if (reserve < 0) return; // a /dev/null reserve: never a program's pipe, socket or file
    int pipe_fds[2];
    REQUIRE(::pipe(pipe_fds) == 0);
    ::close(reserve);                                 // as a daemon's close-everything loop does
    REQUIRE(::dup2(pipe_fds[1], reserve) == reserve); // the program's pipe, at that number
    (void)scrape(reg);
    (void)scrape(reg);
    CHECK(::fcntl(reserve, F_GETFD) != -1); // still open
    CHECK(::write(reserve, "x", 1) == 1);   // and still the pipe
    char byte = 0;
    CHECK(::read(pipe_fds[0], &byte, 1) == 1);
    CHECK(byte == 'x');
    ::close(reserve);
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    CHECK(metric(reg, "process_open_fds") > 0.0); // the collector took a new reserve
}

TEST_CASE("process: a start time read once is kept, for a collector made out of descriptors") {
    // Read once because it moves with the wall clock where the boot time comes from
    // /proc/stat, which would look like a restart to changes(process_start_time_seconds).
    // A collector made while no descriptor was free (none, or one, which its own reserve
    // would take) could not read it then: it keeps the first one it reads.
    const std::optional<double> real_start = vitals::read_process_stats().start_time_seconds;
    REQUIRE(real_start.has_value());
    for (const int free_at_creation : {0, 1}) {
        CAPTURE(free_at_creation);
        vitals::registry reg;
        {
            descriptor_flood flood(free_at_creation);
            vitals::add_process_metrics(reg, "t");
        }
        if (free_at_creation == 0) // read at the first scrape, which also takes the reserve
            CHECK(metric(reg, "process_start_time_seconds") == *real_start);
        // Kept: shown while the process is out of descriptors and no read can succeed (the
        // program closed the collector's reserve, as a daemon's close-everything loop does).
        const int reserve = collector_reserve_fd();
#if defined(MFD_CLOEXEC)
        const int probe_memfd = ::memfd_create("probe", MFD_CLOEXEC);
        if (probe_memfd >= 0) {
            ::close(probe_memfd);
            REQUIRE(reserve >= 0);
        }
#endif
        if (reserve < 0) continue; // a /dev/null reserve: a flood's /dev/null frees it for reads
        ::close(reserve);
        std::string text;
        {
            descriptor_flood flood(0);
            text = scrape(reg);
        }
        CHECK(kits_test::sample_value(text, "process_resident_memory_bytes") == -1.0); // unread
        CHECK(kits_test::sample_value(text, "process_start_time_seconds") == *real_start);
        CHECK(kits_test::sample_value(text, "t_uptime_seconds") >= 0.0);
    }
}

TEST_CASE("process: start time, uptime and CPU seconds are consistent") {
    vitals::registry reg;
    vitals::add_process_metrics(reg, "t");
    const std::string text = scrape(reg);
    using namespace std::chrono;
    const double now = duration<double>(system_clock::now().time_since_epoch()).count();
    const double start = kits_test::sample_value(text, "process_start_time_seconds");
    const double uptime = kits_test::sample_value(text, "t_uptime_seconds");
    CHECK(start <= now + 0.5);
    CHECK(start > now - 3600.0); // this test process started within the hour
    CHECK(uptime >= 0.0);
    CHECK(std::abs((now - start) - uptime) < 1.0);

    rusage ru{};
    REQUIRE(getrusage(RUSAGE_SELF, &ru) == 0);
    const double cpu = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                       static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
    const double reported = kits_test::sample_value(text, "process_cpu_seconds_total");
    CHECK(reported > 0.0);
    CHECK(reported <= cpu);
    CHECK(reported > cpu - 0.5);
}

// Field 22 of /proc/self/stat (start time in clock ticks since boot), read without the
// library's parser; empty when unreadable.
std::string stat_start_ticks() {
    std::FILE* f = std::fopen("/proc/self/stat", "r");
    if (!f) return {};
    char buf[1024];
    const std::size_t n = std::fread(buf, 1, sizeof buf - 1, f);
    std::fclose(f);
    const std::string line(buf, n);
    std::size_t at = line.rfind(')');
    if (at == std::string::npos) return {};
    for (int field = 2; field < 22 && at != std::string::npos; ++field)
        at = line.find(' ', at + 1); // the space before field `field + 1`
    if (at == std::string::npos) return {};
    return line.substr(at + 1, line.find(' ', at + 1) - at - 1);
}

TEST_CASE("process: a child forked after the collector was made reports itself") {
    vitals::registry reg;
    vitals::add_process_metrics(reg, "t");
    const std::string parent_text = scrape(reg);
    const double parent_start = kits_test::sample_value(parent_text, "process_start_time_seconds");
    const std::string parent_ticks = stat_start_ticks();
    // The start time has a resolution of a clock tick (10 ms): the child starts well after.
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        // No doctest assertions here: the exit status says what the child saw.
        using namespace std::chrono;
        const std::string text = scrape(reg);
        const double now = duration<double>(system_clock::now().time_since_epoch()).count();
        const double start = kits_test::sample_value(text, "process_start_time_seconds");
        const double uptime = kits_test::sample_value(text, "t_uptime_seconds");
        int failed = 0;
        // qemu-user's /proc/self/stat gives a forked child its parent's start time: there the
        // child can only report what the system says (to a microsecond or so: the boot time
        // is the difference of two clocks read one after the other).
        const bool own_start = stat_start_ticks() != parent_ticks;
        if (own_start ? !(start >= parent_start + 0.25) : !(std::abs(start - parent_start) < 1e-3))
            failed |= 1;
        if (!(start <= now + 0.5)) failed |= 2;
        if (!(uptime >= 0.0 && uptime < 5.0 && std::abs((now - start) - uptime) < 1.0)) failed |= 4;
        ::_exit(failed);
    }
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    REQUIRE(WIFEXITED(status));
    CHECK_MESSAGE(WEXITSTATUS(status) == 0,
                  "bits: 1 parent's start time, 2 start in the future, 4 uptime not the child's");
    // The parent's own figures are unchanged by the child's scrape.
    CHECK(kits_test::sample_value(scrape(reg), "process_start_time_seconds") == parent_start);
}

TEST_CASE("process: the start time is the same at every read") {
    // Restarts are found with changes(process_start_time_seconds[...]): a start time that
    // moved between reads, by the last digits of a boot time computed anew, would look like a
    // restart at every scrape. Programs export read_process_stats() themselves.
    const std::optional<double> first = vitals::read_process_stats().start_time_seconds;
    REQUIRE(first.has_value());
    int moved = 0;
    for (int i = 0; i < 200; ++i)
        if (vitals::read_process_stats().start_time_seconds != first) ++moved;
    CHECK(moved == 0);
}

TEST_CASE("process: the start time is right to a clock tick, not to the boot time's second") {
    // A child forked now started after `before`: its start time may be early by a clock
    // tick (10 ms), never by the fraction of a second that /proc/stat's btime cuts off.
    vitals::registry reg;
    vitals::add_process_metrics(reg, "t");
    const std::string parent_ticks = stat_start_ticks();
    std::this_thread::sleep_for(std::chrono::milliseconds(30)); // the child's own tick
    using namespace std::chrono;
    const double before = duration<double>(system_clock::now().time_since_epoch()).count();
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        // No doctest assertions here: the exit status says what the child saw.
        const std::string text = scrape(reg);
        const double now = duration<double>(system_clock::now().time_since_epoch()).count();
        // qemu-user gives a forked child its parent's start time: nothing to check there.
        if (stat_start_ticks() == parent_ticks) ::_exit(0);
        const double start = kits_test::sample_value(text, "process_start_time_seconds");
        const double uptime = kits_test::sample_value(text, "t_uptime_seconds");
        const double start_of_read = vitals::read_process_stats().start_time_seconds.value_or(0);
        int failed = 0;
        if (!(start >= before - 0.05 && start <= now)) failed |= 1;
        if (!(uptime <= now - before + 0.05)) failed |= 2;
        if (!(start_of_read >= before - 0.05 && start_of_read <= now)) failed |= 4;
        ::_exit(failed);
    }
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    REQUIRE(WIFEXITED(status));
    CHECK_MESSAGE(WEXITSTATUS(status) == 0, "bits: 1 start time, 2 uptime, 4 read_process_stats()");
}
#endif

#if defined(_WIN32)
// Windows (run under wine in CI): every family but process_max_fds has a real value, and
// each follows what the test does to the process.
TEST_CASE("process: every catalogue family has a real value on Windows") {
    vitals::registry reg;
    vitals::add_process_metrics(reg, "t");
    const std::string text = scrape(reg);
    for (const char* name :
         {"t_cpu_usage_percent", "t_memory_usage_bytes", "t_memory_percent", "t_threads_active",
          "t_uptime_seconds", "process_cpu_seconds_total", "process_resident_memory_bytes",
          "process_virtual_memory_bytes", "process_start_time_seconds", "process_threads"}) {
        INFO("family " << name);
        CHECK(text.find(std::string("\n") + name + " ") != std::string::npos);
    }
    CHECK(text.find("process_max_fds") == std::string::npos); // no such limit: left out
    // Handles stand in for fds; wine cannot count them, and then the family is left out.
    const auto handles = vitals::read_process_stats().open_fds;
    if (handles) CHECK(*handles > 0.0);
    CHECK((text.find("\nprocess_open_fds ") != std::string::npos) == handles.has_value());
    CHECK(text.find("NaN") == std::string::npos);

    const auto stats = vitals::read_process_stats();
    REQUIRE(stats.resident_bytes);
    REQUIRE(stats.virtual_bytes);
    REQUIRE(stats.memory_limit_bytes);
    CHECK(*stats.resident_bytes > 1024.0 * 1024.0);
    CHECK(*stats.virtual_bytes > 0.0);
    CHECK(*stats.memory_limit_bytes >= *stats.resident_bytes);
    const double percent = kits_test::sample_value(text, "t_memory_percent");
    CHECK(percent > 0.0);
    CHECK(percent <= 100.0);
}

TEST_CASE("process: Windows thread count, memory, start time and CPU time follow the process") {
    vitals::registry reg;
    vitals::add_process_metrics(reg, "t");
    const double before = settled_threads(reg);
    CHECK(before >= 1.0);
    {
        parked_threads three(3);
        CHECK(threads_reaching(reg, before + 3) == before + 3);
    }

    // Touching 64 MiB raises the working set by about as much.
    const double rss0 = *vitals::read_process_stats().resident_bytes;
    std::vector<char> block(64u << 20);
    volatile char* touch = block.data(); // volatile: the unread buffer must not be dropped
    for (std::size_t i = 0; i < block.size(); i += 4096) touch[i] = static_cast<char>(i);
    const double rss1 = *vitals::read_process_stats().resident_bytes;
    CHECK(rss1 - rss0 > 48.0 * 1024 * 1024);
    block.clear();

    using namespace std::chrono;
    const double now = duration<double>(system_clock::now().time_since_epoch()).count();
    const auto stats = vitals::read_process_stats();
    REQUIRE(stats.start_time_seconds);
    CHECK(*stats.start_time_seconds <= now + 0.5);
    CHECK(*stats.start_time_seconds > now - 3600.0); // this test process started within the hour

    // CPU time grows with 200 ms of busy work by at least a good part of it.
    REQUIRE(stats.cpu_seconds);
    const auto t0 = steady_clock::now();
    std::atomic<std::uint64_t> spins{0};
    while (steady_clock::now() - t0 < milliseconds(200)) spins.fetch_add(1);
    const double cpu1 = *vitals::read_process_stats().cpu_seconds;
    INFO("CPU seconds before " << *stats.cpu_seconds << ", after " << cpu1);
    CHECK(cpu1 - *stats.cpu_seconds > 0.05);
}
#endif

TEST_CASE("process: cpu_usage_percent is the rate over the collector's own window") {
    const auto stats = vitals::read_process_stats();
    if (!stats.cpu_seconds) return; // a platform without CPU time: the metric is left out
    vitals::registry reg;
    reg.add_collector(vitals::process_collector("t", std::chrono::milliseconds(300)));
    std::this_thread::sleep_for(std::chrono::milliseconds(350)); // a window has passed

    // Busy, measuring our own CPU time independently. The collector samples at a scrape after
    // 100 ms and at the last one, at least 350 ms later, so the rate it reports over its
    // 300 ms window is the CPU time between those two over the wall time between them: what
    // this test measures too, however long this thread waited for a core (as under a
    // parallel ctest). (That an extra scrape does not shorten the window is checked on
    // cpu_window itself, below.)
    using clock = std::chrono::steady_clock;
    const auto t0 = clock::now();
    std::atomic<std::uint64_t> spins{0};
    double cpu_at_window_start = 0;
    clock::time_point window_start;
    bool scraped = false;
    for (;;) {
        spins.fetch_add(1, std::memory_order_relaxed);
        if (!scraped && clock::now() - t0 > std::chrono::milliseconds(100)) {
            cpu_at_window_start = *vitals::read_process_stats().cpu_seconds;
            window_start = clock::now();
            (void)scrape(reg);
            scraped = true;
        }
        if (scraped && clock::now() - window_start >= std::chrono::milliseconds(350)) break;
    }
    CHECK(spins.load() > 0);
    const double cpu_at_end = *vitals::read_process_stats().cpu_seconds;
    const double wall = std::chrono::duration<double>(clock::now() - window_start).count();
    const double busy = kits_test::sample_value(scrape(reg), "t_cpu_usage_percent");
    const double expected = (cpu_at_end - cpu_at_window_start) / wall * 100.0;
    INFO("busy: " << busy << "%, measured independently: " << expected << "%");
    CHECK(busy == doctest::Approx(expected).epsilon(0.35));
    CHECK(busy > 0.0);

    // Idle for a window: the rate drops to about nothing.
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    const double idle = kits_test::sample_value(scrape(reg), "t_cpu_usage_percent");
    CHECK(idle >= 0.0);
    CHECK(idle < busy / 2);
}

// The figure another scraper sees does not depend on an extra scrape in between. Synthetic
// samples: 100% busy during [0, 5] s, idle after; a 10 s window.
TEST_CASE("process: cpu_window, an extra scrape hardly changes the rate others see") {
    const auto cpu_at = [](double t) { return t < 5 ? t : 5.0; };
    vitals::detail::cpu_window prometheus_only(10.0), with_curl(10.0);
    for (double t : {0.0, 15.0}) {
        prometheus_only.update(t, cpu_at(t));
        if (t == 15.0) with_curl.update(14.0, cpu_at(14.0)); // a curl at 14 s
        with_curl.update(t, cpu_at(t));
    }
    // At 15 s both report about a third of a core over [5, 15]...; "since the previous
    // scrape" would have reported 0% after the curl.
    const auto a = prometheus_only.update(30.0, cpu_at(30.0));
    const auto b = with_curl.update(30.0, cpu_at(30.0));
    REQUIRE(a);
    REQUIRE(b);
    CHECK(*a == doctest::Approx(*b).epsilon(0.01));
    vitals::detail::cpu_window p(10.0), q(10.0);
    p.update(0, 0);
    q.update(0, 0);
    q.update(14, cpu_at(14));
    const auto pa = p.update(15, cpu_at(15));
    const auto qa = q.update(15, cpu_at(15));
    REQUIRE(pa);
    REQUIRE(qa);
    INFO("without the curl " << *pa << "%, with it " << *qa << "%");
    CHECK(*pa == doctest::Approx(100.0 / 3).epsilon(0.05));
    CHECK(std::abs(*pa - *qa) < 2.0);
    // A steady load gives the same figure whoever scrapes.
    vitals::detail::cpu_window r(10.0), u(10.0);
    for (double t = 0; t <= 60; t += 15) r.update(t, 0.5 * t);
    for (double t = 0; t <= 60; t += 1) u.update(t, 0.5 * t);
    CHECK(*r.update(75, 37.5) == doctest::Approx(50.0));
    CHECK(*u.update(75, 37.5) == doctest::Approx(50.0));
    CHECK(!vitals::detail::cpu_window(10.0).update(3, 1)); // one sample: no rate yet
}

TEST_CASE("process: the /proc parsers never throw and take only plain numbers") {
    using namespace vitals::detail;
    CHECK(*proc_field("Threads:\t7\n", "Threads:") == 7);
    CHECK(!proc_field("Threads:\tinf\n", "Threads:"));
    CHECK(!proc_field("Threads:\tnan\n", "Threads:"));
    CHECK(*proc_field("VmRSS:   12 kB\n", "VmRSS:") == 12);
    CHECK(!proc_field("Threads:", "Threads:"));
    // A number is one only up to a space, a tab or the line's end, and never negative.
    for (const char* line :
         {"Threads:\t0x10\n", "Threads:\t3abc\n", "VmRSS:\t1e9 kB\n", "VmRSS: 12.5.6 kB\n",
          "VmRSS: -4 kB\n", "Threads: -3\n", "Threads: -0\n"}) {
        CAPTURE(line);
        CHECK(!proc_field(line, line[0] == 'T' ? "Threads:" : "VmRSS:"));
    }
    CHECK(*proc_field("VmRSS:\t12.5\tkB\n", "VmRSS:") == 12.5);
    CHECK(*proc_field("btime 1700000000", "btime ") == 1700000000);
    CHECK(!proc_field("", "Threads:"));
    const vitals::detail::proc_status st =
        parse_proc_status("VmRSS:\t  100 kB\nVmSize: inf kB\nThreads: 3\n");
    CHECK(*st.resident_bytes == 102400);
    CHECK(!st.virtual_bytes);
    CHECK(*st.threads == 3);
    // Too many digits to be a kernel value: 400 would overflow a double to infinity (the
    // fuzzer found that one).
    CHECK(*proc_field("N: 18446744073709551615\n", "N:") == 18446744073709551615.0);
    CHECK(!proc_field("N: 184467440737095516150\n", "N:"));
    const vitals::detail::proc_status huge =
        parse_proc_status("VmRSS:\t759" + std::string(400, '3') + " kB\nThreads: 2\n");
    CHECK(!huge.resident_bytes);
    CHECK(*huge.threads == 2);

    proc_stat stat;
    const std::string fields = " S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22";
    CHECK(parse_proc_stat("42 (a) b) c)" + fields, stat)); // the name holds ") "
    CHECK(stat.threads == 17);                             // field 20
    CHECK(stat.start_ticks == 19);
    CHECK(stat.vsize == 20);
    CHECK(stat.rss_pages == 21);
    CHECK(!parse_proc_stat("42 (x) S 1 2 inf 4", stat));
    CHECK(!parse_proc_stat("42 (x) S 1 2 " + std::string(400, '9') + fields.substr(6), stat));
    CHECK(!parse_proc_stat("42 (x) S 1 2 3", stat));
    CHECK(!parse_proc_stat("no parenthesis", stat));
    CHECK(!parse_proc_stat("", stat));

    CHECK(*parse_memory_limit("1073741824\n") == 1073741824.0);
    CHECK(!parse_memory_limit("max\n"));
    CHECK(!parse_memory_limit("inf"));
    CHECK(!parse_memory_limit("12abc"));
    CHECK(!parse_memory_limit(""));
    CHECK(!parse_memory_limit("-0\n"));
    CHECK(!parse_memory_limit("-5"));
}

#if defined(__linux__)
TEST_CASE("process: btime is found after the CPU and interrupt lines of a large /proc/stat") {
    // /proc/stat of a machine with 1024 CPUs and 20,000 interrupt numbers: about 90 KiB
    // before btime, which a 64 KiB read cut off.
    std::string text = "cpu  1 2 3 4 5 6 7 8 9 10\n";
    for (int cpu = 0; cpu < 1024; ++cpu)
        text += "cpu" + std::to_string(cpu) + " 123456 789 123456 12345678 1234 0 1234 0 0 0\n";
    text += "intr 123456789";
    for (int irq = 0; irq < 20000; ++irq) text += " 0";
    text += "\nctxt 987654321\nbtime 1764547200\nprocesses 4242\n";
    REQUIRE(text.size() > 65536);
    char path[] = "/tmp/vitals_proc_stat_XXXXXX";
    const int fd = mkstemp(path);
    REQUIRE(fd >= 0);
    close(fd);
    std::FILE* f = std::fopen(path, "wb");
    REQUIRE(f != nullptr);
    CHECK(std::fwrite(text.data(), 1, text.size(), f) == text.size());
    std::fclose(f);
    std::string read;
    const bool ok = vitals::detail::read_small_file(path, read);
    std::remove(path);
    REQUIRE(ok);
    CHECK(read.size() == text.size());
    const auto btime = vitals::detail::proc_field(read, "btime ");
    REQUIRE(btime);
    CHECK(*btime == 1764547200.0);
}
#endif

TEST_CASE("process: odd /proc/self/cgroup text names no file and never throws") {
    using vitals::detail::cgroup_limit_files;
    const auto v2 = cgroup_limit_files("0::/kubepods/pod1/c1\n");
    REQUIRE(v2.size() == 4);
    CHECK(v2[0] == "/sys/fs/cgroup/kubepods/pod1/c1/memory.max");
    CHECK(v2[3] == "/sys/fs/cgroup/memory.max");
    CHECK(cgroup_limit_files("0::/\n") == std::vector<std::string>{"/sys/fs/cgroup/memory.max"});
    const auto v1 = cgroup_limit_files("4:cpu,memory:/docker/abc\n5:pids:/x\n");
    REQUIRE(v1.size() == 2);
    CHECK(v1[0] == "/sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes");
    // A v2 path without '/' (it used to end the program), relative or climbing paths,
    // missing fields, a controller named like "memoryx": nothing to read, no exception.
    CHECK(cgroup_limit_files("0::noslash\n").empty());
    CHECK(cgroup_limit_files("0::/../../etc\n").empty());
    CHECK(cgroup_limit_files("0:\n:\n::\n\n").empty());
    CHECK(cgroup_limit_files("3:memoryx:/a\n").empty());
    CHECK(cgroup_limit_files("").empty());
}

#if VITALS_HAS_EXCEPTIONS()
TEST_CASE("process: a namespace that makes no valid metric name is a registration error") {
    vitals::registry reg;
    for (const char* ns : {"my-app", "1app", "__x", "a b"}) {
        INFO("namespace: " << std::string(ns));
        bool thrown = false;
        try {
            vitals::add_process_metrics(reg, ns); // before: accepted, its gauges dropped
        } catch (const vitals::error& e) {
            thrown = true;
            CHECK(e.code() == vitals::errc::invalid_metric_name);
        }
        CHECK(thrown);
    }
    CHECK(scrape(reg).empty()); // nothing was added
}
#endif

TEST_CASE("process: try_add_process_metrics says why and adds nothing on failure") {
    vitals::registry reg;
    const vitals::status bad = vitals::try_add_process_metrics(reg, "my-app");
    CHECK(bad.code() == vitals::errc::invalid_metric_name);
    CHECK(bad.message().find("my-app") != std::string::npos);
    CHECK(scrape(reg).empty());
    CHECK(vitals::try_add_process_metrics(reg, "app").ok());
}

TEST_CASE("process: a collector without namespace and the stats snapshot") {
    vitals::registry reg;
    reg.add_collector(vitals::process_collector(""));
    const std::string text = scrape(reg);
    const auto stats = vitals::read_process_stats();
    if (stats.resident_bytes) CHECK(text.find("\nmemory_usage_bytes ") != std::string::npos);
    if (stats.threads) {
        CHECK(*stats.threads >= 1.0);
        CHECK(text.find("\nthreads_active ") != std::string::npos);
    }
    if (stats.cpu_seconds) CHECK(text.find("\nprocess_cpu_seconds_total ") != std::string::npos);
    CHECK(text.find("NaN") == std::string::npos);
}

// The process metrics' names are the collector's: a family of the program's own with one of
// them, registered before or after, is refused instead of replacing the collector's family
// in every scrape (counted only by vitals_collector_dropped); adding them twice is refused
// too, instead of writing every family twice.
TEST_CASE("process: the collector's names are refused to other families, and to a second add") {
    SUBCASE("a family of the program's own first") {
        vitals::registry reg;
        reg.gauge("process_open_fds", "Mine.").set(3);
        const vitals::status st = vitals::try_add_process_metrics(reg, "app");
        CHECK(st.code() == vitals::errc::name_collision);
        CHECK(st.message().find("process_open_fds") != std::string::npos);
        CHECK(scrape(reg).find("app_threads_active") == std::string::npos); // nothing added
        reg.counter("app_uptime_seconds", "Mine, under another type.");     // names still free
    }
    SUBCASE("the process metrics first") {
        vitals::registry reg;
        REQUIRE(vitals::try_add_process_metrics(reg, "app").ok());
        const auto mine = reg.try_gauge("app_threads_active", "Mine.");
        REQUIRE_FALSE(mine.ok());
        CHECK(mine.error().code() == vitals::errc::name_collision);
        CHECK(mine.error().message().find("add_process_metrics()") != std::string::npos);
        CHECK(reg.try_counter("process_cpu_seconds", "Mine.").error().code() ==
              vitals::errc::name_collision);
        CHECK(reg.try_gauge("process_cpu_seconds_created", "Mine.").error().code() ==
              vitals::errc::name_collision);
        const vitals::status again = vitals::try_add_process_metrics(reg, "other");
        CHECK(again.code() == vitals::errc::conflicting_registration);
        const std::string text = scrape(reg);
        CHECK(text.find("other_threads_active") == std::string::npos);
        CHECK(text.find("vitals_collector_dropped") == std::string::npos);
    }
}
