// The request target, read once when the request arrives: its form (RFC 9112
// 3.2), the client's path and query, the path as the backend resolves it,
// the OXPass rule it falls under and the exact bytes forwarded as its path.
// The access check, the rule match and the forwarder all read this one
// object, so what is checked is what is forwarded.
//
// Two backend kinds resolve paths differently: ajp:// members as Tomcat
// does (acl/path_normalizer.h), http:// members as OX's Grizzly does
// (acl/grizzly_normalizer.h). The OXPass rule is matched on Tomcat's
// resolution, as before; when the rule's balancer has http:// members the
// path is also resolved as Grizzly would, and refused (400) if Grizzly's
// model refuses it, if Grizzly's path falls under another OXPass rule than
// Tomcat's (the models disagree on where it goes, so neither is checked for
// sure), or if, under a backend prefix, Grizzly resolves the forwarded
// bytes outside that prefix. The access check then decides on every
// resolution the balancer's members may make (checked_paths()): a
// protected prefix under any of them denies. Tomcat's resolution is always
// checked (it chose the rule), so a balancer with http:// members is
// checked at least as strictly as one with ajp:// members only, and a mixed
// balancer exactly like an http:// one. Targets that no rule forwards
// (httpd serves them) keep Tomcat's model alone.
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
    bad_path_http,   // Grizzly's model refuses the path (path_status says why)
    ambiguous,       // Grizzly's path falls under another OXPass rule than Tomcat's
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
    // When the rule's balancer has http:// members: `path` and forward_path
    // as Grizzly resolves them (empty otherwise).
    std::string_view grizzly_canonical;
    std::string_view grizzly_backend_canonical;

    bool ok() const noexcept { return status == TargetStatus::ok; }
    // Whether an OXPass rule forwards the request.
    bool forwarded() const noexcept { return ok() && rule && !rule->excluded; }
    // Whether the backend resolves a path other than `canonical` (a backend
    // prefix): the access check decides on both.
    bool remapped() const noexcept { return forwarded() && rule->has_backend_prefix; }
    // Whether http:// members may get it: Grizzly's resolution is checked too.
    bool grizzly() const noexcept { return forwarded() && (rule->models & kModelGrizzly) != 0; }
};

// A path the access check decides on, and what it is (for the log).
struct CheckedPath {
    std::string_view path;
    const char* what = "";
};

// Every resolution of an accepted target that a backend may act on: the
// canonical path; under a backend prefix the forwarded path's; and, when
// http:// members may get it, Grizzly's of both. Duplicates are left out.
// Returns how many were written to out (0 for "OPTIONS *" and CONNECT).
std::size_t checked_paths(const RequestTarget& t, CheckedPath (&out)[4]) noexcept;

// The scratch space parse_target() needs for `raw`.
std::size_t target_buffer_size(std::string_view raw, const PassTable& passes) noexcept;

// Reads `raw` (the request-target exactly as the client sent it) for a
// request with `method`. Views point into `raw`, `passes` and `buf` (at
// least target_buffer_size() bytes). Never allocates. Returns out.status.
TargetStatus parse_target(std::string_view method, std::string_view raw, const PassTable& passes, char* buf,
                          std::size_t capacity, RequestTarget& out) noexcept;

}  // namespace ox::proxy

#endif
