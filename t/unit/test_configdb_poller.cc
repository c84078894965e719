// The configdb poller against a fake Store and a manual clock: what it
// publishes, that an outage is reported once and its end once, the backoff
// schedule, that the last good state is kept (nothing published while
// down), that unknown members are reported once each, create=on, and that
// run() stops promptly.
#include <algorithm>
#include <chrono>
#include <deque>
#include <string>
#include <thread>
#include <vector>

#include "configdb/poller.h"
#include "unit_util.h"

using namespace ox::configdb;
using ox::AdminState;
using ox::ManualTimeSource;
using ox::Millis;
using ox::TimePoint;

namespace {

MemberStateRow row(const char* b, const char* r, AdminState a, unsigned lf = 0)
{
    MemberStateRow m;
    m.balancer = b;
    m.route = r;
    m.admin = a;
    m.loadfactor = lf;
    m.version = 1;
    return m;
}

// Answers load() from a script: each entry is rows, or an error.
class FakeStore final : public Store {
public:
    struct Answer {
        bool ok;
        std::vector<MemberStateRow> rows;
        std::string err;
    };
    std::deque<Answer> answers;
    Answer fallback{true, {}, {}};  // when the script is used up
    int loads = 0;
    int schema_calls = 0;
    bool schema_ok = true;

    void up(std::vector<MemberStateRow> rows) { answers.push_back({true, std::move(rows), {}}); }
    void down(std::string err) { answers.push_back({false, {}, std::move(err)}); }

    bool load(std::vector<MemberStateRow>& out, std::string& err) override
    {
        ++loads;
        Answer a = fallback;
        if (!answers.empty()) {
            a = answers.front();
            answers.pop_front();
        }
        if (!a.ok) {
            err = a.err;
            return false;
        }
        out = a.rows;
        return true;
    }
    bool apply(const Change&, std::string& err) override
    {
        err = "not in this fake";
        return false;
    }
    bool history(const HistoryQuery&, std::vector<HistoryRow>&, std::string& err) override
    {
        err = "not in this fake";
        return false;
    }
    bool ensure_schema(std::string& err) override
    {
        ++schema_calls;
        if (!schema_ok) err = "CREATE command denied";
        return schema_ok;
    }

    // announce(): each call as "frontend: balancer/route ..."; fails with
    // announce_error while that is set.
    std::vector<std::string> announced;
    std::string announce_error;
    bool announce_throws = false;
    bool announce(const std::string& frontend, const std::vector<MemberKey>& members, std::string& err) override
    {
        std::string call = frontend + ":";
        for (const MemberKey& m : members) call += " " + m.balancer + "/" + m.route;
        announced.push_back(call);
        if (announce_throws) throw std::bad_alloc();
        if (announce_error.empty()) return true;
        err = announce_error;
        return false;
    }
    bool served(std::vector<ServedMember>&, std::string& err) override
    {
        err = "not in this fake";
        return false;
    }
};

// Records every call in order: "P2" (publish, 2 rows), "O:msg", "R",
// "U:balancer/route", "A:msg" (announcing failed), "N3" (3 members
// announced).
class RecordingPublisher final : public Publisher {
public:
    std::vector<std::string> events;
    std::vector<MemberStateRow> last_rows;
    TimePoint last_fetched{};
    int publishes = 0;

