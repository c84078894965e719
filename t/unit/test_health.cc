// libox/health: the fails/passes state machine, OXHealthCheck and its
// member overrides, each probe method against fake nodes on real sockets,
// and the prober's promise that one hung node never delays another.
#include <atomic>
#include <chrono>
#include <mutex>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include <sys/socket.h>

#include "balance/balancer_spec.h"
#include "health/health_check.h"
#include "health/probe.h"
#include "health/probe_state.h"
#include "health/prober.h"
#include "unit_util.h"

using namespace ox;
using namespace ox::health;

namespace {

std::vector<std::string_view> words(std::initializer_list<const char*> w)
{
    return std::vector<std::string_view>(w.begin(), w.end());
}

ProbeTarget target(std::uint16_t port)
{
    ProbeTarget t;
    t.endpoint.host = "127.0.0.1";
    t.endpoint.port = port;
    return t;
}

HealthCheckSpec spec_of(ProbeMethod m, Millis timeout = Millis(1000))
{
    HealthCheckSpec s;
    s.method = m;
    s.timeout = timeout;
    return s;
}

START_TEST(state_fails_then_passes)
{
    ProbeCounters c;
    ck_assert(c.health == Health::up);
    ck_assert(!record_probe(c, false, 3, 2));
    ck_assert(!record_probe(c, false, 3, 2));
    ck_assert(!record_probe(c, true, 3, 2));  // a good probe resets the count
    ck_assert(!record_probe(c, false, 3, 2));
    ck_assert(!record_probe(c, false, 3, 2));
    ck_assert(c.health == Health::up);
    ck_assert(record_probe(c, false, 3, 2));  // the third in a row
    ck_assert(c.health == Health::down);
    ck_assert(!record_probe(c, false, 3, 2));  // no second transition
    ck_assert(!record_probe(c, true, 3, 2));
    ck_assert(!record_probe(c, false, 3, 2));  // a bad one resets the passes
    ck_assert(!record_probe(c, true, 3, 2));
    ck_assert(c.health == Health::down);
    ck_assert(record_probe(c, true, 3, 2));
    ck_assert(c.health == Health::up);
    ck_assert_uint_eq(c.passed_in_row, 2);
    ck_assert_uint_eq(c.failed_in_row, 0);
}
END_TEST

START_TEST(state_one_fail_one_pass)
{
    ProbeCounters c;
    ck_assert(record_probe(c, false, 1, 1));
    ck_assert(c.health == Health::down);
    ck_assert(record_probe(c, true, 1, 1));
    ck_assert(c.health == Health::up);
}
END_TEST

START_TEST(config_defaults_and_parameters)
{
    HealthCheckSpec s;
    ck_assert(parse_health_check(words({"cping"}), s).empty());
    ck_assert(s.method == ProbeMethod::cping);
    ck_assert_int_eq(s.interval.count(), 5000);
    ck_assert_int_eq(s.timeout.count(), 2000);
    ck_assert_uint_eq(s.fails, 2);
    ck_assert_uint_eq(s.passes, 2);

    ck_assert(parse_health_check(words({"http", "uri=/health?x=1", "expect=200,204,300-399", "method=HEAD",
                                        "host=ox.example.com", "auth=u:p", "interval=10", "timeout=500ms",
                                        "fails=3", "passes=1"}),
                                 s)
                  .empty());
    ck_assert(s.method == ProbeMethod::http);
    ck_assert_str_eq(s.uri.c_str(), "/health?x=1");
    ck_assert_str_eq(s.http_method.c_str(), "HEAD");
    ck_assert_int_eq(s.interval.count(), 10000);
    ck_assert_int_eq(s.timeout.count(), 500);
    ck_assert(s.expects(200) && s.expects(204) && s.expects(301) && !s.expects(201) && !s.expects(503));
    ck_assert(parse_health_check(words({"off"}), s).empty());
    ck_assert(s.method == ProbeMethod::none);
}
END_TEST

START_TEST(config_errors_name_the_word)
{
    struct {
        std::vector<std::string_view> w;
        const char* says;
    } bad[] = {
        {words({}), "needs a method"},
        {words({"ping"}), "OXHealthCheck ping: expected cping"},
        {words({"cping", "interval"}), "key=value"},
        {words({"cping", "every=5"}), "unknown OXHealthCheck parameter 'every'"},
        {words({"cping", "interval=0"}), "interval= must be greater than 0"},
        {words({"cping", "interval=x"}), "'x' is not a duration"},
        {words({"cping", "fails=0"}), "fails=0: expected a whole number from 1"},
        {words({"http", "expect=99"}), "expect=99"},
        {words({"http", "expect=300-200"}), "expect=300-200"},
        {words({"http", "uri=health"}), "uri=health"},
        {words({"http", "method=get"}), "method=get"},
        {words({"http", "auth=user"}), "user:password"},
        {words({"cping", "interval=1", "timeout=2"}), "timeout must not be longer than its interval"},
        {words({"http", "uri=/a", "interval=5", "uri=/b"}), "OXHealthCheck: uri= is given twice ('uri=/a' and 'uri=/b')"},
        {words({"cping", "fails=2", "fails=3"}), "fails= is given twice"},
    };
    for (auto& b : bad) {
        HealthCheckSpec s;
        std::string err = parse_health_check(b.w, s);
        ck_assert_msg(err.find(b.says) != std::string::npos, "expected '%s' in '%s'", b.says, err.c_str());
    }
}
END_TEST

START_TEST(config_member_overrides)
{
    HealthCheckSpec s;
    std::string err;
    ck_assert(apply_member_parameter("hcmethod", "tcp", s, err) && err.empty());
    ck_assert(s.method == ProbeMethod::tcp);
    ck_assert(apply_member_parameter("hcinterval", "2", s, err) && err.empty());
    ck_assert_int_eq(s.interval.count(), 2000);
    ck_assert(apply_member_parameter("hcuri", "/up", s, err) && err.empty());
    ck_assert(apply_member_parameter("hcfails", "x", s, err));
    ck_assert_msg(err.find("hcfails=x") != std::string::npos, "%s", err.c_str());
    ck_assert(apply_member_parameter("hcmethod", "icmp", s, err));
    ck_assert(!err.empty());
    ck_assert(!apply_member_parameter("route", "OX1", s, err));
    ck_assert(!apply_member_parameter("hcnothing", "1", s, err));
}
END_TEST

// hcmethod= takes mod_proxy_hcheck's values too, in any case: an HTTP method
// is an http probe with that method, TCP and CPING are ours.
START_TEST(config_member_hcheck_methods)
{
    struct Case {
        const char* value;
        ProbeMethod method;
        const char* http_method;
    } cases[] = {{"GET", ProbeMethod::http, "GET"},       {"HEAD", ProbeMethod::http, "HEAD"},
                 {"options", ProbeMethod::http, "OPTIONS"}, {"TCP", ProbeMethod::tcp, "GET"},
                 {"CPING", ProbeMethod::cping, "GET"},     {"http", ProbeMethod::http, "GET"}};
    for (const Case& c : cases) {
        HealthCheckSpec s;
        s.method = ProbeMethod::none;
        std::string err;
        ck_assert(apply_member_parameter("hcmethod", c.value, s, err));
        ck_assert_msg(err.empty(), "%s: %s", c.value, err.c_str());
        ck_assert_msg(s.method == c.method, "hcmethod=%s", c.value);
        ck_assert_str_eq(s.http_method.c_str(), c.http_method);
    }
    for (const char* bad : {"PUT", "POST", "GET11", "ping", ""}) {
        HealthCheckSpec s;
        std::string err;
        ck_assert(apply_member_parameter("hcmethod", bad, s, err));
        ck_assert_msg(err.find("hcmethod=") != std::string::npos, "hcmethod=%s: %s", bad, err.c_str());
        ck_assert(s.method == ProbeMethod::cping);
    }

    // One member of a balancer probed with GET overrides the method; the
    // others keep the balancer's.
    ox::BalancerSpec b;
    b.name = "b";
    ck_assert(parse_health_check(words({"http", "uri=/up", "method=GET"}), b.health).empty());
    b.health_set = true;
    ox::MemberSpec a, h;
    ck_assert(ox::parse_member("ajp://10.0.0.1:8009", words({"route=A"}), a).empty());
    ck_assert(ox::parse_member("ajp://10.0.0.2:8009", words({"route=B", "hcmethod=HEAD"}), h).empty());
    ck_assert(b.add_member(a).empty());
    ck_assert(b.add_member(h).empty());
    ck_assert(b.resolve_health_checks().empty());
    ck_assert(b.members[0].health.method == ProbeMethod::http);
    ck_assert_str_eq(b.members[0].health.http_method.c_str(), "GET");
    ck_assert(b.members[1].health.method == ProbeMethod::http);
    ck_assert_str_eq(b.members[1].health.http_method.c_str(), "HEAD");
    ck_assert_str_eq(b.members[1].health.uri.c_str(), "/up");
}
END_TEST

// ---- probes against fake nodes ------------------------------------------------

// http:// members are probed with GET /health unless the balancer says
// otherwise; CPing, AJP's, is refused for them.
START_TEST(config_http_member_default)
{
    auto member = [](const char* url, const char* params) {
        ox::MemberSpec m;
        std::vector<std::string_view> words;
        std::string_view rest(params);
        while (!rest.empty()) {
            auto sp = rest.find(' ');
            words.push_back(rest.substr(0, sp));
            rest = sp == std::string_view::npos ? std::string_view() : rest.substr(sp + 1);
        }
        ck_assert(ox::parse_member(url, words, m).empty());
        return m;
    };
    ox::BalancerSpec b;
    b.name = "mixed";
    ck_assert(b.add_member(member("ajp://10.0.0.1:8009", "route=A")).empty());
    ck_assert(b.add_member(member("http://10.0.0.2:8009", "route=H")).empty());
    ck_assert(b.add_member(member("http://10.0.0.3:8009", "route=T hcmethod=tcp")).empty());
    ck_assert(b.resolve_health_checks().empty());
    ck_assert(b.members[0].health.method == ProbeMethod::cping);
    ck_assert(b.members[1].health.method == ProbeMethod::http);
    ck_assert_str_eq(b.members[1].health.uri.c_str(), "/health");
    ck_assert(b.members[2].health.method == ProbeMethod::tcp);

    ox::BalancerSpec c;
    c.name = "c";
    c.health_set = true;  // OXHealthCheck cping
    ck_assert(c.add_member(member("http://10.0.0.2:8009", "route=H")).empty());
    std::string err = c.resolve_health_checks();
    ck_assert_msg(err.find("cping probes need an ajp:// member") != std::string::npos, "%s", err.c_str());
}
END_TEST

START_TEST(probe_tcp_and_refused)
{
    unit::FakeAjpServer node([](unit::BackendPeer&, int) {});
    ProbeResult r = run_probe(spec_of(ProbeMethod::tcp), target(node.port()));
    ck_assert_msg(r.ok, "%s", r.detail);
    unit::ReservedPort closed;
    r = run_probe(spec_of(ProbeMethod::tcp), target(closed.port()));
    ck_assert(!r.ok);
    ck_assert_str_eq(r.detail, "connection refused");
    r = run_probe(spec_of(ProbeMethod::cping), target(closed.port()));
    ck_assert(!r.ok);
}
END_TEST

START_TEST(probe_cping_answers)
{
    unit::FakeAjpServer node([](unit::BackendPeer& p, int) {
        unit::Bytes ping = p.read_packet();
        if (ping == unit::hex("1234 0001 0a")) p.send(unit::pkt_cpong());
        // Open, as a node keeps it: a close right after the CPONG fails
        // ajp::cping (a pooled connection it checks would be dead).
        p.read_to_eof();
    });
    ProbeResult r = run_probe(spec_of(ProbeMethod::cping), target(node.port()));
    ck_assert_msg(r.ok, "%s", r.detail);
    ck_assert(r.latency.count() >= 0);
}
END_TEST

START_TEST(probe_cping_silence_and_garbage)
{
    unit::Signal done;
    unit::FakeAjpServer silent([&](unit::BackendPeer& p, int) {
        p.read_packet();
        done.wait();
    });
    ProbeResult r = run_probe(spec_of(ProbeMethod::cping, Millis(200)), target(silent.port()));
    done.set();
    ck_assert(!r.ok);
    ck_assert_str_eq(r.detail, "no CPONG within the timeout");

    unit::FakeAjpServer http([](unit::BackendPeer& p, int) {
        p.read_packet();
        p.send(unit::bytes_of("HTTP/1.1 400 Bad Request\r\n\r\n"));
    });
    r = run_probe(spec_of(ProbeMethod::cping), target(http.port()));
    ck_assert(!r.ok);
    ck_assert(*r.detail);
}
END_TEST

START_TEST(probe_http_over_ajp_status)
{
    std::atomic<int> status{200};
    unit::RequestLog log;
    unit::FakeAjpServer node([&](unit::BackendPeer& p, int conn_no) {
        unit::Bytes fwd = p.read_packet();
        unit::ServedRequest seen;
        seen.conn_no = conn_no;
        unit::decode_forward(fwd, seen.fwd);
        log.add(seen);
        p.send(unit::pkt_headers(status.load(), "X"));
        p.send(unit::pkt_end(true));
    });
    HealthCheckSpec s = spec_of(ProbeMethod::http);
    s.auth = "probe:secret";
    s.uri = "/health?deep=1";
    ProbeTarget t = target(node.port());
    t.route = "OX1";
    t.secret = "tomcat-secret";  // Tomcat with secretRequired answers 403 without it
    ProbeResult r = run_probe(s, t);
    ck_assert_msg(r.ok, "%s", r.detail);
    ck_assert_int_eq(r.status, 200);
    status = 503;
    r = run_probe(s, t);
    ck_assert(!r.ok);
    ck_assert_int_eq(r.status, 503);
    ck_assert_str_eq(r.detail, "unexpected status");

    std::vector<unit::ServedRequest> reqs = log.all();
    ck_assert_uint_eq(reqs.size(), 2);
    const unit::ForwardRequest& f = reqs[0].fwd;
    ck_assert_str_eq(f.uri.c_str(), "/health");
    std::string auth = unit::header_value(f.headers, "Authorization");
    ck_assert_str_eq(auth.c_str(), "Basic cHJvYmU6c2VjcmV0");  // base64("probe:secret")
    std::string host = unit::header_value(f.headers, "Host");
    std::string want = "127.0.0.1:" + std::to_string(node.port());
    ck_assert_str_eq(host.c_str(), want.c_str());
    bool route = false, secret = false;
    for (const auto& [code, value] : f.attributes) {
        route = route || (code == 0x06 && value == "OX1");
        secret = secret || (code == 0x0C && value == "tomcat-secret");
    }
    ck_assert_msg(route && secret, "the probe carries the member's route and secret");
}
END_TEST

// method= and host= reach the node as the probe's method and Host header
// over AJP too (OPTIONS is AJP method code 1).
START_TEST(probe_http_over_ajp_method_and_host)
{
    unit::RequestLog log;
    unit::FakeAjpServer node([&](unit::BackendPeer& p, int conn_no) {
        unit::ServedRequest seen;
        seen.conn_no = conn_no;
        unit::decode_forward(p.read_packet(), seen.fwd);
        log.add(seen);
        p.send(unit::pkt_headers(204, "X"));
        p.send(unit::pkt_end(true));
    });
    HealthCheckSpec s = spec_of(ProbeMethod::http);
    s.http_method = "OPTIONS";
    s.host = "ox1.example:8080";
    s.uri = "/up";
    std::vector<StatusRange> expect;
    ck_assert(parse_status_list("200-299", expect).empty());
    s.expect = expect;
    ProbeResult r = run_probe(s, target(node.port()));
    ck_assert_msg(r.ok, "%s", r.detail);
    ck_assert_int_eq(r.status, 204);
    std::vector<unit::ServedRequest> reqs = log.all();
    ck_assert_uint_eq(reqs.size(), 1);
    const unit::ForwardRequest& f = reqs[0].fwd;
    ck_assert_uint_eq(f.method, 1);  // OPTIONS
    ck_assert_str_eq(f.uri.c_str(), "/up");
    CK_ASSERT_STRING_EQ(unit::header_value(f.headers, "Host"), "ox1.example:8080");
    CK_ASSERT_STRING_EQ(unit::header_value(f.headers, "Authorization"), "");  // no auth=: none
}
END_TEST

// An http:// member is probed over HTTP/1.1: the request line has method=
// and uri=, Host is host= (else the node's host:port), auth= is basic
// authentication; the status decides, as over AJP.
START_TEST(probe_http_member_wire)
{
    std::atomic<int> status{200};
    std::mutex mu;
    std::vector<std::string> heads;
    unit::FakeAjpServer node([&](unit::BackendPeer& p, int) {
        std::string head;
        if (!unit::recv_http_head(p, head)) return;
        {
            std::lock_guard<std::mutex> lock(mu);
            heads.push_back(head);
        }
        bool is_head = head.compare(0, 5, "HEAD ") == 0;
        std::string body = "fine\n";
        std::string resp = "HTTP/1.1 " + std::to_string(status.load()) + " X\r\nContent-Length: " +
                           std::to_string(body.size()) + "\r\n\r\n" + (is_head ? "" : body);
        p.send(unit::bytes_of(resp));
        p.read_to_eof();
    });
    ProbeTarget t = target(node.port());
    t.http = true;
    t.route = "OX1";  // AJP only: not on the HTTP wire

    HealthCheckSpec s = spec_of(ProbeMethod::http);
    s.auth = "probe:secret";
    s.uri = "/health?deep=1";
    ProbeResult r = run_probe(s, t);
    ck_assert_msg(r.ok, "%s", r.detail);
    ck_assert_int_eq(r.status, 200);

    s.http_method = "HEAD";
    s.host = "ox1.example";
    s.auth.clear();
    r = run_probe(s, t);
    ck_assert_msg(r.ok, "%s", r.detail);
    status = 503;
    r = run_probe(s, t);
    ck_assert(!r.ok);
    ck_assert_int_eq(r.status, 503);
    ck_assert_str_eq(r.detail, "unexpected status");

    std::lock_guard<std::mutex> lock(mu);
    ck_assert_uint_eq(heads.size(), 3);
    auto line = [](const std::string& h) { return h.substr(0, h.find("\r\n")); };
    auto header = [](const std::string& h, const std::string& name) {
        std::size_t at = h.find("\r\n" + name + ": ");
        if (at == std::string::npos) return std::string("(none)");
        at += name.size() + 4;
        return h.substr(at, h.find("\r\n", at) - at);
    };
    CK_ASSERT_STRING_EQ(line(heads[0]), "GET /health?deep=1 HTTP/1.1");
    CK_ASSERT_STRING_EQ(header(heads[0], "Host"), "127.0.0.1:" + std::to_string(node.port()));
    CK_ASSERT_STRING_EQ(header(heads[0], "Authorization"), "Basic cHJvYmU6c2VjcmV0");  // base64("probe:secret")
    CK_ASSERT_STRING_EQ(line(heads[1]), "HEAD /health?deep=1 HTTP/1.1");
    CK_ASSERT_STRING_EQ(header(heads[1], "Host"), "ox1.example");
    CK_ASSERT_STRING_EQ(header(heads[1], "Authorization"), "(none)");
    ck_assert_msg(heads[0].find("OX1") == std::string::npos, "%s", heads[0].c_str());
}
END_TEST

// ---- the prober -----------------------------------------------------------------

// A node whose probe hangs does not keep another node from being probed on
// its own schedule.
START_TEST(prober_hung_node_delays_no_other)
{
    unit::Signal release;
    std::atomic<int> hung_started{0}, fast_reports{0}, hung_reports{0};
    std::vector<Prober::Node> nodes(2);
    nodes[0].probe = [&] {
        ++hung_started;
        release.wait();
        return ProbeResult{};
    };
    nodes[0].interval = Millis(10);
    nodes[1].probe = [] {
        ProbeResult r;
        r.ok = true;
        return r;
    };
    nodes[1].interval = Millis(10);
    Prober p(std::move(nodes), [&](std::size_t i, const ProbeResult&) { ++(i == 0 ? hung_reports : fast_reports); });
    p.start();
    for (int i = 0; i < 500 && fast_reports.load() < 5; ++i) std::this_thread::sleep_for(Millis(10));
    ck_assert_int_ge(fast_reports.load(), 5);
    ck_assert_int_eq(hung_started.load(), 1);
    ck_assert_int_eq(hung_reports.load(), 0);
    release.set();
    p.stop();
    ck_assert_int_eq(hung_reports.load(), 1);
}
END_TEST

// stop() wakes nodes that wait for their next probe at once.
START_TEST(prober_stop_wakes_sleepers)
{
    std::atomic<int> probes{0};
    std::vector<Prober::Node> nodes(3);
    for (auto& n : nodes) {
        n.probe = [&] {
            ++probes;
            return ProbeResult{};
        };
        n.interval = std::chrono::hours(1);
    }
    Prober p(std::move(nodes), [](std::size_t, const ProbeResult&) {});
    p.start();
    for (int i = 0; i < 500 && probes.load() < 3; ++i) std::this_thread::sleep_for(Millis(10));
    auto t0 = std::chrono::steady_clock::now();
    p.stop();
    ck_assert(std::chrono::steady_clock::now() - t0 < std::chrono::minutes(1));
    ck_assert_int_eq(probes.load(), 3);
}
END_TEST

// A node whose probe thread fails (a probe throws: out of memory) is
// handed to the give-up callback once, so that its owner does not leave it
// down for good; the other nodes go on, and stop() gives up on none.
START_TEST(prober_gives_up_on_a_failed_node)
{
    std::atomic<int> ok_reports{0}, failed_reports{0};
    std::vector<std::size_t> given_up;
    std::mutex mu;
    std::vector<Prober::Node> nodes(2);
    nodes[0].probe = []() -> ProbeResult { throw std::bad_alloc(); };
    nodes[0].interval = Millis(10);
    nodes[1].probe = [] {
        ProbeResult r;
        r.ok = true;
        return r;
    };
    nodes[1].interval = Millis(10);
    Prober p(
        std::move(nodes), [&](std::size_t i, const ProbeResult&) { ++(i == 0 ? failed_reports : ok_reports); },
        [&](std::size_t i) {
            std::lock_guard<std::mutex> lock(mu);
            given_up.push_back(i);
        });
    p.start();
    for (int i = 0; i < 500 && ok_reports.load() < 5; ++i) std::this_thread::sleep_for(Millis(10));
    ck_assert_int_ge(ok_reports.load(), 5);
    p.stop();
    ck_assert_int_eq(failed_reports.load(), 0);
    std::lock_guard<std::mutex> lock(mu);
    ck_assert_uint_eq(given_up.size(), 1);
    ck_assert_uint_eq(given_up[0], 0);
}
END_TEST

}  // namespace

