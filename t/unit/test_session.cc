// Sessions and member states: finding a request's session (path parameter,
// cookies, hostile input), DESIGN's request table for every admin and
// health state, the shared table across a reload, and the error window
// seen by another process.
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "balance/balancer_runtime.h"
#include "balance/session_route.h"
#include "state/shared_state.h"
#include "unit_util.h"

using ox::AdminState;
using ox::Choice;
using ox::Reason;
using ox::SessionRef;
namespace st = ox::state;

namespace {

ox::RouteIndex routes()
{
    ox::RouteIndex r;
    r.add("OX1", 0);
    r.add("OX2", 1);
    r.add("OX-3", 2);
    return r;
}

SessionRef find(std::string_view path, std::vector<ox::proxy::Header> headers, const ox::StickyNames& names = {})
{
    static const ox::RouteIndex r = routes();
    return ox::find_session(path, headers.data(), headers.size(), names, r);
}

std::string id_of(const SessionRef& s) { return std::string(s.id); }

// A copy of `text` in a heap block of exactly its size, with no terminator:
// under AddressSanitizer a read one byte past the end is a report, where a
// string literal would let it read the NUL unseen.
class Exact {
public:
    explicit Exact(std::string_view text) : buf_(new char[text.size()]), size_(text.size())
    {
        if (size_) std::memcpy(buf_.get(), text.data(), size_);
    }
    std::string_view view() const { return std::string_view(buf_.get(), size_); }

private:
    std::unique_ptr<char[]> buf_;
    std::size_t size_;
};

}  // namespace

// ;jsessionid= is a path parameter only on its boundaries, and ends at ';',
// '/', '?' or the end; cookies are looked at one by one; a route naming no
// member counts as none.
START_TEST(route_parsing)
{
    struct Case {
        const char* path;
        const char* cookie;  // Cookie header value, or null
        long member;
        const char* id;
        const char* why;
    } cases[] = {
        {"/ajax/login;jsessionid=123.OX2", nullptr, 1, "123.OX2", "path parameter at the end"},
        {"/ajax;jsessionid=123.OX2/x", nullptr, 1, "123.OX2", "ends at '/'"},
        {"/ajax/x;jsessionid=123.OX-3;foo=1", nullptr, 2, "123.OX-3", "ends at ';', route with '-'"},
        {"/a;foo=1;jsessionid=5.OX1", nullptr, 0, "5.OX1", "second path parameter"},
        {"/a;xjsessionid=5.OX1", nullptr, -1, "", "not on a boundary"},
        {"/a/jsessionid=5.OX1", nullptr, -1, "", "not a path parameter"},
        {"/a;JSESSIONID=5.OX1", nullptr, -1, "", "path parameter names are case-sensitive"},
        {"/a;jsessionid=5.OX9;jsessionid=6.OX2", nullptr, 1, "6.OX2", "first parameter naming a member"},
        {"/a", "JSESSIONID=77.OX1", 0, "77.OX1", "cookie"},
        {"/a", "a=1; JSESSIONID=77.OX2; b=2", 1, "77.OX2", "cookie among others"},
        {"/a", "JSESSIONID=\"77.OX2\"", 1, "77.OX2", "quoted cookie value"},
        {"/a", "JSESSIONID=1.OX9; JSESSIONID=2.OX1", 0, "2.OX1", "the first cookie naming a member wins"},
        {"/a", "JSESSIONID=1.OX1, JSESSIONID=2.OX2", 0, "1.OX1", "repeated Cookie headers joined by httpd"},
        {"/a", "JSESSIONID=12.OX2.extra", -1, "", "route is everything after the first '.'"},
        {"/a", "XJSESSIONID=1.OX1", -1, "", "cookie names are matched whole"},
        {"/a;jsessionid=1.OX9", "JSESSIONID=2.OX2", 1, "2.OX2", "unknown path route, then cookies"},
        {"/a;jsessionid=1.OX1", "JSESSIONID=2.OX2", 0, "1.OX1", "the path parameter comes first"},
        {"/a", "", -1, "", "empty cookie header"},
        {"/a", "JSESSIONID=", -1, "", "empty value"},
        {"/a", "JSESSIONID=.", -1, "", "a lone dot"},
        {"/a", "JSESSIONID=123", -1, "", "no route"},
        {"/a", "JSESSIONID=1.ox1", -1, "", "routes are case-sensitive"},
        {"/a", "JSESSIONID=1.OX\x01", -1, "", "control character"},
        {"/a;jsessionid=", nullptr, -1, "", "empty path parameter"},
        {"/a?jsessionid=1.OX1", nullptr, -1, "", "a query is not a path (the path never holds '?')"},
        // the ends of the input, where a parser reads one byte too far
        {"/a;jsessionid", nullptr, -1, "", "the name at the very end"},
        {"/a;jsessionid=1.", nullptr, -1, "", "an empty route at the very end"},
        {"/a;jsessionid=1.OX", nullptr, -1, "", "a route cut short at the very end"},
        {"/a;jsessionid=1.OX1", nullptr, 0, "1.OX1", "a route at the very end"},
        {"/a;jsessionid=.OX1", nullptr, 0, ".OX1", "an empty id before the route"},
        {"/a;", nullptr, -1, "", "a lone ';' at the end"},
        {"/a;j", nullptr, -1, "", "a prefix of the name at the end"},
        {"/a", "JSESSIONID", -1, "", "a cookie name without '='"},
        {"/a", "JSESSIONID=1.", -1, "", "an empty route at the end of the header"},
        {"/a", "JSESSIONID=\"", -1, "", "a lone quote"},
        {"/a", "JSESSIONID=\"1.OX1", -1, "", "an unterminated quote"},
        {"/a", "JSESSIONID=1.OX1", 0, "1.OX1", "the value at the very end of the header"},
        {"/a", ";", -1, "", "a lone separator"},
    };
    for (const auto& c : cases) {
        // Exact-size copies: nothing past the end may be read.
        Exact cookie(c.cookie ? c.cookie : "");
        std::vector<ox::proxy::Header> h;
        if (c.cookie) h.push_back({"Cookie", cookie.view()});
        // The raw path never carries the query: cut it as the glue does.
        std::string_view full(c.path);
        Exact path(full.substr(0, full.find('?')));
        SessionRef s = find(path.view(), h);
        ck_assert_msg(s.member == c.member, "%s: member %ld, want %ld", c.why, s.member, c.member);
        ck_assert_msg(id_of(s) == c.id, "%s: id '%s', want '%s'", c.why, id_of(s).c_str(), c.id);
    }
}
END_TEST