    void publish(const std::vector<MemberStateRow>& rows, TimePoint fetched) noexcept override
    {
        events.push_back("P" + std::to_string(rows.size()));
        last_rows = rows;
        last_fetched = fetched;
        ++publishes;
    }
    void outage(const std::string& msg) noexcept override { events.push_back("O:" + msg); }
    void recovered() noexcept override { events.push_back("R"); }
    void unknown_member(const std::string& b, const std::string& r) noexcept override
    {
        events.push_back("U:" + b + "/" + r);
    }
    // unknown_rows() comes after every good read: kept apart from events,
    // the last call as "balancer/route ...".
    std::string unknown;
    int unknown_calls = 0;
    void unknown_rows(const std::vector<MemberKey>& keys) noexcept override
    {
        unknown.clear();
        for (const MemberKey& k : keys) unknown += (unknown.empty() ? "" : " ") + k.balancer + "/" + k.route;
        ++unknown_calls;
    }
    void announce_failed(const std::string& msg) noexcept override { events.push_back("A:" + msg); }
    void announced(std::size_t members) noexcept override { events.push_back("N" + std::to_string(members)); }
    std::string joined() const
    {
        std::string s;
        for (const std::string& e : events) s += (s.empty() ? "" : " ") + e;
        return s;
    }
};

PollerOptions options(unsigned poll_seconds = 5)
{
    PollerOptions o;
    o.poll = std::chrono::seconds(poll_seconds);
    o.known = {{"oxcluster", "OX1"}, {"oxcluster", "OX2"}, {"oxcluster_sync", "OX1"}};
    return o;
}

// options(), announcing as `frontend`.
PollerOptions announcing(const char* frontend)
{
    PollerOptions o = options();
    o.frontend = frontend;
    return o;
}

long ms(Millis d) { return static_cast<long>(d.count()); }

}  // namespace

START_TEST(publishes_each_successful_poll_with_its_time)
{
    FakeStore store;
    RecordingPublisher pub;
    ManualTimeSource clock;
    clock.advance(Millis(12345));
    Poller p(store, pub, clock, options());
    store.up({row("oxcluster", "OX1", AdminState::draining), row("oxcluster", "OX2", AdminState::active, 30)});
    ck_assert_int_eq(ms(p.poll_once()), 5000);
    CK_ASSERT_STRING_EQ(pub.joined(), "P2");
    ck_assert(pub.last_fetched == clock.now());
    ck_assert(p.last_success() == clock.now());
    ck_assert(*pub.last_rows[0].admin == AdminState::draining);
    ck_assert_uint_eq(pub.last_rows[1].loadfactor, 30);

    // Every poll publishes, also when nothing changed (the age moves on).
    clock.advance(Millis(5000));
    store.up({row("oxcluster", "OX1", AdminState::draining)});
    ck_assert_int_eq(ms(p.poll_once()), 5000);
    CK_ASSERT_STRING_EQ(pub.joined(), "P2 P1");
    ck_assert(pub.last_fetched == clock.now());
}
END_TEST

START_TEST(outage_reported_once_and_recovery_once)
{
    FakeStore store;
    RecordingPublisher pub;
    ManualTimeSource clock;
    Poller p(store, pub, clock, options());
    store.up({row("oxcluster", "OX1", AdminState::disabled)});
    p.poll_once();
    TimePoint good = pub.last_fetched;
    for (int i = 0; i < 6; ++i) store.down(i < 3 ? "configdb read host db:3306: gone" : "another reason");
    for (int i = 0; i < 6; ++i) {
        clock.advance(Millis(1000));
        p.poll_once();
    }
    CK_ASSERT_STRING_EQ(pub.joined(), "P1 O:configdb read host db:3306: gone");
    ck_assert(p.in_outage());
    ck_assert_uint_eq(p.failures(), 6);
    // The last good state is kept: nothing was published while down.
    ck_assert_int_eq(pub.publishes, 1);
    ck_assert(p.last_success() == good);
    ck_assert(*pub.last_rows[0].admin == AdminState::disabled);

    store.up({row("oxcluster", "OX1", AdminState::active)});
    store.up({row("oxcluster", "OX1", AdminState::active)});
    ck_assert_int_eq(ms(p.poll_once()), 5000);
    p.poll_once();
    CK_ASSERT_STRING_EQ(pub.joined(), "P1 O:configdb read host db:3306: gone P1 R P1");
    ck_assert(!p.in_outage());
    ck_assert_uint_eq(p.failures(), 0);

    // A second outage is reported again.
    store.down("again");
    p.poll_once();
    store.up({});
    p.poll_once();
    CK_ASSERT_STRING_EQ(pub.joined(), "P1 O:configdb read host db:3306: gone P1 R P1 O:again P0 R");
}
END_TEST

