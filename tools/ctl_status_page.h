// What oxbalancectl reads from and sends to a front end's status page
// (docs/status.md): the nonce of the page's forms, the notice on the page
// that answers an action, a form as the page's forms post it, and the
// members in the page's `?json` document. No I/O here.
#ifndef OXB_TOOLS_CTL_STATUS_PAGE_H
#define OXB_TOOLS_CTL_STATUS_PAGE_H

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace oxctl::page {

// The nonce the page's forms carry (64 lowercase hex digits), or "" when
// the page has no form (no member, or actions are off on that server).
std::string find_nonce(std::string_view html);

// The answer to an action: `<p id="notice" class="notice done|refused">`.
struct Notice {
    enum class Kind { none, done, refused };
    Kind kind = Kind::none;
    std::string text;  // without its "Done: " / "Refused: ", as plain text
};
Notice find_notice(std::string_view html);

// HTML text as plain text: the character references the page writes
// (&amp; &lt; &gt; &quot; &#39;, and any &#N; / &#xH;) decoded.
std::string html_text(std::string_view html);

// application/x-www-form-urlencoded, fields in the order given; bytes other
// than A-Z a-z 0-9 - . _ * as %XX, space as '+'.
std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields);

// One member as the page's JSON shows it.
struct Member {
    std::string balancer;
    std::string url;
    std::optional<std::string> route;  // none: the member has no route
    std::string admin;                 // in force: active, draining, disabled, standby
    std::string config_admin;          // the configuration's status=
    std::string health;                // up, down
    std::uint64_t loadfactor = 0;
    std::uint64_t in_flight = 0;
    std::uint64_t sessions_recent = 0;
};

// The parts of the `?json` document (schema 1) oxbalancectl uses.
struct Snapshot {
    std::uint64_t schema = 0;
    std::string server;
    std::string version;
    std::string generated;  // ISO-8601 UTC
    std::size_t balancers = 0;
    std::vector<Member> members;  // every balancer's, in configuration order
    bool configdb = false;        // OXConfigDB is set on that front end
    std::string configdb_state;   // up, outage, starting
    std::string configdb_read_host;
    std::string configdb_write_host;
};

// Reads the page's JSON. Returns "" and fills `out`, or why it is not a
// status page document of schema 1 (fields we do not know are ignored).
std::string read_snapshot(std::string_view json_text, Snapshot& out);

}  // namespace oxctl::page

#endif
