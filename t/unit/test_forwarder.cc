// ox::BalancerRuntime::forward against fake AJP backends listening on
// 127.0.0.1: member choice (round robin, skipping and avoiding failed
// members), which failures are retried where, and pooled connections that
// died while idle or under a request.
#include <sys/socket.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "balance/balancer_runtime.h"
#include "balance/member_spec.h"
#include "unit_util.h"

using ox::Millis;
using ox::proxy::BodyKind;
using ox::proxy::Failure;
using ox::proxy::Header;
using ox::proxy::Request;
using unit::BackendPeer;
using unit::Bytes;
using unit::FakeAjpServer;
using unit::RecordingSink;
using unit::RequestLog;
using unit::ReservedPort;
using unit::StringBody;

namespace {

// One balancer with an injected clock and a recording observer. Declare it
// after the servers it points to: it closes its pooled connections first.
class Balancer {
public:
    // `params`: key=value words separated by spaces.
    void add(const std::string& url, std::string_view params_text = "")
    {
        ox::MemberSpec m;
        std::vector<std::string_view> params;
        while (!params_text.empty()) {
            std::size_t sp = std::min(params_text.find(' '), params_text.size());
            if (sp > 0) params.push_back(params_text.substr(0, sp));
            params_text.remove_prefix(std::min(sp + 1, params_text.size()));
        }
        std::string err = ox::parse_member(url, params, m);
        ck_assert_msg(err.empty(), "%s", err.c_str());
        err = spec.add_member(m);
        ck_assert_msg(err.empty(), "%s", err.c_str());
    }
    void start()
    {
        spec.name = "test";
        rt = std::make_unique<ox::BalancerRuntime>(spec, Millis(5000), 4);
    }
    ox::ForwardResult forward(const Request& req, ox::proxy::BodySource& body, RecordingSink& sink)
    {
        std::vector<char> scratch(rt->scratch_size(req));
        return rt->forward(req, body, sink, scratch.data(), obs, clock);
    }
    // Drops the runtime and with it every pooled connection.
    void stop() { rt.reset(); }

    ox::BalancerSpec spec;
    std::unique_ptr<ox::BalancerRuntime> rt;
    ox::ManualTimeSource clock;
    unit::RecordingObserver obs;
};

using unit::get_request;

// A POST whose Content-Length header and field match `length`; the header
// storage lives in `cl`.
Request post_request(std::size_t length, std::string& cl, Header (&h)[2])
{
    cl = std::to_string(length);
    h[0] = {"Host", "ox.example.com"};
    h[1] = {"Content-Length", cl};
    Request r = get_request();
    r.method = "POST";
    r.headers = h;
    r.header_count = 2;
    r.body = BodyKind::length;
    r.content_length = static_cast<std::int64_t>(length);
    return r;
}

// A GET through the balancer; the response body is in `body`.
ox::ForwardResult get(Balancer& bal, std::string* body = nullptr)
{
    StringBody none;
    RecordingSink sink;
    Request req = get_request();
    ox::ForwardResult res = bal.forward(req, none, sink);
    if (body) *body = sink.body_text;
    return res;
}

// A POST of `data` through the balancer.
ox::ForwardResult post(Balancer& bal, const std::string& data, std::string* body = nullptr, StringBody* src = nullptr)
{
    std::string cl;
    Header h[2];
    Request req = post_request(data.size(), cl, h);
    StringBody own(data);
    StringBody& source = src ? *src : own;
    RecordingSink sink;
    ox::ForwardResult res = bal.forward(req, source, sink);
    if (body) *body = sink.body_text;
    return res;
}

FakeAjpServer::Handler serve_all(RequestLog& log, std::string answer)
{
    return [&log, answer](BackendPeer& p, int no) { unit::serve_all(p, log, no, answer); };
}

// A member whose first connection answers one request ("first"), then reads
// the next, sends `then_send` (nothing: no answer at all) and closes: the
// pooled connection dies under that request. Later connections serve
// everything ("fresh").
FakeAjpServer::Handler pooled_dies_after_one(RequestLog& log, unit::Bytes then_send = {})
{
    return [&log, then_send](BackendPeer& p, int no) {
        if (no > 0) return unit::serve_all(p, log, no, "fresh");
        unit::serve_one(p, log, no, "first");
        unit::read_request_only(p, log, no);
        if (!then_send.empty()) p.send(then_send);
    };
}

void assert_attempt(const unit::RecordingObserver& obs, std::size_t i, const std::string& url, Failure f,
                    bool request_sent, bool retrying)
{
    ck_assert_msg(i < obs.attempts.size(), "no attempt %zu (have %zu)", i, obs.attempts.size());
    const auto& a = obs.attempts[i];
    ck_assert_str_eq(a.member.c_str(), url.c_str());
    CK_ASSERT_FAILURE(a.failure, f);
    ck_assert_msg(a.request_sent == request_sent, "attempt %zu: request_sent %d", i, a.request_sent);
    ck_assert_msg(a.retrying == retrying, "attempt %zu: retrying %d", i, a.retrying);
}


// ---- idle connections (pingidle=) -----------------------------------------

// Holds the first answers until `n` connections are in: `n` requests at
// once then leave `n` connections in the pool.
class Gate {
public:
    explicit Gate(int n) : n_(n) {}
    void arrive()
    {
        ++in_;
        for (int i = 0; i < 5000 && in_.load() < n_; ++i) std::this_thread::sleep_for(Millis(1));
    }

private:
    int n_;
    std::atomic<int> in_{0};
};

// `n` GETs at once, each with an observer of its own; every one succeeds,
// and the member has `n` idle connections after.
void fill_pool(Balancer& bal, int n)
{
    std::atomic<int> ok{0};
    std::vector<std::thread> ts;
    for (int i = 0; i < n; ++i) {
        ts.emplace_back([&] {
            unit::RecordingObserver obs;
            StringBody none;
            RecordingSink sink;
            Request req = get_request();
            std::vector<char> scratch(bal.rt->scratch_size(req));
            if (bal.rt->forward(req, none, sink, scratch.data(), obs, bal.clock).outcome.ok()) ++ok;
        });
    }
    for (auto& t : ts) t.join();
    ck_assert_int_eq(ok.load(), n);
    ck_assert_uint_eq(bal.rt->member(0).idle_connections(), static_cast<std::size_t>(n));
}

// The backend side of an HTTP/1.1 connection: answers every request with
// 200 "ok" and notes "METHOD conn_no" for each, until the proxy closes.
void serve_http(BackendPeer& p, int no, std::mutex& mu, std::vector<std::string>& seen)
{
    std::string buf;
    char tmp[16384];
    for (;;) {
        if (!unit::recv_http_head(p, buf)) return;
        std::size_t end = buf.find("\r\n\r\n");
        std::string head = buf.substr(0, end + 4);
        std::string lower = head;
        for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        std::size_t length = 0;
        std::size_t cl = lower.find("\r\ncontent-length: ");
        if (cl != std::string::npos) length = std::strtoul(head.c_str() + cl + 18, nullptr, 10);
        while (buf.size() < head.size() + length) {
            ssize_t n = ::recv(p.fd(), tmp, sizeof tmp, 0);
            if (n <= 0) return;
            buf.append(tmp, static_cast<std::size_t>(n));
        }
        buf.erase(0, head.size() + length);
        {
            std::lock_guard<std::mutex> lock(mu);
            seen.push_back(head.substr(0, head.find(' ')) + " " + std::to_string(no));
        }
        if (!p.send(unit::bytes_of("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"))) return;
    }
}

std::string http_url(const FakeAjpServer& s) { return "http://127.0.0.1:" + std::to_string(s.port()); }

// A request with a Content-Length body of `length` bytes and `method`.
ox::ForwardResult send_body(Balancer& bal, const char* method, std::size_t length)
{
    std::string cl;
    Header h[2];
    Request req = post_request(length, cl, h);
    req.method = method;
    StringBody data(std::string(length, 'x'));
    RecordingSink sink;
    return bal.forward(req, data, sink);
}
}  // namespace

// ============================================================================
// Member choice
// ============================================================================

