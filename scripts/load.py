"""The load test behind scripts/load: see that script for what it measures."""

import argparse
import json
import os
import signal
import smtplib
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from email.utils import formatdate

TEXTS = [
    ("Klage over gebyr", "Jeg er meget utilfreds. I har trukket et gebyr på 250 kr. to gange for den samme overførsel, og ingen svarer på mine mails. Jeg vil have pengene tilbage."),
    ("Klage på kortet", "Kortet mitt ble sperret uten varsel, og kundeservice har ikke svart på henvendelsene mine. Dette er ikke greit, og jeg ønsker kompensasjon."),
    ("Klage på lånet", "Eg er ikkje nøgd med korleis de har handsama lånesøknaden min. Eg har venta i seks veker utan å høyre noko frå dykk."),
    ("Klagomål på avgift", "Jag är mycket missnöjd. Ni har dragit en avgift för en överföring som aldrig kom fram, och ingen på kundtjänst har hört av sig."),
    ("Charged twice", "I was charged twice for the same card payment and nobody has answered my two emails about it. Please refund the second charge."),
]


def mail_env():
    out = subprocess.run(["scripts/mail-servers", "env"], check=True, capture_output=True, text=True).stdout
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def add_user(address, password):
    subprocess.run(["scripts/mail-servers", "adduser", address, password], check=True)


def complaint(i, sender, to, tag):
    subject, text = TEXTS[i % len(TEXTS)]
    msg_id = f"<{tag}-{i}@load.test>"
    filler = "\n".join(f"Linje {n}: {text}" for n in range(12))
    raw = (
        f"From: Kunde {i} <{sender}>\r\nTo: {to}\r\nSubject: {subject} #{i}\r\nMessage-ID: {msg_id}\r\n"
        f"Date: {formatdate(localtime=True)}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
        f"Content-Transfer-Encoding: 8bit\r\n\r\nHej\r\n\r\n{text}\r\n\r\n{filler}\r\n\r\nVenlig hilsen\r\nKunde {i}\r\n"
    )
    return msg_id, raw.encode("utf-8")


def write_config(path, env, klage, password_file, staff, db):
    path.write_text(f"""
[company]
name = "Load Bank A/S"
domain = "loadbank.test"
complaint_address = "{klage}"
jurisdiction = "dk"

[database]
url = "sqlite://{db}"

[[mailbox]]
name = "klage"
kind = "imap"
mode = "own"
host = "localhost"
port = {env['KLAGEBOT_IMAP_PORT']}
tls = "starttls"
ca_file = "{env['KLAGEBOT_CA_FILE']}"
username = "{klage}"
password_file = "{password_file}"
poll_seconds = 60

[outgoing]
kind = "smtp"
host = "localhost"
port = {env['KLAGEBOT_SUBMISSION_PORT']}
tls = "starttls"
ca_file = "{env['KLAGEBOT_CA_FILE']}"
username = "{klage}"
password_file = "{password_file}"

[[staff]]
name = "Mette Jensen"
email = "{staff}"
role = "handler"

[security]
token_secret_file = "{password_file}.token"
""")
    (path.parent / "password.token").write_text("load-test-secret-of-some-length")


def acks_sent(db):
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "SELECT COUNT(*) FROM outbox WHERE kind = 'customer_acknowledgement' AND state = 'sent'"
        ).fetchone()[0]


def parse_time(text):
    text = text.replace(" ", "T").replace("Z", "+00:00")
    if "." in text:
        head, tail = text.split(".", 1)
        digits = "".join(c for c in tail if c.isdigit())
        zone = tail[len(digits):]
        text = f"{head}.{digits[:6]}{zone}"
    return datetime.fromisoformat(text).timestamp()


def ack_times(db):
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT c.customer_message_id, o.sent_at FROM outbox o JOIN cases c ON c.reference = o.case_ref "
            "WHERE o.kind = 'customer_acknowledgement' AND o.state = 'sent'"
        ).fetchall()
    return {f"<{mid}>": parse_time(sent) for mid, sent in rows}


