// Requests in flight die with the process that held them
// (state/in_flight.h): a dead owner's row is taken off the totals once, a
// row owned by anybody else is left alone, a settled row is reused clean,
// counting stays exact while other rows are settled, and a process really
// killed with SIGKILL mid-request is settled to the request.
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "balance/balancer_runtime.h"
#include "balance/member_spec.h"
#include "state/in_flight.h"
#include "state/shared_state.h"
#include "unit_util.h"

namespace st = ox::state;
using st::InFlight;
using st::kNoRow;

namespace {

std::vector<st::SlotKey> keys(std::size_t n)
{
    std::vector<st::SlotKey> k;
    for (std::size_t i = 0; i < n; ++i) k.push_back({"b", "ajp://m" + std::to_string(i), ox::AdminState::active});
    return k;
}

std::int64_t busy(const st::Table& t, std::size_t i) { return t.slot(i).busy.load(); }

// A block in memory shared with forked processes.
struct SharedBlock {
    SharedBlock(std::size_t slots, std::size_t rows) : bytes(st::Table::bytes_for(slots, rows))
    {
        mem = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        ck_assert(mem != MAP_FAILED);
        table = st::Table::format(mem, keys(slots), nullptr, rows);
        ck_assert(table.valid());
    }
    ~SharedBlock() { munmap(mem, bytes); }
    std::size_t bytes;
    void* mem;
    st::Table table;
};

// A forked process that claims a row, enters `n[i]` requests on member i,
// reports its row through a pipe and then waits to be told to leave them
// (one byte on `go`) or to be killed.
struct Holder {
    Holder(const st::Table& t, std::vector<int> n)
    {
        ck_assert_int_eq(pipe(ready), 0);
        ck_assert_int_eq(pipe(go), 0);
        pid = fork();
        if (pid == 0) {
            std::size_t row = st::claim_row(t, getpid());
            std::vector<InFlight> c;
            for (std::size_t i = 0; i < n.size(); ++i) c.push_back(InFlight::of(t, i, row));
            for (std::size_t i = 0; i < n.size(); ++i) {
                for (int k = 0; k < n[i]; ++k) c[i].enter();
            }
            if (write(ready[1], &row, sizeof row) != sizeof row) _exit(1);
            char b;
            if (read(go[0], &b, 1) != 1) _exit(1);
            for (std::size_t i = 0; i < n.size(); ++i) {
                for (int k = 0; k < n[i]; ++k) c[i].leave();
            }
            _exit(0);
        }
        ck_assert_int_eq(read(ready[0], &row, sizeof row), static_cast<ssize_t>(sizeof row));
    }
    // Lets it finish its requests and exit; returns its exit status.
    int finish()
    {
        ck_assert_int_eq(write(go[1], "x", 1), 1);
        int status = 0;
        waitpid(pid, &status, 0);
        return status;
    }
    void kill9()
    {
        kill(pid, SIGKILL);
        int status = 0;
        waitpid(pid, &status, 0);
        ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    }
    pid_t pid;
    std::size_t row = kNoRow;
    int ready[2];
    int go[2];
};

}  // namespace

