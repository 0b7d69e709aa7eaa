// vitals/process.hpp - process and system metrics computed at scrape time (platform code).
// SPDX-License-Identifier: MIT
// Linux reads /proc and the cgroup memory limit; Windows uses the Win32 process APIs; other
// POSIX systems expose the CPU and file-descriptor metrics only. Not part of the portable
// umbrella <vitals/vitals.hpp>: include it where platform headers are acceptable.
#ifndef VITALS_PROCESS_HPP
#define VITALS_PROCESS_HPP

#include <vitals/config.hpp>
#include <vitals/detail/kit_names.hpp>
#include <vitals/family.hpp>
#include <vitals/registry.hpp>

#include <algorithm>   // max
#include <chrono>      // steady_clock, system_clock
#include <cstdint>     // uint64_t
#include <cstdio>      // FILE, fopen, fread, fclose
#include <cstdlib>     // strtod, strtol, strtoull
#include <memory>      // shared_ptr, make_shared
#include <mutex>       // mutex, lock_guard
#include <optional>    // optional
#include <string>      // string
#include <string_view> // string_view
#include <utility>     // move

#if defined(_WIN32)
#if !defined(WIN32_LEAN_AND_MEAN)
#define WIN32_LEAN_AND_MEAN
#define VITALS_DETAIL_UNDEF_LEAN_AND_MEAN
#endif
#if !defined(NOMINMAX)
#define NOMINMAX
#define VITALS_DETAIL_UNDEF_NOMINMAX
#endif
#include <windows.h> // GetProcessTimes, GetCurrentProcess, GlobalMemoryStatusEx
// After <windows.h>, which they need:
#include <psapi.h>    // GetProcessMemoryInfo (K32 form, exported by kernel32)
#include <tlhelp32.h> // CreateToolhelp32Snapshot, Thread32First/Next
#if defined(VITALS_DETAIL_UNDEF_LEAN_AND_MEAN)
#undef WIN32_LEAN_AND_MEAN
#undef VITALS_DETAIL_UNDEF_LEAN_AND_MEAN
#endif
#if defined(VITALS_DETAIL_UNDEF_NOMINMAX)
#undef NOMINMAX
#undef VITALS_DETAIL_UNDEF_NOMINMAX
#endif
#define VITALS_DETAIL_PROCESS_WINDOWS 1
#elif defined(__unix__) || defined(__APPLE__)
#include <sys/resource.h> // getrusage, getrlimit
#include <unistd.h>       // sysconf
#if defined(__linux__)
#include <dirent.h> // opendir, readdir, dirfd
#define VITALS_DETAIL_PROCESS_LINUX 1
#endif
#define VITALS_DETAIL_PROCESS_POSIX 1
#endif

#ifndef VITALS_DETAIL_PROCESS_WINDOWS
#define VITALS_DETAIL_PROCESS_WINDOWS 0
#endif
#ifndef VITALS_DETAIL_PROCESS_LINUX
#define VITALS_DETAIL_PROCESS_LINUX 0
#endif
#ifndef VITALS_DETAIL_PROCESS_POSIX
#define VITALS_DETAIL_PROCESS_POSIX 0
#endif

VITALS_BEGIN_NAMESPACE

/// One reading of the process's resource usage. A field is empty when this platform cannot
/// measure it (it is then left out of the exposition, never guessed).
struct process_stats {
    std::optional<double> cpu_seconds;        ///< user + system CPU time
    std::optional<double> resident_bytes;     ///< resident set size (Windows: working set)
    std::optional<double> virtual_bytes;      ///< Linux: vsize; Windows: private bytes
    std::optional<double> start_time_seconds; ///< Unix time the process started
    std::optional<double> open_fds;           ///< open file descriptors (Windows: handles)
    std::optional<double> max_fds;            ///< soft RLIMIT_NOFILE
    std::optional<double> threads;            ///< threads of the process
    std::optional<double> memory_limit_bytes; ///< cgroup memory limit when set, else RAM
};

namespace detail {

#if VITALS_DETAIL_PROCESS_POSIX
// Reads a small file (procfs, cgroupfs) into `out`; false if it cannot be opened.
inline bool read_small_file(const char* path, std::string& out) {
    std::FILE* f = std::fopen(path, "rb");
    if (!f) return false;
    out.clear();
    char buf[1024];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
    std::fclose(f);
    return true;
}

inline double timeval_seconds(const timeval& tv) noexcept {
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
}
#endif

#if VITALS_DETAIL_PROCESS_LINUX
// The value of a `Key: value` or `key value` line of a procfs file, as a number.
inline std::optional<double> proc_field(const std::string& text, std::string_view key) {
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t end = text.find('\n', pos);
        if (end == std::string::npos) end = text.size();
        if (text.compare(pos, key.size(), key.data(), key.size()) == 0) {
            const char* p = text.c_str() + pos + key.size();
            char* after = nullptr;
            const double v = std::strtod(p, &after);
            if (after != p) return v;
        }
        pos = end + 1;
    }
    return std::nullopt;
}

