// vitals/process.hpp - process and system metrics computed at scrape time (platform code).
// SPDX-License-Identifier: MIT
// Linux reads /proc and the cgroup memory limit; Windows uses the Win32 process APIs; other
// POSIX systems expose the CPU and file-descriptor metrics only. Not part of the portable
// umbrella <vitals/vitals.hpp>: include it where platform headers are acceptable.
#ifndef VITALS_PROCESS_HPP
#define VITALS_PROCESS_HPP

#include <vitals/config.hpp>
#include <vitals/detail/escape.hpp>
#include <vitals/detail/kit_names.hpp>
#include <vitals/detail/names.hpp>
#include <vitals/family.hpp>
#include <vitals/registry.hpp>

#include <algorithm>   // max
#include <cerrno>      // errno, EMFILE
#include <chrono>      // steady_clock, system_clock
#include <cstddef>     // size_t
#include <cstdint>     // uint64_t
#include <cstdio>      // FILE, fopen, fread, fclose
#include <cstdlib>     // strtol
#include <memory>      // shared_ptr, make_shared
#include <mutex>       // mutex, lock_guard
#include <optional>    // optional
#include <string>      // string
#include <string_view> // string_view
#include <vector>      // vector

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
#include <unistd.h>       // sysconf, getpid
#if defined(__linux__)
#include <ctime>      // clock_gettime, CLOCK_REALTIME, CLOCK_BOOTTIME (POSIX)
#include <dirent.h>   // opendir, readdir, dirfd
#include <fcntl.h>    // open, O_CLOEXEC
#include <sys/mman.h> // memfd_create, MFD_CLOEXEC
#include <sys/stat.h> // fstat
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
// Reads a small file (procfs, cgroupfs) into `out`, at most about 4 MiB; false if it cannot
// be opened. Not 64 KiB: /proc/stat has a line per CPU and a number per interrupt before its
// btime line (12 KiB with 64 CPUs and 300 interrupts, collectd#3479), so on machines with
// hundreds of CPUs a 64 KiB cut lost the process start time.
inline bool read_small_file(const char* path, std::string& out) {
    std::FILE* f = std::fopen(path, "rb");
    if (!f) return false;
    out.clear();
    char buf[4096];
    std::size_t n;
    while (out.size() < (std::size_t{4} << 20) && (n = std::fread(buf, 1, sizeof buf, f)) > 0)
        out.append(buf, n);
    std::fclose(f);
    return true;
}

inline double timeval_seconds(const timeval& tv) noexcept {
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
}
#endif

// The parsers below read procfs and cgroupfs text. They never throw, never read past the
// text, and accept only plain decimal numbers ([-]digits[.digits]), so "inf", "nan" or hex
// never become a value. Each has a libFuzzer target in tests/fuzz/.

/// Parses a plain decimal number at p[0, end): optional '-', digits, optional '.' and
/// digits. Returns the position after it, or nullptr when there is none. At most 20 digits
/// before the point, as many as a 64-bit value has: the kernel writes no longer number, and
/// a longer one (310 digits overflow a double to infinity) is not a value.
inline const char* parse_plain_number(const char* p, const char* end, double& out) noexcept {
    bool negative = false;
    if (p < end && *p == '-') {
        negative = true;
        ++p;
    }
    double v = 0;
    const char* digits = p;
    while (p < end && *p >= '0' && *p <= '9') v = v * 10 + (*p++ - '0');
    if (p == digits || p - digits > 20) return nullptr;
    if (p < end && *p == '.') {
        ++p;
        double scale = 0.1;
        while (p < end && *p >= '0' && *p <= '9') {
            v += (*p++ - '0') * scale;
            scale /= 10;
        }
    }
    out = negative ? -v : v;
    return p;
}

