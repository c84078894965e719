#include "mod_oxbalance_handler.h"

#include <strings.h>

#include <cstring>
#include <stdexcept>
#include <string_view>

#include "balance/balancer_runtime.h"
#include "proxy/hop_by_hop.h"
#include "mod_oxbalance_acl.h"
#include "mod_oxbalance_brigade.h"
#include "mod_oxbalance_config.h"
#include "mod_oxbalance_fault.h"
#include "mod_oxbalance_log.h"
#include "mod_oxbalance_request.h"
#include "mod_oxbalance_request_state.h"
#include "mod_oxbalance_runtime.h"

namespace oxb {

namespace {

constexpr const char* kHandlerName = "oxbalance";

using ox::proxy::Failure;

// The status a client gets when forwarding failed before a response began.
int status_for(Failure f) noexcept
{
    switch (f) {
    case Failure::connect_refused:
    case Failure::connect_timeout:
    case Failure::connect_error:
    case Failure::no_member:
    case Failure::member_busy: return HTTP_SERVICE_UNAVAILABLE;
    case Failure::read_timeout: return HTTP_GATEWAY_TIME_OUT;
    case Failure::request_too_large: return HTTP_REQUEST_HEADER_FIELDS_TOO_LARGE;
    case Failure::request_invalid: return HTTP_BAD_REQUEST;
    default: return HTTP_BAD_GATEWAY;
    }
}

// How record_routing puts its entries into a table: added when the table
// has none under their prefix yet (the first attempt; apr_table_setn
// would compare each new key with every earlier one, and these all share
// their first four letters, apr's checksum), set when it has (a retry,
// or a module that set one before us).
using TablePut = void (*)(apr_table_t*, const char*, const char*);
TablePut put_under(const apr_table_t* t, std::string_view prefix) noexcept
{
    const apr_array_header_t* a = apr_table_elts(t);
    const auto* e = reinterpret_cast<const apr_table_entry_t*>(a->elts);
    for (int i = 0; i < a->nelts; ++i) {
        if (e[i].key && strncasecmp(e[i].key, prefix.data(), prefix.size()) == 0) return apr_table_setn;
    }
    return apr_table_addn;
}

// "balancer://NAME" in `pool` (apr_pstrcat measures its arguments twice).
const char* balancer_url(apr_pool_t* pool, const std::string& name)
{
    static constexpr std::string_view kScheme = "balancer://";
    auto* s = static_cast<char*>(apr_palloc(pool, kScheme.size() + name.size() + 1));
    std::memcpy(s, kScheme.data(), kScheme.size());
    std::memcpy(s + kScheme.size(), name.c_str(), name.size() + 1);
    return s;
}

// mod_proxy_balancer's environment variables, with their names and
// meanings, so that mod_headers and CustomLog conditions written for it
// keep working (mod_rewrite runs before the handler: it never sees them).
void set_balancer_env(request_rec* r, const ox::BalancerSpec& b, const ox::MemberSpec* m, const char* route) noexcept
{
    apr_table_t* env = r->subprocess_env;
    TablePut put = put_under(env, "BALANCER_");
    put(env, "BALANCER_NAME", balancer_url(r->pool, b.name));
    put(env, "BALANCER_SESSION_STICKY", b.sticky.cookie.c_str());
    if (*route != '-') put(env, "BALANCER_SESSION_ROUTE", route);
    if (!m) return;
    put(env, "BALANCER_WORKER_NAME", m->url.c_str());
    put(env, "BALANCER_WORKER_ROUTE", m->route.c_str());
    if (*route != '-' && m->route != route) put(env, "BALANCER_ROUTE_CHANGED", "1");
}

// Where the request went and why, for LogFormat (%{oxbalance-member}n,
// %{oxbalance-route}n, %{oxbalance-reason}n), for other modules (the
// environment) and, when configured, as a response header. Recorded before
// the response begins.
void record_routing(request_rec* r, const ox::BalancerSpec& b, const ox::MemberSpec* m, ox::Reason why,
                    const ox::SessionRef& session, const ServerConfig& sc) noexcept
{
    const char* member = m ? m->display_name().c_str() : "-";
    const char* route =
        session.route.empty() ? "-" : apr_pstrmemdup(r->pool, session.route.data(), session.route.size());
    const char* reason = ox::to_string(why);
    TablePut put = put_under(r->notes, "oxbalance-");
    put(r->notes, "oxbalance-member", member);
    put(r->notes, "oxbalance-route", route);
    put(r->notes, "oxbalance-reason", reason);
    set_balancer_env(r, b, m, route);
    if (!sc.route_header.empty()) {
        // err_headers_out: kept on error responses too.
        const char* v = apr_pstrcat(r->pool, "member=", member, "; route=", route, "; reason=", reason, nullptr);
        apr_table_setn(r->err_headers_out, sc.route_header.c_str(), v);
    }
}

// Records each attempt's member before its response begins; logs each
// failed attempt once, with the member and what it will cost the client,
// and a member's entry into the error state once.
class LoggingObserver final : public ox::AttemptObserver {
public:
    LoggingObserver(request_rec* r, const ox::BalancerSpec& b, const BrigadeResponseSink& sink) noexcept
        : r_(r), b_(b), sink_(sink), sc_(*server_config(r->server))
    {
    }

