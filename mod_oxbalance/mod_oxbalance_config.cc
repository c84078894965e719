#include "mod_oxbalance_config.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <set>

#include "acl/path_prefix.h"
#include "balance/balancer_runtime.h"
#include "core/text.h"
#include "mod_oxbalance_acl.h"
#include "mod_oxbalance_configdb.h"
#include "mod_oxbalance_log.h"
#include "mod_oxbalance_pool.h"
#include "mod_oxbalance_state_file.h"
#include "mod_oxbalance_status.h"

namespace oxb {

namespace {

constexpr const char* kModuleConfigKey = "oxbalance-module-config";
constexpr const char* kDefaultRouteHeader = "X-OXB-Route";

// Directive handlers must not let an exception into httpd's C frames.
template <class F>
const char* guarded(cmd_parms* cmd, F&& f) noexcept
{
    try {
        return f();
    } catch (const std::exception& e) {
        return apr_psprintf(cmd->pool, "%s: internal error: %s", cmd->cmd->name, e.what());
    } catch (...) {
        return apr_psprintf(cmd->pool, "%s: internal error", cmd->cmd->name);
    }
}

const char* dup(cmd_parms* cmd, const std::string& s) { return apr_pstrmemdup(cmd->pool, s.data(), s.size()); }

ConfigPlace place_of(const cmd_parms* cmd) noexcept
{
    ConfigPlace p;
    if (cmd->directive) {
        p.file = cmd->directive->filename ? cmd->directive->filename : "";
        p.line = cmd->directive->line_num;
    }
    return p;
}

ModuleConfig* module_config(cmd_parms* cmd) { return server_config(cmd->server)->module; }

// <OXBalancer name> ... </OXBalancer>
const char* cmd_balancer(cmd_parms* cmd, void*, const char* arg)
{
    return guarded(cmd, [&]() -> const char* {
        if (const char* err = ap_check_cmd_context(cmd, NOT_IN_DIR_LOC_FILE)) return err;
        const char* end = ap_strrchr_c(arg, '>');
        if (!end) return "<OXBalancer> is missing its closing '>'";
        const char* args = apr_pstrmemdup(cmd->temp_pool, arg, static_cast<apr_size_t>(end - arg));
        const char* word = ap_getword_conf(cmd->temp_pool, &args);
        if (!*word) return "<OXBalancer> needs a name: <OXBalancer oxcluster>";
        if (*ap_getword_conf(cmd->temp_pool, &args)) return "<OXBalancer> takes exactly one name";

        ModuleConfig* mc = module_config(cmd);
        if (mc->current) return "<OXBalancer> sections cannot be nested";
        auto bc = std::make_unique<BalancerConfig>();
        if (std::string err = ox::parse_balancer_name(word, bc->spec.name); !err.empty()) return dup(cmd, err);
        if (bc->spec.name.size() >= sizeof(ox::state::MemberSlot::balancer)) {
            return "<OXBalancer> name is longer than 63 characters";
        }
        if (const BalancerConfig* other = mc->find(bc->spec.name)) {
            return apr_psprintf(cmd->pool, "balancer '%s' is already defined at %s:%d", other->spec.name.c_str(),
                                other->place.file, other->place.line);
        }
        bc->place = place_of(cmd);
        bc->index = mc->balancers.size();
        mc->balancers.push_back(std::move(bc));
        mc->current = mc->balancers.back().get();
        const char* err = ap_walk_config(cmd->directive->first_child, cmd, cmd->context);
        mc->current = nullptr;
        return err;
    });
}

// OXMember ajp://host:port [key=value ...]
const char* cmd_member(cmd_parms* cmd, void*, const char* args)
{
    return guarded(cmd, [&]() -> const char* {
        ModuleConfig* mc = module_config(cmd);
        if (!mc->current) return "OXMember must be inside an <OXBalancer> section";
        const char* url = ap_getword_conf(cmd->temp_pool, &args);
        if (!*url) return "OXMember needs a URL: OXMember ajp://host:port or http://host:port [route=..]";
        std::vector<std::string_view> params = conf_words(cmd->temp_pool, args);
        ox::MemberSpec m;
        if (std::string err = ox::parse_member(url, params, m); !err.empty()) return dup(cmd, err);
        if (m.url.size() >= sizeof(ox::state::MemberSlot::member)) return "OXMember: the URL is too long";
        if (mc->current->spec.members.size() >= ox::kMaxMembers) {
            return apr_psprintf(cmd->pool, "a balancer may have at most %" APR_SIZE_T_FMT " members", ox::kMaxMembers);
        }
        if (std::string err = mc->current->spec.add_member(std::move(m)); !err.empty()) return dup(cmd, err);
        return nullptr;
    });
}

// The balancer a directive inside <OXBalancer> applies to, or an error.
// Each of these directives is given once per balancer: a second one would
// silently replace the first.
const char* current_balancer(cmd_parms* cmd, ox::BalancerSpec*& out)
{
    ModuleConfig* mc = module_config(cmd);
    if (!mc->current) return apr_psprintf(cmd->pool, "%s must be inside an <OXBalancer> section", cmd->cmd->name);
    for (const auto& [name, place] : mc->current->given) {
        if (strcasecmp(name, cmd->cmd->name) == 0) {
            return apr_psprintf(cmd->pool, "%s is already given for balancer %s at %s:%d (one per balancer)",
                                cmd->cmd->name, mc->current->spec.name.c_str(), place.file, place.line);
        }
    }
    mc->current->given.emplace_back(cmd->cmd->name, place_of(cmd));
    out = &mc->current->spec;
    return nullptr;
}

bool is_token(std::string_view s) noexcept
{
    if (s.empty()) return false;
    for (char c : s) {
        if (c <= ' ' || c >= 0x7f || c == '=' || c == ';' || c == ',' || c == '"' || c == '|') return false;
    }
    return true;
}

// OXStickySession COOKIE [PATHPARAM]  (also COOKIE|PATHPARAM, as mod_proxy's
// stickysession=). One name: the path parameter is its lower case.
const char* cmd_sticky(cmd_parms* cmd, void*, const char* a, const char* b)
{
    return guarded(cmd, [&]() -> const char* {
        ox::BalancerSpec* spec = nullptr;
        if (const char* err = current_balancer(cmd, spec)) return err;
        std::string cookie = a;
        std::string param = b ? b : "";
        if (auto bar = cookie.find('|'); bar != std::string::npos && !b) {
            param = cookie.substr(bar + 1);
            cookie.resize(bar);
        }
        if (param.empty()) {
            param = cookie;
            for (char& c : param) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
        if (!is_token(cookie) || !is_token(param)) {
            return "OXStickySession: names are tokens (no spaces, '=', ';', ',', '|' or quotes)";
        }
        spec->sticky.cookie = cookie;
        spec->sticky.path_param = param;
        return nullptr;
    });
}

// OXLBMethod byrequests|bybusyness
const char* cmd_lbmethod(cmd_parms* cmd, void*, const char* arg)
{
    return guarded(cmd, [&]() -> const char* {
        ox::BalancerSpec* spec = nullptr;
        if (const char* err = current_balancer(cmd, spec)) return err;
        if (!ox::parse_lbmethod(arg, spec->lbmethod)) {
            return apr_psprintf(cmd->pool, "OXLBMethod %s: expected byrequests or bybusyness", arg);
        }
        return nullptr;
    });
}

// OXHealthCheck cping|http|tcp|off [key=value ...]
const char* cmd_health_check(cmd_parms* cmd, void*, const char* args)
{
    return guarded(cmd, [&]() -> const char* {
        ox::BalancerSpec* spec = nullptr;
        if (const char* err = current_balancer(cmd, spec)) return err;
        std::vector<std::string_view> words = conf_words(cmd->temp_pool, args);
        if (std::string err = ox::health::parse_health_check(words, spec->health); !err.empty()) return dup(cmd, err);
        spec->health_set = true;
        return nullptr;
    });
}

// OXFailOnStatus 503[,500-599...]
const char* cmd_fail_on_status(cmd_parms* cmd, void*, const char* arg)
{
    return guarded(cmd, [&]() -> const char* {
        ox::BalancerSpec* spec = nullptr;
        if (const char* err = current_balancer(cmd, spec)) return err;
        if (std::string err = ox::health::parse_status_list(arg, spec->fail_on_status); !err.empty()) {
            return dup(cmd, "OXFailOnStatus " + err);
        }
        return nullptr;
    });
}

// OXFailover On|Off
const char* cmd_failover(cmd_parms* cmd, void*, int on)
{
    return guarded(cmd, [&]() -> const char* {
        ox::BalancerSpec* spec = nullptr;
        if (const char* err = current_balancer(cmd, spec)) return err;
        spec->failover = on != 0;
        return nullptr;
    });
}

// OXWebSocket On|Off [idle=] [max=] [grace=]
const char* cmd_websocket(cmd_parms* cmd, void*, const char* args)
{
    return guarded(cmd, [&]() -> const char* {
        ox::BalancerSpec* spec = nullptr;
        if (const char* err = current_balancer(cmd, spec)) return err;
        std::vector<std::string_view> words = conf_words(cmd->temp_pool, args);
        if (std::string err = ox::parse_tunnel(words, spec->tunnel); !err.empty()) return dup(cmd, err);
        return nullptr;
    });
}

// OXRouteHeader On|Off|NAME
const char* cmd_route_header(cmd_parms* cmd, void*, const char* arg)
{
    return guarded(cmd, [&]() -> const char* {
        if (const char* err = ap_check_cmd_context(cmd, NOT_IN_DIR_LOC_FILE)) return err;
        ServerConfig* sc = server_config(cmd->server);
        std::string_view v(arg);
        if (ox::equals_lowercase(v, "off")) {
            sc->route_header.clear();
        } else if (ox::equals_lowercase(v, "on")) {
            sc->route_header = kDefaultRouteHeader;
        } else if (is_token(v)) {
            sc->route_header = arg;
        } else {
            return apr_psprintf(cmd->pool, "OXRouteHeader %s: expected On, Off or a header name", arg);
        }
        sc->route_header_set = true;
        return nullptr;
    });
}

// OXAddForwardedHeaders On|Off
const char* cmd_add_forwarded(cmd_parms* cmd, void*, int on)
{
    return guarded(cmd, [&]() -> const char* {
        if (const char* err = ap_check_cmd_context(cmd, NOT_IN_DIR_LOC_FILE)) return err;
        ServerConfig* sc = server_config(cmd->server);
        sc->add_forwarded = on != 0;
        sc->add_forwarded_set = true;
        return nullptr;
    });
}

// OXPass /prefix balancer [/backend-prefix]   |   OXPass /prefix !
const char* cmd_pass(cmd_parms* cmd, void*, const char* prefix, const char* balancer, const char* backend)
{
    return guarded(cmd, [&]() -> const char* {
        if (const char* err = ap_check_cmd_context(cmd, NOT_IN_DIR_LOC_FILE)) return err;
        // mod_proxy's spelling, `OXPass /ajax balancer://oxcluster/ajax`, means
        // what it means there: the balancer, and the path that replaces the
        // prefix (none: the root).
        std::string_view b(balancer);
        std::string from_url;
        if (b.substr(0, 11) == "balancer://") {
            if (backend) {
                return apr_psprintf(cmd->pool, "OXPass %s %s %s: a balancer:// URL already names the backend path; "
                                    "write OXPass %s NAME [/backend-prefix]", prefix, balancer, backend, prefix);
            }
            std::string_view rest = b.substr(11);
            std::size_t slash = rest.find('/');
            from_url = slash == std::string_view::npos ? std::string("/") : std::string(rest.substr(slash));
            balancer = apr_pstrmemdup(cmd->temp_pool, rest.data(), slash == std::string_view::npos ? rest.size() : slash);
            backend = from_url.c_str();
        }
        ox::proxy::PassRule rule;
        if (std::string err = ox::proxy::parse_pass_rule(prefix, balancer, backend, rule); !err.empty()) {
            return dup(cmd, err);
        }
        if (!rule.excluded) {
            if (std::string err = ox::parse_balancer_name(balancer, rule.balancer); !err.empty()) return dup(cmd, err);
        }
        ConfigPlace place = place_of(cmd);
        rule.file = place.file;
        rule.line = place.line;
        if (std::string err = server_config(cmd->server)->passes.add(std::move(rule)); !err.empty()) return dup(cmd, err);
        return nullptr;
    });
}

// Warnings for configurations that work, but not as their author likely
// meant: printed by configtest and at every start.
void warn_balancer(server_rec* s, const BalancerConfig& b)
{
    bool any_active = false;
    for (const ox::MemberSpec& m : b.spec.members) {
        // A standby takes new sessions while no active member is up.
        any_active = any_active || m.status == ox::AdminState::active || m.status == ox::AdminState::standby;
        if (m.route.empty()) {
            ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_WARNING, 0, s,
                         OXBLOGNO(00040) "%s:%d: <OXBalancer %s>: member %s has no route=, so its sessions cannot "
                         "stick to it (set route= to the node's jvmRoute)",
                         b.place.file, b.place.line, b.spec.name.c_str(), m.url.c_str());
        }
    }
    if (!any_active && !b.spec.members.empty()) {
        ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_WARNING, 0, s,
                     OXBLOGNO(00041) "%s:%d: <OXBalancer %s>: no member is active or standby: new sessions get 503 "
                     "until one is enabled", b.place.file, b.place.line, b.spec.name.c_str());
    }
}

// `ProxyPass /path url` lines anywhere in the configuration (server level,
// virtual hosts, and the one-argument form inside <Location /path>).
void find_proxy_passes(const ap_directive_t* d, std::vector<const ap_directive_t*>& out)
{
    for (; d; d = d->next) {
        if (d->directive && strcasecmp(d->directive, "ProxyPass") == 0) out.push_back(d);
        if (d->first_child) find_proxy_passes(d->first_child, out);
    }
}

// An OXPass prefix that mod_proxy maps too: which module gets the request
// depends on module order, not on the configuration.
void warn_proxy_pass_overlap(apr_pool_t* p, server_rec* s, const ox::proxy::PassTable& passes,
                             const std::vector<const ap_directive_t*>& proxy_passes,
                             std::set<std::string>& warned)
{
    for (const ap_directive_t* d : proxy_passes) {
        const char* args = d->args;
        const char* path = ap_getword_conf(p, &args);
        const char* url = ap_getword_conf(p, &args);
        if (*path && path[0] != '/' && d->parent && d->parent->directive &&
            strcasecmp(d->parent->directive, "<Location") == 0) {
            // <Location /ajax> ProxyPass balancer://x/ajax </Location>: the
            // path is the section's.
            url = path;
            const char* largs = d->parent->args;
            path = ap_getword_conf(p, &largs);
            if (char* gt = std::strrchr(const_cast<char*>(path), '>')) *gt = '\0';
        }
        // `ProxyPass /ajax/x !` maps nothing: an exclusion, no overlap.
        if (!*path || path[0] != '/' || !*url || std::strcmp(url, "!") == 0) continue;
        std::string pp(path);
        while (pp.size() > 1 && pp.back() == '/') pp.pop_back();
        for (const ox::proxy::PassRule& r : passes.rules()) {
            if (r.excluded || !(ox::acl::covers(r.prefix, pp) || ox::acl::covers(pp, r.prefix))) continue;
            // A virtual host has copies of the main server's rules: one line
            // per pair of places.
            std::string key = r.file + ":" + std::to_string(r.line) + " " + d->filename + ":" + std::to_string(d->line_num);
            if (!warned.insert(key).second) continue;
            ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_WARNING, 0, s,
                         OXBLOGNO(00042) "%s:%d: OXPass %s overlaps ProxyPass %s at %s:%d: which module forwards "
                         "such requests depends on module order; remove one of them",
                         r.file.c_str(), r.line, r.written.c_str(), path, d->filename, d->line_num);
        }
    }
}

}  // namespace