/// The number after `key` at the start of a line of `text` (`Key: value` or `key value`,
/// spaces and tabs skipped), or nothing. The number ends the line or a space or tab follows
/// it (`VmRSS: 100 kB`): "0x10", "1e9" or "3abc" are no value, not 0, 1 or 3. Every field
/// read this way counts something, so a negative number is no value either.
inline std::optional<double> proc_field(std::string_view text, std::string_view key) noexcept {
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t end = text.find('\n', pos);
        if (end == std::string_view::npos) end = text.size();
        if (end - pos >= key.size() && text.compare(pos, key.size(), key) == 0) {
            const char* p = text.data() + pos + key.size();
            const char* line_end = text.data() + end;
            while (p < line_end && (*p == ' ' || *p == '\t')) ++p;
            double v = 0;
            const char* after =
                p < line_end && *p != '-' ? parse_plain_number(p, line_end, v) : nullptr;
            if (after && (after == line_end || *after == ' ' || *after == '\t')) return v;
        }
        pos = end + 1;
    }
    return std::nullopt;
}

/// What /proc/self/status gives: resident and virtual size (bytes) and threads.
struct proc_status {
    std::optional<double> resident_bytes, virtual_bytes, threads;
};

inline proc_status parse_proc_status(std::string_view text) noexcept {
    proc_status s;
    if (const auto rss_kb = proc_field(text, "VmRSS:")) s.resident_bytes = *rss_kb * 1024.0;
    if (const auto size_kb = proc_field(text, "VmSize:")) s.virtual_bytes = *size_kb * 1024.0;
    s.threads = proc_field(text, "Threads:");
    return s;
}

/// The fields of /proc/self/stat that process metrics use (proc(5) numbering).
struct proc_stat {
    double threads = 0;     // field 20
    double start_ticks = 0; // field 22, clock ticks after boot
    double vsize = 0;       // field 23, bytes
    double rss_pages = 0;   // field 24
};

/// Parses /proc/self/stat; false when it does not hold fields 3 to 24. The command name
/// (field 2) is in parentheses and may hold spaces and parentheses: fields start after the
/// last ')'.
inline bool parse_proc_stat(std::string_view text, proc_stat& out) noexcept {
    const std::size_t close = text.rfind(')');
    if (close == std::string_view::npos) return false;
    const char* p = text.data() + close + 1;
    const char* end = text.data() + text.size();
    double fields[22] = {}; // fields 3.. of proc(5); [k] is field k + 3
    int k = 0;
    while (p < end && k < 22) {
        while (p < end && *p == ' ') ++p;
        if (p == end || *p == '\n') break;
        double v = 0;
        const char* after = parse_plain_number(p, end, v);
        if (after && (after == end || *after == ' ' || *after == '\n')) {
            fields[k] = v;
            p = after;
        } else { // the state letter, or anything that is not a plain number
            if (k != 0) return false;
            while (p < end && *p != ' ' && *p != '\n') ++p;
        }
        ++k;
    }
    if (k < 22) return false;
    out.threads = fields[17];
    out.start_ticks = fields[19];
    out.vsize = fields[20];
    out.rss_pages = fields[21];
    return true;
}

/// A cgroup memory limit file (v2 memory.max, v1 memory.limit_in_bytes): the limit in bytes,
/// or nothing for "max" and anything that is not a plain number.
inline std::optional<double> parse_memory_limit(std::string_view text) noexcept {
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
    if (text.empty() || text == "max") return std::nullopt;
    double v = 0;
    const char* end = text.data() + text.size();
    const char* after = parse_plain_number(text.data(), end, v);
    if (!after || after != end || text.front() == '-') return std::nullopt; // "-0" too
    return v;
}

