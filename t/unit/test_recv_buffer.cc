// The receive buffer behind zero-copy bodies (net/recv_buffer.h): a hold
// keeps its bytes unchanged through compaction, the buffer moves on to
// another block meanwhile, a block nobody holds any more is reused without
// allocating, and holds may end on another thread (mod_http2 destroys the
// buckets on its connection thread).
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "net/recv_buffer.h"
#include "unit_util.h"

using ox::net::BlockHold;
using ox::net::RecvBuffer;

namespace {

void put(RecvBuffer& b, std::size_t at, const std::string& s) { std::memcpy(b.data() + at, s.data(), s.size()); }

}  // namespace

START_TEST(unheld_block_compacts_in_place)
{
    RecvBuffer b(1024);
    char* block = b.data();
    put(b, 0, "consumed|rest");
    ck_assert(b.compact(9, 4));
    ck_assert_ptr_eq(b.data(), block);
    ck_assert_int_eq(std::memcmp(b.data(), "rest", 4), 0);
    ck_assert(!b.held());
}
END_TEST

START_TEST(held_bytes_survive_compaction)
{
    RecvBuffer b(1024);
    put(b, 0, "body-bytes|partial");
    const char* view = b.data();
    BlockHold h = b.hold();
    ck_assert(b.held());
    ck_assert(b.compact(11, 7));
    // The buffer moved on; the view still reads what it read.
    ck_assert_ptr_ne(b.data(), view);
    ck_assert_int_eq(std::memcmp(b.data(), "partial", 7), 0);
    put(b, 7, "overwrite-everything-behind");
    ck_assert_int_eq(std::memcmp(view, "body-bytes", 10), 0);
    ck_assert(!b.held());
    ck_assert_uint_eq(b.capacity(), 1024);
}
END_TEST

START_TEST(released_block_is_reused)
{
    RecvBuffer b(4096);
    char* first = b.data();
    BlockHold h1 = b.hold();
    ck_assert(b.compact(0, 0));
    char* second = b.data();
    ck_assert_ptr_ne(second, first);
    BlockHold h2 = b.hold();
    // Both earlier blocks still held: a third one.
    ck_assert(b.compact(0, 0));
    char* third = b.data();
    ck_assert_ptr_ne(third, first);
    ck_assert_ptr_ne(third, second);
    // httpd is done with the first: it comes back instead of a new block.
    h1.reset();
    BlockHold h3 = b.hold();
    ck_assert(b.compact(0, 0));
    ck_assert_ptr_eq(b.data(), first);
}
END_TEST

START_TEST(hold_outlives_buffer)
{
    BlockHold h;
    const char* view = nullptr;
    {
        RecvBuffer b(256);
        put(b, 0, "kept");
        view = b.data();
        h = b.hold();
    }
    // Under ASan a freed block would be caught here.
    ck_assert_int_eq(std::memcmp(view, "kept", 4), 0);
    h.reset();
}
END_TEST

START_TEST(holds_end_on_other_threads)
{
    RecvBuffer b(64 * 1024);
    for (int round = 0; round < 200; ++round) {
        std::vector<char*> raw;
        for (int i = 0; i < 16; ++i) raw.push_back(b.hold().detach());
        std::thread t([&raw] {
            for (char* p : raw) BlockHold::release(p);
        });
        // Meanwhile this thread moves on, as the exchange does.
        ck_assert(b.compact(0, 0));
        t.join();
    }
    ck_assert(!b.held());
}
END_TEST

START_TEST(grow_keeps_bytes)
{
    RecvBuffer b(16);
    put(b, 0, "xxhead-so-far");
    BlockHold h = b.hold();
    ck_assert(b.grow(64, 2, 11));
    ck_assert_uint_ge(b.capacity(), 64);
    ck_assert_int_eq(std::memcmp(b.data(), "head-so-far", 11), 0);
}
END_TEST

int main()
{
    Suite* s = suite_create("recv_buffer");
    TCase* tc = tcase_create("blocks");
    tcase_add_test(tc, unheld_block_compacts_in_place);
    tcase_add_test(tc, held_bytes_survive_compaction);
    tcase_add_test(tc, released_block_is_reused);
    tcase_add_test(tc, hold_outlives_buffer);
    tcase_add_test(tc, holds_end_on_other_threads);
    tcase_add_test(tc, grow_keeps_bytes);
    suite_add_tcase(s, tc);
    return unit::run_suite(s);
}
