#include "ajp/ajp_protocol.h"

#include <array>

#include "core/text.h"

namespace ox::ajp {

namespace {

// Index + 1 is the AJP method code.
constexpr std::array<std::string_view, 27> kMethods = {
    "OPTIONS", "GET", "HEAD", "POST", "PUT", "DELETE", "TRACE",
    "PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK",
    "ACL", "REPORT", "VERSION-CONTROL", "CHECKIN", "CHECKOUT", "UNCHECKOUT",
    "SEARCH", "MKWORKSPACE", "UPDATE", "LABEL", "MERGE", "BASELINE-CONTROL",
    "MKACTIVITY",
};

// Index + 1 is the low byte of the 0xA0xx request header code.
constexpr std::array<std::string_view, 14> kRequestHeaders = {
    "accept", "accept-charset", "accept-encoding", "accept-language",
    "authorization", "connection", "content-type", "content-length",
    "cookie", "cookie2", "host", "pragma", "referer", "user-agent",
};

// For each name length, a bit per request header name of that length: a
// client's header is compared with at most two of them.
constexpr std::size_t kLongestRequestHeader = [] {
    std::size_t n = 0;
    for (std::string_view h : kRequestHeaders) n = h.size() > n ? h.size() : n;
    return n;
}();
static_assert(kRequestHeaders.size() <= 16, "a 16-bit mask per length");
constexpr auto kRequestHeadersByLength = [] {
    std::array<std::uint16_t, kLongestRequestHeader + 1> by_length{};
    for (std::size_t i = 0; i < kRequestHeaders.size(); ++i) {
        by_length[kRequestHeaders[i].size()] |= static_cast<std::uint16_t>(1u << i);
    }
    return by_length;
}();

// Index + 1 is the low byte of the 0xA0xx response header code.
constexpr std::array<std::string_view, 11> kResponseHeaders = {
    "Content-Type", "Content-Language", "Content-Length", "Date",
    "Last-Modified", "Location", "Set-Cookie", "Set-Cookie2",
    "Servlet-Engine", "Status", "WWW-Authenticate",
};

}  // namespace

std::uint8_t method_code(std::string_view method) noexcept
{
    // The two that carry nearly all traffic first.
    if (method == "GET") return 2;
    if (method == "POST") return 4;
    for (std::size_t i = 0; i < kMethods.size(); ++i) {
        if (kMethods[i] == method) return static_cast<std::uint8_t>(i + 1);
    }
    return 0;
}

std::string_view method_name(std::uint8_t code) noexcept
{
    if (code == 0 || code > kMethods.size()) return {};
    return kMethods[code - 1];
}

std::uint16_t request_header_code(std::string_view name) noexcept
{
    if (name.size() >= kRequestHeadersByLength.size()) return 0;
    for (unsigned bits = kRequestHeadersByLength[name.size()]; bits != 0; bits &= bits - 1) {
        auto i = static_cast<std::size_t>(__builtin_ctz(bits));
        if (equals_lowercase(name, kRequestHeaders[i])) return static_cast<std::uint16_t>(0xA001 + i);
    }
    return 0;
}

std::string_view response_header_name(std::uint16_t code) noexcept
{
    if (code < 0xA001 || code > 0xA000 + kResponseHeaders.size()) return {};
    return kResponseHeaders[code - 0xA001];
}

}  // namespace ox::ajp
