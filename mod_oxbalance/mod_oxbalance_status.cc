#include "mod_oxbalance_status.h"

#include <chrono>
#include <cstring>

#include "acl/ip_address.h"
#include "acl/path_prefix.h"
#include "balance/member_spec.h"
#include "core/text.h"
#include "mod_oxbalance_acl.h"
#include "mod_oxbalance_config.h"
#include "mod_oxbalance_log.h"
#include "mod_oxbalance_request_state.h"
#include "mod_oxbalance_runtime.h"
#include "mod_oxbalance_status_action.h"
#include "mod_oxbalance_status_page.h"
#include "status/actions.h"

namespace oxb {

namespace {

constexpr const char* kHandlerName = "oxbalance-status";
constexpr const char* kSecretKey = "mod_oxbalance-status-secret";
constexpr std::string_view kWindowParam = "noncewindow=";

// Lives in the parent for as long as httpd runs: children inherit it, and
// a restart keeps it, so a page stays good across a graceful restart.
struct RetainedSecret {
    int made;
    unsigned char bytes[ox::status::kSecretBytes];
};

// Exactly the path, or the path with a trailing '/'; nothing below it.
bool is_status_path(std::string_view canonical, std::string_view path) noexcept
{
    if (canonical == path) return true;
    return canonical.size() == path.size() + 1 && canonical.back() == '/' && canonical.substr(0, path.size()) == path;
}

// 403, as OXProtect answers, logged once per client per minute and process.
int deny(request_rec* r, const ServerConfig& sc, const ox::acl::Client& client)
{
    const char* who = client_text(r, client);
    ChildRuntime* rt = sc.module->runtime;
    std::string what = "OXStatus " + sc.status_path;
    if (!rt || rt->acl_log_due(who, what, ox::Clock::now())) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      OXBLOGNO(00083) "denied %s the status page %s (OXStatus allows %s); answering 403", who,
                      sc.status_path.c_str(), sc.status_allow.to_string().c_str());
    }
    ap_custom_response(r, HTTP_FORBIDDEN, "Forbidden\n");  // httpd marks it as text itself
    return HTTP_FORBIDDEN;
}

// GET and HEAD: the page, ?json or ?metrics. Nothing else: a GET never
// changes anything, however it is spelled.
int get(const StatusRequest& q, const RequestState& st)
{
    std::string_view query = st.target.has_query ? st.target.query : std::string_view();
    if (query.empty()) return send_status_html(q, HTTP_OK, ox::status::HtmlOptions::Notice::none, "");
    if (query == "json") return send_status_json(q);
    if (query == "metrics") return send_status_metrics(q);
    return refuse_status_request(q, HTTP_BAD_REQUEST,
                                 "unknown query: GET " + q.sc.status_path + ", " + q.sc.status_path + "?json or " +
                                     q.sc.status_path + "?metrics; actions are POSTed by the page's forms");
}

int not_allowed(request_rec* r)
{
    // Written here: httpd's own 405 would list what core allows (TRACE).
    apr_table_setn(r->headers_out, "Allow", "GET, HEAD, POST");
    return send_body(r, HTTP_METHOD_NOT_ALLOWED, "text/plain; charset=utf-8",
                     "Method Not Allowed: the status page takes GET, HEAD and POST\n");
}

int serve(request_rec* r, const RequestState& st)
{
    const ServerConfig& sc = *server_config(r->server);
    const ox::acl::Client& client = client_of(r, sc);
    if (!sc.status_allow.matches(client)) return deny(r, sc, client);
    std::int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(
                             std::chrono::system_clock::now().time_since_epoch()).count();
    auto window_s = static_cast<std::uint32_t>(sc.status_window.count() / 1000);
    StatusRequest q{r, sc, *sc.module, ox::acl::to_string(client.address),
                    ox::status::nonce_window(now_s, window_s)};
    switch (r->method_number) {
    case M_GET: return get(q, st);  // HEAD too
    case M_POST: return post_status_action(q);
    default: return not_allowed(r);
    }
}

}  // namespace

