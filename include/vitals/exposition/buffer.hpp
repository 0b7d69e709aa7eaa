// vitals/exposition/buffer.hpp - the one output buffer behind every exposition writer.
// SPDX-License-Identifier: MIT
#ifndef VITALS_EXPOSITION_BUFFER_HPP
#define VITALS_EXPOSITION_BUFFER_HPP

#include <vitals/config.hpp>
#include <vitals/detail/format_number.hpp>
#include <vitals/detail/sink_pause.hpp>

#include <atomic>      // atomic
#include <cstddef>     // size_t
#include <cstdint>     // uint64_t
#include <cstring>     // memcpy
#include <new>         // bad_alloc
#include <string>      // string
#include <string_view> // string_view
#include <type_traits> // enable_if_t, is_convertible

VITALS_BEGIN_NAMESPACE

class registry;

/// A sink for serialized text: called with consecutive chunks of the exposition.
/// `context` is the pointer given with the sink.
using text_sink = void (*)(void* context, const char* data, std::size_t size);

namespace detail {

// The writers call write() and put() for every piece of every line, and compilers left them
// out of line in the larger writers (OpenMetrics), and a render is faster with them inlined
// (bench/bench_core.cpp, BM_serialize_*). Compact builds keep the choice, for code size.
#if VITALS_COMPACT
#define VITALS_DETAIL_OUTPUT_INLINE inline
#else
#define VITALS_DETAIL_OUTPUT_INLINE VITALS_DETAIL_ALWAYS_INLINE
#endif

/// A window [begin, end) that writers fill; when it is full, one function, chosen by the
/// output form, makes room: it grows the caller's std::string (the new-string and
/// reused-string forms) or flushes the window to a text_sink (the caller-buffer form).
/// Every writer (text 0.0.4, OpenMetrics) writes through this one type.
class out_buffer {
    static constexpr std::size_t zero_fill_window = 32768;

public:
    /// Appends to `target`, growing it geometrically, so a reused string stops allocating.
    explicit out_buffer(std::string& target)
        : grow_(&grow_string), string_(&target), start_(target.size()) {
        // Within the capacity the string already has, its size grows one window at a time
        // (see grow_string): resize() zero-fills what it adds, and zeroing a few KiB just
        // before writing them is cheaper than zeroing megabytes of a reused buffer up front,
        // whose cost shows in a large scrape.
        std::size_t want = start_ + 4096;
        if (target.capacity() > want)
            want = target.capacity() - start_ > zero_fill_window ? start_ + zero_fill_window
                                                                 : target.capacity();
        target.resize(want);
        begin_ = &target[0];
        cur_ = begin_ + start_;
        end_ = begin_ + target.size();
    }

    /// `buffer` of `capacity` >= 1 bytes is owned by the caller; the sink never receives more
    /// than `capacity` bytes at once.
    out_buffer(text_sink sink, void* context, char* buffer, std::size_t capacity) noexcept
        : grow_(&flush_to_sink), sink_(sink), context_(context), begin_(buffer), cur_(buffer),
          end_(buffer + capacity) {}

    out_buffer(const out_buffer&) = delete;
    out_buffer& operator=(const out_buffer&) = delete;
    // Only trims a string: a sink is called by finish() alone, which every render calls on
    // success, so an exception (from a throwing sink, say) is never followed by another call
    // to the sink during unwinding, which would resend the failed chunk or terminate.
    ~out_buffer() {
        if (string_) string_->resize(static_cast<std::size_t>(cur_ - begin_));
    }

    VITALS_DETAIL_OUTPUT_INLINE void write(const char* data, std::size_t n) {
        if (VITALS_DETAIL_UNLIKELY(n > static_cast<std::size_t>(end_ - cur_))) {
            write_slow(data, n);
            return;
        }
        std::memcpy(cur_, data, n);
        cur_ += n;
    }
    VITALS_DETAIL_OUTPUT_INLINE void write(std::string_view s) { write(s.data(), s.size()); }
    VITALS_DETAIL_OUTPUT_INLINE void put(char c) {
        if (VITALS_DETAIL_UNLIKELY(cur_ == end_)) grow_(*this, 1);
        *cur_++ = c;
    }
    /// Writes what `format(char* out)` writes and counts (at most max_number_chars bytes):
    /// straight into the window when it has that much room.
    template <class Format>
    void write_formatted(Format&& format) {
        if (VITALS_DETAIL_UNLIKELY(static_cast<std::size_t>(end_ - cur_) < max_number_chars)) {
            char tmp[max_number_chars]; // a sink buffer may be smaller than a number
            write(tmp, format(tmp));
            return;
        }
        cur_ += format(cur_);
    }

    void write_double(double v) {
        write_formatted([v](char* out) { return format_double(out, v); });
    }
    void write_uint(std::uint64_t v) {
        write_formatted([v](char* out) { return format_uint(out, v); });
    }

    /// Where a family's walk puts what it holds, for the sink to run (or the string to grow)
    /// without it (see sink_pause); null outside a walk.
    sink_pause*& pause_slot() noexcept { return pause_; }

    /// Whether the output failed: the sink threw, or the string could not grow (out of
    /// memory). A collector may catch that exception; the registry's walk asks this to end the
    /// render all the same.
    bool failed() const noexcept { return failed_; }

    /// Trims the string to what was written, or flushes the window to the sink. Idempotent.
    void finish() {
        if (string_) {
            string_->resize(static_cast<std::size_t>(cur_ - begin_));
            string_ = nullptr;
        } else if (sink_) {
            flush_to_sink(*this, 0);
            sink_ = nullptr;
        }
    }

private:
    // The growth rule: afterwards the window has room for at least min(n, window size) bytes.
    using grow_fn = void (*)(out_buffer&, std::size_t n);