BalancerConfig* ModuleConfig::find(std::string_view name) const noexcept
{
    for (const auto& b : balancers) {
        if (b->spec.name == name) return b.get();
    }
    return nullptr;
}

ServerConfig* server_config(const server_rec* s) noexcept
{
    return static_cast<ServerConfig*>(ap_get_module_config(s->module_config, &oxbalance_module));
}

std::vector<std::string_view> conf_words(apr_pool_t* p, const char* args)
{
    std::vector<std::string_view> words;
    while (*args) {
        const char* w = ap_getword_conf(p, &args);
        if (*w) words.emplace_back(w);
    }
    return words;
}

extern "C" {
static const char* c_cmd_balancer(cmd_parms* cmd, void* d, const char* a) { return cmd_balancer(cmd, d, a); }
static const char* c_cmd_member(cmd_parms* cmd, void* d, const char* a) { return cmd_member(cmd, d, a); }
static const char* c_cmd_pass(cmd_parms* cmd, void* d, const char* a, const char* b, const char* c)
{
    return cmd_pass(cmd, d, a, b, c);
}
static const char* c_cmd_sticky(cmd_parms* cmd, void* d, const char* a, const char* b) { return cmd_sticky(cmd, d, a, b); }
static const char* c_cmd_lbmethod(cmd_parms* cmd, void* d, const char* a) { return cmd_lbmethod(cmd, d, a); }
static const char* c_cmd_failover(cmd_parms* cmd, void* d, int on) { return cmd_failover(cmd, d, on); }
static const char* c_cmd_health_check(cmd_parms* cmd, void* d, const char* a) { return cmd_health_check(cmd, d, a); }
static const char* c_cmd_websocket(cmd_parms* cmd, void* d, const char* a) { return cmd_websocket(cmd, d, a); }
static const char* c_cmd_fail_on_status(cmd_parms* cmd, void* d, const char* a) { return cmd_fail_on_status(cmd, d, a); }
static const char* c_cmd_route_header(cmd_parms* cmd, void* d, const char* a) { return cmd_route_header(cmd, d, a); }
static const char* c_cmd_add_forwarded(cmd_parms* cmd, void* d, int on) { return cmd_add_forwarded(cmd, d, on); }
static const char* c_cmd_protect(cmd_parms* cmd, void* d, const char* a) { return cmd_protect(cmd, d, a); }
static const char* c_cmd_trusted_proxy(cmd_parms* cmd, void* d, const char* a) { return cmd_trusted_proxy(cmd, d, a); }
static const char* c_cmd_status(cmd_parms* cmd, void* d, const char* a) { return cmd_status(cmd, d, a); }
static const char* c_cmd_state_file(cmd_parms* cmd, void* d, const char* a) { return cmd_state_file(cmd, d, a); }
static const char* c_cmd_configdb(cmd_parms* cmd, void* d, const char* a) { return cmd_configdb(cmd, d, a); }
}

