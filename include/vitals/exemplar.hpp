// vitals/exemplar.hpp - exemplars: a trace id (or other labels) attached to one observation.
// SPDX-License-Identifier: MIT
#ifndef VITALS_EXEMPLAR_HPP
#define VITALS_EXEMPLAR_HPP

#include <vitals/config.hpp>
#include <vitals/detail/narrow.hpp>
#include <vitals/detail/text_words.hpp>
#include <vitals/detail/thread_slot.hpp>

#include <atomic>      // atomic, atomic_thread_fence
#include <cstddef>     // size_t
#include <cstdint>     // int32_t, uint32_t, uint64_t
#include <cstring>     // memcpy
#include <ctime>       // time
#include <new>         // nothrow
#include <string_view> // string_view

VITALS_BEGIN_NAMESPACE

/// A label of an exemplar: two views, copied only when the exemplar is recorded.
struct exemplar_label {
    std::string_view name;
    std::string_view value;
};

/// An exemplar to attach to an increment or an observation (counter::inc(double, const
/// exemplar&), histogram::observe(double, const exemplar&)): usually the id of the trace
/// the request belonged to, `vitals::exemplar{"trace_id", id}`. A view: it copies and
/// allocates nothing, and the strings (or the list) it refers to must outlive the call.
/// Make it in the call; kept in a variable, it must not outlive them, and the braced list
/// of the several-label form dies at the end of the statement that makes it (Clang warns).
///
/// OpenMetrics limits an exemplar's labels to 128 UTF-8 characters in total, names and values
/// together; label names follow the label-name rules; values hold no NUL byte (Prometheus
/// rejects a scrape over one there); a timestamp set with at() must be finite and
/// within what Prometheus' int64 milliseconds hold. An exemplar that
/// breaks a rule is never shown (the increment or observation itself still counts): recording only
/// copies it, and a scrape that finds it invalid leaves it out and counts it, once, in
/// exemplars_dropped(); one too long to store is dropped and counted when recorded. The timestamp
/// is the second of the system clock when recorded (std::time: a few nanoseconds, where the clock
/// with a fraction costs several observations), unless at() sets one; one recorded while the
/// system clock cannot be read (std::time fails) is shown without a timestamp.
class exemplar {
public:
    /// One label, e.g. {"trace_id", "4bf92f3577b34da6a3ce929d0e0e4736"}.
    exemplar(std::string_view name VITALS_DETAIL_LIFETIMEBOUND,
             std::string_view value VITALS_DETAIL_LIFETIMEBOUND) noexcept
        : one_{name, value}, labels_(&one_), size_(1) {}
    /// Several labels, e.g. {{"trace_id", t}, {"span_id", s}} (a temporary array that lives
    /// until the end of the call's full expression).
    template <std::size_t N>
    exemplar(const exemplar_label (&labels VITALS_DETAIL_LIFETIMEBOUND)[N]) noexcept
        : labels_(labels), size_(N) {}
    /// `n` labels at `labels`.
    exemplar(const exemplar_label* labels VITALS_DETAIL_LIFETIMEBOUND, std::size_t n) noexcept
        : labels_(labels), size_(n) {}
    exemplar(const exemplar& other) noexcept
        : one_(other.one_), labels_(other.labels_ == &other.one_ ? &one_ : other.labels_),
          size_(other.size_), timestamp_(other.timestamp_), has_timestamp_(other.has_timestamp_) {}
    exemplar& operator=(const exemplar&) = delete;

    /// Uses `unix_seconds` as the exemplar's timestamp instead of the time it is recorded.
    /// A NaN or infinite timestamp, or one beyond about +/-9.2e15 s (what Prometheus'
    /// int64 milliseconds hold), makes the exemplar invalid (never shown, and counted).
    exemplar& at(double unix_seconds) noexcept {
        timestamp_ = unix_seconds;
        has_timestamp_ = true;
        return *this;
    }

