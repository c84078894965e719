// ox::net::AddressCache with an injected resolver and a manual clock: how
// often a member's host name is looked up, what is used while a lookup
// fails or runs, and that no caller waits for another's lookup. Then
// MemberRuntime: a failed connect looks the name up again; a literal
// address never reaches the resolver.
#include <arpa/inet.h>
#include <netinet/in.h>

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "balance/member_runtime.h"
#include "balance/member_spec.h"
#include "net/address_cache.h"
#include "state/shared_state.h"
#include "unit_util.h"

using ox::Millis;
using ox::net::AddressCache;
using ox::net::Endpoint;
using ox::net::SockAddr;

namespace {

SockAddr ipv4(const char* addr, std::uint16_t port)
{
    std::vector<SockAddr> v;
    ck_assert(ox::net::numeric_address(Endpoint{addr, port}, v));
    return v.at(0);
}

// "a.b.c.d:port" of an IPv4 SockAddr.
std::string text_of(const SockAddr& a)
{
    const auto* sin = reinterpret_cast<const sockaddr_in*>(&a.storage);
    char buf[INET_ADDRSTRLEN] = "";
    inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof buf);
    return std::string(buf) + ":" + std::to_string(ntohs(sin->sin_port));
}

// A resolver whose answer the test sets, and which counts its calls. With
// `hold` set, a call waits until release() (and says it has begun).
class FakeResolver {
public:
    ox::net::Resolver fn()
    {
        return [this](const Endpoint& ep, std::vector<SockAddr>& out) -> std::string {
            ++calls;
            if (hold) {
                entered.set();
                released.wait();
            }
            std::lock_guard<std::mutex> lock(mu_);
            if (!error.empty()) return error;
            out.clear();
            out.push_back(ipv4(answer.c_str(), ep.port));
            return {};
        };
    }
    void answer_with(const std::string& addr)
    {
        std::lock_guard<std::mutex> lock(mu_);
        answer = addr;
        error.clear();
    }
    void fail_with(const std::string& message)
    {
        std::lock_guard<std::mutex> lock(mu_);
        error = message;
    }

    std::atomic<int> calls{0};
    std::atomic<bool> hold{false};
    unit::Signal entered, released;

private:
    std::mutex mu_;
    std::string answer = "10.0.0.1";
    std::string error;
};

// get() as one string: the first address, or "error: <message>".
std::string get(AddressCache& c, ox::TimePoint now)
{
    std::vector<SockAddr> out;
    std::string err;
    if (!c.get(now, out, err)) return "error: " + err;
    ck_assert_uint_ge(out.size(), 1);
    return text_of(out[0]);
}

}  // namespace

// ============================================================================
// AddressCache
// ============================================================================

// A host written as an address is never given to the resolver, however
// much time passes or however often connecting to it fails.
START_TEST(literal_never_looked_up)
{
    FakeResolver r;
    ox::ManualTimeSource clock;
    AddressCache v4(Endpoint{"127.0.0.1", 8009}, Millis(0), r.fn());
    AddressCache v6(Endpoint{"::1", 8009}, Millis(0), r.fn());
    ck_assert(v4.literal() && v6.literal());
    for (int i = 0; i < 3; ++i) {
        CK_ASSERT_STRING_EQ(get(v4, clock.now()), "127.0.0.1:8009");
        std::vector<SockAddr> out;
        std::string err;
        ck_assert(v6.get(clock.now(), out, err));
        ck_assert_int_eq(out.at(0).storage.ss_family, AF_INET6);
        v4.refresh_soon();
        clock.advance(Millis(3600000));
    }
    ck_assert_int_eq(r.calls, 0);
}
END_TEST

// A name is looked up on first use, then again once `ttl` has passed; the
// requests in between use the answer.
START_TEST(looked_up_once_per_ttl)
{
    FakeResolver r;
    ox::ManualTimeSource clock;
    AddressCache c(Endpoint{"ox1.example.com", 8009}, Millis(60000), r.fn());
    ck_assert(!c.literal());
    ck_assert_int_eq(r.calls, 0);  // not at construction
    for (int i = 0; i < 5; ++i) CK_ASSERT_STRING_EQ(get(c, clock.now()), "10.0.0.1:8009");
    ck_assert_int_eq(r.calls, 1);

    r.answer_with("10.0.0.2");
    clock.advance(Millis(59999));
    CK_ASSERT_STRING_EQ(get(c, clock.now()), "10.0.0.1:8009");
    ck_assert_int_eq(r.calls, 1);
    clock.advance(Millis(1));
    CK_ASSERT_STRING_EQ(get(c, clock.now()), "10.0.0.2:8009");
    CK_ASSERT_STRING_EQ(get(c, clock.now()), "10.0.0.2:8009");
    ck_assert_int_eq(r.calls, 2);
}
END_TEST

