// `OXHealthCheck` (per balancer) and the member parameters that override it
// (`hcmethod=`, `hcinterval=`, ... with mod_proxy_hcheck's names and
// meanings): how a backend node is probed.
#ifndef LIBOX_HEALTH_HEALTH_CHECK_H
#define LIBOX_HEALTH_HEALTH_CHECK_H

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"

namespace ox::health {

enum class ProbeMethod : std::uint8_t {
    none,   // not probed: health comes from failed requests only
    cping,  // AJP CPing/CPong on a fresh connection (ajp:// members)
    http,   // a request; healthy when the status is expected
    tcp,    // a TCP connect
};

const char* to_string(ProbeMethod m) noexcept;

// A status range from an `expect=` list ("200", "200-399").
struct StatusRange {
    int lo = 200;
    int hi = 200;
};

// Parses "200", "200-399", "200,204,300-399". Returns "" or what is wrong.
std::string parse_status_list(std::string_view text, std::vector<StatusRange>& out);
// Whether `status` is in one of the ranges.
bool in_ranges(const std::vector<StatusRange>& ranges, int status) noexcept;

struct HealthCheckSpec {
    ProbeMethod method = ProbeMethod::cping;
    Millis interval{5000};  // from the start of one probe to the start of the next
    Millis timeout{2000};   // for the whole probe: connect, send, answer
    unsigned fails = 2;     // failed probes in a row that make a node down
    unsigned passes = 2;    // good probes in a row that make it up again
    // method http:
    std::string http_method = "GET";
    std::string uri = "/health";  // OX 7.10.1+: 200 up, 503 or 500 down
    std::vector<StatusRange> expect;  // empty: 200 only
    std::string host;             // Host header; empty: the node's host:port
    std::string auth;             // "user:password" for basic auth; empty: none

    bool expects(int status) const noexcept;
};

// Parses the words after `OXHealthCheck`: a method (cping, http, tcp, off),
// then key=value parameters. Returns "" or what is wrong, naming the word.
std::string parse_health_check(const std::vector<std::string_view>& words, HealthCheckSpec& out);

// What is wrong with a spec as a whole (after member overrides), or "".
std::string check(const HealthCheckSpec& spec);

// Applies one member parameter if it is a health check one (hcmethod,
// hcinterval, hctimeout, hcfails, hcpasses, hcuri, hcexpect, hchost,
// hcauth). Returns false when `key` is none of them; else true, with `err`
// set to "" or what is wrong.
bool apply_member_parameter(std::string_view key, std::string_view value, HealthCheckSpec& spec, std::string& err);

}  // namespace ox::health

#endif