/// The memory limit files that /proc/self/cgroup's text names, in the order to read them
/// (v2: memory.max of the cgroup and every ancestor; v1: the memory controller's
/// memory.limit_in_bytes, and the mount's root, which is the cgroup inside a container).
/// Lines that are malformed, or whose path is not absolute or climbs with "..", are
/// skipped. Never throws except std::bad_alloc.
inline std::vector<std::string> cgroup_limit_files(std::string_view cgroups) {
    std::vector<std::string> files;
    std::size_t pos = 0;
    while (pos < cgroups.size()) {
        std::size_t end = cgroups.find('\n', pos);
        if (end == std::string_view::npos) end = cgroups.size();
        const std::string_view line = cgroups.substr(pos, end - pos);
        pos = end + 1;
        // hierarchy-id:controllers:path
        const std::size_t c1 = line.find(':');
        const std::size_t c2 = c1 == std::string_view::npos ? c1 : line.find(':', c1 + 1);
        if (c2 == std::string_view::npos) continue;
        const std::string_view controllers = line.substr(c1 + 1, c2 - c1 - 1);
        std::string_view path = line.substr(c2 + 1);
        if (path.empty() || path.front() != '/' || path.find("/..") != std::string_view::npos ||
            path.find('\0') != std::string_view::npos)
            continue;
        while (!path.empty() && path.back() == '/') path.remove_suffix(1);
        if (controllers.empty()) { // cgroup v2: every ancestor's limit applies too
            for (;;) {
                files.push_back("/sys/fs/cgroup" + std::string(path) + "/memory.max");
                const std::size_t slash = path.rfind('/');
                if (slash == std::string_view::npos) break;
                path = path.substr(0, slash);
            }
        } else {
            bool memory = false;
            std::size_t start = 0;
            while (start <= controllers.size()) {
                std::size_t comma = controllers.find(',', start);
                if (comma == std::string_view::npos) comma = controllers.size();
                if (controllers.substr(start, comma - start) == "memory") memory = true;
                start = comma + 1;
            }
            if (!memory) continue;
            files.push_back("/sys/fs/cgroup/memory" + std::string(path) + "/memory.limit_in_bytes");
            files.push_back("/sys/fs/cgroup/memory/memory.limit_in_bytes");
        }
    }
    return files;
}

#if VITALS_DETAIL_PROCESS_LINUX
// The smallest memory limit among the files /proc/self/cgroup names; nothing when none.
inline std::optional<double> cgroup_memory_limit() {
    std::string cgroups;
    if (!read_small_file("/proc/self/cgroup", cgroups)) return std::nullopt;
    std::optional<double> limit;
    std::string text;
    for (const std::string& file : cgroup_limit_files(cgroups)) {
        if (!read_small_file(file.c_str(), text)) continue;
        const auto v = parse_memory_limit(text);
        if (v && (!limit || *v < *limit)) limit = v;
    }
    return limit;
}
#endif

#if VITALS_DETAIL_PROCESS_LINUX
// The Unix time the system booted, to which /proc/self/stat's start time is relative. Not
// /proc/stat's btime alone: it is whole seconds, cut down, so a start time from it was early
// by the fraction of a second it drops (up to 1 s: a process 10 ms old showed 0.7 s of
// uptime). btime is CLOCK_REALTIME less CLOCK_BOOTTIME (both as a time namespace sees them,
// as the start time is), which the clocks give to the nanosecond; btime where they fail.
// Computed once per process: the two clocks are read one after the other, so each
// computation differs in its last digits, and a start time that moves from read to read
// looks like a restart to changes(process_start_time_seconds[...]).
inline std::optional<double> boot_time_seconds() {
#if defined(CLOCK_BOOTTIME)
    static const double from_clocks = [] {
        timespec real{}, boot{};
        if (::clock_gettime(CLOCK_REALTIME, &real) != 0 ||
            ::clock_gettime(CLOCK_BOOTTIME, &boot) != 0)
            return -1.0;
        return static_cast<double>(real.tv_sec - boot.tv_sec) +
               static_cast<double>(real.tv_nsec - boot.tv_nsec) / 1e9;
    }();
    if (from_clocks >= 0.0) return from_clocks;
#endif
    std::string text;
    if (!read_small_file("/proc/stat", text)) return std::nullopt;
    return proc_field(text, "btime ");
}
#endif