// Hostile input gives "no route", never a crash: a 4 KiB route, 50 cookies,
// binary junk.
START_TEST(route_parsing_hostile)
{
    std::string big = "JSESSIONID=1." + std::string(4096, 'X');
    ck_assert_int_eq(find("/a", {{"Cookie", big}}).member, -1);
    std::string many;
    for (int i = 0; i < 50; ++i) many += "JSESSIONID=" + std::to_string(i) + ".NOPE; ";
    ck_assert_int_eq(find("/a", {{"Cookie", many}}).member, -1);
    ck_assert_int_eq(find("/a", {{"Cookie", many + "JSESSIONID=9.OX2"}}).member, 1);
    std::string junk(300, '\0');
    for (std::size_t i = 0; i < junk.size(); ++i) junk[i] = static_cast<char>(i);
    ck_assert_int_eq(find(junk, {{"Cookie", junk}}).member, -1);
    ck_assert_int_eq(find(";;;;;;", {{"Cookie", ";;,,==;\"\""}}).member, -1);
    // A Cookie header as large as httpd lets through (LimitRequestFieldSize
    // 8190 by default; up to 64 KiB when raised), the session at its very end.
    std::string huge;
    while (huge.size() < 65000) huge += "c" + std::to_string(huge.size()) + "=x; ";
    huge += "JSESSIONID=42.OX2";
    Exact exact(huge);
    SessionRef s = find("/a", {{"Cookie", exact.view()}});
    ck_assert_int_eq(s.member, 1);
    ck_assert(id_of(s) == "42.OX2");
}
END_TEST

// OXStickySession names the cookie and the path parameter.
START_TEST(route_parsing_custom_names)
{
    ox::StickyNames n;
    n.cookie = "OXSESSION";
    n.path_param = "oxs";
    ck_assert_int_eq(find("/a;oxs=1.OX2", {}, n).member, 1);
    ck_assert_int_eq(find("/a;jsessionid=1.OX2", {}, n).member, -1);
    ck_assert_int_eq(find("/a", {{"Cookie", "OXSESSION=1.OX1"}}, n).member, 0);
    ck_assert_int_eq(find("/a", {{"Cookie", "JSESSIONID=1.OX1"}}, n).member, -1);
    std::string route(ox::route_of("1.OX-3"));
    ck_assert_str_eq(route.c_str(), "OX-3");
}
END_TEST