    void attempt_started(const ox::MemberSpec& m, ox::Reason reason, const ox::SessionRef& session) noexcept override
    {
        record_routing(r_, b_, &m, reason, session, sc_);
    }

    void attempt_failed(const ox::MemberSpec& m, const ox::proxy::Outcome& o, bool retrying,
                        bool known_failing) noexcept override
    {
        if (o.failure == Failure::member_busy) {
            busy(m, retrying);
            return;
        }
        char errbuf[128] = "";
        if (o.sys_errno) apr_strerror(o.sys_errno, errbuf, sizeof errbuf);
        const char* what = retrying ? "trying another member" : apr_psprintf(r_->pool, "answering %d", status_for(o.failure));
        if (o.head_sent && sink_.delivered()) what = "response aborted";
        // A member tried in its error window (every member being down) was
        // reported when the window began (OXB00010, OXB00011): an error line
        // per request would flood the log for as long as the outage lasts.
        int level = known_failing ? APLOG_DEBUG : APLOG_ERR;
        const char* failure = o.failure == Failure::malformed && m.scheme == ox::Scheme::http
                                  ? "malformed HTTP response"
                                  : ox::proxy::failure_name(o.failure);
        ap_log_rerror(APLOG_MARK, level, 0, r_,
                      OXBLOGNO(00010) "member %s (%s): %s%s%s%s%s%s; %s%s", m.display_name().c_str(), m.url.c_str(),
                      failure, *o.detail ? ": " : "", o.detail,
                      *errbuf ? " (" : "", errbuf, *errbuf ? ")" : "", what,
                      known_failing ? " (member in its error window)" : "");
    }

    void member_failed(const ox::MemberSpec& m) noexcept override
    {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r_,
                      OXBLOGNO(00011) "member %s (%s) is in error state for %" APR_INT64_T_FMT "s",
                      m.display_name().c_str(), m.url.c_str(), static_cast<apr_int64_t>(m.retry.count() / 1000));
    }

    void tunnel_ended(const ox::MemberSpec& m, ox::proxy::TunnelEnd end,
                      const ox::proxy::TunnelStats& stats) noexcept override
    {
        // Closed by us because its member was disabled: the operator's
        // doing, worth a line; every other end is the tunnel's normal life.
        int level = end == ox::proxy::TunnelEnd::stopped ? APLOG_INFO : APLOG_DEBUG;
        ap_log_rerror(APLOG_MARK, level, 0, r_,
                      OXBLOGNO(00090) "tunnel (%s) to member %s (%s) ended: %s%s; %" APR_UINT64_T_FMT
                      " bytes to the member, %" APR_UINT64_T_FMT " to the client",
                      upgrade_protocol(), m.display_name().c_str(), m.url.c_str(), ox::proxy::to_string(end),
                      end == ox::proxy::TunnelEnd::stopped ? " (member disabled, grace time over)" : "",
                      static_cast<apr_uint64_t>(stats.to_backend), static_cast<apr_uint64_t>(stats.to_client));
    }

private:
    const char* upgrade_protocol() const noexcept
    {
        const char* u = apr_table_get(r_->headers_in, "Upgrade");
        return u ? u : "-";
    }