// failonstatus=: a status the operator named puts the member into its
// error window (the client still gets the response); the member's own list
// wins over the balancer's OXFailOnStatus.
START_TEST(fail_on_status_marks_member)
{
    RequestLog la, lb;
    FakeAjpServer a([&](BackendPeer& p, int) {
        while (unit::read_request_only(p, la, 0)) {
            p.send(unit::cat({unit::pkt_headers(503, "Starting"), unit::pkt_body("wait"), unit::pkt_end(true)}));
        }
    });
    FakeAjpServer b(serve_all(lb, "B"));
    Balancer bal;
    bal.add(a.url(), "failonstatus=500-503");
    bal.add(b.url());
    bal.spec.fail_on_status = {{404, 404}};  // the balancer's: A has its own
    ck_assert(bal.spec.resolve_health_checks().empty());
    ck_assert_uint_eq(bal.spec.members[1].fail_on_status.size(), 1);  // B takes the balancer's
    bal.start();
    StringBody none;
    RecordingSink sink;
    ox::ForwardResult res = bal.forward(get_request(), none, sink);
    CK_ASSERT_FAILURE(res.outcome.failure, Failure::none);
    ck_assert_int_eq(sink.status, 503);  // the client gets what the backend said
    ck_assert_uint_eq(bal.obs.failed_members.size(), 1);
    CK_ASSERT_STRING_EQ(bal.obs.failed_members[0], a.url());
    std::string body;
    for (int i = 0; i < 3; ++i) {
        ox::ForwardResult r = get(bal, &body);
        CK_ASSERT_FAILURE(r.outcome.failure, Failure::none);
        ck_assert_str_eq(body.c_str(), "B");  // A is avoided for retry=
    }
    bal.stop();
    a.stop();
    b.stop();
}
END_TEST

// max= as mod_proxy means it: at most that many connections per process,
// in use plus idle. With all of them in use (acquire=0: no waiting), a
// request of the member's own session gets 503 (moving the session would
// cost the user the session), and a new session goes to another member.
START_TEST(max_busy_member)
{
    unit::Signal release, held;
    RequestLog la, lb;
    std::atomic<bool> first_conn{true};
    FakeAjpServer a([&](BackendPeer& p, int no) {
        if (first_conn.exchange(false)) {
            unit::read_request_only(p, la, no);
            held.set();
            release.wait();
            p.send(unit::cat({unit::pkt_headers(200, "OK"), unit::pkt_body("A"), unit::pkt_end(true)}));
        }
        unit::serve_all(p, la, no, "A");
    });
    FakeAjpServer b(serve_all(lb, "B"));
    Balancer bal;
    bal.add(a.url(), "route=RA max=1");
    bal.add(b.url(), "route=RB");
    bal.start();

    Header sticky_h[2] = {{"Host", "ox.example.com"}, {"Cookie", "JSESSIONID=7.RA"}};
    Request sticky = get_request();
    sticky.headers = sticky_h;
    sticky.header_count = 2;
    std::thread first([&] {
        StringBody none;
        RecordingSink sink;
        Request req = sticky;
        ox::ForwardResult r = bal.forward(req, none, sink);
        ck_assert(r.outcome.ok());
    });
    ck_assert(held.wait());  // A's one connection is in use

    StringBody none;
    RecordingSink sink;
    ox::ForwardResult res = bal.forward(sticky, none, sink);
    CK_ASSERT_FAILURE(res.outcome.failure, Failure::member_busy);
    ck_assert_int_eq(res.attempts, 1);
    CK_ASSERT_STRING_EQ(res.member->url, a.url());
    ck_assert_int_eq(a.accepted(), 1);  // no second connection was opened

    std::string bodies;
    for (int i = 0; i < 2; ++i) {
        std::string body;
        ox::ForwardResult r = get(bal, &body);
        CK_ASSERT_FAILURE(r.outcome.failure, Failure::none);
        bodies += body;
    }
    ck_assert_str_eq(bodies.c_str(), "BB");  // the new session that picked A went to B
    bool busy_retried = false;
    for (const auto& at : bal.obs.attempts) busy_retried = busy_retried || (at.failure == Failure::member_busy && at.retrying);
    ck_assert(busy_retried);
    ck_assert_uint_eq(bal.obs.failed_members.size(), 0);  // busy is no failure of the member

    release.set();
    first.join();
    RecordingSink after;
    ox::ForwardResult r = bal.forward(sticky, none, after);
    ck_assert(r.outcome.ok());
    ck_assert_str_eq(after.body_text.c_str(), "A");
    bal.stop();
    a.stop();
    b.stop();
}
END_TEST

// Requests alternate between the members; each member's connection is
// pooled and reused.
START_TEST(round_robin_alternates)
{
    RequestLog la, lb;
    FakeAjpServer a(serve_all(la, "A"));
    FakeAjpServer b(serve_all(lb, "B"));
    Balancer bal;
    bal.add(a.url());
    bal.add(b.url());
    bal.start();

    std::string seq, reused;
    for (int i = 0; i < 4; ++i) {
        std::string body;
        ox::ForwardResult res = get(bal, &body);
        CK_ASSERT_FAILURE(res.outcome.failure, Failure::none);
        ck_assert_int_eq(res.attempts, 1);
        CK_ASSERT_STRING_EQ(res.member->url, (i % 2 ? b : a).url());
        seq += body;
        reused += res.reused ? 'r' : 'n';
    }
    ck_assert_str_eq(seq.c_str(), "ABAB");
    ck_assert_str_eq(reused.c_str(), "nnrr");
    ck_assert_uint_eq(bal.obs.attempts.size(), 0);
    ck_assert_uint_eq(bal.rt->member(0).idle_connections(), 1);

    bal.stop();
    a.stop();
    b.stop();
    ck_assert_int_eq(a.accepted(), 1);
    ck_assert_int_eq(b.accepted(), 1);
    ck_assert_uint_eq(la.size(), 2);
    ck_assert_uint_eq(lb.size(), 2);
}
END_TEST

// Sticky requests note their session into their member's sketch (the
// status page's "sessions seen" column); requests without a route note
// nothing, and a session seen three times counts once.
START_TEST(sticky_sessions_noted)
{
    RequestLog la, lb;
    FakeAjpServer a(serve_all(la, "A"));
    FakeAjpServer b(serve_all(lb, "B"));
    Balancer bal;
    bal.add(a.url(), "route=A");
    bal.add(b.url(), "route=B");
    bal.start();

    for (const char* id : {"1.A", "2.A", "1.A", "1.A", "3.B"}) {
        std::string cookie = std::string("JSESSIONID=") + id;
        Header h{"Cookie", cookie};
        Request req = get_request();
        req.headers = &h;
        req.header_count = 1;
        StringBody none;
        RecordingSink sink;
        ox::ForwardResult res = bal.forward(req, none, sink);
        CK_ASSERT_FAILURE(res.outcome.failure, Failure::none);
        ck_assert(res.reason == ox::Reason::sticky);
    }
    for (int i = 0; i < 4; ++i) get(bal);  // new sessions: not noted

    std::int64_t minute =
        std::chrono::duration_cast<std::chrono::minutes>(std::chrono::system_clock::now().time_since_epoch()).count();
    ck_assert_uint_eq(ox::state::estimate_sessions(bal.rt->member(0).sketch(), minute, 10), 2);
    ck_assert_uint_eq(ox::state::estimate_sessions(bal.rt->member(1).sketch(), minute, 10), 1);
    ck_assert_uint_eq(bal.rt->member(0).slot().sticky.load(), 4);
    ck_assert(bal.rt->member(0).slot().last_sticky_ms.load() > 0);
    bal.stop();
    a.stop();
    b.stop();
}
END_TEST

// A response that was on its way when its node failed does not end the
// error window another request opened meanwhile: only a request that began
// after the window opened proves the node is back.
START_TEST(success_from_before_the_failure_keeps_the_window)
{
    ReservedPort down;
    Balancer bal;
    bal.add(down.url(), "retry=60");
    bal.start();
    ox::MemberRuntime& m = bal.rt->member(0);
    bal.clock.advance(Millis(1000));
    ox::TimePoint before = bal.clock.now();
    bal.clock.advance(Millis(500));
    ck_assert(m.mark_failed(bal.clock.now()));
    m.mark_ok(before);
    ck_assert(m.in_error(bal.clock.now()));
    bal.clock.advance(Millis(10));
    m.mark_ok(bal.clock.now());
    ck_assert(!m.in_error(bal.clock.now()));
}
END_TEST

// A member whose port refuses connections is skipped: the request is served
// by the other member; the observer hears of the failed attempt (retrying)
// and of the member entering the error state, once.
START_TEST(refused_member_skipped)
{
    ReservedPort down;
    RequestLog lb;
    FakeAjpServer b(serve_all(lb, "B"));
    Balancer bal;
    bal.add(down.url());
    bal.add(b.url());
    bal.start();

    std::string body;
    ox::ForwardResult res = get(bal, &body);
    CK_ASSERT_FAILURE(res.outcome.failure, Failure::none);
    ck_assert_str_eq(body.c_str(), "B");
    ck_assert_int_eq(res.attempts, 2);
    CK_ASSERT_STRING_EQ(res.member->url, b.url());
    ck_assert_uint_eq(bal.obs.attempts.size(), 1);
    assert_attempt(bal.obs, 0, down.url(), Failure::connect_refused, false, true);
    ck_assert_uint_eq(bal.obs.failed_members.size(), 1);
    CK_ASSERT_STRING_EQ(bal.obs.failed_members[0], down.url());
    ck_assert(bal.rt->member(0).in_error(bal.clock.now()));
    ck_assert(!bal.rt->member(1).in_error(bal.clock.now()));
}
END_TEST