    const exemplar_label* begin() const noexcept { return labels_; }
    const exemplar_label* end() const noexcept { return labels_ + size_; }
    std::size_t size() const noexcept { return size_; }
    bool has_timestamp() const noexcept { return has_timestamp_; }
    double timestamp() const noexcept { return timestamp_; }

private:
    exemplar_label one_{};
    const exemplar_label* labels_;
    std::size_t size_;
    double timestamp_ = 0.0;
    bool has_timestamp_ = false;
};

namespace detail {

/// Exemplars dropped because they broke a rule (process-wide; see exemplars_dropped()).
VITALS_DETAIL_PROCESS_WIDE inline std::atomic<std::uint64_t>& exemplars_dropped_cell() noexcept {
    static std::atomic<std::uint64_t> cell{0};
    return cell;
}

/// Bytes an exemplar's labels take in a cell: per label a word of lengths, then the name and
/// the value, each from a word boundary and zero-padded to one (see store_text()). A valid
/// exemplar fits: a label takes at most 16 bytes per character of its name and value (a name
/// has at least one, and a character at most 4 bytes), and all of them at most 128.
inline constexpr std::size_t exemplar_capacity = 2048;
inline constexpr std::size_t max_exemplar_chars = 128;

/// The bytes of `e`'s labels in a cell (see exemplar_capacity), or 0 when they cannot fit
/// (then they break the 128-character rule anyway). The rules are checked when the exemplar
/// is shown (valid_exemplar()): recording stays a copy.
inline std::size_t encoded_exemplar_size(const exemplar& e) noexcept {
    std::size_t n = 0;
    for (const exemplar_label* l = e.begin(); l != e.end(); ++l) {
        if (l->name.size() > exemplar_capacity || l->value.size() > exemplar_capacity) return 0;
        n += 8 + (l->name.size() + 7) / 8 * 8 + (l->value.size() + 7) / 8 * 8;
        if (n > exemplar_capacity) return 0;
    }
    return n;
}

/// The word of lengths before a label's texts in a cell.
inline std::uint64_t exemplar_label_lengths(std::size_t name, std::size_t value) noexcept {
    return std::uint64_t{name} | std::uint64_t{value} << 16; // each at most exemplar_capacity
}

/// Stores `text` into the words at `out` from the first, the last one zero-padded; returns
/// the word after them. Straight from the text (no byte loop, no copy through a buffer, whose
/// words read back just after the bytes were stored one by one would wait for those stores:
/// labels went through such a buffer before, and that wait was most of recording one).
inline std::atomic<std::uint64_t>* store_text(std::atomic<std::uint64_t>* out,
                                              std::string_view text) noexcept {
    const char* p = text.data();
    const std::size_t len = text.size();
    std::size_t i = 0;
    for (; i + 8 <= len; i += 8) (out++)->store(load_u64(p + i), std::memory_order_relaxed);
    if (i < len) {
        // The last 1 to 7 bytes: the second word of the head of the 9 to 15 bytes ending at
        // the text's end, or of a text that short, the first.
        const std::uint64_t tail =
            i >= 8 ? value_head(p + i - 8, len - i + 8).hi : value_head(p, len).lo;
        (out++)->store(tail, std::memory_order_relaxed);
    }
    return out;
}

/// Bytes of labels a cell holds when made for a short exemplar: a 32-digit trace id with a
/// 16-digit span id takes 80. A longer exemplar moves its bucket's cell to one of
/// exemplar_capacity bytes, once.
inline constexpr std::size_t small_exemplar_capacity = 128;

/// The latest exemplar one writer (see exemplar_slots) recorded for one counter series or
/// histogram bucket, behind a sequence lock: readers retry until they copied a whole one, so a
/// scrape never shows a torn exemplar. Every field is an atomic, so the lock is also
/// data-race-free in the C++ memory model (and under ThreadSanitizer). Made as an
/// exemplar_cell_of<capacity>, which holds the words `data` points to.
struct exemplar_cell {
    std::atomic<std::uint32_t> seq{0};  // odd while a writer is copying; 0: never written
    std::atomic<std::uint32_t> size{0}; // bytes of labels
    std::atomic<double> value{0.0};
    std::atomic<double> timestamp{0.0};
    std::atomic<std::uint32_t> epoch{0};           // exemplar_slots' epoch when written
    std::atomic<std::uint32_t> counted_invalid{0}; // seq of the last exemplar counted as invalid
    std::atomic<std::uint64_t>* const data;        // capacity / 8 words
    const std::uint32_t capacity;                  // bytes
    // The system clock's second when written, modulo 2^32, whatever timestamp at() gave: the
    // latest of a bucket's cells is the one recorded last, so that a timestamp given by
    // mistake (milliseconds, +Inf) cannot hide the exemplars recorded after it.
    std::atomic<std::uint32_t> recorded{0};
    // The smaller cell this one took the place of: kept until the metric goes, since a scrape
    // may still be reading it.
    exemplar_cell* replaced = nullptr;

