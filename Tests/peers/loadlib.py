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
