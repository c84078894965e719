// A balancer member as configured: `OXMember ajp://host:port key=value ...`.
// Parsing lives here, not in the httpd glue, so that every rule of the
// configuration grammar is unit-tested.
#ifndef LIBOX_BALANCE_MEMBER_SPEC_H
#define LIBOX_BALANCE_MEMBER_SPEC_H

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "balance/member_state.h"
#include "core/clock.h"
#include "health/health_check.h"
#include "net/endpoint.h"

namespace ox {

enum class Scheme { ajp, http };

// pingidle='s default: below the idle timeouts that close backend
// connections in practice (httpd's KeepAliveTimeout 5 s, Tomcat's HTTP
// connector 20-60 s, Grizzly's 30 s); docs/directives.md says why.
constexpr Millis kDefaultPingIdle{2000};
// flushwait=: a servlet writing a large body leaves the backend socket empty
// for tens of microseconds between its packets; one millisecond bridges
// those and delays the flush at a real pause by no more.
constexpr Millis kDefaultFlushWait{1};

struct MemberSpec {
    std::string url;  // normalised: "ajp://host:port"
    Scheme scheme = Scheme::ajp;
    net::Endpoint endpoint;
    std::string route;           // session route (jvmRoute), may be empty
    int loadfactor = 1;          // 1..100, weight for new sessions
    Millis timeout{0};           // each wait for the backend; 0 = the server's Timeout
    Millis connect_timeout{0};   // 0 = min(timeout, 5 s)
    Millis ttl{0};               // idle age above which surplus connections close; 0 = never
    Millis address_ttl{60000};   // how long a host name lookup is used; 0 = before every new connection
    Millis retry{60000};         // how long a failed member is avoided
    Millis ping{0};              // CPing a connection before each request; 0 = off
    // A pooled connection idle at least this long is checked before use
    // (AJP: CPing; http://, for a request that cannot be sent twice: a fresh
    // connection instead); 0 = off. See MemberRuntime::get.
    Millis ping_idle{kDefaultPingIdle};
    bool fail_on_timeout = false;  // a read timeout puts the member into its error window
    std::size_t smax = 0;        // idle connections kept regardless of ttl
    std::size_t max = 0;         // connections per process, in use plus idle; 0 = ThreadsPerChild
    Millis acquire{0};           // how long a request waits for one of them; 0: not at all
    // Backend statuses that count as a failure of the member (mod_proxy's
    // failonstatus=): its own, else the balancer's OXFailOnStatus.
    std::vector<health::StatusRange> fail_on_status;
    bool fail_on_status_set = false;
    std::size_t packet_size = 8192;
    std::size_t send_ahead = 65536;  // body bytes sent before the backend asks (see ajp::ExchangeParams)
    // How long a body under way waits for the backend's next bytes before
    // what it gathered is flushed to the client (see ajp::ExchangeParams).
    Millis flush_wait{kDefaultFlushWait};
    std::string secret;
    AdminState status = AdminState::active;  // as configured; may change at run time
    // How its node is probed: the balancer's OXHealthCheck with the
    // member's hc* parameters applied (resolve_health_checks), which are
    // kept here until then.
    health::HealthCheckSpec health;
    std::vector<std::pair<std::string, std::string>> health_overrides;

    // A short name for logs, and the member's identity for successor
    // hashing (the same on every front end): the route when set, else the URL.
    const std::string& display_name() const noexcept { return route.empty() ? url : route; }
};

// Parses a duration: "30" (seconds), "30s", "250ms", "2m". Returns an empty
// string or what is wrong.
std::string parse_duration(std::string_view text, Millis& out);

// Parses the member URL and its key=value parameters. Returns an empty
// string on success, else a message naming the bad word.
std::string parse_member(std::string_view url, const std::vector<std::string_view>& params, MemberSpec& out);

}  // namespace ox

#endif
