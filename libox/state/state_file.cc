#include "state/state_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "core/text.h"

namespace ox::state {

namespace {

constexpr std::string_view kMagic = "oxbalance-state";

// ---- names in the file ------------------------------------------------------

void append_name(std::string& out, std::string_view name)
{
    static const char digits[] = "0123456789ABCDEF";
    for (char c : name) {
        auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u >= 0x7F || c == '%') {
            out += '%';
            out += digits[u >> 4];
            out += digits[u & 15];
        } else {
            out += c;
        }
    }
}

bool decode_name(std::string_view in, std::string& out) { return percent_decode(in, out) && !out.empty(); }

bool parse_uint(std::string_view s, unsigned max, unsigned& out) noexcept
{
    unsigned long long v = 0;
    if (!parse_decimal(s, v) || v > max) return false;
    out = static_cast<unsigned>(v);
    return true;
}

std::vector<std::string_view> words(std::string_view line)
{
    std::vector<std::string_view> w;
    std::size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
        std::size_t start = i;
        while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
        if (i > start) w.push_back(line.substr(start, i - start));
    }
    return w;
}

// Short, printable rendering of what was found, for error texts.
std::string shown(std::string_view s)
{
    std::string q = "'";
    for (std::size_t i = 0; i < s.size() && i < 40; ++i) {
        auto u = static_cast<unsigned char>(s[i]);
        q += u < 0x20 || u >= 0x7F ? '?' : s[i];
    }
    if (s.size() > 40) q += "...";
    return q + "'";
}

std::string parse_member(const std::vector<std::string_view>& w, SavedMember& m)
{
    if (w.size() < 3) return "a member line is 'member BALANCER URL key=value...'";
    if (!decode_name(w[1], m.balancer)) return "bad balancer name " + shown(w[1]);
    if (!decode_name(w[2], m.url)) return "bad member URL " + shown(w[2]);
    enum { k_admin, k_lf, k_cadmin, k_clf, k_count };
    static const char* const keys[k_count] = {"admin", "loadfactor", "configured-admin", "configured-loadfactor"};
    bool seen[k_count] = {};
    for (std::size_t i = 3; i < w.size(); ++i) {
        std::size_t eq = w[i].find('=');
        if (eq == std::string_view::npos) return "expected key=value, found " + shown(w[i]);
        std::string_view key = w[i].substr(0, eq), value = w[i].substr(eq + 1);
        int k = 0;
        while (k < k_count && key != keys[k]) ++k;
        if (k == k_count) {
            return "unknown key " + shown(key) +
                   " (known: admin, loadfactor, configured-admin, configured-loadfactor)";
        }
        if (seen[k]) return std::string(keys[k]) + "= given twice";
        seen[k] = true;
        bool ok = false;
        switch (k) {
        case k_admin: ok = parse_admin_state(value, m.admin); break;
        case k_cadmin: ok = parse_admin_state(value, m.config_admin); break;
        case k_lf: ok = parse_uint(value, 100, m.loadfactor) && m.loadfactor >= 1; break;
        case k_clf: ok = parse_uint(value, 100, m.config_loadfactor) && m.config_loadfactor >= 1; break;
        default: break;
        }
        if (!ok) {
            return std::string(keys[k]) + "=" + std::string(value.substr(0, 40)) +
                   (k == k_admin || k == k_cadmin ? ": expected active, draining, disabled or standby"
                                                  : ": expected a load factor from 1 to 100");
        }
    }
    for (int k = 0; k < k_count; ++k) {
        if (!seen[k]) return std::string(keys[k]) + "= is missing";
    }
    return {};
}

std::string errno_text(const char* what, const std::string& path, int err)
{
    return std::string(what) + " " + path + ": " + std::strerror(err);
}

bool write_all(int fd, const char* p, std::size_t n) noexcept
{
    while (n > 0) {
        ssize_t w = ::write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            if (w == 0) errno = EIO;
            return false;
        }
        p += w;
        n -= static_cast<std::size_t>(w);
    }
    return true;
}

}  // namespace

const SavedMember* SavedState::find(std::string_view balancer, std::string_view url) const noexcept
{
    for (const SavedMember& m : members) {
        if (m.balancer == balancer && m.url == url) return &m;
    }
    return nullptr;
}

std::string format_state_file(const SavedState& state)
{
    std::string out =
        "# mod_oxbalance OXStateFile: admin states and load factors set at run time.\n"
        "# Written by httpd on every change and read at start; a member whose status= or\n"
        "# loadfactor= in the configuration changed since takes the configuration's value.\n"
        "# Edit only while httpd is stopped. Format: docs/status.md.\n";
    out += kMagic;
    out += ' ';
    out += std::to_string(kStateFileVersion);
    out += '\n';
    for (const SavedMember& m : state.members) {
        out += "member ";
        append_name(out, m.balancer);
        out += ' ';
        append_name(out, m.url);
        out += " admin=";
        out += to_string(m.admin);
        out += " loadfactor=";
        out += std::to_string(m.loadfactor);
        out += " configured-admin=";
        out += to_string(m.config_admin);
        out += " configured-loadfactor=";
        out += std::to_string(m.config_loadfactor);
        out += '\n';
    }
    out += "end ";
    out += std::to_string(state.members.size());
    out += '\n';
    return out;
}