START_TEST(down_from_the_start)
{
    FakeStore store;
    RecordingPublisher pub;
    ManualTimeSource clock;
    Poller p(store, pub, clock, options());
    store.down("table oxbalance_member_state does not exist: run conf/configdb-schema.sql or set create=on");
    store.down("x");
    p.poll_once();
    p.poll_once();
    CK_ASSERT_STRING_EQ(pub.joined(),
                        "O:table oxbalance_member_state does not exist: run conf/configdb-schema.sql or set create=on");
    ck_assert(p.last_success() == TimePoint{});
    store.up({});
    p.poll_once();
    CK_ASSERT_STRING_EQ(pub.joined(),
                        "O:table oxbalance_member_state does not exist: run conf/configdb-schema.sql or set "
                        "create=on P0 R");
}
END_TEST

START_TEST(backoff_schedule)
{
    FakeStore store;
    RecordingPublisher pub;
    ManualTimeSource clock;
    // poll=5: 1 2 4 8 16 then the cap poll x 4 = 20 s.
    Poller p(store, pub, clock, options(5));
    std::vector<long> got;
    for (int i = 0; i < 8; ++i) {
        store.down("down");
        got.push_back(ms(p.poll_once()));
    }
    std::vector<long> want{1000, 2000, 4000, 8000, 16000, 20000, 20000, 20000};
    ck_assert(got == want);
    // Back to the poll interval after a success, and the backoff restarts.
    store.up({});
    ck_assert_int_eq(ms(p.poll_once()), 5000);
    store.down("down");
    ck_assert_int_eq(ms(p.poll_once()), 1000);

    // poll=30: the cap is 60 s, not 120 s.
    Poller q(store, pub, clock, options(30));
    ck_assert_int_eq(ms(q.backoff(1)), 1000);
    ck_assert_int_eq(ms(q.backoff(6)), 32000);
    ck_assert_int_eq(ms(q.backoff(7)), 60000);
    ck_assert_int_eq(ms(q.backoff(1000)), 60000);
    // poll=1: the cap is 4 s.
    Poller r(store, pub, clock, options(1));
    ck_assert_int_eq(ms(r.backoff(2)), 2000);
    ck_assert_int_eq(ms(r.backoff(3)), 4000);
    ck_assert_int_eq(ms(r.backoff(50)), 4000);
}
END_TEST

START_TEST(unknown_members_reported_once_each_and_left_out)
{
    FakeStore store;
    RecordingPublisher pub;
    ManualTimeSource clock;
    Poller p(store, pub, clock, options());
    auto rows = std::vector<MemberStateRow>{row("oxcluster", "OX1", AdminState::draining),
                                            row("oxcluster", "OX9", AdminState::disabled),
                                            row("nocluster", "OX1", AdminState::disabled),
                                            row("oxcluster_sync", "OX1", AdminState::standby)};
    store.up(rows);
    store.up(rows);
    p.poll_once();
    p.poll_once();
    CK_ASSERT_STRING_EQ(pub.joined(), "U:oxcluster/OX9 U:nocluster/OX1 P2 P2");
    ck_assert_uint_eq(pub.last_rows.size(), 2);
    CK_ASSERT_STRING_EQ(pub.last_rows[0].route, "OX1");
    CK_ASSERT_STRING_EQ(pub.last_rows[1].balancer, "oxcluster_sync");
    // The poller goes on: an unknown member is never fatal.
    ck_assert(!p.in_outage());
    // Every read tells which rows it ignored (for the status page), sorted;
    // a row removed (oxbalancectl forget) is gone at the next read.
    ck_assert_int_eq(pub.unknown_calls, 2);
    CK_ASSERT_STRING_EQ(pub.unknown, "nocluster/OX1 oxcluster/OX9");
    rows.erase(rows.begin() + 1);
    store.up(rows);
    p.poll_once();
    CK_ASSERT_STRING_EQ(pub.unknown, "nocluster/OX1");
    store.down("gone");
    p.poll_once();
    ck_assert_int_eq(pub.unknown_calls, 3);  // not on a failed read
}
END_TEST

