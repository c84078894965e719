// The configuration grammar: OXMember URLs and parameters, durations,
// endpoints, balancer names, and BalancerSpec's duplicate checks.
#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>
#include <string>
#include <vector>

#include "balance/balancer_spec.h"
#include "balance/member_spec.h"
#include "net/endpoint.h"
#include "unit_util.h"

using ox::BalancerSpec;
using ox::MemberSpec;
using ox::Millis;
using ox::net::Endpoint;

namespace {

// parse_member with the parameters as one string, split at spaces.
std::string parse(std::string_view url, std::string_view params, MemberSpec& out)
{
    static std::vector<std::string> storage;
    storage.clear();
    std::vector<std::string_view> words;
    std::size_t pos = 0;
    while (pos < params.size()) {
        std::size_t sp = params.find(' ', pos);
        if (sp == std::string_view::npos) sp = params.size();
        if (sp > pos) storage.emplace_back(params.substr(pos, sp - pos));
        pos = sp + 1;
    }
    for (const auto& s : storage) words.push_back(s);
    return ox::parse_member(url, words, out);
}

bool contains(const std::string& s, const char* part) { return s.find(part) != std::string::npos; }

}  // namespace

// ============================================================================
// parse_duration
// ============================================================================

START_TEST(durations)
{
    struct Case {
        const char* text;
        long long ms;  // -1: must be rejected
    } cases[] = {
        {"30", 30000},     {"30s", 30000},  {"250ms", 250},   {"2m", 120000},  {"0", 0},
        {"0ms", 0},        {"1ms", 1},      {"86400000ms", 86400000},          {"007", 7000},
        {"", -1},          {"s", -1},       {"ms", -1},       {"m", -1},       {"-1", -1},
        {"+1", -1},        {"1.5", -1},     {"1h", -1},       {"10 s", -1},    {" 10", -1},
        {"10S", -1},       {"abc", -1},     {"1sm", -1},      {"86400001", -1}, {"99999999999999999999", -1},
        {"5mss", -1},
    };
    for (const auto& c : cases) {
        Millis out{-42};
        std::string err = ox::parse_duration(c.text, out);
        if (c.ms < 0) {
            ck_assert_msg(!err.empty(), "'%s' accepted as %lld ms", c.text, static_cast<long long>(out.count()));
            ck_assert_msg(contains(err, c.text), "'%s': message '%s' does not quote it", c.text, err.c_str());
        } else {
            ck_assert_msg(err.empty(), "'%s': %s", c.text, err.c_str());
            ck_assert_msg(out.count() == c.ms, "'%s' = %lld ms, expected %lld", c.text,
                          static_cast<long long>(out.count()), c.ms);
        }
    }
}
END_TEST

// ============================================================================
// parse_endpoint
// ============================================================================

