// A small, strict JSON reader (RFC 8259) for oxbalancectl's status page
// mode: it reads the page's `?json` document. Values are kept as a tree;
// numbers as the text they were written as, so that 64-bit counters lose
// nothing.
#ifndef OXB_TOOLS_CTL_JSON_H
#define OXB_TOOLS_CTL_JSON_H

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace oxctl::json {

struct Value {
    enum class Type { null, boolean, number, string, array, object };
    Type type = Type::null;
    bool boolean = false;
    std::string text;  // a string's decoded UTF-8, or a number as written
    std::vector<Value> items;                            // array
    std::vector<std::pair<std::string, Value>> members;  // object, in document order

    bool is_null() const noexcept { return type == Type::null; }
    bool is_string() const noexcept { return type == Type::string; }
    bool is_array() const noexcept { return type == Type::array; }
    bool is_object() const noexcept { return type == Type::object; }
    // The member of an object of that name (the first one), or null.
    const Value* get(std::string_view key) const noexcept;
    // A number that is a whole number from 0 to 2^64-1.
    bool as_uint(std::uint64_t& out) const noexcept;
};

// Nesting deeper than this is refused (no recursion without end).
constexpr unsigned kMaxDepth = 64;

// Parses one whole document (white space around it allowed). Returns ""
// and fills `out`, or what is wrong and at which byte.
std::string parse(std::string_view text, Value& out);

}  // namespace oxctl::json

#endif