namespace {

// A balancer of three members (OX1, OX2, OX-3) with process-local state and
// a manual clock.
struct Rig {
    explicit Rig(bool failover = true)
    {
        for (const char* r : {"OX1", "OX2", "OX-3"}) {
            ox::MemberSpec m;
            ox::parse_member("ajp://127.0.0.1:" + std::to_string(9000 + spec.members.size()), {}, m);
            m.route = r;
            m.retry = ox::Millis(60000);
            spec.members.push_back(m);
        }
        spec.name = "b";
        spec.failover = failover;
        rt = std::make_unique<ox::BalancerRuntime>(spec, ox::Millis(1000), 4);
    }
    void admin(std::size_t i, AdminState s) { rt->member(i).slot().admin = static_cast<std::uint8_t>(s); }
    void down(std::size_t i) { rt->member(i).node().health = static_cast<std::uint8_t>(ox::Health::down); }
    void error(std::size_t i) { rt->member(i).mark_failed(clock.now()); }
    SessionRef session(const char* id)
    {
        ox::proxy::Header h{"Cookie", cookie = std::string("JSESSIONID=") + id};
        ox::proxy::Request req;
        req.path = "/x";
        req.headers = &h;
        req.header_count = 1;
        return rt->session_of(req);
    }
    Choice pick(const SessionRef& s, std::uint64_t tried = 0) { return rt->pick(s, tried, clock.now()); }

    ox::BalancerSpec spec;
    std::unique_ptr<ox::BalancerRuntime> rt;
    ox::ManualTimeSource clock;
    std::string cookie;
};

}  // namespace

// | carries a route to this member | active+up: there | draining+up: there | disabled, or down: successor |
START_TEST(table_sticky)
{
    Rig r;
    SessionRef s = r.session("42.OX2");
    ck_assert_int_eq(s.member, 1);
    Choice c = r.pick(s);
    ck_assert_uint_eq(c.member, 1);
    ck_assert(c.reason == Reason::sticky);

    r.admin(1, AdminState::draining);
    c = r.pick(s);
    ck_assert_uint_eq(c.member, 1);
    ck_assert(c.reason == Reason::sticky);

    r.admin(1, AdminState::disabled);
    c = r.pick(s);
    ck_assert(c.member != 1 && c.member != Choice::npos);
    ck_assert(c.reason == Reason::failover);
    std::size_t successor = c.member;
    // The same session always gets the same successor.
    for (int i = 0; i < 20; ++i) ck_assert_uint_eq(r.pick(s).member, successor);

    r.admin(1, AdminState::active);
    r.down(1);
    c = r.pick(s);
    ck_assert_uint_eq(c.member, successor);
    ck_assert(c.reason == Reason::failover);
}
END_TEST

// docs/directives.md: only requests without a route move the rotation.
// Two identical balancers get the same new sessions; one of them also gets
// bursts of sticky requests for OX2 between them.
// Both place every new session alike, and end in the same position.
START_TEST(sticky_does_not_move_rotation)
{
    Rig plain, busy;
    SessionRef s2 = busy.session("42.OX2");
    std::string want, got;
    for (int i = 0; i < 30; ++i) {
        for (int j = 0; j < 1 + i % 4; ++j) {
            Choice c = busy.pick(s2);
            ck_assert_uint_eq(c.member, 1);
            ck_assert(c.reason == Reason::sticky);
        }
        Choice a = plain.pick(SessionRef{});
        Choice b = busy.pick(SessionRef{});
        ck_assert(a.reason == Reason::new_session && b.reason == Reason::new_session);
        want += static_cast<char>('0' + a.member);
        got += static_cast<char>('0' + b.member);
    }
    ck_assert_str_eq(got.c_str(), want.c_str());
    const std::string first = want.substr(0, 6);  // ck_assert_str_eq keeps the pointer past a temporary's life
    ck_assert_str_eq(first.c_str(), "012012");  // equal weights: strict rotation
    for (std::size_t i = 0; i < 3; ++i) {
        ck_assert_int_eq(busy.rt->member(i).slot().wrr_current.load(), plain.rt->member(i).slot().wrr_current.load());
    }
}
END_TEST

// The error window (passive detection) counts as down; once it is over the
// member takes its sessions back.
START_TEST(table_error_window)
{
    Rig r;
    SessionRef s = r.session("42.OX1");
    r.error(0);
    Choice c = r.pick(s);
    ck_assert(c.member != 0);
    ck_assert(c.reason == Reason::failover);
    r.clock.advance(ox::Millis(60001));
    c = r.pick(s);
    ck_assert_uint_eq(c.member, 0);
    ck_assert(c.reason == Reason::sticky);
}
END_TEST

