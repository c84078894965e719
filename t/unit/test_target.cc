// libox/proxy: the request target (every form RFC 9112 3.2 allows, and the
// ones it does not), OXPass rules matched on the canonical path, the bytes
// forwarded under a backend prefix, and hop-by-hop header names.
//
// The property every row holds: the path the access check sees
// (`canonical`, and `backend_canonical` under a backend prefix) is exactly
// what the backend resolves from the bytes forwarded (normalize_path of
// forward_path), and no spelling changes which rule applies. kTargets' rules
// go to ajp:// balancers (Tomcat's model); kHttpTargets' to balancers with
// http:// members, where Grizzly's resolution (normalize_path_grizzly of
// forward_path) is checked too.
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "acl/grizzly_normalizer.h"
#include "acl/path_normalizer.h"
#include "proxy/forwarded.h"
#include "proxy/hop_by_hop.h"
#include "proxy/pass_rules.h"
#include "proxy/request_target.h"
#include "unit_util.h"

using namespace ox::proxy;

namespace {

PassRule rule(const char* prefix, const char* balancer, const char* backend = nullptr,
              std::uint8_t models = kModelTomcat)
{
    PassRule r;
    std::string err = parse_pass_rule(prefix, balancer, backend, r);
    ck_assert_msg(err.empty(), "%s: %s", prefix, err.c_str());
    if (!r.excluded) r.balancer = balancer;
    r.models = models;
    return r;
}

// The example configuration's rules, plus mappings under backend prefixes.
const PassTable& table()
{
    static const PassTable t = [] {
        PassTable p;
        for (PassRule r : {rule("/ajax", "oxcluster"), rule("/servlet", "oxcluster"), rule("/ajax/excluded", "!"),
                           rule("/appsuite/api", "oxcluster", "/ajax"), rule("/tc", "tomcat", "/"),
                           rule("/docs/", "docs", "/documents/"), rule("/webservices", "oxcluster")}) {
            ck_assert(p.add(std::move(r)).empty());
        }
        p.sort();
        return p;
    }();
    return t;
}

struct Parsed {
    std::unique_ptr<char[]> buf;
    RequestTarget t;
};

Parsed parse(const char* method, std::string_view raw)
{
    Parsed p;
    std::size_t cap = target_buffer_size(raw, table());
    p.buf.reset(new char[cap]);
    parse_target(method, raw, table(), p.buf.get(), cap, p.t);
    return p;
}


// What the backend resolves from the bytes forwarded.
std::string backend_view(const RequestTarget& t)
{
    std::string out;
    ck_assert_int_eq(static_cast<int>(ox::acl::normalize_path(t.forward_path, out)), 0);
    return out;
}

struct TargetCase {
    const char* method;
    const char* raw;
    TargetStatus status;
    const char* balancer;   // the forwarding rule's balancer; nullptr: not forwarded
    const char* forwarded;  // the path bytes sent to the backend
    const char* canonical;  // what the backend resolves (the ACL decides on it)
};

constexpr TargetStatus OK = TargetStatus::ok;

// clang-format off
const TargetCase kTargets[] = {
    // origin-form
    {"GET", "/ajax/login?action=login",           OK, "oxcluster", "/ajax/login", "/ajax/login"},
    {"GET", "/ajax",                              OK, "oxcluster", "/ajax", "/ajax"},
    {"GET", "/ajaxfoo",                           OK, nullptr, nullptr, nullptr},
    {"GET", "/ajax;jsessionid=1.OX1/x",           OK, "oxcluster", "/ajax;jsessionid=1.OX1/x", "/ajax/x"},
    {"GET", "//ajax/x",                           OK, "oxcluster", "//ajax/x", "/ajax/x"},
    {"GET", "/%61jax/x",                          OK, "oxcluster", "/%61jax/x", "/ajax/x"},
    {"GET", "/x/../ajax/y",                       OK, "oxcluster", "/x/../ajax/y", "/ajax/y"},
    {"GET", "/ajax/%252e%252e/webservices/A",     OK, "oxcluster", "/ajax/%252e%252e/webservices/A", "/ajax/%2e%2e/webservices/A"},
    {"GET", "/ajax/%2e%2e/webservices/A",         OK, "oxcluster", "/ajax/%2e%2e/webservices/A", "/webservices/A"},
    // what only Grizzly's model refuses: fine for ajp:// members
    {"GET", "/ajax/x/././y",                      OK, "oxcluster", "/ajax/x/././y", "/ajax/x/y"},
    {"GET", "/ajax;x/y",                          OK, "oxcluster", "/ajax;x/y", "/ajax/y"},
    // exclusions hold for every spelling
    {"GET", "/ajax/excluded/x",                   OK, nullptr, nullptr, nullptr},
    {"GET", "/ajax;a/excluded/x",                 OK, nullptr, nullptr, nullptr},
    {"GET", "/ajax/excluded;a/x",                 OK, nullptr, nullptr, nullptr},
    {"GET", "/ajax/%65xcluded/x",                 OK, nullptr, nullptr, nullptr},
    {"GET", "/ajax//excluded/x",                  OK, nullptr, nullptr, nullptr},
    {"GET", "/ajax/./excluded/x",                 OK, nullptr, nullptr, nullptr},
    {"GET", "/ajax/x/../excluded/x",              OK, nullptr, nullptr, nullptr},
    {"GET", "/ajax/excludedfoo",                  OK, "oxcluster", "/ajax/excludedfoo", "/ajax/excludedfoo"},
    // absolute-form: the authority is the host, the path is what is forwarded
    {"GET", "http://ox.example.com/ajax/x?y=1",   OK, "oxcluster", "/ajax/x", "/ajax/x"},
    {"GET", "HTTPS://ox.example.com:8443/ajax/x", OK, "oxcluster", "/ajax/x", "/ajax/x"},
    {"GET", "http://ox.example.com",              OK, nullptr, nullptr, nullptr},
    {"GET", "http://ox.example.com?x",            OK, nullptr, nullptr, nullptr},
    {"GET", "http://h/ajax/%2e%2e/webservices/A", OK, "oxcluster", "/ajax/%2e%2e/webservices/A", "/webservices/A"},
    // refused: never forwarded
    {"GET", "http:/ajax/%252e%252e/webservices/AdminService", TargetStatus::no_authority, nullptr, nullptr, nullptr},
    {"GET", "http:ajax/x",                        TargetStatus::no_authority, nullptr, nullptr, nullptr},
    {"GET", "http:///ajax/x",                     TargetStatus::no_authority, nullptr, nullptr, nullptr},
    {"GET", "ox.example.com:80",                  TargetStatus::no_authority, nullptr, nullptr, nullptr},
    {"GET", "ftp://h/ajax/x",                     TargetStatus::bad_scheme, nullptr, nullptr, nullptr},
    {"GET", "http://u:p@h/ajax/x",                TargetStatus::userinfo, nullptr, nullptr, nullptr},
    {"GET", "/ajax/x#frag",                       TargetStatus::fragment, nullptr, nullptr, nullptr},
    {"GET", "ajax/x",                             TargetStatus::not_a_path, nullptr, nullptr, nullptr},
    {"GET", "",                                   TargetStatus::empty, nullptr, nullptr, nullptr},
    {"GET", "*",                                  TargetStatus::asterisk, nullptr, nullptr, nullptr},
    {"GET", "/ajax/%2F/x",                        TargetStatus::bad_path, nullptr, nullptr, nullptr},
    {"GET", "/ajax/../../x",                      TargetStatus::bad_path, nullptr, nullptr, nullptr},
    // asterisk-form and CONNECT: not ours
    {"OPTIONS", "*",                              OK, nullptr, nullptr, nullptr},
    {"CONNECT", "ox.example.com:443",             OK, nullptr, nullptr, nullptr},
    // a backend prefix: the client's bytes after the prefix, byte for byte
    {"GET", "/appsuite/api/login?action=x",       OK, "oxcluster", "/ajax/login", "/ajax/login"},
    {"GET", "/appsuite/api",                      OK, "oxcluster", "/ajax", "/ajax"},
    {"GET", "/appsuite/api/",                     OK, "oxcluster", "/ajax/", "/ajax/"},
    {"GET", "/appsuite/api;jsessionid=1.OX1/x",   OK, "oxcluster", "/ajax;jsessionid=1.OX1/x", "/ajax/x"},
    {"GET", "/appsuite/%61pi/login",              OK, "oxcluster", "/ajax/login", "/ajax/login"},
    {"GET", "//appsuite/./api/login",             OK, "oxcluster", "/ajax/login", "/ajax/login"},
    {"GET", "/appsuite/api/a%2fb",                TargetStatus::bad_path, nullptr, nullptr, nullptr},
    {"GET", "/x/../appsuite/api/login",           TargetStatus::unmappable, nullptr, nullptr, nullptr},
    {"GET", "/appsuite/api/../api/login",         TargetStatus::escapes_prefix, nullptr, nullptr, nullptr},
    {"GET", "/appsuite/api/x/../../api/login",    TargetStatus::escapes_prefix, nullptr, nullptr, nullptr},
    {"GET", "/appsuite/apifoo",                   OK, nullptr, nullptr, nullptr},
    // the root as backend prefix: what Tomcat resolves is checked
    {"GET", "/tc/webservices/y",                  OK, "tomcat", "/webservices/y", "/webservices/y"},
    {"GET", "/tc",                                OK, "tomcat", "/", "/"},
    {"GET", "/tc;jsessionid=1.OX1/echo",          OK, "tomcat", "/;jsessionid=1.OX1/echo", "/echo"},
    {"GET", "/tc/x/..;/webservices/y",            OK, "tomcat", "/x/..;/webservices/y", "/webservices/y"},
    // dot segments that leave the prefix: the rule of where they lead
    {"GET", "/tc/x/..;/..;/webservices/y",        OK, "oxcluster", "/tc/x/..;/..;/webservices/y", "/webservices/y"},
    {"GET", "/tc/../webservices/y",               OK, "oxcluster", "/tc/../webservices/y", "/webservices/y"},
    // prefixes join on segment boundaries, whatever their trailing '/'
    {"GET", "/docs/a/b",                          OK, "docs", "/documents/a/b", "/documents/a/b"},
    {"GET", "/docs/",                             OK, "docs", "/documents/", "/documents/"},
    {"GET", "/docs",                              OK, nullptr, nullptr, nullptr},
};
// clang-format on

START_TEST(target_table)
{
    const TargetCase& c = kTargets[_i];
    Parsed p = parse(c.method, c.raw);
    const RequestTarget& t = p.t;
    ck_assert_msg(t.status == c.status, "%s %s: status %d (%s), expected %d", c.method, c.raw, static_cast<int>(t.status),
                  target_status_text(t.status, t.path_status), static_cast<int>(c.status));
    if (!c.balancer) {
        ck_assert_msg(!t.forwarded(), "%s %s: forwarded, expected not", c.method, c.raw);
        return;
    }
    ck_assert_msg(t.forwarded(), "%s %s: not forwarded", c.method, c.raw);
    ck_assert_str_eq(t.rule->balancer.c_str(), c.balancer);
    std::string forwarded(t.forward_path), checked(t.backend_canonical), resolved = backend_view(t);
    ck_assert_str_eq(forwarded.c_str(), c.forwarded);
    ck_assert_str_eq(checked.c_str(), c.canonical);
    // What is checked is what the backend resolves from what is forwarded.
    ck_assert_str_eq(resolved.c_str(), c.canonical);
    if (!t.rule->has_backend_prefix) ck_assert(t.canonical == t.backend_canonical);
}
END_TEST

// Balancers with http:// members ("http": Grizzly only, "mixed": both).
const PassTable& http_table()
{
    static const PassTable t = [] {
        PassTable p;
        for (PassRule r : {rule("/ajax", "http", nullptr, kModelGrizzly), rule("/ajax/excluded", "!"),
                           rule("/appsuite/api", "http", "/ajax", kModelGrizzly),
                           rule("/webservices", "http", nullptr, kModelGrizzly), rule("/tc", "http", "/", kModelGrizzly),
                           rule("/mixed", "mixed", nullptr, kModelsAll)}) {
            ck_assert(p.add(std::move(r)).empty());
        }
        p.sort();
        return p;
    }();
    return t;
}

struct HttpCase {
    const char* raw;
    TargetStatus status;
    const char* balancer;  // nullptr: not forwarded
    const char* forwarded;
    const char* tomcat;    // backend_canonical
    const char* grizzly;   // grizzly_backend_canonical
};

// clang-format off
const HttpCase kHttpTargets[] = {
    {"/ajax/login",                   OK, "http", "/ajax/login", "/ajax/login", "/ajax/login"},
    {"/ajax/a+b",                     OK, "http", "/ajax/a+b", "/ajax/a+b", "/ajax/a b"},           // '+' is a space to Grizzly
    {"/ajax/x;jsessionid=1.OX1",      OK, "http", "/ajax/x;jsessionid=1.OX1", "/ajax/x", "/ajax/x"},
    {"/ajax/a/b/..",                  OK, "http", "/ajax/a/b/..", "/ajax/a", "/ajax/a/"},
    {"/ajax/x/..;/y",                 OK, "http", "/ajax/x/..;/y", "/ajax/y", "/ajax/x/..;/y"},     // both checked
    // Grizzly's model refuses: 400 for an http:// member (fine for ajp://, see kTargets)
    {"/ajax;jsessionid=1.OX1/x",      TargetStatus::bad_path_http, nullptr, nullptr, nullptr, nullptr},  // Grizzly: "/ajax"
    {"/ajax/x/././y",                 TargetStatus::bad_path_http, nullptr, nullptr, nullptr, nullptr},  // Grizzly: "/ajax/y"
    {"/ajax/.../webservices",         TargetStatus::bad_path_http, nullptr, nullptr, nullptr, nullptr},  // Grizzly: "/webservices"
    // Grizzly's path falls under another rule than Tomcat's: 400
    {"/ajax;x/y",                     TargetStatus::ambiguous, nullptr, nullptr, nullptr, nullptr},      // Grizzly: no rule
    {"/ajax/excluded/..;/y",          TargetStatus::ambiguous, nullptr, nullptr, nullptr, nullptr},      // Grizzly: the exclusion
    {"/webservices;x/y",              TargetStatus::ambiguous, nullptr, nullptr, nullptr, nullptr},
    // Tomcat decides what is not forwarded at all: never reaches Grizzly
    {"/ajax/x/..;/excluded/y",        OK, nullptr, nullptr, nullptr, nullptr},
    // backend prefixes: Grizzly's view of the forwarded bytes stays below it
    {"/appsuite/api/login",           OK, "http", "/ajax/login", "/ajax/login", "/ajax/login"},
    {"/appsuite/api/a/..;/b",         OK, "http", "/ajax/a/..;/b", "/ajax/b", "/ajax/a/..;/b"},
    {"/appsuite/api;x/login",         TargetStatus::ambiguous, nullptr, nullptr, nullptr, nullptr},
    {"/tc/webservices/y",             OK, "http", "/webservices/y", "/webservices/y", "/webservices/y"},
    {"/tc/a+b",                       OK, "http", "/a+b", "/a+b", "/a b"},
    // a mixed balancer: both models
    {"/mixed/a/b/..",                 OK, "mixed", "/mixed/a/b/..", "/mixed/a", "/mixed/a/"},
    {"/mixed/a/.../b",                TargetStatus::bad_path_http, nullptr, nullptr, nullptr, nullptr},
    {"/mixed/%2F",                    TargetStatus::bad_path, nullptr, nullptr, nullptr, nullptr},
};
// clang-format on

START_TEST(target_http_table)
{
    const HttpCase& c = kHttpTargets[_i];
    std::size_t cap = target_buffer_size(c.raw, http_table());
    std::unique_ptr<char[]> buf(new char[cap]);
    RequestTarget t;
    parse_target("GET", c.raw, http_table(), buf.get(), cap, t);
    ck_assert_msg(t.status == c.status, "%s: status %d (%s), expected %d", c.raw, static_cast<int>(t.status),
                  target_status_text(t.status, t.path_status), static_cast<int>(c.status));
    if (!c.balancer) {
        ck_assert_msg(!t.forwarded(), "%s: forwarded, expected not", c.raw);
        CheckedPath paths[4];
        if (!t.ok()) ck_assert_uint_eq(checked_paths(t, paths), 0);
        return;
    }
    ck_assert_msg(t.forwarded() && t.grizzly(), "%s: not forwarded to http:// members", c.raw);
    ck_assert_str_eq(t.rule->balancer.c_str(), c.balancer);
    std::string forwarded(t.forward_path), tomcat(t.backend_canonical), grizzly(t.grizzly_backend_canonical);
    ck_assert_str_eq(forwarded.c_str(), c.forwarded);
    ck_assert_str_eq(tomcat.c_str(), c.tomcat);
    ck_assert_str_eq(grizzly.c_str(), c.grizzly);
    // What is checked is what each kind of backend resolves from what is forwarded.
    std::string resolved = backend_view(t);
    ck_assert_str_eq(resolved.c_str(), c.tomcat);
    std::string g;
    ck_assert(ox::acl::normalize_path_grizzly(t.forward_path, g) == ox::acl::PathStatus::ok);
    ck_assert_str_eq(g.c_str(), c.grizzly);
    // Every one of them is among the paths the access check decides on.
    CheckedPath paths[4];
    std::size_t n = checked_paths(t, paths);
    auto has = [&](std::string_view p) {
        for (std::size_t i = 0; i < n; ++i) {
            if (paths[i].path == p) return true;
        }
        return false;
    };
    ck_assert_msg(has(t.canonical) && has(t.backend_canonical) && has(t.grizzly_canonical) &&
                      has(t.grizzly_backend_canonical),
                  "%s: a resolution is not checked", c.raw);
    for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t j = i + 1; j < n; ++j) ck_assert(paths[i].path != paths[j].path);
    }
}
END_TEST

