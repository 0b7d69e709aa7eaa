// vitals/family.hpp - a named metric with fixed label names and one series per label set.
// SPDX-License-Identifier: MIT
#ifndef VITALS_FAMILY_HPP
#define VITALS_FAMILY_HPP

#include <vitals/config.hpp>
#include <vitals/counter.hpp>
#include <vitals/detail/escape.hpp>
#include <vitals/detail/exclusive_lock.hpp>
#include <vitals/detail/format_number.hpp>
#include <vitals/detail/label_hash.hpp>
#include <vitals/detail/names.hpp>
#include <vitals/detail/narrow.hpp>
#include <vitals/detail/scrape_scope.hpp>
#include <vitals/detail/shared_mutex.hpp>
#include <vitals/detail/sink_pause.hpp>
#include <vitals/error.hpp>
#include <vitals/exposition/model.hpp>
#include <vitals/gauge.hpp>
#include <vitals/histogram.hpp>
#include <vitals/info.hpp>
#include <vitals/record/family.hpp>
#include <vitals/stateset.hpp>

#include <atomic>      // atomic
#include <chrono>      // system_clock
#include <cstddef>     // size_t
#include <cstdint>     // uint64_t, uintptr_t
#include <cstring>     // memcpy, memmove, memset
#include <new>         // launder, operator new, placement new
#include <string>      // string
#include <string_view> // string_view
#include <type_traits> // integral_constant, is_trivially_copyable_v
#include <utility>     // pair, move, forward
#include <vector>      // vector

VITALS_BEGIN_NAMESPACE

class registry;

/// A label name and value pair (used for const labels).
using label = std::pair<std::string, std::string>;

static_assert(VITALS_DEFAULT_MAX_SERIES >= 1,
              "VITALS_DEFAULT_MAX_SERIES must be at least 1 (every registration would fail)");

/// Per-family settings beyond name, help and label names.
struct family_options {
    /// Labels with fixed values added to every series of the family (e.g. {"region", "eu"}).
    std::vector<label> const_labels;
    /// Bound on distinct label sets (removed series count until re-added). Beyond it new label
    /// sets share one overflow series whose label values are all `__overflow__`, and
    /// `vitals_series_overflow_total{family="<name>"}` counts the redirected lookups.
    std::size_t max_series = VITALS_DEFAULT_MAX_SERIES;
    /// Bound on the bytes of one label value. A label set with a longer value is sent to the
    /// overflow series and counted as above, not stored: such a value is unbounded input (a
    /// raw URL, a message, a user agent) that every series and scrape would carry. 2048 is
    /// the limit Cortex and Grafana Mimir enforce by default on the series they receive.
    /// A value given to labels() is measured as shown, each invalid UTF-8 byte as the 3
    /// bytes of U+FFFD. Const labels and stateset states must keep to it too, measured alike;
    /// registration refuses a longer one (errc::invalid_argument).
    std::size_t max_label_value_bytes = 2048;
    /// The unit, shown on OpenMetrics' `# UNIT` line (e.g. "seconds", "bytes"). The family's
    /// name (before a counter's `_total`) must end with `_<unit>`. Not for info or stateset.
    std::string unit{};
};

namespace detail {
/// Why `name` cannot label a family (of histograms when `histogram`) that already has the
/// labels `seen`; ok when it can. The registry checks every family's labels with it, and the
/// kits their const labels before registering anything.
template <class Names>
status check_label_name(std::string_view name, bool histogram, const Names& seen) {
    if (!is_valid_label_name(name))
        return {errc::invalid_label_name,
                message({"invalid label name ", message_value(name),
                         ": must match [a-zA-Z_][a-zA-Z0-9_]* and not start with '__'"})};
    if (histogram && name == "le")
        return {errc::invalid_label_name, "label name 'le' is reserved in histograms"};
    for (const auto& s : seen)
        if (std::string_view(s) == name)
            return {errc::duplicate_label_name, message({"label name '", name, "' repeated"})};
    return {};
}

/// `options` with `unit` set: kits declare the unit of each family they register.
inline family_options with_unit(family_options options, std::string unit) {
    options.unit = std::move(unit);
    return options;
}
} // namespace detail

/// A source of the current time as Unix seconds (with a fraction): stamps when a series was
/// created, for OpenMetrics' `_created` samples. See registry's constructor.
using unix_clock = double (*)() noexcept;

/// The system clock as Unix seconds; the default unix_clock.
inline double system_unix_time() noexcept {
    // The clock's ticks scaled by hand: what std::chrono::duration<double> computes, which
    // costs every file that includes this header a template instantiation.
    using clock = std::chrono::system_clock;
    const double ticks = static_cast<double>(clock::now().time_since_epoch().count());
    return ticks * clock::period::num / clock::period::den;
}

/// The label value used for the overflow series of a family past its cardinality bound.
inline constexpr std::string_view overflow_label_value = "__overflow__";

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
template <>
struct metric_traits<info> {
    static constexpr metric_type type = metric_type::info;
};
template <>
struct metric_traits<stateset> {
    static constexpr metric_type type = metric_type::stateset;
};

/// A series' alignment: a cache line. In the compact configuration, the 8 bytes any `new`
/// gives instead: an over-aligned series would link aligned operator new, 4 KiB of a static
/// armhf program, and its table slots then keep 3 bits of tag instead of 6.
#if VITALS_COMPACT
constexpr std::size_t series_alignment = 8;
#else
constexpr std::size_t series_alignment = 64;
#endif

/// One series of a family: its label values, its rendered labels and whether it is shown,
/// followed by its metric (see series). Never moved or freed while the family lives.
///
/// What a lookup reads (the hash, whether the series is shown and, for label sets up to
/// key_inline_size bytes, the values) comes first, so that a lookup that finds its series
/// touches one cache line of it besides the metric. Aligned to a cache line for that, and so
/// that a table slot can keep a tag in its address's low bits (see series_alignment).
struct alignas(series_alignment) series_node {
    series_node() noexcept = default;
    series_node(const series_node&) = delete;
    series_node& operator=(const series_node&) = delete;
    ~series_node() {
        if (key_data != key_inline) delete[] key_data;
    }

    static constexpr std::size_t key_inline_size =
        64 - sizeof(std::uint64_t) - sizeof(char*) - sizeof(std::atomic<bool>);

    std::uint64_t hash = 0;
    // The label values: in key_inline when they fit, else in an array of their own. First
    // each value's length (base-128 digits, low first: 1 byte under 128), then each value's
    // first 16 bytes, zero-padded to 8 bytes (up to 8 bytes long) or 16, then the bytes past
    // the 16th of each longer value. A lookup compares the first bytes as the words it hashed
    // (head_words), at places it knows from its own lengths once they match.
    char* key_data = key_inline;
    // Written under the family's mutex; read by lock-free lookups, hence atomic.
    std::atomic<bool> visible{true};
    char key_inline[key_inline_size];
    // Unix seconds when the series was created or last re-added (OpenMetrics `_created`).
    // Written under the family's writer lock; read by the exposition with no lock held.
    std::atomic<double> created{0.0};
    label_text labels; // const labels first; written by the exposition as they are
};

