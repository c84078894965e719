// libFuzzer target: OX's configdb.properties and the OXConfigDB arguments
// (libox/configdb/properties).
//
// Input: byte 0 picks what the rest is (value % 3):
//   0: a configdb.properties text;
//   1: a JDBC URL (jdbc:mysql://HOST[:PORT]/DATABASE[?PARAMS]);
//   2: OXConfigDB arguments, one per line.
//
// Properties (0): parse_properties must give exactly what the model below
// gives: java.util.Properties.load's line reader and escapes, written from
// the Java documentation character by character (line ends \n, \r, \r\n;
// leading ' ', '\t', '\f' skipped; '#' and '!' comment lines, never
// continued; an odd number of backslashes continues a line, the next
// line's leading white space dropped; key up to the first unescaped '=',
// ':' or white space, then white space and at most one '=' or ':'; \t \n
// \r \f, \uXXXX, "\x" -> x). Where libox documents that it differs from
// Java, the model does too: a NUL byte anywhere is an error naming its
// line, and \uXXXX becomes UTF-8 (a surrogate pair one code point, half of
// one an error). Same keys, values, first lines and error lines.
// Then settings_from_properties, with two password properties appended
// (readProperty.N and writeProperty.N, a marker text): on success the
// endpoints are those of the last readUrl / writeUrl (parse_jdbc_url on
// them gives the same), users are not empty; on failure the marker
// password is never in the error text (properties.h: "Passwords never
// appear in an error text").
//
// JDBC URL (1): an accepted URL names a host (or localhost), a port from 1
// to 65535 and a valid database name; "jdbc:mysql://" + where() + "/" +
// database parses back to the same endpoint, and so does where() + "/" +
// database through parse_host_database (the status page shows an endpoint
// so, and OXConfigDB's read=/write= take that form); user and password are
// set by the URL's last user= and password= parameters (%-decoded, unless
// empty) and left alone otherwise. The endpoints of accepted properties
// round-trip the same way, those of accepted arguments through
// parse_host_database.
//
// Arguments (2): a marker password= argument is added when none is given;
// an error never contains the marker; on success without a properties
// file, write and user are set, read defaults to write, poll is 1..3600.
//
// Any violation aborts with the input on stderr. Built and run by
// t/fuzz/run-fuzz.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "configdb/properties.h"
#include "fuzz_report.h"

using ox::configdb::Endpoint;
using ox::configdb::Property;

namespace {

// ---- the model of Properties.load ------------------------------------------

struct ModelLine {
    std::string raw;          // the logical line, escapes still in it
    std::size_t first = 0;    // physical line of its first character
    std::size_t last = 0;     // physical line it ends on
};

bool white(char c) { return c == ' ' || c == '\t' || c == '\f'; }

// Java's LineReader over bytes, with physical line numbers kept.
std::vector<ModelLine> logical_lines(std::string_view t)
{
    std::vector<ModelLine> out;
    ModelLine cur;
    std::size_t line = 1;
    bool skip_white = true, comment = false, new_line = true, appended = false, backslash = false;
    bool skip_lf = false;
    for (std::size_t i = 0; i <= t.size(); ++i) {
        if (i == t.size()) {
            if (!cur.raw.empty() && !comment) {
                if (backslash) cur.raw.pop_back();
                cur.last = line;
                out.push_back(cur);
            }
            break;
        }
        char c = t[i];
        // The physical line this character is on; "\r\n" ends one line.
        std::size_t here = line;
        if (c == '\n' || (c == '\r' && !(i + 1 < t.size() && t[i + 1] == '\n'))) ++line;
        if (skip_lf) {
            skip_lf = false;
            if (c == '\n') continue;
        }
        if (skip_white) {
            if (white(c)) continue;
            if (!appended && (c == '\r' || c == '\n')) continue;
            skip_white = false;
            appended = false;
        }
        if (new_line) {
            new_line = false;
            cur.first = here;
            if (c == '#' || c == '!') {
                comment = true;
                continue;
            }
        }
        if (c != '\n' && c != '\r') {
            if (!comment) cur.raw += c;
            backslash = c == '\\' ? !backslash : false;
            continue;
        }
        if (comment || cur.raw.empty()) {
            comment = false;
            new_line = true;
            skip_white = true;
            backslash = false;
            cur = ModelLine{};
            continue;
        }
        if (backslash) {
            cur.raw.pop_back();
            skip_white = true;
            appended = true;
            backslash = false;
            if (c == '\r') skip_lf = true;
            continue;
        }
        cur.last = here;
        out.push_back(cur);
        cur = ModelLine{};
        new_line = true;
        skip_white = true;
    }
    return out;
}

void utf8(std::string& out, unsigned long cp)
{
    if (cp < 0x80) {
        out += char(cp);
    } else if (cp < 0x800) {
        out += char(0xC0 + (cp >> 6));
        out += char(0x80 + (cp & 63));
    } else if (cp < 0x10000) {
        out += char(0xE0 + (cp >> 12));
        out += char(0x80 + ((cp >> 6) & 63));
        out += char(0x80 + (cp & 63));
    } else {
        out += char(0xF0 + (cp >> 18));
        out += char(0x80 + ((cp >> 12) & 63));
        out += char(0x80 + ((cp >> 6) & 63));
        out += char(0x80 + (cp & 63));
    }
}

long hex4(std::string_view s, std::size_t at)
{
    if (at + 4 > s.size()) return -1;
    long v = 0;
    for (std::size_t k = at; k < at + 4; ++k) {
        char c = s[k];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0) return -1;
        v = v * 16 + d;
    }
    return v;
}

