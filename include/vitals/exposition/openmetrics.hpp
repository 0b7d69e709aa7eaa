// vitals/exposition/openmetrics.hpp - the OpenMetrics 1.0.0 text writer.
// SPDX-License-Identifier: MIT
#ifndef VITALS_EXPOSITION_OPENMETRICS_HPP
#define VITALS_EXPOSITION_OPENMETRICS_HPP

#include <vitals/config.hpp>
#include <vitals/counter.hpp>
#include <vitals/detail/escape.hpp>
#include <vitals/exposition/buffer.hpp>
#include <vitals/exposition/model.hpp>
#include <vitals/family.hpp>
#include <vitals/gauge.hpp>
#include <vitals/histogram.hpp>
#include <vitals/registry.hpp>

#include <cstddef>     // size_t
#include <cstdint>     // uint64_t
#include <string>      // string
#include <string_view> // string_view

VITALS_BEGIN_NAMESPACE

/// The Content-Type of the OpenMetrics 1.0.0 text format.
inline constexpr std::string_view openmetrics_content_type =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";

namespace detail {

/// Writes a registry's walk in the OpenMetrics 1.0.0 text format: metadata names without
/// the `_total` suffix of counters, `_created` samples for counters and histograms, and
/// `# EOF` at the end.
class openmetrics_writer final : public exposition_visitor {
public:
    explicit openmetrics_writer(out_buffer& out) noexcept : out_(out) {}

    static void render(const registry& reg, out_buffer& out) {
        openmetrics_writer w(out);
        registry_access::walk(reg, w);
        out.write("# EOF\n", 6);
    }

    void family(const family_base& f) override {
        const family_text& t = f.text();
        const std::string_view base = family_name(f.name(), f.type());
        bool any = false; // a family without visible series writes nothing
        f.for_each_series([&](const series_node& s) {
            if (!any) {
                write_metadata(base, f.help(), f.type());
                any = true;
            }
            switch (f.type()) {
            case metric_type::counter:
                write_counter(f.name(), base, s);
                return;
            case metric_type::gauge:
                write_name_labels(f.name(), s.labels.view());
                out_.write_double(static_cast<const series<gauge>&>(s).metric.value());
                out_.put('\n');
                return;
            case metric_type::histogram:
                write_histogram(t, f.name(), f.bounds(), s);
                return;
            }
        });
    }

    void collected_family(std::string_view name, std::string_view help, metric_type type) override {
        write_metadata(family_name(name, type), help, type);
    }

    void collected_sample(std::string_view name, const collected_label* labels, std::size_t n,
                          double value) override {
        out_.write(name);
        if (n != 0) {
            char sep = '{';
            for (std::size_t i = 0; i < n; ++i) {
                out_.put(sep);
                sep = ',';
                out_.write(labels[i].first);
                out_.write("=\"", 2);
                write_escaped(labels[i].second);
                out_.put('"');
            }
            out_.put('}');
        }
        out_.put(' ');
        out_.write_double(value);
        out_.put('\n');
    }

private:
    // The MetricFamily name: a counter's samples add `_total` to it.
    static std::string_view family_name(std::string_view name, metric_type type) noexcept {
        constexpr std::string_view total = "_total";
        if (type == metric_type::counter && name.size() > total.size() &&
            name.substr(name.size() - total.size()) == total)
            name.remove_suffix(total.size());
        return name;
    }

    // OpenMetrics escapes backslash, newline and double quote alike in HELP and label values.
    void write_escaped(std::string_view text) {
        escape_pieces(text, true,
                      [this](const char* data, std::size_t size) { out_.write(data, size); });
    }

    void write_metadata(std::string_view name, std::string_view help, metric_type type) {
        out_.write("# HELP ", 7);
        out_.write(name);
        out_.put(' ');
        write_escaped(help);
        out_.write("\n# TYPE ", 8);
        out_.write(name);
        out_.put(' ');
        out_.write(type_name(type));
        out_.put('\n');
    }

    void write_name_labels(std::string_view name, std::string_view labels) {
        out_.write(name);
        if (!labels.empty()) {
            out_.put('{');
            out_.write(labels);
            out_.write("} ", 2);
        } else {
            out_.put(' ');
        }
    }

    void write_created(std::string_view base, const series_node& s) {
        out_.write(base);
        out_.write("_created", 8);
        if (!s.labels.empty()) {
            out_.put('{');
            out_.write(s.labels.view());
            out_.write("} ", 2);
        } else {
            out_.put(' ');
        }
        out_.write_double(s.created);
        out_.put('\n');
    }

    void write_counter(std::string_view name, std::string_view base, const series_node& s) {
        const counter& c = static_cast<const series<counter>&>(s).metric;
        write_name_labels(name, s.labels.view());
        if (c.is_whole())
            out_.write_uint(c.whole_value());
        else
            out_.write_double(c.value());
        out_.put('\n');
        write_created(base, s);
    }

    void write_histogram(const family_text& t, std::string_view name,
                         const std::vector<double>& bounds, const series_node& s) {
        const histogram& h = static_cast<const series<histogram>&>(s).metric;
        const std::size_t nb = bounds.size();
        std::uint64_t cumulative = 0;
        for (std::size_t i = 0; i <= nb; ++i) {
            cumulative += h.bucket_count(i);
            out_.write(t.bucket_prefix);
            if (!s.labels.empty()) {
                out_.write(s.labels.view());
                out_.put(',');
            }
            out_.write(t.le_suffixes[i]);
            out_.write_uint(cumulative);
            out_.put('\n');
        }
        // OpenMetrics treats _sum as a counter: it is left out (with _count, which goes with
        // it) when a bucket bound is negative or the sum is negative or NaN (a -Inf
        // observation), where it would not be one.
        const double sum = h.sum();
        if ((nb == 0 || bounds[0] >= 0) && sum >= 0) {
            write_name_labels(t.count_name, s.labels.view());
            out_.write_uint(cumulative); // equal to the +Inf bucket by construction
            out_.put('\n');
            write_name_labels(t.sum_name, s.labels.view());
            out_.write_double(sum);
            out_.put('\n');
        }
        write_created(name, s);
    }

    out_buffer& out_;
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
/// `buffer` or a `capacity` of 0 uses 64 bytes of stack.
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

/// The OpenMetrics exposition of `reg` as a new string. Allocates.
inline std::string to_openmetrics(const registry& reg) {
    std::string out;
    write_openmetrics(reg, out);
    return out;
}

VITALS_END_NAMESPACE

#endif // VITALS_EXPOSITION_OPENMETRICS_HPP
