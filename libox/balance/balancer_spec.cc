#include "balance/balancer_spec.h"

#include "core/text.h"

#include <algorithm>

namespace ox {

std::size_t BalancerSpec::min_packet_size() const noexcept
{
    std::size_t m = 0;
    for (const auto& mem : members) m = (m == 0) ? mem.packet_size : std::min(m, mem.packet_size);
    return m;
}

std::size_t BalancerSpec::max_packet_size() const noexcept
{
    std::size_t m = 0;
    for (const auto& mem : members) m = std::max(m, mem.packet_size);
    return m;
}

std::string BalancerSpec::add_member(MemberSpec m)
{
    for (const auto& other : members) {
        if (other.url == m.url) return "member " + m.url + " is already in balancer " + name;
        if (!m.route.empty() && other.route == m.route) {
            return "route " + m.route + " is already used by " + other.url + " in balancer " + name;
        }
    }
    members.push_back(std::move(m));
    return {};
}

std::string BalancerSpec::resolve_health_checks()
{
    for (MemberSpec& m : members) {
        if (!m.fail_on_status_set) m.fail_on_status = fail_on_status;
        m.health = health;
        // An http:// member is probed with GET /health (OX 7.10.1+) unless
        // the balancer says otherwise: CPing is AJP's.
        if (m.scheme == Scheme::http && !health_set) m.health.method = health::ProbeMethod::http;
        for (const auto& [key, value] : m.health_overrides) {
            std::string err;
            health::apply_member_parameter(key, value, m.health, err);
            if (!err.empty()) return m.url + ": " + err;
        }
        if (m.scheme == Scheme::http && m.health.method == health::ProbeMethod::cping) {
            return m.url + ": cping probes need an ajp:// member; use http or tcp (OXHealthCheck, or hcmethod= on the member)";
        }
        if (std::string err = health::check(m.health); !err.empty()) return m.url + ": " + err;
    }
    return {};
}

std::string parse_tunnel(const std::vector<std::string_view>& words, TunnelSpec& out)
{
    if (words.empty()) return "OXWebSocket needs On or Off";
    if (equals_lowercase(words[0], "on")) out.on = true;
    else if (equals_lowercase(words[0], "off")) out.on = false;
    else return "OXWebSocket " + std::string(words[0]) + ": expected On or Off first";
    for (std::size_t i = 1; i < words.size(); ++i) {
        std::string_view w = words[i];
        auto eq = w.find('=');
        std::string_view key = w.substr(0, eq);
        std::string_view value = eq == std::string_view::npos ? std::string_view() : w.substr(eq + 1);
        Millis* target = key == "idle" ? &out.idle : key == "max" ? &out.total : key == "grace" ? &out.grace : nullptr;
        if (!target || eq == std::string_view::npos) {
            return "OXWebSocket: unknown parameter '" + std::string(w) + "' (known: idle=, max=, grace=)";
        }
        for (std::size_t j = 1; j < i; ++j) {
            if (words[j].substr(0, words[j].find('=')) == key) {
                return "OXWebSocket: " + std::string(key) + "= is given twice ('" + std::string(words[j]) + "' and '" +
                       std::string(w) + "')";
            }
        }
        if (std::string err = parse_duration(value, *target); !err.empty()) return std::string(key) + "=" + err;
    }
    return {};
}

bool parse_lbmethod(std::string_view text, LbMethod& out) noexcept
{
    if (text == "byrequests") out = LbMethod::byrequests;
    else if (text == "bybusyness") out = LbMethod::bybusyness;
    else return false;
    return true;
}

std::string parse_balancer_name(std::string_view text, std::string& out)
{
    if (text.substr(0, 11) == "balancer://") text.remove_prefix(11);
    if (text.empty()) return "a balancer needs a name";
    if (!is_name_text(text)) {
        return "balancer name '" + std::string(text) + "': only letters, digits, '-', '_' and '.' are allowed";
    }
    out.assign(text);
    return {};
}

}  // namespace ox
