"""The backlog benchmark behind scripts/bench-backlog: see that script."""

import argparse
import json
import os
import pathlib
import re
import signal
import smtplib
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import load  # noqa: E402  (scripts/load.py: the complaints, the mail servers, the config)

BIN = os.path.abspath(os.environ.get("KLAGEBOT_BIN", "target/release/klagebot"))
PG_SERVER = os.environ.get("KLAGEBOT_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")


def write_maildir_backlog(root, count, tag):
    new = root / "maildir" / "new"
    new.mkdir(parents=True)
    start = int(time.time()) - 3600 - count
    for i in range(count):
        sender = f"c{i}-{tag}@customers.test"
        _, raw = load.complaint(i, sender, "klage@klagebot.localhost", tag)
        (new / f"{start + i}.M{i}P1.bench").write_bytes(raw)


class Sqlite:
    def __init__(self, path):
        self.path = path

    def query(self, sql):
        if not self.path.exists():
            return []
        with sqlite3.connect(self.path, timeout=30) as conn:
            return conn.execute(sql).fetchall()


class Postgres:
    def __init__(self, url):
        self.url = url

    def query(self, sql):
        out = subprocess.run(["psql", self.url, "-tA", "-F", "\t", "-c", sql],
                             capture_output=True, text=True)
        if out.returncode != 0:
            return []
        return [tuple(line.split("\t")) for line in out.stdout.splitlines() if line]


ACKS = "FROM outbox WHERE kind = 'customer_acknowledgement' AND state = 'sent'"


def acks_sent(db):
    rows = db.query(f"SELECT COUNT(*) {ACKS}")
    return int(rows[0][0]) if rows else 0


def handled(db):
    rows = db.query("SELECT COUNT(*) FROM inbound WHERE status <> 'pending'")
    return int(rows[0][0]) if rows else 0


def latencies(db):
    """Per mail: from klagebot handling it (its acknowledgement queued) to the
    acknowledgement sent; and the last acknowledgement's time."""
    rows = db.query(f"SELECT not_before, sent_at {ACKS}")
    pairs = [(load.parse_time(str(q)), load.parse_time(str(s))) for q, s in rows]
    return [s - q for q, s in pairs], max(s for _, s in pairs)


def run_klagebot(argv, cwd, db, count, wrapper, log_path, timeout):
    """Starts klagebot under `wrapper`, waits for `count` mails handled and then
    `count` acknowledgements sent, stops it with SIGTERM; returns (seconds from
    start to the last mail handled (±0.2 s), seconds from start to the last
    acknowledgement sent, latencies, wrapper's output file)."""
    out = pathlib.Path(cwd) / "wrapper.txt"
    cmd = wrapper(out) + [BIN, "--log-format", "json"] + argv
    with open(log_path, "w") as log:
        started = time.time()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=log, stderr=log, start_new_session=True)
        try:
            load.wait_for(lambda: handled(db) >= count, timeout, f"{count} mails handled")
            ingested = time.time() - started
            load.wait_for(lambda: acks_sent(db) >= count, timeout, f"{count} acknowledgements")
        finally:
            klagebot = child_klagebot(proc.pid)
            os.kill(klagebot or proc.pid, signal.SIGTERM)
            proc.wait(timeout=120)
    lat, last = latencies(db)
    return ingested, last - started, lat, out


def child_klagebot(pid):
    """The klagebot process under a wrapper (time, strace)."""
    try:
        out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    except OSError:
        return None
    for child in out:
        try:
            if os.path.basename(os.readlink(f"/proc/{child}/exe")) == "klagebot":
                return int(child)
        except OSError:
            pass
        grandchild = child_klagebot(int(child))
        if grandchild:
            return grandchild
    return None


def time_v(out):
    return ["/usr/bin/time", "-v", "-o", str(out)]


def strace_c(out):
    return ["strace", "-f", "-c", "--seccomp-bpf", "-o", str(out), "-e", "trace=fsync,fdatasync,statx,newfstatat,rename"]


def peak_rss_mib(time_output):
    text = time_output.read_text()
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    return round(int(m.group(1)) / 1024, 1) if m else None


def syscalls(strace_output):
    counts = {}
    for line in strace_output.read_text().splitlines():
        parts = line.split()
        if len(parts) >= 5 and parts[-1].isidentifier() and parts[3].isdigit():
            counts[parts[-1]] = int(parts[3])
    return counts


def percentile(values, p):
    return load.percentile(values, p) if values else None


def one_maildir(count, strace, timeout):
    tag = f"bb{int(time.time())}"
    results = {}
    for wrapper in [time_v] + ([strace_c] if strace else []):
        with tempfile.TemporaryDirectory(prefix="klagebot-backlog-") as work:
            root = pathlib.Path(work)
            write_maildir_backlog(root, count, tag)
            db = Sqlite(root / "klagebot.db")
            ingested, seconds, lat, out = run_klagebot(["run"], root, db, count, wrapper, root / "klagebot.log", timeout)
            if wrapper is time_v:
                results.update(figures(count, ingested, seconds, lat))
                results["peak_rss_mib"] = peak_rss_mib(out)
            else:
                results.update(per_mail(syscalls(out), count))
            keep_log(root / "klagebot.log", f"maildir-{count}")
    return results