// A lookup that fails is not repeated by every request: it is tried again
// after kFailedLookupRetry (or ttl, if shorter).
START_TEST(failed_lookup_retried_after_backoff)
{
    FakeResolver r;
    r.fail_with("Name or service not known");
    ox::ManualTimeSource clock;
    AddressCache c(Endpoint{"nowhere.example.com", 8009}, Millis(60000), r.fn());
    for (int i = 0; i < 10; ++i) CK_ASSERT_STRING_EQ(get(c, clock.now()), "error: Name or service not known");
    ck_assert_int_eq(r.calls, 1);
    clock.advance(AddressCache::kFailedLookupRetry - Millis(1));
    CK_ASSERT_STRING_EQ(get(c, clock.now()), "error: Name or service not known");
    ck_assert_int_eq(r.calls, 1);

    r.answer_with("10.0.0.7");
    clock.advance(Millis(1));
    CK_ASSERT_STRING_EQ(get(c, clock.now()), "10.0.0.7:8009");
    ck_assert_int_eq(r.calls, 2);

    // With a ttl shorter than the back-off, the ttl rules.
    FakeResolver r2;
    r2.fail_with("temporary failure");
    AddressCache short_ttl(Endpoint{"nowhere.example.com", 8009}, Millis(2000), r2.fn());
    CK_ASSERT_STRING_EQ(get(short_ttl, clock.now()), "error: temporary failure");
    clock.advance(Millis(1999));
    get(short_ttl, clock.now());
    ck_assert_int_eq(r2.calls, 1);
    clock.advance(Millis(1));
    get(short_ttl, clock.now());
    ck_assert_int_eq(r2.calls, 2);
}
END_TEST

// When a refresh fails, the addresses found before stay in use (the node
// may well still answer there), and the lookup is tried again later.
START_TEST(failed_refresh_keeps_addresses)
{
    FakeResolver r;
    ox::ManualTimeSource clock;
    AddressCache c(Endpoint{"ox1.example.com", 8009}, Millis(60000), r.fn());
    CK_ASSERT_STRING_EQ(get(c, clock.now()), "10.0.0.1:8009");
    r.fail_with("server failure");
    clock.advance(Millis(60000));
    CK_ASSERT_STRING_EQ(get(c, clock.now()), "10.0.0.1:8009");
    CK_ASSERT_STRING_EQ(get(c, clock.now()), "10.0.0.1:8009");
    ck_assert_int_eq(r.calls, 2);
    r.answer_with("10.0.0.3");
    clock.advance(AddressCache::kFailedLookupRetry);
    CK_ASSERT_STRING_EQ(get(c, clock.now()), "10.0.0.3:8009");
    ck_assert_int_eq(r.calls, 3);
}
END_TEST

// After connecting to every address failed, the name is looked up again at
// the next use, but no sooner than kMinRefresh after the last lookup.
START_TEST(refresh_soon_after_connect_failure)
{
    FakeResolver r;
    ox::ManualTimeSource clock;
    AddressCache c(Endpoint{"ox1.example.com", 8009}, Millis(60000), r.fn());
    CK_ASSERT_STRING_EQ(get(c, clock.now()), "10.0.0.1:8009");
    r.answer_with("10.0.0.9");  // the node moved
    clock.advance(Millis(400));
    c.refresh_soon();
    CK_ASSERT_STRING_EQ(get(c, clock.now()), "10.0.0.1:8009");
    ck_assert_int_eq(r.calls, 1);
    clock.advance(AddressCache::kMinRefresh - Millis(400));
    CK_ASSERT_STRING_EQ(get(c, clock.now()), "10.0.0.9:8009");
    ck_assert_int_eq(r.calls, 2);
    // Then the ttl again, from that lookup.
    clock.advance(Millis(59999));
    get(c, clock.now());
    ck_assert_int_eq(r.calls, 2);
    clock.advance(Millis(1));
    get(c, clock.now());
    ck_assert_int_eq(r.calls, 3);
}
END_TEST

