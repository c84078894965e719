// oxbalancectl's output: the same data as aligned text for people and as
// JSON for scripts.
#ifndef OXB_TOOLS_CTL_FORMAT_H
#define OXB_TOOLS_CTL_FORMAT_H

#include <cstdint>
#include <string>
#include <vector>

#include "configdb/mysql_store.h"
#include "configdb/store.h"

namespace oxctl {

// "2024-05-01 12:34:56Z" (UTC).
std::string format_time(std::int64_t seconds);
// "draining", or "(configured)" when unset.
std::string admin_text(const std::optional<ox::AdminState>& a);
// "50", or "(configured)" for 0.
std::string loadfactor_text(unsigned lf);

std::string list_text(const std::vector<ox::configdb::MemberStateRow>& rows);
std::string list_json(const std::vector<ox::configdb::MemberStateRow>& rows, const std::string& served_by);
std::string history_text(const std::vector<ox::configdb::HistoryRow>& rows);
std::string history_json(const std::vector<ox::configdb::HistoryRow>& rows, const std::string& served_by);

struct HostStatus {
    std::string role;   // "read", "write"
    std::string where;  // host:port
    std::string database;
    ox::configdb::MysqlStore::HostCheck check;
};
std::string status_text(const std::vector<HostStatus>& hosts);
std::string status_json(const std::vector<HostStatus>& hosts);

// A change done: "oxcluster OX1: admin state draining".
std::string change_text(const ox::configdb::Change& c);
std::string change_json(const ox::configdb::Change& c);

}  // namespace oxctl

#endif