const char* cmd_status(cmd_parms* cmd, void*, const char* args)
{
    try {
        if (const char* err = ap_check_cmd_context(cmd, NOT_IN_DIR_LOC_FILE)) return err;
        ServerConfig* sc = server_config(cmd->server);
        if (sc->status_set) {
            return apr_psprintf(cmd->pool, "OXStatus is already set for this server at %s:%d", sc->status_place.file,
                                sc->status_place.line);
        }
        const char* path = ap_getword_conf(cmd->temp_pool, &args);
        if (!*path) return "OXStatus needs a path: OXStatus /oxbalance-status [address|cidr|local ...]";
        std::vector<std::string_view> words = conf_words(cmd->temp_pool, args);
        if (cmd->directive) sc->status_place = {cmd->directive->filename, cmd->directive->line_num};
        if (ox::equals_lowercase(path, "off")) {
            if (!words.empty()) return "OXStatus off takes no other argument";
            sc->status_path.clear();
            sc->status_set = true;
            return nullptr;
        }
        std::string canonical;
        if (std::string err = ox::acl::canonical_prefix(path, canonical); !err.empty()) {
            return apr_psprintf(cmd->pool, "OXStatus %s: %s", path, err.c_str());
        }
        ox::acl::CidrSet allow;
        ox::Millis window{300000};
        bool listed = false;
        for (std::string_view w : words) {
            if (w.substr(0, kWindowParam.size()) == kWindowParam) {
                std::string err = ox::parse_duration(w.substr(kWindowParam.size()), window);
                if (err.empty() && (window.count() < 1000 || window.count() % 1000 != 0 || window.count() > 86400000)) {
                    err = "a whole number of seconds from 1s to 1 day";
                }
                if (!err.empty()) return apr_psprintf(cmd->pool, "OXStatus %s: noncewindow=: %s", path, err.c_str());
                continue;
            }
            if (std::string err = allow.add(w); !err.empty()) {
                return apr_psprintf(cmd->pool, "OXStatus %s: %s", path, err.c_str());
            }
            listed = true;
        }
        if (!listed) allow.add_local();
        sc->status_path = canonical;
        sc->status_allow = allow;
        sc->status_window = window;
        sc->status_set = true;
        return nullptr;
    } catch (...) {
        return "OXStatus: internal error";
    }
}

int status_post_config(apr_pool_t*, server_rec* s)
{
    bool wanted = false;
    for (server_rec* vs = s; vs; vs = vs->next) wanted = wanted || !server_config(vs)->status_path.empty();
    if (!wanted) return OK;
    auto* secret = static_cast<RetainedSecret*>(ap_retained_data_get(kSecretKey));
    if (!secret) {
        secret = static_cast<RetainedSecret*>(ap_retained_data_create(kSecretKey, sizeof(RetainedSecret)));
        secret->made = 0;
    }
    if (!secret->made) secret->made = ox::status::make_secret(secret->bytes, sizeof secret->bytes) ? 1 : 0;
    if (!secret->made) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s,
                     OXBLOGNO(00085) "cannot make the status page's secret (no random bytes): its actions are off");
        return OK;
    }
    server_config(s)->module->status_secret =
        std::string_view(reinterpret_cast<const char*>(secret->bytes), sizeof secret->bytes);
    return OK;
}

int status_translate_name(request_rec* r)
{
    // Only the request a client sent: no internal redirect or subrequest
    // makes httpd serve the page (or act) on a client's behalf.
    if (r->main || r->prev) return DECLINED;
    const ServerConfig* sc = server_config(r->server);
    if (sc->status_path.empty()) return DECLINED;
    RequestState* st = request_state(r, false);
    if (!st || !st->target_read || !st->target.ok() || !is_status_path(st->target.canonical, sc->status_path)) {
        return DECLINED;
    }
    st->status_page = true;
    r->handler = kHandlerName;
    r->filename = apr_pstrcat(r->pool, "oxbalance-status:", sc->status_path.c_str(), nullptr);
    return OK;
}

int status_map_to_storage(request_rec* r)
{
    // Nothing on disk is served at the status path.
    const RequestState* st = request_state(r, false);
    return st && st->status_page ? OK : DECLINED;
}

int status_handler(request_rec* r)
{
    if (!r->handler || std::strcmp(r->handler, kHandlerName) != 0) return DECLINED;
    const RequestState* st = request_state(r, false);
    if (!st || !st->status_page) return DECLINED;
    try {
        return serve(r, *st);
    } catch (const std::exception& e) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, OXBLOGNO(00015) "internal error in the status page: %s", e.what());
    } catch (...) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, OXBLOGNO(00015) "internal error in the status page");
    }
    return HTTP_INTERNAL_SERVER_ERROR;
}

}  // namespace oxb