// While one thread looks the name up (a slow name server), the others use
// the addresses they have, at once; none starts a lookup of its own.
START_TEST(callers_not_serialised_behind_a_lookup)
{
    FakeResolver r;
    ox::ManualTimeSource clock;
    AddressCache c(Endpoint{"ox1.example.com", 8009}, Millis(60000), r.fn());
    CK_ASSERT_STRING_EQ(get(c, clock.now()), "10.0.0.1:8009");
    clock.advance(Millis(60000));
    r.answer_with("10.0.0.2");
    r.hold = true;
    std::string slow_result;
    std::thread slow([&] { slow_result = get(c, clock.now()); });
    ck_assert(r.entered.wait());

    // Four other workers, each on its own thread: all answered while the
    // lookup is still held.
    std::vector<std::string> results(4);
    std::atomic<int> done{0};
    unit::Signal all_done;
    std::vector<std::thread> others;
    for (std::size_t i = 0; i < results.size(); ++i) {
        others.emplace_back([&, i] {
            results[i] = get(c, clock.now());
            if (++done == static_cast<int>(results.size())) all_done.set();
        });
    }
    bool answered = all_done.wait();  // bounded: 5 s
    int calls_meanwhile = r.calls;
    r.released.set();
    slow.join();
    for (auto& t : others) t.join();

    ck_assert_msg(answered, "callers waited for the lookup in flight");
    ck_assert_int_eq(calls_meanwhile, 2);
    for (const auto& s : results) CK_ASSERT_STRING_EQ(s, "10.0.0.1:8009");
    CK_ASSERT_STRING_EQ(slow_result, "10.0.0.2:8009");
    r.hold = false;
    CK_ASSERT_STRING_EQ(get(c, clock.now()), "10.0.0.2:8009");
    ck_assert_int_eq(r.calls, 2);
}
END_TEST

// Before the first answer there is nothing to use: other callers wait for
// the lookup in flight instead of starting their own.
START_TEST(first_lookup_shared)
{
    FakeResolver r;
    r.hold = true;
    ox::ManualTimeSource clock;
    AddressCache c(Endpoint{"ox1.example.com", 8009}, Millis(60000), r.fn());
    std::string first, second;
    std::thread a([&] { first = get(c, clock.now()); });
    ck_assert(r.entered.wait());
    std::thread b([&] { second = get(c, clock.now()); });
    // b is waiting (or about to): let the lookup finish.
    r.released.set();
    a.join();
    b.join();
    CK_ASSERT_STRING_EQ(first, "10.0.0.1:8009");
    CK_ASSERT_STRING_EQ(second, "10.0.0.1:8009");
    ck_assert_int_eq(r.calls, 1);
}
END_TEST

// ============================================================================
// MemberRuntime
// ============================================================================

namespace {

struct Member {
    explicit Member(const std::string& url, ox::net::Resolver resolver)
        : table({{"b", url, ox::AdminState::active}})
    {
        std::string err = ox::parse_member(url, {}, spec);
        ck_assert_msg(err.empty(), "%s", err.c_str());
        const ox::state::Table& t = table.table();
        rt = std::make_unique<ox::MemberRuntime>(spec, t.slot(0), t.node_of(0), t.sketch(0), Millis(2000), 4,
                                                  std::move(resolver));
    }
    ox::MemberSpec spec;
    ox::state::LocalTable table;
    std::unique_ptr<ox::MemberRuntime> rt;
};

}  // namespace

// A member whose name pointed at an address that refuses: the failed
// connect makes the next one look the name up again, and it reaches the
// node at its new address.
START_TEST(member_connect_failure_looks_up_again)
{
    unit::ReservedPort old_home;
    unit::RequestLog log;
    unit::FakeAjpServer new_home([&](unit::BackendPeer& p, int no) { unit::serve_all(p, log, no, "moved"); });
    std::atomic<int> calls{0};
    std::atomic<std::uint16_t> port{old_home.port()};
    Member m("ajp://ox1.example.com:8009", [&](const Endpoint&, std::vector<SockAddr>& out) -> std::string {
        ++calls;
        out = {ipv4("127.0.0.1", port)};
        return {};
    });
    ox::ManualTimeSource clock;
    ox::proxy::Outcome o;
    ck_assert(!m.rt->open(clock.now(), o));
    CK_ASSERT_FAILURE(o.failure, ox::proxy::Failure::connect_refused);
    ck_assert_int_eq(calls, 1);

    port = new_home.port();
    clock.advance(AddressCache::kMinRefresh);
    auto conn = m.rt->open(clock.now(), o);
    ck_assert_msg(conn != nullptr, "failure: %s", ox::proxy::failure_name(o.failure));
    ck_assert_int_eq(calls, 2);
    m.rt->finish(std::move(conn), false, clock.now());
}
END_TEST

// A member URL with an address: the resolver is never asked, even after
// connects fail.
START_TEST(member_literal_never_looked_up)
{
    unit::ReservedPort down;
    std::atomic<int> calls{0};
    Member m(down.url(), [&](const Endpoint&, std::vector<SockAddr>&) -> std::string {
        ++calls;
        return "must not be called";
    });
    ox::ManualTimeSource clock;
    for (int i = 0; i < 3; ++i) {
        ox::proxy::Outcome o;
        ck_assert(!m.rt->open(clock.now(), o));
        CK_ASSERT_FAILURE(o.failure, ox::proxy::Failure::connect_refused);
        clock.advance(Millis(120000));
    }
    ck_assert_int_eq(calls, 0);
}
END_TEST

