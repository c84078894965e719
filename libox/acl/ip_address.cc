#include "acl/ip_address.h"

#include <cstring>

#include "core/text.h"

namespace ox::acl {

namespace {

// The first 12 bytes of every IPv4 address in our 16-byte form.
constexpr std::uint8_t kV4Prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

// One decimal part of a dotted quad: 1..3 digits, 0..255, no leading zero
// (so nobody wonders whether "010" is ten or eight).
bool parse_v4_part(std::string_view p, std::uint8_t& out) noexcept
{
    if (p.empty() || p.size() > 3) return false;
    if (p.size() > 1 && p[0] == '0') return false;
    unsigned v = 0;
    for (char c : p) {
        if (!is_digit(c)) return false;
        v = v * 10 + static_cast<unsigned>(c - '0');
    }
    if (v > 255) return false;
    out = static_cast<std::uint8_t>(v);
    return true;
}

bool parse_v4(std::string_view s, std::uint8_t out[4]) noexcept
{
    for (int i = 0; i < 4; ++i) {
        std::size_t dot = s.find('.');
        bool last = i == 3;
        if (last != (dot == std::string_view::npos)) return false;  // exactly three dots
        if (!parse_v4_part(s.substr(0, dot), out[i])) return false;
        if (!last) s.remove_prefix(dot + 1);
    }
    return true;
}

// RFC 4291 2.2: x:x:x:x:x:x:x:x, one "::" for one or more zero groups, and
// optionally the last 32 bits as a dotted quad.
bool parse_v6(std::string_view s, std::uint8_t out[16]) noexcept
{
    std::uint16_t g[8] = {};
    int n = 0;     // groups parsed
    int gap = -1;  // number of groups before "::"
    std::size_t i = 0;
    if (s.size() >= 2 && s[0] == ':' && s[1] == ':') {
        gap = 0;
        i = 2;
    } else if (!s.empty() && s[0] == ':') {
        return false;  // a single leading ':'
    }
    while (i < s.size()) {
        std::size_t j = s.find(':', i);
        if (j == std::string_view::npos) j = s.size();
        std::string_view part = s.substr(i, j - i);
        if (part.empty()) return false;  // ":::" or "::" twice in a row
        if (part.find('.') != std::string_view::npos) {
            // embedded IPv4: only as the last 32 bits
            std::uint8_t q[4];
            if (j != s.size() || n > 6 || !parse_v4(part, q)) return false;
            g[n++] = static_cast<std::uint16_t>(q[0] << 8 | q[1]);
            g[n++] = static_cast<std::uint16_t>(q[2] << 8 | q[3]);
            break;
        }
        if (part.size() > 4 || n == 8) return false;
        unsigned v = 0;
        for (char c : part) {
            int h = hex_digit(c);
            if (h < 0) return false;
            v = v << 4 | static_cast<unsigned>(h);
        }
        g[n++] = static_cast<std::uint16_t>(v);
        if (j == s.size()) break;
        if (j + 1 < s.size() && s[j + 1] == ':') {
            if (gap >= 0) return false;  // a second "::"
            gap = n;
            i = j + 2;
        } else {
            i = j + 1;
            if (i == s.size()) return false;  // a single trailing ':'
        }
    }
    if (gap < 0 && n != 8) return false;
    if (gap >= 0 && n > 7) return false;  // "::" stands for at least one group
    std::uint16_t full[8] = {};
    if (gap < 0) {
        std::memcpy(full, g, sizeof g);
    } else {
        for (int k = 0; k < gap; ++k) full[k] = g[k];
        int tail = n - gap;
        for (int k = 0; k < tail; ++k) full[8 - tail + k] = g[gap + k];
    }
    for (int k = 0; k < 8; ++k) {
        out[2 * k] = static_cast<std::uint8_t>(full[k] >> 8);
        out[2 * k + 1] = static_cast<std::uint8_t>(full[k] & 0xff);
    }
    return true;
}

// Appends the decimal text of v (0..255) at p; returns the new end.
char* put_decimal(char* p, unsigned v) noexcept
{
    if (v >= 100) *p++ = static_cast<char>('0' + v / 100);
    if (v >= 10) *p++ = static_cast<char>('0' + v / 10 % 10);
    *p++ = static_cast<char>('0' + v % 10);
    return p;
}

char* put_hex_group(char* p, unsigned v) noexcept
{
    static const char kHex[] = "0123456789abcdef";
    bool started = false;
    for (int shift = 12; shift >= 0; shift -= 4) {
        unsigned d = (v >> shift) & 0xf;
        if (d != 0 || started || shift == 0) {
            *p++ = kHex[d];
            started = true;
        }
    }
    return p;
}

}  // namespace

bool IpAddress::is_v4() const noexcept { return std::memcmp(bytes.data(), kV4Prefix, sizeof kV4Prefix) == 0; }

bool IpAddress::is_loopback() const noexcept
{
    if (is_v4()) return bytes[12] == 127;
    for (std::size_t i = 0; i < 15; ++i) {
        if (bytes[i] != 0) return false;
    }
    return bytes[15] == 1;
}

IpAddress IpAddress::v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) noexcept
{
    const std::uint8_t q[4] = {a, b, c, d};
    return from_v4_bytes(q);
}

