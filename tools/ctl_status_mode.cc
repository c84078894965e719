#include "ctl_status_mode.h"

#include <iostream>

#include "core/text.h"
#include "ctl_format.h"
#include "ctl_status_page.h"

namespace oxctl {

namespace {

// (Messages quote the page's words: printable only.)
void error(const std::string& msg) { std::cerr << "oxbalancectl: " << oxctl::printable(msg) << "\n"; }

// The first line of a plain answer ("Forbidden"), at most 200 bytes.
std::string first_line(const std::string& body)
{
    std::string line = body.substr(0, body.find('\n'));
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line.substr(0, 200);
}

// Why the page did not answer 200, in words; the page's own notice when it
// has one.
std::string refusal(const HttpUrl& url, const HttpResponse& r)
{
    std::string code = std::to_string(r.status) + (r.reason.empty() ? "" : " " + r.reason);
    page::Notice n = page::find_notice(r.body);
    if (n.kind != page::Notice::Kind::none) return url.text + " refused (" + code + "): " + n.text;
    if (r.status == 403) {
        return url.text + " refused this client (" + code + ": " + first_line(r.body) +
               "): this host's address is not on the page's OXStatus list (or httpd's own access control for the "
               "path refused it)";
    }
    if (r.status == 404) return url.text + " is not a status page (" + code + "): check the OXStatus path";
    return url.text + " answered " + code;
}

// GET of the page or its ?json; returns -1 with a 200 answer in `r`, or an
// exit code after saying what went wrong (in `why` when given, else on
// stderr).
int fetch(HttpClient& client, const HttpUrl& url, const char* query, HttpResponse& r, std::string* why = nullptr)
{
    std::string msg;
    if (!client.get(query, r)) msg = client.error();
    else if (r.status != 200) msg = refusal(url, r);
    if (msg.empty()) return -1;
    if (why) *why = msg;
    else error(msg);
    return kExitUnreachable;
}

// The page's JSON, read; returns -1 or an exit code (message as fetch()).
int snapshot(HttpClient& client, const HttpUrl& url, page::Snapshot& s, std::string* why = nullptr)
{
    HttpResponse r;
    if (int rc = fetch(client, url, "json", r, why); rc >= 0) return rc;
    std::string err = page::read_snapshot(r.body, s);
    if (err.empty()) return -1;
    std::string msg = url.text + "?json is not a mod_oxbalance status page's JSON: " + err;
    if (why) *why = msg;
    else error(msg);
    return kExitUnreachable;
}

int list(const PageOptions& o, HttpClient& client)
{
    page::Snapshot s;
    if (int rc = snapshot(client, o.url, s); rc >= 0) return rc;
    std::cout << (o.json ? page_list_json(s, "status page " + o.url.text) : page_list_text(s));
    return kExitOk;
}

int status(const PageOptions& o, HttpClient& client)
{
    PageStatus st;
    st.url = o.url.text;
    int rc = snapshot(client, o.url, st.snapshot, &st.error);
    HttpResponse html;
    if (rc < 0) rc = fetch(client, o.url, "", html, &st.error);
    st.reachable = rc < 0;
    if (st.reachable) {
        if (!page::find_nonce(html.body).empty()) st.actions = PageStatus::Actions::on;
        else if (!st.snapshot.members.empty()) st.actions = PageStatus::Actions::off;
    }
    std::cout << (o.json ? page_status_json(st) : page_status_text(st));
    if (!st.reachable) return rc;
    return st.actions == PageStatus::Actions::off ? kExitUnreachable : kExitOk;
}

int action(const PageOptions& o, HttpClient& client)
{
    PageChange c;
    c.action = o.words[0];
    c.balancer = o.words[1];
    c.member = o.words[2];
    if (c.action == "loadfactor") {
        unsigned long long lf = 0;
        if (!ox::parse_decimal(o.words[3], lf) || lf < 1 || lf > 100) {
            error("loadfactor '" + o.words[3] + "' is not a whole number from 1 to 100" +
                  (o.words[3] == "0" ? " (0, back to the configured value, is for the configdb: the status page "
                                       "sets 1 to 100)"
                                     : ""));
            return kExitInvalid;
        }
        c.loadfactor = static_cast<unsigned>(lf);
    } else if (c.action != "recover") {
        c.admin = c.action == "drain"     ? ox::AdminState::draining
                  : c.action == "disable" ? ox::AdminState::disabled
                  : c.action == "standby" ? ox::AdminState::standby
                                          : ox::AdminState::active;
    }
    // A nonce is good in its window and the next; one refused as stale
    // (the window turned twice between the GET and the POST, with a short
    // noncewindow=) is fetched again, once.
    for (int attempt = 0;; ++attempt) {
        HttpResponse page_answer;
        if (int rc = fetch(client, o.url, "", page_answer); rc >= 0) return rc;
        std::string nonce = page::find_nonce(page_answer.body);
        if (nonce.empty()) {
            if (page_answer.body.find("mod_oxbalance") == std::string::npos) {
                error(o.url.text + " is not a mod_oxbalance status page (no forms, no mod_oxbalance)");
                return kExitUnreachable;
            }
            if (page_answer.body.find("<tr class=\"member\"") == std::string::npos) {
                error(o.url.text + " lists no member: balancer " + c.balancer + " has no member '" + c.member + "'");
                return kExitInvalid;
            }
            error("actions are off on " + o.url.text +
                  ": its page has no forms (the server could not make its nonce secret: OXB00085 in its error log)");
            return kExitUnreachable;
        }
        std::vector<std::pair<std::string, std::string>> fields{
            {"nonce", nonce}, {"balancer", c.balancer}, {"member", c.member}, {"action", c.action}};
        if (c.loadfactor) fields.emplace_back("loadfactor", std::to_string(c.loadfactor));
        HttpResponse r;
        if (!client.post_form(page::form_encode(fields), r)) {
            error(client.error() + " (the action may or may not have been taken: check with list)");
            return kExitUnreachable;
        }
        page::Notice n = page::find_notice(r.body);
        if (r.status == 200 && n.kind == page::Notice::Kind::done) {
            c.notice = n.text;
            static constexpr std::string_view kAlready = " already";
            c.changed = !(n.text.size() >= kAlready.size() &&
                          std::string_view(n.text).substr(n.text.size() - kAlready.size()) == kAlready);
            std::cout << (o.json ? page_change_json(c) : page_change_text(c));
            return kExitOk;
        }
        bool stale = r.status == 403 && n.kind == page::Notice::Kind::refused &&
                     n.text.find("too old") != std::string::npos;
        if (stale && attempt == 0) continue;
        if (r.status == 200) {
            error(o.url.text + " answered 200 without the page's notice: is it a mod_oxbalance status page?");
            return kExitUnreachable;
        }
        if ((r.status == 404 || r.status == 400) && n.kind == page::Notice::Kind::refused) {
            error(n.text + " (" + o.url.text + ", " + std::to_string(r.status) + ")");
            return kExitInvalid;
        }
        error(refusal(o.url, r));
        return kExitUnreachable;
    }
}

}  // namespace

int run_status_page(const PageOptions& o)
{
    HttpClient client(o.url, ox::Millis(1000LL * o.timeout_seconds));
    const std::string& cmd = o.words.at(0);
    if (cmd == "list") return list(o, client);
    if (cmd == "status") return status(o, client);
    return action(o, client);
}

}  // namespace oxctl
