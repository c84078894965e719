/*
 * The "AJP floor" of bench/protocols: the least any AJP proxy inside httpd
 * can do per request. Benchmark code only; never loaded by the product.
 *
 * The memory floor (mod_oxb_memfloor.c) answers without a backend; this
 * handler adds one AJP13 round trip to Tomcat and nothing else: no
 * balancing, no session routes, no access rules, no health state, no
 * shared memory, no failover, no limits, no logging. Each thread keeps one
 * connection per backend (plain sockets, TCP_NODELAY, blocking) and takes
 * the backends in turn. Per request: one send of a forward request (the
 * client's request line, its headers by name, the query string), then
 * receives of up to 64 KiB, the response headers into headers_out, the
 * body copied out of the AJP packets into 64 KiB heap buckets passed as
 * they fill (mod_oxbalance's pass size), no flush. What mod_oxbalance or a
 * peer costs above this is what it does beyond moving the bytes; what this
 * costs above the memory floor is what talking to Tomcat costs httpd.
 *
 *   OxbAjpFloorBackend 127.0.0.1:8009 [127.0.0.1:8010 ...]   (up to 4)
 *
 * It answers every /ox/ URL of the server, claimed at translation as a
 * proxy claims them (no walk of the file system). GET only, no request
 * body, no TLS to the backend, no retry beyond one fresh connection when
 * a kept one is found closed before a byte of the response came.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "apr_buckets.h"
#include "apr_strings.h"

module AP_MODULE_DECLARE_DATA oxb_ajpfloor_module;

#define MAX_BACKENDS 4
#define PASS 65536
#define RECV 65536
#define MAX_PACKET 65536

typedef struct {
    struct sockaddr_in addr[MAX_BACKENDS];
    int n;
} floor_conf;

/* One connection per backend per thread, for the process's life. */
static __thread int conns[MAX_BACKENDS] = {-1, -1, -1, -1};
static __thread unsigned turn;

static void *create_conf(apr_pool_t *p, server_rec *s)
{
    (void)s;
    return apr_pcalloc(p, sizeof(floor_conf));
}

static const char *add_backend(cmd_parms *cmd, void *dc, const char *arg)
{
    floor_conf *c = ap_get_module_config(cmd->server->module_config, &oxb_ajpfloor_module);
    const char *colon = strrchr(arg, ':');
    (void)dc;
    if (c->n == MAX_BACKENDS)
        return "OxbAjpFloorBackend: at most 4 backends";
    if (!colon)
        return "OxbAjpFloorBackend: HOST:PORT";
    memset(&c->addr[c->n], 0, sizeof c->addr[c->n]);
    c->addr[c->n].sin_family = AF_INET;
    c->addr[c->n].sin_port = htons((unsigned short)atoi(colon + 1));
    if (inet_pton(AF_INET, apr_pstrmemdup(cmd->temp_pool, arg, (apr_size_t)(colon - arg)), &c->addr[c->n].sin_addr) != 1)
        return "OxbAjpFloorBackend: an IPv4 address";
    c->n++;
    return NULL;
}

/* ---- the forward request ---- */

typedef struct {
    unsigned char *b;
    apr_size_t len, cap;
    int overflow;
} out_buf;

static void put_byte(out_buf *o, unsigned v)
{
    if (o->len < o->cap)
        o->b[o->len++] = (unsigned char)v;
    else
        o->overflow = 1;
}

static void put_int(out_buf *o, unsigned v)
{
    put_byte(o, (v >> 8) & 0xff);
    put_byte(o, v & 0xff);
}

static void put_string(out_buf *o, const char *s)
{
    apr_size_t n = s ? strlen(s) : 0;
    if (!s) {
        put_int(o, 0xffff);
        return;
    }
    put_int(o, (unsigned)n);
    if (o->len + n + 1 > o->cap) {
        o->overflow = 1;
        return;
    }
    memcpy(o->b + o->len, s, n);
    o->len += n;
    o->b[o->len++] = 0;
}

static int put_header(void *rec, const char *name, const char *value)
{
    put_string(rec, name);
    put_string(rec, value);
    return 1;
}

/* A forward request for r into o; 0 when it does not fit one packet. */
static int forward_request(request_rec *r, out_buf *o)
{
    o->len = 4;
    put_byte(o, 2);  /* JK_AJP13_FORWARD_REQUEST */
    put_byte(o, 2);  /* GET */
    put_string(o, r->protocol);
    put_string(o, r->uri + 3);  /* /ox/X is the backends' /X, as the peers' ProxyPass /ox/ maps it */
    put_string(o, r->useragent_ip);
    put_string(o, NULL);
    put_string(o, r->hostname ? r->hostname : r->server->server_hostname);
    put_int(o, ap_get_server_port(r));
    put_byte(o, 0);
    put_int(o, (unsigned)apr_table_elts(r->headers_in)->nelts);
    apr_table_do(put_header, o, r->headers_in, NULL);
    if (r->args) {
        put_byte(o, 0x05);  /* query_string */
        put_string(o, r->args);
    }
    put_byte(o, 0xff);
    if (o->overflow)
        return 0;
    o->b[0] = 0x12;
    o->b[1] = 0x34;
    o->b[2] = (unsigned char)((o->len - 4) >> 8);
    o->b[3] = (unsigned char)((o->len - 4) & 0xff);
    return 1;
}

