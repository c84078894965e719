#include "mod_oxbalance_status_action.h"

#include <string>

#include "core/clock.h"
#include "core/text.h"
#include "mod_oxbalance_configdb.h"
#include "mod_oxbalance_log.h"
#include "mod_oxbalance_state_file.h"
#include "mod_oxbalance_status_model.h"
#include "status/actions.h"

namespace oxb {

namespace {

using Notice = ox::status::HtmlOptions::Notice;

// application/x-www-form-urlencoded, parameters (charset=) allowed.
bool is_form(const char* content_type) noexcept
{
    if (!content_type) return false;
    std::string_view t(content_type);
    t = ox::trim_ows(t.substr(0, t.find(';')));
    return ox::equals_lowercase(t, "application/x-www-form-urlencoded");
}

// Reads the body into `out`, never more than `limit` + 1 bytes: a body
// that is longer is refused, whatever it says it is. Returns OK or the
// status to answer.
int read_form(request_rec* r, std::string& out, std::size_t limit)
{
    if (int rc = ap_setup_client_block(r, REQUEST_CHUNKED_DECHUNK); rc != OK) return rc;
    if (r->remaining > static_cast<apr_off_t>(limit)) {
        // Not read: closing the connection spares httpd reading it to
        // the end only to throw it away.
        r->connection->keepalive = AP_CONN_CLOSE;
        return HTTP_REQUEST_ENTITY_TOO_LARGE;
    }
    if (!ap_should_client_block(r)) return OK;
    char buf[1024];
    for (;;) {
        long n = ap_get_client_block(r, buf, sizeof buf);
        if (n < 0) return HTTP_BAD_REQUEST;
        if (n == 0) return OK;
        out.append(buf, static_cast<std::size_t>(n));
        if (out.size() > limit) {
            r->connection->keepalive = AP_CONN_CLOSE;
            return HTTP_REQUEST_ENTITY_TOO_LARGE;
        }
    }
}

const char* nonce_refusal(ox::status::NonceCheck c) noexcept
{
    switch (c) {
    case ox::status::NonceCheck::stale: return "the page is too old: reload it and try again";
    case ox::status::NonceCheck::malformed: return "the form's nonce is malformed: use the page's own forms";
    default: return "the form's nonce was not made by this server for this client: use the page's own forms";
    }
}

// Logs a change once: who, which member, from what to what.
void log_change(const StatusRequest& q, const ox::BalancerSpec& b, const ox::MemberSpec& m, const char* what,
                const std::string& from, const std::string& to)
{
    ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, q.r,
                  OXBLOGNO(00080) "status page: %s set %s of balancer %s member %s (%s) from %s to %s",
                  q.client.c_str(), what, b.name.c_str(), m.display_name().c_str(), m.url.c_str(), from.c_str(),
                  to.c_str());
}

std::string seconds_words(std::int64_t ms)
{
    return std::to_string((ms + 999) / 1000) + " s";
}

// Ends the error window of the member's node (every balancer that lists
// the node shares it). Not queued for the configdb: the window is this
// front end's own finding, and so is its end.
int recover(const StatusRequest& q, const BalancerConfig& bc, const ox::MemberSpec& spec, std::size_t slot,
            const std::string& who)
{
    ox::state::NodeSlot& node = q.mc.table.node_of(slot);
    std::int64_t now = ox::steady_now_ms();
    std::int64_t until = node.error_until_ms.exchange(0, std::memory_order_relaxed);
    if (until <= now) return send_status_html(q, HTTP_OK, Notice::done, who + ": not in an error window already");
    std::string from = "open (" + seconds_words(until - now) + " left)";
    log_change(q, bc.spec, spec, "error window", from, "ended");
    std::string text = who + ": error window " + from + " -> ended; requests go to it again";
    if (static_cast<ox::Health>(node.health.load(std::memory_order_relaxed)) == ox::Health::down) {
        text += ", once its probes pass (they find it down)";
    }
    return send_status_html(q, HTTP_OK, Notice::done, text);
}

// Applies a parsed, nonce-checked action to the member it names.
int apply(const StatusRequest& q, const ox::status::Action& a)
{
    ox::status::StatusModel model = status_model(q.r->server, q.mc);
    const ox::status::BalancerStatus* bs = ox::status::find_balancer(model, a.balancer);
    const BalancerConfig* bc = bs ? q.mc.find(bs->name) : nullptr;
    if (!bc) return refuse_status_request(q, HTTP_NOT_FOUND, "there is no balancer '" + a.balancer + "'");
    const ox::status::MemberStatus* ms = ox::status::find_member(*bs, a.member);
    if (!ms) {
        return refuse_status_request(q, HTTP_NOT_FOUND,
                                     "balancer " + bs->name + " has no member '" + a.member + "' (URL or route)");
    }
    // The model lists members in configuration order, as the slots are.
    auto index = static_cast<std::size_t>(ms - bs->members.data());
    const ox::MemberSpec& spec = bc->spec.members[index];
    ox::state::MemberSlot& slot = q.mc.table.slot(bc->first_slot + index);
    std::string who = bc->spec.name + " " + spec.display_name() + " (" + spec.url + ")";
    if (a.kind == ox::status::ActionKind::recover) return recover(q, *bc, spec, bc->first_slot + index, who);

    std::string from, to;
    const char* what = "admin state";
    ox::AdminState state;
    bool admin = ox::status::admin_state_of(a.kind, state);
    if (admin) {
        from = ox::to_string(static_cast<ox::AdminState>(slot.admin.load()));
        to = ox::to_string(state);
    } else {
        what = "load factor";
        from = std::to_string(slot.loadfactor.load());
        to = std::to_string(a.loadfactor);
    }
    if (from == to) return send_status_html(q, HTTP_OK, Notice::done, who + ": " + what + " is " + to + " already");
    // With OXConfigDB the change is queued first, so that a poll meanwhile
    // does not undo it (mod_oxbalance_configdb.h).
    ox::configdb::Change change;
    change.balancer = bc->spec.name;
    change.route = spec.route;
    if (admin) change.admin = state;
    else change.loadfactor = a.loadfactor;
    ConfigdbTicket ticket = configdb_enqueue(q.r, q.mc, change, q.client);
    if (admin) {
        from = ox::to_string(static_cast<ox::AdminState>(slot.admin.exchange(static_cast<std::uint8_t>(state))));
    } else {
        from = std::to_string(slot.loadfactor.exchange(static_cast<std::int32_t>(a.loadfactor)));
    }
    log_change(q, bc->spec, spec, what, from, to);
    save_admin_states(q.r->server, q.mc);
    bool failed = false;
    std::string configdb = configdb_await(q.mc, ticket, failed);
    std::string text = who + ": " + what + " " + from + " -> " + to;
    if (!configdb.empty()) text += "; " + configdb;
    return send_status_html(q, HTTP_OK, Notice::done, text);
}

}  // namespace

