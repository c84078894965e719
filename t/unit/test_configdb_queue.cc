// The configdb shared block: the status page's write queue (enqueue, the
// consumer's order, results handed back, a producer that stops waiting, a
// full queue, entries left behind, a write whose process ended), the
// members with changes pending, and the shared text.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <new>
#include <string>
#include <thread>

#include "configdb/shared_block.h"
#include "unit_util.h"

using namespace ox::configdb;
using ox::AdminState;
using ox::Millis;

namespace {

struct Block {
    void* mem = ::operator new(sizeof(SharedBlock), std::align_val_t{alignof(SharedBlock)});
    SharedBlock* b = format_block(mem);
    ~Block() { ::operator delete(mem, std::align_val_t{alignof(SharedBlock)}); }
};

Change change(const char* route, AdminState a)
{
    Change c;
    c.balancer = "oxcluster";
    c.route = route;
    c.admin = a;
    c.frontend = "fe1";
    c.client = "10.0.0.1";
    c.tool = "status-page";
    return c;
}

}  // namespace

START_TEST(format_and_attach)
{
    Block blk;
    ck_assert_ptr_nonnull(blk.b);
    ck_assert_ptr_eq(attach_block(blk.mem), blk.b);
    blk.b->version = 99;
    ck_assert_ptr_null(attach_block(blk.mem));
}
END_TEST

// The ignored rows the status page lists: whole lines only, back as given.
START_TEST(member_lines_round_trip_and_cut_at_a_whole_line)
{
    std::vector<MemberKey> keys = {{"cdb", "OX9"}, {"no such", "OX-1"}, {"b\tx", "r"}};
    auto back = parse_member_lines(member_lines(keys));
    ck_assert_uint_eq(back.size(), 3);
    CK_ASSERT_STRING_EQ(back[1].balancer, "no such");
    CK_ASSERT_STRING_EQ(back[1].route, "OX-1");
    CK_ASSERT_STRING_EQ(back[2].balancer, "b\tx");  // the route is after the last tab
    std::vector<MemberKey> many;
    for (int i = 0; i < 40; ++i) many.push_back({"oxcluster", "OX" + std::to_string(i)});
    std::string text = member_lines(many);
    ck_assert_uint_le(text.size(), kSharedTextBytes - 1);
    ck_assert(!text.empty() && text.back() == '\n');
    auto some = parse_member_lines(text);
    ck_assert_uint_gt(some.size(), 5);
    ck_assert_uint_lt(some.size(), 40);
    CK_ASSERT_STRING_EQ(some.back().route, "OX" + std::to_string(some.size() - 1));
    // A text cut inside a line (as SharedText cuts) keeps the whole ones.
    ck_assert_uint_eq(parse_member_lines("a\tb\nc\td").size(), 1);
    ck_assert_uint_eq(parse_member_lines("").size(), 0);
}
END_TEST

START_TEST(changes_come_out_in_order_and_whole)
{
    Block blk;
    SharedBlock& b = *blk.b;
    Ticket t1 = enqueue(b, change("OX1", AdminState::draining), 1000);
    Change lf = change("OX2", AdminState::active);
    lf.admin.reset();
    lf.loadfactor = 7;
    Ticket t2 = enqueue(b, lf, 1001);
    ck_assert_int_ge(t1.entry, 0);
    ck_assert_int_ge(t2.entry, 0);
    ck_assert(t2.seq > t1.seq);
    std::vector<int> ready = ready_entries(b);
    ck_assert_int_eq(ready.size(), 2);
    ck_assert_int_eq(ready[0], t1.entry);
    Change got;
    ck_assert(begin_write(b, ready[0], got));
    ck_assert(!begin_write(b, ready[0], got));  // taken already
    ck_assert_str_eq(got.route.c_str(), "OX1");
    ck_assert(got.admin && *got.admin == AdminState::draining);
    ck_assert(!got.loadfactor);
    ck_assert_str_eq(got.frontend.c_str(), "fe1");
    ck_assert_str_eq(got.client.c_str(), "10.0.0.1");
    ck_assert_str_eq(got.tool.c_str(), "status-page");
    ck_assert(begin_write(b, ready[1], got));
    ck_assert(!got.admin);
    ck_assert(got.loadfactor && *got.loadfactor == 7);
}
END_TEST