    // The window is emptied before the call: a chunk the sink failed on is never sent again.
    // The walk's lock is let go meanwhile; if the sink throws, the walk's end knows it is.
    static void flush_to_sink(out_buffer& b, std::size_t) {
        const std::size_t n = static_cast<std::size_t>(b.cur_ - b.begin_);
        b.cur_ = b.begin_;
        // A sink that threw is not called again: what a collector that caught its exception
        // writes next is dropped, and the walk then ends the render.
        if (n == 0 || b.failed_) return;
        sink_pause* const pause = b.pause_;
        if (pause) pause->release(*pause);
        b.failed_ = true; // stays if the sink throws (no try block: no unwind tables)
        b.sink_(b.context_, b.begin_, n);
        b.failed_ = false;
        if (pause) pause->reacquire(*pause);
    }
    // The walk's lock is let go meanwhile too (a window is 32 KiB at most while the string has
    // room, and growing it may allocate and fault pages in): a writer waits for one window.
    static void grow_string(out_buffer& b, std::size_t n) {
        sink_pause* const pause = b.pause_;
        if (b.failed_) {                  // see flush_to_sink(): the window is written over,
            b.cur_ = b.begin_ + b.start_; // after what the string held before the render
#if VITALS_DETAIL_CAN_CATCH()
            if (b.end_ == b.cur_) throw std::bad_alloc(); // no window to write over
#endif
            return;
        }
        if (pause) pause->release(*pause);
        b.failed_ = true; // stays if resize() throws
        resize_string(b, n);
        b.failed_ = false;
        if (pause) pause->reacquire(*pause);
    }
    static void resize_string(out_buffer& b, std::size_t n) {
        std::string& s = *b.string_;
        const std::size_t used = static_cast<std::size_t>(b.cur_ - b.begin_);
        const std::size_t capacity = s.capacity();
        std::size_t size = s.size();
        if (size < capacity) // the next window of what the string already holds
            size = capacity - size > zero_fill_window ? size + zero_fill_window : capacity;
        else // geometric growth: a reused string stops allocating
            size *= 2;
        if (size < used + n) size = used + n;
        s.resize(size);
        b.begin_ = &s[0];
        b.cur_ = b.begin_ + used;
        b.end_ = b.begin_ + size;
    }
    // Fills the window and makes room as often as needed: a sink with a fixed-size
    // destination (a UART, a packet) never receives a chunk larger than its buffer.
    void write_slow(const char* data, std::size_t n) {
        for (;;) {
            std::size_t k = static_cast<std::size_t>(end_ - cur_);
            if (k > n) k = n;
            std::memcpy(cur_, data, k);
            cur_ += k;
            data += k;
            n -= k;
            if (n == 0) return;
            grow_(*this, n);
        }
    }

    grow_fn grow_;
    std::string* string_ = nullptr;
    std::size_t start_ = 0;
    text_sink sink_ = nullptr;
    void* context_ = nullptr;
    sink_pause* pause_ = nullptr;
    char* begin_ = nullptr;
    char* cur_ = nullptr;
    char* end_ = nullptr;
    bool failed_ = false;
};

/// A writer: renders a whole registry into a buffer (one per exposition format).
using render_fn = void (*)(const registry&, out_buffer&);

/// The three output forms every format offers, over its render function.
inline void render_to_string(render_fn render, const registry& reg, std::string& out) {
    out_buffer b(out);
    render(reg, b);
    b.finish();
}

/// A new string of the exposition of `reg`, reserved at the size of the previous one in this
/// format (`last_size`, kept by the registry). Growing a fresh string step by step made every
/// render map and fault in new pages: for 10,000 series, 34 times the cost of rendering into
/// a reused string. With one allocation of the last size, the allocator usually hands the same
/// memory back on the next call. Per registry and format, so that a program rendering two
/// registries, or both formats, in turn keeps each hint. Renders of one registry running at
/// once may store each other's size: a stale hint costs one reallocation at most.
inline std::string render_to_new_string(render_fn render, const registry& reg,
                                        std::atomic<std::size_t>& last_size) {
    std::string out;
    const std::size_t hint = last_size.load(std::memory_order_relaxed);
    if (hint != 0) out.reserve(hint + 4096); // room to grow a little
    render_to_string(render, reg, out);
    last_size.store(out.size(), std::memory_order_relaxed);
    return out;
}

inline void render_to_sink(render_fn render, const registry& reg, text_sink sink, void* context,
                           char* buffer, std::size_t capacity) {
    char fallback[64];
    if (buffer == nullptr || capacity == 0) {
        buffer = fallback;
        capacity = sizeof fallback;
    }
    out_buffer b(sink, context, buffer, capacity);
    render(reg, b);
    b.finish();
}

template <class Fn>
void render_to_callable(render_fn render, const registry& reg, Fn& fn) {
    char buffer[1024];
    render_to_sink(
        render, reg,
        [](void* ctx, const char* data, std::size_t size) { (*static_cast<Fn*>(ctx))(data, size); },
        const_cast<void*>(static_cast<const void*>(&fn)), buffer, sizeof buffer);
}

/// Selects the callable overloads of the write functions (not a std::string).
template <class Fn>
using if_callable_sink = std::enable_if_t<!std::is_convertible<Fn, std::string&>::value>;

} // namespace detail
VITALS_END_NAMESPACE

#endif // VITALS_EXPOSITION_BUFFER_HPP
