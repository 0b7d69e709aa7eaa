// vitals/exposition/openmetrics.hpp - the OpenMetrics 1.0.0 text writer.
// SPDX-License-Identifier: MIT
#ifndef VITALS_EXPOSITION_OPENMETRICS_HPP
#define VITALS_EXPOSITION_OPENMETRICS_HPP

#include <vitals/config.hpp>
#include <vitals/counter.hpp>
#include <vitals/detail/float_class.hpp>
#include <vitals/exemplar.hpp>
#include <vitals/exposition/buffer.hpp>
#include <vitals/exposition/exemplar_rules.hpp>
#include <vitals/exposition/lines.hpp>
#include <vitals/exposition/model.hpp>
#include <vitals/family.hpp>
#include <vitals/histogram.hpp>
#include <vitals/registry.hpp>

#include <cstddef>     // size_t
#include <cstdint>     // uint32_t, uint64_t
#include <cstring>     // memcpy
#include <string>      // string
#include <string_view> // string_view
#include <vector>      // vector

VITALS_BEGIN_NAMESPACE

/// The Content-Type of the OpenMetrics 1.0.0 text format. A view of a whole string literal, so
/// data() is null-terminated (as text_content_type's is).
inline constexpr std::string_view openmetrics_content_type =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";

namespace detail {

/// Writes a registry's walk in the OpenMetrics 1.0.0 text format: metadata names without
/// the `_total` suffix of counters, `_created` samples for counters and histograms, and
/// `# EOF` at the end.
class openmetrics_writer final : public exposition_visitor {
public:
    explicit openmetrics_writer(out_buffer& out) noexcept : out_(out), lines_(out) {}

    static void render(const registry& reg, out_buffer& out) {
        openmetrics_writer w(out);
        registry_access::walk(reg, w);
        out.write("# EOF\n", 6);
    }

    void family(const family_base& f) override {
        const family_text& t = f.text();
        const std::string_view base = family_name(f.name(), f.type());
        bool any = false; // a family without visible series writes nothing
        f.for_each_series(
            [&](const series_node& s) {
                if (!any) {
                    write_metadata(base, f.help(), f.type(), f.options().unit);
                    any = true;
                }
                if (f.type() == metric_type::counter)
                    write_counter(f.name(), base, s);
                else if (f.type() == metric_type::histogram)
                    write_histogram(t, f.name(), f.bounds(), s);
                else
                    lines_.series_lines(f.type(), f.name(), t, s);
            },
            out_.pause_slot());
    }

    void collected_family(std::string_view name, std::string_view help, metric_type type,
                          std::string_view unit) override {
        write_metadata(family_name(name, type), help, type, unit);
    }

    void collected_sample(std::string_view name, const collected_label* labels, std::size_t n,
                          double value) override {
        lines_.collected_sample(name, labels, n, value);
    }

    void collected_histogram(std::string_view name, const collected_label* labels, std::size_t n,
                             const double* bounds, const std::uint64_t* cumulative, std::size_t nb,
                             double sum) override {
        // _sum and _count only where OpenMetrics allows them (see write_histogram()).
        lines_.collected_histogram(name, labels, n, bounds, cumulative, nb, sum,
                                   (nb == 0 || bounds[0] >= 0) && sum >= 0, true);
    }

    void collected_stateset(std::string_view name, const collected_label* labels, std::size_t n,
                            const collected_state* states, std::size_t ns) override {
        lines_.collected_stateset(name, labels, n, states, ns);
    }

    bool output_failed() const noexcept override { return out_.failed(); }

private:
    // The MetricFamily name: a counter's samples add `_total` to it, an info's `_info`.
    static std::string_view family_name(std::string_view name, metric_type type) noexcept {
        const std::string_view suffix = type == metric_type::counter ? "_total"
                                        : type == metric_type::info  ? "_info"
                                                                     : "";
        if (!suffix.empty() && name.size() > suffix.size() &&
            name.substr(name.size() - suffix.size()) == suffix)
            name.remove_suffix(suffix.size());
        return name;
    }

