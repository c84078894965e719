// The status page's POST side: the form parser (what a browser or a tool
// sends, and what an attacker might), the actions' meaning, finding the
// member an action names, and the nonce (HMAC-SHA256 known answers, the
// windows it is good in, and every way a wrong one must be refused).
#include <cstring>
#include <string>
#include <vector>

#include "status/actions.h"
#include "unit_util.h"

using ox::AdminState;
using ox::status::Action;
using ox::status::ActionKind;
using ox::status::NonceCheck;
namespace st = ox::status;

namespace {

std::string hex_of(const unsigned char (&mac)[32]) { return unit::to_hex(mac, 32); }

std::string no_spaces(std::string s)
{
    std::string out;
    for (char c : s)
        if (c != ' ') out += c;
    return out;
}

std::string parse(std::string_view body, Action& a) { return st::parse_action_form(body, a); }

bool contains(const std::string& s, const char* part) { return s.find(part) != std::string::npos; }

// 32 secret bytes 00 01 .. 1f (the fixed vector below was computed with
// Python's hmac module from these).
std::string test_secret()
{
    std::string s;
    for (int i = 0; i < 32; ++i) s += static_cast<char>(i);
    return s;
}

}  // namespace

// ---- the form ---------------------------------------------------------------

// What the page's own forms send, in the order browsers send them.
START_TEST(form_from_the_page)
{
    Action a;
    CK_ASSERT_STRING_EQ(parse("nonce=abc&balancer=oxcluster&member=ajp%3A%2F%2F10.20.30.213%3A8009&action=drain", a), "");
    CK_ASSERT_STRING_EQ(a.nonce, "abc");
    CK_ASSERT_STRING_EQ(a.balancer, "oxcluster");
    CK_ASSERT_STRING_EQ(a.member, "ajp://10.20.30.213:8009");
    ck_assert(a.kind == ActionKind::drain);
    ck_assert_uint_eq(a.loadfactor, 0);

    Action b;
    CK_ASSERT_STRING_EQ(parse("nonce=n&balancer=oxcluster&member=OX2&action=loadfactor&loadfactor=75", b), "");
    ck_assert(b.kind == ActionKind::loadfactor);
    ck_assert_uint_eq(b.loadfactor, 75);
    CK_ASSERT_STRING_EQ(b.member, "OX2");

    // Any order; a route instead of the URL; empty segments skipped.
    Action c;
    CK_ASSERT_STRING_EQ(parse("&action=standby&&member=OX-1&balancer=b&nonce=n&", c), "");
    ck_assert(c.kind == ActionKind::standby);
    CK_ASSERT_STRING_EQ(c.member, "OX-1");

    // The Recover button's form: no other field.
    Action d;
    CK_ASSERT_STRING_EQ(parse("nonce=n&balancer=oxcluster&member=OX3&action=recover", d), "");
    ck_assert(d.kind == ActionKind::recover);
    ck_assert_uint_eq(d.loadfactor, 0);
}
END_TEST

// Percent-decoding and '+': names are decoded too; %2B is a plus sign, '+'
// a space; hex digits in either case.
START_TEST(form_decoding)
{
    Action a;
    CK_ASSERT_STRING_EQ(parse("%6Eonce=a+b%2Bc&balancer=x%2dy&member=ajp%3a%2f%2fh%3A1&action=%65nable", a), "");
    CK_ASSERT_STRING_EQ(a.nonce, "a b+c");
    CK_ASSERT_STRING_EQ(a.balancer, "x-y");
    CK_ASSERT_STRING_EQ(a.member, "ajp://h:1");
    ck_assert(a.kind == ActionKind::enable);
    // UTF-8 passes through as bytes (no member will match it, which the
    // glue reports).
    Action u;
    CK_ASSERT_STRING_EQ(parse("nonce=n&balancer=%C3%A9&member=m&action=disable", u), "");
    CK_ASSERT_STRING_EQ(u.balancer, "\xC3\xA9");
}
END_TEST

