#include "proxy/forwarded.h"

#include <strings.h>

namespace ox::proxy {

namespace {

std::string_view trim(std::string_view s) noexcept
{
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

bool is(std::string_view a, std::string_view b) noexcept
{
    return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

// A host as a proxy may report it: no separators, quotes or controls.
bool plausible_host(std::string_view h) noexcept
{
    if (h.empty() || h.size() > 255) return false;
    for (char c : h) {
        auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u == 0x7f || c == ',' || c == '"' || c == '/' || c == '\\' || c == '@') return false;
    }
    return true;
}

}  // namespace

std::string_view last_element(std::string_view list) noexcept
{
    std::size_t comma = list.rfind(',');
    return trim(comma == std::string_view::npos ? list : list.substr(comma + 1));
}

ForwardedHeaders forwarded_headers(const ForwardedInput& in) noexcept
{
    ForwardedHeaders out;
    out.proto = in.tls ? "https" : "http";
    out.host = in.host;
    out.https = in.tls;
    if (!in.peer_trusted) return out;  // the client's own claims: replaced
    out.kept_for = trim(in.x_forwarded_for);
    out.keep_forwarded = true;
    std::string_view proto = last_element(in.x_forwarded_proto);
    if (is(proto, "https")) out.proto = "https";
    else if (is(proto, "http")) out.proto = "http";
    std::string_view host = last_element(in.x_forwarded_host);
    if (plausible_host(host)) out.host = host;
    out.https = in.tls || out.proto == "https";
    return out;
}

}  // namespace ox::proxy
