// tests/main.cpp - the doctest runner shared by every vitals test executable.
// SPDX-License-Identifier: MIT
// The only translation unit that defines DOCTEST_CONFIG_IMPLEMENT; the build compiles it once
// and links it into each test program.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cerrno>  // errno, EINTR
#include <cstdio>  // fprintf, setvbuf
#include <cstring> // strncmp
#include <string>  // string
#include <vector>  // vector
#if defined(_WIN32)
#include <process.h> // _spawnv
#else
#include <sys/wait.h> // waitpid, WIFEXITED, WEXITSTATUS
#include <unistd.h>   // fork, execvp, _exit
#endif

namespace {

// How many test cases the run selected.
unsigned selected_test_cases = 0;

struct selection_counter : doctest::IReporter {
    explicit selection_counter(const doctest::ContextOptions&) {}
    void report_query(const doctest::QueryData&) override {}
    void test_run_start() override {}
    void test_run_end(const doctest::TestRunStats& stats) override {
        selected_test_cases = stats.numTestCasesPassingFilters;
    }
    void test_case_start(const doctest::TestCaseData&) override {}
    void test_case_reenter(const doctest::TestCaseData&) override {}
    void test_case_end(const doctest::CurrentTestCaseStats&) override {}
    void test_case_exception(const doctest::TestCaseException&) override {}
    void subcase_start(const doctest::SubcaseSignature&) override {}
    void subcase_end() override {}
    void log_assert(const doctest::AssertData&) override {}
    void log_message(const doctest::MessageData&) override {}
    void test_case_skipped(const doctest::TestCaseData&) override {}
};

std::vector<std::string>& grouped_files() {
    static std::vector<std::string> files;
    return files;
}

// What a test reports when it ran nothing but that is no failure (CTest's SKIP_RETURN_CODE,
// meson's convention).
constexpr int skipped = 77;

// Runs `program --test-suite=<file>` and returns its exit status, or -1 when it could not
// run or ended by a signal. No shell: any character in the program's path is taken as is.
int run_file(const char* program, const std::string& file) {
    const std::string option = "--test-suite=" + file;
#if defined(_WIN32)
    // The C runtime joins the arguments into one command line with spaces, unquoted.
    const std::string quoted = "\"" + std::string(program) + "\"";
    const char* args[] = {quoted.c_str(), option.c_str(), nullptr};
    return static_cast<int>(_spawnv(_P_WAIT, program, args));
#else
    const pid_t child = fork();
    if (child < 0) return -1;
    if (child == 0) {
        char* args[] = {const_cast<char*>(program), const_cast<char*>(option.c_str()), nullptr};
        execvp(program, args);
        _exit(127);
    }
    int status = 0;
    while (waitpid(child, &status, 0) < 0)
        if (errno != EINTR) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
#endif
}

// Runs each test file of a grouped program in a child process of its own, as CTest and meson
// do (one --test-suite per test): the files of a group share one process when run together,
// and process-wide state one file leaves behind (vitals::exemplars_dropped(), which every
// registry then shows) breaks another's exact-output checks. Says so first: a tool that does
// not follow child processes (valgrind, gdb, qemu-user) checks only this parent, and one
// file is run under it with --test-suite=<file>. Returns 0 when no file failed.
int run_each_file(const char* program) {
    std::fprintf(stderr,
                 "%s: runs each of its %zu test files in a process of its own; under a debugger "
                 "or valgrind, run one with --test-suite=<file>\n",
                 program, grouped_files().size());
    unsigned failed = 0;
    for (const std::string& file : grouped_files()) {
        const int status = run_file(program, file);
        if (status != 0 && status != skipped) {
            ++failed;
            std::fprintf(stderr, "%s: %s.cpp FAILED (%s --test-suite=%s)\n", program, file.c_str(),
                         program, file.c_str());
        }
    }
    std::fprintf(stderr, "%s: %zu files, %u failed\n", program, grouped_files().size(), failed);
    return failed == 0 ? 0 : 1;
}

} // namespace

DOCTEST_REGISTER_LISTENER("selection_counter", 1, selection_counter);

// Called by a grouped program's translation unit (tests/CMakeLists.txt) for each test file it
// holds, so that main() can tell a file without test cases in this configuration (its cases
// are all for another platform, say) from a name the program does not hold.
bool vitals_test_grouped_file(const char* stem) {
    grouped_files().emplace_back(stem);
    return true;
}

// A grouped program runs one file's test suite per test (--test-suite=<file>): the run fails
// when the program holds no such file, and is reported skipped when the file has no test case
// in this configuration. Run with no argument, it runs each of its files that way, one after
// the other. A program of its own runs unfiltered, as before.
int main(int argc, char** argv) {
    // Unbuffered: a pipe to CTest or meson is fully buffered, and a program that crashes or is
    // killed after a failed check (or whose emulator dies under it) lost that check's report.
    std::setvbuf(stdout, nullptr, _IONBF, 0);
    if (argc == 1 && !grouped_files().empty()) return run_each_file(argv[0]);
    const char* suite = nullptr;
    for (int i = 1; i < argc; ++i)
        if (std::strncmp(argv[i], "--test-suite=", 13) == 0) suite = argv[i] + 13;
    doctest::Context context(argc, argv);
    const int result = context.run();
    if (context.shouldExit()) return result; // --help, --list-test-cases and other queries
    if (result != 0 || !suite || selected_test_cases != 0) return result;
    for (const std::string& file : grouped_files()) {
        if (file == suite) {
            std::fprintf(stderr, "%s: %s.cpp has no test case in this configuration\n", argv[0],
                         suite);
            return skipped;
        }
    }
    std::fprintf(stderr, "%s: holds no test file named %s\n", argv[0], suite);
    return 1;
}