// The forward request is encoded for each attempt's member: the member the
// request was retried on gets its own route, not the first one's.
START_TEST(head_encoded_per_member)
{
    ReservedPort down;
    RequestLog lb;
    FakeAjpServer b(serve_all(lb, "B"));
    Balancer bal;
    bal.add(down.url(), "route=D1");
    bal.add(b.url(), "route=B1");
    bal.start();

    ox::ForwardResult res = get(bal);
    CK_ASSERT_FAILURE(res.outcome.failure, Failure::none);
    ck_assert_int_eq(res.attempts, 2);
    bal.stop();
    b.stop();
    auto reqs = lb.all();
    ck_assert_uint_eq(reqs.size(), 1);
    std::string route;
    for (const auto& [code, value] : reqs[0].fwd.attributes) {
        if (code == 0x06) route = value;
    }
    ck_assert_str_eq(route.c_str(), "B1");
}
END_TEST

// A refused member is avoided for `retry` (while any other is left), and
// tried again once `retry` has passed.
START_TEST(refused_member_avoided_for_retry)
{
    ReservedPort down;
    RequestLog lb;
    FakeAjpServer b(serve_all(lb, "B"));
    Balancer bal;
    bal.add(down.url(), "retry=10");
    bal.add(b.url());
    bal.start();

    ck_assert(get(bal).outcome.ok());
    ck_assert_uint_eq(bal.obs.attempts.size(), 1);

    // Two requests (round robin starts once at each member): neither tries
    // the refused member within its retry window.
    bal.clock.advance(Millis(9999));
    for (int i = 0; i < 2; ++i) {
        ox::ForwardResult res = get(bal);
        CK_ASSERT_FAILURE(res.outcome.failure, Failure::none);
        ck_assert_int_eq(res.attempts, 1);
    }
    ck_assert_uint_eq(bal.obs.attempts.size(), 1);
    ck_assert_uint_eq(bal.obs.failed_members.size(), 1);

    // At retry the member is tried again by one of two requests, fails, and
    // enters the error state anew.
    bal.clock.advance(Millis(1));
    ck_assert(!bal.rt->member(0).in_error(bal.clock.now()));
    for (int i = 0; i < 2; ++i) ck_assert(get(bal).outcome.ok());
    ck_assert_uint_eq(bal.obs.attempts.size(), 2);
    assert_attempt(bal.obs, 1, down.url(), Failure::connect_refused, false, true);
    ck_assert_uint_eq(bal.obs.failed_members.size(), 2);
    ck_assert_uint_eq(lb.size(), 5);
}
END_TEST

// retry=0: a refused member is never put into the error state, so it is
// tried (and skipped) again by later requests at the same instant.
START_TEST(retry_zero_never_avoided)
{
    ReservedPort down;
    RequestLog lb;
    FakeAjpServer b(serve_all(lb, "B"));
    Balancer bal;
    bal.add(down.url(), "retry=0");
    bal.add(b.url());
    bal.start();

    ck_assert(get(bal).outcome.ok());
    ck_assert_uint_eq(bal.obs.attempts.size(), 1);
    ck_assert_uint_eq(bal.obs.failed_members.size(), 0);
    ck_assert(!bal.rt->member(0).in_error(bal.clock.now()));
    // Each attempt was announced before it began, with why it went there.
    ck_assert_uint_eq(bal.obs.started.size(), 2);
    CK_ASSERT_STRING_EQ(bal.obs.started[0].first, down.url());
    ck_assert(bal.obs.started[0].second == ox::Reason::new_session);
    ck_assert(bal.obs.started[1].second == ox::Reason::retry);
    // Four more requests at the same instant. The refused member is never
    // avoided, so it keeps its turn in the weighted rotation: every second
    // request tries it first and fails over to B; every failure is
    // reported, none as a member failure.
    int tried_down_first = 0;
    for (int i = 0; i < 4; ++i) {
        ox::ForwardResult res = get(bal);
        CK_ASSERT_FAILURE(res.outcome.failure, Failure::none);
        tried_down_first += res.attempts == 2;
    }
    ck_assert_int_eq(tried_down_first, 2);
    ck_assert_uint_eq(bal.obs.attempts.size(), 3);
    assert_attempt(bal.obs, 2, down.url(), Failure::connect_refused, false, true);
    ck_assert_uint_eq(bal.obs.failed_members.size(), 0);
    ck_assert_uint_eq(lb.size(), 5);
}
END_TEST

// With one member in the error state, its share of the requests spreads
// evenly over the others: with [down, B, C], B and C get one request in two
// each, rather than the member after the failed one taking its turns.
START_TEST(error_member_share_spread_evenly)
{
    ReservedPort down;
    RequestLog lb, lc;
    FakeAjpServer b(serve_all(lb, "B"));
    FakeAjpServer c(serve_all(lc, "C"));
    Balancer bal;
    bal.add(down.url());  // retry: the default 60 s
    bal.add(b.url());
    bal.add(c.url());
    bal.start();

    ck_assert(get(bal).outcome.ok());  // puts `down` into the error state
    ck_assert(bal.rt->member(0).in_error(bal.clock.now()));
    std::string seq;
    for (int i = 0; i < 6; ++i) {
        std::string body;
        ck_assert(get(bal, &body).outcome.ok());
        seq += body;
    }
    int to_b = 0, to_c = 0;
    for (char ch : seq) (ch == 'B' ? to_b : to_c)++;
    ck_assert_msg(to_b == 3 && to_c == 3, "six requests went %s (B %d, C %d)", seq.c_str(), to_b, to_c);
}
END_TEST

// Every member refuses: connect_refused, the last attempt not retrying. The
// next request still tries them all (members in error are the fallback when
// no other is left), without reporting them as newly failed.
START_TEST(all_members_refuse)
{
    ReservedPort d1, d2;
    Balancer bal;
    bal.add(d1.url());
    bal.add(d2.url());
    bal.start();

    RecordingSink sink;
    StringBody none;
    Request req = get_request();
    ox::ForwardResult res = bal.forward(req, none, sink);
    CK_ASSERT_FAILURE(res.outcome.failure, Failure::connect_refused);
    ck_assert_int_eq(res.attempts, 2);
    ck_assert(!res.outcome.request_sent);
    CK_ASSERT_STRING_EQ(res.member->url, d2.url());
    ck_assert_uint_eq(bal.obs.attempts.size(), 2);
    assert_attempt(bal.obs, 0, d1.url(), Failure::connect_refused, false, true);
    assert_attempt(bal.obs, 1, d2.url(), Failure::connect_refused, false, false);
    ck_assert_uint_eq(bal.obs.failed_members.size(), 2);
    ck_assert_str_eq(sink.events.c_str(), "");

    res = get(bal);
    CK_ASSERT_FAILURE(res.outcome.failure, Failure::connect_refused);
    ck_assert_int_eq(res.attempts, 2);
    ck_assert_uint_eq(bal.obs.attempts.size(), 4);
    ck_assert(!bal.obs.attempts[3].retrying);
    ck_assert_uint_eq(bal.obs.failed_members.size(), 2);
}
END_TEST

// Every member down: each request tries them all as a last resort. A
// window still open is not extended by those attempts, so each member is
// reported anew (member_failed, attempts not known_failing) once per
// window, and its attempts inside the window are flagged known_failing.
START_TEST(all_down_window_not_extended)
{
    ReservedPort d1, d2;
    Balancer bal;
    bal.add(d1.url(), "retry=10");
    bal.add(d2.url(), "retry=10");
    bal.start();

    ck_assert_int_eq(get(bal).attempts, 2);
    ck_assert_uint_eq(bal.obs.failed_members.size(), 2);
    ck_assert(!bal.obs.attempts[0].known_failing && !bal.obs.attempts[1].known_failing);

    // Inside the window: tried, failed, flagged, not reported again.
    bal.clock.advance(Millis(5000));
    for (int i = 0; i < 3; ++i) ck_assert_int_eq(get(bal).attempts, 2);
    ck_assert_uint_eq(bal.obs.attempts.size(), 8);
    for (std::size_t i = 2; i < 8; ++i) ck_assert_msg(bal.obs.attempts[i].known_failing, "attempt %zu", i);
    ck_assert_uint_eq(bal.obs.failed_members.size(), 2);

    // The window began at 0 and ends at 10 s, whatever failed within it.
    bal.clock.advance(Millis(5000));
    ck_assert(!bal.rt->member(0).in_error(bal.clock.now()));
    ck_assert(!bal.rt->member(1).in_error(bal.clock.now()));
    ck_assert_int_eq(get(bal).attempts, 2);
    ck_assert_uint_eq(bal.obs.failed_members.size(), 4);
    ck_assert(!bal.obs.attempts[8].known_failing && !bal.obs.attempts[9].known_failing);
}
END_TEST

