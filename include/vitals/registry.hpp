// vitals/registry.hpp - owns metric families and custom collectors; the unit of exposition.
// SPDX-License-Identifier: MIT
#ifndef VITALS_REGISTRY_HPP
#define VITALS_REGISTRY_HPP

#include <vitals/config.hpp>
#include <vitals/detail/callback.hpp>
#include <vitals/detail/escape.hpp>
#include <vitals/detail/exclusive_lock.hpp>
#include <vitals/detail/float_class.hpp>
#include <vitals/detail/format_number.hpp>
#include <vitals/detail/label_hash.hpp>
#include <vitals/detail/names.hpp>
#include <vitals/detail/narrow.hpp>
#include <vitals/detail/scrape_scope.hpp>
#include <vitals/detail/shared_mutex.hpp>
#include <vitals/error.hpp>
#include <vitals/exemplar.hpp>
#include <vitals/exposition/model.hpp>
#include <vitals/family.hpp>
#include <vitals/histogram.hpp>

#include <atomic>           // atomic (failure count), atomic_thread_fence
#include <cstddef>          // size_t
#include <cstdint>          // uint64_t
#include <cstring>          // memcpy
#include <initializer_list> // initializer_list
#include <string>           // string
#include <string_view>      // string_view
#include <type_traits>      // enable_if_t, is_convertible, is_arithmetic, is_null_pointer
#include <utility>          // move, pair, exchange
#include <vector>           // vector

#if VITALS_DETAIL_CAN_CATCH()
#include <exception> // exception
#include <stdexcept> // runtime_error
#endif

VITALS_BEGIN_NAMESPACE

class registry;
namespace detail {
struct registry_access;

/// A family a collector that vitals adds writes (see registry::reserve_collected()).
struct collected_family {
    metric_type type;
    std::string name;
};

/// A health_server over a registry, as the registry sees it: linked from the server's first
/// start() to its destruction, so that a registry destroyed first tells each of those servers
/// (gone(owner)). A running one stops then; none reads or writes the registry after, and none
/// starts over it again.
struct registry_server {
    void (*gone)(void* owner) noexcept = nullptr;
    void* owner = nullptr;
    registry_server* next = nullptr; // under the registry's servers_mutex_
};

/// A number no other registry of the process had or will have, for the kits' groups
/// (kit_instances): a family's address names one only while its registry lives, and a kit may
/// outlive its registry. One count per process, as the groups' table.
VITALS_DETAIL_PROCESS_WIDE inline std::uint64_t registry_serial() noexcept {
    static std::atomic<std::uint64_t> last{0};
    return last.fetch_add(1, std::memory_order_relaxed) + 1;
}

/// Makes `v[i]` an element of `v`, for `i` at most `v.size()`: when `i` is the size, `v`
/// doubles (to `first` elements when empty), zero-filled. Written out rather than push_back,
/// whose reallocation every file including this header compiled for each element type.
template <class T>
void grow_to_index(std::vector<T>& v, std::size_t i, std::size_t first) {
    if (i < v.size()) return;
    std::vector<T> bigger(i == 0 ? first : i * 2, T());
    for (std::size_t k = 0; k < i; ++k) bigger[k] = v[k];
    v.swap(bigger);
}

/// The sample names in use in a registry: an open-addressing table of strings, so that the
/// n-th registration checks and adds its names in constant time (a sorted vector moved its
/// strings along one by one: 69 us per counter among 16,000 against 6.2 us among 1,000,
/// bench/bench_core.cpp BM_register_families).
/// An empty string is a free slot and "#" a removed name's (no sample name has a '#').
class name_set {
public:
    bool contains(std::string_view name) const noexcept {
        return !slots_.empty() && !slots_[slot_of(name)].empty();
    }
    /// Makes room for `extra` more names: as many insert()s then never allocate.
    void reserve_more(std::size_t extra) {
        if ((used_ + extra) * 2 <= slots_.size()) return;
        std::size_t capacity = 16;
        while ((count_ + extra) * 2 > capacity) capacity *= 2;
        std::vector<std::string> bigger(capacity); // the only allocation: else nothing changes
        bigger.swap(slots_);
        used_ = 0;
        for (std::string& name : bigger)
            if (!name.empty() && name != removed) place(std::move(name));
    }
    /// Adds `name`, absent from the set, into room reserve_more() made (a copy is made by
    /// the caller, before the call).
    void insert(std::string name) noexcept {
        place(std::move(name));
        ++count_;
    }
    /// Removes every name `drop(name)` holds for. Never allocates.
    template <class Drop>
    void erase_if(Drop drop) noexcept {
        for (std::string& name : slots_) {
            if (name.empty() || name == removed || !drop(std::string_view(name))) continue;
            name.assign(removed.data(), removed.size()); // within the string's own room
            --count_;
        }
    }

private:
    static constexpr std::string_view removed = "#";
    // Where `name` is, or the first free slot of its probe (a removed name's slot is passed
    // over, so a name added after it stays found).
    std::size_t slot_of(std::string_view name) const noexcept {
        const std::size_t mask = slots_.size() - 1;
        std::size_t i = narrow<std::size_t>(hash_label_values(&name, 1, hash_secret())) & mask;
        while (!slots_[i].empty() && slots_[i] != name) i = (i + 1) & mask;
        return i;
    }
    void place(std::string&& name) noexcept {
        slots_[slot_of(name)] = std::move(name);
        ++used_;
    }

    std::vector<std::string> slots_; // a power of two of them, at most half used
    std::size_t used_ = 0;           // names and removed names' slots
    std::size_t count_ = 0;          // names
};

/// A set of 64-bit hashes for the checks of one scrape: open addressing kept at most half
/// full, in `InlineSlots` slots inline (half as many hashes without an allocation), then in a
/// table on the heap that doubles. The hashes are keyed (hash_secret()), so their low bits
/// index the table directly and no input can make them collide on purpose. Each check is
/// constant time: a collector writing 100,000 families or samples costs 100,000 checks, not
/// their square.
template <std::size_t InlineSlots>
class hash_set64 {
public:
    /// Forgets every hash, and the heap table: a large use does not make each later one clear
    /// a large table.
    void clear() noexcept {
        count_ = 0;
        heap_.clear();
    }
    std::size_t size() const noexcept { return count_; }
    bool contains(std::uint64_t h) const noexcept {
        return count_ != 0 && table()[slot_of(h | 1)] != 0;
    }
    /// Adds `h`; false when it was there already. Strong guarantee: a failed allocation
    /// leaves the set as it was.
    bool insert(std::uint64_t h) {
        if (count_ == 0 && heap_.empty()) // the first of a use: start from an empty table
            for (std::uint64_t& slot : inline_) slot = 0;
        h |= 1; // 0 marks a free slot
        if (table()[slot_of(h)] == h) return false;
        if ((count_ + 1) * 2 > capacity()) grow();
        table()[slot_of(h)] = h;
        ++count_;
        return true;
    }

private:
    std::uint64_t* table() noexcept { return heap_.empty() ? inline_ : heap_.data(); }
    const std::uint64_t* table() const noexcept { return heap_.empty() ? inline_ : heap_.data(); }
    static_assert(InlineSlots >= 2 && (InlineSlots & (InlineSlots - 1)) == 0, "a power of two");
    std::size_t capacity() const noexcept { return heap_.empty() ? InlineSlots : heap_.size(); }
    // Where `h` is, or the free slot where it would go. The table is at most half full, so
    // a free slot ends every probe.
    std::size_t slot_of(std::uint64_t h) const noexcept {
        const std::uint64_t* slots = table();
        const std::size_t mask = capacity() - 1;
        std::size_t i = narrow<std::size_t>(h) & mask;
        while (slots[i] != 0 && slots[i] != h) i = (i + 1) & mask;
        return i;
    }
    void grow() {
        const std::uint64_t* old = table();
        const std::size_t old_capacity = capacity();
        std::vector<std::uint64_t> bigger(old_capacity * 2, 0);
        const std::size_t mask = bigger.size() - 1;
        for (std::size_t k = 0; k < old_capacity; ++k) {
            if (old[k] == 0) continue;
            std::size_t i = narrow<std::size_t>(old[k]) & mask;
            while (bigger[i] != 0) i = (i + 1) & mask;
            bigger[i] = old[k];
        }
        heap_.swap(bigger);
    }

    std::uint64_t inline_[InlineSlots];
    std::vector<std::uint64_t> heap_;
    std::size_t count_ = 0;
};

/// What a braced list of texts given to a registration holds.
enum class braced_kind {
    label_names,           // counter(), gauge(), info(), stateset()
    histogram_label_names, // histogram(), where a lone `{0}` is the bound 0
    states,                // stateset()
};

/// A label name or a state in a braced list given to a registration: made from anything a
/// std::string is made from, except a number. Each element of such a list becoming a
/// std::string instead made three mistakes compile and then fail at run time or do something
/// else than meant; each now stops the build with a static_assert naming the mistake:
/// - a `0`, NULL or nullptr, a null `const char*` (std::logic_error from std::string, or an
///   abort under -fno-exceptions). But `histogram(name, help, {0})` is the bound 0: were 0 to
///   reach this type there, GCC would prefer the label names (an std::initializer_list beats
///   the bounds' array), so the list histogram() takes alone has no null constructor. (One
///   taking nullptr but not 0 must deduce its argument: a constructor template that every
///   element of every braced registration is matched against, which cost 1.5% of the compile
///   time of <vitals/vitals.hpp> with clang for `histogram(name, help, {nullptr})` alone.)
/// - a name/value pair `{{"version", "1.2"}}`: one std::string from two unrelated pointers
///   taken for an iterator range (undefined behaviour).
/// - a text and a number `{{"code", 200}}`, `{{"on", true}}`: the number taken for a length
///   (bytes past the text, or a cut name "o").
/// A braced list converting to an std::initializer_list wins over the std::vector<std::string>
/// overloads, so these lists land here; `{"a", "b"}` never does, each element being one text.
template <braced_kind Kind>
struct braced_text {
    struct not_null {
        explicit not_null() = default;
    };
    // 0, NULL and nullptr convert to std::nullptr_t: a plain constructor, not a template, so
    // that matching a text against it costs next to nothing.
    using null_constant =
        std::conditional_t<Kind == braced_kind::histogram_label_names, not_null, std::nullptr_t>;
    template <class T,
              std::enable_if_t<std::is_convertible<const T&, std::string>::value &&
                                   !std::is_arithmetic<T>::value && !std::is_null_pointer<T>::value,
                               int> = 0>
    braced_text(const T& t) : text(t) {} // NOLINT(google-explicit-constructor)
    braced_text(null_constant) {         // NOLINT(google-explicit-constructor)
        refuse_null<Kind>();
    }
    template <class A, class B,
              std::enable_if_t<std::is_convertible<const A&, std::string_view>::value, int> = 0>
    braced_text(const A&, const B&) { // NOLINT(google-explicit-constructor)
        static_assert(Kind == braced_kind::states || sizeof(A) == 0,
                      "label names are given alone, {\"version\"}, never as name/value pairs "
                      "{{\"version\", \"1.2\"}}: a constant label goes in "
                      "family_options::const_labels");
        static_assert(Kind != braced_kind::states || sizeof(A) == 0,
                      "stateset states are given alone, {\"on\", \"off\"}, never in pairs "
                      "{{\"on\", \"off\"}} nor with a value {{\"on\", true}}: set() and "
                      "set_only() say which states are set");
    }
    std::string text;

private:
    template <braced_kind K> // a template, so that only a call fails
    static void refuse_null() {
        static_assert(K == braced_kind::states || K != Kind,
                      "label names are texts, {\"method\"} ({} for none): 0, NULL and nullptr "
                      "name no label");
        static_assert(K != braced_kind::states || K != Kind,
                      "stateset states are texts, {\"on\", \"off\"}: 0, NULL and nullptr name "
                      "no state");
    }
};
using braced_label_name = braced_text<braced_kind::label_names>;
using braced_histogram_label_name = braced_text<braced_kind::histogram_label_names>;
using braced_state = braced_text<braced_kind::states>;

/// The texts of a braced list of label names or states.
template <braced_kind Kind>
std::vector<std::string> texts_of(std::initializer_list<braced_text<Kind>> list) {
    std::vector<std::string> texts;
    texts.reserve(list.size());
    for (const braced_text<Kind>& t : list) texts.push_back(t.text);
    return texts;
}
} // namespace detail