// | carries no route | active+up: may be chosen | draining, disabled, down: never |
START_TEST(table_new_sessions)
{
    Rig r;
    r.admin(0, AdminState::draining);
    r.admin(1, AdminState::disabled);
    SessionRef none;
    for (int i = 0; i < 20; ++i) {
        Choice c = r.pick(none);
        ck_assert_uint_eq(c.member, 2);
        ck_assert(c.reason == Reason::new_session);
    }
    r.down(2);
    ck_assert_uint_eq(r.pick(none).member, Choice::npos);
}
END_TEST

// Only active members are successors: a draining member takes no sessions
// of others. No live active member left: the session's own member if it is
// merely in its error window, else nothing.
// status=standby (mod_proxy's hot standby): new and failed-over sessions
// only while no active member is up; it keeps the sessions it took.
START_TEST(table_hot_standby)
{
    Rig r;
    r.admin(2, AdminState::standby);
    SessionRef none;
    for (int i = 0; i < 20; ++i) ck_assert_uint_ne(r.pick(none).member, 2);
    ck_assert_uint_eq(r.pick(r.session("7.OX-3")).member, 2);  // its own sessions stay
    ck_assert(r.pick(r.session("7.OX-3")).reason == Reason::sticky);
    r.down(0);
    for (int i = 0; i < 20; ++i) ck_assert_uint_eq(r.pick(none).member, 1);  // one active is still up
    Choice f = r.pick(r.session("5.OX1"));
    ck_assert_uint_eq(f.member, 1);
    r.down(1);
    for (int i = 0; i < 20; ++i) ck_assert_uint_eq(r.pick(none).member, 2);  // no active up: the standby
    f = r.pick(r.session("5.OX1"));
    ck_assert_uint_eq(f.member, 2);
    ck_assert(f.reason == Reason::failover);
    // An active member in its error window is a last resort after a
    // standby that is up.
    r.rt->member(1).node().health = static_cast<std::uint8_t>(ox::Health::up);
    r.error(1);
    ck_assert_uint_eq(r.pick(none).member, 2);
    r.down(2);
    ck_assert_uint_eq(r.pick(none).member, 1);
}
END_TEST

START_TEST(table_successor_candidates)
{
    Rig r;
    SessionRef s = r.session("7.OX1");
    r.admin(0, AdminState::disabled);
    r.admin(1, AdminState::draining);
    for (int i = 0; i < 20; ++i) ck_assert_uint_eq(r.pick(s).member, 2);
    r.down(2);
    ck_assert_uint_eq(r.pick(s).member, Choice::npos);

    Rig q;
    SessionRef t = q.session("7.OX1");
    q.error(0);
    q.down(1);
    q.down(2);
    Choice c = q.pick(t);
    ck_assert_uint_eq(c.member, 0);
    ck_assert(c.reason == Reason::sticky);
}
END_TEST

// Members already tried for this request are skipped: a retry of a new
// session says so, a session falls over to its successor.
START_TEST(table_tried)
{
    Rig r;
    SessionRef none;
    Choice c = r.pick(none, 0b001);
    ck_assert(c.member != 0);
    ck_assert(c.reason == Reason::retry);
    ck_assert_uint_eq(r.pick(none, 0b111).member, Choice::npos);
    SessionRef s = r.session("3.OX2");
    c = r.pick(s, 0b010);
    ck_assert(c.member != 1 && c.member != Choice::npos);
    ck_assert(c.reason == Reason::failover);
}
END_TEST

// OXFailover Off: a session whose member is disabled or down gets no member
// (503), instead of a successor.
START_TEST(table_no_failover)
{
    Rig r(false);
    SessionRef s = r.session("3.OX2");
    ck_assert_uint_eq(r.pick(s).member, 1);
    r.admin(1, AdminState::disabled);
    ck_assert_uint_eq(r.pick(s).member, Choice::npos);
    r.admin(1, AdminState::active);
    r.down(1);
    ck_assert_uint_eq(r.pick(s).member, Choice::npos);
    // New sessions still balance.
    ck_assert(r.pick(SessionRef{}).member != Choice::npos);
}
END_TEST

