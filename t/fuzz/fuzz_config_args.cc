// libFuzzer target: the configuration arguments that reach libox's parsers
// from httpd.conf (OXMember, OXHealthCheck, OXProtect/OXTrustedProxy address
// lists, OXPass, OXWebSocket, balancer names, durations, status lists).
//
// Input: byte 0 picks the directive (value % 5), the rest is its words,
// one per line (httpd's quoting lets a word hold spaces):
//   0: OXMember URL [key=value ...]
//   1: OXHealthCheck METHOD [key=value ...]
//   2: an address list (OXProtect / OXTrustedProxy words)
//   3: OXPass: a line with spaces is a rule "PREFIX BALANCER [BACKEND]",
//      a line without is a request path to match against the rules
//   4: one word as a duration, a status list and a balancer name; all the
//      words as OXWebSocket's.
//
// No parser may crash, leak or throw (ASan, UBSan, LeakSanitizer). What is
// accepted must be what the models below (written from docs/directives.md)
// accept, and must round-trip where the product writes a value back:
//   - durations: digits with no unit (seconds), "ms", "s" or "m", at most
//     86,400,000 of the unit; status lists: "N" or "N-M" items joined by
//     ',', 100 <= N <= M <= 599;
//   - OXMember: every key known and given once, every value as its
//     parameter's row says (the models of durations, whole-number ranges,
//     route characters, on/off, states); http:// members refuse the AJP
//     ones; the normalised URL (what logs, the status page and the state
//     file name a member by) parses back to the same member; the member
//     with the balancer's default health check resolves unless its probe
//     timeout exceeds its interval or an http:// member asks for cping;
//   - OXHealthCheck: the method word, counts 1..1000, timeout <= interval;
//   - address lists: every accepted block contains its network address,
//     and the list as to_string() writes it (status page, logs) parses back
//     to the same blocks;
//   - OXPass: an accepted prefix is canonical (canonical_prefix of it is
//     itself), a rule covers what lies below its prefix and nothing that
//     only starts with it; a table's match is the longest covering rule;
//   - balancer names: letters, digits, '-', '_', '.' (balancer:// taken off).
// Any violation aborts with the input on stderr.
//
// Built and run by t/fuzz/run-fuzz.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "acl/cidr_set.h"
#include "acl/path_normalizer.h"
#include "acl/path_prefix.h"
#include "balance/balancer_spec.h"
#include "balance/member_spec.h"
#include "fuzz_report.h"
#include "health/health_check.h"
#include "proxy/pass_rules.h"

namespace {

// Inputs per directive, and how many of them were accepted (for OXPass and
// address lists: at least one rule or word), printed at exit.
unsigned long g_runs[5], g_accepted[5];

void report_accepted()
{
    std::fprintf(stderr,
                 "fuzz_config_args: accepted of run: OXMember %lu/%lu, OXHealthCheck %lu/%lu, address lists %lu/%lu, "
                 "OXPass %lu/%lu, durations %lu/%lu\n",
                 g_accepted[0], g_runs[0], g_accepted[1], g_runs[1], g_accepted[2], g_runs[2], g_accepted[3], g_runs[3],
                 g_accepted[4], g_runs[4]);
}

std::vector<std::string_view> split(std::string_view s, char sep)
{
    std::vector<std::string_view> out;
    for (;;) {
        std::size_t at = s.find(sep);
        out.push_back(s.substr(0, at));
        if (at == std::string_view::npos) return out;
        s.remove_prefix(at + 1);
    }
}

// ---- models -------------------------------------------------------------

// A decimal number of digits only; nullopt when empty, not all digits, or
// above `max`.
std::optional<unsigned long long> whole(std::string_view s, unsigned long long max)
{
    if (s.empty()) return std::nullopt;
    unsigned long long v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
        v = v * 10 + static_cast<unsigned>(c - '0');
        if (v > max) return std::nullopt;
    }
    return v;
}

// "100" (seconds), "250ms", "30s", "2m": the leading digits, then one of
// the units.
std::optional<long long> duration_ms(std::string_view t)
{
    std::size_t d = 0;
    while (d < t.size() && t[d] >= '0' && t[d] <= '9') ++d;
    std::string_view unit = t.substr(d);
    long long scale = unit.empty() || unit == "s" ? 1000 : unit == "ms" ? 1 : unit == "m" ? 60000 : 0;
    auto v = whole(t.substr(0, d), 86400000ULL);
    if (!scale || !v) return std::nullopt;
    return static_cast<long long>(*v) * scale;
}