// A dead owner's counts come off the totals, once; its row is free and
// zeroed afterwards; another process's row and counts are untouched.
START_TEST(dead_owner_settled_once)
{
    st::LocalTable lt(keys(2), 4);
    const st::Table& t = lt.table();
    std::size_t a = st::claim_row(t, 100);
    std::size_t b = st::claim_row(t, 200);
    ck_assert(a != kNoRow && b != kNoRow && a != b);
    InFlight a0 = InFlight::of(t, 0, a), a1 = InFlight::of(t, 1, a), b0 = InFlight::of(t, 0, b);
    a0.enter();
    a0.enter();
    a1.enter();
    b0.enter();
    ck_assert_int_eq(busy(t, 0), 3);
    ck_assert_int_eq(busy(t, 1), 1);

    ck_assert_int_eq(st::settle_exited(t, 100), 3);
    ck_assert_int_eq(busy(t, 0), 1);
    ck_assert_int_eq(busy(t, 1), 0);
    ck_assert_int_eq(t.row_owner(a).load(), 0);
    ck_assert_int_eq(t.row_busy(a, 0).load(), 0);
    ck_assert_int_eq(t.row_busy(a, 1).load(), 0);
    // Told twice (or late): nothing more is taken off.
    ck_assert_int_eq(st::settle_exited(t, 100), 0);
    ck_assert_int_eq(busy(t, 0), 1);
    ck_assert_int_eq(t.row_owner(b).load(), 200);
    ck_assert_int_eq(t.row_busy(b, 0).load(), 1);
    b0.leave();
    ck_assert_int_eq(busy(t, 0), 0);
}
END_TEST

// A settled row goes to the next process that claims one, clean: the new
// owner's exit releases what it held, not what the old owner held.
START_TEST(reused_row_starts_clean)
{
    st::LocalTable lt(keys(1), 1);
    const st::Table& t = lt.table();
    std::size_t r = st::claim_row(t, 100);
    ck_assert_uint_eq(r, 0);
    InFlight::of(t, 0, r).enter();
    InFlight::of(t, 0, r).enter();
    ck_assert_uint_eq(st::claim_row(t, 300), kNoRow);  // taken
    ck_assert_int_eq(st::settle_exited(t, 100), 2);

    ck_assert_uint_eq(st::claim_row(t, 300), 0);
    InFlight c = InFlight::of(t, 0, 0);
    c.enter();
    ck_assert_int_eq(t.row_busy(0, 0).load(), 1);
    ck_assert_int_eq(busy(t, 0), 1);
    ck_assert_int_eq(st::settle_exited(t, 100), 0);  // the old owner has no row any more
    ck_assert_int_eq(busy(t, 0), 1);
    ck_assert_int_eq(st::settle_exited(t, 300), 1);
    ck_assert_int_eq(busy(t, 0), 0);
}
END_TEST

// Settling touches rows of the exited pid only: not another live owner's,
// not a row being settled by someone else, not a free one, whatever pid is
// passed (0 and the settling marker included).
START_TEST(other_owner_untouched)
{
    st::LocalTable lt(keys(2), 3);
    const st::Table& t = lt.table();
    std::size_t live = st::claim_row(t, 200);
    InFlight::of(t, 1, live).enter();
    t.row_owner(1).store(st::kSettling);  // someone else is settling row 1
    t.row_busy(1, 0).store(5);
    for (std::int64_t pid : {std::int64_t{999}, std::int64_t{0}, st::kSettling}) {
        ck_assert_int_eq(st::settle_exited(t, pid), 0);
    }
    ck_assert_int_eq(t.row_owner(live).load(), 200);
    ck_assert_int_eq(t.row_busy(live, 1).load(), 1);
    ck_assert_int_eq(t.row_owner(1).load(), st::kSettling);
    ck_assert_int_eq(t.row_busy(1, 0).load(), 5);
    ck_assert_int_eq(t.row_owner(2).load(), 0);
    ck_assert_int_eq(busy(t, 1), 1);
    // A row being settled is not free: the next claim takes row 2.
    ck_assert_uint_eq(st::claim_row(t, 300), 2);
    ck_assert_uint_eq(st::claim_row(t, 400), kNoRow);
    ck_assert_uint_eq(st::claim_row(t, 0), kNoRow);
}
END_TEST

// Without a row a process still counts the totals (as before rows existed).
START_TEST(no_row_counts_total_only)
{
    st::LocalTable none(keys(1));
    ck_assert_uint_eq(none.table().rows(), 0);
    ck_assert_uint_eq(st::claim_row(none.table(), 100), kNoRow);
    InFlight c = InFlight::of(none.table(), 0, kNoRow);
    c.enter();
    ck_assert_int_eq(busy(none.table(), 0), 1);
    c.leave();
    ck_assert_int_eq(busy(none.table(), 0), 0);
}
END_TEST