/* ---- the connection ---- */

static int connect_to(const struct sockaddr_in *addr)
{
    int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (const struct sockaddr *)addr, sizeof *addr) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int send_all(int fd, const unsigned char *p, apr_size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return 0;
        p += w;
        n -= (apr_size_t)w;
    }
    return 1;
}

/* ---- the response ---- */

static const char *const response_header_names[] = {
    NULL, "Content-Type", "Content-Language", "Content-Length", "Date", "Last-Modified",
    "Location", "Set-Cookie", "Set-Cookie2", "Servlet-Engine", "Status", "WWW-Authenticate",
};

typedef struct {
    const unsigned char *p, *end;
    int bad;
} in_buf;

static unsigned get_int(in_buf *in)
{
    unsigned v;
    if (in->end - in->p < 2) {
        in->bad = 1;
        return 0;
    }
    v = ((unsigned)in->p[0] << 8) | in->p[1];
    in->p += 2;
    return v;
}

static const char *get_string(in_buf *in, apr_pool_t *pool)
{
    unsigned n = get_int(in);
    const char *s;
    if (in->bad || n == 0xffff)
        return NULL;
    if ((apr_size_t)(in->end - in->p) < (apr_size_t)n + 1) {
        in->bad = 1;
        return NULL;
    }
    s = apr_pstrmemdup(pool, (const char *)in->p, n);
    in->p += n + 1;
    return s;
}

/* SEND_HEADERS into r; 0 when malformed. */
static int take_headers(request_rec *r, in_buf *in)
{
    unsigned i, count;
    r->status = (int)get_int(in);
    get_string(in, r->pool);
    count = get_int(in);
    for (i = 0; i < count && !in->bad; i++) {
        const char *name, *value;
        if (in->end - in->p >= 2 && in->p[0] == 0xa0) {
            unsigned code = get_int(in) & 0xff;
            name = code < sizeof response_header_names / sizeof *response_header_names ? response_header_names[code] : NULL;
            if (!name)
                return 0;
        } else {
            name = get_string(in, r->pool);
        }
        value = get_string(in, r->pool);
        if (in->bad || !name || !value)
            return 0;
        if (strcasecmp(name, "Content-Type") == 0)
            ap_set_content_type(r, value);
        else if (strcasecmp(name, "Content-Length") == 0)
            ap_set_content_length(r, apr_atoi64(value));
        else
            apr_table_add(r->headers_out, name, value);
    }
    return !in->bad;
}

typedef struct {
    request_rec *r;
    apr_bucket_brigade *bb;
    char *pass;
    apr_size_t filled;
    apr_status_t rv;
} body_out;

static void pass_body(body_out *o, int last)
{
    apr_bucket_alloc_t *ba = o->bb->bucket_alloc;
    if (o->filled > 0)
        APR_BRIGADE_INSERT_TAIL(o->bb, apr_bucket_heap_create(o->pass, o->filled, apr_bucket_free, ba));
    else if (o->pass)
        apr_bucket_free(o->pass);
    o->pass = NULL;
    o->filled = 0;
    if (last)
        APR_BRIGADE_INSERT_TAIL(o->bb, apr_bucket_eos_create(ba));
    if (!APR_BRIGADE_EMPTY(o->bb) && o->rv == APR_SUCCESS)
        o->rv = ap_pass_brigade(o->r->output_filters, o->bb);
    apr_brigade_cleanup(o->bb);
}

static void take_body(body_out *o, const unsigned char *p, apr_size_t n)
{
    while (n > 0) {
        apr_size_t room, k;
        if (!o->pass)
            o->pass = apr_bucket_alloc(PASS, o->bb->bucket_alloc);
        room = PASS - o->filled;
        k = n < room ? n : room;
        memcpy(o->pass + o->filled, p, k);
        o->filled += k;
        p += k;
        n -= k;
        if (o->filled == PASS)
            pass_body(o, 0);
    }
}

enum outcome { RESPONSE_DONE, RESPONSE_NOT_BEGUN, RESPONSE_FAILED };

