// libox/state/session_sketch: distinct sessions per member over the last
// minutes, as the status page's drain view shows them. The hash is fixed,
// so every estimate here is the same on every run: the bounds are the
// sketch's accuracy (about 3 % standard error), not luck.
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>

#include "state/session_sketch.h"
#include "unit_util.h"

using namespace ox::state;

namespace {

std::unique_ptr<SessionSketch> fresh() { return std::make_unique<SessionSketch>(); }

std::string id(long n) { return std::to_string(5661584529655240315LL + n * 7919) + ".OX1"; }

void assert_near(std::uint64_t got, long want, double tolerance)
{
    double err = std::abs(static_cast<double>(got) - static_cast<double>(want)) / static_cast<double>(want);
    ck_assert_msg(err <= tolerance, "estimate %llu for %ld sessions (%.1f %% off)", static_cast<unsigned long long>(got),
                  want, err * 100);
}

START_TEST(counts_distinct_sessions)
{
    auto s = fresh();
    ck_assert_uint_eq(estimate_sessions(*s, 1000, 5), 0);
    for (long n = 0; n < 10; ++n) note_session(*s, id(n), 1000);
    ck_assert_uint_eq(estimate_sessions(*s, 1000, 5), 10);  // small counts are exact in practice
    for (long n = 10; n < 1000; ++n) note_session(*s, id(n), 1000);
    assert_near(estimate_sessions(*s, 1000, 5), 1000, 0.05);
    // The same sessions again change nothing.
    std::uint64_t before = estimate_sessions(*s, 1000, 5);
    for (int rep = 0; rep < 5; ++rep) {
        for (long n = 0; n < 1000; ++n) note_session(*s, id(n), 1000);
    }
    ck_assert_uint_eq(estimate_sessions(*s, 1000, 5), before);
    for (long n = 1000; n < 100000; ++n) note_session(*s, id(n), 1000);
    assert_near(estimate_sessions(*s, 1000, 5), 100000, 0.05);
}
END_TEST

START_TEST(window_of_minutes)
{
    auto s = fresh();
    for (long n = 0; n < 500; ++n) note_session(*s, id(n), 100);
    for (long n = 500; n < 1000; ++n) note_session(*s, id(n), 102);
    assert_near(estimate_sessions(*s, 102, 5), 1000, 0.05);
    assert_near(estimate_sessions(*s, 104, 5), 1000, 0.05);  // minutes 100..104
    assert_near(estimate_sessions(*s, 105, 5), 500, 0.05);   // 100 has left the window
    ck_assert_uint_eq(estimate_sessions(*s, 107, 5), 0);
    assert_near(estimate_sessions(*s, 102, 1), 500, 0.05);
    ck_assert_uint_eq(estimate_sessions(*s, 99, 16), 0);  // nothing from the future
    // A session seen in two minutes counts once.
    for (long n = 0; n < 500; ++n) note_session(*s, id(n), 103);
    assert_near(estimate_sessions(*s, 103, 5), 1000, 0.05);
}
END_TEST

// When the ring comes round, a minute's registers start from zero.
START_TEST(ring_reuses_minutes)
{
    auto s = fresh();
    for (long n = 0; n < 800; ++n) note_session(*s, id(n), 200);
    note_session(*s, id(0), 200 + static_cast<std::int64_t>(kSketchMinutes));
    ck_assert_uint_eq(estimate_sessions(*s, 200 + static_cast<std::int64_t>(kSketchMinutes), 1), 1);
}
END_TEST

// Several writers at once (threads here, processes in httpd): the sketch
// of the union.
START_TEST(concurrent_writers)
{
    auto s = fresh();
    std::thread a([&] {
        for (long n = 0; n < 20000; ++n) note_session(*s, id(n), 300);
    });
    std::thread b([&] {
        for (long n = 10000; n < 30000; ++n) note_session(*s, id(n), 300);
    });
    a.join();
    b.join();
    assert_near(estimate_sessions(*s, 300, 1), 30000, 0.05);
}
END_TEST

}  // namespace

int main()
{
    Suite* s = suite_create("session_sketch");
    TCase* tc = tcase_create("sketch");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, counts_distinct_sessions);
    tcase_add_test(tc, window_of_minutes);
    tcase_add_test(tc, ring_reuses_minutes);
    tcase_add_test(tc, concurrent_writers);
    suite_add_tcase(s, tc);
    return unit::run_suite(s);
}
