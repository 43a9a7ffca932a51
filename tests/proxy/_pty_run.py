"""Runs a command with a fresh pseudo-terminal as its controlling terminal (/dev/tty) while its stdin/stdout/
stderr stay the pipes of this process. Whatever the command writes to the terminal is copied to stderr with a
"[tty] " prefix; each time the terminal shows "Allow?", the next answer from argv[1] (comma separated) is typed.
Used by the proxy's approval tests: a scripted human on a real terminal.
Usage: python3 _pty_run.py ANSWERS CMD [ARGS...]"""
import os, pty, select, sys

answers = [a for a in sys.argv[1].split(",") if a]
cmd = sys.argv[2:]
master, slave = pty.openpty()
pid = os.fork()
if pid == 0:
    os.setsid()
    # Opening the slave as a session leader without O_NOCTTY makes it the controlling terminal.
    os.close(os.open(os.ttyname(slave), os.O_RDWR))
    os.close(master)
    os.close(slave)
    os.execvp(cmd[0], cmd)
os.close(slave)
seen = b""
while True:
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        break
    r, _, _ = select.select([master], [], [], 0.05)
    if master in r:
        try:
            data = os.read(master, 4096)
        except OSError:
            data = b""
        if data:
            sys.stderr.buffer.write(b"[tty] " + data)
            sys.stderr.flush()
            seen += data
            while b"Allow?" in seen and answers:
                seen = seen.split(b"Allow?", 1)[1]
                os.write(master, (answers.pop(0) + "\n").encode())
sys.exit(os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode") else status >> 8)