    exemplar_cell(const exemplar_cell&) = delete;
    exemplar_cell& operator=(const exemplar_cell&) = delete;

    /// The even sequence number after the odd `s`: past 2^32 it skips 0, which would read as
    /// "never written" and hide the exemplar (a cell written a million times a second wraps
    /// every 36 minutes).
    static std::uint32_t next_seq(std::uint32_t s) noexcept { return s + 1 != 0 ? s + 1 : 2; }

    /// Writes an exemplar into a cell only the calling thread writes (its thread slot's): no
    /// locked instruction, where taking the lock with a compare-and-swap costs as much as a
    /// relaxed fetch_add. `n` is encoded_exemplar_size(e), at most capacity.
    void write_owned(const exemplar& e, std::size_t n, double v, double ts, std::uint32_t rec,
                     std::uint32_t at_epoch) noexcept {
        const std::uint32_t s = seq.load(std::memory_order_relaxed);
        // Odd: this thread's write was interrupted (a signal handler that records), or, with
        // mingw-w64, a thread exiting still writes with the slot it gave back. Dropping this
        // exemplar leaves the other write whole.
        if (VITALS_DETAIL_UNLIKELY((s & 1) != 0)) return;
        seq.store(s + 1, std::memory_order_relaxed);
        fill(e, n, v, ts, rec, at_epoch);
        seq.store(next_seq(s + 1), std::memory_order_release);
    }

    /// write_owned() for a cell several threads write: a writer that finds another one busy
    /// drops its exemplar, which is then not the latest anyway, so writers never wait.
    void write_shared(const exemplar& e, std::size_t n, double v, double ts, std::uint32_t rec,
                      std::uint32_t at_epoch) noexcept {
        std::uint32_t s = seq.load(std::memory_order_relaxed);
        if ((s & 1) != 0 || !seq.compare_exchange_strong(s, s + 1, std::memory_order_acquire,
                                                         std::memory_order_relaxed))
            return;
        fill(e, n, v, ts, rec, at_epoch);
        seq.store(next_seq(s + 1), std::memory_order_release);
    }

    /// Counts the exemplar of `version` as dropped, once however many scrapes see it.
    void count_invalid(std::uint32_t version) noexcept {
        if (counted_invalid.exchange(version, std::memory_order_relaxed) != version)
            exemplars_dropped_cell().fetch_add(1, std::memory_order_relaxed);
    }

