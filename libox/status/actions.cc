#include "status/actions.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <climits>
#include <cstring>

#include "core/text.h"

namespace ox::status {

// ---- actions ------------------------------------------------------------

const char* to_string(ActionKind a) noexcept
{
    switch (a) {
    case ActionKind::drain: return "drain";
    case ActionKind::disable: return "disable";
    case ActionKind::enable: return "enable";
    case ActionKind::standby: return "standby";
    case ActionKind::loadfactor: return "loadfactor";
    case ActionKind::recover: return "recover";
    }
    return "unknown";
}

bool parse_action_kind(std::string_view text, ActionKind& out) noexcept
{
    for (ActionKind a : {ActionKind::drain, ActionKind::disable, ActionKind::enable, ActionKind::standby,
                         ActionKind::loadfactor, ActionKind::recover}) {
        if (text == to_string(a)) {
            out = a;
            return true;
        }
    }
    return false;
}

bool admin_state_of(ActionKind a, AdminState& out) noexcept
{
    switch (a) {
    case ActionKind::drain: out = AdminState::draining; return true;
    case ActionKind::disable: out = AdminState::disabled; return true;
    case ActionKind::enable: out = AdminState::active; return true;
    case ActionKind::standby: out = AdminState::standby; return true;
    case ActionKind::loadfactor:
    case ActionKind::recover: return false;
    }
    return false;
}

namespace {

// %-decodes one name or value ('+' is a space). False on a malformed escape.
bool form_decode(std::string_view in, std::string& out) { return percent_decode(in, out, true); }

bool has_control(std::string_view s) noexcept
{
    for (char c : s) {
        auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7F) return true;
    }
    return false;
}

enum Field { f_nonce, f_balancer, f_member, f_action, f_loadfactor, f_count };
constexpr const char* kFieldNames[f_count] = {"nonce", "balancer", "member", "action", "loadfactor"};
constexpr std::size_t kFieldLimits[f_count] = {kMaxNonceChars, kMaxBalancerChars, kMaxMemberChars, 16, 3};

std::string quoted(std::string_view s)
{
    // For error texts: at most 40 bytes of what the client sent, controls
    // shown as '?' (the text reaches the log and the page, escaped there).
    std::string q = "'";
    for (std::size_t i = 0; i < s.size() && i < 40; ++i) {
        auto u = static_cast<unsigned char>(s[i]);
        q += u < 0x20 || u == 0x7F ? '?' : s[i];
    }
    if (s.size() > 40) q += "...";
    q += "'";
    return q;
}

}  // namespace

std::string parse_action_form(std::string_view body, Action& out)
{
    if (body.size() > kMaxFormBytes) {
        return "the form is longer than " + std::to_string(kMaxFormBytes) + " bytes";
    }
    std::string values[f_count];
    bool seen[f_count] = {};
    std::string name;
    std::string value;
    std::size_t pos = 0;
    while (pos <= body.size()) {
        std::size_t amp = body.find('&', pos);
        if (amp == std::string_view::npos) amp = body.size();
        std::string_view pair = body.substr(pos, amp - pos);
        pos = amp + 1;
        if (pair.empty()) continue;
        std::size_t eq = pair.find('=');
        std::string_view raw_name = pair.substr(0, eq);
        std::string_view raw_value = eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
        if (!form_decode(raw_name, name)) return "malformed %-escape in a field name: " + quoted(raw_name);
        int f = 0;
        while (f < f_count && name != kFieldNames[f]) ++f;
        if (f == f_count) {
            return "unknown field " + quoted(name) + " (known: nonce, balancer, member, action, loadfactor)";
        }
        if (seen[f]) return std::string("the field '") + kFieldNames[f] + "' is given more than once";
        seen[f] = true;
        if (!form_decode(raw_value, value)) {
            return std::string("malformed %-escape in the field '") + kFieldNames[f] + "'";
        }
        if (value.size() > kFieldLimits[f]) {
            return std::string("the field '") + kFieldNames[f] + "' is longer than " +
                   std::to_string(kFieldLimits[f]) + " bytes";
        }
        if (has_control(value)) {
            return std::string("the field '") + kFieldNames[f] + "' holds a control character";
        }
        values[f] = std::move(value);
        value = std::string();
    }
    for (int f : {f_nonce, f_balancer, f_member, f_action}) {
        if (!seen[f]) return std::string("the field '") + kFieldNames[f] + "' is missing";
        if (values[f].empty()) return std::string("the field '") + kFieldNames[f] + "' is empty";
    }
    ActionKind kind;
    if (!parse_action_kind(values[f_action], kind)) {
        return "unknown action " + quoted(values[f_action]) +
               " (known: drain, disable, enable, standby, loadfactor, recover)";
    }
    unsigned lf = 0;
    if (kind == ActionKind::loadfactor) {
        const std::string& t = values[f_loadfactor];
        if (!seen[f_loadfactor] || t.empty()) return "action loadfactor needs the field 'loadfactor' (1 to 100)";
        for (char c : t) {
            if (c < '0' || c > '9') return "loadfactor " + quoted(t) + " is not a whole number from 1 to 100";
            lf = lf * 10 + static_cast<unsigned>(c - '0');
        }
        if (lf < 1 || lf > 100) return "loadfactor " + quoted(t) + " is not a whole number from 1 to 100";
    } else if (seen[f_loadfactor]) {
        return std::string("the field 'loadfactor' belongs to action loadfactor, not to ") + to_string(kind);
    }
    out.balancer = std::move(values[f_balancer]);
    out.member = std::move(values[f_member]);
    out.nonce = std::move(values[f_nonce]);
    out.kind = kind;
    out.loadfactor = lf;
    return {};
}

