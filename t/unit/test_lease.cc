// The leader's lease (state/lease.h): a free lease is taken, a fresh one
// held by another process is not, a stale one is; the holder renews it;
// only its holder (or whoever speaks for a dead holder) frees it; of many
// processes that find it stale at once exactly one gets it; a heartbeat
// newer than the reader's clock counts as fresh; the 32-bit clock's wrap
// changes nothing; and a block's lease starts free in every generation.
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <vector>

#include "state/lease.h"
#include "state/shared_state.h"
#include "unit_util.h"

namespace st = ox::state;

namespace {

constexpr std::int64_t kStale = 3000;

}  // namespace

START_TEST(free_lease_taken_and_renewed)
{
    st::Lease l;
    ck_assert_uint_eq(st::holder(l), 0);
    ck_assert(st::renew_or_take(l, 100, 1000, kStale));
    ck_assert(st::held_by(l, 100));
    // Renewed by its holder at every tick, however late.
    ck_assert(st::renew_or_take(l, 100, 1500, kStale));
    ck_assert(st::renew_or_take(l, 100, 9000, kStale));
    ck_assert_uint_eq(st::holder(l), 100);
}
END_TEST

// Another process's lease is left alone while its heartbeat is younger
// than the stale time, and taken once it is that old.
START_TEST(fresh_kept_stale_taken)
{
    st::Lease l;
    ck_assert(st::renew_or_take(l, 100, 1000, kStale));
    ck_assert(!st::renew_or_take(l, 200, 1000, kStale));
    ck_assert(!st::renew_or_take(l, 200, 1000 + kStale - 1, kStale));
    ck_assert(st::held_by(l, 100));
    ck_assert(st::renew_or_take(l, 200, 1000 + kStale, kStale));
    ck_assert(st::held_by(l, 200));
    // The old holder comes back (it had hung): the lease is not its any
    // more, and its renewal does not take it back.
    ck_assert(!st::renew_or_take(l, 100, 1000 + kStale + 1, kStale));
    ck_assert(st::held_by(l, 200));
}
END_TEST

// A holder renewed after the reader read its clock: a heartbeat "in the
// future" is a fresh one, not an ancient one.
START_TEST(newer_heartbeat_is_fresh)
{
    st::Lease l;
    ck_assert(st::renew_or_take(l, 100, 50000, kStale));
    ck_assert(!st::renew_or_take(l, 200, 49990, kStale));
    ck_assert(st::held_by(l, 100));
}
END_TEST

// The heartbeat keeps 32 bits of milliseconds: ages across the wrap (every
// 49.7 days of uptime) are what they are.
START_TEST(clock_wrap)
{
    const std::int64_t wrap = std::int64_t{1} << 32;
    st::Lease l;
    ck_assert(st::renew_or_take(l, 100, wrap - 500, kStale));
    ck_assert(!st::renew_or_take(l, 200, wrap + 1000, kStale));  // 1.5 s old
    ck_assert(st::renew_or_take(l, 200, wrap + 2500, kStale));   // 3 s old
    ck_assert(st::held_by(l, 200));
    ck_assert(st::renew_or_take(l, 200, 5 * wrap + 7, kStale));
    ck_assert(!st::renew_or_take(l, 300, 5 * wrap + 8, kStale));
}
END_TEST

// Only the holder's own id frees it; anybody else's is a no-op.
START_TEST(release_by_holder_only)
{
    st::Lease l;
    ck_assert(!st::release(l, 100));  // free already
    ck_assert(!st::release(l, 0));
    ck_assert(st::renew_or_take(l, 100, 1000, kStale));
    ck_assert(!st::release(l, 200));
    ck_assert(!st::release(l, 0));
    ck_assert(st::held_by(l, 100));
    ck_assert(st::release(l, 100));
    ck_assert_uint_eq(st::holder(l), 0);
    // Free again: the next tick of any process takes it, fresh heartbeat
    // or not.
    ck_assert(st::renew_or_take(l, 200, 1001, kStale));
    ck_assert(!st::release(l, 100));
    ck_assert(st::held_by(l, 200));
}
END_TEST

// Processes that find the lease stale at the same moment (forked, on a
// shared mapping, started together): exactly one of them holds it.
START_TEST(one_taker_among_many)
{
    void* mem = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    ck_assert(mem != MAP_FAILED);
    for (int round = 0; round < 20; ++round) {
        auto* l = new (mem) st::Lease{};
        auto* go = new (static_cast<char*>(mem) + 64) std::atomic<int>{0};
        ck_assert(st::renew_or_take(*l, 1, 0, kStale));  // a holder that died long ago
        std::vector<pid_t> kids;
        for (std::uint32_t self = 10; self < 18; ++self) {
            pid_t pid = fork();
            ck_assert(pid >= 0);
            if (pid == 0) {
                while (go->load() == 0) {
                }
                _exit(st::renew_or_take(*l, self, 10 * kStale, kStale) ? 1 : 0);
            }
            kids.push_back(pid);
        }
        go->store(1);
        int winners = 0;
        for (pid_t pid : kids) {
            int status = 0;
            ck_assert_int_eq(waitpid(pid, &status, 0), pid);
            ck_assert(WIFEXITED(status));
            winners += WEXITSTATUS(status);
        }
        ck_assert_int_eq(winners, 1);
        std::uint32_t h = st::holder(*l);
        ck_assert(h >= 10 && h < 18);
    }
    munmap(mem, 4096);
}
END_TEST

// A new block (every generation has one) has a free lease, whatever the
// memory held before; the lease is in the header, apart from any slot.
START_TEST(block_lease_starts_free)
{
    std::vector<st::SlotKey> keys = {{"b", "ajp://a:8009"}, {"b", "ajp://b:8009"}};
    std::size_t bytes = st::Table::bytes_for(keys.size(), 2);
    void* mem = nullptr;
    ck_assert_int_eq(posix_memalign(&mem, 64, bytes), 0);
    std::memset(mem, 0xab, bytes);
    st::Table t = st::Table::format(mem, keys, nullptr, 2);
    ck_assert(t.valid());
    ck_assert_uint_eq(st::holder(t.leader()), 0);
    ck_assert(st::renew_or_take(t.leader(), 42, 1000, kStale));
    ck_assert_str_eq(t.slot(0).balancer, "b");
    ck_assert_str_eq(t.node(0).address, "ajp://a:8009");
    ck_assert_int_eq(t.row_owner(0).load(), 0);
    // The next generation's block, formatted from this one: its own lease.
    void* mem2 = nullptr;
    ck_assert_int_eq(posix_memalign(&mem2, 64, bytes), 0);
    std::memset(mem2, 0xcd, bytes);
    st::Table t2 = st::Table::format(mem2, keys, &t, 2);
    ck_assert_uint_eq(st::holder(t2.leader()), 0);
    ck_assert(st::held_by(t.leader(), 42));
    ck_assert(st::Table::attach(mem2).valid());
    std::free(mem2);
    std::free(mem);
}
END_TEST

int main()
{
    Suite* s = suite_create("lease");
    TCase* tc = tcase_create("lease");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, free_lease_taken_and_renewed);
    tcase_add_test(tc, fresh_kept_stale_taken);
    tcase_add_test(tc, newer_heartbeat_is_fresh);
    tcase_add_test(tc, clock_wrap);
    tcase_add_test(tc, release_by_holder_only);
    tcase_add_test(tc, one_taker_among_many);
    tcase_add_test(tc, block_lease_starts_free);
    suite_add_tcase(s, tc);
    return unit::run_suite(s);
}
