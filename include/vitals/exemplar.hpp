// vitals/exemplar.hpp - exemplars: a trace id (or other labels) attached to one observation.
// SPDX-License-Identifier: MIT
#ifndef VITALS_EXEMPLAR_HPP
#define VITALS_EXEMPLAR_HPP

#include <vitals/config.hpp>
#include <vitals/detail/narrow.hpp>

#include <atomic>      // atomic, atomic_thread_fence
#include <cstddef>     // size_t, ptrdiff_t
#include <cstdint>     // uint16_t, uint32_t, uint64_t
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
///
/// OpenMetrics limits an exemplar's labels to 128 UTF-8 characters in total, names and values
/// together; label names follow the label-name rules; a timestamp set with at() must be
/// finite. An exemplar that breaks a rule is never shown (the increment or observation
/// itself still counts): recording only copies it, and a scrape that finds it invalid leaves
/// it out and counts it, once, in exemplars_dropped(); one too long to store is dropped and
/// counted when recorded. The timestamp is the second
/// of the system clock when recorded (std::time: a few nanoseconds, where the clock with a
/// fraction costs several observations), unless at() sets one.
class exemplar {
public:
    /// One label, e.g. {"trace_id", "4bf92f3577b34da6a3ce929d0e0e4736"}.
    exemplar(std::string_view name, std::string_view value) noexcept
        : one_{name, value}, labels_(&one_), size_(1) {}
    /// Several labels, e.g. {{"trace_id", t}, {"span_id", s}} (a temporary array that lives
    /// until the end of the call's full expression).
    template <std::size_t N>
    exemplar(const exemplar_label (&labels)[N]) noexcept : labels_(labels), size_(N) {}
    /// `n` labels at `labels`.
    exemplar(const exemplar_label* labels, std::size_t n) noexcept : labels_(labels), size_(n) {}
    exemplar(const exemplar& other) noexcept
        : one_(other.one_), labels_(other.labels_ == &other.one_ ? &one_ : other.labels_),
          size_(other.size_), timestamp_(other.timestamp_) {}
    exemplar& operator=(const exemplar&) = delete;

    /// Uses `unix_seconds` as the exemplar's timestamp instead of the time it is recorded.
    /// A NaN or infinite timestamp makes the exemplar invalid (never shown, and counted).
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
inline std::atomic<std::uint64_t>& exemplars_dropped_cell() noexcept {
    static std::atomic<std::uint64_t> cell{0};
    return cell;
}

/// Bytes an exemplar's labels take in a cell: per label a 2-byte name length, the name, a
/// 2-byte value length and the value. 128 characters of at most 4 bytes plus the lengths of
/// up to 64 labels fit.
inline constexpr std::size_t exemplar_capacity = 768;
inline constexpr std::size_t max_exemplar_chars = 128;

/// Copies `n` bytes: short label texts are copied inline, without a call into the C library,
/// in 16-, 8- or 4-byte moves; the last move of a text ends at its end, overlapping the one
/// before it, so that no byte loop runs and nothing past the text is read.
inline void copy_small(char* out, const char* in, std::size_t n) noexcept {
    if (n >= 16) {
        for (std::size_t i = 0; i + 16 < n; i += 16) std::memcpy(out + i, in + i, 16);
        std::memcpy(out + n - 16, in + n - 16, 16);
    } else if (n >= 8) {
        std::memcpy(out, in, 8);
        std::memcpy(out + n - 8, in + n - 8, 8);
    } else if (n >= 4) {
        std::memcpy(out, in, 4);
        std::memcpy(out + n - 4, in + n - 4, 4);
    } else if (n > 0) {
        out[0] = in[0];
        out[n / 2] = in[n / 2];
        out[n - 1] = in[n - 1];
    }
}

/// Encodes `e`'s labels into `out` (exemplar_capacity bytes) without judging them; returns
/// the size, or 0 when they cannot fit (then they break the 128-character rule anyway). The
/// rules are checked when the exemplar is shown (valid_exemplar()): recording stays a copy.
inline std::size_t encode_exemplar(const exemplar& e, char* out) noexcept {
    std::size_t n = 0;
    for (const exemplar_label* l = e.begin(); l != e.end(); ++l) {
        const std::size_t need = 4 + l->name.size() + l->value.size();
        if (need > exemplar_capacity - 8 - n) return 0; // 8: room for the padding below
        out[n] = static_cast<char>(l->name.size() & 0xFF);
        out[n + 1] = static_cast<char>(l->name.size() >> 8);
        copy_small(out + n + 2, l->name.data(), l->name.size());
        n += 2 + l->name.size();
        out[n] = static_cast<char>(l->value.size() & 0xFF);
        out[n + 1] = static_cast<char>(l->value.size() >> 8);
        copy_small(out + n + 2, l->value.data(), l->value.size());
        n += 2 + l->value.size();
    }
    std::memset(out + n, 0, 8); // the last word's padding: cells copy whole words
    return n;
}

/// The latest exemplar of one counter series or histogram bucket, behind a sequence lock:
/// writers never wait (one that finds another writer busy drops its exemplar, which is then
/// not the latest anyway), and readers retry until they copied a whole one, so a scrape never
/// shows a torn exemplar. Every field is an atomic, so the lock is also data-race-free in the
/// C++ memory model (and under ThreadSanitizer).
struct exemplar_cell {
    static constexpr std::size_t words = exemplar_capacity / 8;
    std::atomic<std::uint32_t> seq{0};  // odd while a writer is copying; 0: never written
    std::atomic<std::uint32_t> size{0}; // 0: no exemplar (cleared)
    std::atomic<double> value{0.0};
    std::atomic<double> timestamp{0.0};
    std::atomic<std::uint64_t> data[words];
    std::atomic<std::uint32_t> counted_invalid{0}; // seq of the last exemplar counted as invalid