// A reload keeps each member's state by balancer and URL, whatever its new
// position; added members start fresh, removed ones are gone. A runtime
// admin change or load factor survives, unless the configuration's own value
// changed. Node state (health, error window, probes) is kept by address.
START_TEST(table_reload)
{
    std::vector<st::SlotKey> first = {{"b", "ajp://a:1", AdminState::active, 10},
                                      {"b", "ajp://b:1", AdminState::active, 10},
                                      {"c", "ajp://a:1", AdminState::draining, 20}};
    st::LocalTable old(first);
    const st::Table& t = old.table();
    ck_assert_uint_eq(t.nodes(), 2);
    ck_assert_uint_eq(t.slot(0).node, t.slot(2).node);  // one node in two balancers
    t.slot(0).requests = 10;
    t.slot(1).requests = 20;
    t.node_of(0).error_until_ms = 12345;
    t.node_of(0).health = static_cast<std::uint8_t>(ox::Health::down);
    t.node_of(0).probes = 7;
    st::set_probe_detail(t.node_of(0), "connection refused");
    st::note_session(t.sketch(2), "1.OX1", 1000);
    t.slot(2).requests = 30;
    t.slot(0).loadfactor = 55;  // operator: b's a:1
    t.slot(2).loadfactor = 66;  // operator: c's a:1, whose configured value changes below
    ck_assert(st::set_admin(t, "b", "ajp://a:1", AdminState::disabled));
    ck_assert(st::set_admin(t, "c", "ajp://a:1", AdminState::disabled));
    ck_assert(!st::set_admin(t, "b", "ajp://nope:1", AdminState::disabled));

    std::vector<st::SlotKey> second = {{"c", "ajp://a:1", AdminState::active, 30, true},  // config status and weight edited
                                       {"b", "ajp://new:1", AdminState::active, 10},  // added
                                       {"b", "ajp://a:1", AdminState::active, 10}};   // moved; ajp://b:1 removed
    std::size_t bytes = st::Table::bytes_for(second.size());
    void* mem = ::operator new(bytes, std::align_val_t{64});
    st::Table n = st::Table::format(mem, second, &t);
    ck_assert_uint_eq(n.size(), 3);
    ck_assert_uint_eq(n.slot(0).requests.load(), 30);
    ck_assert_int_eq(n.slot(0).admin.load(), static_cast<int>(AdminState::active));  // the config won
    ck_assert_uint_eq(n.slot(1).requests.load(), 0);
    ck_assert_uint_eq(n.slot(2).requests.load(), 10);
    ck_assert_int_eq(n.slot(2).admin.load(), static_cast<int>(AdminState::disabled));  // runtime change kept
    ck_assert_int_eq(n.slot(2).loadfactor.load(), 55);  // runtime weight kept
    ck_assert_int_eq(n.slot(0).loadfactor.load(), 30);  // the config's new weight won
    ck_assert_int_eq(n.slot(1).loadfactor.load(), 10);
    ck_assert(n.find("b", "ajp://b:1") == nullptr);
    ck_assert(n.find_node("ajp://b:1") == nullptr);
    ck_assert_uint_eq(n.nodes(), 2);
    ck_assert_uint_eq(n.slot(0).node, n.slot(2).node);
    const st::NodeSlot& a = n.node_of(0);
    ck_assert_int_eq(a.error_until_ms.load(), 12345);
    ck_assert_int_eq(a.health.load(), static_cast<int>(ox::Health::down));
    ck_assert_uint_eq(a.probes.load(), 7);
    char detail[sizeof(st::NodeSlot::detail)];
    st::probe_detail(a, detail);
    ck_assert_str_eq(detail, "connection refused");
    ck_assert_int_eq(n.node_of(1).error_until_ms.load(), 0);  // the new node starts fresh
    ck_assert_uint_eq(st::estimate_sessions(n.sketch(0), 1000, 1), 1);  // c's sessions seen, carried
    ck_assert_uint_eq(st::estimate_sessions(n.sketch(2), 1000, 1), 0);
    ck_assert(st::Table::attach(mem).valid());
    int junk[32] = {};
    ck_assert(!st::Table::attach(junk).valid());
    ::operator delete(mem, std::align_val_t{64});
}
END_TEST

// Health belongs to the node: one node listed by two balancers (App Suite's
// oxcluster and oxcluster_sync) has one error window and one health, seen
// by both; another node in the same balancers is not affected.
START_TEST(node_shared_by_balancers)
{
    ox::BalancerSpec groupware, sync;
    groupware.name = "oxcluster";
    sync.name = "oxcluster_sync";
    for (ox::BalancerSpec* b : {&groupware, &sync}) {
        for (const char* url : {"ajp://10.0.0.1:8009", "ajp://10.0.0.2:8009"}) {
            ox::MemberSpec m;
            ox::parse_member(url, {}, m);
            m.route = url[13] == '1' ? "OX1" : "OX2";
            b->members.push_back(m);
        }
    }
    std::vector<st::SlotKey> keys;
    for (const ox::BalancerSpec* b : {&groupware, &sync}) {
        for (const auto& m : b->members) keys.push_back({b->name, m.url, m.status, m.loadfactor});
    }
    st::LocalTable table(keys);
    ck_assert_uint_eq(table.table().nodes(), 2);
    ox::BalancerRuntime a(groupware, table.table(), 0, ox::Millis(1000), 4);
    ox::BalancerRuntime b(sync, table.table(), 2, ox::Millis(1000), 4);
    ox::ManualTimeSource clock;
    ck_assert(a.member(0).mark_failed(clock.now()));
    ck_assert(b.member(0).in_error(clock.now()));
    ck_assert(!b.member(0).mark_failed(clock.now()));  // the same window: logged once
    ck_assert(!b.member(1).in_error(clock.now()));
    a.member(1).node().health = static_cast<std::uint8_t>(ox::Health::down);
    ck_assert(!b.member(1).probed_up());
    ck_assert(b.member(1).down(clock.now()));
}
END_TEST