std::string parse_state_file(std::string_view text, SavedState& out)
{
    out.members.clear();
    enum { header, body, after_end } where = header;
    std::size_t line_no = 0;
    std::size_t pos = 0;
    std::string err;
    SavedState parsed;
    while (pos < text.size() && err.empty()) {
        ++line_no;
        std::size_t nl = text.find('\n', pos);
        if (nl == std::string_view::npos) {
            err = "the file ends in the middle of a line (cut short?)";
            break;
        }
        std::string_view line = text.substr(pos, nl - pos);
        pos = nl + 1;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.find('\0') != std::string_view::npos) {
            err = "NUL byte (not a text file)";
            break;
        }
        std::vector<std::string_view> w = words(line);
        if (w.empty() || w[0][0] == '#') continue;
        if (where == header) {
            if (w[0] != kMagic || w.size() != 2) {
                err = "expected 'oxbalance-state 1', found " + shown(line);
            } else if (unsigned v = 0; !parse_uint(w[1], 999999, v)) {
                err = "bad version " + shown(w[1]);
            } else if (v != static_cast<unsigned>(kStateFileVersion)) {
                err = "version " + std::to_string(v) + " is not supported (this module reads version " +
                      std::to_string(kStateFileVersion) + ")";
            }
            where = body;
        } else if (where == after_end) {
            err = "text after 'end'";
        } else if (w[0] == "member") {
            SavedMember m;
            err = parse_member(w, m);
            if (err.empty() && parsed.find(m.balancer, m.url)) {
                err = "member " + shown(m.url) + " of balancer " + shown(m.balancer) + " appears twice";
            }
            if (err.empty()) parsed.members.push_back(std::move(m));
        } else if (w[0] == "end") {
            unsigned n = 0;
            if (w.size() != 2 || !parse_uint(w[1], 999999, n)) {
                err = "expected 'end COUNT'";
            } else if (n != parsed.members.size()) {
                err = "'end " + std::to_string(n) + "' but " + std::to_string(parsed.members.size()) +
                      " member lines (cut short or edited?)";
            }
            where = after_end;
        } else {
            err = "unknown line " + shown(line) + " (expected 'member ...' or 'end COUNT')";
        }
    }
    if (!err.empty()) return "line " + std::to_string(line_no) + ": " + err;
    if (where == header) {
        return "line " + std::to_string(line_no ? line_no : 1) + ": empty file (no 'oxbalance-state' line)";
    }
    if (where != after_end) {
        return "line " + std::to_string(line_no) + ": the file has no 'end' line (cut short?)";
    }
    out = std::move(parsed);
    return {};
}

ReadResult read_state_file(const std::string& path, SavedState& out, std::string& error)
{
    out.members.clear();
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        if (errno == ENOENT) return ReadResult::missing;
        error = errno_text("cannot open", path, errno);
        return ReadResult::error;
    }
    std::string text;
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        error = errno_text("cannot stat", path, errno);
    } else if (!S_ISREG(st.st_mode)) {
        error = path + ": not a regular file";
    } else {
        char buf[16384];
        for (;;) {
            ssize_t n = ::read(fd, buf, sizeof buf);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) {
                error = errno_text("cannot read", path, errno);
                break;
            }
            if (n == 0) break;
            text.append(buf, static_cast<std::size_t>(n));
            if (text.size() > kMaxStateFileBytes) {
                error = path + ": larger than " + std::to_string(kMaxStateFileBytes) + " bytes";
                break;
            }
        }
    }
    ::close(fd);
    if (error.empty()) {
        std::string why = parse_state_file(text, out);
        if (!why.empty()) error = path + ": " + why;
    }
    return error.empty() ? ReadResult::ok : ReadResult::error;
}

std::string write_state_file(const std::string& path, const SavedState& state)
{
    std::string text = format_state_file(state);
    std::size_t slash = path.rfind('/');
    std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
    std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
    if (base.empty()) return path + ": not a file name";
    std::string tmp = (slash == std::string::npos ? std::string() : path.substr(0, slash + 1)) + "." + base +
                      ".tmp.XXXXXX";

    // Messages name the temporary file by its pattern: it is gone when
    // anyone reads them, and the same failure reads the same each time (the
    // glue logs each cause once).
    const std::string pattern = tmp;
    int fd = ::mkostemp(tmp.data(), O_CLOEXEC);
    if (fd < 0) return errno_text("cannot create a temporary file", pattern, errno);
    std::string err;
    if (::fchmod(fd, 0644) != 0) err = errno_text("cannot chmod", pattern, errno);
    else if (!write_all(fd, text.data(), text.size())) err = errno_text("cannot write", pattern, errno);
    else if (::fsync(fd) != 0) err = errno_text("cannot fsync", pattern, errno);
    if (::close(fd) != 0 && err.empty()) err = errno_text("cannot close", pattern, errno);
    if (err.empty() && ::rename(tmp.c_str(), path.c_str()) != 0) err = errno_text("cannot rename onto", path, errno);
    if (!err.empty()) {
        ::unlink(tmp.c_str());
        return err;
    }
    // The rename is durable once the directory is.
    int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) return errno_text("written, but cannot open the directory to fsync it", dir, errno);
    if (::fsync(dfd) != 0) err = errno_text("written, but cannot fsync the directory", dir, errno);
    ::close(dfd);
    return err;
}

StartValues start_values(const SavedState& saved, std::string_view balancer, std::string_view url,
                         AdminState configured_admin, unsigned configured_loadfactor) noexcept
{
    StartValues v{configured_admin, configured_loadfactor};
    const SavedMember* m = saved.find(balancer, url);
    if (!m) return v;
    if (m->config_admin == configured_admin) v.admin = m->admin;
    if (m->config_loadfactor == configured_loadfactor) v.loadfactor = m->loadfactor;
    return v;
}

}  // namespace ox::state
