#include "configdb/properties.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "acl/ip_address.h"
#include "core/text.h"
#include "net/endpoint.h"

namespace ox::configdb {

namespace {

// Java's white space between key and value, and before a line.
bool is_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\f'; }

// Short, printable rendering of a name from the file, for error texts.
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

// The four hex digits after "\u" at `s[i]`, or -1.
long read_u4(std::string_view s, std::size_t i) noexcept
{
    if (s.size() - i < 4) return -1;
    long v = 0;
    for (std::size_t k = 0; k < 4; ++k) {
        int d = hex_digit(s[i + k]);
        if (d < 0) return -1;
        v = v * 16 + d;
    }
    return v;
}

// Java's loadConvert: \uXXXX (as UTF-8; a surrogate pair as one code
// point), \t \n \r \f, and "\x" -> x. Other bytes pass through unchanged
// (Java reads the file as ISO-8859-1; OX's files are ASCII in practice, and
// bytes are kept as written rather than re-encoded).
std::string unescape(std::string_view s, std::string& out)
{
    out.clear();
    for (std::size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        if (c != '\\') {
            out += c;
            continue;
        }
        if (++i == s.size()) break;  // a lone backslash at the very end
        c = s[i];
        switch (c) {
        case 't': out += '\t'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 'f': out += '\f'; break;
        case 'u': {
            long cp = read_u4(s, i + 1);
            if (cp < 0) return "malformed \\uXXXX escape (four hex digits expected)";
            i += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                long lo = s.size() - i > 2 && s[i + 1] == '\\' && s[i + 2] == 'u' ? read_u4(s, i + 3) : -1;
                if (lo < 0xDC00 || lo > 0xDFFF) return "\\u escape holds half of a surrogate pair";
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                i += 6;
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                return "\\u escape holds half of a surrogate pair";
            }
            append_utf8(out, static_cast<std::uint32_t>(cp));
            break;
        }
        default: out += c; break;
        }
    }
    return {};
}

// Splits a logical line into its raw (still escaped) key and value, as
// Java's Properties.load does.
void split_key_value(std::string_view line, std::string_view& key, std::string_view& value) noexcept
{
    std::size_t i = 0;
    bool escaped = false;
    bool has_sep = false;
    for (; i < line.size(); ++i) {
        char c = line[i];
        if (escaped) {
            escaped = false;
            continue;
        }
        if (c == '\\') {
            escaped = true;
        } else if (c == '=' || c == ':') {
            has_sep = true;
            break;
        } else if (is_space(c)) {
            break;
        }
    }
    key = line.substr(0, i);
    std::size_t v = i < line.size() ? i + 1 : i;
    while (v < line.size()) {
        char c = line[v];
        if (!is_space(c)) {
            if (has_sep || (c != '=' && c != ':')) break;
            has_sep = true;
        }
        ++v;
    }
    value = line.substr(v);
}

// True when the line ends in an odd number of backslashes (a continuation).
bool continues(std::string_view line) noexcept
{
    std::size_t n = 0;
    while (n < line.size() && line[line.size() - 1 - n] == '\\') ++n;
    return n % 2 == 1;
}

std::string at_line(std::size_t line, const std::string& what) { return "line " + std::to_string(line) + ": " + what; }

bool has_prefix_ignore_case(std::string_view s, std::string_view lower_prefix) noexcept
{
    return s.size() >= lower_prefix.size() && equals_lowercase(s.substr(0, lower_prefix.size()), lower_prefix);
}

// "host[:port]" (or "[v6][:port]") into host and port.
std::string parse_host_port(std::string_view text, Endpoint& out)
{
    net::Endpoint ep;
    std::string why = net::parse_endpoint(text, kDefaultPort, ep);
    if (!why.empty()) return why;
    if (!text.empty() && text.front() == '[') {
        acl::IpAddress ip;
        if (acl::parse_ip(ep.host, ip) != acl::IpParse::ok || ip.is_v4()) {
            return "'[...]' must hold an IPv6 address";
        }
    }
    out.host = std::move(ep.host);
    out.port = ep.port;
    return {};
}

bool valid_database_name(std::string_view db) noexcept
{
    if (db.empty() || db.size() > 64) return false;
    for (char c : db) {
        auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u == 0x7F || c == '/' || c == '\\' || c == '.' || c == '`') return false;
    }
    return true;
}

