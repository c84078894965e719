// The request path as the backend will resolve it.
//
// mod_oxbalance forwards the client's raw, still %-encoded path to the
// backend unchanged. An ACL must therefore decide on the path the *backend*
// resolves from those bytes, not on httpd's idea of it: a prefix check on the
// raw bytes, or on httpd's own normalisation, is bypassed by spellings that
// only the servlet container turns into the protected path
// (/servlet;x/axis2/services, /servlet/foo/..;/axis2/services, ...).
//
// normalize_path() models Apache Tomcat 10.1 (CoyoteAdapter.postParseRequest
// with the connector defaults, read in the 10.1.x sources for 10.1.60 and
// checked against a running Tomcat 10.1.60 over AJP), in Tomcat's order:
//
//   1. path parameters: in every segment, ";" and everything after it up to
//      the next "/" is removed, before any decoding (so "%3B" is an ordinary
//      character, and "/..;x/" is a "/../");
//   2. %XX decoding, once ("%252e" becomes the three characters "%2e");
//      a malformed escape is a 400; "%2F" is a 400 (encodedSolidusHandling
//      "reject"; "decode" or "passthrough" would change the meaning, so we
//      reject it whatever the backend's setting);
//   3. normalisation: "\" is a 400 (allowBackslash false), NUL is a 400,
//      "//" merge into "/", "." segments vanish, ".." removes the segment
//      before it and is a 400 above the root; a path ending in "/." or "/.."
//      loses the trailing "/" that resolving it leaves (unless it is "/");
//   4. the bytes are decoded as UTF-8; malformed UTF-8 is a 400.
//
// The result is compared byte for byte: Tomcat's mapper is case-sensitive,
// so "/Servlet/axis2/services" is not "/servlet/axis2/services" (it is a 404
// there, not the SOAP servlet).
//
// We are stricter than Tomcat in a few places, never looser: a path we accept
// resolves in Tomcat to exactly our result, and every path Tomcat refuses we
// refuse too. The extra rejections (all "ambiguous" spellings that no real
// client sends): a backslash, NUL, "%2F", "%5C" or malformed escape inside a
// ";parameter" (Tomcat drops parameters undecoded, so it does not see them),
// and malformed UTF-8 in a segment that a later ".." removes.
//
// The canonical path is for the ACL decision only: the module still forwards
// the raw bytes.
#ifndef LIBOX_ACL_PATH_NORMALIZER_H
#define LIBOX_ACL_PATH_NORMALIZER_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ox::acl {

enum class PathStatus : std::uint8_t {
    ok,
    empty,          // no path at all
    not_absolute,   // does not start with "/" ("*", "http://...", ";x")
    bad_escape,     // "%" not followed by two hex digits
    encoded_slash,  // "%2F"
    nul,            // NUL, raw or "%00"
    backslash,      // "\", raw or "%5C"
    above_root,     // ".." above the root
    bad_utf8,       // the decoded path is not UTF-8 (overlong, surrogate, truncated, ...)
    too_long,       // the caller's buffer is smaller than normalized_capacity()
    // Grizzly only (acl/grizzly_normalizer.h):
    session_param,  // ";jsessionid=" anywhere but at the end of a name segment
    dot_quirk,      // a dot sequence Grizzly's normalizeBytes resolves unlike RFC 3986
};

// Why a path was refused, for the log line ("" for ok). Static text.
const char* path_status_text(PathStatus s) noexcept;

// The buffer normalize_path needs for `raw`: the canonical path is never
// longer than the raw one, plus one byte for the NUL.
constexpr std::size_t normalized_capacity(std::string_view raw) noexcept { return raw.size() + 1; }

// `raw` is the request-target's path exactly as the client sent it: the
// bytes after the method up to (not including) "?" or "#". On ok, writes the
// canonical path and a NUL into out and sets out_len (without the NUL).
// Never allocates; never writes more than `capacity` bytes.
PathStatus normalize_path(std::string_view raw, char* out, std::size_t capacity, std::size_t& out_len) noexcept;

// The same into a string (one allocation), for configuration and tests.
PathStatus normalize_path(std::string_view raw, std::string& out);

// RFC 3629 UTF-8 as Java's decoders accept it when they report errors (no
// overlong forms, no surrogates, nothing above U+10FFFF, nothing truncated).
bool valid_utf8(const char* p, std::size_t n) noexcept;

}  // namespace ox::acl

#endif
