// The request target, read once when the request arrives: its form (RFC 9112
// 3.2), the client's path and query, the path as the backend resolves it,
// the OXPass rule it falls under and the exact bytes forwarded as its path.
// The access check, the rule match and the forwarder all read this one
// object, so what is checked is what is forwarded.
//
// Refused (400, never forwarded): a target with a fragment, a scheme without
// an authority ("http:/x"), a scheme other than http/https, credentials in
// the authority, an authority-form outside CONNECT, "*" outside OPTIONS, a
// path the normaliser refuses, and a forwarded path the backend would not
// resolve below the rule's backend prefix. Not ours (no rule, nothing
// checked): "OPTIONS *" and CONNECT.
#ifndef LIBOX_PROXY_REQUEST_TARGET_H
#define LIBOX_PROXY_REQUEST_TARGET_H

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "acl/path_normalizer.h"
#include "proxy/pass_rules.h"

namespace ox::proxy {

enum class TargetForm : std::uint8_t { origin, absolute, asterisk, authority };

enum class TargetStatus : std::uint8_t {
    ok,
    empty,           // no target at all
    fragment,        // '#': never part of a request target
    no_authority,    // a scheme without "//authority" ("http:/x", "host:port" outside CONNECT)
    bad_scheme,      // absolute-form with a scheme other than http or https
    userinfo,        // "http://user@host/": credentials in the authority
    not_a_path,      // none of the forms: does not start with '/'
    asterisk,        // "*" with a method other than OPTIONS
    bad_path,        // the normaliser refuses the path (path_status says why)
    unmappable,      // the OXPass prefix is spelled with ".." segments: no exact backend path
    escapes_prefix,  // the forwarded path resolves outside the backend prefix
};

// Why a target was refused, for the log ("" for ok). Static text.
const char* target_status_text(TargetStatus s, acl::PathStatus p) noexcept;

struct RequestTarget {
    TargetForm form = TargetForm::origin;
    TargetStatus status = TargetStatus::ok;
    acl::PathStatus path_status = acl::PathStatus::ok;
    std::string_view authority;          // absolute-form: host[:port]
    std::string_view path;               // the client's path, still %-encoded, no query
    std::string_view query;              // without the '?'
    bool has_query = false;
    std::string_view canonical;          // `path` as the backend resolves it
    const PassRule* rule = nullptr;      // the longest OXPass rule covering it (maybe an exclusion)
    std::string_view forward_path;       // when forwarded: the path bytes sent to the backend
    std::string_view backend_canonical;  // forward_path as the backend resolves it

    bool ok() const noexcept { return status == TargetStatus::ok; }
    // Whether an OXPass rule forwards the request.
    bool forwarded() const noexcept { return ok() && rule && !rule->excluded; }
    // Whether the backend resolves a path other than `canonical` (a backend
    // prefix): the access check decides on both.
    bool remapped() const noexcept { return forwarded() && rule->has_backend_prefix; }
};

// The scratch space parse_target() needs for `raw`.
std::size_t target_buffer_size(std::string_view raw, const PassTable& passes) noexcept;

// Reads `raw` (the request-target exactly as the client sent it) for a
// request with `method`. Views point into `raw`, `passes` and `buf` (at
// least target_buffer_size() bytes). Never allocates. Returns out.status.
TargetStatus parse_target(std::string_view method, std::string_view raw, const PassTable& passes, char* buf,
                          std::size_t capacity, RequestTarget& out) noexcept;

}  // namespace ox::proxy

#endif