    // OpenMetrics escapes backslash, newline and double quote alike in HELP and label values.
    void write_metadata(std::string_view name, std::string_view help, metric_type type,
                        std::string_view unit) {
        out_.write("# HELP ", 7);
        out_.write(name);
        out_.put(' ');
        lines_.escaped(help, true);
        out_.write("\n# TYPE ", 8);
        out_.write(name);
        out_.put(' ');
        out_.write(type_name(type));
        out_.put('\n');
        if (unit.empty()) return;
        out_.write("# UNIT ", 7);
        out_.write(name);
        out_.put(' ');
        out_.write(unit);
        out_.put('\n');
    }

    // A creation time that is not a number (an injected clock returning NaN or an infinity)
    // is left out: `_created` is optional, and NaN says nothing about when counting began.
    void write_created(std::string_view base, const series_node& s) {
        const double created = s.created.load(std::memory_order_relaxed);
        if (VITALS_DETAIL_UNLIKELY(!is_finite(created))) return;
        out_.write(base);
        out_.write("_created", 8);
        if (!s.labels.empty()) {
            out_.put('{');
            out_.write(s.labels.view());
            out_.write("} ", 2);
        } else {
            out_.put(' ');
        }
        write_unix_time(created);
        out_.put('\n');
    }

    // A Unix time in seconds, to the microsecond: whole seconds, then up to six decimals
    // without trailing zeros. A few integer operations where the shortest round-trip form of
    // a double costs hundreds of instructions, and `_created` is on every counter and
    // histogram series. Series made together share their second, so its digits are kept
    // from the last time written. Times outside 0 .. 2^52 s (an odd injected clock) are
    // written as any double is.
    void write_unix_time(double t) {
        if (!(t >= 0.0 && t < 4503599627370496.0)) return out_.write_double(t);
        out_.write_formatted([&](char* out) { return format_unix_time(out, t); });
    }

    // write_unix_time() into `out` (max_number_chars bytes) for t in 0 .. 2^52.
    std::size_t format_unix_time(char* out, double t) noexcept {
        auto seconds = static_cast<std::uint64_t>(t);
        const double fraction = (t - static_cast<double>(seconds)) * 1e6;
        auto micros = static_cast<std::uint64_t>(fraction);
        if (fraction - static_cast<double>(micros) >= 0.5) ++micros; // to the nearest
        if (micros >= 1000000) { // rounded up to the next second
            ++seconds;
            micros -= 1000000;
        }
        if (seconds != last_seconds_ || last_seconds_size_ == 0) {
            last_seconds_ = seconds;
            last_seconds_size_ = format_uint(last_seconds_text_, seconds);
        }
        // Up to 16 digits below 2^52: one fixed-size copy, of which the digits count.
        std::memcpy(out, last_seconds_text_, 16);
        std::size_t n = last_seconds_size_;
        if (micros == 0) return n;
        out[n] = '.';
        format_six_digits(out + n + 1, micros);
        n += 6;
        while (out[n] == '0') --n; // micros is not 0: a digit after '.' is not 0
        return n + 1;
    }

    // ` # {a="x"} value timestamp` when bucket `index` of `slots` holds an exemplar that
    // follows the rules (the timestamp left out where shows_exemplar_timestamp() says); one
    // that does not is left out and counted (once) as dropped.
    void write_exemplar(const exemplar_slots& exemplars, std::size_t index) {
        if (VITALS_DETAIL_LIKELY(exemplars.empty())) return; // nearly every metric: no copy buffer
        write_recorded_exemplar(exemplars, index);
    }

    VITALS_DETAIL_NOINLINE void write_recorded_exemplar(const exemplar_slots& exemplars,
                                                        std::size_t index) {
        char bytes[exemplar_capacity];
        double value = 0.0, timestamp = 0.0;
        const exemplar_cell* cell = nullptr;
        std::uint32_t version = 0, recorded = 0;
        const std::size_t n =
            exemplars.read_latest(index, bytes, value, timestamp, &cell, &version, &recorded);
        if (n == 0) return;
        if (!valid_exemplar(bytes, n, timestamp)) {
            const_cast<exemplar_cell*>(cell)->count_invalid(version);
            return;
        }
        out_.write(" # ", 3);
        char sep = '{';
        for_each_exemplar_label(bytes, n, [&](std::string_view name, std::string_view text) {
            out_.put(sep);
            sep = ',';
            out_.write(name);
            out_.write("=\"", 2);
            lines_.escaped(text, true);
            out_.put('"');
        });
        out_.write("} ", 2);
        out_.write_double(value);
        if (!shows_exemplar_timestamp(timestamp, recorded)) return;
        out_.put(' ');
        out_.write_double(timestamp);
    }

