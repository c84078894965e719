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

// The client address the ACL decides on (trusted proxies' headers counted),
// resolved once per request.
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

// 403 and 400 answers are logged once per client and rule (or reason) per
// minute and process, not once per request.
bool log_due(request_rec* r, std::string_view client, std::string_view what)
{
    ChildRuntime* rt = server_config(r->server)->module->runtime;
    return !rt || rt->acl_log_due(client, what, ox::Clock::now());
}

int decide(request_rec* r, std::string_view path, const char* what)
{
    ServerConfig* sc = server_config(r->server);
    if (sc->protect.empty()) return DECLINED;
    const ox::acl::Client& client = client_of(r, *sc);
    std::size_t cap = ox::acl::normalized_capacity(path);
    char* buf = static_cast<char*>(apr_palloc(r->pool, cap));
    std::size_t len = 0;
    ox::acl::Decision d = sc->protect.check_raw(path, client, buf, cap, len);
    switch (d.verdict) {
    case ox::acl::Verdict::denied: {
        const char* who = client_text(r, client);
        if (log_due(r, who, d.rule->prefix)) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                          OXBLOGNO(00030) "denied %s access to %.*s (OXProtect %s; %s); answering 403", who,
                          static_cast<int>(len), buf, d.rule->prefix.c_str(), what);
        }
        ap_custom_response(r, HTTP_FORBIDDEN, "\"Forbidden\n");
        return HTTP_FORBIDDEN;
    }
    case ox::acl::Verdict::bad_path: {
        const char* who = client_text(r, client);
        const char* why = ox::acl::path_status_text(d.path_status);
        if (log_due(r, who, why)) {
            ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                          OXBLOGNO(00031) "refused an ambiguous path from %s: %s (%s); answering 400", who, why, what);
        }
        return HTTP_BAD_REQUEST;
    }
    default:
        return DECLINED;
    }
}

}  // namespace

int acl_post_read_request(request_rec* r)
{
    // "OPTIONS *" and absolute-form requests without a path have no path
    // an OXProtect prefix could name.
    std::string_view path = raw_path(r);
    if (path.empty() || path.front() != '/') return DECLINED;
    try {
        return decide(r, path, "request path");
    } catch (...) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, OXBLOGNO(00015) "internal error in the access check");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
}

int acl_translate_name(request_rec* r)
{
    // The initial request was checked when it was read; internal redirects
    // and subrequests name a path of their own.
    if (!r->main && !r->prev) return DECLINED;
    return acl_post_read_request(r);
}

int acl_check_forwarded(request_rec* r, std::string_view backend_path)
{
    try {
        int rc = decide(r, backend_path, "forwarded path");
        return rc == DECLINED ? OK : rc;
    } catch (...) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, OXBLOGNO(00015) "internal error in the access check");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
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