template <class Metric>
struct series final : series_node {
    template <class... Args>
    explicit series(Args&&... args) : metric(std::forward<Args>(args)...) {}
    Metric metric;
};

/// Makes room for `extra` more elements, growing geometrically, so that the insertions that
/// follow cannot throw (registration code allocates first, then publishes).
template <class T>
void reserve_more(std::vector<T>& v, std::size_t extra) {
    if (v.capacity() - v.size() < extra)
        v.reserve(v.size() + (v.size() > extra ? v.size() : extra));
}

/// The first index in [0, n) for which `before(i)` is false, where `before` holds for a
/// prefix of the range: a binary search over a sorted vector (std::partition_point without
/// the iterator machinery, which is costly to compile).
template <class Before>
std::size_t partition_index(std::size_t n, Before before) {
    std::size_t lo = 0;
    while (n > 0) {
        const std::size_t half = n / 2;
        if (before(lo + half)) {
            lo += half + 1;
            n -= half + 1;
        } else {
            n = half;
        }
    }
    return lo;
}

/// Inserts `value` at `pos` of a vector with room for it (see reserve_more): does not throw
/// then. Spelled out rather than std::vector::insert, which is costly to compile. Pointers
/// move with one memmove, half the time of the swap loop in a family of 300,000 series.
template <class T>
void insert_at(std::vector<T>& v, std::size_t pos, T value) noexcept {
    if constexpr (std::is_trivially_copyable_v<T>) {
        v.push_back(value);
        const std::size_t after = v.size() - 1 - pos;
        // NOLINTNEXTLINE(bugprone-sizeof-expression): T is the element moved, often a pointer
        std::memmove(v.data() + pos + 1, v.data() + pos, after * sizeof(T));
        v[pos] = value;
    } else {
        // Moved along rather than swapped: std::string's swap() is 300 bytes of library code
        // that embedded builds would link for this alone.
        if (pos == v.size()) {
            v.push_back(std::move(value));
            return;
        }
        v.push_back(std::move(v.back()));
        for (std::size_t i = v.size() - 2; i > pos; --i) v[i] = std::move(v[i - 1]);
        v[pos] = std::move(value);
    }
}

/// Whether the `n` bytes (1 to 8) that end at `a_end` and `b_end` are equal, where the 8 bytes
/// before each end can be read: one load each.
inline bool last_bytes_equal(const char* a_end, const char* b_end, std::size_t n) noexcept {
    const std::uint64_t differ = load_u64(a_end - 8) ^ load_u64(b_end - 8);
#if VITALS_DETAIL_LITTLE_ENDIAN
    return (differ >> (8 * (8 - n))) == 0; // the last bytes are the high ones
#else
    return (differ << (8 * (8 - n))) == 0;
#endif
}

/// Whether the `n` bytes at `a` and `b` are equal, compared a word at a time without a call
/// into the C library: label values are short, and memcmp's call cost more than comparing.
inline bool bytes_equal(const char* a, const char* b, std::size_t n) noexcept {
    if (n >= 8) {
        for (; n > 8; a += 8, b += 8, n -= 8)
            if (load_u64(a) != load_u64(b)) return false;
        return load_u64(a + n - 8) == load_u64(b + n - 8);
    }
    if (n >= 4) return load_u32(a) == load_u32(b) && load_u32(a + n - 4) == load_u32(b + n - 4);
    // 1 to 3 bytes: the first, middle and last cover them all.
    return n == 0 || ((a[0] ^ b[0]) | (a[n / 2] ^ b[n / 2]) | (a[n - 1] ^ b[n - 1])) == 0;
}

/// Everything a family does, for every metric type. It is not a template so that a
/// translation unit compiles it once rather than once per metric type (about half the
/// compile time of vitals.hpp went to those copies). Users hold the family<Metric> handle it
/// keeps in its own storage (see record/family.hpp), which reaches it through a pointer.
/// Owned by a registry; the exposition writers read it through the public read-only members.
class family_base {
public:
    family_base(const family_base&) = delete;
    family_base& operator=(const family_base&) = delete;
    ~family_base() {
        for (series_node* s : series_) delete_node(s);
        for (table* t = table_.load(std::memory_order_relaxed); t;) {
            table* previous = t->previous;
            delete t;
            t = previous;
        }
    }

    /// The name on the `# HELP` / `# TYPE` lines (for counters it ends in `_total`).
    const std::string& name() const noexcept { return name_; }
    /// Counter, gauge or histogram.
    metric_type type() const noexcept { return type_; }
    /// The help text, as given (unescaped).
    const std::string& help() const noexcept { return help_; }
    /// The label names, in the order labels() takes their values (const labels not included).
    const std::vector<std::string>& label_names() const noexcept { return label_names_; }
    /// The options the family was registered with.
    const family_options& options() const noexcept { return options_; }
    /// A histogram family's bucket bounds (empty for counters and gauges).
    const std::vector<double>& bounds() const noexcept { return bounds_.values; }
    /// A stateset family's state names (empty for other types).
    const std::vector<std::string>& states() const noexcept { return states_; }

    /// Hides every series (see family::remove()).
    void clear() {
        exclusive_lock lock(mutex_);
        for (series_node* s : series_) s->visible.store(false, std::memory_order_relaxed);
    }

    /// Number of visible series.
    std::size_t size() const {
        const reader_lock lock(mutex_, reader_turn::ahead);
        std::size_t n = 0;
        for (const series_node* s : series_) n += s->visible.load(std::memory_order_relaxed);
        return n;
    }

