#!/usr/bin/env bash
# selftest.sh: prove that the single-node test cluster from start.sh behaves the
# way madpipe's Slurm executor will use it, and measure how fast it is.
#
# It starts a cluster in its own state directory and on its own ports (so it never
# disturbs a cluster the test suite is using), then:
#   - submits four `sbatch --parsable --wrap` jobs: one that succeeds, one that
#     sleeps and is scancel'ed, one that exits 3, and one asking for
#     --cpus-per-task=2 --mem=200M --time=00:03:00;
#   - polls them with ONE `squeue --jobs=a,b,c,d --noheader --format=...` per round;
#   - checks that two 1-CPU jobs without --mem run at the same time;
#   - reads each job's final state back from `sacct --completion` and from the
#     jobcomp file, and checks names, states, exit codes, CPUs, memory, time limit;
#   - checks what squeue does with job ids it does not know;
#   - runs a job on the node's two stand-in GPUs (--gres=gpu:2) and checks that
#     --gres=gpu:3 is refused;
#   - checks that no daemon kept a descriptor start.sh's caller had open;
#   - stops the cluster it started.
# Prints one line per check (ok/FAIL) and a `timings:` line; exits 1 on any failure,
# 2 when the cluster cannot be started.
#
# With MADPIPE_SLURM_ACCOUNTING=slurmdbd it also checks plain `sacct` (slurmdbd).
#
# Environment (optional): MADPIPE_SLURM_DIR [/tmp/madpipe-slurm-selftest],
# MADPIPE_SLURM_CTLD_PORT [16827], MADPIPE_SLURM_SLURMD_PORT [16828],
# MADPIPE_SLURM_DB_PORT [16829], MADPIPE_SLURM_DBD_PORT [16830],
# MADPIPE_SLURM_ACCOUNTING [none]. With the default directory, its state from
# earlier runs (database included) is wiped first so every run is a cold start.
# shellcheck disable=SC2154  # A_submit, B_submit: set by submit() through printf -v
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DEFAULT_DIR=/tmp/madpipe-slurm-selftest
export MADPIPE_SLURM_DIR=${MADPIPE_SLURM_DIR:-$DEFAULT_DIR}
export MADPIPE_SLURM_CTLD_PORT=${MADPIPE_SLURM_CTLD_PORT:-16827}
export MADPIPE_SLURM_SLURMD_PORT=${MADPIPE_SLURM_SLURMD_PORT:-16828}
export MADPIPE_SLURM_DB_PORT=${MADPIPE_SLURM_DB_PORT:-16829}
export MADPIPE_SLURM_DBD_PORT=${MADPIPE_SLURM_DBD_PORT:-16830}
ACCOUNTING=${MADPIPE_SLURM_ACCOUNTING:-none}
DIR=$MADPIPE_SLURM_DIR

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
failures=0
check() {   # check DESCRIPTION COMMAND...: run COMMAND, report ok/FAIL
  local what=$1; shift
  if "$@"; then echo "ok    $what"; else echo "FAIL  $what"; failures=$((failures + 1)); fi
}
eq() { [ "$1" = "$2" ] || { echo "      expected '$2', got '$1'" >&2; return 1; }; }

# ---------------------------------------------------------------- start
was_running=0
for d in munged mariadbd slurmdbd slurmctld slurmd; do
  f="$DIR/pids/$d"
  [ -s "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null &&
    [ "$(cat "/proc/$(cat "$f")/comm" 2>/dev/null)" = "$d" ] && was_running=1
done
if [ $was_running = 0 ] && [ "$DIR" = "$DEFAULT_DIR" ]; then
  rm -rf "$DIR/state" "$DIR/spool" "$DIR/jobs" "$DIR/jobcomp.txt" "$DIR/log" \
    "$DIR/mysql" "$DIR/mysql.pass" "$DIR/slurmdbd.conf"
fi

# start.sh gets an extra open descriptor (fd 9), as a test process may pass one;
# no daemon may keep it (checked below).
caller_fd=$(mktemp /tmp/madpipe-slurm-selftest-fd.XXXXXX)
exec 9>"$caller_fd"
t_start=$(now)
if ! out=$("$HERE/start.sh"); then
  echo "FAIL  start.sh could not start the cluster (see messages above)"
  exit 2
fi
t_idle=$(now)
exec 9>&-
case "$out" in
  "export SLURM_CONF="*) eval "$out" ;;
  *) echo "FAIL  start.sh printed '$out' instead of an export line"; exit 2 ;;
