// Text helpers shared by the status renderers: UTF-8 validation, escaping
// for HTML, JSON and the Prometheus text format, and ISO-8601 UTC times.
//
// Everything that reaches a page comes from the configuration or from a
// backend and is escaped here, byte by byte. Invalid UTF-8 is never passed
// on: each byte that is not part of a well-formed UTF-8 sequence (RFC 3629:
// no overlong forms, no surrogates, nothing above U+10FFFF) becomes U+FFFD.
//
// The append_* functions append to a std::string and may throw
// std::bad_alloc; the others do not allocate.
#ifndef LIBOX_STATUS_ESCAPE_H
#define LIBOX_STATUS_ESCAPE_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ox::status {

// Length (1-4) of the well-formed UTF-8 sequence at the start of `s`, or 0
// when `s` is empty or does not start with one.
std::size_t utf8_sequence_length(std::string_view s) noexcept;

// Text for HTML content and double-quoted attribute values: & < > " '
// escaped as character references; C0 controls other than tab, LF and CR,
// DEL and invalid UTF-8 bytes become U+FFFD.
void append_html(std::string& out, std::string_view text);

// A JSON string (RFC 8259), with its quotes. `"` and `\` escaped; control
// characters as \b \f \n \r \t or \u00XX; DEL, `<`, `>` and `&` as \u00XX
// (harmless to a JSON parser, and no browser can take the text for HTML);
// U+2028 and U+2029 as \u2028 / \u2029; each invalid UTF-8 byte as \ufffd.
void append_json_string(std::string& out, std::string_view text);

// A Prometheus text-format (0.0.4) label value, without its quotes:
// backslash, double quote and line feed as \\ \" \n; invalid UTF-8 bytes
// as U+FFFD (the format is UTF-8).
void append_prometheus_label_value(std::string& out, std::string_view text);

// A `# HELP` docstring: backslash and line feed as \\ and \n; invalid UTF-8
// as U+FFFD.
void append_prometheus_help(std::string& out, std::string_view text);

// "2024-05-01T12:34:56.789Z" for `ms` since the epoch (UTC, proleptic
// Gregorian; years 0000-9999, clamped). Writes kIsoTimeChars characters and
// a NUL; returns a view of them.
constexpr std::size_t kIsoTimeChars = 24;
std::string_view format_iso8601_utc(std::int64_t ms, char (&buf)[kIsoTimeChars + 1]) noexcept;

}  // namespace ox::status

#endif
