// tests/noexcept/error_policy.cpp - the error policy without exceptions: the throwing forms
// call the handler installed with vitals::set_error_handler (and abort if it returns), the
// try_ forms return errors and never call it, and the hot path keeps working.
//
// Built with -fno-exceptions -fno-rtti, and again with -DVITALS_NO_EXCEPTIONS=1 (exceptions
// available but not used); scripts/test.sh step "noexcept". POSIX only: each call that must
// not return runs in a forked child, whose handler exits with a known status.
// SPDX-License-Identifier: MIT
#include <vitals/vitals.hpp>

#include <csignal>  // SIGABRT
#include <cstdio>   // printf, fprintf
#include <cstdlib>  // _Exit
#include <cstring>  // strstr
#include <string>   // string
#include <unistd.h> // fork, pipe, dup2, read, close, _exit
#include <vector>   // vector

#include <sys/wait.h> // waitpid, WIFEXITED

#if VITALS_HAS_EXCEPTIONS()
#error "this program must be built without exceptions (-fno-exceptions or VITALS_NO_EXCEPTIONS=1)"
#endif

namespace {

int checks = 0;
int failures = 0;

void check(bool ok, const std::string& what) {
    ++checks;
    if (!ok) {
        ++failures;
        std::printf("FAIL: %s\n", what.c_str());
    }
}

// The handler's exit status: 100 + the error code, so the parent can tell which error fired.
constexpr int handler_base = 100;

void exiting_handler(vitals::errc code, const char* message) {
    // Only async-signal-safe calls: this runs in a forked child.
    if (message == nullptr || message[0] == '\0') std::_Exit(99);
    std::_Exit(handler_base + static_cast<int>(code));
}

void returning_handler(vitals::errc, const char*) {}

void failing_handler(vitals::errc, const char* message) {
    // Installed in the parent: a try_ form must never get here.
    std::fprintf(stderr, "error handler called by a try_ form: %s\n", message);
    std::_Exit(98);
}

struct child_result {
    bool exited = false;
    int status = -1;
    bool aborted = false;
    std::string err; // what the child wrote to stderr
};

// Runs `fn` in a child process with `handler` installed; the child exits 0 if fn returns.
template <class Fn>
child_result run_child(vitals::error_handler handler, Fn fn) {
    int fds[2];
    child_result r;
    if (::pipe(fds) != 0) return r;
    std::fflush(stdout);
    std::fflush(stderr);
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::close(fds[0]);
        ::dup2(fds[1], 2);
        vitals::set_error_handler(handler);
        fn();
        std::_Exit(0);
    }
    ::close(fds[1]);
    char buf[512];
    ssize_t n;
    while ((n = ::read(fds[0], buf, sizeof buf)) > 0) r.err.append(buf, static_cast<size_t>(n));
    ::close(fds[0]);
    int status = 0;
    if (pid < 0 || ::waitpid(pid, &status, 0) != pid) return r;
    r.exited = WIFEXITED(status);
    r.status = r.exited ? WEXITSTATUS(status) : -1;
    r.aborted = WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
    return r;
}

template <class Fn>
void expect_handler(const char* what, vitals::errc code, Fn fn) {
    const child_result r = run_child(&exiting_handler, fn);
    check(r.exited && r.status == handler_base + static_cast<int>(code),
          std::string(what) + ": expected the handler with code " +
              std::to_string(static_cast<int>(code)) + ", child exit status " +
              std::to_string(r.status) + (r.aborted ? " (aborted)" : ""));
}

} // namespace