/// The outcome of a collector_output call: ok, or why what it was given was dropped.
/// Allocates nothing: the message is static text.
class collector_status {
public:
    constexpr collector_status() noexcept = default;
    constexpr collector_status(errc code, const char* message) noexcept
        : code_(code), message_(message) {}
    /// True when the family or sample was written.
    constexpr bool ok() const noexcept { return code_ == errc::ok; }
    constexpr explicit operator bool() const noexcept { return ok(); }
    constexpr errc code() const noexcept { return code_; }
    /// Why it was dropped; empty when ok.
    std::string_view message() const noexcept { return message_; }

private:
    errc code_ = errc::ok;
    const char* message_ = "";
};

/// What a custom collector writes into at scrape time: families whose values are computed on
/// demand (process metrics, ratios derived from other metrics, the state of a cache) of every
/// metric type: counter, gauge, histogram, info and stateset.
///
/// Nothing a collector writes can make the exposition invalid: a family whose name is invalid,
/// collides with a registered family or with one written earlier in this scrape (by any
/// collector), or declares a unit its name does not end with, is dropped with its samples;
/// a sample with an invalid or repeated label name, a label set the family already has (in
/// any label order; a label with an empty value counts as absent, as in Prometheus), or a value its
/// type does not allow (a negative or NaN counter, inconsistent histogram buckets) is dropped
/// alone. Every call says what happened in a collector_status, and every drop is counted in the
/// gauge `vitals_collector_dropped` that the same scrape shows after the collectors (only when
/// something was dropped), so a silent loss is visible in the exposition too.
///
/// Not thread-safe: it lives for one scrape on the scraping thread. Hands what it accepts
/// straight to the scrape's writer and allocates nothing (except to keep a family name longer
/// than 128 characters, past 64 sample names in one scrape (a gauge has one, a counter three
/// with its base and `_created` names, a histogram five), past 32 samples in one family, and
/// for a label value with invalid UTF-8).
class collector_output {
public:
    /// A label of a collected sample; both views must outlive the call.
    using label_view = detail::collected_label;
    /// A state of a stateset sample and whether it is set.
    using state_view = detail::collected_state;

    /// Starts a family, the current one until the next family() call or the end of this
    /// collector's run (a collector's samples never join another collector's family). A counter's
    /// name gets `_total` appended when it lacks it, an info's
    /// `_info`; a stateset's name is also its state label's name, so it must be a valid label
    /// name. `unit` (optional) is shown on OpenMetrics' `# UNIT` line; the name (before
    /// `_total`) must end with `_<unit>`. At most `max_series` samples (label sets) of the
    /// family are written in a scrape, as a registered family's family_options::max_series;
    /// each one past it is dropped.
    collector_status family(std::string_view name, std::string_view help, metric_type type,
                            std::string_view unit = {},
                            std::size_t max_series = VITALS_DEFAULT_MAX_SERIES);

    /// Adds a sample to the current counter, gauge or info family (a counter's value must be
    /// finite and not negative, an info's 1; a gauge's may be anything, NaN included).
    collector_status sample(double value, std::initializer_list<label_view> labels = {}) {
        return sample(value, labels.begin(), labels.size());
    }
    /// sample() for labels only known at run time: the `count` labels at `labels`.
    collector_status sample(double value, const label_view* labels, std::size_t count);

    /// Adds a series to the current histogram family: `bounds` strictly increasing and finite,
    /// `cumulative_counts` one more than the bounds (the last is the +Inf bucket, the count),
    /// non-decreasing.
    collector_status histogram_sample(const std::vector<double>& bounds,
                                      const std::vector<std::uint64_t>& cumulative_counts,
                                      double sum, std::initializer_list<label_view> labels = {});

    /// Adds a series to the current stateset family: each state and whether it is set.
    collector_status stateset_sample(std::initializer_list<state_view> states,
                                     std::initializer_list<label_view> labels = {});

    /// One-sample families.
    collector_status gauge(std::string_view name, std::string_view help, double value) {
        const collector_status st = family(name, help, metric_type::gauge);
        return st ? sample(value) : st;
    }
    collector_status counter(std::string_view name, std::string_view help, double value) {
        const collector_status st = family(name, help, metric_type::counter);
        return st ? sample(value) : st;
    }
    collector_status info(std::string_view name, std::string_view help,
                          std::initializer_list<label_view> labels) {
        const collector_status st = family(name, help, metric_type::info);
        return st ? sample(1.0, labels) : st;
    }

    /// Families and samples dropped so far in this scrape.
    std::size_t dropped() const noexcept { return dropped_; }

private:
    friend class registry;
    collector_output(const registry& owner, detail::exposition_visitor& out) noexcept
        : owner_(owner), out_(out) {}

    // The current family's sample name. Copied, since the caller's view may not outlive the
    // family() call; kept inline so that a scrape allocates nothing for common names.
    std::string_view name() const noexcept {
        return name_size_ <= sizeof name_buf_ ? std::string_view(name_buf_, name_size_)
                                              : std::string_view(name_long_);
    }
    collector_status drop(errc code, const char* message) noexcept {
        ++dropped_;
        return {code, message};
    }
    collector_status check_labels(const label_view* labels, std::size_t count) noexcept;
    bool name_taken(std::string_view sample_name) const noexcept;

    const registry& owner_;
    detail::exposition_visitor& out_;
    char name_buf_[128];
    std::size_t name_size_ = 0;
    std::string name_long_; // names longer than name_buf_
    bool active_ = false;
    metric_type type_ = metric_type::gauge;
    std::size_t dropped_ = 0;

    // Hashes of the sample names of the families written so far in this scrape, so a family
    // repeated by a collector is skipped instead of making the whole exposition invalid.
    // Distinct names share a 64-bit hash with a probability of about n^2 / 2^65: negligible.
    static std::uint64_t name_hash(std::string_view sample_name) noexcept {
        return detail::hash_label_values(&sample_name, 1, detail::hash_secret());
    }
    bool seen(std::string_view sample_name) const noexcept {
        return seen_.contains(name_hash(sample_name));
    }
    void remember(std::string_view sample_name) { seen_.insert(name_hash(sample_name)); }
    detail::hash_set64<128> seen_; // 64 names inline: 64 gauges, 21 counters or 12 histograms

    // Hashes of the label sets written in the current family, so that a repeated one (in any
    // label order, or differing only in invalid UTF-8, which is shown as U+FFFD) is dropped:
    // two samples with one label set are a duplicate that parsers drop or reject. Their count
    // is the family's bound (max_series).
    collector_status remember_label_set(const label_view* labels, std::size_t count);
    detail::hash_set64<64> label_sets_; // 32 label sets inline
    std::size_t max_series_ = VITALS_DEFAULT_MAX_SERIES;
};

/// A callback run at every scrape to add computed samples: any copyable callable taking a
/// collector_output& (a lambda, a function, a functor such as process_collector), held by
/// value. Runs on the scraping thread with the registry's reader lock held: it must be quick,
/// must not throw, must not register metrics on the same registry and must not wait for
/// another thread that scrapes it (README, "Threads and memory"). Behaves as
/// std::function<void(collector_output&)>; making one allocates.
using collector = detail::callback<void(collector_output&)>;

/// A collector that threw during scrapes: its name, how many scrapes it failed and the last
/// exception's message. See registry::collector_failures().
struct collector_failure {
    std::string name;
    std::uint64_t count = 0;
    std::string message;
};

namespace detail {

/// Makes a kit's registration of several families all or nothing. While it is active, the
/// families the calling thread's registrations in `reg` make are noted; unless commit() is
/// called, its destructor withdraws them from the registry (a later family of the kit failed
/// to register, say), so that a failed kit leaves nothing behind and a retry under another
/// namespace leaves no stray families. Families that existed before are left as they were.
/// One pointer of thread-local storage, trivially initialised, as scrape_scope.
class kit_registration {
public:
    explicit kit_registration(registry& reg) : reg_(&reg), outer_(top()) {
        made_.reserve(8); // a kit's families: add() reserves beyond that
        top() = this;
    }
    kit_registration(const kit_registration&) = delete;
    kit_registration& operator=(const kit_registration&) = delete;
    inline ~kit_registration(); // after registry

    /// The registration succeeded: keep what it made.
    void commit() noexcept { made_.clear(); }

