"""A notification server for the display tests.

Owns org.freedesktop.Notifications on the session bus and implements Notify,
GetCapabilities, GetServerInformation and CloseNotification. Prints "ready" once the name is
owned, then one JSON line per received notification (flushed at once).

Commands on stdin, one per line:
  invoke ID ACTION   emit ActionInvoked(ID, ACTION) every 100 ms until "stop" (at most 10 s),
                     as a user clicking would; repeated because the client subscribes to the
                     signal only after its Notify call returned
  stop               stop emitting
Run with the system Python (/usr/bin/python3), which has dbus-python and PyGObject.
"""

import json
import sys
import threading

import dbus
import dbus.service
from dbus.mainloop.glib import DBusGMainLoop
from gi.repository import GLib

NAME = "org.freedesktop.Notifications"
PATH = "/org/freedesktop/Notifications"


class Server(dbus.service.Object):
    def __init__(self, bus):
        super().__init__(bus, PATH)
        self.next_id = 0
        self.invoking = None

    @dbus.service.method(NAME, in_signature="susssasa{sv}i", out_signature="u")
    def Notify(self, app_name, replaces_id, app_icon, summary, body, actions, hints, timeout):
        if replaces_id:
            nid = int(replaces_id)
        else:
            self.next_id += 1
            nid = self.next_id
        print(
            json.dumps(
                {
                    "id": nid,
                    "app_name": str(app_name),
                    "summary": str(summary),
                    "body": str(body),
                    "actions": [str(a) for a in actions],
                    "timeout": int(timeout),
                }
            ),
            flush=True,
        )
        return dbus.UInt32(nid)

    @dbus.service.method(NAME, in_signature="", out_signature="as")
    def GetCapabilities(self):
        return ["body", "actions"]

    @dbus.service.method(NAME, in_signature="", out_signature="ssss")
    def GetServerInformation(self):
        return ("pincer-test-listener", "pincer", "1.0", "1.2")

    @dbus.service.method(NAME, in_signature="u", out_signature="")
    def CloseNotification(self, nid):
        self.NotificationClosed(nid, 3)

    @dbus.service.signal(NAME, signature="us")
    def ActionInvoked(self, nid, action_key):
        pass

    @dbus.service.signal(NAME, signature="uu")
    def NotificationClosed(self, nid, reason):
        pass

    def start_invoking(self, nid, action):
        self.stop_invoking()
        left = [100]

        def tick():
            if left[0] <= 0:
                self.invoking = None
                return False
            left[0] -= 1
            self.ActionInvoked(dbus.UInt32(nid), action)
            return True

        tick()
        self.invoking = GLib.timeout_add(100, tick)

    def stop_invoking(self):
        if self.invoking is not None:
            GLib.source_remove(self.invoking)
            self.invoking = None


def read_commands(server, loop):
    for line in sys.stdin:
        words = line.split()
        if words[:1] == ["invoke"] and len(words) == 3:
            nid, action = int(words[1]), words[2]
            GLib.idle_add(lambda: server.start_invoking(nid, action) and False)
        elif words == ["stop"]:
            GLib.idle_add(lambda: server.stop_invoking() and False)
    GLib.idle_add(loop.quit)


def main():
    DBusGMainLoop(set_as_default=True)
    bus = dbus.SessionBus()
    flags = dbus.bus.NAME_FLAG_DO_NOT_QUEUE | dbus.bus.NAME_FLAG_REPLACE_EXISTING
    reply = bus.request_name(NAME, flags)
    if reply not in (dbus.bus.REQUEST_NAME_REPLY_PRIMARY_OWNER, dbus.bus.REQUEST_NAME_REPLY_ALREADY_OWNER):
        print(f"could not own {NAME} (reply {reply})", file=sys.stderr, flush=True)
        sys.exit(1)
    server = Server(bus)
    loop = GLib.MainLoop()
    threading.Thread(target=read_commands, args=(server, loop), daemon=True).start()
    print("ready", flush=True)
    loop.run()


if __name__ == "__main__":
    main()