// The smallest memory limit of the cgroup (v2: memory.max up the hierarchy; v1:
// memory.limit_in_bytes) that /proc/self/cgroup names; nothing when there is none.
inline std::optional<double> cgroup_memory_limit() {
    std::string cgroups;
    if (!read_small_file("/proc/self/cgroup", cgroups)) return std::nullopt;
    std::optional<double> limit;
    const auto consider = [&limit](const std::string& file) {
        std::string text;
        if (!read_small_file(file.c_str(), text) || text.compare(0, 3, "max") == 0) return;
        char* after = nullptr;
        const double v = static_cast<double>(std::strtoull(text.c_str(), &after, 10));
        if (after == text.c_str()) return;
        if (!limit || v < *limit) limit = v;
    };
    std::size_t pos = 0;
    while (pos < cgroups.size()) {
        std::size_t end = cgroups.find('\n', pos);
        if (end == std::string::npos) end = cgroups.size();
        const std::string line = cgroups.substr(pos, end - pos);
        pos = end + 1;
        // hierarchy-id:controllers:path
        const std::size_t c1 = line.find(':');
        const std::size_t c2 = c1 == std::string::npos ? c1 : line.find(':', c1 + 1);
        if (c2 == std::string::npos) continue;
        const std::string controllers = line.substr(c1 + 1, c2 - c1 - 1);
        std::string path = line.substr(c2 + 1);
        if (!path.empty() && path.back() == '/') path.pop_back();
        if (controllers.empty()) { // cgroup v2: every ancestor's limit applies too
            for (;;) {
                consider("/sys/fs/cgroup" + path + "/memory.max");
                if (path.empty()) break;
                path.erase(path.rfind('/'));
            }
        } else if (("," + controllers + ",").find(",memory,") != std::string::npos) {
            // cgroup v1; inside a container the cgroup's path is often the mount's root.
            consider("/sys/fs/cgroup/memory" + path + "/memory.limit_in_bytes");
            consider("/sys/fs/cgroup/memory/memory.limit_in_bytes");
        }
    }
    return limit;
}
#endif

#if VITALS_DETAIL_PROCESS_WINDOWS
inline double filetime_seconds(const FILETIME& ft) noexcept { // 100 ns units
    const std::uint64_t v =
        (static_cast<std::uint64_t>(ft.dwHighDateTime) << 32) | ft.dwLowDateTime;
    return static_cast<double>(v) / 1e7;
}
#endif

} // namespace detail