START_TEST(endpoints)
{
    struct Case {
        const char* text;
        const char* host;  // nullptr: must be rejected, `error_part` names why
        unsigned port;
        const char* error_part;
    } cases[] = {
        {"ox1", "ox1", 8009, nullptr},
        {"ox1:8010", "ox1", 8010, nullptr},
        {"10.0.0.1:1", "10.0.0.1", 1, nullptr},
        {"ox1:65535", "ox1", 65535, nullptr},
        {"[::1]", "::1", 8009, nullptr},
        {"[::1]:9009", "::1", 9009, nullptr},
        {"[fe80::1%eth0]:8009", "fe80::1%eth0", 8009, nullptr},
        {"::1", nullptr, 0, "brackets"},
        {"[::1", nullptr, 0, "unterminated"},
        {"[::1]9009", nullptr, 0, "':port'"},
        {"[::1]:", nullptr, 0, "empty port"},
        {"[]:8009", nullptr, 0, "empty host"},
        {"ox1:", nullptr, 0, "empty port"},
        {":8009", nullptr, 0, "empty host"},
        {"", nullptr, 0, "empty host"},
        {"ox1:0", nullptr, 0, "1 to 65535"},
        {"ox1:65536", nullptr, 0, "1 to 65535"},
        {"ox1:123456", nullptr, 0, "1 to 65535"},
        {"ox1:80a", nullptr, 0, "1 to 65535"},
        {"ox1:-1", nullptr, 0, "1 to 65535"},
        {"ox 1", nullptr, 0, "invalid character"},
        {"user@ox1", nullptr, 0, "invalid character"},
        {"ox1?x", nullptr, 0, "invalid character"},
        {"ox1#x", nullptr, 0, "invalid character"},
        // Brackets hold an IPv6 address, nothing else (fuzz_config_args:
        // "[[]" was taken as the host "[", whose "[:8009" parses no more).
        {"[[]", nullptr, 0, "IPv6 address"},
        {"[localhost]:8009", nullptr, 0, "IPv6 address"},
        {"[10.0.0.1]", nullptr, 0, "IPv6 address"},
        {"[::1%]", nullptr, 0, "IPv6 address"},
    };
    for (const auto& c : cases) {
        Endpoint ep;
        std::string err = ox::net::parse_endpoint(c.text, 8009, ep);
        if (!c.host) {
            ck_assert_msg(!err.empty(), "'%s' accepted", c.text);
            ck_assert_msg(contains(err, c.error_part), "'%s': '%s' lacks '%s'", c.text, err.c_str(), c.error_part);
            continue;
        }
        ck_assert_msg(err.empty(), "'%s': %s", c.text, err.c_str());
        ck_assert_str_eq(ep.host.c_str(), c.host);
        ck_assert_uint_eq(ep.port, c.port);
    }
}
END_TEST

START_TEST(endpoint_to_string)
{
    Endpoint a{"ox1", 8009};
    Endpoint b{"::1", 9009};
    CK_ASSERT_STRING_EQ(a.to_string(), "ox1:8009");
    CK_ASSERT_STRING_EQ(b.to_string(), "[::1]:9009");
}
END_TEST

// Numeric addresses resolve without DNS, to the given port.
START_TEST(resolve_numeric)
{
    std::vector<ox::net::SockAddr> addrs;
    std::string err = ox::net::resolve(Endpoint{"127.0.0.1", 8123}, addrs);
    ck_assert_msg(err.empty(), "%s", err.c_str());
    ck_assert_uint_eq(addrs.size(), 1);
    ck_assert_int_eq(addrs[0].storage.ss_family, AF_INET);
    const auto* sin = reinterpret_cast<const sockaddr_in*>(&addrs[0].storage);
    ck_assert_uint_eq(ntohs(sin->sin_port), 8123);
    ck_assert_uint_eq(ntohl(sin->sin_addr.s_addr), 0x7f000001u);
}
END_TEST

// ============================================================================
// parse_member: the URL
// ============================================================================

