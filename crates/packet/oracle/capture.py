import socket, struct, sys, time, binascii

IFACE = "h0"
def csum(b):
    if len(b) % 2: b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b)//2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff

def ip_hdr(tos, tot, ident, frag, ttl, proto, src, dst, opts=b""):
    ihl = 5 + len(opts)//4
    h = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, tos, tot, ident, frag, ttl, proto, 0,
                    socket.inet_aton(src), socket.inet_aton(dst)) + opts
    c = csum(h)
    return h[:10] + struct.pack("!H", c) + h[12:]

def udp(src, dst, sp, dp, payload):
    l = 8 + len(payload)
    ph = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 17, l)
    u = struct.pack("!HHHH", sp, dp, l, 0) + payload
    c = csum(ph + u) or 0xffff
    return u[:6] + struct.pack("!H", c) + u[8:]

def tcp(src, dst, sp, dp, seq, ack, flags, payload, opts=b""):
    doff = 5 + len(opts)//4
    t = struct.pack("!HHIIBBHHH", sp, dp, seq, ack, doff << 4, flags, 1024, 0, 0) + opts + payload
    ph = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 6, len(t))
    c = csum(ph + t)
    return t[:16] + struct.pack("!H", c) + t[18:]

def icmp_echo(ident, seq, payload):
    m = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + payload
    c = csum(m)
    return m[:2] + struct.pack("!H", c) + m[4:]

def main():
    rmac = bytes.fromhex(sys.argv[1].replace(":", ""))
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
    s.bind((IFACE, 0))
    hmac = s.getsockname()[4]
    s.settimeout(0.5)
    H, R, FAR = "198.51.100.2", "198.51.100.1", "203.0.113.5"
    cases = []
    # 1: TTL 1 UDP, tos 0x2e, with options (NOPs + EOL), payload 30
    p = udp(H, FAR, 40000, 53, b"q" * 30)
    cases.append(("ttl_udp", ip_hdr(0x2e, 24 + len(p), 0x1111, 0x4000, 1, 17, H, FAR, b"\x01\x01\x01\x00") + p))
    # 2: TTL 1, big TCP (quote cut at 576)
    p = tcp(H, FAR, 40001, 80, 1000, 0, 0x18, b"d" * 900)
    cases.append(("ttl_tcp_big", ip_hdr(0x00, 20 + len(p), 0x2222, 0, 1, 6, H, FAR) + p))
    # 3: DF, too big for dummy mtu 1280
    p = udp(H, FAR, 40002, 9, b"x" * 1372)
    cases.append(("frag_needed", ip_hdr(0x10, 20 + len(p), 0x3333, 0x4000, 64, 17, H, FAR) + p))
    # 4: SYN to port 80 -> REJECT tcp-reset (no ACK: ack = seq + 1)
    p = tcp(H, FAR, 40003, 80, 5000, 0, 0x02, b"", b"\x02\x04\x05\xb4")
    cases.append(("rst_syn", ip_hdr(0xb8, 20 + len(p), 0x4444, 0x4000, 64, 6, H, FAR) + p))
    # 5: ACK+PSH with data -> RST seq = ack
    p = tcp(H, FAR, 40004, 80, 7000, 0xdeadbeef, 0x18, b"hello")
    cases.append(("rst_ack", ip_hdr(0, 20 + len(p), 0x5555, 0, 64, 6, H, FAR) + p))
    # 6: FIN without ACK, 3 data bytes -> ack = seq + 1 + 3
    p = tcp(H, FAR, 40005, 80, 0xfffffffe, 0, 0x01, b"abc")
    cases.append(("rst_fin", ip_hdr(0, 20 + len(p), 0x6666, 0, 64, 6, H, FAR) + p))
    # 7: echo request to the router, tos 0x28
    p = icmp_echo(0x1234, 7, b"ping!" * 5)
    cases.append(("echo", ip_hdr(0x28, 20 + len(p), 0x7777, 0x4000, 64, 1, H, R) + p))
    # 8: UDP to closed port on router -> port unreachable (local delivery, saddr = daddr)
    p = udp(H, R, 40006, 9999, b"u" * 10)
    cases.append(("port_unreach", ip_hdr(0x04, 20 + len(p), 0x8888, 0, 64, 17, H, R) + p))
    for name, pkt in cases:
        frame = rmac + hmac + b"\x08\x00" + pkt + (b"\0" * max(0, 46 - len(pkt)))
        # drain
        try:
            while True: s.recv(65535)
        except socket.timeout:
            pass
        s.send(frame)
        got = None
        end = time.time() + 1.5
        while time.time() < end:
            try:
                f = s.recv(65535)
            except socket.timeout:
                continue
            if f[6:12] == rmac and f[12:14] == b"\x08\x00":
                got = f[14:]
                break
        print(name, binascii.hexlify(pkt).decode(), binascii.hexlify(got).decode() if got else "NONE")

main()
