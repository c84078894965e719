// The status page as JSON (`?json`): schema version 1, documented field by
// field in docs/status.md. Served as `application/json` (UTF-8).
//
// Numbers are JSON numbers (counters may exceed 2^53, which JavaScript's
// Number cannot hold exactly); every time is given twice, as an ISO-8601
// UTC string ("2024-05-01T12:34:56.789Z") and as milliseconds since the
// epoch ("..._ms"); a time that does not exist ("never") is null in both.
// Strings are escaped byte by byte (status/escape.h, append_json_string):
// each byte that is not part of well-formed UTF-8 is replaced by U+FFFD
// (written \ufffd), so the output is always valid UTF-8 and valid JSON.
//
// Within schema 1, fields are only ever added ("configdb" was); a change of meaning or a
// removal raises "schema".
#ifndef LIBOX_STATUS_RENDER_JSON_H
#define LIBOX_STATUS_RENDER_JSON_H

#include <string>

#include "status/status_model.h"

namespace ox::status {

constexpr int kJsonSchema = 1;

// The whole document, indented, ending with a newline. Allocates; may throw
// std::bad_alloc.
std::string render_json(const StatusModel& model);

}  // namespace ox::status

#endif
