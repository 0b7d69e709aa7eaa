// vitals/exposition/text.hpp - the Prometheus text exposition format 0.0.4 writer.
// SPDX-License-Identifier: MIT
#ifndef VITALS_EXPOSITION_TEXT_HPP
#define VITALS_EXPOSITION_TEXT_HPP

#include <vitals/config.hpp>
#include <vitals/counter.hpp>
#include <vitals/exposition/buffer.hpp>
#include <vitals/exposition/lines.hpp>
#include <vitals/exposition/model.hpp>
#include <vitals/family.hpp>
#include <vitals/histogram.hpp>
#include <vitals/registry.hpp>

#include <cstddef>     // size_t
#include <cstdint>     // uint64_t
#include <string>      // string
#include <string_view> // string_view

VITALS_BEGIN_NAMESPACE

/// The Content-Type of the text exposition format 0.0.4. A view of a whole string literal, so
/// data() is null-terminated and may be given to C APIs (printf("%s", text_content_type.data())).
inline constexpr std::string_view text_content_type = "text/plain; version=0.0.4; charset=utf-8";

namespace detail {

/// Writes a registry's walk in the text format 0.0.4 (info and stateset as gauges).
class text_writer final : public exposition_visitor {
public:
    explicit text_writer(out_buffer& out) noexcept : out_(out), lines_(out) {}

    static void render(const registry& reg, out_buffer& out) {
        text_writer w(out);
        registry_access::walk(reg, w);
    }

    void family(const family_base& f) override {
        const family_text& t = f.text();
        bool any = false; // a family without visible series writes nothing
        f.for_each_series(
            [&](const series_node& s) {
                if (!any) {
                    out_.write(t.header);
                    any = true;
                }
                if (f.type() == metric_type::counter)
                    write_counter(f, s);
                else if (f.type() == metric_type::histogram)
                    write_histogram(t, s);
                else
                    lines_.series_lines(f.type(), f.name(), t, s);
            },
            out_.pause_slot());
    }

    void collected_family(std::string_view name, std::string_view help, metric_type type,
                          std::string_view) override {
        out_.write("# HELP ", 7);
        out_.write(name);
        out_.put(' ');
        lines_.escaped(help, false);
        out_.write("\n# TYPE ", 8);
        out_.write(name);
        out_.put(' ');
        out_.write(text_type_name(type));
        out_.put('\n');
    }

    void collected_sample(std::string_view name, const collected_label* labels, std::size_t n,
                          double value) override {
        lines_.collected_sample(name, labels, n, value);
    }

    void collected_histogram(std::string_view name, const collected_label* labels, std::size_t n,
                             const double* bounds, const std::uint64_t* cumulative, std::size_t nb,
                             double sum) override {
        lines_.collected_histogram(name, labels, n, bounds, cumulative, nb, sum, true, false);
    }

    void collected_stateset(std::string_view name, const collected_label* labels, std::size_t n,
                            const collected_state* states, std::size_t ns) override {
        lines_.collected_stateset(name, labels, n, states, ns);
    }

    bool output_failed() const noexcept override { return out_.failed(); }

private:
    void write_counter(const family_base& f, const series_node& s) {
        const counter& c = static_cast<const series<counter>&>(s).metric;
        lines_.name_labels(f.name(), s.labels.view());
        if (c.is_whole())
            out_.write_uint(c.whole_value());
        else
            out_.write_double(c.value());
        out_.put('\n');
    }

    void write_histogram(const family_text& t, const series_node& s) {
        const histogram& h = static_cast<const series<histogram>&>(s).metric;
        const std::size_t nb = h.bounds().size();
        std::uint64_t cumulative = 0;
        for (std::size_t i = 0; i <= nb; ++i) {
            cumulative += h.bucket_count(i);
            lines_.bucket_prefix(t, s, i, false);
            out_.write_uint(cumulative);
            out_.put('\n');
        }
        lines_.name_labels(t.sum_name, s.labels.view());
        out_.write_double(h.sum());
        out_.put('\n');
        lines_.name_labels(t.count_name, s.labels.view());
        out_.write_uint(cumulative); // equal to the +Inf bucket by construction
        out_.put('\n');
    }

    out_buffer& out_;
    line_writer lines_;
};

} // namespace detail

/// Appends the exposition of `reg` to `out`. Families appear sorted by name, series sorted by
/// label values, collectors last. Reusing the same string (cleared) makes later calls
/// allocation-free once it has grown to fit. Thread-safe; runs concurrently with writers.
inline void write_text(const registry& reg, std::string& out) {
    detail::render_to_string(&detail::text_writer::render, reg, out);
}

/// Streams the exposition of `reg` through `sink` in chunks of at most `capacity` bytes,
/// using the caller's `buffer` and no heap memory of its own. Any capacity works; 64 bytes or
/// more avoids many tiny chunks. A null `buffer` or a `capacity` of 0 uses 64 bytes of stack.
/// A sink may throw to stop the render: the exception reaches the caller, and the sink is
/// not called again.
inline void write_text(const registry& reg, text_sink sink, void* context, char* buffer,
                       std::size_t capacity) {
    detail::render_to_sink(&detail::text_writer::render, reg, sink, context, buffer, capacity);
}

/// Streams the exposition of `reg` to a callable `fn(const char* data, std::size_t size)`,
/// through a 1 KiB buffer on the stack.
template <class Fn, class = detail::if_callable_sink<Fn>>
void write_text(const registry& reg, Fn&& fn) {
    detail::render_to_callable(&detail::text_writer::render, reg, fn);
}

/// The exposition of `reg` as a new string. Allocates once: the string is sized from the
/// previous to_text() of the same registry. In a loop, write_text(reg, out) into one string
/// that is cleared and reused allocates nothing at all.
inline std::string to_text(const registry& reg) {
    return detail::render_to_new_string(&detail::text_writer::render, reg,
                                        detail::registry_access::last_text_size(reg));
}

VITALS_END_NAMESPACE

#endif // VITALS_EXPOSITION_TEXT_HPP
