// tests/unit/registry_scrape_reentry.cpp - code a scrape runs (a collector, the output's sink)
// that calls back into the registry being scraped gets an answer or a clear error, never a
// hang. SPDX-License-Identifier: MIT
#include <vitals/config.hpp>
#include <vitals/registry.hpp>
#include <vitals/text_format.hpp>

#include <doctest/doctest.h>

#include "test_support.hpp"

#include <algorithm> // is_sorted, adjacent_find, find
#include <cstddef>   // size_t
#include <string>    // string
#include <vector>    // vector

namespace {

using vitals_test::contains;

} // namespace

TEST_CASE("registry: a collector registering in the registry it is scraped from gets an error") {
    vitals::registry reg;
    reg.gauge("app_up", "Up.").set(1);
    vitals::status seen;
    int calls = 0;
    reg.add_collector("lazy", [&](vitals::collector_output& out) {
        ++calls;
        auto made = reg.try_counter("app_lazy", "Registered from a collector.");
        seen = made.ok() ? vitals::status() : made.error();
        out.gauge("app_collected", "Written by the collector.", 7);
    });

    const std::string text = vitals::to_text(reg); // used to wait for its own lock forever
    CHECK(calls == 1);
    CHECK(seen.code() == vitals::errc::invalid_argument);
    CHECK(contains(seen.message(), "app_lazy"));
    CHECK(contains(seen.message(), "scrapes the same registry"));
    // The scrape itself is whole: the families and what the collector wrote.
    CHECK(contains(text, "app_up 1\n"));
    CHECK(contains(text, "app_collected 7\n"));
    CHECK_FALSE(contains(text, "app_lazy"));

    // Outside a scrape the same registration works, and later scrapes show it.
    reg.counter("app_lazy", "Registered from a collector.").inc(3);
    const std::string again = vitals::to_text(reg);
    CHECK(contains(again, "app_lazy_total 3\n"));
    CHECK(seen.ok()); // registered now: the collector's call finds it
}

TEST_CASE("registry: a nested scrape registering in the outer registry gets an error") {
    // A collector of `outer` renders `inner`, whose collector registers in `outer`: the thread
    // still holds `outer`'s reader lock (its scrape is not over), so the registration must be
    // refused as one from `outer`'s own collector is, not wait for the writer lock for ever.
    vitals::registry outer;
    vitals::registry inner;
    vitals::status seen;
    inner.add_collector([&](vitals::collector_output&) {
        auto made = outer.try_counter("app_late", "Registered from a nested scrape.");
        seen = made.ok() ? vitals::status() : made.error();
    });
    outer.add_collector([&](vitals::collector_output&) { (void)vitals::to_text(inner); });
    (void)vitals::to_text(outer);
    CHECK(seen.code() == vitals::errc::invalid_argument);
    CHECK(contains(seen.message(), "scrapes the same registry"));
}

TEST_CASE("registry: a collector may fetch a family registered before the scrape") {
    vitals::registry reg;
    reg.counter("app_scrapes", "Scrapes of this registry.");
    vitals::status conflicting;
    reg.add_collector([&](vitals::collector_output&) {
        // The same definition: the family registered before, as outside a scrape.
        reg.counter("app_scrapes", "Scrapes of this registry.").inc();
        // Another definition of the same name: the usual conflict, not the scrape's error.
        auto other = reg.try_counter("app_scrapes", "Other help.");
        conflicting = other.ok() ? vitals::status() : other.error();
    });
    (void)vitals::to_text(reg);
    const std::string text = vitals::to_text(reg);
    CHECK(contains(text, "app_scrapes_total 1\n")); // rendered before the second increment
    CHECK(reg.counter("app_scrapes", "Scrapes of this registry.").value() == 2.0);
    CHECK(conflicting.code() == vitals::errc::conflicting_registration);
}

TEST_CASE("registry: a collector may register in another registry and read this one") {
    vitals::registry reg;
    vitals::registry other;
    reg.gauge("app_up", "Up.").set(1);
    std::size_t families_seen = 0;
    std::size_t failures_seen = 99;
    reg.add_collector([&](vitals::collector_output& out) {
        other.counter("other_scrapes", "Scrapes of reg.").inc();
        families_seen = reg.family_count(); // the reader lock is this thread's already
        failures_seen = reg.collector_failures().size();
        out.gauge("app_families", "Families.", static_cast<double>(families_seen));
    });
    for (int i = 0; i < 3; ++i) (void)vitals::to_text(reg);
    CHECK(families_seen == reg.family_count());
    CHECK(failures_seen == 0);
    CHECK(contains(vitals::to_text(other), "other_scrapes_total 3\n"));
}