// httpd declares cmd_func without parameters in C++; casting through
// void(*)() is the conversion GCC accepts as deliberate.
template <class F>
cmd_func as_cmd_func(F* f) noexcept
{
    return reinterpret_cast<cmd_func>(reinterpret_cast<void (*)()>(f));
}

const command_rec directives[] = {
    AP_INIT_RAW_ARGS("<OXBalancer", as_cmd_func(c_cmd_balancer), nullptr, RSRC_CONF,
                     "<OXBalancer name> ... </OXBalancer>: a group of OX nodes"),
    AP_INIT_RAW_ARGS("OXMember", as_cmd_func(c_cmd_member), nullptr, RSRC_CONF,
                     "OXMember ajp://host:port|http://host:port [route= loadfactor= timeout= ttl= retry= smax= secret= ...]"),
    AP_INIT_TAKE23("OXPass", as_cmd_func(c_cmd_pass), nullptr, RSRC_CONF,
                   "OXPass /prefix balancer [/backend-prefix], or OXPass /prefix !"),
    AP_INIT_TAKE12("OXStickySession", as_cmd_func(c_cmd_sticky), nullptr, RSRC_CONF,
                   "OXStickySession COOKIE [PATHPARAM]: where session ids are found (inside <OXBalancer>)"),
    AP_INIT_TAKE1("OXLBMethod", as_cmd_func(c_cmd_lbmethod), nullptr, RSRC_CONF,
                  "OXLBMethod byrequests|bybusyness: how new sessions are spread (inside <OXBalancer>)"),
    AP_INIT_RAW_ARGS("OXHealthCheck", as_cmd_func(c_cmd_health_check), nullptr, RSRC_CONF,
                     "OXHealthCheck cping|http|tcp|off [interval= timeout= fails= passes= uri= expect= method= host= "
                     "auth=]: how the balancer's nodes are probed (inside <OXBalancer>)"),
    AP_INIT_TAKE1("OXFailOnStatus", as_cmd_func(c_cmd_fail_on_status), nullptr, RSRC_CONF,
                  "OXFailOnStatus 503[,500-599]: backend statuses that put a member into its retry window "
                  "(inside <OXBalancer>; a member's failonstatus= wins)"),
    AP_INIT_RAW_ARGS("OXWebSocket", as_cmd_func(c_cmd_websocket), nullptr, RSRC_CONF,
                     "OXWebSocket On|Off [idle=DURATION] [max=DURATION] [grace=DURATION]: tunnel WebSocket upgrades "
                     "to http:// members (inside <OXBalancer>; default On, idle = the member's timeout)"),
    AP_INIT_FLAG("OXFailover", as_cmd_func(c_cmd_failover), nullptr, RSRC_CONF,
                 "OXFailover On|Off: send a session whose member is gone to its successor, or answer 503"),
    AP_INIT_TAKE1("OXRouteHeader", as_cmd_func(c_cmd_route_header), nullptr, RSRC_CONF,
                  "OXRouteHeader NAME|off: a response header saying which member answered and why"),
    AP_INIT_FLAG("OXAddForwardedHeaders", as_cmd_func(c_cmd_add_forwarded), nullptr, RSRC_CONF,
                 "OXAddForwardedHeaders On|Off: tell the backend the client's address, scheme and host "
                 "(X-Forwarded-For/-Proto/-Host; default On)"),
    AP_INIT_RAW_ARGS("OXProtect", as_cmd_func(c_cmd_protect), nullptr, RSRC_CONF,
                     "OXProtect /prefix address|cidr|local ...: only these clients may reach the path"),
    AP_INIT_ITERATE("OXTrustedProxy", as_cmd_func(c_cmd_trusted_proxy), nullptr, RSRC_CONF,
                    "OXTrustedProxy cidr ...: peers whose X-Forwarded-For/Forwarded name the client"),
    AP_INIT_RAW_ARGS("OXStatus", as_cmd_func(c_cmd_status), nullptr, RSRC_CONF,
                     "OXStatus /path [address|cidr|local ...] [noncewindow=DURATION], or OXStatus off: the status "
                     "page (HTML, ?json, ?metrics; actions by POST) for these clients (default: local)"),
    AP_INIT_TAKE1("OXStateFile", as_cmd_func(c_cmd_state_file), nullptr, RSRC_CONF,
                  "OXStateFile PATH: keeps admin states and load factors set at run time across a full restart"),
    AP_INIT_RAW_ARGS("OXConfigDB", as_cmd_func(c_cmd_configdb), nullptr, RSRC_CONF,
                     "OXConfigDB PATH-TO-configdb.properties | read=HOST[:PORT]/DB write=HOST[:PORT]/DB user= "
                     "password= [poll=SECONDS] [create=on|off]: admin states shared by every front end"),
    {nullptr, {nullptr}, nullptr, 0, RAW_ARGS, nullptr},
};

