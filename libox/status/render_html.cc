#include "status/render_html.h"

#include <openssl/evp.h>

#include <cstdio>

#include "status/escape.h"

namespace ox::status {

namespace {

// The page's only style. Its SHA-256 is in the CSP: change it freely, the
// hash follows.
constexpr std::string_view kStyle =
    "body{font-family:sans-serif;margin:1em;color:#222}"
    "table{border-collapse:collapse;margin-bottom:1em}"
    "th,td{border:1px solid #bbb;padding:2px 6px;vertical-align:top;text-align:left}"
    "td.num{text-align:right}"
    ".admin-active{background:#e6f4e6}.admin-draining{background:#fff3d6}"
    ".admin-disabled{background:#f6dede}.admin-standby{background:#e3ecf8}"
    ".health-up{background:#e6f4e6}.health-down{background:#f6dede;font-weight:bold}"
    ".meaning,.config,.note{color:#555;font-size:smaller}"
    "form.action{display:inline-block;margin:1px}"
    "input[type=number]{width:4em}"
    ".notice{padding:4px 8px;border:1px solid #888}"
    ".done{background:#e6f4e6}.refused{background:#f6dede}"
    ".configdb-outage{background:#f6dede;padding:4px 8px}";

// What each admin state means, in the words DESIGN uses everywhere: the
// anchors (mod_proxy_balancer, mod_jk) use "disabled" in opposite senses.
const char* meaning(AdminState s) noexcept
{
    switch (s) {
    case AdminState::active: return "takes new sessions by load factor and keeps its own";
    case AdminState::draining: return "keeps its sessions, takes no new ones";
    case AdminState::disabled: return "takes nothing; its sessions go to their successors";
    case AdminState::standby: return "takes new and failed-over sessions only while no active member is up";
    }
    return "";
}

struct ActionButton {
    const char* action;   // form value
    const char* label;    // button text
    const char* title;    // tooltip
    AdminState state;     // the state the action sets
};

constexpr ActionButton kButtons[] = {
    {"drain", "Drain", "Set draining: keeps its sessions, takes no new ones", AdminState::draining},
    {"disable", "Disable", "Set disabled: takes nothing; its sessions go to their successors", AdminState::disabled},
    {"enable", "Enable", "Set active: takes new sessions and keeps its own", AdminState::active},
    {"standby", "Standby", "Set standby: takes sessions only while no active member is up", AdminState::standby},
};

class Page {
public:
    Page(const StatusModel& m, const HtmlOptions& o) : m_(m), o_(o) {}

    std::string render()
    {
        out_.reserve(4096 + 4096 * member_count());
        head();
        for (const BalancerStatus& b : m_.balancers) balancer(b);
        legend();
        out_ += "</body>\n</html>\n";
        return std::move(out_);
    }

private:
    std::size_t member_count() const noexcept
    {
        std::size_t n = 0;
        for (const auto& b : m_.balancers) n += b.members.size();
        return n;
    }

    void text(std::string_view s) { append_html(out_, s); }
    void raw(std::string_view s) { out_ += s; }
    void num(std::uint64_t v) { out_ += std::to_string(v); }
    void num(std::int64_t v) { out_ += std::to_string(v); }

    void time_of(std::int64_t ms)
    {
        char buf[kIsoTimeChars + 1];
        std::string_view iso = format_iso8601_utc(ms, buf);
        raw("<time datetime=\"");
        raw(iso);
        raw("\">");
        raw(iso);
        raw("</time>");
    }

    // "42 s", "5 min", "3 h", "2 days".
    void span_words(std::int64_t ms)
    {
        if (ms < 0) ms = 0;
        std::int64_t s = ms / 1000;
        if (s < 120) { num(s); raw(" s"); }
        else if (s < 120 * 60) { num(s / 60); raw(" min"); }
        else if (s < 48 * 3600) { num(s / 3600); raw(" h"); }
        else { num(s / 86400); raw(" days"); }
    }

    void bytes_words(std::uint64_t b)
    {
        static const char* const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
        if (b < 1024) {
            num(b);
            raw(" B");
            return;
        }
        double v = static_cast<double>(b);
        int u = 0;
        while (v >= 1024.0 && u < 6) {
            v /= 1024.0;
            ++u;
        }
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.1f %s", v, units[u]);
        raw(buf);
    }