    exemplar_cell() noexcept {
        for (auto& w : data) w.store(0, std::memory_order_relaxed);
    }

    /// The even sequence number after the odd `s`: past 2^32 it skips 0, which would read as
    /// "never written" and hide the exemplar (a cell written a million times a second wraps
    /// every 36 minutes).
    static std::uint32_t next_seq(std::uint32_t s) noexcept { return s + 1 != 0 ? s + 1 : 2; }

    /// `bytes` holds `n` bytes and zeros up to the next multiple of 8 (see encode_exemplar()).
    void write(const char* bytes, std::size_t n, double v, double ts) noexcept {
        std::uint32_t s = seq.load(std::memory_order_relaxed);
        if ((s & 1) != 0 || !seq.compare_exchange_strong(s, s + 1, std::memory_order_acquire,
                                                         std::memory_order_relaxed))
            return; // another writer is busy: its exemplar wins
        std::atomic_thread_fence(std::memory_order_release);
        size.store(detail::narrow<std::uint32_t>(n), std::memory_order_relaxed);
        value.store(v, std::memory_order_relaxed);
        timestamp.store(ts, std::memory_order_relaxed);
        // Whole words with fixed-size copies (register loads); `bytes` is padded to a word.
        for (std::size_t i = 0; i < n; i += 8) {
            std::uint64_t w;
            std::memcpy(&w, bytes + i, 8);
            data[i / 8].store(w, std::memory_order_relaxed);
        }
        seq.store(next_seq(s + 1), std::memory_order_release);
    }

    /// Empties the cell (unless a writer is busy: its exemplar is newer anyway).
    void clear() noexcept {
        std::uint32_t s = seq.load(std::memory_order_relaxed);
        if (s == 0 || (s & 1) != 0 ||
            !seq.compare_exchange_strong(s, s + 1, std::memory_order_acquire,
                                         std::memory_order_relaxed))
            return;
        std::atomic_thread_fence(std::memory_order_release);
        size.store(0, std::memory_order_relaxed);
        seq.store(next_seq(s + 1), std::memory_order_release);
    }

    /// Counts the exemplar of `version` as dropped, once however many scrapes see it.
    void count_invalid(std::uint32_t version) noexcept {
        if (counted_invalid.exchange(version, std::memory_order_relaxed) != version)
            exemplars_dropped_cell().fetch_add(1, std::memory_order_relaxed);
    }

