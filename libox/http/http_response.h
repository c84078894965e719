// The head of an HTTP/1.x response (status line and header fields), parsed
// strictly as its bytes arrive (RFC 9112 2-6). A backend that breaks a rule
// gets no benefit of the doubt: a proxy that guesses the framing of a
// response can be made to mix up two responses.
#ifndef LIBOX_HTTP_RESPONSE_H
#define LIBOX_HTTP_RESPONSE_H

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ox::http {

constexpr std::size_t kMaxHeaders = 100;
constexpr std::size_t kDefaultMaxHead = 64 * 1024;
// The largest body length or chunk size taken (2^62): far beyond any real
// body, and sums of two stay clear of overflow.
constexpr std::uint64_t kMaxBodyLength = std::uint64_t(1) << 62;

// How the body of a response is delimited, as its head says.
enum class Framing : std::uint8_t {
    none,         // no body (HEAD, 1xx, 204, 304)
    length,       // Content-Length bytes
    chunked,      // Transfer-Encoding: chunked
    until_close,  // neither: the body ends when the backend closes
};

// Where one header field lies, relative to the head's first byte (the head
// may move in the buffer between two parse() calls).
struct FieldSpan {
    std::uint32_t name_off, name_len, value_off, value_len;
};

class HeadParser {
public:
    enum class Result : std::uint8_t { need_more, done, malformed };

    explicit HeadParser(std::size_t max_head = kDefaultMaxHead) noexcept { reset(max_head); }
    // Starts a new head of at most `max_head` bytes, its blank line included.
    void reset(std::size_t max_head) noexcept;

    // `data` holds the head from its first byte. A later call passes the
    // same bytes again, possibly more of them and at another address; lines
    // already checked are not read again. Bytes behind the head are not
    // looked at.
    Result parse(const char* data, std::size_t len) noexcept;

    // After malformed: which rule was broken (static text).
    const char* detail() const noexcept { return detail_; }

    // After done:
    std::size_t length() const noexcept { return length_; }  // up to and including the blank line
    int status() const noexcept { return status_; }
    bool http10() const noexcept { return http10_; }
    std::string_view reason(const char* data) const noexcept { return {data + reason_off_, reason_len_}; }
    std::size_t field_count() const noexcept { return count_; }
    const FieldSpan& field(std::size_t i) const noexcept { return fields_[i]; }
    // What the header fields say about the body: length, chunked or
    // until_close; the status and the request method are not looked at.
    Framing framing() const noexcept;
    std::uint64_t content_length() const noexcept { return content_length_; }
    // HTTP/1.1 without "Connection: close".
    bool keep_alive() const noexcept { return !http10_ && !close_; }

private:
    Result fail(const char* detail) noexcept;
    bool status_line(std::string_view line) noexcept;
    bool field_line(std::string_view line, std::size_t off) noexcept;
    bool framing_field(std::string_view name, std::string_view value) noexcept;
    bool end_of_head() noexcept;

    std::size_t max_head_ = kDefaultMaxHead;
    std::size_t scanned_ = 0;  // where the next unchecked line starts
    bool status_seen_ = false;
    bool done_ = false;
    const char* detail_ = nullptr;  // set once malformed
    std::size_t length_ = 0;
    int status_ = 0;
    bool http10_ = false;
    std::uint32_t reason_off_ = 0, reason_len_ = 0;
    bool has_length_ = false;
    std::uint64_t content_length_ = 0;
    bool chunked_ = false;
    bool close_ = false;
    std::size_t count_ = 0;
    FieldSpan fields_[kMaxHeaders];
};

}  // namespace ox::http

#endif
