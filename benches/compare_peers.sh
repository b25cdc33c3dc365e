#!/usr/bin/env bash
# Side-by-side speed of `smptrack analyze` and the OpenCV peer pipeline (issue 4), in ONE run,
# INTERLEAVED, on the same 24 MP JPEG, as whole processes.
#
# usage: benches/compare_peers.sh [--runs N] [--batch-runs N] [--no-batch] [--image JPEG]
#                                 [--quiet-wait S] [--max-attempts N]
#   --runs N          clean runs wanted per measurement (default 5, env RUNS)
#   --batch-runs N    clean runs of each batch measurement (default 3, env BATCH_RUNS)
#   --no-batch        skip the 8-photo batch (1 vs 2 rayon threads)
#   --image JPEG      photo to measure (default target/peers/scalp_24mp.jpg, generated if absent)
#   --quiet-wait S    before each run, wait up to S s for the machine to be idle (default 30)
#   --max-attempts N  give up on clean runs after N rounds (default 3× the runs wanted)
#
# What it does (progress on stderr, the markdown tables on stdout):
#  1. finds ../shared/peers beside the repository root;
#  2. makes sure /usr/bin/time (GNU time, for peak RSS) exists, installing the Debian package
#     `time` with apt-get if it does not;
#  3. sets up a Python venv under target/peers-venv with ../shared/peers/requirements.txt
#     (re-installed when that file changes);
#  4. generates target/peers/scalp_24mp.jpg with ../shared/peers/make_image.py --seed 1 if absent;
#  5. cargo build --release, and builds the `stages` bench binary, whose
#     SMPTRACK_BENCH_DECODE_ONLY mode is our decode-only process (benches/stages.rs);
#  6. rounds of: smptrack whole / region, OpenCV whole / region, smptrack decode-only — order
#     rotated each round; each process under `/usr/bin/time -v` (peak RSS, CPU) and timed in ns.
#     Like ../shared/peers/bench.py, a run during which other processes used more than 5% of a
#     core per wall-second (plus 3 clock ticks: /proc/stat counts in ticks, and without them a
#     100 ms run is "contended" by rounding alone) is marked contended and run again; medians are
#     over the first N clean runs when at least 3 exist, else over all runs (the table says
#     which);
#  7. the batch: 8 copies of the photo in one `smptrack analyze` call with RAYON_NUM_THREADS=1
#     and =2, interleaved.
# Raw samples and every report are kept in target/peers/compare-<time>/.
#
# Our report is written with `-o FILE` to a real file in that folder, never `-o /dev/null`:
# `analyze -o` writes atomically (a temporary file renamed over the destination), so as root
# before the fix in src/output.rs, `-o /dev/null` replaced the /dev/null device with a regular file.
set -euo pipefail

RUNS=${RUNS:-5}
BATCH_RUNS=${BATCH_RUNS:-3}
BATCH_PHOTOS=8
DO_BATCH=1
QUIET_WAIT=${QUIET_WAIT:-30}
MAX_ATTEMPTS=""
IMG=""
REGION=2000,1000,2000,2000
PX_PER_MM=25

log() { printf 'compare_peers: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

while [ $# -gt 0 ]; do
    case "$1" in
        --runs) RUNS=$2; shift 2 ;;
        --batch-runs) BATCH_RUNS=$2; shift 2 ;;
        --no-batch) DO_BATCH=0; shift ;;
        --image) IMG=$2; shift 2 ;;
        --quiet-wait) QUIET_WAIT=$2; shift 2 ;;
        --max-attempts) MAX_ATTEMPTS=$2; shift 2 ;;
        -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument '$1' (try --help)" ;;
    esac
done

ROOT=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
cd "$ROOT"
PEERS="$ROOT/../shared/peers"
[ -f "$PEERS/opencv_pipeline.py" ] || die "no $PEERS/opencv_pipeline.py (../shared beside the repo root)"

# ---- GNU time
TIME=/usr/bin/time
if ! "$TIME" -v true >/dev/null 2>&1; then
    log "/usr/bin/time (GNU time) is missing: installing the Debian package 'time' with apt-get"
    if ! { apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >&2; }; then
        die "could not install GNU time"
    fi
