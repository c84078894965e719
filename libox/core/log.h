// libox logs through this interface so that it runs unchanged inside httpd
// (ap_log_error), in unit tests and in command-line tools. Request-path code
// does not log at all: it returns an Outcome and the caller logs once.
#ifndef LIBOX_CORE_LOG_H
#define LIBOX_CORE_LOG_H

namespace ox {

enum class LogLevel { error, warn, info, debug };

class Logger {
public:
    virtual ~Logger() = default;
    // `id` is the stable message number (OXB<id>); `msg` is complete text.
    virtual void log(LogLevel level, int id, const char* msg) noexcept = 0;
};

}  // namespace ox

#endif
