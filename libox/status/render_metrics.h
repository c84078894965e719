// The status page as Prometheus metrics (`?metrics`), text exposition
// format 0.0.4. Served as `text/plain; version=0.0.4; charset=utf-8`.
//
// Every metric has `# HELP` and `# TYPE` before its samples, and all
// samples of a metric form one group. Member metrics carry the labels
// balancer (its name), member (its URL) and route (its route, "" when it
// has none). Label values are escaped as the format says (\\, \", \n);
// invalid UTF-8 becomes U+FFFD. No sample has a timestamp. The metrics,
// their types, units and labels are listed in docs/status.md.
#ifndef LIBOX_STATUS_RENDER_METRICS_H
#define LIBOX_STATUS_RENDER_METRICS_H

#include <string>

#include "status/status_model.h"

namespace ox::status {

constexpr const char* kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

// The whole exposition, ending with a newline. Allocates; may throw
// std::bad_alloc.
std::string render_metrics(const StatusModel& model);

}  // namespace ox::status

#endif
