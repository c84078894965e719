// What the status page shows, as plain data: a snapshot the glue fills from
// the configuration and the shared-memory slots, then hands to one of the
// renderers (render_html, render_json, render_metrics). Nothing here points
// into shared memory, so a snapshot stays consistent while it is rendered.
//
// The structs hold std::string and std::vector: filling them allocates and
// may throw std::bad_alloc; the glue builds and renders a snapshot inside
// its handler's catch-all. Times are wall-clock milliseconds since the Unix
// epoch (UTC); 0 means "never" / "none".
#ifndef LIBOX_STATUS_STATUS_MODEL_H
#define LIBOX_STATUS_STATUS_MODEL_H

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "balance/member_state.h"

namespace ox::status {

// The last health probe of a member's node. Health belongs to the node
// (its address), so members of several balancers that share a node show
// the same probe.
struct ProbeStatus {
    std::string method;            // health::to_string(ProbeMethod): "cping", "http", "tcp";
                                   // "" when the member is not probed (ProbeMethod::none)
    std::string result;            // the last probe's result in words ("CPong", "connect: refused",
                                   // "HTTP 503"); from the backend, so rendered escaped; "" before the first
    std::int64_t latency_us = -1;  // how long the last probe took (ProbeResult::latency); -1 before the first
    std::int64_t time_ms = 0;      // when the last probe ended (wall ms); 0 before the first
    std::uint32_t consecutive_failures = 0;  // failed probes in a row (down after `fails`)
    std::uint32_t consecutive_passes = 0;    // passed probes in a row (up again after `passes`)
};

// One member of one balancer. Counters only grow while the server runs (a
// graceful restart keeps them; a full restart starts them at 0).
struct MemberStatus {
    std::string url;    // the member's identity within its balancer: "ajp://host:port"
    std::string route;  // its session route ("OX1"); "" when it has none

    AdminState admin = AdminState::active;          // in force now
    AdminState config_admin = AdminState::active;   // what `status=` in the configuration says
    Health health = Health::up;                     // from probes
    ProbeStatus probe;

    std::uint32_t loadfactor = 1;  // effective (run-time) load factor, 1..100
    std::int64_t in_flight = 0;    // requests in flight now, across all children

    std::uint64_t requests = 0;        // attempts sent to the member
    std::uint64_t failures = 0;        // failed attempts
    std::uint64_t new_sessions = 0;    // requests without a route placed here
    std::uint64_t sticky = 0;          // requests that followed their route here
    std::uint64_t failovers = 0;       // sessions of a gone member sent here as successor
    std::uint64_t bytes_sent = 0;      // request body bytes sent to the member (slot: bytes_in)
    std::uint64_t bytes_received = 0;  // response body bytes received from it (slot: bytes_out)
    // Pooled connections before reuse (state::MemberSlot).
    std::uint64_t reuse_pings = 0;     // CPings on pooled connections (pingidle=, ping=)
    std::uint64_t stale_dropped = 0;   // found closed or unanswering before use, dropped
    std::uint64_t idle_replaced = 0;   // http://: idle >= pingidle, a fresh one used for a request that must not go twice
    std::uint64_t resent = 0;          // requests sent again on a fresh connection after a pooled one failed

    std::int64_t error_until_ms = 0;   // end of the passive error (retry=) window, wall ms; 0: none
    std::int64_t last_session_ms = 0;  // when a request of one of its sessions was last seen, wall ms; 0: never
    std::uint64_t sessions_recent = 0; // distinct sessions seen in the last StatusModel::sessions_window_minutes
};

struct BalancerStatus {
    std::string name;
    std::string lbmethod;       // "byrequests" or "bybusyness"
    std::string sticky_cookie;  // "JSESSIONID"
    bool failover = true;       // false: a session whose member is gone gets 503
    std::vector<MemberStatus> members;  // in configuration order
};

// The configdb (OXConfigDB): where the admin states and load factors come
// from when every front end shares them. `configured` false: no OXConfigDB,
// and nothing else here is meaningful.
struct ConfigdbStatus {
    bool configured = false;
    std::string read_host;           // "host:port/db"
    std::string write_host;
    std::uint32_t poll_seconds = 0;
    std::int64_t last_success_ms = 0;   // the last good read (the data's time); 0: none yet
    std::int64_t outage_since_ms = 0;   // the first failed read of the current outage; 0: none
    std::int64_t last_attempt_ms = 0;   // the last read, good or not; 0: none yet
    std::string last_error;             // the last failure's text; "" none
    std::int64_t last_error_ms = 0;
    std::uint64_t polls = 0, poll_failures = 0;
    std::uint64_t writes = 0, write_failures = 0;  // status page changes written / not written
    std::string last_write_error;
    std::int64_t last_write_error_ms = 0;
    // This front end's announcement of its members (oxbalance_frontend_member),
    // which oxbalancectl checks a change's route against.
    std::string frontend;                        // "host:ServerRoot", as announced
    std::uint32_t announced_members = 0;         // in the last good announcement
    std::int64_t last_announce_ms = 0;           // the last good one; 0: none yet
    std::int64_t announce_failing_since_ms = 0;  // the first failure in a row; 0: not failing
    std::string announce_error;                  // that failure's text
    // Rows of the last good read for members this configuration lacks.
    std::uint32_t unknown_rows = 0;
    std::vector<std::pair<std::string, std::string>> unknown_members;  // (balancer, route), the first few

    // up: the last read succeeded; outage: it failed; starting: no read yet.
    const char* state() const noexcept
    {
        if (outage_since_ms != 0) return "outage";
        return last_success_ms != 0 ? "up" : "starting";
    }
};

struct StatusModel {
    std::string server_name;     // ServerName of the server the page belongs to
    std::string module_version;  // "0.1.0"
    std::int64_t generated_ms = 0;            // when the snapshot was taken, wall ms
    std::uint32_t sessions_window_minutes = 0;  // N of MemberStatus::sessions_recent
    // The httpd process that runs the prober and the configdb poller (the
    // leader); 0: none now.
    std::uint32_t leader_pid = 0;
    std::vector<BalancerStatus> balancers;    // in configuration order
    ConfigdbStatus configdb;
};

}  // namespace ox::status

#endif