    void latency_words(std::int64_t us)
    {
        char buf[32];
        if (us < 1000) std::snprintf(buf, sizeof buf, "%lld \xC2\xB5s", static_cast<long long>(us));
        else if (us < 1000000) std::snprintf(buf, sizeof buf, "%.1f ms", static_cast<double>(us) / 1000.0);
        else std::snprintf(buf, sizeof buf, "%.2f s", static_cast<double>(us) / 1e6);
        raw(buf);
    }

    void head()
    {
        raw("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        if (o_.refresh_seconds > 0 && o_.notice == HtmlOptions::Notice::none) {
            raw("<meta http-equiv=\"refresh\" content=\"");
            num(static_cast<std::uint64_t>(o_.refresh_seconds));
            raw("\">\n");
        }
        raw("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        raw("<meta name=\"referrer\" content=\"no-referrer\">\n");
        raw("<title>mod_oxbalance status: ");
        text(m_.server_name);
        raw("</title>\n<style>");
        raw(kStyle);
        raw("</style>\n</head>\n<body>\n<h1>mod_oxbalance status</h1>\n<p class=\"meta\">Server <span id=\"server\">");
        text(m_.server_name);
        raw("</span>, mod_oxbalance <span id=\"version\">");
        text(m_.module_version);
        raw("</span>. Generated ");
        time_of(m_.generated_ms);
        raw(" (UTC)");
        if (o_.refresh_seconds > 0 && o_.notice == HtmlOptions::Notice::none) {
            raw("; this page reloads itself every ");
            num(static_cast<std::uint64_t>(o_.refresh_seconds));
            raw(" s");
        }
        if (m_.leader_pid != 0) {
            raw(". Health probes and configdb polls run in process <span id=\"leader\">");
            num(static_cast<std::uint64_t>(m_.leader_pid));
            raw("</span>");
        }
        raw(". Also as <a href=\"");
        text(o_.path);
        raw("?json\">JSON</a> and <a href=\"");
        text(o_.path);
        raw("?metrics\">Prometheus metrics</a>.</p>\n");
        configdb();
        if (o_.notice != HtmlOptions::Notice::none) {
            bool done = o_.notice == HtmlOptions::Notice::done;
            raw(done ? "<p id=\"notice\" class=\"notice done\" role=\"status\">Done: "
                     : "<p id=\"notice\" class=\"notice refused\" role=\"alert\">Refused: ");
            text(o_.notice_text);
            raw("</p>\n<p><a id=\"back\" href=\"");
            text(o_.path);
            raw("\">Back to the status page</a> (this page does not reload itself).</p>\n");
        }
        if (m_.balancers.empty()) raw("<p>No balancer is configured.</p>\n");
    }

    // Where the admin states come from, when OXConfigDB is set: the poll's
    // state, and during an outage since when and how old the data is.
    void configdb()
    {
        const ConfigdbStatus& c = m_.configdb;
        if (!c.configured) return;
        raw("<p id=\"configdb\" class=\"configdb configdb-");
        raw(c.state());
        raw("\" data-state=\"");
        raw(c.state());
        raw("\">Admin states and load factors come from the configdb (read host <span class=\"read-host\">");
        text(c.read_host);
        raw("</span>, write host <span class=\"write-host\">");
        text(c.write_host);
        raw("</span>, read every ");
        num(static_cast<std::uint64_t>(c.poll_seconds));
        raw(" s). ");
        if (c.last_success_ms != 0) {
            raw("Last read <span class=\"data-age\" data-value=\"");
            num((m_.generated_ms - c.last_success_ms) / 1000);
            raw("\">");
            span_words(m_.generated_ms - c.last_success_ms);
            raw(" ago</span> (");
            time_of(c.last_success_ms);
            raw(").");
        } else {
            raw("<span class=\"data-age\">Not read yet</span>: the states are the configuration\u2019s, or "
                "OXStateFile\u2019s.");
        }
        if (c.outage_since_ms != 0) {
            raw("<br><strong class=\"outage\">The configdb cannot be read since ");
            time_of(c.outage_since_ms);
            raw(" (");
            span_words(m_.generated_ms - c.outage_since_ms);
            raw(")</strong>: the last state read stays in force; changes made elsewhere are not seen until it "
                "answers again. Last error: <span class=\"last-error\">");
            text(c.last_error);
            raw("</span>");
        }
        if (c.last_write_error_ms != 0) {
            raw("<br><span class=\"note write-error\">Last change that could not be written (");
            time_of(c.last_write_error_ms);
            raw("): ");
            text(c.last_write_error);
            raw("</span>");
        }
        announcement(c);
        unknown_rows(c);
        raw("</p>\n");
    }

