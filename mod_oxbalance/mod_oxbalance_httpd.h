// httpd's C headers, included in one place. The module symbol is declared
// here with C linkage so that every file can log with APLOG_USE_MODULE.
#ifndef MOD_OXBALANCE_HTTPD_H
#define MOD_OXBALANCE_HTTPD_H

#include <httpd.h>
#include <http_config.h>
#include <http_connection.h>
#include <http_core.h>
#include <http_log.h>
#include <http_protocol.h>
#include <http_request.h>
#include <http_ssl.h>
#include <ap_mpm.h>
#include <apr_global_mutex.h>
#include <apr_strings.h>
#include <util_filter.h>

extern "C" {
extern module AP_MODULE_DECLARE_DATA oxbalance_module;
}

APLOG_USE_MODULE(oxbalance);

#endif