    /// Copies the latest exemplar into `bytes` (exemplar_capacity); returns its size, or 0
    /// when there is none (or writers kept it busy through every attempt). `rec` is when it
    /// was recorded (see `recorded`).
    std::size_t read(char* bytes, double& v, double& ts, std::uint32_t& rec,
                     std::uint32_t* version = nullptr,
                     std::uint32_t* at_epoch = nullptr) const noexcept {
        for (int attempt = 0; attempt < 64; ++attempt) {
            const std::uint32_t s1 = seq.load(std::memory_order_acquire);
            if (version) *version = s1;
            if (s1 == 0) return 0;
            if ((s1 & 1) != 0) continue;
            std::size_t n = size.load(std::memory_order_relaxed);
            if (n > capacity) n = capacity; // torn: the check below retries
            v = value.load(std::memory_order_relaxed);
            ts = timestamp.load(std::memory_order_relaxed);
            rec = recorded.load(std::memory_order_relaxed);
            const std::uint32_t e = epoch.load(std::memory_order_relaxed);
            for (std::size_t i = 0; i * 8 < n; ++i) {
                const std::uint64_t w = data[i].load(std::memory_order_relaxed);
                std::memcpy(bytes + i * 8, &w, n - i * 8 < 8 ? n - i * 8 : 8);
            }
            std::atomic_thread_fence(std::memory_order_acquire);
            if (seq.load(std::memory_order_relaxed) == s1) {
                if (at_epoch) *at_epoch = e;
                return n;
            }
        }
        return 0;
    }

protected:
    exemplar_cell(std::atomic<std::uint64_t>* words, std::uint32_t bytes) noexcept
        : data(words), capacity(bytes) {}
    ~exemplar_cell() = default;

private:
    // The writer's part inside the lock (seq odd).
    void fill(const exemplar& e, std::size_t n, double v, double ts, std::uint32_t rec,
              std::uint32_t at_epoch) noexcept {
        std::atomic_thread_fence(std::memory_order_release); // the odd seq before the fields
        size.store(detail::narrow<std::uint32_t>(n), std::memory_order_relaxed);
        value.store(v, std::memory_order_relaxed);
        timestamp.store(ts, std::memory_order_relaxed);
        recorded.store(rec, std::memory_order_relaxed);
        epoch.store(at_epoch, std::memory_order_relaxed);
        // Straight from the labels' texts into the words: no copy in between to read back.
        std::atomic<std::uint64_t>* out = data;
        for (const exemplar_label& l : e) {
            (out++)->store(exemplar_label_lengths(l.name.size(), l.value.size()),
                           std::memory_order_relaxed);
            out = store_text(out, l.name);
            out = store_text(out, l.value);
        }
    }
};

/// An exemplar_cell of `Bytes` bytes of labels.
template <std::size_t Bytes>
struct exemplar_cell_of final : exemplar_cell {
    static_assert(Bytes % 8 == 0, "whole words");
    exemplar_cell_of() noexcept : exemplar_cell(words, Bytes) {
        for (auto& w : words) w.store(0, std::memory_order_relaxed);
    }
    std::atomic<std::uint64_t> words[Bytes / 8];
};

/// The exemplar cells of one counter (one bucket) or histogram (one per bucket): a table
/// allocated on the first exemplar, each cell on its writer's first exemplar in its bucket, so
/// a metric never given an exemplar costs one null pointer. Owned by the metric.
///
/// Each bucket has a cell per writer: one for each thread slot (see thread_slot.hpp), written
/// by the thread that owns the slot alone, without a locked instruction, and one that threads
/// without a slot share. With one cell per bucket that every thread locked, two threads
/// observing into one bucket took 2.5x one thread's time per observation instead of 0.5x
/// (bench/bench_core.cpp, lockstep). A scrape shows the cell written last, by the system
/// clock's second when recorded (not exemplar::at()'s); of cells from one second, the lowest
/// slot's; cells recorded at a second still ahead of the scrape's rank below the others.
class exemplar_slots {
public:
    static constexpr std::size_t groups =
        VITALS_COUNTER_STRIPES > 1 ? std::size_t{slot_count} + 1 : 1; // the shared one last

    exemplar_slots() noexcept = default;
    exemplar_slots(const exemplar_slots&) = delete;
    exemplar_slots& operator=(const exemplar_slots&) = delete;
    ~exemplar_slots() {
        block* b = block_.load(std::memory_order_acquire);
        if (!b) return;
        for (std::size_t i = 0; i < b->n; ++i)
            delete_cell(b->cells[i].load(std::memory_order_relaxed));
        delete[] b->cells;
        delete b;
    }

