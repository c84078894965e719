#include "http/http_reader.h"

#include <algorithm>

#include "core/text.h"

namespace ox::http {

namespace {
// Interim responses carry no body, so a backend could send them forever
// while the final one never comes.
constexpr unsigned kMaxInterim = 16;
}  // namespace

void ResponseReader::start(bool head_request, bool allow_upgrade, std::size_t max_head) noexcept
{
    head_.reset(max_head);
    chunks_.reset();
    phase_ = Phase::head;
    framing_ = Framing::none;
    head_request_ = head_request;
    allow_upgrade_ = allow_upgrade;
    upgraded_ = false;
    max_head_ = max_head;
    interim_ = 0;
    remaining_ = 0;
    head_base_ = nullptr;
    detail_ = nullptr;
}

ResponseReader::Step ResponseReader::fail(const char* detail) noexcept
{
    phase_ = Phase::failed;
    detail_ = detail;
    return Step::malformed;
}

ResponseReader::Step ResponseReader::next(const char* data, std::size_t len, std::size_t& used, const char*& out,
                                          std::size_t& out_len) noexcept
{
    used = 0;
    out = nullptr;
    out_len = 0;
    switch (phase_) {
    case Phase::head: return head_step(data, len, used);
    case Phase::body: return body_step(data, len, used, out, out_len);
    case Phase::done: return Step::done;
    default: return Step::malformed;
    }
}

ResponseReader::Step ResponseReader::head_step(const char* data, std::size_t len, std::size_t& used) noexcept
{
    for (;;) {
        HeadParser::Result r = head_.parse(data + used, len - used);
        if (r == HeadParser::Result::need_more) return Step::need_more;
        if (r == HeadParser::Result::malformed) return fail(head_.detail());
        int status = head_.status();
        if (status == 101) {
            if (!allow_upgrade_) return fail("101 Switching Protocols to a request that asked for no upgrade");
            upgraded_ = true;
        } else if (status < 200) {
            // RFC 9110 15.2: 1xx heads the client did not ask for are
            // skipped (100 Continue, 102 Processing, 103 Early Hints, ...).
            if (++interim_ > kMaxInterim) return fail("too many interim (1xx) responses");
            used += head_.length();
            head_.reset(max_head_);
            continue;
        }
        head_base_ = data + used;
        used += head_.length();
        // RFC 9110 6.4.1: no body, whatever the head says.
        if (upgraded_ || head_request_ || status == 204 || status == 304) {
            framing_ = Framing::none;
        } else {
            framing_ = head_.framing();
            remaining_ = head_.content_length();
        }
        phase_ = framing_ == Framing::none ? Phase::done : Phase::body;
        return Step::head;
    }
}

ResponseReader::Step ResponseReader::body_step(const char* data, std::size_t len, std::size_t& used,
                                               const char*& out, std::size_t& out_len) noexcept
{
    switch (framing_) {
    case Framing::length:
        if (remaining_ == 0) {
            phase_ = Phase::done;
            return Step::done;
        }
        if (len == 0) return Step::need_more;
        out_len = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, len));
        out = data;
        used = out_len;
        remaining_ -= out_len;
        return Step::body;
    case Framing::until_close:
        if (len == 0) return Step::need_more;
        out = data;
        out_len = used = len;
        return Step::body;
    case Framing::chunked: {
        switch (chunks_.decode(data, len, used, out, out_len)) {
        case ChunkDecoder::Result::data: return Step::body;
        case ChunkDecoder::Result::need_more: return Step::need_more;
        case ChunkDecoder::Result::done: phase_ = Phase::done; return Step::done;
        default: return fail(chunks_.detail());
        }
    }
    default:
        phase_ = Phase::done;
        return Step::done;
    }
}

bool ResponseReader::at_eof() noexcept
{
    if (phase_ == Phase::done) return true;
    if (phase_ == Phase::body && framing_ == Framing::until_close) {
        phase_ = Phase::done;
        return true;
    }
    return false;
}

void ResponseReader::response_head(proxy::Header* storage, proxy::ResponseHead& out) const noexcept
{
    const char* base = head_base_;
    std::size_t n = 0;
    for (std::size_t i = 0; i < head_.field_count(); ++i) {
        const FieldSpan& f = head_.field(i);
        std::string_view name(base + f.name_off, f.name_len);
        if (equals_lowercase(name, "transfer-encoding")) continue;
        storage[n++] = {name, std::string_view(base + f.value_off, f.value_len)};
    }
    out.status = head_.status();
    out.reason = head_.reason(base);
    out.headers = storage;
    out.header_count = n;
}

bool ResponseReader::keep_alive() const noexcept
{
    return head_done() && head_.keep_alive() && !upgraded_ && framing_ != Framing::until_close &&
           phase_ != Phase::failed;
}

}  // namespace ox::http
