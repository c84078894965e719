// `OXProtect <path-prefix> <address|cidr|local> ...`: path prefixes that only
// the listed clients may reach.
//
// Built once at configuration time (ProtectRulesBuilder), then immutable and
// shared read-only by every worker thread. A request's canonical path
// (path_normalizer.h) is looked up; the longest matching prefix wins, and a
// prefix matches only on segment boundaries: "/webservices" covers
// "/webservices", "/webservices/" and "/webservices/x", never
// "/webservicesfoo". Comparison is byte for byte, case-sensitive, as Tomcat's
// mapper compares. A ";param" on the protected segment itself
// ("/webservices;x/y") is no way around: parameters are gone from the
// canonical path before it is compared.
#ifndef LIBOX_ACL_PROTECT_RULES_H
#define LIBOX_ACL_PROTECT_RULES_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "acl/cidr_set.h"
#include "acl/path_normalizer.h"
#include "acl/path_prefix.h"

namespace ox::acl {

struct ProtectRule {
    std::string prefix;  // canonical, no trailing '/' (except the rule "/")
    CidrSet allowed;
};

enum class Verdict : std::uint8_t {
    unprotected,  // no rule covers the path
    allowed,      // a rule covers it and the client is in its set
    denied,       // a rule covers it and the client is not: 403
    bad_path,     // the path is ambiguous or invalid (PathStatus): 400, never forwarded
};

const char* verdict_name(Verdict v) noexcept;

struct Decision {
    Verdict verdict = Verdict::unprotected;
    PathStatus path_status = PathStatus::ok;  // why, for bad_path
    const ProtectRule* rule = nullptr;        // the rule that decided (allowed, denied)
};

class ProtectRules {
public:
    ProtectRules() = default;

    // The longest rule whose prefix covers `canonical`, or nullptr.
    const ProtectRule* match(std::string_view canonical) const noexcept;
    // The decision for a canonical path (never bad_path).
    Decision check(std::string_view canonical, const Client& client) const noexcept;

    // Everything for one request: normalises `raw_path` into buf (at least
    // normalized_capacity(raw_path) bytes; the canonical path is left there,
    // NUL-terminated, its length in canonical_len) and checks it.
    Decision check_raw(std::string_view raw_path, const Client& client, char* buf, std::size_t capacity,
                       std::size_t& canonical_len) const noexcept;

    // `base` with the rules of `over` added; a prefix in both takes the
    // rule of `over` (a virtual host's line replaces the main server's).
    static ProtectRules merge(const ProtectRules& base, const ProtectRules& over);

    bool empty() const noexcept { return rules_.empty(); }
    const std::vector<ProtectRule>& rules() const noexcept { return rules_; }  // longest prefix first

private:
    friend class ProtectRulesBuilder;
    void sort();

    std::vector<ProtectRule> rules_;
};

class ProtectRulesBuilder {
public:
    // One `OXProtect` line. Returns "" or what is wrong: a prefix that is not
    // canonical (it could never match), an empty set, a prefix given twice.
    std::string add(std::string_view prefix, CidrSet allowed);
    // Parses the words of a line ("10.0.0.0/8", "::1", "local", ...) and adds
    // the rule. Returns "" or what is wrong, naming the bad word.
    std::string add(std::string_view prefix, const std::vector<std::string_view>& words);

    ProtectRules build() &&;

private:
    ProtectRules rules_;
};

}  // namespace ox::acl

#endif
