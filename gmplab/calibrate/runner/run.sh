#!/bin/sh
# gmplab calibration runner: runs every probe line of a plan at several GOMAXPROCS values with
# R replications, each under `timeout`, writing out/<name>-p<P>-r<R>.json. POSIX sh only (no
# Python, no network), so a bigger machine can run it from a copied folder:
#
#   ./run.sh [--quick] [--plan FILE] [--out DIR] [--replications R] [--timeout-s S]
#            [--procs "1 2 4"]
#
# GOMAXPROCS values: 1, 2, 4, ... below the core count, the core count, and twice it.
# An output that already exists is skipped (an interrupted run resumes); a probe that fails or
# times out leaves <name>-p<P>-r<R>.err (exit status, command, stderr) and the run goes on; a
# failed one is tried again on the next run. Captures already made are never deleted.
# Plan lines: NAME PROBE FLAGS... ('#' starts a comment). The runner adds -gomaxprocs P and
# -seed R after the plan's flags. Exit status: 0 when every run has a capture, 1 otherwise.
set -u
here=$(cd "$(dirname "$0")" && pwd)
bin="$here/gmplab-probe"
plan="$here/plan.txt"
out="$here/out"
reps=""
tmo=120
procs=""
quick=0

usage() {
	sed -n '2,14s/^# \{0,1\}//p' "$0"
}

while [ $# -gt 0 ]; do
	case "$1" in
	--quick) quick=1 ;;
	--plan) plan=$2; shift ;;
	--out) out=$2; shift ;;
	--replications | -r) reps=$2; shift ;;
	--timeout-s | -t) tmo=$2; shift ;;
	--procs) procs=$2; shift ;;
	-h | --help) usage; exit 0 ;;
	*) echo "run.sh: unknown option: $1" >&2; usage >&2; exit 2 ;;
	esac
	shift
done
if [ $quick -eq 1 ]; then
	[ "$plan" = "$here/plan.txt" ] && plan="$here/plan-quick.txt"
	[ -z "$reps" ] && reps=1
fi
[ -z "$reps" ] && reps=3
[ -x "$bin" ] || { echo "run.sh: no probe binary at $bin" >&2; exit 2; }
[ -r "$plan" ] || { echo "run.sh: no plan file at $plan" >&2; exit 2; }
case "$reps$tmo" in *[!0-9]*) echo "run.sh: --replications and --timeout-s take whole numbers" >&2; exit 2 ;; esac

cores=$(getconf _NPROCESSORS_ONLN 2>/dev/null || nproc 2>/dev/null || echo 1)
if [ -z "$procs" ]; then
	p=1
	while [ "$p" -lt "$cores" ]; do
		procs="$procs $p"
		p=$((p * 2))
	done
	procs="$procs $cores $((cores * 2))"
	procs=${procs# }
fi
if command -v timeout >/dev/null 2>&1; then
	tcmd="timeout -k 5 $tmo"
else
	tcmd=""
	echo "run.sh: warning: no timeout command; probes run without a time limit" >&2
fi

mkdir -p "$out"
log="$out/runner.log"
say() {
	echo "$*"
	echo "$*" >>"$log"
}
say "# $(date -u +%Y-%m-%dT%H:%M:%SZ) plan=$plan cores=$cores procs=$procs replications=$reps timeout=${tmo}s"
t_all=$(date +%s)
ran=0 skipped=0 failed=0
while read -r name probe args; do
	case "$name" in '' | '#'*) continue ;; esac
	for p in $procs; do
		r=1
		while [ "$r" -le "$reps" ]; do
			base="$out/$name-p$p-r$r"
			if [ -s "$base.json" ]; then
				skipped=$((skipped + 1))
				r=$((r + 1))
				continue
			fi
			t0=$(date +%s)
			# shellcheck disable=SC2086 # the plan's flags are split on purpose
			$tcmd "$bin" "$probe" $args -gomaxprocs "$p" -seed "$r" \
				>"$base.json.part" 2>"$base.stderr.part" </dev/null
			rc=$?
			dt=$(($(date +%s) - t0))
			ran=$((ran + 1))
			if [ $rc -eq 0 ] && [ -s "$base.json.part" ]; then
				mv "$base.json.part" "$base.json"
				rm -f "$base.stderr.part" "$base.err"
				say "ok     $name p=$p r=$r ${dt}s"
			else
				{
					echo "exit_status=$rc"
					if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then echo "timed out after ${tmo}s"; fi
					echo "command: $bin $probe $args -gomaxprocs $p -seed $r"
					cat "$base.stderr.part"
				} >"$base.err"
				rm -f "$base.json.part" "$base.stderr.part"
				failed=$((failed + 1))
				say "FAILED $name p=$p r=$r exit=$rc ${dt}s (see $base.err)"
			fi
			r=$((r + 1))
		done
	done
done <"$plan"
say "# done in $(($(date +%s) - t_all))s: $ran run, $skipped already there, $failed failed"
[ $failed -eq 0 ]
