#!/usr/bin/env bash
# Submits a partitioned voxgate ingest to Slurm: N array tasks (voxgate-array.sbatch), then one merge
# (voxgate-merge.sbatch) that starts only when every task succeeded (--dependency=afterok). An array
# larger than the cluster's MaxArraySize is split into several array jobs, each with an index offset.
# See README.md in this folder.
set -euo pipefail

usage() {
  cat <<'USAGE'
usage: submit.sh --root ROOT --work WORK --out OUT --partitions N [options] [-- SBATCH_ARGS...]

  --root ROOT              upload tree (or Common Voice release) to ingest; on a shared filesystem
  --work WORK              shared folder for the partition outputs WORK/part-<i> and the job logs
  --out OUT                where the merge writes the corpus
  --partitions N           number of partitions (array tasks)
  --cpus-per-task C        CPUs per array task; voxgate runs with --jobs C   (default: the sbatch file's)
  --mem SIZE               memory per array task, e.g. 4G                     (default: the sbatch file's)
  --time LIMIT             time limit per array task, e.g. 04:00:00          (default: the sbatch file's)
  --merge-mem SIZE         memory for the merge job                          (default: the sbatch file's)
  --merge-time LIMIT       time limit for the merge job                      (default: the sbatch file's)
  --max-parallel P         at most P tasks of each array job at once (sbatch --array=…%P)
  --speaker-key-file FILE  the corpus's speaker key (default WORK/speaker.key, created if missing)
  --voxgate PATH           the voxgate executable on the compute nodes (default: voxgate on PATH)
  --rerun LIST             submit only these partitions again (e.g. 3 or 3,7), then a new merge
  --max-array-size M       use M instead of asking `scontrol show config` for MaxArraySize
  --dry-run                print the commands instead of running them (job ids shown as JOB1, JOB2, …)
  -- SBATCH_ARGS...        passed to every sbatch (e.g. --partition=cpu --account=speech)
USAGE
}

die() { echo "submit.sh: $*" >&2; exit 64; }

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root="" work="" out="" n="" cpus="" mem="" time_limit="" max_parallel="" key="" voxgate=""
merge_mem="" merge_time="" rerun="" max_array="" dry_run=0 extra=()
while (($#)); do
  case "$1" in
    --root) root=${2:?}; shift 2 ;;
    --work) work=${2:?}; shift 2 ;;
    --out) out=${2:?}; shift 2 ;;
    --partitions) n=${2:?}; shift 2 ;;
    --cpus-per-task) cpus=${2:?}; shift 2 ;;
    --mem) mem=${2:?}; shift 2 ;;
    --time) time_limit=${2:?}; shift 2 ;;
    --merge-mem) merge_mem=${2:?}; shift 2 ;;
    --merge-time) merge_time=${2:?}; shift 2 ;;
    --max-parallel) max_parallel=${2:?}; shift 2 ;;
    --speaker-key-file) key=${2:?}; shift 2 ;;
    --voxgate) voxgate=${2:?}; shift 2 ;;
    --rerun) rerun=${2:?}; shift 2 ;;
    --max-array-size) max_array=${2:?}; shift 2 ;;
    --dry-run) dry_run=1; shift ;;
    -h | --help) usage; exit 0 ;;
    --) shift; extra=("$@"); break ;;
    *) usage >&2; die "unknown argument '$1'" ;;
  esac
done
[[ -n "$root" && -n "$work" && -n "$out" && -n "$n" ]] || { usage >&2; die "--root, --work, --out and --partitions are required"; }
[[ "$n" =~ ^[1-9][0-9]*$ ]] || die "--partitions must be a positive integer, not '$n'"
[[ -z "$max_parallel" || "$max_parallel" =~ ^[1-9][0-9]*$ ]] || die "--max-parallel must be a positive integer"
[[ -z "$cpus" || "$cpus" =~ ^[1-9][0-9]*$ ]] || die "--cpus-per-task must be a positive integer"

# Array indices must be below MaxArraySize (it bounds the index, not only the task count).
if [[ -z "$max_array" ]]; then
  command -v scontrol >/dev/null 2>&1 || die "scontrol not found; pass --max-array-size M"
  max_array=$(scontrol show config | awk -F= '$1 ~ /^MaxArraySize *$/ { gsub(/[[:space:]]/, "", $2); print $2 }')
  [[ -n "$max_array" ]] || die "could not read MaxArraySize from 'scontrol show config'; pass --max-array-size M"
fi
[[ "$max_array" =~ ^[0-9]+$ && "$max_array" -ge 1 ]] || die "MaxArraySize is '$max_array': this cluster does not allow job arrays"