std::optional<std::vector<std::pair<int, int>>> status_list(std::string_view t)
{
    std::vector<std::pair<int, int>> out;
    for (std::string_view item : split(t, ',')) {
        std::vector<std::string_view> ends = split(item, '-');
        if (ends.size() > 2) return std::nullopt;
        auto lo = whole(ends[0], 599), hi = whole(ends.back(), 599);
        if (!lo || !hi || *lo < 100 || *lo > *hi) return std::nullopt;
        out.emplace_back(static_cast<int>(*lo), static_cast<int>(*hi));
    }
    return out;
}

bool same_ranges(const std::vector<ox::health::StatusRange>& got, const std::vector<std::pair<int, int>>& want)
{
    if (got.size() != want.size()) return false;
    for (std::size_t i = 0; i < got.size(); ++i) {
        if (got[i].lo != want[i].first || got[i].hi != want[i].second) return false;
    }
    return true;
}

bool name_chars(std::string_view s)
{
    for (char c : s) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
                  c == '.';
        if (!ok) return false;
    }
    return true;
}

bool ms_is(ox::Millis got, std::string_view text) { return duration_ms(text) == got.count(); }

// ---- OXMember --------------------------------------------------------------

const std::set<std::string_view> kMemberKeys = {
    "route",  "loadfactor", "status",      "timeout",     "connecttimeout", "connectiontimeout", "ttl",
    "addressttl", "retry",  "failontimeout", "ping",      "smax",           "max",               "acquire",
    "failonstatus", "packetsize", "sendahead", "secret",   "pingidle",       "hcmethod",       "hcinterval",        "hctimeout",
    "hcfails", "hcpasses", "hcuri",        "hcexpect",    "hchost",         "hcauth"};

// Checks one accepted parameter against its row in docs/directives.md.
void check_member_param(std::string_view key, std::string_view v, const ox::MemberSpec& m)
{
    auto in = [&](unsigned long long got, unsigned long long lo, unsigned long long hi) {
        auto n = whole(v, hi);
        if (!n || *n < lo || *n != got) fail("a member number outside its range, or not the one written");
    };
    auto positive = [&](ox::Millis got) {
        if (!ms_is(got, v) || got.count() <= 0) fail("a member timeout that is not a positive duration");
    };
    if (key == "route") {
        if (v.empty() || v.size() > 64 || !name_chars(v) || m.route != v) fail("route= accepted against its rule");
    } else if (key == "loadfactor") {
        in(static_cast<unsigned long long>(m.loadfactor), 1, 100);
    } else if (key == "timeout") {
        positive(m.timeout);
    } else if (key == "connecttimeout" || key == "connectiontimeout") {
        positive(m.connect_timeout);
    } else if (key == "ttl" || key == "addressttl" || key == "retry" || key == "ping") {
        ox::Millis got = key == "ttl" ? m.ttl : key == "addressttl" ? m.address_ttl : key == "retry" ? m.retry : m.ping;
        if (!ms_is(got, v)) fail("a member duration that is not the one written");
    } else if (key == "pingidle") {
        // A duration, or off (0): never negative.
        std::string low;
        for (char c : v) low += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
        if (low == "off" ? m.ping_idle.count() != 0 : !ms_is(m.ping_idle, v)) fail("pingidle= is not the one written");
        if (m.ping_idle.count() < 0) fail("a negative pingidle=");
    } else if (key == "acquire") {
        // Milliseconds when no unit is written, as mod_proxy's acquire=.
        bool bare = !v.empty() && v.find_first_not_of("0123456789") == std::string_view::npos;
        if (!ms_is(m.acquire, bare ? std::string(v) + "ms" : std::string(v))) fail("acquire= is not the one written");
    } else if (key == "smax") {
        in(m.smax, 0, 100000);
    } else if (key == "max") {
        in(m.max, 1, 100000);
    } else if (key == "packetsize") {
        in(m.packet_size, 8192, 65536);
    } else if (key == "sendahead") {
        in(m.send_ahead, 0, 262144);
    } else if (key == "failontimeout") {
        std::string low;
        for (char c : v) low += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
        if ((low != "on" && low != "off") || m.fail_on_timeout != (low == "on")) fail("failontimeout= is not on or off");
    } else if (key == "status") {
        // our words, or one of mod_proxy's flags +H, +D, +N (either case)
        char f = v.size() == 2 && v[0] == '+' ? static_cast<char>(v[1] & ~0x20) : '\0';
        ox::AdminState want = v == "active" ? ox::AdminState::active
                              : v == "draining" || f == 'N' ? ox::AdminState::draining
                              : v == "disabled" || f == 'D' ? ox::AdminState::disabled
                                                            : ox::AdminState::standby;
        if (v != "active" && v != "draining" && v != "disabled" && v != "standby" && f != 'H' && f != 'D' && f != 'N') {
            fail("an unknown status= accepted");
        }
        if (m.status != want) fail("status= is not the state written");
    } else if (key == "failonstatus") {
        auto r = status_list(v);
        if (!r || !same_ranges(m.fail_on_status, *r)) fail("failonstatus= is not the status list written");
    } else if (key == "secret") {
        if (v.empty() || m.secret != v) fail("secret= empty or not the one written");
    }
}