/// Reads the process's resource usage now. Thread-safe; allocates (file reads). Linux: from
/// /proc/self/status, /proc/self/stat, /proc/self/fd, /proc/stat, getrusage, getrlimit and
/// the cgroup memory limit. Windows: GetProcessTimes, GetProcessMemoryInfo,
/// GetProcessHandleCount, a thread snapshot and GlobalMemoryStatusEx. Other POSIX systems:
/// getrusage and getrlimit only.
inline process_stats read_process_stats() {
    process_stats s;
#if VITALS_DETAIL_PROCESS_POSIX
    rusage ru{};
    if (getrusage(RUSAGE_SELF, &ru) == 0)
        s.cpu_seconds = detail::timeval_seconds(ru.ru_utime) + detail::timeval_seconds(ru.ru_stime);
    rlimit rl{};
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
        s.max_fds = static_cast<double>(rl.rlim_cur);
#endif
#if VITALS_DETAIL_PROCESS_LINUX
    const long page = sysconf(_SC_PAGESIZE);
    const long ticks = sysconf(_SC_CLK_TCK);
    std::string text;
    // Memory and threads from /proc/self/status: the same kernel counters as /proc/self/stat,
    // and still the real ones under an emulator (qemu-user fakes most of .../stat).
    if (detail::read_small_file("/proc/self/status", text)) {
        if (const auto rss_kb = detail::proc_field(text, "VmRSS:"))
            s.resident_bytes = *rss_kb * 1024.0;
        if (const auto size_kb = detail::proc_field(text, "VmSize:"))
            s.virtual_bytes = *size_kb * 1024.0;
        s.threads = detail::proc_field(text, "Threads:");
    }
    if (detail::read_small_file("/proc/self/stat", text)) {
        // The command name (field 2) is in parentheses and may hold spaces: parse after it.
        const std::size_t close = text.rfind(')');
        if (close != std::string::npos) {
            const char* p = text.c_str() + close + 1;
            double fields[22] = {}; // fields 3.. of proc(5); [k] is field k + 3
            int k = 0;
            while (*p && k < 22) {
                while (*p == ' ') ++p;
                if (!*p) break;
                char* after = nullptr;
                fields[k] = std::strtod(p, &after);
                if (after == p) { // the state letter
                    while (*p && *p != ' ') ++p;
                } else {
                    p = after;
                }
                ++k;
            }
            if (k >= 22) {
                if (!s.threads) s.threads = fields[17];
                if (!s.virtual_bytes) s.virtual_bytes = fields[20];
                if (!s.resident_bytes && page > 0)
                    s.resident_bytes = fields[21] * static_cast<double>(page);
                std::string stat;
                if (ticks > 0 && detail::read_small_file("/proc/stat", stat))
                    if (const auto btime = detail::proc_field(stat, "btime "))
                        s.start_time_seconds = *btime + fields[19] / static_cast<double>(ticks);
            }
        }
    }
    if (DIR* d = opendir("/proc/self/fd")) {
        const int own = dirfd(d);
        double n = 0;
        while (const dirent* e = readdir(d)) {
            if (e->d_name[0] == '.') continue;
            if (std::strtol(e->d_name, nullptr, 10) == own) continue; // the listing itself
            n += 1;
        }
        closedir(d);
        s.open_fds = n;
    }
    const long phys = sysconf(_SC_PHYS_PAGES);
    std::optional<double> limit;
    if (phys > 0 && page > 0) limit = static_cast<double>(phys) * static_cast<double>(page);
    if (const auto cg = detail::cgroup_memory_limit())
        if (!limit || *cg < *limit) limit = cg;
    s.memory_limit_bytes = limit;
#endif
#if VITALS_DETAIL_PROCESS_WINDOWS
    const HANDLE self = GetCurrentProcess();
    FILETIME created, exited, kernel, user;
    if (GetProcessTimes(self, &created, &exited, &kernel, &user)) {
        s.cpu_seconds = detail::filetime_seconds(kernel) + detail::filetime_seconds(user);
        // FILETIME counts from 1601-01-01; the Unix epoch is 11644473600 s later.
        s.start_time_seconds = detail::filetime_seconds(created) - 11644473600.0;
    }
    // PagefileUsage is the commit charge, the same figure as PROCESS_MEMORY_COUNTERS_EX's
    // PrivateUsage on Windows; wine fills only the former (PrivateUsage reads 0 there).
    PROCESS_MEMORY_COUNTERS mem{};
    mem.cb = sizeof mem;
    if (K32GetProcessMemoryInfo(self, &mem, sizeof mem)) {
        s.resident_bytes = static_cast<double>(mem.WorkingSetSize);
        if (mem.PagefileUsage > 0) s.virtual_bytes = static_cast<double>(mem.PagefileUsage);
    }
    // A Windows process always holds handles; a count of 0 (wine's answer) means unknown.
    DWORD handles = 0;
    if (GetProcessHandleCount(self, &handles) && handles > 0)
        s.open_fds = static_cast<double>(handles);
    const HANDLE snap = CreateToolhelp32Snapshot(TH32CS_SNAPTHREAD, 0);
    if (snap != INVALID_HANDLE_VALUE) {
        THREADENTRY32 te{};
        te.dwSize = sizeof te;
        const DWORD pid = GetCurrentProcessId();
        double n = 0;
        for (BOOL ok = Thread32First(snap, &te); ok; ok = Thread32Next(snap, &te))
            if (te.th32OwnerProcessID == pid) n += 1;
        CloseHandle(snap);
        if (n > 0) s.threads = n;
    }
    MEMORYSTATUSEX ms{};
    ms.dwLength = sizeof ms;
    if (GlobalMemoryStatusEx(&ms)) s.memory_limit_bytes = static_cast<double>(ms.ullTotalPhys);
#endif
    return s;
}

/// Writes the process metrics at every scrape of the registry it is added to (a collector:
/// no thread, nothing polled in between):
///
/// - `NS_cpu_usage_percent`: CPU time over wall time since the previous scrape, in percent
///   of one core (200 = two busy cores). Scrapes less than 0.1 s apart repeat the last rate.
///   The first scrape reports the rate since the collector was created or, within 0.1 s of
///   that, the average since the process started (left out where the start is unknown).
/// - `NS_memory_usage_bytes`: resident set size
/// - `NS_memory_percent`: resident set size over the memory available to the process (the
///   cgroup limit when one is set, else physical RAM), in percent
/// - `NS_threads_active`, `NS_uptime_seconds`
/// - `process_cpu_seconds_total`, `process_resident_memory_bytes`,
///   `process_virtual_memory_bytes`, `process_start_time_seconds`, `process_open_fds`,
///   `process_max_fds`, `process_threads` (the standard names, never prefixed)
///
/// Metrics the platform cannot measure are left out (see process_stats). Copies share
/// state, so the collector may be copied into a registry; concurrent scrapes are
/// serialised by a mutex. Add one per registry: a second one would repeat the families.
class process_collector {
public:
    /// `ns` prefixes the system gauges (empty: no prefix).
    explicit process_collector(std::string_view ns) : state_(std::make_shared<state>()) {
        state_->cpu_percent = detail::kit_metric_name(ns, "cpu_usage_percent");
        state_->memory_bytes = detail::kit_metric_name(ns, "memory_usage_bytes");
        state_->memory_percent = detail::kit_metric_name(ns, "memory_percent");
        state_->threads = detail::kit_metric_name(ns, "threads_active");
        state_->uptime = detail::kit_metric_name(ns, "uptime_seconds");
        const process_stats initial = read_process_stats();
        state_->last_cpu = initial.cpu_seconds;
        // Read once: Linux derives it from the boot time, which follows wall-clock steps, and
        // a start time that moves would look like a restart to changes() / resets().
        state_->start_time = initial.start_time_seconds;
        state_->last_wall = std::chrono::steady_clock::now();
    }