void* create_server_config(apr_pool_t* p, server_rec*)
{
    try {
        void* found = nullptr;
        apr_pool_userdata_get(&found, kModuleConfigKey, p);
        auto* mc = static_cast<ModuleConfig*>(found);
        if (!mc) {
            mc = pool_new<ModuleConfig>(p);
            apr_pool_userdata_setn(mc, kModuleConfigKey, apr_pool_cleanup_null, p);
        }
        ServerConfig* sc = pool_new<ServerConfig>(p);
        sc->module = mc;
        return sc;
    } catch (...) {
        // httpd treats a null config as a fatal startup error.
        return nullptr;
    }
}

void* merge_server_config(apr_pool_t* p, void* base_v, void* add_v)
{
    try {
        auto* base = static_cast<ServerConfig*>(base_v);
        auto* add = static_cast<ServerConfig*>(add_v);
        ServerConfig* sc = pool_new<ServerConfig>(p);
        sc->module = add->module;
        // A vhost's own rules, and the main server's for every prefix the
        // vhost does not define itself.
        sc->passes = ox::proxy::PassTable::merge(base->passes, add->passes);
        const ServerConfig* rh = add->route_header_set ? add : base;
        sc->route_header = rh->route_header;
        sc->route_header_set = rh->route_header_set;
        const ServerConfig* af = add->add_forwarded_set ? add : base;
        sc->add_forwarded = af->add_forwarded;
        sc->add_forwarded_set = af->add_forwarded_set;
        // A vhost's OXProtect line replaces the main server's for the same
        // prefix; the others apply to it too.
        sc->protect_lines = add->protect_lines;
        sc->protect = ox::acl::ProtectRules::merge(ox::acl::ProtectRulesBuilder(base->protect_lines).build(),
                                                   ox::acl::ProtectRulesBuilder(add->protect_lines).build());
        const ServerConfig* tp = add->trusted_set ? add : base;
        sc->trusted = tp->trusted;
        sc->trusted_set = tp->trusted_set;
        // A vhost without OXStatus of its own has the main server's page.
        const ServerConfig* st = add->status_set ? add : base;
        sc->status_path = st->status_path;
        sc->status_allow = st->status_allow;
        sc->status_window = st->status_window;
        sc->status_place = st->status_place;
        sc->status_set = st->status_set;
        return sc;
    } catch (...) {
        return nullptr;
    }
}

