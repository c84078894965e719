#include "proxy/request_target.h"

#include <cstring>

#include "acl/grizzly_normalizer.h"
#include "acl/path_prefix.h"
#include "core/text.h"

namespace ox::proxy {

namespace {

bool alpha(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool digit(char c) noexcept { return c >= '0' && c <= '9'; }

// The length of a URI scheme followed by ':' at the start of `t` (RFC 3986
// 3.1), or 0.
std::size_t scheme_length(std::string_view t) noexcept
{
    if (t.empty() || !alpha(t[0])) return 0;
    for (std::size_t i = 1; i < t.size(); ++i) {
        char c = t[i];
        if (c == ':') return i;
        if (!alpha(c) && !digit(c) && c != '+' && c != '-' && c != '.') return 0;
    }
    return 0;
}

enum class Segment { skip, dotdot, equal, other };

// A raw segment name (parameters removed) against a canonical one: the
// backend decodes it once, skips it when it is empty or ".", climbs on "..".
Segment compare_segment(std::string_view raw, std::string_view want) noexcept
{
    std::size_t n = 0;
    bool equal = true;
    char first[2] = {0, 0};
    for (std::size_t i = 0; i < raw.size(); ++i) {
        char b = raw[i];
        if (b == '%') {
            if (i + 2 >= raw.size() || hex_digit(raw[i + 1]) < 0 || hex_digit(raw[i + 2]) < 0) return Segment::other;
            b = static_cast<char>(hex_digit(raw[i + 1]) << 4 | hex_digit(raw[i + 2]));
            i += 2;
        }
        if (n < 2) first[n] = b;
        equal = equal && n < want.size() && want[n] == b;
        ++n;
    }
    if (n == 0 || (n == 1 && first[0] == '.')) return Segment::skip;
    if (n == 2 && first[0] == '.' && first[1] == '.') return Segment::dotdot;
    return equal && n == want.size() ? Segment::equal : Segment::other;
}

constexpr std::size_t kNoPlace = static_cast<std::size_t>(-1);

// Where the client's bytes of the rule's prefix end in `raw`: its segments
// are found one by one (decoded, parameters ignored, empty and "." segments
// skipped, as the backend resolves them). What follows (the last prefix
// segment's parameters, then the rest) is kept byte for byte. kNoPlace when
// the prefix is spelled with ".." segments, which have no exact place.
std::size_t prefix_end(std::string_view raw, std::string_view prefix) noexcept
{
    if (prefix == "/") return 0;
    std::size_t pos = 0;  // raw[pos] is the '/' before the next raw segment
    std::size_t end_of_prefix = 0;
    for (std::size_t pp = 1; pp <= prefix.size();) {
        std::size_t pend = prefix.find('/', pp);
        if (pend == std::string_view::npos) pend = prefix.size();
        std::string_view want = prefix.substr(pp, pend - pp);
        for (;;) {
            if (pos >= raw.size()) return kNoPlace;
            std::size_t end = raw.find('/', pos + 1);
            if (end == std::string_view::npos) end = raw.size();
            std::string_view seg = raw.substr(pos + 1, end - pos - 1);
            std::string_view name = seg.substr(0, seg.find(';'));
            Segment s = compare_segment(name, want);
            std::size_t name_end = pos + 1 + name.size();
            pos = end;
            if (s == Segment::skip) continue;
            if (s != Segment::equal) return kNoPlace;
            end_of_prefix = name_end;
            break;
        }
        pp = pend + 1;
    }
    return end_of_prefix;
}

// The bytes forwarded for `path` under `rule`: the backend prefix, then the
// client's bytes after the prefix. Written to out; sets len.
TargetStatus map_path(std::string_view path, const PassRule& rule, char* out, std::size_t& len) noexcept
{
    std::size_t at = prefix_end(path, rule.prefix);
    if (at == kNoPlace) return TargetStatus::unmappable;
    std::string_view rest = path.substr(at);
    const std::string& to = rule.backend_prefix;
    len = 0;
    std::memcpy(out, to.data(), to.size());
    len += to.size();
    // "/tc;x/y" under the root keeps its parameter on an empty segment:
    // "/;x/y", which the backend reads as "/y".
    if (len == 0 && (rest.empty() || rest.front() != '/')) out[len++] = '/';
    std::memcpy(out + len, rest.data(), rest.size());
    len += rest.size();
    return TargetStatus::ok;
}

TargetStatus refuse(RequestTarget& out, TargetStatus s) noexcept
{
    out.status = s;
    out.rule = nullptr;
    return s;
}

}  // namespace

const char* target_status_text(TargetStatus s, acl::PathStatus p) noexcept
{
    switch (s) {
    case TargetStatus::ok: return "";
    case TargetStatus::empty: return "empty request target";
    case TargetStatus::fragment: return "fragment ('#') in the request target";
    case TargetStatus::no_authority: return "a scheme without an authority in the request target";
    case TargetStatus::bad_scheme: return "absolute request target with a scheme other than http or https";
    case TargetStatus::userinfo: return "credentials in the request target's authority";
    case TargetStatus::not_a_path: return "request target is not a path";
    case TargetStatus::asterisk: return "'*' request target outside OPTIONS";
    case TargetStatus::bad_path: return acl::path_status_text(p);
    case TargetStatus::unmappable: return "the OXPass prefix is spelled with '..' segments";
    case TargetStatus::escapes_prefix: return "the forwarded path leaves the OXPass backend prefix";
    case TargetStatus::bad_path_http: return acl::path_status_text(p);
    case TargetStatus::ambiguous: return "an http:// member would resolve the path under another OXPass rule";
    }
    return "bad request target";
}

std::size_t target_buffer_size(std::string_view raw, const PassTable& passes) noexcept
{
    // As parse_target lays it out for a path no longer than `raw` (or "/"):
    // the canonical path, the forwarded path (backend prefix, '/', rest) and
    // the forwarded path's canonical form, each with its NUL; then Grizzly's
    // canonical forms of both.
    std::size_t path = raw.empty() ? 1 : raw.size();
    std::size_t forwarded = passes.max_backend_prefix() + 1 + path + 1;
    return 2 * (path + 1) + 3 * forwarded;
}

TargetStatus parse_target(std::string_view method, std::string_view raw, const PassTable& passes, char* buf,
                          std::size_t capacity, RequestTarget& out) noexcept
{
    out = RequestTarget{};
    if (raw.empty()) return refuse(out, TargetStatus::empty);
    if (raw.find('#') != std::string_view::npos) return refuse(out, TargetStatus::fragment);
    if (method == "CONNECT") {
        out.form = TargetForm::authority;  // a tunnel, not ours
        return out.status;
    }
    if (raw == "*") {
        out.form = TargetForm::asterisk;  // the server itself, not a path
        return method == "OPTIONS" ? out.status : refuse(out, TargetStatus::asterisk);
    }
    std::string_view rest = raw;
    if (raw[0] != '/') {
        std::size_t slen = scheme_length(raw);
        if (slen == 0) return refuse(out, TargetStatus::not_a_path);
        if (raw.substr(slen + 1, 2) != "//") return refuse(out, TargetStatus::no_authority);
        std::string_view scheme = raw.substr(0, slen);
        if (!equals_ignore_case(scheme, "http") && !equals_ignore_case(scheme, "https")) return refuse(out, TargetStatus::bad_scheme);
        std::string_view after = raw.substr(slen + 3);
        std::size_t aend = after.find_first_of("/?");
        out.authority = after.substr(0, aend);
        if (out.authority.empty()) return refuse(out, TargetStatus::no_authority);
        if (out.authority.find('@') != std::string_view::npos) return refuse(out, TargetStatus::userinfo);
        out.form = TargetForm::absolute;
        rest = aend == std::string_view::npos ? std::string_view() : after.substr(aend);
    }
    std::size_t q = rest.find('?');
    out.path = rest.substr(0, q);
    if (q != std::string_view::npos) {
        out.has_query = true;
        out.query = rest.substr(q + 1);
    }
    // RFC 9112 3.2.2: an absolute-form without a path asks for "/".
    if (out.path.empty()) out.path = "/";

    // Buffers: the canonical path, the forwarded path, its canonical form.
    std::size_t canon_cap = acl::normalized_capacity(out.path);
    std::size_t fwd_cap = passes.max_backend_prefix() + 1 + out.path.size() + 1;
    if (capacity < 2 * canon_cap + 3 * fwd_cap) return refuse(out, TargetStatus::bad_path);
    char* canon = buf;
    char* fwd = buf + canon_cap;
    char* fwd_canon = fwd + fwd_cap;
    char* g_canon = fwd_canon + fwd_cap;
    char* g_fwd_canon = g_canon + canon_cap;

    std::size_t n = 0;
    out.path_status = acl::normalize_path(out.path, canon, canon_cap, n);
    if (out.path_status != acl::PathStatus::ok) return refuse(out, TargetStatus::bad_path);
    out.canonical = std::string_view(canon, n);
    out.rule = passes.match(out.canonical);
    if (!out.forwarded()) return out.status;
    std::string_view to = out.rule->backend_prefix.empty() ? std::string_view("/") : out.rule->backend_prefix;
    if (!out.rule->has_backend_prefix) {
        out.forward_path = out.path;
        out.backend_canonical = out.canonical;
    } else {
        std::size_t len = 0;
        if (TargetStatus s = map_path(out.path, *out.rule, fwd, len); s != TargetStatus::ok) return refuse(out, s);
        fwd[len] = '\0';
        out.forward_path = std::string_view(fwd, len);
        out.path_status = acl::normalize_path(out.forward_path, fwd_canon, fwd_cap, n);
        if (out.path_status != acl::PathStatus::ok) return refuse(out, TargetStatus::bad_path);
        out.backend_canonical = std::string_view(fwd_canon, n);
        if (!acl::covers(to, out.backend_canonical)) return refuse(out, TargetStatus::escapes_prefix);
    }
    if (!out.grizzly()) return out.status;

    // An http:// member may get it: the same questions for Grizzly's model.
    out.path_status = acl::normalize_path_grizzly(out.path, g_canon, canon_cap, n);
    if (out.path_status != acl::PathStatus::ok) return refuse(out, TargetStatus::bad_path_http);
    out.grizzly_canonical = std::string_view(g_canon, n);
    if (passes.match(out.grizzly_canonical) != out.rule) return refuse(out, TargetStatus::ambiguous);
    if (!out.rule->has_backend_prefix) {
        out.grizzly_backend_canonical = out.grizzly_canonical;
        return out.status;
    }
    out.path_status = acl::normalize_path_grizzly(out.forward_path, g_fwd_canon, fwd_cap, n);
    if (out.path_status != acl::PathStatus::ok) return refuse(out, TargetStatus::bad_path_http);
    out.grizzly_backend_canonical = std::string_view(g_fwd_canon, n);
    if (!acl::covers(to, out.grizzly_backend_canonical)) return refuse(out, TargetStatus::escapes_prefix);
    return out.status;
}

std::size_t checked_paths(const RequestTarget& t, CheckedPath (&out)[4]) noexcept
{
    std::size_t n = 0;
    auto add = [&](std::string_view p, const char* what) {
        if (p.empty()) return;
        for (std::size_t i = 0; i < n; ++i) {
            if (out[i].path == p) return;
        }
        out[n++] = CheckedPath{p, what};
    };
    if (!t.ok()) return 0;
    add(t.canonical, "request path");
    if (t.remapped()) add(t.backend_canonical, "forwarded path");
    if (t.grizzly()) {
        add(t.grizzly_canonical, "request path as an http:// member resolves it");
        if (t.remapped()) add(t.grizzly_backend_canonical, "forwarded path as an http:// member resolves it");
    }
    return n;
}

}  // namespace ox::proxy
