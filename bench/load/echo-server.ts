/** The long connections' server on each real server: a TCP echo on :9000 that greets with its hostname. */
export const ECHO_PORT = 9000;

/** Starts it as a transient unit (socat, in the lab image), gone when stopped. */
export const ECHO_START = `systemctl stop bench-echo 2>/dev/null; systemctl reset-failed bench-echo 2>/dev/null; systemd-run --quiet --unit=bench-echo --collect socat TCP-LISTEN:${ECHO_PORT},fork,reuseaddr 'SYSTEM:hostname; exec cat'`;
export const ECHO_STOP = "systemctl stop bench-echo 2>/dev/null; systemctl reset-failed bench-echo 2>/dev/null; true";
