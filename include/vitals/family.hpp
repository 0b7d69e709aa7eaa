// vitals/family.hpp - a named metric with fixed label names and one series per label set.
// SPDX-License-Identifier: MIT
#ifndef VITALS_FAMILY_HPP
#define VITALS_FAMILY_HPP

#include <vitals/config.hpp>
#include <vitals/counter.hpp>
#include <vitals/detail/escape.hpp>
#include <vitals/detail/text_output.hpp>
#include <vitals/error.hpp>
#include <vitals/gauge.hpp>
#include <vitals/histogram.hpp>

#include <algorithm>        // lower_bound
#include <cstddef>          // size_t
#include <cstdint>          // uint64_t
#include <initializer_list> // initializer_list
#include <memory>           // unique_ptr
#include <mutex>            // unique_lock
#include <shared_mutex>     // shared_mutex, shared_lock
#include <string>           // string
#include <string_view>      // string_view
#include <type_traits>      // is_same
#include <utility>          // pair, move
#include <vector>           // vector

VITALS_BEGIN_NAMESPACE

/// The kind of a metric family, as written on its `# TYPE` line.
enum class metric_type { counter, gauge, histogram };

/// The `# TYPE` keyword of a metric type.
constexpr std::string_view type_name(metric_type t) noexcept {
    return t == metric_type::counter ? "counter" : t == metric_type::gauge ? "gauge" : "histogram";
}

/// A label name and value pair (used for const labels).
using label = std::pair<std::string, std::string>;

/// Per-family settings beyond name, help and label names.
struct family_options {
    /// Labels with fixed values added to every series of the family (e.g. {"region", "eu"}).
    std::vector<label> const_labels;
    /// Bound on distinct label sets (removed series count until re-added). Beyond it new label
    /// sets share one overflow series whose label values are all `__overflow__`, and
    /// `vitals_series_overflow_total{family="<name>"}` counts the redirected lookups.
    std::size_t max_series = VITALS_DEFAULT_MAX_SERIES;
};

/// The label value used for the overflow series of a family past its cardinality bound.
constexpr std::string_view overflow_label_value = "__overflow__";

template <class Metric>
class family;

namespace detail {

template <class Metric>
struct metric_traits;
template <>
struct metric_traits<counter> {
    static constexpr metric_type type = metric_type::counter;
};
template <>
struct metric_traits<gauge> {
    static constexpr metric_type type = metric_type::gauge;
};
template <>
struct metric_traits<histogram> {
    static constexpr metric_type type = metric_type::histogram;
};

/// What every family shares, independent of its metric type. Owned by a registry.
class family_base {
public:
    family_base(const family_base&) = delete;
    family_base& operator=(const family_base&) = delete;
    virtual ~family_base() = default;

    /// The name on the `# HELP` / `# TYPE` lines (for counters it ends in `_total`).
    const std::string& name() const noexcept { return name_; }
    metric_type type() const noexcept { return type_; }
    const std::string& help() const noexcept { return help_; }
    const std::vector<std::string>& label_names() const noexcept { return label_names_; }
    const family_options& options() const noexcept { return options_; }
    const std::vector<double>& bounds() const noexcept { return bounds_; }

    /// Writes HELP, TYPE and every visible series; nothing when no series is visible.
    virtual void write(text_output& out) const = 0;

protected:
    family_base(metric_type type, std::string name, std::string help,
                std::vector<std::string> label_names, family_options options,
                std::vector<double> bounds)
        : type_(type), name_(std::move(name)), help_(std::move(help)),
          label_names_(std::move(label_names)), options_(std::move(options)),
          bounds_(std::move(bounds)) {
        header_ = "# HELP " + name_ + ' ';
        append_escaped(header_, help_, false);
        header_ += "\n# TYPE " + name_ + ' ';
        header_ += type_name(type_);
        header_ += '\n';
    }

    metric_type type_;
    std::string name_;
    std::string help_;
    std::vector<std::string> label_names_;
    family_options options_;
    std::vector<double> bounds_;
    std::string header_; // pre-rendered "# HELP ...\n# TYPE ...\n"

public:
    /// Set once by the owning registry before the family is shared.
    void set_overflow_family(family<counter>* f) noexcept { overflow_family_ = f; }

protected:
    family<counter>* overflow_family_ = nullptr; // counts lookups redirected to overflow
};

inline std::uint64_t hash_label_values(const std::string_view* values, std::size_t n) noexcept {
    std::uint64_t h = 0xcbf29ce484222325ULL; // FNV-1a, with each value's length mixed in so
    for (std::size_t i = 0; i < n; ++i) {    // ("ab","c") and ("a","bc") differ
        for (char c : values[i]) {
            h ^= static_cast<unsigned char>(c);
            h *= 0x100000001b3ULL;
        }
        h ^= values[i].size() + 0x9e3779b97f4a7c15ULL;
        h *= 0x100000001b3ULL;
    }
    return h ^ (h >> 29);
}

} // namespace detail

