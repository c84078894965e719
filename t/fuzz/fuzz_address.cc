// libFuzzer target: the address, CIDR and forwarding-header parsers.
//
// For every input:
//   - parse_ip agrees with the C library's inet_pton (AF_INET for text
//     without ':', AF_INET6 with), byte for byte, except where we are
//     stricter on purpose (nothing known today: a difference aborts);
//   - an address that parses prints (format_ip) as text that parses back
//     to the same address, and fits kIpTextMax;
//   - a CIDR block that parses contains its own network address and, for
//     blocks shorter than /128, not the address just past its end;
//   - resolve_client never lets headers change the answer when the peer is
//     not a trusted proxy, and gives the same answer twice.
// The input is split at its first NUL: the part before is the address text
// and X-Forwarded-For, the part after is Forwarded.
//
// Built and run by t/fuzz/run-fuzz.
#include <arpa/inet.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "acl/cidr_set.h"
#include "acl/client_address.h"
#include "acl/ip_address.h"
#include "fuzz_report.h"

using namespace ox::acl;

namespace {

[[noreturn]] void fail(const char* what, std::string_view input)
{
    std::fprintf(stderr, "PROPERTY VIOLATED: %s\n  input: '", what);
    print_escaped(input);
    std::fprintf(stderr, "'\n");
    std::abort();
}

void check_ip(std::string_view text)
{
    IpAddress a;
    bool ours = parse_ip(text, a) == IpParse::ok;

    std::string z(text);  // inet_pton wants a C string; text with a NUL is not an address
    bool has_nul = z.find('\0') != std::string::npos;
    bool v6 = z.find(':') != std::string::npos;
    unsigned char b[16];
    bool libc = !has_nul && inet_pton(v6 ? AF_INET6 : AF_INET, z.c_str(), b) == 1;
    if (ours != libc) fail(ours ? "parse_ip accepts what inet_pton refuses" : "parse_ip refuses what inet_pton accepts", text);
    if (!ours) return;
    IpAddress expect = v6 ? IpAddress::from_v6_bytes(b) : IpAddress::from_v4_bytes(b);
    if (a != expect) fail("parse_ip and inet_pton disagree on the bytes", text);

    char buf[kIpTextMax];
    std::size_t n = format_ip(a, buf, sizeof buf);
    if (n == 0 || n >= kIpTextMax || buf[n] != '\0') fail("format_ip length", text);
    IpAddress back;
    if (parse_ip(std::string_view(buf, n), back) != IpParse::ok || back != a) fail("format_ip does not parse back", text);
}

void check_cidr(std::string_view text)
{
    Cidr c;
    if (!parse_cidr(text, c).empty()) return;
    if (!c.contains(c.network)) fail("a block does not contain its network address", text);
    if (c.bits == 0 || c.bits == 128) return;
    // the first address after the block: add 1 at the last network bit
    IpAddress next = c.network;
    int bit = c.bits - 1;
    for (int i = bit / 8; i >= 0; --i) {
        unsigned add = i == bit / 8 ? 1u << (7 - bit % 8) : 1u;
        unsigned v = next.bytes[static_cast<std::size_t>(i)] + add;
        next.bytes[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v);
        if (v <= 0xff) break;
    }
    if (next != c.network && c.contains(next)) fail("a block contains the address after its end", text);
}

void check_headers(std::string_view xff, std::string_view fwd)
{
    CidrSet trusted;
    trusted.add(Cidr{IpAddress::v4(192, 0, 2, 0), 96 + 24});
    trusted.add_local();
    Client outsider = Client::peer(IpAddress::v4(203, 0, 113, 9));
    ResolvedClient r = resolve_client(outsider, trusted, xff, fwd);
    if (r.source != ClientSource::peer || !r.client.known || r.client.address != outsider.address) {
        fail("headers changed the client of an untrusted peer", xff);
    }
    Client proxy = Client::peer(IpAddress::v4(192, 0, 2, 1));
    ResolvedClient a = resolve_client(proxy, trusted, xff, fwd);
    ResolvedClient b = resolve_client(proxy, trusted, xff, fwd);
    if (a.client.known != b.client.known || a.client.address != b.client.address || a.note != b.note) {
        fail("resolve_client is not deterministic", xff);
    }
    if (a.client.known && a.client.same_host) fail("a client from a header claims to be on this host", xff);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    std::string_view in(reinterpret_cast<const char*>(data), size);
    std::size_t nul = in.find('\0');
    std::string_view first = in.substr(0, nul);
    std::string_view second = nul == std::string_view::npos ? std::string_view() : in.substr(nul + 1);
    check_ip(first);
    check_cidr(first);
    check_headers(first, second);
    return 0;
}
