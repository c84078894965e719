// Whether a change names a member some front end serves: what oxbalancectl
// asks before it writes one (the front ends announce their members, see
// Store::announce). A typo in a route or balancer would otherwise be
// written, shown by `list`, and change nothing anywhere.
#ifndef LIBOX_CONFIGDB_SERVED_H
#define LIBOX_CONFIGDB_SERVED_H

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "configdb/store.h"

namespace ox::configdb {

// Announcements older than this are not counted: the poller renews them
// hourly, so such a front end has been gone (or cut off) for a day.
constexpr std::int64_t kServedMaxAgeSeconds = 24 * 3600;

struct RouteCheck {
    enum class Verdict {
        served,            // some front end serves balancer + route
        unknown_route,     // front ends serve the balancer, not this route
        unknown_balancer,  // no front end serves a balancer of that name
        unchecked,         // no front end announced anything lately
    };
    Verdict verdict = Verdict::unchecked;
    // unknown_route: the routes the balancer has; unknown_balancer: the
    // balancers there are. Sorted, each once.
    std::vector<std::string> known;
    std::size_t frontends = 0;  // front ends counted (announced lately)
};

// One front end's announcement, for `oxbalancectl status`.
struct FrontendSeen {
    std::string frontend;
    std::size_t members = 0;
    std::int64_t seen_at = 0;  // its newest row
};

// The front ends that announced their members in the last day, by name.
std::vector<FrontendSeen> frontends_seen(const std::vector<ServedMember>& rows, std::int64_t now);

// How many front ends announced each member in the last day; a member
// none announced is absent.
std::map<MemberKey, std::size_t> frontends_per_member(const std::vector<ServedMember>& rows, std::int64_t now);

RouteCheck check_route(const std::vector<ServedMember>& rows, const std::string& balancer, const std::string& route,
                       std::int64_t now);

}  // namespace ox::configdb

#endif