// A member that takes the request and then does not answer within its
// timeout: read_timeout, not retried (the request reached the backend).
// One slow request does not put the member into its error window: it keeps
// its turns.
START_TEST(read_timeout_does_not_mark_member)
{
    RequestLog la, lb;
    FakeAjpServer a([&](BackendPeer& p, int no) {
        unit::read_request_only(p, la, no);
        p.read_to_eof();
    });
    FakeAjpServer b(serve_all(lb, "B"));
    Balancer bal;
    bal.add(a.url(), "timeout=50ms");
    bal.add(b.url());
    bal.start();

    ox::ForwardResult res = get(bal);
    CK_ASSERT_FAILURE(res.outcome.failure, Failure::read_timeout);
    ck_assert_int_eq(res.attempts, 1);
    assert_attempt(bal.obs, 0, a.url(), Failure::read_timeout, true, false);
    ck_assert_uint_eq(bal.obs.failed_members.size(), 0);
    ck_assert(!bal.rt->member(0).in_error(bal.clock.now()));

    std::string body;
    ck_assert(get(bal, &body).outcome.ok());
    ck_assert_str_eq(body.c_str(), "B");
    CK_ASSERT_FAILURE(get(bal).outcome.failure, Failure::read_timeout);
    ck_assert_uint_eq(bal.obs.failed_members.size(), 0);
    ck_assert_uint_eq(la.size(), 2);
}
END_TEST

// failontimeout=on: a read timeout puts the member into its error window,
// as in mod_proxy; still not retried elsewhere.
START_TEST(read_timeout_fail_on_timeout)
{
    RequestLog la, lb;
    FakeAjpServer a([&](BackendPeer& p, int no) {
        unit::read_request_only(p, la, no);
        p.read_to_eof();
    });
    FakeAjpServer b(serve_all(lb, "B"));
    Balancer bal;
    bal.add(a.url(), "timeout=50ms failontimeout=on");
    bal.add(b.url());
    bal.start();

    ox::ForwardResult res = get(bal);
    CK_ASSERT_FAILURE(res.outcome.failure, Failure::read_timeout);
    ck_assert_int_eq(res.attempts, 1);
    assert_attempt(bal.obs, 0, a.url(), Failure::read_timeout, true, false);
    ck_assert_uint_eq(bal.obs.failed_members.size(), 1);

    for (int i = 0; i < 2; ++i) {
        std::string body;
        ck_assert(get(bal, &body).outcome.ok());
        ck_assert_str_eq(body.c_str(), "B");
    }
    ck_assert_uint_eq(bal.obs.attempts.size(), 1);
    ck_assert_uint_eq(la.size(), 1);
}
END_TEST

// With ping=, a fresh connection must answer CPING first; a member that
// does not is skipped like one that refuses.
START_TEST(ping_failure_skips_member)
{
    RequestLog lb;
    FakeAjpServer a([](BackendPeer& p, int) {
        p.read_packet();  // the CPING, never answered
        p.read_to_eof();
    });
    FakeAjpServer b(serve_all(lb, "B"));
    Balancer bal;
    bal.add(a.url(), "ping=50ms");
    bal.add(b.url());
    bal.start();

    std::string body;
    ox::ForwardResult res = get(bal, &body);
    CK_ASSERT_FAILURE(res.outcome.failure, Failure::none);
    ck_assert_str_eq(body.c_str(), "B");
    assert_attempt(bal.obs, 0, a.url(), Failure::connect_error, false, true);
    ck_assert_uint_eq(bal.obs.failed_members.size(), 1);
}
END_TEST

// With ping=, every request, on a fresh or a pooled connection, is preceded
// by CPING/CPONG.
START_TEST(ping_before_every_request)
{
    std::vector<std::string> seen;  // written by the backend, read after stop()
    FakeAjpServer a([&](BackendPeer& p, int) {
        for (;;) {
            Bytes pkt = p.read_packet();
            if (pkt.empty()) return;
            if (pkt == unit::hex("12 34 00 01 0a")) {
                seen.push_back("PING");
                p.send(unit::pkt_cpong());
                continue;
            }
            seen.push_back(unit::describe({pkt}));
            p.send(unit::cat({unit::pkt_headers(200, "OK"), unit::pkt_body("A"), unit::pkt_end(true)}));
        }
    });
    Balancer bal;
    bal.add(a.url(), "ping=1s");
    bal.start();
    for (int i = 0; i < 2; ++i) ck_assert(get(bal).outcome.ok());
    bal.stop();
    a.stop();
    ck_assert_int_eq(a.accepted(), 1);
    std::string all;
    for (const auto& s : seen) all += s + " ";
    ck_assert_str_eq(all.c_str(), "PING FWD PING FWD ");
}
END_TEST

// ============================================================================
// What is retried where
// ============================================================================

// The forward request was written on a fresh connection, then the backend
// closed without an answer. A GET may go to another member (the client
// cannot tell it went twice); the member is put into its error window, as
// a member that accepts and closes fails every request it gets.
START_TEST(fresh_closed_get_tried_elsewhere)
{
    RequestLog la, lb;
    FakeAjpServer a([&](BackendPeer& p, int no) { unit::read_request_only(p, la, no); });
    FakeAjpServer b(serve_all(lb, "B"));
    Balancer bal;
    bal.add(a.url());
    bal.add(b.url());
    bal.start();

    std::string body;
    ox::ForwardResult res = get(bal, &body);
    CK_ASSERT_FAILURE(res.outcome.failure, Failure::none);
    ck_assert_str_eq(body.c_str(), "B");
    ck_assert_int_eq(res.attempts, 2);
    assert_attempt(bal.obs, 0, a.url(), Failure::backend_closed, true, true);
    ck_assert_uint_eq(bal.obs.failed_members.size(), 1);
    CK_ASSERT_STRING_EQ(bal.obs.failed_members[0], a.url());

    // Avoided from now on: every request is served by B at once.
    for (int i = 0; i < 4; ++i) {
        res = get(bal, &body);
        ck_assert_int_eq(res.attempts, 1);
        ck_assert_str_eq(body.c_str(), "B");
    }
    bal.stop();
    a.stop();
    ck_assert_int_eq(a.accepted(), 1);
    ck_assert_uint_eq(la.size(), 1);
    ck_assert_uint_eq(lb.size(), 5);
}
END_TEST

// The node dies after sending the response head, before its body (a
// Tomcat killed between its writes): nothing reached the client, so the GET
// goes to the other member, and the client gets that member's response
// alone, with none of the first head's headers.
START_TEST(head_then_closed_get_tried_elsewhere)
{
    RequestLog la, lb;
    FakeAjpServer a([&](BackendPeer& p, int no) {
        unit::read_request_only(p, la, no);
        p.send(unit::pkt_headers(200, "OK", {{"Set-Cookie", "JSESSIONID=dead.A"}}));
    });
    FakeAjpServer b(serve_all(lb, "B"));
    Balancer bal;
    bal.add(a.url());
    bal.add(b.url());
    bal.start();

    StringBody none;
    RecordingSink sink;
    Request req = get_request();
    ox::ForwardResult res = bal.forward(req, none, sink);
    CK_ASSERT_FAILURE(res.outcome.failure, Failure::none);
    ck_assert_int_eq(res.attempts, 2);
    CK_ASSERT_STRING_EQ(res.member->url, b.url());
    assert_attempt(bal.obs, 0, a.url(), Failure::backend_closed, true, true);
    ck_assert_msg(sink.events.rfind("HD", 0) == 0 && sink.events.back() == 'E', "events %s", sink.events.c_str());
    ck_assert_str_eq(sink.body_text.c_str(), "B");
    for (const auto& h : sink.headers) ck_assert_msg(h.first != "Set-Cookie", "the first member's header kept");
    bal.stop();
    a.stop();
    b.stop();
}
END_TEST