    // Rows this configuration has no member for: a member taken out (its
    // row left), a typo written with --force, or front ends configured
    // differently.
    void unknown_rows(const ConfigdbStatus& c)
    {
        if (c.unknown_rows == 0) return;
        raw("<br><span class=\"note unknown-rows\" data-value=\"");
        num(static_cast<std::uint64_t>(c.unknown_rows));
        raw("\">The configdb has ");
        num(static_cast<std::uint64_t>(c.unknown_rows));
        raw(c.unknown_rows == 1 ? " row for a member" : " rows for members");
        raw(" this configuration does not have (ignored): ");
        for (std::size_t i = 0; i < c.unknown_members.size(); ++i) {
            raw(i ? ", " : "");
            raw("<span class=\"unknown-member\">");
            text(c.unknown_members[i].first);
            raw(" ");
            text(c.unknown_members[i].second);
            raw("</span>");
        }
        if (c.unknown_members.size() < c.unknown_rows) raw(c.unknown_members.empty() ? "\u2026" : ", \u2026");
        raw(". If no front end has them, <code>oxbalancectl forget BALANCER ROUTE</code> removes a row.</span>");
    }

    // Whether oxbalancectl can check changes against this front end.
    void announcement(const ConfigdbStatus& c)
    {
        if (c.announce_failing_since_ms != 0) {
            raw("<br><span class=\"note announce-error\">This front end (<span class=\"frontend\">");
            text(c.frontend);
            raw("</span>) cannot announce its members since ");
            time_of(c.announce_failing_since_ms);
            raw(": ");
            text(c.announce_error);
            raw(". oxbalancectl cannot check changes against it; tried again every minute.</span>");
        } else if (c.last_announce_ms != 0) {
            raw("<br><span class=\"announced\">Announced as <span class=\"frontend\">");
            text(c.frontend);
            raw("</span> with ");
            num(static_cast<std::uint64_t>(c.announced_members));
            raw(c.announced_members == 1 ? " member, " : " members, ");
            span_words(m_.generated_ms - c.last_announce_ms);
            raw(" ago (");
            time_of(c.last_announce_ms);
            raw(").</span>");
        }
    }

    void balancer(const BalancerStatus& b)
    {
        raw("<section class=\"balancer\" id=\"balancer-");
        text(b.name);
        raw("\" data-balancer=\"");
        text(b.name);
        raw("\">\n<h2>Balancer ");
        text(b.name);
        raw("</h2>\n<p class=\"balancer-settings\">Method <span class=\"lbmethod\">");
        text(b.lbmethod);
        raw("</span>; session cookie <span class=\"sticky-cookie\">");
        text(b.sticky_cookie);
        raw("</span>; failover <span class=\"failover\">");
        raw(b.failover ? "on</span> (a session whose member is disabled or down goes to its successor)"
                       : "off</span> (a session whose member is disabled or down gets 503)");
        raw(".</p>\n<table class=\"members\" data-balancer=\"");
        text(b.name);
        raw("\">\n<thead><tr><th>Member</th><th>Route</th><th>Admin state</th><th>Health</th>"
            "<th>Last probe</th><th>Load factor</th><th>In flight</th><th>Requests</th><th>Failures</th>"
            "<th>New sessions</th><th>Sticky</th><th>Failovers</th><th>Sent</th><th>Received</th>"
            "<th>Last session seen</th><th>Sessions, last ");
        num(static_cast<std::uint64_t>(m_.sessions_window_minutes));
        raw(" min</th>");
        if (actions()) raw("<th>Actions</th>");
        raw("</tr></thead>\n<tbody>\n");
        if (b.members.empty()) raw(actions() ? "<tr><td colspan=\"17\">No members.</td></tr>\n"
                                             : "<tr><td colspan=\"16\">No members.</td></tr>\n");
        for (const MemberStatus& m : b.members) member(b, m);
        raw("</tbody>\n</table>\n</section>\n");
    }

    bool actions() const noexcept { return !o_.nonce.empty(); }

    void counter_cell(const char* cls, std::uint64_t v)
    {
        raw("<td class=\"");
        raw(cls);
        raw(" num\" data-value=\"");
        num(v);
        raw("\">");
        num(v);
        raw("</td>");
    }