START_TEST(member_urls)
{
    struct Case {
        const char* url;
        const char* normalised;  // nullptr: rejected
        const char* error_part;
    } cases[] = {
        {"ajp://ox1", "ajp://ox1:8009", nullptr},
        {"ajp://ox1:8010", "ajp://ox1:8010", nullptr},
        {"ajp://ox1:8009/", "ajp://ox1:8009", nullptr},
        {"ajp://ox1//", "ajp://ox1:8009", nullptr},
        {"ajp://[::1]:8009", "ajp://[::1]:8009", nullptr},
        {"ajp://[::1]", "ajp://[::1]:8009", nullptr},
        {"ajp://10.1.2.3", "ajp://10.1.2.3:8009", nullptr},
        {"ajp://ox1:8009/appsuite", nullptr, "must not have a path"},
        {"ajp://ox1/x/", nullptr, "must not have a path"},
        {"http://ox1:8009", "http://ox1:8009", nullptr},
        {"http://ox1", "http://ox1:80", nullptr},
        {"http://[::1]:8080/", "http://[::1]:8080", nullptr},
        {"http://ox1:8009/appsuite", nullptr, "must not have a path"},
        {"https://ox1", nullptr, "TLS and ws:// members are not supported"},
        {"ws://ox1", nullptr, "WebSockets go over http:// members"},
        {"ftp://ox1", nullptr, "must start with ajp:// or http://"},
        {"ox1:8009", nullptr, "must start with ajp://"},
        {"AJP://ox1", nullptr, "must start with ajp://"},
        {"ajp://", nullptr, "empty host"},
        {"ajp://ox1:0", nullptr, "1 to 65535"},
        {"ajp://::1", nullptr, "brackets"},
        {"ajp://[[]", nullptr, "IPv6 address"},
        {"ajp://[ox1]:8009", nullptr, "IPv6 address"},
    };
    for (const auto& c : cases) {
        MemberSpec m;
        std::string err = parse(c.url, "", m);
        if (!c.normalised) {
            ck_assert_msg(!err.empty(), "'%s' accepted", c.url);
            ck_assert_msg(contains(err, c.error_part), "'%s': '%s' lacks '%s'", c.url, err.c_str(), c.error_part);
            continue;
        }
        ck_assert_msg(err.empty(), "'%s': %s", c.url, err.c_str());
        ck_assert_str_eq(m.url.c_str(), c.normalised);
        // The normalised URL names the member (logs, status page, state
        // file): it parses to itself.
        MemberSpec again;
        ck_assert_msg(parse(m.url, "", again).empty(), "'%s' does not parse", m.url.c_str());
        ck_assert_str_eq(again.url.c_str(), m.url.c_str());
        ck_assert(m.scheme == (std::string(c.url).rfind("http", 0) == 0 ? ox::Scheme::http : ox::Scheme::ajp));
    }
}
END_TEST

// AJP's own parameters mean nothing to an HTTP member: said, not ignored.
START_TEST(http_member_parameters)
{
    MemberSpec m;
    ck_assert(parse("http://ox1:8009", "route=OX1 timeout=100 ttl=60 retry=60 smax=0 loadfactor=50 max=8 acquire=200 "
                    "pingidle=5s flushwait=5",
                    m).empty());
    ck_assert_str_eq(m.route.c_str(), "OX1");
    ck_assert_int_eq(m.flush_wait.count(), 5);
    ck_assert_int_eq(m.ping_idle.count(), 5000);  // no CPing, but the same idle rule (MemberRuntime::get)
    for (const char* p : {"packetsize=65536", "sendahead=0", "secret=x", "ping=1s"}) {
        MemberSpec h;
        std::string err = parse("http://ox1:8009", p, h);
        ck_assert_msg(contains(err, "applies to ajp:// members only"), "%s: '%s'", p, err.c_str());
    }
}
END_TEST

// A member without parameters has the documented defaults.
START_TEST(member_defaults)
{
    MemberSpec m;
    ck_assert(parse("ajp://ox1", "", m).empty());
    ck_assert_str_eq(m.endpoint.host.c_str(), "ox1");
    ck_assert_uint_eq(m.endpoint.port, 8009);
    ck_assert_str_eq(m.route.c_str(), "");
    ck_assert_int_eq(m.loadfactor, 1);
    ck_assert_int_eq(m.timeout.count(), 0);
    ck_assert_int_eq(m.connect_timeout.count(), 0);
    ck_assert_int_eq(m.ttl.count(), 0);
    ck_assert_int_eq(m.address_ttl.count(), 60000);
    ck_assert_int_eq(m.retry.count(), 60000);
    ck_assert_int_eq(m.ping.count(), 0);
    ck_assert_int_eq(m.ping_idle.count(), 2000);
    ck_assert(!m.fail_on_timeout);
    ck_assert_uint_eq(m.smax, 0);
    ck_assert_uint_eq(m.max, 0);
    ck_assert_uint_eq(m.packet_size, 8192);
    ck_assert_uint_eq(m.send_ahead, 65536);
    ck_assert_int_eq(m.flush_wait.count(), 1);
    ck_assert_str_eq(m.display_name().c_str(), "ajp://ox1:8009");
}
END_TEST