    /// The innermost registration the calling thread has active on `reg`, or null.
    static kit_registration* active(const registry* reg) noexcept {
        for (kit_registration* k = top(); k; k = k->outer_)
            if (k->reg_ == reg) return k;
        return nullptr;
    }

private:
    friend class vitals::registry;
    void reserve_one() { made_.reserve(made_.size() + 1); }
    void made(family_base* f) noexcept { made_.push_back(f); } // after reserve_one()

    // Whether this registration made `f` (and has not committed).
    bool made_here(const family_base* f) const noexcept {
        for (const family_base* m : made_)
            if (m == f) return true;
        return false;
    }

    VITALS_DETAIL_PROCESS_WIDE static kit_registration*& top() noexcept { // as scrape_scope's
        struct holder {
            kit_registration* innermost;
        };
        static thread_local holder h{nullptr};
        return h.innermost;
    }

    registry* reg_;
    kit_registration* outer_;
    std::vector<family_base*> made_;
};

} // namespace detail

/// Owns metric families (by name) and collectors, and renders them as one exposition.
///
/// Registering a name again with the same type, help, label names and options returns the
/// existing family; a different definition is errc::conflicting_registration, and a family
/// whose sample names would clash with another's (histogram `x` vs counter `x_count`) is
/// errc::name_collision. Throwing forms report errors through the error policy
/// (vitals::error, or the handler without exceptions); `try_` forms return a result.
/// All members are thread-safe; registration allocates, scrapes only read.
class registry {
public:
    /// Name of the counter family that counts lookups sent to overflow series.
    static constexpr std::string_view overflow_family_name = "vitals_series_overflow_total";

    /// A registry whose series record their creation time with the system clock.
    registry() : registry(&system_unix_time) {}

    /// A registry whose series record their creation time (OpenMetrics `_created`) with
    /// `clock` instead of the system clock (null: the system clock), e.g. for reproducible
    /// output in tests.
    explicit registry(unix_clock clock) : clock_(clock ? clock : &system_unix_time) {
        family_options opts;
        opts.max_series = ~std::size_t{0}; // vitals' own family is never capped
        opts.max_label_value_bytes = ~std::size_t{0};
        overflow_ =
            &add(metric_type::counter, overflow_family_name,
                 "Lookups of new label sets redirected to a family's overflow series because the "
                 "family reached its series bound or a label value was longer than its bound.",
                 {"family"}, std::move(opts), {}, false)
                 .value();
        // The names of vitals' own reports (see walk()) are taken, like registered ones: the
        // reserved_names() of each, the counter's `_created` included.
        static constexpr std::string_view own_reports[] = {
            collector_dropped_name, exemplars_dropped_name, "vitals_exemplars_dropped",
            "vitals_exemplars_dropped_created"};
        reserved_.reserve_more(std::size(own_reports));
        for (std::string_view n : own_reports) reserved_.insert(std::string(n));
    }
    registry(const registry&) = delete; // take a reference: auto& reg = vitals::default_registry()
    registry& operator=(const registry&) = delete;
    /// Stops every health_server still running over the registry (without their drain
    /// period), and tells every server ever started over it that it is gone (they refuse to
    /// start again), then destroys the families and collectors.
    ~registry() {
        for (;;) {
            detail::registry_server* s;
            {
                detail::exclusive_lock lock(servers_mutex_);
                s = servers_;
                if (!s) break;
                servers_ = s->next;
            }
            s->gone(s->owner); // may join a server thread, which scrapes: with no lock held
        }
        for (detail::family_base* f : families_) delete f;
        for (detail::family_base* f : withdrawn_) delete f;
        while (collectors_) delete std::exchange(collectors_, collectors_->next);
    }

    // Counters. A name without `_total` gets it appended in the exposition.

    /// A labelled counter family.
    counter_family& counter(std::string_view name, std::string_view help,
                            std::vector<std::string> label_names, family_options options = {}) {
        return try_counter(name, help, std::move(label_names), std::move(options)).value();
    }
    /// An unlabelled counter.
    vitals::counter& counter(std::string_view name, std::string_view help) {
        return try_counter(name, help).value();
    }
    result<counter_family> try_counter(std::string_view name, std::string_view help,
                                       std::vector<std::string> label_names,
                                       family_options options = {}) {
        return typed<vitals::counter>(
            add(metric_type::counter, name, help, std::move(label_names), std::move(options), {}));
    }
    result<vitals::counter> try_counter(std::string_view name, std::string_view help) {
        return single<vitals::counter>(add(metric_type::counter, name, help, {}, {}, {}));
    }
    /// counter() and try_counter() for label names written as a braced list: the same, except
    /// that a name/value pair `{{"version", "1.2"}}` does not compile (see braced_label_name).
    counter_family& counter(std::string_view name, std::string_view help,
                            std::initializer_list<detail::braced_label_name> label_names,
                            family_options options = {}) {
        return counter(name, help, detail::texts_of(label_names), std::move(options));
    }
    result<counter_family> try_counter(std::string_view name, std::string_view help,
                                       std::initializer_list<detail::braced_label_name> label_names,
                                       family_options options = {}) {
        return try_counter(name, help, detail::texts_of(label_names), std::move(options));
    }

    // Gauges.

    /// A labelled gauge family.
    gauge_family& gauge(std::string_view name, std::string_view help,
                        std::vector<std::string> label_names, family_options options = {}) {
        return try_gauge(name, help, std::move(label_names), std::move(options)).value();
    }
    /// An unlabelled gauge.
    vitals::gauge& gauge(std::string_view name, std::string_view help) {
        return try_gauge(name, help).value();
    }
    result<gauge_family> try_gauge(std::string_view name, std::string_view help,
                                   std::vector<std::string> label_names,
                                   family_options options = {}) {
        return typed<vitals::gauge>(
            add(metric_type::gauge, name, help, std::move(label_names), std::move(options), {}));
    }
    result<vitals::gauge> try_gauge(std::string_view name, std::string_view help) {
        return single<vitals::gauge>(add(metric_type::gauge, name, help, {}, {}, {}));
    }
    /// gauge() and try_gauge() for label names written as a braced list (see counter()).
    gauge_family& gauge(std::string_view name, std::string_view help,
                        std::initializer_list<detail::braced_label_name> label_names,
                        family_options options = {}) {
        return gauge(name, help, detail::texts_of(label_names), std::move(options));
    }
    result<gauge_family> try_gauge(std::string_view name, std::string_view help,
                                   std::initializer_list<detail::braced_label_name> label_names,
                                   family_options options = {}) {
        return try_gauge(name, help, detail::texts_of(label_names), std::move(options));
    }

    // Histograms. Bounds default to 10 ms .. 10 s (default_buckets()).

    /// A labelled histogram family; every series shares the bounds.
    histogram_family& histogram(std::string_view name, std::string_view help,
                                std::vector<std::string> label_names,
                                std::vector<double> bounds = default_buckets(),
                                family_options options = {}) {
        return try_histogram(name, help, std::move(label_names), std::move(bounds),
                             std::move(options))
            .value();
    }
    /// A labelled histogram family with default_buckets() and `options`.
    histogram_family& histogram(std::string_view name, std::string_view help,
                                std::vector<std::string> label_names, family_options options) {
        return histogram(name, help, std::move(label_names), default_buckets(), std::move(options));
    }
    /// An unlabelled histogram.
    vitals::histogram& histogram(std::string_view name, std::string_view help,
                                 std::vector<double> bounds = default_buckets()) {
        return try_histogram(name, help, std::move(bounds)).value();
    }
    /// histogram() for label names written as a braced list. Without it `{"method", "path"}`
    /// would be ambiguous: two `const char*` also build a std::vector<double> (iterator pair).
    /// Alone, its elements are never numbers, so that `{0}` is the one bound 0; followed by
    /// bounds, the list can only be label names, and a 0 or NULL in it does not compile.
    histogram_family&
    histogram(std::string_view name, std::string_view help,
              std::initializer_list<detail::braced_histogram_label_name> label_names) {
        return histogram(name, help, detail::texts_of(label_names));
    }
    histogram_family& histogram(std::string_view name, std::string_view help,
                                std::initializer_list<detail::braced_label_name> label_names,
                                std::vector<double> bounds, family_options options = {}) {
        return histogram(name, help, detail::texts_of(label_names), std::move(bounds),
                         std::move(options));
    }
    histogram_family& histogram(std::string_view name, std::string_view help,
                                std::initializer_list<detail::braced_label_name> label_names,
                                family_options options) {
        return histogram(name, help, detail::texts_of(label_names), default_buckets(),
                         std::move(options));
    }
    /// histogram() for bounds written as a braced list. Without it `{0.5}` would be ambiguous:
    /// one number also builds a std::vector<std::string> of that size. An array rather than a
    /// std::initializer_list, so that an empty `{}` (never valid bounds) is not taken for
    /// bounds: `histogram(name, help, {})` is the label names, as in counter() and gauge(),
    /// which gives a family without labels and with default_buckets().
    template <std::size_t N>
    vitals::histogram& histogram(std::string_view name, std::string_view help,
                                 const double (&bounds)[N]) {
        return try_histogram(name, help, bounds).value();
    }
    result<histogram_family> try_histogram(std::string_view name, std::string_view help,
                                           std::vector<std::string> label_names,
                                           std::vector<double> bounds = default_buckets(),
                                           family_options options = {}) {
        return typed<vitals::histogram>(add(metric_type::histogram, name, help,
                                            std::move(label_names), std::move(options),
                                            std::move(bounds)));
    }
    result<histogram_family> try_histogram(std::string_view name, std::string_view help,
                                           std::vector<std::string> label_names,
                                           family_options options) {
        return try_histogram(name, help, std::move(label_names), default_buckets(),
                             std::move(options));
    }
    result<vitals::histogram> try_histogram(std::string_view name, std::string_view help,
                                            std::vector<double> bounds = default_buckets()) {
        return single<vitals::histogram>(
            add(metric_type::histogram, name, help, {}, {}, std::move(bounds)));
    }
    /// try_histogram() for label names written as a braced list (see histogram()).
    result<histogram_family>
    try_histogram(std::string_view name, std::string_view help,
                  std::initializer_list<detail::braced_histogram_label_name> label_names) {
        return try_histogram(name, help, detail::texts_of(label_names));
    }
    result<histogram_family>
    try_histogram(std::string_view name, std::string_view help,
                  std::initializer_list<detail::braced_label_name> label_names,
                  std::vector<double> bounds, family_options options = {}) {
        return try_histogram(name, help, detail::texts_of(label_names), std::move(bounds),
                             std::move(options));
    }
    result<histogram_family>
    try_histogram(std::string_view name, std::string_view help,
                  std::initializer_list<detail::braced_label_name> label_names,
                  family_options options) {
        return try_histogram(name, help, detail::texts_of(label_names), default_buckets(),
                             std::move(options));
    }
    /// try_histogram() for bounds written as a braced list (see histogram()).
    template <std::size_t N>
    result<vitals::histogram> try_histogram(std::string_view name, std::string_view help,
                                            const double (&bounds)[N]) {
        return try_histogram_from(name, help, bounds, N);
    }

