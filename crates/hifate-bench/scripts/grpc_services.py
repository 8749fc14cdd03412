#!/usr/bin/env python3
"""Calls per second per core of the services through gRPC.

Starts each release service binary by hand (standalone, on a free TCP port,
with a temporary data directory), drives it with h2load (1 connection, 16
streams in flight, the guide's example as one gRPC frame) and reads the
service process's CPU time from /proc. Prints, per service: requests per
second, and requests per CPU-second of the service process (= per core).

    cargo build --release -p bazi_core -p bazi_fortune -p bazi_analyzer -p bazi_rule \
        -p intent_service -p desk_fengshui -p fortune_rule -p fortune_analysis
    python3 crates/hifate-bench/scripts/grpc_services.py [--secs 5] [--only NAME…]

Needs h2load (Debian: nghttp2-client).
"""
import argparse, os, re, socket, struct, subprocess, sys, tempfile, time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
TICK = os.sysconf("SC_CLK_TCK")


def varint(n):
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def blob(field, data):
    return varint(field << 3 | 2) + varint(len(data)) + data


def string(field, text):
    return blob(field, text.encode())


def flag(field, value):
    return bytes([field << 3 | 0, 1 if value else 0])


def f32(field, value):
    return bytes([field << 3 | 5]) + struct.pack("<f", value)


def entry(field, key, value):
    """One entry of a map<string, float> (float value) or map<string, string>."""
    encoded = f32(2, value) if isinstance(value, float) else string(2, value)
    return blob(field, string(1, key) + encoded)


BIRTH = string(1, "1990-01-15") + string(2, "12:00") + string(3, "male")
CASES = [
    ("bazi_core", "/bazi.core.BaziCoreService/CalculateBazi", BIRTH),
    ("bazi_fortune", "/bazi.fortune.BaziFortuneService/CalculateDayunLiunian",
     BIRTH + string(4, "2024-05-01T10:00:00")),
    ("bazi_analyzer", "/bazi.analyzer.BaziAnalyzerService/RunAnalyzers",
     BIRTH + string(4, "wangshuai") + string(4, "xishen_jishen") + string(4, "wuxing_balance")
     + string(4, "ten_gods_energy")),
    ("bazi_rule", "/bazi.rule.BaziRuleService/MatchRules", BIRTH),
    ("bazi_rule (use_cache)", "/bazi.rule.BaziRuleService/MatchRules", BIRTH + flag(5, True)),
    # A question with a fixed date (context map entry {1: key, 2: value}).
    ("intent_service", "/intent.IntentService/Classify",
     string(1, "我明年的事业和财运怎么样？") + blob(3, string(1, "current_date") + string(2, "2026-11-25"))),
    # The 416×416 desk-sized photo of the vision tests (a coffee cup).
    ("desk_fengshui", "/desk.fengshui.DeskFengshuiService/AnalyzeDesk",
     blob(1, open(os.path.join(ROOT, "crates/vision/tests/data/coffee_416.png"), "rb").read())),
    # The astronaut's face as measured (FaceFeatures of FaceRuleMatchRequest), no chart.
    ("fortune_rule", "/fortune.rule.FortuneRuleService/MatchFaceRules",
     blob(1, entry(1, "upper", 0.33) + entry(1, "middle", 0.35) + entry(1, "lower", 0.32)
          + entry(2, "face_shape", "鹅蛋") + entry(3, "face_ratio", 0.74)
          + entry(3, "eye_spacing", 1.05) + entry(3, "mouth_width", 0.42))),
    # The astronaut photo (512×512): face detection and face mesh only.
    ("fortune_analysis (DetectFace)", "/fortune.analysis.FortuneAnalysisService/DetectFace",
     blob(1, blob(1, open(os.path.join(ROOT, "crates/vision/tests/data/astronaut.jpg"), "rb").read()))),
    # The same photo through the whole analysis: mesh, features, fortune_rule
    # (started beside it), no chart.
    ("fortune_analysis", "/fortune.analysis.FortuneAnalysisService/AnalyzeFace",
     blob(1, blob(1, open(os.path.join(ROOT, "crates/vision/tests/data/astronaut.jpg"), "rb").read())),
     {"HIFATE_SERVICE_ADDR_FORTUNE_RULE": "fortune_rule"}),
]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def memory_mb(pid):
    """VmRSS and VmHWM (peak) of a process, in MB."""
    fields = dict(line.split(":", 1) for line in open(f"/proc/{pid}/status"))
    return tuple(int(fields[k].split()[0]) / 1024 for k in ("VmRSS", "VmHWM"))


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def to_ms(text):
    """h2load's durations ("850us", "12.31ms", "1.02s") in milliseconds."""
    for unit, scale in (("us", 1e-3), ("ms", 1.0), ("s", 1e3)):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * scale
    return float("nan")


