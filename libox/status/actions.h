// What the status page accepts: an action POSTed by one of its forms (or by
// a tool), and the nonce that ties the POST to a page this server handed
// out to the same client recently.
//
// The glue's order on POST: allow list (OXStatus addresses) -> method POST
// and Content-Type application/x-www-form-urlencoded -> read at most
// kMaxFormBytes + 1 bytes -> parse_action_form -> check_nonce -> find the
// member -> change it -> log once (client, member, old and new state) ->
// answer with render_html and a notice. A GET never changes anything.
//
// The nonce is HMAC-SHA256(secret, "oxbalance-status-nonce/1" NUL
// window(8 bytes, big-endian) client-address), as 64 lowercase hex digits.
// The secret is random bytes the glue makes once per httpd parent
// (make_secret) and keeps in httpd's retained data, so every child makes
// and accepts the same nonces and a graceful restart keeps open pages
// good; a full stop and start makes old pages' nonces invalid (the
// operator reloads the page). A nonce is good in its time window and the
// next one: it lives between one and two windows.
#ifndef LIBOX_STATUS_ACTIONS_H
#define LIBOX_STATUS_ACTIONS_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "balance/member_state.h"
#include "status/status_model.h"

namespace ox::status {

// ---- actions ------------------------------------------------------------

// recover: ends the error window (retry=) of the member's node, the
// operator's word that a node that failed requests is fixed; it changes no
// admin state, and probes still decide the node's health.
enum class ActionKind : std::uint8_t { drain, disable, enable, standby, loadfactor, recover };

// "drain", "disable", "enable", "standby", "loadfactor", "recover".
const char* to_string(ActionKind a) noexcept;
bool parse_action_kind(std::string_view text, ActionKind& out) noexcept;
// The admin state an action sets (drain -> draining, disable -> disabled,
// enable -> active, standby -> standby); false for loadfactor and recover.
bool admin_state_of(ActionKind a, AdminState& out) noexcept;

struct Action {
    std::string balancer;  // balancer name
    std::string member;    // the member's URL, or its route
    ActionKind kind = ActionKind::drain;
    unsigned loadfactor = 0;  // 1..100 (as mod_proxy) for ActionKind::loadfactor; else 0
    std::string nonce;
};

// Limits: the whole body, and each decoded field. The member and balancer
// limits are those of the shared-memory slot's names.
constexpr std::size_t kMaxFormBytes = 4096;
constexpr std::size_t kMaxBalancerChars = 63;
constexpr std::size_t kMaxMemberChars = 191;
constexpr std::size_t kMaxNonceChars = 128;

// Parses an application/x-www-form-urlencoded body with the fields nonce,
// balancer, member, action and (for action=loadfactor only) loadfactor.
// Names and values are %-decoded and '+' is a space. Refused, with a text
// saying why: a body longer than kMaxFormBytes; a malformed %-escape; an
// unknown field; a field given twice; a missing or empty field; a value
// longer than its limit or holding a control character; an unknown action;
// a loadfactor that is not a whole number from 1 to 100, or one given with
// another action. Empty `&&` segments are skipped (as browsers do).
// Returns "" and fills `out`, or the reason. Allocates; may throw
// std::bad_alloc.
std::string parse_action_form(std::string_view body, Action& out);

// The balancer of that name, or null.
const BalancerStatus* find_balancer(const StatusModel& model, std::string_view name) noexcept;
// The member named by URL or else by route (routes never contain "://", so
// the two cannot be confused), or null. An empty name matches nothing.
const MemberStatus* find_member(const BalancerStatus& balancer, std::string_view url_or_route) noexcept;

// ---- nonce ----------------------------------------------------------------

constexpr std::size_t kNonceChars = 64;      // hex of a SHA-256 HMAC
constexpr std::size_t kMinSecretBytes = 16;  // shorter secrets make no nonce
constexpr std::size_t kSecretBytes = 32;     // what make_secret is meant to be asked for
constexpr unsigned kStaleWindows = 12;       // how far back a nonce is still recognised as stale

// HMAC-SHA256 (RFC 2104 with SHA-256, OpenSSL's HMAC): the primitive the
// nonce is made with. False only if OpenSSL fails or the key is longer
// than INT_MAX.
bool hmac_sha256(std::string_view key, std::string_view data, unsigned char (&out)[32]) noexcept;

// Fills `out` with `n` cryptographically random bytes (OpenSSL RAND_bytes).
bool make_secret(unsigned char* out, std::size_t n) noexcept;

// The window a wall-clock time falls into: seconds / window_seconds
// (window_seconds 0 counts as 1; times before the epoch as 0).
std::uint64_t nonce_window(std::int64_t wall_seconds, std::uint32_t window_seconds) noexcept;

// The nonce for a client (its address as text, as the glue's allow list
// sees it) in a window. `secret` is bytes (may hold NUL). Writes
// kNonceChars hex digits and a NUL; false (and "" in `out`) when the secret
// is shorter than kMinSecretBytes, the client longer than 256 bytes, or the
// HMAC fails.
bool make_nonce(std::string_view secret, std::string_view client, std::uint64_t window,
                char (&out)[kNonceChars + 1]) noexcept;
// The same as a string ("" on failure). Allocates; may throw std::bad_alloc.
std::string make_nonce(std::string_view secret, std::string_view client, std::uint64_t window);

enum class NonceCheck {
    valid,      // made for this client in this window or the one before
    malformed,  // missing, wrong length, not lowercase hex
    stale,      // made for this client, but up to kStaleWindows windows too early: reload the page
    invalid,    // anything else: another client's, another server's (secret), forged
};
// Words for the error page and the log.
const char* to_string(NonceCheck c) noexcept;

// Compares in constant time (CRYPTO_memcmp) against the nonces of `window`
// and `window - 1`; only when neither matches, against the older ones to
// tell `stale` from `invalid`.
NonceCheck check_nonce(std::string_view secret, std::string_view client, std::uint64_t window,
                       std::string_view nonce) noexcept;

}  // namespace ox::status

#endif
