#!/usr/bin/env bash
# start.sh: start (or confirm) a private single-node Slurm cluster for madpipe's
# integration tests, built from Debian 12's slurmctld/slurmd/munge packages.
#
# Everything lives in one state directory ($MADPIPE_SLURM_DIR, default
# /tmp/madpipe-slurm): a private munge key and munged socket, slurm.conf, the
# controller's state, slurmd's spool, logs, the job-completion file and the PIDs
# of the daemons this script started. No systemd, no /etc/slurm, no system munged:
# the cluster cannot collide with another Slurm on the machine.
#
# Usage:   eval "$(scripts/slurm/start.sh)"
# stdout:  exactly one line, `export SLURM_CONF=<state dir>/slurm.conf`
# stderr:  progress and, on failure, the reason and the daemons' log tails.
# Exit 0 when the node answers and is usable; non-zero (with a reason on
# stderr) when Slurm cannot be started, so a test suite can skip with that reason.
#
# Environment (all optional):
#   MADPIPE_SLURM_DIR            state directory            [/tmp/madpipe-slurm]
#   MADPIPE_SLURM_CTLD_PORT      SlurmctldPort              [16817]
#   MADPIPE_SLURM_SLURMD_PORT    SlurmdPort                 [16818]
#   MADPIPE_SLURM_CLUSTER        ClusterName                [madpipe]
#   MADPIPE_SLURM_TIMEOUT        seconds to wait for idle   [60]
#   MADPIPE_SLURM_NO_INSTALL=1   never run apt-get; fail if packages are missing
#   MADPIPE_SLURM_ACCOUNTING     none: job records only in the jobcomp file (sacct -c)
#                                slurmdbd: also a private MariaDB + slurmdbd, so plain
#                                `sacct` works as on a production cluster  [none]
#   MADPIPE_SLURM_DB_PORT        MariaDB port (slurmdbd mode)  [16819]
#   MADPIPE_SLURM_DBD_PORT       DbdPort (slurmdbd mode)       [16820]
set -euo pipefail

DIR=${MADPIPE_SLURM_DIR:-/tmp/madpipe-slurm}
CTLD_PORT=${MADPIPE_SLURM_CTLD_PORT:-16817}
SLURMD_PORT=${MADPIPE_SLURM_SLURMD_PORT:-16818}
CLUSTER=${MADPIPE_SLURM_CLUSTER:-madpipe}
TIMEOUT=${MADPIPE_SLURM_TIMEOUT:-60}
GPUS=2   # generic resource gpu:2 on the node, without hardware (see render_gres)
ACCOUNTING=${MADPIPE_SLURM_ACCOUNTING:-none}
DB_PORT=${MADPIPE_SLURM_DB_PORT:-16819}
DBD_PORT=${MADPIPE_SLURM_DBD_PORT:-16820}

say() { echo "slurm/start.sh: $*" >&2; }
case "$DIR" in /*) ;; *) DIR="$PWD/$DIR" ;; esac   # slurm.conf needs absolute paths

# Print the last lines of the daemons' logs to explain a failure, without the
# start-up noise this package always logs (missing PMIx library, first-run state files).
NOISE='pmix|MPI: Cannot create context|state file|NOTE: Trying backup|to recover$|Unauthorized credential'
log_tails() {
  local f
  for f in "$DIR/log/munged.out" "$DIR/log/mariadbd.log" "$DIR/log/slurmdbd.log" \
           "$DIR/log/slurmctld.log" "$DIR/log/slurmd.log"; do
    [ -s "$f" ] || continue
    echo "----- last lines of $f -----" >&2
    grep -v -E "$NOISE" "$f" | tail -n 12 >&2 || true
  done
}

# Daemons launched by this run; a failed start stops them again so that nothing
# half-started is left behind (daemons that were already running are left alone).
LAUNCHED=()
undo_launches() {
  local name pid
  for name in "${LAUNCHED[@]}"; do
    pid=$(cat "$DIR/pids/$name" 2>/dev/null) || continue
    if [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$name" ]; then
      kill -TERM "$pid" 2>/dev/null && say "stopped $name (pid $pid) again"
    fi
    rm -f "$DIR/pids/$name"
  done
}

# fail: a problem of the setup (arguments, packages, ports), no log worth showing.
# die: a daemon misbehaved; show the log tails that explain it.
fail() {
  say "error: $*"
  undo_launches
  exit 1
}
die() {
  say "error: $*"
  log_tails
  undo_launches
  exit 1
}

# is_ours NAME: true when $DIR/pids/NAME holds the PID of a live (not zombie)
# process called NAME. Checking the command name guards against a recycled PID.
is_ours() {
  local name=$1 pidfile="$DIR/pids/$1" pid
  [ -s "$pidfile" ] || return 1
  pid=$(cat "$pidfile")
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$name" ] || return 1
  [ "$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null)" != Z ]
}

# launch NAME CMD...: run CMD in the foreground mode of the daemon, detached in its
# own session, output appended to log/NAME.out, PID recorded in pids/NAME.
# Every other descriptor of the caller is closed first: munged keeps what it inherits,
# and a caller that waits for EOF on a descriptor it gave start.sh (Swift's Process
# watches such a socket to learn that its child exited) would otherwise wait for as
# long as the daemon lives.
launch() {
  local name=$1; shift
  local pid
  (
    for fd in /proc/$BASHPID/fd/*; do
      fd=${fd##*/}
      [ "$fd" -gt 2 ] && eval "exec $fd>&-"
    done
    exec setsid "$@" </dev/null >>"$DIR/log/$name.out" 2>&1
  ) &
  pid=$!
  echo "$pid" >"$DIR/pids/$name"
  LAUNCHED+=("$name")
  # Until setsid has exec'ed the daemon the PID still reads as another command;
  # wait for that (a loaded machine can take a while) so is_ours is meaningful.
  for _ in $(seq 1 200); do
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$name" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  say "started $name (pid $pid)"
}