// The same with http:// members: a head alone is held a moment for its
// body (http::exchange, kHeadHold), so a node that closes right after it
// leaves the GET to another member.
START_TEST(http_head_then_closed_get_tried_elsewhere)
{
    std::mutex mu;
    std::vector<std::string> seen;
    FakeAjpServer a([&](BackendPeer& p, int) {
        std::string buf;
        if (!unit::recv_http_head(p, buf)) return;
        p.send(unit::bytes_of("HTTP/1.1 200 OK\r\nSet-Cookie: JSESSIONID=dead.A\r\nTransfer-Encoding: chunked\r\n\r\n"));
    });
    FakeAjpServer b([&](BackendPeer& p, int no) { serve_http(p, no, mu, seen); });
    Balancer bal;
    bal.add(http_url(a));
    bal.add(http_url(b));
    bal.start();

    StringBody none;
    RecordingSink sink;
    ox::ForwardResult res = bal.forward(get_request(), none, sink);
    CK_ASSERT_FAILURE(res.outcome.failure, Failure::none);
    ck_assert_int_eq(res.attempts, 2);
    CK_ASSERT_STRING_EQ(res.member->url, http_url(b));
    ck_assert_msg(sink.events.rfind("HD", 0) == 0 && sink.events.back() == 'E', "events %s", sink.events.c_str());
    ck_assert_str_eq(sink.body_text.c_str(), "ok");
    for (const auto& h : sink.headers) ck_assert_msg(h.first != "Set-Cookie", "the first member's header kept");
    bal.stop();
    a.stop();
    b.stop();
}
END_TEST

// The same for a POST: it reached a backend, which may have acted on it, so
// no other member is tried; its first body chunk reached one backend, once.
// The member is avoided all the same.
START_TEST(sent_then_closed_post_not_retried)
{
    RequestLog la, lb;
    FakeAjpServer a([&](BackendPeer& p, int no) { unit::read_request_only(p, la, no); });
    FakeAjpServer b(serve_all(lb, "B"));
    Balancer bal;
    bal.add(a.url());
    bal.add(b.url());
    bal.start();

    StringBody src("hello world");
    RecordingSink sink;
    std::string cl;
    Header h[2];
    Request req = post_request(11, cl, h);
    ox::ForwardResult res = bal.forward(req, src, sink);
    CK_ASSERT_FAILURE(res.outcome.failure, Failure::backend_closed);
    ck_assert(res.outcome.request_sent);
    ck_assert_int_eq(res.attempts, 1);
    CK_ASSERT_STRING_EQ(res.member->url, a.url());
    assert_attempt(bal.obs, 0, a.url(), Failure::backend_closed, true, false);
    ck_assert_int_eq(src.reads, 1);
    ck_assert_str_eq(sink.events.c_str(), "");
    ck_assert_uint_eq(bal.obs.failed_members.size(), 1);

    bal.stop();
    a.stop();
    b.stop();
    ck_assert_int_eq(b.accepted(), 0);
    auto reqs = la.all();
    ck_assert_uint_eq(reqs.size(), 1);
    ck_assert_uint_eq(reqs[0].body_packets.size(), 1);
    ck_assert_str_eq(reqs[0].body_packets[0].c_str(), "hello world");
}
END_TEST

// A member that is no AJP server (the URL names an HTTP port): its answer
// is malformed AJP. The GET goes to the other member, and the member is
// avoided from then on instead of failing every other request with 502.
START_TEST(not_ajp_member_avoided)
{
    RequestLog la, lb;
    FakeAjpServer a([&](BackendPeer& p, int) {
        p.read_packet();
        p.send(unit::bytes_of("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"));
    });
    FakeAjpServer b(serve_all(lb, "B"));
    Balancer bal;
    bal.add(a.url());
    bal.add(b.url());
    bal.start();

    std::string seq;
    for (int i = 0; i < 5; ++i) {
        std::string body;
        ox::ForwardResult res = get(bal, &body);
        CK_ASSERT_FAILURE(res.outcome.failure, Failure::none);
        seq += body;
    }
    ck_assert_str_eq(seq.c_str(), "BBBBB");
    ck_assert_uint_eq(bal.obs.attempts.size(), 1);
    assert_attempt(bal.obs, 0, a.url(), Failure::malformed, true, true);
    ck_assert_uint_eq(bal.obs.failed_members.size(), 1);
    bal.stop();
    a.stop();
    ck_assert_int_eq(a.accepted(), 1);
}
END_TEST

// A member that accepts and closes at once, before reading anything: the
// write or the read fails, the GET goes to the other member, the member is
// avoided.
START_TEST(accept_and_close_member_avoided)
{
    RequestLog lb;
    FakeAjpServer a([](BackendPeer& p, int) { p.close(); });
    FakeAjpServer b(serve_all(lb, "B"));
    Balancer bal;
    bal.add(a.url());
    bal.add(b.url());
    bal.start();

    for (int i = 0; i < 3; ++i) {
        std::string body;
        ck_assert(get(bal, &body).outcome.ok());
        ck_assert_str_eq(body.c_str(), "B");
    }
    ck_assert_uint_eq(bal.obs.attempts.size(), 1);
    Failure f = bal.obs.attempts[0].failure;
    ck_assert_msg(f == Failure::backend_closed || f == Failure::send_failed, "failure: %s",
                  ox::proxy::failure_name(f));
    ck_assert(bal.obs.attempts[0].retrying);
    ck_assert_uint_eq(bal.obs.failed_members.size(), 1);
}
END_TEST

// A PUT (idempotent) whose body fits into the first chunk: that chunk is
// kept, so after a close it goes to the other member, whole and once more.
START_TEST(small_put_tried_elsewhere_with_body)
{
    RequestLog la, lb;
    FakeAjpServer a([&](BackendPeer& p, int no) { unit::read_request_only(p, la, no); });
    FakeAjpServer b(serve_all(lb, "B"));
    Balancer bal;
    bal.add(a.url());
    bal.add(b.url());
    bal.start();

    std::string cl;
    Header h[2];
    Request req = post_request(5, cl, h);
    req.method = "PUT";
    StringBody src("hello");
    RecordingSink sink;
    ox::ForwardResult res = bal.forward(req, src, sink);
    CK_ASSERT_FAILURE(res.outcome.failure, Failure::none);
    ck_assert_str_eq(sink.body_text.c_str(), "B");
    ck_assert_int_eq(res.attempts, 2);
    ck_assert_int_eq(src.reads, 1);
    auto reqs = lb.all();
    ck_assert_uint_eq(reqs.size(), 1);
    ck_assert_uint_eq(reqs[0].body_packets.size(), 1);
    ck_assert_str_eq(reqs[0].body_packets[0].c_str(), "hello");
}
END_TEST

// A PUT whose backend read more of the body than the first chunk, then
// closed: the client's body is partly gone, so no other member can be
// given the request.
START_TEST(put_body_read_not_retried)
{
    RequestLog lb;
    FakeAjpServer a([](BackendPeer& p, int) {
        p.read_packet();  // forward request
        p.read_packet();  // first chunk
        p.send(unit::pkt_get_body(8186));
        p.read_packet();  // the second chunk, then close
    });
    FakeAjpServer b(serve_all(lb, "B"));
    Balancer bal;
    bal.add(a.url());
    bal.add(b.url());
    bal.start();

    const std::string data = unit::pattern(20000, 5);
    std::string cl;
    Header h[2];
    Request req = post_request(data.size(), cl, h);
    req.method = "PUT";
    StringBody src(data);
    RecordingSink sink;
    ox::ForwardResult res = bal.forward(req, src, sink);
    CK_ASSERT_FAILURE(res.outcome.failure, Failure::backend_closed);
    ck_assert(res.outcome.body_started);
    ck_assert_int_eq(res.attempts, 1);
    assert_attempt(bal.obs, 0, a.url(), Failure::backend_closed, true, false);
    ck_assert_uint_eq(bal.obs.failed_members.size(), 1);
    bal.stop();
    b.stop();
    ck_assert_int_eq(b.accepted(), 0);
}
END_TEST

// Malformed AJP after a valid response head: the response had begun, so it
// is not repeated, and the member answered, so it is not avoided.
START_TEST(malformed_after_head_not_counted)
{
    RequestLog la, lb;
    FakeAjpServer a([&](BackendPeer& p, int no) {
        unit::read_request_only(p, la, no);
        p.send(unit::cat({unit::pkt_headers(200, "OK"), unit::bytes_of("XYZW")}));
        p.read_to_eof();
    });
    FakeAjpServer b(serve_all(lb, "B"));
    Balancer bal;
    bal.add(a.url());
    bal.add(b.url());
    bal.start();

    ox::ForwardResult res = get(bal);
    CK_ASSERT_FAILURE(res.outcome.failure, Failure::malformed);
    ck_assert(res.outcome.head_sent);
    ck_assert_int_eq(res.attempts, 1);
    ck_assert_uint_eq(bal.obs.failed_members.size(), 0);
    ck_assert(!bal.rt->member(0).in_error(bal.clock.now()));
    bal.stop();
    b.stop();
    ck_assert_int_eq(b.accepted(), 0);
}
END_TEST

