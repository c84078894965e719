// ConnectionPool<ajp::Connection>: LIFO hand-out, the max cap (connections
// in use plus idle) with its acquire wait, ageing by smax/ttl on an injected
// clock, and dropping connections whose peer closed (or spoke out of turn)
// while they were idle.
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <thread>
#include <vector>

#include "ajp/ajp_connection.h"
#include "pool/connection_pool.h"
#include "unit_util.h"

using ox::ConnectionPool;
using ox::ManualTimeSource;
using ox::Millis;
using ox::PoolLimits;
using ox::ajp::Connection;
using Pool = ConnectionPool<Connection>;

namespace {

// Connections over socket pairs; the test keeps the backend ends, to close
// them or to see whether the pool closed the proxy ends.
class Conns {
public:
    ~Conns()
    {
        for (int fd : peers_) ::close(fd);
    }

    // Makes connection number `peers().size()`.
    std::unique_ptr<Connection> make()
    {
        unit::FdPair fds = unit::socket_pair();
        peers_.push_back(fds.backend);
        auto c = std::make_unique<Connection>(ox::net::Socket(fds.proxy), 8192);
        c->requests = peers_.size() - 1;  // the connection's number, to tell them apart
        return c;
    }

    // The pool closed connection i (its peer reads EOF).
    bool closed(std::size_t i) const
    {
        char b;
        ssize_t n = ::recv(peers_[i], &b, 1, MSG_DONTWAIT);
        return n == 0;
    }
    bool open(std::size_t i) const
    {
        char b;
        ssize_t n = ::recv(peers_[i], &b, 1, MSG_DONTWAIT);
        return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
    }
    void close_peer(std::size_t i)
    {
        ::close(peers_[i]);
        peers_[i] = -1;
    }
    void send_from_peer(std::size_t i) { ck_assert_int_eq(::send(peers_[i], "AB", 2, MSG_NOSIGNAL), 2); }

private:
    std::vector<int> peers_;
};

PoolLimits limits(std::size_t smax, Millis ttl, std::size_t max, Millis acquire = Millis(0))
{
    PoolLimits l;
    l.smax = smax;
    l.ttl = ttl;
    l.max = max;
    l.acquire = acquire;
    return l;
}

// A new connection, counted in and released idle.
void add_idle(Pool& pool, Conns& conns, const ManualTimeSource& clock)
{
    ck_assert(pool.reserve());
    pool.release(conns.make(), clock.now(), true);
}

// The number of the idle connection take() hands out, -1 for none (the
// right to open one is given back).
long acquire_no(Pool& pool, const ManualTimeSource& clock)
{
    std::unique_ptr<Connection> c;
    Pool::Take t = pool.take(clock.now(), c);
    if (t == Pool::Take::open_new) pool.forget();
    return t == Pool::Take::pooled ? static_cast<long>(c->requests) : -1;
}

}  // namespace

// The most recently released connection comes out first, so that the
// surplus is the part that ages.
START_TEST(lifo_order)
{
    Conns conns;
    ManualTimeSource clock;
    Pool pool(limits(0, Millis(0), 8));
    ck_assert_int_eq(acquire_no(pool, clock), -1);
    for (int i = 0; i < 3; ++i) add_idle(pool, conns, clock);
    ck_assert_uint_eq(pool.idle_count(), 3);
    ck_assert_int_eq(acquire_no(pool, clock), 2);
    ck_assert_uint_eq(pool.idle_count(), 2);
    ck_assert_int_eq(acquire_no(pool, clock), 1);
    ck_assert_int_eq(acquire_no(pool, clock), 0);
    ck_assert_int_eq(acquire_no(pool, clock), -1);
    ck_assert_uint_eq(pool.idle_count(), 0);
}
END_TEST

// release() stamps the connection with the time it went idle.
START_TEST(release_stamps_last_used)
{
    Conns conns;
    ManualTimeSource clock;
    Pool pool(limits(0, Millis(0), 8));
    clock.advance(Millis(1234));
    add_idle(pool, conns, clock);
    clock.advance(Millis(1000));
    std::unique_ptr<Connection> c;
    ck_assert(pool.take(clock.now(), c) == Pool::Take::pooled);
    ck_assert_int_eq(std::chrono::duration_cast<Millis>(c->last_used.time_since_epoch()).count(), 1234);
}
END_TEST

