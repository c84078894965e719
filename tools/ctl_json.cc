#include "ctl_json.h"

#include <charconv>

#include "core/text.h"

namespace oxctl::json {

namespace {

class Parser {
public:
    explicit Parser(std::string_view s) noexcept : s_(s) {}

    std::string document(Value& out)
    {
        space();
        if (!value(out, 0)) return error_;
        space();
        if (pos_ != s_.size()) fail("text after the document");
        return error_;
    }

private:
    bool fail(const char* what)
    {
        if (error_.empty()) error_ = std::string(what) + " at byte " + std::to_string(pos_);
        return false;
    }

    bool at_end() const noexcept { return pos_ >= s_.size(); }
    char peek() const noexcept { return at_end() ? '\0' : s_[pos_]; }

    void space() noexcept
    {
        while (!at_end() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) ++pos_;
    }

    bool literal(std::string_view word)
    {
        if (s_.substr(pos_, word.size()) != word) return fail("unknown literal");
        pos_ += word.size();
        return true;
    }

    bool value(Value& v, unsigned depth)
    {
        if (depth >= kMaxDepth) return fail("nested too deeply");
        char c = peek();
        switch (c) {
        case '{': return object(v, depth);
        case '[': return array(v, depth);
        case '"': v.type = Value::Type::string; return string(v.text);
        case 't': v.type = Value::Type::boolean; v.boolean = true; return literal("true");
        case 'f': v.type = Value::Type::boolean; v.boolean = false; return literal("false");
        case 'n': v.type = Value::Type::null; return literal("null");
        default:
            if (c == '-' || (c >= '0' && c <= '9')) return number(v);
            return fail(at_end() ? "unexpected end" : "unexpected character");
        }
    }

    bool object(Value& v, unsigned depth)
    {
        v.type = Value::Type::object;
        ++pos_;  // '{'
        space();
        if (peek() == '}') {
            ++pos_;
            return true;
        }
        for (;;) {
            space();
            if (peek() != '"') return fail("expected a member name");
            std::string key;
            if (!string(key)) return false;
            space();
            if (peek() != ':') return fail("expected ':'");
            ++pos_;
            space();
            Value member;
            if (!value(member, depth + 1)) return false;
            v.members.emplace_back(std::move(key), std::move(member));
            space();
            if (peek() == ',') {
                ++pos_;
                continue;
            }
            if (peek() == '}') {
                ++pos_;
                return true;
            }
            return fail("expected ',' or '}'");
        }
    }

    bool array(Value& v, unsigned depth)
    {
        v.type = Value::Type::array;
        ++pos_;  // '['
        space();
        if (peek() == ']') {
            ++pos_;
            return true;
        }
        for (;;) {
            space();
            Value item;
            if (!value(item, depth + 1)) return false;
            v.items.push_back(std::move(item));
            space();
            if (peek() == ',') {
                ++pos_;
                continue;
            }
            if (peek() == ']') {
                ++pos_;
                return true;
            }
            return fail("expected ',' or ']'");
        }
    }

    // -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
    bool number(Value& v)
    {
        std::size_t start = pos_;
        auto digits = [&] {
            std::size_t from = pos_;
            while (!at_end() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
            return pos_ > from;
        };
        if (peek() == '-') ++pos_;
        if (peek() == '0') {
            ++pos_;
        } else if (!digits()) {
            return fail("malformed number");
        }
        if (peek() == '.') {
            ++pos_;
            if (!digits()) return fail("malformed number");
        }
        if (peek() == 'e' || peek() == 'E') {
            ++pos_;
            if (peek() == '+' || peek() == '-') ++pos_;
            if (!digits()) return fail("malformed number");
        }
        v.type = Value::Type::number;
        v.text = std::string(s_.substr(start, pos_ - start));
        return true;
    }

    bool hex4(std::uint32_t& out)
    {
        if (s_.size() - pos_ < 4) return fail("short \\u escape");
        out = 0;
        for (int i = 0; i < 4; ++i) {
            char c = s_[pos_++];
            out <<= 4;
            if (c >= '0' && c <= '9') out |= static_cast<std::uint32_t>(c - '0');
            else if (c >= 'a' && c <= 'f') out |= static_cast<std::uint32_t>(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F') out |= static_cast<std::uint32_t>(c - 'A' + 10);
            else return fail("malformed \\u escape");
        }
        return true;
    }

    // A \uXXXX escape (the 'u' read), with a following low surrogate for a
    // high one; a lone surrogate becomes U+FFFD.
    bool unicode_escape(std::string& out)
    {
        std::uint32_t cp = 0;
        if (!hex4(cp)) return false;
        if (cp >= 0xD800 && cp <= 0xDBFF && s_.substr(pos_, 2) == "\\u") {
            std::size_t back = pos_;
            pos_ += 2;
            std::uint32_t low = 0;
            if (!hex4(low)) return false;
            if (low >= 0xDC00 && low <= 0xDFFF) {
                ox::append_utf8(out, 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00));
                return true;
            }
            pos_ = back;  // not a pair: the next escape stands on its own
        }
        ox::append_utf8(out, cp >= 0xD800 && cp <= 0xDFFF ? 0xFFFD : cp);
        return true;
    }

    bool string(std::string& out)
    {
        ++pos_;  // '"'
        for (;;) {
            if (at_end()) return fail("unterminated string");
            char c = s_[pos_++];
            if (c == '"') return true;
            if (static_cast<unsigned char>(c) < 0x20) return fail("control character in a string");
            if (c != '\\') {
                out += c;
                continue;
            }
            if (at_end()) return fail("unterminated string");
            char e = s_[pos_++];
            switch (e) {
            case '"': out += '"'; break;
            case '\\': out += '\\'; break;
            case '/': out += '/'; break;
            case 'b': out += '\b'; break;
            case 'f': out += '\f'; break;
            case 'n': out += '\n'; break;
            case 'r': out += '\r'; break;
            case 't': out += '\t'; break;
            case 'u':
                if (!unicode_escape(out)) return false;
                break;
            default: return fail("unknown escape");
            }
        }
    }

    std::string_view s_;
    std::size_t pos_ = 0;
    std::string error_;
};

}  // namespace

const Value* Value::get(std::string_view key) const noexcept
{
    for (const auto& m : members) {
        if (m.first == key) return &m.second;
    }
    return nullptr;
}

bool Value::as_uint(std::uint64_t& out) const noexcept
{
    if (type != Type::number || text.empty() || text[0] == '-') return false;
    const char* end = text.data() + text.size();
    auto res = std::from_chars(text.data(), end, out);
    return res.ec == std::errc() && res.ptr == end;
}

std::string parse(std::string_view text, Value& out)
{
    out = Value();
    return Parser(text).document(out);
}

}  // namespace oxctl::json
