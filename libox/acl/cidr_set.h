// Address sets as `OXProtect` and `OXTrustedProxy` list them: addresses,
// CIDR blocks and the keyword `local`. Built at configuration time, then
// read-only (shared by every worker thread without locks).
//
// Words (parse_cidr, CidrSet::add):
//   10.1.2.3           one IPv4 address (= /32)
//   10.0.0.0/8         an IPv4 block, /0../32; host bits must be zero
//   2001:db8::1        one IPv6 address (= /128)
//   2001:db8::/32      an IPv6 block, /0../128
//   ::ffff:10.0.0.0/104  the same block as 10.0.0.0/8 (IPv4 is IPv4-mapped
//                      IPv6 here, see ip_address.h)
//   local              as mod_authz_host's `Require local`: 127.0.0.0/8, ::1,
//                      and a connection whose client address equals its
//                      local address (Client::same_host)
// 0.0.0.0/0 is every IPv4 address (and no IPv6 one); ::/0 is every address.
#ifndef LIBOX_ACL_CIDR_SET_H
#define LIBOX_ACL_CIDR_SET_H

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "acl/ip_address.h"

namespace ox::acl {

// A block of addresses in the 128-bit space: IPv4 /n is stored as /96+n.
struct Cidr {
    IpAddress network;     // host bits zero
    std::uint8_t bits = 128;

    bool contains(const IpAddress& a) const noexcept;
    friend bool operator==(const Cidr& a, const Cidr& b) noexcept
    {
        return a.bits == b.bits && a.network == b.network;
    }
};

// Parses an address or a CIDR block (not `local`). Returns "" on success,
// else what is wrong, naming the word, for configtest.
std::string parse_cidr(std::string_view word, Cidr& out);

// Who asks, as an ACL sees it.
struct Client {
    IpAddress address;
    // False when the client address is not known: a trusted proxy said
    // "unknown", an obfuscated identifier, or a header we cannot parse.
    // An unknown client matches no set, not even `local`.
    bool known = false;
    // The address is the TCP peer and equals the connection's local address
    // (a client on this host talking to a non-loopback address of it).
    bool same_host = false;

    static Client peer(const IpAddress& a, bool same_host = false) noexcept { return Client{a, true, same_host}; }
    static Client unknown() noexcept { return Client{}; }
};

class CidrSet {
public:
    // Adds one configuration word (address, block or `local`). Returns "" or
    // what is wrong.
    std::string add(std::string_view word);
    void add(const Cidr& c);
    void add_local() noexcept { local_ = true; }

    bool contains(const IpAddress& a) const noexcept;  // blocks and, with `local`, loopback
    bool matches(const Client& c) const noexcept;      // contains(), or `local` and same_host

    bool empty() const noexcept { return blocks_.empty() && !local_; }
    bool has_local() const noexcept { return local_; }
    const std::vector<Cidr>& blocks() const noexcept { return blocks_; }
    // "10.0.0.0/8 2001:db8::/32 local", for logs and the status page.
    std::string to_string() const;

private:
    std::vector<Cidr> blocks_;
    bool local_ = false;
};

}  // namespace ox::acl

#endif