// ajp:// only: one path (or two under a backend prefix), Tomcat's; a rule
// whose balancers are not known yet gets both models.
START_TEST(target_checked_paths_by_kind)
{
    Parsed p = parse("GET", "/ajax/a/b/..");
    CheckedPath paths[4];
    ck_assert_uint_eq(checked_paths(p.t, paths), 1);
    ck_assert(paths[0].path == "/ajax/a");
    ck_assert(!p.t.grizzly());
    Parsed q = parse("GET", "/appsuite/api/x");
    ck_assert_uint_eq(checked_paths(q.t, paths), 2);
    ck_assert(paths[1].path == "/ajax/x");

    PassTable fresh;
    PassRule r;
    ck_assert(parse_pass_rule("/", "b", nullptr, r).empty());
    r.balancer = "b";
    ck_assert(r.models == kModelsAll);
    ck_assert(fresh.add(std::move(r)).empty());
    fresh.sort();
    std::string raw = "/x/.../webservices";
    std::vector<char> buf(target_buffer_size(raw, fresh));
    RequestTarget t;
    ck_assert(parse_target("GET", raw, fresh, buf.data(), buf.size(), t) == TargetStatus::bad_path_http);
    ck_assert(t.path_status == ox::acl::PathStatus::dot_quirk);
}
END_TEST

