#include "http/http_chunked.h"

#include <algorithm>

#include "core/text.h"
#include "http/http_response.h"

namespace ox::http {

namespace {
// A size line (digits and extensions) and the trailers are read only to be
// dropped: bounded, so a backend cannot keep the exchange busy with them.
constexpr std::size_t kMaxSizeLine = 1024;
constexpr std::size_t kMaxTrailers = 16 * 1024;

bool is_ctl(char ch) noexcept
{
    auto c = static_cast<unsigned char>(ch);
    return (c < 0x20 && c != '\t') || c == 0x7F;
}
}  // namespace

void ChunkDecoder::reset() noexcept
{
    state_ = State::size_start;
    remaining_ = 0;
    line_len_ = 0;
    trailer_len_ = 0;
    detail_ = nullptr;
}

ChunkDecoder::Result ChunkDecoder::fail(const char* detail) noexcept
{
    state_ = State::failed;
    detail_ = detail;
    return Result::malformed;
}

ChunkDecoder::Result ChunkDecoder::decode(const char* in, std::size_t len, std::size_t& used, const char*& out,
                                          std::size_t& out_len) noexcept
{
    used = 0;
    out = nullptr;
    out_len = 0;
    while (used < len) {
        if (state_ == State::done) return Result::done;
        if (state_ == State::failed) return Result::malformed;
        if (state_ == State::data) {
            std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, len - used));
            out = in + used;
            out_len = n;
            used += n;
            remaining_ -= n;
            if (remaining_ == 0) state_ = State::data_cr;
            return Result::data;
        }
        if (!step(in[used])) return Result::malformed;
        ++used;
    }
    if (state_ == State::done) return Result::done;
    if (state_ == State::failed) return Result::malformed;
    return Result::need_more;
}

bool ChunkDecoder::bad(const char* detail) noexcept
{
    fail(detail);
    return false;
}

bool ChunkDecoder::step(char c) noexcept
{
    switch (state_) {
    case State::size_start:
    case State::size: {
        if (++line_len_ > kMaxSizeLine) return bad("chunk size line too long");
        int d = hex_digit(c);
        if (d >= 0) {
            if (remaining_ > (kMaxBodyLength - static_cast<unsigned>(d)) / 16) return bad("chunk size too large");
            remaining_ = remaining_ * 16 + static_cast<unsigned>(d);
            state_ = State::size;
            return true;
        }
        if (state_ == State::size_start) return bad("chunk size is not a hex number");
        if (c == ';') {
            state_ = State::ext;
        } else if (is_ows(c)) {
            state_ = State::size_bws;
        } else if (c == '\r') {
            state_ = State::size_lf;
        } else {
            return bad("chunk size is not a hex number");
        }
        return true;
    }
    case State::size_bws:
        if (++line_len_ > kMaxSizeLine) return bad("chunk size line too long");
        if (c == ';') {
            state_ = State::ext;
        } else if (!is_ows(c)) {
            return bad("whitespace after a chunk size without an extension");
        }
        return true;
    case State::ext:
        if (++line_len_ > kMaxSizeLine) return bad("chunk size line too long");
        if (c == '\r') {
            state_ = State::size_lf;
        } else if (is_ctl(c)) {
            return bad("control character in a chunk extension");
        }
        return true;
    case State::size_lf:
        if (c != '\n') return bad("chunk size line not ended by CRLF");
        line_len_ = 0;
        state_ = remaining_ > 0 ? State::data : State::line_start;
        return true;
    case State::data_cr:
        if (c != '\r') return bad("chunk data not followed by CRLF");
        state_ = State::data_lf;
        return true;
    case State::data_lf:
        if (c != '\n') return bad("chunk data not followed by CRLF");
        state_ = State::size_start;
        return true;
    default:
        break;
    }
    // The trailer section: fields as in a head, read and dropped.
    if (++trailer_len_ > kMaxTrailers) return bad("trailer section too large");
    switch (state_) {
    case State::line_start:
        if (c == '\r') {
            state_ = State::end_lf;
        } else if (is_ows(c)) {
            return bad("trailer line starts with whitespace (obs-fold)");
        } else if (!is_tchar(c)) {
            return bad("invalid trailer field");
        } else {
            state_ = State::name;
        }
        return true;
    case State::name:
        if (c == ':') {
            state_ = State::value;
        } else if (!is_tchar(c)) {
            return bad("invalid trailer field");
        }
        return true;
    case State::value:
        if (c == '\r') {
            state_ = State::line_lf;
        } else if (is_ctl(c)) {
            return bad("control character in a trailer field");
        }
        return true;
    case State::line_lf:
        if (c != '\n') return bad("trailer line not ended by CRLF");
        state_ = State::line_start;
        return true;
    case State::end_lf:
        if (c != '\n') return bad("trailer section not ended by CRLF");
        state_ = State::done;
        return true;
    default:
        return bad("chunk decoder used after its end");
    }
}

}  // namespace ox::http
