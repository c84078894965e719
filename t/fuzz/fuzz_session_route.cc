// libFuzzer target: finding a request's session (libox/balance/
// session_route): ;jsessionid= path parameters and JSESSIONID cookies.
//
// Input: byte 0 = flags (bit 0: the sticky names are given, bit 1: the
// member routes are given; otherwise JSESSIONID/jsessionid and the routes
// OX1, OX2, OX-3, a.b), then lines split at '\n':
//   the raw request path;
//   with bit 0: "COOKIE PARAM" (one word: the parameter is its lower case,
//     as OXStickySession takes it);
//   with bit 1: the routes, separated by ' ' (member i has the i-th);
//   every further line a request header, "name:value" ("Cookie:...").
// Names that OXStickySession refuses (not tokens) and routes that OXMember
// refuses (route=: letters, digits, '-', '_', '.', at most 64) are not
// configurations and end the run for that input.
//
// The path and each header value are copied to heap blocks of exactly their
// size, so AddressSanitizer sees a read one byte past any of them (t/mutation
// plants exactly that bug in the path parameter match).
//
// For every input, find_session must give what the model below finds,
// written from docs/directives.md (OXStickySession) on its own:
//   - path parameters first, in order: a ';' then exactly PARAM then '=';
//     the value ends at ';', '/', '?' or the end of the path;
//   - then every header named Cookie (any case), in order; its pairs split
//     at ';' and ',', name and value trimmed of spaces and tabs, the name
//     equal to COOKIE byte for byte; a value in double quotes is taken
//     without them, one that opens a quote and does not close it is skipped;
//   - the route is what follows the id's first '.'; the first id whose
//     route is a member's route (byte for byte; the first member with it)
//     wins; an empty route or one naming no member counts as none.
// The same occurrence must be found (the id's position in the input, not
// only its text), route_of(id) must be the route, and every view must lie
// within the bytes given. Any violation aborts with the input on stderr.
//
// Built and run by t/fuzz/run-fuzz.
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "balance/session_route.h"
#include "fuzz_report.h"

namespace {

// A copy in a heap block of exactly its size, no terminator.
struct Block {
    std::unique_ptr<char[]> bytes;
    std::size_t size = 0;

