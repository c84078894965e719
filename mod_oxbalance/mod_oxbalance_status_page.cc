#include "mod_oxbalance_status_page.h"

#include "mod_oxbalance_log.h"
#include "mod_oxbalance_runtime.h"
#include "mod_oxbalance_status_model.h"
#include "status/actions.h"
#include "status/render_json.h"
#include "status/render_metrics.h"

namespace oxb {

namespace {

constexpr unsigned kRefreshSeconds = 10;

// Every rendering: none is cached (it is a snapshot, and the HTML carries
// a nonce), none is sniffed into another type, and no link on it tells
// another site where the page is.
void common_headers(request_rec* r) noexcept
{
    apr_table_setn(r->headers_out, "X-Content-Type-Options", "nosniff");
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    apr_table_setn(r->headers_out, "Referrer-Policy", "no-referrer");
}

}  // namespace

int send_body(request_rec* r, int status, const char* content_type, std::string_view body)
{
    r->status = status;
    ap_set_content_type(r, content_type);
    ap_set_content_length(r, static_cast<apr_off_t>(body.size()));
    if (!r->header_only && !body.empty()) ap_rwrite(body.data(), static_cast<int>(body.size()), r);
    return OK;
}

int send_status_html(const StatusRequest& q, int status, ox::status::HtmlOptions::Notice notice,
                     std::string_view notice_text)
{
    ox::status::StatusModel model = status_model(q.r->server, q.mc);
    // No secret (OXB00085): a page without forms.
    std::string nonce = q.mc.status_secret.empty() ? std::string()
                                                   : ox::status::make_nonce(q.mc.status_secret, q.client, q.window);
    ox::status::HtmlOptions o;
    o.path = q.sc.status_path;
    o.nonce = nonce;
    o.refresh_seconds = notice == ox::status::HtmlOptions::Notice::none ? kRefreshSeconds : 0;
    o.notice = notice;
    o.notice_text = notice_text;
    std::string body = ox::status::render_html(model, o);
    common_headers(q.r);
    std::string_view csp = ox::status::html_content_security_policy();
    apr_table_setn(q.r->headers_out, "Content-Security-Policy", apr_pstrmemdup(q.r->pool, csp.data(), csp.size()));
    return send_body(q.r, status, "text/html; charset=utf-8", body);
}

int send_status_json(const StatusRequest& q)
{
    std::string body = ox::status::render_json(status_model(q.r->server, q.mc));
    common_headers(q.r);
    return send_body(q.r, HTTP_OK, "application/json", body);
}

int send_status_metrics(const StatusRequest& q)
{
    std::string body = ox::status::render_metrics(status_model(q.r->server, q.mc));
    common_headers(q.r);
    return send_body(q.r, HTTP_OK, ox::status::kMetricsContentType, body);
}

int refuse_status_request(const StatusRequest& q, int status, std::string_view why)
{
    ChildRuntime* rt = q.mc.runtime;
    if (!rt || rt->acl_log_due(q.client, why, ox::Clock::now())) {
        std::string text(why);
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, q.r,
                      OXBLOGNO(00084) "status page: refused %s's %s request: %s; answering %d, nothing changed",
                      q.client.c_str(), q.r->method, ap_escape_logitem(q.r->pool, text.c_str()), status);
    }
    return send_status_html(q, status, ox::status::HtmlOptions::Notice::refused, why);
}

}  // namespace oxb