def one_imap(count, strace, timeout, env):
    results = {}
    for wrapper in [time_v] + ([strace_c] if strace else []):
        tag = f"bb{int(time.time() * 1000)}"
        klage = f"klage-{tag}@klagebot.test"
        load.add_user(klage, "benchpw")
        with tempfile.TemporaryDirectory(prefix="klagebot-backlog-") as work:
            root = pathlib.Path(work)
            password_file = root / "password"
            password_file.write_text("benchpw")
            database = f"klagebot_bench_{tag}"
            admin(f"CREATE DATABASE {database}")
            try:
                url = PG_SERVER.rsplit("/", 1)[0] + "/" + database
                config = root / "klagebot.toml"
                load.write_config(config, env, klage, password_file, f"staff-{tag}@klagebot.test", root / "unused.db")
                config.write_text(config.read_text().replace(f'sqlite://{root / "unused.db"}', url))
                with smtplib.LMTP(env["KLAGEBOT_MAIL_HOST"], int(env["KLAGEBOT_LMTP_PORT"])) as lmtp:
                    for i in range(count):
                        sender = f"c{i}-{tag}@customers.test"
                        _, raw = load.complaint(i, sender, klage, tag)
                        lmtp.sendmail(sender, [klage], raw)
                db = Postgres(url)
                ingested, seconds, lat, out = run_klagebot(["--config", str(config), "run"], root, db, count, wrapper,
                                                 root / "klagebot.log", timeout)
                if wrapper is time_v:
                    results.update(figures(count, ingested, seconds, lat))
                    results["peak_rss_mib"] = peak_rss_mib(out)
                else:
                    results.update(per_mail(syscalls(out), count))
                keep_log(root / "klagebot.log", f"imap-{count}")
            finally:
                admin(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
    return results


def admin(sql):
    subprocess.run(["psql", PG_SERVER, "-qc", sql], check=True, capture_output=True)


def figures(count, ingested, seconds, lat):
    return {
        "seconds": round(seconds, 2),
        "handled_per_s": round(count / ingested, 1),
        "mails_per_s": round(count / seconds, 1),
        "latency_p50_ms": round(percentile(lat, 50) * 1000),
        "latency_p99_ms": round(percentile(lat, 99) * 1000),
    }


def per_mail(counts, count):
    return {
        "fsync_per_mail": round((counts.get("fsync", 0) + counts.get("fdatasync", 0)) / count, 3),
        "statx_per_mail": round((counts.get("statx", 0) + counts.get("newfstatat", 0)) / count, 2),
    }


def keep_log(path, name):
    os.makedirs("target/bench-backlog", exist_ok=True)
    __import__("shutil").copy(path, f"target/bench-backlog/{name}.log")


def machine():
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    mem = next((int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal")), 0)
    disk = subprocess.run(["df", "-h", "--output=source,fstype,size", tempfile.gettempdir()],
                          capture_output=True, text=True).stdout.splitlines()[-1]
    return f"{os.cpu_count()} cores, {cpu}, {mem / 1024 / 1024:.0f} GiB RAM, temp dir on {' '.join(disk.split())}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--setup", choices=["maildir", "imap", "both"], default="both")
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--imap-sizes", default="1000,10000")
    parser.add_argument("--no-strace", action="store_true")
    parser.add_argument("--timeout", type=int, default=3600)
    args = parser.parse_args()
    strace = not args.no_strace
    runs = []
    if args.setup in ("maildir", "both"):
        for count in [int(s) for s in args.sizes.split(",") if s]:
            row = {"setup": "maildir+sqlite+folder", "backlog": count}
            row.update(one_maildir(count, strace, args.timeout))
            print(json.dumps(row), file=sys.stderr)
            runs.append(row)
    if args.setup in ("imap", "both"):
        subprocess.run(["scripts/mail-servers", "start"], check=True, stdout=sys.stderr)
        env = load.mail_env()
        for count in [int(s) for s in args.imap_sizes.split(",") if s]:
            row = {"setup": "dovecot+postgres+postfix", "backlog": count}
            row.update(one_imap(count, strace, args.timeout, env))
            print(json.dumps(row), file=sys.stderr)
            runs.append(row)
    report(runs)


def report(runs):
    columns = ["setup", "backlog", "handled_per_s", "mails_per_s", "latency_p50_ms", "latency_p99_ms", "peak_rss_mib",
               "fsync_per_mail", "statx_per_mail"]
    lines = [f"Measured {time.strftime('%Y-%m-%d', time.gmtime())} on {machine()}", "",
             "| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for run in runs:
        lines.append("| " + " | ".join(str(run.get(c, "")) for c in columns) + " |")
    os.makedirs("target", exist_ok=True)
    with open("target/bench-backlog.json", "a") as f:
        for run in runs:
            f.write(json.dumps(run) + "\n")
    pathlib.Path("target/bench-backlog.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