TEST_CASE("registry: a collector rendering its own registry gets the families, once") {
    vitals::registry reg;
    reg.gauge("app_up", "Up.").set(1);
    int calls = 0;
    std::string inner;
    reg.add_collector([&](vitals::collector_output& out) {
        ++calls;
        inner = vitals::to_text(reg); // runs no collector: that would never end
        out.gauge("app_inner_bytes", "Bytes of the inner render.",
                  static_cast<double>(inner.size()));
    });
    const std::string outer = vitals::to_text(reg);
    CHECK(calls == 1);
    CHECK(contains(inner, "app_up 1\n"));
    CHECK_FALSE(contains(inner, "app_inner_bytes"));
    CHECK(contains(outer, "app_inner_bytes " + std::to_string(inner.size()) + "\n"));
}

TEST_CASE("registry: an output sink registering in the registry it renders gets an error") {
    vitals::registry reg;
    reg.gauge("app_up", "Up.").set(1);
    // Enough output that the sink is called while the families are still being written.
    for (int i = 0; i < 200; ++i)
        reg.gauge("app_filler_" + std::to_string(i), "A family that makes the output long.");
    int calls = 0;
    vitals::status first;
    std::string text;
    vitals::write_text(reg, [&](const char* p, std::size_t n) {
        if (++calls == 1) {
            auto made = reg.try_gauge("app_from_sink", "Registered from a sink.");
            first = made.ok() ? vitals::status() : made.error();
        }
        text.append(p, n);
    });
    CHECK(calls > 1);
    CHECK(first.code() == vitals::errc::invalid_argument);
    CHECK(contains(text, "app_up 1\n"));
    CHECK(contains(text, "app_filler_199 0\n"));
}

#if VITALS_HAS_EXCEPTIONS()
TEST_CASE("registry: the throwing forms inside a scrape throw; the collector's failure says why") {
    vitals::registry reg;
    reg.add_collector("registers", [&reg](vitals::collector_output&) {
        reg.histogram("app_latency_seconds", "Latency.", {0.1, 1});
    });
    reg.add_collector("adds", [&reg](vitals::collector_output&) {
        reg.add_collector([](vitals::collector_output&) {});
    });
    reg.add_collector("after",
                      [](vitals::collector_output& out) { out.gauge("app_after", "After.", 1); });
    const std::string text = vitals::to_text(reg);
    CHECK(contains(text, "app_after 1\n"));
    const auto failures = reg.collector_failures();
    REQUIRE(failures.size() == 2);
    CHECK(failures[0].name == "registers");
    CHECK(contains(failures[0].message, "register 'app_latency_seconds'"));
    CHECK(failures[1].name == "adds");
    CHECK(contains(failures[1].message, "add a collector"));
    CHECK(reg.family_count() == vitals::registry().family_count()); // nothing was added
}
#endif

namespace {

// A family with enough series that its render spans many chunks of a sink's 1 KiB buffer.
vitals::family<vitals::counter>& long_family(vitals::registry& reg) {
    auto& fam = reg.counter("app_chunks", "Series that make the output long.", {"n"});
    for (int i = 0; i < 200; ++i) fam.labels("existing_" + std::to_string(i)).inc();
    return fam;
}

} // namespace

// The app_chunks series written in `text`, in the order written.
std::vector<std::string> written_series(const std::string& text) {
    std::vector<std::string> names;
    const std::string prefix = "app_chunks_total{n=\"";
    for (std::size_t at = text.find(prefix); at != std::string::npos;
         at = text.find(prefix, at + 1)) {
        const std::size_t start = at + prefix.size();
        names.push_back(text.substr(start, text.find('"', start) - start));
    }
    return names;
}

