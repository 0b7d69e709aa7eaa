// vitals/exposition/lines.hpp - the sample-line pieces the text 0.0.4 and OpenMetrics writers
// share: names with pre-rendered labels, collected labels, stateset lines, escaping.
// SPDX-License-Identifier: MIT
#ifndef VITALS_EXPOSITION_LINES_HPP
#define VITALS_EXPOSITION_LINES_HPP

#include <vitals/config.hpp>
#include <vitals/detail/escape.hpp>
#include <vitals/detail/format_number.hpp>
#include <vitals/exposition/buffer.hpp>
#include <vitals/exposition/model.hpp>
#include <vitals/family.hpp>
#include <vitals/gauge.hpp>
#include <vitals/stateset.hpp>

#include <cstddef>     // size_t
#include <cstdint>     // uint64_t
#include <string_view> // string_view

VITALS_BEGIN_NAMESPACE
namespace detail {

/// Writes the parts of sample lines that both text formats spell alike.
class line_writer {
public:
    explicit line_writer(out_buffer& out) noexcept : out_(out) {}

    out_buffer& out() noexcept { return out_; }

    /// Escapes `text` (backslash, newline, and double quote when `quote`) into the output.
    void escaped(std::string_view text, bool quote) {
        escape_pieces(text, quote,
                      [this](const char* data, std::size_t size) { out_.write(data, size); });
    }

    /// `name{labels} ` or `name ` for pre-rendered labels.
    void name_labels(std::string_view name, std::string_view labels) {
        out_.write(name);
        if (!labels.empty()) {
            out_.put('{');
            out_.write(labels);
            out_.write("} ", 2);
        } else {
            out_.put(' ');
        }
    }

    /// `name<suffix>{a="x",b="y"} ` for a collector's labels (validated, escaped here).
    void name_collected_labels(std::string_view name, std::string_view suffix,
                               const collected_label* labels, std::size_t n) {
        out_.write(name);
        out_.write(suffix);
        if (n != 0) {
            char sep = '{';
            for (std::size_t i = 0; i < n; ++i) {
                out_.put(sep);
                sep = ',';
                collected_label_text(labels[i]);
            }
            out_.put('}');
        }
        out_.put(' ');
    }

    /// The lines of a collector's histogram series, `_bucket` with `le` (and, when
    /// `with_sum_count`, `_sum` and `_count`). OpenMetrics passes `canonical_le`: its `le`
    /// values are canonical numbers (`1.0`, not `1`).
    void collected_histogram(std::string_view name, const collected_label* labels, std::size_t n,
                             const double* bounds, const std::uint64_t* cumulative, std::size_t nb,
                             double sum, bool with_sum_count, bool canonical_le) {
        for (std::size_t i = 0; i <= nb; ++i) {
            open_collected(name, "_bucket", labels, n);
            out_.write("le=\"", 4);
            if (i < nb && canonical_le) {
                char num[max_number_chars];
                out_.write(num, format_canonical(num, bounds[i]));
            } else if (i < nb) {
                char num[max_number_chars];
                out_.write(num, format_label_number(num, bounds[i]));
            } else {
                out_.write("+Inf", 4);
            }
            out_.write("\"} ", 3);
            out_.write_uint(cumulative[i]);
            out_.put('\n');
        }
        if (!with_sum_count) return;
        name_collected_labels(name, "_sum", labels, n);
        out_.write_double(sum);
        out_.put('\n');
        name_collected_labels(name, "_count", labels, n);
        out_.write_uint(cumulative[nb]);
        out_.put('\n');
    }

    /// The lines of a collector's stateset series: `name{labels,name="state"} 1|0`.
    void collected_stateset(std::string_view name, const collected_label* labels, std::size_t n,
                            const collected_state* states, std::size_t ns) {
        for (std::size_t i = 0; i < ns; ++i) {
            open_collected(name, "", labels, n);
            collected_label_text(collected_label(name, states[i].first));
            out_.write(states[i].second ? "} 1\n" : "} 0\n", 4);
        }
    }

    /// A collector's `name{a="x"} value` line.
    void collected_sample(std::string_view name, const collected_label* labels, std::size_t n,
                          double value) {
        name_collected_labels(name, "", labels, n);
        out_.write_double(value);
        out_.put('\n');
    }

    /// The lines of a gauge, info or stateset series, which both formats spell alike (the
    /// writers write counters and histograms themselves).
    void series_lines(metric_type type, std::string_view name, const family_text& t,
                      const series_node& s) {
        if (type == metric_type::stateset) return stateset_lines(name, t, s);
        name_labels(name, s.labels.view());
        if (type == metric_type::info) return out_.write("1\n", 2);
        out_.write_double(static_cast<const series<gauge>&>(s).metric.value());
        out_.put('\n');
    }

    /// One line per state: `name{labels,name="state"} 1|0`.
    void stateset_lines(std::string_view name, const family_text& t, const series_node& s) {
        const std::uint64_t bits = static_cast<const series<stateset>&>(s).metric.bits();
        for (std::size_t i = 0; i < t.state_suffixes.size(); ++i) {
            out_.write(name);
            out_.put('{');
            if (!s.labels.empty()) {
                out_.write(s.labels.view());
                out_.put(',');
            }
            out_.write(t.state_suffixes[i]);
            out_.write((bits >> i & 1) != 0 ? "1\n" : "0\n", 2);
        }
    }

    /// The opening of a histogram bucket line, up to its count: `name_bucket{labels,le="x"} `
    /// (`le` as a canonical number for OpenMetrics).
    void bucket_prefix(const family_text& t, const series_node& s, std::size_t i,
                       bool openmetrics) {
        out_.write(t.bucket_prefix);
        if (!s.labels.empty()) {
            out_.write(s.labels.view());
            out_.put(',');
        }
        out_.write(openmetrics ? t.om_le_suffixes[i] : t.le_suffixes[i]);
    }

private:
    void collected_label_text(const collected_label& l) {
        out_.write(l.first);
        out_.write("=\"", 2);
        escaped(l.second, true);
        out_.put('"');
    }
    // `name<suffix>{a="x",` (the caller adds the last label and the closing brace).
    void open_collected(std::string_view name, std::string_view suffix,
                        const collected_label* labels, std::size_t n) {
        out_.write(name);
        out_.write(suffix);
        out_.put('{');
        for (std::size_t i = 0; i < n; ++i) {
            collected_label_text(labels[i]);
            out_.put(',');
        }
    }

    out_buffer& out_;
};

} // namespace detail
VITALS_END_NAMESPACE

#endif // VITALS_EXPOSITION_LINES_HPP
