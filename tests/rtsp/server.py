#!/usr/bin/python3
"""An RTSP server for smem-rs's tests: GStreamer's gst-rtsp-server on
127.0.0.1, one mount point per MOUNT=PIPELINE argument (the pipeline's
payloaders named pay0, pay1...). Prints "ready PORT" once it listens, "play" and
"teardown" as clients ask for them, and stops by itself after --lifetime seconds (or on SIGTERM/SIGINT).

  server.py --port 0 /h264="( filesrc location=a.mkv ! matroskademux ! h264parse ! rtph264pay name=pay0 pt=96 )"
"""
import argparse
import signal
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtsp", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0, help="0: any free port")
    parser.add_argument("--user")
    parser.add_argument("--password")
    parser.add_argument("--protocols", choices=["tcp", "udp", "both"], default="both")
    parser.add_argument("--shared", action="store_true", help="one pipeline for every client (a camera)")
    parser.add_argument("--lifetime", type=float, default=120.0, help="seconds before it stops by itself")
    parser.add_argument("mounts", nargs="+", help="/path=PIPELINE")
    args = parser.parse_args()

    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    mounts = server.get_mount_points()
    protocols = {
        "tcp": GstRtsp.RTSPLowerTrans.TCP,
        "udp": GstRtsp.RTSPLowerTrans.UDP,
        "both": GstRtsp.RTSPLowerTrans.TCP | GstRtsp.RTSPLowerTrans.UDP,
    }[args.protocols]
    for mount in args.mounts:
        path, pipeline = mount.split("=", 1)
        factory = GstRtspServer.RTSPMediaFactory()
        factory.set_launch(pipeline)
        factory.set_shared(args.shared)
        factory.set_protocols(protocols)
        if args.user:
            factory.add_role_from_structure(
                Gst.Structure.from_string(
                    "user, media.factory.access=(boolean)true, media.factory.construct=(boolean)true"
                )[0]
            )
        mounts.add_factory(path, factory)
    if args.user:
        auth = GstRtspServer.RTSPAuth()
        token = GstRtspServer.RTSPToken()
        token.set_string(GstRtspServer.RTSP_TOKEN_MEDIA_FACTORY_ROLE, "user")
        basic = GstRtspServer.RTSPAuth.make_basic(args.user, args.password or "")
        auth.add_basic(basic, token)
        server.set_auth(auth)

    def on_client(_server, client):
        client.connect("teardown-request", lambda _c, _ctx: print("teardown", flush=True))
        client.connect("play-request", lambda _c, _ctx: print("play", flush=True))

    server.connect("client-connected", on_client)
    loop = GLib.MainLoop()
    if server.attach(None) == 0:
        print("cannot listen", file=sys.stderr)
        sys.exit(1)
    print(f"ready {server.get_bound_port()}", flush=True)
    GLib.timeout_add(int(args.lifetime * 1000), loop.quit)
    for sig in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, sig, loop.quit)
    loop.run()


if __name__ == "__main__":
    main()