// readProperty.N / writeProperty.N, N a whole number.
bool is_numbered(std::string_view key, std::string_view prefix) noexcept
{
    if (key.size() <= prefix.size() || key.substr(0, prefix.size()) != prefix) return false;
    unsigned long long n = 0;
    return parse_decimal(key.substr(prefix.size()), n);
}

}  // namespace

std::string Endpoint::where() const
{
    net::Endpoint ep{host, port};
    return ep.to_string();
}

std::string parse_properties(std::string_view text, std::vector<Property>& out)
{
    out.clear();
    std::size_t pos = 0;
    std::size_t line_no = 0;
    std::string logical;
    // One physical line at a time; \n, \r and \r\n all end one.
    auto next_line = [&](std::string_view& line) {
        if (pos >= text.size()) return false;
        std::size_t end = text.find_first_of("\r\n", pos);
        if (end == std::string_view::npos) end = text.size();
        line = text.substr(pos, end - pos);
        pos = end;
        if (pos < text.size() && text[pos] == '\r') {
            ++pos;
            if (pos < text.size() && text[pos] == '\n') ++pos;
        } else if (pos < text.size()) {
            ++pos;  // '\n'
        }
        ++line_no;
        return true;
    };
    std::string_view line;
    while (next_line(line)) {
        if (line.find('\0') != std::string_view::npos) return at_line(line_no, "NUL byte (not a text file)");
        std::size_t s = 0;
        while (s < line.size() && is_space(line[s])) ++s;
        line.remove_prefix(s);
        if (line.empty() || line[0] == '#' || line[0] == '!') continue;
        std::size_t first = line_no;
        logical.assign(line);
        while (continues(logical)) {
            logical.pop_back();
            std::string_view more;
            if (!next_line(more)) break;
            if (more.find('\0') != std::string_view::npos) return at_line(line_no, "NUL byte (not a text file)");
            std::size_t k = 0;
            while (k < more.size() && is_space(more[k])) ++k;
            logical.append(more.substr(k));
        }
        std::string_view raw_key, raw_value;
        split_key_value(logical, raw_key, raw_value);
        Property p;
        p.line = first;
        std::string why = unescape(raw_key, p.key);
        if (why.empty()) why = unescape(raw_value, p.value);
        if (!why.empty()) return at_line(first, why);
        out.push_back(std::move(p));
    }
    return {};
}

std::string parse_jdbc_url(std::string_view url, Endpoint& out)
{
    std::string_view rest;
    if (has_prefix_ignore_case(url, "jdbc:mysql://")) {
        rest = url.substr(13);
    } else if (has_prefix_ignore_case(url, "jdbc:mariadb://")) {
        rest = url.substr(15);
    } else {
        std::size_t scheme_end = url.find("//");
        std::string scheme(url.substr(0, scheme_end == std::string_view::npos ? 0 : scheme_end));
        std::string what = "is not a jdbc:mysql:// URL";
        if (has_prefix_ignore_case(url, "jdbc:mysql:") || has_prefix_ignore_case(url, "jdbc:mariadb:")) {
            what += " (replication, load-balancing and other multi-host forms are not supported: give one host,"
                    " for a cluster the address of its load balancer)";
        } else if (!scheme.empty()) {
            what += " (it starts with " + shown(scheme) + ")";
        }
        return what;
    }
    std::size_t q = rest.find('?');
    std::string_view params = q == std::string_view::npos ? std::string_view{} : rest.substr(q + 1);
    std::string_view hostpath = rest.substr(0, q);
    std::size_t slash = hostpath.find('/');
    if (slash == std::string_view::npos) return "names no database (expected jdbc:mysql://HOST[:PORT]/DATABASE)";
    std::string_view hostport = hostpath.substr(0, slash);
    std::string_view db = hostpath.substr(slash + 1);
    if (hostport.find(',') != std::string_view::npos) {
        return "lists several hosts: give one (for a cluster, the address of its load balancer)";
    }
    if (hostport.find('@') != std::string_view::npos) {
        return "has user@host: give the user as readProperty.N=user=... / writeProperty.N=user=...";
    }
    Endpoint ep;
    // Connector/J takes an empty host as localhost.
    std::string why = hostport.empty() ? std::string() : parse_host_port(hostport, ep);
    if (!why.empty()) return why;
    if (hostport.empty()) ep.host = "localhost";
    if (!valid_database_name(db)) {
        return db.empty() ? "names no database (expected jdbc:mysql://HOST[:PORT]/DATABASE)"
                          : "has an invalid database name " + shown(db);
    }
    ep.database.assign(db);
    std::string name, value;
    while (!params.empty()) {
        std::size_t amp = params.find('&');
        std::string_view pair = params.substr(0, amp);
        params = amp == std::string_view::npos ? std::string_view{} : params.substr(amp + 1);
        std::size_t eq = pair.find('=');
        if (eq == std::string_view::npos) continue;
        if (!percent_decode(pair.substr(0, eq), name) || !percent_decode(pair.substr(eq + 1), value)) {
            return "has a malformed %-escape in its parameters";
        }
        if (name == "user") ep.user = value;
        else if (name == "password") ep.password = value;
    }
    out.host = std::move(ep.host);
    out.port = ep.port;
    out.database = std::move(ep.database);
    if (!ep.user.empty()) out.user = std::move(ep.user);
    if (!ep.password.empty()) out.password = std::move(ep.password);
    return {};
}