START_TEST(results_reach_the_waiting_producer)
{
    Block blk;
    SharedBlock& b = *blk.b;
    Ticket t = enqueue(b, change("OX1", AdminState::disabled), 1000);
    std::thread consumer([&b] {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        for (int i : ready_entries(b)) {
            Change c;
            if (begin_write(b, i, c)) end_write(b, i, false, "configdb write host: gone", 2000);
        }
    });
    std::string result;
    WriteOutcome o = await(b, t, Millis(5000), result);
    consumer.join();
    ck_assert(o == WriteOutcome::failed);
    ck_assert_str_eq(result.c_str(), "configdb write host: gone");
    ck_assert_int_eq(b.entries[t.entry].phase.load(), static_cast<int>(EntryPhase::free));
}
END_TEST

START_TEST(a_producer_that_stops_waiting_leaves_it_to_the_consumer)
{
    Block blk;
    SharedBlock& b = *blk.b;
    Ticket t = enqueue(b, change("OX1", AdminState::draining), 1000);
    std::string result;
    auto before = std::chrono::steady_clock::now();
    ck_assert(await(b, t, Millis(100), result) == WriteOutcome::pending);
    ck_assert(std::chrono::steady_clock::now() - before < std::chrono::seconds(2));
    std::set<MemberKey> pending;
    bool unsure = true;
    pending_members(b, pending, unsure);
    ck_assert(!unsure);
    ck_assert_int_eq(pending.size(), 1);
    ck_assert_str_eq(pending.begin()->route.c_str(), "OX1");
    Change c;
    ck_assert(begin_write(b, t.entry, c));  // an orphan is still written
    end_write(b, t.entry, true, "", 2000);
    ck_assert_int_eq(b.entries[t.entry].phase.load(), static_cast<int>(EntryPhase::free));
    pending.clear();
    pending_members(b, pending, unsure);
    ck_assert(pending.empty());
}
END_TEST

START_TEST(a_full_queue_says_so)
{
    Block blk;
    SharedBlock& b = *blk.b;
    for (std::size_t i = 0; i < kQueueEntries; ++i) ck_assert_int_ge(enqueue(b, change("OX1", AdminState::active), 1).entry, 0);
    Ticket t = enqueue(b, change("OX1", AdminState::active), 1);
    ck_assert_int_eq(t.entry, -1);
    std::string result;
    ck_assert(await(b, t, Millis(10), result) == WriteOutcome::failed);
}
END_TEST

START_TEST(entries_left_behind_are_reclaimed)
{
    Block blk;
    SharedBlock& b = *blk.b;
    Ticket t = enqueue(b, change("OX1", AdminState::active), 1000);
    Change c;
    ck_assert(begin_write(b, t.entry, c));
    end_write(b, t.entry, true, "", 2000);  // its producer died: nobody fetches it
    reclaim(b, 30000);
    ck_assert_int_eq(b.entries[t.entry].phase.load(), static_cast<int>(EntryPhase::done_ok));
    reclaim(b, 70000);
    ck_assert_int_eq(b.entries[t.entry].phase.load(), static_cast<int>(EntryPhase::free));
    // One claimed and never filled makes pending_members unsure, until reclaimed.
    b.entries[3].phase.store(static_cast<std::uint32_t>(EntryPhase::claimed));
    b.entries[3].stamp_ms.store(1000);
    std::set<MemberKey> pending;
    bool unsure = false;
    pending_members(b, pending, unsure);
    ck_assert(unsure);
    reclaim(b, 70000);
    pending_members(b, pending, unsure);
    ck_assert(!unsure);
}
END_TEST

bool alive(std::int32_t) { return true; }
bool dead(std::int32_t) { return false; }