// Everything refused, with the reason the glue will show and log. The
// output is untouched on failure.
START_TEST(form_refused)
{
    const std::string ok = "nonce=n&balancer=b&member=m";
    struct Case {
        std::string body;
        const char* reason;  // a part of the error text
    } cases[] = {
        {ok, "'action' is missing"},
        {"balancer=b&member=m&action=drain", "'nonce' is missing"},
        {"nonce=n&member=m&action=drain", "'balancer' is missing"},
        {"nonce=n&balancer=b&action=drain", "'member' is missing"},
        {ok + "&action=", "'action' is empty"},
        {"nonce=&balancer=b&member=m&action=drain", "'nonce' is empty"},
        {"nonce&balancer=b&member=m&action=drain", "'nonce' is empty"},
        {ok + "&action=drain&action=enable", "'action' is given more than once"},
        {ok + "&action=drain&member=other", "'member' is given more than once"},
        {ok + "&action=drain&%6Eonce=x", "'nonce' is given more than once"},
        {ok + "&action=drain&submit=Drain", "unknown field 'submit'"},
        {ok + "&action=drain&Nonce=x", "unknown field 'Nonce'"},
        {ok + "&action=Drain", "unknown action 'Drain'"},
        {ok + "&action=delete", "unknown action 'delete'"},
        {ok + "&action=drain%", "malformed %-escape in the field 'action'"},
        {ok + "&action=drain%4", "malformed %-escape"},
        {ok + "&action=drai%6g", "malformed %-escape"},
        {ok + "&act%ion=drain", "malformed %-escape in a field name"},
        {ok + "&action=drain%00", "'action' holds a control character"},
        {"nonce=n&balancer=b&member=m%0Ax&action=drain", "'member' holds a control character"},
        {"nonce=n&balancer=b%7F&member=m&action=drain", "'balancer' holds a control character"},
        {ok + "&action=loadfactor", "needs the field 'loadfactor'"},
        {ok + "&action=loadfactor&loadfactor=", "needs the field 'loadfactor'"},
        {ok + "&action=loadfactor&loadfactor=0", "not a whole number from 1 to 100"},
        {ok + "&action=loadfactor&loadfactor=101", "not a whole number from 1 to 100"},
        {ok + "&action=loadfactor&loadfactor=-5", "not a whole number from 1 to 100"},
        {ok + "&action=loadfactor&loadfactor=%2B5", "not a whole number from 1 to 100"},
        {ok + "&action=loadfactor&loadfactor=5.0", "not a whole number from 1 to 100"},
        {ok + "&action=loadfactor&loadfactor=+50", "not a whole number from 1 to 100"},
        {ok + "&action=loadfactor&loadfactor=1000", "'loadfactor' is longer than 3 bytes"},
        {ok + "&action=drain&loadfactor=50", "belongs to action loadfactor, not to drain"},
        {ok + "&action=recover&loadfactor=50", "belongs to action loadfactor, not to recover"},
        {ok + "&action=Recover", "unknown action 'Recover' (known: drain, disable, enable, standby, loadfactor, recover)"},
        {"nonce=n&balancer=" + std::string(64, 'b') + "&member=m&action=drain", "'balancer' is longer than 63"},
        {"nonce=n&balancer=b&member=" + std::string(192, 'm') + "&action=drain", "'member' is longer than 191"},
        {"nonce=" + std::string(129, 'a') + "&balancer=b&member=m&action=drain", "'nonce' is longer than 128"},
        {ok + "&action=drain&x=" + std::string(4096, 'x'), "longer than 4096 bytes"},
        {"", "'nonce' is missing"},
        {"&&&", "'nonce' is missing"},
    };
    for (const Case& c : cases) {
        Action a;
        a.balancer = "untouched";
        std::string err = parse(c.body, a);
        ck_assert_msg(contains(err, c.reason), "body '%.80s': expected an error with \"%s\", got \"%s\"",
                      c.body.c_str(), c.reason, err.c_str());
        CK_ASSERT_STRING_EQ(a.balancer, "untouched");
    }
    // At the limits: accepted.
    Action a;
    std::string at_limit = "nonce=" + std::string(128, 'a') + "&balancer=" + std::string(63, 'b') +
                           "&member=" + std::string(191, 'm') + "&action=loadfactor&loadfactor=100";
    CK_ASSERT_STRING_EQ(parse(at_limit, a), "");
    ck_assert_uint_eq(a.loadfactor, 100);
    CK_ASSERT_STRING_EQ(parse(ok + "&action=loadfactor&loadfactor=1", a), "");
    ck_assert_uint_eq(a.loadfactor, 1);
    CK_ASSERT_STRING_EQ(parse(ok + "&action=loadfactor&loadfactor=007", a), "");
    ck_assert_uint_eq(a.loadfactor, 7);
    std::string body = ok + "&action=drain";
    body += std::string(st::kMaxFormBytes - body.size(), '&');  // exactly the limit
    CK_ASSERT_STRING_EQ(parse(body, a), "");
    // An error text never carries the client's control bytes.
    std::string err = parse(ok + "&action=dr%0Ain\x01", a);
    ck_assert(!contains(err, "\n") && !contains(err, "\x01"));
    err = parse(ok + "&action=drain&ev\x01il=1", a);
    ck_assert_msg(contains(err, "unknown field 'ev?il'"), "%s", err.c_str());
}
END_TEST

