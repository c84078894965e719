# Shared by bench/run and bench/sticky-skew: a private run directory, free
# ports, the Tomcat backends, the Apache front ends (one httpd instance per
# variant), CPU accounting from /proc and small HTTP helpers.
# Source it; it does not run anything by itself.
# shellcheck shell=bash

bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
top=$(cd "$bench_dir/.." && pwd -P)
oxb_tomcat=$top/t/tomcat/oxb-tomcat
httpd_bin=${OXB_BENCH_HTTPD:-$(command -v apache2 || echo /usr/sbin/apache2)}
moddir=${OXB_BENCH_MODDIR:-$(apxs -q LIBEXECDIR 2>/dev/null || echo /usr/lib/apache2/modules)}
# The compiled webapp of t/tomcat is cached across runs (keyed by its source
# hash, so a changed webapp is rebuilt).
export OXB_TOMCAT_CACHE=${OXB_TOMCAT_CACHE:-/tmp/oxb-bench-cache}
# shellcheck disable=SC2034 # used by the scripts that source this
clk_tck=$(getconf CLK_TCK)

note() { printf 'bench: %s\n' "$*" >&2; }
die() {
    note "$*"
    exit 2
}

# ---- run directory and cleanup ---------------------------------------------

RUN=""                # /tmp/oxb-bench-XXXXXX
KEEP_RUN=0            # --keep: leave the run directory behind
declare -a STARTED_CONFS=()   # httpd configs we started
declare -a STARTED_TOMCATS=() # Tomcat bases we started
declare -a BG_PIDS=()         # background helpers (probes)
declare -a RESTORE_SYSCTLS=() # KEY=VALUE: set back by bench_cleanup

