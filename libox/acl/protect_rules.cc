#include "acl/protect_rules.h"

#include <algorithm>

namespace ox::acl {

namespace {

std::string quoted(std::string_view w) { return "'" + std::string(w) + "'"; }

}  // namespace

const char* verdict_name(Verdict v) noexcept
{
    switch (v) {
    case Verdict::unprotected: return "unprotected";
    case Verdict::allowed: return "allowed";
    case Verdict::denied: return "denied";
    case Verdict::bad_path: return "bad path";
    }
    return "unknown";
}

const ProtectRule* ProtectRules::match(std::string_view canonical) const noexcept
{
    for (const ProtectRule& r : rules_) {
        if (covers(r.prefix, canonical)) return &r;  // longest first
    }
    return nullptr;
}

Decision ProtectRules::check(std::string_view canonical, const Client& client) const noexcept
{
    Decision d;
    d.rule = match(canonical);
    if (d.rule) d.verdict = d.rule->allowed.matches(client) ? Verdict::allowed : Verdict::denied;
    return d;
}

Decision ProtectRules::check_raw(std::string_view raw_path, const Client& client, char* buf, std::size_t capacity,
                                 std::size_t& canonical_len) const noexcept
{
    Decision d;
    d.path_status = normalize_path(raw_path, buf, capacity, canonical_len);
    if (d.path_status != PathStatus::ok) {
        d.verdict = Verdict::bad_path;
        return d;
    }
    Decision c = check(std::string_view(buf, canonical_len), client);
    c.path_status = PathStatus::ok;
    return c;
}

void ProtectRules::sort()
{
    // Longest prefix first, so that the first match is the longest; equal
    // lengths cannot both match one path.
    std::stable_sort(rules_.begin(), rules_.end(),
                     [](const ProtectRule& a, const ProtectRule& b) { return a.prefix.size() > b.prefix.size(); });
}

ProtectRules ProtectRules::merge(const ProtectRules& base, const ProtectRules& over)
{
    ProtectRules m = over;
    for (const ProtectRule& r : base.rules_) {
        bool replaced = std::any_of(over.rules_.begin(), over.rules_.end(),
                                    [&](const ProtectRule& o) { return o.prefix == r.prefix; });
        if (!replaced) m.rules_.push_back(r);
    }
    m.sort();
    return m;
}

std::string ProtectRulesBuilder::add(std::string_view prefix, CidrSet allowed)
{
    std::string canon;
    std::string err = canonical_prefix(prefix, canon);
    if (!err.empty()) return err;
    if (allowed.empty()) return quoted(prefix) + ": no address allowed; list at least one address, block or 'local'";
    for (const ProtectRule& r : rules_.rules_) {
        if (r.prefix == canon) {
            return quoted(prefix) + ": already protected; list every allowed address on one line";
        }
    }
    rules_.rules_.push_back(ProtectRule{std::move(canon), std::move(allowed)});
    return {};
}

std::string ProtectRulesBuilder::add(std::string_view prefix, const std::vector<std::string_view>& words)
{
    CidrSet set;
    for (std::string_view w : words) {
        std::string err = set.add(w);
        if (!err.empty()) return err;
    }
    return add(prefix, std::move(set));
}

ProtectRules ProtectRulesBuilder::build() &&
{
    rules_.sort();
    return std::move(rules_);
}

}  // namespace ox::acl