int post_status_action(const StatusRequest& q)
{
    request_rec* r = q.r;
    if (q.mc.status_secret.empty()) {
        return refuse_status_request(q, HTTP_SERVICE_UNAVAILABLE, "actions are off: the server has no nonce secret");
    }
    if (!is_form(apr_table_get(r->headers_in, "Content-Type"))) {
        return refuse_status_request(q, HTTP_UNSUPPORTED_MEDIA_TYPE,
                                     "an action is a form posted as application/x-www-form-urlencoded");
    }
    std::string body;
    if (int rc = read_form(r, body, ox::status::kMaxFormBytes); rc != OK) {
        return refuse_status_request(q, rc, rc == HTTP_REQUEST_ENTITY_TOO_LARGE
                                                ? "the form is longer than 4096 bytes"
                                                : "the form could not be read");
    }
    ox::status::Action a;
    if (std::string err = ox::status::parse_action_form(body, a); !err.empty()) {
        return refuse_status_request(q, HTTP_BAD_REQUEST, err);
    }
    ox::status::NonceCheck nc = ox::status::check_nonce(q.mc.status_secret, q.client, q.window, a.nonce);
    if (nc != ox::status::NonceCheck::valid) return refuse_status_request(q, HTTP_FORBIDDEN, nonce_refusal(nc));
    return apply(q, a);
}

}  // namespace oxb
