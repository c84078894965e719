#include "http/http_response.h"

#include <algorithm>
#include <cstring>

#include "core/text.h"
#include "proxy/hop_by_hop.h"

namespace ox::http {

namespace {
// Offsets are 32 bits; no head comes near this.
constexpr std::size_t kLargestMaxHead = std::size_t(1) << 30;
}  // namespace

void HeadParser::reset(std::size_t max_head) noexcept
{
    max_head_ = std::min(max_head, kLargestMaxHead);
    scanned_ = 0;
    status_seen_ = false;
    done_ = false;
    detail_ = nullptr;
    length_ = 0;
    status_ = 0;
    http10_ = false;
    reason_off_ = reason_len_ = 0;
    has_length_ = false;
    content_length_ = 0;
    chunked_ = false;
    close_ = false;
    count_ = 0;
}

HeadParser::Result HeadParser::fail(const char* detail) noexcept
{
    detail_ = detail;
    return Result::malformed;
}

HeadParser::Result HeadParser::parse(const char* data, std::size_t len) noexcept
{
    if (detail_) return Result::malformed;
    if (done_) return Result::done;
    // Only the first max_head bytes can hold the head; the lines in them are
    // checked in order whatever the reads were, so every split of the same
    // bytes ends with the same verdict.
    std::size_t limit = std::min(len, max_head_);
    while (scanned_ < limit) {
        const void* lf = std::memchr(data + scanned_, '\n', limit - scanned_);
        if (!lf) break;
        std::size_t end = static_cast<std::size_t>(static_cast<const char*>(lf) - data);
        // RFC 9112 2.2 lets a recipient take a bare LF as a line end; a
        // proxy that does while the next hop does not can be fooled.
        if (end == scanned_ || data[end - 1] != '\r') return fail("bare LF in the response head");
        std::size_t off = scanned_;
        std::string_view line(data + off, end - 1 - off);
        scanned_ = end + 1;
        if (line.find('\r') != std::string_view::npos) return fail("CR without LF in the response head");
        if (!status_seen_) {
            if (!status_line(line)) return Result::malformed;
            status_seen_ = true;
        } else if (line.empty()) {
            length_ = scanned_;
            if (!end_of_head()) return Result::malformed;
            done_ = true;
            return Result::done;
        } else if (!field_line(line, off)) {
            return Result::malformed;
        }
    }
    if (len >= max_head_) return fail("response head too large");
    return Result::need_more;
}

// HTTP-version SP 3DIGIT [SP reason-phrase]: the reason may be empty, and
// some servers leave out the space before it as well.
bool HeadParser::status_line(std::string_view line) noexcept
{
    if (line.size() < 8 || line.substr(0, 7) != "HTTP/1." || (line[7] != '1' && line[7] != '0')) {
        fail("status line does not start with HTTP/1.1 or HTTP/1.0");
        return false;
    }
    http10_ = line[7] == '0';
    if (line.size() < 9 || line[8] != ' ') {
        fail("no single space after the HTTP version");
        return false;
    }
    if (line.size() < 12) {
        fail("status code is not three digits");
        return false;
    }
    int status = 0;
    for (std::size_t i = 9; i < 12; ++i) {
        if (line[i] < '0' || line[i] > '9') {
            fail("status code is not three digits");
            return false;
        }
        status = status * 10 + (line[i] - '0');
    }
    if (status < 100 || status > 599) {
        fail("status code outside 100-599");
        return false;
    }
    status_ = status;
    if (line.size() > 12) {
        if (line[12] != ' ') {
            fail("status code is not three digits");
            return false;
        }
        std::string_view reason = line.substr(13);
        if (!is_field_text(reason)) {
            fail("control character in the reason phrase");
            return false;
        }
        reason_off_ = 13;
        reason_len_ = static_cast<std::uint32_t>(reason.size());
    }
    return true;
}

bool HeadParser::field_line(std::string_view line, std::size_t off) noexcept
{
    // A line folded onto the previous one (obs-fold) is a value some
    // recipients join and others split: refused (RFC 9112 5.2).
    if (is_ows(line[0])) {
        fail("header line starts with whitespace (obs-fold)");
        return false;
    }
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
        fail("header line without ':'");
        return false;
    }
    std::string_view name = line.substr(0, colon);
    if (name.empty()) {
        fail("empty header name");
        return false;
    }
    // RFC 9112 5.1: a proxy must reject whitespace between name and colon.
    if (is_ows(name.back())) {
        fail("whitespace before ':' in a header line");
        return false;
    }
    if (!is_token(name)) {
        fail("invalid character in a header name");
        return false;
    }
    std::string_view raw = line.substr(colon + 1);
    std::string_view value = trim_ows(raw);
    if (!is_field_text(value)) {
        fail("control character in a header value");
        return false;
    }
    if (count_ == kMaxHeaders) {
        fail("more than 100 header fields");
        return false;
    }
    std::size_t value_off = off + colon + 1 + static_cast<std::size_t>(value.data() - raw.data());
    fields_[count_++] = {static_cast<std::uint32_t>(off), static_cast<std::uint32_t>(name.size()),
                         static_cast<std::uint32_t>(value_off), static_cast<std::uint32_t>(value.size())};
    return framing_field(name, value);
}

// Content-Length, Transfer-Encoding and Connection decide where this
// response ends and whether another may follow it.
bool HeadParser::framing_field(std::string_view name, std::string_view value) noexcept
{
    if (equals_lowercase(name, "content-length")) {
        unsigned long long n = 0;
        if (!parse_decimal(value, n) || n > kMaxBodyLength) {
            fail("invalid Content-Length");
            return false;
        }
        // RFC 9112 6.3 item 5 would let equal duplicates be merged; a backend
        // that sends two is broken or lying about the framing, and a
        // front end in between might read either: refused, equal or not.
        if (has_length_) {
            fail("more than one Content-Length field");
            return false;
        }
        has_length_ = true;
        content_length_ = n;
    } else if (equals_lowercase(name, "transfer-encoding")) {
        // Only chunked, alone: any other coding would have to be decoded
        // (or passed on with the framing unknown).
        if (chunked_ || !equals_lowercase(value, "chunked")) {
            fail("Transfer-Encoding other than a single chunked");
            return false;
        }
        chunked_ = true;
    } else if (equals_lowercase(name, "connection")) {
        if (proxy::connection_names(value, "close")) close_ = true;
    }
    return true;
}

bool HeadParser::end_of_head() noexcept
{
    // RFC 9112 6.1 and 6.3 item 3: such a message is a smuggling attempt
    // or a broken server; either way its end is unknown.
    if (chunked_ && has_length_) {
        fail("both Transfer-Encoding and Content-Length");
        return false;
    }
    if (chunked_ && http10_) {
        fail("Transfer-Encoding in an HTTP/1.0 response");
        return false;
    }
    return true;
}

Framing HeadParser::framing() const noexcept
{
    if (chunked_) return Framing::chunked;
    if (has_length_) return Framing::length;
    return Framing::until_close;
}

}  // namespace ox::http