/* Reads the response on fd into r until END_RESPONSE. */
static enum outcome read_response(request_rec *r, int fd, int *reuse)
{
    unsigned char buf[RECV + MAX_PACKET];
    apr_size_t have = 0, got_any = 0;
    body_out o = {r, apr_brigade_create(r->pool, r->connection->bucket_alloc), NULL, 0, APR_SUCCESS};
    for (;;) {
        apr_size_t at = 0;
        ssize_t n = recv(fd, buf + have, sizeof buf - have, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return got_any ? RESPONSE_FAILED : RESPONSE_NOT_BEGUN;
        got_any = 1;
        have += (apr_size_t)n;
        while (have - at >= 4) {
            apr_size_t len = ((apr_size_t)buf[at + 2] << 8) | buf[at + 3];
            in_buf in;
            if (buf[at] != 'A' || buf[at + 1] != 'B' || len == 0)
                return RESPONSE_FAILED;
            if (have - at < 4 + len)
                break;
            in.p = buf + at + 5;
            in.end = buf + at + 4 + len;
            in.bad = 0;
            switch (buf[at + 4]) {
            case 3: {  /* SEND_BODY_CHUNK */
                unsigned k = get_int(&in);
                if (in.bad || (apr_size_t)(in.end - in.p) < k)
                    return RESPONSE_FAILED;
                take_body(&o, in.p, k);
                break;
            }
            case 4:  /* SEND_HEADERS */
                if (!take_headers(r, &in))
                    return RESPONSE_FAILED;
                break;
            case 5:  /* END_RESPONSE */
                *reuse = len >= 2 && buf[at + 5] == 1;
                pass_body(&o, 1);
                return o.rv == APR_SUCCESS ? RESPONSE_DONE : RESPONSE_FAILED;
            case 6: {  /* GET_BODY_CHUNK: a GET has no body */
                static const unsigned char empty[4] = {0x12, 0x34, 0, 0};
                if (!send_all(fd, empty, sizeof empty))
                    return RESPONSE_FAILED;
                break;
            }
            default:
                return RESPONSE_FAILED;
            }
            at += 4 + len;
        }
        memmove(buf, buf + at, have - at);
        have -= at;
    }
}

static int claim(request_rec *r)
{
    if (strncmp(r->uri, "/ox/", 4) != 0)
        return DECLINED;
    r->handler = "oxb-ajpfloor";
    r->filename = apr_pstrcat(r->pool, "oxb-ajpfloor:", r->uri, NULL);
    return OK;
}

static int skip_walk(request_rec *r)
{
    return r->handler && strcmp(r->handler, "oxb-ajpfloor") == 0 ? OK : DECLINED;
}

static int ajpfloor_handler(request_rec *r)
{
    floor_conf *c = ap_get_module_config(r->server->module_config, &oxb_ajpfloor_module);
    unsigned char packet[8192];
    out_buf o = {packet, 0, sizeof packet, 0};
    int attempt, b, reuse = 0;

    if (!r->handler || strcmp(r->handler, "oxb-ajpfloor") != 0)
        return DECLINED;
    if (r->method_number != M_GET)
        return HTTP_METHOD_NOT_ALLOWED;
    if (c->n == 0 || !forward_request(r, &o))
        return HTTP_INTERNAL_SERVER_ERROR;
    b = (int)(turn++ % (unsigned)c->n);
    for (attempt = 0; attempt < 2; attempt++) {
        enum outcome got;
        int fresh = conns[b] < 0;
        if (fresh && (conns[b] = connect_to(&c->addr[b])) < 0)
            return HTTP_SERVICE_UNAVAILABLE;
        got = send_all(conns[b], packet, o.len) ? read_response(r, conns[b], &reuse) : RESPONSE_NOT_BEGUN;
        if (got != RESPONSE_DONE || !reuse) {
            close(conns[b]);
            conns[b] = -1;
        }
        if (got == RESPONSE_DONE)
            return OK;
        if (got == RESPONSE_FAILED || fresh)
            break;
    }
    ap_log_rerror(APLOG_MARK, APLOG_ERR, errno, r, "oxb-ajpfloor: backend %d failed", b);
    return r->sent_bodyct ? AP_FILTER_ERROR : HTTP_BAD_GATEWAY;
}

static void register_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_translate_name(claim, NULL, NULL, APR_HOOK_FIRST);
    ap_hook_map_to_storage(skip_walk, NULL, NULL, APR_HOOK_FIRST);
    ap_hook_handler(ajpfloor_handler, NULL, NULL, APR_HOOK_MIDDLE);
}

static const command_rec commands[] = {
    AP_INIT_ITERATE("OxbAjpFloorBackend", add_backend, NULL, RSRC_CONF, "the backends' HOST:PORT (AJP13)"),
    {NULL},
};

module AP_MODULE_DECLARE_DATA oxb_ajpfloor_module = {
    STANDARD20_MODULE_STUFF, NULL, NULL, create_conf, NULL, commands, register_hooks,
};