void member(const std::vector<std::string_view>& words)
{
    std::vector<std::string_view> params(words.begin() + 1, words.end());
    ox::MemberSpec m;
    std::string err = ox::parse_member(words[0], params, m);
    if (!err.empty()) return;
    ++g_accepted[0];

    std::string_view url = words[0];
    bool http = url.substr(0, 7) == "http://";
    if (!http && url.substr(0, 6) != "ajp://") fail("a member URL of another scheme accepted");
    if ((m.scheme == ox::Scheme::http) != http) fail("the scheme is not the URL's");
    if (m.endpoint.host.empty() || m.endpoint.port == 0) fail("a member without host or port");
    for (char c : m.endpoint.host) {
        if (static_cast<unsigned char>(c) <= ' ' || c == '/' || c == '?' || c == '#' || c == '@' || c == 0x7f) {
            fail("a member host with a character no host name has");
        }
    }
    // The normalised URL names the member: it must name the same one.
    ox::MemberSpec again;
    if (!ox::parse_member(m.url, {}, again).empty()) fail("the normalised member URL does not parse");
    if (again.url != m.url || again.endpoint.host != m.endpoint.host || again.endpoint.port != m.endpoint.port ||
        again.scheme != m.scheme) {
        fail("the normalised member URL names another member");
    }

    std::set<std::string_view> seen;
    for (std::string_view p : params) {
        std::size_t eq = p.find('=');
        if (eq == std::string_view::npos || eq == 0) fail("a parameter without key=value accepted");
        std::string_view key = p.substr(0, eq);
        if (!kMemberKeys.count(key)) fail("an unknown member parameter accepted");
        // connectiontimeout= is connecttimeout='s other name: one parameter
        if (!seen.insert(key == "connectiontimeout" ? std::string_view("connecttimeout") : key).second) {
            fail("a member parameter given twice accepted");
        }
        if (http && (key == "packetsize" || key == "sendahead" || key == "secret" || key == "ping")) {
            fail("an AJP parameter accepted on an http:// member");
        }
        check_member_param(key, p.substr(eq + 1), m);
    }

    // With the balancer's default OXHealthCheck: the model of whether it
    // resolves.
    ox::health::HealthCheckSpec h;  // cping, 5 s, 2 s
    if (http) h.method = ox::health::ProbeMethod::http;
    for (const auto& [key, value] : m.health_overrides) {
        std::string e;
        if (!ox::health::apply_member_parameter(key, value, h, e) || !e.empty()) {
            fail("a member's hc parameter accepted first and refused when applied");
        }
    }
    bool should = !(http && h.method == ox::health::ProbeMethod::cping) && h.timeout <= h.interval;
    ox::BalancerSpec b;
    b.name = "b";
    if (!b.add_member(m).empty()) fail("a single member refused by its balancer");
    bool resolved = b.resolve_health_checks().empty();
    if (resolved != should) fail("resolve_health_checks disagrees with the model");
}

// ---- OXHealthCheck -----------------------------------------------------------