    /// Reads the process now and writes the families. Thread-safe.
    void operator()(collector_output& out) const {
        process_stats s = read_process_stats();
        if (state_->start_time) s.start_time_seconds = state_->start_time;
        const auto now = std::chrono::steady_clock::now();
        state& st = *state_;
        using namespace std::chrono;
        const double wall_now = duration<double>(system_clock::now().time_since_epoch()).count();
        std::optional<double> uptime;
        if (s.start_time_seconds) uptime = (std::max)(0.0, wall_now - *s.start_time_seconds);
        std::optional<double> cpu_percent;
        if (s.cpu_seconds) {
            std::lock_guard<std::mutex> lock(st.mutex);
            const double wall = duration<double>(now - st.last_wall).count();
            if (st.last_cpu && wall >= min_rate_interval) {
                // A rate over at least min_rate_interval: scrapes closer together than that
                // repeat the last rate instead of dividing timer noise by a tiny interval.
                st.percent = (std::max)(0.0, *s.cpu_seconds - *st.last_cpu) / wall * 100.0;
                st.last_cpu = s.cpu_seconds;
                st.last_wall = now;
            } else if (!st.last_cpu) {
                st.last_cpu = s.cpu_seconds;
                st.last_wall = now;
            }
            cpu_percent = st.percent;
            // No rate yet (first scrape right after start): the average over the process's
            // life so far, when its start time is known.
            if (!cpu_percent && uptime && *uptime > 0.0)
                cpu_percent = *s.cpu_seconds / *uptime * 100.0;
        }
        const auto gauge = [&out](std::string_view name, std::string_view help,
                                  const std::optional<double>& v) {
            if (v) out.gauge(name, help, *v);
        };
        gauge(st.cpu_percent,
              "CPU used by the process since the previous scrape, in percent of one core.",
              cpu_percent);
        gauge(st.memory_bytes, "Resident memory of the process in bytes.", s.resident_bytes);
        if (s.resident_bytes && s.memory_limit_bytes && *s.memory_limit_bytes > 0.0)
            out.gauge(st.memory_percent,
                      "Resident memory over the memory available to the process (cgroup "
                      "limit, else physical RAM), in percent.",
                      *s.resident_bytes / *s.memory_limit_bytes * 100.0);
        gauge(st.threads, "Threads of the process.", s.threads);
        gauge(st.uptime, "Seconds since the process started.", uptime);
        if (s.cpu_seconds)
            out.counter("process_cpu_seconds_total",
                        "Total user and system CPU time spent in seconds.", *s.cpu_seconds);
        gauge("process_resident_memory_bytes", "Resident memory size in bytes.", s.resident_bytes);
        gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.", s.virtual_bytes);
        gauge("process_start_time_seconds",
              "Start time of the process since unix epoch in seconds.", s.start_time_seconds);
        gauge("process_open_fds", "Number of open file descriptors.", s.open_fds);
        gauge("process_max_fds", "Maximum number of open file descriptors.", s.max_fds);
        gauge("process_threads", "Number of OS threads in the process.", s.threads);
    }

private:
    struct state {
        std::string cpu_percent, memory_bytes, memory_percent, threads, uptime;
        std::mutex mutex;
        std::optional<double> last_cpu;
        std::chrono::steady_clock::time_point last_wall;
        std::optional<double> percent;    // the last rate computed
        std::optional<double> start_time; // read once, at construction
    };
    static constexpr double min_rate_interval = 0.1; // seconds
    std::shared_ptr<state> state_;
};

/// Adds a process_collector with namespace `ns` to `reg`. Allocates; thread-safe.
inline void add_process_metrics(registry& reg, std::string_view ns) {
    reg.add_collector(process_collector(ns));
}

VITALS_END_NAMESPACE

#endif // VITALS_PROCESS_HPP