START_TEST(action_meaning)
{
    struct {
        ActionKind kind;
        const char* name;
        AdminState state;
    } map[] = {
        {ActionKind::drain, "drain", AdminState::draining},
        {ActionKind::disable, "disable", AdminState::disabled},
        {ActionKind::enable, "enable", AdminState::active},
        {ActionKind::standby, "standby", AdminState::standby},
    };
    for (const auto& m : map) {
        ck_assert_str_eq(st::to_string(m.kind), m.name);
        ActionKind k;
        ck_assert(st::parse_action_kind(m.name, k) && k == m.kind);
        AdminState s = AdminState::active;
        ck_assert(st::admin_state_of(m.kind, s));
        ck_assert_int_eq(static_cast<int>(s), static_cast<int>(m.state));
    }
    AdminState s = AdminState::disabled;
    ck_assert(!st::admin_state_of(ActionKind::loadfactor, s));
    ck_assert(s == AdminState::disabled);
    // recover ends an error window; it sets no admin state.
    ck_assert_str_eq(st::to_string(ActionKind::recover), "recover");
    ActionKind k;
    ck_assert(st::parse_action_kind("recover", k) && k == ActionKind::recover);
    ck_assert(!st::admin_state_of(ActionKind::recover, s));
    ck_assert(s == AdminState::disabled);
    // The state names of member_state, standby included.
    ck_assert_str_eq(ox::to_string(AdminState::standby), "standby");
    AdminState p;
    ck_assert(ox::parse_admin_state("standby", p) && p == AdminState::standby);
    ck_assert(!ox::parse_admin_state("hot-standby", p));
}
END_TEST

// An action names its member by URL or by route, within its balancer only.
START_TEST(find_target)
{
    st::StatusModel m;
    m.balancers.resize(2);
    m.balancers[0].name = "oxcluster";
    m.balancers[0].members.resize(2);
    m.balancers[0].members[0].url = "ajp://10.0.0.1:8009";
    m.balancers[0].members[0].route = "OX1";
    m.balancers[0].members[1].url = "ajp://10.0.0.2:8009";
    m.balancers[0].members[1].route = "";
    m.balancers[1].name = "oxcluster_sync";
    m.balancers[1].members.resize(1);
    m.balancers[1].members[0].url = "ajp://10.0.0.1:8009";
    m.balancers[1].members[0].route = "OX1S";

    const st::BalancerStatus* b = st::find_balancer(m, "oxcluster");
    ck_assert_ptr_eq(b, &m.balancers[0]);
    ck_assert_ptr_null(st::find_balancer(m, "OXCLUSTER"));
    ck_assert_ptr_null(st::find_balancer(m, ""));
    ck_assert_ptr_eq(st::find_member(*b, "ajp://10.0.0.1:8009"), &b->members[0]);
    ck_assert_ptr_eq(st::find_member(*b, "OX1"), &b->members[0]);
    ck_assert_ptr_eq(st::find_member(*b, "ajp://10.0.0.2:8009"), &b->members[1]);
    ck_assert_ptr_null(st::find_member(*b, ""));  // not the member without a route
    ck_assert_ptr_null(st::find_member(*b, "OX1S"));  // another balancer's route
    ck_assert_ptr_null(st::find_member(*b, "ox1"));
    const st::BalancerStatus* sync = st::find_balancer(m, "oxcluster_sync");
    ck_assert_ptr_eq(st::find_member(*sync, "ajp://10.0.0.1:8009"), &sync->members[0]);
}
END_TEST

// ---- the nonce ----------------------------------------------------------------