const BalancerStatus* find_balancer(const StatusModel& model, std::string_view name) noexcept
{
    for (const BalancerStatus& b : model.balancers) {
        if (b.name == name) return &b;
    }
    return nullptr;
}

const MemberStatus* find_member(const BalancerStatus& balancer, std::string_view url_or_route) noexcept
{
    if (url_or_route.empty()) return nullptr;
    for (const MemberStatus& m : balancer.members) {
        if (m.url == url_or_route) return &m;
    }
    for (const MemberStatus& m : balancer.members) {
        if (m.route == url_or_route) return &m;
    }
    return nullptr;
}

// ---- nonce ----------------------------------------------------------------

namespace {

constexpr char kNonceLabel[] = "oxbalance-status-nonce/1";  // and its NUL

constexpr std::size_t kMaxClientChars = 256;  // far above any textual IP address

// The 32-byte HMAC of (label, window, client).
bool nonce_mac(std::string_view secret, std::string_view client, std::uint64_t window,
               unsigned char (&mac)[32]) noexcept
{
    if (secret.size() < kMinSecretBytes || client.size() > kMaxClientChars) return false;
    unsigned char msg[sizeof kNonceLabel + 8 + kMaxClientChars];
    std::size_t n = 0;
    std::memcpy(msg, kNonceLabel, sizeof kNonceLabel);
    n += sizeof kNonceLabel;
    for (int i = 7; i >= 0; --i) msg[n++] = static_cast<unsigned char>(window >> (8 * i));
    std::memcpy(msg + n, client.data(), client.size());
    n += client.size();
    return hmac_sha256(secret, std::string_view(reinterpret_cast<const char*>(msg), n), mac);
}

void to_hex(const unsigned char (&mac)[32], char (&out)[kNonceChars + 1]) noexcept
{
    static const char digits[] = "0123456789abcdef";
    for (std::size_t i = 0; i < 32; ++i) {
        out[2 * i] = digits[mac[i] >> 4];
        out[2 * i + 1] = digits[mac[i] & 15];
    }
    out[kNonceChars] = '\0';
}

bool well_formed(std::string_view nonce) noexcept
{
    if (nonce.size() != kNonceChars) return false;
    for (char c : nonce) {
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    }
    return true;
}

// True when `nonce` is the one of `window`; constant time in the nonce.
bool matches(std::string_view secret, std::string_view client, std::uint64_t window, std::string_view nonce) noexcept
{
    char expected[kNonceChars + 1];
    if (!make_nonce(secret, client, window, expected)) return false;
    return CRYPTO_memcmp(expected, nonce.data(), kNonceChars) == 0;
}

}  // namespace

bool hmac_sha256(std::string_view key, std::string_view data, unsigned char (&out)[32]) noexcept
{
    if (key.size() > INT_MAX) return false;
    unsigned int len = 0;
    // A zero-length key still needs a valid pointer.
    const void* k = key.empty() ? static_cast<const void*>("") : key.data();
    unsigned char* r = HMAC(EVP_sha256(), k, static_cast<int>(key.size()),
                            reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
    return r != nullptr && len == 32;
}

bool make_secret(unsigned char* out, std::size_t n) noexcept
{
    if (n > INT_MAX) return false;
    return RAND_bytes(out, static_cast<int>(n)) == 1;
}

std::uint64_t nonce_window(std::int64_t wall_seconds, std::uint32_t window_seconds) noexcept
{
    if (wall_seconds < 0) return 0;
    return static_cast<std::uint64_t>(wall_seconds) / (window_seconds ? window_seconds : 1);
}

bool make_nonce(std::string_view secret, std::string_view client, std::uint64_t window,
                char (&out)[kNonceChars + 1]) noexcept
{
    unsigned char mac[32];
    if (!nonce_mac(secret, client, window, mac)) {
        out[0] = '\0';
        return false;
    }
    to_hex(mac, out);
    OPENSSL_cleanse(mac, sizeof mac);
    return true;
}

std::string make_nonce(std::string_view secret, std::string_view client, std::uint64_t window)
{
    char buf[kNonceChars + 1];
    make_nonce(secret, client, window, buf);
    return buf;
}

const char* to_string(NonceCheck c) noexcept
{
    switch (c) {
    case NonceCheck::valid: return "valid";
    case NonceCheck::malformed: return "the form carries no valid nonce";
    case NonceCheck::stale: return "the page is too old: reload it and try again";
    case NonceCheck::invalid: return "the nonce was not made by this server for this client";
    }
    return "unknown";
}

NonceCheck check_nonce(std::string_view secret, std::string_view client, std::uint64_t window,
                       std::string_view nonce) noexcept
{
    if (!well_formed(nonce)) return NonceCheck::malformed;
    // Both current windows are always computed, whichever matches.
    bool now = matches(secret, client, window, nonce);
    bool before = window > 0 && matches(secret, client, window - 1, nonce);
    if (now || before) return NonceCheck::valid;
    for (unsigned k = 2; k <= kStaleWindows + 1 && k <= window; ++k) {
        if (matches(secret, client, window - k, nonce)) return NonceCheck::stale;
    }
    return NonceCheck::invalid;
}

}  // namespace ox::status
