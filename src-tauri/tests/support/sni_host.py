#!/usr/bin/python3
"""A small StatusNotifier host for tests: owns org.kde.StatusNotifierWatcher on the session
bus, reports items that register, and reads or clicks their dbusmenu on request.

Prints one JSON object per line on stdout:
  {"event": "ready"}
  {"event": "registered", "service": ..., "sender": ..., "path": ...}
  {"event": "menu", "items": [{"id": 3, "label": "Open Pincer", "enabled": true}, ...]}
  {"event": "icon", "name": ..., "theme_path": ..., "status": ...}
  {"event": "clicked", "label": ...}
  {"event": "error", "message": ...}
Commands, one per line on stdin: `menu`, `icon`, `click LABEL`.
"""
import json
import sys

import dbus
import dbus.service
from dbus.mainloop.glib import DBusGMainLoop
from gi.repository import GLib

WATCHER = "org.kde.StatusNotifierWatcher"
ITEM = "org.kde.StatusNotifierItem"
MENU = "com.canonical.dbusmenu"
PROPS = "org.freedesktop.DBus.Properties"


def say(**obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


class Watcher(dbus.service.Object):
    def __init__(self, bus):
        super().__init__(bus, "/StatusNotifierWatcher")
        self.bus = bus
        self.items = []

    @dbus.service.method(WATCHER, in_signature="s", out_signature="", sender_keyword="sender")
    def RegisterStatusNotifierItem(self, service, sender=None):
        # The argument is a bus name or an object path on the sender's connection.
        if service.startswith("/"):
            name, path = sender, service
        else:
            name, path = service, "/StatusNotifierItem"
        self.items.append((name, path))
        self.StatusNotifierItemRegistered(name + path)
        say(event="registered", service=str(service), sender=str(sender), path=path)

    @dbus.service.method(WATCHER, in_signature="s", out_signature="")
    def RegisterStatusNotifierHost(self, service):
        pass

    @dbus.service.signal(WATCHER, signature="s")
    def StatusNotifierItemRegistered(self, service):
        pass

    @dbus.service.signal(WATCHER, signature="s")
    def StatusNotifierItemUnregistered(self, service):
        pass

    @dbus.service.signal(WATCHER, signature="")
    def StatusNotifierHostRegistered(self):
        pass

    def _props(self):
        return {
            "RegisteredStatusNotifierItems": dbus.Array([n + p for n, p in self.items], signature="s"),
            "IsStatusNotifierHostRegistered": dbus.Boolean(True),
            "ProtocolVersion": dbus.Int32(0),
        }

    @dbus.service.method(PROPS, in_signature="ss", out_signature="v")
    def Get(self, interface, prop):
        return self._props()[prop]

    @dbus.service.method(PROPS, in_signature="s", out_signature="a{sv}")
    def GetAll(self, interface):
        return self._props()

    # --- commands -------------------------------------------------------------------

    def item(self):
        if not self.items:
            raise RuntimeError("no item has registered")
        name, path = self.items[-1]
        return self.bus.get_object(name, path), name

    def layout(self):
        obj, name = self.item()
        menu_path = obj.Get(ITEM, "Menu", dbus_interface=PROPS)
        menu = dbus.Interface(self.bus.get_object(name, menu_path), MENU)
        _rev, root = menu.GetLayout(0, -1, dbus.Array([], signature="s"))
        items = []

        def walk(node):
            ident, props, children = node
            label = props.get("label")
            if label is not None and props.get("type", "standard") != "separator":
                items.append({
                    "id": int(ident),
                    "label": str(label).replace("_", ""),
                    "enabled": bool(props.get("enabled", True)),
                })
            for child in children:
                walk(child)

        walk(root)
        return menu, items

    def command(self, line):
        line = line.strip()
        if line == "menu":
            _menu, items = self.layout()
            say(event="menu", items=items)
        elif line == "icon":
            obj, _ = self.item()
            get = lambda p: str(obj.Get(ITEM, p, dbus_interface=PROPS))
            say(event="icon", name=get("IconName"), theme_path=get("IconThemePath"), status=get("Status"))
        elif line.startswith("click "):
            label = line[len("click "):]
            menu, items = self.layout()
            match = [i for i in items if i["label"] == label]
            if not match:
                raise RuntimeError("no menu item %r in %r" % (label, [i["label"] for i in items]))
            menu.Event(dbus.Int32(match[0]["id"]), "clicked", dbus.String("", variant_level=1), dbus.UInt32(0))
            say(event="clicked", label=label)
        elif line:
            raise RuntimeError("unknown command %r" % line)


def main():
    DBusGMainLoop(set_as_default=True)
    bus = dbus.SessionBus()
    watcher = Watcher(bus)
    name = dbus.service.BusName(WATCHER, bus, do_not_queue=True)
    loop = GLib.MainLoop()

    def on_stdin(source, _condition):
        line = source.readline()
        if not line:
            loop.quit()
            return False
        try:
            watcher.command(line)
        except Exception as e:  # report, keep serving
            say(event="error", message=str(e))
        return True

    GLib.io_add_watch(sys.stdin, GLib.IO_IN | GLib.IO_HUP, on_stdin)
    say(event="ready")
    loop.run()
    del name


if __name__ == "__main__":
    main()
