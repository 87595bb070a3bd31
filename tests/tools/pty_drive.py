"""Drives a full-screen program on a pseudo-terminal and reads its screen with pyte, a VT100
terminal emulator: what a person would see, not the byte stream.

    python3 pty_drive.py COLS ROWS -- COMMAND ARGS...   (steps as JSON on stdin)

Steps: {"wait": "text"} (until the screen shows it, 20 s at most), {"gone": "text"},
{"keys": "abc"} (\\r is Enter, \\x1b Escape, \\x03 Ctrl-C), {"paste": "text"} (as a terminal
pastes: bracketed if the program asked for it), {"resize": [cols, rows]},
{"signal": "TERM"}, {"sleep": seconds}, {"shell": "command"} (run beside it, e.g. another
clone's commit), {"screen": "name"} (keep the screen as it is now), {"style": "text"} (how the
first character of that text is drawn: colours, bold, reverse). Prints JSON: the exit status,
the kept screens, the last screen, whether the terminal was left as found (the alternate
screen left, the cursor shown, every private mode it set reset) and the modes it set.
"""

import fcntl
import json
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time

import pyte


def main():
    cols, rows = int(sys.argv[1]), int(sys.argv[2])
    command = sys.argv[sys.argv.index("--") + 1:]
    steps = json.load(sys.stdin)
    screen = pyte.Screen(cols, rows)
    stream = pyte.ByteStream(screen)
    raw = bytearray()
    pid, fd = pty.fork()
    if pid == 0:
        os.environ["TERM"] = "xterm-256color"
        os.execvp(command[0], command)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    os.kill(pid, signal.SIGWINCH)

    def pump(timeout):
        ready, _, _ = select.select([fd], [], [], timeout)
        if not ready:
            return True
        try:
            data = os.read(fd, 65536)
        except OSError:
            return False
        if not data:
            return False
        raw.extend(data)
        stream.feed(data)
        return True

    def text():
        return "\n".join(screen.display)

    def settle():
        # Read until the program has been quiet for 150 ms: a frame is drawn whole.
        quiet_since = time.time()
        while time.time() - quiet_since < 0.15:
            ready, _, _ = select.select([fd], [], [], 0.05)
            if ready:
                if not pump(0):
                    return
                quiet_since = time.time()

    kept = {}
    styles = {}
    failure = None
    for step in steps:
        if "wait" in step or "gone" in step:
            want = step.get("wait", step.get("gone"))
            deadline = time.time() + 20
            while (want in text()) != ("wait" in step):
                if time.time() > deadline or not pump(0.1):
                    failure = f"{'never shown' if 'wait' in step else 'never gone'}: {want!r}"
                    break
            if failure:
                break
            settle()
        elif "keys" in step:
            os.write(fd, step["keys"].encode())
            pump(0.05)
        elif "paste" in step:
            # As a terminal pastes: bracketed only while the program has asked for it (mode
            # 2004), otherwise the bare text, newlines and all.
            on = raw.rfind(b"\x1b[?2004h") > raw.rfind(b"\x1b[?2004l")
            data = step["paste"].encode()
            os.write(fd, b"\x1b[200~" + data + b"\x1b[201~" if on else data)
            pump(0.05)
        elif "resize" in step:
            cols, rows = step["resize"]
            fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
            screen.resize(rows, cols)
            os.kill(pid, signal.SIGWINCH)
            pump(0.2)
        elif "signal" in step:
            os.kill(pid, getattr(signal, "SIG" + step["signal"]))
        elif "sleep" in step:
            end = time.time() + step["sleep"]
            while time.time() < end:
                pump(0.05)
        elif "shell" in step:
            subprocess.run(step["shell"], shell=True, check=True, capture_output=True)
        elif "style" in step:
            # How the first character of some text on the screen is drawn: its colours
            # (pyte's names, "default" when none), bold and reverse video.
            settle()
            want = step["style"]
            found = None
            for y, line in enumerate(screen.display):
                x = line.find(want)
                if x >= 0:
                    char = screen.buffer[y][x]
                    found = {"fg": char.fg, "bg": char.bg, "bold": char.bold,
                             "reverse": char.reverse}
                    break
            styles[want] = found
        elif "screen" in step:
            settle()
            kept[step["screen"]] = text()
    deadline = time.time() + 10
    status = None
    while time.time() < deadline:
        pump(0.05)
        done, code = os.waitpid(pid, os.WNOHANG)
        if done:
            status = os.waitstatus_to_exitcode(code)
            break
    if status is None:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    while pump(0.05):
        pass
    tail = bytes(raw[-200:])
    restored = b"\x1b[?1049l" in tail and b"\x1b[?25h" in tail
    # Every private mode the program turned on (mouse reporting, bracketed paste, ...) is off
    # again: its last "h" is followed by an "l". (25 is the cursor, shown by "h": checked above.)
    modes_on = []
    for mode in sorted(set(re.findall(rb"\x1b\[\?(\d+)h", bytes(raw))) - {b"25"}):
        on = raw.rfind(b"\x1b[?" + mode + b"h")
        if raw.rfind(b"\x1b[?" + mode + b"l") < on:
            restored = False
        modes_on.append(int(mode))
    print(json.dumps({
        "failure": failure,
        "status": status,
        "screens": kept,
        "styles": styles,
        "last": text(),
        "restored": restored,
        "modes": modes_on,
    }))


if __name__ == "__main__":
    main()