void health_check(const std::vector<std::string_view>& words)
{
    ox::health::HealthCheckSpec h;
    h.fails = 77;  // a refused line must leave the spec alone
    std::string err = ox::health::parse_health_check(words, h);
    if (!err.empty()) {
        if (h.fails != 77) fail("a refused OXHealthCheck changed the spec");
        return;
    }
    ++g_accepted[1];
    std::string_view m = words[0];
    ox::health::ProbeMethod want = m == "cping" ? ox::health::ProbeMethod::cping
                                   : m == "http" ? ox::health::ProbeMethod::http
                                   : m == "tcp"  ? ox::health::ProbeMethod::tcp
                                                 : ox::health::ProbeMethod::none;
    if (m != "cping" && m != "http" && m != "tcp" && m != "off" && m != "none") fail("an unknown probe method accepted");
    if (h.method != want) fail("another probe method than the one written");
    if (h.fails < 1 || h.fails > 1000 || h.passes < 1 || h.passes > 1000) fail("fails= or passes= outside 1..1000");
    if (h.timeout > h.interval || h.timeout.count() <= 0) fail("a probe timeout longer than its interval, or 0");
    if (h.uri.empty() || h.uri[0] != '/' || h.uri.find_first_of(" \t\r\n") != std::string::npos) fail("a bad uri= accepted");
    for (const auto& r : h.expect) {
        if (r.lo < 100 || r.hi > 599 || r.lo > r.hi) fail("an expect= range outside 100..599");
        if (!h.expects(r.lo) || !h.expects(r.hi)) fail("a probe does not expect the statuses it lists");
    }
    if (h.expect.empty() && (!h.expects(200) || h.expects(204))) fail("without expect= only 200 is good");
    for (std::size_t i = 1; i < words.size(); ++i) {
        std::string_view w = words[i];
        std::string_view key = w.substr(0, w.find('='));
        std::string_view v = w.substr(key.size() + 1);
        // A key given twice is refused, as on OXMember.
        for (std::size_t j = i + 1; j < words.size(); ++j) {
            if (words[j].substr(0, words[j].find('=')) == key) fail("an OXHealthCheck key given twice accepted");
        }
        if ((key == "interval" && !ms_is(h.interval, v)) || (key == "timeout" && !ms_is(h.timeout, v))) {
            fail("interval= or timeout= is not the duration written");
        }
        if (key == "expect") {
            auto r = status_list(v);
            if (!r || !same_ranges(h.expect, *r)) fail("expect= is not the status list written");
        }
    }
}

// ---- address lists -----------------------------------------------------------

void addresses(const std::vector<std::string_view>& words)
{
    ox::acl::CidrSet set;
    for (std::string_view w : words) {
        ox::acl::Cidr c;
        std::string err = ox::acl::parse_cidr(w, c);
        bool local = w.size() == 5 && (w[0] | 0x20) == 'l' && (w[1] | 0x20) == 'o' && (w[2] | 0x20) == 'c' &&
                     (w[3] | 0x20) == 'a' && (w[4] | 0x20) == 'l';
        std::string serr = set.add(w);
        if (serr.empty() != (err.empty() || local)) fail("CidrSet::add and parse_cidr disagree");
        if (err.empty() && !local) {
            if (!c.contains(c.network)) fail("a block does not contain its network address");
            if (!set.contains(c.network)) fail("a set does not contain a block added to it");
        }
    }
    if (!set.empty()) ++g_accepted[2];
    ox::acl::CidrSet again;
    std::string text = set.to_string();
    for (std::string_view w : split(text, ' ')) {
        if (w.empty()) continue;
        if (!again.add(w).empty()) fail("a word of to_string() does not parse");
    }
    if (again.blocks() != set.blocks() || again.has_local() != set.has_local()) {
        fail("to_string() does not parse back to the same set");
    }
}

// ---- OXPass ------------------------------------------------------------------------

