// vitals/detail/text_output.hpp - the buffered writer behind the serializer.
// SPDX-License-Identifier: MIT
#ifndef VITALS_DETAIL_TEXT_OUTPUT_HPP
#define VITALS_DETAIL_TEXT_OUTPUT_HPP

#include <vitals/config.hpp>
#include <vitals/detail/format_number.hpp>

#include <cstddef>     // size_t
#include <cstring>     // memcpy
#include <string>      // string
#include <string_view> // string_view

VITALS_BEGIN_NAMESPACE

/// A sink for serialized text: called with consecutive chunks of the exposition.
/// `context` is the pointer given with the sink.
using text_sink = void (*)(void* context, const char* data, std::size_t size);

namespace detail {

/// Writes into a caller's std::string (growing it geometrically, so a reused string stops
/// allocating) or into a fixed buffer that is flushed to a text_sink when full.
class text_output {
    static constexpr std::size_t zero_fill_window = 32768;

public:
    explicit text_output(std::string& target) : string_(&target), start_(target.size()) {
        // Within the capacity the string already has, its size grows one window at a time
        // (see make_room): resize() zero-fills what it adds, and zeroing a few KiB just
        // before writing them is cheaper than zeroing megabytes of a reused buffer up front
        // (about 10% of a 10,000-series scrape, issue 2 benchmark).
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
    text_output(text_sink sink, void* context, char* buffer, std::size_t capacity) noexcept
        : sink_(sink), context_(context), begin_(buffer), cur_(buffer), end_(buffer + capacity) {}

    text_output(const text_output&) = delete;
    text_output& operator=(const text_output&) = delete;
    ~text_output() { finish(); }

    void write(const char* data, std::size_t n) {
        if (VITALS_DETAIL_UNLIKELY(n > static_cast<std::size_t>(end_ - cur_))) {
            write_slow(data, n);
            return;
        }
        std::memcpy(cur_, data, n);
        cur_ += n;
    }
    void write(std::string_view s) { write(s.data(), s.size()); }
    void put(char c) {
        if (VITALS_DETAIL_UNLIKELY(cur_ == end_)) make_room(1);
        *cur_++ = c;
    }
    void write_double(double v) {
        if (VITALS_DETAIL_UNLIKELY(static_cast<std::size_t>(end_ - cur_) < max_number_chars)) {
            char tmp[max_number_chars]; // a sink buffer may be smaller than a number
            write(tmp, format_double(tmp, v));
            return;
        }
        cur_ += format_double(cur_, v);
    }
    void write_uint(std::uint64_t v) {
        if (VITALS_DETAIL_UNLIKELY(static_cast<std::size_t>(end_ - cur_) < max_number_chars)) {
            char tmp[max_number_chars];
            write(tmp, format_uint(tmp, v));
            return;
        }
        cur_ += format_uint(cur_, v);
    }

    /// Trims the string to what was written, or flushes the buffer to the sink. Idempotent.
    void finish() {
        if (string_) {
            string_->resize(static_cast<std::size_t>(cur_ - begin_));
            string_ = nullptr;
        } else if (sink_) {
            flush();
            sink_ = nullptr;
        }
    }

private:
    void flush() {
        if (cur_ != begin_) sink_(context_, begin_, static_cast<std::size_t>(cur_ - begin_));
        cur_ = begin_;
    }
    void make_room(std::size_t n) {
        if (string_) {
            const std::size_t used = static_cast<std::size_t>(cur_ - begin_);
            const std::size_t capacity = string_->capacity();
            std::size_t size = string_->size();
            if (size < capacity) // the next window of what the string already holds
                size = capacity - size > zero_fill_window ? size + zero_fill_window : capacity;
            else // geometric growth: a reused string stops allocating
                size *= 2;
            if (size < used + n) size = used + n;
            string_->resize(size);
            begin_ = &(*string_)[0];
            cur_ = begin_ + used;
            end_ = begin_ + size;
        } else {
            flush();
        }
    }
    void write_slow(const char* data, std::size_t n) {
        if (string_) {
            make_room(n);
            std::memcpy(cur_, data, n);
            cur_ += n;
            return;
        }
        // Fill and flush the caller's buffer as often as needed: a sink with a fixed-size
        // destination (a UART, a packet) never receives a chunk larger than the buffer.
        while (n > 0) {
            if (cur_ == end_) flush();
            std::size_t k = static_cast<std::size_t>(end_ - cur_);
            if (k > n) k = n;
            std::memcpy(cur_, data, k);
            cur_ += k;
            data += k;
            n -= k;
        }
    }

    std::string* string_ = nullptr;
    std::size_t start_ = 0;
    text_sink sink_ = nullptr;
    void* context_ = nullptr;
    char* begin_;
    char* cur_;
    char* end_;
};

} // namespace detail
VITALS_END_NAMESPACE

#endif // VITALS_DETAIL_TEXT_OUTPUT_HPP