    /// Records `e` with value `v` as the latest exemplar of bucket `index` of `count`, written
    /// by the thread of `thread_state` (current_thread_state()). Never throws; drops (and
    /// counts) one that cannot fit or for which memory is short. The other rules are checked
    /// when it is shown (see valid_exemplar()), so recording is a copy.
    void record(unsigned thread_state, std::size_t index, std::size_t count, double v,
                const exemplar& e) noexcept {
        const std::size_t n = encoded_exemplar_size(e);
        block* b = n != 0 ? block_.load(std::memory_order_acquire) : nullptr;
        if (VITALS_DETAIL_UNLIKELY(!b) && n != 0) b = make_block(count);
#if VITALS_COUNTER_STRIPES > 1
        const bool owned = thread_state - 1 < slot_count;
        const std::size_t group = owned ? thread_state - 1 : groups - 1;
#else
        (void)thread_state;
        constexpr bool owned = false;
        constexpr std::size_t group = 0;
#endif
        exemplar_cell* c =
            b && index < b->per_group ? cell(*b, group * b->per_group + index, n) : nullptr;
        if (VITALS_DETAIL_UNLIKELY(!c)) {
            exemplars_dropped_cell().fetch_add(1, std::memory_order_relaxed);
            return;
        }
        const std::time_t seconds = std::time(nullptr);
        const double ts = e.has_timestamp() ? e.timestamp() : static_cast<double>(seconds);
        const auto rec = static_cast<std::uint32_t>(seconds);
        const std::uint32_t at_epoch = b->epoch.load(std::memory_order_relaxed);
        if (owned)
            c->write_owned(e, n, v, ts, rec, at_epoch);
        else
            c->write_shared(e, n, v, ts, rec, at_epoch);
    }

    /// Whether no exemplar was ever recorded here (no table of cells).
    bool empty() const noexcept { return block_.load(std::memory_order_acquire) == nullptr; }

    /// Copies the latest exemplar of bucket `index` into `bytes` (exemplar_capacity) and
    /// returns its size, or 0 when it has none. `*from` and `*version` tell which cell and
    /// write it came from (for exemplar_cell::count_invalid()), `*recorded` the system clock's
    /// second when it was recorded (see exemplar_cell::recorded).
    std::size_t read_latest(std::size_t index, char* bytes, double& v, double& ts,
                            const exemplar_cell** from = nullptr, std::uint32_t* version = nullptr,
                            std::uint32_t* recorded = nullptr) const noexcept {
        const block* b = block_.load(std::memory_order_acquire);
        if (!b || index >= b->per_group) return 0;
        const std::uint32_t current = b->epoch.load(std::memory_order_acquire);
        // A cell recorded more than a second after now was recorded before the wall clock
        // was stepped back (or while it ran ahead): whatever was recorded since ranks above
        // it, else a clock set back an hour kept showing the old exemplar for that hour.
        const auto now = static_cast<std::uint32_t>(std::time(nullptr));
        char other[exemplar_capacity];
        std::size_t found = 0;
        std::uint32_t latest = 0;
        bool latest_ahead = false;
        for (std::size_t g = 0; g < groups; ++g) {
            const exemplar_cell* c =
                b->cells[g * b->per_group + index].load(std::memory_order_acquire);
            if (!c) continue;
            char* into = found == 0 ? bytes : other;
            double cv = 0.0, cts = 0.0;
            std::uint32_t rec = 0, cversion = 0, at_epoch = 0;
            const std::size_t n = c->read(into, cv, cts, rec, &cversion, &at_epoch);
            // Not shown: none, one from before the last reset(), one recorded no later than
            // the one found (seconds modulo 2^32, compared as a difference), or ahead of now
            // where the one found is not.
            if (n == 0 || at_epoch != current) continue;
            const bool ahead = static_cast<std::int32_t>(rec - now) > 1;
            if (found != 0 &&
                (ahead != latest_ahead ? ahead : static_cast<std::int32_t>(rec - latest) <= 0))
                continue;
            if (into != bytes) std::memcpy(bytes, other, n);
            found = n;
            latest = rec;
            latest_ahead = ahead;
            v = cv;
            ts = cts;
            if (from) *from = c;
            if (version) *version = cversion;
            if (recorded) *recorded = rec;
        }
        return found;
    }

