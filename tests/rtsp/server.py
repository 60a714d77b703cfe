#!/usr/bin/python3
"""An RTSP server for smem-rs's tests: GStreamer's gst-rtsp-server on
127.0.0.1, one mount point per MOUNT=PIPELINE argument (the pipeline's
payloaders named pay0, pay1...). Prints "ready PORT" once it listens, "play" and
"teardown" as clients ask for them, and stops by itself after --lifetime seconds (or on SIGTERM/SIGINT).
A pipeline with an element named "sent" (`identity sync=true name=sent` before the payloader,
which lets each frame on when the pipeline's clock says it is due) prints "sent N UNIX_US RTP"
as each frame's last RTP packet leaves the payloader: N from 0 for each client, UNIX_US the
machine's real time then (the frame's send time), RTP its RTP timestamp; and "sr NTP RTP" for
each RTCP sender report of the first stream (its NTP time and RTP time).
The RTCP sender reports tell the machine's real time too (rtpbin's ntp-time-source=ntp).

  server.py --port 0 /h264="( filesrc location=a.mkv ! matroskademux ! h264parse ! rtph264pay name=pay0 pt=96 )"
"""
import argparse
import signal
import sys
import threading
import time

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtp", "1.0")
gi.require_version("GstRtsp", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtp, GstRtsp, GstRtspServer  # noqa: E402


SAYING = threading.Lock()


def say(line):
    """One whole line at once: frames and reports are told from two threads."""
    with SAYING:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def log_send_times(_factory, media):
    pipeline = media.get_element()
    if pipeline.get_by_name("sent") is None:
        return
    count = [0]

    def marked(buffer):
        ok, rtp = GstRtp.RTPBuffer.map(buffer, Gst.MapFlags.READ)
        if not ok:
            return False
        last = rtp.get_marker()
        rtp.unmap()
        return last

    def sent(_pad, info):
        # A frame's last packet (RTP's marker bit): the frame is sent. The
        # payloader pushes a frame of several packets as a list.
        if info.type & Gst.PadProbeType.BUFFER_LIST:
            buffers = info.get_buffer_list()
            buffers = [buffers.get(i) for i in range(buffers.length())]
        else:
            buffers = [info.get_buffer()]
        for buffer in buffers:
            if marked(buffer):
                ok, rtp = GstRtp.RTPBuffer.map(buffer, Gst.MapFlags.READ)
                rtptime = rtp.get_timestamp()
                rtp.unmap()
                say(f"sent {count[0]} {time.time_ns() // 1000} {rtptime}")
                count[0] += 1
        return Gst.PadProbeReturn.OK

    def on_sending_rtcp(_session, buffer, _early):
        rtcp = GstRtp.RTCPBuffer()
        ok = GstRtp.RTCPBuffer.map(buffer, Gst.MapFlags.READ, rtcp)
        packet = GstRtp.RTCPPacket()
        if ok and rtcp.get_first_packet(packet) and packet.get_type() == GstRtp.RTCPType.SR:
            _ssrc, ntp, rtptime, _packets, _octets = packet.sr_get_sender_info()
            say(f"sr {ntp} {rtptime}")
        if ok:
            rtcp.unmap()
        return False

    def prepared(media):
        media.get_stream(0).get_rtpsession().connect("on-sending-rtcp", on_sending_rtcp)

    media.connect("prepared", prepared)
    probe = Gst.PadProbeType.BUFFER | Gst.PadProbeType.BUFFER_LIST
    pipeline.get_by_name("pay0").get_static_pad("src").add_probe(probe, sent)


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
        factory.connect("media-configure", log_send_times)
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
