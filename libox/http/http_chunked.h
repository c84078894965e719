// The chunked transfer coding of a response body (RFC 9112 7.1), decoded
// as a byte-at-a-time state machine: the chunks may arrive split anywhere.
// Chunk data is handed out as views into the input, never copied.
#ifndef LIBOX_HTTP_CHUNKED_H
#define LIBOX_HTTP_CHUNKED_H

#include <cstddef>
#include <cstdint>

namespace ox::http {

class ChunkDecoder {
public:
    enum class Result : std::uint8_t {
        data,       // [out, out + out_len) is body data
        need_more,  // all input taken, the body goes on
        done,       // the last chunk and the trailer section have ended
        malformed,  // see detail()
    };

    ChunkDecoder() noexcept { reset(); }
    void reset() noexcept;

    // Decodes from in[0..len). `used` bytes of the input are taken (the
    // caller drops them); on `data` the data lies within them, at their end.
    // Stops at the end of the body: bytes behind it are not taken.
    Result decode(const char* in, std::size_t len, std::size_t& used, const char*& out, std::size_t& out_len) noexcept;

    const char* detail() const noexcept { return detail_; }

private:
    enum class State : std::uint8_t {
        size_start,   // the first hex digit of a chunk size
        size,         // more hex digits, ';', BWS or CR
        size_bws,     // whitespace after the size: only before ';'
        ext,          // a chunk extension, up to CR
        size_lf,      // LF after the size line's CR
        data,         // chunk data
        data_cr,      // CR after the data
        data_lf,      // LF after the data
        line_start,   // a trailer field, or CR of the blank line
        name,         // a trailer field's name
        value,        // its value, up to CR
        line_lf,      // LF after a trailer field
        end_lf,       // LF of the blank line that ends the body
        done,
        failed,
    };

    Result fail(const char* detail) noexcept;
    bool bad(const char* detail) noexcept;
    // One framing byte (any state but data); false when it broke a rule.
    bool step(char c) noexcept;

    State state_ = State::size_start;
    std::uint64_t remaining_ = 0;  // of the current chunk (its size while reading the size)
    std::size_t line_len_ = 0;     // of the current size line
    std::size_t trailer_len_ = 0;  // of the trailer section so far
    const char* detail_ = nullptr;
};

}  // namespace ox::http

#endif