esac
stop_cluster() {
  if [ $was_running = 0 ]; then
    local t0; t0=$(now)
    "$HERE/stop.sh" || echo "FAIL  stop.sh"
    echo "stop.sh took $(secs "$t0" "$(now)")s"
  fi
}
trap stop_cluster EXIT

J="$DIR/jobs"
NODE=$(hostname -s)
check "sinfo reports $(getconf _NPROCESSORS_ONLN) CPUs for node $NODE" \
  eq "$(sinfo --noheader --Node --nodes="$NODE" --format=%c | head -n1)" "$(getconf _NPROCESSORS_ONLN)"
kept=""
if [ $was_running = 0 ]; then
  for f in "$DIR"/pids/*; do
    p=$(cat "$f")
    for fd in /proc/"$p"/fd/*; do
      [ "$(readlink "$fd" 2>/dev/null)" = "$caller_fd" ] && kept="$kept ${f##*/}"
    done
  done
fi
rm -f "$caller_fd"
check "no daemon kept a descriptor of start.sh's caller" eq "$kept" ""
check "start.sh is idempotent on a running cluster" \
  eq "$("$HERE/start.sh" 2>/dev/null)" "export SLURM_CONF=$SLURM_CONF"

# ---------------------------------------------------------------- submit
# Each job script first writes its start time, so start latency is measured from
# inside the job rather than from the polling interval.
# shellcheck disable=SC2016  # $SLURM_JOB_ID must expand inside the job, not here
STAMP='date +%s.%N > '"$J"'/$SLURM_JOB_ID.start; env | grep ^SLURM_ | sort > '"$J"'/$SLURM_JOB_ID.env'
AS_NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)   # an unprivileged user
submit() {   # submit VAR [as-nobody] sbatch-args...: submit, remember id and submit time
  local var=$1; shift
  local t id pre=()
  if [ "${1:-}" = as-nobody ]; then pre=("${AS_NOBODY[@]}"); shift; fi
  t=$(now)
  id=$("${pre[@]}" sbatch --parsable --chdir="$J" --output="$J/%j.out" "$@")
  id=${id%%;*}   # --parsable prints "id" or "id;cluster"
  [[ $id =~ ^[0-9]+$ ]] || { echo "FAIL  sbatch printed '$id'"; exit 1; }
  printf -v "$var" %s "$id"
  printf -v "${var}_submit" %s "$t"
}
# A and B name no --mem: DefMemPerCPU must keep each from claiming the whole node.
submit A --job-name=mp-ok     --cpus-per-task=1 --wrap="$STAMP; echo hello; sleep 3"
submit B --job-name=mp-cancel --cpus-per-task=1 --wrap="$STAMP; sleep 300"
submit C --job-name=mp-fail   --cpus-per-task=1 --mem=32M --wrap="$STAMP; echo failing >&2; exit 3"
submit D --job-name=mp-res    --cpus-per-task=2 --mem=200M --time=00:03:00 --wrap="$STAMP; sleep 0.5"
# E: submitted by an unprivileged user (uid 65534), as a non-root test run would.
submit E as-nobody --job-name=mp-user --cpus-per-task=1 --mem=16M --wrap="$STAMP; id -u"
IDS="$A,$B,$C,$D,$E"
echo "submitted A=$A (ok) B=$B (to cancel) C=$C (exit 3) D=$D (2 cpus, 200M, 3 min) E=$E (as nobody)"

