/*
 * The "memory floor" of bench/protocols: a handler that answers the
 * benchmark's URLs from memory, as a proxy hands a backend's body to httpd,
 * but without a backend. Benchmark code only; never loaded by the product.
 *
 * The static-file floor goes through httpd as one file or mmap bucket,
 * which mod_ssl and mod_http2 treat better than memory: mod_http2's beam,
 * for one, passes a file bucket between its threads as one handle, but
 * memory in steps of H2StreamMaxMemSize. A proxy can only ever hand httpd
 * memory, so this handler is what any proxy costs before it talks to a
 * backend at all: the body as heap buckets (kept by reference by httpd and
 * by mod_http2's beam, as mod_oxbalance's zero-copy bodies are), one pass
 * per 64 KiB (mod_oxbalance's pass size while a backend keeps sending),
 * no copy, no flush. Together with bench/recv-floor (receiving the same
 * bytes from Tomcat) it bounds what a proxy can cost from below.
 *
 * Loaded, it answers every /ox/ URL of the server (no directive):
 *   /ox/small: 200 bytes; /ox/download?bytes=N: N bytes (default 1 MiB).
 * Like a proxy (mod_proxy, mod_oxbalance's OXPass), it claims those URLs
 * when httpd translates them and skips the walk of the file system that
 * follows (stat and .htaccess lookups per path segment), which the static
 * file's server pays for a file that exists and a handler for a file that
 * does not would pay for nothing.
 *
 * For experiments (docs/performance.md): &piece=N passes N bytes at a time
 * (at most 64 KiB), &pace=U sleeps U microseconds before each pass after
 * the first, as a proxy waits for its backend's next bytes, and &flush=1
 * ends each pass with a flush bucket, as a proxy does before it waits.
 */
#include <stdlib.h>
#include <string.h>

#include "httpd.h"
#include "http_config.h"
#include "http_protocol.h"
#include "apr_buckets.h"
#include "apr_strings.h"

#define PIECE 65536
static char body[PIECE]; /* filled once at load; read only afterwards */

static void keep(void *data) { (void)data; /* static: nothing to free */ }

/* The value of NAME= in the query, or DEFAULT when absent or out of range. */
static apr_off_t arg(request_rec *r, const char *name, apr_off_t dflt, apr_off_t max)
{
    const char *q = r->args;
    size_t len = strlen(name);
    while (q && *q) {
        if (strncmp(q, name, len) == 0 && q[len] == '=') {
            char *end;
            apr_off_t n = apr_strtoi64(q + len + 1, &end, 10);
            return n < 0 || n > max ? dflt : n;
        }
        q = strchr(q, '&');
        if (q)
            q++;
    }
    return dflt;
}

static int claim(request_rec *r)
{
    if (strncmp(r->uri, "/ox/", 4) != 0)
        return DECLINED;
    r->handler = "oxb-memfloor";
    r->filename = apr_pstrcat(r->pool, "oxb-memfloor:", r->uri, NULL);
    return OK;
}

static int skip_walk(request_rec *r)
{
    return r->handler && strcmp(r->handler, "oxb-memfloor") == 0 ? OK : DECLINED;
}

static int memfloor_handler(request_rec *r)
{
    apr_bucket_brigade *bb;
    apr_off_t left, piece, pace, flush;
    apr_status_t rv = APR_SUCCESS;

    if (!r->handler || strcmp(r->handler, "oxb-memfloor") != 0)
        return DECLINED;
    if (r->method_number != M_GET)
        return HTTP_METHOD_NOT_ALLOWED;
    left = strcmp(r->uri, "/ox/small") == 0 ? 200 : arg(r, "bytes", 1048576, (apr_off_t)1 << 34);
    piece = arg(r, "piece", PIECE, PIECE);
    pace = arg(r, "pace", 0, 1000000);
    flush = arg(r, "flush", 0, 1);
    if (piece == 0)
        piece = PIECE;
    ap_set_content_type(r, "application/octet-stream");
    ap_set_content_length(r, left);
    if (r->header_only)
        return OK;
    bb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
    while (left > 0 && rv == APR_SUCCESS) {
        apr_size_t n = left > piece ? (apr_size_t)piece : (apr_size_t)left;
        if (pace > 0 && left < r->clength)
            apr_sleep((apr_interval_time_t)pace);
        APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_heap_create(body, n, keep, bb->bucket_alloc));
        left -= n;
        if (left == 0)
            APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_eos_create(bb->bucket_alloc));
        else if (flush)
            APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_flush_create(bb->bucket_alloc));
        rv = ap_pass_brigade(r->output_filters, bb);
        apr_brigade_cleanup(bb);
    }
    return rv == APR_SUCCESS ? OK : AP_FILTER_ERROR;
}

static void register_hooks(apr_pool_t *p)
{
    (void)p;
    memset(body, 'y', sizeof body);
    ap_hook_translate_name(claim, NULL, NULL, APR_HOOK_FIRST);
    ap_hook_map_to_storage(skip_walk, NULL, NULL, APR_HOOK_FIRST);
    ap_hook_handler(memfloor_handler, NULL, NULL, APR_HOOK_MIDDLE);
}

module AP_MODULE_DECLARE_DATA oxb_memfloor_module = {
    STANDARD20_MODULE_STUFF, NULL, NULL, NULL, NULL, NULL, register_hooks,
};