START_TEST(create_on_runs_the_schema_until_it_succeeds)
{
    FakeStore store;
    RecordingPublisher pub;
    ManualTimeSource clock;
    PollerOptions o = options();
    o.create = true;
    Poller p(store, pub, clock, o);
    store.schema_ok = false;
    store.down("table oxbalance_member_state does not exist");
    p.poll_once();
    ck_assert_int_eq(store.schema_calls, 1);
    ck_assert_msg(pub.joined().find("O:cannot create the tables (create=on): CREATE command denied; table") == 0, "%s",
                  pub.joined().c_str());
    store.schema_ok = true;
    p.poll_once();
    p.poll_once();
    ck_assert_int_eq(store.schema_calls, 2);  // not again once it worked
    // Without create=on the schema is never touched.
    FakeStore other;
    Poller q(other, pub, clock, options());
    q.poll_once();
    ck_assert_int_eq(other.schema_calls, 0);
}
END_TEST

START_TEST(a_throwing_store_counts_as_a_failed_poll)
{
    class Throwing final : public Store {
    public:
        bool load(std::vector<MemberStateRow>&, std::string&) override { throw std::bad_alloc(); }
        bool apply(const Change&, std::string&) override { return false; }
        bool history(const HistoryQuery&, std::vector<HistoryRow>&, std::string&) override { return false; }
        bool ensure_schema(std::string&) override { return false; }
        bool announce(const std::string&, const std::vector<MemberKey>&, std::string&) override { return false; }
        bool served(std::vector<ServedMember>&, std::string&) override { return false; }
    } store;
    RecordingPublisher pub;
    ManualTimeSource clock;
    Poller p(store, pub, clock, options());
    ck_assert_int_eq(ms(p.poll_once()), 1000);
    ck_assert_int_eq(ms(p.poll_once()), 2000);
    CK_ASSERT_STRING_EQ(pub.joined(), "O:configdb poll failed: out of memory");
}
END_TEST