IpAddress IpAddress::from_v4_bytes(const std::uint8_t* four) noexcept
{
    IpAddress a;
    std::memcpy(a.bytes.data(), kV4Prefix, sizeof kV4Prefix);
    std::memcpy(a.bytes.data() + 12, four, 4);
    return a;
}

IpAddress IpAddress::from_v6_bytes(const std::uint8_t* sixteen) noexcept
{
    IpAddress a;
    std::memcpy(a.bytes.data(), sixteen, 16);
    return a;
}

const char* ip_parse_text(IpParse p) noexcept
{
    switch (p) {
    case IpParse::ok: return "";
    case IpParse::empty: return "empty address";
    case IpParse::bad_ipv4: return "not an IPv4 address (four decimal parts 0-255, no leading zeros)";
    case IpParse::bad_ipv6: return "not an IPv6 address";
    case IpParse::zone_id: return "IPv6 zone ids (%name) are not allowed";
    case IpParse::not_an_ip: return "not an IP address (host names are not allowed)";
    }
    return "bad address";
}

IpParse parse_ip(std::string_view text, IpAddress& out) noexcept
{
    if (text.empty()) return IpParse::empty;
    if (text.find(':') != std::string_view::npos) {
        if (text.find('%') != std::string_view::npos) return IpParse::zone_id;
        std::uint8_t b[16];
        if (!parse_v6(text, b)) return IpParse::bad_ipv6;
        out = IpAddress::from_v6_bytes(b);
        return IpParse::ok;
    }
    for (char c : text) {
        if (!is_digit(c) && c != '.') return IpParse::not_an_ip;
    }
    std::uint8_t q[4];
    if (!parse_v4(text, q)) return IpParse::bad_ipv4;
    out = IpAddress::from_v4_bytes(q);
    return IpParse::ok;
}

std::size_t format_ip(const IpAddress& a, char* buf, std::size_t cap) noexcept
{
    if (cap < kIpTextMax) return 0;
    char* p = buf;
    if (a.is_v4()) {
        for (std::size_t i = 12; i < 16; ++i) {
            if (i > 12) *p++ = '.';
            p = put_decimal(p, a.bytes[i]);
        }
        *p = '\0';
        return static_cast<std::size_t>(p - buf);
    }
    unsigned g[8];
    for (std::size_t k = 0; k < 8; ++k) g[k] = static_cast<unsigned>(a.bytes[2 * k] << 8 | a.bytes[2 * k + 1]);
    // RFC 5952 4.2: the longest run of two or more zero groups becomes "::",
    // the first one when two runs are equally long.
    int best = -1, best_len = 1;
    for (int k = 0; k < 8;) {
        if (g[k] != 0) {
            ++k;
            continue;
        }
        int e = k;
        while (e < 8 && g[e] == 0) ++e;
        if (e - k > best_len) {
            best = k;
            best_len = e - k;
        }
        k = e;
    }
    for (int k = 0; k < 8; ++k) {
        if (k == best) {
            *p++ = ':';
            *p++ = ':';
            k += best_len - 1;
            continue;
        }
        if (k > 0 && k != best + best_len) *p++ = ':';
        p = put_hex_group(p, g[k]);
    }
    *p = '\0';
    return static_cast<std::size_t>(p - buf);
}

std::string to_string(const IpAddress& a)
{
    char buf[kIpTextMax];
    std::size_t n = format_ip(a, buf, sizeof buf);
    return std::string(buf, n);
}

}  // namespace ox::acl
