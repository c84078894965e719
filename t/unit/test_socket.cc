// net::Socket's waits on a real TCP connection (as to a backend): the
// low-water mark of readable_within (SO_RCVLOWAT for the wait, so that a
// body's next packets wake the worker once, not once each) counts only
// that many bytes or EOF, and leaves the socket reading from its first
// byte again, so that the idle check of a pooled connection still sees a
// single stray byte.
#include <sys/socket.h>
#include <unistd.h>

#include "net/socket.h"
#include "unit_util.h"

using ox::Millis;
using ox::net::Socket;

START_TEST(fewer_bytes_than_asked_do_not_count)
{
    unit::FdPair fds = unit::tcp_pair();
    Socket s(fds.proxy);
    ck_assert_int_eq(::send(fds.backend, "0123456789", 10, 0), 10);
    ck_assert(unit::wait_readable(fds.proxy, 5000));
    ck_assert_msg(!s.readable_within(Millis(50), 100), "10 bytes counted as the 100 asked for");
    ck_assert_msg(s.readable_within(Millis(50), 10), "10 bytes not counted as the 10 asked for");
    ck_assert_msg(s.readable_within(Millis(50)), "10 bytes not counted as any");
    ::close(fds.backend);
}
END_TEST

START_TEST(the_mark_is_one_again_after_the_wait)
{
    unit::FdPair fds = unit::tcp_pair();
    Socket s(fds.proxy);
    ck_assert_int_eq(::send(fds.backend, "x", 1, 0), 1);
    ck_assert(unit::wait_readable(fds.proxy, 5000));
    ck_assert(!s.readable_within(Millis(20), 4096));
    ck_assert_msg(s.readable_now(), "one byte no longer counts after a wait for more");
    ck_assert_msg(!s.idle_and_open(), "a pooled connection's stray byte went unseen");
    ::close(fds.backend);
}
END_TEST

START_TEST(eof_counts_whatever_was_asked)
{
    unit::FdPair fds = unit::tcp_pair();
    Socket s(fds.proxy);
    ck_assert_int_eq(::send(fds.backend, "tail", 4, 0), 4);
    ::shutdown(fds.backend, SHUT_WR);
    ck_assert_msg(s.readable_within(Millis(5000), 65536), "the backend's close did not end the wait");
    ::close(fds.backend);
}
END_TEST

int main()
{
    Suite* s = suite_create("socket");
    TCase* tc = tcase_create("low_water");
    tcase_add_test(tc, fewer_bytes_than_asked_do_not_count);
    tcase_add_test(tc, the_mark_is_one_again_after_the_wait);
    tcase_add_test(tc, eof_counts_whatever_was_asked);
    suite_add_tcase(s, tc);
    return unit::run_suite(s);
}
