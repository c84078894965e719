#include "ctl_status_page.h"

#include <cstdlib>

#include "core/text.h"
#include "ctl_json.h"

namespace oxctl::page {

namespace {

bool is_lower_hex(char c) noexcept { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

// A string field, or "" when it is missing or not a string.
std::string string_of(const json::Value& obj, std::string_view key)
{
    const json::Value* v = obj.get(key);
    return v && v->is_string() ? v->text : std::string();
}

std::uint64_t uint_of(const json::Value& obj, std::string_view key)
{
    std::uint64_t n = 0;
    const json::Value* v = obj.get(key);
    return v && v->as_uint(n) ? n : 0;
}

}  // namespace

std::string find_nonce(std::string_view html)
{
    static constexpr std::string_view kField = "name=\"nonce\" value=\"";
    for (std::size_t at = html.find(kField); at != std::string_view::npos; at = html.find(kField, at + 1)) {
        std::string_view v = html.substr(at + kField.size());
        std::size_t n = 0;
        while (n < v.size() && is_lower_hex(v[n])) ++n;
        if (n == 64 && v.size() > n && v[n] == '"') return std::string(v.substr(0, n));
    }
    return {};
}

Notice find_notice(std::string_view html)
{
    Notice out;
    static constexpr std::string_view kStart = "<p id=\"notice\" class=\"notice ";
    std::size_t at = html.find(kStart);
    if (at == std::string_view::npos) return out;
    std::string_view rest = html.substr(at + kStart.size());
    if (rest.substr(0, 4) == "done") out.kind = Notice::Kind::done;
    else if (rest.substr(0, 7) == "refused") out.kind = Notice::Kind::refused;
    else return out;
    std::size_t gt = rest.find('>');
    std::size_t end = rest.find("</p>");
    if (gt == std::string_view::npos || end == std::string_view::npos || end < gt) return Notice();
    std::string text = html_text(rest.substr(gt + 1, end - gt - 1));
    for (std::string_view prefix : {"Done: ", "Refused: "}) {
        if (text.compare(0, prefix.size(), prefix) == 0) {
            text.erase(0, prefix.size());
            break;
        }
    }
    out.text = std::move(text);
    return out;
}

std::string html_text(std::string_view html)
{
    std::string out;
    out.reserve(html.size());
    for (std::size_t i = 0; i < html.size(); ++i) {
        std::size_t semi = html[i] == '&' ? html.find(';', i) : std::string_view::npos;
        if (semi == std::string_view::npos || semi - i > 10) {
            out += html[i];
            continue;
        }
        std::string_view name = html.substr(i + 1, semi - i - 1);
        if (name == "amp") out += '&';
        else if (name == "lt") out += '<';
        else if (name == "gt") out += '>';
        else if (name == "quot") out += '"';
        else if (name == "apos") out += '\'';
        else if (name.size() >= 2 && name[0] == '#') {
            bool hex = name[1] == 'x' || name[1] == 'X';
            std::string digits(name.substr(hex ? 2 : 1));
            char* end = nullptr;
            unsigned long cp = digits.empty() ? 0 : std::strtoul(digits.c_str(), &end, hex ? 16 : 10);
            if (digits.empty() || *end != '\0') {
                out += html[i];
                continue;
            }
            ox::append_utf8(out, static_cast<std::uint32_t>(cp == 0 ? 0xFFFD : cp));
        } else {
            out += html[i];
            continue;
        }
        i = semi;
    }
    return out;
}

std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields)
{
    static const char kHex[] = "0123456789ABCDEF";
    auto encode = [](std::string& out, const std::string& s) {
        for (char ch : s) {
            auto c = static_cast<unsigned char>(ch);
            if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
                c == '_' || c == '*') {
                out += ch;
            } else if (c == ' ') {
                out += '+';
            } else {
                out += '%';
                out += kHex[c >> 4];
                out += kHex[c & 0xF];
            }
        }
    };
    std::string out;
    for (const auto& f : fields) {
        if (!out.empty()) out += '&';
        encode(out, f.first);
        out += '=';
        encode(out, f.second);
    }
    return out;
}

std::string read_snapshot(std::string_view json_text, Snapshot& out)
{
    out = Snapshot();
    json::Value doc;
    if (std::string err = json::parse(json_text, doc); !err.empty()) return "not JSON: " + err;
    if (!doc.is_object()) return "not a JSON object";
    const json::Value* schema = doc.get("schema");
    if (!schema || !schema->as_uint(out.schema)) return "no \"schema\": not a mod_oxbalance status page";
    if (out.schema != 1) return "schema " + std::to_string(out.schema) + ", this oxbalancectl reads schema 1";
    out.server = string_of(doc, "server");
    out.version = string_of(doc, "version");
    out.generated = string_of(doc, "generated");
    const json::Value* balancers = doc.get("balancers");
    if (!balancers || !balancers->is_array()) return "no \"balancers\" array";
    out.balancers = balancers->items.size();
    for (const json::Value& b : balancers->items) {
        const json::Value* members = b.is_object() ? b.get("members") : nullptr;
        if (!members || !members->is_array()) return "a balancer without a \"members\" array";
        for (const json::Value& m : members->items) {
            if (!m.is_object()) return "a member that is not an object";
            Member r;
            r.balancer = string_of(b, "name");
            r.url = string_of(m, "url");
            if (const json::Value* route = m.get("route"); route && route->is_string()) r.route = route->text;
            r.admin = string_of(m, "admin");
            r.config_admin = string_of(m, "config_admin");
            r.health = string_of(m, "health");
            r.loadfactor = uint_of(m, "loadfactor");
            r.in_flight = uint_of(m, "in_flight");
            r.sessions_recent = uint_of(m, "sessions_recent");
            out.members.push_back(std::move(r));
        }
    }
    if (const json::Value* c = doc.get("configdb"); c && c->is_object()) {
        out.configdb = true;
        out.configdb_state = string_of(*c, "state");
        out.configdb_read_host = string_of(*c, "read_host");
        out.configdb_write_host = string_of(*c, "write_host");
    }
    return {};
}

}  // namespace oxctl::page
