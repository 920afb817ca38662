"""Shared by the load tools (xmpp_load.py, webhook_load.py): what a process spent, and a ready client."""
import asyncio, logging, os
logging.basicConfig(level=logging.ERROR)   # slixmpp warns at import that it uses the pure-Python stringprep
import slixmpp

ticks = os.sysconf("SC_CLK_TCK")

def cpu_times(pid):
    """(utime, stime) of a process, in seconds (fields 14 and 15 of /proc/PID/stat, after the command name)."""
    with open("/proc/%s/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) / ticks, int(fields[12]) / ticks

def cpu_seconds(pid):
    """utime + stime of a process, in seconds."""
    return sum(cpu_times(pid))

def memory_mb(pid):
    """VmRSS and VmHWM (peak resident set) of a process, in MB, from /proc/PID/status."""
    values = {}
    with open("/proc/%s/status" % pid) as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"): values[key] = round(int(rest.split()[0]) / 1024, 1)
    return values

class Watch:
    """What the watched processes (NAME -> PID) spend during a run: `start()` before it, `report(...)` after."""
    def __init__(self, watched):
        self.watched = watched

    def start(self):
        self.cpu = {name: cpu_seconds(pid) for name, pid in self.watched.items()}
        self.system = {name: cpu_times(pid)[1] for name, pid in self.watched.items()}
        self.rss = {name: memory_mb(pid)["VmRSS"] for name, pid in self.watched.items()}

    def report(self, report, received, seconds):
        """Adds each process's CPU per message received, its share of a core and of the kernel, and its
        resident memory before, after and at its peak to `report`."""
        for name, pid in self.watched.items():
            spent = cpu_seconds(pid) - self.cpu[name]
            memory = memory_mb(pid)
            report["cpu_us_per_message_" + name] = round(spent * 1e6 / received) if received else None
            report["cpu_share_of_a_core_" + name] = round(spent / seconds, 2) if seconds > 0 else None
            report["cpu_system_share_" + name] = round((cpu_times(pid)[1] - self.system[name]) / spent, 2) if spent > 0 else None
            report["rss_mb_before_" + name] = self.rss[name]
            report["rss_mb_after_" + name] = memory["VmRSS"]
            report["rss_mb_peak_" + name] = memory["VmHWM"]
        return report

class Client(slixmpp.ClientXMPP):
    """An XMPP client whose `ready` future is set once its session started and its roster arrived."""
    def __init__(self, jid, password):
        super().__init__(jid, password)
        self.ready = asyncio.get_event_loop().create_future()
        self.add_event_handler("session_start", self.start)

    async def start(self, _):
        self.send_presence()
        await self.get_roster()
        self.ready.set_result(True)

    def connect_plain(self, port):
        """Connects to 127.0.0.1:PORT without TLS (the benchmarks' Prosody allows it on loopback)."""
        self.connect(address=("127.0.0.1", port), force_starttls=False, disable_starttls=True)
