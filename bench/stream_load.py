#!/usr/bin/env python3
"""Writes stream entries in the module's encoding (event_contract/stream_entry.h)
as RESP XADD commands on stdout, for `redis-cli --pipe`: a mix of interactions
with tagged landing URLs (half), track events (four in ten) and conversions
with a value (one in ten), over a pool of visitors so attribution finds touches.

  stream_load.py --count N --tenant-id ID [--rate PER_SECOND] [--stream KEY] [--visitors N] [--per-entry K]

Entries are stamped as traffic would stamp them, a few per millisecond, not a
whole slice in one millisecond: a touch that shares its millisecond with an
event of its visitor reaches that event, so one stamp per slice made most
batches split again events an earlier batch had just attributed, which real
traffic seldom does. Without --rate, the backlog is stamped as if it had
arrived at NOMINAL_RATE up to now. With --rate, entries are written in slices
of 1/20 s, each entry stamped within the 1/20 s before its slice is written,
so (ingested_at - received_at) is the consumer's lag, a slice's wait included.
"""
import argparse
import json
import os
import random
import sys
import time
import uuid

SOURCES = [
    "https://shop.example/?utm_source=google&utm_medium=cpc&utm_campaign=spring",
    "https://shop.example/?gclid=abc",
    "https://shop.example/?fbclid=xyz",
    "https://shop.example/landing?utm_source=newsletter&utm_medium=email",
    "https://shop.example/",
]
REFERRERS = ["", "https://www.google.com/", "https://l.facebook.com/", "https://blog.example.org/"]
TRACK_TYPES = ["cart_add", "whatsapp_click", "call", "location_view"]


def uuid7(ms):
    raw = bytearray(ms.to_bytes(6, "big") + os.urandom(10))
    raw[6] = (raw[6] & 0x0F) | 0x70
    raw[8] = (raw[8] & 0x3F) | 0x80
    return str(uuid.UUID(bytes=bytes(raw)))


def resp(args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        b = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(b), b))
    return b"".join(out)


def event_fields(tenant_id, n, ms, rng, visitors):
    visitor = visitors[rng.randrange(len(visitors))]
    roll = rng.random()
    if roll < 0.5:
        kind, etype = "interaction", "view"
        metadata = {"url": SOURCES[rng.randrange(len(SOURCES))]}
        referrer = REFERRERS[rng.randrange(len(REFERRERS))]
        if referrer:
            metadata["referrer"] = referrer
    elif roll < 0.9:
        kind, etype = "track", TRACK_TYPES[rng.randrange(len(TRACK_TYPES))]
        metadata = {"n": n}
    else:
        kind, etype = "conversion", "purchase"
        metadata = {"transaction_id": "bench-%d-%d" % (ms, n), "value_minor": rng.randrange(100, 100000),
                    "currency": "USD", "event": "purchase"}
    # version 2's fields after v, as the module writes them: the small ones
    # packed in h, then what the Redis function appends
    header = "".join("%d:%s" % (len(str(v)), v) for v in (kind, uuid7(ms), ms, tenant_id, etype, "", ""))
    return ["h", header, "metadata", json.dumps(metadata, separators=(",", ":")), "tenant_id", tenant_id,
            "visitor", visitor]


def entries(stream, tenant_id, first, stamps, rng, visitors, per_entry):
    """XADDs of the events first.. stamped stamps: one version 2 entry each,
    or with per_entry > 1 version 3 entries of that many, as the Redis
    function packs a batch of the module's calls"""
    out = []
    events = [event_fields(tenant_id, first + i, ms, rng, visitors) for i, ms in enumerate(stamps)]
    if per_entry <= 1:
        return b"".join(resp(["XADD", stream, "*", "v", "2"] + fields) for fields in events)
    for at in range(0, len(events), per_entry):
        out.append(resp(["XADD", stream, "*", "v", "3"] + [f for fields in events[at:at + per_entry] for f in fields]))
    return b"".join(out)


NOMINAL_RATE = 20000   # entries per second the backlog is stamped at


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--tenant-id", required=True)
    parser.add_argument("--rate", type=int, default=0)
    parser.add_argument("--stream", default="{analytics}:events")
    parser.add_argument("--visitors", type=int, default=0, help="the pool's size (default: count/10, at least 5000)")
    parser.add_argument("--per-entry", type=int, default=1,
                        help="events per stream entry: 1 writes version 2 entries, more version 3 ones")
    args = parser.parse_args()
    rng = random.Random(42)
    # about five interactions per visitor: the visitor key lives one day
    pool = args.visitors or max(5000, args.count // 10)
    visitors = ["%040x" % rng.getrandbits(160) for _ in range(pool)]
    out = sys.stdout.buffer
    slice_size = max(1, args.rate // 20) if args.rate else 5000
    started = time.monotonic()
    backlog_from_ms = int(time.time() * 1000) - args.count * 1000 // NOMINAL_RATE
    written = 0
    while written < args.count:
        n = min(slice_size, args.count - written)
        if args.rate:
            due = started + written / args.rate
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            now_ms = int(time.time() * 1000)
            slice_ms = 1000 // 20
            stamps = [now_ms - slice_ms + (i + 1) * slice_ms // n for i in range(n)]
        else:
            stamps = [backlog_from_ms + (written + i) * 1000 // NOMINAL_RATE for i in range(n)]
        out.write(entries(args.stream, args.tenant_id, written, stamps, rng, visitors, args.per_entry))
        out.flush()
        written += n


if __name__ == "__main__":
    main()