START_TEST(target_absolute_form_parts)
{
    Parsed p = parse("GET", "http://ox.example.com:8080/ajax/x?a=b&c");
    ck_assert(p.t.form == TargetForm::absolute);
    ck_assert(p.t.authority == "ox.example.com:8080");
    ck_assert(p.t.has_query);
    ck_assert(p.t.query == "a=b&c");
    Parsed q = parse("GET", "/ajax/x?");
    ck_assert(q.t.form == TargetForm::origin);
    ck_assert(q.t.has_query);
    ck_assert(q.t.query.empty());
    ck_assert(q.t.authority.empty());
    Parsed o = parse("OPTIONS", "*");
    ck_assert(o.t.form == TargetForm::asterisk);
    ck_assert(o.t.canonical.empty());
}
END_TEST

// Every '/'-prefixed spelling of the client's path gets the rule its
// canonical path gets: no spelling moves a request to another rule.
START_TEST(target_rule_follows_canonical_path)
{
    const char* spellings[] = {"/ajax/excluded/x", "/ajax;a/excluded/x", "/%61jax/excluded/x", "/ajax/excluded;b/x",
                               "/ajax/excluded/x;c", "//ajax//excluded/x", "/ajax/x/../excluded/x",
                               "/ajax/excluded/./x"};
    for (const char* s : spellings) {
        Parsed p = parse("GET", s);
        ck_assert_msg(p.t.ok(), "%s", s);
        ck_assert_msg(p.t.rule && p.t.rule->excluded, "%s: not matched by the exclusion", s);
        ck_assert_msg(!p.t.forwarded(), "%s: forwarded", s);
    }
}
END_TEST

