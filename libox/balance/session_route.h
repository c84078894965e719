// Finding the session a request belongs to: a `;jsessionid=` path parameter,
// else each JSESSIONID cookie in turn. OX's session ids are
// "<decimal>.<route>"; the route (the text after the first '.') names the
// member holding the session.
#ifndef LIBOX_BALANCE_SESSION_ROUTE_H
#define LIBOX_BALANCE_SESSION_ROUTE_H

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/request.h"

namespace ox {

struct StickyNames {
    std::string cookie = "JSESSIONID";
    std::string path_param = "jsessionid";
};

// Maps routes to member indexes; routes compare byte for byte.
class RouteIndex {
public:
    void add(std::string_view route, std::size_t member);
    // The member whose route this is, or -1.
    long find(std::string_view route) const noexcept;

private:
    std::vector<std::pair<std::string, std::size_t>> routes_;
};

struct SessionRef {
    enum class Source { none, path, cookie };
    std::string_view id;     // the whole session id, e.g. "5661584529655240315.OX1"
    std::string_view route;  // the part after the first '.'
    long member = -1;        // the member the route names, -1 when none
    Source source = Source::none;

    bool routed() const noexcept { return member >= 0; }
};

// The route of a session id: the text after its first '.', or empty.
std::string_view route_of(std::string_view session_id) noexcept;

// The first session whose route names a member: path parameters in order,
// then every cookie named names.cookie in every Cookie header, in order. A
// route naming no member counts as no route. `path` is the raw request path
// (no query); path parameters are matched on their boundaries only.
SessionRef find_session(std::string_view path, const proxy::Header* headers, std::size_t header_count,
                        const StickyNames& names, const RouteIndex& routes) noexcept;

}  // namespace ox

#endif
