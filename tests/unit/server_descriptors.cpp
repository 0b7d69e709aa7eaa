// tests/unit/server_descriptors.cpp - health_server: a low descriptor limit (RLIMIT_NOFILE).
// SPDX-License-Identifier: MIT
#include "server_support.hpp"

#include <doctest/doctest.h>

#if defined(__linux__)
#include <cerrno>         // errno
#include <chrono>         // milliseconds
#include <cstdio>         // snprintf
#include <cstring>        // strncmp
#include <dirent.h>       // opendir, readdir
#include <fcntl.h>        // open
#include <memory>         // unique_ptr
#include <signal.h>       // kill, SIGKILL
#include <string>         // string
#include <sys/resource.h> // setrlimit
#include <sys/wait.h>     // waitpid
#include <thread>         // sleep_for
#include <unistd.h>       // fork, pipe, read, write, close, readlink
#include <vector>         // vector

using namespace std::chrono_literals;
using namespace server_test;

namespace {

// Sockets process `pid` holds (its /proc/<pid>/fd entries that are sockets).
int socket_count(int pid) {
    char dir[64];
    std::snprintf(dir, sizeof dir, "/proc/%d/fd", pid);
    DIR* d = opendir(dir);
    if (!d) return -1;
    int n = 0;
    while (const dirent* e = readdir(d)) {
        if (e->d_name[0] == '.') continue;
        char path[400], target[128];
        std::snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        const ssize_t len = readlink(path, target, sizeof target - 1);
        if (len > 0 && std::strncmp(target, "socket:", 7) == 0) ++n;
    }
    closedir(d);
    return n;
}

void write_all(int fd, const void* data, std::size_t size) {
    const char* p = static_cast<const char*>(data);
    while (size > 0) {
        const ssize_t n = ::write(fd, p, size);
        if (n <= 0) return;
        p += n;
        size -= static_cast<std::size_t>(n);
    }
}

bool read_all(int fd, void* data, std::size_t size) {
    char* p = static_cast<char*>(data);
    while (size > 0) {
        const ssize_t n = ::read(fd, p, size);
        if (n <= 0) return false;
        p += n;
        size -= static_cast<std::size_t>(n);
    }
    return true;
}

// A child process lowers its descriptor limit to `limit`, runs the server (descriptor_reserve
// `reserve`) and then opens `app_files` files it keeps; this process opens twice `limit`
// idle keep-alive connections to it. Every client and probe must get an answer, and the
// server must stay below limit - reserve sockets. When the application keeps no more than
// the reserve, the child must still open files; when it keeps more, the server runs out of
// descriptors below its own cap, and must then make room as at the cap.
void idle_clients_at_the_limit(const int limit, const int reserve, const int app_files) {
    int to_parent[2], to_child[2];
    REQUIRE(pipe(to_parent) == 0);
    REQUIRE(pipe(to_child) == 0);
    const pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::close(to_parent[0]);
        ::close(to_child[1]); // else reading to_child never sees the end
        rlimit rl{};
        rl.rlim_cur = rl.rlim_max = static_cast<rlim_t>(limit);
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0) _exit(2);
        vitals::registry reg;
        auto opts = local_options();
        opts.descriptor_reserve = static_cast<std::size_t>(reserve);
        vitals::health_server server(reg, opts);
        if (!server.try_start().ok()) _exit(3);
        for (int i = 0; i < app_files; ++i)
            if (::open("/dev/null", O_RDONLY) < 0) _exit(4); // kept until _exit
        // One render while descriptors are left: UBSan checks a virtual call's object type
        // the first time it sees it by testing the memory through a pipe, which it cannot
        // create once the server has taken every descriptor (it then reports a false
        // "invalid vptr" from the render below).
        (void)vitals::to_text(reg);
        const std::uint16_t port = server.port();
        write_all(to_parent[1], &port, sizeof port);
        char command = 0;
        // 'o': open as many files as the application may need (the reserve minus what the
        // child already holds) and report how many opened.
        while (read_all(to_child[0], &command, 1) && command == 'o') {
            std::vector<int> files;
            int failed = 0;
            for (int i = 0; i < reserve / 2; ++i) {
                const int fd = ::open("/dev/null", O_RDONLY);
                if (fd < 0)
                    ++failed;
                else
                    files.push_back(fd);
            }
            for (int fd : files) ::close(fd);
            write_all(to_parent[1], &failed, sizeof failed);
            const double made_room =
                sample(reg, "vitals_server_closed_connections_total{reason=\"connection_limit\"}");
            write_all(to_parent[1], &made_room, sizeof made_room);
        }
        server.stop();
        _exit(0);
    }
    ::close(to_parent[1]);
    ::close(to_child[0]);
    std::uint16_t port = 0;
    REQUIRE(read_all(to_parent[0], &port, sizeof port));

    std::vector<std::unique_ptr<test_http::client>> idle;
    int answered = 0, probes = 0, most_sockets = 0;
    for (int i = 0; i < 2 * limit; ++i) {
        idle.emplace_back(new test_http::client("127.0.0.1", port));
        // Each becomes an idle keep-alive connection after one request.
        if (idle.back()->send_all("GET /live HTTP/1.1\r\n\r\n")) {
            const test_http::response r = idle.back()->read_response();
            if (r.status == 200 || r.status == 503) ++answered;
        }
        if (i % 32 == 31) {
            ++probes;
            const test_http::response probe = test_http::get(port, "/live");
            CHECK_MESSAGE((probe.status == 200 || probe.status == 503),
                          "probe " << probes << " got no answer");
            const int sockets = socket_count(pid);
            if (sockets > most_sockets) most_sockets = sockets;
        }
    }
    MESSAGE(answered << " of " << 2 * limit << " clients answered; the server held at most "
                     << most_sockets << " sockets (limit " << limit << ", reserve " << reserve
                     << ")");
    CHECK(answered == 2 * limit);
    CHECK(most_sockets < limit - reserve);
    const char open_files = 'o';
    write_all(to_child[1], &open_files, 1);
    int failed = -1;
    CHECK(read_all(to_parent[0], &failed, sizeof failed));
    if (app_files <= reserve / 2) CHECK(failed == 0); // the application's open() calls succeed
    // Most clients got in by the server closing an idle one, and it counted each.
    double made_room = -1;
    CHECK(read_all(to_parent[0], &made_room, sizeof made_room));
    MESSAGE(made_room << " idle connections closed to make room");
    CHECK(made_room >= limit);
    CHECK(made_room <= 2 * limit);
    idle.clear();
    ::close(to_child[1]); // the child stops its server and exits
    int status = 0;
    bool exited = false;
    for (int i = 0; i < 500 && !exited; ++i) {
        exited = waitpid(pid, &status, WNOHANG) == pid;
        if (!exited) std::this_thread::sleep_for(10ms);
    }
    if (!exited) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
    }
    CHECK(exited);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    ::close(to_parent[0]);
}

} // namespace

TEST_CASE("descriptors: twice RLIMIT_NOFILE idle clients; the server keeps its share") {
    idle_clients_at_the_limit(256, 64, 0);
}

// The application holds more than descriptor_reserve: accept() fails (EMFILE) while the
// server is below its socket cap. Idle connections must still give way to new clients, or
// probes would wait in the backlog until the idle ones time out.
TEST_CASE("descriptors: out of descriptors below the server's cap, idle clients give way") {
    idle_clients_at_the_limit(128, 16, 64);
}

TEST_CASE("descriptors: a reserve that leaves no room fails start() clearly") {
    rlimit rl{};
    REQUIRE(getrlimit(RLIMIT_NOFILE, &rl) == 0);
    if (rl.rlim_cur == RLIM_INFINITY) return;
    vitals::registry reg;
    auto opts = local_options();
    // Capped at half the limit: the server always keeps the other half.
    opts.descriptor_reserve = ~std::size_t{0};
    vitals::health_server server(reg, opts);
    CHECK(server.try_start().ok());
    CHECK(test_http::get(server.port(), "/live").status == 200);
}
#endif