// The scratch space bound holds for the longest forwarded path.
START_TEST(target_buffer_bound)
{
    std::string raw = "/tc";
    for (int i = 0; i < 200; ++i) raw += ";x/";
    raw += "y";
    std::size_t cap = target_buffer_size(raw, table());
    std::vector<char> buf(cap);
    RequestTarget t;
    parse_target("GET", raw, table(), buf.data(), cap, t);
    ck_assert(t.forwarded());
    ck_assert(t.forward_path.data() + t.forward_path.size() <= buf.data() + cap);
    RequestTarget small;
    ck_assert(parse_target("GET", raw, table(), buf.data(), 10, small) != TargetStatus::ok);
    ck_assert(!small.forwarded());
}
END_TEST

START_TEST(pass_rule_config)
{
    PassRule r;
    ck_assert(parse_pass_rule("/ajax", "oxcluster", nullptr, r).empty());
    ck_assert_str_eq(r.prefix.c_str(), "/ajax");
    ck_assert(!r.below_only && !r.has_backend_prefix);
    ck_assert(parse_pass_rule("/appsuite/api/", "oxcluster", "/ajax/", r).empty());
    ck_assert_str_eq(r.prefix.c_str(), "/appsuite/api");
    ck_assert(r.below_only);
    ck_assert_str_eq(r.backend_prefix.c_str(), "/ajax");
    ck_assert(parse_pass_rule("/tc", "tomcat", "/", r).empty());
    ck_assert(r.has_backend_prefix);
    ck_assert_str_eq(r.backend_prefix.c_str(), "");
    ck_assert(parse_pass_rule("/x", "!", nullptr, r).empty());
    ck_assert(r.excluded);

    const char* bad[][3] = {{"ajax", "b", nullptr},    {"/a;b", "b", nullptr},  {"/a%2Fb", "b", nullptr},
                            {"/a//b", "b", nullptr},   {"/a/../b", "b", nullptr}, {"/x", "!", "/y"},
                            {"/x", "b", "y"},          {"/x", "b", "/y;z"},     {"/x", "b", "/a b"},
                            {"/x", "b", "/a?b"}};
    for (auto& b : bad) {
        std::string err = parse_pass_rule(b[0], b[1], b[2], r);
        ck_assert_msg(!err.empty(), "accepted OXPass %s %s %s", b[0], b[1], b[2] ? b[2] : "");
        ck_assert_msg(err.find("OXPass") == 0, "%s", err.c_str());
    }
}
END_TEST