# ---------------------------------------------------------------- poll
declare -A state seen_running
rounds=0; concurrent=0; t_cancel=""; t_cancelled=""
terminal() {
  case "$1" in COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY|BOOT_FAIL|DEADLINE|PREEMPTED) return 0 ;; esac
  return 1
}
deadline=$(( $(date +%s) + 90 ))
while :; do
  rounds=$((rounds + 1))
  # The one status call per round. --states=all keeps finished jobs in the answer.
  listing=$(squeue --jobs="$IDS" --noheader --states=all --format='%i|%T|%r') || listing=""
  t=$(now)
  while IFS='|' read -r id st _reason; do
    [ -n "$id" ] || continue
    state[$id]=$st
    if [ "$st" = RUNNING ] && [ -z "${seen_running[$id]:-}" ]; then seen_running[$id]=$t; fi
  done <<<"$listing"
  if [ "${state[$A]:-}" = RUNNING ] && [ "${state[$B]:-}" = RUNNING ]; then concurrent=1; fi
  if [ -z "$t_cancel" ] && [ "${state[$B]:-}" = RUNNING ] && [ -s "$J/$B.start" ]; then
    t_cancel=$(now)
    scancel "$B"
  fi
  if [ -n "$t_cancel" ] && [ -z "$t_cancelled" ] && [ "${state[$B]:-}" = CANCELLED ]; then t_cancelled=$t; fi
  done_all=1
  for id in $A $B $C $D $E; do terminal "${state[$id]:-}" || done_all=0; done
  [ $done_all = 1 ] && break
  if [ "$(date +%s)" -ge "$deadline" ]; then
    echo "FAIL  jobs not finished after 90s: $listing"; exit 1
  fi
  sleep 0.2
done
t_all_done=$(now)
echo "polled $rounds rounds, one squeue call each; final: A=${state[$A]} B=${state[$B]} C=${state[$C]} D=${state[$D]} E=${state[$E]}"

check "two 1-CPU jobs without --mem ran at the same time" eq "$concurrent" 1
check "squeue: A COMPLETED" eq "${state[$A]}" COMPLETED
check "squeue: B CANCELLED" eq "${state[$B]}" CANCELLED
check "squeue: C FAILED" eq "${state[$C]}" FAILED
check "squeue: D COMPLETED" eq "${state[$D]}" COMPLETED
check "squeue: E COMPLETED" eq "${state[$E]}" COMPLETED
# Ids the controller does not know: silently left out of a mixed list; an error
# (exit 1) when no id is known. The executor must treat "missing" as "look it up".
check "squeue lists known ids of a list that also names an unknown one" \
  eq "$(squeue --jobs="$A,99999999" --noheader --states=all --format=%i)" "$A"
check "squeue exits non-zero when it knows none of the ids" \
  eval '! squeue --jobs=99999999 --noheader --states=all --format=%i >/dev/null 2>&1'

# ---------------------------------------------------------------- job records
COMP="$DIR/jobcomp.txt"
for _ in $(seq 1 50); do
  n=0
  for id in $A $B $C $D $E; do grep -q "^JobId=$id " "$COMP" 2>/dev/null && n=$((n + 1)); done
  [ $n = 5 ] && break
  sleep 0.2
done
t_records=$(now)
check "jobcomp file has a line for each job" eq "$n" 5
# comp ID FIELD: a field of the job's line in the jobcomp file (Key=Value pairs).
comp() { grep "^JobId=$1 " "$COMP" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n1; }
check "jobcomp: A COMPLETED 0:0, 1 CPU, default memory 1G" \
  eq "$(comp "$A" JobState) $(comp "$A" ExitCode) $(comp "$A" ProcCnt) $(comp "$A" Tres)" "COMPLETED 0:0 1 cpu=1,mem=1G,node=1,billing=1"
check "jobcomp: B CANCELLED" eq "$(comp "$B" JobState) $(comp "$B" Name)" "CANCELLED mp-cancel"
check "jobcomp: C FAILED with exit code 3" eq "$(comp "$C" JobState) $(comp "$C" ExitCode) $(comp "$C" Name)" "FAILED 3:0 mp-fail"
check "jobcomp: D 2 CPUs, mem=200M, TimeLimit 3 (minutes), name mp-res" \
  eq "$(comp "$D" JobState) $(comp "$D" ProcCnt) $(comp "$D" Tres) $(comp "$D" TimeLimit) $(comp "$D" Name)" \
     "COMPLETED 2 cpu=2,mem=200M,node=1,billing=2 3 mp-res"