    /// The read-only walk the exposition writers use: calls `fn(const series_node&)` for
    /// every visible series, sorted by label values, under the family's reader lock. While
    /// `fn` runs the output's sink or grows the output string, the walk lets go of the lock
    /// (through `pause_slot`, see sink_pause): a writer waits for one buffer of output at most,
    /// and the sink may make, remove or clear series, here or in any family. The walk
    /// then goes on after the series it was writing: a series made meanwhile is written if it
    /// sorts after that one, and one hidden meanwhile is not written. A node is never freed
    /// while the family lives, so the series being written stays valid meanwhile.
    template <class Fn>
    void for_each_series(Fn&& fn, sink_pause*& pause_slot) const {
        // Only a walk inside its registry's top-level scrape, holding that registry's lock alone,
        // waits for writers (else renders overlapping back to back would keep a new series
        // waiting); a nested render may hold another registry's lock a writer waits for.
        walk_hold hold(
            mutex_, scrape_scope::at_most_one() ? reader_turn::after_writers : reader_turn::ahead,
            pause_slot);
        // The recent series, each after the sorted ones not greater than it: a merge by index,
        // with one call of `fn` (the writer's whole series, inlined once), and the vectors read
        // once (the compiler would reload them after each call of `fn`), again after a pause.
        series_node* const* sorted = sorted_.data();
        const recent_series* recent = recent_.data();
        std::size_t sorted_count = sorted_.size();
        std::size_t recent_count = recent_.size();
        std::size_t layout = layout_;
        std::size_t i = 0;
        std::size_t j = 0;
        std::size_t run_end = recent_count ? recent[0].at : sorted_count; // before recent[j]
        for (;;) {
            const series_node* s;
            if (i < run_end) {
                s = sorted[i++];
            } else if (j < recent_count) {
                s = recent[j++].node;
                run_end = j < recent_count ? recent[j].at : sorted_count;
            } else {
                break;
            }
            if (!s->visible.load(std::memory_order_relaxed)) continue;
            fn(*s);
            if (VITALS_DETAIL_LIKELY(!hold.paused)) continue;
            // The sink ran: series may have been made. Find the place after `s` again.
            hold.paused = false;
            sorted = sorted_.data();
            recent = recent_.data();
            sorted_count = sorted_.size();
            recent_count = recent_.size();
            if (layout != layout_) {
                layout = layout_;
                i = partition_index(sorted_count,
                                    [&](std::size_t k) { return !key_less(*s, *sorted[k]); });
                j = partition_index(recent_count,
                                    [&](std::size_t k) { return !key_less(*s, *recent[k].node); });
            }
            run_end = j < recent_count ? recent[j].at : sorted_count;
        }
    }

    /// The family's pre-rendered output pieces (read by the exposition writers).
    const family_text& text() const noexcept { return text_; }

private:
    friend class vitals::registry;
    template <class Full>
    friend struct include_family_hpp;

    /// The handle users hold, typed (the registry checked the type).
    template <class Metric>
    family<Metric>& handle() noexcept {
        return *std::launder(static_cast<family<Metric>*>(static_cast<void*>(handle_)));
    }

    // Makes the handle in handle_: it calls lookup_metric<Metric>, typed for the family's type,
    // or for 1 to 3 label names (nearly every family) lookup_metric_of, made for that count:
    // its loops over the values are written out, without a counter, a test and a branch each.
    // Not with VITALS_COMPACT, where the code they add matters more than their speed.
    template <class Metric>
    void make_handle() noexcept {
        static_assert(sizeof(family<Metric>) == sizeof(family_handle), "a handle is two pointers");
        void* (*lookup_fn)(family_base&, const std::string_view*, std::size_t) =
            &lookup_metric<Metric>;
#if !VITALS_COMPACT
        switch (label_names_.size()) {
        case 1:
            lookup_fn = &lookup_metric_of<Metric, 1>;
            break;
        case 2:
            lookup_fn = &lookup_metric_of<Metric, 2>;
            break;
        case 3:
            lookup_fn = &lookup_metric_of<Metric, 3>;
            break;
        default:
            break;
        }
#endif
        ::new (static_cast<void*>(handle_)) family<Metric>(*this, lookup_fn);
    }

    template <class Metric>
    static void* lookup_metric(family_base& f, const std::string_view* vals, std::size_t n) {
        return &static_cast<series<Metric>*>(f.lookup_or_fail(vals, n))->metric;
    }

    // lookup_metric() for a family of N label names.
    template <class Metric, std::size_t N>
    static void* lookup_metric_of(family_base& f, const std::string_view* vals, std::size_t n) {
        if (VITALS_DETAIL_UNLIKELY(n != N)) f.fail_label_count(n);
        series_node* s = f.lookup_counted(vals, std::integral_constant<std::size_t, N>());
        return &static_cast<series<Metric>*>(s)->metric;
    }

    /// Set once by the owning registry before the family is shared.
    void set_overflow_family(family_base* f) noexcept { overflow_family_ = f; }

    /// Set once by the owning registry before the family is shared: the clock that stamps
    /// series creation (the unlabelled series, made already, is stamped again).
    void set_clock(unix_clock clock) noexcept {
        clock_ = clock;
        for (series_node* s : series_) s->created.store(clock_(), std::memory_order_relaxed);
    }

    /// The series for `n` label values, created (or re-shown) on first use; null, with
    /// `*error` set, when `n` differs from the number of label names.
    series_node* lookup(const std::string_view* vals, std::size_t n, status* error) {
        if (VITALS_DETAIL_UNLIKELY(n != label_names_.size())) {
            *error = label_count_error(n);
            return nullptr;
        }
        return lookup_counted(vals, n);
    }

    /// lookup() reporting a wrong value count through the error policy.
    series_node* lookup_or_fail(const std::string_view* vals, std::size_t n) {
        if (VITALS_DETAIL_LIKELY(n == label_names_.size())) return lookup_counted(vals, n);
        fail_label_count(n);
    }

    /// Hides the series with these values; returns whether a visible one was removed.
    bool remove(const std::string_view* vals, std::size_t n) {
        if (n != label_names_.size()) return false;
        if (any_invalid_utf8(vals, n)) {
            const shown_values shown(vals, n);
            return remove(shown.data(), n);
        }
        const std::uint64_t h = hash_label_values(vals, n, hash_key_);
        exclusive_lock lock(mutex_);
        series_node* s = find(vals, n, h);
        if (!s || !s->visible.load(std::memory_order_relaxed)) return false;
        s->visible.store(false, std::memory_order_relaxed);
        return true;
    }

    /// Whether a visible series has these values (as labels() would find them). Lock-free,
    /// as a lookup: a series made or removed meanwhile may or may not be seen.
    bool shows(const std::string_view* vals, std::size_t n) const {
        if (n != label_names_.size()) return false;
        if (any_invalid_utf8(vals, n)) {
            const shown_values shown(vals, n);
            return shows(shown.data(), n);
        }
        const series_node* s = find(vals, n, hash_label_values(vals, n, hash_key_));
        return s && s->visible.load(std::memory_order_acquire);
    }

