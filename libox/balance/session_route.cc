#include "balance/session_route.h"

#include <strings.h>

#include "core/text.h"

namespace ox {

namespace {

bool is_cookie_header(std::string_view name) noexcept
{
    return name.size() == 6 && strncasecmp(name.data(), "Cookie", 6) == 0;
}

// Fills `out` from a session id if its route names a member.
bool resolve(std::string_view id, SessionRef::Source source, const RouteIndex& routes, SessionRef& out) noexcept
{
    std::string_view route = route_of(id);
    if (route.empty()) return false;
    long member = routes.find(route);
    if (member < 0) return false;
    out = SessionRef{id, route, member, source};
    return true;
}

// ";name=value" where ';' starts a path parameter; the value ends at ';',
// '/', '?' or the end.
bool from_path(std::string_view path, std::string_view name, const RouteIndex& routes, SessionRef& out) noexcept
{
    if (name.empty()) return false;
    for (std::size_t i = path.find(';'); i != std::string_view::npos; i = path.find(';', i + 1)) {
        std::string_view rest = path.substr(i + 1);
        if (rest.size() <= name.size() || rest.compare(0, name.size(), name) != 0 || rest[name.size()] != '=') {
            continue;
        }
        std::string_view value = rest.substr(name.size() + 1);
        value = value.substr(0, value.find_first_of(";/?"));
        if (resolve(value, SessionRef::Source::path, routes, out)) return true;
    }
    return false;
}

// One Cookie header: "a=1; JSESSIONID=x.OX1; b=\"2\"". Pairs are split on
// ';' and on ',' (httpd joins repeated Cookie headers with ", ").
bool from_cookie_header(std::string_view header, std::string_view name, const RouteIndex& routes,
                        SessionRef& out) noexcept
{
    while (!header.empty()) {
        std::size_t end = header.find_first_of(";,");
        std::string_view pair = trim_ows(header.substr(0, end));
        header = end == std::string_view::npos ? std::string_view() : header.substr(end + 1);
        std::size_t eq = pair.find('=');
        if (eq == std::string_view::npos || trim_ows(pair.substr(0, eq)) != name) continue;
        std::string_view value = trim_ows(pair.substr(eq + 1));
        if (!value.empty() && value.front() == '"') {
            // RFC 6265: a quoted value ends with its quote; Tomcat ignores
            // one that does not, and so do we.
            if (value.size() < 2 || value.back() != '"') continue;
            value = value.substr(1, value.size() - 2);
        }
        if (resolve(value, SessionRef::Source::cookie, routes, out)) return true;
    }
    return false;
}

}  // namespace

void RouteIndex::add(std::string_view route, std::size_t member) { routes_.emplace_back(route, member); }

long RouteIndex::find(std::string_view route) const noexcept
{
    for (const auto& [r, m] : routes_) {
        if (r == route) return static_cast<long>(m);
    }
    return -1;
}

std::string_view route_of(std::string_view session_id) noexcept
{
    std::size_t dot = session_id.find('.');
    return dot == std::string_view::npos ? std::string_view() : session_id.substr(dot + 1);
}

SessionRef find_session(std::string_view path, const proxy::Header* headers, std::size_t header_count,
                        const StickyNames& names, const RouteIndex& routes) noexcept
{
    SessionRef s;
    if (from_path(path, names.path_param, routes, s)) return s;
    for (std::size_t i = 0; i < header_count; ++i) {
        if (is_cookie_header(headers[i].name) && from_cookie_header(headers[i].value, names.cookie, routes, s)) return s;
    }
    return SessionRef{};
}

}  // namespace ox