    // Load, not a fault of the member: logged at most once per 10 s and
    // member.
    void busy(const ox::MemberSpec& m, bool retrying) noexcept
    {
        ChildRuntime* rt = sc_.module->runtime;
        long quiet = rt ? rt->busy_log_due(b_, m, ox::Clock::now()) : 0;
        if (quiet < 0) return;
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r_,
                      OXBLOGNO(00049) "member %s (%s): all of its max=%" APR_SIZE_T_FMT " connections are in use%s; "
                      "%s (%ld more like this before)",
                      m.display_name().c_str(), m.url.c_str(), m.max, m.acquire.count() > 0 ? " after acquire=" : "",
                      retrying ? "trying another member" : "answering 503", quiet);
    }

    request_rec* r_;
    const ox::BalancerSpec& b_;
    const BrigadeResponseSink& sink_;
    const ServerConfig& sc_;
};

// "websocket" when the client asks to switch to WebSocket (RFC 6455: a GET
// over HTTP/1.1 with Upgrade: websocket and Connection: upgrade), else
// empty. Other upgrades (h2c) are not tunnelled: the request goes on as a
// plain one.
std::string_view websocket_upgrade(request_rec* r) noexcept
{
    if (r->proto_num < HTTP_VERSION(1, 1) || r->method_number != M_GET || r->main || r->prev) return {};
    const char* upgrade = apr_table_get(r->headers_in, "Upgrade");
    const char* connection = apr_table_get(r->headers_in, "Connection");
    if (!upgrade || !connection || !ox::proxy::connection_names(connection, "upgrade")) return {};
    if (!ox::proxy::connection_names(upgrade, "websocket")) return {};
    return "websocket";
}

// The request's state when translate_name gave it to us, or null.
const RequestState* forwarded_state(request_rec* r) noexcept
{
    const RequestState* st = request_state(r, false);
    return st && st->forwarding ? st : nullptr;
}

// The result of a forward, as the handler's return value.
int finish_request(request_rec* r, const ox::proxy::PassRule& rule, const ox::ForwardResult& res,
                   const BrigadeBodySource& body) noexcept
{
    const ox::proxy::Outcome& o = res.outcome;
    if (o.ok()) return OK;
    switch (o.failure) {
    case Failure::no_member: {
        ChildRuntime* rt = server_config(r->server)->module->runtime;
        long quiet = rt->no_member_log_due(rule.balancer_index, ox::Clock::now());
        if (quiet >= 0) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                          OXBLOGNO(00016) "balancer %s: %s; answering 503 (%ld more like this before)",
                          rule.balancer.c_str(), o.detail, quiet);
        }
        return HTTP_SERVICE_UNAVAILABLE;
    }
    case Failure::client_aborted:
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, OXBLOGNO(00014) "client went away during the response");
        return OK;
    case Failure::client_body_error: {
        int status = body.error_status();
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      OXBLOGNO(00012) "cannot read the client's request body; answering %d", status);
        return o.head_sent ? OK : status;
    }
    case Failure::request_too_large: {
        // The client's doing, and any client can send such heads: info, and
        // rate-limited.
        ChildRuntime* rt = server_config(r->server)->module->runtime;
        long quiet = rt->too_large_log_due(ox::Clock::now());
        if (quiet >= 0) {
            ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                          OXBLOGNO(00013) "request head does not fit into one AJP packet of member %s; answering 431 "
                          "(%ld more like this before); raise packetsize= (and the backend's packetSize)",
                          res.member ? res.member->display_name().c_str() : "-", quiet);
        }
        return HTTP_REQUEST_HEADER_FIELDS_TOO_LARGE;
    }
    default:
        // Logged by the observer. Once the sink was given the head, it has
        // answered the client itself (with the response, or a 502).
        return o.head_sent ? OK : status_for(o.failure);
    }
}