// loadConvert; false on a malformed or half surrogate \u escape.
bool convert(std::string_view s, std::string& out)
{
    out.clear();
    std::size_t i = 0;
    while (i < s.size()) {
        char c = s[i++];
        if (c != '\\') {
            out += c;
            continue;
        }
        if (i == s.size()) break;
        c = s[i++];
        if (c == 'u') {
            long cp = hex4(s, i);
            if (cp < 0) return false;
            i += 4;
            if (cp >= 0xDC00 && cp <= 0xDFFF) return false;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (!(i + 1 < s.size() && s[i] == '\\' && s[i + 1] == 'u')) return false;
                long lo = hex4(s, i + 2);
                if (lo < 0xDC00 || lo > 0xDFFF) return false;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                i += 6;
            }
            utf8(out, static_cast<unsigned long>(cp));
        } else {
            out += c == 't' ? '\t' : c == 'n' ? '\n' : c == 'r' ? '\r' : c == 'f' ? '\f' : c;
        }
    }
    return true;
}

struct ModelResult {
    std::vector<Property> props;
    std::size_t error_line = 0;  // 0: none
    bool nul = false;            // the error is a NUL byte
};

ModelResult model(std::string_view text)
{
    ModelResult r;
    // The first physical line holding a NUL: an error once reached.
    std::size_t nul_line = 0, line = 1;
    for (std::size_t i = 0; i < text.size() && !nul_line; ++i) {
        if (text[i] == '\0') nul_line = line;
        if (text[i] == '\n' || (text[i] == '\r' && !(i + 1 < text.size() && text[i + 1] == '\n'))) ++line;
    }
    for (const ModelLine& l : logical_lines(text)) {
        if (nul_line && l.last >= nul_line) break;
        // Key: up to the first unescaped '=', ':' or white space.
        std::size_t k = 0;
        bool esc = false, sep = false;
        for (; k < l.raw.size(); ++k) {
            char c = l.raw[k];
            if (esc) {
                esc = false;
            } else if (c == '\\') {
                esc = true;
            } else if (c == '=' || c == ':' || white(c)) {
                sep = c != ' ' && c != '\t' && c != '\f';
                break;
            }
        }
        std::size_t v = k < l.raw.size() ? k + 1 : k;
        while (v < l.raw.size()) {
            char c = l.raw[v];
            if (white(c)) {
                ++v;
            } else if (!sep && (c == '=' || c == ':')) {
                sep = true;
                ++v;
            } else {
                break;
            }
        }
        Property p;
        p.line = l.first;
        if (!convert(std::string_view(l.raw).substr(0, k), p.key) || !convert(std::string_view(l.raw).substr(v), p.value)) {
            r.error_line = l.first;
            return r;
        }
        r.props.push_back(std::move(p));
    }
    if (nul_line) {
        r.error_line = nul_line;
        r.nul = true;
    }
    return r;
}

// ---- the other properties ----------------------------------------------------

constexpr std::string_view kMarker = "Zq9-marker-pw";

// What was accepted, printed at exit: [mode][0 refused, 1 accepted].
unsigned long g_seen[3][2];
unsigned long g_settings;  // properties that gave settings