std::string parse_host_database(std::string_view text, Endpoint& out)
{
    std::size_t slash = text.find('/');
    if (slash == std::string_view::npos) return "expected HOST[:PORT]/DATABASE";
    Endpoint ep;
    std::string why = parse_host_port(text.substr(0, slash), ep);
    if (!why.empty()) return why;
    std::string_view db = text.substr(slash + 1);
    if (!valid_database_name(db)) {
        return db.empty() ? "expected HOST[:PORT]/DATABASE (no database given)" : "invalid database name " + shown(db);
    }
    out.host = std::move(ep.host);
    out.port = ep.port;
    out.database.assign(db);
    return {};
}

std::string settings_from_properties(std::string_view text, Settings& out)
{
    std::vector<Property> props;
    std::string why = parse_properties(text, props);
    if (!why.empty()) return why;

    struct Side {
        const char* url_key;
        const char* prop_prefix;
        const Property* url = nullptr;
        const Property* user = nullptr;
        const Property* password = nullptr;
        Endpoint ep;
    };
    Side sides[2] = {{"readUrl", "readProperty.", nullptr, nullptr, nullptr, {}},
                     {"writeUrl", "writeProperty.", nullptr, nullptr, nullptr, {}}};
    for (const Property& p : props) {
        for (Side& side : sides) {
            if (p.key == side.url_key) {
                side.url = &p;  // the last one counts, as in Java
            } else if (is_numbered(p.key, side.prop_prefix)) {
                std::size_t eq = p.value.find('=');
                if (eq == std::string::npos) {
                    return at_line(p.line, p.key + " is not NAME=VALUE (as user=openexchange)");
                }
                // "password = x" names "password" (value " x", kept as written).
                std::string_view name = trim_ows(std::string_view(p.value).substr(0, eq));
                if (name == "user") side.user = &p;
                else if (name == "password") side.password = &p;
            }
        }
    }
    for (Side& side : sides) {
        if (!side.url) return std::string(side.url_key) + " is missing (expected jdbc:mysql://HOST[:PORT]/DATABASE)";
        if (side.user) side.ep.user = side.user->value.substr(side.user->value.find('=') + 1);
        if (side.password) side.ep.password = side.password->value.substr(side.password->value.find('=') + 1);
        // Parameters in the URL win over the numbered properties, as in
        // Connector/J.
        why = parse_jdbc_url(side.url->value, side.ep);
        if (!why.empty()) return at_line(side.url->line, std::string(side.url_key) + " " + why);
        if (side.ep.user.empty()) {
            return at_line(side.url->line, std::string(side.url_key) + " has no user: set " + side.prop_prefix +
                                               "N=user=NAME");
        }
    }
    out.read = std::move(sides[0].ep);
    out.write = std::move(sides[1].ep);
    return {};
}

