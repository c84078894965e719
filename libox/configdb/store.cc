#include "configdb/store.h"

namespace ox::configdb {

namespace {

std::string check_name(const char* what, const std::string& s, std::size_t max, bool may_be_empty)
{
    if (s.empty() && !may_be_empty) return std::string(what) + " is empty";
    if (s.size() > max) return std::string(what) + " is longer than " + std::to_string(max) + " bytes";
    for (char c : s) {
        auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7F) return std::string(what) + " holds a control character";
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
    if (c.loadfactor && *c.loadfactor > kMaxLoadfactor) {
        return "the load factor " + std::to_string(*c.loadfactor) + " is not from 1 to 100 (or 0: as configured)";
    }
    if (!c.admin && !c.loadfactor) return "the change changes nothing";
    return {};
}

}  // namespace ox::configdb
