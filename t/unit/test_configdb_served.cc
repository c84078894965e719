// oxbalancectl's question before a change: does some front end serve the
// member? From the front ends' announcements (oxbalance_frontend_member):
// served, an unknown route (with the balancer's routes), an unknown
// balancer (with the balancers), or not checkable (nothing announced in
// the last day).
#include <string>
#include <vector>

#include "configdb/served.h"
#include "unit_util.h"

using namespace ox::configdb;

namespace {

constexpr std::int64_t kNow = 1800000000;

ServedMember served(const char* fe, const char* b, const char* r, std::int64_t age = 60)
{
    return {fe, b, r, kNow - age};
}

std::string joined(const std::vector<std::string>& v)
{
    std::string s;
    for (const std::string& x : v) s += (s.empty() ? "" : ",") + x;
    return s;
}

const std::vector<ServedMember> kTwoFrontends = {
    served("fe1:/etc/apache2", "oxcluster", "OX1"), served("fe1:/etc/apache2", "oxcluster", "OX2"),
    served("fe2:/etc/apache2", "oxcluster", "OX1"), served("fe2:/etc/apache2", "oxcluster", "OX3"),
    served("fe2:/etc/apache2", "oxcluster_sync", "OX1"),
};

}  // namespace

START_TEST(a_route_one_front_end_serves_is_served)
{
    RouteCheck c = check_route(kTwoFrontends, "oxcluster", "OX3", kNow);
    ck_assert(c.verdict == RouteCheck::Verdict::served);
    ck_assert_uint_eq(c.frontends, 2);
}
END_TEST

START_TEST(an_unknown_route_names_the_balancers_routes)
{
    RouteCheck c = check_route(kTwoFrontends, "oxcluster", "OX4", kNow);
    ck_assert(c.verdict == RouteCheck::Verdict::unknown_route);
    CK_ASSERT_STRING_EQ(joined(c.known), "OX1,OX2,OX3");
    // Routes are compared as they are written (the table's collation is binary).
    c = check_route(kTwoFrontends, "oxcluster", "ox1", kNow);
    ck_assert(c.verdict == RouteCheck::Verdict::unknown_route);
    // A route of another balancer is not this balancer's.
    c = check_route({served("fe1", "a", "OX1"), served("fe1", "b", "OX2")}, "a", "OX2", kNow);
    ck_assert(c.verdict == RouteCheck::Verdict::unknown_route);
    CK_ASSERT_STRING_EQ(joined(c.known), "OX1");
}
END_TEST

START_TEST(an_unknown_balancer_names_the_balancers)
{
    RouteCheck c = check_route(kTwoFrontends, "oxclustr", "OX1", kNow);
    ck_assert(c.verdict == RouteCheck::Verdict::unknown_balancer);
    CK_ASSERT_STRING_EQ(joined(c.known), "oxcluster,oxcluster_sync");
    ck_assert_uint_eq(c.frontends, 2);
}
END_TEST

START_TEST(announcements_older_than_a_day_do_not_count)
{
    std::vector<ServedMember> rows = {served("gone", "oxcluster", "OX9", kServedMaxAgeSeconds + 1),
                                      served("fe1", "oxcluster", "OX1", kServedMaxAgeSeconds - 1)};
    RouteCheck c = check_route(rows, "oxcluster", "OX9", kNow);
    ck_assert(c.verdict == RouteCheck::Verdict::unknown_route);
    CK_ASSERT_STRING_EQ(joined(c.known), "OX1");
    ck_assert_uint_eq(c.frontends, 1);
    c = check_route(rows, "oxcluster", "OX1", kNow);
    ck_assert(c.verdict == RouteCheck::Verdict::served);
}
END_TEST

START_TEST(nothing_announced_lately_cannot_be_checked)
{
    ck_assert(check_route({}, "oxcluster", "OX1", kNow).verdict == RouteCheck::Verdict::unchecked);
    RouteCheck c = check_route({served("fe1", "oxcluster", "OX1", 2 * kServedMaxAgeSeconds)}, "oxcluster", "OX2", kNow);
    ck_assert(c.verdict == RouteCheck::Verdict::unchecked);
    ck_assert_uint_eq(c.frontends, 0);
}
END_TEST

START_TEST(frontends_seen_counts_each_front_ends_members_of_the_last_day)
{
    std::vector<ServedMember> rows = kTwoFrontends;
    rows.push_back(served("gone:/etc/apache2", "oxcluster", "OX1", kServedMaxAgeSeconds + 1));
    rows.push_back(served("fe1:/etc/apache2", "oxcluster_sync", "OX1", 10));
    std::vector<FrontendSeen> f = frontends_seen(rows, kNow);
    ck_assert_uint_eq(f.size(), 2);
    CK_ASSERT_STRING_EQ(f[0].frontend, "fe1:/etc/apache2");
    ck_assert_uint_eq(f[0].members, 3);
    ck_assert_int_eq(f[0].seen_at, kNow - 10);  // its newest row
    CK_ASSERT_STRING_EQ(f[1].frontend, "fe2:/etc/apache2");
    ck_assert_uint_eq(f[1].members, 3);
    ck_assert_uint_eq(frontends_seen({}, kNow).size(), 0);
}
END_TEST

// oxbalancectl list: how many front ends serve each row's member.
START_TEST(frontends_per_member_counts_the_last_day)
{
    std::vector<ServedMember> rows = kTwoFrontends;
    rows.push_back(served("gone:/srv", "oxcluster", "OX2", kServedMaxAgeSeconds + 60));
    rows.push_back(served("gone:/srv", "oxcluster", "OX9", kServedMaxAgeSeconds + 60));
    auto n = frontends_per_member(rows, kNow);
    ck_assert_uint_eq(n.size(), 4);
    ck_assert_uint_eq(n.at(MemberKey{"oxcluster", "OX1"}), 2);
    ck_assert_uint_eq(n.at(MemberKey{"oxcluster", "OX2"}), 1);
    ck_assert_uint_eq(n.at(MemberKey{"oxcluster", "OX3"}), 1);
    ck_assert_uint_eq(n.at(MemberKey{"oxcluster_sync", "OX1"}), 1);
    ck_assert(n.count(MemberKey{"oxcluster", "OX9"}) == 0);
}
END_TEST

int main()
{
    Suite* s = suite_create("configdb_served");
    TCase* tc = tcase_create("check_route");
    tcase_add_test(tc, a_route_one_front_end_serves_is_served);
    tcase_add_test(tc, an_unknown_route_names_the_balancers_routes);
    tcase_add_test(tc, an_unknown_balancer_names_the_balancers);
    tcase_add_test(tc, announcements_older_than_a_day_do_not_count);
    tcase_add_test(tc, nothing_announced_lately_cannot_be_checked);
    tcase_add_test(tc, frontends_seen_counts_each_front_ends_members_of_the_last_day);
    tcase_add_test(tc, frontends_per_member_counts_the_last_day);
    suite_add_tcase(s, tc);
    return unit::run_suite(s);
}