# The partitions to submit, grouped by array job: partition i runs as task i % M of the array job
# with offset i - i % M, so a re-run of partition i lands in the same slot as the first run.
declare -A tasks=()
if [[ -n "$rerun" ]]; then
  IFS=, read -ra wanted <<<"$rerun"
  for i in "${wanted[@]}"; do
    [[ "$i" =~ ^[0-9]+$ ]] && ((i < n)) || die "--rerun: '$i' is not a partition of 0..$((n - 1))"
    offset=$((i - i % max_array))
    tasks[$offset]+="${tasks[$offset]:+,}$((i - offset))"
  done
else
  for ((offset = 0; offset < n; offset += max_array)); do
    last=$((n - offset < max_array ? n - offset - 1 : max_array - 1))
    tasks[$offset]=$( ((last == 0)) && echo 0 || echo "0-$last")
  done
fi

# Absolute paths: the jobs do not run in this directory.
abs() { [[ "$1" == /* ]] && echo "$1" || echo "$PWD/$1"; }
root=$(abs "$root") work=$(abs "$work") out=$(abs "$out")
key=$(abs "${key:-$work/speaker.key}")
export VOXGATE=${voxgate:-voxgate} VOXGATE_SPEAKER_KEY=$key

common=(--parsable --export=ALL)
array_opts=(--output="$work/logs/part-%A_%a.out")
[[ -n "$cpus" ]] && array_opts+=(--cpus-per-task="$cpus")
[[ -n "$mem" ]] && array_opts+=(--mem="$mem")
[[ -n "$time_limit" ]] && array_opts+=(--time="$time_limit")
merge_opts=(--output="$work/logs/merge-%j.out")
[[ -n "$merge_mem" ]] && merge_opts+=(--mem="$merge_mem")
[[ -n "$merge_time" ]] && merge_opts+=(--time="$merge_time")

# Prints a command line that a shell reads back as the same words (quoting only where needed).
show() {
  local word line=""
  for word in "$@"; do
    [[ "$word" =~ ^[A-Za-z0-9_./%=:,+@-]+$ ]] || word=$(printf '%q' "$word")
    line+="${line:+ }$word"
  done
  printf '%s\n' "$line"
}
count=0
# Runs (or prints) one sbatch and sets $job to its id.
submit() {
  count=$((count + 1))
  if ((dry_run)); then
    show sbatch "$@"
    job="JOB$count"
  else
    job=$(sbatch "$@") || return 1
    job=${job%%;*}  # --parsable prints "id" or "id;cluster"
  fi
}

if ((dry_run)); then
  echo "# MaxArraySize=$max_array, $n partitions"
  show export VOXGATE="$VOXGATE" VOXGATE_SPEAKER_KEY="$VOXGATE_SPEAKER_KEY"
else
  command -v sbatch >/dev/null 2>&1 || die "sbatch not found: run this on a Slurm login node"
  mkdir -p "$work/logs"
  if [[ ! -e "$key" ]]; then
    # One key for every partition, or speaker pseudonyms and splits differ between partitions.
    (umask 077 && od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$key" && echo >>"$key")
    echo "submit.sh: created speaker key $key (keep it with the corpus; pass it again with --speaker-key-file)" >&2
  fi
fi

array_jobs=()
cancel_submitted() {
  ((dry_run)) || ((${#array_jobs[@]} == 0)) || scancel "${array_jobs[@]}" || true
}
for offset in $(printf '%s\n' "${!tasks[@]}" | sort -n); do
  spec=${tasks[$offset]}${max_parallel:+%$max_parallel}
  if ! submit "${common[@]}" --array="$spec" "${array_opts[@]}" "${extra[@]}" \
    "$here/voxgate-array.sbatch" "$root" "$work" "$n" "$offset"; then
    cancel_submitted
    echo "submit.sh: sbatch failed for the array at offset $offset; cancelled ${array_jobs[*]:-nothing}" >&2
    exit 1
  fi
  array_jobs+=("$job")
  ((dry_run)) || echo "array job $job: partitions $offset+[$spec] of $n"
done

deps=$(IFS=:; echo "${array_jobs[*]}")
if ! submit "${common[@]}" --dependency="afterok:$deps" --kill-on-invalid-dep=yes \
  "${merge_opts[@]}" "${extra[@]}" \
  "$here/voxgate-merge.sbatch" "$work" "$out" "$n"; then
  cancel_submitted
  echo "submit.sh: sbatch failed for the merge; cancelled ${array_jobs[*]}" >&2
  exit 1
fi
if ((!dry_run)); then
  echo "merge job $job: after $deps -> $out"
  echo "logs: $work/logs/"
fi
