"""make bench-peers: one run, every language side by side.

For each language the same GSTN request encryption (b64(AES-256-ECB(EK, b64(json))) plus b64(HMAC-SHA256(EK,
b64(json)))) runs through gstauth and through a peer written with that language's own standard crypto, each runner
first checking that both give the same bytes: Go (standard library), Python (cryptography, hmac, base64), Java (the
JCE), Node (node:crypto). `openssl speed` on this machine gives the reference line. The table of ratios (gstauth's
throughput over the peer's) goes to stdout, to docs/bench-peers.md and to the README's performance section, the
chart to docs/bench-peers.svg.

Usage: python3 bench/peers/peers.py  (make bench-peers sets the environment: see mk/bench.mk)
"""
import datetime
import json
import os
import platform
import re
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SIZES = [1024, 100 * 1024, 5 * 1024 * 1024]
LANGS = ["go", "python", "java", "node"]
LABELS = {1024: "1 KiB", 100 * 1024: "100 KiB", 5 * 1024 * 1024: "5 MiB"}


def runners():
    env = os.environ
    return {
        "go": [env.get("GO", "go"), "run", "./bench/peers/go"],
        "python": [env.get("BENCH_PYTHON", sys.executable), "bench/peers/python_peer.py"],
        "java": env["BENCH_JAVA"].split() if env.get("BENCH_JAVA") else None,
        "node": ["node", "bench/peers/node_peer.mjs"],
    }