    // Info: a label set whose presence is the data. A name without `_info` gets it appended.

    /// An info family: each series (labels(...)) is one sample `<name>_info{...} 1`. Under
    /// OpenMetrics its type is info; in the text format 0.0.4 it is a gauge.
    info_family& info(std::string_view name, std::string_view help,
                      std::vector<std::string> label_names, family_options options = {}) {
        return try_info(name, help, std::move(label_names), std::move(options)).value();
    }
    result<info_family> try_info(std::string_view name, std::string_view help,
                                 std::vector<std::string> label_names,
                                 family_options options = {}) {
        return typed<vitals::info>(
            add(metric_type::info, name, help, std::move(label_names), std::move(options), {}));
    }
    /// info() and try_info() for label names written as a braced list (see counter()): the
    /// values come with labels(), `{{"version", "1.2"}}` does not compile.
    info_family& info(std::string_view name, std::string_view help,
                      std::initializer_list<detail::braced_label_name> label_names,
                      family_options options = {}) {
        return info(name, help, detail::texts_of(label_names), std::move(options));
    }
    result<info_family> try_info(std::string_view name, std::string_view help,
                                 std::initializer_list<detail::braced_label_name> label_names,
                                 family_options options = {}) {
        return try_info(name, help, detail::texts_of(label_names), std::move(options));
    }

    // Statesets: named boolean states, one sample per state labelled `<name>="<state>"`.

    /// A labelled stateset family over `states` (1 to 64 distinct names, each at most
    /// family_options::max_label_value_bytes long: a state is a label value). Its name is also
    /// the state label's name, so it must be a valid label name (no ':'). Under OpenMetrics
    /// its type is stateset; in the text format 0.0.4 it is a gauge.
    stateset_family& stateset(std::string_view name, std::string_view help,
                              std::vector<std::string> label_names, std::vector<std::string> states,
                              family_options options = {}) {
        return try_stateset(name, help, std::move(label_names), std::move(states),
                            std::move(options))
            .value();
    }
    /// An unlabelled stateset.
    vitals::stateset& stateset(std::string_view name, std::string_view help,
                               std::vector<std::string> states) {
        return try_stateset(name, help, std::move(states)).value();
    }
    result<stateset_family> try_stateset(std::string_view name, std::string_view help,
                                         std::vector<std::string> label_names,
                                         std::vector<std::string> states,
                                         family_options options = {}) {
        return typed<vitals::stateset>(add(metric_type::stateset, name, help,
                                           std::move(label_names), std::move(options), {}, true,
                                           std::move(states), &check_states));
    }
    result<vitals::stateset> try_stateset(std::string_view name, std::string_view help,
                                          std::vector<std::string> states) {
        return single<vitals::stateset>(add(metric_type::stateset, name, help, {}, {}, {}, true,
                                            std::move(states), &check_states));
    }
    /// stateset() and try_stateset() for label names written as a braced list (see counter()).
    stateset_family& stateset(std::string_view name, std::string_view help,
                              std::initializer_list<detail::braced_label_name> label_names,
                              std::vector<std::string> states, family_options options = {}) {
        return stateset(name, help, detail::texts_of(label_names), std::move(states),
                        std::move(options));
    }
    result<stateset_family>
    try_stateset(std::string_view name, std::string_view help,
                 std::initializer_list<detail::braced_label_name> label_names,
                 std::vector<std::string> states, family_options options = {}) {
        return try_stateset(name, help, detail::texts_of(label_names), std::move(states),
                            std::move(options));
    }
    /// stateset() and try_stateset() for states written as a braced list: the same, except
    /// that states in pairs `{{"on", "off"}}`, with a value `{{"on", true}}`, or a 0 or NULL do
    /// not compile (see braced_text). Label names and states each take the braced form of
    /// their own, so there is one overload per way of writing the two.
    vitals::stateset& stateset(std::string_view name, std::string_view help,
                               std::initializer_list<detail::braced_state> states) {
        return stateset(name, help, detail::texts_of(states));
    }
    stateset_family& stateset(std::string_view name, std::string_view help,
                              std::vector<std::string> label_names,
                              std::initializer_list<detail::braced_state> states,
                              family_options options = {}) {
        return stateset(name, help, std::move(label_names), detail::texts_of(states),
                        std::move(options));
    }
    stateset_family& stateset(std::string_view name, std::string_view help,
                              std::initializer_list<detail::braced_label_name> label_names,
                              std::initializer_list<detail::braced_state> states,
                              family_options options = {}) {
        return stateset(name, help, detail::texts_of(label_names), detail::texts_of(states),
                        std::move(options));
    }
    result<vitals::stateset> try_stateset(std::string_view name, std::string_view help,
                                          std::initializer_list<detail::braced_state> states) {
        return try_stateset(name, help, detail::texts_of(states));
    }
    result<stateset_family> try_stateset(std::string_view name, std::string_view help,
                                         std::vector<std::string> label_names,
                                         std::initializer_list<detail::braced_state> states,
                                         family_options options = {}) {
        return try_stateset(name, help, std::move(label_names), detail::texts_of(states),
                            std::move(options));
    }
    result<stateset_family>
    try_stateset(std::string_view name, std::string_view help,
                 std::initializer_list<detail::braced_label_name> label_names,
                 std::initializer_list<detail::braced_state> states, family_options options = {}) {
        return try_stateset(name, help, detail::texts_of(label_names), detail::texts_of(states),
                            std::move(options));
    }

    /// Adds a collector run at every scrape, after the registered families, in the order
    /// collectors were added. An empty collector is errc::invalid_argument, reported through
    /// the error policy. Allocates.
    void add_collector(collector fn) { add_collector(std::string_view(), std::move(fn)); }

    /// add_collector() with a name that identifies the collector in collector_failures()
    /// (an empty name reads "collector_N", N counting collectors from 1 in the order added).
    void add_collector(std::string_view name, collector fn) {
        if (!fn) detail::fail(status(errc::invalid_argument, "add_collector: empty collector"));
        if (detail::scrape_scope::inside(this))
            detail::fail(status(errc::invalid_argument, scraping_error("add a collector")));
        detail::exclusive_lock lock(mutex_);
        auto* node = new collector_node{std::move(fn), std::string(name), 0, {}, nullptr};
        if (node->name.empty()) {
            std::size_t n = 1;
            for (const collector_node* c = collectors_; c; c = c->next) ++n;
            node->name = "collector_" + std::to_string(n);
        }
        *collectors_tail_ = node;
        collectors_tail_ = &node->next;
    }

    /// Scrapes in which some collector threw, summed over collectors. Lock-free; a cheap test
    /// for whether collector_failures() has news.
    std::uint64_t collector_failure_count() const noexcept {
        return failure_count_.load(std::memory_order_relaxed);
    }

    /// The collectors that have thrown during a scrape, in the order added. A collector that
    /// throws loses the rest of its output for that scrape; the families and the other
    /// collectors are still written. Thread-safe; allocates.
    std::vector<collector_failure> collector_failures() const {
        const reader_lock lock(mutex_, turn());
        detail::exclusive_lock failures(failures_mutex_);
        // Counted, then filled by index: push_back made every file including this header
        // compile vector's reallocation for collector_failure.
        std::size_t n = 0;
        for (const collector_node* c = collectors_; c; c = c->next) n += c->failures != 0;
        std::vector<collector_failure> out(n);
        std::size_t i = 0;
        for (const collector_node* c = collectors_; c; c = c->next) {
            if (c->failures == 0) continue;
            out[i].name = c->name;
            out[i].count = c->failures;
            out[i].message = c->last_error;
            ++i;
        }
        return out;
    }

    /// Number of registered families (including vitals' own).
    std::size_t family_count() const {
        const reader_lock lock(mutex_, turn());
        return families_.size();
    }

    /// The gauge that counts what collectors wrote in a scrape and had dropped (see
    /// collector_output), shown after the collectors when it is not 0.
    static constexpr std::string_view collector_dropped_name = "vitals_collector_dropped";
    /// The counter of exemplars dropped in the process (vitals::exemplars_dropped()), shown
    /// when it is not 0.
    static constexpr std::string_view exemplars_dropped_name = "vitals_exemplars_dropped_total";

private:
    friend class collector_output;
    friend struct detail::registry_access;
    friend class detail::kit_registration;

    // try_histogram() for braced bounds, compiled once rather than once per count. Filled as
    // default_buckets() fills its own: vector's initializer_list constructor would be
    // compiled in every file including this header.
    result<vitals::histogram> try_histogram_from(std::string_view name, std::string_view help,
                                                 const double* bounds, std::size_t n) {
        std::vector<double> v;
        v.reserve(n);
        for (std::size_t i = 0; i < n; ++i) v.push_back(bounds[i]);
        return try_histogram(name, help, std::move(v));
    }