fi

# ---- Python environment under target/
VENV=target/peers-venv
PY=$VENV/bin/python
STAMP=$VENV/.requirements.sha256
REQ_SUM=$(sha256sum "$PEERS/requirements.txt" | cut -d' ' -f1)
if [ ! -x "$PY" ] || [ "$(cat "$STAMP" 2>/dev/null)" != "$REQ_SUM" ]; then
    log "setting up the Python venv in $VENV (python3 -m venv; pip install -r ../shared/peers/requirements.txt)"
    python3 -m venv "$VENV" >&2
    "$PY" -m pip install -q --upgrade pip >&2
    "$PY" -m pip install -q -r "$PEERS/requirements.txt" >&2
    echo "$REQ_SUM" > "$STAMP"
else
    log "using the Python venv in $VENV"
fi

# ---- the photo
if [ -z "$IMG" ]; then
    IMG=target/peers/scalp_24mp.jpg
    if [ ! -f "$IMG" ]; then
        log "generating $IMG (6000x4000, seed 1) with ../shared/peers/make_image.py"
        mkdir -p target/peers
        "$PY" "$PEERS/make_image.py" --out "$IMG" --seed 1 >&2
    else
        log "using $IMG"
    fi
fi
[ -f "$IMG" ] || die "no photo $IMG"

# ---- our binaries
log "cargo build --release"
cargo build --release >&2
SMP=$ROOT/target/release/smptrack
log "building the stages bench binary (its decode-only mode is our decode floor)"
DECODER=$(cargo bench --bench stages --no-run --message-format=json 2>/dev/null \
    | "$PY" -c 'import json,sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "stages" and m.get("executable"):
        print(m["executable"])' | tail -n1) || true
if [ -z "$DECODER" ] || [ ! -x "$DECODER" ]; then
    log "warning: could not build the stages bench binary: no decode-only measurement"
    DECODER=""
fi

OUT=target/peers/compare-$(date +%Y%m%dT%H%M%S)
mkdir -p "$OUT"
SAMPLES=$OUT/samples.tsv
printf 'slot\tround\twall_ms\tcpu_ms\tother_cpu_ms\trss_kb\tcontended\tstdout\n' > "$SAMPLES"

HZ=$(getconf CLK_TCK)
NCPU=$(nproc)
busy_jiffies() {
    local _cpu u n s _i _io irq sirq st _rest
    read -r _cpu u n s _i _io irq sirq st _rest < /proc/stat
    echo $((u + n + s + irq + sirq + st))
}
# Wait (up to QUIET_WAIT s) until the whole machine was under 10% busy for one second.
wait_quiet() {
    local t_end=$((SECONDS + QUIET_WAIT)) b0 b1
    while :; do
        b0=$(busy_jiffies); sleep 1; b1=$(busy_jiffies)
        if [ $(((b1 - b0) * 100)) -lt $((10 * HZ * NCPU)) ] || [ $SECONDS -ge $t_end ]; then
            return
        fi
    done
}

# Per slot: how many clean (uncontended) runs it has so far.
declare -A CLEAN=()
run_slot() { # slot round env... -- cmd...
    local slot=$1 round=$2; shift 2
    local envs=()
    while [ "$1" != "--" ]; do envs+=("$1"); shift; done
    shift
    local tv=$OUT/time.txt so=$OUT/$slot.$round.out se=$OUT/$slot.$round.err
    wait_quiet
    local b0 t0 t1 b1
    b0=$(busy_jiffies); t0=$(date +%s%N)
    if ! env "${envs[@]}" "$TIME" -v -o "$tv" "$@" > "$so" 2> "$se"; then
        cat "$se" >&2
        die "$slot failed: $*"
    fi
    t1=$(date +%s%N); b1=$(busy_jiffies)
    local user sys rss
    user=$(sed -n 's/^\s*User time (seconds): //p' "$tv")
    sys=$(sed -n 's/^\s*System time (seconds): //p' "$tv")
    rss=$(sed -n 's/^\s*Maximum resident set size (kbytes): //p' "$tv")
    # integer ms arithmetic via awk (bash has no floats)
    local line
    line=$(awk -v t0="$t0" -v t1="$t1" -v u="$user" -v s="$sys" -v b="$((b1 - b0))" -v hz="$HZ" \
        'BEGIN { wall = (t1 - t0) / 1e6; cpu = (u + s) * 1000; other = b * 1000 / hz - cpu;
                 if (other < 0) other = 0; printf "%.1f\t%.0f\t%.0f\t%d", wall, cpu, other, (other > 0.05 * wall + 3000 / hz) }')
    printf '%s\t%s\t%s\t%s\t%s\n' "$slot" "$round" "${line%	*}	$rss" "${line##*	}" "$so" >> "$SAMPLES"
    local contended=${line##*	}
    if [ "$contended" = 0 ]; then CLEAN[$slot]=$(( ${CLEAN[$slot]:-0} + 1 )); fi
    log "$(printf '%-15s round %2d: %8.0f ms wall, peak RSS %4d MB%s' "$slot" "$round" \
        "$(cut -f1 <<<"$line")" $((rss / 1024)) "$([ "$contended" = 1 ] && echo ', contended: run again')")"
}

# Run one slot by name (the commands of the comparison).
run_named() { # slot round
    local slot=$1 round=$2
    case "$slot" in
        ours-whole) run_slot "$slot" "$round" -- "$SMP" analyze --px-per-mm "$PX_PER_MM" -q \
            -o "$OUT/$slot.$round.json" "$IMG" ;;
        ours-region) run_slot "$slot" "$round" -- "$SMP" analyze --region "$REGION" \
            --px-per-mm "$PX_PER_MM" -q -o "$OUT/$slot.$round.json" "$IMG" ;;
        opencv-whole) run_slot "$slot" "$round" -- "$PY" "$PEERS/opencv_pipeline.py" "$IMG" ;;
        opencv-region) run_slot "$slot" "$round" -- "$PY" "$PEERS/opencv_pipeline.py" "$IMG" "$REGION" ;;
        ours-decode) run_slot "$slot" "$round" SMPTRACK_BENCH_DECODE_ONLY="$IMG" -- "$DECODER" ;;
        batch-t1|batch-t2) run_slot "$slot" "$round" RAYON_NUM_THREADS="${slot#batch-t}" -- \
            "$SMP" analyze --px-per-mm "$PX_PER_MM" -q -o "$OUT/$slot.$round.json" "${BATCH_FILES[@]}" ;;
    esac
}