// Issue 13: a trailing '/' on one side only must not glue the rest onto
// the backend prefix (`OXPass /appsuite/api/ oxcluster /ajax` once sent
// /appsuite/api/login as /ajaxlogin, and `/appsuite/api oxcluster /ajax/`
// as /ajax//login): the two join on a segment boundary, whatever the '/'.
struct JoinCase {
    const char* prefix;
    const char* backend;
    const char* raw;
    const char* forwarded;  // nullptr: not forwarded
};

// clang-format off
const JoinCase kJoins[] = {
    {"/appsuite/api/", "/ajax",  "/appsuite/api/login",              "/ajax/login"},
    {"/appsuite/api/", "/ajax",  "/appsuite/api/login?action=login", "/ajax/login"},
    {"/appsuite/api/", "/ajax",  "/appsuite/api/",                   "/ajax/"},
    {"/appsuite/api/", "/ajax",  "/appsuite/api",                    nullptr},
    {"/appsuite/api",  "/ajax/", "/appsuite/api/login",              "/ajax/login"},
    {"/appsuite/api",  "/ajax/", "/appsuite/api/login?action=login", "/ajax/login"},
    {"/appsuite/api",  "/ajax/", "/appsuite/api",                    "/ajax"},
    {"/appsuite/api",  "/ajax/", "/appsuite/apilogin",               nullptr},
    {"/appsuite/api/", "/ajax/", "/appsuite/api/login",              "/ajax/login"},
};
// clang-format on

