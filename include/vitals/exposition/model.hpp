// vitals/exposition/model.hpp - what the exposition writers read: metric types, the
// pre-rendered text stored in families and series, and the walk over a registry.
// SPDX-License-Identifier: MIT
#ifndef VITALS_EXPOSITION_MODEL_HPP
#define VITALS_EXPOSITION_MODEL_HPP

#include <vitals/config.hpp>
#include <vitals/detail/escape.hpp>
#include <vitals/detail/format_number.hpp>
#include <vitals/error.hpp>

#include <cstddef>     // size_t
#include <cstdint>     // uint64_t
#include <string>      // string
#include <string_view> // string_view
#include <utility>     // pair
#include <vector>      // vector

VITALS_BEGIN_NAMESPACE

/// The kind of a metric family, as written on its OpenMetrics `# TYPE` line. The text format
/// 0.0.4 has no info and stateset: they appear there as gauges.
enum class metric_type { counter, gauge, histogram, info, stateset };

/// The OpenMetrics `# TYPE` keyword of a metric type.
constexpr std::string_view type_name(metric_type t) noexcept {
    switch (t) {
    case metric_type::counter:
        return "counter";
    case metric_type::gauge:
        return "gauge";
    case metric_type::histogram:
        return "histogram";
    case metric_type::info:
        return "info";
    case metric_type::stateset:
        break;
    }
    return "stateset";
}

namespace detail {
/// The `# TYPE` keyword of a metric type in the text format 0.0.4.
constexpr std::string_view text_type_name(metric_type t) noexcept {
    return t == metric_type::info || t == metric_type::stateset ? "gauge" : type_name(t);
}
} // namespace detail

namespace detail {

class family_base;

/// A series' labels rendered once, when the series is created, as `a="x",b="y"` (escaped,
/// no braces), so that a scrape copies them in one piece. Stored in each series; only the
/// exposition writers read it.
class label_text {
public:
    /// Appends `name="value"`, escaping the value.
    void append(std::string_view name, std::string_view value) {
        if (!text_.empty()) text_ += ',';
        text_.append(name.data(), name.size());
        text_ += "=\"";
        append_escaped(text_, value, true);
        text_ += '"';
    }
    std::string_view view() const noexcept { return text_; }
    bool empty() const noexcept { return text_.empty(); }

private:
    std::string text_;
};

/// The parts of a family's text 0.0.4 output that do not change between scrapes, rendered
/// when the family is registered. Only the exposition writers read it.
struct family_text {
    family_text(metric_type type, const std::string& name, std::string_view help,
                const std::vector<double>& bounds, const std::vector<std::string>& states) {
        // Each piece made by message() in one call: string operator+ chains and += of a char
        // cost code here, and embedded builds count it.
        header = message({"# HELP ", name, " "});
        append_escaped(header, help, false);
        header += message({"\n# TYPE ", name, " ", text_type_name(type), "\n"});
        if (type == metric_type::stateset) {
            // The state label is named after the family: `name="state"} `.
            state_suffixes.reserve(states.size());
            for (const std::string& st : states) {
                label_text l;
                l.append(name, st);
                state_suffixes.push_back(message({l.view(), "} "}));
            }
        }
        if (type != metric_type::histogram) return;
        le_suffixes.reserve(bounds.size() + 1);
        om_le_suffixes.reserve(bounds.size() + 1);
        for (double b : bounds) {
            char num[max_number_chars];
            std::size_t n = format_label_number(num, b);
            le_suffixes.push_back(message({"le=\"", std::string_view(num, n), "\"} "}));
            n = format_canonical(num, b);
            om_le_suffixes.push_back(message({"le=\"", std::string_view(num, n), "\"} "}));
        }
        le_suffixes.push_back("le=\"+Inf\"} ");
        om_le_suffixes.push_back("le=\"+Inf\"} ");
        bucket_prefix = message({name, "_bucket{"});
        sum_name = message({name, "_sum"});
        count_name = message({name, "_count"});
    }

    std::string header; // "# HELP ...\n# TYPE ...\n"
    // Histograms: pieces of the sample lines (one write each per line).
    std::vector<std::string> le_suffixes; // `le="0.5"} `, ..., `le="1"} `, `le="+Inf"} `
    // The same in OpenMetrics, whose `le` values must be canonical numbers: `le="1.0"} `.
    std::vector<std::string> om_le_suffixes;
    std::string bucket_prefix, sum_name, count_name;
    // Statesets: the state label of each state's sample line.
    std::vector<std::string> state_suffixes; // `name="a"} `, ...
};

/// A label of a sample written by a collector.
using collected_label = std::pair<std::string_view, std::string_view>;
/// A state of a stateset sample written by a collector, and whether it is set.
using collected_state = std::pair<std::string_view, bool>;

/// What a writer implements to receive a registry's content (registry::walk()): each
/// registered family in name order, then the families and samples collectors produce,
/// already validated. Runs under the registry's reader lock.
class exposition_visitor {
public:
    /// A registered family; the writer reads its series with family_base::for_each_series().
    virtual void family(const family_base& f) = 0;
    /// A collector starts a family (`name` is the full sample name, with `_total` for
    /// counters and `_info` for info); `unit` may be empty.
    virtual void collected_family(std::string_view name, std::string_view help, metric_type type,
                                  std::string_view unit) = 0;
    /// A sample of the current collected counter, gauge or info family.
    virtual void collected_sample(std::string_view name, const collected_label* labels,
                                  std::size_t n, double value) = 0;
    /// A series of the current collected histogram family: `nb` bounds and `nb + 1`
    /// cumulative counts.
    virtual void collected_histogram(std::string_view name, const collected_label* labels,
                                     std::size_t n, const double* bounds,
                                     const std::uint64_t* cumulative, std::size_t nb,
                                     double sum) = 0;
    /// A series of the current collected stateset family.
    virtual void collected_stateset(std::string_view name, const collected_label* labels,
                                    std::size_t n, const collected_state* states,
                                    std::size_t ns) = 0;
    /// Whether the output failed (its sink threw, or the string could not grow): an exception
    /// a collector caught is then the output's, which ends the render, not the collector's.
    virtual bool output_failed() const noexcept = 0;

protected:
    exposition_visitor() = default;
    exposition_visitor(const exposition_visitor&) = default;
    exposition_visitor& operator=(const exposition_visitor&) = default;
    ~exposition_visitor() = default;
};

} // namespace detail
VITALS_END_NAMESPACE

#endif // VITALS_EXPOSITION_MODEL_HPP