/// A metric family: one name, help text and fixed label names, with one Metric (counter,
/// gauge or histogram) per distinct label-value set. Created by a registry, which owns it.
///
/// labels() returns a reference that stays valid for the registry's lifetime, so hot code
/// looks a series up once and keeps the reference. Lookup of an existing series takes a
/// reader lock and does not allocate; creating a series takes a writer lock and allocates.
/// All members are thread-safe.
template <class Metric>
class family final : public detail::family_base {
public:
    /// The series for these label values (one per label name, in order), created on first
    /// use. A wrong number of values is reported through the error policy (vitals::error or
    /// the error handler); use try_labels() for a status instead.
    template <class... Values>
    Metric& labels(const Values&... values) {
        const std::string_view vals[sizeof...(Values) + 1] = {std::string_view(values)..., {}};
        return detail::value_or_fail(try_labels_n(vals, sizeof...(Values)));
    }
    /// labels() for values only known at run time.
    Metric& labels(const std::vector<std::string>& values) {
        std::vector<std::string_view> views(values.begin(), values.end());
        return detail::value_or_fail(try_labels_n(views.data(), views.size()));
    }
    /// Non-throwing labels(): the series, or errc::label_count_mismatch.
    template <class... Values>
    result<Metric> try_labels(const Values&... values) {
        const std::string_view vals[sizeof...(Values) + 1] = {std::string_view(values)..., {}};
        return try_labels_n(vals, sizeof...(Values));
    }

    /// Hides the series with these label values from the exposition. Returns whether a
    /// visible series was removed. References to it stay valid; writes through them are
    /// kept in the hidden series until it is re-added, which resets it to zero.
    template <class... Values>
    bool remove(const Values&... values) {
        const std::string_view vals[sizeof...(Values) + 1] = {std::string_view(values)..., {}};
        return remove_n(vals, sizeof...(Values));
    }

    /// Hides every series (see remove()).
    void clear() {
        std::unique_lock<std::shared_mutex> lock(mutex_);
        for (auto& s : series_) s->visible = false;
    }

    /// Number of visible series.
    std::size_t size() const {
        std::shared_lock<std::shared_mutex> lock(mutex_);
        std::size_t n = 0;
        for (const auto& s : series_) n += s->visible ? 1 : 0;
        return n;
    }

    /// Internal: use registry::counter() and friends.
    family(std::string name, std::string help, std::vector<std::string> label_names,
           family_options options, std::vector<double> bounds)
        : family_base(detail::metric_traits<Metric>::type, std::move(name), std::move(help),
                      std::move(label_names), std::move(options), std::move(bounds)) {
        std::string rendered_const;
        for (const auto& cl : options_.const_labels) append_label(rendered_const, cl.first, cl.second);
        const_rendered_ = rendered_const;
        if constexpr (std::is_same<Metric, histogram>::value) {
            std::string base = name_;
            bucket_prefix_ = base + "_bucket{";
            sum_prefix_ = base + "_sum";
            count_prefix_ = base + "_count";
            for (double b : bounds_) {
                char num[detail::max_number_chars];
                const std::size_t n = detail::format_double(num, b);
                le_suffixes_.push_back("le=\"" + std::string(num, n) + "\"} ");
            }
            le_suffixes_.push_back("le=\"+Inf\"} ");
        }
        // An unlabelled family has exactly one series, visible from the start (a counter
        // shows 0 before its first increment).
        if (label_names_.empty()) (void)try_labels_n(nullptr, 0);
    }

    void write(detail::text_output& out) const override {
        std::shared_lock<std::shared_mutex> lock(mutex_);
        bool any = false;
        for (const series* s : sorted_) {
            if (!s->visible) continue;
            if (!any) {
                out.write(header_);
                any = true;
            }
            write_series(out, *s);
        }
    }

private:
    struct series {
        template <class... Args>
        explicit series(Args&&... args) : metric(std::forward<Args>(args)...) {}
        Metric metric;
        std::uint64_t hash = 0;
        std::vector<std::string> values;
        std::string rendered; // `a="x",b="y"` escaped, const labels first, no braces
        bool visible = true;  // guarded by mutex_
    };

    static void append_label(std::string& out, std::string_view name, std::string_view value) {
        if (!out.empty()) out += ',';
        out.append(name.data(), name.size());
        out += "=\"";
        detail::append_escaped(out, value, true);
        out += '"';
    }

    void write_series(detail::text_output& out, const series& s) const {
        if constexpr (std::is_same<Metric, histogram>::value) {
            const histogram& h = s.metric;
            const std::size_t nb = h.bounds().size();
            std::uint64_t cumulative = 0;
            for (std::size_t i = 0; i <= nb; ++i) {
                cumulative += h.bucket_count(i);
                out.write(bucket_prefix_);
                if (!s.rendered.empty()) {
                    out.write(s.rendered);
                    out.put(',');
                }
                out.write(le_suffixes_[i]);
                out.write_uint(cumulative);
                out.put('\n');
            }
            write_name_labels(out, sum_prefix_, s);
            out.write_double(h.sum());
            out.put('\n');
            write_name_labels(out, count_prefix_, s);
            out.write_uint(cumulative); // equal to the +Inf bucket by construction
            out.put('\n');
        } else {
            write_name_labels(out, name_, s);
            if constexpr (std::is_same<Metric, counter>::value) {
                if (s.metric.is_whole())
                    out.write_uint(s.metric.whole_value());
                else
                    out.write_double(s.metric.value());
            } else {
                out.write_double(s.metric.value());
            }
            out.put('\n');
        }
    }

