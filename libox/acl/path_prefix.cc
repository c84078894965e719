#include "acl/path_prefix.h"

#include "acl/path_normalizer.h"

namespace ox::acl {

namespace {

std::string quoted(std::string_view w) { return "'" + std::string(w) + "'"; }

}  // namespace

bool covers(std::string_view prefix, std::string_view path) noexcept
{
    if (prefix == "/") return !path.empty() && path[0] == '/';
    if (path.size() < prefix.size() || path.compare(0, prefix.size(), prefix) != 0) return false;
    return path.size() == prefix.size() || path[prefix.size()] == '/';
}

std::string canonical_prefix(std::string_view prefix, std::string& out)
{
    if (prefix.empty() || prefix[0] != '/') return quoted(prefix) + ": a path prefix must start with '/'";
    if (prefix.find(';') != std::string_view::npos) {
        return quoted(prefix) + ": ';' starts a path parameter, which the backend strips; write the path without it";
    }
    if (prefix.find('%') != std::string_view::npos) {
        return quoted(prefix) + ": write the path decoded, without %-escapes (it is compared after decoding)";
    }
    std::string canon;
    PathStatus s = normalize_path(prefix, canon);
    if (s != PathStatus::ok) return quoted(prefix) + ": " + path_status_text(s);
    std::string_view p = prefix;
    if (p.size() > 1 && p.back() == '/') p.remove_suffix(1);
    std::string_view c = canon;
    if (c.size() > 1 && c.back() == '/') c.remove_suffix(1);
    if (p != c) {
        return quoted(prefix) + ": not a canonical path (no \"//\", \".\" or \"..\" segments); the backend sees it as " +
               quoted(c);
    }
    out.assign(c);
    return {};
}

}  // namespace ox::acl
