#!/bin/sh
# Median wall time of one hook run (hooks/claude-watch-hook), collector up and collector down.
# Target: <= 15 ms median each.
#
# Needs hyperfine:  apt-get install hyperfine  |  brew install hyperfine  |  cargo install hyperfine
# Run from anywhere:  sh bench/hook_bench.sh [runs]        (default 300 runs per case)
# Uses the repo's .venv (or $PYTHON) to run a throw-away collector on a free port with its own
# database and spool in a temporary folder; nothing of yours is touched. JSON results go to
# bench/data/ (git-ignored).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
runs=${1:-300}
python=${PYTHON:-$repo/.venv/bin/python}
[ -x "$python" ] || python=python3
hook=$repo/hooks/claude-watch-hook

command -v hyperfine >/dev/null 2>&1 || {
    echo "hyperfine not found: apt-get install hyperfine | brew install hyperfine | cargo install hyperfine" >&2
    exit 1
}

work=$(mktemp -d)
out=$here/data
mkdir -p "$out"
collector_pid=
cleanup() {
    [ -n "$collector_pid" ] && kill "$collector_pid" 2>/dev/null && wait "$collector_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

# One realistic event (PreToolUse, Bash), ~400 bytes.
cat >"$work/event.json" <<'EOF'
{"session_id":"8f2c1e34-5b6d-4a7e-9c0f-1a2b3c4d5e6f","transcript_path":"/home/dev/.claude/projects/-home-dev-code-webshop/8f2c1e34-5b6d-4a7e-9c0f-1a2b3c4d5e6f.jsonl","cwd":"/home/dev/code/webshop","permission_mode":"default","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"npm test -- --run checkout","description":"Run the checkout tests"},"tool_use_id":"toolu_01ABCDEF"}
EOF

# A collector on a free port, in the background; its first stdout line is its URL.
cd "$repo"
PYTHONPATH=$repo${PYTHONPATH:+:$PYTHONPATH} "$python" -u -c '
import asyncio, sys
from pathlib import Path
from claude_watch.collector import Collector, CollectorConfig

async def main(work):
    c = Collector(CollectorConfig(host="127.0.0.1", port=0, db_path=Path(work) / "events.db",
                                  spool_dir=Path(work) / "collector-spool"))
    await c.start()
    print(c.address, flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await c.stop()

asyncio.run(main(sys.argv[1]))
' "$work" >"$work/collector.out" 2>"$work/collector.err" &
collector_pid=$!
i=0
until [ -s "$work/collector.out" ]; do
    i=$((i + 1))
    [ $i -lt 100 ] || { echo "collector did not start:" >&2; cat "$work/collector.err" >&2; exit 1; }
    sleep 0.1
done
url=$(head -n 1 "$work/collector.out")

# A port nobody listens on, for the "collector down" case.
down_port=$("$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

export CLAUDE_PROJECT_DIR=/home/dev/code/webshop

echo "hook: $hook"
echo "sh: $(readlink -f /bin/sh 2>/dev/null || echo /bin/sh)   curl: $(curl --version | head -n 1 | cut -d' ' -f1-2)"
echo "collector up at $url; collector down = http://127.0.0.1:$down_port"
echo

# The hook returns once the event is safe in the spool; its POST runs in the background. A
# 100 ms pause before each run (not timed) lets that POST finish, as it does between real hook
# events; the back-to-back case shows the cost when every run competes with the previous
# runs' background POSTs for the 2 cores.
hyperfine --warmup 20 --runs "$runs" --export-json "$out/hook-up.json" \
    --prepare "sleep 0.1" \
    --command-name "hook, collector up" \
    "CLAUDE_WATCH_URL=$url CLAUDE_WATCH_SPOOL=$work/spool-up /bin/sh $hook < $work/event.json"

hyperfine --warmup 20 --runs "$runs" --export-json "$out/hook-up-b2b.json" \
    --command-name "hook, collector up, back-to-back" \
    "CLAUDE_WATCH_URL=$url CLAUDE_WATCH_SPOOL=$work/spool-up /bin/sh $hook < $work/event.json"

hyperfine --warmup 20 --runs "$runs" --export-json "$out/hook-down.json" \
    --command-name "hook, collector down (spooling)" \
    "CLAUDE_WATCH_URL=http://127.0.0.1:$down_port CLAUDE_WATCH_SPOOL=$work/spool-down /bin/sh $hook < $work/event.json"

# The first hook after the collector went away (no .collector-down marker yet): it tries curl,
# the connection is refused, then it spools. (The case above is every later hook within 5 s.)
mkdir -p "$work/spool-down-first"
hyperfine --warmup 20 --runs "$runs" --export-json "$out/hook-down-first.json" \
    --prepare "rm -f $work/spool-down-first/.collector-down" \
    --command-name "hook, collector down, first try" \
    "CLAUDE_WATCH_URL=http://127.0.0.1:$down_port CLAUDE_WATCH_SPOOL=$work/spool-down-first /bin/sh $hook < $work/event.json"

# For scale: the same POST by curl alone (no script), i.e. curl start-up + the collector's reply
# (it answers after the event is committed) ...
hyperfine -N --warmup 20 --runs "$runs" --export-json "$out/curl-post.json" \
    --command-name "curl POST alone, collector up" \
    "curl -q -s -f -o /dev/null -H 'Content-Type: application/json' --data-binary @$work/event.json $url/event"

# ... and curl alone (connection refused, so pure process start-up), the floor of any
# curl-based hook on this machine.
hyperfine -N -i --warmup 20 --runs "$runs" --export-json "$out/curl-alone.json" \
    --command-name "curl alone (start-up floor)" \
    "curl -q -s -o /dev/null http://127.0.0.1:$down_port/"

echo
"$python" - "$out/hook-up.json" "$out/hook-up-b2b.json" "$out/hook-down.json" "$out/hook-down-first.json" "$out/curl-post.json" "$out/curl-alone.json" "$work" <<'EOF'
import json, os, sys, time
time.sleep(1.5)  # let the last background POSTs finish before counting the spool
for path in sys.argv[1:7]:
    r = json.load(open(path))["results"][0]
    print(f"{r['command']:<36} median {r['median']*1000:6.2f} ms   mean {r['mean']*1000:6.2f} ms"
          f"   min {r['min']*1000:6.2f} ms   max {r['max']*1000:6.2f} ms   (n={len(r['times'])})")
work = sys.argv[7]
up = os.path.join(work, "spool-up"); down = os.path.join(work, "spool-down")
n_up = len(os.listdir(up)) if os.path.isdir(up) else 0
n_down = len([n for n in os.listdir(down) if n.endswith(".event")]) if os.path.isdir(down) else 0
print(f"spooled while up: {n_up} (expect 0); spooled while down: {n_down}")
EOF
