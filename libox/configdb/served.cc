#include "configdb/served.h"

#include <map>
#include <set>

namespace ox::configdb {

RouteCheck check_route(const std::vector<ServedMember>& rows, const std::string& balancer, const std::string& route,
                       std::int64_t now)
{
    RouteCheck out;
    std::set<std::string> frontends, balancers, routes;
    for (const ServedMember& m : rows) {
        if (m.seen_at < now - kServedMaxAgeSeconds) continue;
        frontends.insert(m.frontend);
        balancers.insert(m.balancer);
        if (m.balancer != balancer) continue;
        if (m.route == route) out.verdict = RouteCheck::Verdict::served;
        routes.insert(m.route);
    }
    out.frontends = frontends.size();
    if (out.verdict == RouteCheck::Verdict::served || frontends.empty()) return out;
    if (routes.empty()) {
        out.verdict = RouteCheck::Verdict::unknown_balancer;
        out.known.assign(balancers.begin(), balancers.end());
    } else {
        out.verdict = RouteCheck::Verdict::unknown_route;
        out.known.assign(routes.begin(), routes.end());
    }
    return out;
}

std::map<MemberKey, std::size_t> frontends_per_member(const std::vector<ServedMember>& rows, std::int64_t now)
{
    std::map<MemberKey, std::size_t> out;
    for (const ServedMember& m : rows) {
        if (m.seen_at >= now - kServedMaxAgeSeconds) ++out[MemberKey{m.balancer, m.route}];
    }
    return out;
}

std::vector<FrontendSeen> frontends_seen(const std::vector<ServedMember>& rows, std::int64_t now)
{
    std::map<std::string, FrontendSeen> by_name;
    for (const ServedMember& m : rows) {
        if (m.seen_at < now - kServedMaxAgeSeconds) continue;
        FrontendSeen& f = by_name[m.frontend];
        f.frontend = m.frontend;
        ++f.members;
        if (m.seen_at > f.seen_at) f.seen_at = m.seen_at;
    }
    std::vector<FrontendSeen> out;
    for (auto& [name, f] : by_name) out.push_back(std::move(f));
    return out;
}

}  // namespace ox::configdb
