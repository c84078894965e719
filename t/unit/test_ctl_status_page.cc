// oxbalancectl's status page mode, without a server: its JSON reader, its
// URL parser, and what it reads from pages made by libox's own renderers
// (render_html, render_json) and what it posts (read back by libox's
// parse_action_form), so that the tool and the page cannot drift apart.
#include <string>
#include <vector>

#include "ctl_http.h"
#include "ctl_json.h"
#include "ctl_status_page.h"
#include "status/actions.h"
#include "status/render_html.h"
#include "status/render_json.h"
#include "unit_util.h"

namespace st = ox::status;
using oxctl::page::Notice;

namespace {

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

st::StatusModel model()
{
    st::StatusModel m;
    m.server_name = "ox.example.com";
    m.module_version = "0.1.0";
    m.generated_ms = 1714566896789;
    m.sessions_window_minutes = 10;
    st::BalancerStatus b;
    b.name = "oxcluster";
    b.lbmethod = "byrequests";
    b.sticky_cookie = "JSESSIONID";
    st::MemberStatus m1;
    m1.url = "ajp://10.20.30.213:8009";
    m1.route = "OX1";
    m1.admin = ox::AdminState::draining;
    m1.loadfactor = 50;
    m1.sessions_recent = 17;
    m1.in_flight = 2;
    st::MemberStatus m2;
    m2.url = "ajp://10.20.30.214:8009";  // no route
    m2.health = ox::Health::down;
    b.members = {m1, m2};
    m.balancers.push_back(b);
    st::BalancerStatus empty;
    empty.name = "<empty> & \"quoted\"";
    empty.lbmethod = "bybusyness";
    empty.sticky_cookie = "JSESSIONID";
    m.balancers.push_back(empty);
    return m;
}

}  // namespace

START_TEST(json_reader)
{
    oxctl::json::Value v;
    std::string err = oxctl::json::parse(
        " {\"a\":[1,-2.5e3,true,false,null],\"s\":\"x\\u00e9\\ud83d\\ude00\\u003c\\n\",\"big\":18446744073709551615,"
        "\"o\":{}} ",
        v);
    ck_assert_msg(err.empty(), "%s", err.c_str());
    ck_assert(v.is_object());
    ck_assert_uint_eq(v.get("a")->items.size(), 5);
    ck_assert_str_eq(v.get("a")->items[1].text.c_str(), "-2.5e3");
    ck_assert(v.get("a")->items[2].boolean);
    ck_assert(v.get("a")->items[4].is_null());
    ck_assert_str_eq(v.get("s")->text.c_str(), "x\xC3\xA9\xF0\x9F\x98\x80<\n");
    std::uint64_t big = 0;
    ck_assert(v.get("big")->as_uint(big));
    ck_assert(big == UINT64_MAX);
    ck_assert(!v.get("a")->items[1].as_uint(big));
    ck_assert(v.get("missing") == nullptr);
    // A lone surrogate becomes U+FFFD.
    ck_assert(oxctl::json::parse("\"\\ud800x\"", v).empty());
    ck_assert_str_eq(v.text.c_str(), "\xEF\xBF\xBDx");

    for (const char* bad : {"", "{", "[1,]", "{\"a\" 1}", "01", "1.", "-", "\"a", "\"\x01\"", "\"\\x\"", "tru",
                            "{} {}", "[1] x", "\"\\u12\""}) {
        ck_assert_msg(!oxctl::json::parse(bad, v).empty(), "accepted: %s", bad);
    }
    std::string deep(oxctl::json::kMaxDepth + 1, '[');
    deep += std::string(oxctl::json::kMaxDepth + 1, ']');
    ck_assert(contains(oxctl::json::parse(deep, v), "nested too deeply"));
}
END_TEST

START_TEST(snapshot_from_render_json)
{
    oxctl::page::Snapshot s;
    std::string err = oxctl::page::read_snapshot(st::render_json(model()), s);
    ck_assert_msg(err.empty(), "%s", err.c_str());
    ck_assert_uint_eq(s.schema, 1);
    ck_assert_str_eq(s.server.c_str(), "ox.example.com");
    ck_assert_str_eq(s.version.c_str(), "0.1.0");
    ck_assert_str_eq(s.generated.c_str(), "2024-05-01T12:34:56.789Z");
    ck_assert_uint_eq(s.balancers, 2);
    ck_assert_uint_eq(s.members.size(), 2);
    const oxctl::page::Member& a = s.members[0];
    ck_assert_str_eq(a.balancer.c_str(), "oxcluster");
    ck_assert_str_eq(a.url.c_str(), "ajp://10.20.30.213:8009");
    ck_assert(a.route && *a.route == "OX1");
    ck_assert_str_eq(a.admin.c_str(), "draining");
    ck_assert_str_eq(a.config_admin.c_str(), "active");
    ck_assert_str_eq(a.health.c_str(), "up");
    ck_assert_uint_eq(a.loadfactor, 50);
    ck_assert_uint_eq(a.sessions_recent, 17);
    ck_assert_uint_eq(a.in_flight, 2);
    ck_assert(!s.members[1].route);
    ck_assert_str_eq(s.members[1].health.c_str(), "down");
    ck_assert(!s.configdb);

    st::StatusModel with = model();
    with.configdb.configured = true;
    with.configdb.read_host = "db1:3306/configdb";
    with.configdb.write_host = "db2:3306/configdb";
    ck_assert(oxctl::page::read_snapshot(st::render_json(with), s).empty());
    ck_assert(s.configdb);
    ck_assert_str_eq(s.configdb_state.c_str(), "starting");
    ck_assert_str_eq(s.configdb_write_host.c_str(), "db2:3306/configdb");

    ck_assert(contains(oxctl::page::read_snapshot("<html>", s), "not JSON"));
    ck_assert(contains(oxctl::page::read_snapshot("{\"balancers\":[]}", s), "no \"schema\""));
    ck_assert(contains(oxctl::page::read_snapshot("{\"schema\":2,\"balancers\":[]}", s), "schema 2"));
    ck_assert(contains(oxctl::page::read_snapshot("{\"schema\":1}", s), "no \"balancers\""));
}
END_TEST

