// The status page's three renderings, checked as their readers would:
// - JSON through a strict RFC 8259 parser written here: it parses, has
//   exactly the documented fields (docs/status.md lists each), with the
//   right types and values; hostile strings come back as they went in.
// - Prometheus metrics through a strict line-by-line check of text format
//   0.0.4 written from the spec: HELP and TYPE before each metric's
//   samples, one group per metric, names, labels and escapes, values; then
//   the values themselves. Every metric is listed in docs/status.md.
// - HTML through a small tokenizer: tags balance, attribute values decode
//   back to the member's identity, hostile names never become markup, no
//   script, no style attribute, the CSP's hash matches the style; the
//   page's own form, encoded as a browser would, parses into the action.
// And the escaping helpers and ISO-8601 times those rest on.
#include <openssl/evp.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "status/actions.h"
#include "status/escape.h"
#include "status/render_html.h"
#include "status/render_json.h"
#include "status/render_metrics.h"
#include "unit_util.h"

using ox::AdminState;
using ox::Health;
namespace st = ox::status;

namespace {

constexpr std::int64_t kNow = 1714566896789;  // 2024-05-01T12:34:56.789Z
constexpr std::uint64_t kMax64 = 18446744073709551615ull;

bool contains(const std::string& s, std::string_view part) { return s.find(part) != std::string::npos; }

// ---- the snapshots ------------------------------------------------------------

st::StatusModel model()
{
    st::StatusModel m;
    m.server_name = "ox.example.com";
    m.module_version = "0.1.0";
    m.generated_ms = kNow;
    m.sessions_window_minutes = 10;
    m.leader_pid = 4242;

    st::BalancerStatus b;
    b.name = "oxcluster";
    b.lbmethod = "byrequests";
    b.sticky_cookie = "JSESSIONID";
    b.failover = true;

    st::MemberStatus m1;
    m1.url = "ajp://10.20.30.213:8009";
    m1.route = "OX1";
    m1.admin = AdminState::draining;
    m1.config_admin = AdminState::active;
    m1.health = Health::up;
    m1.probe = {"cping", "CPong", 1234, kNow - 2000, 0, 5};
    m1.loadfactor = 50;
    m1.in_flight = 3;
    m1.requests = 1234;
    m1.failures = 5;
    m1.new_sessions = 100;
    m1.sticky = 1000;
    m1.failovers = 7;
    m1.bytes_sent = 2048;
    m1.bytes_received = 5368709120ull;  // 5 GiB
    m1.reuse_pings = 41;
    m1.stale_dropped = 42;
    m1.idle_replaced = 43;
    m1.resent = 44;
    m1.error_until_ms = kNow - 1;       // over: not shown
    m1.last_session_ms = kNow - 42000;
    m1.sessions_recent = 17;
    b.members.push_back(m1);

    st::MemberStatus m2;
    m2.url = "ajp://10.20.30.215:8009";
    m2.route = "OX2";
    m2.admin = AdminState::active;
    m2.config_admin = AdminState::active;
    m2.health = Health::down;
    m2.probe = {"cping", "connect: Connection refused", 2000000, kNow - 1000, 3, 0};
    m2.loadfactor = 50;
    m2.requests = kMax64;
    m2.error_until_ms = kNow + 30000;
    m2.last_session_ms = 0;
    b.members.push_back(m2);
    m.balancers.push_back(b);

    st::BalancerStatus sync;
    sync.name = "oxcluster_sync";
    sync.lbmethod = "bybusyness";
    sync.sticky_cookie = "JSESSIONID";
    sync.failover = false;
    st::MemberStatus m3;
    m3.url = "ajp://10.20.30.213:8009";
    m3.route = "";
    m3.admin = AdminState::standby;
    m3.config_admin = AdminState::standby;
    m3.loadfactor = 1;
    sync.members.push_back(m3);
    st::MemberStatus m4 = m3;  // probed, no probe yet
    m4.url = "ajp://10.20.30.216:8009";
    m4.admin = AdminState::disabled;
    m4.probe.method = "http";
    sync.members.push_back(m4);
    m.balancers.push_back(sync);
    return m;
}

// model() with OXConfigDB: read fine a minute ago, or in an outage since
// 30 s (the data 90 s old).
st::StatusModel with_configdb(bool outage)
{
    st::StatusModel m = model();
    st::ConfigdbStatus& c = m.configdb;
    c.configured = true;
    c.read_host = "db-replica:3306/configdb";
    c.write_host = "db-primary:3306/configdb";
    c.poll_seconds = 5;
    c.last_success_ms = m.generated_ms - (outage ? 90000 : 60000);
    c.last_attempt_ms = m.generated_ms - 1000;
    c.outage_since_ms = outage ? m.generated_ms - 30000 : 0;
    c.last_error = outage ? "configdb read host db-replica:3306: <refused>" : "";
    c.last_error_ms = outage ? m.generated_ms - 1000 : 0;
    c.polls = 40;
    c.poll_failures = outage ? 6 : 0;
    c.writes = 3;
    c.write_failures = 1;
    c.last_write_error = "configdb write host db-primary:3306: gone";
    c.last_write_error_ms = m.generated_ms - 20000;
    // Up: announced two minutes ago; in the outage, announcing fails too.
    c.frontend = "fe1.example.com:/etc/apache2";
    c.announced_members = 7;
    c.last_announce_ms = m.generated_ms - 120000;
    c.announce_failing_since_ms = outage ? m.generated_ms - 25000 : 0;
    c.announce_error = outage ? "INSERT command denied to user 'ox'<b>" : "";
    // In the outage's model, the last good read had three rows this
    // configuration lacks, two of them listed.
    if (outage) {
        c.unknown_rows = 3;
        c.unknown_members = {{"cdb", "OX9"}, {"no<such>", "OX1"}};
    }
    return m;
}

const std::string kEvilRoute = "<script>alert(1)</script>";
const std::string kEvilUrl = "ajp://h:1/\"><img src=x onerror=alert(1)>&amp;'";
const std::string kEvilBalancer = "evil\"b\\a\nl<i>'&";
// Control characters, quote, backslash, newline, invalid UTF-8 (a lone
// 0xFF, an overlong '/', a lone continuation byte, a surrogate), U+2028,
// and valid UTF-8 that must pass unchanged.
const std::string kEvilText = "bad\x01\"\\\n\xFF\xC0\xAF\x80\xED\xA0\x80 \xE2\x80\xA8 \xC3\xBC\xE2\x82\xAC\xF0\x9F\x98\x80 <>&\x7F";
// The same with every invalid byte replaced by U+FFFD.
const std::string kEvilTextClean =
    "bad\x01\"\\\n\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD "
    "\xE2\x80\xA8 \xC3\xBC\xE2\x82\xAC\xF0\x9F\x98\x80 <>&\x7F";

st::StatusModel hostile()
{
    st::StatusModel m = model();
    m.server_name = "</title><script>alert(1)</script>";
    m.module_version = kEvilText;
    st::BalancerStatus& b = m.balancers[0];
    b.name = kEvilBalancer;
    b.sticky_cookie = kEvilText;
    b.members[0].route = kEvilRoute;
    b.members[0].url = kEvilUrl;
    b.members[0].probe.result = kEvilText;
    b.members[1].probe.method = kEvilText;
    return m;
}

std::string iso(std::int64_t ms)
{
    char buf[st::kIsoTimeChars + 1];
    return std::string(st::format_iso8601_utc(ms, buf));
}

std::string srcdir()
{
    const char* d = std::getenv("OXB_SRCDIR");
    return d && *d ? d : "..";
}

std::string doc_text()
{
    std::ifstream in(srcdir() + "/docs/status.md");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// ---- UTF-8, independently of libox --------------------------------------------

// Decodes one code point; false for anything RFC 3629 does not allow.
bool next_code_point(std::string_view s, std::size_t& i, std::uint32_t& cp)
{
    auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    unsigned char c = b(i);
    int n;
    if (c < 0x80) { cp = c; n = 0; }
    else if ((c & 0xE0) == 0xC0) { cp = c & 0x1F; n = 1; }
    else if ((c & 0xF0) == 0xE0) { cp = c & 0x0F; n = 2; }
    else if ((c & 0xF8) == 0xF0) { cp = c & 0x07; n = 3; }
    else return false;
    if (n > 0 && i + static_cast<std::size_t>(n) >= s.size()) return false;
    for (int k = 1; k <= n; ++k) {
        if ((b(i + k) & 0xC0) != 0x80) return false;
        cp = (cp << 6) | (b(i + k) & 0x3F);
    }
    static const std::uint32_t min[] = {0, 0x80, 0x800, 0x10000};
    if (cp < min[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += static_cast<std::size_t>(n) + 1;
    return true;
}

bool valid_utf8(std::string_view s)
{
    std::size_t i = 0;
    std::uint32_t cp;
    while (i < s.size())
        if (!next_code_point(s, i, cp)) return false;
    return true;
}

void put_utf8(std::string& out, std::uint32_t cp)
{
    if (cp < 0x80) out += static_cast<char>(cp);
    else if (cp < 0x800) { out += static_cast<char>(0xC0 | (cp >> 6)); out += static_cast<char>(0x80 | (cp & 0x3F)); }
    else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

// ---- a strict JSON parser (RFC 8259) -------------------------------------------

struct Json {
    enum Kind { null_v, bool_v, number_v, string_v, array_v, object_v } kind = null_v;
    bool b = false;
    std::string text;  // number text, or string value
    std::vector<Json> items;
    std::vector<std::pair<std::string, Json>> members;

    const Json& operator[](std::string_view key) const
    {
        for (const auto& m : members)
            if (m.first == key) return m.second;
        static const Json missing{};
        ck_abort_msg("no key '%.*s'", static_cast<int>(key.size()), key.data());
        return missing;
    }
    bool has(std::string_view key) const
    {
        for (const auto& m : members)
            if (m.first == key) return true;
        return false;
    }
    std::set<std::string> keys() const
    {
        std::set<std::string> k;
        for (const auto& m : members) k.insert(m.first);
        return k;
    }
};

class JsonParser {
public:
    explicit JsonParser(std::string_view t) : t_(t) {}

    std::string parse(Json& out)
    {
        if (!valid_utf8(t_)) return "not UTF-8";
        ws();
        if (!value(out, 0)) return err_ + " at byte " + std::to_string(i_);
        ws();
        if (i_ != t_.size()) return "text after the value at byte " + std::to_string(i_);
        return {};
    }

private:
    bool bad(const char* why)
    {
        if (err_.empty()) err_ = why;
        return false;
    }
    void ws()
    {
        while (i_ < t_.size() && (t_[i_] == ' ' || t_[i_] == '\t' || t_[i_] == '\n' || t_[i_] == '\r')) ++i_;
    }
    bool lit(std::string_view w)
    {
        if (t_.substr(i_, w.size()) != w) return bad("bad literal");
        i_ += w.size();
        return true;
    }
    bool digits()
    {
        std::size_t s = i_;
        while (i_ < t_.size() && t_[i_] >= '0' && t_[i_] <= '9') ++i_;
        return i_ > s;
    }
    bool number(Json& j)
    {
        std::size_t s = i_;
        if (t_[i_] == '-') ++i_;
        if (i_ < t_.size() && t_[i_] == '0') ++i_;
        else if (!digits()) return bad("bad number");
        if (i_ < t_.size() && t_[i_] == '.') {
            ++i_;
            if (!digits()) return bad("bad fraction");
        }
        if (i_ < t_.size() && (t_[i_] == 'e' || t_[i_] == 'E')) {
            ++i_;
            if (i_ < t_.size() && (t_[i_] == '+' || t_[i_] == '-')) ++i_;
            if (!digits()) return bad("bad exponent");
        }
        j.kind = Json::number_v;
        j.text = std::string(t_.substr(s, i_ - s));
        return true;
    }
    bool hex4(std::uint32_t& v)
    {
        if (t_.size() - i_ < 4) return bad("short \\u");
        v = 0;
        for (int k = 0; k < 4; ++k) {
            char c = t_[i_++];
            int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
            if (d < 0) return bad("bad \\u digit");
            v = v * 16 + static_cast<std::uint32_t>(d);
        }
        return true;
    }
    bool string(std::string& out)
    {
        if (t_[i_] != '"') return bad("expected a string");
        ++i_;
        out.clear();
        for (;;) {
            if (i_ >= t_.size()) return bad("unterminated string");
            auto c = static_cast<unsigned char>(t_[i_]);
            if (c == '"') { ++i_; return true; }
            if (c < 0x20) return bad("raw control character in a string");
            if (c != '\\') { out += static_cast<char>(c); ++i_; continue; }
            if (++i_ >= t_.size()) return bad("dangling backslash");
            char e = t_[i_++];
            switch (e) {
            case '"': out += '"'; break;
            case '\\': out += '\\'; break;
            case '/': out += '/'; break;
            case 'b': out += '\b'; break;
            case 'f': out += '\f'; break;
            case 'n': out += '\n'; break;
            case 'r': out += '\r'; break;
            case 't': out += '\t'; break;
            case 'u': {
                std::uint32_t v;
                if (!hex4(v)) return false;
                if (v >= 0xDC00 && v <= 0xDFFF) return bad("lone low surrogate");
                if (v >= 0xD800 && v <= 0xDBFF) {
                    std::uint32_t lo;
                    if (t_.substr(i_, 2) != "\\u") return bad("lone high surrogate");
                    i_ += 2;
                    if (!hex4(lo) || lo < 0xDC00 || lo > 0xDFFF) return bad("bad surrogate pair");
                    v = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00);
                }
                put_utf8(out, v);
                break;
            }
            default: return bad("unknown escape");
            }
        }
    }
    bool value(Json& j, int depth)
    {
        if (depth > 20) return bad("too deep");
        if (i_ >= t_.size()) return bad("unexpected end");
        char c = t_[i_];
        if (c == 'n') { j.kind = Json::null_v; return lit("null"); }
        if (c == 't') { j.kind = Json::bool_v; j.b = true; return lit("true"); }
        if (c == 'f') { j.kind = Json::bool_v; j.b = false; return lit("false"); }
        if (c == '"') { j.kind = Json::string_v; return string(j.text); }
        if (c == '-' || (c >= '0' && c <= '9')) return number(j);
        if (c == '[') {
            j.kind = Json::array_v;
            ++i_;
            ws();
            if (i_ < t_.size() && t_[i_] == ']') { ++i_; return true; }
            for (;;) {
                j.items.emplace_back();
                ws();
                if (!value(j.items.back(), depth + 1)) return false;
                ws();
                if (i_ < t_.size() && t_[i_] == ',') { ++i_; continue; }
                if (i_ < t_.size() && t_[i_] == ']') { ++i_; return true; }
                return bad("expected , or ]");
            }
        }
        if (c == '{') {
            j.kind = Json::object_v;
            ++i_;
            ws();
            if (i_ < t_.size() && t_[i_] == '}') { ++i_; return true; }
            for (;;) {
                ws();
                std::string key;
                if (i_ >= t_.size() || !string(key)) return bad("expected a key");
                for (const auto& m : j.members)
                    if (m.first == key) return bad("duplicate key");
                ws();
                if (i_ >= t_.size() || t_[i_] != ':') return bad("expected :");
                ++i_;
                ws();
                j.members.emplace_back(key, Json{});
                if (!value(j.members.back().second, depth + 1)) return false;
                ws();
                if (i_ < t_.size() && t_[i_] == ',') { ++i_; continue; }
                if (i_ < t_.size() && t_[i_] == '}') { ++i_; return true; }
                return bad("expected , or }");
            }
        }
        return bad("unexpected character");
    }

    std::string_view t_;
    std::size_t i_ = 0;
    std::string err_;
};

Json parse_json(const std::string& text)
{
    Json j;
    std::string err = JsonParser(text).parse(j);
    ck_assert_msg(err.empty(), "invalid JSON: %s", err.c_str());
    return j;
}

// Every key path in a document: "balancers[].members[].probe.method".
void key_paths(const Json& j, const std::string& prefix, std::set<std::string>& out)
{
    if (j.kind == Json::object_v) {
        for (const auto& m : j.members) {
            std::string p = prefix.empty() ? m.first : prefix + "." + m.first;
            out.insert(p);
            key_paths(m.second, p, out);
        }
    } else if (j.kind == Json::array_v) {
        for (const auto& i : j.items) key_paths(i, prefix + "[]", out);
    }
}

#define CK_JSON_STR(j, expected)                                             \
    do {                                                                     \
        ck_assert_int_eq((j).kind, Json::string_v);                          \
        CK_ASSERT_STRING_EQ((j).text, (expected));                           \
    } while (0)
#define CK_JSON_NUM(j, expected)                                             \
    do {                                                                     \
        ck_assert_int_eq((j).kind, Json::number_v);                          \
        CK_ASSERT_STRING_EQ((j).text, (expected));                           \
    } while (0)
#define CK_JSON_NULL(j) ck_assert_int_eq((j).kind, Json::null_v)

// ---- a strict checker of the Prometheus text format 0.0.4 ------------------------
//
// From the spec (prometheus.io/docs/instrumenting/exposition_formats, "Text
// format details"): lines separated by '\n', the last one ending with it;
// empty lines ignored; '#' lines are HELP, TYPE or ignored comments; HELP
// escapes \\ and \n only, TYPE is one of counter, gauge, histogram,
// summary, untyped and comes once, before the metric's first sample; a
// sample is name, optional {label="value",...}, value, optional timestamp,
// separated by blanks; label values escape \\, \" and \n only and are
// UTF-8; values are Go floats or NaN, +Inf, -Inf; a metric's lines form
// one group. Stricter than the spec on our own account: every metric has
// HELP and TYPE, no sample has a timestamp, no series appears twice,
// counters end in _total and are >= 0, and only counter and gauge occur.

struct Sample {
    std::string name;
    std::vector<std::pair<std::string, std::string>> labels;  // decoded values
    std::string value;

    std::string label(std::string_view n) const
    {
        for (const auto& l : labels)
            if (l.first == n) return l.second;
        return "<absent>";
    }
};

struct Family {
    std::string name, help, type;
    std::vector<Sample> samples;
};

bool metric_name_ok(std::string_view n)
{
    if (n.empty()) return false;
    for (std::size_t i = 0; i < n.size(); ++i) {
        char c = n[i];
        bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
        if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
    }
    return true;
}

bool label_name_ok(std::string_view n)
{
    if (n.empty() || n.substr(0, 2) == "__") return false;
    for (std::size_t i = 0; i < n.size(); ++i) {
        char c = n[i];
        bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
        if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
    }
    return true;
}

bool float_ok(std::string_view v)
{
    if (v == "NaN" || v == "+Inf" || v == "-Inf") return true;
    std::size_t i = 0;
    if (i < v.size() && (v[i] == '+' || v[i] == '-')) ++i;
    std::size_t int_digits = 0, frac_digits = 0;
    while (i < v.size() && v[i] >= '0' && v[i] <= '9') { ++i; ++int_digits; }
    if (i < v.size() && v[i] == '.') {
        ++i;
        while (i < v.size() && v[i] >= '0' && v[i] <= '9') { ++i; ++frac_digits; }
    }
    if (int_digits + frac_digits == 0) return false;
    if (i < v.size() && (v[i] == 'e' || v[i] == 'E')) {
        ++i;
        if (i < v.size() && (v[i] == '+' || v[i] == '-')) ++i;
        std::size_t e = 0;
        while (i < v.size() && v[i] >= '0' && v[i] <= '9') { ++i; ++e; }
        if (e == 0) return false;
    }
    return i == v.size();
}

// "" or "line N: what is wrong".
std::string check_exposition(const std::string& text, std::vector<Family>& out)
{
    out.clear();
    if (text.empty()) return "empty exposition";
    if (text.back() != '\n') return "the last line does not end with a line feed";
    if (!valid_utf8(text)) return "not UTF-8";
    std::map<std::string, std::size_t> index;  // name -> family
    std::set<std::string> closed;              // families whose group ended
    std::set<std::string> series;
    std::string current;                       // the family of the last sample
    std::size_t line_no = 0;
    std::size_t pos = 0;
    auto family = [&](const std::string& name) -> Family& {
        auto it = index.find(name);
        if (it == index.end()) {
            it = index.emplace(name, out.size()).first;
            out.push_back(Family{name, "", "", {}});
        }
        return out[it->second];
    };
    while (pos < text.size()) {
        ++line_no;
        std::size_t nl = text.find('\n', pos);
        std::string line = text.substr(pos, nl - pos);
        pos = nl + 1;
        std::string where = "line " + std::to_string(line_no) + ": ";
        if (line.empty()) continue;
        if (line.find('\r') != std::string::npos) return where + "carriage return";
        if (line[0] == '#') {
            std::istringstream in(line.substr(1));
            std::string kw, name;
            in >> kw;
            if (kw != "HELP" && kw != "TYPE") continue;  // a plain comment
            if (line.compare(0, 7, "# " + kw + " ") != 0) return where + "expected '# " + kw + " '";
            std::string rest = line.substr(7);
            std::size_t sp = rest.find(' ');
            name = rest.substr(0, sp);
            if (!metric_name_ok(name)) return where + "bad metric name '" + name + "'";
            if (name != current && current.size()) closed.insert(current);
            if (closed.count(name) || (index.count(name) && !family(name).samples.empty()))
                return where + kw + " for " + name + " after its samples";
            Family& f = family(name);
            std::string arg = sp == std::string::npos ? "" : rest.substr(sp + 1);
            if (kw == "HELP") {
                if (!f.help.empty()) return where + "second HELP for " + name;
                std::string h;
                for (std::size_t i = 0; i < arg.size(); ++i) {
                    if (arg[i] != '\\') { h += arg[i]; continue; }
                    if (++i >= arg.size()) return where + "dangling backslash in HELP";
                    if (arg[i] == '\\') h += '\\';
                    else if (arg[i] == 'n') h += '\n';
                    else return where + "invalid escape in HELP";
                }
                if (h.empty()) return where + "empty HELP";
                f.help = h;
            } else {
                if (!f.type.empty()) return where + "second TYPE for " + name;
                static const std::set<std::string> types = {"counter", "gauge", "histogram", "summary", "untyped"};
                if (!types.count(arg)) return where + "unknown type '" + arg + "'";
                if (arg != "counter" && arg != "gauge") return where + "only counters and gauges expected";
                f.type = arg;
            }
            current = name;
            continue;
        }
        // A sample.
        Sample s;
        std::size_t i = 0;
        while (i < line.size() && line[i] != '{' && line[i] != ' ' && line[i] != '\t') ++i;
        s.name = line.substr(0, i);
        if (!metric_name_ok(s.name)) return where + "bad metric name '" + s.name + "'";
        std::string key = s.name + "{";
        if (i < line.size() && line[i] == '{') {
            ++i;
            std::set<std::string> names;
            while (i < line.size() && line[i] != '}') {
                std::size_t eq = line.find('=', i);
                if (eq == std::string::npos) return where + "label without '='";
                std::string ln = line.substr(i, eq - i);
                if (!label_name_ok(ln)) return where + "bad label name '" + ln + "'";
                if (!names.insert(ln).second) return where + "label " + ln + " twice";
                i = eq + 1;
                if (i >= line.size() || line[i] != '"') return where + "label value not quoted";
                ++i;
                std::string v;
                for (;;) {
                    if (i >= line.size()) return where + "unterminated label value";
                    char c = line[i++];
                    if (c == '"') break;
                    if (c != '\\') { v += c; continue; }
                    if (i >= line.size()) return where + "dangling backslash";
                    char e = line[i++];
                    if (e == '\\') v += '\\';
                    else if (e == '"') v += '"';
                    else if (e == 'n') v += '\n';
                    else return where + "invalid escape in a label value";
                }
                s.labels.emplace_back(ln, v);
                key += ln + "=" + v + "\x1f";
                if (i < line.size() && line[i] == ',') ++i;
                else if (i < line.size() && line[i] != '}') return where + "expected ',' or '}'";
            }
            if (i >= line.size()) return where + "unterminated label set";
            ++i;
        }
        if (i >= line.size() || (line[i] != ' ' && line[i] != '\t')) return where + "no blank before the value";
        while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
        std::size_t vs = i;
        while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
        s.value = line.substr(vs, i - vs);
        if (!float_ok(s.value)) return where + "bad value '" + s.value + "'";
        if (i != line.size()) return where + "text after the value (a timestamp, or trailing blanks)";
        if (!index.count(s.name)) return where + "sample of " + s.name + " without HELP and TYPE";
        Family& f = family(s.name);
        if (f.help.empty() || f.type.empty()) return where + s.name + " lacks HELP or TYPE";
        if (s.name != current) {
            if (closed.count(s.name)) return where + s.name + " is not one group";
            if (!current.empty()) closed.insert(current);
            current = s.name;
        }
        if (!series.insert(key).second) return where + "series twice: " + s.name;
        if (f.type == "counter") {
            if (s.name.size() < 6 || s.name.compare(s.name.size() - 6, 6, "_total") != 0)
                return where + "counter without _total";
            if (s.value[0] == '-' || s.value == "NaN") return where + "negative counter";
        } else if (s.name.size() >= 6 && s.name.compare(s.name.size() - 6, 6, "_total") == 0) {
            return where + "_total on a " + f.type;
        }
        f.samples.push_back(std::move(s));
    }
    return {};
}

const Family* find_family(const std::vector<Family>& fs, std::string_view name)
{
    for (const Family& f : fs)
        if (f.name == name) return &f;
    return nullptr;
}

// The value of the sample of `metric` for a member (and a state), or "<none>".
std::string metric_value(const std::vector<Family>& fs, std::string_view metric, std::string_view balancer,
                         std::string_view member, std::string_view state = {})
{
    const Family* f = find_family(fs, metric);
    if (!f) return "<no family>";
    for (const Sample& s : f->samples) {
        if (s.label("balancer") == balancer && s.label("member") == member &&
            (state.empty() || s.label("state") == state))
            return s.value;
    }
    return "<none>";
}

// ---- a small HTML tokenizer for the page -------------------------------------------

struct Element {
    std::string name;
    std::vector<std::pair<std::string, std::string>> attrs;  // decoded
    std::string text;                                        // decoded text of it and its descendants
    int parent = -1;

    bool has_attr(std::string_view n) const
    {
        for (const auto& a : attrs)
            if (a.first == n) return true;
        return false;
    }
    std::string attr(std::string_view n) const
    {
        for (const auto& a : attrs)
            if (a.first == n) return a.second;
        return "<absent>";
    }
    bool has_class(std::string_view c) const
    {
        std::istringstream in(attr("class"));
        std::string w;
        while (in >> w)
            if (w == c) return true;
        return false;
    }
};

struct Page {
    std::vector<Element> elements;
    std::string style;  // the content of <style>
};

bool decode_entities(std::string_view in, std::string& out, std::string& err)
{
    out.clear();
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (in[i] != '&') { out += in[i]; continue; }
        std::size_t semi = in.find(';', i);
        if (semi == std::string_view::npos) { err = "bare '&'"; return false; }
        std::string_view ent = in.substr(i, semi - i + 1);
        if (ent == "&amp;") out += '&';
        else if (ent == "&lt;") out += '<';
        else if (ent == "&gt;") out += '>';
        else if (ent == "&quot;") out += '"';
        else if (ent == "&#39;") out += '\'';
        else { err = "unexpected entity " + std::string(ent); return false; }
        i = semi;
    }
    return true;
}

// "" or what is wrong. Raw '<' and '>' never occur in text or attribute
// values (the page escapes them), so a tag is exactly what starts with '<'.
std::string tokenize(const std::string& html, Page& page)
{
    static const std::set<std::string> void_elements = {"meta", "input", "br", "link"};
    if (html.compare(0, 16, "<!DOCTYPE html>\n") != 0) return "no doctype";
    if (!valid_utf8(html)) return "not UTF-8";
    std::vector<int> stack;
    std::size_t i = 16;
    std::string err;
    auto add_text = [&](std::string_view raw) -> bool {
        std::string t;
        if (raw.find('>') != std::string_view::npos) { err = "raw '>' in text"; return false; }
        if (!decode_entities(raw, t, err)) return false;
        for (int k : stack) page.elements[static_cast<std::size_t>(k)].text += t;
        return true;
    };
    while (i < html.size()) {
        std::size_t lt = html.find('<', i);
        if (lt == std::string::npos) lt = html.size();
        if (!add_text(std::string_view(html).substr(i, lt - i))) return err + " near byte " + std::to_string(i);
        if (lt == html.size()) break;
        std::size_t gt = html.find('>', lt);
        if (gt == std::string::npos) return "unterminated tag";
        std::string tag = html.substr(lt + 1, gt - lt - 1);
        i = gt + 1;
        if (tag.find('<') != std::string::npos) return "'<' inside a tag: " + tag;
        if (tag[0] == '/') {
            std::string name = tag.substr(1);
            if (stack.empty() || page.elements[static_cast<std::size_t>(stack.back())].name != name)
                return "unbalanced </" + name + ">";
            stack.pop_back();
            continue;
        }
        Element e;
        std::size_t k = 0;
        while (k < tag.size() && tag[k] != ' ') ++k;
        e.name = tag.substr(0, k);
        for (char c : e.name)
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return "bad tag name " + e.name;
        while (k < tag.size()) {
            if (tag[k] != ' ') return "expected a blank in <" + tag + ">";
            ++k;
            std::size_t ns = k;
            while (k < tag.size() && tag[k] != '=' && tag[k] != ' ') ++k;
            std::string an = tag.substr(ns, k - ns);
            if (an.empty()) return "empty attribute name in <" + tag + ">";
            std::string av;
            if (k < tag.size() && tag[k] == '=') {
                if (++k >= tag.size() || tag[k] != '"') return "unquoted attribute " + an;
                std::size_t q = tag.find('"', k + 1);
                if (q == std::string::npos) return "unterminated attribute " + an;
                if (!decode_entities(std::string_view(tag).substr(k + 1, q - k - 1), av, err)) return err;
                k = q + 1;
            }
            if (e.has_attr(an)) return "attribute " + an + " twice in <" + e.name + ">";
            e.attrs.emplace_back(an, av);
        }
        e.parent = stack.empty() ? -1 : stack.back();
        page.elements.push_back(e);
        int idx = static_cast<int>(page.elements.size()) - 1;
        if (e.name == "style") {
            std::size_t end = html.find("</style>", i);
            if (end == std::string::npos) return "unterminated style";
            page.style = html.substr(i, end - i);
            i = end + 8;
            continue;
        }
        if (!void_elements.count(e.name)) stack.push_back(idx);
    }
    if (!stack.empty()) return "unclosed <" + page.elements[static_cast<std::size_t>(stack.back())].name + ">";
    return {};
}

Page parse_page(const std::string& html)
{
    Page p;
    std::string err = tokenize(html, p);
    ck_assert_msg(err.empty(), "HTML: %s", err.c_str());
    return p;
}

bool inside(const Page& p, std::size_t idx, std::size_t ancestor)
{
    for (int k = p.elements[idx].parent; k >= 0; k = p.elements[static_cast<std::size_t>(k)].parent)
        if (static_cast<std::size_t>(k) == ancestor) return true;
    return false;
}

// The member rows: index of each <tr class="member">.
std::vector<std::size_t> rows(const Page& p)
{
    std::vector<std::size_t> r;
    for (std::size_t i = 0; i < p.elements.size(); ++i)
        if (p.elements[i].name == "tr" && p.elements[i].has_class("member")) r.push_back(i);
    return r;
}

// The first descendant of `row` that is a <td> with class `cls`.
const Element* cell(const Page& p, std::size_t row, std::string_view cls)
{
    for (std::size_t i = row + 1; i < p.elements.size(); ++i)
        if (inside(p, i, row) && p.elements[i].name == "td" && p.elements[i].has_class(cls)) return &p.elements[i];
    return nullptr;
}

// The form of `action` in a row, as name/value pairs of its inputs.
std::vector<std::pair<std::string, std::string>> form_fields(const Page& p, std::size_t row, std::string_view action,
                                                             std::size_t* form_index = nullptr)
{
    std::vector<std::pair<std::string, std::string>> f;
    for (std::size_t i = row + 1; i < p.elements.size(); ++i) {
        const Element& e = p.elements[i];
        if (!inside(p, i, row) || e.name != "form" || e.attr("data-action") != action) continue;
        if (form_index) *form_index = i;
        for (std::size_t k = i + 1; k < p.elements.size(); ++k)
            if (inside(p, k, i) && p.elements[k].name == "input")
                f.emplace_back(p.elements[k].attr("name"), p.elements[k].attr("value"));
        break;
    }
    return f;
}

// application/x-www-form-urlencoded, as browsers encode (WHATWG).
std::string urlencode(const std::vector<std::pair<std::string, std::string>>& fields)
{
    auto enc = [](const std::string& s) {
        std::string o;
        char buf[4];
        for (unsigned char c : s) {
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '*' || c == '-' ||
                c == '.' || c == '_')
                o += static_cast<char>(c);
            else if (c == ' ')
                o += '+';
            else {
                std::snprintf(buf, sizeof buf, "%%%02X", c);
                o += buf;
            }
        }
        return o;
    };
    std::string body;
    for (const auto& f : fields) {
        if (!body.empty()) body += '&';
        body += enc(f.first) + "=" + enc(f.second);
    }
    return body;
}

std::string sha256_base64(const std::string& s)
{
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    EVP_Digest(s.data(), s.size(), d, &n, EVP_sha256(), nullptr);
    unsigned char b64[64] = {};
    EVP_EncodeBlock(b64, d, static_cast<int>(n));
    return reinterpret_cast<char*>(b64);
}

std::string lower(std::string s)
{
    for (char& c : s) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    return s;
}

}  // namespace

// ---- escaping and times ---------------------------------------------------------

START_TEST(utf8_sequences)
{
    struct {
        const char* bytes;
        std::size_t expected;
    } cases[] = {
        {"A", 1}, {"\xC3\xBC", 2}, {"\xE2\x82\xAC", 3}, {"\xF0\x9F\x98\x80", 4}, {"\xF4\x8F\xBF\xBF", 4},
        {"\xED\x9F\xBF", 3},                          // U+D7FF, just below the surrogates
        {"\xEF\xBF\xBD", 3},                          // U+FFFD itself
        {"\x80", 0}, {"\xBF", 0},                     // lone continuation bytes
        {"\xC0\xAF", 0}, {"\xC1\xBF", 0},             // overlong two-byte
        {"\xE0\x80\xAF", 0}, {"\xF0\x80\x80\xAF", 0}, // overlong three and four bytes
        {"\xED\xA0\x80", 0}, {"\xED\xBF\xBF", 0},     // surrogates
        {"\xF4\x90\x80\x80", 0}, {"\xF5\x80\x80\x80", 0}, {"\xFF", 0}, {"\xFE", 0},
        {"\xC3", 0}, {"\xE2\x82", 0}, {"\xF0\x9F\x98", 0},  // cut short
        {"\xC3\x41", 0},                                   // not a continuation
    };
    for (const auto& c : cases) {
        ck_assert_msg(st::utf8_sequence_length(c.bytes) == c.expected, "%s", unit::to_hex(unit::bytes_of(c.bytes)).c_str());
    }
    ck_assert_uint_eq(st::utf8_sequence_length(std::string_view()), 0);
}
END_TEST

START_TEST(escapes)
{
    std::string h;
    st::append_html(h, "<a href=\"x\">&'\x01\xFF\t\xC3\xBC</a>");
    CK_ASSERT_STRING_EQ(h, "&lt;a href=&quot;x&quot;&gt;&amp;&#39;\xEF\xBF\xBD\xEF\xBF\xBD\t\xC3\xBC&lt;/a&gt;");

    std::string j;
    st::append_json_string(j, std::string("q\"b\\s/\b\f\n\r\t\x01\x1f\x7f<>&\0z", 19) + "\xFF\xE2\x80\xA8\xE2\x80\xA9\xC3\xBC");
    CK_ASSERT_STRING_EQ(j, "\"q\\\"b\\\\s/\\b\\f\\n\\r\\t\\u0001\\u001f\\u007f\\u003c\\u003e\\u0026\\u0000z\\ufffd\\u2028\\u2029\xC3\xBC\"");

    std::string l;
    st::append_prometheus_label_value(l, "a\\b\"c\nd\te\xFF");
    CK_ASSERT_STRING_EQ(l, "a\\\\b\\\"c\\nd\te\xEF\xBF\xBD");
    std::string p;
    st::append_prometheus_help(p, "a\\b\"c\nd\xC0");
    CK_ASSERT_STRING_EQ(p, "a\\\\b\"c\\nd\xEF\xBF\xBD");
}
END_TEST

START_TEST(iso_times)
{
    // Known answers (Python's datetime).
    CK_ASSERT_STRING_EQ(iso(0), "1970-01-01T00:00:00.000Z");
    CK_ASSERT_STRING_EQ(iso(kNow), "2024-05-01T12:34:56.789Z");
    CK_ASSERT_STRING_EQ(iso(1709168523004), "2024-02-29T01:02:03.004Z");
    CK_ASSERT_STRING_EQ(iso(951782400000), "2000-02-29T00:00:00.000Z");
    CK_ASSERT_STRING_EQ(iso(4102444800000), "2100-01-01T00:00:00.000Z");
    CK_ASSERT_STRING_EQ(iso(-1), "1969-12-31T23:59:59.999Z");
    CK_ASSERT_STRING_EQ(iso(253402300799999), "9999-12-31T23:59:59.999Z");
    // Clamped, never garbage.
    CK_ASSERT_STRING_EQ(iso(INT64_MAX), "9999-12-31T23:59:59.999Z");
    CK_ASSERT_STRING_EQ(iso(INT64_MIN), "0000-01-01T00:00:00.000Z");
}
END_TEST

// ---- JSON ------------------------------------------------------------------------

START_TEST(json_schema_and_values)
{
    const std::string text = st::render_json(model());
    ck_assert(text.back() == '\n');
    Json d = parse_json(text);
    ck_assert_int_eq(d.kind, Json::object_v);
    CK_JSON_NUM(d["schema"], "1");
    CK_JSON_STR(d["server"], "ox.example.com");
    CK_JSON_STR(d["version"], "0.1.0");
    CK_JSON_STR(d["generated"], "2024-05-01T12:34:56.789Z");
    CK_JSON_NUM(d["generated_ms"], "1714566896789");
    CK_JSON_NUM(d["sessions_window_minutes"], "10");
    ck_assert(d.keys() == (std::set<std::string>{"schema", "server", "version", "generated", "generated_ms",
                                                 "sessions_window_minutes", "leader_pid", "balancers", "configdb"}));
    ck_assert_int_eq(d["configdb"].kind, Json::null_v);
    CK_JSON_NUM(d["leader_pid"], "4242");
    // No leader (no probes and no OXConfigDB, or between two leaders): null.
    st::StatusModel none = model();
    none.leader_pid = 0;
    ck_assert_int_eq(parse_json(st::render_json(none))["leader_pid"].kind, Json::null_v);

    const Json& bs = d["balancers"];
    ck_assert_int_eq(bs.kind, Json::array_v);
    ck_assert_uint_eq(bs.items.size(), 2);
    const Json& b = bs.items[0];
    ck_assert(b.keys() == (std::set<std::string>{"name", "lbmethod", "sticky_cookie", "failover", "members"}));
    CK_JSON_STR(b["name"], "oxcluster");
    CK_JSON_STR(b["lbmethod"], "byrequests");
    CK_JSON_STR(b["sticky_cookie"], "JSESSIONID");
    ck_assert(b["failover"].kind == Json::bool_v && b["failover"].b);
    ck_assert(bs.items[1]["failover"].kind == Json::bool_v && !bs.items[1]["failover"].b);
    CK_JSON_STR(bs.items[1]["lbmethod"], "bybusyness");

    const Json& m1 = b["members"].items[0];
    ck_assert(m1.keys() == (std::set<std::string>{"url", "route", "admin", "config_admin", "health", "loadfactor",
                                                  "in_flight", "error_until", "error_until_ms", "last_session",
                                                  "last_session_ms", "sessions_recent", "probe", "counters"}));
    CK_JSON_STR(m1["url"], "ajp://10.20.30.213:8009");
    CK_JSON_STR(m1["route"], "OX1");
    CK_JSON_STR(m1["admin"], "draining");
    CK_JSON_STR(m1["config_admin"], "active");
    CK_JSON_STR(m1["health"], "up");
    CK_JSON_NUM(m1["loadfactor"], "50");
    CK_JSON_NUM(m1["in_flight"], "3");
    CK_JSON_NULL(m1["error_until"]);  // its window is over
    CK_JSON_NULL(m1["error_until_ms"]);
    CK_JSON_STR(m1["last_session"], "2024-05-01T12:34:14.789Z");
    CK_JSON_NUM(m1["last_session_ms"], "1714566854789");
    CK_JSON_NUM(m1["sessions_recent"], "17");
    const Json& p1 = m1["probe"];
    ck_assert(p1.keys() == (std::set<std::string>{"method", "result", "latency_us", "time", "time_ms",
                                                  "consecutive_failures", "consecutive_passes"}));
    CK_JSON_STR(p1["method"], "cping");
    CK_JSON_STR(p1["result"], "CPong");
    CK_JSON_NUM(p1["latency_us"], "1234");
    CK_JSON_STR(p1["time"], "2024-05-01T12:34:54.789Z");
    CK_JSON_NUM(p1["time_ms"], "1714566894789");
    CK_JSON_NUM(p1["consecutive_failures"], "0");
    CK_JSON_NUM(p1["consecutive_passes"], "5");
    const Json& c1 = m1["counters"];
    ck_assert(c1.keys() == (std::set<std::string>{"requests", "failures", "new_sessions", "sticky", "failovers",
                                                  "bytes_sent", "bytes_received", "reuse_pings", "stale_dropped",
                                                  "idle_replaced", "resent"}));
    CK_JSON_NUM(c1["requests"], "1234");
    CK_JSON_NUM(c1["failures"], "5");
    CK_JSON_NUM(c1["new_sessions"], "100");
    CK_JSON_NUM(c1["sticky"], "1000");
    CK_JSON_NUM(c1["failovers"], "7");
    CK_JSON_NUM(c1["bytes_sent"], "2048");
    CK_JSON_NUM(c1["bytes_received"], "5368709120");
    CK_JSON_NUM(c1["reuse_pings"], "41");
    CK_JSON_NUM(c1["stale_dropped"], "42");
    CK_JSON_NUM(c1["idle_replaced"], "43");
    CK_JSON_NUM(c1["resent"], "44");

    const Json& m2 = b["members"].items[1];
    CK_JSON_STR(m2["health"], "down");
    CK_JSON_STR(m2["error_until"], "2024-05-01T12:35:26.789Z");
    CK_JSON_NUM(m2["error_until_ms"], "1714566926789");
    CK_JSON_NULL(m2["last_session"]);
    CK_JSON_NULL(m2["last_session_ms"]);
    CK_JSON_NUM(m2["counters"]["requests"], "18446744073709551615");
    CK_JSON_NUM(m2["probe"]["consecutive_failures"], "3");
    CK_JSON_STR(m2["probe"]["result"], "connect: Connection refused");

    const Json& m3 = bs.items[1]["members"].items[0];
    CK_JSON_NULL(m3["route"]);
    CK_JSON_STR(m3["admin"], "standby");
    CK_JSON_NULL(m3["probe"]);  // not probed
    const Json& p4 = bs.items[1]["members"].items[1]["probe"];
    CK_JSON_STR(p4["method"], "http");  // probed, no probe yet
    CK_JSON_NULL(p4["result"]);
    CK_JSON_NULL(p4["latency_us"]);
    CK_JSON_NULL(p4["time"]);
    CK_JSON_NULL(p4["time_ms"]);

    // An empty server is a valid document too.
    st::StatusModel empty;
    Json e = parse_json(st::render_json(empty));
    ck_assert_int_eq(e["balancers"].kind, Json::array_v);
    ck_assert_uint_eq(e["balancers"].items.size(), 0);
    st::StatusModel no_members = model();
    no_members.balancers[0].members.clear();
    Json n = parse_json(st::render_json(no_members));
    ck_assert_uint_eq(n["balancers"].items[0]["members"].items.size(), 0);
}
END_TEST

// OXConfigDB's poll status in all three renderings: the outage, since
// when, the data's age, the last error (escaped), up or not.
START_TEST(configdb_status_rendered)
{
    Json up = parse_json(st::render_json(with_configdb(false)));
    const Json& cu = up["configdb"];
    CK_JSON_STR(cu["state"], "up");
    ck_assert(cu["up"].kind == Json::bool_v && cu["up"].b);
    CK_JSON_NUM(cu["data_age_seconds"], "60");
    ck_assert_int_eq(cu["outage_since"].kind, Json::null_v);
    ck_assert_int_eq(cu["last_error"].kind, Json::null_v);
    CK_JSON_STR(cu["read_host"], "db-replica:3306/configdb");

    Json down = parse_json(st::render_json(with_configdb(true)));
    const Json& cd = down["configdb"];
    CK_JSON_STR(cd["state"], "outage");
    ck_assert(cd["up"].kind == Json::bool_v && !cd["up"].b);
    CK_JSON_NUM(cd["data_age_seconds"], "90");
    CK_JSON_NUM(cd["outage_since_ms"], "1714566866789");
    CK_JSON_STR(cd["last_error"], "configdb read host db-replica:3306: <refused>");
    CK_JSON_NUM(cd["write_failures"], "1");

    std::string metrics_up = st::render_metrics(with_configdb(false));
    ck_assert(contains(metrics_up, "\noxbalance_configdb_up 1\n"));
    ck_assert(contains(metrics_up, "\noxbalance_configdb_last_success_timestamp_seconds 1714566836.789\n"));
    std::string metrics_down = st::render_metrics(with_configdb(true));
    ck_assert(contains(metrics_down, "\noxbalance_configdb_up 0\n"));
    ck_assert(!contains(st::render_metrics(model()), "oxbalance_configdb_"));

    st::HtmlOptions o;
    o.path = "/oxbalance-status";
    std::string html = st::render_html(with_configdb(true), o);
    ck_assert(contains(html, "<p id=\"configdb\" class=\"configdb configdb-outage\" data-state=\"outage\">"));
    ck_assert(contains(html, "<span class=\"data-age\" data-value=\"90\">90 s ago</span>"));
    ck_assert(contains(html, "db-replica:3306: &lt;refused&gt;"));
    ck_assert(!contains(st::render_html(model(), o), "id=\"configdb\""));
    std::string html_up = st::render_html(with_configdb(false), o);
    ck_assert(contains(html_up, "data-state=\"up\""));
    ck_assert(!contains(html_up, "class=\"outage\""));

    // This front end's announcement (what oxbalancectl checks routes against).
    const Json& au = cu["announcement"];
    ck_assert(au["ok"].kind == Json::bool_v && au["ok"].b);
    CK_JSON_STR(au["frontend"], "fe1.example.com:/etc/apache2");
    CK_JSON_NUM(au["members"], "7");
    CK_JSON_NUM(au["last_ms"], "1714566776789");
    ck_assert_int_eq(au["failing_since"].kind, Json::null_v);
    ck_assert_int_eq(au["error"].kind, Json::null_v);
    const Json& ad = cd["announcement"];
    ck_assert(ad["ok"].kind == Json::bool_v && !ad["ok"].b);
    CK_JSON_NUM(ad["failing_since_ms"], "1714566871789");
    CK_JSON_STR(ad["error"], "INSERT command denied to user 'ox'<b>");
    ck_assert(contains(metrics_up, "\noxbalance_configdb_announcement_ok 1\n"));
    ck_assert(contains(metrics_up, "\noxbalance_configdb_last_announcement_timestamp_seconds 1714566776.789\n"));
    ck_assert(contains(metrics_down, "\noxbalance_configdb_announcement_ok 0\n"));
    ck_assert(contains(html_up, "Announced as <span class=\"frontend\">fe1.example.com:/etc/apache2</span> with 7 "
                                "members, 2 min ago"));
    ck_assert(!contains(html_up, "announce-error"));
    ck_assert(contains(html, "<span class=\"note announce-error\">This front end (<span class=\"frontend\">"
                             "fe1.example.com:/etc/apache2</span>) cannot announce its members since"));
    ck_assert(contains(html, "INSERT command denied to user &#39;ox&#39;&lt;b&gt;"));
    ck_assert(!contains(html, "Announced as"));
    // Before the first announcement: not ok, no time, nothing said on the page.
    st::StatusModel fresh = with_configdb(false);
    fresh.configdb.last_announce_ms = 0;
    Json fresh_doc = parse_json(st::render_json(fresh));
    const Json& af = fresh_doc["configdb"]["announcement"];
    ck_assert(af["ok"].kind == Json::bool_v && !af["ok"].b);
    ck_assert_int_eq(af["members"].kind, Json::null_v);
    ck_assert_int_eq(af["last"].kind, Json::null_v);
    ck_assert(contains(st::render_metrics(fresh), "\noxbalance_configdb_announcement_ok 0\n"));
    ck_assert(!contains(st::render_metrics(fresh), "oxbalance_configdb_last_announcement"));
    ck_assert(!contains(st::render_html(fresh, o), "Announced as"));

    // Rows of the configdb for members this configuration lacks.
    CK_JSON_NUM(cu["unknown_rows"], "0");
    ck_assert_uint_eq(cu["unknown_members"].items.size(), 0);
    CK_JSON_NUM(cd["unknown_rows"], "3");
    ck_assert_uint_eq(cd["unknown_members"].items.size(), 2);
    CK_JSON_STR(cd["unknown_members"].items[1]["balancer"], "no<such>");
    CK_JSON_STR(cd["unknown_members"].items[1]["route"], "OX1");
    ck_assert(contains(metrics_up, "\noxbalance_configdb_unknown_rows 0\n"));
    ck_assert(contains(metrics_down, "\noxbalance_configdb_unknown_rows 3\n"));
    ck_assert(contains(html, "The configdb has 3 rows for members this configuration does not have (ignored): "
                             "<span class=\"unknown-member\">cdb OX9</span>, <span class=\"unknown-member\">no&lt;such&gt; "
                             "OX1</span>, \u2026. If no front end has them, <code>oxbalancectl forget"));
    ck_assert(!contains(html_up, "unknown-rows"));
}
END_TEST

// Hostile bytes from the configuration or a backend: the document stays
// valid UTF-8 JSON, and each string reads back as it was (invalid UTF-8
// bytes as U+FFFD).
START_TEST(json_hostile_strings)
{
    const std::string text = st::render_json(hostile());
    Json d = parse_json(text);
    CK_JSON_STR(d["server"], "</title><script>alert(1)</script>");
    CK_JSON_STR(d["version"], kEvilTextClean);
    const Json& b = d["balancers"].items[0];
    CK_JSON_STR(b["name"], kEvilBalancer);
    CK_JSON_STR(b["sticky_cookie"], kEvilTextClean);
    CK_JSON_STR(b["members"].items[0]["route"], kEvilRoute);
    CK_JSON_STR(b["members"].items[0]["url"], kEvilUrl);
    CK_JSON_STR(b["members"].items[0]["probe"]["result"], kEvilTextClean);
    CK_JSON_STR(b["members"].items[1]["probe"]["method"], kEvilTextClean);
    // Nothing a browser could sniff as markup, and no raw line separator.
    ck_assert(!contains(text, "<") && !contains(text, ">"));
    ck_assert(!contains(text, "\xE2\x80\xA8"));
    ck_assert(valid_utf8(text));
}
END_TEST

// Every field of the document is described in docs/status.md.
START_TEST(json_fields_documented)
{
    const std::string doc = doc_text();
    ck_assert_msg(!doc.empty(), "cannot read %s/docs/status.md (set OXB_SRCDIR)", srcdir().c_str());
    std::set<std::string> paths;
    key_paths(parse_json(st::render_json(with_configdb(true))), "", paths);
    ck_assert_uint_gt(paths.size(), 30);
    for (const std::string& p : paths)
        ck_assert_msg(contains(doc, "| `" + p + "` |"), "docs/status.md has no row for the JSON field `%s`", p.c_str());
}
END_TEST

// ---- metrics ---------------------------------------------------------------------

START_TEST(metrics_format)
{
    std::vector<Family> fs;
    const std::string text = st::render_metrics(with_configdb(true));
    std::string err = check_exposition(text, fs);
    ck_assert_msg(err.empty(), "%s\n%s", err.c_str(), text.c_str());

    // The checker itself refuses what the spec refuses.
    std::vector<Family> tmp;
    const char* bad[] = {
        "# HELP a_total x\n# TYPE a_total counter\na_total 1",                 // no final line feed
        "a 1\n",                                                               // no HELP/TYPE
        "# HELP a x\n# TYPE a gauge\na{b=\"1\"} 1\n# HELP c x\n# TYPE c gauge\nc 1\na{b=\"2\"} 1\n",  // two groups
        "# HELP a x\n# TYPE a gauge\na{b=\"x\\q\"} 1\n",                       // bad escape
        "# HELP a x\n# TYPE a gauge\na{b=\"1\",b=\"2\"} 1\n",                 // label twice
        "# HELP a x\n# TYPE a gauge\na{__b=\"1\"} 1\n",                        // reserved label
        "# HELP a x\n# TYPE a gauge\na 1.2.3\n",                               // bad value
        "# HELP a x\n# TYPE a gauge\na 1 \n",                                  // trailing blank
        "# HELP a x\n# TYPE a gauge\na 1 1714566896789\n",                     // a timestamp (ours: none)
        "# HELP a x\n# TYPE a gauge\na 1\na 2\n",                              // series twice
        "# HELP a x\n# TYPE a gaug\na 1\n",                                    // unknown type
        "# HELP a x\n# TYPE a gauge\n# TYPE a gauge\na 1\n",                   // TYPE twice
        "# HELP a_total x\n# TYPE a_total counter\na_total -1\n",              // negative counter
        "# HELP a x\n# TYPE a counter\na 1\n",                                 // counter without _total
        "# HELP 1a x\n# TYPE 1a gauge\n1a 1\n",                                // bad name
        "# HELP a x\n# TYPE a gauge\na{b=\"\xFF\"} 1\n",                       // not UTF-8
    };
    for (const char* b : bad) ck_assert_msg(!check_exposition(b, tmp).empty(), "accepted: %s", b);
    ck_assert_msg(check_exposition("# HELP a x\n# TYPE a gauge\n\n# a comment\na{b=\"1\",} 1e3\na{b=\"2\"} +Inf\n", tmp).empty(),
                  "refused a valid exposition");

    // Every family has HELP and TYPE, is ours, and is documented.
    const std::string doc = doc_text();
    ck_assert_msg(!doc.empty(), "cannot read %s/docs/status.md", srcdir().c_str());
    for (const Family& f : fs) {
        ck_assert_msg(f.name.rfind("oxbalance_", 0) == 0, "%s", f.name.c_str());
        ck_assert_msg(contains(doc, "| `" + f.name + "` | " + f.type + " |"),
                      "docs/status.md has no row \"| `%s` | %s |\"", f.name.c_str(), f.type.c_str());
    }
    // The names the issue asks for, with their types.
    struct {
        const char* name;
        const char* type;
    } expected[] = {
        {"oxbalance_member_requests_total", "counter"}, {"oxbalance_member_failures_total", "counter"},
        {"oxbalance_member_bytes_received_total", "counter"}, {"oxbalance_member_bytes_sent_total", "counter"},
        {"oxbalance_member_in_flight", "gauge"}, {"oxbalance_member_up", "gauge"},
        {"oxbalance_member_admin_state", "gauge"}, {"oxbalance_member_probe_latency_seconds", "gauge"},
        {"oxbalance_member_sessions_recent", "gauge"}, {"oxbalance_member_loadfactor", "gauge"},
    };
    for (const auto& e : expected) {
        const Family* f = find_family(fs, e.name);
        ck_assert_msg(f != nullptr, "no %s", e.name);
        CK_ASSERT_STRING_EQ(f->type, e.type);
    }
    // Member samples carry exactly balancer, member, route (and state).
    for (const Family& f : fs) {
        if (f.name.rfind("oxbalance_member_", 0) != 0) continue;
        for (const Sample& s : f.samples) {
            std::vector<std::string> names;
            for (const auto& l : s.labels) names.push_back(l.first);
            std::vector<std::string> want = {"balancer", "member", "route"};
            if (f.name == "oxbalance_member_admin_state") want.push_back("state");
            ck_assert_msg(names == want, "%s: unexpected labels", f.name.c_str());
        }
    }
}
END_TEST

START_TEST(metrics_values)
{
    std::vector<Family> fs;
    std::string err = check_exposition(st::render_metrics(model()), fs);
    ck_assert_msg(err.empty(), "%s", err.c_str());
    const char* b = "oxcluster";
    const char* m1 = "ajp://10.20.30.213:8009";
    const char* m2 = "ajp://10.20.30.215:8009";
    CK_ASSERT_STRING_EQ(metric_value(fs, "oxbalance_member_requests_total", b, m1), "1234");
    CK_ASSERT_STRING_EQ(metric_value(fs, "oxbalance_member_requests_total", b, m2), "18446744073709551615");
    CK_ASSERT_STRING_EQ(metric_value(fs, "oxbalance_member_failures_total", b, m1), "5");
    CK_ASSERT_STRING_EQ(metric_value(fs, "oxbalance_member_new_sessions_total", b, m1), "100");
    CK_ASSERT_STRING_EQ(metric_value(fs, "oxbalance_member_sticky_requests_total", b, m1), "1000");
    CK_ASSERT_STRING_EQ(metric_value(fs, "oxbalance_member_failovers_total", b, m1), "7");
    CK_ASSERT_STRING_EQ(metric_value(fs, "oxbalance_member_bytes_sent_total", b, m1), "2048");
    CK_ASSERT_STRING_EQ(metric_value(fs, "oxbalance_member_bytes_received_total", b, m1), "5368709120");
    CK_ASSERT_STRING_EQ(metric_value(fs, "oxbalance_member_reuse_pings_total", b, m1), "41");
    CK_ASSERT_STRING_EQ(metric_value(fs, "oxbalance_member_stale_dropped_total", b, m1), "42");
    CK_ASSERT_STRING_EQ(metric_value(fs, "oxbalance_member_idle_replaced_total", b, m1), "43");
    CK_ASSERT_STRING_EQ(metric_value(fs, "oxbalance_member_resent_total", b, m1), "44");
    CK_ASSERT_STRING_EQ(metric_value(fs, "oxbalance_member_in_flight", b, m1), "3");
    CK_ASSERT_STRING_EQ(metric_value(fs, "oxbalance_member_loadfactor", b, m1), "50");
    CK_ASSERT_STRING_EQ(metric_value(fs, "oxbalance_member_up", b, m1), "1");
    CK_ASSERT_STRING_EQ(metric_value(fs, "oxbalance_member_up", b, m2), "0");
    CK_ASSERT_STRING_EQ(metric_value(fs, "oxbalance_member_error_window", b, m1), "0");
    CK_ASSERT_STRING_EQ(metric_value(fs, "oxbalance_member_error_window", b, m2), "1");
    CK_ASSERT_STRING_EQ(metric_value(fs, "oxbalance_member_probe_latency_seconds", b, m1), "0.001234");
    CK_ASSERT_STRING_EQ(metric_value(fs, "oxbalance_member_probe_latency_seconds", b, m2), "2.000000");
    CK_ASSERT_STRING_EQ(metric_value(fs, "oxbalance_member_probe_timestamp_seconds", b, m1), "1714566894.789");
    CK_ASSERT_STRING_EQ(metric_value(fs, "oxbalance_member_probe_consecutive_failures", b, m2), "3");
    CK_ASSERT_STRING_EQ(metric_value(fs, "oxbalance_member_probe_consecutive_passes", b, m1), "5");
    CK_ASSERT_STRING_EQ(metric_value(fs, "oxbalance_member_last_session_timestamp_seconds", b, m1), "1714566854.789");
    CK_ASSERT_STRING_EQ(metric_value(fs, "oxbalance_member_last_session_timestamp_seconds", b, m2), "<none>");
    CK_ASSERT_STRING_EQ(metric_value(fs, "oxbalance_member_sessions_recent", b, m1), "17");
    // One admin_state sample per state, exactly one of them 1.
    for (const char* s : {"active", "draining", "disabled", "standby"}) {
        CK_ASSERT_STRING_EQ(metric_value(fs, "oxbalance_member_admin_state", b, m1, s), std::string(s) == "draining" ? "1" : "0");
        CK_ASSERT_STRING_EQ(metric_value(fs, "oxbalance_member_admin_state", "oxcluster_sync", m1, s),
                            std::string(s) == "standby" ? "1" : "0");
    }
    // The same URL in two balancers: two series, told apart by balancer.
    CK_ASSERT_STRING_EQ(metric_value(fs, "oxbalance_member_loadfactor", "oxcluster_sync", m1), "1");
    // Not probed: no probe samples; probed but no probe yet: counts only.
    CK_ASSERT_STRING_EQ(metric_value(fs, "oxbalance_member_probe_latency_seconds", "oxcluster_sync", m1), "<none>");
    CK_ASSERT_STRING_EQ(metric_value(fs, "oxbalance_member_probe_consecutive_failures", "oxcluster_sync", m1), "<none>");
    CK_ASSERT_STRING_EQ(metric_value(fs, "oxbalance_member_probe_latency_seconds", "oxcluster_sync", "ajp://10.20.30.216:8009"), "<none>");
    CK_ASSERT_STRING_EQ(metric_value(fs, "oxbalance_member_probe_consecutive_failures", "oxcluster_sync", "ajp://10.20.30.216:8009"), "0");
    // Route label: the route, or empty.
    const Family* up = find_family(fs, "oxbalance_member_up");
    CK_ASSERT_STRING_EQ(up->samples[0].label("route"), "OX1");
    CK_ASSERT_STRING_EQ(up->samples[2].label("route"), "");
    // Balancer-level.
    const Family* fo = find_family(fs, "oxbalance_balancer_failover");
    ck_assert_uint_eq(fo->samples.size(), 2);
    CK_ASSERT_STRING_EQ(fo->samples[0].value, "1");
    CK_ASSERT_STRING_EQ(fo->samples[1].value, "0");
    CK_ASSERT_STRING_EQ(fo->samples[1].label("lbmethod"), "bybusyness");
    const Family* bi = find_family(fs, "oxbalance_build_info");
    CK_ASSERT_STRING_EQ(bi->samples[0].label("version"), "0.1.0");
    CK_ASSERT_STRING_EQ(bi->samples[0].value, "1");
    // The window is in the help text.
    ck_assert(contains(find_family(fs, "oxbalance_member_sessions_recent")->help, "last 10 minutes"));
}
END_TEST

// Hostile label values are escaped as the spec says, and read back as they
// were (invalid UTF-8 as U+FFFD); the exposition stays valid.
START_TEST(metrics_hostile_labels)
{
    std::vector<Family> fs;
    const std::string text = st::render_metrics(hostile());
    std::string err = check_exposition(text, fs);
    ck_assert_msg(err.empty(), "%s", err.c_str());
    const Family* up = find_family(fs, "oxbalance_member_up");
    CK_ASSERT_STRING_EQ(up->samples[0].label("balancer"), kEvilBalancer);
    CK_ASSERT_STRING_EQ(up->samples[0].label("member"), kEvilUrl);
    CK_ASSERT_STRING_EQ(up->samples[0].label("route"), kEvilRoute);
    CK_ASSERT_STRING_EQ(find_family(fs, "oxbalance_build_info")->samples[0].label("version"), kEvilTextClean);
    // The exact text of one escaped label set.
    ck_assert(contains(text, "oxbalance_member_up{balancer=\"evil\\\"b\\\\a\\nl<i>'&\",member=\"ajp://h:1/\\\"><img src=x onerror=alert(1)>&amp;'\",route=\"<script>alert(1)</script>\"} 1\n"));
    // Empty snapshot: still a valid exposition (families without samples).
    ck_assert(check_exposition(st::render_metrics(st::StatusModel{}), fs).empty());
}
END_TEST

// ---- HTML ------------------------------------------------------------------------

START_TEST(html_structure)
{
    st::HtmlOptions o;
    o.path = "/oxbalance-status";
    o.nonce = "5cdc19293816b56292a9291581f26e11a3fed800c80922d391e23ee5c6da0e68";
    o.refresh_seconds = 15;
    const std::string html = st::render_html(model(), o);
    Page p = parse_page(html);

    // Refreshes itself, as configured.
    ck_assert(contains(html, "<meta http-equiv=\"refresh\" content=\"15\">"));
    // Which process probes and polls (none: not said).
    ck_assert(contains(html, "Health probes and configdb polls run in process <span id=\"leader\">4242</span>."));
    st::StatusModel leaderless = model();
    leaderless.leader_pid = 0;
    ck_assert(!contains(st::render_html(leaderless, o), "id=\"leader\""));
    // One section and table per balancer, one row per member, with the
    // identity in data attributes.
    std::vector<std::size_t> r = rows(p);
    ck_assert_uint_eq(r.size(), 4);
    const Element& row1 = p.elements[r[0]];
    CK_ASSERT_STRING_EQ(row1.attr("data-balancer"), "oxcluster");
    CK_ASSERT_STRING_EQ(row1.attr("data-member"), "ajp://10.20.30.213:8009");
    CK_ASSERT_STRING_EQ(row1.attr("data-route"), "OX1");
    CK_ASSERT_STRING_EQ(row1.attr("data-admin"), "draining");
    CK_ASSERT_STRING_EQ(row1.attr("data-health"), "up");
    CK_ASSERT_STRING_EQ(p.elements[r[2]].attr("data-balancer"), "oxcluster_sync");
    for (std::size_t i : r) {
        ck_assert_str_eq(p.elements[static_cast<std::size_t>(p.elements[i].parent)].name.c_str(), "tbody");
    }
    int sections = 0;
    for (const Element& e : p.elements)
        if (e.name == "section" && e.has_class("balancer")) ++sections;
    ck_assert_int_eq(sections, 2);

    // The cells an operator reads.
    ck_assert(contains(cell(p, r[0], "admin")->text, "draining"));
    ck_assert(contains(cell(p, r[0], "admin")->text, "keeps its sessions, takes no new ones"));
    ck_assert(contains(cell(p, r[0], "admin")->text, "the configuration says active"));
    ck_assert(contains(cell(p, r[3], "admin")->text, "its sessions go to their successors"));
    ck_assert(!contains(cell(p, r[1], "admin")->text, "configuration says"));
    ck_assert(contains(cell(p, r[0], "health")->text, "up"));
    ck_assert(!contains(cell(p, r[0], "health")->text, "avoided"));
    ck_assert(contains(cell(p, r[1], "health")->text, "down"));
    ck_assert(contains(cell(p, r[1], "health")->text, "avoided for 30 s more"));
    CK_ASSERT_STRING_EQ(cell(p, r[0], "route")->text, "OX1");
    CK_ASSERT_STRING_EQ(cell(p, r[2], "route")->text, "none");
    CK_ASSERT_STRING_EQ(cell(p, r[0], "url")->text, "ajp://10.20.30.213:8009");
    const std::string probe1 = cell(p, r[0], "probe")->text;
    ck_assert_msg(contains(probe1, "cping: CPong in 1.2 ms, 2 s ago") && contains(probe1, "0 failed, 5 passed in a row"),
                  "%s", probe1.c_str());
    ck_assert(contains(cell(p, r[1], "probe")->text, "connect: Connection refused in 2.00 s"));
    ck_assert(contains(cell(p, r[2], "probe")->text, "not probed"));
    ck_assert(contains(cell(p, r[3], "probe")->text, "http: no probe yet"));
    CK_ASSERT_STRING_EQ(cell(p, r[0], "loadfactor")->text, "50");
    CK_ASSERT_STRING_EQ(cell(p, r[0], "in-flight")->text, "3");
    CK_ASSERT_STRING_EQ(cell(p, r[0], "requests")->text, "1234");
    CK_ASSERT_STRING_EQ(cell(p, r[1], "requests")->attr("data-value"), "18446744073709551615");
    CK_ASSERT_STRING_EQ(cell(p, r[0], "failures")->text, "5");
    CK_ASSERT_STRING_EQ(cell(p, r[0], "new-sessions")->text, "100");
    CK_ASSERT_STRING_EQ(cell(p, r[0], "sticky")->text, "1000");
    CK_ASSERT_STRING_EQ(cell(p, r[0], "failovers")->text, "7");
    CK_ASSERT_STRING_EQ(cell(p, r[0], "bytes-sent")->text, "2.0 KiB");
    CK_ASSERT_STRING_EQ(cell(p, r[0], "bytes-received")->text, "5.0 GiB");
    CK_ASSERT_STRING_EQ(cell(p, r[0], "bytes-received")->attr("data-value"), "5368709120");
    CK_ASSERT_STRING_EQ(cell(p, r[0], "last-session")->text, "2024-05-01T12:34:14.789Z (42 s ago)");
    CK_ASSERT_STRING_EQ(cell(p, r[1], "last-session")->text, "never");
    CK_ASSERT_STRING_EQ(cell(p, r[0], "sessions-recent")->text, "17");
    ck_assert(contains(html, "<th>Sessions, last 10 min</th>"));

    // Draining and disabled explained in words, with the anchors' opposite use.
    std::string legend;
    for (const Element& e : p.elements)
        if (e.name == "section" && e.attr("id") == "legend") legend = e.text;
    ck_assert(contains(legend, "draining") && contains(legend, "keeps its sessions, takes no new ones"));
    ck_assert(contains(legend, "disabled") && contains(legend, "takes nothing; its sessions go to their successors"));
    ck_assert(contains(legend, "standby") && contains(legend, "mod_jk"));

    // Six forms per member, each a POST to the status path with the nonce
    // and the member's identity; the button of the state in force is off,
    // and Recover is off but where an error window is open (the second
    // row's; the first row's is over).
    for (std::size_t i : r) {
        const Element& row = p.elements[i];
        for (const char* a : {"drain", "disable", "enable", "standby", "recover", "loadfactor"}) {
            std::size_t fi = 0;
            auto f = form_fields(p, i, a, &fi);
            ck_assert_msg(!f.empty(), "no %s form", a);
            const Element& form = p.elements[fi];
            CK_ASSERT_STRING_EQ(form.attr("method"), "post");
            CK_ASSERT_STRING_EQ(form.attr("action"), "/oxbalance-status");
            std::map<std::string, std::string> m(f.begin(), f.end());
            CK_ASSERT_STRING_EQ(m["nonce"], std::string(o.nonce));
            CK_ASSERT_STRING_EQ(m["balancer"], row.attr("data-balancer"));
            CK_ASSERT_STRING_EQ(m["member"], row.attr("data-member"));
            CK_ASSERT_STRING_EQ(m["action"], a);
            bool disabled = false;
            for (std::size_t k = fi + 1; k < p.elements.size(); ++k)
                if (inside(p, k, fi) && p.elements[k].name == "button") disabled = p.elements[k].has_attr("disabled");
            std::string admin = row.attr("data-admin");
            bool current = (admin == "draining" && std::string(a) == "drain") ||
                           (admin == "disabled" && std::string(a) == "disable") ||
                           (admin == "active" && std::string(a) == "enable") ||
                           (admin == "standby" && std::string(a) == "standby");
            if (std::string(a) == "recover") current = i != r[1];
            ck_assert_msg(disabled == current, "%s %s: button disabled=%d", admin.c_str(), a, disabled);
        }
        auto lf = form_fields(p, i, "loadfactor");
        ck_assert_uint_eq(lf.size(), 5);
        CK_ASSERT_STRING_EQ(lf[4].first, "loadfactor");
    }
    CK_ASSERT_STRING_EQ(form_fields(p, r[0], "loadfactor")[4].second, "50");
    // Links to the other renderings.
    ck_assert(contains(html, "href=\"/oxbalance-status?json\""));
    ck_assert(contains(html, "href=\"/oxbalance-status?metrics\""));
}
END_TEST

// The page's own form, submitted as a browser encodes it, is the action it
// names: the round trip the browser test will drive through httpd.
START_TEST(html_form_round_trip)
{
    // Hostile but possible names: quotes, markup, '&', '+', '%', spaces,
    // UTF-8 (no control characters: the form parser refuses those).
    st::StatusModel m = hostile();
    m.balancers[0].name = "evil\"b\\a l<i>'&+%25\xC3\xBC";
    m.balancers[0].members[0].url = "ajp://h:1/\"><img src=x onerror=alert(1)>&amp;'+%";
    st::HtmlOptions o;
    o.path = "/oxbalance-status";
    o.nonce = "abc123";
    Page p = parse_page(st::render_html(m, o));
    std::vector<std::size_t> r = rows(p);
    ck_assert_uint_eq(r.size(), 4);
    for (std::size_t i = 0; i < r.size(); ++i) {
        for (const char* a : {"drain", "disable", "enable", "standby", "recover", "loadfactor"}) {
            auto fields = form_fields(p, r[i], a);
            st::Action act;
            std::string body = urlencode(fields);
            std::string err = st::parse_action_form(body, act);
            ck_assert_msg(err.empty(), "%s: %s", body.c_str(), err.c_str());
            ck_assert_str_eq(st::to_string(act.kind), a);
            CK_ASSERT_STRING_EQ(act.nonce, "abc123");
            const st::BalancerStatus* b = st::find_balancer(m, act.balancer);
            ck_assert_ptr_nonnull(b);
            const st::MemberStatus* mem = st::find_member(*b, act.member);
            ck_assert_ptr_nonnull(mem);
            std::size_t bi = static_cast<std::size_t>(b - m.balancers.data());
            std::size_t mi = static_cast<std::size_t>(mem - b->members.data());
            ck_assert_uint_eq(bi == 0 ? mi : 2 + mi, i);
            if (act.kind == st::ActionKind::loadfactor) ck_assert_uint_eq(act.loadfactor, mem->loadfactor);
        }
    }
}
END_TEST

// Hostile names never become markup: no script, no event handler, no
// extra attribute; they are shown as text, escaped.
START_TEST(html_escapes_hostile_input)
{
    st::HtmlOptions o;
    o.path = "/status\"><script>x</script>";
    o.nonce = "n\"><script>";
    o.notice = st::HtmlOptions::Notice::refused;
    o.notice_text = "member <script>alert(1)</script> not found";
    const std::string html = st::render_html(hostile(), o);
    Page p = parse_page(html);  // tags balance, attributes quoted, entities known
    const std::string l = lower(html);
    ck_assert(!contains(l, "<script"));
    ck_assert(!contains(l, "<img"));
    ck_assert(!contains(l, "<i>"));
    ck_assert(!contains(l, "javascript:"));
    ck_assert(contains(html, "&lt;script&gt;alert(1)&lt;/script&gt;"));
    for (const Element& e : p.elements) {
        ck_assert_msg(e.name != "script" && e.name != "img" && e.name != "i", "<%s> from input", e.name.c_str());
        for (const auto& a : e.attrs) {
            ck_assert_msg(a.first.rfind("on", 0) != 0, "event handler attribute %s", a.first.c_str());
            ck_assert_msg(a.first != "style", "style attribute");
            ck_assert_msg(a.first != "src", "src attribute");
        }
    }
    std::vector<std::size_t> r = rows(p);
    const Element& row = p.elements[r[0]];
    CK_ASSERT_STRING_EQ(row.attr("data-route"), kEvilRoute);
    CK_ASSERT_STRING_EQ(row.attr("data-member"), kEvilUrl);
    CK_ASSERT_STRING_EQ(row.attr("data-balancer"), kEvilBalancer);
    CK_ASSERT_STRING_EQ(cell(p, r[0], "route")->text, kEvilRoute);
    CK_ASSERT_STRING_EQ(cell(p, r[0], "url")->text, kEvilUrl);
    // Controls and invalid UTF-8 in a probe result are shown as U+FFFD.
    const std::string probe = cell(p, r[0], "probe")->text;
    ck_assert_msg(contains(probe, "bad\xEF\xBF\xBD\"\\\n\xEF\xBF\xBD\xEF\xBF\xBD"), "%s", probe.c_str());
    ck_assert(contains(probe, "\xC3\xBC\xE2\x82\xAC\xF0\x9F\x98\x80 <>&\xEF\xBF\xBD"));
    std::string title;
    for (const Element& e : p.elements)
        if (e.name == "title") title = e.text;
    CK_ASSERT_STRING_EQ(title, "mod_oxbalance status: </title><script>alert(1)</script>");
    // The notice is text, and the hostile path and nonce are attribute values.
    for (const Element& e : p.elements) {
        if (e.attr("id") == "notice") CK_ASSERT_STRING_EQ(e.text, "Refused: member <script>alert(1)</script> not found");
        if (e.name == "form") CK_ASSERT_STRING_EQ(e.attr("action"), std::string(o.path));
        if (e.name == "input" && e.attr("name") == "nonce") CK_ASSERT_STRING_EQ(e.attr("value"), std::string(o.nonce));
    }
}
END_TEST

// The page loads nothing and runs nothing, so the strict policy holds: the
// only style is the <style> element whose hash the CSP names.
START_TEST(html_csp)
{
    st::HtmlOptions o;
    o.path = "/s";
    o.nonce = "n";
    const std::string html = st::render_html(model(), o);
    Page p = parse_page(html);
    const std::string csp(st::html_content_security_policy());
    CK_ASSERT_STRING_EQ(csp, "default-src 'none'; style-src 'sha256-" + sha256_base64(p.style) +
                                 "'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
    ck_assert(!p.style.empty());
    int styles = 0;
    for (const Element& e : p.elements) {
        if (e.name == "style") ++styles;
        ck_assert_msg(e.name != "script" && e.name != "link" && e.name != "img" && e.name != "iframe" &&
                          e.name != "object" && e.name != "base",
                      "<%s> on the page", e.name.c_str());
        ck_assert(!e.has_attr("style"));
        if (e.name == "a") ck_assert(e.attr("href").rfind("/s", 0) == 0);
    }
    ck_assert_int_eq(styles, 1);
}
END_TEST

// The page that answers an action: says what happened, does not refresh
// (so no reload repeats anything), links back to the refreshing page.
// A page without a nonce has no forms.
START_TEST(html_variants)
{
    st::HtmlOptions o;
    o.path = "/oxbalance-status";
    o.nonce = "n";
    o.refresh_seconds = 10;
    o.notice = st::HtmlOptions::Notice::done;
    o.notice_text = "oxcluster ajp://10.20.30.215:8009: active -> draining";
    std::string html = st::render_html(model(), o);
    Page p = parse_page(html);
    ck_assert(!contains(html, "http-equiv=\"refresh\""));
    bool notice = false, back = false;
    for (const Element& e : p.elements) {
        if (e.attr("id") == "notice") {
            notice = true;
            ck_assert(e.has_class("done"));
            CK_ASSERT_STRING_EQ(e.text, "Done: oxcluster ajp://10.20.30.215:8009: active -> draining");
        }
        if (e.attr("id") == "back") {
            back = true;
            CK_ASSERT_STRING_EQ(e.attr("href"), "/oxbalance-status");
        }
    }
    ck_assert(notice && back);

    o.notice = st::HtmlOptions::Notice::none;
    o.refresh_seconds = 0;
    html = st::render_html(model(), o);
    ck_assert(!contains(html, "http-equiv=\"refresh\""));
    ck_assert(!contains(html, "id=\"notice\""));

    o.nonce = "";
    o.refresh_seconds = 5;
    html = st::render_html(model(), o);
    p = parse_page(html);
    ck_assert(contains(html, "<meta http-equiv=\"refresh\" content=\"5\">"));
    for (const Element& e : p.elements) ck_assert(e.name != "form" && !e.has_class("actions"));

    // Nothing configured: still a valid page that says so.
    html = st::render_html(st::StatusModel{}, o);
    parse_page(html);
    ck_assert(contains(html, "No balancer is configured."));
}
END_TEST

int main()
{
    Suite* s = suite_create("status_render");
    TCase* tc = tcase_create("status_render");
    tcase_add_test(tc, utf8_sequences);
    tcase_add_test(tc, escapes);
    tcase_add_test(tc, iso_times);
    tcase_add_test(tc, json_schema_and_values);
    tcase_add_test(tc, json_hostile_strings);
    tcase_add_test(tc, json_fields_documented);
    tcase_add_test(tc, metrics_format);
    tcase_add_test(tc, metrics_values);
    tcase_add_test(tc, metrics_hostile_labels);
    tcase_add_test(tc, html_structure);
    tcase_add_test(tc, html_form_round_trip);
    tcase_add_test(tc, html_escapes_hostile_input);
    tcase_add_test(tc, html_csp);
    tcase_add_test(tc, html_variants);
    tcase_add_test(tc, configdb_status_rendered);
    suite_add_tcase(s, tc);
    return unit::run_suite(s);
}