// A new block has every row free and zeroed, whatever the previous block's
// rows held; rows sit on cache lines of their own, after the slots.
START_TEST(format_starts_rows_free)
{
    st::LocalTable old(keys(3), 2);
    std::size_t r = st::claim_row(old.table(), 100);
    InFlight::of(old.table(), 2, r).enter();

    std::size_t bytes = st::Table::bytes_for(3, 4);
    void* mem = ::operator new(bytes, std::align_val_t{64});
    std::memset(mem, 0xff, bytes);
    st::Table t = st::Table::format(mem, keys(3), &old.table(), 4);
    ck_assert_uint_eq(t.rows(), 4);
    for (std::size_t i = 0; i < 4; ++i) {
        ck_assert_int_eq(t.row_owner(i).load(), 0);
        for (std::size_t s = 0; s < 3; ++s) ck_assert_int_eq(t.row_busy(i, s).load(), 0);
        ck_assert_uint_eq(reinterpret_cast<std::uintptr_t>(&t.row_owner(i)) % 64, 0);
    }
    ck_assert_int_eq(busy(t, 2), 0);  // busy is not carried over either
    ck_assert(reinterpret_cast<unsigned char*>(&t.row_busy(3, 2)) + sizeof(std::int32_t) <=
              static_cast<unsigned char*>(mem) + bytes);
    ck_assert(reinterpret_cast<unsigned char*>(&t.row_owner(0)) >=
              reinterpret_cast<unsigned char*>(&t.slot(2)) + sizeof(st::MemberSlot));
    ck_assert_uint_eq(st::Table::attach(mem).rows(), 4);
    ::operator delete(mem, std::align_val_t{64});
}
END_TEST

// Eight threads count as eight processes, each into its own row, while
// others die holding requests and are settled, two settlers racing for
// each: the totals end exact.
START_TEST(concurrent_counting_exact)
{
    constexpr int kLive = 6, kDead = 40, kRounds = 100000;
    st::LocalTable lt(keys(3), kLive + kDead);
    const st::Table& t = lt.table();
    std::vector<std::thread> live;
    std::atomic<bool> start{false};
    for (int p = 0; p < kLive; ++p) {
        live.emplace_back([&t, &start, p] {
            std::size_t row = st::claim_row(t, 1000 + p);
            InFlight c[3] = {InFlight::of(t, 0, row), InFlight::of(t, 1, row), InFlight::of(t, 2, row)};
            while (!start.load()) std::this_thread::yield();
            for (int i = 0; i < kRounds; ++i) {
                c[i % 3].enter();
                c[(i + p) % 3].enter();
                c[i % 3].leave();
                c[(i + p) % 3].leave();
            }
        });
    }
    start = true;
    long expected_released = 0;
    for (int d = 0; d < kDead; ++d) {
        std::int64_t pid = 5000 + d;
        std::size_t row = st::claim_row(t, pid);
        ck_assert(row != kNoRow);
        for (int k = 0; k <= d % 4; ++k) InFlight::of(t, static_cast<std::size_t>(d % 3), row).enter();
        expected_released += d % 4 + 1;
        std::atomic<std::int64_t> got[2] = {0, 0};
        std::thread s1([&] { got[0] = st::settle_exited(t, pid); });
        std::thread s2([&] { got[1] = st::settle_exited(t, pid); });
        s1.join();
        s2.join();
        ck_assert_int_eq(got[0] + got[1], d % 4 + 1);
        expected_released -= got[0] + got[1];
    }
    for (auto& th : live) th.join();
    ck_assert_int_eq(expected_released, 0);
    for (std::size_t i = 0; i < 3; ++i) ck_assert_int_eq(busy(t, i), 0);
    for (int p = 0; p < kLive; ++p) ck_assert_int_eq(st::settle_exited(t, 1000 + p), 0);  // they left all
}
END_TEST

