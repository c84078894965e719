// The status page as HTML, for an operator's browser: one table per
// balancer, a row per member, and per member one small POST form per action.
//
// The page needs no JavaScript and loads nothing: no script, no external
// resource, no style attribute; its only style is one <style> element whose
// hash is part of html_content_security_policy(). The glue sends, with it:
//
//   Content-Type: text/html; charset=utf-8
//   Content-Security-Policy: <html_content_security_policy()>
//   X-Content-Type-Options: nosniff
//   Cache-Control: no-store
//   Referrer-Policy: no-referrer
//
// Everything from the configuration or a backend (names, URLs, routes,
// probe results) is escaped (status/escape.h).
//
// Stable hooks for tests and scrapers:
//   <section class="balancer" id="balancer-NAME" data-balancer="NAME">
//   <table class="members" data-balancer="NAME">
//   <tr class="member" data-balancer="NAME" data-member="URL" data-route="ROUTE"
//       data-admin="STATE" data-health="up|down">
//   cells <td class="CLASS">: url route admin health probe loadfactor in-flight
//       requests failures new-sessions sticky failovers bytes-sent
//       bytes-received last-session sessions-recent actions; counter and
//       byte cells carry the exact number in data-value
//   <form class="action" data-action="drain|disable|enable|standby|loadfactor"
//       method="post" action="PATH"> with hidden nonce, balancer, member, action
//   <p id="notice" class="notice done|refused"> on a page that answers an action
#ifndef LIBOX_STATUS_RENDER_HTML_H
#define LIBOX_STATUS_RENDER_HTML_H

#include <string>
#include <string_view>

#include "status/status_model.h"

namespace ox::status {

struct HtmlOptions {
    // The OXStatus path: the forms POST to it, the JSON and metrics links
    // are PATH?json and PATH?metrics.
    std::string_view path;
    // The nonce every form carries (actions.h make_nonce). Empty: the page
    // has no forms.
    std::string_view nonce;
    // <meta http-equiv="refresh"> every this many seconds; 0: none.
    unsigned refresh_seconds = 10;

    // The page that answers a POST shows what happened and never refreshes
    // itself (a refresh after a POST would at best be confusing); it links
    // back to the self-refreshing page.
    enum class Notice { none, done, refused };
    Notice notice = Notice::none;
    std::string_view notice_text;  // "oxcluster ajp://...: active -> draining"; escaped
};

// The whole page. Allocates; may throw std::bad_alloc.
std::string render_html(const StatusModel& model, const HtmlOptions& options);

// The Content-Security-Policy value for the page:
//   default-src 'none'; style-src 'sha256-...'; form-action 'self';
//   frame-ancestors 'none'; base-uri 'none'
// form-action does not fall back to default-src, hence 'self';
// frame-ancestors 'none' keeps the action buttons out of other sites'
// frames (clickjacking). Computed once; never fails.
std::string_view html_content_security_policy() noexcept;

}  // namespace ox::status

#endif