    family_base(metric_type type, std::string name, std::string help,
                std::vector<std::string> label_names, family_options options,
                std::vector<double> bounds, std::vector<std::string> states)
        : type_(type), name_(std::move(name)), help_(std::move(help)),
          label_names_(std::move(label_names)),
          options_(std::move(options)), bounds_{std::move(bounds)}, states_(std::move(states)),
          text_(type_, name_, help_, bounds_.values, states_) {
        switch (type_) { // the handle is trivially destructible: nothing to undo
        case metric_type::counter:
            make_handle<counter>();
            break;
        case metric_type::gauge:
            make_handle<gauge>();
            break;
        case metric_type::histogram:
            make_handle<histogram>();
            break;
        case metric_type::info:
            make_handle<info>();
            break;
        case metric_type::stateset:
            make_handle<stateset>();
            break;
        }
        for (const auto& cl : options_.const_labels) const_labels_.append(cl.first, cl.second);
        // An unlabelled family has exactly one series, visible from the start (a counter
        // shows 0 before its first increment).
        if (label_names_.empty())
            lookup_locked(nullptr, 0, hash_label_values(nullptr, 0, hash_key_));
    }

private:
    // The lookup table is read without any lock (a shared_mutex reader lock cost about as much
    // as the rest of a lookup, and its counter is one cache line every looking-up thread
    // writes). That is safe because (1) a series is fully built before a release store
    // publishes its slot, and is never freed or moved while the family lives; (2) a slot, once
    // set, never changes within a table; (3) a grown table is filled before it is published,
    // and the old one stays alive (chained by `previous`, at most as large as the current one in
    // total), so a reader still probing it sees a consistent, possibly stale, table. A miss
    // on a stale table only sends the caller to the locked path, which looks again.
    //
    // A slot is one pointer: the series' address (a multiple of series_alignment) plus the top
    // six bits of its hash as a tag (three in the compact configuration), null when empty. A
    // probe thus reads no series whose tag differs (63 in 64 of those it passes), and at one
    // pointer a slot the table is kept at most a quarter full for the memory a half-full one
    // of pointer and hash took: nearly every lookup then finds its series in the first slot,
    // and its branch predicted. (An offset into the series, not bits set in an integer, so
    // that no integer becomes a pointer.)
    using slot = std::atomic<char*>;
    static constexpr std::size_t slot_tag_mask = series_alignment - 1;
    static constexpr unsigned slot_tag_bits = series_alignment == 64 ? 6 : 3;
    static_assert(slot_tag_mask == (std::size_t{1} << slot_tag_bits) - 1, "a tag fills the mask");
    static std::size_t slot_tag(std::uint64_t h) noexcept {
        return narrow<std::size_t>(h >> (64 - slot_tag_bits));
    }
    static std::size_t entry_tag(const char* entry) noexcept {
        return reinterpret_cast<std::uintptr_t>(entry) & slot_tag_mask;
    }
    static series_node* entry_node(char* entry) noexcept {
        return static_cast<series_node*>(static_cast<void*>(entry - entry_tag(entry)));
    }
    struct table {
        explicit table(std::size_t n) : mask(n - 1), entries(new slot[n]) {
            for (std::size_t i = 0; i < n; ++i)
                entries[i].store(nullptr, std::memory_order_relaxed);
        }
        table(const table&) = delete;
        table& operator=(const table&) = delete;
        ~table() { delete[] entries; }
        std::size_t mask; // size - 1, size a power of two
        slot* entries;
        table* previous = nullptr; // the table this one replaced, kept for stale readers
    };

    static std::string decimal(std::size_t v) {
        char buf[max_number_chars];
        return std::string(buf, format_uint(buf, v));
    }

    // lookup() of as many values as label names; `Count` as for hash_label_values_counted().
    // hash_label_values_counted() fills `words` for each of the `n` values that find() reads;
    // g++ 12 at -O3 cannot see it and warns (-Wmaybe-uninitialized), so the warning is off
    // here rather than 128 bytes zeroed on every lookup.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
    template <class Count>
    series_node* lookup_counted(const std::string_view* vals, Count n) {
        head_words words[max_head_values];
        head_words* heads = n <= max_head_values ? words : nullptr;
        const std::uint64_t h = hash_label_values_counted(vals, n, hash_keys_, heads);
        // Read before the probe, so that a miss past the bound needs no second probe (see
        // lookup_missed).
        series_node* overflow = overflow_series_.load(std::memory_order_acquire);
        // Lock-free fast path: see the comment on `table`.
        series_node* s = find(vals, n, h, heads);
        if (VITALS_DETAIL_LIKELY(s && s->visible.load(std::memory_order_acquire))) return s;
        if (s) return lookup_locked(vals, n, h);
        return lookup_missed(vals, n, h, heads, overflow, heads && values_ascii(vals, n, heads));
    }
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

    [[noreturn]] VITALS_DETAIL_NOINLINE void fail_label_count(std::size_t given) const {
        fail(label_count_error(given));
    }

    // "metric 'x' has 2 label names [method, code] but was given 1 value".
    VITALS_DETAIL_NOINLINE status label_count_error(std::size_t given) const {
        std::string names;
        for (const std::string& ln : label_names_) names += (names.empty() ? "" : ", ") + ln;
        return status(
            errc::label_count_mismatch,
            message({"metric '", name_, "' has ", decimal(label_names_.size()),
                     label_names_.size() == 1 ? " label name [" : " label names [", names,
                     "] but was given ", decimal(given), given == 1 ? " value" : " values"}));
    }

    // for_each_series()'s hold of the reader lock, which the output buffer lets go of while
    // the sink runs (`paused` tells the walk so), and which it puts in the buffer's slot.
    struct walk_hold : sink_pause {
        walk_hold(writer_first_mutex& m, reader_turn t, sink_pause*& slot)
            : sink_pause{&let_go, &take_back}, mutex(m), turn(t), slot_(slot), outer_(slot) {
            take_back(*this);
            paused = false;
            slot_ = this;
        }
        walk_hold(const walk_hold&) = delete;
        walk_hold& operator=(const walk_hold&) = delete;
        ~walk_hold() {
            slot_ = outer_;
            if (held) mutex.unlock_shared();
        }
        static void let_go(sink_pause& p) noexcept {
            auto& h = static_cast<walk_hold&>(p);
            h.mutex.unlock_shared();
            h.held = false;
        }
        static void take_back(sink_pause& p) {
            auto& h = static_cast<walk_hold&>(p);
            if (h.turn == reader_turn::after_writers)
                h.mutex.lock_shared();
            else
                h.mutex.lock_shared_ahead();
            h.held = true;
            h.paused = true;
        }
        writer_first_mutex& mutex;
        const reader_turn turn;
        bool held = false;
        bool paused = false;

    private:
        sink_pause*& slot_;
        sink_pause* const outer_;
    };

    // The metric types are known here, so series are made, reset and freed by a switch
    // rather than through virtual functions of a template.
    series_node* new_node() const {
        switch (type_) {
        case metric_type::counter:
            return new series<counter>();
        case metric_type::gauge:
            return new series<gauge>();
        case metric_type::info:
            return new series<info>();
        case metric_type::stateset:
            return new series<stateset>(states_); // states_ outlives it
        case metric_type::histogram:
            break;
        }
        return new series<histogram>(borrowed_bounds_tag{}, bounds_); // bounds_ outlives it
    }

    void delete_node(series_node* s) const noexcept {
        switch (type_) {
        case metric_type::counter:
            delete static_cast<series<counter>*>(s);
            return;
        case metric_type::gauge:
            delete static_cast<series<gauge>*>(s);
            return;
        case metric_type::histogram:
            delete static_cast<series<histogram>*>(s);
            return;
        case metric_type::info:
            delete static_cast<series<info>*>(s);
            return;
        case metric_type::stateset:
            delete static_cast<series<stateset>*>(s);
            return;
        }
    }