// A POST whose first member refuses: the other member gets the body, whole
// and once; the client body was read once (the first chunk is kept for the
// retry, the rest is read only as the serving backend asks for it).
START_TEST(post_after_refusal_body_sent_once)
{
    ReservedPort down;
    RequestLog lb;
    FakeAjpServer b(serve_all(lb, "B"));
    Balancer bal;
    bal.add(down.url());
    bal.add(b.url());
    bal.start();

    const std::string data = unit::pattern(20000, 3);  // larger than one packet
    StringBody src(data);
    std::string body;
    ox::ForwardResult res = post(bal, data, &body, &src);
    CK_ASSERT_FAILURE(res.outcome.failure, Failure::none);
    ck_assert_str_eq(body.c_str(), "B");
    ck_assert_int_eq(res.attempts, 2);
    ck_assert_uint_eq(res.outcome.body_bytes_in, data.size());
    ck_assert_uint_eq(src.consumed, data.size());

    auto reqs = lb.all();
    ck_assert_uint_eq(reqs.size(), 1);
    std::vector<std::size_t> sizes;
    std::string joined;
    for (const auto& p : reqs[0].body_packets) {
        sizes.push_back(p.size());
        joined += p;
    }
    ck_assert_msg(sizes == std::vector<std::size_t>({8186, 8186, 3628}), "body packets of %zu, %zu, ... bytes",
                  sizes.size() > 0 ? sizes[0] : 0, sizes.size() > 1 ? sizes[1] : 0);
    ck_assert_msg(joined == data, "body bytes differ");
}
END_TEST

// A client body that cannot be read: no member is tried at all.
START_TEST(client_body_error_before_any_attempt)
{
    RequestLog la;
    FakeAjpServer a(serve_all(la, "A"));
    Balancer bal;
    bal.add(a.url());
    bal.start();

    std::string cl;
    Header h[2];
    Request req = post_request(11, cl, h);
    StringBody src("hel");  // 8 bytes short
    RecordingSink sink;
    ox::ForwardResult res = bal.forward(req, src, sink);
    CK_ASSERT_FAILURE(res.outcome.failure, Failure::client_body_error);
    ck_assert_int_eq(res.attempts, 0);
    ck_assert_ptr_null(res.member);
    ck_assert_uint_eq(bal.obs.attempts.size(), 0);
    bal.stop();
    a.stop();
    ck_assert_int_eq(a.accepted(), 0);
}
END_TEST

// A request head too large for a packet is the request's fault: no other
// member is tried and no member is blamed.
START_TEST(request_too_large_not_retried)
{
    RequestLog la, lb;
    FakeAjpServer a(serve_all(la, "A"));
    FakeAjpServer b(serve_all(lb, "B"));
    Balancer bal;
    bal.add(a.url());
    bal.add(b.url());
    bal.start();

    std::string big(9000, 'x');
    Header h[] = {{"X-Big", big}};
    Request req = get_request();
    req.headers = h;
    req.header_count = 1;
    StringBody none;
    RecordingSink sink;
    ox::ForwardResult res = bal.forward(req, none, sink);
    CK_ASSERT_FAILURE(res.outcome.failure, Failure::request_too_large);
    ck_assert_int_eq(res.attempts, 1);
    ck_assert_uint_eq(bal.obs.attempts.size(), 0);
    ck_assert_uint_eq(bal.obs.failed_members.size(), 0);
    bal.stop();
    a.stop();
    b.stop();
    ck_assert_int_eq(b.accepted(), 0);
    ck_assert_uint_eq(la.size() + lb.size(), 0);
}
END_TEST

// A request head too large for the member's packets is found before a
// connection is taken: none is opened for it, and a pooled one is neither
// used nor lost (resetting it would cost the next request a connect).
START_TEST(request_too_large_takes_no_connection)
{
    RequestLog log;
    FakeAjpServer a(serve_all(log, "A"));
    Balancer bal;
    bal.add(a.url());
    bal.start();

    std::string big(9000, 'x');
    Header h[] = {{"X-Big", big}};
    Request req = get_request();
    req.headers = h;
    req.header_count = 1;
    StringBody none;
    RecordingSink sink;

    // No connection yet: none is opened.
    ox::ForwardResult res = bal.forward(req, none, sink);
    CK_ASSERT_FAILURE(res.outcome.failure, Failure::request_too_large);
    ck_assert_int_eq(a.accepted(), 0);

    // A pooled connection stays pooled, and carries the next request.
    ck_assert(get(bal).outcome.ok());
    ck_assert_uint_eq(bal.rt->member(0).idle_connections(), 1);
    res = bal.forward(req, none, sink);
    CK_ASSERT_FAILURE(res.outcome.failure, Failure::request_too_large);
    ck_assert(!res.reused);
    ck_assert_uint_eq(bal.rt->member(0).idle_connections(), 1);
    res = get(bal);
    CK_ASSERT_FAILURE(res.outcome.failure, Failure::none);
    ck_assert(res.reused);
    ck_assert_uint_eq(bal.obs.attempts.size(), 0);
    ck_assert_str_eq(sink.events.c_str(), "");
    bal.stop();
    a.stop();
    ck_assert_int_eq(a.accepted(), 1);
    auto reqs = log.all();
    ck_assert_uint_eq(reqs.size(), 2);
    ck_assert_int_eq(reqs[1].conn_no, 0);
}
END_TEST

// ============================================================================
// Pooled connections that died
// ============================================================================

// The backend closed a pooled connection while it was idle: acquire sees it
// and a fresh connection carries the request. A POST proves it happened
// before anything was written (a POST is never sent twice).
START_TEST(idle_pooled_connection_closed)
{
    RequestLog log;
    FakeAjpServer a([&](BackendPeer& p, int no) {
        if (no == 0) {
            unit::serve_one(p, log, no, "first");  // then close, while pooled
            return;
        }
        unit::serve_all(p, log, no, "second");
    });
    Balancer bal;
    bal.add(a.url());
    bal.start();

    std::string body;
    ox::ForwardResult res = post(bal, "one", &body);
    CK_ASSERT_FAILURE(res.outcome.failure, Failure::none);
    ck_assert_str_eq(body.c_str(), "first");
    ck_assert_uint_eq(bal.rt->member(0).idle_connections(), 1);

    // Wait until the pooled socket has the backend's FIN: no sleeping.
    auto ports = a.client_ports();
    ck_assert_uint_eq(ports.size(), 1);
    int fd = unit::find_local_socket(ports[0]);
    ck_assert_int_ge(fd, 0);
    ck_assert(unit::wait_readable(fd, 5000));

    res = post(bal, "two", &body);
    CK_ASSERT_FAILURE(res.outcome.failure, Failure::none);
    ck_assert_str_eq(body.c_str(), "second");
    ck_assert(!res.reused);
    ck_assert_int_eq(res.attempts, 1);
    ck_assert_uint_eq(bal.obs.attempts.size(), 0);
    ck_assert_uint_eq(bal.rt->member(0).slot().stale_dropped.load(), 1);
    ck_assert_uint_eq(bal.rt->member(0).slot().resent.load(), 0);
    ck_assert_int_eq(a.accepted(), 2);
    auto reqs = log.all();
    ck_assert_uint_eq(reqs.size(), 2);
    ck_assert_str_eq(reqs[1].body_packets.at(0).c_str(), "two");
    ck_assert_int_eq(reqs[1].conn_no, 1);
}
END_TEST

// A backend that reads a request off a pooled connection and closes it
// without an answer: a GET is sent again, once, on a fresh connection to the
// same member.
START_TEST(pooled_dies_under_get_retried)
{
    RequestLog log;
    FakeAjpServer a(pooled_dies_after_one(log));
    Balancer bal;
    bal.add(a.url());
    bal.start();

    ck_assert(get(bal).outcome.ok());
    std::string body;
    ox::ForwardResult res = get(bal, &body);
    CK_ASSERT_FAILURE(res.outcome.failure, Failure::none);
    ck_assert_str_eq(body.c_str(), "fresh");
    ck_assert(!res.reused);
    ck_assert_int_eq(res.attempts, 1);
    ck_assert_uint_eq(bal.obs.attempts.size(), 0);
    ck_assert_uint_eq(bal.rt->member(0).slot().resent.load(), 1);
    ck_assert_int_eq(a.accepted(), 2);
    auto reqs = log.all();
    ck_assert_uint_eq(reqs.size(), 3);
    ck_assert_int_eq(reqs[1].conn_no, 0);  // the request that died
    ck_assert_int_eq(reqs[2].conn_no, 1);  // sent again
}
END_TEST