START_TEST(run_stops_promptly_and_poll_now_wakes_it)
{
    FakeStore store;
    RecordingPublisher pub;  // written by the poller thread only while it runs
    ox::SteadyTimeSource clock;
    PollerOptions o = options(3600);
    Poller p(store, pub, clock, o);
    std::thread t([&] { p.run(); });
    // The first poll happens at once; then it waits an hour unless woken.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (store.loads < 1 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(Millis(5));
    p.poll_now();
    while (store.loads < 2 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(Millis(5));
    auto before = std::chrono::steady_clock::now();
    p.stop();
    t.join();
    auto took = std::chrono::steady_clock::now() - before;
    ck_assert_int_ge(store.loads, 2);
    ck_assert_msg(took < std::chrono::seconds(2), "stop took %ld ms",
                  static_cast<long>(std::chrono::duration_cast<Millis>(took).count()));
}
END_TEST

START_TEST(stop_before_run_returns_at_once)
{
    FakeStore store;
    RecordingPublisher pub;
    ox::SteadyTimeSource clock;
    Poller p(store, pub, clock, options(3600));
    p.stop();
    p.run();
    ck_assert_int_eq(store.loads, 0);
}
END_TEST

START_TEST(announces_after_the_first_good_poll_then_hourly)
{
    FakeStore store;
    RecordingPublisher pub;
    ManualTimeSource clock;
    Poller p(store, pub, clock, announcing("fe1.example.com:/etc/apache2"));
    // Not while the database is down: nothing is announced, nothing said.
    store.down("gone");
    p.poll_once();
    ck_assert_uint_eq(store.announced.size(), 0);
    p.poll_once();
    CK_ASSERT_STRING_EQ(store.announced.at(0),
                        "fe1.example.com:/etc/apache2: oxcluster/OX1 oxcluster/OX2 oxcluster_sync/OX1");
    // Within the hour, polls do not announce again.
    for (int i = 0; i < 10; ++i) {
        clock.advance(Millis(5 * 60 * 1000));
        p.poll_once();
    }
    ck_assert_uint_eq(store.announced.size(), 1);
    clock.advance(Millis(10 * 60 * 1000));
    p.poll_once();
    ck_assert_uint_eq(store.announced.size(), 2);
    ck_assert(pub.joined().find("A:") == std::string::npos);
    // Each success is said (the status page shows when), after the poll's
    // publish.
    CK_ASSERT_STRING_EQ(pub.events.at(3), "N3");
    ck_assert_int_eq(std::count(pub.events.begin(), pub.events.end(), "N3"), 2);
}
END_TEST

START_TEST(a_failed_announcement_is_said_once_and_retried_every_minute)
{
    FakeStore store;
    RecordingPublisher pub;
    ManualTimeSource clock;
    Poller p(store, pub, clock, announcing("fe1:/srv/httpd"));
    store.announce_error = "INSERT command denied to user 'oxbalance'";
    p.poll_once();
    ck_assert_uint_eq(store.announced.size(), 1);
    // Retried after a minute, not at every poll; said once.
    for (int i = 0; i < 11; ++i) {
        clock.advance(Millis(5000));
        p.poll_once();
    }
    ck_assert_uint_eq(store.announced.size(), 1);
    clock.advance(Millis(5000));
    p.poll_once();
    ck_assert_uint_eq(store.announced.size(), 2);
    CK_ASSERT_STRING_EQ(pub.joined(), "P0 A:INSERT command denied to user 'oxbalance' P0 P0 P0 P0 P0 P0 P0 P0 P0 P0 P0 P0");
    // The member states were published all along, and no outage said.
    ck_assert(!p.in_outage());
    // It succeeds, then fails again: said again.
    store.announce_error.clear();
    clock.advance(Millis(60000));
    p.poll_once();
    ck_assert_uint_eq(store.announced.size(), 3);
    CK_ASSERT_STRING_EQ(pub.events.back(), "N3");
    store.announce_error = "table gone";
    clock.advance(Millis(3600 * 1000));
    p.poll_once();
    ck_assert_uint_eq(store.announced.size(), 4);
    CK_ASSERT_STRING_EQ(pub.events.back(), "A:table gone");
}
END_TEST

START_TEST(a_throwing_announcement_is_not_an_outage)
{
    FakeStore store;
    RecordingPublisher pub;
    ManualTimeSource clock;
    Poller p(store, pub, clock, announcing("fe1:/etc/apache2"));
    store.announce_throws = true;
    ck_assert_int_eq(ms(p.poll_once()), 5000);
    ck_assert(!p.in_outage());
    CK_ASSERT_STRING_EQ(pub.joined(), "P0");
    // Tried again at the next poll.
    store.announce_throws = false;
    p.poll_once();
    ck_assert_uint_eq(store.announced.size(), 2);
}
END_TEST

START_TEST(no_frontend_announces_nothing)
{
    FakeStore store;
    RecordingPublisher pub;
    ManualTimeSource clock;
    Poller p(store, pub, clock, options());
    p.poll_once();
    clock.advance(Millis(2 * 3600 * 1000));
    p.poll_once();
    ck_assert_uint_eq(store.announced.size(), 0);
}
END_TEST

int main()
{
    Suite* s = suite_create("configdb_poller");
    TCase* tc = tcase_create("poll");
    tcase_add_test(tc, publishes_each_successful_poll_with_its_time);
    tcase_add_test(tc, outage_reported_once_and_recovery_once);
    tcase_add_test(tc, down_from_the_start);
    tcase_add_test(tc, backoff_schedule);
    tcase_add_test(tc, unknown_members_reported_once_each_and_left_out);
    tcase_add_test(tc, create_on_runs_the_schema_until_it_succeeds);
    tcase_add_test(tc, a_throwing_store_counts_as_a_failed_poll);
    tcase_add_test(tc, announces_after_the_first_good_poll_then_hourly);
    tcase_add_test(tc, a_failed_announcement_is_said_once_and_retried_every_minute);
    tcase_add_test(tc, a_throwing_announcement_is_not_an_outage);
    tcase_add_test(tc, no_frontend_announces_nothing);
    suite_add_tcase(s, tc);
    tc = tcase_create("thread");
    tcase_add_test(tc, run_stops_promptly_and_poll_now_wakes_it);
    tcase_add_test(tc, stop_before_run_returns_at_once);
    suite_add_tcase(s, tc);
    return unit::run_suite(s);
}