    void reset_metric(series_node& s) const noexcept {
        switch (type_) {
        case metric_type::counter:
            static_cast<series<counter>&>(s).metric.reset();
            return;
        case metric_type::gauge:
            static_cast<series<gauge>&>(s).metric.reset();
            return;
        case metric_type::histogram:
            static_cast<series<histogram>&>(s).metric.reset();
            return;
        case metric_type::info:
            return;
        case metric_type::stateset:
            static_cast<series<stateset>&>(s).metric.reset();
            return;
        }
    }

public:
    // A series' key (see series_node): how it is written and compared. Public, static and
    // free of the family's state so that tests can compare keys directly: through lookups, a
    // comparison that fails to tell two label sets apart shows only when their hashes collide.

    // The most values a lookup keeps the head_words of, to compare with (on the stack).
    static constexpr std::size_t max_head_values = 8;

    // The bytes of a key that hold a value's first bytes (see series_node).
    static std::size_t head_block_size(std::size_t len) noexcept { return len > 8 ? 16 : 8; }

    // Stores the values in s's key (see series_node); allocates only past key_inline_size.
    static void encode_key(series_node& s, const std::string_view* vals, std::size_t n) {
        std::size_t total = 0;
        for (std::size_t k = 0; k < n; ++k) {
            const std::size_t len = vals[k].size();
            total += length_digits(len) + head_block_size(len) + (len > 16 ? len - 16 : 0);
        }
        char* out = total <= series_node::key_inline_size ? s.key_inline : new char[total];
        s.key_data = out;
        for (std::size_t k = 0; k < n; ++k) {
            for (std::size_t len = vals[k].size();; len >>= 7) {
                *out++ = static_cast<char>((len & 0x7f) | (len > 0x7f ? 0x80 : 0));
                if (len <= 0x7f) break;
            }
        }
        for (std::size_t k = 0; k < n; ++k) {
            const std::size_t len = vals[k].size();
            std::memset(out, 0, head_block_size(len));
            if (len > 0) std::memcpy(out, vals[k].data(), len < 16 ? len : 16);
            out += head_block_size(len);
        }
        for (std::size_t k = 0; k < n; ++k) {
            if (vals[k].size() <= 16) continue;
            std::memcpy(out, vals[k].data() + 16, vals[k].size() - 16);
            out += vals[k].size() - 16;
        }
    }

    static std::size_t length_digits(std::size_t len) noexcept {
        std::size_t digits = 1;
        for (; len > 0x7f; len >>= 7) ++digits;
        return digits;
    }

    // The length at `p` in a key's lengths; advances p past it.
    static std::size_t next_length(const char*& p) noexcept {
        std::size_t len = static_cast<unsigned char>(*p++);
        if (VITALS_DETAIL_UNLIKELY(len > 0x7f)) {
            len &= 0x7f;
            for (unsigned shift = 7;; shift += 7) {
                const std::size_t digit = static_cast<unsigned char>(*p++);
                len |= (digit & 0x7f) << shift;
                if (digit <= 0x7f) break;
            }
        }
        return len;
    }

    // Reads a key's values in order, each as its first 16 bytes and the rest.
    class key_reader {
    public:
        key_reader(const char* key, std::size_t n) noexcept : lengths_(key), heads_(key) {
            std::size_t heads_size = 0;
            for (std::size_t k = 0; k < n; ++k) heads_size += head_block_size(next_length(heads_));
            rests_ = heads_ + heads_size;
        }
        void next(std::string_view& head, std::string_view& rest) noexcept {
            const std::size_t len = next_length(lengths_);
            head = std::string_view(heads_, len < 16 ? len : 16);
            heads_ += head_block_size(len);
            rest = std::string_view(rests_, len > 16 ? len - 16 : 0);
            rests_ += rest.size();
        }

    private:
        const char* lengths_;
        const char* heads_;
        const char* rests_ = nullptr;
    };

    // Whether s holds these values. With `heads` (the values' head_words), values shorter than
    // 128 bytes are compared as words at places known from their lengths: no length decoding,
    // no comparison that depends on the one before it, and no byte loops below 17 bytes.
    template <class Count>
    static bool key_equals(const series_node& s, const std::string_view* vals, Count n,
                           const head_words* heads) noexcept {
        const std::size_t count = n; // a class type in a loop's test drops the unroll hint
        std::size_t all_lengths = 0;
        VITALS_DETAIL_UNROLL
        for (std::size_t k = 0; k < count; ++k) all_lengths |= vals[k].size();
        // The key read from key_inline, not through key_data: the loads then wait only for the
        // series' address, not for a load of the pointer first (the test of key_data, nearly
        // always true, is predicted and so waited for by nothing).
        if (VITALS_DETAIL_UNLIKELY(!heads || all_lengths > 0x7f || s.key_data != s.key_inline))
            return key_equals_read(s, vals, n);
        const char* key = s.key_inline;
        std::uint64_t differ = 0;
        VITALS_DETAIL_UNROLL
        for (std::size_t k = 0; k < count; ++k)
            differ |= static_cast<unsigned char>(key[k]) ^ vals[k].size();
        if (differ != 0) return false; // then the places below are the key's own
        const char* block = key + count;
        VITALS_DETAIL_UNROLL
        for (std::size_t k = 0; k < count; ++k) {
            differ |= load_u64(block) ^ heads[k].lo;
            if (vals[k].size() > 8) {
                differ |= load_u64(block + 8) ^ heads[k].hi;
                block += 16;
            } else {
                block += 8;
            }
        }
        if (differ != 0) return false;
        bool same = true;
        VITALS_DETAIL_UNROLL
        for (std::size_t k = 0; k < count; ++k) {
            if (vals[k].size() <= 16) continue;
            const std::size_t rest = vals[k].size() - 16;
            block += rest;
            same =
                same && (rest <= 8 ? last_bytes_equal(block, vals[k].data() + vals[k].size(), rest)
                                   : bytes_equal(block - rest, vals[k].data() + 16, rest));
        }
        return same;
    }

    // key_equals() reading the key value by value: any lengths, no head_words needed.
    VITALS_DETAIL_NOINLINE static bool
    key_equals_read(const series_node& s, const std::string_view* vals, std::size_t n) noexcept {
        key_reader r(s.key_data, n);
        for (std::size_t k = 0; k < n; ++k) {
            std::string_view head, rest;
            r.next(head, rest);
            const std::string_view v = vals[k];
            if (head.size() + rest.size() != v.size() ||
                !bytes_equal(head.data(), v.data(), head.size()) ||
                !bytes_equal(rest.data(), v.data() + head.size(), rest.size()))
                return false;
        }
        return true;
    }

private:
    // Lexicographic by values, as std::vector<std::string> compares: the exposition order.
    bool key_less(const series_node& a, const series_node& b) const noexcept {
        key_reader ra(a.key_data, label_names_.size());
        key_reader rb(b.key_data, label_names_.size());
        for (std::size_t k = 0; k < label_names_.size(); ++k) {
            std::string_view head_a, rest_a, head_b, rest_b;
            ra.next(head_a, rest_a);
            rb.next(head_b, rest_b);
            // Heads differ, or are equal and both 16 bytes or both the whole value.
            int c = head_a.compare(head_b);
            if (c == 0) c = rest_a.compare(rest_b);
            if (c != 0) return c < 0;
        }
        return false;
    }