    static void write_name_labels(detail::text_output& out, const std::string& name,
                                  const series& s) {
        out.write(name);
        if (!s.rendered.empty()) {
            out.put('{');
            out.write(s.rendered);
            out.write("} ", 2);
        } else {
            out.put(' ');
        }
    }

    series* find(const std::string_view* vals, std::size_t n, std::uint64_t h) const noexcept {
        if (table_.empty()) return nullptr;
        const std::size_t mask = table_.size() - 1;
        for (std::size_t i = static_cast<std::size_t>(h) & mask;; i = (i + 1) & mask) {
            series* s = table_[i];
            if (!s) return nullptr;
            if (s->hash != h) continue;
            bool same = true;
            for (std::size_t k = 0; k < n && same; ++k) same = s->values[k] == vals[k];
            if (same) return s;
        }
    }

    void insert_into_table(series* s) {
        if ((series_.size() + 1) * 2 > table_.size()) {
            std::vector<series*> bigger(table_.empty() ? 8 : table_.size() * 2, nullptr);
            const std::size_t mask = bigger.size() - 1;
            for (series* old : table_) {
                if (!old) continue;
                std::size_t i = static_cast<std::size_t>(old->hash) & mask;
                while (bigger[i]) i = (i + 1) & mask;
                bigger[i] = old;
            }
            table_.swap(bigger);
        }
        const std::size_t mask = table_.size() - 1;
        std::size_t i = static_cast<std::size_t>(s->hash) & mask;
        while (table_[i]) i = (i + 1) & mask;
        table_[i] = s;
    }

    series* create(const std::string_view* vals, std::size_t n, std::uint64_t h) {
        std::unique_ptr<series> s;
        if constexpr (std::is_same<Metric, histogram>::value)
            s.reset(new series(bounds_));
        else
            s.reset(new series());
        s->hash = h;
        s->values.assign(vals, vals + n);
        s->rendered = const_rendered_;
        for (std::size_t k = 0; k < n; ++k) append_label(s->rendered, label_names_[k], vals[k]);
        series* raw = s.get();
        insert_into_table(raw);
        series_.push_back(std::move(s));
        const auto pos = std::lower_bound(
            sorted_.begin(), sorted_.end(), raw,
            [](const series* a, const series* b) { return a->values < b->values; });
        sorted_.insert(pos, raw);
        return raw;
    }

    result<Metric> try_labels_n(const std::string_view* vals, std::size_t n) {
        if (VITALS_DETAIL_UNLIKELY(n != label_names_.size()))
            return status(errc::label_count_mismatch,
                          "metric '" + name_ + "' has " + std::to_string(label_names_.size()) +
                              " label names but was given " + std::to_string(n) + " values");
        const std::uint64_t h = detail::hash_label_values(vals, n);
        {
            std::shared_lock<std::shared_mutex> lock(mutex_);
            series* s = find(vals, n, h);
            if (VITALS_DETAIL_LIKELY(s && s->visible)) return s->metric;
        }
        bool overflowed = false;
        series* s;
        {
            std::unique_lock<std::shared_mutex> lock(mutex_);
            s = find(vals, n, h);
            if (s) {
                if (!s->visible) {
                    s->metric.reset();
                    s->visible = true;
                }
            } else if (series_.size() < options_.max_series) {
                s = create(vals, n, h);
            } else {
                overflowed = true;
                std::vector<std::string_view> ov(n, overflow_label_value);
                const std::uint64_t oh = detail::hash_label_values(ov.data(), n);
                s = find(ov.data(), n, oh);
                if (!s) s = create(ov.data(), n, oh);
                s->visible = true;
            }
        }
        // Counted outside our lock: the overflow counter lives in another family.
        if (overflowed && overflow_family_) overflow_family_->labels(name_).inc();
        return s->metric;
    }

    bool remove_n(const std::string_view* vals, std::size_t n) {
        if (n != label_names_.size()) return false;
        const std::uint64_t h = detail::hash_label_values(vals, n);
        std::unique_lock<std::shared_mutex> lock(mutex_);
        series* s = find(vals, n, h);
        if (!s || !s->visible) return false;
        s->visible = false;
        return true;
    }

    mutable std::shared_mutex mutex_;
    std::vector<std::unique_ptr<series>> series_; // owns every series ever created
    std::vector<series*> table_;                  // open addressing by hash; never shrinks
    std::vector<series*> sorted_;                 // by label values: deterministic output
    std::string const_rendered_;
    // Histogram only: pre-rendered pieces of the sample lines.
    std::string bucket_prefix_, sum_prefix_, count_prefix_;
    std::vector<std::string> le_suffixes_;
};

/// Families of the three metric types.
using counter_family = family<counter>;
using gauge_family = family<gauge>;
using histogram_family = family<histogram>;

VITALS_END_NAMESPACE

#endif // VITALS_FAMILY_HPP