def peak_rss_mib(pid):
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def wait_for(predicate, timeout, what):
    start = time.time()
    while not predicate():
        if time.time() - start > timeout:
            sys.exit(f"load: {what} did not happen within {timeout} s")
        time.sleep(0.2)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=10000)
    parser.add_argument("--latency-count", type=int, default=300)
    parser.add_argument("--rate", type=float, default=20.0)
    args = parser.parse_args()

    env = mail_env()
    tag = f"load{int(time.time())}"
    work = tempfile.TemporaryDirectory(prefix="klagebot-load-")
    root = __import__("pathlib").Path(work.name)
    klage = f"klage-{tag}@klagebot.test"
    staff = f"staff-{tag}@klagebot.test"
    add_user(klage, "loadpw")
    password_file = root / "password"
    password_file.write_text("loadpw")
    db = root / "klagebot.db"
    config = root / "klagebot.toml"
    write_config(config, env, klage, password_file, staff, db)

    # Phase 1: a backlog of COUNT complaints, put in over LMTP before klagebot starts.
    started = time.time()
    with smtplib.LMTP(env["KLAGEBOT_MAIL_HOST"], int(env["KLAGEBOT_LMTP_PORT"])) as lmtp:
        for i in range(args.count):
            sender = f"c{i}-{tag}@customers.test"
            _, raw = complaint(i, sender, klage, tag)
            lmtp.sendmail(sender, [klage], raw)
    injected = time.time() - started
    print(f"injected {args.count} complaints over LMTP in {injected:.1f} s", file=sys.stderr)

    log = open(root / "klagebot.log", "w")
    daemon = subprocess.Popen(
        [os.path.abspath(os.environ.get("KLAGEBOT_BIN", "target/release/klagebot")), "--config", str(config), "--log-format", "json", "run"],
        stdout=log, stderr=log, cwd=root,
    )
    t0 = time.time()
    wait_for(lambda: db.exists(), 30, "the database")
    wait_for(lambda: acks_sent(db) >= args.count, 3600, f"{args.count} acknowledgements")
    backlog_seconds = time.time() - t0
    rss_after_backlog = peak_rss_mib(daemon.pid)

    # Phase 2: latency with klagebot idle in IDLE.
    sent_at = {}
    interval = 1.0 / args.rate
    with smtplib.SMTP(env["KLAGEBOT_MAIL_HOST"], int(env["KLAGEBOT_SMTP_PORT"])) as smtp:
        next_at = time.time()
        for i in range(args.latency_count):
            n = args.count + i
            sender = f"c{n}-{tag}@customers.test"
            msg_id, raw = complaint(n, sender, klage, tag)
            time.sleep(max(0.0, next_at - time.time()))
            smtp.sendmail(sender, [klage], raw)
            sent_at[msg_id] = time.time()
            next_at += interval
    wait_for(lambda: acks_sent(db) >= args.count + args.latency_count, 600, "the latency acknowledgements")
    times = ack_times(db)
    latencies = [times[m] - t for m, t in sent_at.items() if m in times]
    peak = peak_rss_mib(daemon.pid)

    daemon.send_signal(signal.SIGTERM)
    code = daemon.wait(timeout=60)
    report = {
        "complaints": args.count,
        "backlog_seconds": round(backlog_seconds, 2),
        "backlog_cases_per_second": round(args.count / backlog_seconds, 1),
        "latency_samples": len(latencies),
        "latency_rate_per_second": args.rate,
        "latency_p50_ms": round(percentile(latencies, 50) * 1000),
        "latency_p90_ms": round(percentile(latencies, 90) * 1000),
        "latency_p99_ms": round(percentile(latencies, 99) * 1000),
        "latency_max_ms": round(max(latencies) * 1000),
        "peak_rss_mib_after_backlog": rss_after_backlog,
        "peak_rss_mib": peak,
        "exit_code_on_sigterm": code,
    }
    os.makedirs("target", exist_ok=True)
    log.close()
    __import__("shutil").copy(root / "klagebot.log", "target/load-klagebot.log")
    with open("target/load-report.json", "w") as f:
        json.dump(report, f, indent=2)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