# Interleaved rounds over `slots` until each has `want` clean runs (or max attempts).
run_rounds() { # want slot...
    local want=$1; shift
    local slots=("$@") n=$# round=0 k i slot max=${MAX_ATTEMPTS:-$((3 * want))}
    while :; do
        local todo=0
        for slot in "${slots[@]}"; do
            if [ "${CLEAN[$slot]:-0}" -lt "$want" ]; then todo=1; fi
        done
        [ $todo = 1 ] || break
        round=$((round + 1))
        if [ $round -gt "$max" ]; then
            log "warning: stopped after $max rounds without $want clean runs of every slot"
            break
        fi
        for ((k = 0; k < n; k++)); do   # order rotated each round
            i=$(((k + round - 1) % n)); slot=${slots[$i]}
            if [ "${CLEAN[$slot]:-0}" -lt "$want" ]; then run_named "$slot" "$round"; fi
        done
    done
}

log "warm-up (page cache, untimed)"
"$SMP" analyze --px-per-mm "$PX_PER_MM" -q -o "$OUT/warmup.json" "$IMG" 2>/dev/null
"$PY" "$PEERS/opencv_pipeline.py" "$IMG" > /dev/null

SLOTS=(ours-whole opencv-whole ours-region opencv-region)
if [ -n "$DECODER" ]; then SLOTS+=(ours-decode); fi
log "measuring ${SLOTS[*]}: $RUNS clean runs each, interleaved (output in $OUT)"
run_rounds "$RUNS" "${SLOTS[@]}"

