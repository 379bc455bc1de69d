# list-race.py LAYOUTCTL SECONDS DIR: "layoutctl list DIR" while a
# directory under DIR is swapped for a link to one outside it (a
# RENAME_EXCHANGE racer, as anyone who can write there can run). Exit 1 if
# list opened a file outside DIR (a device node among them) or broke the
# write lease of one; 0 if not, within SECONDS.
import ctypes, fcntl, os, signal, subprocess, sys, time, shutil
LC = sys.argv[1]
secs = float(sys.argv[2]) if len(sys.argv) > 2 else 60
base = sys.argv[3]
shutil.rmtree(base, ignore_errors=True)
X, out = base + '/X', base + '/outside'
os.makedirs(X + '/sub'); os.makedirs(out)
for i in range(50):
    open('%s/sub/f%03d' % (X, i), 'w').write('x')
for n in ('plain.dat', 'chardev', 'secret.dat'):
    open('%s/sub/%s' % (X, n), 'w').write('x')     # regular files in DIR
open(out + '/plain.dat', 'w').write('x')
os.mknod(out + '/chardev', 0o600 | 0o020000, os.makedev(1, 3))   # a char device (null)
secret = out + '/secret.dat'
open(secret, 'w').write('x')
os.symlink(out, X + '/alt')
libc = ctypes.CDLL(None, use_errno=True)
parent = os.getpid()
pid = os.fork()
if pid == 0:
    # The racer ends with this script, however it ends (PR_SET_DEATHSIG,
    # and the parent's pid checked, should it have gone before that).
    libc.prctl(1, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(0)
    a, b = (X + '/sub').encode(), (X + '/alt').encode()
    end = time.time() + secs + 60
    while time.time() < end:
        libc.renameat2(-100, a, -100, b, 2)   # RENAME_EXCHANGE
    os._exit(0)
got = []
signal.signal(signal.SIGIO, lambda s, f: got.append(s))
lfd = os.open(secret, os.O_RDWR)
fcntl.fcntl(lfd, fcntl.F_SETLEASE, fcntl.F_WRLCK)
ino = libc.inotify_init1(os.O_NONBLOCK)
w = {libc.inotify_add_watch(ino, (out + '/' + n).encode(), 0x20): n for n in ('plain.dat', 'chardev')}
opened = set()
env = dict(os.environ); env.pop('LAYOUTCTL_ROOT', None)
runs = 0
t0 = time.time()
try:
    while not (got and len(opened) == 2) and time.time() - t0 < secs:
        subprocess.run([LC, 'list', X, '--json'], capture_output=True, env=env, timeout=30)
        runs += 1
        try:
            buf = os.read(ino, 4096)
            while buf:
                wd = int.from_bytes(buf[0:4], 'little', signed=True); ln = int.from_bytes(buf[12:16], 'little')
                opened.add(w.get(wd)); buf = buf[16 + ln:]
        except BlockingIOError:
            pass
finally:
    os.kill(pid, 9); os.waitpid(pid, 0)
print('runs: %d in %.0f s' % (runs, time.time() - t0))
print('files outside DIR opened by list:', sorted(x for x in opened if x))
print('write lease on %s (outside DIR) broken: %s' % (secret, bool(got)))
sys.exit(1 if (got or any(opened - {None})) else 0)