bench_init_run() {
    RUN=$(mktemp -d /tmp/oxb-bench-XXXXXX)
    chmod 755 "$RUN" # httpd children (www-data) read the static files
    trap bench_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

bench_cleanup() {
    local rc=$? c b p
    set +e
    trap - EXIT INT TERM
    # Stop everything even when our output went to a pipe that is gone.
    trap '' PIPE HUP
    for p in ${BG_PIDS[@]+"${BG_PIDS[@]}"}; do
        kill "$p" 2>/dev/null
    done
    # All at once: each stop waits for its server to go (about 2 s for a
    # Tomcat).
    local -a stopping=()
    for c in ${STARTED_CONFS[@]+"${STARTED_CONFS[@]}"}; do
        httpd_stop "$c" &
        stopping+=($!)
    done
    for b in ${STARTED_TOMCATS[@]+"${STARTED_TOMCATS[@]}"}; do
        "$oxb_tomcat" stop --base "$b" >/dev/null 2>&1 &
        stopping+=($!)
    done
    for p in ${stopping[@]+"${stopping[@]}"}; do wait "$p"; done
    for p in ${RESTORE_SYSCTLS[@]+"${RESTORE_SYSCTLS[@]}"}; do
        sysctl -q -w "$p" >/dev/null || note "could not set $p back"
    done
    if [ -n "$RUN" ] && [ -d "$RUN" ]; then
        if [ "$KEEP_RUN" = 1 ] || { [ "$rc" != 0 ] && [ "${KEEP_ON_FAILURE:-1}" = 1 ]; }; then
            note "run directory kept: $RUN"
        else
            rm -rf "$RUN"
        fi
    fi
    exit "$rc"
}

# bench_sysctl KEY VALUE: sets a kernel setting for this run; bench_cleanup
# sets it back (root only).
bench_sysctl() {
    local old
    old=$(sysctl -n "$1") || die "no kernel setting $1"
    [ "$old" = "$2" ] && return 0
    sysctl -q -w "$1=$2" >/dev/null || die "could not set $1=$2 (root needed)"
    RESTORE_SYSCTLS+=("$1=$old")
    note "$1 = $2 for this run (was $old)"
}

# ---- ports -----------------------------------------------------------------

port_busy() { # port_busy PORT: listening, or used by any socket?
    if command -v ss >/dev/null 2>&1; then
        [ -n "$(ss -Htan "( sport = :$1 )" 2>/dev/null)" ]
    else
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
    fi
}

# pick_ports N: sets PORTS to N consecutive free ports below the usual
# ephemeral range (32768-60999), so client sockets do not take them:
# 20000-31999, or OXB_BENCH_PORT_RANGE (LOW-HIGH), so that two benchmark
# scripts started at the same moment (scripts/test-all's smoke runs) never
# pick the same ports before either listens on them.
declare -a PORTS=()
pick_ports() {
    local n=$1 try base i ok low=20000 high=31999
    if [ -n "${OXB_BENCH_PORT_RANGE:-}" ]; then
        low=${OXB_BENCH_PORT_RANGE%-*} high=${OXB_BENCH_PORT_RANGE#*-}
        [[ $low =~ ^[0-9]+$ && $high =~ ^[0-9]+$ && $high -ge $((low + n)) ]] ||
            die "OXB_BENCH_PORT_RANGE=$OXB_BENCH_PORT_RANGE: LOW-HIGH with room for $n ports"
    fi
    for ((try = 0; try < 100; try++)); do
        base=$((low + RANDOM % (high - low + 1 - n)))
        ok=1
        for ((i = 0; i < n; i++)); do
            if port_busy $((base + i)); then
                ok=0
                break
            fi
        done
        if [ "$ok" = 1 ]; then
            PORTS=()
            for ((i = 0; i < n; i++)); do PORTS+=($((base + i))); done
            return 0
        fi
    done
    die "found no $n free consecutive ports in $low-$high"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# ---- Tomcat backends -------------------------------------------------------

# tomcat_start_pair NAME PACKET AJP1 HTTP1 AJP2 HTTP2: OX1 and OX2 in
# $RUN/NAME-OX1 and $RUN/NAME-OX2, started in parallel.
tomcat_start_pair() {
    local name=$1 packet=$2 a1=$3 h1=$4 a2=$5 h2=$6 rc=0 p1 p2
    local heap=${OXB_BENCH_TOMCAT_HEAP:-512m}
    STARTED_TOMCATS+=("$RUN/$name-OX1" "$RUN/$name-OX2")
    "$oxb_tomcat" start --base "$RUN/$name-OX1" --route OX1 --ajp-port "$a1" --http-port "$h1" \
        --packet-size "$packet" --heap "$heap" >"$RUN/$name-OX1.start" 2>&1 &
    p1=$!
    "$oxb_tomcat" start --base "$RUN/$name-OX2" --route OX2 --ajp-port "$a2" --http-port "$h2" \
        --packet-size "$packet" --heap "$heap" >"$RUN/$name-OX2.start" 2>&1 &
    p2=$!
    wait "$p1" || rc=1
    wait "$p2" || rc=1
    sed 's/^/  /' "$RUN/$name-OX1.start" "$RUN/$name-OX2.start" >&2
    [ "$rc" = 0 ] || die "Tomcat pair $name did not start"
}

tomcat_pid() { cat "$1/tomcat.pid" 2>/dev/null; } # tomcat_pid BASE

# stats_get HTTP_PORT: prints "REQUESTS WHOAMI" from the backend's /stats.
stats_get() {
    local s
    s=$(curl -fsS --max-time 10 "http://127.0.0.1:$1/stats") || return 1
    [[ $s =~ requests=([0-9]+)\ whoami=([0-9]+) ]] || return 1
    printf '%s %s\n' "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}"
}
stats_reset() { curl -fsS --max-time 10 -X POST "http://127.0.0.1:$1/stats/reset" >/dev/null; }

# ---- Apache front ends -----------------------------------------------------

# User/Group lines: as root, the invoking user (sudo) or www-data.
httpd_user_lines() {
    [ "$(id -u)" = 0 ] || return 0
    [ -z "${OXB_BENCH_NO_USER:-}" ] || return 0 # bench/profile: httpd started as the user
    local u=${OXB_BENCH_USER:-}
    if [ -z "$u" ] && [ -n "${SUDO_USER:-}" ] && [ "$SUDO_USER" != root ]; then u=$SUDO_USER; fi
    u=${u:-www-data}
    printf 'User %s\nGroup %s\n' "$u" "$(id -gn "$u")"
}

# httpd_common NAME PORT: the part every front end shares: paths, the MPM,
# keep-alive, no access log.
httpd_common() {
    local name=$1 port=$2 d=$RUN/$1
    cat <<EOF
# Generated by bench/ for front end "$name". Common part: identical for all.
ServerRoot "$d"
ServerName 127.0.0.1
Listen 127.0.0.1:$port
PidFile "$d/logs/httpd.pid"
ErrorLog "$d/logs/error_log"
DefaultRuntimeDir "$d/run"
LogLevel warn
$(httpd_user_lines)
LoadModule mpm_event_module "$moddir/mod_mpm_event.so"
# Without an authz module httpd 2.4 answers 500 (AH00025) to every request.
LoadModule authz_core_module "$moddir/mod_authz_core.so"
# event MPM, a fixed process count: 2 children x 64 threads, never more,
# never fewer (MaxSpareThreads = all threads, so none is ever stopped).
# More threads per child than any workload has connections (32): a child
# whose workers are all busy closes every idle keep-alive connection, and a
# client that has just sent its next request on one loses it (h2load then
# fails the rest of that connection's requests; seen under load in the
# smoke runs, for one front end or another).
StartServers 2
ServerLimit 2
ThreadLimit 64
ThreadsPerChild 64
MaxRequestWorkers 128
MinSpareThreads 1
MaxSpareThreads 128
MaxConnectionsPerChild 0
KeepAlive On
MaxKeepAliveRequests 0
KeepAliveTimeout 15
Timeout 60
HostnameLookups Off
# No access log (no CustomLog/TransferLog).

EOF
}

# httpd_prepare NAME: the directories of a front end.
httpd_prepare() {
    mkdir -p "$RUN/$1/conf" "$RUN/$1/logs" "$RUN/$1/run"
    if [ "$(id -u)" = 0 ]; then
        local u
        u=$(httpd_user_lines | sed -n 's/^User //p')
        chown "$u" "$RUN/$1/run" "$RUN/$1/logs"
    fi
}

# httpd_configtest CONF: prints httpd's complaint and fails if the config is
# not accepted.
httpd_configtest() {
    local out
    out=$("$httpd_bin" -f "$1" -t 2>&1) && return 0
    printf '%s\n' "$out"
    return 1
}

# httpd_start CONF PORT: start and wait until the port answers.
httpd_start() {
    local conf=$1 port=$2 d i
    d=$(dirname "$(dirname "$conf")")
    [[ " ${STARTED_CONFS[*]-} " == *" $conf "* ]] || STARTED_CONFS+=("$conf")
    "$httpd_bin" -f "$conf" -k start || {
        tail -n 20 "$d/logs/error_log" >&2 2>/dev/null
        return 1
    }
    for ((i = 0; i < 100; i++)); do
        if [ -s "$d/logs/httpd.pid" ] && port_open "$port"; then
            return 0
        fi
        sleep 0.1
    done
    note "httpd $conf did not come up"
    tail -n 20 "$d/logs/error_log" >&2 2>/dev/null
    return 1
}

httpd_pid() { # httpd_pid CONF: the parent's pid
    local d
    d=$(dirname "$(dirname "$1")")
    cat "$d/logs/httpd.pid" 2>/dev/null
}

# httpd_stop CONF: graceful stop, then TERM/KILL the whole tree.
httpd_stop() {
    local conf=$1 pid i p
    pid=$(httpd_pid "$conf") || true
    [ -n "$pid" ] || return 0
    kill -0 "$pid" 2>/dev/null || return 0
    "$httpd_bin" -f "$conf" -k stop >/dev/null 2>&1 || kill -TERM "$pid" 2>/dev/null
    for ((i = 0; i < 100; i++)); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    for p in $(proc_tree "$pid"); do kill -KILL "$p" 2>/dev/null; done
    rm -f "$(dirname "$(dirname "$conf")")/logs/httpd.pid"
}

# ---- CPU accounting --------------------------------------------------------

proc_tree() { # proc_tree PID: PID and all its descendants
    local c
    echo "$1"
    for c in $(pgrep -P "$1" 2>/dev/null); do proc_tree "$c"; done
}

# cpu_snapshot PID...: "TICKS SCHED_NS" for the process trees rooted at the
# PIDs. TICKS: utime+stime+cutime+cstime from /proc/P/stat summed over every
# process of the trees (cutime/cstime: children that exited and were
# reaped), in clock ticks. SCHED_NS: time on CPU from the scheduler
# (/proc/P/task/T/schedstat, nanoseconds, live threads only): a precise
# cross-check of the tick-sampled figure.
cpu_snapshot() {
    local r p t
    local -a stats=() scheds=()
    for r in "$@"; do
        [ -n "$r" ] || continue
        for p in $(proc_tree "$r"); do
            [ -r "/proc/$p/stat" ] && stats+=("/proc/$p/stat")
            for t in /proc/"$p"/task/*/schedstat; do
                [ -r "$t" ] && scheds+=("$t")
            done
        done
    done
    [ ${#stats[@]} -gt 0 ] || {
        echo "0 0"
        return
    }
    awk 'FILENAME ~ /\/stat$/ { s = $0; sub(/^.*\) /, "", s); split(s, f, " ");
                                t += f[12] + f[13] + f[14] + f[15]; next }
         { ns += $1 }
         END { printf "%d %d\n", t, ns }' "${stats[@]}" ${scheds[@]+"${scheds[@]}"} 2>/dev/null
}

# sys_snapshot: "BUSY TOTAL STEAL" jiffies of all CPUs from /proc/stat.
sys_snapshot() {
    awk '$1 == "cpu" { tot = 0; for (i = 2; i <= NF; i++) tot += $i;
                       idle = $5 + $6; print tot - idle, tot, $9; exit }' /proc/stat
}

# ---- HTTP helpers ----------------------------------------------------------

http_status() { curl -s -o /dev/null -w '%{http_code}' --max-time 20 "$@"; }

# login_cookie URL: GET URL (a /login), print "JSESSIONID=<id>.<route>".
login_cookie() {
    curl -s -D - -o /dev/null --max-time 20 "$1" |
        tr -d '\r' | sed -n 's/^[Ss]et-[Cc]ookie: *\(JSESSIONID=[^;]*\).*/\1/p' | sed -n "1,1p"
}

# ---- machine description ---------------------------------------------------

machine_description() {
    local cpu cores mem kern hv java tomcat jk wrkv httpdv
    cpu=$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | sed -n "1,1p") || true
    [ -n "$cpu" ] || cpu=$(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | sed -n "1,1p") || true
    cores=$(nproc)
    hv=$(lscpu 2>/dev/null | sed -n 's/^Hypervisor vendor: *//p' | sed -n "1,1p") || true
    mem=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) || true
    kern="$(uname -sr)"
    httpdv=$("$httpd_bin" -v 2>/dev/null | sed -n 's/^Server version: *//p') || true
    java=$(java -version 2>&1 | sed -n "1,1p") || true
    tomcat=$(java -cp "${CATALINA_HOME:-/usr/share/tomcat10}/lib/catalina.jar" org.apache.catalina.util.ServerInfo 2>/dev/null |
        sed -n 's/^Server version: *//p') || true
    jk=$(dpkg-query -W -f '${Version}' libapache2-mod-jk 2>/dev/null) || jk='?'
    wrkv=$(wrk -v 2>&1 | sed -n "1,1p" | awk '{print $2}') || true
    echo "- Machine: ${cpu:-?}, $cores cores${hv:+ ($hv guest)}, $mem RAM, $kern, TCP congestion control $(sysctl -n net.ipv4.tcp_congestion_control 2>/dev/null || echo '?')"
    echo "- Software: ${httpdv:-apache2 ?}, mod_jk $jk, ${tomcat:-Tomcat 10}, $java, wrk ${wrkv:-?}"
}

module_description() { # module_description SO
    local rev dirty=""
    rev=$(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo '?')
    if [ -n "$(git -C "$top" status --porcelain -- libox mod_oxbalance 2>/dev/null)" ]; then
        dirty=" with uncommitted changes in libox/ or mod_oxbalance/"
    fi
    echo "- mod_oxbalance: commit $rev$dirty; .so sha256 $(sha256sum "$1" | cut -c1-12), built $(date -r "$1" '+%F %T')"
}

# ---- front end configurations ----------------------------------------------
# Each writes $RUN/NAME/conf/httpd.conf and prints its path. All map
# /ox/... to the backends' /... so every front end has the same URL layout.

# The member parameters of the seed (OX's "Session load balancing" guide).
seed_params="timeout=100 smax=0 ttl=60 retry=60 loadfactor=50"
# http:// members are probed with GET /health (OX 7.10.1+) by default, as the
# AJP ones with CPing; the test webapp has no /health (404: the nodes would go
# down), so the probes ask for /stats, which its request counters leave out.
# shellcheck disable=SC2034 # used by the scripts that source this
oxhttp_params="hcuri=/stats"

# conf_ox NAME PORT SO MEMBER1 MEMBER2 [EXTRA-PARAMS]: mod_oxbalance.
# MEMBERn: ajp://127.0.0.1:P, or http://127.0.0.1:P (Tomcat's HTTP connector:
# the oxhttp variant, libox/http; the AJP-only parameters are not given).
conf_ox() {
    local name=$1 port=$2 so=$3 m1=$4 m2=$5 extra=${6:-} f=$RUN/$1/conf/httpd.conf
    httpd_prepare "$name"
    {
        httpd_common "$name" "$port"
        cat <<EOC
LoadModule oxbalance_module "$so"
<OXBalancer oxcluster>
    OXMember $m1 route=OX1 $seed_params${extra:+ $extra}
    OXMember $m2 route=OX2 $seed_params${extra:+ $extra}
</OXBalancer>
OXPass /ox oxcluster /
EOC
    } >"$f"
    echo "$f"
}

# conf_proxy NAME PORT MEMBER1 MEMBER2 [IOBUFFERSIZE]: the seed's
# mod_proxy + mod_proxy_ajp + mod_proxy_balancer, or with http:// members
# mod_proxy_http instead (the proxyhttp variant: OX's own App Suite layout).
# Backend connections are kept alive and reused by both (mod_proxy's default,
# disablereuse=Off; smax=0 ttl=60 as for AJP). The seed's <Proxy /ajax>
# ProxyPass form answers 404 on 2.4: server-level ProxyPass.
conf_proxy() {
    local name=$1 port=$2 m1=$3 m2=$4 iobuf=${5:-} f=$RUN/$1/conf/httpd.conf scheme
    scheme=${m1%%://*}
    httpd_prepare "$name"
    {
        httpd_common "$name" "$port"
        cat <<EOC
LoadModule proxy_module "$moddir/mod_proxy.so"
LoadModule proxy_${scheme}_module "$moddir/mod_proxy_${scheme}.so"
LoadModule proxy_balancer_module "$moddir/mod_proxy_balancer.so"
LoadModule slotmem_shm_module "$moddir/mod_slotmem_shm.so"
LoadModule lbmethod_byrequests_module "$moddir/mod_lbmethod_byrequests.so"
ProxyRequests Off
${iobuf:+ProxyIOBufferSize $iobuf}
<Proxy balancer://oxcluster>
    BalancerMember $m1 $seed_params route=OX1
    BalancerMember $m2 $seed_params route=OX2
    ProxySet stickysession=JSESSIONID
</Proxy>
ProxyPass /ox/ balancer://oxcluster/
EOC
    } >"$f"
    echo "$f"
}

# conf_jk NAME PORT AJP1 AJP2 [MAX_PACKET_SIZE]: mod_jk's lb worker, the
# routes as worker names, sticky sessions. mod_jk cannot strip a prefix, so
# mod_rewrite maps /ox/... to /... ([PT]: JkMount then sees /...). The seed's
# parameters in mod_jk's terms: timeout=100 -> socket_timeout=100, smax=0 ->
# connection_pool_minsize=0, ttl=60 -> connection_pool_timeout=60,
# retry=60 -> recover_time=60, loadfactor=50 -> lbfactor=50.
conf_jk() {
    local name=$1 port=$2 a1=$3 a2=$4 packet=${5:-} f=$RUN/$1/conf/httpd.conf d=$RUN/$1
    httpd_prepare "$name"
    cat >"$d/conf/workers.properties" <<EOC
worker.list=lb
worker.oxnode.type=ajp13
worker.oxnode.host=127.0.0.1
worker.oxnode.lbfactor=50
worker.oxnode.socket_timeout=100
worker.oxnode.connection_pool_minsize=0
worker.oxnode.connection_pool_timeout=60
${packet:+worker.oxnode.max_packet_size=$packet}
worker.OX1.reference=worker.oxnode
worker.OX1.port=$a1
worker.OX1.route=OX1
worker.OX2.reference=worker.oxnode
worker.OX2.port=$a2
worker.OX2.route=OX2
worker.lb.type=lb
worker.lb.balance_workers=OX1,OX2
worker.lb.sticky_session=true
worker.lb.recover_time=60
EOC
    {
        httpd_common "$name" "$port"
        cat <<EOC
LoadModule jk_module "$moddir/mod_jk.so"
LoadModule rewrite_module "$moddir/mod_rewrite.so"
JkWorkersFile "$d/conf/workers.properties"
JkShmFile "$d/run/jk-runtime-status"
JkLogFile "$d/logs/mod_jk.log"
JkLogLevel error
RewriteEngine On
RewriteRule "^/ox(/.*)\$" "\$1" [PT]
JkMount /* lb
EOC
    } >"$f"
    echo "$f"
}

# conf_floor_module NAME PORT MODULE [CONF LINE...]: a front end that loads
# bench/lib/mod_oxb_MODULE.c, compiled into its run directory with apxs (a
# handler of the benchmark's own), and the configuration lines given.
conf_floor_module() {
    local name=$1 port=$2 m=mod_oxb_$3 f=$RUN/$1/conf/httpd.conf d=$RUN/$1
    shift 3
    httpd_prepare "$name"
    mkdir -p "$d/build"
    cp "$bench_dir/lib/$m.c" "$d/build/"
    (cd "$d/build" && apxs -c "$m.c" >build.log 2>&1) ||
        die "$m did not compile: $(tail -n 3 "$d/build/build.log")"
    {
        httpd_common "$name" "$port"
        echo "LoadModule ${m#mod_}_module \"$d/build/.libs/$m.so\""
        [ $# = 0 ] || printf '%s\n' "$@"
    } >"$f"
    echo "$f"
}

# conf_memfloor NAME PORT: the "memory floor" (bench/lib/mod_oxb_memfloor.c):
# the same URLs answered from memory, as a proxy hands httpd a body, without
# a backend. What mod_http2 and mod_ssl cost for a body that is not a file,
# which every proxy pays.
conf_memfloor() { conf_floor_module "$1" "$2" memfloor; }

# conf_ajpfloor NAME PORT AJP1 AJP2: the "AJP floor"
# (bench/lib/mod_oxb_ajpfloor.c): the memory floor plus one AJP13 round trip
# to the Tomcats per request and nothing else (no balancing, sessions,
# rules, shared state or failover): the least any AJP proxy inside httpd
# can cost.
conf_ajpfloor() { conf_floor_module "$1" "$2" ajpfloor "OxbAjpFloorBackend 127.0.0.1:$3 127.0.0.1:$4"; }

# conf_static NAME PORT: core's file handler, the same files at the same URLs
# (/ox/small: 200 bytes; /ox/download: 1 MiB; the query string is ignored).
# The files are mapped once at startup (mod_file_cache's MMapFile): served
# from a file opened and mapped per request, as core does by default, the
# "floor" cost more than proxying (an open, fstat, mmap and munmap per
# request, the munmap a TLB shootdown across the threads), so "overhead above
# the floor" meant nothing.
conf_static() {
    local name=$1 port=$2 f=$RUN/$1/conf/httpd.conf d=$RUN/$1
    httpd_prepare "$name"
    mkdir -p "$d/htdocs/ox"
    { head -c 199 /dev/zero | tr '\0' x; printf '\n'; } >"$d/htdocs/ox/small"
    head -c 1048576 /dev/zero | tr '\0' y >"$d/htdocs/ox/download"
    chmod -R a+rX "$d/htdocs"
    {
        httpd_common "$name" "$port"
        cat <<EOC
LoadModule file_cache_module "$moddir/mod_file_cache.so"
DocumentRoot "$d/htdocs"
MMapFile "$d/htdocs/ox/small" "$d/htdocs/ox/download"
<Directory />
    AllowOverride None
    Options FollowSymLinks
</Directory>
EOC
    } >"$f"
    echo "$f"
}