BATCH_FILES=()
if [ $DO_BATCH = 1 ]; then
    mkdir -p target/peers/batch
    for ((i = 1; i <= BATCH_PHOTOS; i++)); do
        f=target/peers/batch/photo_$i.jpg
        cmp -s "$IMG" "$f" 2>/dev/null || cp "$IMG" "$f"
        BATCH_FILES+=("$f")
    done
    log "batch: $BATCH_PHOTOS copies in one analyze call, RAYON_NUM_THREADS=1 vs 2, $BATCH_RUNS clean runs each"
    run_rounds "$BATCH_RUNS" batch-t1 batch-t2
fi

# ---- tables
COMMIT=$(git rev-parse --short HEAD)
DIRTY=$(git status --porcelain -- src | wc -l)
"$PY" - "$SAMPLES" "$RUNS" "$BATCH_RUNS" "$IMG" "$REGION" "$BATCH_PHOTOS" "$COMMIT" "$DIRTY" <<'PY'
import csv, json, os, statistics, sys

samples, runs, batch_runs, img, region, batch_n, commit, dirty = sys.argv[1:]
runs, batch_runs, batch_n, dirty = int(runs), int(batch_runs), int(batch_n), int(dirty)
rows = list(csv.DictReader(open(samples), delimiter="\t"))
by = {}
for r in rows:
    by.setdefault(r["slot"], []).append(r)

def used(slot, want):
    rs = by.get(slot, [])
    clean = [r for r in rs if r["contended"] == "0"][:want]
    return (clean if len(clean) >= 3 else rs), len(clean), len(rs)

def med(xs):
    return statistics.median(xs) if xs else float("nan")

def stat(slot, want, f):
    rs, _, _ = used(slot, want)
    return med([f(r) for r in rs])

wall = lambda r: float(r["wall_ms"])
rss = lambda r: float(r["rss_kb"]) / 1024
def cv_ms(key):
    return lambda r: json.loads(open(r["stdout"]).read().strip().splitlines()[-1])["ms"][key]
def cv_analysis(r):
    ms = json.loads(open(r["stdout"]).read().strip().splitlines()[-1])["ms"]
    return ms["total"] - ms["decode"]
def first_json(slot):
    rs = by.get(slot, [])
    return json.loads(open(rs[0]["stdout"]).read().strip().splitlines()[-1]) if rs else None
def our_report(slot):
    rs = by.get(slot, [])
    if not rs:
        return None
    path = rs[0]["stdout"][:-len(".out")] + ".json"
    return json.load(open(path))

def truth(reg):
    stem = os.path.splitext(img)[0]
    if not os.path.exists(stem + ".json"):
        return None
    meta = json.load(open(stem + ".json"))
    if reg is None:
        return meta.get("count")
    x, y, w, h = map(int, reg.split(","))
    n = 0
    with open(os.path.join(os.path.dirname(img), meta["dots_file"])) as f:
        next(f)
        for line in f:
            cx, cy = map(float, line.split(",")[:2])
            n += x <= cx < x + w and y <= cy < y + h
    return n

def f0(v):
    return "n/a" if v != v else f"{v:.0f}"
def f2(v):
    return "n/a" if v != v else f"{v:.2f}"

have_dec = "ours-decode" in by
dec = stat("ours-decode", runs, wall) if have_dec else float("nan")
cols = {}
for key, reg in (("whole", None), ("region", region)):
    o, c = f"ours-{key}", f"opencv-{key}"
    ow, cw = stat(o, runs, wall), stat(c, runs, wall)
    cva = stat(c, runs, cv_analysis)
    rep, cvj = our_report(o), first_json(c)
    s = rep["sessions"][0] if rep else {}
    cols[key] = dict(
        ow=ow, cw=cw, ratio=ow / cw, cvdec=stat(c, runs, cv_ms("decode")), cvtot=stat(c, runs, cv_ms("total")),
        cva=cva, ours_an=ow - dec, an_ratio=(ow - dec) / cva, e2e_dec=ow / dec,
        orss=stat(o, runs, rss), crss=stat(c, runs, rss),
        dots=f"{s.get('dot_count')} / {cvj['count'] if cvj else 'n/a'} / {truth(reg)}",
        cov=f"{s.get('coverage_pct')} / {100 * cvj['coverage']:.2f}" if cvj else "n/a",
        runs_o="%d/%d" % used(o, runs)[1:], runs_c="%d/%d" % used(c, runs)[1:],
    )
