#include "configdb/served.h"

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

}  // namespace ox::configdb
