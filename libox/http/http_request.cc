#include "http/http_request.h"

#include <charconv>
#include <cstring>
#include <string_view>

#include "core/text.h"
#include "proxy/hop_by_hop.h"

namespace ox::http {

namespace {

// Appends to a fixed buffer; remembers when something did not fit.
class Writer {
public:
    Writer(char* buf, std::size_t cap) noexcept : buf_(buf), cap_(cap) {}
    Writer& put(std::string_view s) noexcept
    {
        if (s.size() > cap_ - len_) {
            full_ = true;
        } else {
            std::memcpy(buf_ + len_, s.data(), s.size());
            len_ += s.size();
        }
        return *this;
    }
    Writer& put(std::uint64_t n) noexcept
    {
        char digits[24];
        auto res = std::to_chars(digits, digits + sizeof digits, n);
        return put(std::string_view(digits, static_cast<std::size_t>(res.ptr - digits)));
    }
    bool full() const noexcept { return full_; }
    std::size_t length() const noexcept { return len_; }

private:
    char* buf_;
    std::size_t cap_;
    std::size_t len_ = 0;
    bool full_ = false;
};

// CR, LF and NUL would end the line (or the string) early: whatever follows
// would be read by the backend as a header or a request of its own.
bool line_safe(std::string_view s) noexcept
{
    return s.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

// The request-target may not hold a space or a control either.
bool target_safe(std::string_view s) noexcept
{
    for (char ch : s) {
        auto c = static_cast<unsigned char>(ch);
        if (c <= 0x20 || c == 0x7F) return false;
    }
    return true;
}

// The fields we write ourselves (framing) or that end at this hop.
bool dropped(std::string_view name) noexcept
{
    return proxy::is_hop_by_hop(name) || equals_lowercase(name, "content-length") || equals_lowercase(name, "expect");
}

const char* invalid_field(const proxy::Request& req) noexcept
{
    if (!is_token(req.method)) return "method is not a token";
    if (req.path.empty() || !target_safe(req.path)) return "path empty or with a space or control character";
    if (req.has_query && !target_safe(req.query)) return "query with a space or control character";
    if (!req.upgrade.empty() && !is_token(req.upgrade)) return "upgrade protocol is not a token";
    for (std::size_t i = 0; i < req.header_count; ++i) {
        const proxy::Header& h = req.headers[i];
        if (!is_token(h.name)) return "header name is not a token";
        if (!line_safe(h.value)) return "CR, LF or NUL in a header value";
    }
    return nullptr;
}

bool has_host(const proxy::Request& req) noexcept
{
    for (std::size_t i = 0; i < req.header_count; ++i) {
        if (equals_lowercase(req.headers[i].name, "host")) return true;
    }
    return false;
}

std::size_t refuse(EncodeError why, const char* text, EncodeError* error, const char** detail) noexcept
{
    if (error) *error = why;
    if (detail) *detail = text;
    return 0;
}

}  // namespace

std::size_t request_head_bound(const proxy::Request& req) noexcept
{
    // The request line, Host, framing and upgrade fields around what the
    // request brings.
    std::size_t n = 128 + req.method.size() + req.path.size() + req.query.size() + req.server_name.size() +
                    req.upgrade.size();
    for (std::size_t i = 0; i < req.header_count; ++i) n += req.headers[i].name.size() + req.headers[i].value.size() + 4;
    return n;
}

std::size_t encode_request_head(const proxy::Request& req, char* buf, std::size_t cap, EncodeError* error,
                                const char** detail) noexcept
{
    if (const char* bad = invalid_field(req)) return refuse(EncodeError::invalid_field, bad, error, detail);
    Writer w(buf, cap);
    w.put(req.method).put(" ").put(req.path);
    if (req.has_query) w.put("?").put(req.query);
    w.put(" HTTP/1.1\r\n");
    if (!has_host(req)) {
        if (req.server_name.empty() || !target_safe(req.server_name)) {
            return refuse(EncodeError::invalid_field, "no Host and no valid server name", error, detail);
        }
        w.put("Host: ").put(req.server_name);
        // The default port of the client's scheme is left out, as clients do.
        if (req.server_port != 0 && req.server_port != (req.tls.on ? 443 : 80)) w.put(":").put(req.server_port);
        w.put("\r\n");
    }
    for (std::size_t i = 0; i < req.header_count; ++i) {
        const proxy::Header& h = req.headers[i];
        if (dropped(h.name)) continue;
        w.put(h.name).put(": ").put(h.value).put("\r\n");
    }
    // No Connection field: HTTP/1.1 connections persist unless one side
    // says otherwise. An upgrade is hop-by-hop: asked for by us, on the
    // client's behalf.
    if (!req.upgrade.empty()) w.put("Connection: Upgrade\r\nUpgrade: ").put(req.upgrade).put("\r\n");
    if (req.body == proxy::BodyKind::length) {
        w.put("Content-Length: ").put(static_cast<std::uint64_t>(req.content_length < 0 ? 0 : req.content_length)).put("\r\n");
    } else if (req.body == proxy::BodyKind::chunked) {
        w.put("Transfer-Encoding: chunked\r\n");
    }
    w.put("\r\n");
    if (w.full()) return refuse(EncodeError::too_large, "request head too large", error, detail);
    if (error) *error = EncodeError::none;
    return w.length();
}

}  // namespace ox::http