START_TEST(a_write_whose_process_ended_is_ended)
{
    Block blk;
    SharedBlock& b = *blk.b;
    Ticket t = enqueue(b, change("OX1", AdminState::draining), 1000);
    Change c;
    ck_assert(begin_write(b, t.entry, c));
    ck_assert_int_eq(b.entries[t.entry].writer.load(), getpid());
    std::vector<AbandonedWrite> abandoned;
    std::set<MemberKey> pending;
    bool unsure = false;
    // Its writer lives: still being written, whatever its age.
    reclaim(b, 500000, 60000, &abandoned, alive);
    ck_assert_int_eq(b.entries[t.entry].phase.load(), static_cast<int>(EntryPhase::writing));
    ck_assert(abandoned.empty());
    pending_members(b, pending, unsure);
    ck_assert_int_eq(pending.size(), 1);
    // Its writer is gone: failed at once, the producer hears why, the
    // member is pending no more.
    reclaim(b, 2000, 60000, &abandoned, dead);
    ck_assert_int_eq(b.entries[t.entry].phase.load(), static_cast<int>(EntryPhase::done_failed));
    ck_assert_int_eq(abandoned.size(), 1);
    ck_assert_str_eq(abandoned[0].member.route.c_str(), "OX1");
    ck_assert_int_eq(abandoned[0].writer, getpid());
    pending.clear();
    pending_members(b, pending, unsure);
    ck_assert(pending.empty());
    std::string result;
    ck_assert(await(b, t, Millis(10), result) == WriteOutcome::failed);
    ck_assert(result.find("ended during the write") != std::string::npos);

    // Orphaned (its producer stopped waiting) and its writer a process that
    // really exited: freed by the default check (kill(pid, 0)).
    t = enqueue(b, change("OX2", AdminState::disabled), 1000);
    ck_assert(begin_write(b, t.entry, c));
    ck_assert(await(b, t, Millis(1), result) == WriteOutcome::pending);
    ck_assert_int_eq(b.entries[t.entry].phase.load(), static_cast<int>(EntryPhase::writing_orphan));
    pid_t child = fork();
    if (child == 0) _exit(0);
    ck_assert_int_gt(child, 0);
    waitpid(child, nullptr, 0);
    b.entries[t.entry].writer.store(child);
    abandoned.clear();
    reclaim(b, 2000, 60000, &abandoned);
    ck_assert_int_eq(b.entries[t.entry].phase.load(), static_cast<int>(EntryPhase::free));
    ck_assert_int_eq(abandoned.size(), 1);
    ck_assert_str_eq(abandoned[0].member.route.c_str(), "OX2");
}
END_TEST

START_TEST(long_names_are_cut_not_overrun)
{
    Block blk;
    Change c = change(std::string(500, 'r').c_str(), AdminState::active);
    c.client = std::string(1000, 'c');
    Ticket t = enqueue(*blk.b, c, 1);
    Change got;
    ck_assert(begin_write(*blk.b, t.entry, got));
    ck_assert_int_eq(got.route.size(), kMaxRouteChars);
    ck_assert_int_eq(got.client.size(), kMaxWhoChars);
}
END_TEST

START_TEST(shared_text)
{
    Block blk;
    set_text(blk.b->last_error, "configdb read host 127.0.0.1:3306: refused");
    std::string got = get_text(blk.b->last_error);
    ck_assert_str_eq(got.c_str(), "configdb read host 127.0.0.1:3306: refused");
    set_text(blk.b->last_error, std::string(1000, 'x'));
    ck_assert_int_eq(get_text(blk.b->last_error).size(), kSharedTextBytes - 1);
}
END_TEST

int main()
{
    Suite* s = suite_create("configdb_queue");
    TCase* tc = tcase_create("queue");
    tcase_add_test(tc, format_and_attach);
    tcase_add_test(tc, member_lines_round_trip_and_cut_at_a_whole_line);
    tcase_add_test(tc, changes_come_out_in_order_and_whole);
    tcase_add_test(tc, results_reach_the_waiting_producer);
    tcase_add_test(tc, a_producer_that_stops_waiting_leaves_it_to_the_consumer);
    tcase_add_test(tc, a_full_queue_says_so);
    tcase_add_test(tc, entries_left_behind_are_reclaimed);
    tcase_add_test(tc, a_write_whose_process_ended_is_ended);
    tcase_add_test(tc, long_names_are_cut_not_overrun);
    tcase_add_test(tc, shared_text);
    suite_add_tcase(s, tc);
    return unit::run_suite(s);
}