// max= as mod_proxy means it: connections in use plus idle. With max
// existing, a request gets none (acquire=0); one released (or forgotten)
// makes room again.
START_TEST(max_counts_in_use_and_idle)
{
    Conns conns;
    ManualTimeSource clock;
    Pool pool(limits(0, Millis(0), 2));
    std::unique_ptr<Connection> a, b, c;
    ck_assert(pool.take(clock.now(), a) == Pool::Take::open_new);
    ck_assert(pool.take(clock.now(), b) == Pool::Take::open_new);
    ck_assert(pool.take(clock.now(), c) == Pool::Take::busy);  // two in use
    ck_assert_uint_eq(pool.live_count(), 2);
    pool.release(conns.make(), clock.now(), true);  // a's, idle now
    ck_assert(pool.take(clock.now(), c) == Pool::Take::pooled);
    ck_assert(pool.take(clock.now(), a) == Pool::Take::busy);  // in use again
    pool.release(std::move(c), clock.now(), false);  // not reusable: closed
    ck_assert(conns.closed(0));
    ck_assert_uint_eq(pool.live_count(), 1);
    ck_assert(pool.take(clock.now(), a) == Pool::Take::open_new);
    pool.forget();  // its connect failed
    pool.forget();  // b's connection broke
    ck_assert_uint_eq(pool.live_count(), 0);
    ck_assert_uint_eq(pool.limits().max, 2);
}
END_TEST

// acquire=: a request waits that long for a connection to come free, and
// gets the one released meanwhile; none: busy after the wait.
START_TEST(acquire_waits_for_a_release)
{
    Conns conns;
    ManualTimeSource clock;
    Pool pool(limits(0, Millis(0), 1, Millis(10000)));
    std::unique_ptr<Connection> a, b;
    ck_assert(pool.take(clock.now(), a) == Pool::Take::open_new);
    std::unique_ptr<Connection> made = conns.make();
    unit::Signal waiting;
    std::thread releaser([&] {
        waiting.wait();
        std::this_thread::sleep_for(Millis(50));
        pool.release(std::move(made), clock.now(), true);
    });
    waiting.set();
    ck_assert(pool.take(clock.now(), b) == Pool::Take::pooled);
    releaser.join();
    ck_assert_ptr_nonnull(b.get());

    Pool short_wait(limits(0, Millis(0), 1, Millis(50)));
    ck_assert(short_wait.take(clock.now(), a) == Pool::Take::open_new);
    ck_assert(short_wait.take(clock.now(), b) == Pool::Take::busy);
}
END_TEST

// Idle connections beyond smax are closed once idle for longer than ttl
// (not at exactly ttl). Connections count towards smax newest first: the
// surplus is the oldest.
START_TEST(surplus_closed_after_ttl)
{
    Conns conns;
    ManualTimeSource clock;
    Pool pool(limits(1, Millis(10000), 10));
    for (int i = 0; i < 3; ++i) add_idle(pool, conns, clock);

    clock.advance(Millis(10000));  // exactly ttl: nothing is older than ttl
    add_idle(pool, conns, clock);  // release() reaps, too
    ck_assert_uint_eq(pool.idle_count(), 4);
    ck_assert(conns.open(0) && conns.open(1) && conns.open(2));

    clock.advance(Millis(1));  // 0..2 are now older than ttl; 3 is not
    add_idle(pool, conns, clock);
    ck_assert(conns.closed(0));
    ck_assert(conns.closed(1));
    ck_assert(conns.closed(2));
    ck_assert(conns.open(3));
    ck_assert_uint_eq(pool.idle_count(), 2);
    ck_assert_int_eq(acquire_no(pool, clock), 4);
    ck_assert_int_eq(acquire_no(pool, clock), 3);
}
END_TEST

// With smax 2, the two newest of three expired connections stay.
START_TEST(smax_keeps_newest_expired)
{
    Conns conns;
    ManualTimeSource clock;
    Pool pool(limits(2, Millis(10000), 10));
    for (int i = 0; i < 3; ++i) add_idle(pool, conns, clock);
    clock.advance(Millis(20000));
    ck_assert_int_eq(acquire_no(pool, clock), 2);
    ck_assert(conns.closed(0));
    ck_assert(conns.open(1));
    ck_assert_uint_eq(pool.idle_count(), 1);
}
END_TEST

// Connections of different ages: only those older than ttl go.
START_TEST(ageing_by_idle_time)
{
    Conns conns;
    ManualTimeSource clock;
    Pool pool(limits(0, Millis(6000), 10));
    add_idle(pool, conns, clock);  // idle since t=0
    clock.advance(Millis(5000));
    add_idle(pool, conns, clock);  // since t=5s
    clock.advance(Millis(5000));
    add_idle(pool, conns, clock);  // since t=10s
    // t=10s: connection 0 has been idle 10s > 6s and is closed by this reap.
    ck_assert_uint_eq(pool.idle_count(), 2);
    ck_assert(conns.closed(0));
    clock.advance(Millis(1001));  // t=11.001s: connection 1 idle 6.001s
    ck_assert_int_eq(acquire_no(pool, clock), 2);
    ck_assert(conns.closed(1));
    ck_assert_uint_eq(pool.idle_count(), 0);
}
END_TEST