    void bytes_cell(const char* cls, std::uint64_t v)
    {
        raw("<td class=\"");
        raw(cls);
        raw(" num\" data-value=\"");
        num(v);
        raw("\">");
        bytes_words(v);
        raw("</td>");
    }

    void member(const BalancerStatus& b, const MemberStatus& m)
    {
        const char* admin = to_string(m.admin);
        const char* health = to_string(m.health);
        raw("<tr class=\"member\" data-balancer=\"");
        text(b.name);
        raw("\" data-member=\"");
        text(m.url);
        raw("\" data-route=\"");
        text(m.route);
        raw("\" data-admin=\"");
        raw(admin);
        raw("\" data-health=\"");
        raw(health);
        raw("\">\n<td class=\"url\">");
        text(m.url);
        raw("</td><td class=\"route\">");
        if (m.route.empty()) raw("<span class=\"note\">none</span>");
        else text(m.route);

        raw("</td>\n<td class=\"admin admin-");
        raw(admin);
        raw("\"><span class=\"state\">");
        raw(admin);
        raw("</span><br><span class=\"meaning\">");
        raw(meaning(m.admin));
        raw("</span>");
        if (m.config_admin != m.admin) {
            raw("<br><span class=\"config\">set at run time; the configuration says ");
            raw(to_string(m.config_admin));
            raw("</span>");
        }

        raw("</td>\n<td class=\"health health-");
        raw(health);
        raw("\"><span class=\"state\">");
        raw(health);
        raw("</span>");
        if (m.error_until_ms > m_.generated_ms) {
            raw("<br><span class=\"error-window note\">after a failed request, avoided for ");
            span_words(m.error_until_ms - m_.generated_ms);
            raw(" more (until ");
            time_of(m.error_until_ms);
            raw(")</span>");
        }

        raw("</td>\n<td class=\"probe\">");
        probe(m.probe);

        raw("</td>\n<td class=\"loadfactor num\">");
        num(static_cast<std::uint64_t>(m.loadfactor));
        raw("</td>");
        raw("<td class=\"in-flight num\" data-value=\"");
        num(m.in_flight);
        raw("\">");
        num(m.in_flight);
        raw("</td>");
        counter_cell("requests", m.requests);
        counter_cell("failures", m.failures);
        counter_cell("new-sessions", m.new_sessions);
        counter_cell("sticky", m.sticky);
        counter_cell("failovers", m.failovers);
        raw("\n");
        bytes_cell("bytes-sent", m.bytes_sent);
        bytes_cell("bytes-received", m.bytes_received);

        raw("\n<td class=\"last-session\">");
        if (m.last_session_ms == 0) {
            raw("never");
        } else {
            time_of(m.last_session_ms);
            raw(" (");
            span_words(m_.generated_ms - m.last_session_ms);
            raw(" ago)");
        }
        raw("</td>");
        counter_cell("sessions-recent", m.sessions_recent);
        if (actions()) {
            raw("\n<td class=\"actions\">");
            forms(b, m);
            raw("</td>");
        }
        raw("\n</tr>\n");
    }

    void probe(const ProbeStatus& p)
    {
        if (p.method.empty()) {
            raw("<span class=\"note\">not probed (health from failed requests only)</span>");
            return;
        }
        raw("<span class=\"method\">");
        text(p.method);
        raw("</span>");
        if (p.time_ms == 0) {
            raw(": <span class=\"note\">no probe yet</span>");
            return;
        }
        raw(": <span class=\"result\">");
        text(p.result);
        raw("</span>");
        if (p.latency_us >= 0) {
            raw(" in <span class=\"latency\">");
            latency_words(p.latency_us);
            raw("</span>");
        }
        raw(", ");
        span_words(m_.generated_ms - p.time_ms);
        raw(" ago (");
        time_of(p.time_ms);
        raw(")<br><span class=\"note\">");
        num(static_cast<std::uint64_t>(p.consecutive_failures));
        raw(" failed, ");
        num(static_cast<std::uint64_t>(p.consecutive_passes));
        raw(" passed in a row</span>");
    }

    void form_start(const BalancerStatus& b, const MemberStatus& m, const char* action)
    {
        raw("<form class=\"action\" data-action=\"");
        raw(action);
        raw("\" method=\"post\" action=\"");
        text(o_.path);
        raw("\"><input type=\"hidden\" name=\"nonce\" value=\"");
        text(o_.nonce);
        raw("\"><input type=\"hidden\" name=\"balancer\" value=\"");
        text(b.name);
        raw("\"><input type=\"hidden\" name=\"member\" value=\"");
        text(m.url);
        raw("\"><input type=\"hidden\" name=\"action\" value=\"");
        raw(action);
        raw("\">");
    }

