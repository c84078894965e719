// One IP address, IPv4 or IPv6, as the ACLs compare it.
//
// Every address is kept in the 16-byte IPv6 form; an IPv4 address a.b.c.d is
// stored as the IPv4-mapped ::ffff:a.b.c.d (RFC 4291 2.5.5.2). So a client
// that reaches a dual-stack socket as ::ffff:10.1.2.3 and one that reaches an
// IPv4 socket as 10.1.2.3 are the same address, and match the same rules.
// (The deprecated IPv4-compatible form ::a.b.c.d is an ordinary IPv6 address.)
//
// Parsing is strict and never throws: dotted-quad decimal IPv4 only (no
// "10.1", no octal "010.0.0.1", which inet_aton would read as 8.0.0.1), IPv6
// in any RFC 4291 text form, no zone ids, no host names.
#ifndef LIBOX_ACL_IP_ADDRESS_H
#define LIBOX_ACL_IP_ADDRESS_H

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ox::acl {

struct IpAddress {
    std::array<std::uint8_t, 16> bytes{};  // network order

    // True for IPv4 addresses (the ::ffff:0:0/96 block).
    bool is_v4() const noexcept;
    // 127.0.0.0/8 or ::1.
    bool is_loopback() const noexcept;

    static IpAddress v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) noexcept;
    // From the 4 or 16 bytes of a sockaddr (network order).
    static IpAddress from_v4_bytes(const std::uint8_t* four) noexcept;
    static IpAddress from_v6_bytes(const std::uint8_t* sixteen) noexcept;

    friend bool operator==(const IpAddress& a, const IpAddress& b) noexcept { return a.bytes == b.bytes; }
    friend bool operator!=(const IpAddress& a, const IpAddress& b) noexcept { return !(a == b); }
};

enum class IpParse : std::uint8_t {
    ok,
    empty,
    bad_ipv4,    // looked like IPv4 (digits and dots) but is not a.b.c.d with parts 0..255
    bad_ipv6,    // contains ':' but is not RFC 4291 text
    zone_id,     // fe80::1%eth0: zones mean nothing across hosts
    not_an_ip,   // anything else (a host name, a word)
};

// What is wrong, for configtest and log lines ("" for ok). Static text.
const char* ip_parse_text(IpParse p) noexcept;

// Parses "10.1.2.3", "2001:db8::1", "::ffff:10.1.2.3". No brackets, no port.
IpParse parse_ip(std::string_view text, IpAddress& out) noexcept;

// Longest text format_ip writes, with its NUL.
constexpr std::size_t kIpTextMax = 46;

// Writes the RFC 5952 text (IPv4 as a.b.c.d, IPv6 lower case with the longest
// run of zero groups as "::") and a NUL into buf; returns its length without
// the NUL, or 0 when cap < kIpTextMax.
std::size_t format_ip(const IpAddress& a, char* buf, std::size_t cap) noexcept;
std::string to_string(const IpAddress& a);

}  // namespace ox::acl

#endif
