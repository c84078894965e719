#include "health/health_check.h"

#include <charconv>

#include "balance/member_spec.h"
#include "core/text.h"

namespace ox::health {

namespace {

bool parse_method(std::string_view s, ProbeMethod& out) noexcept
{
    if (s == "cping") {
        out = ProbeMethod::cping;
    } else if (s == "http") {
        out = ProbeMethod::http;
    } else if (s == "tcp") {
        out = ProbeMethod::tcp;
    } else if (s == "off" || s == "none") {
        out = ProbeMethod::none;
    } else {
        return false;
    }
    return true;
}


std::string parse_count(std::string_view key, std::string_view value, unsigned& out)
{
    unsigned long long n = 0;
    if (!parse_decimal(value, n) || n < 1 || n > 1000) {
        return std::string(key) + "=" + std::string(value) + ": expected a whole number from 1 to 1000";
    }
    out = static_cast<unsigned>(n);
    return {};
}

std::string parse_positive_duration(std::string_view key, std::string_view value, Millis& out)
{
    if (std::string err = parse_duration(value, out); !err.empty()) return std::string(key) + "=: " + err;
    if (out.count() == 0) return std::string(key) + "= must be greater than 0";
    return {};
}

// The parameters common to the directive (`interval=`) and to members
// (`hcinterval=`): `key` without the "hc" prefix.
bool apply(std::string_view key, std::string_view value, HealthCheckSpec& spec, std::string& err)
{
    if (key == "interval") {
        err = parse_positive_duration(key, value, spec.interval);
    } else if (key == "timeout") {
        err = parse_positive_duration(key, value, spec.timeout);
    } else if (key == "fails") {
        err = parse_count(key, value, spec.fails);
    } else if (key == "passes") {
        err = parse_count(key, value, spec.passes);
    } else if (key == "uri") {
        if (value.empty() || value[0] != '/' || value.find_first_of(" \t\r\n") != std::string_view::npos) {
            err = "uri=" + std::string(value) + ": expected a path starting with '/'";
        } else {
            spec.uri.assign(value);
        }
    } else if (key == "expect") {
        err = parse_status_list(value, spec.expect);
        if (!err.empty()) err = "expect=" + err;
    } else if (key == "method") {
        bool token = !value.empty();
        for (char c : value) token = token && c >= 'A' && c <= 'Z';
        if (!token) {
            err = "method=" + std::string(value) + ": expected an HTTP method in capitals (GET, HEAD, OPTIONS)";
        } else {
            spec.http_method.assign(value);
        }
    } else if (key == "host") {
        if (value.empty() || value.find_first_of(" \t\r\n/") != std::string_view::npos) {
            err = "host=" + std::string(value) + ": expected a host name, optionally with :port";
        } else {
            spec.host.assign(value);
        }
    } else if (key == "auth") {
        if (value.find(':') == std::string_view::npos || value.find_first_of("\r\n") != std::string_view::npos) {
            err = "auth=...: expected user:password";
        } else {
            spec.auth.assign(value);
        }
    } else {
        return false;
    }
    return true;
}

}  // namespace

const char* to_string(ProbeMethod m) noexcept
{
    switch (m) {
    case ProbeMethod::none: return "off";
    case ProbeMethod::cping: return "cping";
    case ProbeMethod::http: return "http";
    case ProbeMethod::tcp: return "tcp";
    }
    return "unknown";
}

bool in_ranges(const std::vector<StatusRange>& ranges, int status) noexcept
{
    for (const StatusRange& r : ranges) {
        if (status >= r.lo && status <= r.hi) return true;
    }
    return false;
}

bool HealthCheckSpec::expects(int status) const noexcept
{
    return expect.empty() ? status == 200 : in_ranges(expect, status);
}

std::string parse_health_check(const std::vector<std::string_view>& words, HealthCheckSpec& out)
{
    if (words.empty()) return "OXHealthCheck needs a method: cping, http, tcp or off";
    HealthCheckSpec spec;
    if (!parse_method(words[0], spec.method)) {
        return "OXHealthCheck " + std::string(words[0]) + ": expected cping, http, tcp or off";
    }
    for (std::size_t i = 1; i < words.size(); ++i) {
        std::string_view w = words[i];
        std::size_t eq = w.find('=');
        if (eq == std::string_view::npos || eq == 0) return "'" + std::string(w) + "': parameters are written key=value";
        for (std::size_t j = 1; j < i; ++j) {
            if (words[j].substr(0, words[j].find('=')) == w.substr(0, eq)) {
                return "OXHealthCheck: " + std::string(w.substr(0, eq)) + "= is given twice ('" + std::string(words[j]) +
                       "' and '" + std::string(w) + "')";
            }
        }
        std::string err;
        if (!apply(w.substr(0, eq), w.substr(eq + 1), spec, err)) {
            return "unknown OXHealthCheck parameter '" + std::string(w.substr(0, eq)) +
                   "' (known: interval, timeout, fails, passes, uri, expect, method, host, auth)";
        }
        if (!err.empty()) return err;
    }
    if (std::string err = check(spec); !err.empty()) return "OXHealthCheck: " + err;
    out = std::move(spec);
    return {};
}

std::string check(const HealthCheckSpec& spec)
{
    if (spec.timeout > spec.interval) return "the probe timeout must not be longer than its interval";
    return {};
}

bool apply_member_parameter(std::string_view key, std::string_view value, HealthCheckSpec& spec, std::string& err)
{
    if (key.substr(0, 2) != "hc") return false;
    std::string_view rest = key.substr(2);
    if (rest == "method") {
        // Also mod_proxy_hcheck's values, in any case: TCP, CPING, and the
        // HTTP methods GET, HEAD and OPTIONS, which mean http with that
        // method (so a member can probe with another method than its
        // balancer's).
        std::string upper(value);
        for (char& c : upper) c = c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
        if (upper == "GET" || upper == "HEAD" || upper == "OPTIONS") {
            spec.method = ProbeMethod::http;
            spec.http_method = upper;
        } else if (upper == "TCP" || upper == "CPING") {
            spec.method = upper == "TCP" ? ProbeMethod::tcp : ProbeMethod::cping;
        } else if (!parse_method(value, spec.method)) {
            err = "hcmethod=" + std::string(value) + ": expected cping, http, tcp, off, or an HTTP method (GET, HEAD, "
                  "OPTIONS)";
        }
        return true;
    }
    if (!apply(rest, value, spec, err)) return false;
    if (!err.empty()) err = "hc" + err;
    return true;
}

// "200", "200-399", "200,204,300-399".
std::string parse_status_list(std::string_view text, std::vector<StatusRange>& out)
{
    std::vector<StatusRange> ranges;
    std::string_view rest = text;
    while (true) {
        std::size_t comma = rest.find(',');
        std::string_view item = rest.substr(0, comma);
        std::size_t dash = item.find('-');
        unsigned long long lo = 0, hi = 0;
        bool ok = parse_decimal(item.substr(0, dash), lo);
        hi = lo;
        if (ok && dash != std::string_view::npos) ok = parse_decimal(item.substr(dash + 1), hi);
        if (!ok || lo < 100 || hi > 599 || lo > hi) {
            return std::string(text) + ": expected statuses or ranges from 100 to 599 (200,204,300-399)";
        }
        ranges.push_back(StatusRange{static_cast<int>(lo), static_cast<int>(hi)});
        if (comma == std::string_view::npos) break;
        rest.remove_prefix(comma + 1);
    }
    out = std::move(ranges);
    return {};
}

}  // namespace ox::health