START_TEST(pass_rule_join)
{
    const JoinCase& c = kJoins[_i];
    PassTable t;
    ck_assert(t.add(rule(c.prefix, "oxcluster", c.backend)).empty());
    t.sort();
    std::size_t cap = target_buffer_size(c.raw, t);
    std::unique_ptr<char[]> buf(new char[cap]);
    RequestTarget r;
    parse_target("GET", c.raw, t, buf.get(), cap, r);
    if (!c.forwarded) {
        ck_assert_msg(!r.forwarded(), "OXPass %s oxcluster %s: %s forwarded as %.*s, expected not", c.prefix,
                      c.backend, c.raw, static_cast<int>(r.forward_path.size()), r.forward_path.data());
        return;
    }
    ck_assert_msg(r.status == TargetStatus::ok && r.forwarded(), "OXPass %s oxcluster %s: %s not forwarded (%s)",
                  c.prefix, c.backend, c.raw, target_status_text(r.status, r.path_status));
    std::string forwarded(r.forward_path);
    ck_assert_msg(forwarded == c.forwarded, "OXPass %s oxcluster %s: %s forwarded as %s, expected %s", c.prefix,
                  c.backend, c.raw, forwarded.c_str(), c.forwarded);
    std::string backend = backend_view(r);  // Check's macro keeps the pointer: no temporary
    ck_assert_str_eq(backend.c_str(), c.forwarded);
}
END_TEST