W, R = cols["whole"], cols["region"]
cvv = first_json("opencv-whole") or {}
print(f"\nPhoto: {img} (6000×4000 JPEG); region {region}; smptrack at commit {commit}"
      f"{' (+ uncommitted changes under src/)' if dirty else ''}; OpenCV {cvv.get('version', '?')} "
      f"({cvv.get('threads', '?')} threads); medians of {runs} clean runs, ms, whole processes, interleaved.\n")
print("| measure | whole 6000×4000 | region 2000×2000 | target |")
print("|---|---:|---:|---|")
def row(label, a, b, target=""):
    print(f"| {label} | {a} | {b} | {target} |")
row("smptrack `analyze` process wall", f0(W["ow"]), f0(R["ow"]))
row("OpenCV script process wall", f0(W["cw"]), f0(R["cw"]))
row("**ratio ours / OpenCV, whole process**", f2(W["ratio"]), f2(R["ratio"]), "≤ 0.4")
row("OpenCV decode (its JSON `decode`)", f0(W["cvdec"]), f0(R["cvdec"]))
row("OpenCV analysis (its `total` − `decode`)", f0(W["cva"]), f0(R["cva"]))
row("smptrack decode-only process wall (whole file both times)", f0(dec), f0(dec))
row("smptrack analysis ≈ process wall − decode-only process wall", f0(W["ours_an"]), f0(R["ours_an"]))
row("**ratio analysis ours / OpenCV** (estimate, see note)", f2(W["an_ratio"]), f2(R["an_ratio"]), "≤ 0.25")
row("**ratio our end to end / our decode-only**", f2(W["e2e_dec"]), f2(R["e2e_dec"]), "≤ 1.5")
row("peak RSS smptrack (MB)", f0(W["orss"]), f0(R["orss"]), "≤ 250")
row("peak RSS OpenCV script (MB)", f0(W["crss"]), f0(R["crss"]))
row("peak RSS smptrack decode-only (MB)", f0(stat("ours-decode", runs, rss) if have_dec else float("nan")), "")
row("dots: smptrack / OpenCV / truth (centres inside)", W["dots"], R["dots"])
row("coverage %: smptrack / OpenCV", W["cov"], R["cov"])
row("clean / all runs: smptrack, OpenCV", f"{W['runs_o']}, {W['runs_c']}", f"{R['runs_o']}, {R['runs_c']}")
if have_dec:
    print(f"\nOur decode-only: {'%d/%d' % used('ours-decode', runs)[1:]} clean/all runs (the `stages` bench binary "
          "with SMPTRACK_BENCH_DECODE_ONLY: `load_photo` of the whole file, then exit).")
print("\nNote: our in-process analysis time cannot be read from outside the process; the estimate above is "
      "the difference of two whole-process medians (both include process start-up and the whole-file decode). "
      "`cargo bench --bench stages` (group `analysis`) gives the in-process figure.")

if "batch-t1" in by:
    t1, t2 = stat("batch-t1", batch_runs, wall), stat("batch-t2", batch_runs, wall)
    print(f"\nBatch: {batch_n} copies of the photo in one `smptrack analyze --px-per-mm 25` call; "
          f"medians of {batch_runs} clean runs.\n")
    print("| batch of %d | RAYON_NUM_THREADS=1 | RAYON_NUM_THREADS=2 | target |" % batch_n)
    print("|---|---:|---:|---|")
    row("process wall (ms)", f0(t1), f0(t2))
    row("per photo (ms)", f0(t1 / batch_n), f0(t2 / batch_n))
    row("**speed-up 2 threads vs 1**", "", f2(t1 / t2), "≥ 1.8")
    row("peak RSS (MB)", f0(stat("batch-t1", batch_runs, rss)), f0(stat("batch-t2", batch_runs, rss)),
        f"bounded by threads, not photos (one photo: {f0(W['orss'])} MB)")
    row("clean / all runs", "%d/%d" % used("batch-t1", batch_runs)[1:], "%d/%d" % used("batch-t2", batch_runs)[1:])
PY
log "raw samples: $SAMPLES"