    template <class Count = std::size_t>
    series_node* find(const std::string_view* vals, Count n, std::uint64_t h,
                      const head_words* heads = nullptr) const noexcept {
        const table* t = table_.load(std::memory_order_acquire);
        if (!t) return nullptr;
        const std::size_t tag = slot_tag(h);
        for (std::size_t i = narrow<std::size_t>(h) & t->mask;; i = (i + 1) & t->mask) {
            char* entry = t->entries[i].load(std::memory_order_acquire);
            if (!entry) return nullptr;
            if (entry_tag(entry) == tag && key_equals(*entry_node(entry), vals, n, heads))
                return entry_node(entry);
        }
    }

    static void place(table& t, series_node* s) noexcept {
        std::size_t i = narrow<std::size_t>(s->hash) & t.mask;
        while (t.entries[i].load(std::memory_order_relaxed)) i = (i + 1) & t.mask;
        t.entries[i].store(reinterpret_cast<char*>(s) + slot_tag(s->hash),
                           std::memory_order_release);
    }

    // Called with mutex_ held (unique). Everything that can throw happens before the new
    // series is published, so a failed allocation leaves the family as it was.
    series_node* create(const std::string_view* vals, std::size_t n, std::uint64_t h) {
        // A small family inserts into sorted_ directly, which is quicker while it is small; so
        // does every family with VITALS_COMPACT, where the code recent_ adds matters more.
#if VITALS_COMPACT
        constexpr bool direct = true;
#else
        const bool direct = sorted_.size() < sorted_directly_below;
#endif
        if (!direct && recent_.size() >= recent_limit()) merge_recent();
        reserve_more(series_, 1);
        reserve_more(sorted_, direct ? 1 : 0);
        if (!direct) recent_.reserve_one();
        table* t = table_.load(std::memory_order_relaxed);
        table* bigger = nullptr;
        if (!t || (series_.size() + 1) * 4 > t->mask + 1) { // at most a quarter full
            bigger = new table(t ? (t->mask + 1) * 2 : 8);
        }
        series_node* s = nullptr;
        try_or_cleanup(
            [&] {
                s = new_node();
                s->hash = h;
                s->created.store(clock_(), std::memory_order_relaxed);
                encode_key(*s, vals, n);
                s->labels = const_labels_;
                for (std::size_t k = 0; k < n; ++k) s->labels.append(label_names_[k], vals[k]);
            },
            [&] {
                if (s) delete_node(s);
                delete bigger;
            });
        if (bigger) { // nothing below throws
            for (series_node* old : series_) place(*bigger, old);
            bigger->previous = t;
            table_.store(bigger, std::memory_order_release);
            t = bigger;
        }
        place(*t, s);
        series_.push_back(s);
        const std::size_t at = partition_index( // after every key not greater than s's
            sorted_.size(), [&](std::size_t i) { return !key_less(*s, *sorted_[i]); });
        ++layout_;
        if (direct) {
            insert_at(sorted_, at, s);
            return s;
        }
        const std::size_t pos = partition_index(recent_.size(), [&](std::size_t i) {
            return recent_[i].at < at || (recent_[i].at == at && !key_less(*s, *recent_[i].node));
        });
        recent_.insert(pos, recent_series{at, s});
        return s;
    }

    // Below this many series in sorted_, create() inserts there (recent_ stays empty).
    static constexpr std::size_t sorted_directly_below = 2048;

    // How many series recent_ holds before they join sorted_: the smallest power of two whose
    // square is at least the family's size (64 at least). A new series then moves about the
    // square root of that many pointers, in its insert and (spread over the series that fill
    // recent_) in the merge, where one sorted vector moved half of them: with 300,000 series
    // a new one cost about 40 times what it costs with 1,000, and now about 10 times
    // (bench/series_create.cpp).
    std::size_t recent_limit() const noexcept {
        std::size_t limit = 64;
        while (limit * limit < sorted_.size()) limit *= 2;
        return limit;
    }

    // Moves recent_ into sorted_, in place from the back: each run of sorted_ moves once, by
    // the count of recent series after it. Allocates (sorted_ grows as a vector does) before it
    // changes anything. Under the writer lock.
    void merge_recent() {
        reserve_more(sorted_, recent_.size());
        ++layout_; // even if the series it makes room for is not made after all
        std::size_t end = sorted_.size(); // the sorted series not yet moved are [0, end)
        for (std::size_t j = 0; j < recent_.size(); ++j) sorted_.push_back(nullptr);
        std::size_t out = sorted_.size(); // [out, size) is in place
        for (std::size_t j = recent_.size(); j-- > 0;) {
            const std::size_t at = recent_[j].at;
            out -= end - at;
            // NOLINTNEXTLINE(bugprone-sizeof-expression): the elements moved are pointers
            const std::size_t bytes = (end - at) * sizeof(series_node*);
            std::memmove(sorted_.data() + out, sorted_.data() + at, bytes);
            end = at;
            sorted_[--out] = recent_[j].node;
        }
        recent_.clear();
    }

    // Runs `body`; if it throws, runs `cleanup` and rethrows. Without exceptions, just body.
    template <class Body, class Cleanup>
    static void try_or_cleanup(Body&& body, Cleanup&& cleanup) {
#if VITALS_DETAIL_CAN_CATCH()
        try {
            body();
        } catch (...) {
            cleanup();
            throw;
        }
#else
        (void)cleanup;
        body();
#endif
    }

    // A label set the lock-free table did not have. Once the family has overflowed, such a
    // lookup is sent to the overflow series without a lock or an allocation, so that traffic
    // past the bound costs about what a known label set does and never waits for (or holds up)
    // a scrape. A probe made after reading a non-null overflow_series_ is final: a family
    // creates no series once it has an overflow series, and every slot it ever published was
    // stored before overflow_series_ was. `overflow` is what the caller read before its probe;
    // when that was null, the family may have overflowed since, just after publishing a slot
    // the probe missed, hence a second probe then.
    VITALS_DETAIL_NOINLINE series_node* lookup_missed(const std::string_view* vals, std::size_t n,
                                                      std::uint64_t h, const head_words* heads,
                                                      series_node* overflow, bool ascii) {
        // Values with invalid UTF-8 are shown with U+FFFD in its place, so they name the
        // series of that shown form: "\xff" and "\xfe" would otherwise be two series written
        // with the same labels. Never in the table themselves, they always come here (and
        // allocate); valid values pay for the check only when they miss, and values known
        // to be ASCII (values_ascii()) not at all.
        if (VITALS_DETAIL_UNLIKELY(!ascii && any_invalid_utf8(vals, n))) {
            // Shown, a value is at least as long (U+FFFD takes 3 bytes), so one too long
            // goes to the overflow series as it is: it is not copied, whatever its size.
            if (any_too_long(vals, n)) return lookup_too_long(n);
            const shown_values shown(vals, n);
            return lookup_counted(shown.data(), n);
        }
        if (!overflow) {
            overflow = overflow_series_.load(std::memory_order_acquire);
            if (overflow && find(vals, n, h, heads)) overflow = nullptr;
        }
        if (overflow && overflow->visible.load(std::memory_order_acquire)) {
            count_overflow();
            return overflow;
        }
        // Tested only now: past the bound, values too long go to the overflow series anyway.
        if (VITALS_DETAIL_UNLIKELY(any_too_long(vals, n))) return lookup_too_long(n);
        return lookup_locked(vals, n, h);
    }