def run(lang, cmd):
    print(f"bench-peers: {lang} …", file=sys.stderr, flush=True)
    out = subprocess.run(cmd + [str(s) for s in SIZES], cwd=ROOT, check=True, capture_output=True, text=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def openssl():
    """MB/s of AES-256-ECB and SHA-256 over 16 KiB blocks, from openssl speed."""
    speeds = {}
    for alg, args in (("aes-256-ecb", ["-evp", "aes-256-ecb"]), ("sha256", ["-evp", "sha256"])):
        out = subprocess.run(["openssl", "speed", "-elapsed", "-seconds", "2", "-bytes", "16384"] + args,
                             capture_output=True, text=True).stdout
        m = re.search(r"^\S*" + re.escape(alg.split("-")[0]) + r"\S*\s+([\d.]+)k\s*$", out, re.M | re.I)
        if m:
            speeds[alg] = float(m.group(1)) * 1000 / 1e6  # openssl prints 1000s of bytes per second
    return speeds


def svg(results, floor):
    """A grouped bar chart: throughput (MB/s, log scale) per size and language, gstauth beside its peer."""
    import math
    w, h, left, top, bottom = 900, 420, 70, 50, 70
    plot_w, plot_h = w - left - 20, h - top - bottom
    values = [r["mb_s"] for r in results.values()] + ([floor] if floor else [])
    lo, hi = 10 ** math.floor(math.log10(min(values))), 10 ** math.ceil(math.log10(max(values)))

    def y(v):
        return top + plot_h - (math.log10(v) - math.log10(lo)) / (math.log10(hi) - math.log10(lo)) * plot_h

    colors = {"gstauth": "#1f77b4", "peer": "#bbbbbb"}
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="12">',
             f'<rect width="{w}" height="{h}" fill="white"/>',
             f'<text x="{w / 2}" y="22" text-anchor="middle" font-size="15">GSTN request encryption: gstauth (blue) '
             f'and each language\'s own crypto (grey), MB/s, log scale</text>']
    d = 10 ** math.floor(math.log10(lo))
    tick = lo
    while tick <= hi:
        parts.append(f'<line x1="{left}" x2="{w - 20}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" stroke="#eeeeee"/>')
        parts.append(f'<text x="{left - 6}" y="{y(tick) + 4:.1f}" text-anchor="end">{tick:g}</text>')
        tick *= 10
    group_w = plot_w / len(SIZES)
    bar_w = group_w / (len(LANGS) * 2 + 2)
    for gi, size in enumerate(SIZES):
        gx = left + gi * group_w + bar_w
        parts.append(f'<text x="{left + gi * group_w + group_w / 2:.1f}" y="{h - bottom + 42}" text-anchor="middle" '
                     f'font-size="14">{LABELS[size]}</text>')
        for li, lang in enumerate(LANGS):
            for bi, impl in enumerate(("gstauth", "peer")):
                r = results.get((lang, impl, size))
                x = gx + (li * 2 + bi) * bar_w
                if r:
                    parts.append(f'<rect x="{x:.1f}" y="{y(r["mb_s"]):.1f}" width="{bar_w - 1:.1f}" '
                                 f'height="{top + plot_h - y(r["mb_s"]):.1f}" fill="{colors[impl]}"/>')
            parts.append(f'<text x="{gx + (li * 2 + 1) * bar_w:.1f}" y="{h - bottom + 16}" text-anchor="middle">'
                         f'{lang}</text>')
            ratio = ratio_of(results, lang, size)
            if ratio:
                parts.append(f'<text x="{gx + (li * 2 + 1) * bar_w:.1f}" y="{h - bottom + 28}" text-anchor="middle" '
                             f'fill="#1f77b4">{ratio:.1f}×</text>')
    if floor:
        parts.append(f'<line x1="{left}" x2="{w - 20}" y1="{y(floor):.1f}" y2="{y(floor):.1f}" stroke="#d62728" '
                     f'stroke-dasharray="6 4"/>')
        parts.append(f'<text x="{w - 24}" y="{y(floor) - 5:.1f}" text-anchor="end" fill="#d62728">OpenSSL floor '
                     f'of the pipeline here ({floor:.0f} MB/s)</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def ratio_of(results, lang, size):
    a, b = results.get((lang, "gstauth", size)), results.get((lang, "peer", size))
    return a["mb_s"] / b["mb_s"] if a and b else None


def main():
    results = {}
    for lang, cmd in runners().items():
        if cmd is None:
            print(f"bench-peers: {lang} skipped (no runner configured)", file=sys.stderr)
            continue
        for r in run(lang, cmd):
            r["mb_s"] = r["size"] / r["ns_per_op"] * 1e3
            results[(r["lang"], r["impl"], r["size"])] = r
    speeds = openssl()
    floor = None
    if "aes-256-ecb" in speeds and "sha256" in speeds:
        # The pipeline reads 4/3 of the JSON through SHA-256 and AES each (base64 aside): its floor here.
        floor = 1 / ((4 / 3) / speeds["sha256"] + (4 / 3) / speeds["aes-256-ecb"])
    when = datetime.date.today().isoformat()
    lines = [f"Measured {when} on {platform.machine()}, {os.cpu_count()} cores (shared, noisy: ±30 %), one run of "
             "`make bench-peers`. MB/s of the JSON payload; ratio = gstauth ÷ the peer (above 1: gstauth is faster).", "",
             "| language | peer | " + " | ".join(f"{LABELS[s]} gstauth | {LABELS[s]} peer | {LABELS[s]} ratio" for s in SIZES) + " |",
             "|---|---|" + "---|---|---|" * len(SIZES)]
    peers = {"go": "crypto/aes, crypto/hmac, encoding/base64", "python": "cryptography, hmac, base64",
             "java": "JCE AES/ECB/PKCS5Padding, HmacSHA256, java.util.Base64", "node": "node:crypto"}
    for lang in LANGS:
        cells = []
        for s in SIZES:
            a, b = results.get((lang, "gstauth", s)), results.get((lang, "peer", s))
            r = ratio_of(results, lang, s)
            cells += [f"{a['mb_s']:.0f}" if a else "–", f"{b['mb_s']:.0f}" if b else "–", f"**{r:.2f}×**" if r else "–"]
        lines.append(f"| {lang} | {peers[lang]} | " + " | ".join(cells) + " |")
    if speeds:
        lines += ["", "OpenSSL here (`openssl speed -evp`, 16 KiB blocks): " +
                  ", ".join(f"{k} {v:.0f} MB/s" for k, v in speeds.items()) +
                  (f"; the pipeline's floor from them: {floor:.0f} MB/s." if floor else ".")]
    table = "\n".join(lines) + "\n"
    print(table)
    with open(os.path.join(ROOT, "docs", "bench-peers.md"), "w") as f:
        f.write("# gstauth beside each language's own crypto\n\n" + table + "\n![chart](bench-peers.svg)\n")
    with open(os.path.join(ROOT, "docs", "bench-peers.svg"), "w") as f:
        f.write(svg(results, floor))
    readme = os.path.join(ROOT, "README.md")
    with open(readme) as f:
        text = f.read()
    begin, end = "<!-- bench-peers: written by make bench-peers -->", "<!-- /bench-peers -->"
    i, j = text.find(begin), text.find(end)
    if 0 <= i < j:
        with open(readme, "w") as f:
            f.write(text[:i + len(begin)] + "\n" + table + "\n![gstauth beside each language's own crypto]"
                    "(docs/bench-peers.svg)\n" + text[j:])
    print("bench-peers: wrote docs/bench-peers.md, docs/bench-peers.svg and the README's table", file=sys.stderr)


if __name__ == "__main__":
    main()