/// CPU usage in percent of one core over the last `window` of wall time, from the
/// (time, CPU seconds) samples a collector takes when it is scraped. The CPU time at the
/// window's start is interpolated between the samples around it, so an extra scrape (a
/// manual curl between two Prometheus scrapes) hardly changes the figure another scraper
/// sees; until the samples span a window, the rate since the oldest sample. At most 16
/// samples are kept. Not thread-safe.
class cpu_window {
public:
    explicit cpu_window(double window_seconds) noexcept : window_(window_seconds) {}

    /// Records a sample at `t` (seconds on a steady clock) and returns the rate, or nothing
    /// when the samples span less than 0.1 s.
    std::optional<double> update(double t, double cpu) noexcept {
        add(t, cpu);
        const sample& oldest = at(0);
        const double start = t - window_;
        if (oldest.t > start) { // younger than a window: the rate since the oldest sample
            if (t - oldest.t < 0.1) return std::nullopt;
            return clamp((cpu - oldest.cpu) / (t - oldest.t) * 100.0);
        }
        // The newest sample at or before the window's start, and the one after it (the
        // current reading when there is none).
        std::size_t i = 0;
        while (i + 1 < count_ && at(i + 1).t <= start) ++i;
        const sample& a = at(i);
        const sample b = i + 1 < count_ ? at(i + 1) : sample{t, cpu};
        const double base =
            b.t > a.t ? a.cpu + (b.cpu - a.cpu) * (start - a.t) / (b.t - a.t) : a.cpu;
        return clamp((cpu - base) / window_ * 100.0);
    }

private:
    struct sample {
        double t, cpu;
    };
    static constexpr std::size_t capacity = 16;

    static double clamp(double v) noexcept { return v > 0 ? v : 0; }
    const sample& at(std::size_t i) const noexcept { return ring_[(first_ + i) % capacity]; }

    void add(double t, double cpu) noexcept {
        // Samples closer together than a tenth of the window add nothing but churn.
        if (count_ > 0 && t - at(count_ - 1).t < window_ / 10) return;
        // Only one sample before the window's start is needed.
        while (count_ >= 2 && at(1).t <= t - window_) drop_oldest();
        if (count_ == capacity) drop_oldest();
        ring_[(first_ + count_) % capacity] = sample{t, cpu};
        ++count_;
    }
    void drop_oldest() noexcept {
        first_ = (first_ + 1) % capacity;
        --count_;
    }

    double window_;
    sample ring_[capacity] = {};
    std::size_t first_ = 0, count_ = 0;
};

#if VITALS_DETAIL_PROCESS_WINDOWS
inline double filetime_seconds(const FILETIME& ft) noexcept { // 100 ns units
    const std::uint64_t v =
        (static_cast<std::uint64_t>(ft.dwHighDateTime) << 32) | ft.dwLowDateTime;
    return static_cast<double>(v) / 1e7;
}
#endif

#if VITALS_DETAIL_PROCESS_LINUX
/// A file descriptor the process collector holds back for its reads. A process out of
/// descriptors is when `process_open_fds` matters most, and every figure but the CPU time
/// comes from a file under /proc: without a free descriptor those families would leave the
/// output just then. Closed for the read and opened again after it, it costs the program one
/// descriptor of its limit, and is counted in `process_open_fds` like any other.
///
/// A program may close descriptors it did not open (a daemon closing everything past stderr),
/// and the number may then be reused for one of its sockets or files. The reserve is closed
/// only while it is still the object it opened: an anonymous file of its own (memfd), checked
/// by device and inode; where memfd_create is missing, /dev/null, which at worst is a program's
/// own /dev/null, never a socket or a file.
class descriptor_reserve {
public:
    descriptor_reserve() noexcept { take(); }
    descriptor_reserve(const descriptor_reserve&) = delete;
    descriptor_reserve& operator=(const descriptor_reserve&) = delete;
    ~descriptor_reserve() { release(); }

