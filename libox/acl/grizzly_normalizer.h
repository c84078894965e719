// The request path as an OX App Suite node (Grizzly's HTTP server, OX's
// servlet container on it) resolves it: the model for http:// members, next
// to Tomcat's (acl/path_normalizer.h) for ajp:// members.
//
// What OX does with the request-target, read in the sources (Grizzly 2.3/2.4
// as javaee/grizzly and 4.x as eclipse-ee4j/grizzly have the same code here;
// OX's com.openexchange.http.grizzly bundle in open-xchange/appsuite-middleware):
//
//   - OX registers one handler, OSGiMainHandler, at "/" (HttpServiceFactory:
//     addHttpHandler(main, "/")), so HttpHandlerChain.doHandle hands every
//     request straight to it (its single-root-handler shortcut) without
//     decoding first. HttpHandler.doHandle does not decode either (decodeURL
//     is false by default), then calls Request.parseSessionId().
//   - Request.parseSessionId() works on the RAW, still %-encoded URI: it finds
//     the first ";jsessionid=" (exact, lower case) and cuts from there up to
//     the next ';' or to the end of the URI, across any '/'
//     ("/a;jsessionid=1/b" becomes "/a"). Other ";parameters" stay.
//   - OSGiMainHandler.service() maps request.getDecodedRequestURI():
//     RequestURIRef decodes with slashes allowed (wasSlashAllowed starts out
//     true), through HttpRequestURIDecoder.decode():
//       1. URLDecoder.decode: "%XX" once ("%252e" is "%2e"), '+' becomes a
//          space, a malformed escape throws, "%2F" becomes a '/' separator;
//       2. normalizeBytes: NUL or '\' (raw or decoded) fails; a path ending
//          in "/." or "/.." gets a '/' appended; "//" collapses
//          (com.sun.enterprise.web.collapseAdjacentSlashes, default true);
//          "/./" and "/../" resolve, ".." above the root fails. It is a
//          byte state machine with quirks: a segment of three or more dots
//          loses all but two of them ("/a/.../b" is "/b"), and after a "/./"
//          its state stays "slash-dot", so "/a/././b" is "/b" and "/a/.//b"
//          is "/ab";
//       3. the bytes are decoded as UTF-8, reporting errors (malformed input
//          fails), and checkNormalize fails on '\', NUL, "//", "/./" or a
//          trailing "/." or "/..".
//     A ';' is an ordinary character throughout: "..;x" is a name.
//   - OSGiCleanMapper.map() looks the decoded path up in the registered
//     aliases (a TreeSet of strings: exact and case-sensitive), first whole,
//     then cut back at each '/', then "/" — a prefix match on segment
//     boundaries, which is what OXProtect's covers() does.
//
// normalize_path_grizzly() resolves a path the same way, with the same
// contract as normalize_path(): a path we accept resolves in Grizzly to
// exactly our result (or Grizzly fails on it), and anything we are unsure
// about is refused. Refused beyond what Grizzly refuses: "%2F" (Grizzly
// makes it a separator; Tomcat refuses it, and one rule for both is
// simpler), a ";jsessionid=" in any case that is not the end of the path or
// follows a segment that is empty or dots (a Grizzly set up with another
// handler layout decodes before cutting it out), the dot quirks above (a
// segment starting with "...", and a "." segment followed by an empty one
// or one starting with '.'), and malformed UTF-8 in a segment a later ".."
// removes.
//
// Where it differs from Tomcat: ";parameters" other than a final jsessionid
// stay part of their segment ("/webservices;x/y" is "/webservices;x/y", not
// "/webservices/y"; "/a/..;/b" keeps "..;" as a name), "%3B" and ';' are the
// same, '+' is a space, and a trailing "/." or "/.." keeps its '/'
// ("/a/b/.." is "/a/", Tomcat says "/a").
//
// The canonical path is for the ACL decision only: the module still
// forwards the raw bytes.
#ifndef LIBOX_ACL_GRIZZLY_NORMALIZER_H
#define LIBOX_ACL_GRIZZLY_NORMALIZER_H

#include <cstddef>
#include <string>
#include <string_view>

#include "acl/path_normalizer.h"

namespace ox::acl {

// As normalize_path(): `raw` is the path as the client sent it (no query),
// `capacity` at least normalized_capacity(raw). Never allocates.
PathStatus normalize_path_grizzly(std::string_view raw, char* out, std::size_t capacity,
                                  std::size_t& out_len) noexcept;

// The same into a string, for tests.
PathStatus normalize_path_grizzly(std::string_view raw, std::string& out);

}  // namespace ox::acl

#endif
