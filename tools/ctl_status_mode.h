// oxbalancectl --status-url: the commands against one front end's status
// page (docs/status.md) instead of the configdb, for installations without
// one. `list` and `status` read the page's ?json; an action fetches the
// page for its nonce and posts the form as the page's own forms do.
#ifndef OXB_TOOLS_CTL_STATUS_MODE_H
#define OXB_TOOLS_CTL_STATUS_MODE_H

#include <string>
#include <vector>

#include "ctl_http.h"

namespace oxctl {

// oxbalancectl's exit codes (docs/oxbalancectl.md).
constexpr int kExitOk = 0, kExitUsage = 1, kExitUnreachable = 2, kExitInvalid = 3;

// The default for connecting and for each wait on the page.
constexpr unsigned kPageTimeoutSeconds = 5;

struct PageOptions {
    HttpUrl url;
    bool json = false;
    unsigned timeout_seconds = kPageTimeoutSeconds;
    // The command and its arguments, their number checked already: list,
    // status, drain|disable|enable|standby BALANCER MEMBER, loadfactor
    // BALANCER MEMBER N.
    std::vector<std::string> words;
};

// Runs the command; output on stdout, errors on stderr. Returns the exit code.
int run_status_page(const PageOptions& o);

}  // namespace oxctl

#endif