TEST_CASE("family: a sink may make series in the family being rendered") {
    vitals::registry reg;
    auto& fam = long_family(reg);
    int calls = 0;
    int made_ok = 0;
    std::string text;
    vitals::write_text(reg, [&](const char* p, std::size_t n) {
        ++calls;
        fam.labels("existing_0").inc(); // a series that exists: recorded, render or not
        // Series sorted before and after the ones being written: both forms, no error.
        auto made = fam.try_labels("from_sink_" + std::to_string(calls));
        if (made.ok()) {
            made.value().inc();
            ++made_ok;
        }
        fam.labels("zz_from_sink_" + std::to_string(calls)).inc();
        // The family's own reads answer too.
        CHECK(fam.size() >= 200u);
        text.append(p, n);
    });
    CHECK(calls > 2);
    CHECK(made_ok == calls);
    CHECK(contains(text, "app_chunks_total{n=\"existing_199\"} 1\n"));
    // The render stays in order and writes no series twice: the ones made meanwhile that sort
    // after the last one written are in it (the zz_ ones, made while it wrote existing_*).
    const std::vector<std::string> names = written_series(text);
    CHECK(std::is_sorted(names.begin(), names.end()));
    CHECK(std::adjacent_find(names.begin(), names.end()) == names.end());
    CHECK(std::find(names.begin(), names.end(), "zz_from_sink_1") != names.end());
    // Nothing was lost: every increment and every series made is in the next scrape.
    const std::string again = vitals::to_text(reg);
    CHECK(
        contains(again, "app_chunks_total{n=\"existing_0\"} " + std::to_string(1 + calls) + "\n"));
    CHECK(fam.size() == 200u + 2u * static_cast<std::size_t>(calls));
    CHECK(contains(again, "app_chunks_total{n=\"from_sink_" + std::to_string(calls) + "\"} 1\n"));
    CHECK(contains(again, "app_chunks_total{n=\"zz_from_sink_1\"} 1\n"));
}

TEST_CASE("family: a sink may remove or clear series of the family being rendered") {
    vitals::registry reg;
    auto& fam = long_family(reg);
    bool removed = false;
    std::size_t size_after_clear = 1;
    int calls = 0;
    std::string text;
    vitals::write_text(reg, [&](const char* p, std::size_t n) {
        text.append(p, n);
        if (++calls == 1) {
            removed = fam.remove("existing_99"); // not written yet: sorted after existing_1..
            fam.clear();
            size_after_clear = fam.size();
            fam.labels("existing_98").inc(); // shown again, from zero
        }
    });
    CHECK(removed);
    CHECK(size_after_clear == 0);
    // The series collected before the clear are written; those after it are not, but for the
    // one shown again. The render is in order, with nothing twice.
    const std::vector<std::string> names = written_series(text);
    CHECK(std::is_sorted(names.begin(), names.end()));
    CHECK(std::adjacent_find(names.begin(), names.end()) == names.end());
    CHECK(std::find(names.begin(), names.end(), "existing_0") != names.end());
    CHECK(std::find(names.begin(), names.end(), "existing_99") == names.end());
    CHECK(std::find(names.begin(), names.end(), "existing_98") != names.end());
    CHECK(fam.size() == 1u);
    CHECK(contains(vitals::to_text(reg), "app_chunks_total{n=\"existing_98\"} 1\n"));
}

TEST_CASE("family: a sink rendering the same registry again gets the families") {
    vitals::registry reg;
    long_family(reg);
    int calls = 0;
    std::string inner;
    vitals::write_text(reg, [&](const char*, std::size_t) {
        // Inside app_chunks' render, and inside the scrape that holds the registry's lock.
        if (++calls == 1) inner = vitals::to_text(reg);
    });
    CHECK(calls > 2);
    CHECK(contains(inner, "app_chunks_total{n=\"existing_199\"} 1\n"));
}

TEST_CASE("family: overflowing while the overflow counter is being rendered loses no count") {
    vitals::registry reg;
    vitals::family_options bounded;
    bounded.max_series = 1;
    // 100 families past their bound: the overflow counter has 100 series, several chunks.
    for (int i = 0; i < 100; ++i) {
        auto& f = reg.counter("app_bounded_" + std::to_string(i), "Bounded.", {"k"}, bounded);
        f.labels("a").inc();
        f.labels("b").inc();
    }
    auto& small = reg.counter("app_small", "At most one series.", {"k"}, bounded);
    small.labels("first").inc();
    bool overflowed_inside = false;
    vitals::write_text(reg, [&](const char* p, std::size_t n) {
        // A chunk sent while the counter's series are being written: app_small's first
        // overflow, whose count needs a new series in that very family.
        if (!overflowed_inside &&
            contains(std::string(p, n), "vitals_series_overflow_total{family=\"app_bounded_5")) {
            overflowed_inside = true;
            small.labels("second").inc();
        }
    });
    REQUIRE(overflowed_inside);
    small.labels("third").inc();
    const std::string after = vitals::to_text(reg);
    CHECK(contains(after, "app_small_total{k=\"__overflow__\"} 2\n"));
    CHECK(contains(after, "vitals_series_overflow_total{family=\"app_small_total\"} 2\n"));
}