// Every parameter, set.
START_TEST(member_all_parameters)
{
    MemberSpec m;
    std::string err = parse("ajp://ox1:8010",
                            "route=ox1.node-a_b loadfactor=100 timeout=90 connecttimeout=250ms ttl=2m addressttl=5m retry=30s "
                            "ping=500ms pingidle=750ms failontimeout=on smax=4 max=32 packetsize=65536 sendahead=131072 "
                            "secret=s3cret flushwait=10",
                            m);
    ck_assert_msg(err.empty(), "%s", err.c_str());
    ck_assert_str_eq(m.route.c_str(), "ox1.node-a_b");
    ck_assert_int_eq(m.loadfactor, 100);
    ck_assert_int_eq(m.timeout.count(), 90000);
    ck_assert_int_eq(m.connect_timeout.count(), 250);
    ck_assert_int_eq(m.ttl.count(), 120000);
    ck_assert_int_eq(m.address_ttl.count(), 300000);
    ck_assert_int_eq(m.retry.count(), 30000);
    ck_assert_int_eq(m.ping.count(), 500);
    ck_assert_int_eq(m.ping_idle.count(), 750);
    ck_assert(m.fail_on_timeout);
    ck_assert_uint_eq(m.smax, 4);
    ck_assert_uint_eq(m.max, 32);
    ck_assert_uint_eq(m.packet_size, 65536);
    ck_assert_uint_eq(m.send_ahead, 131072);
    ck_assert_int_eq(m.flush_wait.count(), 10);
    ck_assert_str_eq(m.secret.c_str(), "s3cret");
    ck_assert_str_eq(m.display_name().c_str(), "ox1.node-a_b");

    MemberSpec alias;
    ck_assert(parse("ajp://ox1", "connectiontimeout=3", alias).empty());
    ck_assert_int_eq(alias.connect_timeout.count(), 3000);
}
END_TEST

