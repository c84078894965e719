// The status page's answers: one request's context (its client, its nonce
// window) and the three renderings sent with the headers they need. Used by
// the GET side (mod_oxbalance_status.cc) and the POST side
// (mod_oxbalance_status_action.cc). Everything here allocates and may throw
// std::bad_alloc: the status handler catches.
#ifndef MOD_OXBALANCE_STATUS_PAGE_H
#define MOD_OXBALANCE_STATUS_PAGE_H

#include <cstdint>
#include <string>
#include <string_view>

#include "mod_oxbalance_config.h"
#include "mod_oxbalance_httpd.h"
#include "status/render_html.h"

namespace oxb {

struct StatusRequest {
    request_rec* r;
    const ServerConfig& sc;
    const ModuleConfig& mc;
    std::string client;   // the client address as resolved (OXTrustedProxy): what its nonces are bound to
    std::uint64_t window; // the nonce window now
};

// The HTML page, with a fresh nonce for the client, and `notice` saying
// what an action did or why it was refused (a page with a notice does not
// reload itself).
int send_status_html(const StatusRequest& q, int status, ox::status::HtmlOptions::Notice notice,
                     std::string_view notice_text);
int send_status_json(const StatusRequest& q);
int send_status_metrics(const StatusRequest& q);

// Refuses what the client asked (an action, a query) with `status` and the
// page saying why; nothing changed. Logged at info, once per client and
// reason per minute and process (OXB00084).
int refuse_status_request(const StatusRequest& q, int status, std::string_view why);

// Sends `body` as the whole response (no body for HEAD).
int send_body(request_rec* r, int status, const char* content_type, std::string_view body);

}  // namespace oxb

#endif