// open() holds no lock of the member's while it looks the name up: with
// the first lookup of a max=1 member in flight (held by the resolver), its
// connection count, its error window and a second get() all answer at once
// (the second get() finds the one connection taken: member_busy, rather than
// waiting for the pool behind the lookup), and a second member with a
// name of its own is looked up and connected meanwhile.
START_TEST(member_lookup_holds_no_member_lock)
{
    unit::RequestLog log;
    unit::FakeAjpServer server([&](unit::BackendPeer& p, int no) { unit::serve_all(p, log, no, "ok"); });
    FakeResolver r;
    r.answer_with("127.0.0.1");
    r.hold = true;
    const std::string url = "ajp://ox1.example.com:" + std::to_string(server.port());
    ox::MemberSpec spec;
    std::string err = ox::parse_member(url, {"max=1"}, spec);
    ck_assert_msg(err.empty(), "%s", err.c_str());
    ox::state::LocalTable table({{"b", url, ox::AdminState::active}});
    const ox::state::Table& t = table.table();
    ox::MemberRuntime m(spec, t.slot(0), t.node_of(0), t.sketch(0), Millis(2000), 4, r.fn());
    std::atomic<int> other_calls{0};
    Member other("ajp://ox2.example.com:" + std::to_string(server.port()),
                 [&](const Endpoint& ep, std::vector<SockAddr>& out) -> std::string {
                     ++other_calls;
                     out = {ipv4("127.0.0.1", ep.port)};
                     return {};
                 });
    ox::ManualTimeSource clock;

    std::unique_ptr<ox::net::BackendConnection> first;
    ox::proxy::Outcome first_o;
    std::thread looking([&] {
        bool reused = false;
        first = m.get(clock.now(), reused, first_o, true);
    });
    ck_assert(r.entered.wait());

    // Everything below runs on a thread of its own, so that a lock held
    // across the lookup shows as a test that did not finish, not a hang.
    std::size_t live = 99, idle = 99;
    bool marked = false, in_error = false, got_second = true, other_opened = false;
    ox::proxy::Outcome second_o;
    unit::Signal done;
    std::thread meanwhile([&] {
        live = m.live_connections();
        idle = m.idle_connections();
        marked = m.mark_failed(clock.now());
        in_error = m.in_error(clock.now());
        m.mark_ok(clock.now());
        bool reused = false;
        got_second = m.get(clock.now(), reused, second_o, true) != nullptr;
        ox::proxy::Outcome o;
        auto c = other.rt->open(clock.now(), o);
        other_opened = c != nullptr;
        other.rt->finish(std::move(c), false, clock.now());
        done.set();
    });
    bool answered = done.wait();  // bounded: 5 s
    int calls_meanwhile = r.calls;
    r.released.set();
    looking.join();
    meanwhile.join();

    ck_assert_msg(answered, "the member's operations waited for its lookup");
    ck_assert_int_eq(calls_meanwhile, 1);
    ck_assert_uint_eq(live, 1);  // the connection being opened holds the one place
    ck_assert_uint_eq(idle, 0);
    ck_assert(marked);
    ck_assert(in_error);
    ck_assert(!got_second);
    CK_ASSERT_FAILURE(second_o.failure, ox::proxy::Failure::member_busy);
    ck_assert(other_opened);
    ck_assert_int_eq(other_calls, 1);
    ck_assert_msg(first != nullptr, "failure: %s", ox::proxy::failure_name(first_o.failure));
    m.finish(std::move(first), false, clock.now());
}
END_TEST

int main()
{
    Suite* s = suite_create("address_cache");
    TCase* cache = tcase_create("cache");
    tcase_set_timeout(cache, 30);
    tcase_add_test(cache, literal_never_looked_up);
    tcase_add_test(cache, looked_up_once_per_ttl);
    tcase_add_test(cache, failed_lookup_retried_after_backoff);
    tcase_add_test(cache, failed_refresh_keeps_addresses);
    tcase_add_test(cache, refresh_soon_after_connect_failure);
    tcase_add_test(cache, callers_not_serialised_behind_a_lookup);
    tcase_add_test(cache, first_lookup_shared);
    suite_add_tcase(s, cache);

    TCase* member = tcase_create("member");
    tcase_set_timeout(member, 30);
    tcase_add_test(member, member_connect_failure_looks_up_again);
    tcase_add_test(member, member_literal_never_looked_up);
    tcase_add_test(member, member_lookup_holds_no_member_lock);
    suite_add_tcase(s, member);
    return unit::run_suite(s);
}