int main()
{
    Suite* s = suite_create("health");
    TCase* state = tcase_create("state");
    tcase_add_test(state, state_fails_then_passes);
    tcase_add_test(state, state_one_fail_one_pass);
    tcase_add_test(state, config_defaults_and_parameters);
    tcase_add_test(state, config_errors_name_the_word);
    tcase_add_test(state, config_member_overrides);
    tcase_add_test(state, config_member_hcheck_methods);
    tcase_add_test(state, config_http_member_default);
    suite_add_tcase(s, state);
    TCase* probes = tcase_create("probes");
    tcase_set_timeout(probes, 30);
    tcase_add_test(probes, probe_tcp_and_refused);
    tcase_add_test(probes, probe_cping_answers);
    tcase_add_test(probes, probe_cping_silence_and_garbage);
    tcase_add_test(probes, probe_http_over_ajp_status);
    tcase_add_test(probes, probe_http_over_ajp_method_and_host);
    tcase_add_test(probes, probe_http_member_wire);
    tcase_add_test(probes, prober_hung_node_delays_no_other);
    tcase_add_test(probes, prober_stop_wakes_sleepers);
    tcase_add_test(probes, prober_gives_up_on_a_failed_node);
    suite_add_tcase(s, probes);
    return unit::run_suite(s);
}