    /// Copies the latest exemplar into `bytes` (exemplar_capacity); returns its size, or 0
    /// when there is none (or writers kept it busy through every attempt).
    std::size_t read(char* bytes, double& v, double& ts,
                     std::uint32_t* version = nullptr) const noexcept {
        for (int attempt = 0; attempt < 64; ++attempt) {
            const std::uint32_t s1 = seq.load(std::memory_order_acquire);
            if (version) *version = s1;
            if (s1 == 0) return 0;
            if ((s1 & 1) != 0) continue;
            std::size_t n = size.load(std::memory_order_relaxed);
            if (n > exemplar_capacity) n = exemplar_capacity; // torn: the check below retries
            v = value.load(std::memory_order_relaxed);
            ts = timestamp.load(std::memory_order_relaxed);
            for (std::size_t i = 0; i * 8 < n; ++i) {
                const std::uint64_t w = data[i].load(std::memory_order_relaxed);
                std::memcpy(bytes + i * 8, &w, n - i * 8 < 8 ? n - i * 8 : 8);
            }
            std::atomic_thread_fence(std::memory_order_acquire);
            if (seq.load(std::memory_order_relaxed) == s1) return n;
        }
        return 0;
    }
};

/// The exemplar cells of one counter (one cell) or histogram (one per bucket), allocated on
/// the first exemplar, each cell on the first exemplar of its bucket: a metric never given an
/// exemplar costs one null pointer. Owned by the metric.
class exemplar_slots {
public:
    exemplar_slots() noexcept = default;
    exemplar_slots(const exemplar_slots&) = delete;
    exemplar_slots& operator=(const exemplar_slots&) = delete;
    ~exemplar_slots() {
        block* b = block_.load(std::memory_order_acquire);
        if (!b) return;
        for (std::size_t i = 0; i < b->n; ++i) delete b->cells[i].load(std::memory_order_relaxed);
        delete[] b->cells;
        delete b;
    }

    /// Records `e` with value `v` as the latest exemplar of cell `index` of `count`. Never
    /// throws; drops (and counts) one that cannot fit or for which memory is short. The other
    /// rules are checked when it is shown (see valid_exemplar()), so recording is a copy.
    void record(std::size_t index, std::size_t count, double v, const exemplar& e) noexcept {
        char bytes[exemplar_capacity];
        const std::size_t n = e.size() != 0 ? encode_exemplar(e, bytes) : 0;
        exemplar_cell* c = n != 0 ? cell(index, count) : nullptr;
        if (VITALS_DETAIL_UNLIKELY(!c)) {
            exemplars_dropped_cell().fetch_add(1, std::memory_order_relaxed);
            return;
        }
        c->write(bytes, n, v, e.has_timestamp() ? e.timestamp() : now());
    }

    /// The cell of `index`, or null when it has had no exemplar.
    const exemplar_cell* find(std::size_t index) const noexcept {
        const block* b = block_.load(std::memory_order_acquire);
        if (!b || index >= b->n) return nullptr;
        return b->cells[index].load(std::memory_order_acquire);
    }

    /// Forgets every exemplar (a series removed and re-added starts without). Each cell is
    /// emptied under its lock, so a reader never mixes the old exemplar with a new one.
    void reset() noexcept {
        block* b = block_.load(std::memory_order_acquire);
        if (!b) return;
        for (std::size_t i = 0; i < b->n; ++i)
            if (exemplar_cell* c = b->cells[i].load(std::memory_order_acquire)) c->clear();
    }

private:
    struct block {
        std::size_t n;
        std::atomic<exemplar_cell*>* cells;
    };

    // Whole seconds from std::time(): a few nanoseconds where the system clock with its
    // fraction costs several times an observation; exemplar::at() gives a finer time.
    static double now() noexcept { return static_cast<double>(std::time(nullptr)); }

    exemplar_cell* cell(std::size_t index, std::size_t count) noexcept {
        block* b = block_.load(std::memory_order_acquire);
        if (VITALS_DETAIL_UNLIKELY(!b)) b = make_block(count);
        if (!b || index >= b->n) return nullptr;
        exemplar_cell* c = b->cells[index].load(std::memory_order_acquire);
        if (VITALS_DETAIL_LIKELY(c)) return c;
        c = new (std::nothrow) exemplar_cell();
        if (!c) return nullptr;
        exemplar_cell* expected = nullptr;
        if (!b->cells[index].compare_exchange_strong(expected, c, std::memory_order_acq_rel)) {
            delete c; // another thread installed one first
            return expected;
        }
        return c;
    }

    VITALS_DETAIL_NOINLINE block* make_block(std::size_t count) noexcept {
        auto* cells = new (std::nothrow) std::atomic<exemplar_cell*>[count];
        if (!cells) return nullptr;
        for (std::size_t i = 0; i < count; ++i) cells[i].store(nullptr, std::memory_order_relaxed);
        auto* b = new (std::nothrow) block{count, cells};
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
