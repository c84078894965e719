# Shared by bench/faults and bench/soak (source after lib/common.sh): three
# Tomcats OX1-OX3, the front end configurations (mod_oxbalance with health
# probes, mod_proxy_balancer + mod_proxy_ajp + mod_proxy_hcheck), timing.
# Expects RUN (bench_init_run), A[1..3] and H[1..3] (the Tomcats' AJP and
# HTTP ports), FEPORT[ox|proxy], and for the relay faults RELAY.
# shellcheck shell=bash
# shellcheck disable=SC2154 # bench_dir, oxb_tomcat, moddir, seed_params: lib/common.sh; so: the caller

# shellcheck disable=SC2034 # used by the scripts that source this
faults_py=$bench_dir/lib/faults.py

now() { date +%s.%N; }
sleep_until() { # sleep_until EPOCH
    local s
    s=$(awk -v a="$1" -v b="$(now)" 'BEGIN { d = a - b; if (d < 0) d = 0; printf "%.3f", d }')
    sleep "$s"
}
at() { # at T0 SECONDS: prints T0 + SECONDS
    awk -v t="$1" -v d="$2" 'BEGIN { printf "%.3f", t + d }'
}
loadavg() { cut -d' ' -f1 /proc/loadavg; }
max_of() { awk -v a="$1" -v b="$2" 'BEGIN { print (a > b) ? a : b }'; }

# ---- Tomcats ---------------------------------------------------------------

tomcat_start_one() { # tomcat_start_one N: OXn in $RUN/tc-OXn
    local n=$1
    "$oxb_tomcat" start --base "$RUN/tc-OX$n" --route "OX$n" --ajp-port "${A[$n]}" --http-port "${H[$n]}" \
        --heap "${OXB_BENCH_TOMCAT_HEAP:-512m}" --session-db none
}
tomcat_up() { "$oxb_tomcat" status --base "$RUN/tc-OX$1" >/dev/null 2>&1; }

tomcats_start_three() { # in parallel; dies if one does not come up
    local n p rc=0
    local -a pids=()
    STARTED_TOMCATS+=("$RUN/tc-OX1" "$RUN/tc-OX2" "$RUN/tc-OX3")
    for n in 1 2 3; do
        tomcat_start_one "$n" >"$RUN/tc-OX$n.start" 2>&1 &
        pids+=($!)
    done
    for p in "${pids[@]}"; do wait "$p" || rc=1; done
    sed 's/^/  /' "$RUN"/tc-OX?.start >&2
    [ "$rc" = 0 ] || die "the Tomcats did not start"
}

# cookies_from_tomcats FILE: ten sessions of each node, straight from the
# Tomcats' HTTP connectors.
cookies_from_tomcats() {
    local n _
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        for n in 1 2 3; do login_cookie "http://127.0.0.1:${H[$n]}/login"; done
    done >"$1"
    [ "$(grep -c '^JSESSIONID=' "$1")" = 30 ] || die "no sessions from the Tomcats"
}

# ---- front ends ------------------------------------------------------------

# members FAULT [alt]: "URL ROUTE" lines. OX3 goes through the relay in the
# faults the relay makes; reconfig starts with OX1,OX2 and changes to OX2,OX3.
members() {
    local fault=$1 alt=${2:-} n
    local -a list=(1 2 3)
    if [ "$fault" = reconfig ]; then
        if [ -n "$alt" ]; then list=(2 3); else list=(1 2); fi
    fi
    for n in "${list[@]}"; do
        case $fault in
            reset | garbage | close)
                if [ "$n" = 3 ]; then
                    echo "ajp://127.0.0.1:$RELAY OX3"
                    continue
                fi
                ;;
        esac
        echo "ajp://127.0.0.1:${A[$n]} OX$n"
    done
}

# Error log lines with microseconds, to set detection times against the
# request log's.
errorlog_format='ErrorLogFormat "[%{cu}t] [%-m:%l] [pid %P:tid %T] %M"'

# conf_fe FE NAME FAULT [alt] [EXTRA-OX-LINES]: writes $RUN/NAME/conf/httpd.conf
# (or httpd-alt.conf) and prints its path. ox: the seed's member parameters
# (and $ox_member_params, if set),
# OXHealthCheck cping with its defaults written out. proxy: the seed's
# BalancerMember lines with mod_proxy_hcheck's CPING at the same interval,
# fails and passes.
conf_fe() {
    local fe=$1 name=$2 fault=$3 alt=${4:-} extra=${5:-} f url route
    httpd_prepare "$name"
    f=$RUN/$name/conf/httpd${alt:+-alt}.conf
    {
        # bench/run's common part, with room for a graceful restart: the
        # old generation's two processes finish their requests while the
        # new generation's two start (ServerLimit 2 would make the new ones
        # wait for the old ones to exit).
        httpd_common "$name" "${FEPORT[$fe]}" | sed 's/^ServerLimit 2$/ServerLimit 4/'
        echo "$errorlog_format"
        if [ "$fe" = ox ]; then
            echo "LoadModule oxbalance_module \"$so\""
            echo "<OXBalancer oxcluster>"
            while read -r url route; do
                echo "    OXMember $url route=$route $seed_params${ox_member_params:+ $ox_member_params}"
            done < <(members "$fault" "$alt")
            echo "    OXHealthCheck cping interval=5 timeout=2 fails=2 passes=2"
            echo "</OXBalancer>"
            echo "OXPass /ox oxcluster /"
            [ -z "$extra" ] || printf '%s\n' "$extra"
        else
            cat <<EOC
LogLevel warn proxy_hcheck:info
LoadModule proxy_module "$moddir/mod_proxy.so"
LoadModule proxy_ajp_module "$moddir/mod_proxy_ajp.so"
LoadModule proxy_balancer_module "$moddir/mod_proxy_balancer.so"
LoadModule proxy_hcheck_module "$moddir/mod_proxy_hcheck.so"
LoadModule slotmem_shm_module "$moddir/mod_slotmem_shm.so"
LoadModule lbmethod_byrequests_module "$moddir/mod_lbmethod_byrequests.so"
ProxyRequests Off
<Proxy balancer://oxcluster>
EOC
            while read -r url route; do
                echo "    BalancerMember $url $seed_params route=$route hcmethod=CPING hcinterval=5 hcfails=2 hcpasses=2"
            done < <(members "$fault" "$alt")
            cat <<EOC
    ProxySet stickysession=JSESSIONID
</Proxy>
ProxyPass /ox/ balancer://oxcluster/
EOC
        fi
    } >"$f"
    echo "$f"
}
