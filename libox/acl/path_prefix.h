// Path prefixes as OXPass and OXProtect compare them: on canonical paths
// (path_normalizer.h), byte for byte, and on segment boundaries only.
#ifndef LIBOX_ACL_PATH_PREFIX_H
#define LIBOX_ACL_PATH_PREFIX_H

#include <string>
#include <string_view>

namespace ox::acl {

// Whether the canonical prefix `prefix` (no trailing '/', except the root
// "/") covers the canonical path `path`: "/a/b" covers "/a/b", "/a/b/" and
// "/a/b/c", never "/a/bc". The root covers every path.
bool covers(std::string_view prefix, std::string_view path) noexcept;

// Checks a configured prefix and returns it as rules compare it (a trailing
// '/' removed): "" or what is wrong. A prefix must be what normalize_path
// produces: starting with '/', no ';', '%', '\', NUL, "//", "." or ".."
// segments, valid UTF-8.
std::string canonical_prefix(std::string_view prefix, std::string& out);

}  // namespace ox::acl

#endif
