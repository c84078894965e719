#include "configdb/schema.h"

#include "core/text.h"

namespace ox::configdb {

namespace {

// Generated from conf/configdb-schema.sql by the build (Makefile.am).
constexpr char kSchemaSql[] =
#include "configdb/schema_sql.inc"
    ;

}  // namespace

std::string_view schema_sql() noexcept { return {kSchemaSql, sizeof kSchemaSql - 1}; }

std::vector<std::string> split_sql_script(std::string_view script)
{
    std::vector<std::string> out;
    std::string current;
    std::size_t pos = 0;
    while (pos < script.size()) {
        std::size_t nl = script.find('\n', pos);
        if (nl == std::string_view::npos) nl = script.size();
        std::string_view line = script.substr(pos, nl - pos);
        pos = nl + 1;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        std::string_view t = trim_ows(line);
        if (t.empty() || t.substr(0, 2) == "--") continue;
        bool ends = t.back() == ';';
        if (ends) t.remove_suffix(1);
        if (!current.empty()) current += '\n';
        current.append(t);
        if (ends) {
            out.push_back(std::move(current));
            current.clear();
        }
    }
    if (!trim_ows(current).empty()) out.push_back(std::move(current));
    return out;
}

}  // namespace ox::configdb