START_TEST(pass_table_longest_and_merge)
{
    PassTable main;
    ck_assert(main.add(rule("/ajax", "a")).empty());
    ck_assert(main.add(rule("/ajax/x", "b")).empty());
    ck_assert(!main.add(rule("/ajax", "c")).empty());  // twice
    ck_assert(main.add(rule("/ajax/", "d")).empty());  // "/ajax/" is another rule
    main.sort();
    ck_assert_str_eq(main.match("/ajax/x/y")->balancer.c_str(), "b");
    ck_assert_str_eq(main.match("/ajax/y")->balancer.c_str(), "d");
    ck_assert_str_eq(main.match("/ajax")->balancer.c_str(), "a");
    ck_assert_ptr_null(main.match("/ajaxy"));

    PassTable vhost;
    ck_assert(vhost.add(rule("/ajax", "v")).empty());
    PassTable m = PassTable::merge(main, vhost);
    ck_assert_str_eq(m.match("/ajax")->balancer.c_str(), "v");
    ck_assert_str_eq(m.match("/ajax/x")->balancer.c_str(), "b");
    ck_assert_int_eq(static_cast<int>(m.rules().size()), 3);
}
END_TEST

START_TEST(hop_by_hop_names)
{
    ck_assert(is_hop_by_hop("Connection"));
    ck_assert(is_hop_by_hop("keep-alive"));
    ck_assert(is_hop_by_hop("TRANSFER-ENCODING"));
    ck_assert(!is_hop_by_hop("Content-Length"));
    ck_assert(connection_names("close, X-Foo", "x-foo"));
    ck_assert(connection_names("X-Foo", "X-Foo"));
    ck_assert(connection_names(" a ,\tX-Foo\t, b", "x-foo"));
    ck_assert(!connection_names("X-Foobar", "X-Foo"));
    ck_assert(!connection_names("X-Fo", "X-Foo"));
    ck_assert(!connection_names("", "X-Foo"));
    ck_assert(!connection_may_drop("Host"));
    ck_assert(!connection_may_drop("content-length"));
    ck_assert(connection_may_drop("X-Foo"));
    ck_assert(connection_may_drop("Cookie"));
}
END_TEST