// Each parameter's bounds: the values at the bounds are accepted, those just
// outside are refused with a message that names the parameter.
START_TEST(member_parameter_bounds)
{
    struct Case {
        const char* param;
        bool ok;
        const char* error_part;
    } cases[] = {
        {"loadfactor=1", true, nullptr},          {"loadfactor=100", true, nullptr},
        {"loadfactor=0", false, "loadfactor"},    {"loadfactor=101", false, "loadfactor"},
        {"loadfactor=", false, "loadfactor"},     {"loadfactor=1.5", false, "loadfactor"},
        {"loadfactor=-1", false, "loadfactor"},   {"timeout=1ms", true, nullptr},
        {"timeout=0", false, "timeout"},          {"timeout=0ms", false, "timeout"},
        {"timeout=x", false, "'x'"},              {"connecttimeout=0", false, "connecttimeout"},
        {"connectiontimeout=0", false, "connectiontimeout"},
        {"ttl=0", true, nullptr},                 {"ttl=1h", false, "'1h'"},
        {"addressttl=0", true, nullptr},          {"addressttl=-1", false, "'-1'"},
        {"retry=0", true, nullptr},               {"retry=-5", false, "'-5'"},
        {"ping=0", true, nullptr},                {"ping=5x", false, "'5x'"},
        {"pingidle=0", true, nullptr},            {"pingidle=off", true, nullptr},
        {"pingidle=OFF", true, nullptr},          {"pingidle=1ms", true, nullptr},
        {"pingidle=on", false, "'on'"},           {"pingidle=", false, "''"},
        {"failontimeout=on", true, nullptr},      {"failontimeout=Off", true, nullptr},
        {"failontimeout=ON", true, nullptr},      {"failontimeout=yes", false, "failontimeout=yes: expected on or off"},
        {"failontimeout=", false, "expected on or off"},
        {"failontimeout=1", false, "failontimeout=1"},
        {"smax=0", true, nullptr},                {"smax=100000", true, nullptr},
        {"smax=100001", false, "smax"},           {"max=1", true, nullptr},
        {"max=100000", true, nullptr},            {"max=0", false, "max"},
        {"max=100001", false, "max"},             {"packetsize=8192", true, nullptr},
        {"packetsize=65536", true, nullptr},      {"packetsize=8191", false, "packetsize"},
        {"packetsize=65537", false, "packetsize"},
        {"sendahead=0", true, nullptr},           {"sendahead=262144", true, nullptr},
        {"sendahead=262145", false, "sendahead"}, {"sendahead=64k", false, "sendahead"},
        {"secret=x", true, nullptr},              {"secret=", false, "secret"},
        {"flushwait=0", true, nullptr},           {"flushwait=1000", true, nullptr},
        {"flushwait=5ms", true, nullptr},         {"flushwait=1s", true, nullptr},
        {"flushwait=1001", false, "flushwait=1001: at most 1s"},
        {"flushwait=2s", false, "at most 1s"},    {"flushwait=", false, "flushwait=: expected milliseconds"},
        {"flushwait=-1", false, "flushwait=-1"},  {"flushwait=fast", false, "flushwait=fast"},
        {"route=", false, "route"},               {"route=" "0123456789012345678901234567890123456789012345678901234567890123",
                                                   true, nullptr},
        {"route=" "01234567890123456789012345678901234567890123456789012345678901234", false, "64"},
        {"route=ox 1", false, "route"},           {"route=ox;1", false, "route=ox;1"},
        {"route=ox,1", false, "route"},           {"route=ox=1", false, "route"},
        {"route=ox/1", false, "route"},           {"route=\xc3\xa9", false, "route"},
    };
    MemberSpec off;
    ck_assert(parse("ajp://ox1", "pingidle=off", off).empty());
    ck_assert_int_eq(off.ping_idle.count(), 0);
    for (const auto& c : cases) {
        MemberSpec m;
        // Not split at spaces: one parameter word.
        std::vector<std::string_view> params{c.param};
        std::string err = ox::parse_member("ajp://ox1", params, m);
        if (c.ok) {
            ck_assert_msg(err.empty(), "'%s': %s", c.param, err.c_str());
        } else {
            ck_assert_msg(!err.empty(), "'%s' accepted", c.param);
            ck_assert_msg(contains(err, c.error_part), "'%s': '%s' lacks '%s'", c.param, err.c_str(), c.error_part);
        }
    }
    // A parameter given twice: one of the two is a mistake, whichever
    // would win.
    MemberSpec twice;
    std::vector<std::string_view> both{"route=OX1", "loadfactor=5", "route=OX2"};
    std::string err = ox::parse_member("ajp://ox1", both, twice);
    ck_assert_msg(contains(err, "route= is given twice ('route=OX1' and 'route=OX2')"), "%s", err.c_str());
    std::vector<std::string_view> hc{"hcinterval=2", "hcinterval=3"};
    err = ox::parse_member("ajp://ox1", hc, twice);
    ck_assert_msg(contains(err, "hcinterval= is given twice"), "%s", err.c_str());
    // ... also under its other name: connectiontimeout= is connecttimeout=.
    std::vector<std::string_view> names{"connecttimeout=2", "connectiontimeout=5"};
    err = ox::parse_member("ajp://ox1", names, twice);
    ck_assert_msg(contains(err, "connectiontimeout= is given twice ('connecttimeout=2' and 'connectiontimeout=5')"), "%s",
                  err.c_str());
    std::vector<std::string_view> names2{"connectiontimeout=5", "timeout=9", "connecttimeout=2"};
    err = ox::parse_member("ajp://ox1", names2, twice);
    ck_assert_msg(contains(err, "connecttimeout= is given twice"), "%s", err.c_str());
}
END_TEST