    /// Frees the descriptor for a read; returns whether one was held.
    bool release() noexcept {
        if (fd_ < 0) return false;
        struct stat st {};
        const bool ours = ::fstat(fd_, &st) == 0 && st.st_dev == dev_ && st.st_ino == ino_;
        if (ours) ::close(fd_);
        fd_ = -1;
        return ours;
    }
    /// Takes a descriptor back (none when the process is out of them: tried again next time).
    void take() noexcept {
        if (fd_ >= 0) return;
#if defined(MFD_CLOEXEC)
        fd_ = ::memfd_create("vitals-fd-reserve", MFD_CLOEXEC);
#endif
        if (fd_ < 0) fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        struct stat st {};
        if (fd_ >= 0 && ::fstat(fd_, &st) != 0) {
            ::close(fd_);
            fd_ = -1;
        }
        dev_ = st.st_dev;
        ino_ = st.st_ino;
    }

private:
    int fd_ = -1;
    dev_t dev_ = 0;
    ino_t ino_ = 0;
};
#endif

} // namespace detail

/// Reads the process's resource usage now. Thread-safe; allocates (file reads). Linux: from
/// /proc/self/status, /proc/self/stat, /proc/self/fd, the boot time (CLOCK_BOOTTIME, else
/// /proc/stat), getrusage, getrlimit and the cgroup memory limit. Windows: GetProcessTimes,
/// GetProcessMemoryInfo, GetProcessHandleCount, a thread snapshot and GlobalMemoryStatusEx.
/// Other POSIX systems: getrusage and getrlimit only.
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
        const detail::proc_status st = detail::parse_proc_status(text);
        s.resident_bytes = st.resident_bytes;
        s.virtual_bytes = st.virtual_bytes;
        s.threads = st.threads;
    }
    detail::proc_stat stat;
    if (detail::read_small_file("/proc/self/stat", text) && detail::parse_proc_stat(text, stat)) {
        if (!s.threads) s.threads = stat.threads;
        if (!s.virtual_bytes) s.virtual_bytes = stat.vsize;
        if (!s.resident_bytes && page > 0)
            s.resident_bytes = stat.rss_pages * static_cast<double>(page);
        if (ticks > 0)
            if (const auto boot = detail::boot_time_seconds())
                s.start_time_seconds = *boot + stat.start_ticks / static_cast<double>(ticks);
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
    } else if (errno == EMFILE && s.max_fds) {
        s.open_fds = s.max_fds; // no descriptor free below the limit: all of them are open
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
/// - `NS_cpu_usage_percent`: CPU time over the last `cpu_window` of wall time (default 60 s),
///   in percent of one core (200 = two busy cores), from samples the collector takes when
///   scraped: the CPU time at the window's start is interpolated between them, so the figure
///   does not depend on who else scrapes, or when (a manual curl between two Prometheus
///   scrapes does not turn the next one into a one-second rate). Until the samples span a
///   window it is the rate since the collector was created (after 0.1 s; before that the
///   average since the process started, left out where the start is unknown).
/// - `NS_memory_usage_bytes`: resident set size
/// - `NS_memory_percent`: resident set size over the memory available to the process (the
///   cgroup limit when one is set, else physical RAM), in percent
/// - `NS_threads_active`, `NS_uptime_seconds`
/// - `process_cpu_seconds_total`, `process_resident_memory_bytes`,
///   `process_virtual_memory_bytes`, `process_start_time_seconds`, `process_open_fds`,
///   `process_max_fds`, `process_threads` (the standard names, never prefixed)
///
/// On Linux the collector holds one file descriptor (of /dev/null) back for its reads, so
/// that a process out of descriptors still shows them all, `process_open_fds` included.
/// Metrics the platform cannot measure are left out (see process_stats). Copies share
/// state, so the collector may be copied into a registry; concurrent scrapes are
/// serialised by a mutex. Add one per registry: a second one would repeat the families.
class process_collector {
public:
    /// `ns` prefixes the system gauges (empty: no prefix); `cpu_window` is the span of
    /// NS_cpu_usage_percent (at least 1 ms). Not checked here: with a namespace that makes
    /// no valid metric name, every scrape drops those gauges (add_process_metrics() refuses
    /// such a namespace).
    explicit process_collector(std::string_view ns,
                               std::chrono::milliseconds cpu_window = std::chrono::seconds(60))
        : state_(std::make_shared<state>(cpu_window)) {
        state_->cpu_percent = detail::kit_metric_name(ns, "cpu_usage_percent");
        state_->memory_bytes = detail::kit_metric_name(ns, "memory_usage_bytes");
        state_->memory_percent = detail::kit_metric_name(ns, "memory_percent");
        state_->threads = detail::kit_metric_name(ns, "threads_active");
        state_->uptime = detail::kit_metric_name(ns, "uptime_seconds");
        // With the reserve freed, as at a scrape: made when one descriptor was free, the
        // collector's reserve would otherwise have taken it, and this read failed.
        state_->start_from(read_stats(), seconds_now());
    }

    /// Reads the process now and writes the families. Thread-safe.
    void operator()(collector_output& out) const {
        process_stats s = read_stats();
        state& st = *state_;
        using namespace std::chrono;
        const double wall_now = duration<double>(system_clock::now().time_since_epoch()).count();
        std::optional<double> uptime;
        std::optional<double> cpu_percent;
        {
            std::lock_guard<std::mutex> lock(st.mutex);
#if VITALS_DETAIL_PROCESS_POSIX
            // A child forked after the collector was made (a pre-forking server's worker) is
            // another process: it reported the parent's start time and uptime, and a CPU rate
            // of 0 for a window, its own CPU time measured against the parent's samples.
            if (::getpid() != st.pid) st.start_from(s, seconds_now());
#endif
            // The first start time read is kept, also when the collector could not read it
            // when made (the process out of descriptors): see start_from().
            if (!st.start_time) st.start_time = s.start_time_seconds;
            if (st.start_time) s.start_time_seconds = st.start_time;
            if (s.start_time_seconds) uptime = (std::max)(0.0, wall_now - *s.start_time_seconds);
            if (s.cpu_seconds) {
                cpu_percent = st.cpu.update(seconds_now(), *s.cpu_seconds);
                // No rate yet (first scrape right after start): the average over the
                // process's life so far, when its start time is known.
                if (!cpu_percent && uptime && *uptime > 0.0)
                    cpu_percent = *s.cpu_seconds / *uptime * 100.0;
            }
        }
        // The unit (OpenMetrics `# UNIT`) of the families whose names carry one.
        const auto gauge = [&out](std::string_view name, std::string_view help,
                                  const std::optional<double>& v) {
            if (!v) return;
            const std::string_view unit = detail::ends_with(name, "_bytes")     ? "bytes"
                                          : detail::ends_with(name, "_seconds") ? "seconds"
                                                                                : "";
            if (out.family(name, help, metric_type::gauge, unit)) out.sample(*v);
        };
        gauge(st.cpu_percent,
              "CPU used by the process over the last minute (or the collector's window), in "
              "percent of one core.",
              cpu_percent);
        gauge(st.memory_bytes, "Resident memory of the process in bytes.", s.resident_bytes);
        if (s.resident_bytes && s.memory_limit_bytes && *s.memory_limit_bytes > 0.0)
            out.gauge(st.memory_percent,
                      "Resident memory over the memory available to the process (cgroup "
                      "limit, else physical RAM), in percent.",
                      *s.resident_bytes / *s.memory_limit_bytes * 100.0);
        gauge(st.threads, "Threads of the process.", s.threads);
        gauge(st.uptime, "Seconds since the process started.", uptime);
        if (s.cpu_seconds && out.family("process_cpu_seconds_total",
                                        "Total user and system CPU time spent in seconds.",
                                        metric_type::counter, "seconds"))
            out.sample(*s.cpu_seconds);
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
        explicit state(std::chrono::milliseconds window)
            : window_seconds(window.count() > 0 ? static_cast<double>(window.count()) / 1000.0
                                                : 0.001),
              cpu(window_seconds) {}
        // The process's start time and a first CPU sample, from `now` read at `t`.
        void start_from(const process_stats& now, double t) {
            cpu = detail::cpu_window(window_seconds);
            if (now.cpu_seconds) cpu.update(t, *now.cpu_seconds);
            // Read once: Linux derives it from the boot time, which follows wall-clock
            // steps, and a start time that moves would look like a restart to changes().
            start_time = now.start_time_seconds;
#if VITALS_DETAIL_PROCESS_POSIX
            pid = ::getpid();
#endif
        }
        std::string cpu_percent, memory_bytes, memory_percent, threads, uptime;
        std::mutex mutex;
        double window_seconds;
        detail::cpu_window cpu;           // guarded by mutex
        std::optional<double> start_time; // guarded by mutex; the first one read
#if VITALS_DETAIL_PROCESS_POSIX
        pid_t pid = 0; // the process start_time and cpu are of; guarded by mutex
#endif
#if VITALS_DETAIL_PROCESS_LINUX
        std::mutex reading; // one read at a time frees and takes the reserve
        detail::descriptor_reserve reserve;
#endif
    };
    process_stats read_stats() const {
#if VITALS_DETAIL_PROCESS_LINUX
        std::lock_guard<std::mutex> lock(state_->reading);
        const bool held = state_->reserve.release();
        struct take_back { // however the read ends
            detail::descriptor_reserve& reserve;
            ~take_back() { reserve.take(); }
        } guard{state_->reserve};
        process_stats s = read_process_stats();
        if (held && s.open_fds) *s.open_fds += 1; // the reserve is one of the process's
        return s;
#else
        return read_process_stats();
#endif
    }
    static double seconds_now() {
        using namespace std::chrono;
        return duration<double>(steady_clock::now().time_since_epoch()).count();
    }
    std::shared_ptr<state> state_;
};

/// Adds a process_collector with namespace `ns` to `reg`, or says why not: a namespace that
/// makes no valid metric name (errc::invalid_metric_name; empty is valid and drops the
/// prefix), which a scrape would otherwise drop family by family. Allocates; thread-safe.
[[nodiscard]] inline status try_add_process_metrics(registry& reg, std::string_view ns) {
    const std::string name = detail::kit_metric_name(ns, "cpu_usage_percent");
    if (!detail::is_valid_metric_name(name))
        return status(
            errc::invalid_metric_name,
            detail::message({"invalid namespace ", detail::message_value(ns),
                             " for process metrics: ", detail::message_value(name),
                             " must match [a-zA-Z_:][a-zA-Z0-9_:]* and not start with '__'"}));
    // The names are the collector's from now on: a family of the program's own with one of
    // them is refused (errc::name_collision), before or after, instead of replacing the
    // collector's in every scrape; a second call is errc::conflicting_registration.
    const auto kit = [&ns](const char* suffix) { return detail::kit_metric_name(ns, suffix); };
    status reserved = detail::registry_access::reserve_collected(
        reg,
        {{metric_type::gauge, kit("cpu_usage_percent")},
         {metric_type::gauge, kit("memory_usage_bytes")},
         {metric_type::gauge, kit("memory_percent")},
         {metric_type::gauge, kit("threads_active")},
         {metric_type::gauge, kit("uptime_seconds")},
         {metric_type::counter, "process_cpu_seconds_total"},
         {metric_type::gauge, "process_resident_memory_bytes"},
         {metric_type::gauge, "process_virtual_memory_bytes"},
         {metric_type::gauge, "process_start_time_seconds"},
         {metric_type::gauge, "process_open_fds"},
         {metric_type::gauge, "process_max_fds"},
         {metric_type::gauge, "process_threads"}},
        "add_process_metrics()", false);
    if (!reserved) return reserved;
    reg.add_collector(process_collector(ns));
    return {};
}

/// Adds a process_collector with namespace `ns` to `reg`; an invalid namespace is reported
/// through the error policy (see try_add_process_metrics()). Allocates; thread-safe.
inline void add_process_metrics(registry& reg, std::string_view ns) {
    const status st = try_add_process_metrics(reg, ns);
    if (!st) detail::fail(st);
}

VITALS_END_NAMESPACE

#endif // VITALS_PROCESS_HPP