# sacct reads the same file when given -c/--completion (there is no slurmdbd).
if sacct_out=$(sacct --completion --jobs="$IDS" --noheader --parsable2 \
      --format=JobID,JobName,State,ExitCode,AllocCPUS,Timelimit 2>&1); then
  s() { grep "^$1|" <<<"$sacct_out" | cut -d'|' -f2-; }
  check "sacct -c: A" eq "$(s "$A")" "mp-ok|COMPLETED|0:0|1|$(comp "$A" TimeLimit)"
  check "sacct -c: B" eq "$(s "$B" | cut -d'|' -f1-2,4)" "mp-cancel|CANCELLED|1"
  check "sacct -c: C" eq "$(s "$C" | cut -d'|' -f1-4)" "mp-fail|FAILED|3:0|1"
  check "sacct -c: D" eq "$(s "$D")" "mp-res|COMPLETED|0:0|2|3"
else
  echo "FAIL  sacct --completion failed: $sacct_out"; failures=$((failures + 1))
fi

check "jobcomp: E COMPLETED, run as nobody" eq "$(comp "$E" JobState) $(comp "$E" UserId)" "COMPLETED nobody(65534)"
check "E ran as uid 65534" eq "$(cat "$J/$E.out")" 65534
# sacct -c opens the jobcomp file for writing (and resets it to 0644), so only root
# can use it; an unprivileged user reads the (world-readable) file itself.
check "an unprivileged user can read E's record from the jobcomp file" \
  eq "$("${AS_NOBODY[@]}" grep -c "^JobId=$E .* JobState=COMPLETED " "$COMP")" 1
check "an unprivileged user can poll with squeue" \
  eq "$("${AS_NOBODY[@]}" squeue --jobs="$E" --noheader --states=all --format='%i|%T|%u')" "$E|COMPLETED|nobody"

# ---------------------------------------------------------------- slurmdbd
dbd_latency=n/a
if [ "$ACCOUNTING" = slurmdbd ]; then
  # slurmctld sends the job's end at once but its start details (name, requested
  # memory, time limit) a little later; until then sacct shows JobName=allocation.
  # Poll until every job has its name, and report when that was (from A's submit).
  want="$A|mp-ok $B|mp-cancel $C|mp-fail $D|mp-res $E|mp-user"
  for _ in $(seq 1 150); do
    got=$(sacct -X --jobs="$IDS" --noheader --parsable2 --format=JobID,JobName 2>/dev/null | sort -n | tr '\n' ' ')
    [ "$got" = "$want " ] && break
    sleep 0.2
  done
  dbd_latency="$(secs "$A_submit" "$(now)")s"
  check "sacct (slurmdbd) has every job's name" eq "$got" "$want "
  dbd=$(sacct -X --jobs="$IDS" --noheader --parsable2 \
        --format=JobID,JobName,State,ExitCode,AllocCPUS,ReqMem,Timelimit 2>&1)
  d() { grep "^$1|" <<<"$dbd" | cut -d'|' -f2-; }
  check "sacct: A" eq "$(d "$A" | cut -d'|' -f1-5)" "mp-ok|COMPLETED|0:0|1|1G"
  check "sacct: B CANCELLED" eq "$(d "$B" | cut -d'|' -f1-2 | cut -d' ' -f1)" "mp-cancel|CANCELLED"
  check "sacct: C" eq "$(d "$C" | cut -d'|' -f1-3)" "mp-fail|FAILED|3:0"
  check "sacct: D 2 CPUs, 200M, 00:03:00" eq "$(d "$D")" "mp-res|COMPLETED|0:0|2|200M|00:03:00"
  check "sacct works for an unprivileged user" \
    eq "$("${AS_NOBODY[@]}" sacct -X --jobs="$E" --noheader --parsable2 --format=JobID,State,User 2>&1)" "$E|COMPLETED|nobody"