// mod_proxy's status flags: the ones that are one of our states are
// accepted, the rest refused with what to write; names are lower case.
START_TEST(member_status_flags_and_case)
{
    struct {
        const char* param;
        bool ok;
        ox::AdminState state;
        const char* error_part;
    } cases[] = {
        {"status=+H", true, ox::AdminState::standby, nullptr},
        {"status=+D", true, ox::AdminState::disabled, nullptr},
        {"status=+N", true, ox::AdminState::draining, nullptr},
        {"status=+S", false, {}, "status=+S: of mod_proxy's status flags only one of +H (standby), +D (disabled) or +N"},
        {"status=+I", false, {}, "write status=active, draining, disabled or standby"},
        {"status=+R", false, {}, "status=+R"},
        {"status=-H", false, {}, "status=-H"},
        {"status=+H+D", false, {}, "status=+H+D"},
        {"status=+h", true, ox::AdminState::standby, nullptr},
        {"status=H", false, {}, "status=H: expected active, draining, disabled or standby"},
        {"Route=OX1", false, {}, "unknown member parameter 'Route' (parameter names are lower case)"},
        {"LoadFactor=5", false, {}, "(parameter names are lower case)"},
    };
    for (const auto& c : cases) {
        MemberSpec m;
        std::vector<std::string_view> params{c.param};
        std::string err = ox::parse_member("ajp://ox1", params, m);
        if (c.ok) {
            ck_assert_msg(err.empty(), "'%s': %s", c.param, err.c_str());
            ck_assert_msg(m.status == c.state, "'%s': state %d", c.param, static_cast<int>(m.status));
        } else {
            ck_assert_msg(contains(err, c.error_part), "'%s': '%s' lacks '%s'", c.param, err.c_str(), c.error_part);
        }
    }
    MemberSpec m;
    ck_assert(parse("ajp://ox1", "rout=OX1", m).find("lower case") == std::string::npos);
}
END_TEST

// OXWebSocket: a key given twice on the line is refused.
START_TEST(tunnel_repeated_key)
{
    ox::TunnelSpec t;
    std::vector<std::string_view> w{"On", "idle=60s", "max=2m", "idle=5m"};
    std::string err = ox::parse_tunnel(w, t);
    ck_assert_msg(contains(err, "OXWebSocket: idle= is given twice ('idle=60s' and 'idle=5m')"), "%s", err.c_str());
    std::vector<std::string_view> ok{"On", "idle=60s", "max=2m", "grace=5s"};
    ck_assert_msg(ox::parse_tunnel(ok, t).empty(), "%s", ox::parse_tunnel(ok, t).c_str());
}
END_TEST

// Parameters must be key=value; an unknown key is named in the message.
START_TEST(member_bad_parameter_words)
{
    MemberSpec m;
    std::string err = parse("ajp://ox1", "weight=3", m);
    ck_assert_msg(contains(err, "unknown member parameter 'weight'"), "%s", err.c_str());
    err = parse("ajp://ox1", "route", m);
    ck_assert_msg(contains(err, "'route'") && contains(err, "key=value"), "%s", err.c_str());
    err = parse("ajp://ox1", "=ox1", m);
    ck_assert_msg(contains(err, "'=ox1'") && contains(err, "key=value"), "%s", err.c_str());
    err = parse("ajp://ox1", "Route=ox1", m);  // keys are case-sensitive
    ck_assert_msg(contains(err, "'Route'"), "%s", err.c_str());
    // The first bad word stops parsing.
    MemberSpec m2;
    err = parse("ajp://ox1", "route=a smax=x route=b", m2);
    ck_assert_msg(contains(err, "smax"), "%s", err.c_str());
    ck_assert_str_eq(m2.route.c_str(), "a");
}
END_TEST