START_TEST(forwarded_untrusted_client_replaced)
{
    ForwardedInput in;
    in.peer = "203.0.113.9";
    in.x_forwarded_for = "10.0.0.1";
    in.x_forwarded_proto = "https";
    in.x_forwarded_host = "evil.example";
    in.host = "mail.example.com";
    ForwardedHeaders h = forwarded_headers(in);
    ck_assert(h.kept_for.empty());  // X-Forwarded-For: the peer alone
    ck_assert(h.proto == std::string_view("http"));
    ck_assert(h.host == std::string_view("mail.example.com"));
    ck_assert(!h.https);
    ck_assert(!h.keep_forwarded);
    in.tls = true;
    h = forwarded_headers(in);
    ck_assert(h.proto == std::string_view("https"));
    ck_assert(h.https);
}
END_TEST

START_TEST(forwarded_trusted_proxy_kept)
{
    ForwardedInput in;
    in.peer = "192.0.2.10";
    in.peer_trusted = true;
    in.x_forwarded_for = " 198.51.100.7, 10.0.0.1 ";
    in.x_forwarded_proto = "http, HTTPS";  // the nearest proxy's word counts
    in.x_forwarded_host = "a.example, mail.example.com";
    in.host = "backend.local";
    ForwardedHeaders h = forwarded_headers(in);
    ck_assert(h.kept_for == std::string_view("198.51.100.7, 10.0.0.1"));
    ck_assert(h.proto == std::string_view("https"));
    ck_assert(h.https);  // TLS offloaded in front of us
    ck_assert(h.host == std::string_view("mail.example.com"));
    ck_assert(h.keep_forwarded);
    // Values that are not a scheme or a host are not passed on.
    in.x_forwarded_proto = "gopher";
    in.x_forwarded_host = "bad host\r";
    h = forwarded_headers(in);
    ck_assert(h.proto == std::string_view("http"));
    ck_assert(!h.https);
    ck_assert(h.host == std::string_view("backend.local"));
    ck_assert(last_element("a, b ,\tc\t") == std::string_view("c"));
    ck_assert(last_element("one") == std::string_view("one"));
}
END_TEST

}  // namespace

int main()
{
    Suite* s = suite_create("target");
    TCase* t = tcase_create("target");
    tcase_add_loop_test(t, target_table, 0, static_cast<int>(sizeof kTargets / sizeof kTargets[0]));
    tcase_add_loop_test(t, target_http_table, 0, static_cast<int>(sizeof kHttpTargets / sizeof kHttpTargets[0]));
    tcase_add_test(t, target_checked_paths_by_kind);
    tcase_add_test(t, target_absolute_form_parts);
    tcase_add_test(t, target_rule_follows_canonical_path);
    tcase_add_test(t, target_buffer_bound);
    suite_add_tcase(s, t);
    TCase* rules = tcase_create("rules");
    tcase_add_test(rules, pass_rule_config);
    tcase_add_test(rules, pass_table_longest_and_merge);
    tcase_add_loop_test(rules, pass_rule_join, 0, static_cast<int>(sizeof kJoins / sizeof kJoins[0]));
    tcase_add_test(rules, hop_by_hop_names);
    tcase_add_test(rules, forwarded_untrusted_client_replaced);
    tcase_add_test(rules, forwarded_trusted_proxy_kept);
    suite_add_tcase(s, rules);
    return unit::run_suite(s);
}