int forward(request_rec* r, const RequestState& st)
{
    const ox::proxy::PassRule& rule = *st.target.rule;
    ModuleConfig* mc = server_config(r->server)->module;
    if (!mc->runtime) return HTTP_INTERNAL_SERVER_ERROR;  // OXB00020/21 were logged at start
    ox::BalancerRuntime& balancer = mc->runtime->balancer(rule.balancer_index);

    BrigadeBodySource body(r);
    ox::proxy::Request req;
    if (int rc = build_request(r, st, body, req); rc != OK) return rc;
    if (balancer.spec().tunnel.on) req.upgrade = websocket_upgrade(r);
    // RFC 8441: mod_http2 (H2WebSockets on) hands a WebSocket over HTTP/2
    // (an extended CONNECT) to handlers as this HTTP/1.1 handshake. The
    // stream stays open for the tunnel, so the request looks as if it had a
    // body of unknown length; its DATA are the tunnel's bytes, read by the
    // tunnel after the 101. The handshake itself has no body.
    if (!req.upgrade.empty() && r->proto_num >= HTTP_VERSION(2, 0)) {
        req.body = ox::proxy::BodyKind::none;
        req.content_length = 0;
    }
    char* scratch = static_cast<char*>(apr_palloc(r->pool, balancer.scratch_size(req)));
    static const ox::SteadyTimeSource clock;
    BrigadeResponseSink sink(r);
    LoggingObserver observer(r, balancer.spec(), sink);
    ox::ForwardResult res = balancer.forward(req, body, sink, scratch, observer, clock);
    if (!res.member) record_routing(r, balancer.spec(), nullptr, res.reason, res.session, *server_config(r->server));
    // A tunnel owned the connection to its end: nothing more to send.
    if (res.outcome.ok() && res.outcome.status == HTTP_SWITCHING_PROTOCOLS && !req.upgrade.empty()) return DONE;
    return finish_request(r, rule, res, body);
}

}  // namespace

int translate_name(request_rec* r)
{
    if (r->proxyreq != PROXYREQ_NONE) return DECLINED;
    // The target was read when the request arrived (or, for an internal
    // redirect or subrequest, by the access check just before): the rule is
    // the one the access check saw, whatever httpd or other modules made of
    // r->uri meanwhile.
    RequestState* st = request_state(r, false);
    if (!st || !st->target_read || !st->target.forwarded()) return DECLINED;
    st->forwarding = true;
    // A reverse-proxied request, as mod_proxy marks it: httpd keeps the
    // backend's Date and Server headers.
    r->proxyreq = PROXYREQ_REVERSE;
    r->handler = kHandlerName;
    r->filename = apr_pstrcat(r->pool, "oxbalance:", r->uri, nullptr);
    return OK;
}

int map_to_storage(request_rec* r)
{
    // No file-system walk for forwarded requests: nothing on disk is served.
    return forwarded_state(r) ? OK : DECLINED;
}

int handler(request_rec* r)
{
    if (!r->handler || std::strcmp(r->handler, kHandlerName) != 0) return DECLINED;
    const RequestState* st = forwarded_state(r);
    if (!st) return DECLINED;
    try {
        if (injected_fault("request")) throw std::runtime_error("injected fault (OXB_INJECT_FAULT=request)");
        return forward(r, *st);
    } catch (const std::exception& e) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, OXBLOGNO(00015) "internal error: %s", e.what());
    } catch (...) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, OXBLOGNO(00015) "internal error");
    }
    return HTTP_INTERNAL_SERVER_ERROR;
}

}  // namespace oxb