    // The read-only walk behind the exposition writers (write_text() and the others), which
    // reach it through detail::registry_access: every family in name order, then the
    // collectors, under the reader lock.
    //
    // A collector or the output's sink that renders this registry again gets its families
    // only: the collectors are running already (running them again would never end), and the
    // reader lock is this thread's already.
    void walk(detail::exposition_visitor& out) const {
        const bool nested = detail::scrape_scope::inside(this);
        // A top-level scrape holds no other lock, so it may wait for writers (else scrapes
        // overlapping back to back would keep them waiting); one inside another registry's
        // scrape holds that registry's lock, which a writer may be waiting for.
        const reader_lock lock(mutex_, nested ? detail::reader_turn::held_already
                                       : detail::scrape_scope::inside_any()
                                           ? detail::reader_turn::ahead
                                           : detail::reader_turn::after_writers);
        const detail::scrape_scope scope(this);
        for (const detail::family_base* f : families_) {
            out.family(*f);
            // What a thread recorded before a release fence and then into a family read
            // above is seen in the families read below: a scrape never shows a kit's error
            // without its request, run or item (kits::http_endpoint::count_error(), the job
            // and queue kits' errors). Free on x86.
            std::atomic_thread_fence(std::memory_order_acquire);
        }
        std::size_t dropped = 0;
        if (collectors_ && !nested) {
            collector_output co(*this, out);
            for (collector_node* c = collectors_; c; c = c->next) run_collector(*c, co);
            dropped = co.dropped();
        }
        // vitals' own reports of what it dropped, shown only once something was.
        if (dropped != 0) {
            out.collected_family(collector_dropped_name,
                                 "Families and samples the collectors wrote in this scrape "
                                 "that were dropped (invalid, clashing, repeated or past "
                                 "a family's max_series).",
                                 metric_type::gauge, {});
            out.collected_sample(collector_dropped_name, nullptr, 0, static_cast<double>(dropped));
        }
        if (const std::uint64_t exemplars = exemplars_dropped()) {
            out.collected_family(
                exemplars_dropped_name,
                "Exemplars dropped in this process because they broke a rule "
                "(label names, UTF-8, more than 128 characters, a timestamp not finite or past "
                "int64 milliseconds).",
                metric_type::counter, {});
            out.collected_sample(exemplars_dropped_name, nullptr, 0,
                                 static_cast<double>(exemplars));
        }
    }

    // What add() returns: the family, or why there is none.
    using added = result<detail::family_base>;

    template <class Metric>
    static result<family<Metric>> typed(const added& f) {
        if (!f) return f.error();
        return f->template handle<Metric>();
    }

    template <class Metric>
    static result<Metric> single(const added& f) {
        if (!f) return f.error();
        return f->template handle<Metric>().labels();
    }

    // The article of a type named in an error message: "a counter", "an info".
    static constexpr std::string_view article(metric_type type) noexcept {
        return type == metric_type::info ? "an " : "a ";
    }

    // A declared unit must be a name part that ends the family's name (before `_total`).
    static status check_unit(metric_type type, const std::string& name, const std::string& unit) {
        if (unit.empty()) return {};
        if (type == metric_type::info || type == metric_type::stateset)
            return {
                errc::invalid_argument,
                detail::message({"metric '", name, "' declares unit ", detail::message_value(unit),
                                 ", but ", article(type), type_name(type), " cannot have a unit"})};
        for (char c : unit)
            if (!(detail::is_name_char(c) || c == ':'))
                return {errc::invalid_argument,
                        detail::message({"metric '", name, "' declares unit ",
                                         detail::message_value(unit),
                                         ": a unit must match [a-zA-Z0-9_:]+"})};
        std::string_view base = name;
        if (type == metric_type::counter) base.remove_suffix(6); // "_total"
        if (base.size() <= unit.size() + 1 || !detail::ends_with(base, unit) ||
            base[base.size() - unit.size() - 1] != '_')
            return {errc::invalid_argument,
                    detail::message({"metric '", name, "' declares unit '", unit,
                                     "', so its name must end with '_", unit,
                                     type == metric_type::counter ? "' (before '_total')" : "'"})};
        return {};
    }

    // A stateset's state label is named after the family; its states are 1..64 distinct names.
    static status check_states(const std::string& name, const std::vector<std::string>& labels,
                               const family_options& options,
                               const std::vector<std::string>& states) {
        if (!detail::is_valid_label_name(name))
            return {errc::invalid_metric_name,
                    "stateset '" + name +
                        "': its name is also its state label's name, so it must match "
                        "[a-zA-Z_][a-zA-Z0-9_]* (no ':')"};
        for (const auto& l : labels)
            if (l == name)
                return {errc::duplicate_label_name,
                        "stateset '" + name + "' has a label named like itself (its state label)"};
        for (const auto& cl : options.const_labels)
            if (cl.first == name)
                return {errc::duplicate_label_name,
                        "stateset '" + name +
                            "' has a const label named like itself (its state label)"};
        if (states.empty() || states.size() > stateset::max_states)
            return {errc::invalid_argument, "stateset '" + name +
                                                "' needs 1 to 64 states, was given " +
                                                std::to_string(states.size())};
        // A state is the value of the state label, which an empty value would drop.
        for (const std::string& st : states)
            if (st.empty())
                return {errc::invalid_argument,
                        "stateset '" + name +
                            "' lists an empty state name (it is the value of "
                            "the label '" +
                            name + "', which may not be empty)"};
        // Compared as shown: states differing only in invalid UTF-8 would be written alike.
        std::vector<std::string> shown;
        shown.reserve(states.size());
        for (const std::string& st : states) shown.push_back(detail::replace_invalid_utf8(st));
        // A state is a label value of every series: held to the bound every label value keeps
        // (a bound of 0 is refused by add() with its own message).
        for (const std::string& st : shown)
            if (options.max_label_value_bytes != 0 && st.size() > options.max_label_value_bytes)
                return {
                    errc::invalid_argument,
                    detail::message({"stateset '", name, "' lists a state of ", number(st.size()),
                                     " bytes as shown, over max_label_value_bytes (",
                                     number(options.max_label_value_bytes), ")"})};
        for (std::size_t i = 0; i < states.size(); ++i)
            for (std::size_t k = 0; k < i; ++k)
                if (shown[k] == shown[i])
                    return {errc::invalid_argument,
                            "stateset '" + name + "' lists state " +
                                detail::message_value(shown[i]) + " twice" +
                                (states[k] == states[i] ? ""
                                                        : " (as shown, invalid UTF-8 "
                                                          "replaced by U+FFFD)")};
        return {};
    }

    // The sample names a family's exposition uses, which must be unique in the registry.
    // OpenMetrics also gives a counter's and a histogram's `<base>_created` to the family (a
    // parser rejects a gauge `x_created` beside a counter `x`), so those are reserved too.
    // (registry::reserved_for() tests the same names: change both together.)
    static std::vector<std::string> reserved_names(metric_type type, const std::string& name) {
        if (type == metric_type::counter) {
            std::string base(name.data(), name.size() - 6); // "x" of "x_total"
            return {base + "_created", base, name};
        }
        if (type == metric_type::info)
            return {std::string(name.data(), name.size() - 5), name}; // "x" and "x_info"
        if (type == metric_type::histogram)
            return {name, name + "_bucket", name + "_sum", name + "_count", name + "_created"};
        return {name};
    }

    // Error messages (registration failures only, so nothing here needs to be fast).

    // Built with message() and append(), not string operator+ chains and += of a char, whose
    // inlined code and extra library functions embedded builds count.
    static std::string list(const std::vector<std::string>& names) {
        std::string out = "[";
        for (const auto& n : names) out.append(out.size() > 1 ? ", " : "").append(n);
        out += "]";
        return out;
    }

    // Values a program chose (states, const label values, help) are shown with
    // message_value(): escaped and cut short. Names were checked before they get here.
    static std::string quoted_list(const std::vector<std::string>& values) {
        std::string out = "[";
        for (const auto& v : values)
            out.append(out.size() > 1 ? ", " : "").append(detail::message_value(v));
        out += "]";
        return out;
    }

    static std::string list(const std::vector<label>& labels) {
        std::string out = "[";
        for (const auto& l : labels)
            out += detail::message(
                {out.size() > 1 ? ", " : "", l.first, "=", detail::message_value(l.second)});
        out += "]";
        return out;
    }

    static std::string list(const std::vector<double>& bounds) {
        std::string out = "[";
        for (double b : bounds) {
            char num[detail::max_number_chars];
            if (out.size() > 1) out += ", ";
            out.append(num, detail::format_double(num, b));
        }
        out += "]";
        return out;
    }

    static std::string number(std::size_t v) {
        char num[detail::max_number_chars];
        return std::string(num, detail::format_uint(num, v));
    }

    // Whether two lists hold equal elements in the same order: vector's operator==, spelled
    // out, since its std::equal machinery was compiled in every file including this header.
    template <class T>
    static bool same(const std::vector<T>& a, const std::vector<T>& b) {
        if (a.size() != b.size()) return false;
        for (std::size_t i = 0; i < a.size(); ++i)
            if (!(a[i] == b[i])) return false;
        return true;
    }

    // How an existing family differs from a new definition of the same name, each difference
    // with the existing value first ("as a counter, not a gauge"); empty when they agree.
    static std::string differences(const detail::family_base& f, metric_type type,
                                   std::string_view help,
                                   const std::vector<std::string>& label_names,
                                   const family_options& options, const std::vector<double>& bounds,
                                   const std::vector<std::string>& states) {
        if (f.type() != type)
            return detail::message({"as ", article(f.type()), type_name(f.type()), ", not ",
                                    article(type), type_name(type)});
        std::string out;
        const auto add = [&out](const char* what, const std::string& had, const std::string& got) {
            out +=
                detail::message({out.empty() ? "with " : "; with ", what, " ", had, ", not ", got});
        };
        if (f.help() != help) {
            add("help", detail::message_value(f.help()), detail::message_value(help));
            // Texts alike beyond what a message shows would read as equal: say where they part.
            const std::string_view had = f.help();
            std::size_t at = 0;
            while (at < had.size() && at < help.size() && had[at] == help[at]) ++at;
            const bool cut = had.size() > detail::message_value_bytes ||
                             help.size() > detail::message_value_bytes;
            if (cut && at + 3 >= detail::message_value_bytes) // a cut may go back 3 bytes
                out += detail::message({" (the two differ from byte ", number(at), " on)"});
        }
        if (!same(f.label_names(), label_names))
            add("label names", list(f.label_names()), list(label_names));
        if (!same(f.options().const_labels, options.const_labels))
            add("const labels", list(f.options().const_labels), list(options.const_labels));
        if (f.options().max_series != options.max_series)
            add("max_series", number(f.options().max_series), number(options.max_series));
        if (f.options().max_label_value_bytes != options.max_label_value_bytes)
            add("max_label_value_bytes", number(f.options().max_label_value_bytes),
                number(options.max_label_value_bytes));
        if (f.options().unit != options.unit)
            add("unit", detail::message_value(f.options().unit),
                detail::message_value(options.unit));
        if (!same(f.bounds(), bounds)) add("buckets", list(f.bounds()), list(bounds));
        if (!same(f.states(), states)) add("states", quoted_list(f.states()), quoted_list(states));
        return out;
    }