void report_seen()
{
    std::fprintf(stderr,
                 "fuzz_configdb_properties: accepted/refused: properties %lu/%lu (settings %lu), JDBC URLs %lu/%lu, "
                 "arguments %lu/%lu\n",
                 g_seen[0][1], g_seen[0][0], g_settings, g_seen[1][1], g_seen[1][0], g_seen[2][1], g_seen[2][0]);
}

bool same_place(const Endpoint& a, const Endpoint& b)
{
    return a.host == b.host && a.port == b.port && a.database == b.database;
}

// `from_url`: the endpoint came from a JDBC URL (so its database name holds
// no '?', which would start the URL's parameters).
void check_accepted_endpoint(const Endpoint& e, bool from_url)
{
    if (e.host.empty()) fail("an accepted endpoint without a host");
    if (e.port == 0) fail("an accepted endpoint with port 0");
    if (e.database.empty() || e.database.size() > 64) fail("an accepted endpoint without a valid database name");
    Endpoint again;
    std::string url = "jdbc:mysql://" + e.where() + "/" + e.database;
    if (from_url && (!ox::configdb::parse_jdbc_url(url, again).empty() || !same_place(again, e))) {
        fail("jdbc:mysql://where()/database does not parse back to the same endpoint");
    }
    Endpoint hd;
    if (!ox::configdb::parse_host_database(e.where() + "/" + e.database, hd).empty() || !same_place(hd, e)) {
        fail("where()/database does not parse back through parse_host_database");
    }
}

void properties(std::string_view text)
{
    std::vector<Property> got;
    std::string err = ox::configdb::parse_properties(text, got);
    ++g_seen[0][err.empty()];
    ModelResult want = model(text);
    if (want.error_line) {
        if (err.empty()) fail("parse_properties accepted what the model refuses");
        std::string prefix = "line " + std::to_string(want.error_line) + ": ";
        if (err.compare(0, prefix.size(), prefix) != 0) fail("the error names another line than the model's");
        if ((err.find("NUL") != std::string::npos) != want.nul) fail("another error than the model's");
    } else {
        if (!err.empty()) fail("parse_properties refused what the model accepts");
        // A logical line that is empty once its continuation is joined (a
        // line that is one backslash) is a property with an empty key and
        // value for some Java versions and none for others; such a property
        // has no effect, so it is left out on both sides.
        auto drop_empty = [](std::vector<Property>& v) {
            std::vector<Property> kept;
            for (Property& p : v) {
                if (!p.key.empty() || !p.value.empty()) kept.push_back(std::move(p));
            }
            v = std::move(kept);
        };
        drop_empty(got);
        drop_empty(want.props);
        if (got.size() != want.props.size()) fail("another number of properties than the model's");
        for (std::size_t i = 0; i < got.size(); ++i) {
            if (got[i].key != want.props[i].key) fail("a key differs from the model's");
            if (got[i].value != want.props[i].value) fail("a value differs from the model's");
            if (got[i].line != want.props[i].line) fail("a property's line differs from the model's");
        }
    }

    // Settings, with a marker password that must never be shown.
    std::string with(text);
    with += "\nreadProperty.9001=password=";
    with += kMarker;
    with += "\nwriteProperty.9001=password=";
    with += kMarker;
    with += "\n";
    ModelResult wm = model(with);
    ox::configdb::Settings s;
    std::string serr = ox::configdb::settings_from_properties(with, s);
    if (!serr.empty()) {
        // Only when the marker is what it is meant to be: a password, and
        // nothing else in the file.
        std::size_t as_password = 0, elsewhere = 0;
        for (const Property& p : wm.props) {
            if (p.value == "password=" + std::string(kMarker)) ++as_password;
            else if (p.key.find(kMarker) != std::string::npos || p.value.find(kMarker) != std::string::npos) ++elsewhere;
        }
        if (as_password > 0 && elsewhere == 0 && serr.find(kMarker) != std::string::npos) {
            fail("a password appears in an error text");
        }
        return;
    }
    if (wm.error_line) fail("settings from a file the model refuses");
    ++g_settings;
    if (s.read.user.empty() || s.write.user.empty()) fail("settings without a user");
    const Property* urls[2] = {nullptr, nullptr};
    for (const Property& p : wm.props) {
        if (p.key == "readUrl") urls[0] = &p;
        if (p.key == "writeUrl") urls[1] = &p;
    }
    if (!urls[0] || !urls[1]) fail("settings without readUrl or writeUrl");
    const Endpoint* sides[2] = {&s.read, &s.write};
    for (int i = 0; i < 2; ++i) {
        Endpoint e;
        if (!ox::configdb::parse_jdbc_url(urls[i]->value, e).empty() || !same_place(e, *sides[i])) {
            fail("an endpoint is not the one its last URL names");
        }
        check_accepted_endpoint(*sides[i], true);
    }
}

