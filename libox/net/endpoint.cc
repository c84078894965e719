#include "net/endpoint.h"

#include <netdb.h>

#include <cstring>
#include <memory>

#include "acl/ip_address.h"

namespace ox::net {

std::string Endpoint::to_string() const
{
    std::string s;
    bool v6 = host.find(':') != std::string::npos;
    if (v6) s += '[';
    s += host;
    if (v6) s += ']';
    s += ':';
    s += std::to_string(port);
    return s;
}

static bool parse_port(std::string_view digits, std::uint16_t& port)
{
    if (digits.empty() || digits.size() > 5) return false;
    unsigned v = 0;
    for (char c : digits) {
        if (c < '0' || c > '9') return false;
        v = v * 10 + static_cast<unsigned>(c - '0');
    }
    if (v == 0 || v > 65535) return false;
    port = static_cast<std::uint16_t>(v);
    return true;
}

std::string parse_endpoint(std::string_view text, std::uint16_t default_port, Endpoint& out)
{
    std::string_view host;
    std::string_view port;
    if (!text.empty() && text.front() == '[') {
        auto close = text.find(']');
        if (close == std::string_view::npos) return "unterminated '[' in IPv6 address";
        host = text.substr(1, close - 1);
        // Brackets hold an IPv6 address (with a zone id, "fe80::1%eth0", a
        // name lookup takes): "[localhost]" or "[[]" would be a name that
        // the normalised URL, "host:port", spells differently.
        std::string_view addr = host.substr(0, host.find('%'));
        acl::IpAddress ip;
        if (!host.empty() && (addr.find(':') == std::string_view::npos || acl::parse_ip(addr, ip) != acl::IpParse::ok ||
                              addr.size() + 1 == host.size())) {
            return "'[...]' must hold an IPv6 address";
        }
        auto rest = text.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':') return "expected ':port' after ']'";
            port = rest.substr(1);
            if (port.empty()) return "empty port";
        }
    } else {
        auto colon = text.rfind(':');
        if (colon != std::string_view::npos) {
            if (text.find(':') != colon) return "IPv6 addresses must be written in brackets: [addr]:port";
            host = text.substr(0, colon);
            port = text.substr(colon + 1);
            if (port.empty()) return "empty port";
        } else {
            host = text;
        }
    }
    if (host.empty()) return "empty host";
    for (char c : host) {
        if (c <= ' ' || c == '/' || c == '?' || c == '#' || c == '@' || c == 0x7f)
            return "invalid character in host";
    }
    out.host.assign(host);
    out.port = default_port;
    if (!port.empty() && !parse_port(port, out.port)) return "port must be a number from 1 to 65535";
    return {};
}

namespace {

// Moves every address of `res` that fits a SockAddr into `out`, and frees
// `res` (also when the vector cannot grow).
void take_addresses(addrinfo* res, std::vector<SockAddr>& out)
{
    std::unique_ptr<addrinfo, void (*)(addrinfo*)> owned(res, freeaddrinfo);
    out.clear();
    for (const addrinfo* ai = res; ai; ai = ai->ai_next) {
        if (ai->ai_addrlen > sizeof(sockaddr_storage)) continue;
        SockAddr a;
        std::memcpy(&a.storage, ai->ai_addr, ai->ai_addrlen);
        a.len = ai->ai_addrlen;
        out.push_back(a);
    }
}

}  // namespace

bool numeric_address(const Endpoint& ep, std::vector<SockAddr>& out)
{
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
    addrinfo* res = nullptr;
    std::string port = std::to_string(ep.port);
    if (getaddrinfo(ep.host.c_str(), port.c_str(), &hints, &res) != 0) return false;
    take_addresses(res, out);
    return !out.empty();
}

std::string resolve(const Endpoint& ep, std::vector<SockAddr>& out)
{
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_ADDRCONFIG | AI_NUMERICSERV;
    addrinfo* res = nullptr;
    std::string port = std::to_string(ep.port);
    int rc = getaddrinfo(ep.host.c_str(), port.c_str(), &hints, &res);
    if (rc != 0) {
        // AI_ADDRCONFIG hides ::1 and 127.0.0.1 on hosts with only loopback.
        hints.ai_flags = AI_NUMERICSERV;
        rc = getaddrinfo(ep.host.c_str(), port.c_str(), &hints, &res);
    }
    if (rc != 0) return gai_strerror(rc);
    take_addresses(res, out);
    if (out.empty()) return "no usable address";
    return {};
}

}  // namespace ox::net