    // How family `type` `name` comes to own `taken`, one of its reserved_names() other than
    // its name: "also owns its name without '_total', 'x'" or "exposes samples named 'x_sum'".
    static std::string ownership(metric_type type, const std::string& name,
                                 const std::string& taken, const char* expose) {
        const char* suffix = type == metric_type::counter ? "_total"
                             : type == metric_type::info  ? "_info"
                                                          : nullptr;
        if (suffix && taken.size() < name.size() &&
            std::string_view(name.data(), taken.size()) == taken)
            return detail::message({"also owns its name without '", suffix, "', '", taken, "'"});
        return detail::message({expose, " samples named '", taken, "'",
                                detail::ends_with(taken, "_created") ? " in OpenMetrics" : ""});
    }

    // Why a new family (`type` `name`) cannot have the sample name `taken`: which registered
    // family exposes it, and how each of the two comes to use it.
    std::string collision(metric_type type, const std::string& name,
                          const std::string& taken) const {
        std::string out = detail::message({type_name(type), " '", name, "'"});
        if (taken != name)
            out += detail::message({", which ", ownership(type, name, taken, "would expose"), ","});
        out += " clashes with the existing ";
        for (const detail::family_base* f : families_) {
            for (const std::string& n : reserved_names(f->type(), f->name())) {
                if (n != taken) continue;
                out += detail::message({type_name(f->type()), " '", f->name(), "'"});
                if (n != f->name())
                    out += detail::message(
                        {", which ", ownership(f->type(), f->name(), n, "exposes")});
                return out;
            }
        }
        if (const std::string* c = collected_entry(taken)) return out.append(c[collected_what]);
        return out.append(detail::message({"family exposing samples named '", taken, "'"}));
    }

    // Where `name` is, or would go, in the sorted families_.
    std::size_t family_index(std::string_view name) const {
        return detail::partition_index(families_.size(),
                                       [&](std::size_t i) { return families_[i]->name() < name; });
    }

    bool is_reserved(std::string_view sample_name) const noexcept {
        return reserved_.contains(sample_name);
    }

    // The label names, bounds and buckets of a family about to be made (add() adds its name
    // to the message).
    static status check_definition(metric_type type, const std::vector<std::string>& label_names,
                                   const family_options& options,
                                   const std::vector<double>& bounds) {
        std::vector<std::string> seen;
        for (const auto& ln : label_names) {
            status st = detail::check_label_name(ln, type == metric_type::histogram, seen);
            if (!st) return st;
            seen.push_back(ln);
        }
        for (const auto& cl : options.const_labels) {
            status st = detail::check_label_name(cl.first, type == metric_type::histogram, seen);
            if (!st) return st;
            seen.push_back(cl.first);
        }
        if (options.max_series == 0)
            return status(errc::invalid_argument, "max_series must be at least 1");
        if (options.max_label_value_bytes == 0)
            return status(errc::invalid_argument, "max_label_value_bytes must be at least 1");
        // Measured as shown, as labels() measures its values: each invalid UTF-8 byte is
        // written as the 3 bytes of U+FFFD.
        for (const auto& cl : options.const_labels)
            if (detail::shown_size(cl.second) > options.max_label_value_bytes)
                return status(errc::invalid_argument,
                              detail::message({"const label '", cl.first, "' has a value of ",
                                               number(detail::shown_size(cl.second)),
                                               " bytes as shown, over max_label_value_bytes (",
                                               number(options.max_label_value_bytes), ")"}));
        if (type == metric_type::histogram) return validate_buckets(bounds);
        return {};
    }

    // The stateset checks, given to add() by the stateset registrations alone, so that a
    // program registering no stateset does not link them (about 1 KiB on 32-bit ARM).
    using states_check = status (*)(const std::string& name, const std::vector<std::string>&,
                                    const family_options&, const std::vector<std::string>&);

    // Validates and registers a family; shared by every metric type so that it is compiled
    // once, not once per type.
    added add(metric_type type, std::string_view name_in, std::string_view help,
              std::vector<std::string> label_names, family_options options,
              std::vector<double> bounds, bool count_overflow = true,
              std::vector<std::string> states = {}, states_check check_states_of = nullptr) {
        if (!detail::is_valid_metric_name(name_in))
            return status(errc::invalid_metric_name,
                          detail::message({"invalid metric name ", detail::message_value(name_in),
                                           ": must match [a-zA-Z_:][a-zA-Z0-9_:]* and not "
                                           "start with '__'"}));
        std::string name(name_in);
        if (type == metric_type::counter && !detail::ends_with(name, "_total")) name += "_total";
        if (type == metric_type::info && !detail::ends_with(name, "_info")) name += "_info";
        // A counter `_total` (or an info `_info`) would be described as `# TYPE _total counter`
        // with the sample `_total`, which parsers reject: the family needs a name of its own.
        if ((type == metric_type::counter && std::string_view(name) == "_total") ||
            (type == metric_type::info && std::string_view(name) == "_info"))
            return status(errc::invalid_metric_name,
                          detail::message({"invalid metric name '", name, "': ", article(type),
                                           type_name(type), " needs a name before '", name, "'"}));
        // `_` becomes `__total` (`__info`): a name in the space reserved for internal use.
        if (!detail::is_valid_metric_name(name))
            return status(errc::invalid_metric_name,
                          detail::message({"invalid metric name '", name,
                                           "' (with its suffix): must not start with '__'"}));
        // A histogram `_` keeps its name but writes `__bucket`, `__sum` and `__count`.
        if (type == metric_type::histogram && name == "_")
            return status(errc::invalid_metric_name,
                          "invalid metric name '_': a histogram's samples would be named "
                          "'__bucket', '__sum' and '__count', which start with '__'");
        {
            status st = check_unit(type, name, options.unit);
            if (!st) return st;
        }
        if (check_states_of) {
            status st = check_states_of(name, label_names, options, states);
            if (!st) return st;
        }
        {
            // These checks' messages do not name the family: a program that registers many at
            // startup must be told which one is wrong.
            status st = check_definition(type, label_names, options, bounds);
            if (!st)
                return status(st.code(), detail::message({"metric '", name, "': ", st.message()}));
        }

        // A scrape on this thread (a collector, the output's sink) holds the reader lock: it
        // may find a family registered before, never make one.
        const bool scraping = detail::scrape_scope::inside(this);
        reader_lock look(mutex_,
                         scraping ? detail::reader_turn::held_already : detail::reader_turn::ahead);
        std::size_t pos = family_index(name);
        if (pos != families_.size() && families_[pos]->name() == name)
            return existing(*families_[pos], type, name, help, label_names, options, bounds,
                            states);
        if (scraping)
            return status(errc::invalid_argument,
                          scraping_error(detail::message({"register '", name, "'"})));
        look.release();
        detail::exclusive_lock lock(mutex_);
        pos = family_index(name); // another thread may have registered it meanwhile
        if (pos != families_.size() && families_[pos]->name() == name)
            return existing(*families_[pos], type, name, help, label_names, options, bounds,
                            states);
        std::vector<std::string> wanted = reserved_names(type, name);
        for (const auto& n : wanted)
            if (is_reserved(n)) return status(errc::name_collision, collision(type, name, n));

        // Allocate everything first, so that nothing below throws once the family is made.
        detail::reserve_more(families_, 1);
        reserved_.reserve_more(wanted.size());
        detail::kit_registration* kit = detail::kit_registration::active(this);
        if (kit) { // so that neither noting the family nor withdrawing it allocates
            kit->reserve_one();
            detail::reserve_more(withdrawn_, 1);
        }
        detail::family_base* fam =
            make_family(type, std::move(name), std::string(help), std::move(label_names),
                        std::move(options), std::move(bounds), std::move(states));
        if (count_overflow) fam->set_overflow_family(overflow_);
        fam->set_clock(clock_);
        detail::insert_at(families_, pos, fam);
        for (auto& n : wanted) reserved_.insert(std::move(n));
        if (kit) kit->made(fam);
        return *fam;
    }

    // The families a collector that vitals adds writes at every scrape (the cache kit's hit
    // rate, the process metrics), kept from registrations as a registered family's names
    // are: else a program's own family of such a name would silently replace the collector's
    // in every scrape. Their names are in reserved_ too, so that add() refuses them as it
    // does a family's; collected_ holds three strings per such name: the name (one of the
    // family's reserved_names()), what it is ("gauge 'x' (written at each scrape by ...)")
    // and who reserved it. (Strings, not a struct of them: embedded builds count the code of
    // one more vector type.)
    static constexpr std::size_t collected_what = 1, collected_writer = 2, collected_size = 3;

    // The entry of collected_ for `sample`, or null.
    static const std::string* find_collected(const registry& r, std::string_view sample) noexcept {
        for (std::size_t i = 0; i < r.collected_.size(); i += collected_size)
            if (r.collected_[i] == sample) return &r.collected_[i];
        return nullptr;
    }
    // find_collected(), once reserve_collected() has run: through a pointer it sets, so that a
    // program that reserves nothing does not link the search (embedded builds count the code).
    const std::string* collected_entry(std::string_view sample) const noexcept {
        return find_collected_ ? find_collected_(*this, sample) : nullptr;
    }

    // Reserves `families` for the collector `writer` names ("the cache kits of namespace
    // 'app'"), all or none. A name a registered family or another writer has is
    // errc::name_collision; one `writer` reserved before is fine when `again` (the cache
    // kits of one namespace share one collector), else errc::conflicting_registration.
    status reserve_collected(const std::vector<detail::collected_family>& families,
                             std::string_view writer, bool again) {
        if (detail::scrape_scope::inside(this))
            return status(errc::invalid_argument,
                          scraping_error("reserve names for " + std::string(writer)));
        detail::exclusive_lock lock(mutex_);
        find_collected_ = &find_collected;
        std::vector<std::string> reserving; // entries as in collected_
        for (const detail::collected_family& f : families) {
            const std::string what = std::string(type_name(f.type)) + " '" + f.name +
                                     "' (written at each scrape by " + std::string(writer) + ')';
            for (std::string& n : reserved_names(f.type, f.name)) {
                if (const std::string* c = find_collected(*this, n)) {
                    if (c[collected_writer] != writer)
                        return status(errc::name_collision,
                                      what + " clashes with the " + c[collected_what]);
                    if (!again)
                        return status(errc::conflicting_registration,
                                      std::string(writer) +
                                          " has added these families to this registry already");
                    continue;
                }
                if (is_reserved(n))
                    return status(errc::name_collision, collision(f.type, f.name, n));
                reserving.push_back(std::move(n));
                reserving.push_back(what);
                reserving.push_back(std::string(writer)); // push_back's, compiled already
            }
        }
        detail::reserve_more(collected_, reserving.size());
        reserved_.reserve_more(reserving.size() / collected_size);
        for (std::size_t i = 0; i < reserving.size(); i += collected_size)
            reserved_.insert(reserving[i]);
        for (std::string& c : reserving) collected_.push_back(std::move(c));
        return {};
    }