// Every field docs/operations.md ("Restarts") and INTERNALS.md promise
// across a graceful restart, each given a distinct value in the old block:
// a member's admin state, load factor, balancing position (wrr_current)
// and every counter; a node's health, error window, probe schedule and
// results. What belongs to the old generation of children (requests in
// flight, process rows) starts at zero.
START_TEST(table_reload_every_field)
{
    std::vector<st::SlotKey> keys = {{"b", "ajp://a:1", AdminState::active, 10, true},
                                     {"b", "ajp://b:1", AdminState::active, 30, true}};
    st::LocalTable old(keys, 2);
    const st::Table& t = old.table();
    st::MemberSlot& m = t.slot(1);
    ck_assert(st::set_admin(t, "b", "ajp://b:1", AdminState::draining));
    m.loadfactor = 77;
    m.wrr_current = -23;
    m.busy = 5;
    m.requests = 101;
    m.new_sessions = 102;
    m.sticky = 103;
    m.failovers = 104;
    m.failures = 105;
    m.bytes_in = 106;
    m.bytes_out = 107;
    m.last_sticky_ms = 108;
    m.reuse_pings = 109;
    m.stale_dropped = 110;
    m.idle_replaced = 111;
    m.resent = 112;
    t.row_owner(0) = 4242;
    t.row_busy(0, 1) = 5;
    st::NodeSlot& nd = t.node_of(1);
    nd.health = static_cast<std::uint8_t>(ox::Health::down);
    nd.error_until_ms = 201;
    nd.failed_in_row = 202;
    nd.passed_in_row = 203;
    nd.probe_wall_ms = 204;
    nd.probe_latency_us = 205;
    nd.probe_status = 503;
    nd.probe_ok = 1;
    nd.probes = 207;
    nd.probe_failures = 208;
    st::set_probe_detail(nd, "HTTP 503");

    // The member moves to position 0: state follows the (balancer, URL).
    std::vector<st::SlotKey> again = {keys[1], keys[0]};
    std::size_t bytes = st::Table::bytes_for(again.size(), 2);
    void* mem = ::operator new(bytes, std::align_val_t{64});
    st::Table n = st::Table::format(mem, again, &t, 2);
    const st::MemberSlot& k = n.slot(0);
    ck_assert_int_eq(k.admin.load(), static_cast<int>(AdminState::draining));
    ck_assert_int_eq(k.config_admin.load(), static_cast<int>(AdminState::active));
    ck_assert_int_eq(k.loadfactor.load(), 77);
    ck_assert_int_eq(k.config_loadfactor.load(), 30);
    ck_assert_int_eq(k.wrr_current.load(), -23);
    ck_assert_int_eq(k.busy.load(), 0);  // in flight on the old block, finished there
    ck_assert_uint_eq(k.requests.load(), 101);
    ck_assert_uint_eq(k.new_sessions.load(), 102);
    ck_assert_uint_eq(k.sticky.load(), 103);
    ck_assert_uint_eq(k.failovers.load(), 104);
    ck_assert_uint_eq(k.failures.load(), 105);
    ck_assert_uint_eq(k.bytes_in.load(), 106);
    ck_assert_uint_eq(k.bytes_out.load(), 107);
    ck_assert_int_eq(k.last_sticky_ms.load(), 108);
    ck_assert_uint_eq(k.reuse_pings.load(), 109);
    ck_assert_uint_eq(k.stale_dropped.load(), 110);
    ck_assert_uint_eq(k.idle_replaced.load(), 111);
    ck_assert_uint_eq(k.resent.load(), 112);
    const st::NodeSlot& kn = n.node_of(0);
    ck_assert_str_eq(kn.address, "ajp://b:1");
    ck_assert_int_eq(kn.health.load(), static_cast<int>(ox::Health::down));
    ck_assert_int_eq(kn.error_until_ms.load(), 201);
    ck_assert_uint_eq(kn.failed_in_row.load(), 202);
    ck_assert_uint_eq(kn.passed_in_row.load(), 203);
    ck_assert_int_eq(kn.probe_wall_ms.load(), 204);
    ck_assert_int_eq(kn.probe_latency_us.load(), 205);
    ck_assert_int_eq(kn.probe_status.load(), 503);
    ck_assert_uint_eq(kn.probe_ok.load(), 1);
    ck_assert_uint_eq(kn.probes.load(), 207);
    ck_assert_uint_eq(kn.probe_failures.load(), 208);
    char detail[sizeof(st::NodeSlot::detail)];
    st::probe_detail(kn, detail);
    ck_assert_str_eq(detail, "HTTP 503");
    for (std::size_t r = 0; r < 2; ++r) {
        ck_assert_int_eq(n.row_owner(r).load(), 0);
        for (std::size_t i = 0; i < 2; ++i) ck_assert_int_eq(n.row_busy(r, i).load(), 0);
    }
    // The untouched member is still as configured and fresh.
    ck_assert_int_eq(n.slot(1).loadfactor.load(), 10);
    ck_assert_int_eq(n.slot(1).wrr_current.load(), 0);
    ck_assert_int_eq(n.node_of(1).probe_latency_us.load(), -1);
    ::operator delete(mem, std::align_val_t{64});
}
END_TEST

