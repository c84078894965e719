#include "configdb/store.h"

#include "acl/path_normalizer.h"
#include "core/text.h"

namespace ox::configdb {

namespace {

std::string check_name(const char* what, const std::string& s, std::size_t max, bool may_be_empty)
{
    if (s.empty() && !may_be_empty) return std::string(what) + " is empty";
    if (s.size() > max) return std::string(what) + " is longer than " + std::to_string(max) + " bytes";
    if (!acl::valid_utf8(s.data(), s.size())) return std::string(what) + " is not valid UTF-8";
    for (std::size_t i = 0; i < s.size(); ++i) {
        auto u = static_cast<unsigned char>(s[i]);
        // C0 controls, DEL, and the C1 controls U+0080-U+009F (C2 80-9F).
        bool c1 = u == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) <= 0x9F;
        if (u < 0x20 || u == 0x7F || c1) return std::string(what) + " holds a control character";
    }
    return {};
}

}  // namespace

std::string validate_names(const Change& c)
{
    std::string why = check_name("the balancer name", c.balancer, kMaxBalancerChars, false);
    if (why.empty()) why = check_name("the route", c.route, kMaxRouteChars, false);
    if (why.empty()) why = check_name("the front end", c.frontend, kMaxWhoChars, true);
    if (why.empty()) why = check_name("the client", c.client, kMaxWhoChars, true);
    if (why.empty()) why = check_name("the tool", c.tool, kMaxWhoChars, true);
    if (!why.empty()) return why;
    if (c.route.find_first_of(";, \t") != std::string::npos) return "a route never holds ';', ',' or white space";
    return {};
}

std::string validate(const Change& c)
{
    std::string why = validate_names(c);
    if (!why.empty()) return why;
    // What <OXBalancer> and route= accept: a name no front end can have is
    // a typo. (Also what keeps the tables' collation from matching a name
    // with trailing spaces to the one without: utf8mb4_bin pads.)
    if (!is_name_text(c.balancer)) {
        return "the balancer name '" + c.balancer + "' is none a front end can have: only letters, digits, '-', '_' "
               "and '.'";
    }
    if (!is_name_text(c.route)) {
        return "the route '" + c.route + "' is none a front end can have: only letters, digits, '-', '_' and '.'";
    }
    if (c.loadfactor && *c.loadfactor > kMaxLoadfactor) {
        return "the load factor " + std::to_string(*c.loadfactor) + " is not from 1 to 100 (or 0: as configured)";
    }
    if (!c.admin && !c.loadfactor) return "the change changes nothing";
    return {};
}

}  // namespace ox::configdb