    // Takes back a family a kit's failed registration made (detail::kit_registration): it
    // leaves the exposition and frees its names. A family another registration found
    // meanwhile (another thread registering the same definition) stays listed, since that
    // caller records into it. A withdrawn one is kept alive, unlisted, until the registry is
    // destroyed. Never allocates (add() reserved the room).
    void withdraw(detail::family_base* f) noexcept {
        detail::exclusive_lock lock(mutex_);
        if (f->claimed_.load(std::memory_order_relaxed)) return;
        const std::size_t pos = family_index(f->name());
        if (pos == families_.size() || families_[pos] != f) return;
        // Moved down by hand: vector::erase is costly to compile, in every includer.
        for (std::size_t i = pos + 1; i < families_.size(); ++i) families_[i - 1] = families_[i];
        families_.pop_back();
        // Reserved names are unique: these are f's alone.
        reserved_.erase_if(
            [f](std::string_view n) { return reserved_for(f->type(), f->name(), n); });
        withdrawn_.push_back(f);
    }

    // Whether `r` is one of reserved_names(type, name), compared without building them.
    static bool reserved_for(metric_type type, std::string_view name, std::string_view r) {
        const auto is = [r](std::string_view stem, std::string_view suffix) {
            return r.size() == stem.size() + suffix.size() && r.substr(0, stem.size()) == stem &&
                   r.substr(stem.size()) == suffix;
        };
        switch (type) {
        case metric_type::counter: {
            const std::string_view base = name.substr(0, name.size() - 6); // without "_total"
            return r == name || r == base || is(base, "_created");
        }
        case metric_type::info:
            return r == name || r == name.substr(0, name.size() - 5); // and without "_info"
        case metric_type::histogram:
            return r == name || is(name, "_bucket") || is(name, "_sum") || is(name, "_count") ||
                   is(name, "_created");
        default:
            return r == name;
        }
    }

    // A registration of a name already registered: that family when it is the same, else why
    // not. Called under the reader lock at least.
    added existing(detail::family_base& f, metric_type type, const std::string& name,
                   std::string_view help, const std::vector<std::string>& label_names,
                   const family_options& options, const std::vector<double>& bounds,
                   const std::vector<std::string>& states) const {
        std::string diff = differences(f, type, help, label_names, options, bounds, states);
        if (diff.empty()) {
            // Handed to a caller other than the kit registration that made it (if one did):
            // from now on that caller may record into it, so withdraw() must leave it listed.
            const detail::kit_registration* kit = detail::kit_registration::active(this);
            if (!(kit && kit->made_here(&f)) && !f.claimed_.load(std::memory_order_relaxed))
                f.claimed_.store(true, std::memory_order_relaxed);
            return f;
        }
        return status(errc::conflicting_registration,
                      detail::message({"metric '", name, "' is already registered ", diff}));
    }

    static detail::family_base* make_family(metric_type type, std::string name, std::string help,
                                            std::vector<std::string> label_names,
                                            family_options options, std::vector<double> bounds,
                                            std::vector<std::string> states) {
        return new detail::family_base(type, std::move(name), std::move(help),
                                       std::move(label_names), std::move(options),
                                       std::move(bounds), std::move(states));
    }

    // Why something that needs the writer lock cannot be done now: the calling thread is
    // inside a scrape of this registry, which holds the reader lock until it ends.
    static std::string scraping_error(std::string_view what) {
        return detail::message(
            {"cannot ", what,
             " while this thread scrapes the same registry (from a collector or the "
             "output's sink): the scrape holds the registry's lock until it ends. Register "
             "before scraping, or write computed values through the collector_output"});
    }

    // How this thread takes the reader lock (a second shared lock on the same mutex can wait
    // forever for a writer queued in between, see detail::writer_first_mutex): not at all
    // inside a scrape of this registry (a collector asking for family_count()), else ahead of
    // waiting writers, since a collector may wait for this thread.
    detail::reader_turn turn() const noexcept {
        return detail::scrape_scope::inside(this) ? detail::reader_turn::held_already
                                                  : detail::reader_turn::ahead;
    }
    using reader_lock = detail::shared_lock_of;

    mutable detail::writer_first_mutex mutex_;
    std::vector<detail::family_base*> families_;             // owned; sorted by name
    const std::uint64_t serial_ = detail::registry_serial(); // see registry_access::serial()
    detail::name_set reserved_;                              // sample names in use
    // A list rather than a vector: one node per add_collector(), which is rare, and it keeps
    // std::vector<collector> from being compiled in every translation unit.
    struct collector_node {
        collector fn;
        std::string name;
        std::uint64_t failures; // guarded by failures_mutex_
        std::string last_error; // guarded by failures_mutex_
        collector_node* next;
    };

    // A collector that throws must not end the scrape (or, on a server thread, the program):
    // its failure is recorded and the exposition goes on with the next collector.
    // An exception from the output (the sink threw, the string could not grow) ends the
    // render: it is not the collector's failure, and the caller must see it.
    void run_collector(collector_node& c, collector_output& co) const {
        // Each collector starts with no family: samples it writes before its own family()
        // are dropped, never added to the family the previous collector (or one that threw
        // midway) left open.
        co.active_ = false;
#if VITALS_DETAIL_CAN_CATCH()
        try {
            c.fn(co);
        } catch (const std::exception& e) {
            if (co.out_.output_failed()) throw;
            record_failure(c, e.what());
        } catch (...) {
            if (co.out_.output_failed()) throw;
            record_failure(c, "unknown exception");
        }
        // The collector caught the output's exception itself and returned.
        if (co.out_.output_failed()) fail_output_in_collector();
#else
        c.fn(co);
#endif
    }

    [[noreturn]] VITALS_DETAIL_NOINLINE static void fail_output_in_collector() {
        static constexpr const char* message =
            "the output failed (its sink threw, or the string could not grow) during a "
            "collector, which caught the exception";
#if VITALS_HAS_EXCEPTIONS()
        throw std::runtime_error(message);
#else
        detail::fail(status(errc::invalid_argument, message)); // the policy: no throw
#endif
    }

    void record_failure(collector_node& c, const char* message) const noexcept {
        detail::exclusive_lock lock(failures_mutex_);
        ++c.failures;
        failure_count_.fetch_add(1, std::memory_order_relaxed);
#if VITALS_DETAIL_CAN_CATCH()
        try {
            // A new string moved in rather than assign(const char*), which links 400 bytes of
            // library code (string::_M_replace) into embedded builds for this alone.
            c.last_error = std::string(message);
        } catch (...) { // out of memory: the count still tells
        }
#else
        static_cast<void>(message);
#endif
    }

    mutable detail::shared_mutex failures_mutex_;
    mutable std::atomic<std::uint64_t> failure_count_{0};
    collector_node* collectors_ = nullptr; // owned, in the order added
    collector_node** collectors_tail_ = &collectors_;
    unix_clock clock_;
    detail::family_base* overflow_ = nullptr;     // vitals_series_overflow_total
    std::vector<detail::family_base*> withdrawn_; // owned; see withdraw()
    std::vector<std::string> collected_;          // see reserve_collected()
    const std::string* (*find_collected_)(const registry&, std::string_view) = nullptr;
    // Sizes of the last to_text() and to_openmetrics() results: the next ones reserve them.
    mutable std::atomic<std::size_t> last_text_size_{0};
    mutable std::atomic<std::size_t> last_openmetrics_size_{0};
    // The health_servers started over this registry, from their first start() to their
    // destruction. A lock of its own, under which nothing else is locked: a server destroyed
    // in a collector (mutex_ held for the scrape) takes it without waiting for mutex_.
    detail::shared_mutex servers_mutex_;
    detail::registry_server* servers_ = nullptr; // under servers_mutex_
};

namespace detail {
/// How the exposition writers reach a registry's read-only walk (registry::walk(), which is
/// not part of the public API).
struct registry_access {
    static void walk(const registry& reg, exposition_visitor& out) { reg.walk(out); }
    static std::uint64_t serial(const registry& reg) noexcept { return reg.serial_; }
    static status reserve_collected(registry& reg, const std::vector<collected_family>& families,
                                    std::string_view writer, bool again) {
        return reg.reserve_collected(families, writer, again);
    }
    static std::atomic<std::size_t>& last_text_size(const registry& reg) noexcept {
        return reg.last_text_size_;
    }
    static std::atomic<std::size_t>& last_openmetrics_size(const registry& reg) noexcept {
        return reg.last_openmetrics_size_;
    }
    /// A health_server over `reg` starts for the first time (true) or is destroyed before
    /// `reg` (false): the registry's destructor tells those still linked that it is gone.
    static void link_server(registry& reg, registry_server& s, bool link) {
        exclusive_lock lock(reg.servers_mutex_);
        if (link) {
            s.next = reg.servers_;
            reg.servers_ = &s;
            return;
        }
        for (registry_server** p = &reg.servers_; *p; p = &(*p)->next) {
            if (*p != &s) continue;
            *p = s.next;
            return;
        }
    }
};
} // namespace detail

inline bool collector_output::name_taken(std::string_view sample_name) const noexcept {
    // Names reserved for vitals' own collectors (see registry::reserve_collected()) are
    // theirs to write.
    return (owner_.is_reserved(sample_name) && !owner_.collected_entry(sample_name)) ||
           seen(sample_name);
}