// ============================================================================
// BalancerSpec
// ============================================================================

// Two members with the same normalised URL, or the same route, are refused
// with a message naming both; members without a route do not clash.
START_TEST(balancer_duplicates)
{
    BalancerSpec b;
    b.name = "ox";
    MemberSpec m1, m2, m3, m4, m5;
    ck_assert(parse("ajp://ox1", "route=r1", m1).empty());
    ck_assert(parse("ajp://ox1:8009/", "route=r2", m2).empty());
    ck_assert(parse("ajp://ox2", "route=r1", m3).empty());
    ck_assert(parse("ajp://ox3", "", m4).empty());
    ck_assert(parse("ajp://ox4", "", m5).empty());

    ck_assert(b.add_member(m1).empty());
    std::string err = b.add_member(m2);
    ck_assert_msg(contains(err, "ajp://ox1:8009") && contains(err, "already in balancer ox"), "%s", err.c_str());
    err = b.add_member(m3);
    ck_assert_msg(contains(err, "route r1") && contains(err, "ajp://ox1:8009"), "%s", err.c_str());
    ck_assert(b.add_member(m4).empty());
    ck_assert(b.add_member(m5).empty());
    ck_assert_uint_eq(b.members.size(), 3);
}
END_TEST

START_TEST(balancer_min_packet_size)
{
    BalancerSpec b;
    ck_assert_uint_eq(b.min_packet_size(), 0);
    MemberSpec a, c;
    ck_assert(parse("ajp://a", "packetsize=16384", a).empty());
    ck_assert(parse("ajp://c", "packetsize=9000", c).empty());
    b.add_member(a);
    ck_assert_uint_eq(b.min_packet_size(), 16384);
    b.add_member(c);
    ck_assert_uint_eq(b.min_packet_size(), 9000);
}
END_TEST

START_TEST(balancer_names)
{
    struct Case {
        const char* text;
        const char* name;  // nullptr: rejected
    } cases[] = {
        {"balancer://ox", "ox"},
        {"ox-cluster_1.a", "ox-cluster_1.a"},
        {"balancer://ox.2", "ox.2"},
        {"balancer://", nullptr},
        {"", nullptr},
        {"a/b", nullptr},
        {"balancer://a/b", nullptr},
        {"ox cluster", nullptr},
        {"BALANCER://ox", nullptr},
        {"balancer:/ox", nullptr},
    };
    for (const auto& c : cases) {
        std::string out = "unchanged";
        std::string err = ox::parse_balancer_name(c.text, out);
        if (c.name) {
            ck_assert_msg(err.empty(), "'%s': %s", c.text, err.c_str());
            ck_assert_str_eq(out.c_str(), c.name);
        } else {
            ck_assert_msg(!err.empty(), "'%s' accepted as '%s'", c.text, out.c_str());
            ck_assert_str_eq(out.c_str(), "unchanged");
        }
    }
}
END_TEST

int main()
{
    Suite* s = suite_create("member_spec");
    TCase* tc = tcase_create("grammar");
    tcase_add_test(tc, durations);
    tcase_add_test(tc, endpoints);
    tcase_add_test(tc, endpoint_to_string);
    tcase_add_test(tc, resolve_numeric);
    tcase_add_test(tc, member_urls);
    tcase_add_test(tc, member_defaults);
    tcase_add_test(tc, http_member_parameters);
    tcase_add_test(tc, member_all_parameters);
    tcase_add_test(tc, member_parameter_bounds);
    tcase_add_test(tc, member_bad_parameter_words);
    tcase_add_test(tc, member_status_flags_and_case);
    tcase_add_test(tc, tunnel_repeated_key);
    tcase_add_test(tc, balancer_duplicates);
    tcase_add_test(tc, balancer_min_packet_size);
    tcase_add_test(tc, balancer_names);
    suite_add_tcase(s, tc);
    return unit::run_suite(s);
}