fi

# ---------------------------------------------------------------- GPUs
# The node's two stand-in GPUs (gres.conf): a job asking for both gets both, one
# asking for three is refused at submission.
check "sinfo reports the node's gres gpu:2" eq "$(sinfo --noheader --Node --nodes="$NODE" --format=%G | head -n1)" "gpu:2"
submit G --job-name=mp-gpu --gres=gpu:2 --wrap="env | grep -E '^(SLURM_JOB_GPUS|SLURM_GPUS_ON_NODE|CUDA_VISIBLE_DEVICES)=' | sort"
for _ in $(seq 1 150); do
  g=$(squeue --jobs="$G" --noheader --states=all --format='%T|%b' 2>/dev/null) || g=""
  terminal "${g%%|*}" && break
  sleep 0.2
done
check "G (--gres=gpu:2) COMPLETED, squeue shows gres:gpu:2" eq "$g" "COMPLETED|gres:gpu:2"
check "G's environment: both GPUs" eq "$(tr '\n' ' ' <"$J/$G.out")" \
  "CUDA_VISIBLE_DEVICES=0,1 SLURM_GPUS_ON_NODE=2 SLURM_JOB_GPUS=0,1 "
check "scontrol show job G: TresPerNode=gres:gpu:2" \
  eval "scontrol show job '$G' | grep -q '^ *TresPerNode=gres:gpu:2\$'"
too_many=$(sbatch --parsable --gres=gpu:3 --output=/dev/null --wrap=true 2>&1) && too_many="exit 0: $too_many"
check "sbatch --gres=gpu:3 is refused" \
  eq "$too_many" "sbatch: error: Batch job submission failed: Requested node configuration is not available"
if [ "$ACCOUNTING" = slurmdbd ]; then
  for _ in $(seq 1 150); do
    tres=$(sacct -X --jobs="$G" --noheader --parsable2 --format=AllocTRES 2>/dev/null)
    [[ $tres == *gres/gpu=2* ]] && break
    sleep 0.2
  done
  check "sacct (slurmdbd): G's AllocTRES has gres/gpu=2" eq "$tres" "billing=1,cpu=1,gres/gpu=2,mem=1G,node=1"
fi

# What the job saw: Slurm's environment inside D honours the request.
check "D's environment: SLURM_CPUS_PER_TASK=2 SLURM_MEM_PER_NODE=200 SLURM_JOB_NAME=mp-res" \
  eq "$(grep -E '^SLURM_(CPUS_PER_TASK|MEM_PER_NODE|JOB_NAME)=' "$J/$D.env" | tr '\n' ' ')" \
     "SLURM_CPUS_PER_TASK=2 SLURM_JOB_NAME=mp-res SLURM_MEM_PER_NODE=200 "
check "A's output file has its echo" eq "$(cat "$J/$A.out")" hello
check "C's stderr went to its output file" eq "$(cat "$J/$C.out")" failing

# ---------------------------------------------------------------- timings
lat() { secs "$1" "$(cat "$2")"; }
echo "timings: start_to_idle=$(secs "$t_start" "$t_idle")s" \
  "start_latency_A=$(lat "$A_submit" "$J/$A.start")s start_latency_B=$(lat "$B_submit" "$J/$B.start")s" \
  "first_seen_running_A=$(secs "$A_submit" "${seen_running[$A]:-$A_submit}")s" \
  "cancel_to_CANCELLED=$(secs "$t_cancel" "${t_cancelled:-$t_cancel}")s" \
  "all_done_to_records=$(secs "$t_all_done" "$t_records")s" \
  "submit_to_all_done=$(secs "$A_submit" "$t_all_done")s" \
  "submit_to_sacct_complete=$dbd_latency"

if [ $failures -gt 0 ]; then echo "selftest: $failures check(s) FAILED"; exit 1; fi
echo "selftest: all checks passed"