# ---------------------------------------------------------------- packages
case "$ACCOUNTING" in
  none) DAEMONS=(munged slurmctld slurmd) ;;
  slurmdbd) DAEMONS=(munged mariadbd slurmdbd slurmctld slurmd) ;;
  *) fail "MADPIPE_SLURM_ACCOUNTING must be 'none' or 'slurmdbd', not '$ACCOUNTING'" ;;
esac
REQUIRED=(slurmctld slurmd munged munge unmunge sbatch squeue sinfo scontrol scancel sacct)
PACKAGES=(slurmctld slurmd munge slurm-client)
if [ "$ACCOUNTING" = slurmdbd ]; then
  REQUIRED+=(slurmdbd sacctmgr mariadbd mariadb-install-db mariadb)
  PACKAGES+=(slurmdbd mariadb-server)
fi
missing=()
for c in "${REQUIRED[@]}"; do command -v "$c" >/dev/null 2>&1 || missing+=("$c"); done
if [ ${#missing[@]} -gt 0 ]; then
  [ "${MADPIPE_SLURM_NO_INSTALL:-0}" = 1 ] &&
    fail "missing commands: ${missing[*]} (MADPIPE_SLURM_NO_INSTALL=1, not installing)"
  [ "$(id -u)" = 0 ] ||
    fail "missing commands: ${missing[*]}; installing them needs root (apt-get install ${PACKAGES[*]})"
  say "installing Debian packages ${PACKAGES[*]} (missing: ${missing[*]})"
  if ! { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
        --no-install-recommends "${PACKAGES[@]}"; } >"/tmp/madpipe-slurm-apt.$$.log" 2>&1; then
    tail -n 20 "/tmp/madpipe-slurm-apt.$$.log" >&2
    die "apt-get install failed (full log: /tmp/madpipe-slurm-apt.$$.log)"
  fi
  rm -f "/tmp/madpipe-slurm-apt.$$.log"
  for c in "${REQUIRED[@]}"; do command -v "$c" >/dev/null 2>&1 || fail "still missing after install: $c"; done
fi

# slurmd must be root to launch job steps; munged and slurmctld run as root too.
[ "$(id -u)" = 0 ] || fail "must run as root (slurmd launches jobs and needs root); running as $(id -un)"

# ---------------------------------------------------------------- layout
case "$DIR" in *[[:space:]]*) fail "MADPIPE_SLURM_DIR must not contain spaces ('$DIR'): slurm.conf paths cannot" ;; esac
NODE=$(hostname -s)
[ -n "$NODE" ] || fail "hostname -s printed nothing; Slurm needs a node name"
CPUS=$(getconf _NPROCESSORS_ONLN)
MEM_MB=$(awk '/^MemTotal:/ { printf "%d", $2 / 1024 }' /proc/meminfo)
if ! { [ "$CPUS" -ge 1 ] && [ "$MEM_MB" -ge 64 ]; }; then
  fail "could not read CPUs ($CPUS) / memory ($MEM_MB MB) of this machine"
fi

# The state dir and the munge dir must not be writable by others (munged checks
# the socket's directory); clients (any user) need to read slurm.conf and reach the socket.
mkdir -p "$DIR"/{munge,state,spool,log,run,pids,jobs,gpus}
for ((i = 0; i < GPUS; i++)); do ln -sfn /dev/null "$DIR/gpus/gpu$i"; done
chmod 0755 "$DIR" "$DIR/munge" "$DIR/state" "$DIR/spool" "$DIR/log" "$DIR/run" "$DIR/pids"
chmod 1777 "$DIR/jobs"   # scratch for job output of any user
CONF="$DIR/slurm.conf"
MUNGE_SOCKET="$DIR/munge/munge.socket"
MUNGE_KEY="$DIR/munge/munge.key"

# ---------------------------------------------------------------- munge
if [ ! -s "$MUNGE_KEY" ]; then
  (umask 077; head -c 1024 /dev/urandom >"$MUNGE_KEY.tmp") && mv "$MUNGE_KEY.tmp" "$MUNGE_KEY"
  say "generated munge key $MUNGE_KEY"
fi
chmod 0400 "$MUNGE_KEY"   # munged refuses a key readable by group/other

if is_ours munged; then
  say "munged already running (pid $(cat "$DIR/pids/munged"))"
else
  rm -f "$MUNGE_SOCKET" "$MUNGE_SOCKET.lock"   # stale after an unclean stop
  # --force: we run as root, and /tmp's world-writable (sticky) parent would
  # otherwise make munged refuse; the key itself stays 0400.
  launch munged munged --foreground --force \
    --socket="$MUNGE_SOCKET" --key-file="$MUNGE_KEY" \
    --pid-file="$DIR/run/munged.pid" --seed-file="$DIR/munge/munged.seed" \
    --num-threads=2   # in the foreground it logs to stderr, i.e. log/munged.out
fi
for _ in $(seq 1 100); do [ -S "$MUNGE_SOCKET" ] && break; is_ours munged || break; sleep 0.1; done
is_ours munged || die "munged exited during start"
munge -n --socket="$MUNGE_SOCKET" 2>/dev/null | unmunge --socket="$MUNGE_SOCKET" >/dev/null 2>&1 ||
  die "munged does not answer on $MUNGE_SOCKET (munge | unmunge failed)"

# ---------------------------------------------------------------- slurm.conf
# The reason for each line is in docs/slurm-cluster.md.
accounting_lines() {
  if [ "$ACCOUNTING" = slurmdbd ]; then
    # AccountingStoragePass names the munge socket for talking to slurmdbd;
    # without it that connection uses the system socket /run/munge/munge.socket.2.
    # gres/gpu as a TRES puts the GPUs into sacct's AllocTRES (slurmctld refuses it without slurmdbd).
    printf '%s\n' "AccountingStorageType=accounting_storage/slurmdbd" \
      "AccountingStorageHost=127.0.0.1" "AccountingStoragePort=$DBD_PORT" \
      "AccountingStoragePass=$MUNGE_SOCKET" "AccountingStorageTRES=gres/gpu"
  else
    echo "AccountingStorageType=accounting_storage/none"
  fi
}
render_conf() {
  cat <<EOF
# Generated by scripts/slurm/start.sh: a one-node test cluster for madpipe.
# See docs/slurm-cluster.md for why each setting is here. Do not edit by hand.
ClusterName=$CLUSTER
SlurmctldHost=$NODE(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root

AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$MUNGE_SOCKET

StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/run/slurmctld.pid
SlurmdPidFile=$DIR/run/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info

ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
$(accounting_lines)
JobCompType=jobcomp/filetxt
JobCompLoc=$DIR/jobcomp.txt
MpiDefault=none
MailProg=/bin/true

SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=1024
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0,bf_interval=1

ReturnToService=2
MessageTimeout=5
SlurmdTimeout=30
SlurmctldTimeout=30
TCPTimeout=2
InactiveLimit=0
KillWait=5
Waittime=0
MinJobAge=300

GresTypes=gpu
NodeName=$NODE NodeAddr=127.0.0.1 NodeHostname=$NODE CPUs=$CPUS RealMemory=$MEM_MB Gres=gpu:$GPUS State=UNKNOWN
PartitionName=debug Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF
}

# gres.conf: the node's GPUs are stand-ins. Slurm 22.05 drops a gpu gres without File=
# ("Removing file-less GPU") and wants a character device there, so each GPU is a symlink
# <dir>/gpus/gpu<i> -> /dev/null. Slurm schedules and records them and sets SLURM_JOB_GPUS and
# CUDA_VISIBLE_DEVICES in jobs (TaskPlugin=task/none: no device cgroup); there is no hardware.
render_gres() {
  cat <<EOF
# Generated by scripts/slurm/start.sh: $GPUS stand-in GPUs (symlinks to /dev/null, no hardware).
NodeName=$NODE Name=gpu File=$DIR/gpus/gpu[0-$((GPUS - 1))]
EOF
}

ctld_up=0; slurmd_up=0; dbd_up=0; db_up=0
is_ours slurmctld && ctld_up=1
is_ours slurmd && slurmd_up=1
is_ours slurmdbd && dbd_up=1
is_ours mariadbd && db_up=1
if [ $ctld_up = 1 ] || [ $slurmd_up = 1 ] || [ $dbd_up = 1 ]; then
  # Daemons are running with the config on disk; never change it under them. A cluster
  # started with another config (an older start.sh, other ports, ...) is restarted when it
  # has no jobs; with jobs queued or running it is left alone and start.sh refuses.
  if ! { render_conf | cmp -s - "$CONF" && render_gres | cmp -s - "$DIR/gres.conf"; }; then
    jobs=$(SLURM_CONF=$CONF squeue --noheader --format=%i 2>/dev/null) ||
      fail "a cluster is already running from $DIR with a different slurm.conf or gres.conf, and squeue does not answer; run scripts/slurm/stop.sh first"
    [ -z "$jobs" ] ||
      fail "a cluster is already running from $DIR with a different slurm.conf or gres.conf (other ports, accounting mode, CPUs, GPUs, ...) and has jobs ($(echo $jobs)); run scripts/slurm/stop.sh when they are done"
    say "the running cluster in $DIR has another configuration and no jobs: restarting it"
    "$(dirname "${BASH_SOURCE[0]}")/stop.sh" || fail "could not stop the running cluster to restart it"
    exec bash "${BASH_SOURCE[0]}" "$@"
  fi
else
  render_gres >"$DIR/gres.conf.tmp" && mv "$DIR/gres.conf.tmp" "$DIR/gres.conf"
  render_conf >"$CONF.tmp" && mv "$CONF.tmp" "$CONF"
  chmod 0644 "$CONF" "$DIR/gres.conf"
fi
export SLURM_CONF="$CONF"

# ---------------------------------------------------------------- daemons
# A port taken by someone else (often: another cluster on the default ports) makes
# the daemon exit at once; say so plainly instead of showing only its log.
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
if [ "$ACCOUNTING" = slurmdbd ]; then
  # shellcheck source=scripts/slurm/accounting.sh
  . "$(dirname "${BASH_SOURCE[0]}")/accounting.sh"
  start_accounting
fi
if [ $ctld_up = 0 ] && port_busy "$CTLD_PORT"; then
  fail "port $CTLD_PORT (SlurmctldPort) is already in use; set MADPIPE_SLURM_CTLD_PORT to a free port"
fi
if [ $slurmd_up = 0 ] && port_busy "$SLURMD_PORT"; then
  fail "port $SLURMD_PORT (SlurmdPort) is already in use; set MADPIPE_SLURM_SLURMD_PORT to a free port"
fi
if [ $ctld_up = 1 ]; then
  say "slurmctld already running (pid $(cat "$DIR/pids/slurmctld"))"
else
  launch slurmctld slurmctld -D -f "$CONF"
fi
if [ $slurmd_up = 1 ]; then
  say "slurmd already running (pid $(cat "$DIR/pids/slurmd"))"
else
  launch slurmd slurmd -D -f "$CONF" -N "$NODE"
fi

# ---------------------------------------------------------------- wait for the node
# Usable = the node answers (no '*' suffix) and is idle, or busy with jobs
# (mixed/allocated/completing) when an already running cluster is reused.
t0=$(date +%s.%N)   # time from (re)launch to a usable node, reported below
deadline=$(( $(date +%s) + TIMEOUT ))
resumed=0
state=""
while :; do
  for d in "${DAEMONS[@]}"; do
    is_ours "$d" || die "$d exited during start (see its log below)"
  done
  state=$(sinfo --noheader --Node --nodes="$NODE" --format=%T 2>/dev/null | head -n 1 || true)
  case "$state" in
    idle|mixed|allocated|completing) break ;;
    drained|draining|drained\*|draining\*)
      # A drain recorded by a previous run survives in the saved state; only
      # ReturnToService handles DOWN, so lift a drain once.
      if [ $resumed = 0 ]; then
        say "node $NODE is $state ($(sinfo --noheader --Node --nodes="$NODE" --format=%E 2>/dev/null)); resuming it"
        scontrol update NodeName="$NODE" State=RESUME >&2 || true
        resumed=1
      fi ;;
  esac
  if [ "$(date +%s)" -ge "$deadline" ]; then
    scontrol show node "$NODE" >&2 2>/dev/null || true
    die "node $NODE not idle after ${TIMEOUT}s (last sinfo state: '${state:-no answer}')"
  fi
  sleep 0.2
done
t1=$(date +%s.%N)
say "node $NODE is $state after $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')s ($(sinfo --version), $CPUS CPUs, $MEM_MB MB, ports $CTLD_PORT/$SLURMD_PORT, accounting: $ACCOUNTING)"
echo "export SLURM_CONF=$CONF"