    // Whether the values are all ASCII, tested on the head words the lookup hashed and, past
    // 16 bytes, the value's other bytes (up to 8 of them in the one word that ends the value).
    template <class Count>
    static bool values_ascii(const std::string_view* vals, Count n,
                             const head_words* heads) noexcept {
        const std::size_t count = n; // a class type in a loop's test drops the unroll hint
        std::uint64_t bytes = 0;
        bool rest_ascii = true;
        VITALS_DETAIL_UNROLL
        for (std::size_t i = 0; i < count; ++i) {
            bytes |= heads[i].lo | heads[i].hi;
            const std::size_t len = vals[i].size();
            if (len <= 16) continue;
            if (len <= 24)
                bytes |= load_u64(vals[i].data() + len - 8);
            else
                rest_ascii = rest_ascii && detail::all_ascii(vals[i].data() + 16, len - 16);
        }
        return rest_ascii && (bytes & 0x8080808080808080ULL) == 0;
    }

    static bool any_invalid_utf8(const std::string_view* vals, std::size_t n) noexcept {
        bool ascii = true; // nearly always: then one test, and no branch per value
        for (std::size_t i = 0; i < n; ++i) ascii &= all_ascii(vals[i].data(), vals[i].size());
        if (VITALS_DETAIL_LIKELY(ascii)) return false;
        for (std::size_t i = 0; i < n; ++i)
            if (has_invalid_utf8(vals[i])) return true;
        return false;
    }

    // Label values as the exposition shows them (invalid UTF-8 replaced), and views of them:
    // on the stack when they are few and short, so that a lookup past the bound allocates
    // nothing for them either (values from clients, where a flood comes from).
    class shown_values {
    public:
        shown_values(const std::string_view* vals, std::size_t n) {
            // One block, the views followed by the bytes they view: a single allocation past
            // the stack's, and little code (the compact configuration counts its bytes).
            std::size_t total = n * sizeof(std::string_view);
            for (std::size_t i = 0; i < n; ++i) total += shown_size(vals[i]);
            void* block = on_stack_;
            if (total > sizeof on_stack_) block = heap_ = ::operator new(total);
            views_ = static_cast<std::string_view*>(block);
            char* out = reinterpret_cast<char*>(views_ + n);
            for (std::size_t i = 0; i < n; ++i) {
                const std::size_t k = write_shown(out, vals[i]);
                ::new (static_cast<void*>(views_ + i)) std::string_view(out, k);
                out += k;
            }
        }
        shown_values(const shown_values&) = delete;
        shown_values& operator=(const shown_values&) = delete;
        ~shown_values() { ::operator delete(heap_); }
        const std::string_view* data() const noexcept { return views_; }

    private:
        alignas(std::string_view) unsigned char on_stack_[384];
        void* heap_ = nullptr;
        std::string_view* views_;
    };

    bool any_too_long(const std::string_view* vals, std::size_t n) const noexcept {
        bool too_long = false;
        for (std::size_t i = 0; i < n; ++i)
            too_long |= vals[i].size() > options_.max_label_value_bytes;
        return too_long;
    }

    // A label set with a value over max_label_value_bytes: counted into the overflow series
    // (made for it if the family has not overflowed), which is kept at hand so that a flood of
    // such values neither allocates nor takes the lock.
    VITALS_DETAIL_NOINLINE series_node* lookup_too_long(std::size_t n) {
        series_node* s = overflow_node_.load(std::memory_order_acquire);
        if (!s || !s->visible.load(std::memory_order_acquire)) {
            exclusive_lock lock(mutex_);
            s = overflow_node_locked(n);
        }
        count_overflow();
        return s;
    }

    // The series whose values are all overflow_label_value, made or shown again (at zero, after
    // clear() or remove()) if need be. Under the family's lock.
    series_node* overflow_node_locked(std::size_t n) {
        series_node* s = overflow_node_.load(std::memory_order_relaxed);
        if (!s) {
            std::vector<std::string_view> ov(n, overflow_label_value);
            const std::uint64_t oh = hash_label_values(ov.data(), n, hash_key_);
            s = find(ov.data(), n, oh);
            // Made here, it takes no slot of max_series; a label set the program made itself
            // with these values took one when it was made, and keeps it.
            if (!s) {
                s = create(ov.data(), n, oh);
                overflow_uncounted_ = true;
            }
            overflow_node_.store(s, std::memory_order_release);
        }
        if (!s->visible.load(std::memory_order_relaxed)) {
            reset_metric(*s);
            s->created.store(clock_(), std::memory_order_relaxed);
            s->visible.store(true, std::memory_order_release);
        }
        return s;
    }

    using reader_lock = shared_lock_of;

    // Counts a lookup redirected to the overflow series, in this family's series of the
    // registry's overflow counter; the series is looked up once and kept (again only if it
    // was hidden, e.g. by clearing that family).
    void count_overflow() {
        if (!overflow_family_) return;
        series_node* c = overflow_count_.load(std::memory_order_acquire);
        if (VITALS_DETAIL_UNLIKELY(!c || !c->visible.load(std::memory_order_acquire))) {
            const std::string_view family_name = name_;
            c = overflow_family_->lookup_counted(&family_name, std::size_t{1});
            overflow_count_.store(c, std::memory_order_release);
        }
        static_cast<series<counter>*>(c)->metric.inc();
    }

    VITALS_DETAIL_NOINLINE series_node* lookup_locked(const std::string_view* vals, std::size_t n,
                                                      std::uint64_t h) {
        bool overflowed = false;
        series_node* s;
        {
            exclusive_lock lock(mutex_);
            s = find(vals, n, h);
            if (s) {
                if (!s->visible.load(std::memory_order_relaxed)) {
                    reset_metric(*s);
                    s->created.store(clock_(), std::memory_order_relaxed);
                    s->visible.store(true, std::memory_order_release);
                }
            } else if (series_.size() - (overflow_uncounted_ ? 1 : 0) < options_.max_series) {
                s = create(vals, n, h);
            } else {
                overflowed = true;
                s = overflow_node_locked(n);
                overflow_series_.store(s, std::memory_order_release);
            }
        }
        // Counted outside our lock: the overflow counter lives in another family.
        if (overflowed) count_overflow();
        return s;
    }