// A node found down by probes whose probing the new configuration turns off
// (OXHealthCheck off, hcmethod=off) is up after the reload: only the prober
// finds a node up again, and nobody probes it now. Its probes in a row are
// cleared; its error window (failed requests), probe totals and last result
// stay. A node that another balancer still probes keeps its health.
START_TEST(table_reload_unprobed_node_is_up)
{
    std::vector<st::SlotKey> keys = {{"b", "ajp://a:1", AdminState::active, 1, true},
                                     {"b", "ajp://b:1", AdminState::active, 1, true},
                                     {"c", "ajp://b:1", AdminState::active, 1, false}};
    st::LocalTable old(keys, 0);
    const st::Table& t = old.table();
    ck_assert_uint_eq(t.nodes(), 2);
    for (std::size_t n = 0; n < 2; ++n) {
        st::NodeSlot& nd = t.node(n);
        nd.health = static_cast<std::uint8_t>(ox::Health::down);
        nd.error_until_ms = 301;
        nd.failed_in_row = 4;
        nd.passed_in_row = 1;
        nd.probe_ok = 0;
        nd.probe_wall_ms = 302;
        nd.probes = 9;
        nd.probe_failures = 4;
        st::set_probe_detail(nd, "no CPONG");
    }

    // Node a: its only member's probing is off. Node b: balancer b turns it
    // off, balancer c (listing it after b) turns it on.
    std::vector<st::SlotKey> again = {{"b", "ajp://a:1", AdminState::active, 1, false},
                                      {"b", "ajp://b:1", AdminState::active, 1, false},
                                      {"c", "ajp://b:1", AdminState::active, 1, true}};
    std::size_t bytes = st::Table::bytes_for(again.size(), 0);
    void* mem = ::operator new(bytes, std::align_val_t{64});
    st::Table n = st::Table::format(mem, again, &t, 0);
    const st::NodeSlot& a = *n.find_node("ajp://a:1");
    ck_assert_int_eq(a.health.load(), static_cast<int>(ox::Health::up));
    ck_assert_uint_eq(a.failed_in_row.load(), 0);
    ck_assert_uint_eq(a.passed_in_row.load(), 0);
    ck_assert_int_eq(a.error_until_ms.load(), 301);
    ck_assert_int_eq(a.probe_wall_ms.load(), 302);
    ck_assert_uint_eq(a.probes.load(), 9);
    ck_assert_uint_eq(a.probe_failures.load(), 4);
    char detail[sizeof(st::NodeSlot::detail)];
    st::probe_detail(a, detail);
    ck_assert_str_eq(detail, "no CPONG");
    const st::NodeSlot& b = *n.find_node("ajp://b:1");
    ck_assert_int_eq(b.health.load(), static_cast<int>(ox::Health::down));
    ck_assert_uint_eq(b.failed_in_row.load(), 4);
    ck_assert_uint_eq(b.passed_in_row.load(), 1);
    ::operator delete(mem, std::align_val_t{64});

    // The same for the prober giving up on a node at run time.
    st::NodeSlot& live = t.node(1);
    st::forget_probes(live);
    ck_assert_int_eq(live.health.load(), static_cast<int>(ox::Health::up));
    ck_assert_uint_eq(live.failed_in_row.load(), 0);
    ck_assert_uint_eq(live.passed_in_row.load(), 0);
    ck_assert_int_eq(live.error_until_ms.load(), 301);
}
END_TEST

