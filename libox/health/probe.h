// One probe of one backend node: connect (and, by method, CPing or a
// request) within one deadline. Runs on the prober's thread for that node,
// so it may block up to the probe's timeout; nothing else waits on it.
#ifndef LIBOX_HEALTH_PROBE_H
#define LIBOX_HEALTH_PROBE_H

#include <cstddef>
#include <string>

#include "core/clock.h"
#include "health/health_check.h"
#include "net/endpoint.h"

namespace ox::health {

struct ProbeResult {
    bool ok = false;
    std::chrono::microseconds latency{0};  // from the start of the probe to its answer
    int status = 0;           // the HTTP status, for http probes that got one
    const char* detail = "";  // static text: why it failed ("" when ok)
    int sys_errno = 0;        // the system error behind `detail`, if any
};

// What is probed: the node's address and what its protocol needs.
struct ProbeTarget {
    net::Endpoint endpoint;
    bool http = false;               // the node speaks HTTP (an http:// member), not AJP
    std::size_t packet_size = 8192;  // AJP
    std::string route;               // AJP: sent as jvm_route, as with requests
    std::string secret;              // AJP: Tomcat's secret, without which it answers 403
};

// Runs one probe of `target` as `spec` says. `method` none answers ok.
ProbeResult run_probe(const HealthCheckSpec& spec, const ProbeTarget& target) noexcept;

}  // namespace ox::health

#endif
