// `OXPass /prefix balancer [/backend-prefix]` and `OXPass /prefix !`: which
// requests are forwarded, to which balancer, under which backend path.
//
// Rules are matched on the canonical path (acl/path_normalizer.h), the path
// as the backend resolves it, never on the client's spelling: no spelling
// ("/ajax;x/excluded", "/%61jax", "//ajax") changes which rule applies. The
// longest covering prefix wins; prefixes match on segment boundaries.
// Prefixes join on segment boundaries too: "/appsuite/api" and
// "/appsuite/api/" both map "/appsuite/api/login" to "/ajax/login" under a
// backend prefix of "/ajax" or "/ajax/".
#ifndef LIBOX_PROXY_PASS_RULES_H
#define LIBOX_PROXY_PASS_RULES_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ox::proxy {

// How a balancer's members resolve a path (acl/path_normalizer.h for
// ajp:// members, which are Tomcat or OX on Tomcat's AJP connector model;
// acl/grizzly_normalizer.h for http:// members, OX App Suite's Grizzly).
constexpr std::uint8_t kModelTomcat = 1;
constexpr std::uint8_t kModelGrizzly = 2;
constexpr std::uint8_t kModelsAll = kModelTomcat | kModelGrizzly;

struct PassRule {
    std::string written;         // the prefix as configured, for messages
    std::string prefix;          // canonical, no trailing '/' ("/" for the root)
    bool below_only = false;     // written with a trailing '/': covers "/a/..." but not "/a"
    bool excluded = false;       // `OXPass /prefix !`: never forwarded
    std::string balancer;        // the balancer's name (empty when excluded)
    bool has_backend_prefix = false;
    std::string backend_prefix;  // canonical, no trailing '/' ("" for the root)
    std::size_t balancer_index = 0;  // set once the balancers are known
    // The path models the balancer's members need, set once the balancers
    // are known: kModelTomcat for ajp:// members, kModelGrizzly for http://
    // ones. Until then both (the stricter choice).
    std::uint8_t models = kModelsAll;
    std::string file;            // where the rule was written
    int line = 0;

    bool covers(std::string_view canonical) const noexcept;
    // The prefix's length as a match priority: longer is more specific, and
    // "/a/" is more specific than "/a".
    std::size_t weight() const noexcept { return prefix.size() + (below_only ? 1 : 0); }
};

// Parses one OXPass line: `balancer` is a name or "!", `backend` may be
// null. Returns "" or what is wrong (the balancer name itself is checked by
// the caller, which knows the naming rules).
std::string parse_pass_rule(std::string_view prefix, std::string_view balancer, const char* backend, PassRule& out);

class PassTable {
public:
    // Adds a rule; "" or what is wrong (a prefix configured twice).
    std::string add(PassRule rule);
    // `base` rules for every prefix `over` does not configure itself, after
    // `over`'s own (a virtual host's line replaces the main server's).
    static PassTable merge(const PassTable& base, const PassTable& over);
    // Orders the rules longest first; needed before match().
    void sort();

    // The longest rule covering the canonical path (an exclusion included),
    // or null.
    const PassRule* match(std::string_view canonical) const noexcept;

    bool empty() const noexcept { return rules_.empty(); }
    std::vector<PassRule>& rules() noexcept { return rules_; }
    const std::vector<PassRule>& rules() const noexcept { return rules_; }
    // The longest backend prefix: a bound for the forwarded path's size.
    std::size_t max_backend_prefix() const noexcept { return max_backend_prefix_; }

private:
    const PassRule* find(const PassRule& like) const noexcept;

    std::vector<PassRule> rules_;
    std::size_t max_backend_prefix_ = 0;
};

}  // namespace ox::proxy

#endif