void pass(const std::vector<std::string_view>& lines)
{
    ox::proxy::PassTable table;
    std::vector<std::string_view> paths;
    for (std::string_view line : lines) {
        std::vector<std::string_view> f = split(line, ' ');
        if (f.size() == 1) {
            paths.push_back(line);
            continue;
        }
        // httpd's words are C strings (the backend prefix is one here).
        if (f.size() > 3 || line.find('\0') != std::string_view::npos) continue;
        std::string backend = f.size() == 3 ? std::string(f[2]) : std::string();
        ox::proxy::PassRule r;
        if (!ox::proxy::parse_pass_rule(f[0], f[1], f.size() == 3 ? backend.c_str() : nullptr, r).empty()) continue;
        // canonical_prefix gives the prefix again, so the prefix is canonical.
        std::string again;
        if (!ox::acl::canonical_prefix(r.prefix, again).empty() || again != r.prefix) fail("a rule's prefix is not canonical");
        if (r.prefix.empty() || r.prefix[0] != '/' || (r.prefix.size() > 1 && r.prefix.back() == '/')) {
            fail("a rule's prefix is not '/' or without a trailing '/'");
        }
        if (r.excluded != (f[1] == "!") || (!r.excluded && r.balancer != f[1])) fail("a rule's balancer is not the one written");
        if (r.has_backend_prefix != (f.size() == 3)) fail("a backend prefix taken or lost");
        if (r.has_backend_prefix) {
            const std::string& b = r.backend_prefix;
            if (!b.empty() && (b[0] != '/' || b.back() == '/')) fail("a backend prefix neither empty nor /x");
            if (backend.find_first_of("%;?#\\ ") != std::string::npos) fail("a backend prefix that needs encoding accepted");
        }
        if (r.covers(r.prefix) == r.below_only) fail("a rule covers its prefix although written with '/', or not at all");
        std::string below = r.prefix == "/" ? "/x" : r.prefix + "/x";
        if (!r.covers(below)) fail("a rule does not cover a path below its prefix");
        if (r.prefix != "/" && r.covers(r.prefix + "x")) fail("a rule covers a path that only starts with its prefix");
        table.add(std::move(r));
    }
    if (!table.empty()) ++g_accepted[3];
    table.sort();
    for (std::string_view raw : paths) {
        std::string canon;
        if (ox::acl::normalize_path(raw, canon) != ox::acl::PathStatus::ok) continue;
        const ox::proxy::PassRule* best = nullptr;
        for (const auto& r : table.rules()) {
            if (r.covers(canon) && (!best || r.weight() > best->weight())) best = &r;
        }
        const ox::proxy::PassRule* got = table.match(canon);
        if (got != best && !(got && best && got->weight() == best->weight() && got->covers(canon))) {
            fail("match() is not the longest covering rule");
        }
    }
}

// ---- single words --------------------------------------------------------------------

void words_alone(const std::vector<std::string_view>& words)
{
    std::string_view w = words[0];
    ox::Millis d{-1};
    bool ok = ox::parse_duration(w, d).empty();
    auto want = duration_ms(w);
    if (ok != want.has_value() || (ok && d.count() != *want)) fail("parse_duration disagrees with the model");
    g_accepted[4] += ok;

    std::vector<ox::health::StatusRange> ranges;
    ok = ox::health::parse_status_list(w, ranges).empty();
    auto sl = status_list(w);
    if (ok != sl.has_value() || (ok && !same_ranges(ranges, *sl))) fail("parse_status_list disagrees with the model");

    std::string name;
    ok = ox::parse_balancer_name(w, name).empty();
    std::string_view bare = w.substr(0, 11) == "balancer://" ? w.substr(11) : w;
    if (ok != (!bare.empty() && name_chars(bare)) || (ok && name != bare)) fail("parse_balancer_name disagrees with the model");

    ox::TunnelSpec t;
    if (ox::parse_tunnel(words, t).empty()) {
        std::string_view on = words[0];
        bool is_on = on.size() == 2 && (on[0] | 0x20) == 'o' && (on[1] | 0x20) == 'n';
        if (t.on != is_on) fail("OXWebSocket On/Off is not the one written");
        for (std::size_t i = 1; i < words.size(); ++i) {
            std::string_view key = words[i].substr(0, words[i].find('='));
            if (key != "idle" && key != "max" && key != "grace") fail("an unknown OXWebSocket parameter accepted");
            if (!duration_ms(words[i].substr(key.size() + 1))) fail("an OXWebSocket duration accepted against the model");
            for (std::size_t j = 1; j < i; ++j) {
                if (words[j].substr(0, words[j].find('=')) == key) fail("an OXWebSocket key given twice accepted");
            }
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    if (size < 1) return 0;
    static bool reporting = std::atexit(report_accepted) == 0;
    (void)reporting;
    g_input = std::string_view(reinterpret_cast<const char*>(data), size);
    std::vector<std::string_view> words = split(g_input.substr(1), '\n');
    ++g_runs[data[0] % 5];
    switch (data[0] % 5) {
    case 0: member(words); break;
    case 1: health_check(words); break;
    case 2: addresses(words); break;
    case 3: pass(words); break;
    default: words_alone(words); break;
    }
    return 0;
}