// RFC 4231 test cases 1, 2 and 6 (the last: a key longer than the block).
START_TEST(hmac_rfc4231)
{
    unsigned char mac[32];
    ck_assert(st::hmac_sha256(std::string(20, '\x0b'), "Hi There", mac));
    CK_ASSERT_STRING_EQ(no_spaces(hex_of(mac)), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    ck_assert(st::hmac_sha256("Jefe", "what do ya want for nothing?", mac));
    CK_ASSERT_STRING_EQ(no_spaces(hex_of(mac)), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    ck_assert(st::hmac_sha256(std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First", mac));
    CK_ASSERT_STRING_EQ(no_spaces(hex_of(mac)), "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}
END_TEST

// Our own vectors (computed independently with Python's hmac): the message
// layout actions.h documents, for an IPv4 and an IPv6 client.
START_TEST(nonce_known_answers)
{
    const std::string secret = test_secret();
    CK_ASSERT_STRING_EQ(st::make_nonce(secret, "192.0.2.1", 2858000),
                        "5cdc19293816b56292a9291581f26e11a3fed800c80922d391e23ee5c6da0e68");
    CK_ASSERT_STRING_EQ(st::make_nonce(secret, "2001:db8::1", 2858000),
                        "9460a678b6d1838eaa2f00cdbba3e421fd32f03bf12087735b9bd3e45acdf51b");
    CK_ASSERT_STRING_EQ(st::make_nonce(secret, "192.0.2.1", 2857999),
                        "e8b06c4b6037cb1c8c7427e41701491aa25c5f4638b2798cbaa7097e3ee4507f");
    // The same through the primitive, from the documented layout.
    std::string msg("oxbalance-status-nonce/1\0\0\0\0\0\0\x2b\x9c\x10" "192.0.2.1", 25 + 8 + 9);
    unsigned char mac[32];
    ck_assert(st::hmac_sha256(secret, msg, mac));
    CK_ASSERT_STRING_EQ(no_spaces(hex_of(mac)), "5cdc19293816b56292a9291581f26e11a3fed800c80922d391e23ee5c6da0e68");
    // The fixed-buffer form agrees.
    char buf[st::kNonceChars + 1];
    ck_assert(st::make_nonce(secret, "192.0.2.1", 2858000, buf));
    ck_assert_str_eq(buf, "5cdc19293816b56292a9291581f26e11a3fed800c80922d391e23ee5c6da0e68");
}
END_TEST

START_TEST(nonce_windows)
{
    ck_assert_uint_eq(st::nonce_window(1714566896, 600), 2857611);
    ck_assert_uint_eq(st::nonce_window(1714566600, 600), 2857611);
    ck_assert_uint_eq(st::nonce_window(1714566599, 600), 2857610);
    ck_assert_uint_eq(st::nonce_window(-5, 600), 0);
    ck_assert_uint_eq(st::nonce_window(42, 0), 42);

    const std::string secret = test_secret();
    const std::uint64_t w = 2858000;
    std::string n = st::make_nonce(secret, "192.0.2.1", w);
    // Good in its window and the next, not before (a clock that went back)
    // and not after.
    ck_assert(st::check_nonce(secret, "192.0.2.1", w, n) == NonceCheck::valid);
    ck_assert(st::check_nonce(secret, "192.0.2.1", w + 1, n) == NonceCheck::valid);
    ck_assert(st::check_nonce(secret, "192.0.2.1", w + 2, n) == NonceCheck::stale);
    ck_assert(st::check_nonce(secret, "192.0.2.1", w + 1 + st::kStaleWindows, n) == NonceCheck::stale);
    ck_assert(st::check_nonce(secret, "192.0.2.1", w + 2 + st::kStaleWindows, n) == NonceCheck::invalid);
    ck_assert(st::check_nonce(secret, "192.0.2.1", w - 1, n) == NonceCheck::invalid);
    // Window 0 has no previous window.
    std::string n0 = st::make_nonce(secret, "192.0.2.1", 0);
    ck_assert(st::check_nonce(secret, "192.0.2.1", 0, n0) == NonceCheck::valid);
    ck_assert(st::check_nonce(secret, "192.0.2.1", 1, n0) == NonceCheck::valid);
    ck_assert(st::check_nonce(secret, "192.0.2.1", 2, n0) == NonceCheck::stale);
}
END_TEST

// Every nonce that is not this server's for this client now is refused.
START_TEST(nonce_refused)
{
    const std::string secret = test_secret();
    const std::uint64_t w = 2858000;
    const std::string n = st::make_nonce(secret, "192.0.2.1", w);
    auto check = [&](std::string_view nonce) { return st::check_nonce(secret, "192.0.2.1", w, nonce); };

    // Foreign: another client's, another server's (secret), a secret that
    // differs in its last byte.
    ck_assert(st::check_nonce(secret, "192.0.2.2", w, n) == NonceCheck::invalid);
    ck_assert(st::check_nonce(secret, "192.0.2.10", w, n) == NonceCheck::invalid);
    ck_assert(st::check_nonce(secret, "::ffff:192.0.2.1", w, n) == NonceCheck::invalid);
    std::string other = secret;
    other.back() = '\x20';
    ck_assert(st::check_nonce(other, "192.0.2.1", w, n) == NonceCheck::invalid);
    ck_assert(check(st::make_nonce(other, "192.0.2.1", w)) == NonceCheck::invalid);

    // Forged: every single hex digit changed.
    for (std::size_t i = 0; i < n.size(); ++i) {
        std::string f = n;
        f[i] = f[i] == '0' ? '1' : '0';
        ck_assert_msg(check(f) == NonceCheck::invalid, "digit %zu changed", i);
    }
    ck_assert(check(std::string(64, '0')) == NonceCheck::invalid);

    // Malformed: missing, truncated, too long, upper case, not hex.
    ck_assert(check("") == NonceCheck::malformed);
    ck_assert(check(n.substr(0, 63)) == NonceCheck::malformed);
    ck_assert(check(n.substr(0, 32)) == NonceCheck::malformed);
    ck_assert(check(n + "0") == NonceCheck::malformed);
    std::string upper = n;
    for (char& c : upper)
        if (c >= 'a' && c <= 'f') c = static_cast<char>(c - 'a' + 'A');
    ck_assert(upper != n);
    ck_assert(check(upper) == NonceCheck::malformed);
    std::string nul = n;
    nul[10] = '\0';
    ck_assert(check(nul) == NonceCheck::malformed);
    ck_assert(check(std::string(64, 'g')) == NonceCheck::malformed);

    // No nonce from a short secret, and none checks out against it.
    std::string weak(st::kMinSecretBytes - 1, 'k');
    char buf[st::kNonceChars + 1] = "x";
    ck_assert(!st::make_nonce(weak, "192.0.2.1", w, buf));
    ck_assert_str_eq(buf, "");
    CK_ASSERT_STRING_EQ(st::make_nonce(weak, "192.0.2.1", w), "");
    ck_assert(st::check_nonce(weak, "192.0.2.1", w, n) == NonceCheck::invalid);
    ck_assert(st::check_nonce("", "192.0.2.1", w, n) == NonceCheck::invalid);
    // A client text too long for the message: no nonce.
    ck_assert(!st::make_nonce(secret, std::string(257, 'a'), w, buf));
    ck_assert(st::make_nonce(secret, std::string(256, 'a'), w, buf));

    // The reasons, in words.
    ck_assert(contains(st::to_string(NonceCheck::stale), "reload"));
}
END_TEST

START_TEST(secrets)
{
    unsigned char a[st::kSecretBytes] = {}, b[st::kSecretBytes] = {};
    ck_assert(st::make_secret(a, sizeof a));
    ck_assert(st::make_secret(b, sizeof b));
    ck_assert(std::memcmp(a, b, sizeof a) != 0);
    int zeros = 0;
    for (unsigned char c : a) zeros += c == 0;
    ck_assert_int_lt(zeros, 8);
}
END_TEST

int main()
{
    Suite* s = suite_create("status_actions");
    TCase* tc = tcase_create("status_actions");
    tcase_add_test(tc, form_from_the_page);
    tcase_add_test(tc, form_decoding);
    tcase_add_test(tc, form_refused);
    tcase_add_test(tc, action_meaning);
    tcase_add_test(tc, find_target);
    tcase_add_test(tc, hmac_rfc4231);
    tcase_add_test(tc, nonce_known_answers);
    tcase_add_test(tc, nonce_windows);
    tcase_add_test(tc, nonce_refused);
    tcase_add_test(tc, secrets);
    suite_add_tcase(s, tc);
    return unit::run_suite(s);
}
