#include "proxy/pass_rules.h"

#include <algorithm>

#include "acl/path_prefix.h"

namespace ox::proxy {

namespace {

// RFC 3986 pchar without '%' and ';' (both refused before): the bytes a
// backend prefix may put on the wire as they are.
bool plain_path_byte(unsigned char c) noexcept
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    switch (c) {
    case '/': case '-': case '.': case '_': case '~': case '!': case '$': case '&': case '\'':
    case '(': case ')': case '*': case '+': case ',': case '=': case ':': case '@': return true;
    default: return false;
    }
}

}  // namespace

bool PassRule::covers(std::string_view canonical) const noexcept
{
    if (!acl::covers(prefix, canonical)) return false;
    // "/a/" covers what lies below "/a", "/a/" included, but not "/a".
    return !below_only || canonical.size() > prefix.size();
}

std::string parse_pass_rule(std::string_view prefix, std::string_view balancer, const char* backend, PassRule& out)
{
    out = PassRule{};
    out.written = std::string(prefix);
    if (std::string err = acl::canonical_prefix(prefix, out.prefix); !err.empty()) return "OXPass " + err;
    out.below_only = prefix.size() > 1 && prefix.back() == '/';
    if (balancer == "!") {
        if (backend) return "OXPass " + std::string(prefix) + " ! takes no backend prefix";
        out.excluded = true;
        return {};
    }
    out.balancer = std::string(balancer);
    if (!backend) return {};
    std::string_view b(backend);
    std::string canon;
    if (std::string err = acl::canonical_prefix(b, canon); !err.empty()) return "OXPass backend prefix " + err;
    for (char c : b) {
        if (!plain_path_byte(static_cast<unsigned char>(c))) {
            return "OXPass backend prefix '" + std::string(b) +
                   "': only unreserved characters and sub-delimiters can be forwarded as they are";
        }
    }
    out.has_backend_prefix = true;
    // Joined on segment boundaries: the root contributes nothing.
    out.backend_prefix = canon == "/" ? std::string() : canon;
    return {};
}

const PassRule* PassTable::find(const PassRule& like) const noexcept
{
    for (const PassRule& r : rules_) {
        if (r.prefix == like.prefix && r.below_only == like.below_only) return &r;
    }
    return nullptr;
}

std::string PassTable::add(PassRule rule)
{
    if (const PassRule* other = find(rule)) {
        return "OXPass " + rule.written + " is already defined at " + other->file + ":" + std::to_string(other->line);
    }
    max_backend_prefix_ = std::max(max_backend_prefix_, rule.backend_prefix.size());
    rules_.push_back(std::move(rule));
    return {};
}

PassTable PassTable::merge(const PassTable& base, const PassTable& over)
{
    PassTable m = over;
    for (const PassRule& r : base.rules_) {
        if (!over.find(r)) {
            m.max_backend_prefix_ = std::max(m.max_backend_prefix_, r.backend_prefix.size());
            m.rules_.push_back(r);
        }
    }
    m.sort();
    return m;
}

void PassTable::sort()
{
    std::stable_sort(rules_.begin(), rules_.end(),
                     [](const PassRule& a, const PassRule& b) { return a.weight() > b.weight(); });
}

const PassRule* PassTable::match(std::string_view canonical) const noexcept
{
    for (const PassRule& r : rules_) {
        if (r.covers(canonical)) return &r;
    }
    return nullptr;
}

}  // namespace ox::proxy
