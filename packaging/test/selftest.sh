#!/bin/sh
# Runs inside the container scripts/test-packaging boots with systemd (as the
# oneshot klagebot-selftest.service) and reports into /var/tmp/selftest/:
#   1. the klagebot unit on the embedded default: starts (READY=1), says it is
#      running, survives 8 s with WatchdogSec=3s (fed, not restarted);
#      systemd-analyze security on the running system;
#   2. the unit on the Dovecot/Postfix config the host wrote (/etc/klagebot/test.toml,
#      secrets in /etc/credstore): starts, then waits while the host sends a complaint
#      and looks for the acknowledgement (host-done), then powers off.
out=/var/tmp/selftest
mkdir -p "$out"
log() { echo "$*" >>"$out/log"; }
finish() { echo "$1" >"$out/status"; systemctl --no-block poweroff; exit 0; }
fail() { log "FAIL: $*"; journalctl -u klagebot -n 40 --no-pager >>"$out/log" 2>&1; finish fail; }
dropin=/etc/systemd/system/klagebot.service.d
mkdir -p "$dropin"

start() {
    systemctl daemon-reload
    # Type=notify: start returns once klagebot sent READY=1.
    timeout 90 systemctl restart klagebot || fail "$1: systemctl restart klagebot"
    [ "$(systemctl is-active klagebot)" = active ] || fail "$1: not active"
}

printf '[Service]\nEnvironment=KLAGEBOT_CONFIG=\nWatchdogSec=3s\n' >"$dropin/test.conf"
start "embedded default"
sleep 8
restarts=$(systemctl show -p NRestarts --value klagebot)
[ "$restarts" = 0 ] || fail "embedded default: restarted $restarts times (watchdog not fed?)"
[ "$(systemctl is-active klagebot)" = active ] || fail "embedded default: not active after 8 s"
status=$(systemctl show -p StatusText --value klagebot)
log "embedded default: active, NRestarts=0 after 8 s with WatchdogSec=3s, status: $status"
[ "$status" = "running: every mailbox connected" ] || fail "embedded default: status '$status'"
ls -l /var/lib/klagebot >>"$out/log"
systemd-analyze security klagebot.service >"$out/security.txt" 2>&1
systemctl show -p User,UID klagebot >>"$out/log"

printf '[Service]\nEnvironment=KLAGEBOT_CONFIG=/etc/klagebot/test.toml\n' >"$dropin/test.conf"
start "Dovecot/Postfix config"
log "Dovecot/Postfix config: active, status: $(systemctl show -p StatusText --value klagebot)"
touch "$out/mail-ready"
i=0
while [ ! -e "$out/host-done" ] && [ $i -lt 240 ]; do sleep 0.5; i=$((i + 1)); done
[ -e "$out/host-done" ] || fail "the host never finished the mail test"
journalctl -u klagebot --no-pager -o cat >"$out/journal.txt" 2>&1
systemctl stop klagebot
log "stopped: $(systemctl show -p Result --value klagebot)"
finish ok