    explicit Block(std::string_view s) : bytes(new char[s.size() ? s.size() : 1]), size(s.size())
    {
        if (size) std::memcpy(bytes.get(), s.data(), size);
    }
    std::string_view view() const { return std::string_view(bytes.get(), size); }
    bool holds(std::string_view v) const { return v.data() >= bytes.get() && v.data() + v.size() <= bytes.get() + size; }
};

// RFC 9110 token characters, as OXStickySession requires of its names.
bool token(std::string_view s)
{
    if (s.empty()) return false;
    for (unsigned char c : s) {
        if (std::isalnum(c)) continue;
        if (std::strchr("!#$%&'*+-.^_`|~", c) && c != 0) continue;
        return false;
    }
    return true;
}

bool route_word(std::string_view s)
{
    if (s.empty() || s.size() > 64) return false;
    for (unsigned char c : s) {
        if (!std::isalnum(c) && c != '-' && c != '_' && c != '.') return false;
    }
    return true;
}

struct Found {
    const char* id = nullptr;  // where in the input the id starts
    std::size_t id_len = 0;
    long member = -1;
    int source = 0;  // 0 none, 1 path, 2 cookie
};

long member_of(const std::vector<std::string>& routes, const char* id, std::size_t len)
{
    std::size_t dot = 0;
    while (dot < len && id[dot] != '.') ++dot;
    if (dot + 1 >= len) return -1;  // no '.', or nothing after it
    std::string_view route(id + dot + 1, len - dot - 1);
    for (std::size_t m = 0; m < routes.size(); ++m) {
        if (routes[m] == route) return static_cast<long>(m);
    }
    return -1;
}

bool space(char c) { return c == ' ' || c == '\t'; }

Found model(std::string_view path, const std::vector<std::pair<std::string_view, std::string_view>>& headers,
            const std::string& cookie, const std::string& param, const std::vector<std::string>& routes)
{
    Found f;
    const char* p = path.data();
    std::size_t n = path.size(), k = param.size();
    for (std::size_t i = 0; i < n; ++i) {
        if (p[i] != ';') continue;
        // ';' PARAM '=' needs 1 + k + 1 bytes from i.
        if (n - i < k + 2 || std::memcmp(p + i + 1, param.data(), k) != 0 || p[i + 1 + k] != '=') continue;
        std::size_t start = i + k + 2, end = start;
        while (end < n && p[end] != ';' && p[end] != '/' && p[end] != '?') ++end;
        long m = member_of(routes, p + start, end - start);
        if (m >= 0) return Found{p + start, end - start, m, 1};
    }
    for (const auto& [name, value] : headers) {
        if (name.size() != 6) continue;
        bool is_cookie = true;
        for (std::size_t i = 0; i < 6; ++i) is_cookie = is_cookie && std::tolower((unsigned char)name[i]) == "cookie"[i];
        if (!is_cookie) continue;
        const char* v = value.data();
        std::size_t len = value.size(), at = 0;
        while (at < len) {
            std::size_t end = at;
            while (end < len && v[end] != ';' && v[end] != ',') ++end;
            // The pair is v[at, end).
            std::size_t a = at, b = end;
            at = end + 1;
            while (a < b && space(v[a])) ++a;
            while (b > a && space(v[b - 1])) --b;
            std::size_t eq = a;
            while (eq < b && v[eq] != '=') ++eq;
            if (eq == b) continue;
            std::size_t ne = eq;
            while (ne > a && space(v[ne - 1])) --ne;
            if (std::string_view(v + a, ne - a) != cookie) continue;
            std::size_t va = eq + 1;
            while (va < b && space(v[va])) ++va;
            std::size_t vb = b;
            if (va < vb && v[va] == '"') {
                if (vb - va < 2 || v[vb - 1] != '"') continue;
                ++va;
                --vb;
            }
            long m = member_of(routes, v + va, vb - va);
            if (m >= 0) return Found{v + va, vb - va, m, 2};
        }
    }
    return f;
}

// Where the sessions were found, printed at exit.
unsigned long g_found[3];

void report_found()
{
    std::fprintf(stderr, "fuzz_session_route: sessions found in the path %lu, in a cookie %lu, none %lu\n", g_found[1],
                 g_found[2], g_found[0]);
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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    if (size < 1) return 0;
    static bool reporting = std::atexit(report_found) == 0;
    (void)reporting;
    g_input = std::string_view(reinterpret_cast<const char*>(data), size);
    std::uint8_t flags = data[0];
    std::vector<std::string_view> lines = split(g_input.substr(1), '\n');
    std::size_t next = 0;
    Block path(lines[next++]);

    ox::StickyNames names;
    if (flags & 1) {
        if (next == lines.size()) return 0;
        std::string_view w = lines[next++];
        std::size_t sp = w.find(' ');
        names.cookie.assign(w.substr(0, sp));
        if (sp == std::string_view::npos) {
            names.path_param = names.cookie;
            for (char& c : names.path_param) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        } else {
            names.path_param.assign(w.substr(sp + 1));
        }
        if (!token(names.cookie) || !token(names.path_param)) return 0;
    }
    std::vector<std::string> routes;
    if (flags & 2) {
        if (next == lines.size()) return 0;
        for (std::string_view r : split(lines[next++], ' ')) {
            if (r.empty()) continue;
            if (!route_word(r)) return 0;
            routes.emplace_back(r);
        }
    } else {
        routes = {"OX1", "OX2", "OX-3", "a.b"};
    }
    ox::RouteIndex index;
    for (std::size_t m = 0; m < routes.size(); ++m) index.add(routes[m], m);

    std::vector<std::unique_ptr<Block>> blocks;
    std::vector<ox::proxy::Header> headers;
    std::vector<std::pair<std::string_view, std::string_view>> plain;
    for (; next < lines.size(); ++next) {
        std::size_t colon = lines[next].find(':');
        std::string_view name = lines[next].substr(0, colon);
        std::string_view value = colon == std::string_view::npos ? std::string_view() : lines[next].substr(colon + 1);
        blocks.push_back(std::make_unique<Block>(name));
        std::string_view nv = blocks.back()->view();
        blocks.push_back(std::make_unique<Block>(value));
        std::string_view vv = blocks.back()->view();
        headers.push_back({nv, vv});
        plain.push_back({nv, vv});
    }

    ox::SessionRef s = ox::find_session(path.view(), headers.data(), headers.size(), names, index);
    Found want = model(path.view(), plain, names.cookie, names.path_param, routes);

    int source = s.source == ox::SessionRef::Source::none ? 0 : s.source == ox::SessionRef::Source::path ? 1 : 2;
    if (source != want.source) fail("found the session somewhere else than the model");
    if (s.member != want.member) fail("another member than the model's");
    if (s.routed() != (want.member >= 0)) fail("routed() disagrees with member");
    ++g_found[source];
    if (want.source == 0) {
        if (!s.id.empty() || !s.route.empty()) fail("an id or route without a session");
        return 0;
    }
    if (s.id.data() != want.id || s.id.size() != want.id_len) fail("another id (or another occurrence) than the model's");
    bool inside = source == 1 ? path.holds(s.id) : false;
    for (const auto& b : blocks) inside = inside || (source == 2 && b->holds(s.id));
    if (!inside) fail("the id lies outside the bytes given");
    if (ox::route_of(s.id) != s.route) fail("route is not route_of(id)");
    if (s.route.empty() || s.route.data() + s.route.size() != s.id.data() + s.id.size()) fail("route is not the id's tail");
    if (routes[static_cast<std::size_t>(s.member)] != s.route) fail("the member's route is not the route found");
    return 0;
}