    metric_type type_;
    std::string name_;
    std::string help_;
    std::vector<std::string> label_names_;
    family_options options_;
    bucket_bounds bounds_;            // histograms: shared by the series
    std::vector<std::string> states_; // statesets: the state names
    family_text text_;                // pre-rendered output pieces
    alignas(family_handle) unsigned char handle_[sizeof(family_handle)]; // a family<Metric>
    label_text const_labels_;                // const labels, rendered as in series_node
    family_base* overflow_family_ = nullptr; // counts lookups redirected to overflow
    // The series label sets past the bound share (null until the first one); see lookup_missed.
    std::atomic<series_node*> overflow_series_{nullptr}; // set once the family is past its bound
    std::atomic<series_node*> overflow_node_{nullptr};   // the overflow series, once made
    std::atomic<series_node*> overflow_count_{nullptr};  // our series in overflow_family_
    // Whether the overflow series was made as such (see overflow_node_locked()), not by a
    // lookup of its values, and so is not counted against max_series. Under the writer lock.
    bool overflow_uncounted_ = false;
    unix_clock clock_ = &system_unix_time;
    // Set when a registration found this family other than the kit registration that made it:
    // that caller may record into it, so a kit that has not committed must not withdraw it (see
    // registry::withdraw()). Written under the registry's reader lock, read under its writer lock.
    std::atomic<bool> claimed_{false};

    mutable writer_first_mutex mutex_;
    std::vector<series_node*> series_;   // owns every series ever created
    std::atomic<table*> table_{nullptr}; // open addressing by hash; never shrinks; owns the chain
    // The table's hash key (see hash_label_values()), kept with it: the code of another
    // module (a DLL, a shared library with hidden symbols) has its own hash_secret().
    const std::uint64_t hash_key_ = hash_secret();
    const label_hash_keys hash_keys_{hash_key_};
    // The exposition order (by label values, deterministic) in two runs, so that a new series
    // does not move every pointer after it: sorted_, and recent_, the series made since it last
    // grew, each with the count of sorted_'s series not greater than it (`at`), in the order of
    // (at, label values). sorted_ changes only when recent_ joins it.
    struct recent_series {
        std::size_t at;
        series_node* node;
    };
    // recent_'s storage: an array on the heap that grows as reserve_more() grows a vector.
    // Written out rather than a std::vector<recent_series>, whose reserve, push_back and
    // destructor every file including this header compiled (about 120 instantiations), though
    // only families past sorted_directly_below series use it.
    class recent_run {
    public:
        recent_run() = default;
        recent_run(const recent_run&) = delete;
        recent_run& operator=(const recent_run&) = delete;
        ~recent_run() { delete[] items_; }

        const recent_series* data() const noexcept { return items_; }
        std::size_t size() const noexcept { return size_; }
        const recent_series& operator[](std::size_t i) const noexcept { return items_[i]; }
        void clear() noexcept { size_ = 0; }

        // Makes room for one more, growing geometrically (as reserve_more(v, 1)); if the
        // allocation throws, nothing changed.
        void reserve_one() {
            if (size_ < capacity_) return;
            const std::size_t capacity = size_ + (size_ > 1 ? size_ : 1);
            recent_series* items = new recent_series[capacity];
            if (size_ != 0) std::memcpy(items, items_, size_ * sizeof(recent_series));
            delete[] items_;
            items_ = items;
            capacity_ = capacity;
        }

        // Inserts `value` at `pos`, with room made by reserve_one() (as insert_at()).
        void insert(std::size_t pos, recent_series value) noexcept {
            std::memmove(items_ + pos + 1, items_ + pos, (size_ - pos) * sizeof(recent_series));
            items_[pos] = value;
            ++size_;
        }

    private:
        recent_series* items_ = nullptr;
        std::size_t size_ = 0;
        std::size_t capacity_ = 0;
    };
    std::vector<series_node*> sorted_;
    recent_run recent_;
    // Changes of sorted_ and recent_ (under the writer lock): a walk that let go of the lock
    // finds its place again when this moved (see for_each_series()).
    std::size_t layout_ = 0;
};

} // namespace detail

namespace detail {

/// family<Metric>'s members beyond labels() (see record/family.hpp).
template <class Full>
struct include_family_hpp {
    static family_base& state(family_base& f) noexcept { return f; }
    static const family_base& state(const family_base& f) noexcept { return f; }
    // Whether the family shows a series with these values (see family_base::shows()).
    template <class Metric>
    static bool shows(const family<Metric>& fam, const std::string_view* vals, std::size_t n) {
        return fam.owner_->shows(vals, n);
    }

    // labels() given the values as views.
    template <class Metric>
    static Metric& labels(family<Metric>& fam, const std::string_view* vals, std::size_t n) {
        return *static_cast<Metric*>(fam.lookup_(*fam.owner_, vals, n));
    }

    template <class Metric, class Values>
    static Metric& labels(family<Metric>& fam, const Values& values) {
        return *static_cast<Metric*>(
            with_views(values, [&](const std::string_view* v, std::size_t n) {
                return fam.lookup_(*fam.owner_, v, n);
            }));
    }

    template <class Metric, class Values>
    static bool remove_list(family<Metric>& fam, const Values& values) {
        return with_views(values, [&](const std::string_view* v, std::size_t n) {
            return fam.owner_->remove(v, n);
        });
    }

    // Calls fn(views, n) with string_views of a run-time list of values: on the stack for up to
    // 16 of them, else allocated.
    template <class Values, class Fn>
    static auto with_views(const Values& values, Fn&& fn) {
        constexpr std::size_t on_stack = 16;
        const std::size_t n = values.size();
        if (n > on_stack) {
            // Filled by index, as overflow_node_locked() fills its own: the one
            // std::vector<std::string_view> constructor compiled in every includer.
            std::vector<std::string_view> views(n, std::string_view());
            for (std::size_t i = 0; i < n; ++i) views[i] = label_view(values[i]);
            return fn(views.data(), n);
        }
        std::string_view views[on_stack];
        for (std::size_t i = 0; i < n; ++i) views[i] = label_view(values[i]);
        return fn(views, n);
    }

    template <class Metric>
    static result<Metric> try_labels(family_base& f, const std::string_view* vals, std::size_t n) {
        status error;
        series_node* s = f.lookup(vals, n, &error);
        if (!s) return error;
        return static_cast<series<Metric>*>(s)->metric;
    }

    static bool remove(family_base& f, const std::string_view* vals, std::size_t n) {
        return f.remove(vals, n);
    }

    // Counts a lookup that a kit sent to an `__overflow__` series of its own, under the
    // family's series of vitals_series_overflow_total, as the family counts its own.
    template <class Metric>
    static void count_overflow(family<Metric>& fam) {
        fam.owner_->count_overflow();
    }
};

} // namespace detail

VITALS_END_NAMESPACE

#endif // VITALS_FAMILY_HPP