// A pooled connection that brings a response head and then closes was not
// stale: the member processed the request and died. The GET is not sent
// again to the same member on a fresh connection; it goes on like one
// whose node died on a fresh connection (the only member here: 502).
START_TEST(pooled_head_then_closed_not_resent)
{
    RequestLog log;
    FakeAjpServer a(pooled_dies_after_one(log, unit::pkt_headers(200, "OK")));
    Balancer bal;
    bal.add(a.url());
    bal.start();

    ck_assert(get(bal).outcome.ok());
    std::string body;
    ox::ForwardResult res = get(bal, &body);
    CK_ASSERT_FAILURE(res.outcome.failure, Failure::backend_closed);
    ck_assert(res.outcome.head_discarded);
    ck_assert(res.reused);
    ck_assert_str_eq(body.c_str(), "");
    ck_assert_uint_eq(bal.rt->member(0).slot().resent.load(), 0);
    ck_assert_int_eq(a.accepted(), 1);
}
END_TEST

// The same for a POST: not idempotent, so not sent again.
START_TEST(pooled_dies_under_post_not_retried)
{
    RequestLog log;
    FakeAjpServer a(pooled_dies_after_one(log));
    Balancer bal;
    bal.add(a.url());
    bal.start();

    ck_assert(post(bal, "one").outcome.ok());
    ox::ForwardResult res = post(bal, "two");
    CK_ASSERT_FAILURE(res.outcome.failure, Failure::backend_closed);
    ck_assert(res.reused);
    ck_assert(res.outcome.request_sent);
    ck_assert_int_eq(res.attempts, 1);
    assert_attempt(bal.obs, 0, a.url(), Failure::backend_closed, true, false);
    // A pooled connection closed under a request may have been closed while
    // idle: no sign of a broken member.
    ck_assert_uint_eq(bal.obs.failed_members.size(), 0);
    ck_assert_uint_eq(bal.rt->member(0).slot().resent.load(), 0);

    bal.stop();
    a.stop();
    ck_assert_int_eq(a.accepted(), 1);
    auto reqs = log.all();
    ck_assert_uint_eq(reqs.size(), 2);
    ck_assert_str_eq(reqs[1].body_packets.at(0).c_str(), "two");
}
END_TEST

// A session's GET whose pooled connection dies is sent again on a fresh one
// to the same member; when that one is closed too, the member is broken: it
// enters its error window and the GET goes to the session's successor.
START_TEST(pooled_then_fresh_closed_get_fails_over)
{
    RequestLog la, lb;
    FakeAjpServer a([&](BackendPeer& p, int no) {
        if (no == 0) unit::serve_one(p, la, no, "first");
        unit::read_request_only(p, la, no);  // and close
    });
    FakeAjpServer b(serve_all(lb, "B"));
    Balancer bal;
    bal.add(a.url(), "route=A");
    bal.add(b.url(), "route=B");
    bal.start();

    Header h[] = {{"Host", "ox.example.com"}, {"Cookie", "JSESSIONID=42.A"}};
    Request req = get_request();
    req.headers = h;
    req.header_count = 2;
    StringBody none;
    RecordingSink first;
    ck_assert(bal.forward(req, none, first).outcome.ok());
    ck_assert_str_eq(first.body_text.c_str(), "first");

    RecordingSink sink;
    ox::ForwardResult res = bal.forward(req, none, sink);
    CK_ASSERT_FAILURE(res.outcome.failure, Failure::none);
    ck_assert_str_eq(sink.body_text.c_str(), "B");
    ck_assert_int_eq(res.attempts, 2);
    ck_assert(res.reason == ox::Reason::failover);
    assert_attempt(bal.obs, 0, a.url(), Failure::backend_closed, true, true);
    ck_assert_uint_eq(bal.obs.failed_members.size(), 1);
    bal.stop();
    a.stop();
    ck_assert_int_eq(a.accepted(), 2);
    ck_assert_uint_eq(la.size(), 3);
}
END_TEST


// ============================================================================
// Idle pooled connections (pingidle=)
// ============================================================================

// A pooled AJP connection idle for pingidle or longer answers a CPing before
// it carries a request; one used more recently does not, nor does any with
// pingidle=off.
START_TEST(pingidle_pings_only_long_idle)
{
    for (const char* param : {"pingidle=1s", "pingidle=off"}) {
        bool on = std::string(param) == "pingidle=1s";
        RequestLog log;
        FakeAjpServer a(serve_all(log, "A"));
        Balancer bal;
        bal.add(a.url(), param);
        bal.start();
        ck_assert(get(bal).outcome.ok());  // a new connection
        bal.clock.advance(Millis(999));
        ck_assert(get(bal).outcome.ok());  // idle 999 ms
        bal.clock.advance(Millis(1000));
        ox::ForwardResult res = post(bal, "p");  // idle 1 s
        CK_ASSERT_FAILURE(res.outcome.failure, Failure::none);
        ck_assert(res.reused);
        bal.clock.advance(Millis(3600 * 1000));
        ck_assert(get(bal).outcome.ok());  // idle an hour
        ck_assert(get(bal).outcome.ok());  // right after
        const ox::state::MemberSlot& slot = bal.rt->member(0).slot();
        ck_assert_uint_eq(slot.reuse_pings.load(), on ? 2 : 0);
        ck_assert_uint_eq(slot.stale_dropped.load(), 0);
        bal.stop();
        a.stop();
        ck_assert_int_eq(a.accepted(), 1);
        std::string pings;
        for (const auto& r : log.all()) pings += std::to_string(r.pings_before);
        ck_assert_str_eq(pings.c_str(), on ? "00110" : "00000");
        ck_assert_uint_eq(bal.obs.attempts.size(), 0);
    }
}
END_TEST

// The backend closes idle connections as the CPing reaches them: each is
// dropped and the next idle one is tried, then a new one carries the
// request. The member is not failed, the request not failed.
START_TEST(pingidle_closed_connections_dropped)
{
    RequestLog log;
    Gate gate(2);
    std::atomic<int> pings{0};
    FakeAjpServer a([&](BackendPeer& p, int no) {
        if (no >= 2) {
            unit::serve_all(p, log, no, "fresh");
            return;
        }
        gate.arrive();
        unit::serve_one(p, log, no, "first");
        if (p.read_packet() == unit::hex("12 34 00 01 0a")) ++pings;  // and close
    });
    Balancer bal;
    bal.add(a.url(), "pingidle=1s");
    bal.start();
    fill_pool(bal, 2);
    bal.clock.advance(Millis(1000));

    std::string body;
    ox::ForwardResult res = post(bal, "data", &body);
    CK_ASSERT_FAILURE(res.outcome.failure, Failure::none);
    ck_assert_str_eq(body.c_str(), "fresh");
    ck_assert(!res.reused);
    ck_assert_int_eq(res.attempts, 1);
    ck_assert_uint_eq(bal.obs.attempts.size(), 0);
    ck_assert_uint_eq(bal.obs.failed_members.size(), 0);
    const ox::state::MemberSlot& slot = bal.rt->member(0).slot();
    ck_assert_uint_eq(slot.reuse_pings.load(), 2);
    ck_assert_uint_eq(slot.stale_dropped.load(), 2);
    ck_assert_uint_eq(slot.failures.load(), 0);
    ck_assert_uint_eq(bal.rt->member(0).live_connections(), 1);
    bal.stop();
    a.stop();
    ck_assert_int_eq(pings.load(), 2);
    ck_assert_int_eq(a.accepted(), 3);
    auto reqs = log.all();
    ck_assert_uint_eq(reqs.size(), 3);
    ck_assert_int_eq(reqs[2].conn_no, 2);
    ck_assert_str_eq(reqs[2].body_packets.at(0).c_str(), "data");
}
END_TEST

