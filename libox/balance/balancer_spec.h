// A balancer as configured: `<OXBalancer name>` with its members.
#ifndef LIBOX_BALANCE_BALANCER_SPEC_H
#define LIBOX_BALANCE_BALANCER_SPEC_H

#include <string>
#include <string_view>
#include <vector>

#include "balance/member_spec.h"
#include "balance/session_route.h"

namespace ox {

// OXWebSocket: whether and how long upgraded connections (WebSockets) are
// tunnelled to http:// members.
struct TunnelSpec {
    bool on = true;
    Millis idle{0};       // nothing moved either way; 0: the member's timeout
    Millis total{0};      // a tunnel's whole life; 0: no limit
    Millis grace{30000};  // how long open tunnels stay after their member is disabled
};

// How a member is chosen for a request without a route.
enum class LbMethod { byrequests, bybusyness };

struct BalancerSpec {
    std::string name;
    std::vector<MemberSpec> members;
    StickyNames sticky;                      // OXStickySession
    LbMethod lbmethod = LbMethod::byrequests;
    bool failover = true;                    // false: a session whose member is gone gets 503
    health::HealthCheckSpec health;          // OXHealthCheck: cping every 5 s by default
    bool health_set = false;                 // OXHealthCheck was given (else http:// members get http)
    std::vector<health::StatusRange> fail_on_status;  // OXFailOnStatus, for members without their own
    TunnelSpec tunnel;                       // OXWebSocket

    // The largest first body chunk every member can take in one packet.
    std::size_t min_packet_size() const noexcept;
    // The largest packet of any member (room for any member's forward request).
    std::size_t max_packet_size() const noexcept;
    // Adds a member; returns what is wrong (duplicate URL or route) or "".
    std::string add_member(MemberSpec m);
    // Gives every member the balancer's health check with its own hc*
    // parameters applied, and the balancer's failonstatus unless it has its
    // own. Returns "" or what is wrong, naming the member.
    std::string resolve_health_checks();
};

// The words after `OXWebSocket`: On or Off, then idle=, max=, grace=
// (durations). Returns "" or what is wrong, naming the word.
std::string parse_tunnel(const std::vector<std::string_view>& words, TunnelSpec& out);

// "byrequests" / "bybusyness".
bool parse_lbmethod(std::string_view text, LbMethod& out) noexcept;

// Balancer names: letters, digits, '-', '_', '.'; "balancer://" is accepted
// and stripped so that mod_proxy configs convert one to one.
std::string parse_balancer_name(std::string_view text, std::string& out);

}  // namespace ox

#endif