START_TEST(nonce_and_notice_from_render_html)
{
    const std::string nonce(64, 'a');
    st::HtmlOptions o;
    o.path = "/oxbalance-status";
    o.nonce = nonce;
    std::string page = st::render_html(model(), o);
    std::string found = oxctl::page::find_nonce(page);
    ck_assert_str_eq(found.c_str(), nonce.c_str());
    ck_assert(oxctl::page::find_notice(page).kind == Notice::Kind::none);

    o.nonce = "";  // actions off: no forms, no nonce
    ck_assert(oxctl::page::find_nonce(st::render_html(model(), o)).empty());
    ck_assert(oxctl::page::find_nonce("name=\"nonce\" value=\"abc\"").empty());

    o.nonce = nonce;
    o.notice = st::HtmlOptions::Notice::done;
    o.notice_text = "oxcluster OX1 (ajp://10.20.30.213:8009): admin state active -> draining";
    Notice n = oxctl::page::find_notice(st::render_html(model(), o));
    ck_assert(n.kind == Notice::Kind::done);
    ck_assert_str_eq(n.text.c_str(), "oxcluster OX1 (ajp://10.20.30.213:8009): admin state active -> draining");

    o.notice = st::HtmlOptions::Notice::refused;
    o.notice_text = "balancer <x> has no member 'a&b' \"q\"";
    n = oxctl::page::find_notice(st::render_html(model(), o));
    ck_assert(n.kind == Notice::Kind::refused);
    ck_assert_str_eq(n.text.c_str(), "balancer <x> has no member 'a&b' \"q\"");

    std::string text = oxctl::page::html_text("&#x41;&#66;&amp;lt;&bogus;&");
    ck_assert_str_eq(text.c_str(), "AB&lt;&bogus;&");
}
END_TEST

START_TEST(form_as_the_page_reads_it)
{
    std::string body = oxctl::page::form_encode({{"nonce", std::string(64, 'f')},
                                                 {"balancer", "ox cluster&x=1"},
                                                 {"member", "ajp://10.0.0.1:8009"},
                                                 {"action", "loadfactor"},
                                                 {"loadfactor", "30"}});
    ck_assert(contains(body, "member=ajp%3A%2F%2F10.0.0.1%3A8009"));
    ck_assert(contains(body, "balancer=ox+cluster%26x%3D1"));
    st::Action a;
    std::string err = st::parse_action_form(body, a);
    ck_assert_msg(err.empty(), "%s", err.c_str());
    ck_assert_str_eq(a.balancer.c_str(), "ox cluster&x=1");
    ck_assert_str_eq(a.member.c_str(), "ajp://10.0.0.1:8009");
    ck_assert(a.kind == st::ActionKind::loadfactor);
    ck_assert_uint_eq(a.loadfactor, 30);
    ck_assert(a.nonce == std::string(64, 'f'));
}
END_TEST

START_TEST(urls)
{
    oxctl::HttpUrl u;
    ck_assert(oxctl::parse_http_url("http://127.0.0.1:8080/oxbalance-status", u).empty());
    ck_assert_str_eq(u.host.c_str(), "127.0.0.1");
    ck_assert_uint_eq(u.port, 8080);
    ck_assert_str_eq(u.path.c_str(), "/oxbalance-status");
    ck_assert_str_eq(u.host_header.c_str(), "127.0.0.1:8080");
    ck_assert(oxctl::parse_http_url("HTTP://fe1.example.com", u).empty());
    ck_assert_uint_eq(u.port, 80);
    ck_assert_str_eq(u.path.c_str(), "/");
    ck_assert(oxctl::parse_http_url("http://[::1]:81/s/", u).empty());
    ck_assert_str_eq(u.host.c_str(), "::1");
    ck_assert_str_eq(u.host_header.c_str(), "[::1]:81");
    ck_assert_str_eq(u.path.c_str(), "/s/");

    ck_assert(contains(oxctl::parse_http_url("https://fe1/oxbalance-status", u), "https:// is not supported"));
    ck_assert(contains(oxctl::parse_http_url("ftp://fe1/", u), "not an http:// URL"));
    ck_assert(contains(oxctl::parse_http_url("fe1:80/x", u), "not an http:// URL"));
    ck_assert(contains(oxctl::parse_http_url("http://fe1/s?json", u), "query"));
    ck_assert(contains(oxctl::parse_http_url("http://u:p@fe1/s", u), "user names"));
    ck_assert(contains(oxctl::parse_http_url("http:///s", u), "no host"));
    ck_assert(!oxctl::parse_http_url("http://fe1:0/s", u).empty());
    ck_assert(!oxctl::parse_http_url("http://fe1:65536/s", u).empty());
    ck_assert(!oxctl::parse_http_url("http://fe1/a b", u).empty());
}
END_TEST

int main()
{
    Suite* s = suite_create("ctl_status_page");
    TCase* tc = tcase_create("page");
    tcase_add_test(tc, json_reader);
    tcase_add_test(tc, snapshot_from_render_json);
    tcase_add_test(tc, nonce_and_notice_from_render_html);
    tcase_add_test(tc, form_as_the_page_reads_it);
    tcase_add_test(tc, urls);
    suite_add_tcase(s, tc);
    return unit::run_suite(s);
}