// A CPing nobody answers within its timeout (here the connect timeout,
// 100 ms: ping= is not set): the connection is reset and a new one carries
// the request. The older idle connection is not tried: it would keep the
// request waiting as long (a firewall that drops idle connections silently
// drops them all).
START_TEST(pingidle_unanswered_cping_opens_new)
{
    RequestLog log;
    Gate gate(2);
    std::atomic<int> pings{0};
    FakeAjpServer a([&](BackendPeer& p, int no) {
        if (no >= 2) {
            unit::serve_all(p, log, no, "fresh");
            return;
        }
        gate.arrive();
        unit::serve_one(p, log, no, "first");
        Bytes pkt = p.read_packet();
        if (pkt.empty()) return;
        if (pkt == unit::hex("12 34 00 01 0a")) ++pings;
        p.read_to_eof();  // never answered
    });
    Balancer bal;
    bal.add(a.url(), "pingidle=1s connecttimeout=100ms");
    bal.start();
    ck_assert_int_eq(bal.rt->member(0).reuse_ping_timeout().count(), 100);
    fill_pool(bal, 2);
    bal.clock.advance(Millis(5000));

    std::string body;
    ox::ForwardResult res = get(bal, &body);
    CK_ASSERT_FAILURE(res.outcome.failure, Failure::none);
    ck_assert_str_eq(body.c_str(), "fresh");
    ck_assert(!res.reused);
    ck_assert_uint_eq(bal.obs.attempts.size(), 0);
    ck_assert_uint_eq(bal.obs.failed_members.size(), 0);
    const ox::state::MemberSlot& slot = bal.rt->member(0).slot();
    ck_assert_uint_eq(slot.reuse_pings.load(), 1);
    ck_assert_uint_eq(slot.stale_dropped.load(), 1);
    // The older one is still pooled, beside the new one.
    ck_assert_uint_eq(bal.rt->member(0).idle_connections(), 2);
    ck_assert_uint_eq(bal.rt->member(0).live_connections(), 2);
    bal.stop();
    a.stop();
    ck_assert_int_eq(pings.load(), 1);
    ck_assert_int_eq(a.accepted(), 3);
}
END_TEST

// How long a CPing before reuse waits: ping= when set, else the connect
// timeout (by default the member's timeout, at most 5 s), at most 2 s.
START_TEST(reuse_ping_timeouts)
{
    struct Case {
        const char* params;
        long ms;
    } cases[] = {{"", 2000}, {"ping=3s", 3000}, {"connecttimeout=300ms", 300}, {"timeout=1", 1000},
                 {"connecttimeout=4s", 2000}};
    for (const auto& c : cases) {
        Balancer bal;
        bal.add("ajp://127.0.0.1:1", c.params);
        bal.start();
        ck_assert_msg(bal.rt->member(0).reuse_ping_timeout().count() == c.ms, "'%s': %ld", c.params,
                      static_cast<long>(bal.rt->member(0).reuse_ping_timeout().count()));
    }
}
END_TEST

// http:// members have no CPing. A pooled connection idle for pingidle or
// longer does not carry a request that could not be sent again should the
// backend be closing it at this moment (a POST; a PUT whose body is sent
// beyond the first chunk kept for a retry): a new connection does. Requests
// that can be sent again use it (and are sent again if it was dead).
START_TEST(http_pingidle_fresh_for_unrepeatable)
{
    std::mutex mu;
    std::vector<std::string> seen;
    FakeAjpServer a([&](BackendPeer& p, int no) { serve_http(p, no, mu, seen); });
    Balancer bal;
    bal.add(http_url(a), "pingidle=1s");
    bal.start();
    std::string steps;
    auto step = [&](const ox::ForwardResult& r) {
        CK_ASSERT_FAILURE(r.outcome.failure, Failure::none);
        steps += r.reused ? 'r' : 'n';
    };
    step(get(bal));  // conn 0
    bal.clock.advance(Millis(1000));
    step(post(bal, "p1"));  // idle 1 s: conn 1
    bal.clock.advance(Millis(1000));
    step(get(bal));  // conn 1, idle 1 s: a GET may use it
    bal.clock.advance(Millis(500));
    step(post(bal, "p2"));  // conn 1, idle 500 ms
    bal.clock.advance(Millis(1000));
    step(send_body(bal, "PUT", 10000));  // beyond the first chunk: conn 2
    bal.clock.advance(Millis(1000));
    step(send_body(bal, "PUT", 100));  // all in the first chunk: conn 2
    ck_assert_str_eq(steps.c_str(), "nnrrnr");
    const ox::state::MemberSlot& slot = bal.rt->member(0).slot();
    ck_assert_uint_eq(slot.idle_replaced.load(), 2);
    ck_assert_uint_eq(slot.reuse_pings.load(), 0);
    ck_assert_uint_eq(bal.rt->member(0).live_connections(), 1);
    bal.stop();
    a.stop();
    ck_assert_int_eq(a.accepted(), 3);
    std::string all;
    for (const auto& s : seen) all += s + ",";
    ck_assert_str_eq(all.c_str(), "GET 0,POST 1,GET 1,POST 1,PUT 2,PUT 2,");
}
END_TEST

// pingidle=off: an http:// POST takes a pooled connection however long idle.
START_TEST(http_pingidle_off)
{
    std::mutex mu;
    std::vector<std::string> seen;
    FakeAjpServer a([&](BackendPeer& p, int no) { serve_http(p, no, mu, seen); });
    Balancer bal;
    bal.add(http_url(a), "pingidle=off");
    bal.start();
    ck_assert(get(bal).outcome.ok());
    bal.clock.advance(Millis(3600 * 1000));
    ox::ForwardResult res = post(bal, "p");
    CK_ASSERT_FAILURE(res.outcome.failure, Failure::none);
    ck_assert(res.reused);
    ck_assert_uint_eq(bal.rt->member(0).slot().idle_replaced.load(), 0);
    bal.stop();
    a.stop();
    ck_assert_int_eq(a.accepted(), 1);
}
END_TEST

int main()
{
    Suite* s = suite_create("forwarder");

    TCase* choice = tcase_create("member_choice");
    tcase_set_timeout(choice, 30);
    tcase_add_test(choice, round_robin_alternates);
    tcase_add_test(choice, sticky_sessions_noted);
    tcase_add_test(choice, refused_member_skipped);
    tcase_add_test(choice, head_encoded_per_member);
    tcase_add_test(choice, refused_member_avoided_for_retry);
    tcase_add_test(choice, retry_zero_never_avoided);
    tcase_add_test(choice, error_member_share_spread_evenly);
    tcase_add_test(choice, all_members_refuse);
    tcase_add_test(choice, all_down_window_not_extended);
    tcase_add_test(choice, read_timeout_does_not_mark_member);
    tcase_add_test(choice, read_timeout_fail_on_timeout);
    tcase_add_test(choice, ping_failure_skips_member);
    tcase_add_test(choice, ping_before_every_request);
    suite_add_tcase(s, choice);

    TCase* retry = tcase_create("retries");
    tcase_set_timeout(retry, 30);
    tcase_add_test(retry, fresh_closed_get_tried_elsewhere);
    tcase_add_test(retry, head_then_closed_get_tried_elsewhere);
    tcase_add_test(retry, http_head_then_closed_get_tried_elsewhere);
    tcase_add_test(retry, pooled_head_then_closed_not_resent);
    tcase_add_test(retry, sent_then_closed_post_not_retried);
    tcase_add_test(retry, not_ajp_member_avoided);
    tcase_add_test(retry, accept_and_close_member_avoided);
    tcase_add_test(retry, small_put_tried_elsewhere_with_body);
    tcase_add_test(retry, put_body_read_not_retried);
    tcase_add_test(retry, malformed_after_head_not_counted);
    tcase_add_test(retry, post_after_refusal_body_sent_once);
    tcase_add_test(retry, client_body_error_before_any_attempt);
    tcase_add_test(retry, request_too_large_not_retried);
    tcase_add_test(retry, success_from_before_the_failure_keeps_the_window);
    tcase_add_test(retry, request_too_large_takes_no_connection);
    suite_add_tcase(s, retry);

    TCase* pool = tcase_create("pooled");
    tcase_set_timeout(pool, 30);
    tcase_add_test(pool, idle_pooled_connection_closed);
    tcase_add_test(pool, pooled_dies_under_get_retried);
    tcase_add_test(pool, pooled_dies_under_post_not_retried);
    tcase_add_test(pool, pooled_then_fresh_closed_get_fails_over);
    tcase_add_test(pool, max_busy_member);
    tcase_add_test(pool, fail_on_status_marks_member);
    suite_add_tcase(s, pool);

    TCase* idle = tcase_create("idle");
    tcase_set_timeout(idle, 30);
    tcase_add_test(idle, pingidle_pings_only_long_idle);
    tcase_add_test(idle, pingidle_closed_connections_dropped);
    tcase_add_test(idle, pingidle_unanswered_cping_opens_new);
    tcase_add_test(idle, reuse_ping_timeouts);
    tcase_add_test(idle, http_pingidle_fresh_for_unrepeatable);
    tcase_add_test(idle, http_pingidle_off);
    suite_add_tcase(s, idle);

    return unit::run_suite(s);
}