    /// Forgets every exemplar (a series removed and re-added starts without): exemplars
    /// recorded before are no longer shown. The cells are not written, since a thread slot's
    /// are written by their owner alone.
    void reset() noexcept {
        if (block* b = block_.load(std::memory_order_acquire))
            b->epoch.fetch_add(1, std::memory_order_release);
    }

private:
    struct block {
        std::size_t n;         // groups * per_group
        std::size_t per_group; // the metric's cells (buckets)
        std::atomic<exemplar_cell*>* cells;
        std::atomic<std::uint32_t> epoch{0}; // reset()s so far
    };

    static void delete_cell(exemplar_cell* c) noexcept {
        while (c) {
            exemplar_cell* replaced = c->replaced;
            if (c->capacity == small_exemplar_capacity)
                delete static_cast<exemplar_cell_of<small_exemplar_capacity>*>(c);
            else
                delete static_cast<exemplar_cell_of<exemplar_capacity>*>(c);
            c = replaced;
        }
    }

    // Cell `i` of `b`, made (or replaced by a bigger one) when it cannot take `n` bytes.
    static exemplar_cell* cell(block& b, std::size_t i, std::size_t n) noexcept {
        exemplar_cell* c = b.cells[i].load(std::memory_order_acquire);
        if (VITALS_DETAIL_LIKELY(c && n <= c->capacity)) return c;
        return make_cell(b.cells[i], c, n);
    }

    VITALS_DETAIL_NOINLINE static exemplar_cell*
    make_cell(std::atomic<exemplar_cell*>& place, exemplar_cell* current, std::size_t n) noexcept {
        for (;;) {
            exemplar_cell* made = nullptr;
            if (n <= small_exemplar_capacity)
                made = new (std::nothrow) exemplar_cell_of<small_exemplar_capacity>();
            else
                made = new (std::nothrow) exemplar_cell_of<exemplar_capacity>();
            if (!made) return nullptr;
            made->replaced = current;
            if (place.compare_exchange_strong(current, made, std::memory_order_acq_rel))
                return made;
            // Another writer of the shared cell put one there first; take it if it is big
            // enough, else replace that one.
            made->replaced = nullptr;
            delete_cell(made);
            if (current && n <= current->capacity) return current;
        }
    }

    VITALS_DETAIL_NOINLINE block* make_block(std::size_t count) noexcept {
        const std::size_t n = groups * count;
        auto* cells = new (std::nothrow) std::atomic<exemplar_cell*>[n];
        if (!cells) return nullptr;
        for (std::size_t i = 0; i < n; ++i) cells[i].store(nullptr, std::memory_order_relaxed);
        auto* b = new (std::nothrow) block{n, count, cells};
        if (!b) {
            delete[] cells;
            return nullptr;
        }
        block* expected = nullptr;
        if (!block_.compare_exchange_strong(expected, b, std::memory_order_acq_rel)) {
            delete[] cells;
            delete b;
            return expected;
        }
        return b;
    }

    std::atomic<block*> block_{nullptr};
};

/// Lets the exposition writers reach a metric's exemplars, which are not part of its API.
struct exemplar_access {
    template <class Metric>
    static const exemplar_slots& of(const Metric& m) noexcept {
        return m.exemplars();
    }
};

} // namespace detail

/// Exemplars dropped so far in this process because they broke a rule (an invalid label name,
/// invalid UTF-8, more than 128 characters, a timestamp that is NaN or infinite) or memory was
/// short. Lock-free.
inline std::uint64_t exemplars_dropped() noexcept {
    return detail::exemplars_dropped_cell().load(std::memory_order_relaxed);
}

VITALS_END_NAMESPACE

#endif // VITALS_EXEMPLAR_HPP