// %XX-decodes; false on a malformed escape.
bool unpercent(std::string_view in, std::string& out)
{
    out.clear();
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (in[i] != '%') {
            out += in[i];
            continue;
        }
        if (in.size() - i < 3) return false;
        auto hex = [](char c) {
            return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        };
        int hi = hex(in[i + 1]), lo = hex(in[i + 2]);
        if (hi < 0 || lo < 0) return false;
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
    }
    return true;
}

void jdbc_url(std::string_view url)
{
    Endpoint e;
    e.user = "u0";
    e.password = "p0";
    bool ok = ox::configdb::parse_jdbc_url(url, e).empty();
    ++g_seen[1][ok];
    if (!ok) {
        if (e.user != "u0" || e.password != "p0" || !e.host.empty()) fail("a refused URL changed the endpoint");
        return;
    }
    check_accepted_endpoint(e, true);
    // The parameters: '&'-separated NAME=VALUE pairs, %-decoded; the last
    // user= and password= set the login unless empty, others are ignored.
    std::string user_param, password_param, name, value;
    std::size_t q = url.find('?');
    std::string_view params = q == std::string_view::npos ? std::string_view() : url.substr(q + 1);
    while (!params.empty()) {
        std::size_t amp = params.find('&');
        std::string_view pair = params.substr(0, amp);
        params = amp == std::string_view::npos ? std::string_view() : params.substr(amp + 1);
        std::size_t eq = pair.find('=');
        if (eq == std::string_view::npos) continue;
        if (!unpercent(pair.substr(0, eq), name) || !unpercent(pair.substr(eq + 1), value)) {
            fail("a URL with a malformed %-escape accepted");
        }
        if (name == "user") user_param = value;
        if (name == "password") password_param = value;
    }
    if (e.user != (user_param.empty() ? "u0" : user_param) || e.password != (password_param.empty() ? "p0" : password_param)) {
        fail("user or password is not the URL's");
    }
}

void arguments(std::string_view text)
{
    std::vector<std::string> args;
    bool has_password = false;
    for (std::size_t at = 0; at <= text.size();) {
        std::size_t nl = text.find('\n', at);
        if (nl == std::string_view::npos) nl = text.size();
        args.emplace_back(text.substr(at, nl - at));
        if (args.back().compare(0, 9, "password=") == 0) has_password = true;
        at = nl + 1;
    }
    if (text.find(kMarker) != std::string_view::npos) has_password = true;  // no marker then
    if (!has_password) args.insert(args.begin() + static_cast<long>(args.size() / 2), "password=" + std::string(kMarker));
    ox::configdb::Settings s;
    std::string path;
    std::string err = ox::configdb::parse_arguments(args, s, path);
    ++g_seen[2][err.empty()];
    if (!err.empty()) {
        if (!has_password && err.find(kMarker) != std::string::npos) fail("a password= argument appears in an error text");
        return;
    }
    if (s.poll_seconds < 1 || s.poll_seconds > 3600) fail("poll outside 1..3600");
    if (!path.empty()) return;
    if (s.write.user.empty() || s.read.user != s.write.user) fail("user= not set on both sides");
    check_accepted_endpoint(s.write, false);
    check_accepted_endpoint(s.read, false);
    bool read_given = false;
    for (const std::string& a : args) read_given = read_given || a.compare(0, 5, "read=") == 0;
    if (!read_given && !same_place(s.read, s.write)) fail("read= does not default to write=");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    if (size < 1) return 0;
    static bool reporting = std::atexit(report_seen) == 0;
    (void)reporting;
    g_input = std::string_view(reinterpret_cast<const char*>(data), size);
    std::string_view rest = g_input.substr(1);
    switch (data[0] % 3) {
    case 0: properties(rest); break;
    case 1: jdbc_url(rest); break;
    default: arguments(rest); break;
    }
    return 0;
}
