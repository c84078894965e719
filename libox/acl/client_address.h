// The client address an ACL decides on: the TCP peer, or, when the peer is a
// trusted proxy (`OXTrustedProxy`), the address the proxies reported in
// X-Forwarded-For or Forwarded (RFC 7239).
//
// Headers count only when the peer itself is trusted: from anyone else they
// change nothing, so a forged `X-Forwarded-For: 10.99.1.1` from the internet
// grants nothing. When the peer is trusted, the list is read from the right
// (each proxy appends the address it received from): the client is the
// rightmost entry that is not a trusted proxy; if every entry is trusted, the
// leftmost. An entry we cannot use - "unknown", an obfuscated RFC 7239
// identifier ("_hidden"), a port-only or malformed value, a Forwarded
// element without for= - is a client we do not know: Client::known is false
// and no address set matches it, so protected paths are denied.
//
// Both headers: each is evaluated; if they name different clients the
// result is unknown (a trusted proxy that writes only one of them must not
// let the client choose the other).
//
// Proxies must append to (or replace) the header they use: a trusted proxy
// that passes a client's header through unchanged lets that client choose
// its address. That is a property of the proxy, documented in
// docs/security.md.
#ifndef LIBOX_ACL_CLIENT_ADDRESS_H
#define LIBOX_ACL_CLIENT_ADDRESS_H

#include <cstdint>
#include <string_view>

#include "acl/cidr_set.h"

namespace ox::acl {

enum class ClientSource : std::uint8_t {
    peer,             // the TCP peer (headers absent or not trusted)
    x_forwarded_for,
    forwarded,
};

enum class ClientNote : std::uint8_t {
    none,
    unknown_identifier,  // the chosen entry is "unknown" or obfuscated ("_x")
    malformed,           // the chosen entry or the header syntax is unusable
    headers_disagree,    // X-Forwarded-For and Forwarded name different clients
};

const char* client_source_name(ClientSource s) noexcept;
const char* client_note_text(ClientNote n) noexcept;

struct ResolvedClient {
    Client client;
    ClientSource source = ClientSource::peer;
    ClientNote note = ClientNote::none;
};

// `peer` is the connection's client (Client::peer(addr, same_host)).
// `x_forwarded_for` and `forwarded` are the header values, every line of a
// header joined with ", " in the order received (apr_table_getm does that);
// empty when absent. Never allocates.
ResolvedClient resolve_client(const Client& peer, const CidrSet& trusted_proxies, std::string_view x_forwarded_for,
                              std::string_view forwarded) noexcept;

// One entry of X-Forwarded-For ("10.1.2.3", "10.1.2.3:4711", "2001:db8::1",
// "[2001:db8::1]:4711", "unknown"); exposed for tests.
ClientNote parse_xff_entry(std::string_view entry, Client& out) noexcept;
// One RFC 7239 node after unquoting ("192.0.2.60", "192.0.2.60:80",
// "[2001:db8::1]", "[2001:db8::1]:80", "unknown", "_hidden").
ClientNote parse_forwarded_node(std::string_view node, Client& out) noexcept;

}  // namespace ox::acl

#endif
