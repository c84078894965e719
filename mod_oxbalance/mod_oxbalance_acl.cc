#include "mod_oxbalance_acl.h"

#include <string>
#include <vector>

#include "acl/client_address.h"
#include "acl/protect_rules.h"
#include "mod_oxbalance_config.h"
#include "mod_oxbalance_log.h"
#include "mod_oxbalance_request.h"
#include "mod_oxbalance_request_state.h"
#include "mod_oxbalance_runtime.h"
#include "proxy/request_target.h"

namespace oxb {

namespace {

// The connection's client: the TCP peer, and whether it is this host.
ox::acl::Client peer_of(const conn_rec* c) noexcept
{
    ox::acl::IpAddress peer;
    if (ox::acl::parse_ip(c->client_ip ? c->client_ip : "", peer) != ox::acl::IpParse::ok) return ox::acl::Client::unknown();
    ox::acl::IpAddress local;
    bool same = ox::acl::parse_ip(c->local_ip ? c->local_ip : "", local) == ox::acl::IpParse::ok && local == peer;
    return ox::acl::Client::peer(peer, same);
}

// 403 and 400 answers are logged once per client and rule (or reason) per
// minute and process, not once per request.
bool log_due(request_rec* r, std::string_view client, std::string_view what)
{
    ChildRuntime* rt = server_config(r->server)->module->runtime;
    return !rt || rt->acl_log_due(client, what, ox::Clock::now());
}

int deny(request_rec* r, const ox::acl::Client& client, const ox::acl::ProtectRule& rule, std::string_view path,
         const char* what)
{
    const char* who = client_text(r, client);
    if (log_due(r, who, rule.prefix)) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      OXBLOGNO(00030) "denied %s access to %.*s (OXProtect %s; %s); answering 403", who,
                      static_cast<int>(path.size()), path.data(), rule.prefix.c_str(), what);
    }
    ap_custom_response(r, HTTP_FORBIDDEN, "Forbidden\n");  // httpd marks it as text itself
    return HTTP_FORBIDDEN;
}

// 400 for a target that is not forwarded as it was checked, 403 for a
// protected path, else DECLINED. Every resolution a backend may act on is
// checked (ox::proxy::checked_paths): the client's path and, under a backend
// prefix, the path the backend resolves from the bytes forwarded; when the
// rule's balancer has http:// members, both as Grizzly resolves them too.
int decide(request_rec* r, const RequestState& st)
{
    ServerConfig* sc = server_config(r->server);
    const ox::proxy::RequestTarget& t = st.target;
    if (!t.ok()) {
        const ox::acl::Client& client = client_of(r, *sc);
        const char* who = client_text(r, client);
        const char* why = ox::proxy::target_status_text(t.status, t.path_status);
        if (log_due(r, who, why)) {
            bool http = t.status == ox::proxy::TargetStatus::bad_path_http;
            const char* model = http ? " (as an http:// member resolves it)" : "";
            ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                          OXBLOGNO(00031) "refused the request target of %s: %s%s; answering 400", who, why, model);
        }
        return HTTP_BAD_REQUEST;
    }
    if (sc->protect.empty()) return DECLINED;
    ox::proxy::CheckedPath paths[4];
    std::size_t n = ox::proxy::checked_paths(t, paths);
    if (n == 0) return DECLINED;  // "OPTIONS *", CONNECT
    const ox::acl::Client& client = client_of(r, *sc);
    for (std::size_t i = 0; i < n; ++i) {
        ox::acl::Decision d = sc->protect.check(paths[i].path, client);
        if (d.verdict == ox::acl::Verdict::denied) return deny(r, client, *d.rule, paths[i].path, paths[i].what);
    }
    return DECLINED;
}

int guarded_decide(request_rec* r, RequestState& st) noexcept
{
    try {
        return decide(r, st);
    } catch (...) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, OXBLOGNO(00015) "internal error in the access check");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
}

}  // namespace

const ox::acl::Client& client_of(request_rec* r, const ServerConfig& sc)
{
    RequestState* st = request_state(r, true);
    if (!st->client_resolved) {
        const char* xff = apr_table_getm(r->pool, r->headers_in, "X-Forwarded-For");
        const char* fwd = apr_table_getm(r->pool, r->headers_in, "Forwarded");
        st->client = ox::acl::resolve_client(peer_of(r->connection), sc.trusted, xff ? xff : "", fwd ? fwd : "").client;
        st->client_resolved = true;
    }
    return st->client;
}

const char* client_text(request_rec* r, const ox::acl::Client& c)
{
    if (!c.known) return "an unknown client";
    return apr_pstrdup(r->pool, ox::acl::to_string(c.address).c_str());
}

int acl_post_read_request(request_rec* r)
{
    RequestState* st = read_target(r);
    if (!st) return DECLINED;
    note_hop_by_hop(r, *st);
    return guarded_decide(r, *st);
}

int acl_translate_name(request_rec* r)
{
    // The initial request was read and checked when it arrived; internal
    // redirects and subrequests name a target of their own.
    if (!r->main && !r->prev) return DECLINED;
    RequestState* st = read_target(r);
    return st ? guarded_decide(r, *st) : DECLINED;
}

// OXProtect /prefix address|cidr|local ...
const char* cmd_protect(cmd_parms* cmd, void*, const char* args)
{
    try {
        if (const char* err = ap_check_cmd_context(cmd, NOT_IN_DIR_LOC_FILE)) return err;
        const char* prefix = ap_getword_conf(cmd->temp_pool, &args);
        if (!*prefix) return "OXProtect needs a path prefix and at least one address: OXProtect /webservices 10.0.0.0/8";
        std::vector<std::string_view> words = conf_words(cmd->temp_pool, args);
        if (words.empty()) return apr_psprintf(cmd->pool, "OXProtect %s: which addresses may reach it?", prefix);
        std::string err = server_config(cmd->server)->protect_lines.add(prefix, words);
        if (!err.empty()) return apr_psprintf(cmd->pool, "OXProtect %s: %s", prefix, err.c_str());
        return nullptr;
    } catch (...) {
        return "OXProtect: internal error";
    }
}

// OXTrustedProxy cidr|address|local ...
const char* cmd_trusted_proxy(cmd_parms* cmd, void*, const char* word)
{
    try {
        if (const char* err = ap_check_cmd_context(cmd, NOT_IN_DIR_LOC_FILE)) return err;
        ServerConfig* sc = server_config(cmd->server);
        std::string err = sc->trusted.add(word);
        if (!err.empty()) return apr_psprintf(cmd->pool, "OXTrustedProxy %s: %s", word, err.c_str());
        sc->trusted_set = true;
        return nullptr;
    } catch (...) {
        return "OXTrustedProxy: internal error";
    }
}

}  // namespace oxb
