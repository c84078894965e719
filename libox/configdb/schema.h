// Our tables' DDL. conf/configdb-schema.sql is the one source: the build
// embeds it (schema_sql.inc), and ensure_schema() runs its statements.
#ifndef LIBOX_CONFIGDB_SCHEMA_H
#define LIBOX_CONFIGDB_SCHEMA_H

#include <string>
#include <string_view>
#include <vector>

namespace ox::configdb {

constexpr const char* kStateTable = "oxbalance_member_state";
constexpr const char* kHistoryTable = "oxbalance_member_state_history";

// The text of conf/configdb-schema.sql.
std::string_view schema_sql() noexcept;

// The statements of an SQL script written by the file's rules: lines that
// start with "--" (after blanks) are comments, a ';' at the end of a line
// ends a statement. Statements come without their ';'.
std::vector<std::string> split_sql_script(std::string_view script);

}  // namespace ox::configdb

#endif