    void forms(const BalancerStatus& b, const MemberStatus& m)
    {
        for (const ActionButton& a : kButtons) {
            form_start(b, m, a.action);
            raw("<button type=\"submit\" title=\"");
            raw(a.title);
            raw("\"");
            if (m.admin == a.state) raw(" disabled");
            raw(">");
            raw(a.label);
            raw("</button></form>");
        }
        // Greyed out unless the node is in its error window.
        form_start(b, m, "recover");
        raw("<button type=\"submit\" title=\"End the error window now: requests go to the node again (in every "
            "balancer that lists it); probes still decide its health\"");
        if (m.error_until_ms <= m_.generated_ms) raw(" disabled");
        raw(">Recover</button></form>");
        form_start(b, m, "loadfactor");
        raw("<input type=\"number\" name=\"loadfactor\" min=\"1\" max=\"100\" required value=\"");
        num(static_cast<std::uint64_t>(m.loadfactor));
        raw("\" aria-label=\"load factor\" title=\"Weight for new sessions, 1 to 100\">"
            "<button type=\"submit\">Set load factor</button></form>");
    }

    void legend()
    {
        raw("<section id=\"legend\">\n<h2>What the states mean</h2>\n<dl>\n");
        for (AdminState s : {AdminState::active, AdminState::draining, AdminState::disabled, AdminState::standby}) {
            raw("<dt>");
            raw(to_string(s));
            raw("</dt><dd>");
            raw(meaning(s));
            switch (s) {
            case AdminState::draining:
                raw(". Use it to take a node out without logging users out: when \u201cSessions, last ");
                num(static_cast<std::uint64_t>(m_.sessions_window_minutes));
                raw(" min\u201d reaches 0 (and no session was seen for longer than OX\u2019s session timeout), the "
                    "node can be stopped");
                break;
            case AdminState::disabled:
                raw(". With OX\u2019s distributed session storage the successor continues each session and issues "
                    "a new JSESSIONID");
                break;
            default: break;
            }
            raw(".</dd>\n");
        }
        raw("<dt>down</dt><dd>health: probes failed (or the node refused a connection or did not answer in time); "
            "treated like disabled until it is up again.</dd>\n</dl>\n"
            "<p class=\"note\">Careful when coming from other balancers: in mod_proxy_balancer\u2019s manager "
            "\u201cDisabled\u201d moves sessions away and \u201cDrain\u201d keeps them, while in mod_jk "
            "\u201cdisabled\u201d keeps them. Here <b>draining</b> always keeps its sessions and <b>disabled</b> "
            "never does. Changes made here apply to every httpd process at once; they survive a graceful restart, "
            "and a full one when OXStateFile is set.</p>\n"
            "</section>\n");
    }

    const StatusModel& m_;
    const HtmlOptions& o_;
    std::string out_;
};

struct Csp {
    char text[256];
    std::size_t len = 0;

    Csp() noexcept
    {
        unsigned char digest[EVP_MAX_MD_SIZE];
        unsigned int n = 0;
        unsigned char b64[64] = {};
        bool ok = EVP_Digest(kStyle.data(), kStyle.size(), digest, &n, EVP_sha256(), nullptr) == 1 && n == 32;
        if (ok) EVP_EncodeBlock(b64, digest, 32);  // 44 characters and a NUL
        int r = std::snprintf(text, sizeof text,
                              "default-src 'none'; style-src %s%s%s; form-action 'self'; "
                              "frame-ancestors 'none'; base-uri 'none'",
                              ok ? "'sha256-" : "'unsafe-inline'", ok ? reinterpret_cast<const char*>(b64) : "",
                              ok ? "'" : "");
        len = r > 0 && static_cast<std::size_t>(r) < sizeof text ? static_cast<std::size_t>(r) : 0;
    }
};

}  // namespace

std::string render_html(const StatusModel& model, const HtmlOptions& options)
{
    return Page(model, options).render();
}

std::string_view html_content_security_policy() noexcept
{
    static const Csp csp;  // thread-safe initialisation
    return std::string_view(csp.text, csp.len);
}

}  // namespace ox::status