int check_config(apr_pool_t*, apr_pool_t*, apr_pool_t* ptemp, server_rec* s)
{
    try {
        ServerConfig* main_sc = server_config(s);
        ModuleConfig* mc = main_sc->module;
        main_sc->protect = ox::acl::ProtectRulesBuilder(main_sc->protect_lines).build();
        int rc = OK;
        for (const auto& b : mc->balancers) {
            warn_balancer(s, *b);
            if (std::string err = b->spec.resolve_health_checks(); !err.empty()) {
                ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_ERR, 0, s, OXBLOGNO(00048) "%s:%d: <OXBalancer %s>: %s",
                             b->place.file, b->place.line, b->spec.name.c_str(), err.c_str());
                rc = !OK;
            }
            if (b->spec.members.empty()) {
                ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_ERR, 0, s,
                             OXBLOGNO(00002) "%s:%d: <OXBalancer %s> has no OXMember", b->place.file, b->place.line,
                             b->spec.name.c_str());
                rc = !OK;
            }
        }
        for (server_rec* vs = s; vs; vs = vs->next) {
            ServerConfig* sc = server_config(vs);
            for (ox::proxy::PassRule& r : sc->passes.rules()) {
                if (r.excluded) continue;
                const BalancerConfig* b = mc->find(r.balancer);
                if (!b) {
                    ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_ERR, 0, s,
                                 OXBLOGNO(00001) "%s:%d: OXPass %s names balancer '%s', which no <OXBalancer> defines",
                                 r.file.c_str(), r.line, r.written.c_str(), r.balancer.c_str());
                    rc = !OK;
                    continue;
                }
                r.balancer_index = b->index;
                // The path models the ACL decides with (proxy/request_target.h).
                r.models = 0;
                for (const ox::MemberSpec& m : b->spec.members) {
                    r.models |= m.scheme == ox::Scheme::http ? ox::proxy::kModelGrizzly : ox::proxy::kModelTomcat;
                }
            }
            sc->passes.sort();
        }
        std::vector<const ap_directive_t*> proxy_passes;
        find_proxy_passes(ap_conftree, proxy_passes);
        std::set<std::string> warned;
        for (server_rec* vs = s; vs && !proxy_passes.empty(); vs = vs->next) {
            warn_proxy_pass_overlap(ptemp, s, server_config(vs)->passes, proxy_passes, warned);
        }
        return rc;
    } catch (...) {
        ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_ERR, 0, s, OXBLOGNO(00015) "internal error checking the configuration");
        return !OK;
    }
}

}  // namespace oxb