int main() {
    using vitals::errc;

    // The throwing forms call the handler with the right code and a message.
    expect_handler("invalid metric name", errc::invalid_metric_name, [] {
        vitals::registry reg;
        (void)reg.counter("bad name", "Help.");
    });
    expect_handler("invalid label name", errc::invalid_label_name, [] {
        vitals::registry reg;
        (void)reg.gauge("g", "Help.", {"__reserved"});
    });
    expect_handler("le in a histogram", errc::invalid_label_name, [] {
        vitals::registry reg;
        (void)reg.histogram("h", "Help.", {"le"});
    });
    expect_handler("duplicate label", errc::duplicate_label_name, [] {
        vitals::registry reg;
        (void)reg.gauge("g", "Help.", {"a", "a"});
    });
    expect_handler("invalid buckets (registry)", errc::invalid_buckets, [] {
        vitals::registry reg;
        (void)reg.histogram("h", "Help.", {2.0, 1.0});
    });
    expect_handler("invalid buckets (histogram constructor)", errc::invalid_buckets,
                   [] { vitals::histogram h(std::vector<double>{}); });
    expect_handler("conflicting registration", errc::conflicting_registration, [] {
        vitals::registry reg;
        (void)reg.counter("c", "Help.");
        (void)reg.counter("c", "Other help.");
    });
    expect_handler("name collision", errc::name_collision, [] {
        vitals::registry reg;
        (void)reg.histogram("x", "Help.");
        (void)reg.counter("x_count", "Help.");
    });
    expect_handler("label count mismatch", errc::label_count_mismatch, [] {
        vitals::registry reg;
        (void)reg.counter("c", "Help.", {"a", "b"}).labels("only one");
    });
    expect_handler("max_series of 0", errc::invalid_argument, [] {
        vitals::registry reg;
        vitals::family_options opts;
        opts.max_series = 0;
        (void)reg.gauge("g", "Help.", {"a"}, opts);
    });

    // A try_ form's failed result used without checking: the handler, with its error.
    expect_handler("unchecked try_ result", errc::invalid_metric_name, [] {
        vitals::registry reg;
        reg.try_counter("bad name", "Help.")->inc();
    });

    // A handler that returns: vitals aborts rather than continue with a bad reference.
    {
        const child_result r = run_child(&returning_handler, [] {
            vitals::registry reg;
            (void)reg.counter("bad name", "Help.");
        });
        check(r.aborted, "a handler that returns: expected abort");
    }
    // The default handler prints the message and aborts.
    {
        const child_result r = run_child(nullptr, [] {
            vitals::registry reg;
            (void)reg.counter("bad name", "Help.");
        });
        check(r.aborted, "default handler: expected abort");
        check(r.err.find("vitals: fatal error: ") != std::string::npos &&
                  r.err.find("bad name") != std::string::npos,
              "default handler: expected the message on stderr, got '" + r.err + "'");
        // The abort is where a program built without exceptions first meets the policy: the
        // message says how to handle the error instead.
        check(r.err.find("try_counter()") != std::string::npos &&
                  r.err.find("vitals::set_error_handler()") != std::string::npos,
              "default handler: expected the try_ forms and set_error_handler named, got '" +
                  r.err + "'");
    }

    // In this process: the try_ forms report errors and never call the handler.
    vitals::set_error_handler(&failing_handler);
    vitals::registry reg;
    check(reg.try_counter("bad name", "Help.").error().code() == errc::invalid_metric_name,
          "try_counter: invalid name");
    check(reg.try_gauge("g", "Help.", {"a", "a"}).error().code() == errc::duplicate_label_name,
          "try_gauge: duplicate label");
    check(reg.try_histogram("h", "Help.", {1.0, 1.0}).error().code() == errc::invalid_buckets,
          "try_histogram: invalid buckets");
    auto fam = reg.try_counter("requests", "Requests.", {"method"});
    check(fam.ok(), "try_counter: valid registration");
    check(reg.try_gauge("requests_total", "Help.").error().code() == errc::conflicting_registration,
          "try_gauge: conflicting registration");
    check(fam->try_labels("GET", "extra").error().code() == errc::label_count_mismatch,
          "try_labels: label count mismatch");
    check(!fam->try_labels("GET", "extra").error().message().empty(), "try_labels: message");
    check(vitals::validate_buckets({}).code() == errc::invalid_buckets, "validate_buckets");

    // The hot path and the serializer work as usual.
    fam->labels("GET").inc();
    fam->labels("GET").inc(2.5);
    fam->labels("GET").inc(-1); // ignored, never an error
    reg.gauge("temperature", "T.").set(-3.5);
    reg.histogram("latency_seconds", "L.", {0.5}).observe(0.25);
    const std::string text = vitals::to_text(reg);
    check(text.find("requests_total{method=\"GET\"} 3.5\n") != std::string::npos,
          "counter exposition");
    check(text.find("temperature -3.5\n") != std::string::npos, "gauge exposition");
    check(text.find("latency_seconds_bucket{le=\"+Inf\"} 1\n") != std::string::npos,
          "histogram exposition");

#if defined(__cpp_exceptions) || defined(__EXCEPTIONS)
    // VITALS_NO_EXCEPTIONS=1 with the compiler's exceptions on: vitals throws nothing itself,
    // but what the program's own collector throws is still caught, as README promises.
    reg.add_collector("throws", [](vitals::collector_output&) { throw 42; });
    const std::string with_throwing_collector = vitals::to_text(reg);
    check(with_throwing_collector.find("temperature -3.5\n") != std::string::npos,
          "a throwing collector: the scrape goes on");
    check(reg.collector_failure_count() == 1, "a throwing collector: its failure is counted");
#endif

    std::printf("noexcept error policy: %d checks, %d failed\n", checks, failures);
    return failures == 0 ? 0 : 1;
}