    void write_counter(std::string_view name, std::string_view base, const series_node& s) {
        const counter& c = static_cast<const series<counter>&>(s).metric;
        lines_.name_labels(name, s.labels.view());
        if (c.is_whole())
            out_.write_uint(c.whole_value());
        else
            out_.write_double(c.value());
        write_exemplar(exemplar_access::of(c), 0);
        out_.put('\n');
        write_created(base, s);
    }

    void write_histogram(const family_text& t, std::string_view name,
                         const std::vector<double>& bounds, const series_node& s) {
        const histogram& h = static_cast<const series<histogram>&>(s).metric;
        const exemplar_slots& exemplars = exemplar_access::of(h);
        const std::size_t nb = bounds.size();
        std::uint64_t cumulative = 0;
        for (std::size_t i = 0; i <= nb; ++i) {
            cumulative += h.bucket_count(i);
            lines_.bucket_prefix(t, s, i, true);
            out_.write_uint(cumulative);
            write_exemplar(exemplars, i);
            out_.put('\n');
        }
        // OpenMetrics treats _sum as a counter: it is left out (with _count, which goes with
        // it) when a bucket bound is negative or the sum is negative or NaN (a -Inf
        // observation), where it would not be one.
        const double sum = h.sum();
        if ((nb == 0 || bounds[0] >= 0) && sum >= 0) {
            lines_.name_labels(t.count_name, s.labels.view());
            out_.write_uint(cumulative); // equal to the +Inf bucket by construction
            out_.put('\n');
            lines_.name_labels(t.sum_name, s.labels.view());
            out_.write_double(sum);
            out_.put('\n');
        }
        write_created(name, s);
    }

    out_buffer& out_;
    line_writer lines_;
    std::uint64_t last_seconds_ = 0; // see write_unix_time()
    std::size_t last_seconds_size_ = 0;
    char last_seconds_text_[max_number_chars] = {};
};

} // namespace detail

/// Appends the OpenMetrics 1.0.0 exposition of `reg` to `out` (same order as write_text(),
/// ending with `# EOF`). Reusing the same string (cleared) makes later calls allocation-free
/// once it has grown to fit. Thread-safe; runs concurrently with writers.
inline void write_openmetrics(const registry& reg, std::string& out) {
    detail::render_to_string(&detail::openmetrics_writer::render, reg, out);
}

/// Streams the OpenMetrics exposition of `reg` through `sink` in chunks of at most
/// `capacity` bytes, using the caller's `buffer` and no heap memory of its own. A null
/// `buffer` or a `capacity` of 0 uses 64 bytes of stack. A sink may throw to stop the render:
/// the exception reaches the caller, and the sink is not called again.
inline void write_openmetrics(const registry& reg, text_sink sink, void* context, char* buffer,
                              std::size_t capacity) {
    detail::render_to_sink(&detail::openmetrics_writer::render, reg, sink, context, buffer,
                           capacity);
}

/// Streams the OpenMetrics exposition of `reg` to a callable
/// `fn(const char* data, std::size_t size)`, through a 1 KiB buffer on the stack.
template <class Fn, class = detail::if_callable_sink<Fn>>
void write_openmetrics(const registry& reg, Fn&& fn) {
    detail::render_to_callable(&detail::openmetrics_writer::render, reg, fn);
}

/// The OpenMetrics exposition of `reg` as a new string. Allocates once: the string is sized
/// from the previous to_openmetrics() of the same registry. In a loop, write_openmetrics(reg,
/// out) into one string that is cleared and reused allocates nothing at all.
inline std::string to_openmetrics(const registry& reg) {
    return detail::render_to_new_string(&detail::openmetrics_writer::render, reg,
                                        detail::registry_access::last_openmetrics_size(reg));
}

VITALS_END_NAMESPACE

#endif // VITALS_EXPOSITION_OPENMETRICS_HPP