std::string read_properties_file(const std::string& path, Settings& out)
{
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) return "cannot open " + path + ": " + std::strerror(errno);
    std::string text, err;
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        err = "cannot stat " + path + ": " + std::strerror(errno);
    } else if (!S_ISREG(st.st_mode)) {
        err = path + ": not a regular file";
    } else {
        char buf[8192];
        for (;;) {
            ssize_t n = ::read(fd, buf, sizeof buf);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) {
                err = "cannot read " + path + ": " + std::strerror(errno);
                break;
            }
            if (n == 0) break;
            text.append(buf, static_cast<std::size_t>(n));
            if (text.size() > kMaxPropertiesBytes) {
                err = path + ": larger than " + std::to_string(kMaxPropertiesBytes) + " bytes";
                break;
            }
        }
    }
    ::close(fd);
    if (!err.empty()) return err;
    std::string why = settings_from_properties(text, out);
    return why.empty() ? why : path + ": " + why;
}

std::string parse_arguments(const std::vector<std::string>& args, Settings& out, std::string& properties_path)
{
    enum { a_read, a_write, a_user, a_password, a_poll, a_create, a_count };
    static const char* const names[a_count] = {"read", "write", "user", "password", "poll", "create"};
    bool seen[a_count] = {};
    std::string path;
    Settings s;
    s.poll_seconds = out.poll_seconds;
    s.create = out.create;
    for (const std::string& arg : args) {
        std::size_t eq = arg.find('=');
        if (eq == std::string::npos) {
            if (!path.empty()) return "two properties files given (" + shown(path) + " and " + shown(arg) + ")";
            if (arg.empty()) return "empty argument";
            path = arg;
            continue;
        }
        std::string_view key = std::string_view(arg).substr(0, eq);
        std::string_view value = std::string_view(arg).substr(eq + 1);
        int k = 0;
        while (k < a_count && key != names[k]) ++k;
        if (k == a_count) {
            return "unknown argument " + shown(key) + "= (known: read=, write=, user=, password=, poll=, create=)";
        }
        if (seen[k]) return std::string(names[k]) + "= given twice";
        seen[k] = true;
        std::string why;
        switch (k) {
        case a_read: why = parse_host_database(value, s.read); break;
        case a_write: why = parse_host_database(value, s.write); break;
        case a_user:
            if (value.empty()) why = "empty";
            s.read.user = s.write.user = std::string(value);
            break;
        case a_password: s.read.password = s.write.password = std::string(value); break;
        case a_poll: {
            unsigned long long v = 0;
            if (!parse_decimal(value, v) || v < 1 || v > kMaxPollSeconds) {
                why = "expected whole seconds from 1 to " + std::to_string(kMaxPollSeconds);
            }
            s.poll_seconds = static_cast<unsigned>(v);
            break;
        }
        case a_create:
            if (equals_lowercase(value, "on")) s.create = true;
            else if (equals_lowercase(value, "off")) s.create = false;
            else why = "expected on or off";
            break;
        default: break;
        }
        // Never echo a password back.
        if (!why.empty()) return std::string(names[k]) + "=" + (k == a_password ? "..." : std::string(value.substr(0, 60))) + ": " + why;
    }
    if (!path.empty()) {
        for (int k : {a_read, a_write, a_user, a_password}) {
            if (seen[k]) {
                return std::string(names[k]) + "= cannot be combined with a properties file (" + shown(path) +
                       "): give one or the other";
            }
        }
    } else {
        if (!seen[a_write]) return "write=HOST[:PORT]/DATABASE is missing (or give OX's configdb.properties)";
        if (!seen[a_user]) return "user= is missing";
        if (!seen[a_read]) {
            s.read.host = s.write.host;
            s.read.port = s.write.port;
            s.read.database = s.write.database;
        }
    }
    if (path.empty()) {
        out = std::move(s);
    } else {
        out.poll_seconds = s.poll_seconds;
        out.create = s.create;
    }
    properties_path = std::move(path);
    return {};
}

}  // namespace ox::configdb