// Up to smax idle connections are kept however old they are.
START_TEST(smax_kept_forever)
{
    Conns conns;
    ManualTimeSource clock;
    Pool pool(limits(2, Millis(1000), 10));
    add_idle(pool, conns, clock);
    add_idle(pool, conns, clock);
    clock.advance(Millis(24 * 3600 * 1000));
    ck_assert_int_eq(acquire_no(pool, clock), 1);
    ck_assert_int_eq(acquire_no(pool, clock), 0);
}
END_TEST

// ttl 0: idle connections never age out, whatever smax.
START_TEST(ttl_zero_never_expires)
{
    Conns conns;
    ManualTimeSource clock;
    Pool pool(limits(0, Millis(0), 10));
    for (int i = 0; i < 3; ++i) add_idle(pool, conns, clock);
    clock.advance(Millis(100LL * 24 * 3600 * 1000));
    add_idle(pool, conns, clock);
    ck_assert_uint_eq(pool.idle_count(), 4);
    ck_assert_int_eq(acquire_no(pool, clock), 3);
    ck_assert_int_eq(acquire_no(pool, clock), 2);
    ck_assert(conns.open(0));
}
END_TEST

// A connection the backend closed while it was idle is dropped by take()
// (before a request is written to it); the next one is handed out instead.
START_TEST(peer_closed_dropped_on_acquire)
{
    Conns conns;
    ManualTimeSource clock;
    Pool pool(limits(0, Millis(0), 10));
    add_idle(pool, conns, clock);
    add_idle(pool, conns, clock);
    conns.close_peer(1);
    ck_assert_int_eq(acquire_no(pool, clock), 0);
    ck_assert_uint_eq(pool.idle_count(), 0);
}
END_TEST

// Bytes nobody asked for on an idle connection put it out of step: dropped.
START_TEST(unexpected_bytes_dropped_on_acquire)
{
    Conns conns;
    ManualTimeSource clock;
    Pool pool(limits(0, Millis(0), 10));
    add_idle(pool, conns, clock);
    add_idle(pool, conns, clock);
    conns.send_from_peer(1);
    ck_assert_int_eq(acquire_no(pool, clock), 0);
    // Every idle connection dead: none to hand out.
    add_idle(pool, conns, clock);
    conns.close_peer(2);
    ck_assert_int_eq(acquire_no(pool, clock), -1);
    ck_assert_uint_eq(pool.idle_count(), 0);
}
END_TEST

// take() says how many idle connections it found closed and dropped (the
// status page's stale_dropped counts them).
START_TEST(dropped_ones_counted)
{
    Conns conns;
    ManualTimeSource clock;
    Pool pool(limits(0, Millis(0), 10));
    for (int i = 0; i < 3; ++i) add_idle(pool, conns, clock);
    conns.close_peer(2);
    conns.send_from_peer(1);
    std::unique_ptr<Connection> c;
    std::size_t dropped = 0;
    ck_assert(pool.take(clock.now(), c, &dropped) == Pool::Take::pooled);
    ck_assert_uint_eq(c->requests, 0);
    ck_assert_uint_eq(dropped, 2);
    ck_assert_uint_eq(pool.live_count(), 1);
    pool.release(std::move(c), clock.now(), true);
    dropped = 0;
    ck_assert(pool.take(clock.now(), c, &dropped) == Pool::Take::pooled);
    ck_assert_uint_eq(dropped, 0);
}
END_TEST

int main()
{
    Suite* s = suite_create("pool");
    TCase* tc = tcase_create("pool");
    tcase_add_test(tc, lifo_order);
    tcase_add_test(tc, release_stamps_last_used);
    tcase_add_test(tc, max_counts_in_use_and_idle);
    tcase_add_test(tc, acquire_waits_for_a_release);
    tcase_add_test(tc, surplus_closed_after_ttl);
    tcase_add_test(tc, smax_keeps_newest_expired);
    tcase_add_test(tc, ageing_by_idle_time);
    tcase_add_test(tc, smax_kept_forever);
    tcase_add_test(tc, ttl_zero_never_expires);
    tcase_add_test(tc, peer_closed_dropped_on_acquire);
    tcase_add_test(tc, unexpected_bytes_dropped_on_acquire);
    tcase_add_test(tc, dropped_ones_counted);
    suite_add_tcase(s, tc);
    return unit::run_suite(s);
}