// The balancing position in use: new sessions at 1:2 go on across a reload
// exactly where they were (B A B, B A B, ...), as without one. A reload that
// restarted the rotation would begin the cycle again.
START_TEST(table_reload_keeps_rotation)
{
    ox::BalancerSpec spec;
    spec.name = "b";
    for (int i = 0; i < 2; ++i) {
        ox::MemberSpec m;
        ox::parse_member("ajp://127.0.0.1:" + std::to_string(9100 + i), {}, m);
        m.route = i == 0 ? "OX1" : "OX2";
        m.loadfactor = i == 0 ? 1 : 2;
        spec.members.push_back(m);
    }
    std::vector<st::SlotKey> keys;
    for (const auto& m : spec.members) keys.push_back({spec.name, m.url, m.status, m.loadfactor});
    ox::ManualTimeSource clock;
    auto picks = [&](ox::BalancerRuntime& rt, int count) {
        std::string seq;
        for (int i = 0; i < count; ++i) seq += rt.pick(SessionRef{}, 0, clock.now()).member == 0 ? 'A' : 'B';
        return seq;
    };
    st::LocalTable straight(keys);
    ox::BalancerRuntime rs(spec, straight.table(), 0, ox::Millis(1000), 4);
    std::string want = picks(rs, 12);

    st::LocalTable before(keys);
    ox::BalancerRuntime rb(spec, before.table(), 0, ox::Millis(1000), 4);
    std::string got = picks(rb, 4);  // mid-cycle: B A B B | A B ...
    std::size_t bytes = st::Table::bytes_for(keys.size());
    void* mem = ::operator new(bytes, std::align_val_t{64});
    st::Table after = st::Table::format(mem, keys, &before.table());
    {
        ox::BalancerRuntime ra(spec, after, 0, ox::Millis(1000), 4);
        got += picks(ra, 8);
    }
    ck_assert_str_eq(got.c_str(), want.c_str());
    ::operator delete(mem, std::align_val_t{64});
}
END_TEST

// The error window is in the shared slot: a member marked failed by one
// process is avoided by another.
START_TEST(error_window_shared_across_processes)
{
    std::vector<st::SlotKey> keys = {{"b", "ajp://a:1", AdminState::active}};
    std::size_t bytes = st::Table::bytes_for(1);
    void* mem = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    ck_assert(mem != MAP_FAILED);
    st::Table t = st::Table::format(mem, keys, nullptr);
    ox::MemberSpec spec;
    spec.retry = ox::Millis(60000);
    ox::SteadyTimeSource clock;
    ox::MemberRuntime here(spec, t.slot(0), t.node_of(0), t.sketch(0), ox::Millis(1000), 1);
    ck_assert(!here.in_error(clock.now()));
    pid_t kid = fork();
    if (kid == 0) {
        st::Table other = st::Table::attach(mem);
        ox::MemberRuntime there(spec, other.slot(0), other.node_of(0), other.sketch(0), ox::Millis(1000), 1);
        _exit(there.mark_failed(clock.now()) ? 0 : 1);
    }
    int status = 0;
    waitpid(kid, &status, 0);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    ck_assert(here.in_error(clock.now()));
    // Already in error: this process does not log the transition again.
    ck_assert(!here.mark_failed(clock.now()));
    munmap(mem, bytes);
}
END_TEST

int main()
{
    Suite* s = suite_create("session");
    TCase* tc = tcase_create("session");
    tcase_add_test(tc, route_parsing);
    tcase_add_test(tc, route_parsing_hostile);
    tcase_add_test(tc, route_parsing_custom_names);
    tcase_add_test(tc, table_sticky);
    tcase_add_test(tc, sticky_does_not_move_rotation);
    tcase_add_test(tc, table_error_window);
    tcase_add_test(tc, table_new_sessions);
    tcase_add_test(tc, table_hot_standby);
    tcase_add_test(tc, node_shared_by_balancers);
    tcase_add_test(tc, table_successor_candidates);
    tcase_add_test(tc, table_tried);
    tcase_add_test(tc, table_no_failover);
    tcase_add_test(tc, table_reload);
    tcase_add_test(tc, table_reload_every_field);
    tcase_add_test(tc, table_reload_unprobed_node_is_up);
    tcase_add_test(tc, table_reload_keeps_rotation);
    tcase_add_test(tc, error_window_shared_across_processes);
    suite_add_tcase(s, tc);
    return unit::run_suite(s);
}