// Real processes: one is killed with SIGKILL while it holds requests, one
// keeps running with its own. Settling the killed one gives back exactly its
// requests; the live one's stay counted until it leaves them itself.
START_TEST(killed_process_settled)
{
    SharedBlock b(2, 4);
    const st::Table& t = b.table;
    Holder killed(t, {3, 1});
    Holder running(t, {2, 0});
    ck_assert(killed.row != kNoRow && running.row != kNoRow && killed.row != running.row);
    ck_assert_int_eq(busy(t, 0), 5);
    ck_assert_int_eq(busy(t, 1), 1);

    killed.kill9();
    ck_assert_int_eq(busy(t, 0), 5);  // without settling, a kill leaks
    ck_assert_int_eq(st::settle_exited(t, killed.pid), 4);
    ck_assert_int_eq(busy(t, 0), 2);
    ck_assert_int_eq(busy(t, 1), 0);
    ck_assert_int_eq(t.row_owner(running.row).load(), running.pid);

    int status = running.finish();
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    ck_assert_int_eq(st::settle_exited(t, running.pid), 0);  // a clean exit held nothing
    ck_assert_int_eq(busy(t, 0), 0);
    ck_assert_int_eq(t.row_owner(running.row).load(), 0);
}
END_TEST

// BalancerRuntime counts a request into its process's row and the total
// while the backend has it, and out of both when it is done.
START_TEST(forward_counts_into_row)
{
    unit::RequestLog log;
    st::LocalTable lt(keys(1), 2);
    const st::Table& t = lt.table();
    std::size_t row = st::claim_row(t, 100);
    std::atomic<std::int64_t> seen_total{-1};
    std::atomic<int> seen_row{-1};
    unit::FakeAjpServer server([&](unit::BackendPeer& p, int no) {
        while (unit::read_request_only(p, log, no)) {
            seen_total = t.slot(0).busy.load();
            seen_row = t.row_busy(row, 0).load();
            p.send(unit::pkt_headers(200, "OK"));
            p.send(unit::pkt_end(true));
        }
    });
    ox::BalancerSpec spec;
    spec.name = "b";
    ox::MemberSpec m;
    ck_assert(ox::parse_member(server.url(), {}, m).empty());
    ck_assert(spec.add_member(m).empty());
    spec.lbmethod = ox::LbMethod::bybusyness;
    {
        ox::BalancerRuntime rt(spec, t, 0, ox::Millis(5000), 2, row);
        ox::proxy::Request req = unit::get_request();
        std::vector<char> scratch(rt.scratch_size(req));
        unit::StringBody none;
        unit::RecordingSink sink;
        unit::RecordingObserver obs;
        ox::ManualTimeSource clock;
        ox::ForwardResult res = rt.forward(req, none, sink, scratch.data(), obs, clock);
        CK_ASSERT_FAILURE(res.outcome.failure, ox::proxy::Failure::none);
    }
    server.stop();
    ck_assert_int_eq(seen_total.load(), 1);
    ck_assert_int_eq(seen_row.load(), 1);
    ck_assert_int_eq(busy(t, 0), 0);
    ck_assert_int_eq(t.row_busy(row, 0).load(), 0);
}
END_TEST

int main()
{
    Suite* s = suite_create("in_flight");
    TCase* tc = tcase_create("rows");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, dead_owner_settled_once);
    tcase_add_test(tc, reused_row_starts_clean);
    tcase_add_test(tc, other_owner_untouched);
    tcase_add_test(tc, no_row_counts_total_only);
    tcase_add_test(tc, format_starts_rows_free);
    tcase_add_test(tc, concurrent_counting_exact);
    tcase_add_test(tc, killed_process_settled);
    tcase_add_test(tc, forward_counts_into_row);
    suite_add_tcase(s, tc);
    return unit::run_suite(s);
}