inline collector_status collector_output::remember_label_set(const label_view* labels,
                                                             std::size_t count) {
    const std::uint64_t key = detail::hash_secret();
    std::uint64_t h = 1;
    for (const label_view* l = labels; l != labels + count; ++l) {
        // An empty value is no label to Prometheus: {} and {shard=""} are one series.
        if (l->second.empty()) continue;
        ++h;
        std::string shown; // only for values with invalid UTF-8
        std::string_view pair[2] = {l->first, l->second};
        if (detail::has_invalid_utf8(l->second)) {
            shown = detail::replace_invalid_utf8(l->second);
            pair[1] = shown;
        }
        // A sum: the order of labels is no matter. Each pair's hash is mixed first (see
        // hash_label_values_counted()): a="1",b="2" and a="2",b="1" then differ.
        h += detail::fold_multiply(detail::hash_label_values(pair, 2, key) ^ key,
                                   0x8ebc6af09c88c6e3ULL);
    }
    h = detail::fold_multiply(h ^ key, 0x9e3779b97f4a7c15ULL);
    // As a registered family's max_series, but past it a sample is dropped: a computed value
    // cannot share an overflow series. A collector reading its label values from the outside
    // (clients, tenants, files) so cannot grow a scrape without bound. A repeat is reported
    // as one also at the bound.
    const bool room = label_sets_.size() < max_series_;
    if (room ? !label_sets_.insert(h) : label_sets_.contains(h))
        return drop(errc::invalid_argument, "this family already has a sample with these labels");
    if (!room)
        return drop(errc::invalid_argument,
                    "the family has max_series samples already (see collector_output::family())");
    return {};
}

inline collector_status collector_output::family(std::string_view name, std::string_view help,
                                                 metric_type type, std::string_view unit,
                                                 std::size_t max_series) {
    active_ = false;
    label_sets_.clear(); // a new family: its label sets start empty
    max_series_ = max_series;
    if (static_cast<unsigned>(type) > static_cast<unsigned>(metric_type::stateset))
        return drop(errc::invalid_argument, "not a metric_type value");
    if (max_series == 0) return drop(errc::invalid_argument, "max_series must be at least 1");
    if (!detail::is_valid_metric_name(name))
        return drop(errc::invalid_metric_name, "invalid metric name");
    const std::string_view suffix = type == metric_type::counter ? "_total"
                                    : type == metric_type::info  ? "_info"
                                                                 : "";
    const bool add_suffix = !suffix.empty() && !detail::ends_with(name, suffix);
    name_size_ = name.size() + (add_suffix ? suffix.size() : 0);
    if (name_size_ <= sizeof name_buf_) {
        std::memcpy(name_buf_, name.data(), name.size());
        if (add_suffix) std::memcpy(name_buf_ + name.size(), suffix.data(), suffix.size());
    } else {
        name_long_.assign(name.data(), name.size());
        if (add_suffix) name_long_.append(suffix.data(), suffix.size());
    }
    const std::string_view full = this->name();
    const std::string_view base = full.substr(0, full.size() - suffix.size());
    if (!suffix.empty() && base.empty()) // `_total` alone: see registry::add()
        return drop(errc::invalid_metric_name,
                    "a counter or info needs a name before its _total or _info suffix");
    if (!detail::is_valid_metric_name(full)) // `_` made `__total`
        return drop(errc::invalid_metric_name, "with its suffix the name starts with '__'");
    if (type == metric_type::histogram && full == "_") // samples `__bucket`, `__sum`, ...
        return drop(errc::invalid_metric_name, "a histogram's sample names would start with '__'");
    if (type == metric_type::stateset && !detail::is_valid_label_name(full))
        return drop(errc::invalid_metric_name,
                    "a stateset's name is its state label's name: it must be a label name");
    if (!unit.empty()) {
        bool valid = type != metric_type::info && type != metric_type::stateset;
        for (char c : unit) valid = valid && (detail::is_name_char(c) || c == ':');
        if (!valid || base.size() <= unit.size() + 1 || !detail::ends_with(base, unit) ||
            base[base.size() - unit.size() - 1] != '_')
            return drop(errc::invalid_argument, "the name does not end with _<unit>, or the "
                                                "unit is invalid or not allowed for the type");
    }
    // Every sample name the family exposes must be free, and so must the `<base>_created`
    // that OpenMetrics gives counters and histograms (see registry::reserved_names()).
    if (name_taken(full) || (!suffix.empty() && name_taken(base)))
        return drop(errc::name_collision,
                    "the name is used by a registered family or earlier in this scrape");
    const std::string_view histogram_suffixes[] = {"_bucket", "_sum", "_count", "_created"};
    const std::string_view counter_suffixes[] = {"_created"};
    const std::string_view* more = type == metric_type::histogram ? histogram_suffixes
                                   : type == metric_type::counter ? counter_suffixes
                                                                  : nullptr;
    const std::size_t more_count = type == metric_type::histogram ? 4
                                   : type == metric_type::counter ? 1
                                                                  : 0;
    char buf[160];
    std::string long_buf; // only for names that do not fit buf
    const auto joined = [&](std::string_view s) {
        if (base.size() + s.size() > sizeof buf) {
            long_buf.assign(base.data(), base.size());
            long_buf.append(s.data(), s.size());
            return std::string_view(long_buf);
        }
        std::memcpy(buf, base.data(), base.size());
        std::memcpy(buf + base.size(), s.data(), s.size());
        return std::string_view(buf, base.size() + s.size());
    };
    for (std::size_t i = 0; i < more_count; ++i)
        if (name_taken(joined(more[i])))
            return drop(errc::name_collision,
                        "a sample name of the family (_bucket, _sum, _count or _created) is "
                        "used by a registered family or earlier in this scrape");
    for (std::size_t i = 0; i < more_count; ++i) remember(joined(more[i]));
    remember(full);
    if (!suffix.empty()) remember(base);
    out_.collected_family(full, help, type, unit);
    type_ = type;
    active_ = true;
    return {};
}

inline collector_status collector_output::check_labels(const label_view* labels,
                                                       std::size_t count) noexcept {
    if (!active_)
        return drop(errc::invalid_argument,
                    "no family: none started by this collector, or the last "
                    "family() was dropped");
    for (const label_view* l = labels; l != labels + count; ++l) {
        if (!detail::is_valid_label_name(l->first))
            return drop(errc::invalid_label_name, "invalid label name");
        if ((type_ == metric_type::histogram && l->first == "le") ||
            (type_ == metric_type::stateset && l->first == name()))
            return drop(errc::invalid_label_name,
                        "label name reserved by the type (le, or a stateset's own name)");
        for (const label_view* k = labels; k != l; ++k)
            if (k->first == l->first)
                return drop(errc::duplicate_label_name, "repeated label name");
    }
    return {};
}

inline collector_status collector_output::sample(double value, const label_view* labels,
                                                 std::size_t count) {
    const collector_status st = check_labels(labels, count);
    if (!st) return st;
    if (type_ == metric_type::histogram || type_ == metric_type::stateset)
        return drop(errc::invalid_argument,
                    "histogram and stateset families take histogram_sample / stateset_sample");
    // A counter's total is finite (its own inc() refuses an amount that would make it
    // infinite); rate() over an infinite one is NaN.
    if (type_ == metric_type::counter && (!detail::is_finite(value) || value < 0.0))
        return drop(errc::invalid_argument, "a counter's value must be finite and >= 0");
    if (type_ == metric_type::info && value != 1.0)
        return drop(errc::invalid_argument, "an info's value must be 1");
    if (const collector_status added = remember_label_set(labels, count); !added) return added;
    out_.collected_sample(name(), labels, count, value);
    return {};
}

inline collector_status
collector_output::histogram_sample(const std::vector<double>& bounds,
                                   const std::vector<std::uint64_t>& cumulative_counts, double sum,
                                   std::initializer_list<label_view> labels) {
    const collector_status st = check_labels(labels.begin(), labels.size());
    if (!st) return st;
    if (type_ != metric_type::histogram)
        return drop(errc::invalid_argument, "histogram_sample needs a histogram family");
    if (!validate_buckets(bounds).ok())
        return drop(errc::invalid_buckets, "bounds must be finite and strictly increasing");
    if (cumulative_counts.size() != bounds.size() + 1)
        return drop(errc::invalid_argument, "needs one count per bound plus the +Inf bucket");
    for (std::size_t i = 1; i < cumulative_counts.size(); ++i)
        if (cumulative_counts[i] < cumulative_counts[i - 1])
            return drop(errc::invalid_argument, "cumulative counts must not decrease");
    if (detail::is_nan(sum)) return drop(errc::invalid_argument, "the sum must not be NaN");
    if (const collector_status added = remember_label_set(labels.begin(), labels.size()); !added)
        return added;
    out_.collected_histogram(name(), labels.begin(), labels.size(), bounds.data(),
                             cumulative_counts.data(), bounds.size(), sum);
    return {};
}

inline collector_status
collector_output::stateset_sample(std::initializer_list<state_view> states,
                                  std::initializer_list<label_view> labels) {
    const collector_status st = check_labels(labels.begin(), labels.size());
    if (!st) return st;
    if (type_ != metric_type::stateset)
        return drop(errc::invalid_argument, "stateset_sample needs a stateset family");
    if (states.size() == 0) return drop(errc::invalid_argument, "a stateset needs states");
    for (const state_view& s : states)
        if (s.first.empty()) // the state label's value, which an empty value would drop
            return drop(errc::invalid_argument, "empty state name");
    // Compared as shown: states differing only in invalid UTF-8 would be written alike.
    for (auto s = states.begin(); s != states.end(); ++s)
        for (auto k = states.begin(); k != s; ++k)
            if (k->first == s->first ||
                ((detail::has_invalid_utf8(k->first) || detail::has_invalid_utf8(s->first)) &&
                 detail::replace_invalid_utf8(k->first) == detail::replace_invalid_utf8(s->first)))
                return drop(errc::invalid_argument, "repeated state");
    if (const collector_status added = remember_label_set(labels.begin(), labels.size()); !added)
        return added;
    out_.collected_stateset(name(), labels.begin(), labels.size(), states.begin(), states.size());
    return {};
}

detail::kit_registration::~kit_registration() {
    top() = outer_;
    for (std::size_t i = made_.size(); i-- > 0;) reg_->withdraw(made_[i]);
}

/// The process-wide registry: created on first use and never destroyed, so it is safe to
/// use from static initialisers and destructors of other objects. One per process also for
/// shared libraries built with -fvisibility=hidden (ELF); each Windows DLL has its own.
VITALS_DETAIL_PROCESS_WIDE inline registry& default_registry() {
    struct holder { // see VITALS_DETAIL_PROCESS_WIDE
        registry* const instance;
    };
    static const holder h{new registry()};
    return *h.instance;
}

VITALS_END_NAMESPACE

#endif // VITALS_REGISTRY_HPP
