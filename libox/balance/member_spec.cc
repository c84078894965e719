#include "balance/member_spec.h"

#include <algorithm>
#include <charconv>

#include "ajp/ajp_protocol.h"
#include "core/text.h"

namespace ox {

namespace {

std::string parse_size(std::string_view key, std::string_view value, unsigned long long lo, unsigned long long hi,
                       unsigned long long& out)
{
    if (!parse_decimal(value, out) || out < lo || out > hi) {
        return std::string(key) + "=" + std::string(value) + ": expected a whole number from " +
               std::to_string(lo) + " to " + std::to_string(hi);
    }
    return {};
}

// on|off, in either case as mod_proxy accepts it (failontimeout=On).
std::string parse_on_off(std::string_view key, std::string_view value, bool& out)
{
    if (equals_lowercase(value, "on")) {
        out = true;
    } else if (equals_lowercase(value, "off")) {
        out = false;
    } else {
        return std::string(key) + "=" + std::string(value) + ": expected on or off";
    }
    return {};
}

// Routes end up in cookies and in the jvm_route attribute: the characters OX
// allows in com.openexchange.server.backendRoute, and nothing that would end
// a cookie value or a path parameter.
std::string check_route(std::string_view route)
{
    if (route.empty()) return "route= must not be empty";
    if (route.size() > 64) return "route= is longer than 64 characters";
    if (!is_name_text(route)) {
        return "route=" + std::string(route) + ": only letters, digits, '-', '_' and '.' are allowed";
    }
    return {};
}

// connectiontimeout= is connecttimeout='s other name: one parameter.
std::string_view canonical_key(std::string_view key) noexcept
{
    return key == "connectiontimeout" ? std::string_view("connecttimeout") : key;
}

// mod_proxy's status flags, as in status=+H: the ones that are one of our
// admin states; the others say why not.
std::string parse_status_flags(std::string_view value, AdminState& out)
{
    // One flag, in either case as mod_proxy reads it.
    char f = value.size() == 2 && value[0] == '+' ? static_cast<char>(value[1] & ~0x20) : '\0';
    if (f == 'H') out = AdminState::standby;
    else if (f == 'D') out = AdminState::disabled;
    else if (f == 'N') out = AdminState::draining;
    else {
        return "status=" + std::string(value) +
               ": of mod_proxy's status flags only one of +H (standby), +D (disabled) or +N (draining) is "
               "accepted; write status=active, draining, disabled or standby";
    }
    return {};
}

}  // namespace

std::string parse_duration(std::string_view text, Millis& out)
{
    std::string_view digits = text;
    long long scale = 1000;
    if (text.size() > 2 && text.substr(text.size() - 2) == "ms") {
        digits = text.substr(0, text.size() - 2);
        scale = 1;
    } else if (!text.empty() && text.back() == 's') {
        digits = text.substr(0, text.size() - 1);
    } else if (!text.empty() && text.back() == 'm') {
        digits = text.substr(0, text.size() - 1);
        scale = 60000;
    }
    unsigned long long v = 0;
    if (!parse_decimal(digits, v) || v > 86400000ULL) {
        return "'" + std::string(text) + "' is not a duration (seconds, or with a unit: 250ms, 30s, 2m)";
    }
    out = Millis(static_cast<long long>(v) * scale);
    return {};
}

std::string parse_member(std::string_view url, const std::vector<std::string_view>& params, MemberSpec& out)
{
    std::string_view rest;
    std::uint16_t default_port = 8009;
    if (url.substr(0, 6) == "ajp://") {
        out.scheme = Scheme::ajp;
        rest = url.substr(6);
    } else if (url.substr(0, 7) == "http://") {
        // OX App Suite nodes (Grizzly) speak HTTP/1.1, on 8009 by OX's
        // defaults; without a port the URL means what it says: 80.
        out.scheme = Scheme::http;
        rest = url.substr(7);
        default_port = 80;
    } else if (url.substr(0, 8) == "https://" || url.substr(0, 5) == "ws://" || url.substr(0, 6) == "wss://") {
        return "member URL '" + std::string(url) +
               "': TLS and ws:// members are not supported; use http://host:port (WebSockets go over http:// members)";
    } else {
        return "member URL '" + std::string(url) + "' must start with ajp:// or http://";
    }
    while (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
    if (rest.find('/') != std::string_view::npos) {
        return "member URL '" + std::string(url) + "' must not have a path; map paths with OXPass";
    }
    if (std::string err = net::parse_endpoint(rest, default_port, out.endpoint); !err.empty()) {
        return "member URL '" + std::string(url) + "': " + err;
    }
    out.url = (out.scheme == Scheme::ajp ? "ajp://" : "http://") + out.endpoint.to_string();

    for (std::size_t i = 0; i < params.size(); ++i) {
        std::string_view p = params[i];
        auto eq = p.find('=');
        if (eq == std::string_view::npos || eq == 0) {
            return "'" + std::string(p) + "': member parameters are written key=value";
        }
        std::string_view key = p.substr(0, eq);
        std::string_view value = p.substr(eq + 1);
        // Given twice, one of the two is a mistake: say so rather than let
        // the last one win unnoticed (also under its other name).
        for (std::size_t j = 0; j < i; ++j) {
            if (canonical_key(params[j].substr(0, params[j].find('='))) == canonical_key(key)) {
                return std::string(key) + "= is given twice ('" + std::string(params[j]) + "' and '" + std::string(p) +
                       "')";
            }
        }
        std::string err;
        unsigned long long n = 0;
        if (out.scheme == Scheme::http &&
            (key == "packetsize" || key == "sendahead" || key == "secret" || key == "ping")) {
            return std::string(key) + "= applies to ajp:// members only";
        }
        if (key == "route") {
            err = check_route(value);
            if (err.empty()) out.route.assign(value);
        } else if (key == "loadfactor") {
            err = parse_size(key, value, 1, 100, n);
            out.loadfactor = static_cast<int>(n);
        } else if (key == "timeout") {
            err = parse_duration(value, out.timeout);
            if (err.empty() && out.timeout.count() == 0) err = "timeout= must be greater than 0";
        } else if (key == "connecttimeout" || key == "connectiontimeout") {
            err = parse_duration(value, out.connect_timeout);
            if (err.empty() && out.connect_timeout.count() == 0) err = std::string(key) + "= must be greater than 0";
        } else if (key == "ttl") {
            err = parse_duration(value, out.ttl);
        } else if (key == "addressttl") {
            err = parse_duration(value, out.address_ttl);
        } else if (key == "retry") {
            err = parse_duration(value, out.retry);
        } else if (key == "ping") {
            err = parse_duration(value, out.ping);
        } else if (key == "pingidle") {
            if (equals_lowercase(value, "off")) {
                out.ping_idle = Millis(0);
            } else {
                err = parse_duration(value, out.ping_idle);
            }
        } else if (key == "failontimeout") {
            err = parse_on_off(key, value, out.fail_on_timeout);
        } else if (key == "smax") {
            err = parse_size(key, value, 0, 100000, n);
            out.smax = n;
        } else if (key == "max") {
            err = parse_size(key, value, 1, 100000, n);
            out.max = n;
        } else if (key == "failonstatus") {
            err = health::parse_status_list(value, out.fail_on_status);
            if (!err.empty()) err = "failonstatus=" + err;
            out.fail_on_status_set = true;
        } else if (key == "acquire") {
            // mod_proxy's unit: milliseconds when none is given.
            std::string v(value);
            if (!v.empty() && v.find_first_not_of("0123456789") == std::string::npos) v += "ms";
            err = parse_duration(v, out.acquire);
            if (!err.empty()) err = "acquire=" + std::string(value) + ": expected milliseconds (500) or a duration (2s)";
        } else if (key == "flushwait") {
            // mod_proxy's name and unit (milliseconds when none is given).
            std::string v(value);
            if (!v.empty() && v.find_first_not_of("0123456789") == std::string::npos) v += "ms";
            err = parse_duration(v, out.flush_wait);
            if (!err.empty()) {
                err = "flushwait=" + std::string(value) + ": expected milliseconds (1) or a duration (5ms)";
            } else if (out.flush_wait > Millis(1000)) {
                err = "flushwait=" + std::string(value) + ": at most 1s (it delays the flush at every pause of the backend)";
            }
        } else if (key == "packetsize") {
            err = parse_size(key, value, ajp::kDefaultPacketSize, ajp::kMaxPacketSize, n);
            out.packet_size = n;
        } else if (key == "sendahead") {
            // Bounded: bytes sent ahead must fit into the socket buffers
            // while a backend writes a response without reading.
            err = parse_size(key, value, 0, 262144, n);
            out.send_ahead = n;
        } else if (key == "status") {
            if (!value.empty() && (value[0] == '+' || value[0] == '-')) {
                err = parse_status_flags(value, out.status);
            } else if (!parse_admin_state(value, out.status)) {
                err = "status=" + std::string(value) + ": expected active, draining, disabled or standby";
            }
        } else if (key == "secret") {
            if (value.empty()) err = "secret= must not be empty";
            out.secret.assign(value);
        } else if (health::HealthCheckSpec probe; health::apply_member_parameter(key, value, probe, err)) {
            // Checked now, so that configtest names this line; applied over
            // the balancer's OXHealthCheck once the balancer is complete.
            if (err.empty()) out.health_overrides.emplace_back(key, value);
        } else {
            // mod_proxy reads Route= as route=; here names are lower case.
            bool upper = std::any_of(key.begin(), key.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
            err = "unknown member parameter '" + std::string(key) + "'" +
                  (upper ? " (parameter names are lower case)" : "") + " (known: route, loadfactor, status, timeout, connecttimeout, ttl, addressttl, retry, failontimeout, ping, "
                  "pingidle, "
                  "smax, max, acquire, failonstatus, flushwait, packetsize, sendahead, secret, hcmethod, hcinterval, hctimeout, hcfails, hcpasses, hcuri, hcexpect, "
                  "hchost, hcauth)";
        }
        if (!err.empty()) return err;
    }
    return {};
}

}  // namespace ox