def start(service, extra=None):
    """The release binary of `service`, standalone on a free port, ready."""
    binary = os.path.join(ROOT, "target", "release", service)
    port = free_port()
    data = tempfile.mkdtemp(prefix="bench-data-")
    env = dict(os.environ, HIFATE_ADDR=f"127.0.0.1:{port}", HIFATE_DATA_DIR=data, RUST_LOG="warn")
    env.update(extra or {})
    env.pop("HIFATE_SOCKET", None)
    proc = subprocess.Popen([binary], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(400):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            break
        except OSError:
            time.sleep(0.05)
    time.sleep(1.0)  # caches warm beside serving
    return proc, port


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--secs", type=int, default=5)
    ap.add_argument("--streams", type=int, default=16)
    ap.add_argument("--only", nargs="*", help="service names (prefixes) to measure")
    a = ap.parse_args()
    print(f"{'service':24} {'streams':>7} {'req/s':>10} {'per core':>10} {'service CPU':>12} {'mean ms':>8} {'max ms':>8} {'RSS MB':>7} {'peak MB':>8}  failed")
    for case in CASES:
        name, path, message = case[:3]
        peers = case[3] if len(case) > 3 else {}
        if a.only and not name.startswith(tuple(a.only)):
            continue
        helpers, extra = [], {}
        for variable, peer in peers.items():
            peer_proc, peer_port = start(peer)
            helpers.append(peer_proc)
            extra[variable] = f"127.0.0.1:{peer_port}"
        proc, port = start(name.split()[0], extra)
        try:
            body = tempfile.NamedTemporaryFile(delete=False)
            body.write(b"\0" + len(message).to_bytes(4, "big") + message)
            body.close()
            before = cpu_seconds(proc.pid)
            out = subprocess.run(
                ["h2load", "-c", "1", "-t", "1", "-m", str(a.streams), "-D", str(a.secs),
                 "--warm-up-time=1", "-d", body.name, "-H", "content-type: application/grpc",
                 "-H", "te: trailers", f"http://127.0.0.1:{port}{path}"],
                capture_output=True, text=True).stdout
            used = cpu_seconds(proc.pid) - before
            rate = float(re.search(r"finished in [^,]+, ([0-9.]+) req/s", out).group(1))
            done = int(re.search(r"(\d+) succeeded", out).group(1))
            failed = int(re.search(r"(\d+) failed", out).group(1))
            # Warm-up requests are not in `done`, but their CPU time is in
            # `used`: per core is a lower bound.
            per_core = done / used if used > 0 else float("nan")
            timing = re.search(r"time for request:\s+(\S+)\s+(\S+)\s+(\S+)", out)
            mean = to_ms(timing.group(3)) if timing else float("nan")
            worst = to_ms(timing.group(2)) if timing else float("nan")
            rss, peak = memory_mb(proc.pid)
            print(f"{name:24} {a.streams:>7} {rate:>10.0f} {per_core:>10.0f} {used:>11.2f}s {mean:>8.2f} {worst:>8.2f} {rss:>7.0f} {peak:>8.0f}  {failed}")
        finally:
            for p in [proc] + helpers:
                p.terminate()
                p.wait()
    print(f"(h2load -c 1 -t 1 -m {a.streams} -D {a.secs} --warm-up-time=1; per core = requests"
          " / CPU-seconds of the service process, which includes the 1 s warm-up)")


if __name__ == "__main__":
    sys.exit(main())
